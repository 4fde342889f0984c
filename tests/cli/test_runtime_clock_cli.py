"""The time and expense commands take the instant from the runtime's clock, never the wall
clock: what `is_locked` says is decided at the runtime's `now`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keito_core.platform import runtime

#: Years before the wall clock: an entry of that week is locked by the wall clock's date.
RUNTIME_NOW = datetime(2020, 1, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def runtime_clock(monkeypatch):
    """Every runtime the command line makes reads RUNTIME_NOW."""
    real = runtime.make_runtime

    def make(env=None, *, clock=None):  # noqa: ANN001, ANN202 - the same signature
        return real(env, clock=clock or (lambda: RUNTIME_NOW))

    monkeypatch.setattr(runtime, "make_runtime", make)


def ok(cli, *args: str) -> dict:
    result = cli(*args)
    assert result.exit_code == 0, (args, result)
    return result.json


def test_locks_are_decided_at_the_runtimes_now(cli, workspace, runtime_clock):
    ok(cli, "client", "add", "Acme Corp")
    ok(cli, "project", "add", "Acme Website", "--client", "Acme Corp", "--code", "acme")
    ok(cli, "settings", "set", "lock_after_days", "7")
    entry = ok(cli, "time", "log", "--project", "acme", "--hours", "1", "--date", "2020-01-06")
    expense = ok(cli, "expense", "log", "--project", "acme", "--category", "LLM Usage",
                 "--quantity", "10", "--date", "2020-01-06")
    assert entry["is_locked"] is False and expense["is_locked"] is False
    assert ok(cli, "time", "show", entry["id"])["is_locked"] is False
    listed = ok(cli, "time", "list", "--date", "2020-01-06")["data"]
    assert [e["is_locked"] for e in listed] == [False]
    [shown] = ok(cli, "expense", "list", "--date", "2020-01-06")["data"]
    assert shown["is_locked"] is False
