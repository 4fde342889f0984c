"""One running timer per user over HTTP, with real concurrency: the API v2 app served by uvicorn
in a background thread on a free 127.0.0.1 port, and ten clients (threads, behind one barrier)
POSTing `is_running: true` for the same user at once, on SQLite and on PostgreSQL. Without
`replace_running` exactly one start wins (200) and the nine others answer 409 conflict; one
entry is written and it is running. On PostgreSQL the losers are refused by the database's
one-running-timer index (their check found no timer yet); on SQLite writers queue and each
later start finds the winner's timer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import races
from live import start_timers_at_once
from sqlmodel import select

from keito_core.models import TimeEntry
from keito_core.platform import db

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
CLIENTS = 10
#: The fixture: an empty database at the head schema, on SQLite and on PostgreSQL.
race_url = races.race_url


class ServedApp:
    """The API v2 app under uvicorn in a thread, on a port the OS chose."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                                lifespan="off", access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        started = threading.Event()
        for _ in range(600):
            if self.server.started:
                started.set()
                break
            if not self.thread.is_alive():
                break
            threading.Event().wait(0.05)
        assert started.is_set(), "uvicorn did not start"
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "uvicorn did not stop"


@pytest.fixture
def served(race_url: str, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, str]]]:
    """(the base URL, the workspace's IDs and Rae's key) of the app over the race database."""
    from keito_core.platform.runtime import make_runtime
    from keito_core.server.app import create_app
    from keito_core.server.limits import RateLimit

    ids = races.member_with_a_key(race_url, now=NOW)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KEITO_HOME", str(home))
    monkeypatch.setenv("KEITO_DATABASE_URL", race_url)
    monkeypatch.delenv("KEITO_API_KEY", raising=False)
    runtime = make_runtime(clock=lambda: NOW)
    app = create_app(runtime, limit=RateLimit(per_minute=0, per_day=0))
    with ServedApp(app) as base_url:
        yield base_url, ids


def test_ten_clients_starting_a_timer_at_once_leave_exactly_one_running(
        served: tuple[str, dict[str, str]], race_url: str) -> None:
    base_url, ids = served
    headers = {"Authorization": f"Bearer {ids['key']}", "Keito-Account-Id": ids["account"]}
    answers, failures = start_timers_at_once([base_url], headers, ids, CLIENTS)
    assert failures == []
    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200] + [409] * (CLIENTS - 1), answers
    winner = next(body for status, body in answers.values() if status == 200)
    assert (winner["is_running"], winner["user_id"], winner["source"]) == (
        True, ids["user"], "agent")
    for status, body in answers.values():
        if status == 409:
            assert (body["error"], body["code"], body["field"]) == (
                "conflict", "conflict", "timer"), body
            assert body["error_description"] == "a timer is already running"

    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        rows = [(e.id, e.is_running, e.notes) for e in s.exec(
            select(TimeEntry).where(TimeEntry.user_id == ids["user"])).all()]
    engine.dispose()
    assert rows == [(winner["id"], True, winner["notes"])]
