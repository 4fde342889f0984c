"""A database failure inside a command ends as the core's KeitoError: a message and an exit
code, never a traceback."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy.exc as sa_exc

from keito_core.services.directory import clients


@pytest.mark.parametrize(("failure", "exit_code", "code"), [
    (sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE failed")), 3,
     "conflict"),
    (sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")), 3,
     "conflict"),
    (sa_exc.OperationalError("INSERT", {}, sqlite3.OperationalError("disk I/O error")), 8,
     "config_error"),
])
def test_database_failures_become_errors(cli, workspace, monkeypatch, failure, exit_code, code):
    def fail(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise failure

    monkeypatch.setattr(clients, "create_client", fail)
    result = cli("client", "add", "Acme Corp")
    assert (result.exit_code, result.error["code"]) == (exit_code, code)
    assert "Traceback" not in result.stderr
