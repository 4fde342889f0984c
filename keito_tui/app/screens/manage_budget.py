"""A project's budget in the Manage view: one bar per budget (the project's, or per task or
person), spent of budget, % used, remaining, coloured by status."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from keito_core.errors import KeitoError
from keito_tui.app.loaders import hours, money
from keito_tui.app.widgets.footer import KeitoFooter

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime
    from keito_core.reports.budgets import BudgetLine

BAR_WIDTH = 30
STATUS_LABELS = {"on_track": "On track", "warning": "Warning", "over": "Over budget"}
_KINDS = {"total_hours": "Total hours", "total_fees": "Total fees", "task": "Per task",
          "person": "Per person"}


@dataclass(frozen=True)
class BudgetRow:
    """One budget as the screen shows it: plain text and the status."""

    label: str
    figures: str
    percent: Decimal
    status: str


def bar_text(percent: Decimal, width: int = BAR_WIDTH) -> str:
    """A bar `width` cells wide filled to `percent` (capped at full), e.g. "█████░░░░░"."""
    filled = max(0, min(width, int(percent * width / 100)))
    if percent > 0 and filled == 0:
        filled = 1
    return "█" * filled + "░" * (width - filled)


def _amount(value: Decimal, line: BudgetLine, fmt: str) -> str:
    if line.kind == "fees":
        return money(value, line.currency) or ""
    return hours(value, fmt) or ""


def budget_row(line: BudgetLine, fmt: str) -> BudgetRow:
    """The screen's text for one budget line, in the workspace's duration format."""
    who = {"task": f" · task {line.scope_name}", "person": f" · {line.scope_name}"}.get(
        line.scope, "")
    label = f"{_KINDS.get(line.budget_by.value, line.kind)}{who} · {line.period_label}"
    spent, budget = _amount(line.spent, line, fmt), _amount(line.budget, line, fmt)
    if line.remaining >= 0:
        left = f"{_amount(line.remaining, line, fmt)} left"
    else:
        left = f"over by {_amount(-line.remaining, line, fmt)}"
    return BudgetRow(label, f"{spent} of {budget}, {left}", line.percent_used, line.status)


class BudgetBar(Vertical):
    """One budget: its label, the bar with % used and status, and spent / remaining."""

    def __init__(self, row: BudgetRow) -> None:
        super().__init__(classes=f"budget-bar -{row.status.replace('_', '-')}")
        self.row = row

    def compose(self) -> ComposeResult:
        row = self.row
        yield Static(row.label, classes="budget-bar--label", markup=False)
        yield Static(f"{bar_text(row.percent)} {row.percent.normalize():f}%  "
                     f"{STATUS_LABELS[row.status]}", classes="budget-bar--bar", markup=False)
        yield Static(row.figures, classes="budget-bar--figures", markup=False)


class ProjectBudget(ModalScreen[None]):
    """The selected project's budget progress, read by a worker (`reports.budgets`)."""

    CSS_PATH = "manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", key_display="esc", id="budget.close",
                tooltip="Back to the Manage view"),
    ]

    class Loaded(Message):
        def __init__(self, rows: tuple[BudgetRow, ...], note: str | None) -> None:
            super().__init__()
            self.rows = rows
            self.note = note

    def __init__(self, project_id: str, project_name: str) -> None:
        super().__init__()
        self.project_id = project_id
        self.project_name = project_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="budget-panel"):
            yield Static(f"Budget of {self.project_name}", classes="record-list--title",
                         markup=False)
            yield VerticalScroll(id="budget-bars")
            yield Static("Reading the budget...", id="budget-note", markup=False)
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.load(self.app.runtime)  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="project-budget")
    def load(self, runtime: Runtime) -> None:
        from keito_core.platform.identity import get_workspace
        from keito_core.reports.budgets import project_budget

        note: str | None = None
        try:
            with runtime.session(readonly=True) as session:
                actor = runtime.actor(session)
                lines = project_budget(session, actor=actor, project_id=self.project_id,
                                       now=runtime.clock())
                fmt = get_workspace(session).duration_format.value
                rows = tuple(budget_row(line, fmt) for line in lines)
        except KeitoError as exc:
            rows, note = (), exc.message
        if not rows and note is None:
            note = ("No budget to show: the project has none, or it does not show its "
                    "budget to the team.")
        self.post_message(self.Loaded(rows, note))

    def on_project_budget_loaded(self, message: Loaded) -> None:
        bars = self.query_one("#budget-bars", VerticalScroll)
        bars.remove_children()
        bars.mount_all([BudgetBar(row) for row in message.rows])
        note = self.query_one("#budget-note", Static)
        note.update(message.note or "")
        note.display = message.note is not None

    def action_close(self) -> None:
        self.dismiss(None)
