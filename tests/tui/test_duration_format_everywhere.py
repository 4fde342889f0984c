"""Durations read in the workspace's format (decimal or h:mm) in the inbox and in Manage."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from settling import finish_workers
from textual.pilot import Pilot
from textual.widgets import Static

from keito_core.enums import Role
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.approvals.workflow import submit_timesheet
from keito_core.services.directory import clients, keys, project_team, projects, tasks, users
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import set_setting
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.inbox import InboxScreen
from keito_tui.app.screens.manage import ManageScreen
from keito_tui.app.screens.manage_actions import RecordList
from keito_tui.app.widgets.record_view import RecordView

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 6 March 2026
FORMATS = [("decimal", {"entry": "1.67 h", "capacity": "40.00", "budget": "12.50"}),
           ("hh:mm", {"entry": "1:40", "capacity": "40:00", "budget": "12:30"})]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def team(workspace, fmt: str) -> dict[str, str]:  # noqa: ANN001 - the conftest Workspace
    """Mia logs 1:40 on `acme` and submits the week; Max approves her; budgets of 12.5 hours."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        set_setting(s, actor=admin, key="duration_format", value=fmt, now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        project = projects.create_project(s, actor=admin, name="Acme Website",
                                          client_ref="Acme Corp", code="acme", now=NOW)
        tasks.create_task(s, actor=admin, name="Design", now=NOW)
        project_team.add_project_task(s, actor=admin, project_ref="acme", task_ref="Design",
                                      budget="12.5", now=NOW)
        mia = users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test", now=NOW)
        max_ = users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                 role=Role.MANAGER, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="acme", user_ref=mia.id,
                                   budget="12.5", now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=max_.id, add=[mia.id], now=NOW)
        max_key = keys.create_key(s, actor=admin, user_ref=max_.id, name="max", now=NOW)[1]
        mia_actor = workspace.actor(s, mia.id)
        log_time(s, actor=mia_actor, project_ref="acme", task_ref="Design", duration="1:40",
                 spent_date="2026-03-03", source="cli", now=NOW)
        submit_timesheet(s, actor=mia_actor, date_from="2026-03-02", date_to="2026-03-08",
                         now=NOW)
    return {"max_key": max_key, "project": project.id, "mia": mia.id}


@contextmanager
def runtime_with(api_key: str | None = None) -> Iterator[Runtime]:
    env = {**os.environ, **({"KEITO_API_KEY": api_key} if api_key else {})}
    rt = make_runtime(env, clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def column(app: KeitoApp, view: str, label: str) -> dict[str, str]:
    """Row ID -> the cell under `label` in the table `view` of the current screen."""
    table = app.screen.query_one(f"#{view}", RecordView).table
    index = [str(c.label) for c in table.columns.values()].index(label)
    return {str(key.value): str(table.get_row(key)[index]) for key in table.rows}


@pytest.mark.parametrize(("fmt", "shown"), FORMATS)
async def test_a_submission_notice_reads_in_the_workspaces_format(
        workspace, fmt: str, shown: dict[str, str]) -> None:  # noqa: ANN001
    keys_ = team(workspace, fmt)
    with runtime_with(keys_["max_key"]) as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await press(pilot, "i")
            assert isinstance(app.screen, InboxScreen)
            detail = str(app.screen.query_one("#inbox-detail", Static).render())
            assert f"{shown['entry']} in 1 time entry, 0 expenses" in detail


@pytest.mark.parametrize(("fmt", "shown"), FORMATS)
async def test_manage_shows_capacity_and_budgets_in_the_workspaces_format(
        workspace, fmt: str, shown: dict[str, str]) -> None:  # noqa: ANN001
    ids = team(workspace, fmt)
    with runtime_with() as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await press(pilot, "m")
            await press(pilot, "4")
            assert isinstance(app.screen, ManageScreen)
            assert set(column(app, "team", "Capacity").values()) == {shown["capacity"]}

            await press(pilot, "2")
            table = app.screen.query_one("#projects", RecordView).table
            table.move_cursor(row=table.get_row_index(ids["project"]))
            await press(pilot, "t")
            assert isinstance(app.screen, RecordList)
            assert column(app, "sub-list", "Budget")[ids["mia"]] == shown["budget"]
            await press(pilot, "escape")
            await press(pilot, "k")
            assert set(column(app, "sub-list", "Budget").values()) == {shown["budget"]}
