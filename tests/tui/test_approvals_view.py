"""The Approvals view (the approval queue) and its drill-in, driven with keys through Textual's
pilot on a real workspace, acting as different users by API key."""

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
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ManagerPermission, Role
from keito_core.models import Submission, TimeEntry, User
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.approvals.workflow import approve_submissions, submit_timesheet
from keito_core.services.directory import clients, keys, project_team, projects, users
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import set_setting
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.approval_detail import (
    ApprovalDetailScreen,
    ItemTable,
    NoteDialog,
    period_label,
)
from keito_tui.app.screens.approvals import ApprovalsScreen
from keito_tui.app.screens.dialogs import DateDialog

pytestmark = pytest.mark.anyio

#: Friday 6 March 2026; this week (Monday start) is 2-8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def team(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Approvals on. Mia (member) on project `acme`, the agent Bot on project `bots`. Max
    manages Mia (teammate) and the `bots` project, and may withdraw approvals; Pam manages Mia
    without that permission; Nora manages nobody. Everyone has an API key."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        for name, code in (("Acme Website", "acme"), ("Review Bots", "bots")):
            projects.create_project(s, actor=admin, name=name, client_ref="Acme Corp",
                                    code=code, now=NOW)
        made = {
            "mia": users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test",
                                     now=NOW),
            "bot": users.create_user(s, actor=admin, name="review-bot", agent=True, now=NOW),
            "max": users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                     role=Role.MANAGER, now=NOW),
            "pam": users.create_user(s, actor=admin, name="Pam Manager", email="pam@acme.test",
                                     role=Role.MANAGER, now=NOW),
            "nora": users.create_user(s, actor=admin, name="Nora Manager",
                                      email="nora@acme.test", role=Role.MANAGER, now=NOW),
        }
        project_team.assign_member(s, actor=admin, project_ref="acme", user_ref=made["mia"].id,
                                   now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="bots", user_ref=made["bot"].id,
                                   now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="bots", user_ref=made["max"].id,
                                   manager=True, now=NOW)
        for manager in ("max", "pam"):
            users.set_teammates(s, actor=admin, manager_ref=made[manager].id,
                                add=[made["mia"].id], now=NOW)
        s.get(User, made["max"].id).manager_permissions = [
            ManagerPermission.WITHDRAW_APPROVALS.value]
        api_keys = {who: keys.create_key(s, actor=admin, user_ref=u.id, name=who, now=NOW)[1]
                    for who, u in made.items()}
    return SimpleNamespace(ws=workspace, keys=api_keys, **{w: u.id for w, u in made.items()})


@contextmanager
def runtime_as(team, who: str) -> Iterator[Runtime]:  # noqa: ANN001
    """A runtime acting as one of the team (by API key), or as the administrator, at NOW."""
    env = dict(os.environ)
    if who != "admin":
        env["KEITO_API_KEY"] = team.keys[who]
    rt = make_runtime(env, clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


def log(team, who: str, hours: str, day: str, *, notes: str | None = "work",  # noqa: ANN001
        project: str = "acme", source: str = "cli") -> str:
    """Log time for a member (as the administrator)."""
    with team.ws.session() as s:
        return log_time(s, actor=team.ws.actor(s), project_ref=project, duration=hours,
                        spent_date=day, notes=notes, source=source, now=NOW,
                        user_ref=getattr(team, who)).id


def submit(team, who: str) -> str:  # noqa: ANN001
    """Submit this week of a member's time through the service (as that member)."""
    with runtime_as(team, who) as rt, rt.session() as s:
        return submit_timesheet(s, actor=rt.actor(s), date_from="2026-03-02",
                                date_to="2026-03-08", now=NOW).submission.id


@pytest.fixture
def week(team):  # noqa: ANN001, ANN201
    """Mia and the agent each have a submitted week: Mia's has an entry without notes, the
    agent's a long day of agent time."""
    log(team, "mia", "3", "2026-03-02", notes="build")
    log(team, "mia", "1", "2026-03-03", notes=None, source="tui")
    log(team, "bot", "11", "2026-03-03", notes="review", project="bots", source="agent")
    return SimpleNamespace(mia=submit(team, "mia"), bot=submit(team, "bot"))


def submission(team, submission_id: str) -> Submission:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        row = s.get(Submission, submission_id)
        s.expunge(row)
        return row


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def open_queue(pilot: Pilot) -> ApprovalsScreen:
    await settle(pilot)
    await pilot.press("a")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ApprovalsScreen)
    return screen


def rows(screen: ApprovalsScreen) -> list[str]:
    """Each row of the queue as one line of text."""
    table = screen.query_one("#queue", ItemTable)
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def select_row(pilot: Pilot, screen: ApprovalsScreen, text: str) -> None:
    """Move the cursor down to the row holding `text`, with the arrow keys."""
    table = screen.query_one("#queue", ItemTable)
    await pilot.press("home")
    for _ in range(table.row_count):
        if text in rows(screen)[table.cursor_row]:
            return
        await pilot.press("down")
    raise AssertionError(f"no row holds {text!r}: {rows(screen)}")


def notices(app: KeitoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def answer(pilot: Pilot, text: str) -> None:
    """Type into the open note dialog, then Enter; wait for the save."""
    assert isinstance(pilot.app.screen, NoteDialog)
    if text:
        await pilot.press(*text)
    await pilot.press("enter")
    await settle(pilot)


def text_of(app: KeitoApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


# --- the done-when flow ---------------------------------------------------------------------


async def test_manager_approves_one_submission_and_rejects_the_other_with_a_reason(
        team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "max") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            listed = rows(screen)
            assert len(listed) == 2
            assert any("Mia Member" in r and "N" in r.split()[-1] for r in listed)
            agent_row = next(r for r in listed if "review-bot" in r)
            assert "Agent" in agent_row  # the badge
            assert agent_row.split()[-1] == "LA"  # long day, agent time
            assert period_label(NOW.date().replace(day=2), NOW.date().replace(day=8),
                                today=NOW.date()) in agent_row

            await select_row(pilot, screen, "Mia Member")
            await pilot.press("y")
            await settle(pilot)
            await answer(pilot, "thanks")
            assert "Approved 1 submission." in notices(app)
            assert [r for r in rows(screen) if "Mia" in r] == []  # no longer awaiting

            await select_row(pilot, screen, "review-bot")
            await pilot.press("x")
            await settle(pilot)
            await answer(pilot, "")  # a reason is required: the dialog stays
            assert isinstance(app.screen, NoteDialog)
            assert "A reason is required." in text_of(app, "#note-error")
            await answer(pilot, "split the review")
            assert app.screen is screen
            assert rows(screen) == []
    mia, bot = submission(team, week.mia), submission(team, week.bot)
    assert (mia.status, mia.reason, mia.decided_by_id) == ("approved", "thanks", team.max)
    assert (bot.status, bot.reason) == ("rejected", "split the review")


async def test_a_manager_not_assigned_sees_neither_submission(team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "nora") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            assert rows(screen) == []
            assert "No submission is awaiting a decision" in text_of(app, "#queue-empty")
            for _ in range(3):  # approved, rejected, every status
                await pilot.press("f")
                await settle(pilot)
                assert rows(screen) == []
            await pilot.press("y")
            await settle(pilot)
            assert not isinstance(app.screen, NoteDialog)
    assert submission(team, week.mia).status == "submitted"


async def test_a_member_sees_their_own_submission_but_may_not_approve_it(
        team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "mia") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            assert len(rows(screen)) == 1 and "Mia Member" in rows(screen)[0]
            await pilot.press("y")
            await settle(pilot)
            assert not isinstance(app.screen, NoteDialog)
            assert any("may not" in n for n in notices(app)), notices(app)
    assert submission(team, week.mia).status == "submitted"


# --- bulk, withdraw, filters ----------------------------------------------------------------


async def test_bulk_approve_with_one_shared_note(team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "admin") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            await pilot.press("home", "space", "space")
            assert screen.marked == {week.mia, week.bot}
            assert "2 marked" in text_of(app, "#queue-title")
            assert all("■" in r for r in rows(screen))
            await pilot.press("space")  # unmarks the last row again
            assert len(screen.marked) == 1
            await pilot.press("asterisk")
            assert screen.marked == {week.mia, week.bot}
            await pilot.press("y")
            await settle(pilot)
            assert "2 timesheets" in text_of(app, "#note-message")
            await answer(pilot, "all good")
            assert "Approved 2 submissions." in notices(app)
            assert screen.marked == set()
            # The emptied list hid; once `f` shows the approved ones, it has the keys again.
            await pilot.press("f")
            await settle(pilot)
            table = screen.query_one("#queue", ItemTable)
            assert len(rows(screen)) == 2 and table.has_focus
            await pilot.press("home", "down")
            assert table.cursor_row == 1
    for sub_id in (week.mia, week.bot):
        assert (submission(team, sub_id).status, submission(team, sub_id).reason) == (
            "approved", "all good")


async def test_withdraw_needs_the_permission_and_returns_to_submitted(
        team, week) -> None:  # noqa: ANN001
    with team.ws.session() as s:
        approve_submissions(s, actor=team.ws.actor(s), submission_ids=[week.mia], now=NOW)
    with runtime_as(team, "pam") as rt:  # Mia's manager, without the permission
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            await pilot.press("f")  # approved
            await settle(pilot)
            assert len(rows(screen)) == 1
            await pilot.press("u")
            await settle(pilot)
            assert not isinstance(app.screen, NoteDialog)
            assert any("may not withdraw approvals" in n for n in notices(app)), notices(app)
    assert submission(team, week.mia).status == "approved"
    with runtime_as(team, "max") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            await pilot.press("f")
            await settle(pilot)
            await pilot.press("u")
            await settle(pilot)
            await answer(pilot, "wrong rate")
            assert "Withdrew the approval of 1 submission." in notices(app)
            assert rows(screen) == []
            await pilot.press("f", "f")  # every status
            await settle(pilot)
            assert any("submitted" in r for r in rows(screen))
    assert submission(team, week.mia).status == "submitted"


def titles(app: KeitoApp) -> list[str]:
    return [str(n.title) for n in app._notifications]


async def test_decisions_check_who_may_act_before_the_submissions_state(
        team, week) -> None:  # noqa: ANN001
    """As the service does: someone who may not take a decision is told so, and learns
    nothing of the submission's state (not approved yet, or approved already)."""

    async def refused(who: str, key: str, *, approved: bool) -> str:
        with runtime_as(team, who) as rt:
            app = KeitoApp(rt)
            async with app.run_test(size=SIZE) as pilot:
                screen = await open_queue(pilot)
                if approved:
                    await pilot.press("f")
                    await settle(pilot)
                await select_row(pilot, screen, "Mia Member")
                await pilot.press(key)
                await settle(pilot)
                assert not isinstance(app.screen, NoteDialog)
                assert titles(app) == ["Not allowed"], notices(app)
                return " ".join(notices(app))

    # Pam manages Mia but may not withdraw: the submission is not approved yet.
    said = await refused("pam", "u", approved=False)
    assert "may not withdraw" in said and "submitted" not in said
    with team.ws.session() as s:
        approve_submissions(s, actor=team.ws.actor(s), submission_ids=[week.mia], now=NOW)
    # Mia may not approve her own timesheet: it is approved already.
    said = await refused("mia", "y", approved=True)
    assert "may not approve" in said and "already" not in said
    assert submission(team, week.mia).status == "approved"


async def test_the_source_filter_keeps_submissions_with_that_source(
        team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "admin") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            assert len(rows(screen)) == 2
            await pilot.press("ctrl+f")  # the app (tui): Mia's entry without notes
            await settle(pilot)
            assert screen.filter.source == "tui"
            assert [r for r in rows(screen) if "Mia" in r] == rows(screen) != []
            for _ in range(4):  # web, cli, api, agent
                await pilot.press("ctrl+f")
                await settle(pilot)
            assert screen.filter.source == "agent"
            assert len(rows(screen)) == 1 and "review-bot" in rows(screen)[0]


# --- the drill-in ---------------------------------------------------------------------------


async def test_drill_in_shows_entries_flags_and_daily_totals_and_decides(
        team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "max") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            await select_row(pilot, screen, "Mia Member")
            await pilot.press("enter")
            await settle(pilot)
            detail = app.screen
            assert isinstance(detail, ApprovalDetailScreen)
            table = detail.query_one("#detail-entries", ItemTable)
            entries = [" ".join(str(c) for c in table.get_row_at(i))
                       for i in range(table.row_count)]
            assert len(entries) == 2
            assert "build" in entries[0] and "3.00" in entries[0] and "CLI" in entries[0]
            assert entries[1].split()[-1] == "N"  # no notes
            assert "Mon 02 3.00" in text_of(app, "#detail-days")
            assert "Tue 03 1.00" in text_of(app, "#detail-days")
            assert "missing notes" in text_of(app, "#detail-summary")
            assert "build" in text_of(app, "#detail-item")
            await pilot.press("down")
            assert "(no notes)" in text_of(app, "#detail-item")
            await pilot.press("x")
            await settle(pilot)
            await answer(pilot, "add notes")
            assert "rejected" in text_of(app, "#detail-summary")
            assert "add notes" in text_of(app, "#detail-summary")
            await pilot.press("escape")
            await settle(pilot)
            assert app.screen is screen
            assert [r for r in rows(screen) if "Mia" in r] == []
    assert submission(team, week.mia).status == "rejected"
    with team.ws.session(readonly=True) as s:
        statuses = {e.approval_status for e in s.exec(
            select(TimeEntry).where(TimeEntry.user_id == team.mia)).all()}
    assert statuses == {"rejected"}


async def test_the_queue_lists_the_newest_submission_first(team) -> None:  # noqa: ANN001
    log(team, "mia", "2", "2026-02-24")
    log(team, "mia", "3", "2026-03-03")
    with runtime_as(team, "mia") as rt, rt.session() as s:
        for first, last, days_ago in (("2026-02-23", "2026-03-01", 5), ("2026-03-02",
                                                                         "2026-03-08", 0)):
            submit_timesheet(s, actor=rt.actor(s), date_from=first, date_to=last,
                             now=NOW - timedelta(days=days_ago))
    with runtime_as(team, "max") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            listed = rows(screen)
            assert [("02–08 Mar" in r, "23 Feb–01 Mar" in r) for r in listed] == [
                (True, False), (False, True)], listed


# --- submitting from the app ----------------------------------------------------------------


async def test_a_member_submits_this_week_then_another_from_the_app(team) -> None:  # noqa: ANN001
    log(team, "mia", "2", "2026-03-04")
    log(team, "mia", "1", "2026-02-24")  # the week before
    with runtime_as(team, "mia") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_queue(pilot)
            assert rows(screen) == []
            await pilot.press("S")
            assert isinstance(app.screen, DateDialog)
            await pilot.press("enter")  # this week
            await settle(pilot)
            assert any("Submitted 1 time entry (2.00 h) for 2026-03-02 to 2026-03-08" in n
                       for n in notices(app)), notices(app)
            assert len(rows(screen)) == 1
            await pilot.press("S", "enter")
            await settle(pilot)
            assert any("nothing to submit for 2026-03-02 to 2026-03-08" in n
                       for n in notices(app)), notices(app)
            await pilot.press("S")
            app.screen.query_one("#date-input", Input).value = ""
            await pilot.press(*"2026-02-25", "enter")
            await settle(pilot)
            assert len(rows(screen)) == 2
    with team.ws.session(readonly=True) as s:
        periods = sorted((r.period_start.isoformat(), r.status) for r in s.exec(
            select(Submission).where(Submission.user_id == team.mia)).all())
    assert periods == [("2026-02-23", "submitted"), ("2026-03-02", "submitted")]


async def test_with_approvals_off_the_view_says_how_to_turn_them_on(workspace) -> None:  # noqa: ANN001
    with _admin_runtime() as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=SIZE) as pilot:
            await open_queue(pilot)
            off = text_of(app, "#approvals-off")
            assert "turned off" in off and "features.approvals" in off
            await pilot.press("y")
            assert not isinstance(app.screen, NoteDialog)
            await pilot.press("S", "enter")
            await settle(pilot)
            assert any("approvals are turned off" in n for n in notices(app)), notices(app)


@contextmanager
def _admin_runtime() -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    try:
        yield rt
    finally:
        rt.close()


# --- the footer -----------------------------------------------------------------------------


async def test_the_footer_fits_80_columns_in_the_queue_and_the_drill_in(
        team, week) -> None:  # noqa: ANN001
    with runtime_as(team, "admin") as rt:
        app = KeitoApp(rt)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_queue(pilot)
            keys_shown = app.screen.query(FooterKey)
            assert keys_shown and all(k.region.right <= 80 for k in keys_shown)
            assert {"y", "x", "u", "S"} <= {k.key_display for k in keys_shown}
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, ApprovalDetailScreen)
            keys_shown = app.screen.query(FooterKey)
            assert keys_shown and all(k.region.right <= 80 for k in keys_shown)
