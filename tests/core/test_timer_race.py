"""One running timer per user, with real processes racing on a real database: several
processes start a timer for the same user at the same moment (behind a barrier), on SQLite and
on PostgreSQL. Each start either succeeds, stopping the timer that ran before it, or is refused
with `conflict` (never on SQLite, whose writers queue); exactly one timer is left running."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import BACKEND, create_postgres_database, drop_postgres_database
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import TimeEntry, User
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.timers import start_timer
from keito_core.services.workspace.setup import init_workspace

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
PROCESSES = 8
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def race_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at the head schema on the parametrised backend (the suite's own
    database when it is that backend's)."""
    if request.param == BACKEND:
        yield request.getfixturevalue("db_url")
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
        admin_url, name = None, None
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        name = f"keito_race_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"
        url = create_postgres_database(admin_url, name)
    engine = db.make_engine(url)
    db.upgrade(engine)
    engine.dispose()
    yield url
    if admin_url and name:
        drop_postgres_database(admin_url, name)


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


def _start_in_a_process(url: str, user_id: str, project_id: str, n: int,
                        barrier: Any, results: Any) -> None:
    """One process: connect, wait for the others, start Rae's timer; report the outcome."""
    outcome: tuple[Any, ...]
    engine = db.make_engine(url)
    try:
        with engine.connect():
            pass
        barrier.wait(timeout=60)
        with db.transaction(engine) as s:
            started = start_timer(s, actor=actor_for(s, s.get(User, user_id)),
                                  project_ref=project_id, notes=f"process {n}", source="cli",
                                  now=NOW)
            ids = started.entry.id, started.stopped.id if started.stopped else None
        outcome = ("started", *ids)
    except KeitoError as error:
        outcome = ("refused", error.code, error.message)
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        outcome = ("crashed", traceback.format_exc())
    finally:
        engine.dispose()
    results.put((n, outcome))


def test_processes_racing_to_start_a_timer_leave_exactly_one_running(race_url: str) -> None:
    user_id, project_id = _member_on_a_project(race_url)
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_start_in_a_process,
                               args=(race_url, user_id, project_id, n, barrier, results))
               for n in range(PROCESSES)]
    for worker in workers:
        worker.start()
    outcomes = dict(results.get(timeout=60) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    started = {n: o[1:] for n, o in outcomes.items() if o[0] == "started"}
    refused = {n: o[1:] for n, o in outcomes.items() if o[0] != "started"}
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
