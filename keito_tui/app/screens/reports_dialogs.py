"""The Reports view's dialogs: filters, a custom date range, saving a report, the saved
reports to open, and where to export. Each is a ModalScreen dismissed with what was chosen
(None when cancelled); the view runs the query, the save or the export in its workers."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, DataTable, Input, Label, Select, Static

from keito_core.errors import KeitoError
from keito_core.reports.analysis.query import APPROVAL_CHOICES, SOURCE_CHOICES, ReportQuery
from keito_core.rules.periods import parse_date
from keito_tui.app.screens.reports_text import KIND_LABELS
from keito_tui.app.values import app_hint
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from keito_core.reports.analysis import ReportChoices
    from keito_core.reports.analysis.saved import SavedView

#: A filter select's value for "any".
ANY = ""
#: A filter select's value for "keep the several values the query holds".
SEVERAL = "\x00several"
YES_NO = {"any": (ANY, None), "yes": ("yes", True), "no": ("no", False)}
SOURCE_LABELS = {"tui": "App", "web": "Web", "cli": "CLI", "api": "API", "agent": "Agents"}
#: (query member, label, ReportChoices member) of the filters chosen from the workspace's
#: records.
RECORD_FILTERS = (("clients", "Client", "clients"), ("projects", "Project", "projects"),
                  ("tasks", "Task", "tasks"), ("people", "Person", "people"),
                  ("roles", "Role", "roles"), ("categories", "Category", "categories"))

CANCEL = Binding("escape", "cancel", "Cancel", id="reports_dialog.cancel",
                 tooltip="Close without changing anything")


def _options(everything: str, choices: tuple[tuple[str, str], ...],
             chosen: tuple[str, ...]) -> tuple[list[tuple[str, str]], str]:
    """A select's options and value: any, the choices, and "N chosen" when the query holds
    several values (a saved report can); a single value not offered shows as itself."""
    options = [(everything, ANY), *((label, value) for value, label in choices)]
    offered = {value for _, value in options}
    if len(chosen) > 1:
        return [*options, (f"{len(chosen)} chosen", SEVERAL)], SEVERAL
    if chosen and chosen[0] not in offered:
        return [*options, (chosen[0], chosen[0])], chosen[0]
    return options, chosen[0] if chosen else ANY


def _yes_no(value: bool | None) -> str:
    return ANY if value is None else ("yes" if value else "no")


def _bool(value: object) -> bool | None:
    return None if value in (ANY, None) else value == "yes"


class FilterDialog(ModalScreen[ReportQuery | None]):
    """The query's filters, one select each; ctrl+s (or Apply) applies them."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="reports_dialog.apply",
                tooltip="Apply the filters"),
        CANCEL,
    ]

    def __init__(self, query: ReportQuery, choices: ReportChoices) -> None:
        super().__init__()
        self.report_query = query
        self.choices = choices

    def compose(self) -> ComposeResult:
        query = self.report_query
        with Vertical(classes="dialog reports-dialog", id="filter-dialog"):
            yield Static(f"Filter the {KIND_LABELS.get(query.kind, query.kind)} report",
                         classes="dialog--title", markup=False)
            with VerticalScroll(id="filter-form"):
                for member, label, source in RECORD_FILTERS:
                    if member == "categories" and query.kind != "expenses":
                        continue
                    options, value = _options(f"Every {label.lower()}",
                                              getattr(self.choices, source, ()),
                                              getattr(query, member))
                    yield FormField(label, Select(options, value=value, allow_blank=False,
                                                  id=f"filter-{member}", compact=True),
                                    field=member)
                sources = tuple((s, SOURCE_LABELS.get(s, s)) for s in SOURCE_CHOICES)
                options, value = _options("Every source", sources, query.sources)
                yield FormField("Source", Select(options, value=value, allow_blank=False,
                                                 id="filter-sources", compact=True),
                                field="sources")
                for member, label, words in (
                        ("billable", "Billable", ("Billable or not", "Billable", "Not billable")),
                        ("invoiced", "Invoiced", ("Invoiced or not", "Invoiced",
                                                  "Not invoiced"))):
                    yield FormField(label, Select(
                        list(zip(words, (ANY, "yes", "no"), strict=True)),
                        value=_yes_no(getattr(query, member)), allow_blank=False,
                        id=f"filter-{member}", compact=True), field=member)
                approvals = tuple((a, a.capitalize()) for a in APPROVAL_CHOICES)
                options, value = _options("Any approval state", approvals, query.approval)
                yield FormField("Approval", Select(options, value=value, allow_blank=False,
                                                   id="filter-approval", compact=True),
                                field="approval")
            yield Static("ctrl+s applies · esc cancels · Clear removes every filter",
                         classes="dialog--note", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("Clear", id="filter-clear", compact=True)
                yield Button("Cancel", id="filter-cancel", compact=True)
                yield Button("Apply", id="filter-apply", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query(Select).first().focus()

    def chosen(self) -> ReportQuery:
        """The query with the dialog's filters."""
        changes: dict[str, Any] = {}
        for select in self.query(Select):
            member = (select.id or "").removeprefix("filter-")
            value = select.value
            if member in ("billable", "invoiced"):
                changes[member] = _bool(value)
            elif value == SEVERAL:
                continue  # kept as the query holds them
            else:
                changes[member] = () if value in (ANY, Select.BLANK) else (str(value),)
        return replace(self.report_query, **changes)

    def action_apply(self) -> None:
        self.dismiss(self.chosen())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#filter-apply")
    def applied(self) -> None:
        self.action_apply()

    @on(Button.Pressed, "#filter-cancel")
    def cancelled(self) -> None:
        self.action_cancel()

    @on(Button.Pressed, "#filter-clear")
    def cleared(self) -> None:
        self.dismiss(replace(self.report_query, clients=(), projects=(), tasks=(), people=(),
                             roles=(), categories=(), sources=(), billable=None,
                             invoiced=None, approval=(), budget_status=()))


class RangeDialog(ModalScreen[tuple[date, date] | None]):
    """A date range typed by hand: YYYY-MM-DD, today, yesterday, a weekday name or -N."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [CANCEL]

    def __init__(self, first: date, last: date, *, today: date) -> None:
        super().__init__()
        self.first, self.last, self.today = first, last, today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog reports-dialog", id="range-dialog"):
            yield Static("Report on the dates", classes="dialog--title", markup=False)
            yield FormField("From", Input(self.first.isoformat(), id="range-from",
                                          compact=True), field="from")
            yield FormField("To", Input(self.last.isoformat(), id="range-to", compact=True),
                            field="to")
            yield Static("YYYY-MM-DD, today, yesterday, a weekday name or -N. Enter in To "
                         "accepts.", classes="dialog--note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#range-from", Input).focus()

    @on(Input.Submitted, "#range-from")
    def next_field(self) -> None:
        self.query_one("#range-to", Input).focus()

    @on(Input.Submitted, "#range-to")
    def submitted(self) -> None:
        days: list[date] = []
        for field in self.query(FormField):
            field.error = ""
        for name in ("from", "to"):
            text = self.query_one(f"#range-{name}", Input).value or "today"
            try:
                days.append(parse_date(text, today=self.today, field=name))
            except KeitoError as exc:
                self.query_one(f"#field-{name}", FormField).error = exc.message
                return
        first, last = days
        if last < first:
            self.query_one("#field-to", FormField).error = "the range ends before it starts"
            return
        self.dismiss((first, last))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SaveAnswer:
    name: str
    shared: bool


class SaveDialog(ModalScreen[SaveAnswer | None]):
    """A name for the report, and whether the team sees it."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="reports_dialog.save", tooltip="Save the report"),
        CANCEL,
    ]

    def __init__(self, name: str = "", *, shared: bool = False) -> None:
        super().__init__()
        self.initial_name, self.shared = name, shared

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog reports-dialog", id="save-dialog"):
            yield Static("Save this report", classes="dialog--title", markup=False)
            yield FormField("Name", Input(self.initial_name, id="save-name", compact=True),
                            field="name")
            yield Checkbox("Shared with the team", self.shared, id="save-shared",
                           compact=True)
            yield Static("A report of yours with the same name is replaced. Enter or ctrl+s "
                         "saves.", classes="dialog--note", markup=False)

    def on_mount(self) -> None:
        self.query_one("#save-name", Input).focus()

    @on(Input.Submitted, "#save-name")
    def submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        name = self.query_one("#save-name", Input).value.strip()
        if not name:
            self.query_one("#field-name", FormField).error = "give the report a name"
            return
        self.dismiss(SaveAnswer(name, self.query_one("#save-shared", Checkbox).value))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SavedChoice:
    """What to do with a saved report: open it, or delete it."""

    action: str
    view: SavedView


class SavedDialog(ModalScreen[SavedChoice | None]):
    """The saved reports the user may run: theirs and those shared with the team."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("enter", "open", "Open", id="reports_dialog.open", key_display="⏎",
                tooltip="Run the selected report"),
        Binding("delete,x", "delete", "Delete", id="reports_dialog.delete", key_display="x",
                tooltip="Delete the selected report (yours only; asks first)"),
        CANCEL,
    ]

    def __init__(self, views: list[SavedView]) -> None:
        super().__init__()
        self.views = views

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog reports-dialog", id="saved-dialog"):
            yield Static("Saved reports", classes="dialog--title", markup=False)
            table: DataTable[str] = DataTable(id="saved-list", cursor_type="row")
            yield table
            yield Static("⏎ opens · x deletes one of yours · esc closes",
                         classes="dialog--note", markup=False)

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one("#saved-list", DataTable)
        table.add_columns("Name", "Report", "Owner", "Shared")
        for view in self.views:
            table.add_row(view.name, KIND_LABELS.get(view.kind, view.kind),
                          "you" if view.is_mine else view.owner_name,
                          "yes" if view.is_shared else "no", key=view.id)
        table.focus()

    def selected(self) -> SavedView | None:
        table: DataTable[str] = self.query_one("#saved-list", DataTable)
        if not self.views or not table.row_count:
            return None
        return self.views[min(max(table.cursor_row, 0), len(self.views) - 1)]

    def action_open(self) -> None:
        view = self.selected()
        if view is not None:
            self.dismiss(SavedChoice("open", view))

    @on(DataTable.RowSelected, "#saved-list")
    def row_selected(self) -> None:
        self.action_open()

    def action_delete(self) -> None:
        view = self.selected()
        if view is None:
            return
        if not view.is_mine:
            self.notify(f"{view.name} is {view.owner_name}'s: only its owner deletes it.",
                        title="Not yours", severity="warning", markup=False)
            return
        self.dismiss(SavedChoice("delete", view))

    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class ExportAnswer:
    format: str
    path: Path


FORMATS = (("CSV", "csv"), ("Excel (XLSX)", "xlsx"))


def default_export_path(kind: str, today: date, fmt: str, folder: Path | None = None) -> Path:
    """`keito-time-report-2026-03-05.csv` in the current directory."""
    return (folder or Path.cwd()) / f"keito-{kind}-report-{today.isoformat()}.{fmt}"


class ExportDialog(ModalScreen[ExportAnswer | None]):
    """The file format and where to write the report."""

    CSS_PATH = "reports.tcss"
    BINDINGS = [
        Binding("ctrl+s", "export", "Export", id="reports_dialog.export",
                tooltip="Write the file"),
        CANCEL,
    ]

    def __init__(self, kind: str, today: date) -> None:
        super().__init__()
        self.kind, self.today = kind, today

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog reports-dialog", id="export-dialog"):
            yield Static("Export the report", classes="dialog--title", markup=False)
            yield FormField("Format", Select(FORMATS, value="csv", allow_blank=False,
                                             id="export-format", compact=True),
                            field="format")
            yield FormField("File", Input(str(default_export_path(self.kind, self.today,
                                                                  "csv")),
                                          id="export-path", compact=True), field="path")
            yield Label("A folder writes the report's own file name into it.",
                        classes="dialog--note")
            yield Static("Enter in File or ctrl+s writes the file.", classes="dialog--note",
                         markup=False)

    def on_mount(self) -> None:
        self.query_one("#export-format", Select).focus()

    @on(Select.Changed, "#export-format")
    def format_changed(self, event: Select.Changed) -> None:
        """A default name follows the format (a name typed by hand is kept)."""
        box = self.query_one("#export-path", Input)
        typed = Path(box.value)
        if typed.name.startswith(f"keito-{self.kind}-report-") and typed.suffix in (".csv",
                                                                                   ".xlsx"):
            box.value = str(typed.with_suffix(f".{event.value}"))

    @on(Input.Submitted, "#export-path")
    def submitted(self) -> None:
        self.action_export()

    def action_export(self) -> None:
        fmt = str(self.query_one("#export-format", Select).value)
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self.query_one("#field-path", FormField).error = "give a file name"
            return
        path = Path(typed).expanduser()
        if path.is_dir():
            path = default_export_path(self.kind, self.today, fmt, path)
        self.dismiss(ExportAnswer(fmt, path))

    def action_cancel(self) -> None:
        self.dismiss(None)


def error_words(exc: KeitoError) -> str:
    """A refusal in the app's words: its message and, where the app offers it, the hint."""
    hint = app_hint(exc.hint)
    return f"{exc.message} ({hint})" if hint else exc.message
