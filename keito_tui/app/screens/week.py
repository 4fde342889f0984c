"""The Week view: the week grid of hours by project/task and day, filled in from the keyboard.

Keys: ← → change week (while no cell is being edited), t this week, g a week you type;
up/down, Tab and Shift+Tab move between cells. Typing a digit (or `.` `:`) on a cell edits
it in the edit line; Enter or Tab saves and moves to the next day, Shift+Tab to the day
before, Escape cancels. A cell holding several entries opens them instead (o opens any
cell's entries). n adds a row. Reads and writes run in workers (keito_core.reports.week,
keito_core.services.tracking.week_cells).

The week is read again every few seconds while the view is on screen, no cell is being edited
and no write is under way, so time logged elsewhere (the command line, a timer) shows up. A
running timer's cell and the totals count up each second from the runtime's clock between
reads, without touching the database.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable, Header, Input, Label, Static

from keito_core.errors import KeitoError
from keito_core.reports.day import ProjectChoice
from keito_core.reports.week import (
    WeekCell,
    WeekReport,
    WeekRow,
    cell_lock_message,
    row_key,
)
from keito_core.rules.durations import format_duration, format_duration_unit
from keito_core.services.tracking.week_cells import CellChange
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.day import NO_PROJECT, POLL_SECONDS
from keito_tui.app.screens.dialogs import DateDialog
from keito_tui.app.screens.entry_dialog import EntrySaved
from keito_tui.app.screens.submitting import SubmitsWeek
from keito_tui.app.screens.week_dialogs import (
    AddRowDialog,
    CellEntriesDialog,
    CellKey,
    EntryForm,
    NewCellEntryDialog,
    NewRow,
    read_entry_form,
)
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.week_grid import WeekGrid, WeekTotals

WEEK = Binding.Group("Week", compact=True)
CELL = Binding.Group("Cell")

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("week.previous", "left", "previous_week", "Previous week",
                "Show the week before (while no cell is being edited)", key_display="←",
                priority=True, group=WEEK),
    KeitoAction("week.next", "right", "next_week", "Next week",
                "Show the week after (while no cell is being edited)", key_display="→",
                priority=True, group=WEEK),
    KeitoAction("week.this", "t", "this_week", "This week", "Show the current week",
                group=WEEK),
    KeitoAction("week.goto", "g", "go_to_week", "Go to week", "Show the week of a date you type",
                group=WEEK),
    KeitoAction("week.edit", "enter", "edit_cell", "Edit",
                "Edit the selected cell (type a digit to start with it); Enter saves and moves "
                "to the next day; a cell of several entries opens them", key_display="⏎",
                group=CELL),
    KeitoAction("week.entries", "o", "open_entries", "Open",
                "Open the entries behind the selected cell to edit or delete one", group=CELL),
    KeitoAction("week.add_row", "n", "add_row", "Add row", "Add a row for a project and task"),
    KeitoAction("week.submit", "S", "submit_week", "Submit week",
                "Submit your time and expenses of the week shown (or the week you pick) for "
                "approval", show=False),
    KeitoAction("week.next_cell", "tab", "next_cell", "Next cell",
                "Move to the next day (saving a cell being edited)", show=False),
    KeitoAction("week.previous_cell", "shift+tab", "previous_cell", "Previous cell",
                "Move to the day before (saving a cell being edited)", show=False),
    KeitoAction("week.cancel", "escape", "cancel_edit", "Cancel edit",
                "Stop editing a cell without saving it", show=False),
)


def progress_text(report: WeekReport, width: int) -> str:
    """`12.50 of 40.00 h  31% ███░░░░░` (`12:30 of 40:00` in h:mm) with a bar as long as
    there is room for."""
    fmt = str(report.duration_format)
    total = format_duration(report.total_seconds, fmt)
    capacity = format_duration_unit(report.capacity_seconds, fmt)
    text = f"{total} of {capacity}  {report.capacity_percent}%"
    room = max(0, min(30, width - len(text) - 1))
    if room >= 5:
        filled = min(room, room * report.capacity_percent // 100)
        text += " " + "█" * filled + "░" * (room - filled)
    return text


def with_elapsed(report: WeekReport, seconds: int) -> WeekReport:
    """The report with `seconds` more on its running timer's cell: the time since the read."""
    if seconds <= 0:
        return report
    rows = tuple(
        replace(row, cells=tuple(replace(cell, seconds=cell.seconds + seconds) if cell.running
                                 else cell for cell in row.cells))
        if any(cell.running for cell in row.cells) else row
        for row in report.rows)
    return replace(report, rows=rows)


def week_title(report: WeekReport) -> str:
    first, last = report.days[0], report.days[-1]
    label = f"Week of {first:%a %-d %b} – {last:%a %-d %b %Y}"
    if first <= report.today <= last:
        label += " (this week)"
    return label


class WeekScreen(SubmitsWeek, MainView):
    """The week grid."""

    VIEW_NAME = "Week"
    CSS_PATH = "week.tcss"
    AUTO_FOCUS = "#week-grid"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    #: Declared here too: Textual merges a class's bindings before MainView sets BINDINGS.
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        """The week read for `anchor` (a day in it, or None for the current week) at
        `read_at`, the runtime's clock when it was read."""

        def __init__(self, report: WeekReport, anchor: date | None,
                     read_at: datetime | None = None) -> None:
            super().__init__()
            self.report = report
            self.anchor = anchor
            self.read_at = read_at

    class CellSaved(Message):
        def __init__(self, change: CellChange) -> None:
            super().__init__()
            self.change = change

    class CellRefused(Message):
        """A cell could not be set: say why, and go back to it."""

        def __init__(self, error: ErrorInfo, key: str, day_index: int, text: str) -> None:
            super().__init__()
            self.error = error
            self.key = key
            self.day_index = day_index
            self.text = text

    class ProjectsRead(Message):
        def __init__(self, projects: tuple[ProjectChoice, ...]) -> None:
            super().__init__()
            self.projects = projects

    class NotesNeeded(Message):
        """A new entry for the cell (`key`, `day_index`) needs notes: the entry dialog's
        form, read, and the duration typed."""

        def __init__(self, form: EntryForm, key: str, day_index: int, text: str) -> None:
            super().__init__()
            self.form = form
            self.key = key
            self.day_index = day_index
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        #: A day in the week shown; None shows the current week.
        self.week_anchor: date | None = None
        self.report: WeekReport | None = None
        #: Rows added with `n` that have no time yet, by the week they were added to.
        self.added: dict[date, dict[str, WeekRow]] = {}
        #: (row key, day index) of the cell being edited, or None.
        self.editing: tuple[str, int] | None = None
        #: The runtime's clock when `report` was read (a running timer counts on from it).
        self.read_at: datetime | None = None
        self.ticker: Timer | None = None
        self.poller: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="week-bar"):
            yield Static("", id="week-title", markup=False)
            yield Static("", id="week-progress", markup=False)
        yield WeekGrid(id="week-grid")
        yield WeekTotals(id="week-totals")
        with Horizontal(id="week-edit"):
            yield Label("", id="week-edit-label", markup=False)
            yield Input(placeholder="1.5 or 1:30", id="week-edit-input", compact=True,
                        select_on_focus=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        # MainView.on_mount runs too (Textual calls each class's handler) and reads the week.
        self.ticker = self.set_interval(1.0, self.tick)
        self.poller = self.set_interval(POLL_SECONDS, self.poll)

    # --- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.week_anchor)

    def submit_week_day(self) -> date | None:
        return self.report.first_day if self.report is not None else self.week_anchor

    def submit_week_today(self) -> date | None:
        return self.report.today if self.report is not None else None

    def poll(self) -> None:
        """Read again now and then, while the view is on screen and nothing is being typed
        or saved."""
        if self.is_current and self.editing is None and not self.writing():
            self.reload()

    def writing(self) -> bool:
        return any(w.group == "week-write" and not w.is_finished for w in self.workers)

    def tick(self) -> None:
        """Once a second: a running timer's cell and the totals, from the clock alone."""
        report = self.report
        if (self.is_current and report is not None
                and any(cell.running for row in report.rows for cell in row.cells)):
            self.show_report()

    @work(thread=True, exclusive=True, group="week-load")
    def load(self, anchor: date | None) -> None:
        from keito_core.reports.week import week_report

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                now = self.runtime.clock()
                report = week_report(session, actor=actor, day=anchor, now=now)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(report, anchor, now))

    def on_week_screen_loaded(self, message: Loaded) -> None:
        if message.anchor != self.week_anchor:
            return  # a week asked for before the last one, read late
        self.report, self.read_at = message.report, message.read_at
        self.show_report()

    def current_report(self) -> WeekReport | None:
        """The report as of now: a running timer's cell counts on from the read."""
        report = self.report
        if report is None or self.read_at is None:
            return report
        return with_elapsed(report, int((self.runtime.clock() - self.read_at).total_seconds()))

    def rows(self, report: WeekReport | None = None) -> tuple[WeekRow, ...]:
        """The report's rows, then the rows added this week that have no time yet."""
        if report is None:
            report = self.report
        if report is None:
            return ()
        known = {row.key for row in report.rows}
        added = [row for key, row in self.added.get(report.first_day, {}).items()
                 if key not in known]
        return report.rows + tuple(added)

    def show_report(self) -> None:
        report = self.current_report()
        if report is None:
            return
        width = self.size.width or 80
        self.query_one("#week-title", Static).update(week_title(report))
        self.query_one("#week-progress", Static).update(
            progress_text(report, max(20, width - len(week_title(report)) - 4)))
        rows = self.rows(report)
        self.grid.show(report, rows, width)
        self.query_one("#week-totals", WeekTotals).show(report, rows, width)

    def on_resize(self) -> None:
        if self.report is not None and self.grid.layout_width != self.size.width:
            self.show_report()

    @property
    def grid(self) -> WeekGrid:
        return self.query_one("#week-grid", WeekGrid)

    # --- weeks ------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("previous_week", "next_week", "this_week", "go_to_week", "add_row",
                      "open_entries", "edit_cell", "submit_week"):
            return self.editing is None  # the edit line takes the keys meanwhile
        if action == "cancel_edit":
            return self.editing is not None
        return True

    def show_week(self, anchor: date | None) -> None:
        self.week_anchor = anchor
        self.load(anchor)

    def step_week(self, weeks: int) -> None:
        """Show the week `weeks` on from the one last asked for, even if it is still being
        read, so that each press of an arrow moves one week."""
        anchor = self.week_anchor or (self.report.today if self.report else None)
        if anchor is not None:
            self.show_week(anchor + timedelta(weeks=weeks))

    def action_previous_week(self) -> None:
        self.step_week(-1)

    def action_next_week(self) -> None:
        self.step_week(1)

    def action_this_week(self) -> None:
        self.show_week(None)

    def action_go_to_week(self) -> None:
        initial = self.report.first_day if self.report else self.runtime.clock().date()
        today = self.report.today if self.report else None

        def chosen(day: date | None) -> None:
            if day is not None:
                self.show_week(day)

        self.app.push_screen(DateDialog(initial, today=today, title="Go to the week of"), chosen)

    # --- cells ------------------------------------------------------------------------------

    def selected_cell(self) -> tuple[WeekRow, int, WeekCell] | None:
        chosen = self.grid.selected()
        row = self.grid.selected_row()
        if chosen is None or row is None:
            return None
        return row, chosen[1], row.cells[chosen[1]]

    def cell_key(self, row: WeekRow, cell: WeekCell) -> CellKey:
        title = f"{row.project_name} · {row.task_name} · {cell.day:%a %-d %b %Y}"
        return CellKey(row.project_id, row.task_id, cell.day, title)

    @on(DataTable.CellSelected, "#week-grid")
    def cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        if self.editing is not None:  # Enter reached the grid before the edit line had focus
            self.commit_edit(1)
        else:
            self.action_edit_cell()

    def action_edit_cell(self) -> None:
        found = self.selected_cell()
        if found is None:
            self.notify("Add a row first: press n to choose a project and task.")
            return
        row, _, cell = found
        if cell.entries > 1:
            self.open_cell(row, cell)
            return
        fmt = str(self.report.duration_format) if self.report else "decimal"
        self.start_edit(format_duration(cell.seconds, fmt) if cell.entries else "")

    @on(WeekGrid.EditRequested)
    def edit_requested(self, event: WeekGrid.EditRequested) -> None:
        typed = self.grid.take_typed()
        if self.editing is not None:
            return
        found = self.selected_cell()
        if found is None:
            self.notify("Add a row first: press n to choose a project and task.")
            return
        row, _, cell = found
        if cell.entries > 1:
            self.open_cell(row, cell)
            return
        self.start_edit(typed)

    def start_edit(self, text: str) -> None:
        found = self.selected_cell()
        if found is None:
            return
        row, index, cell = found
        if cell.lock is not None:
            self.notify(cell_lock_message(cell.lock, cell.day), title="Locked",
                        severity="error", markup=False)
            return
        self.editing = (row.key, index)
        self.query_one("#week-edit-label", Label).update(
            f"{cell.day:%a %-d} · {row.project_name} · {row.task_name}: ")
        box = self.query_one("#week-edit-input", Input)
        box.value = text
        self.query_one("#week-edit").display = True
        box.focus()
        box.cursor_position = len(text)
        self.grid.edit_box = box
        self.refresh_bindings()

    def stop_edit(self) -> None:
        self.editing = None
        self.grid.edit_box = None
        self.query_one("#week-edit").display = False
        self.grid.focus()
        self.refresh_bindings()

    def action_cancel_edit(self) -> None:
        self.stop_edit()

    def commit_edit(self, offset: int) -> None:
        """Save the cell being edited (in a worker) and move `offset` days on."""
        if self.editing is None:
            return
        key, index = self.editing
        text = self.query_one("#week-edit-input", Input).value
        self.stop_edit()
        row = next((r for r in self.rows() if r.key == key), None)
        if row is not None:
            self.save_cell(row.project_id, row.task_id, row.cells[index].day, text, key, index)
        self.grid.select(key, index)
        self.grid.step(offset)

    @on(Input.Submitted, "#week-edit-input")
    def edit_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.commit_edit(1)

    def action_next_cell(self) -> None:
        if self.editing is not None:
            self.commit_edit(1)
        else:
            self.grid.step(1)

    def action_previous_cell(self) -> None:
        if self.editing is not None:
            self.commit_edit(-1)
        else:
            self.grid.step(-1)

    @work(thread=True, group="week-write")
    def save_cell(self, project_id: str, task_id: str | None, day: date, text: str, key: str,
                  index: int) -> None:
        from keito_core.services.tracking.week_cells import set_cell

        try:
            with self.runtime.session() as session:
                change = set_cell(session, actor=self.runtime.actor(session),
                                  project_ref=project_id, task_ref=task_id, day=day,
                                  duration_text=text, now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.CellRefused(ErrorInfo.of(exc), key, index, text))
            return
        self.post_message(self.CellSaved(change))

    def on_week_screen_cell_saved(self, message: CellSaved) -> None:
        self.reload()

    def on_week_screen_cell_refused(self, message: CellRefused) -> None:
        error = message.error
        self.grid.select(message.key, message.day_index)
        if error.code == "conflict":  # several entries: show them rather than overwrite
            found = self.selected_cell()
            if found is not None:
                self.open_cell(found[0], found[2])
            self.reload()
            return
        row = next((r for r in self.rows() if r.key == message.key), None)
        if error.field == "notes" and row is not None and not row.cells[message.day_index].entries:
            self.read_notes_form(message.key, message.day_index, message.text)
            return
        self.notify("\n".join(filter(None, (error.message, error.hint))),
                    title="Locked" if error.code == "locked" else "Not saved",
                    severity="error", markup=False)
        if error.code != "locked":
            self.start_edit(message.text)

    @work(thread=True, exclusive=True, group="week-form")
    def read_notes_form(self, key: str, day_index: int, text: str) -> None:
        """Read what the entry dialog needs, to log the cell's time with notes."""
        try:
            with self.runtime.session(readonly=True) as session:
                form = read_entry_form(self.runtime, session, self.runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.NotesNeeded(form, key, day_index, text))

    def on_week_screen_notes_needed(self, message: NotesNeeded) -> None:
        """Log the new entry in the entry dialog, where the notes the workspace requires
        can be given."""
        row = next((r for r in self.rows() if r.key == message.key), None)
        if row is None:
            return
        cell = self.cell_key(row, row.cells[message.day_index])

        def saved(result: EntrySaved | None) -> None:
            self.grid.focus()
            if result is not None:
                self.notify(result.message)
                self.reload()

        self.notify("This workspace requires notes on every entry: add them to log the time.")
        self.app.push_screen(
            NewCellEntryDialog(self.runtime, cell=cell, duration=message.text, form=message.form),
            saved)

    # --- entries and rows -------------------------------------------------------------------

    def open_cell(self, row: WeekRow, cell: WeekCell) -> None:
        def closed(changed: bool | None) -> None:
            self.grid.focus()
            if changed:
                self.reload()

        self.app.push_screen(CellEntriesDialog(self.runtime, self.cell_key(row, cell)), closed)

    def action_open_entries(self) -> None:
        found = self.selected_cell()
        if found is None or found[2].entries == 0:
            self.notify("This cell has no entries yet: type a duration to log one.")
            return
        self.open_cell(found[0], found[2])

    def action_add_row(self) -> None:
        self.read_projects()

    @work(thread=True, exclusive=True, group="week-projects")
    def read_projects(self) -> None:
        from keito_core.reports.day import project_choices

        try:
            with self.runtime.session(readonly=True) as session:
                choices = project_choices(session, actor=self.runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.ProjectsRead(choices))

    def on_week_screen_projects_read(self, message: ProjectsRead) -> None:
        if not message.projects:
            self.notify(NO_PROJECT, title="No project yet", severity="warning", markup=False)
            return
        self.app.push_screen(AddRowDialog(message.projects), self.row_added)

    def row_added(self, new: NewRow | None) -> None:
        report = self.report
        if new is None or report is None:
            return
        key = row_key(new.project_id, new.task_id)
        if report.row(key) is None:
            cells = tuple(WeekCell(day=d, lock=report.day_locks[i])
                          for i, d in enumerate(report.days))
            self.added.setdefault(report.first_day, {})[key] = WeekRow(
                project_id=new.project_id, project_name=new.project_name,
                client_name=new.client_name, task_id=new.task_id, task_name=new.task_name,
                cells=cells)
            self.show_report()
        today_index = next((i for i, d in enumerate(report.days) if d == report.today), 0)
        self.grid.select(key, today_index)
        self.grid.focus()
