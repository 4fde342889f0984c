"""The Day view, driven by keys with Textual's pilot against a real workspace database."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from settling import finish_workers
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey, FooterLabel

from keito_core.enums import ApprovalStatus, Role
from keito_core.models import Client, Project, ProjectMember, ProjectTask, Task, TimeEntry, User
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.reports.day import day_report, project_choices
from keito_core.services.tracking import time_entries, timers
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.day import DayScreen, DayTable, column_widths, totals_text
from keito_tui.app.screens.dialogs import ConfirmDialog, DateDialog
from keito_tui.app.screens.entry_dialog import EntryDialog
from keito_tui.app.widgets.form_field import FormField

pytestmark = pytest.mark.anyio

#: A Friday; Europe/London is on GMT until 29 March 2026, so local time is UTC.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 6)
SIZE = (100, 30)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def runtime(keito_home: Path, clock: Clock) -> Iterator[Runtime]:
    rt = make_runtime(clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def ids(workspace) -> dict[str, str]:  # noqa: ANN001 - the conftest Workspace
    """Client Initech with project Website (tasks Design, Meetings) and project Archive."""
    made = {name: new_id(kind) for name, kind in (
        ("client", "client"), ("website", "project"), ("other", "project"),
        ("design", "task"), ("meetings", "task"), ("member", "user"),
    )}
    with workspace.session() as s:
        s.add(Client(id=made["client"], name="Initech", currency="GBP"))
        s.flush()
        s.add(Project(id=made["website"], client_id=made["client"], name="Website",
                      handle="website"))
        s.add(Project(id=made["other"], client_id=made["client"], name="Helpdesk",
                      handle="helpdesk"))
        s.add(Task(id=made["design"], name="Design", handle="design"))
        s.add(Task(id=made["meetings"], name="Meetings", handle="meetings",
                   is_billable_default=False))
        s.add(User(id=made["member"], name="Milton Member", email="milton@acme.test",
                   role=Role.MEMBER))
        s.flush()
        for task in ("design", "meetings"):
            s.add(ProjectTask(id=new_id("project_task"), project_id=made["website"],
                              task_id=made[task]))
        s.add(ProjectMember(id=new_id("project_member"), project_id=made["website"],
                            user_id=made["member"]))
    return made


def log(workspace, *, hours: str, source: str = "tui", day: date = TODAY,  # noqa: ANN001
        notes: str | None = None, task: str | None = "design",
        project: str = "website") -> str:
    """Log an entry for the administrator straight through the service; its id."""
    with workspace.session() as s:
        entry = time_entries.log_time(s, actor=workspace.actor(s), project_ref=project,
                                      task_ref=task, duration=hours, spent_date=day,
                                      notes=notes, source=source, now=NOW)
        return entry.id


def entries(workspace) -> list[TimeEntry]:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(TimeEntry).order_by(TimeEntry.created_at)).all()
        for row in rows:
            s.expunge(row)
        return list(rows)


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(30):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


def day_screen(app: KeitoApp) -> DayScreen:
    screen = app.screen
    assert isinstance(screen, DayScreen)
    return screen


def shown(app: KeitoApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def rows(app: KeitoApp) -> list[list[str]]:
    table = app.screen.query_one(DayTable)
    return [[str(cell) for cell in table.get_row(key)] for key in table.rows]


def messages(app: KeitoApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def choose(pilot: Pilot, select_id: str, typed: str) -> None:
    """Open a Select, type to find an option, take it (as a keyboard user does)."""
    pilot.app.screen.query_one(f"#{select_id}").focus()
    await pilot.press("enter", *typed, "enter")


async def type_in(pilot: Pilot, field: str, text: str) -> None:
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def wait_until(pilot: Pilot, ready: Callable[[], bool]) -> None:
    """Settle until `ready()` holds (a worker may start only after the last one finished)."""
    for _ in range(50):
        await settle(pilot)
        if ready():
            return
        await pilot.pause()
    raise AssertionError("the app did not get ready")


async def open_dialog(pilot: Pilot, key: str, kind: type) -> None:
    """Press the key that opens a dialog, and wait until it is on screen."""
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))


async def start_app(app: KeitoApp, pilot: Pilot) -> DayScreen:
    """Wait for the day view's first read and a laid-out footer."""

    def ready() -> bool:
        screen = app.screen
        keys = list(screen.query(FooterKey))
        return (isinstance(screen, DayScreen) and screen.report is not None and bool(keys)
                and all(key.region.width > 0 for key in keys))

    await wait_until(pilot, ready)
    return day_screen(app)


# --- showing the day ---------------------------------------------------------------------------


async def test_day_lists_entries_with_badges_and_totals_against_capacity(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1.5", source="cli", notes="cli work")
    log(workspace, hours="2", source="agent", notes="agent work")
    log(workspace, hours="0:30", source="tui", notes="typed", task="meetings")
    log(workspace, hours="1", day=TODAY - timedelta(days=4))  # Monday, same week
    log(workspace, hours="3", day=TODAY - timedelta(days=7))  # the week before
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        assert shown(app, "#day-date") == "Friday 6 March 2026 · today"
        assert shown(app, "#day-totals") == "Day 4.00 · Week 5.00 / 40.00 (12%)"
        listed = rows(app)
        assert [row[0] for row in listed] == [" CLI ", " Agent ", ""]
        assert listed[0][1].startswith("Website · Initech")
        assert [row[2] for row in listed] == ["Design", "Design", "Meetings"]
        assert [row[4].strip() for row in listed] == ["1.50", "2.00", "0.50"]
        assert [row[5].strip() for row in listed] == ["$", "$", ""]  # meetings: not billable
        assert "No timer running" in shown(app, "#day-timer")


async def test_footer_fits_80_columns_and_lists_the_day_keys(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_app(app, pilot)
        keys = list(app.screen.query(FooterKey))
        assert {"␣", "n", "⏎", "x", "c", "R", "←", "→", "t", "g", "f"} <= {
            key.key_display for key in keys}
        assert all(key.region.right <= 80 for key in keys)
        assert {"Entry", "Day"} <= {str(label.render()) for label in app.screen.query(FooterLabel)}
        help_keys = {description for _, description, _ in app.help_rows()}
        assert {"Timer", "New", "Edit", "Delete", "Copy", "Restart", "Previous day",
                "Next day", "Today", "Go to date", "Filter"} <= help_keys


async def test_narrow_terminal_cuts_notes_and_wide_one_names_locks() -> None:
    narrow, wide = column_widths(80), column_widths(160)
    for width, widths in ((80, narrow), (120, column_widths(120)), (160, wide)):
        assert sum(widths.values()) + 2 * 7 + 2 <= width  # never wider than the terminal
    assert wide["notes"] > narrow["notes"] and wide["project"] > narrow["project"]
    assert (narrow["lock"], wide["lock"]) == (2, 14)  # room for "🔒 auto-locked"


# --- the timer ---------------------------------------------------------------------------------


async def test_space_starts_a_timer_from_the_dialog_it_ticks_and_space_stops_it(
        runtime: Runtime, workspace, ids, clock: Clock) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_app(app, pilot)
        await open_dialog(pilot, "space", EntryDialog)
        await choose(pilot, "project", "web")
        await choose(pilot, "task", "des")
        await type_in(pilot, "notes", "wireframes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [running] = entries(workspace)
        assert (running.is_running, running.source, running.notes) == (True, "tui", "wireframes")
        assert running.task_id == ids["design"]
        assert "0:00:00" in shown(app, "#day-timer")

        clock.advance(90 * 60)
        screen.tick()
        assert "▶ 1:30:00  Initech › Website · Design — wireframes" in shown(app, "#day-timer")
        assert shown(app, "#day-totals").startswith("Day 1.50 · Week 1.50")
        assert rows(app)[0][4].strip() == "▶ 1.50"

        await pilot.press("space")
        await settle(pilot)
        [stopped] = entries(workspace)
        assert (stopped.is_running, stopped.duration_seconds) == (False, 5400)
        assert "No timer running" in shown(app, "#day-timer")
        assert any("Timer stopped" in text for text in messages(app))


async def test_a_timer_started_elsewhere_appears_after_a_poll_and_ticks(
        runtime: Runtime, workspace, ids, clock: Clock) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_app(app, pilot)
        assert "No timer running" in shown(app, "#day-timer")
        with workspace.session() as s:  # another process: the command line
            timers.start_timer(s, actor=workspace.actor(s), project_ref="website",
                               notes="from the shell", source="cli", now=clock())
        screen.poll()
        await settle(pilot)
        assert "▶ 0:00:00" in shown(app, "#day-timer")
        assert rows(app)[0][0] == " CLI "
        clock.advance(65)
        screen.tick()
        assert "▶ 0:01:05" in shown(app, "#day-timer")


async def test_r_restarts_the_selected_entry_as_a_new_timer(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="2", notes="pairing", day=TODAY - timedelta(days=1))
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await pilot.press("left")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        new = [e for e in entries(workspace) if e.is_running]
        assert len(new) == 1
        assert (new[0].notes, new[0].source, new[0].spent_date) == ("pairing", "tui", TODAY)
        assert day_screen(app).day == TODAY  # the view follows the new timer
        assert "pairing" in shown(app, "#day-timer")


# --- manual entries ----------------------------------------------------------------------------


@pytest.mark.parametrize(("typed", "seconds"), [("1.5", 5400), ("1:45", 6300)])
async def test_n_logs_an_entry_by_duration(runtime: Runtime, workspace, ids, typed: str,  # noqa: ANN001
                                           seconds: int) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "n", EntryDialog)
        await choose(pilot, "project", "web")
        await type_in(pilot, "notes", "mock-ups")
        await type_in(pilot, "duration", typed)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DayScreen)
        [entry] = entries(workspace)
        assert (entry.duration_seconds, entry.source, entry.spent_date) == (seconds, "tui", TODAY)
        assert entry.notes == "mock-ups" and not entry.is_running
        assert len(rows(app)) == 1


async def test_n_logs_an_entry_by_start_and_end_across_midnight(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "n", EntryDialog)
        await choose(pilot, "project", "web")
        await type_in(pilot, "start", "23:00")
        await type_in(pilot, "end", "1:30")
        await type_in(pilot, "spent_date", "yesterday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        [entry] = entries(workspace)
        assert (entry.duration_seconds, entry.spent_date) == (9000, TODAY - timedelta(days=1))
        assert day_screen(app).day == TODAY - timedelta(days=1)  # the view shows its day


async def test_the_dialog_shows_an_error_next_to_its_field_and_keeps_the_form(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "n", EntryDialog)
        await choose(pilot, "project", "web")
        await type_in(pilot, "duration", "lots")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryDialog)
        field = app.screen.query_one("#field-duration", FormField)
        assert field.error.startswith("not a duration: 'lots'\nuse hours like 1.5")
        assert app.screen.query_one("#field-project", FormField).error == ""
        await type_in(pilot, "duration", "2")
        await pilot.press("enter")
        await settle(pilot)
        assert [e.duration_seconds for e in entries(workspace)] == [7200]


async def test_a_project_is_required(runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "n", EntryDialog)
        await type_in(pilot, "duration", "1")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_one("#field-project", FormField).error == "choose a project"
        await pilot.press("escape")
        assert isinstance(app.screen, DayScreen)
        assert entries(workspace) == []


# --- edit, delete, copy ------------------------------------------------------------------------


async def test_enter_edits_the_selected_entry(runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1", notes="first")
    second = log(workspace, hours="2", notes="second")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await pilot.press("down")
        await open_dialog(pilot, "enter", EntryDialog)
        assert app.screen.query_one("#notes", Input).value == "second"
        await type_in(pilot, "notes", "second, revised")
        await type_in(pilot, "duration", "2:15")
        await choose(pilot, "task", "mee")
        await pilot.press("ctrl+s")
        await settle(pilot)
        edited = next(e for e in entries(workspace) if e.id == second)
        assert (edited.notes, edited.duration_seconds) == ("second, revised", 8100)
        assert edited.task_id == ids["meetings"]
        assert [row[3].strip() for row in rows(app)] == ["first", "second, revised"]


async def test_saving_an_edit_keeps_the_task_it_did_not_touch(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    entry_id = log(workspace, hours="1", notes="keep my task", task="meetings")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "enter", EntryDialog)
        assert app.screen.query_one("#task").value == ids["meetings"]
        await type_in(pilot, "notes", "kept")
        await pilot.press("ctrl+s")
        await settle(pilot)
    edited = next(e for e in entries(workspace) if e.id == entry_id)
    assert (edited.notes, edited.task_id) == ("kept", ids["meetings"])


async def test_delete_asks_first_cancel_keeps_and_confirm_deletes(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1", notes="keep me?")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "delete", ConfirmDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert len(entries(workspace)) == 1
        await open_dialog(pilot, "x", ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert len(entries(workspace)) == 1
        await open_dialog(pilot, "x", ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        assert entries(workspace) == []
        assert rows(app) == []
        assert "No entries on this day" in shown(app, "#day-empty")


async def test_c_copies_the_selected_entry_to_today_or_a_typed_date(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1.25", notes="standup", day=TODAY - timedelta(days=2))
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "g", DateDialog)
        await type_in(pilot, "date-input", "2026-03-04")
        await pilot.press("enter")
        await settle(pilot)
        await open_dialog(pilot, "c", DateDialog)
        await pilot.press("enter")  # today, as offered
        await settle(pilot)
        assert day_screen(app).day == TODAY
        await open_dialog(pilot, "g", DateDialog)
        await type_in(pilot, "date-input", "-2")
        await pilot.press("enter")
        await settle(pilot)
        await open_dialog(pilot, "c", DateDialog)
        await type_in(pilot, "date-input", "monday")
        await pilot.press("enter")
        await settle(pilot)
        copies = sorted((e.spent_date, e.duration_seconds, e.notes, e.source)
                        for e in entries(workspace))
        assert copies == [
            (date(2026, 3, 2), 4500, "standup", "tui"),
            (date(2026, 3, 4), 4500, "standup", "tui"),
            (TODAY, 4500, "standup", "tui"),
        ]


# --- locks -------------------------------------------------------------------------------------


async def test_a_locked_entry_is_marked_and_refuses_edit_and_delete(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    entry_id = log(workspace, hours="1", notes="approved work")
    with workspace.session() as s:
        row = s.get(WorkspaceRow, workspace.workspace_id)
        row.feature_approvals = True
        s.add(row)
        entry = s.get(TimeEntry, entry_id)
        entry.approval_status = ApprovalStatus.APPROVED
        s.add(entry)
    app = KeitoApp(runtime)
    async with app.run_test(size=(140, 30)) as pilot:
        await start_app(app, pilot)
        assert "approved" in rows(app)[0][6]
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)
        refusals = [text for text in messages(app) if "approved and is locked" in text]
        assert len(refusals) == 2
        [kept] = entries(workspace)
        assert kept.notes == "approved work"


async def test_an_auto_locked_day_refuses_a_new_entry_with_the_locked_message(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    with workspace.session() as s:
        row = s.get(WorkspaceRow, workspace.workspace_id)
        row.lock_after_days = 7
        s.add(row)
    log(workspace, hours="1", day=TODAY - timedelta(days=3))
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "n", EntryDialog)
        await choose(pilot, "project", "web")
        await type_in(pilot, "duration", "1")
        await type_in(pilot, "spent_date", "2026-01-05")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryDialog)
        error = app.screen.query_one("#field-spent_date", FormField).error
        assert error.startswith("2026-01-05 is more than 7 days ago")


# --- moving between days and filtering ---------------------------------------------------------


async def test_arrows_today_and_go_to_move_between_days(runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1", notes="thursday", day=TODAY - timedelta(days=1))
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_app(app, pilot)
        assert rows(app) == []
        await pilot.press("left")
        await settle(pilot)
        assert screen.day == TODAY - timedelta(days=1)
        assert shown(app, "#day-date") == "Thursday 5 March 2026 · yesterday"
        assert [row[3].strip() for row in rows(app)] == ["thursday"]
        await pilot.press("right", "right")
        await settle(pilot)
        assert screen.day == TODAY + timedelta(days=1)
        await pilot.press("t")
        await settle(pilot)
        assert screen.day == TODAY
        await open_dialog(pilot, "g", DateDialog)
        await type_in(pilot, "date-input", "not a day")
        await pilot.press("enter")
        assert isinstance(app.screen, DateDialog)
        assert "not a date" in str(app.screen.query_one("#date-error", Static).render())
        await type_in(pilot, "date-input", "2025-12-31")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.day == date(2025, 12, 31)
        assert shown(app, "#day-totals").startswith("Day 0.00 · Week 0.00")
        await open_dialog(pilot, "g", DateDialog)
        await pilot.press("escape")
        await settle(pilot)
        assert screen.day == date(2025, 12, 31)


async def test_f_cycles_the_source_filter(runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1", source="tui", notes="typed here")
    log(workspace, hours="1", source="web", notes="typed on the web")
    log(workspace, hours="1", source="cli", notes="from the shell")
    log(workspace, hours="1", source="agent", notes="by an agent")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)

        async def notes_after_f() -> list[str]:
            await pilot.press("f")
            await settle(pilot)
            return [row[3].strip() for row in rows(app)]

        assert len(rows(app)) == 4
        assert await notes_after_f() == ["typed here", "typed on the web"]
        assert shown(app, "#day-filter") == "Source: people (app, web)"
        assert await notes_after_f() == ["from the shell"]
        assert await notes_after_f() == []
        assert "from API" in shown(app, "#day-empty")
        assert await notes_after_f() == ["by an agent"]
        assert shown(app, "#day-totals").startswith("Day 4.00")  # totals count every source
        assert len(await notes_after_f()) == 4


# --- the report --------------------------------------------------------------------------------


def test_project_choices_are_the_projects_the_user_may_log_to(workspace, ids) -> None:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        admin = project_choices(s, actor=workspace.actor(s))
        member = project_choices(s, actor=workspace.actor(s, ids["member"]))
    assert [p.name for p in admin] == ["Helpdesk", "Website"]
    assert [p.name for p in member] == ["Website"]
    assert [(t.name, t.billable) for t in member[0].tasks] == [("Design", True),
                                                               ("Meetings", False)]


def test_day_report_counts_a_running_timer_live_and_respects_the_week(workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="2", day=TODAY - timedelta(days=5))  # Sunday: the week before
    with workspace.session() as s:
        timers.start_timer(s, actor=workspace.actor(s), project_ref="website", source="cli",
                           now=NOW)
    with workspace.session(readonly=True) as s:
        report = day_report(s, actor=workspace.actor(s), day=None, now=NOW)
    assert (report.day, report.week_first, report.week_last) == (
        TODAY, date(2026, 3, 2), date(2026, 3, 8))
    assert (report.day_seconds, report.week_seconds) == (0, 0)
    assert report.running is not None and report.running.project == "Website"
    assert totals_text(report, 1800) == "Day 0.50 · Week 0.50 / 40.00 (1%)"


# --- the first read: the day without the ORM, then the projects -----------------------------


@pytest.mark.skipif(os.environ.get("KEITO_TEST_DATABASE", "sqlite") != "sqlite",
                    reason="the lean first read opens SQLite files only")
async def test_the_day_shows_before_the_projects_and_n_waits_for_them(
        runtime: Runtime, workspace, ids, monkeypatch) -> None:  # noqa: ANN001
    """The first read is keito_core.fastpath.day's; `n` pressed before the full read has brought
    the projects opens the form once they are there, with the projects in it."""
    log(workspace, hours="1.5", source="cli", notes="first read")
    gate = threading.Event()
    full_reads: list[str] = []
    real_choices = project_choices

    def slow_choices(session, *, actor):  # noqa: ANN001, ANN202
        full_reads.append(actor.user_id)
        assert gate.wait(10), "the test never opened the gate"
        return real_choices(session, actor=actor)

    monkeypatch.setattr("keito_core.reports.day.project_choices", slow_choices)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(200):
            screen = app.screen
            if isinstance(screen, DayScreen) and screen.report is not None and full_reads:
                break
            await pilot.pause(0.01)
        screen = day_screen(app)
        assert screen.projects is None  # the lean read brought the day, not the projects
        assert [row[3] for row in rows(app)] == ["first read"]
        await pilot.press("n")
        await pilot.pause()
        assert not isinstance(app.screen, EntryDialog)  # waiting for the projects
        gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, EntryDialog))
        assert screen.projects is not None
        assert [p.name for p in screen.projects] == ["Helpdesk", "Website"]


async def test_start_up_objects_leave_the_collector_until_the_app_closes(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    import gc

    assert gc.get_freeze_count() == 0
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, DayScreen)
                         and app.screen.projects is not None and gc.get_freeze_count() > 0)
    assert gc.get_freeze_count() == 0  # an embedding process gets them back


async def test_a_read_overtaken_by_a_newer_one_is_not_shown(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    """A cancelled read's thread still finishes: what it read before a change (here a delete
    confirmed in a dialog, as the view comes back) must not replace the newer read."""
    entry_id = log(workspace, hours="1", notes="deleted meanwhile")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_app(app, pilot)
        before = screen.report
        assert before is not None and len(rows(app)) == 1
        with workspace.session() as s:
            time_entries.delete_entry(s, actor=workspace.actor(s), entry_id=entry_id, now=NOW)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert rows(app) == []
        stale = screen.reads_started - 1  # an earlier read of the same day, finishing late
        screen.post_message(DayScreen.Loaded(before, (), stale))
        await settle(pilot)
        assert rows(app) == [] and screen.report is not None and screen.report.entries == ()


async def test_search_lists_the_entries_whose_project_client_task_or_notes_match(
        runtime, workspace, ids) -> None:  # noqa: ANN001
    log(workspace, hours="1", notes="Kick-off call")
    log(workspace, hours="2", notes="Wireframes", task="meetings")
    log(workspace, hours="0.5", project="helpdesk", task=None, notes="Printer")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert len(rows(app)) == 3
        await pilot.press("slash", *"helpdesk")
        await pilot.pause()
        assert [row[3] for row in rows(app)] == ["Printer"]
        app.screen.query_one("#day-search", Input).value = ""
        await pilot.press(*"website meet")
        await pilot.pause()
        assert [row[3] for row in rows(app)] == ["Wireframes"]
        await pilot.press("enter")  # keeps the search, back to the list
        await settle(pilot)
        assert app.screen.focused is app.screen.query_one(DayTable)
        assert [row[3] for row in rows(app)] == ["Wireframes"]
        app.screen.query_one("#day-search", Input).value = ""
        await pilot.press("slash", *"initech kick")
        await pilot.pause()
        assert [row[3] for row in rows(app)] == ["Kick-off call"]
        await pilot.press("escape")  # clears it
        await pilot.pause()
        assert len(rows(app)) == 3
        assert app.screen.focused is app.screen.query_one(DayTable)


async def test_the_entry_form_shows_and_takes_times_on_a_12_hour_clock(
        runtime, workspace, ids) -> None:  # noqa: ANN001
    with workspace.session() as s:
        s.get(WorkspaceRow, workspace.workspace_id).time_format = "12h"
        entry = time_entries.log_time(s, actor=workspace.actor(s), project_ref="website",
                                      task_ref="design", start="13:05", end="14:35",
                                      spent_date=TODAY, source="tui", now=NOW)
        entry_id = entry.id
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, EntryDialog)
        start, end = (app.screen.query_one(f"#{name}", Input) for name in ("start", "end"))
        assert (start.value, end.value) == ("1:05 pm", "2:35 pm")
        start.value = "12:35 pm"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EntryDialog)
    saved = next(e for e in entries(workspace) if e.id == entry_id)
    assert (saved.started_at.hour, saved.started_at.minute, saved.duration_seconds) == (
        12, 35, 2 * 3600)


async def test_with_no_project_new_and_timer_point_to_manage(runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for key in ("n", "space"):
            await pilot.press(key)
            await settle(pilot)
            assert not isinstance(app.screen, EntryDialog)
        said = [str(n.message) for n in app._notifications]
        assert len(said) == 2 and all("Press m for Manage" in text for text in said), said


async def test_the_first_key_in_an_opened_entry_form_adds_to_the_notes(
        runtime: Runtime, workspace, ids) -> None:  # noqa: ANN001
    entry_id = log(workspace, hours="1", notes="Design review")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await start_app(app, pilot)
        await open_dialog(pilot, "enter", EntryDialog)
        await pilot.press(*" v2", "ctrl+s")
        await settle(pilot)
    assert next(e for e in entries(workspace) if e.id == entry_id).notes == "Design review v2"
