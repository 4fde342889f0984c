"""Only the workspace's owner may read it: under umask 022 Keito's directories are made 0700
and its files 0600 (the database and its -wal and -shm, receipts, config, credentials), and
opening a workspace an older Keito left readable tightens it."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from keito_core.fastpath.status import snapshot
from keito_core.platform import db
from keito_core.platform.cli_config import set_value
from keito_core.platform.config import Settings
from keito_core.platform.private_files import private_dir, write_private_text
from keito_core.platform.runtime import Runtime
from keito_core.platform.secrets import credentials_path, store_api_key
from keito_core.services.tracking.receipts import check_receipt, store_receipt

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The umask most machines run with: new directories 0755 and files 0644 unless told."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A KEITO_HOME-like layout whose database lives in the data directory (the default)."""
    home = tmp_path / "home"
    data = home / "data"
    return Settings(config_dir=home, data_dir=data, database_url=f"sqlite:///{data / 'keito.db'}")


def _open_and_write(runtime: Runtime) -> None:
    """Open the workspace (migrating a new one) and write, so the WAL and its index exist."""
    engine = runtime.engine(create=True)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
        conn.execute(sa.text("INSERT INTO scratch VALUES (1)"))


def test_a_new_workspace_is_private(settings: Settings) -> None:
    runtime = Runtime(settings=settings)
    try:
        _open_and_write(runtime)
        database = settings.sqlite_path
        assert database is not None
        assert mode(settings.data_dir) == 0o700
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            assert path.exists() and mode(path) == 0o600, path
    finally:
        runtime.engine().dispose()


def _loosen(settings: Settings) -> list[Path]:
    """Make a workspace as readable as an older Keito left it; its paths."""
    database = settings.sqlite_path
    assert database is not None
    settings.receipts_dir.mkdir(parents=True, exist_ok=True)
    settings.config_file.write_text("[defaults]\n", encoding="utf-8")
    engine = db.make_engine(settings.database_url)
    db.upgrade(engine)
    engine.dispose()
    paths = [settings.config_dir, settings.data_dir, settings.receipts_dir, settings.config_file,
             database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    for path in paths:
        path.touch(exist_ok=True)
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    return paths


def _private(paths: list[Path]) -> dict[str, int]:
    """The mode each path should have now; checked while SQLite holds the WAL open (closing
    the last connection removes the -wal and -shm files)."""
    return {str(p): 0o700 if p.is_dir() else 0o600 for p in paths}


def test_opening_an_existing_workspace_tightens_it(settings: Settings) -> None:
    paths = _loosen(settings)
    runtime = Runtime(settings=settings)
    try:
        with runtime.session() as session:
            session.execute(sa.text("SELECT 1"))
            assert {str(p): mode(p) for p in paths} == _private(paths)
    finally:
        runtime.engine().dispose()


def test_the_fast_status_path_tightens_it_too(settings: Settings) -> None:
    paths = _loosen(settings)
    with snapshot(Runtime(settings=settings)):
        assert {str(p): mode(p) for p in paths} == _private(paths)


def test_receipts_are_private(tmp_path: Path) -> None:
    source = tmp_path / "ticket.png"
    source.write_bytes(PNG)
    receipts = tmp_path / "data" / "receipts"
    relative = store_receipt(check_receipt(source), receipts_dir=receipts,
                             expense_id="exp_1", spent_date=date(2026, 3, 6))
    stored = receipts / relative
    assert stored.read_bytes() == PNG and mode(stored) == 0o600
    for directory in (receipts, receipts / "2026", receipts / "2026" / "03"):
        assert mode(directory) == 0o700, directory


def test_config_files_are_private(tmp_path: Path) -> None:
    config = tmp_path / "home" / "config.toml"
    set_value(config, "defaults.project", "acme")
    assert mode(config) == 0o600 and mode(config.parent) == 0o700
    config.chmod(0o644)
    set_value(config, "defaults.task", "development")
    assert mode(config) == 0o600
    assert "acme" in config.read_text() and "development" in config.read_text()


def test_a_key_stored_in_a_file_is_private(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("keito_core.platform.secrets._usable_keyring", lambda: None)
    home = tmp_path / "home"
    store_api_key("keito_sk_" + "x" * 32, config_dir=home)
    assert mode(credentials_path(home)) == 0o600 and mode(home) == 0o700


def test_private_dir_makes_missing_parents_private_and_leaves_others(tmp_path: Path) -> None:
    existing = tmp_path / "shared"
    existing.mkdir(mode=0o755)
    private_dir(existing / "a" / "b")
    assert mode(existing) == 0o755  # not Keito's: left alone
    assert mode(existing / "a") == 0o700 and mode(existing / "a" / "b") == 0o700


def test_write_private_text_replaces_a_readable_file_and_leaves_its_folder(
        tmp_path: Path) -> None:
    project = tmp_path / "project"  # where a .keito.toml goes: not Keito's folder
    project.mkdir(mode=0o755)
    path = project / ".keito.toml"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    write_private_text(path, "new")
    assert path.read_text(encoding="utf-8") == "new" and mode(path) == 0o600
    assert [p.name for p in project.iterdir()] == [".keito.toml"]
    assert mode(project) == 0o755
