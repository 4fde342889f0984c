"""The app's one registry of actions: it feeds the footer, the help screen and the palette.

Each action has a stable id, so users can remap its key with `App.set_keymap({id: key})`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeitoAction:
    """One thing the user can do from anywhere in the app."""

    id: str
    key: str
    action: str
    description: str
    help: str
    key_display: str | None = None
    #: Offered in the command palette (Quit already is, as a Textual system command).
    in_palette: bool = True
    #: Checked before the focused widget's own keys (e.g. arrows over a table's cursor).
    priority: bool = False
    #: Shown in the footer (every action is always in the help screen and the palette).
    show: bool = True
    #: Footer group: consecutive actions of one group show their keys under one label.
    group: Binding.Group | None = None

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.description,
            show=self.show,
            id=self.id,
            tooltip=self.help,
            key_display=self.key_display,
            priority=self.priority,
            group=self.group,
        )


#: The main views' keys share one footer label, so the footer fits 80 columns.
VIEWS = Binding.Group("Views", compact=True)

ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction(
        "day", "d", "show_mode('day')", "Day", "Today's entries, timer and totals", group=VIEWS
    ),
    KeitoAction(
        "week", "w", "show_mode('week')", "Week", "The week grid by project and task",
        group=VIEWS,
    ),
    KeitoAction(
        "expenses", "e", "show_mode('expenses')", "Expenses", "Expenses and receipts",
        group=VIEWS,
    ),
    KeitoAction(
        "approvals", "a", "show_mode('approvals')", "Approvals",
        "Submitted timesheets to approve or reject", group=VIEWS,
    ),
    KeitoAction("inbox", "i", "show_mode('inbox')", "Inbox", "Your notifications", group=VIEWS),
    KeitoAction(
        "invoices", "v", "show_mode('invoices')", "Invoices",
        "Invoices: the list with aging, new invoices, the editor, payments and sending",
        group=VIEWS,
    ),
    KeitoAction(
        "reports", "r", "show_mode('reports')", "Reports",
        "Reports: time, expenses, budgets, utilization, agents and what is ready to bill, "
        "with a chart, drill-down, saved reports and export", group=VIEWS,
    ),
    KeitoAction(
        "manage", "m", "show_mode('manage')", "Manage",
        "Clients, projects, tasks, the team and expense categories", group=VIEWS,
    ),
    KeitoAction(
        "settings", "s", "show_mode('settings')", "Settings", "Every workspace setting",
        group=VIEWS,
    ),
    KeitoAction("refresh", "ctrl+r,f5", "refresh", "Refresh", "Read the current view again",
                key_display="^r"),
    KeitoAction(
        "help", "question_mark", "help", "Help", "List every key binding", key_display="?"
    ),
    # Priority: it quits from a dialog too (what is saved is saved; an open form is dropped).
    KeitoAction("quit", "ctrl+q", "quit", "Quit", "Quit Keito", in_palette=False,
                priority=True),
)

#: Actions that need an open workspace (hidden during onboarding and start-up).
WORKSPACE_ACTIONS = frozenset({"show_mode", "refresh"})


def app_bindings() -> list[BindingType]:
    return [action.binding() for action in ACTIONS]


def view_bindings(actions: tuple[KeitoAction, ...]) -> list[BindingType]:
    """A view's own bindings, from its registry entries."""
    return [action.binding() for action in actions]
