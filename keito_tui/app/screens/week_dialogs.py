"""The week grid's dialogs: add a project/task row, the entries behind one cell, and the entry
dialog for a new cell entry that needs notes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Self

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.reports.day import DayEntry, ProjectChoice
from keito_core.reports.week_entries import EntryForm, cell_entries, entry_form
from keito_core.rules.durations import format_duration
from keito_tui.app.screens.dialogs import DIALOG_CSS, ConfirmDialog
from keito_tui.app.screens.entry_dialog import EntryDialog, EntrySaved
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.badges import source_badge
from keito_tui.app.widgets.footer import KeitoFooter

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules import permissions as policy
LOCK_MARK = "🔒"


@dataclass(frozen=True)
class NewRow:
    """The project and task the user chose for a new row."""

    project_id: str
    project_name: str
    client_name: str
    task_id: str | None
    task_name: str


class ChoiceSelect(Select[str]):
    """A Select that, once an option is chosen from its list, takes the focus back only when
    no key has moved it on: Enter then Tab typed at once reaches the next field."""

    def focus(self, scroll_visible: bool = True) -> Self:
        focused = self.screen.focused if self.is_attached else None
        if focused is not None and focused is not self and focused not in self.walk_children():
            return self
        return super().focus(scroll_visible)


class AddRowDialog(ModalScreen[NewRow | None]):
    """Choose a project, then one of its tasks; dismissed with a NewRow (None: cancelled).

    Tab moves project, task, Add row, Cancel, in that order, and choosing moves no focus: a
    quick Tab and Enter after a choice reaches the next list or adds the row (or says what is
    missing), never Cancel."""

    DEFAULT_CSS = DIALOG_CSS + """
    AddRowDialog { align: center middle; }
    #add-row Select { width: 1fr; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "add", "Add row", id="week.add_row.save", tooltip="Add the row"),
        Binding("escape", "cancel", "Cancel", id="week.add_row.cancel",
                tooltip="Close without adding a row"),
    ]

    def __init__(self, projects: tuple[ProjectChoice, ...]) -> None:
        super().__init__()
        self.projects = {project.id: project for project in projects}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="add-row"):
            yield Static("Add a row", classes="dialog--title", markup=False)
            yield ChoiceSelect([(p.label, p.id) for p in self.projects.values()],
                               prompt="Project (type to search)", id="add-project", compact=True)
            yield ChoiceSelect([], prompt="Task (choose a project first)", id="add-task",
                               compact=True)
            yield Static("", classes="dialog--error", id="add-error", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Add row", id="add-save", variant="primary", compact=True)
                yield Button("Cancel", id="add-cancel", compact=True)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        projects = self.query_one("#add-project", Select)
        projects.focus()
        # Watchers, not Changed messages: the task list follows the project in the same tick.
        self.watch(projects, "value", self.project_chosen, init=False)
        self.watch(self.query_one("#add-task", Select), "value", self.changed, init=False)

    def project_chosen(self, value: object) -> None:
        """Offer the chosen project's tasks (all read with the projects), its only one chosen."""
        project = self.projects.get(str(value))
        tasks = self.query_one("#add-task", Select)
        tasks.set_options([(t.name, t.id) for t in project.tasks] if project else [])
        tasks.prompt = ("Task" if project.tasks else "No task") if project else (
            "Task (choose a project first)")
        if project is not None and len(project.tasks) == 1:
            tasks.value = project.tasks[0].id
        self.changed()

    def changed(self, _value: object = None) -> None:
        """A choice changed: the last error no longer holds, and a button pressed a moment ago
        takes its next press (Textual ignores one within its 0.2 s press effect)."""
        self.query_one("#add-error", Static).update("")
        for button in self.query(Button):
            button.remove_class("-active")

    @on(Button.Pressed, "#add-save")
    def action_add(self) -> None:
        project_value = self.query_one("#add-project", Select).value
        task_value = self.query_one("#add-task", Select).value
        project = self.projects.get(str(project_value))
        error = self.query_one("#add-error", Static)
        if project is None:
            error.update("Choose a project.")
            return
        task = next((t for t in project.tasks if t.id == task_value), None)
        if task is None and project.tasks:
            error.update("Choose a task.")
            return
        self.dismiss(NewRow(project.id, project.name, project.client,
                            task.id if task else None, task.name if task else "(no task)"))

    @on(Button.Pressed, "#add-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def read_entry_form(runtime: Runtime, session: Session, actor: policy.Actor) -> EntryForm:
    """The entry dialog's projects, time zone and duration format, for the actor."""
    return entry_form(session, actor=actor, now=runtime.clock())


@dataclass(frozen=True)
class CellKey:
    """One cell of the grid: a project, a task (or none) and a day."""

    project_id: str
    task_id: str | None
    day: date
    title: str


class CellEntriesDialog(ModalScreen[bool]):
    """The entries behind one cell, to edit or delete one; dismissed with whether any changed.

    Edits go through the day view's EntryDialog; locked entries are marked, and the services
    refuse to change them.
    """

    DEFAULT_CSS = DIALOG_CSS + """
    CellEntriesDialog { align: center middle; }
    #cell-entries { width: 90; }
    #cell-entries DataTable { height: auto; max-height: 12; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("enter,e", "edit", "Edit", id="week.entries.edit", key_display="⏎",
                tooltip="Edit the selected entry"),
        Binding("x,delete", "delete", "Delete", id="week.entries.delete", key_display="x",
                tooltip="Delete the selected entry (asks first)"),
        Binding("escape", "close", "Close", id="week.entries.close",
                tooltip="Back to the week"),
    ]

    class Loaded(Message):
        def __init__(self, entries: tuple[DayEntry, ...], projects: tuple[ProjectChoice, ...],
                     form: EntryForm) -> None:
            super().__init__()
            self.entries = entries
            self.projects = projects
            self.form = form

    class Failed(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    class Deleted(Message):
        pass

    def __init__(self, runtime: Runtime, cell: CellKey) -> None:
        super().__init__()
        self.runtime = runtime
        self.cell = cell
        self.entries: tuple[DayEntry, ...] = ()
        self.projects: tuple[ProjectChoice, ...] = ()
        self.timezone = "UTC"
        self.duration_format = "decimal"
        self.time_format = "24h"
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="cell-entries"):
            yield Static(self.cell.title, classes="dialog--title", markup=False)
            table: DataTable[Any] = DataTable(id="cell-table", cursor_type="row")
            table.add_columns("Notes", "Time", "Hours", "Source", "")
            yield table
            yield Static("", classes="dialog--error", id="cell-error", markup=False)
            yield Static("Enter edits, x deletes, Escape goes back to the week.",
                         classes="dialog--note", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#cell-table", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="cell-entries")
    def load(self) -> None:
        cell = self.cell
        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                form = read_entry_form(self.runtime, session, actor)
                entries = cell_entries(session, actor=actor, project_id=cell.project_id,
                                       task_id=cell.task_id, day=cell.day,
                                       now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(entries, form.projects, form))

    def on_cell_entries_dialog_loaded(self, message: Loaded) -> None:
        self.entries, self.projects = message.entries, message.projects
        form = message.form
        self.timezone, self.duration_format = form.timezone, form.duration_format
        self.time_format = form.time_format
        table = self.query_one("#cell-table", DataTable)
        table.clear()
        for entry in self.entries:
            span = ""
            if entry.started_at and entry.ended_at:
                from keito_tui.app.screens.entry_dialog import clock_text

                span = (f"{clock_text(entry.started_at, self.timezone, self.time_format)}-"
                        f"{clock_text(entry.ended_at, self.timezone, self.time_format)}")
            table.add_row(
                Text(entry.notes or "(no notes)", style="" if entry.notes else "dim",
                     no_wrap=True, overflow="ellipsis"),
                span,
                Text(format_duration(entry.duration_seconds, self.duration_format),
                     justify="right"),
                source_badge(entry.source),
                LOCK_MARK if entry.lock_reason else ("▶" if entry.is_running else ""),
                key=entry.id,
            )
        if not self.entries:
            self.dismiss(self.changed)

    def on_cell_entries_dialog_failed(self, message: Failed) -> None:
        error = message.error
        self.query_one("#cell-error", Static).update(
            "\n".join(filter(None, (error.message, error.hint))))

    def chosen(self) -> DayEntry | None:
        table = self.query_one("#cell-table", DataTable)
        if not self.entries or table.cursor_row >= len(self.entries):
            return None
        return self.entries[table.cursor_row]

    def refuse_if_locked(self, entry: DayEntry) -> bool:
        if entry.lock_message:
            self.query_one("#cell-error", Static).update(entry.lock_message)
            return True
        return False

    @on(DataTable.RowSelected, "#cell-table")
    def row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on the table (which takes it before the dialog's binding) edits the entry."""
        event.stop()
        self.action_edit()

    def action_edit(self) -> None:
        entry = self.chosen()
        if entry is None or self.refuse_if_locked(entry):
            return
        self.app.push_screen(
            EntryDialog(self.runtime, mode="edit", day=self.cell.day, projects=self.projects,
                        timezone=self.timezone, duration_format=self.duration_format,
                        entry=entry, time_format=self.time_format),
            self.edited)

    def edited(self, saved: EntrySaved | None) -> None:
        if saved is not None:
            self.changed = True
            self.notify(saved.message)
            self.load()

    def action_delete(self) -> None:
        entry = self.chosen()
        if entry is None or self.refuse_if_locked(entry):
            return
        hours = format_duration(entry.duration_seconds, self.duration_format)
        message = f"Delete this entry of {hours} ({entry.notes or 'no notes'})?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(entry.id)

        self.app.push_screen(ConfirmDialog(message, confirm_label="Delete"), answered)

    @work(thread=True, exclusive=True, group="cell-entries-write")
    def delete(self, entry_id: str) -> None:
        from keito_core.services.tracking.time_entries import delete_entry

        try:
            with self.runtime.session() as session:
                delete_entry(session, actor=self.runtime.actor(session), entry_id=entry_id,
                             now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Deleted())

    def on_cell_entries_dialog_deleted(self, message: Deleted) -> None:
        self.changed = True
        self.notify("Entry deleted")
        self.load()

    def action_close(self) -> None:
        self.dismiss(self.changed)


class NewCellEntryDialog(EntryDialog):
    """The entry dialog in "new" mode for an empty cell the service would not fill without
    notes: the cell's project, task and day and the duration typed are filled in, and the
    notes have the focus."""

    def __init__(self, runtime: Runtime, *, cell: CellKey, duration: str, form: EntryForm) -> None:
        super().__init__(runtime, mode="new", day=cell.day, projects=form.projects,
                         timezone=form.timezone, duration_format=form.duration_format,
                         time_format=form.time_format)
        prefill: dict[str, Any] = {"duration": duration}
        project = self.projects.get(cell.project_id)
        if project is not None:  # a project the form offers (else the user chooses one)
            prefill["project"] = project.id
            if cell.task_id in {task.id for task in project.tasks}:
                prefill["task"] = cell.task_id
        self.initial.update(prefill)

    def on_mount(self) -> None:
        # EntryDialog's own on_mount runs after this one and focuses the project.
        self.call_after_refresh(self.query_one("#notes", Input).focus)
