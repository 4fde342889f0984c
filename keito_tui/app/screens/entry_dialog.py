"""The time entry dialog: log a new entry, edit one, or start a timer (source "tui").

A duration is typed as decimal hours (1.5) or h:mm (1:30), or given as start and end clock
times; the services decide what is valid and their errors are shown next to the field named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.reports.day_values import DayEntry, ProjectChoice
from keito_core.rules.durations import format_duration
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.form_field import FormField

#: Hints written for the command line (flags, `keito ...`) are left out of the form.

Mode = Literal["new", "edit", "timer"]
TITLES = {"new": "New time entry", "edit": "Edit time entry", "timer": "Start a timer"}
SAVE_LABELS = {"new": "Save", "edit": "Save", "timer": "Start timer"}


@dataclass(frozen=True)
class EntrySaved:
    """What the dialog did: a line for the notification, the entry and its date."""

    message: str
    entry_id: str
    day: date


def clock_text(instant: datetime | None, tz: str, time_format: str = "24h") -> str:
    """An instant as local time, `13:05` or (12h) `1:05 pm` (empty when there is none)."""
    if instant is None:
        return ""
    local = instant.astimezone(ZoneInfo(tz))
    if time_format == "12h":
        return f"{local.hour % 12 or 12}:{local:%M} {'am' if local.hour < 12 else 'pm'}"
    return local.strftime("%H:%M")


class EntryDialog(ModalScreen[EntrySaved | None]):
    """A form for one entry; saves in a worker and dismisses with an EntrySaved."""

    DEFAULT_CSS = """
    EntryDialog { align: center middle; }
    #entry-dialog {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: round $accent; background: $surface; padding: 0 1;
    }
    #entry-title { text-style: bold; color: $accent; margin-bottom: 1; }
    #entry-dialog FormField { margin-bottom: 0; }
    #entry-dialog FormField .form-field--label { width: 10; }
    #entry-dialog Input, #entry-dialog Select { width: 1fr; }
    #entry-times { height: auto; }
    #entry-times FormField { width: 1fr; }
    #entry-error { display: none; color: $error; }
    #entry-error.-visible { display: block; }
    #entry-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    #entry-buttons Button { margin-left: 1; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="entry.save", tooltip="Save the entry"),
        Binding("escape", "cancel", "Cancel", id="entry.cancel", tooltip="Close without saving"),
    ]

    class Saved(Message):
        def __init__(self, result: EntrySaved) -> None:
            super().__init__()
            self.result = result

    class Rejected(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, runtime: Runtime, *, mode: Mode, day: date,
                 projects: tuple[ProjectChoice, ...], timezone: str,
                 duration_format: str = "decimal", entry: DayEntry | None = None,
                 time_format: str = "24h") -> None:
        super().__init__()
        self.runtime = runtime
        self.mode: Mode = mode
        self.day = day
        self.projects = {project.id: project for project in projects}
        self.timezone = timezone
        self.duration_format = duration_format
        self.time_format = time_format
        self.entry = entry
        self.initial: dict[str, Any] = self.initial_values()
        self.billable_touched = False

    # --- layout ---------------------------------------------------------------------------

    def initial_values(self) -> dict[str, Any]:
        entry = self.entry
        if entry is None:
            return {"project": None, "task": None, "notes": "", "duration": "", "start": "",
                    "end": "", "spent_date": self.day.isoformat(), "billable": True}
        duration = "" if entry.is_running else format_duration(entry.duration_seconds,
                                                                self.duration_format)
        return {"project": entry.project_id, "task": entry.task_id, "notes": entry.notes or "",
                "duration": duration,
                "start": clock_text(entry.started_at, self.timezone, self.time_format),
                "end": clock_text(entry.ended_at, self.timezone, self.time_format),
                "spent_date": self.day.isoformat(), "billable": entry.is_billable}

    def project_options(self) -> list[tuple[str, str]]:
        options = [(p.label, p.id) for p in self.projects.values()]
        entry = self.entry
        if entry is not None and entry.project_id not in self.projects:
            options.insert(0, (f"{entry.client} › {entry.project}", entry.project_id))
        return options

    def task_options(self, project_id: str | None) -> list[tuple[str, str]]:
        project = self.projects.get(project_id or "")
        options = [(t.name, t.id) for t in project.tasks] if project else []
        entry = self.entry
        if (entry is not None and entry.task_id and entry.project_id == project_id
                and entry.task_id not in {value for _, value in options}):
            options.insert(0, (entry.task or entry.task_id, entry.task_id))
        return options

    def compose(self) -> ComposeResult:
        initial = self.initial
        timing = self.mode == "new" or (self.mode == "edit" and self.entry is not None
                                        and not self.entry.is_running)
        with VerticalScroll(id="entry-dialog"):
            yield Static(TITLES[self.mode], id="entry-title", markup=False)
            yield FormField("Project", Select(
                self.project_options(), prompt="Choose a project (type to search)",
                value=initial["project"] or Select.NULL, id="project", compact=True,
                disabled=self.mode == "edit",
            ), field="project")
            yield FormField("Task", Select(
                self.task_options(initial["project"]), prompt="No task",
                value=initial["task"] or Select.NULL, id="task", compact=True,
            ), field="task")
            yield FormField("Notes", Input(initial["notes"], placeholder="What you did",
                                           id="notes", compact=True), field="notes")
            if timing:
                yield FormField("Duration", Input(
                    initial["duration"], placeholder="1.5 or 1:30 (or start and end below)",
                    id="duration", compact=True), field="duration")
                start, end = ("9:00 am", "10:30 am") if self.time_format == "12h" else (
                    "9:00", "10:30")
                with Horizontal(id="entry-times"):
                    yield FormField("Start", Input(initial["start"], placeholder=start,
                                                   id="start", compact=True), field="start")
                    yield FormField("End", Input(initial["end"], placeholder=end,
                                                 id="end", compact=True), field="end")
                yield FormField("Date", Input(initial["spent_date"], placeholder="YYYY-MM-DD",
                                              id="spent_date", compact=True), field="spent_date")
            yield FormField("Billable", Checkbox("billable", initial["billable"], id="billable",
                                                 compact=True), field="billable")
            yield Static("", id="entry-error", markup=False)
            with Horizontal(id="entry-buttons"):
                yield Button("Cancel", id="entry-cancel", compact=True)
                yield Button(SAVE_LABELS[self.mode], id="entry-save", variant="primary",
                             compact=True)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        for box in self.query(Input):  # the cursor at the end: a first key adds, not replaces
            box.select_on_focus = False
        self.update_billable_control(self.initial["project"])
        if self.mode == "edit":
            self.query_one("#notes", Input).focus()
        else:
            self.query_one("#project", Select).focus()

    # --- reactions ------------------------------------------------------------------------

    @on(Select.Changed, "#project")
    def project_chosen(self, event: Select.Changed) -> None:
        """Offer the project's tasks, keeping the chosen task when the new project has it
        (the Select also reports its first value, which must not clear an entry's task)."""
        project_id = None if event.value is Select.NULL else str(event.value)
        tasks = self.query_one("#task", Select)
        chosen = self.selected("task")
        options = self.task_options(project_id)
        tasks.set_options(options)
        if chosen is not None and chosen in {value for _, value in options}:
            tasks.value = chosen
        self.update_billable_control(project_id)

    @on(Select.Changed, "#task")
    def task_chosen(self, event: Select.Changed) -> None:
        if self.billable_touched or self.mode == "edit":
            return
        project = self.projects.get(self.selected("project") or "")
        task = next((t for t in project.tasks if t.id == event.value), None) if project else None
        if project is not None and project.billable:
            self.query_one("#billable", Checkbox).value = task.billable if task else True

    @on(Checkbox.Changed, "#billable")
    def billable_changed(self, event: Checkbox.Changed) -> None:
        if event.checkbox.has_focus:
            self.billable_touched = True

    def update_billable_control(self, project_id: str | None) -> None:
        """Non-billable projects take no billable time: the box is cleared and disabled."""
        project = self.projects.get(project_id or "")
        box = self.query_one("#billable", Checkbox)
        if project is not None and not project.billable:
            box.value = False
            box.disabled = True
        else:
            box.disabled = False

    def selected(self, name: str) -> str | None:
        value = self.query_one(f"#{name}", Select).value
        return None if value is Select.NULL else str(value)

    def text(self, name: str) -> str | None:
        boxes = self.query(f"#{name}").results(Input)
        box = next(boxes, None)
        return None if box is None else box.value.strip()

    # --- saving ---------------------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """The form's answers as service arguments (for edits: only what changed)."""
        answers: dict[str, Any] = {
            "project": self.selected("project"), "task": self.selected("task"),
            "notes": self.text("notes") or "", "duration": self.text("duration"),
            "start": self.text("start"), "end": self.text("end"),
            "spent_date": self.text("spent_date"),
            "billable": self.query_one("#billable", Checkbox).value,
        }
        if self.mode != "edit":
            return answers
        changed = {key: value for key, value in answers.items()
                   if value is not None and value != self.initial.get(key)}
        if answers["task"] != self.initial["task"]:
            changed["task"] = answers["task"]  # also when the task was cleared
        return changed

    @on(Button.Pressed, "#entry-save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        button = self.query_one("#entry-save", Button)
        if button.disabled:
            return
        self.show_error(None)
        button.disabled = True
        self.save(self.values())

    @on(Button.Pressed, "#entry-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="entry-dialog")
    def save(self, answers: dict[str, Any]) -> None:
        try:
            with self.runtime.session() as session:
                result = self.apply(session, answers)
        except KeitoError as exc:
            self.post_message(self.Rejected(ErrorInfo.of(exc)))
            return
        self.post_message(self.Saved(result))

    def apply(self, session: Any, answers: dict[str, Any]) -> EntrySaved:
        """Call the service for the dialog's mode (in the worker's transaction)."""
        from keito_core.services.tracking import time_entries, timers

        actor = self.runtime.actor(session)
        now = self.runtime.clock()
        if self.mode == "timer":
            started = timers.start_timer(
                session, actor=actor, project_ref=self.require_project(answers),
                task_ref=answers["task"], notes=answers["notes"] or None,
                billable=answers["billable"] if self.billable_touched else None,
                source="tui", now=now)
            note = " (the running timer was stopped and saved)" if started.stopped else ""
            return EntrySaved(f"Timer started{note}", started.entry.id, started.entry.spent_date)
        if self.mode == "new":
            entry = time_entries.log_time(
                session, actor=actor, project_ref=self.require_project(answers),
                task_ref=answers["task"], duration=answers["duration"] or None,
                start=answers["start"] or None, end=answers["end"] or None,
                spent_date=answers["spent_date"] or None, notes=answers["notes"] or None,
                billable=answers["billable"] if self.billable_touched else None,
                source="tui", now=now)
            shown = format_duration(entry.duration_seconds, self.duration_format)
            return EntrySaved(f"Logged {shown} on {entry.spent_date.isoformat()}", entry.id,
                              entry.spent_date)
        assert self.entry is not None
        changes: dict[str, Any] = {}
        if "task" in answers:
            changes["task_ref"] = answers["task"] or ""
        for key in ("notes", "duration", "start", "end", "spent_date", "billable"):
            if key in answers:
                changes[key] = answers[key]
        entry = time_entries.edit_entry(session, actor=actor, entry_id=self.entry.id, now=now,
                                        **changes)
        return EntrySaved("Entry saved" if changes else "Nothing changed", entry.id,
                          entry.spent_date)

    @staticmethod
    def require_project(answers: dict[str, Any]) -> str:
        project = answers["project"]
        if not project:
            raise KeitoError("validation_error", "choose a project", field="project")
        return str(project)

    def on_entry_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.result)

    def on_entry_dialog_rejected(self, message: Rejected) -> None:
        self.query_one("#entry-save", Button).disabled = False
        self.show_error(message.error)

    def show_error(self, error: ErrorInfo | None) -> None:
        """Put the message next to its field (or under the form); clear the others."""
        text = "" if error is None else "\n".join(filter(None, (error.message, error.hint)))
        fields = {field.field: field for field in self.query(FormField)}
        target = fields.get(error.field or "") if error else None
        for field in fields.values():
            field.error = text if field is target else ""
        general = self.query_one("#entry-error", Static)
        general.update("" if target is not None else text)
        general.set_class(bool(text) and target is None, "-visible")
        if target is not None and not target.control.disabled:
            target.control.focus()
