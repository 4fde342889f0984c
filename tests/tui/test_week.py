"""The week grid, driven from the keyboard with Textual's pilot against a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from unittest.mock import patch

import pytest
from rich.cells import cell_len
from settling import finish_workers
from sqlmodel import select
from textual.command import CommandList
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ApprovalStatus, Source
from keito_core.models import Client, Project, ProjectTask, Task, TimeEntry, Workspace
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.tracking import time_entries, timers
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.dialogs import DateDialog
from keito_tui.app.screens.entry_dialog import EntryDialog
from keito_tui.app.screens.week import WeekScreen
from keito_tui.app.screens.week_dialogs import AddRowDialog, CellEntriesDialog
from keito_tui.app.widgets.week_grid import TOTAL_ROW, WeekGrid, WeekTotals, grid_layout

pytestmark = pytest.mark.anyio

#: Friday 6 March 2026; the week shown runs Monday 2 - Sunday 8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
MONDAY = date(2026, 3, 2)
SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def runtime(keito_home: Path, clock: Clock) -> Iterator[Runtime]:
    rt = make_runtime(clock=clock)
    yield rt
    rt.close()


@pytest.fixture
def env(workspace):
    """Project Website (tasks Development, Meetings) for client Acme; the admin logs."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        meet = Task(id=new_id("task"), name="Meetings", handle="meetings")
        s.add_all([client, dev, meet])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Website", handle="web")
        s.add(web)
        s.flush()
        for task in (dev, meet):
            s.add(ProjectTask(id=new_id("project_task"), project_id=web.id, task_id=task.id))
    return SimpleNamespace(ws=workspace, web=web.id, dev=dev.id, meet=meet.id)


def add(env, day: date, hours: float, task: str = "dev", **kw) -> str:
    entry_id = new_id("time_entry")
    with env.ws.session() as s:
        s.add(TimeEntry(id=entry_id, user_id=env.ws.admin_id, project_id=env.web,
                        task_id=getattr(env, task), spent_date=day,
                        duration_seconds=int(hours * 3600), source=Source.CLI, **kw))
    return entry_id


def stored(env) -> list[tuple[date, str | None, int, str]]:
    """(day, task id, seconds, source) of every entry, by day."""
    with env.ws.session(readonly=True) as s:
        rows = s.exec(select(TimeEntry).order_by(TimeEntry.spent_date, TimeEntry.id)).all()
        return [(e.spent_date, e.task_id, e.duration_seconds, str(e.source)) for e in rows]


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def open_week(pilot: Pilot) -> WeekScreen:
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, WeekScreen)
    return screen


def grid(app: KeitoApp) -> WeekGrid:
    return app.screen.query_one("#week-grid", WeekGrid)


def cells(app: KeitoApp, key: str) -> list[str]:
    """A row's text (or the totals' under the grid): its day cells and its total (the label
    left out)."""
    table = (app.screen.query_one("#week-totals", WeekTotals) if key == TOTAL_ROW
             else grid(app))
    return [str(cell).strip() for cell in table.get_row(key)][1:]


def first_row(app: KeitoApp) -> str:
    return grid(app).rows_shown[0].key


def title(app: KeitoApp) -> str:
    return str(app.screen.query_one("#week-title", Static).render())


async def test_the_grid_shows_cells_and_row_day_and_week_totals(runtime, env) -> None:
    add(env, MONDAY, 2)
    add(env, MONDAY + timedelta(days=1), 1.5)
    add(env, MONDAY + timedelta(days=1), 1.25, task="meet")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        assert title(app) == "Week of Mon 2 Mar – Sun 8 Mar 2026 (this week)"
        dev, meet = (row.key for row in grid(app).rows_shown)
        assert cells(app, dev) == ["2.00", "1.50", "·", "·", "·", "·", "·", "3.50"]
        assert cells(app, meet) == ["·", "1.25", "·", "·", "·", "·", "·", "1.25"]
        assert cells(app, TOTAL_ROW) == ["2.00", "2.75", "0.00", "0.00", "0.00", "0.00",
                                         "0.00", "4.75"]
        progress = str(app.screen.query_one("#week-progress", Static).render())
        assert progress.startswith("4.75 of 40.00 h  11%")


async def test_typing_a_decimal_or_hmm_duration_saves_and_moves_on(runtime, env) -> None:
    add(env, MONDAY - timedelta(days=7), 1)  # last week's row starts this week empty
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        key = first_row(app)
        assert grid(app).selected() == (key, 0)
        await pilot.press("1", ".", "5", "enter")  # Monday, then on to Tuesday
        await settle(pilot)
        assert grid(app).selected() == (key, 1)
        await pilot.press("2", ":", "1", "5", "tab")  # Tuesday, then on to Wednesday
        await settle(pilot)
        assert grid(app).selected() == (key, 2)
        await pilot.press("shift+tab")
        assert grid(app).selected() == (key, 1)
        assert cells(app, key)[:3] == ["1.50", "2.25", "·"]
        assert cells(app, key)[-1] == "3.75"
    assert stored(env)[1:] == [(MONDAY, env.dev, 5400, "tui"),
                               (MONDAY + timedelta(days=1), env.dev, 8100, "tui")]


async def test_enter_edits_a_cell_of_one_entry_and_escape_cancels(runtime, env) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("enter")
        box = app.screen.query_one("#week-edit-input", Input)
        assert box.has_focus and box.value == "1.00"
        box.value = "3"
        await pilot.press("escape")
        assert screen.editing is None and grid(app).has_focus
        assert stored(env)[0][2] == 3600
        await pilot.press("enter")
        box.value = "3"
        await pilot.press("enter")
        await settle(pilot)
        assert stored(env)[0][2] == 3 * 3600
        assert cells(app, first_row(app))[0] == "3.00"


async def test_a_bad_duration_is_reported_and_the_cell_edited_again(runtime, env) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("2", "5", "enter")  # 25 hours is too long
        await settle(pilot)
        assert screen.editing == (first_row(app), 0)
        assert app.screen.query_one("#week-edit-input", Input).value == "25"
    assert stored(env)[0][2] == 3600


async def test_a_cell_of_several_entries_opens_them_instead_of_overwriting(runtime,
                                                                           env) -> None:
    add(env, MONDAY, 1, notes="first")
    second = add(env, MONDAY, 2, notes="second")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        assert cells(app, first_row(app))[0] == "3.00+"
        await pilot.press("5")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, CellEntriesDialog)
        assert [e.notes for e in dialog.entries] == ["first", "second"]
        await pilot.press("down", "x")  # delete the second, after a confirmation
        await pilot.press("y")
        await settle(pilot)
        assert [e.notes for e in dialog.entries] == ["first"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, WeekScreen)
        assert cells(app, first_row(app))[0] == "1.00"
    assert second not in {row[0] for row in stored(env)}
    assert [row[2] for row in stored(env)] == [3600]


@pytest.mark.parametrize("key", ["enter", "e"])
async def test_enter_in_a_cells_entries_edits_the_selected_one(runtime, env, key) -> None:
    add(env, MONDAY, 1, notes="first")
    second = add(env, MONDAY, 2, notes="second")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CellEntriesDialog)
        await pilot.press("down", key)  # the table takes Enter before the dialog's binding
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EntryDialog)
        assert dialog.mode == "edit" and dialog.entry is not None
        assert dialog.entry.id == second
        dialog.query_one("#notes", Input).value = "second, edited"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CellEntriesDialog)
        assert [e.notes for e in app.screen.entries] == ["first", "second, edited"]


async def test_time_logged_elsewhere_appears_after_a_poll_and_a_timer_counts_up(
        runtime, env, clock) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        key = first_row(app)
        grid(app).select(key, 2)
        with env.ws.session() as s:  # another process: the command line
            actor = env.ws.actor(s)
            time_entries.log_time(s, actor=actor, project_ref=env.web, task_ref=env.dev,
                                  duration="2", spent_date=MONDAY + timedelta(days=1),
                                  notes="from the shell", source="cli", now=clock())
            timers.start_timer(s, actor=actor, project_ref=env.web, task_ref=env.dev,
                               notes="a timer", source="cli", now=clock())
        screen.poll()
        await settle(pilot)
        assert cells(app, key) == ["1.00", "2.00", "·", "·", "0.00▶", "·", "·", "3.00"]
        clock.advance(90 * 60)
        screen.tick()  # from the clock, without reading
        assert cells(app, key) == ["1.00", "2.00", "·", "·", "1.50▶", "·", "·", "4.50"]
        assert cells(app, TOTAL_ROW)[4:] == ["1.50", "0.00", "0.00", "4.50"]
        progress = str(app.screen.query_one("#week-progress", Static).render())
        assert progress.startswith("4.50 of 40.00 h  11%")
        screen.poll()  # a read agrees with the tick
        await settle(pilot)
        assert cells(app, key)[4] == "1.50▶"
        assert grid(app).selected() == (key, 2)  # the cursor stayed through it all


async def test_no_poll_while_a_cell_is_edited_and_a_read_keeps_the_edit(runtime, env) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        key = first_row(app)
        await pilot.press("tab", "2", "5")  # Tuesday: "25" typed, not saved
        await settle(pilot)
        add(env, MONDAY + timedelta(days=2), 3)  # logged elsewhere meanwhile
        screen.poll()
        assert not [w for w in app.workers if w.group == "week-load" and not w.is_finished]
        screen.reload()  # a read under way when the edit began lands during it
        await settle(pilot)
        assert cells(app, key)[2] == "3.00"
        assert screen.editing == (key, 1) and grid(app).selected() == (key, 1)
        box = app.screen.query_one("#week-edit-input", Input)
        assert box.has_focus and box.value == "25"


async def test_a_new_cell_in_a_workspace_that_requires_notes_opens_the_entry_dialog(
        runtime, env) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).require_notes = True
    add(env, MONDAY - timedelta(days=7), 1, notes="last week")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("1", ":", "3", "0", "enter")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, EntryDialog) and dialog.mode == "new"
        assert dialog.values() | {"notes": "", "billable": True} == {
            "project": env.web, "task": env.dev, "notes": "", "duration": "1:30", "start": "",
            "end": "", "spent_date": "2026-03-02", "billable": True}
        notes = dialog.query_one("#notes", Input)
        assert notes.has_focus
        assert not any("--notes" in str(n.message) for n in app._notifications)
        await pilot.press(*"specs")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert cells(app, first_row(app))[0] == "1.50"
    with env.ws.session(readonly=True) as s:
        entry = s.exec(select(TimeEntry).where(TimeEntry.spent_date == MONDAY)).one()
        assert (entry.duration_seconds, entry.notes, entry.task_id) == (5400, "specs", env.dev)


@pytest.mark.parametrize("size", [(80, 24), SIZE])
async def test_locked_cells_fit_their_column_with_a_gap(runtime, env, size) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).feature_approvals = True
    for offset, hours in enumerate((2.5, 1.25, 10.5, 0.5)):
        add(env, MONDAY + timedelta(days=offset), hours,
            approval_status=ApprovalStatus.APPROVED)
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        await open_week(pilot)
        shown = cells(app, first_row(app))[:4]
        assert shown == ["2.50⊘", "1.25⊘", "10.5⊘", "0.50⊘"]
        day = grid_layout(size[0]).day
        assert all(cell_len(text) < day for text in shown)  # a blank cell before each
        row = grid(app).render_line(1)  # the first row, under the header
        line = "".join(segment.text for segment in row)
        assert "2.50⊘ 1.25⊘ 10.5⊘ 0.50⊘" in line


async def test_add_row_chooses_a_project_then_a_task(runtime, env) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        assert grid(app).rows_shown == ()
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddRowDialog)
        dialog.query_one("#add-project", Select).value = env.web
        await pilot.pause()
        dialog.query_one("#add-task", Select).value = env.meet
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [row] = grid(app).rows_shown
        assert (row.project_name, row.task_name) == ("Website", "Meetings")
        assert grid(app).selected() == (row.key, 4)  # today, Friday
        await pilot.press("4", "enter")
        await settle(pilot)
    assert stored(env) == [(date(2026, 3, 6), env.meet, 4 * 3600, "tui")]


async def test_a_quick_tab_and_enter_in_add_row_never_cancels(runtime, env) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddRowDialog)
        dialog.query_one("#add-project", Select).value = env.web
        await pilot.press("tab", "enter")  # at once: the task list opens, the dialog stays
        await pilot.pause()
        assert dialog.is_attached and dialog in app.screen_stack
        assert dialog.query_one("#add-task", Select).expanded
        await pilot.press("escape")  # closes the open list
        await pilot.pause()
        await pilot.press("tab", "enter")  # Add row, with no task chosen: it says so
        await pilot.pause()
        assert app.screen is dialog
        assert "Choose a task." in str(dialog.query_one("#add-error", Static).render())
        dialog.query_one("#add-task", Select).value = env.dev
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert [row.task_name for row in grid(app).rows_shown] == ["Development"]


async def test_saving_the_sunday_of_a_new_row_keeps_the_cursor_on_that_row(runtime, env) -> None:
    add(env, MONDAY, 1, task="meet")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("n")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, AddRowDialog)
        dialog.query_one("#add-project", Select).value = env.web
        await pilot.pause()
        dialog.query_one("#add-task", Select).value = env.dev
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        dev = next(row.key for row in grid(app).rows_shown if row.task_name == "Development")
        grid(app).select(dev, 6)
        await pilot.press("2", "enter")
        await settle(pilot)
        assert grid(app).selected() == (dev, 6)
    assert (date(2026, 3, 8), env.dev, 2 * 3600, "tui") in stored(env)


async def test_arrows_t_and_g_change_the_week(runtime, env) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        await pilot.press("left")
        await settle(pilot)
        assert title(app) == "Week of Mon 23 Feb – Sun 1 Mar 2026"
        await pilot.press("right", "right")
        await settle(pilot)
        assert title(app) == "Week of Mon 9 Mar – Sun 15 Mar 2026"
        await pilot.press("t")
        await settle(pilot)
        assert title(app).endswith("(this week)")
        await pilot.press("g")
        dialog = app.screen
        assert isinstance(dialog, DateDialog)
        dialog.query_one("#date-input", Input).value = "2025-12-31"
        await pilot.press("enter")
        await settle(pilot)
        assert title(app) == "Week of Mon 29 Dec – Sun 4 Jan 2026"


async def test_each_arrow_moves_a_week_while_the_last_is_still_being_read(runtime,
                                                                           env) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        screen.action_next_week()
        screen.action_next_week()  # before the first of them is read
        await settle(pilot)
        assert title(app) == "Week of Mon 16 Mar – Sun 22 Mar 2026"
        late = screen.report
        assert late is not None
        screen.action_this_week()
        await settle(pilot)
        screen.post_message(WeekScreen.Loaded(late, late.first_day))  # read late: dropped
        await settle(pilot)
        assert title(app).endswith("(this week)")


async def test_arrows_move_in_the_edit_line_while_a_cell_is_edited(runtime, env) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        await pilot.press("1", "2", "left", "5")
        await settle(pilot)
        assert screen.editing is not None
        assert app.screen.query_one("#week-edit-input", Input).value == "152"
        assert title(app).endswith("(this week)")


async def test_locked_cells_are_marked_and_refuse_typing(runtime, env) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).feature_approvals = True
    add(env, MONDAY, 1, approval_status=ApprovalStatus.APPROVED)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_week(pilot)
        assert cells(app, first_row(app))[0] == "1.00⊘"  # 🔒 from 120 columns
        await pilot.press("3")
        await settle(pilot)
        assert screen.editing is None
        assert any("locked" in str(n.message) for n in app._notifications)
    assert stored(env)[0][2] == 3600


async def test_the_footer_fits_80_columns(runtime, env) -> None:
    add(env, MONDAY, 1)
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_week(pilot)
        await pilot.pause()
        keys = list(app.screen.query(FooterKey))
        assert {key.key_display for key in keys} >= {"o", "n", "^q"}
        assert all(key.region.right <= 80 and key.region.width > 0 for key in keys)
        assert str(grid(app).columns[grid(app).ordered_columns[1].key].label).strip() == "Mo 2"


@pytest.mark.parametrize(("width", "label", "day"), [
    (80, 27, 6), (100, 47, 6), (119, 66, 6), (120, 32, 11), (160, 72, 11),
])
def test_the_names_take_the_room_the_days_leave(width: int, label: int, day: int) -> None:
    layout = grid_layout(width)
    assert (layout.label, layout.day, layout.wide) == (label, day, width >= 120)
    assert layout.label + 7 * layout.day + layout.total + 2 + 1 == width  # and a scrollbar


@pytest.mark.parametrize("size", [(80, 24), SIZE, (150, 30)])
async def test_the_grid_draws_cells_as_the_data_table_draws_their_text(runtime, env,
                                                                        size) -> None:
    """WeekGrid lays out its cells itself, past DataTable's private `_render_cell`, to redraw
    fast: what it draws must be what DataTable draws from the cells' rich Text."""
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).feature_approvals = True
        s.get(Project, env.web).name = "Refonte du site — 東京 office, phase two of the rebuild"
    add(env, MONDAY, 2)
    add(env, MONDAY + timedelta(days=1), 1)
    add(env, MONDAY + timedelta(days=1), 0.25)
    add(env, MONDAY + timedelta(days=2), 10.5, task="meet",
        approval_status=ApprovalStatus.APPROVED)
    add(env, MONDAY + timedelta(days=4), 0, is_running=True,
        timer_started_at=NOW - timedelta(minutes=90))
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        await open_week(pilot)
        table = grid(app)
        locked = "10.50🔒" if size[0] >= 120 else "10.5⊘"
        assert {cells(app, row.key)[i] for row in table.rows_shown for i in range(7)} >= {
            "2.00", "1.25+", locked, "1.50▶", "·"}
        table.select(first_row(app), 1)  # the cursor's colours over the "+" mark's

        def drawn() -> list[list[object]]:
            table.notify_style_update()  # forget every line drawn so far
            return [list(strip) for strip in table.render_lines(Region(0, 0, *table.size))]

        handed_on: list[int] = []
        own_render = DataTable._render_cell

        def counted(grid: WeekGrid, row_index: int, *args: object, **kwargs: object):
            handed_on.append(row_index)
            return own_render(grid, row_index, *args, **kwargs)

        with patch.object(DataTable, "_render_cell", counted):
            fast = drawn()
        assert set(handed_on) == {-1}  # every cell fits: only the header goes to DataTable
        with patch.object(WeekGrid, "_render_cell", own_render):
            assert drawn() == fast


@pytest.mark.parametrize("size", [(80, 24), (140, 45)])
async def test_the_totals_stay_on_screen_under_many_one_line_rows(runtime, env, size) -> None:
    with env.ws.session() as s:
        for number in range(40):
            task = Task(id=new_id("task"), name=f"Task {number:02}", handle=f"t{number}")
            s.add(task)
            s.flush()
            s.add(ProjectTask(id=new_id("project_task"), project_id=env.web, task_id=task.id))
            s.add(TimeEntry(id=new_id("time_entry"), user_id=env.ws.admin_id,
                            project_id=env.web, task_id=task.id, spent_date=MONDAY,
                            duration_seconds=900, source=Source.CLI))
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        await open_week(pilot)
        table = grid(app)
        assert {row.height for row in table.rows.values()} == {1}
        label = str(table.get_row(first_row(app))[0])
        assert label == " Website · Task 00  Acme"
        totals = app.screen.query_one("#week-totals", WeekTotals)
        for _ in range(45):
            await pilot.press("down")
        await pilot.pause()
        assert table.rows_shown[table.cursor_coordinate.row].task_name == "Task 39"
        assert table.region.bottom <= totals.region.y < size[1] - 1
        assert cells(app, TOTAL_ROW)[0] == "10.00"



async def palette_pick(pilot: Pilot, search: str) -> str:
    """Search the command palette for `search`; the first option's text (then chosen)."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*search)
    await settle(pilot)  # the palette searches in a worker; its last one fills the list
    first = pilot.app.screen.query_one(CommandList).get_option_at_index(0).prompt.plain
    await pilot.press("enter")
    await settle(pilot)
    await settle(pilot)
    return first


async def test_the_palette_reaches_another_views_actions(runtime, env) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_week(pilot)
        first = await palette_pick(pilot, "timer")
        assert first.startswith("Day: Timer")
        assert app.current_mode == "day"
        assert isinstance(app.screen, EntryDialog)
        await pilot.press("escape")
        await settle(pilot)
        first = await palette_pick(pilot, "add row")
        assert first.startswith("Week: Add row")
        assert app.current_mode == "week"
        assert isinstance(app.screen, AddRowDialog)


@pytest.mark.parametrize(("view", "key"), [("week", "w"), ("day", "d")])
async def test_the_week_is_submitted_from_the_day_and_week_views(runtime, env, view,
                                                                  key) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).feature_approvals = True
    add(env, MONDAY, 2)
    add(env, MONDAY + timedelta(days=1), 1.5)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        assert (await palette_pick(pilot, "submit")).startswith("Submit week")
        assert isinstance(app.screen, DateDialog)
        await pilot.press("enter")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert "Submitted 2 time entries (3.50 h) for 2026-03-02 to 2026-03-08." in said, said
    with env.ws.session(readonly=True) as s:
        statuses = {e.approval_status for e in s.exec(select(TimeEntry)).all()}
    assert statuses == {ApprovalStatus.SUBMITTED}


@pytest.mark.parametrize(("fmt", "shown"), [("decimal", "12.50 of 40.00 h  31%"),
                                            ("hh:mm", "12:30 of 40:00  31%")])
def test_the_progress_reads_in_the_workspaces_duration_format(fmt: str, shown: str) -> None:
    from keito_core.enums import DurationFormat, WeekDay
    from keito_core.reports.week import WeekCell, WeekReport, WeekRow
    from keito_tui.app.screens.week import progress_text

    days = tuple(MONDAY + timedelta(days=i) for i in range(7))
    row = WeekRow(project_id="p", project_name="P", client_name="C", task_id=None,
                  task_name="(no task)",
                  cells=(WeekCell(day=days[0], seconds=45000),
                         *(WeekCell(day=d) for d in days[1:])))
    report = WeekReport(user_id="u", user_name="U", days=days, today=MONDAY, rows=(row,),
                        day_locks=(None,) * 7, capacity_seconds=40 * 3600,
                        duration_format=DurationFormat(fmt), week_start=WeekDay.MONDAY)
    assert progress_text(report, 20) == shown
