"""docs/architecture.md is the map of the code: it must name every package and platform module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "architecture.md").read_text()


def _packages(base: Path) -> list[Path]:
    return sorted(p for p in base.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_package_of_the_core_and_the_interfaces_is_on_the_map() -> None:
    named = []
    for top in ("keito_core", "keito_tui"):
        named += [f"{p.name}/" for p in _packages(ROOT / top)]
    named += [f"{p.name}/" for p in _packages(ROOT / "keito_core" / "services")]
    missing = [name for name in named if name not in DOC]
    assert not missing, f"docs/architecture.md does not mention {missing}"


def test_every_platform_module_is_on_the_map() -> None:
    modules = sorted(p.name for p in (ROOT / "keito_core" / "platform").glob("*.py")
                     if p.name != "__init__.py")
    missing = [m for m in modules if m not in DOC]
    assert not missing, f"docs/architecture.md does not mention platform's {missing}"


def test_every_module_path_the_map_names_exists() -> None:
    paths = set(re.findall(r"`((?:keito_core|keito_tui|tests|benchmarks)/[\w/.]+\.py)`", DOC))
    assert paths, "the map names no module path"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names modules that do not exist: {missing}"
