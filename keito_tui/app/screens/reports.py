"""The Reports view: a report (time, expenses, budget, utilization, agents, uninvoiced) over a
date preset or a range, grouped and filtered, with its totals per currency, its table and a
bar chart of the hours per day, week or month.

`enter` on a summary row opens its entries (keito_core.reports.analysis.drill_down) and
`escape` comes back; reports are saved under a name and opened again; `x` exports the report
to CSV or XLSX. Every read runs in an exclusive worker, so a newer choice cancels an older
read (whose answer is dropped if it still arrives); the table and the chart are read by two
workers at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Select, Static
from textual.worker import get_current_worker

from keito_core.errors import KeitoError
from keito_core.reports.analysis.query import GROUPINGS, ReportQuery
from keito_core.reports.analysis.result import Chart, ReportResult
from keito_core.rules.periods import NAMED_PERIODS
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.dialogs import ConfirmDialog
from keito_tui.app.screens.reports_dialogs import (
    ExportAnswer,
    ExportDialog,
    FilterDialog,
    RangeDialog,
    SaveAnswer,
    SavedChoice,
    SavedDialog,
    SaveDialog,
    error_words,
)
from keito_tui.app.screens.reports_text import (
    CHARTED,
    CUSTOM,
    FILTER_NAMES,
    GROUP_LABELS,
    KIND_LABELS,
    MAX_ROWS,
    NO_THEN,
    PERIOD_LABELS,
    Labels,
    cell,
    count_text,
    filters_text,
    heading,
    table_columns,
    total_cells,
    total_labels,
)
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.bar_chart import BarChart
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.report_table import ReportTable

if TYPE_CHECKING:
    from keito_core.reports.analysis import ReportChoices
    from keito_core.reports.analysis.saved import SavedView

#: One footer label for the view's keys, so the footer fits 80 columns (help lists each).
REPORT = Binding.Group("Report", compact=True)
#: The chart's buckets as `b` cycles them (None: chosen from the period's length).
BUCKETS: tuple[str | None, ...] = (None, "day", "week", "month")
STACKS = ("billable", "source")

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("reports.open", "enter", "open_row", "Entries",
                "Open the selected summary row's entries (Esc comes back)", key_display="⏎",
                group=REPORT),
    KeitoAction("reports.back", "escape", "back", "Back",
                "Back from a row's entries to the summary (from the bar: back to the table)",
                key_display="esc", group=REPORT),
    KeitoAction("reports.save", "S", "save_report", "Save",
                "Save the report (its kind, period, grouping and filters) under a name, "
                "for you or shared with the team", group=REPORT),
    KeitoAction("reports.saved", "o", "open_saved", "Saved",
                "Open a saved report (yours and those shared with the team)", group=REPORT),
    KeitoAction("reports.export", "x", "export", "Export",
                "Export the report to a CSV or XLSX file (asks for the format and file)",
                group=REPORT),
    KeitoAction("reports.kind", "k", "next_kind", "Kind",
                "Show the next report: time, expenses, budget, utilization, agents, "
                "uninvoiced", group=REPORT),
    KeitoAction("reports.period", "p", "next_period", "Period",
                "Report on the next date preset (this or last week, month, quarter, year)",
                group=REPORT),
    KeitoAction("reports.range", "P", "choose_range", "Range",
                "Report on dates you type (from and to)", group=REPORT),
    KeitoAction("reports.group", "g", "next_group", "Group",
                "Group the summary by the next dimension (project, client, task, person...)",
                group=REPORT),
    KeitoAction("reports.then", "t", "next_then", "Then by",
                "Group each row again by a second dimension (or none)", group=REPORT),
    KeitoAction("reports.filter", "f", "filters", "Filter",
                "Filter by client, project, task, person, role, source, billable, invoiced "
                "and approval (categories for expenses)", group=REPORT),
    KeitoAction("reports.stack", "c", "next_stack", "Stack",
                "Stack the chart's bars by billable and non-billable, or by people and agents",
                group=REPORT),
    KeitoAction("reports.bucket", "b", "next_bucket", "Bars",
                "Chart the hours per day, week or month (or as the period suits)",
                group=REPORT),
)


@dataclass(frozen=True)
class Drill:
    """A step into a summary row: the query shown before, its row's name and the cursor."""

    query: ReportQuery
    label: str
    row: int


def following(values: tuple[Any, ...], current: Any) -> Any:
    """The value after `current` in `values` (the first after the last or an unknown one)."""
    return values[(values.index(current) + 1) % len(values)] if current in values else values[0]


def chart_key(query: ReportQuery, stack: str, bucket: str | None) -> tuple[object, ...]:
    """What the chart draws for `query`: its filters and period, not its grouping (the hours
    chart reads time entries whatever the report), or nothing for a report without hours."""
    if query.kind not in CHARTED:
        return (None,)
    return (replace(query, kind="time", group_by=None, then_by=None, detailed=False,
                    categories=(), budget_status=()), stack, bucket)


def row_label(result: ReportResult, row: dict[str, Any]) -> str:
    """A summary row's name: its grouping columns' values (`Globex › Website`)."""
    names = [str(row[c.key]) for c in result.visible_columns
             if c.kind == "text" and c.key != "currency" and row.get(c.key) is not None]
    return " › ".join(names) or "the row"


class ReportsScreen(MainView):
    """Reports: choose, read, chart, drill, save, open and export."""

    VIEW_NAME = "Reports"
    CSS_PATH = "reports.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        def __init__(self, query: ReportQuery, result: ReportResult, read: int) -> None:
            super().__init__()
            self.query, self.result, self.read = query, result, read

    class ChartRead(Message):
        def __init__(self, chart: Chart | None, read: int) -> None:
            super().__init__()
            self.chart, self.read = chart, read

    class ChoicesRead(Message):
        def __init__(self, choices: ReportChoices) -> None:
            super().__init__()
            self.choices = choices

    class SavedListed(Message):
        def __init__(self, views: list[SavedView]) -> None:
            super().__init__()
            self.views = views

    class Done(Message):
        """A save, a delete or an export went through: the words to say."""

        def __init__(self, text: str, title: str = "Reports") -> None:
            super().__init__()
            self.text, self.title = text, title

    class Refused(Message):
        """A save, a delete or an export was refused or failed."""

        def __init__(self, text: str, title: str) -> None:
            super().__init__()
            self.text, self.title = text, title

    def __init__(self) -> None:
        super().__init__()
        self.base = ReportQuery(kind="time", period="this_month").check()
        self.trail: list[Drill] = []
        self.result: ReportResult | None = None
        self.stack = "billable"
        self.bucket: str | None = None
        self.choices: ReportChoices | None = None
        self.saved_name = ""
        self.chart_reads = 0
        #: The chart read last shown, and what the last chart read asked for.
        self.chart_shown = 0
        self.charted: tuple[object, ...] = ()
        #: The cursor row to restore when the next table is shown (coming back from a drill).
        self.restore_row: int | None = None
        #: How many totals rows the table shows above the report's rows.
        self.totals_shown = 0

    #: The entries of the row drilled into last (None: the summary is shown).
    _drilled: ReportQuery | None = None

    @property
    def current(self) -> ReportQuery:
        """The query on screen: a drilled row's entries, else the summary."""
        return self._drilled or self.base

    def compose(self) -> ComposeResult:
        query = self.base
        yield Header()
        with Horizontal(id="report-bar"):
            yield Select([(label, kind) for kind, label in KIND_LABELS.items()],
                         value=query.kind, allow_blank=False, id="report-kind", compact=True,
                         tooltip="Report")
            yield Select([*((PERIOD_LABELS[p], p) for p in NAMED_PERIODS),
                          ("Custom range", CUSTOM)], value=query.period or CUSTOM,
                         allow_blank=False, id="report-period", compact=True,
                         tooltip="Period")
            yield Select(self.group_options(query.kind), value=query.group_by or NO_THEN,
                         allow_blank=False, id="report-group", compact=True,
                         tooltip="Group by")
            yield Select(self.then_options(query), value=NO_THEN, allow_blank=False,
                         id="report-then", compact=True, tooltip="Then by")
            yield Static("", id="report-count", markup=False)
        yield Static("", id="report-status", markup=False)
        yield BarChart(id="report-chart")
        yield ReportTable(id="report-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="report-empty", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(ReportTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height >= 40, "-tall")

    # --- choices for the selects --------------------------------------------------------------

    @staticmethod
    def group_options(kind: str) -> list[tuple[str, str]]:
        groups = GROUPINGS.get(kind, ())
        if not groups:
            return [("No grouping", NO_THEN)]
        return [(f"by {GROUP_LABELS.get(g, g)}", g) for g in groups]

    @staticmethod
    def then_options(query: ReportQuery) -> list[tuple[str, str]]:
        groups = [g for g in GROUPINGS.get(query.kind, ()) if g != query.group_by]
        return [("then —", NO_THEN), *((f"then {GROUP_LABELS.get(g, g)}", g) for g in groups)]

    def show_selects(self, query: ReportQuery) -> None:
        """The bar's selects as `query` has them (without announcing a change)."""
        for select_id, options, value in (
            ("#report-kind", None, query.kind),
            ("#report-period", None, query.period or CUSTOM),
            ("#report-group", self.group_options(query.kind), query.group_by or NO_THEN),
            ("#report-then", self.then_options(query), query.then_by or NO_THEN),
        ):
            select: Select[str] = self.query_one(select_id, Select)
            with select.prevent(Select.Changed):
                if options is not None and options != getattr(select, "_offered", None):
                    select.set_options(options)
                    select._offered = options  # type: ignore[attr-defined]
                select.value = value
        groups = bool(GROUPINGS.get(query.kind))
        self.query_one("#report-group", Select).disabled = not groups
        self.query_one("#report-then", Select).disabled = not groups

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the choices for the filters, then the report and its chart."""
        self.read_choices()
        self.run_query(chart=True)

    def run_query(self, *, chart: bool = False) -> None:
        """Read the report; read the chart too when what it draws changed (a new grouping
        draws the same hours) or `chart` asks for it (a reload)."""
        query = self.current
        self.load(query, self.start_read())
        wanted = chart_key(query, self.stack, self.bucket)
        if chart or wanted != self.charted:
            self.read_chart(wanted)

    def read_chart(self, wanted: tuple[object, ...]) -> None:
        self.charted = wanted
        self.chart_reads += 1
        self.load_chart(self.current, self.stack, self.bucket, self.chart_reads)

    @work(thread=True, exclusive=True, group="reports-table")
    def load(self, query: ReportQuery, read: int) -> None:
        from keito_core.reports.analysis import run_report

        try:
            with self.runtime.session(readonly=True) as session:
                result = run_report(session, actor=self.runtime.actor(session), query=query,
                                    now=self.runtime.clock(), limit=MAX_ROWS + 1)
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(query, result, read))

    @work(thread=True, exclusive=True, group="reports-chart")
    def load_chart(self, query: ReportQuery, stack: str, bucket: str | None, read: int) -> None:
        chart = None
        if query.kind in CHARTED:
            from keito_core.reports.analysis import hours_chart

            try:
                with self.runtime.session(readonly=True) as session:
                    chart = hours_chart(session, actor=self.runtime.actor(session),
                                        query=query, now=self.runtime.clock(), bucket=bucket,
                                        stack=stack)
            except KeitoError:
                chart = None  # the table's read reports the same error
        if not get_current_worker().is_cancelled:
            self.post_message(self.ChartRead(chart, read))

    @work(thread=True, exclusive=True, group="reports-choices")
    def read_choices(self) -> None:
        from keito_core.reports.analysis import report_choices

        try:
            with self.runtime.session(readonly=True) as session:
                choices = report_choices(session, actor=self.runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.ChoicesRead(choices))

    def on_reports_screen_choices_read(self, message: ChoicesRead) -> None:
        self.choices = message.choices
        self.show_status()

    def on_reports_screen_loaded(self, message: Loaded) -> None:
        if not self.is_last_read(message.read):
            return  # an older read, of a choice no longer shown
        self.result = message.result
        self.show_result()

    @property
    def chart_pending(self) -> bool:
        """Whether a chart read is under way (the one shown is not the last asked for)."""
        return self.chart_shown != self.chart_reads

    def on_reports_screen_chart_read(self, message: ChartRead) -> None:
        if message.read != self.chart_reads:
            return
        self.chart_shown = message.read
        chart = self.query_one(BarChart)
        chart.message = ("The chart shows hours: time, utilization and agents reports."
                         if self.current.kind not in CHARTED else "")
        chart.chart = message.chart
        self.set_class(self.current.kind not in CHARTED, "-no-chart")

    def set_query(self, query: ReportQuery) -> None:
        """Show the summary of `query` (leaving any drilled rows) and read it."""
        try:
            query = query.check()
        except KeitoError as exc:
            self.notify(error_words(exc), title="Report", severity="warning", markup=False)
            return
        if query == self.base and not self.trail:
            return
        self.base = query
        self.trail.clear()
        self._drilled = None
        self.show_selects(query)
        self.show_status()
        self.refresh_bindings()
        self.run_query()

    # --- showing ------------------------------------------------------------------------------

    def labels(self) -> Labels:
        choices = self.choices
        names: dict[str, dict[str, str]] = {}
        if choices is not None:
            for member in ("clients", "projects", "tasks", "people", "roles", "categories"):
                names[member] = dict(getattr(choices, member, ()))
        return Labels(names)

    def show_status(self) -> None:
        query = self.current
        words = heading(query, self.result if self.result_matches() else None,
                        [step.label for step in self.trail])
        if self.trail:
            words += " · esc goes back"
        else:
            words += " · " + filters_text(query, self.labels())
        unused = query.unused_filters()
        if unused:
            named = dict(FILTER_NAMES) | {"billable": "billable", "invoiced": "invoiced"}
            words += " (not used here: " + ", ".join(named.get(n, n) for n in unused) + ")"
        self.query_one("#report-status", Static).update(words)

    def result_matches(self) -> bool:
        return self.result is not None and self.result.kind == self.current.kind

    def show_result(self) -> None:
        """The table: the totals (one row per currency) pinned on top, then the rows."""
        result = self.result
        if result is None:
            return
        table = self.query_one(ReportTable)
        columns = table_columns(result)
        keep = self.restore_row if self.restore_row is not None else self.selected_index()
        self.restore_row = None
        table.clear(columns=True)
        table.fixed_columns = 0 if result.detailed else 1
        for column in columns:
            right = column.kind in ("hours", "money", "number", "percent")
            table.add_column(Text(column.title, justify="right" if right else "left"),
                             key=column.key)
        self.totals_shown = len(result.totals) if columns else 0
        if self.totals_shown:
            table.add_rows(total_cells(columns, total, label) for total, label
                           in zip(result.totals, total_labels(result), strict=True))
        table.fixed_rows = self.totals_shown
        table.add_rows([cell(c, row) for c in columns] for row in result.rows[:MAX_ROWS])
        if result.rows:
            table.move_cursor(row=self.totals_shown + min(max(keep, 0),
                                                          min(len(result.rows), MAX_ROWS) - 1))
        empty = self.query_one("#report-empty", Static)
        empty.set_class(not result.rows, "-visible")
        empty.update("" if result.rows else "Nothing to report for this period and these "
                     "filters: choose another period (p, P) or change the filters (f).")
        self.query_one("#report-count", Static).update(count_text(result))
        self.show_status()
        self.refresh_bindings()

    def selected_index(self) -> int:
        """The cursor's place among the report's rows (the totals on top not counted)."""
        return max(0, self.query_one(ReportTable).cursor_row - self.totals_shown)

    def selected_row(self) -> dict[str, Any] | None:
        result = self.result
        table = self.query_one(ReportTable)
        if result is None or not result.rows or table.cursor_row < self.totals_shown:
            return None
        return result.rows[min(self.selected_index(), len(result.rows) - 1)]

    @on(DataTable.RowHighlighted, "#report-table")
    def keep_off_totals(self, event: DataTable.RowHighlighted) -> None:
        """The cursor stays on the report's rows (the totals above are not rows to open)."""
        result, table = self.result, event.data_table
        if result is not None and result.rows and table.cursor_row < self.totals_shown:
            table.move_cursor(row=self.totals_shown)

    # --- the bar's selects --------------------------------------------------------------------

    @on(Select.Changed)
    def select_changed(self, event: Select.Changed) -> None:
        value = event.value
        if not isinstance(value, str):
            return
        query = self.base
        if event.select.id == "report-kind" and value != query.kind:
            self.set_query(replace(query, kind=value, group_by=None, then_by=None,
                                   detailed=False,
                                   categories=query.categories if value == "expenses" else (),
                                   budget_status=()))
        elif event.select.id == "report-period":
            if value == CUSTOM:
                if query.period is not None:
                    self.action_choose_range()
            else:
                self.set_query(replace(query, period=value, date_from=None, date_to=None))
        elif event.select.id == "report-group" and value and value != query.group_by:
            self.set_query(replace(query, group_by=value,
                                   then_by=None if query.then_by == value else query.then_by))
        elif event.select.id == "report-then":
            self.set_query(replace(query, then_by=value or None))

    def cycle(self, select_id: str) -> None:
        """Choose the next option of a select in the bar (as if picked from its list)."""
        select: Select[str] = self.query_one(select_id, Select)
        values = tuple(value for _, value in select._options if value != CUSTOM)
        select.value = following(values, select.value)

    def action_next_kind(self) -> None:
        self.cycle("#report-kind")

    def action_next_period(self) -> None:
        self.cycle("#report-period")

    def action_next_group(self) -> None:
        self.cycle("#report-group")

    def action_next_then(self) -> None:
        self.cycle("#report-then")

    def action_choose_range(self) -> None:
        summary = getattr(self.app, "summary", None)
        today = self.runtime.today(summary.timezone if summary is not None else "UTC")
        result = self.result
        first = (result.date_from if result is not None and result.date_from else today)
        last = (result.date_to if result is not None and result.date_to else today)

        def chosen(dates: tuple[Any, Any] | None) -> None:
            if dates is None:
                self.show_selects(self.base)
                return
            self.set_query(replace(self.base, period=None, date_from=dates[0],
                                   date_to=dates[1]))

        self.app.push_screen(RangeDialog(first, last, today=today), chosen)

    def action_filters(self) -> None:
        if self.choices is None:
            self.notify("Still reading the clients, projects and people…", markup=False)
            return

        def chosen(query: ReportQuery | None) -> None:
            if query is not None:
                self.set_query(query)

        self.app.push_screen(FilterDialog(self.base, self.choices), chosen)

    # --- the chart ----------------------------------------------------------------------------

    def action_next_stack(self) -> None:
        self.stack = following(STACKS, self.stack)
        self.read_chart(chart_key(self.current, self.stack, self.bucket))

    def action_next_bucket(self) -> None:
        self.bucket = following(BUCKETS, self.bucket)
        self.read_chart(chart_key(self.current, self.stack, self.bucket))
        self.notify(f"Bars per {self.bucket}" if self.bucket else
                    "Bars per day, week or month, as the period suits", markup=False,
                    timeout=2)

    # --- drilling -----------------------------------------------------------------------------

    def action_open_row(self) -> None:
        from keito_core.reports.analysis import drill_down

        result, row = self.result, self.selected_row()
        if result is None or row is None or result.detailed:
            return
        try:
            detailed = drill_down(self.current, row)
        except KeitoError as exc:
            self.notify(error_words(exc), title="No entries to open", severity="warning",
                        markup=False)
            return
        self.trail.append(Drill(self.current, row_label(result, row), self.selected_index()))
        self._drilled = detailed
        self.restore_row = 0
        self.show_status()
        self.refresh_bindings()
        self.run_query()

    def action_back(self) -> None:
        table = self.query_one(ReportTable)
        if self.focused is not table:
            table.focus()
            return
        if not self.trail:
            return
        step = self.trail.pop()
        self._drilled = step.query if self.trail else None
        self.restore_row = step.row
        self.show_status()
        self.refresh_bindings()
        self.run_query()

    # --- saving, opening, exporting -----------------------------------------------------------

    def action_save_report(self) -> None:
        def answered(answer: SaveAnswer | None) -> None:
            if answer is not None:
                self.saved_name = answer.name
                self.save(answer, self.current)

        self.app.push_screen(SaveDialog(self.saved_name), answered)

    @work(thread=True, exclusive=True, group="reports-write")
    def save(self, answer: SaveAnswer, query: ReportQuery) -> None:
        from keito_core.services.reporting.saved_reports import save_report

        try:
            with self.runtime.session() as session:
                view = save_report(session, actor=self.runtime.actor(session), name=answer.name,
                                   query=query, shared=answer.shared, now=self.runtime.clock())
                text = (f"Saved {view.name!r}" + (", shared with the team."
                                                  if view.is_shared else " (yours only)."))
        except KeitoError as exc:
            self.post_message(self.Refused(error_words(exc), "Not saved"))
            return
        self.post_message(self.Done(text, "Report saved"))

    def action_open_saved(self) -> None:
        self.list_saved()

    @work(thread=True, exclusive=True, group="reports-saved")
    def list_saved(self) -> None:
        from keito_core.reports.analysis.saved import list_saved

        try:
            with self.runtime.session(readonly=True) as session:
                views = list_saved(session, actor=self.runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.SavedListed(views))

    def on_reports_screen_saved_listed(self, message: SavedListed) -> None:
        if not message.views:
            self.notify("No saved reports yet: S saves the one shown.", title="Saved reports",
                        markup=False)
            return
        self.app.push_screen(SavedDialog(message.views), self.saved_chosen)

    def saved_chosen(self, choice: SavedChoice | None) -> None:
        if choice is None:
            return
        view = choice.view
        if choice.action == "open":
            self.saved_name = view.name if view.is_mine else ""
            self.set_query(view.query)
            self.notify(f"Showing {view.name!r}.", markup=False, timeout=2)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_saved(view.name)

        self.app.push_screen(ConfirmDialog(f"Delete the saved report {view.name!r}?",
                                           title="Delete saved report",
                                           confirm_label="Delete"), answered)

    @work(thread=True, exclusive=True, group="reports-write")
    def delete_saved(self, name: str) -> None:
        from keito_core.services.reporting.saved_reports import delete_saved_report

        try:
            with self.runtime.session() as session:
                delete_saved_report(session, actor=self.runtime.actor(session), name=name,
                                    now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Refused(error_words(exc), "Not deleted"))
            return
        self.post_message(self.Done(f"Deleted the saved report {name!r}."))

    def action_export(self) -> None:
        summary = getattr(self.app, "summary", None)
        today = self.runtime.today(summary.timezone if summary is not None else "UTC")
        query = self.current

        def answered(answer: ExportAnswer | None) -> None:
            if answer is not None:
                self.notify(f"Writing {answer.path}…", markup=False, timeout=2)
                self.export(query, answer)

        self.app.push_screen(ExportDialog(query.kind, today), answered)

    @work(thread=True, exclusive=True, group="reports-export")
    def export(self, query: ReportQuery, answer: ExportAnswer) -> None:
        from keito_core.reports.analysis import run_report

        try:
            with self.runtime.session(readonly=True) as session:
                result = run_report(session, actor=self.runtime.actor(session), query=query,
                                    now=self.runtime.clock())
            written = write_report(result, answer.format, answer.path)
        except KeitoError as exc:
            self.post_message(self.Refused(error_words(exc), "Not exported"))
            return
        except OSError as exc:
            self.post_message(self.Refused(f"Cannot write {answer.path}: "
                                           f"{exc.strerror or exc}", "Not exported"))
            return
        self.post_message(self.Done(
            f"Wrote {written:,} row{'s' if written != 1 else ''} to {answer.path.resolve()}",
            "Exported"))

    def on_reports_screen_done(self, message: Done) -> None:
        self.notify(message.text, title=message.title, markup=False)

    def on_reports_screen_refused(self, message: Refused) -> None:
        self.notify(message.text, title=message.title, severity="error", markup=False)

    # --- which keys apply ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return bool(self.trail) or self.focused is not self.query_one(ReportTable)
        if action == "open_row":
            result = self.result
            if result is not None and result.detailed:
                return False
            return self.focused is self.query_one(ReportTable)
        if action in ("next_group", "next_then"):
            return None if self.trail or not GROUPINGS.get(self.base.kind) else True
        if action in ("next_kind", "next_period", "choose_range", "filters"):
            return None if self.trail else True
        if action in ("next_stack", "next_bucket"):
            return True if self.current.kind in CHARTED else None
        return True


def write_report(result: ReportResult, fmt: str, path: Path) -> int:
    """Write the report's visible columns (and, in XLSX, its totals) to `path`; the rows
    written. The hidden money columns are left out, as on screen."""
    from keito_core.io.tabular import write_csv, write_xlsx

    columns = [c for c in result.visible_columns if c.key != "id" or result.detailed]
    if fmt == "xlsx":
        return write_xlsx(path, columns, result.rows, totals=result.totals,
                          title=result.title)
    with path.open("w", newline="", encoding="utf-8") as stream:
        return write_csv(stream, columns, result.rows)

