"""SVG snapshots of the main views at a fixed size, on one workspace with a frozen clock.

The pictures live in tests/tui/__snapshots__/; after a deliberate change to a view, look at the
new pictures and accept them with `pytest tests/tui/test_snapshots.py --snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from settling import finish_workers
from textual.pilot import Pilot

from keito_core.enums import Role, UserType
from keito_core.models import Client, Project, ProjectMember, ProjectTask, Task, User
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.approvals import workflow as approvals
from keito_core.services.tracking import expenses, time_entries, timers
from keito_tui.app.keito_app import KeitoApp

#: A Thursday afternoon; Europe/London is on GMT in March, so local time is UTC.
NOW = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
MONDAY = date(2026, 3, 2)
SIZE = (100, 30)


@pytest.fixture
def runtime(keito_home: Path, team: dict[str, str]) -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


@pytest.fixture
def team(workspace) -> dict[str, str]:  # noqa: ANN001 - the conftest Workspace
    """Two clients, three projects, a member and an agent, a week of work and a submission."""
    ids = {name: new_id(kind) for name, kind in (
        ("initech", "client"), ("globex", "client"), ("website", "project"),
        ("audit", "project"), ("support", "project"), ("design", "task"), ("review", "task"),
        ("member", "user"), ("agent", "user"),
    )}
    with workspace.session() as s:
        ws = s.get(WorkspaceRow, workspace.workspace_id)
        ws.feature_approvals = True
        s.add(ws)
        s.add(Client(id=ids["initech"], name="Initech", currency="GBP"))
        s.add(Client(id=ids["globex"], name="Globex", currency="GBP"))
        s.add(Task(id=ids["design"], name="Design", handle="design"))
        s.add(Task(id=ids["review"], name="Code review", handle="review"))
        s.add(User(id=ids["member"], name="Milton Member", email="milton@acme.test",
                   role=Role.MEMBER))
        s.add(User(id=ids["agent"], name="Claude Reviewer", email="claude@agents.keito.local",
                   role=Role.MEMBER, user_type=UserType.AGENT))
        s.flush()
        for project, client, name in (("website", "initech", "Website"),
                                      ("audit", "globex", "Security audit"),
                                      ("support", "initech", "Support")):
            s.add(Project(id=ids[project], client_id=ids[client], name=name, handle=project))
        s.flush()
        for project in ("website", "audit", "support"):
            for task in ("design", "review"):
                s.add(ProjectTask(id=new_id("project_task"), project_id=ids[project],
                                  task_id=ids[task]))
            for user in ("member", "agent"):
                s.add(ProjectMember(id=new_id("project_member"), project_id=ids[project],
                                    user_id=ids[user]))
    _work(workspace, ids)
    return ids


def _work(workspace, ids: dict[str, str]) -> None:  # noqa: ANN001
    """The administrator's week (human, CLI and agent entries, a running timer, an expense)
    and the member's submitted week."""
    plan = [  # (day offset, project, task, hours, notes, source)
        (0, "website", "design", "2.5", "Homepage wireframes", "tui"),
        (0, "audit", "review", "1:15", "Threat model", "cli"),
        (1, "website", "design", "3", "Design review with client", "tui"),
        (2, "audit", "review", "4", None, "agent"),
        (3, "website", "design", "1.5", "Style guide", "tui"),
        (3, "support", "review", "0.75", "Ticket triage", "cli"),
        (3, "audit", "review", "2", "Dependency scan", "agent"),
    ]
    with workspace.session() as s:
        admin = workspace.actor(s)
        for offset, project, task, hours, notes, source in plan:
            time_entries.log_time(s, actor=admin, project_ref=project, task_ref=task,
                                  duration=hours, spent_date=MONDAY + timedelta(days=offset),
                                  notes=notes, source=source, now=NOW)
        timers.start_timer(s, actor=admin, project_ref="website", task_ref="design",
                           notes="Checkout flow", source="tui", now=NOW - timedelta(minutes=42))
        expenses.log_expense(s, actor=admin, project_ref="audit", category_ref="LLM Usage",
                             quantity="45", spent_date=MONDAY + timedelta(days=3),
                             notes="Claude tokens for the scan", source="agent", now=NOW)
    with workspace.session() as s:
        member = workspace.actor(s, ids["member"])
        for offset in range(4):
            time_entries.log_time(s, actor=member, project_ref="website", task_ref="design",
                                  duration="7.5", spent_date=MONDAY + timedelta(days=offset),
                                  notes=None if offset == 2 else "Build pages",
                                  source="tui", now=NOW)
        approvals.submit_timesheet(s, actor=member, date_from=MONDAY,
                                   date_to=MONDAY + timedelta(days=6), now=NOW)


async def _settle(pilot: Pilot) -> None:
    """Let every worker finish and its messages be handled; fail rather than take a picture
    of a view still reading."""
    for _ in range(30):
        await finish_workers(pilot.app)
        await pilot.pause()
        if all(worker.is_finished for worker in pilot.app.workers):
            return
    raise AssertionError("workers did not settle")


def opened(mode: str | None) -> Callable[[Pilot], object]:
    """Before the picture: let the workspace open, switch to `mode`, let its read finish."""

    async def run_before(pilot: Pilot) -> None:
        await _settle(pilot)
        if mode is not None:
            await pilot.press(mode)
            await _settle(pilot)

    return run_before


@pytest.mark.parametrize(("key", "view"), [
    (None, "day"),
    ("w", "week"),
    ("e", "expenses"),
    ("a", "approvals"),
    ("i", "inbox"),
    ("m", "manage"),
    ("s", "settings"),
])
def test_main_view(snap_compare, runtime: Runtime, key: str | None, view: str) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    assert snap_compare(app, terminal_size=SIZE, run_before=opened(key))
    assert app.current_mode == view


def test_day_view_at_80_by_24(snap_compare, runtime: Runtime) -> None:  # noqa: ANN001
    assert snap_compare(KeitoApp(runtime), terminal_size=(80, 24), run_before=opened(None))


def test_week_grid_at_80_by_24(snap_compare, runtime: Runtime) -> None:  # noqa: ANN001
    assert snap_compare(KeitoApp(runtime), terminal_size=(80, 24), run_before=opened("w"))
