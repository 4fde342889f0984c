"""The layers stay apart: the core loads no terminal code, and the command line starts lean.

Each check imports in a fresh interpreter, so modules loaded by other tests cannot hide a leak.
"""

from __future__ import annotations

import json
import subprocess
import sys

#: Loaded by the domain core, which must never pull in a terminal library.
CORE_MODULES = [
    "keito_core",
    "keito_core.models",
    "keito_core.services.workspace.setup",
    "keito_core.platform.db",
    "keito_core.platform.runtime",
]

#: Packages the core may not load: terminal libraries and the terminal front end.
TERMINAL = ["textual", "typer", "rich.console", "keito_tui"]


def loaded_modules(*imports: str) -> set[str]:
    """The names in sys.modules after importing `imports` in a fresh interpreter."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {list(imports)!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout))


def offenders(modules: set[str], forbidden: list[str]) -> list[str]:
    """The modules that are, or live inside, one of the forbidden packages."""
    return sorted(
        name for name in modules
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    )


def test_import_keito_core_loads_no_terminal_code() -> None:
    """The issue's own check: `python -c "import keito_core"`."""
    modules = loaded_modules("keito_core")
    assert "keito_core" in modules
    assert offenders(modules, TERMINAL) == []


def test_core_models_services_and_storage_load_no_terminal_code() -> None:
    modules = loaded_modules(*CORE_MODULES)
    assert set(CORE_MODULES) <= modules
    assert offenders(modules, TERMINAL) == []


def test_command_line_starts_without_the_app_or_the_database_layer() -> None:
    """`keito --help` and friends must not pay for Textual, SQLModel or SQLAlchemy.

    The app loads only when it is opened; services (and so the ORM) are imported inside
    command functions. A failure names the modules that leaked; find the keito_tui.cli module
    that imports them at module level.
    """
    modules = loaded_modules("keito_tui.cli.main")
    assert "keito_tui.cli.main" in modules
    assert offenders(modules, ["textual", "sqlmodel", "sqlalchemy", "alembic"]) == []


def test_the_checker_sees_a_leak() -> None:
    """The subprocess probe really reports what an import loads."""
    modules = loaded_modules("keito_tui.cli.main", "sqlalchemy")
    assert offenders(modules, ["sqlalchemy"]) != []
