"""Real processes racing on a real database, for the race tests (timers, invoices, budget
alerts): a fixture that gives an empty database on SQLite and on PostgreSQL, and a runner
that forks processes which connect, wait behind one barrier, then each do their work in one
transaction at the same moment.

A test module takes the fixture by name (`race_url = races.race_url`), builds its workspace
with an engine it disposes before the race (no connection of the parent's crosses the fork)
and calls `race(race_url, work)`.
"""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BACKEND, create_postgres_database, drop_postgres_database

from keito_core.errors import KeitoError
from keito_core.models import User
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.rules.permissions import Actor

PROCESSES = 8
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: What a process reports: ("done", the work's value), ("refused", code, message) for a
#: KeitoError, or ("crashed", the traceback) for anything else.
Outcome = tuple[Any, ...]
Work = Callable[[Any, int], Any]


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


def acting(session: Any, user_id: str) -> Actor:
    """The policy's actor for this user, read in the process's own session."""
    return actor_for(session, session.get(User, user_id))


def _in_a_process(url: str, work: Work, n: int, barrier: Any, results: Any) -> None:
    """One process: connect, wait for the others, do `work(session, n)` in one transaction;
    report the outcome."""
    outcome: Outcome
    engine = db.make_engine(url)
    try:
        with engine.connect():
            pass
        barrier.wait(timeout=60)
        with db.transaction(engine) as s:
            done = work(s, n)
        outcome = ("done", done)
    except KeitoError as error:
        outcome = ("refused", error.code, error.message)
    except BaseException:  # noqa: BLE001 - reported to the test, which fails on it
        outcome = ("crashed", traceback.format_exc())
    finally:
        engine.dispose()
    results.put((n, outcome))


def race(url: str, work: Work, *, processes: int = PROCESSES,
         timeout: float = 120) -> dict[int, Outcome]:
    """Run `work(session, n)` in `processes` forked processes released together; each
    process's outcome by its number n. Fails when a process crashed or exited badly."""
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_in_a_process, args=(url, work, n, barrier, results))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    outcomes: dict[int, Outcome] = dict(results.get(timeout=timeout) for _ in workers)
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    assert not [o for o in outcomes.values() if o[0] == "crashed"], outcomes
    return outcomes


def member_with_a_key(url: str, *, now: Any) -> dict[str, str]:
    """A workspace with project `race` and member Rae on its team, and Rae's API key."""
    from keito_core.services.directory import clients, projects, tasks, users
    from keito_core.services.directory.keys import create_key
    from keito_core.services.directory.project_team import add_project_task, assign_member
    from keito_core.services.workspace.setup import init_workspace
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        workspace, admin_user = init_workspace(
            s, company="Acme", currency="GBP", timezone="Europe/London",
            admin_name="Ada Admin", admin_email="ada@acme.test", now=now)
        admin = actor_for(s, admin_user)
        clients.create_client(s, actor=admin, name="Acme Corp", now=now)
        project = projects.create_project(s, actor=admin, name="Race", client_ref="Acme Corp",
                                          code="race", now=now)
        rae = users.create_user(s, actor=admin, name="Rae Racer", email="rae@acme.test",
                                now=now)
        assign_member(s, actor=admin, project_ref=project.id, user_ref=rae.id, now=now)
        task = tasks.create_task(s, actor=admin, name="Development", now=now)
        add_project_task(s, actor=admin, project_ref=project.id, task_ref=task.id, now=now)
        _, secret = create_key(s, actor=admin, user_ref=rae.id, name="race", now=now)
        ids = {"account": workspace.id, "user": rae.id, "project": project.id,
               "task": task.id, "key": secret}
    engine.dispose()
    return ids
