"""The Expenses view: the acting user's expenses over a week, a month or all dates, filtered by
project, category, source and billable state, with totals per currency.

Reads run in a worker (one read-only session) and hand over an ExpenseReport; new, edit and
delete are one transaction each (the dialog saves its own form). Narrow terminals drop the
quantity and notes columns; the line under the table always shows the selected expense whole.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Header, Select, Static

from keito_core.errors import KeitoError
from keito_core.reports.expenses import (
    PERIODS,
    ExpenseFilter,
    ExpenseLine,
    ExpenseReport,
    shift_period,
)
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.dialogs import ConfirmDialog, DateDialog
from keito_tui.app.screens.expense_dialog import (
    ExpenseDialog,
    ExpenseForm,
    SavedExpense,
    exact,
    money_text,
)
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.badges import source_badge
from keito_tui.app.widgets.footer import KeitoFooter

PERIOD_LABELS = {"week": "Week", "month": "Month", "all": "All dates"}
SOURCE_LABELS = {"all": "All sources", "human": "People", "cli": "CLI", "api": "API",
                 "agent": "Agents"}
BILLABLE_LABELS = {"any": "Billed or not", "yes": "Billable", "no": "Not billable"}
BILLABLE_VALUES: dict[str, bool | None] = {"any": None, "yes": True, "no": False}
LOCK_MARK = "🔒"
RECEIPT_MARK = "📎"
#: Select value for "every project" and "every category".
EVERY = ""

EXPENSE = Binding.Group("Expense", compact=True)
LIST = Binding.Group("List", compact=True)

VIEW_ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction("expenses.new", "n", "new_expense", "New", "Log a new expense", group=EXPENSE),
    KeitoAction("expenses.edit", "enter", "edit_expense", "Edit", "Edit the selected expense",
                key_display="⏎", group=EXPENSE),
    KeitoAction("expenses.delete", "delete,x", "delete_expense", "Delete",
                "Delete the selected expense (asks first)", key_display="x", group=EXPENSE),
    KeitoAction("expenses.previous", "left", "shift_period(-1)", "Previous period",
                "Show the week or month before", key_display="←", group=LIST),
    KeitoAction("expenses.next", "right", "shift_period(1)", "Next period",
                "Show the week or month after", key_display="→", group=LIST),
    KeitoAction("expenses.current", "t", "current_period", "This period",
                "Show the week or month holding today", group=LIST),
    KeitoAction("expenses.goto", "g", "go_to_date", "Go to date",
                "Show the week or month holding a date you type", group=LIST),
    KeitoAction("expenses.period", "p", "cycle_period", "Week/month/all",
                "Show a week, a month or every date", group=LIST),
    KeitoAction("expenses.filter", "f", "focus_filters", "Filter",
                "Filter by project, category, source or billable (Tab moves, Esc returns)",
                group=LIST),
    KeitoAction("expenses.list", "escape", "focus_list", "List", "Back to the list",
                show=False, in_palette=False),
)


# --- text the view shows (plain functions, so they are easy to test) --------------------------


def period_title(report: ExpenseReport) -> str:
    """`March 2025`, `Week 10–16 Mar 2025` or `All dates`."""
    first, last = report.date_from, report.date_to
    if first is None or last is None:
        return "All dates"
    if report.filter.period == "month":
        return f"{first:%B %Y}"
    start = f"{first:%d %b}" if first.year == last.year else f"{first:%d %b %Y}"
    return f"Week {start} – {last:%d %b %Y}"


def quantity_text(line: ExpenseLine) -> str:
    """`45 × £0.003` for a unit-based expense, empty for an amount."""
    if line.units is None or line.unit_price is None:
        return ""
    return f"{exact(line.units)} × {money_text(line.unit_price, line.currency)}"


def totals_text(report: ExpenseReport) -> str:
    """`3 expenses · £45.62 (£40.00 billable) · $12.00`: one sum per currency."""
    count = sum(total.count for total in report.totals)
    parts = [f"{count} expense{'' if count == 1 else 's'}"]
    for total in report.totals:
        text = money_text(total.total, total.currency)
        if total.billable != total.total:
            text += f" ({money_text(total.billable, total.currency)} billable)"
        parts.append(text)
    if report.has_more:
        parts.append(f"newest {len(report.lines)} listed")
    return " · ".join(parts)


def detail_text(line: ExpenseLine | None) -> Text:
    """The selected expense in full, for the line under the table."""
    if line is None:
        return Text("")
    quantity = quantity_text(line)
    unit = f" ({line.unit_name})" if quantity and line.unit_name else ""
    amount = (f"{quantity}{unit} = " if quantity else "") + money_text(line.total, line.currency)
    text = Text.assemble((f"{line.spent_date:%a %d %b %Y}", "bold"), "  ",
                         f"{line.category}: {amount}")
    text.append("  billable" if line.is_billable else "  not billable", style="dim")
    if line.receipt_name:
        text.append(f"  {RECEIPT_MARK} {line.receipt_name}")
    if line.lock_reason:
        text.append(f"  {LOCK_MARK} {line.lock_reason.replace('_', '-')}", style="yellow")
    if line.notes:
        text.append(f"  {' '.join(line.notes.split())}", style="italic")
    return text


#: The Total column's narrowest width (a longer total widens it, up to MAX_TOTAL).
MIN_TOTAL = 11
MAX_TOTAL = 24


def column_plan(width: int, *, iso_dates: bool, total: int = MIN_TOTAL,
                ) -> list[tuple[str, str, int]]:
    """(key, heading, width) of each column for a table `width` cells wide, the Total column
    `total` wide (within MIN_TOTAL and MAX_TOTAL: the longest total listed)."""
    wide = width >= 110
    fixed = {"source": 7, "date": 10 if iso_dates else 6,
             "total": min(MAX_TOTAL, max(MIN_TOTAL, total)), "billable": 4,
             "receipt": 2, "lock": 2}
    flexible = ["project", "category", *(["quantity", "notes"] if wide else [])]
    padding = 2 * (len(fixed) + len(flexible)) + 2
    room = max(20, width - padding - sum(fixed.values()))
    if wide:
        quantity = 16
        project = min(40, room * 3 // 10)
        category = min(22, room * 2 // 10)
        sizes = {"project": project, "category": category, "quantity": quantity,
                 "notes": max(8, room - project - category - quantity)}
    else:
        project = room * 6 // 10
        sizes = {"project": project, "category": room - project}
    plan = [("source", "", fixed["source"]), ("date", "Date", fixed["date"]),
            ("project", "Client › Project", sizes["project"]),
            ("category", "Category", sizes["category"])]
    if wide:
        plan.append(("quantity", "Quantity × price", sizes["quantity"]))
    plan.append(("total", "Total", fixed["total"]))
    if wide:
        plan.append(("notes", "Notes", sizes["notes"]))
    plan += [("billable", "Bill", fixed["billable"]), ("receipt", "", fixed["receipt"]),
             ("lock", "", fixed["lock"])]
    return plan


def cut_total(text: str, width: int) -> Text:
    """A total, right-justified; one too wide for its column keeps its first digits and
    ends in an ellipsis rather than losing its last ones silently."""
    cell = Text(text, justify="right")
    cell.truncate(width, overflow="ellipsis")
    return cell


def line_cells(line: ExpenseLine, plan: list[tuple[str, str, int]],
               *, iso_dates: bool) -> list[Text]:
    """The table cells of one expense, in the plan's order."""
    def cut(text: str, width: int, style: str = "") -> Text:
        cell = Text(" ".join(text.split()), style=style)
        cell.truncate(width, overflow="ellipsis")
        return cell

    widths = {key: width for key, _, width in plan}
    day = line.spent_date.isoformat() if iso_dates else f"{line.spent_date:%a %d}"
    cells = {
        "source": source_badge(line.source),
        "date": Text(day),
        "project": cut(f"{line.client} › {line.project}", widths["project"]),
        "category": cut(line.category, widths["category"]),
        "quantity": cut(quantity_text(line), widths.get("quantity", 0)),
        "total": cut_total(money_text(line.total, line.currency), widths["total"]),
        "notes": cut(line.notes or "", widths.get("notes", 0)),
        "billable": Text("  $" if line.is_billable else "", style="green"),
        "receipt": Text(RECEIPT_MARK if line.receipt_name else ""),
        "lock": Text(LOCK_MARK if line.lock_reason else "", style="yellow"),
    }
    return [cells[key] for key, _, _ in plan]


class ExpenseTable(DataTable[Text], inherit_bindings=False):
    """The listed expenses, one row per expense keyed by its id.

    It keeps only the table's vertical keys: enter, left and right belong to the view.
    """

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]


class ExpensesScreen(MainView):
    """The acting user's expenses; arrows move between weeks or months."""

    VIEW_NAME = "Expenses"
    CSS_PATH = "expenses.tcss"
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = VIEW_ACTIONS
    #: Declared here too: Textual merges a class's bindings before MainView sets BINDINGS.
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        """A fresh read of the list for the filter it was asked with."""

        def __init__(self, report: ExpenseReport, read: int) -> None:
            super().__init__()
            self.read = read
            self.report = report

    class Changed(Message):
        """A delete went through."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Refused(Message):
        """A change was refused (locked, not allowed, gone)."""

        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self) -> None:
        super().__init__()
        self.filter = ExpenseFilter()
        self.report: ExpenseReport | None = None
        self.select_id: str | None = None
        self.width = 80
        #: The options each filter select shows now, so they are only replaced when they change.
        self.offered: dict[str, list[tuple[str, str]]] = {}

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="expense-bar"):
            yield Static("", id="expense-period", markup=False)
            yield Select([(label, key) for key, label in PERIOD_LABELS.items()],
                         value=self.filter.period, allow_blank=False, id="filter-period",
                         compact=True, tooltip="Period")
            yield Select([(label, key) for key, label in BILLABLE_LABELS.items()],
                         value="any", allow_blank=False, id="filter-billable", compact=True,
                         tooltip="Billable")
        with Horizontal(id="expense-filters"):
            yield Select([("All projects", EVERY)], value=EVERY, allow_blank=False,
                         id="filter-project", compact=True, tooltip="Project")
            yield Select([("All categories", EVERY)], value=EVERY, allow_blank=False,
                         id="filter-category", compact=True, tooltip="Category")
            yield Select([(label, key) for key, label in SOURCE_LABELS.items()],
                         value="all", allow_blank=False, id="filter-source", compact=True,
                         tooltip="Source")
        yield ExpenseTable(id="expense-list", cursor_type="row", zebra_stripes=True)
        yield Static("", id="expense-empty", markup=False)
        yield Static("", id="expense-detail")
        yield Static("", id="expense-totals", markup=False)
        yield Static("", id="expenses-off", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(ExpenseTable).focus()

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self.width:
            self.width = event.size.width
            self.show_report()

    # --- reading ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.load(self.filter, self.start_read())

    @work(thread=True, exclusive=True, group="expenses-read")
    def load(self, chosen: ExpenseFilter, read: int) -> None:
        from keito_core.reports.expenses import expense_report

        try:
            with self.runtime.session(readonly=True) as session:
                actor = self.runtime.actor(session)
                report = expense_report(session, actor=actor, chosen=chosen,
                                        now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(report, read))

    def on_expenses_screen_loaded(self, message: Loaded) -> None:
        if not self.is_last_read(message.read):
            return  # an older read (of a filter no longer chosen, or before a change)
        self.report = message.report
        self.show_report()

    def set_filter(self, **changes: object) -> None:
        """Change the filter and read the list again (nothing happens for the same filter)."""
        chosen = replace(self.filter, **changes)  # type: ignore[arg-type]
        if chosen != self.filter:
            self.filter = chosen
            self.reload()

    # --- showing ----------------------------------------------------------------------------

    def show_report(self) -> None:
        report = self.report
        if report is None:
            return
        enabled = report.enabled
        self.set_class(not enabled, "-off")
        off = self.query_one("#expenses-off", Static)
        if not enabled:
            off.update("Expenses are turned off in this workspace.\n\nAn administrator can "
                       "turn them on in Settings (s, then features.expenses).")
            return
        self.query_one("#expense-period", Static).update(period_title(report))
        self.show_choices(report)
        self.show_table(report)
        self.query_one("#expense-totals", Static).update(totals_text(report))

    def show_choices(self, report: ExpenseReport) -> None:
        """Offer the report's projects and categories in the filter bar, keeping the choice."""
        projects = [("All projects", EVERY),
                    *((f"{p.name} ({p.client})", p.id) for p in report.projects)]
        categories = [("All categories", EVERY), *((c.name, c.id) for c in report.categories)]
        for select_id, options, chosen in (
            ("#filter-project", projects, report.filter.project_id),
            ("#filter-category", categories, report.filter.category_id),
        ):
            if self.offered.get(select_id) != options:
                self.offered[select_id] = options
                select: Select[str] = self.query_one(select_id, Select)
                select.set_options(options)
                select.value = chosen if chosen in {value for _, value in options} else EVERY

    def show_table(self, report: ExpenseReport) -> None:
        table = self.query_one(ExpenseTable)
        keep = self.select_id or self.selected_id()
        self.select_id = None
        iso = report.filter.period == "all"
        longest = max((cell_len(money_text(line.total, line.currency))
                       for line in report.lines), default=0)
        plan = column_plan(self.width, iso_dates=iso, total=longest)
        table.clear(columns=True)
        for key, label, width in plan:
            table.add_column(Text(label, justify="right" if key == "total" else "left"),
                             key=key, width=width)
        for line in report.lines:
            table.add_row(*line_cells(line, plan, iso_dates=iso), key=line.id)
        ids = [line.id for line in report.lines]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
        empty = self.query_one("#expense-empty", Static)
        empty.set_class(not ids, "-visible")
        empty.update("" if ids else "No expenses match. Press n to log one, or change the "
                     "filters (f) or the period (← →, p).")
        self.show_detail()

    def selected_line(self) -> ExpenseLine | None:
        table = self.query_one(ExpenseTable)
        report = self.report
        if report is None or not table.row_count or table.cursor_row >= len(report.lines):
            return None
        return report.lines[table.cursor_row]

    def selected_id(self) -> str | None:
        line = self.selected_line()
        return line.id if line is not None else None

    def show_detail(self) -> None:
        self.query_one("#expense-detail", Static).update(detail_text(self.selected_line()))

    @on(DataTable.RowHighlighted, "#expense-list")
    def row_highlighted(self) -> None:
        self.show_detail()

    # --- filters ----------------------------------------------------------------------------

    @on(Select.Changed)
    def filter_chosen(self, event: Select.Changed) -> None:
        value = event.value
        if not isinstance(value, str):
            return
        select_id = event.select.id
        if select_id == "filter-period":
            self.set_filter(period=value)
        elif select_id == "filter-project":
            self.set_filter(project_id=value or None)
        elif select_id == "filter-category":
            self.set_filter(category_id=value or None)
        elif select_id == "filter-source":
            self.set_filter(source_filter=value)
        elif select_id == "filter-billable":
            self.set_filter(billable=BILLABLE_VALUES[value])

    def shown_anchor(self) -> date:
        """The date whose week or month is shown."""
        if self.report is not None:
            return self.report.anchor
        summary = getattr(self.app, "summary", None)
        return self.runtime.today(summary.timezone if summary is not None else "UTC")

    def action_shift_period(self, steps: int) -> None:
        if self.filter.period != "all":
            self.set_filter(anchor=shift_period(self.filter.period, self.shown_anchor(), steps))

    def action_current_period(self) -> None:
        self.set_filter(anchor=None)

    def action_go_to_date(self) -> None:
        def chosen(day: date | None) -> None:
            if day is not None:
                self.set_filter(anchor=day, period="month" if self.filter.period == "all"
                                else self.filter.period)
                self.query_one("#filter-period", Select).value = self.filter.period

        today = self.report.today if self.report is not None else None
        self.app.push_screen(DateDialog(self.shown_anchor(), today=today), chosen)

    def action_cycle_period(self) -> None:
        following = PERIODS[(PERIODS.index(self.filter.period) + 1) % len(PERIODS)]
        self.query_one("#filter-period", Select).value = following

    def action_focus_filters(self) -> None:
        self.query_one("#filter-project", Select).focus()

    def action_focus_list(self) -> None:
        self.query_one(ExpenseTable).focus()

    # --- changes ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        enabled = self.report is None or self.report.enabled
        if not enabled and action in ("new_expense", "edit_expense", "delete_expense",
                                      "focus_filters", "shift_period", "current_period",
                                      "go_to_date", "cycle_period"):
            return False
        if action == "edit_expense":
            return self.focused is self.query_one(ExpenseTable)
        if action == "shift_period" and self.filter.period == "all":
            return None
        return True

    def refuse_locked(self, line: ExpenseLine) -> bool:
        """Say why a locked expense cannot change; True when it is locked."""
        if line.lock_reason is None:
            return False
        self.notify(line.lock_message or "this expense is locked", title="Locked",
                    severity="warning", markup=False)
        return True

    def form(self, expense: ExpenseLine | None = None) -> ExpenseForm | None:
        report = self.report
        if report is None:
            return None
        if not report.projects and expense is None:
            self.notify("You have no project to log expenses to: ask a manager to add you "
                        "to one.", title="No project", severity="warning", markup=False)
            return None
        if not any(c.is_active for c in report.categories) and expense is None:
            self.notify("There is no active expense category: an administrator can add "
                        "one in Manage.", title="No category", severity="warning",
                        markup=False)
            return None
        return ExpenseForm(projects=report.projects, categories=report.categories,
                           today=report.today, expense=expense,
                           project_id=report.last_project_id)

    def action_new_expense(self) -> None:
        form = self.form()
        if form is not None:
            self.app.push_screen(ExpenseDialog(self.runtime, form), self.saved)

    def action_edit_expense(self) -> None:
        line = self.selected_line()
        if line is None or self.refuse_locked(line):
            return
        form = self.form(line)
        if form is not None:
            self.app.push_screen(ExpenseDialog(self.runtime, form), self.saved)

    def saved(self, saved: SavedExpense | None) -> None:
        """Show the saved expense: its week or month when the list shows another."""
        if saved is None:
            return
        self.select_id = saved.id
        self.notify(f"Expense saved ({saved.spent_date:%d %b %Y}).", markup=False)
        report = self.report
        outside = report is not None and (
            (report.date_from is not None and saved.spent_date < report.date_from)
            or (report.date_to is not None and saved.spent_date > report.date_to))
        if outside:
            self.set_filter(anchor=saved.spent_date)
        else:
            self.reload()

    def action_delete_expense(self) -> None:
        line = self.selected_line()
        if line is None or self.refuse_locked(line):
            return
        question = (f"Delete the {line.category} expense of "
                    f"{money_text(line.total, line.currency)} on {line.spent_date:%d %b %Y}"
                    f" ({line.client} › {line.project})?")

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(line.id)

        self.app.push_screen(ConfirmDialog(question, title="Delete expense",
                                           confirm_label="Delete"), answered)

    @work(thread=True, exclusive=True, group="expenses-write")
    def delete(self, expense_id: str) -> None:
        from keito_core.services.tracking.expenses import delete_expense

        try:
            with self.runtime.session() as session:
                delete_expense(session, actor=self.runtime.actor(session),
                               expense_id=expense_id, now=self.runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.Changed("Expense deleted."))

    def on_expenses_screen_changed(self, message: Changed) -> None:
        self.notify(message.text, markup=False)
        self.reload()

    def on_expenses_screen_refused(self, message: Refused) -> None:
        error = message.error
        title = "Locked" if error.code == "locked" else "Not done"
        text = f"{error.message} ({error.hint})" if error.hint else error.message
        self.notify(text, title=title, severity="warning", markup=False)
        self.reload()
