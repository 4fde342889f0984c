"""One running timer per user, with real processes racing on a real database: several
processes start a timer for the same user at the same moment (behind a barrier), on SQLite and
on PostgreSQL. Each start either succeeds, stopping the timer that ran before it, or is refused
with `conflict` (never on SQLite, whose writers queue); exactly one timer is left running."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import races
from sqlmodel import select

from keito_core.models import TimeEntry
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.timers import start_timer
from keito_core.services.workspace.setup import init_workspace

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
#: The fixture: an empty database at the head schema, on SQLite and on PostgreSQL.
race_url = races.race_url


def _member_on_a_project(url: str) -> tuple[str, str]:
    """A workspace with project `race` and member Rae on its team: (Rae's ID, the project's)."""
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        _, admin_user = init_workspace(s, company="Acme", currency="GBP",
                                       timezone="Europe/London", admin_name="Ada Admin",
                                       admin_email="ada@acme.test", now=NOW)
        admin = actor_for(s, admin_user)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        project = projects.create_project(s, actor=admin, name="Race", client_ref="Acme Corp",
                                          code="race", now=NOW)
        rae = users.create_user(s, actor=admin, name="Rae Racer", email="rae@acme.test", now=NOW)
        assign_member(s, actor=admin, project_ref=project.id, user_ref=rae.id, now=NOW)
        ids = rae.id, project.id
    engine.dispose()  # no connection of the parent's crosses the fork
    return ids


def test_processes_racing_to_start_a_timer_leave_exactly_one_running(race_url: str) -> None:
    user_id, project_id = _member_on_a_project(race_url)

    def start(s: Any, n: int) -> tuple[str, str | None]:
        started = start_timer(s, actor=races.acting(s, user_id), project_ref=project_id,
                              notes=f"process {n}", source="cli", now=NOW)
        return started.entry.id, started.stopped.id if started.stopped else None

    outcomes = races.race(race_url, start)
    started = {n: o[1] for n, o in outcomes.items() if o[0] == "done"}
    refused = {n: o[1:] for n, o in outcomes.items() if o[0] != "done"}
    assert set(refused.values()) <= {("conflict", "a timer is already running")}, refused
    assert started
    if race_url.startswith("sqlite"):
        # SQLite queues writers (BEGIN IMMEDIATE): each start sees the timer started before it.
        assert refused == {}

    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        entries = {e.id: e.is_running for e in s.exec(
            select(TimeEntry).where(TimeEntry.user_id == user_id)).all()}
    engine.dispose()
    running = [entry for entry, is_running in entries.items() if is_running]
    assert len(running) == 1, entries
    # Every start that succeeded stopped the timer running before it (the first stopped none),
    # so the saved entries form one chain ending in the running one.
    new_ids = sorted(entry for entry, _ in started.values())
    stopped = [previous for _, previous in started.values() if previous is not None]
    assert sorted(entries) == new_ids
    assert sorted([*stopped, *running]) == new_ids
