"""The wheel carries everything Keito needs at run time, and works away from the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Not part of a build: version control, environments, caches and earlier build output.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache",
    "*.db", "*.db-*",
)


def files_the_wheel_must_carry() -> set[str]:
    """Every migration and every app stylesheet in the checkout, as paths inside the wheel."""
    wanted = {"migrations/__init__.py", "migrations/env.py", "migrations/script.py.mako"}
    wanted |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "migrations/versions").glob("*.py")}
    wanted |= {p.relative_to(ROOT).as_posix() for p in (ROOT / "keito_tui").rglob("*.tcss")}
    return wanted


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of the tree, so no stale build/ output can leak into it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--no-index", "-q", "-w", str(work / "dist"), str(source)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (built,) = (work / "dist").glob("keito_tui-*.whl")
    return built


def test_wheel_carries_migrations_and_styles(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert any(n.startswith("migrations/versions/0001_") for n in names)
    assert files_the_wheel_must_carry() - names == set()
    assert not any(n.startswith("tests/") for n in names)


def test_wheel_declares_the_keito_command(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "keito = keito_tui.cli.launch:run" in text


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    """Install into a bare directory and run `keito init` from elsewhere: the migrations that
    build the database are the installed ones, not the checkout's."""
    site = tmp_path / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--target", str(site), str(wheel)],
        capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("KEITO_", "PYTHON"))
    }
    # -S skips site-packages (and the editable install's path hook): dependencies come from
    # this environment's site-packages, Keito itself only from the installed wheel.
    env["PYTHONPATH"] = os.pathsep.join([str(site), sysconfig.get_paths()["purelib"]])
    env["KEITO_HOME"] = str(tmp_path / "home")

    def keito(*args: str) -> subprocess.CompletedProcess[str]:
        code = "from keito_tui.cli.main import run; run()"
        return subprocess.run([sys.executable, "-S", "-c", code, "--json", *args], cwd=elsewhere,
                              env=env, capture_output=True, text=True, check=False)

    where = subprocess.run(
        [sys.executable, "-S", "-c",
         "import json, keito_core, keito_tui, migrations, keito_core.platform.db as db; "
         "print(json.dumps([keito_core.__file__, keito_tui.__file__, migrations.__file__, "
         "str(db.migrations_dir())]))"],
        cwd=elsewhere, env=env, capture_output=True, text=True, check=False,
    )
    assert where.returncode == 0, where.stderr
    for path in json.loads(where.stdout):
        assert Path(path).resolve().is_relative_to(site.resolve()), path

    created = keito("init", "--company", "Packaged Ltd", "--currency", "GBP", "--timezone", "UTC")
    assert created.returncode == 0, created.stderr
    assert json.loads(created.stdout)["workspace"]["name"] == "Packaged Ltd"
    company = keito("settings", "get", "company")
    assert company.returncode == 0, company.stderr
    assert json.loads(company.stdout)["value"] == "Packaged Ltd"
    assert (tmp_path / "home" / "data" / "keito.db").is_file()
