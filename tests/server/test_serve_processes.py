"""Several `keito serve` processes on one database, as behind one proxy (docs/server.md).

Two programs serve the same database (a SQLite file in WAL mode; a PostgreSQL database); ten
clients, alternating between them, start a timer for one user at once. Exactly one start wins,
the nine others answer 409, and one running entry is written; then each process sees what the
other wrote.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import races
from live import live_server, start_timers_at_once
from sqlmodel import select

from keito_core.models import TimeEntry
from keito_core.platform import db

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
CLIENTS = 10
race_url = races.race_url


def test_two_processes_one_database_one_running_timer(
        race_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = races.member_with_a_key(race_url, now=NOW)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KEITO_HOME", str(home))
    monkeypatch.setenv("KEITO_DATABASE_URL", race_url)
    headers = {"Authorization": f"Bearer {ids['key']}", "Keito-Account-Id": ids["account"]}
    with live_server() as first, live_server() as second:
        urls = [first.base_url, second.base_url]
        assert urls[0] != urls[1]
        answers, failures = start_timers_at_once(urls, headers, ids, CLIENTS)
        assert failures == []
        assert sorted(status for status, _ in answers.values()) == (
            [200] + [409] * (CLIENTS - 1)), answers
        winner = next(body for status, body in answers.values() if status == 200)
        # Each process answers with what the other wrote.
        for url in urls:
            running = httpx.get(f"{url}/api/v2/time_entries", headers=headers,
                                params={"is_running": "true"}, timeout=30).json()
            assert [e["id"] for e in running["time_entries"]] == [winner["id"]]
    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        rows = [(e.id, e.is_running) for e in s.exec(
            select(TimeEntry).where(TimeEntry.user_id == ids["user"])).all()]
    engine.dispose()
    assert rows == [(winner["id"], True)]
