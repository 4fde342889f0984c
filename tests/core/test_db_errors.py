"""Database failures become KeitoErrors in the core, so interfaces never handle the driver's."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy.exc as sa_exc

from keito_core.platform.db_errors import database_error


def _wrapped(kind: type[sa_exc.DBAPIError], message: str) -> sa_exc.DBAPIError:
    return kind("INSERT ...", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(("exc", "code", "message"), [
    (_wrapped(sa_exc.IntegrityError, "UNIQUE constraint failed: users.email"), "conflict",
     "the change conflicts with existing data"),
    (_wrapped(sa_exc.OperationalError, "database is locked"), "conflict",
     "the database stayed busy; try again"),
    (_wrapped(sa_exc.OperationalError, "unable to open database file"), "config_error",
     "database error: unable to open database file"),
])
def test_failures_people_can_act_on(exc: BaseException, code: str, message: str) -> None:
    error = database_error(exc)
    assert error is not None and (error.code, error.message) == (code, message)


def test_the_integrity_errors_first_line_is_the_hint() -> None:
    error = database_error(_wrapped(sa_exc.IntegrityError, "UNIQUE failed: x\nmore"))
    assert error is not None and error.hint == "UNIQUE failed: x"


@pytest.mark.parametrize("exc", [ValueError("bug"), sa_exc.ArgumentError("bad URL")])
def test_anything_else_is_left_a_bug(exc: BaseException) -> None:
    assert database_error(exc) is None
