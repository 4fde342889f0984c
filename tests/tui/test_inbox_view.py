"""The Inbox view, driven with keys through Textual's pilot on a real workspace."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from settling import finish_workers
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from keito_core.enums import Role
from keito_core.models import Notification
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.approvals.workflow import submit_timesheet
from keito_core.services.directory import clients, keys, project_team, projects, users
from keito_core.services.inbox.notifications import notify
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import set_setting
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.approval_detail import ApprovalDetailScreen, NoteDialog
from keito_tui.app.screens.inbox import InboxScreen, InboxTable

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 6 March 2026
SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def team(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Approvals on; Mia (member) on project `acme`, managed by Max; API keys for both."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        projects.create_project(s, actor=admin, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        mia = users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test", now=NOW)
        max_ = users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                 role=Role.MANAGER, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="acme", user_ref=mia.id, now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=max_.id, add=[mia.id], now=NOW)
        api_keys = {who: keys.create_key(s, actor=admin, user_ref=u.id, name=who, now=NOW)[1]
                    for who, u in (("mia", mia), ("max", max_))}
    return SimpleNamespace(ws=workspace, keys=api_keys, mia=mia.id, max=max_.id)


@contextmanager
def runtime_as(team, who: str) -> Iterator[Runtime]:  # noqa: ANN001
    env = {**os.environ, "KEITO_API_KEY": team.keys[who]}
    rt = make_runtime(env, clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


def tell(team, who: str, title: str, *, minutes_ago: int, kind: str = "timesheet_reminder",
         body: str | None = None) -> str:  # noqa: ANN001
    """Write one notification for a member, `minutes_ago` before NOW."""
    with team.ws.session() as s:
        [row] = notify(s, user_ids=[getattr(team, who)], kind=kind, title=title, body=body,
                       now=NOW - timedelta(minutes=minutes_ago))
        return row.id


def unread_ids(team, who: str) -> set[str]:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        return set(s.exec(select(Notification.id).where(
            Notification.user_id == getattr(team, who), Notification.read_at.is_(None))).all())


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def open_inbox(pilot: Pilot) -> InboxScreen:
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, InboxScreen)
    return screen


def rows(screen: InboxScreen) -> list[str]:
    table = screen.query_one(InboxTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_newest_first_unread_marked_and_counted_in_the_title(team) -> None:  # noqa: ANN001
    older = tell(team, "mia", "Submit your timesheet", minutes_ago=90)
    newer = tell(team, "mia", "Your timesheet was approved", minutes_ago=5,
                 kind="timesheet_approved", body="thanks")
    with runtime_as(team, "mia") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_inbox(pilot)
            listed = rows(screen)
            assert "approved" in listed[0] and "Submit your" in listed[1]
            assert all(r.startswith("●") for r in listed)
            assert "Approved" in listed[0] and "Reminder" in listed[1]
            assert "Fri 06 Mar 14:25" in listed[0]  # London time, GMT in March
            assert screen.title.endswith("Inbox (2 unread)")
            assert "thanks" in str(screen.query_one("#inbox-detail", Static).render())

            await pilot.press("space")  # marks the newest read, moves down
            await settle(pilot)
            assert unread_ids(team, "mia") == {older}
            assert not rows(screen)[0].startswith("●") and rows(screen)[1].startswith("●")
            assert screen.title.endswith("Inbox (1 unread)")

            await pilot.press("u")  # unread only
            await settle(pilot)
            assert len(rows(screen)) == 1 and "Submit your" in rows(screen)[0]
            await pilot.press("u")
            await settle(pilot)
            assert len(rows(screen)) == 2

            await pilot.press("R")  # read all
            await settle(pilot)
            assert unread_ids(team, "mia") == set()
            assert screen.title.endswith("· Inbox")
            assert "0 unread" in str(screen.query_one("#inbox-title", Static).render())
    assert newer not in unread_ids(team, "mia")


async def test_enter_opens_a_submission_in_approvals_and_the_decision_reaches_the_member(
        team) -> None:  # noqa: ANN001
    with runtime_as(team, "mia") as rt, rt.session() as s:
        actor = rt.actor(s)
        log_time(s, actor=actor, project_ref="acme", duration="2", spent_date="2026-03-03",
                 notes="build", source="cli", now=NOW)
        sub_id = submit_timesheet(s, actor=actor, date_from="2026-03-02", date_to="2026-03-08",
                                  now=NOW).submission.id
    with runtime_as(team, "max") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_inbox(pilot)
            assert len(rows(screen)) == 1
            assert "Mia Member submitted a timesheet" in rows(screen)[0]
            await pilot.press("enter")
            await settle(pilot)
            assert app.current_mode == "approvals"
            detail = app.screen
            assert isinstance(detail, ApprovalDetailScreen)
            assert detail.submission_id == sub_id
            assert unread_ids(team, "max") == set()
            await pilot.press("y")
            await settle(pilot)
            assert isinstance(app.screen, NoteDialog)
            await pilot.press("enter")
            await settle(pilot)
            assert "approved" in str(detail.query_one("#detail-summary", Static).render())
            await pilot.press("i")
            await settle(pilot)
            assert app.screen is screen
            assert not rows(screen)[0].startswith("●")
    with runtime_as(team, "mia") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_inbox(pilot)
            assert len(rows(screen)) == 1
            assert "Approved" in rows(screen)[0] and "was approved" in rows(screen)[0]
            detail_line = str(screen.query_one("#inbox-detail", Static).render())
            assert "was approved by Max Manager" in detail_line
            assert screen.title.endswith("(1 unread)")
            await pilot.press("enter")  # opens Mia's own submission
            await settle(pilot)
            assert isinstance(app.screen, ApprovalDetailScreen)
            assert unread_ids(team, "mia") == set()


async def test_an_empty_inbox_says_so_and_the_footer_fits_80_columns(team) -> None:  # noqa: ANN001
    with runtime_as(team, "mia") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_inbox(pilot)
            assert rows(screen) == []
            empty = str(screen.query_one("#inbox-empty", Static).render())
            assert "No notifications yet" in empty
            await pilot.press("R")
            assert "Nothing unread." in [str(n.message) for n in app._notifications]
            shown = app.screen.query(FooterKey)
            assert shown and all(k.region.right <= 80 for k in shown)
            assert {"R", "u"} <= {k.key_display for k in shown}
