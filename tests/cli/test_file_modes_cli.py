"""`keito init` and `keito config` under the usual umask leave nothing other users can read."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_init_makes_a_private_workspace(cli, keito_home: Path) -> None:
    own_database = {"KEITO_DATABASE_URL": None}  # the default file under KEITO_HOME/data
    made = cli("init", "--company", "Acme", "--currency", "GBP", "--timezone", "Europe/London",
               "--name", "Ada", "--email", "ada@acme.test", env=own_database)
    assert made.exit_code == 0, made
    data = keito_home / "data"
    assert mode(data) == 0o700
    assert [(p.name, mode(p)) for p in sorted(data.glob("keito.db*"))] == [
        (p.name, 0o600) for p in sorted(data.glob("keito.db*"))]
    assert (data / "keito.db").exists()

    assert cli("config", "set", "defaults.project", "acme", env=own_database).exit_code == 0
    assert mode(keito_home / "config.toml") == 0o600
