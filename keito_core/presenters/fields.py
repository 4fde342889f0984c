"""What each record kind's shape may hide from a viewer, and the helpers every shape uses."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from keito_core.rules.permissions import Money

_R, _C, _B, _A = Money.RATE, Money.COST, Money.BUDGET, Money.AMOUNT
#: A project's budget settings, shown or hidden together.
BUDGET_SETTINGS = ("budget_by", "budget_hours", "budget_amount", "budget_monthly_reset",
                   "budget_alert_percent", "budget_includes_expenses", "budget_visible_to_team")

#: Per record kind, every field a viewer may be refused and the kind of money it is.
MONEY_FIELDS: dict[str, Mapping[str, Money]] = {
    "user": {"billable_rate": _R, "cost_rate": _C},
    "task": {"default_hourly_rate": _R},
    "category": {"unit_price": _A},
    "project": {"hourly_rate": _R, "fixed_fee": _R, **dict.fromkeys(BUDGET_SETTINGS, _B)},
    "project_task": {"hourly_rate": _R, "budget_hours": _B, "budget_amount": _B},
    "project_member": {"hourly_rate": _R, "uses_default_rate": _R, "budget_hours": _B,
                       "budget_amount": _B},
    "time_entry": {"billable_rate": _R, "cost_rate": _C},
    "expense": {"units": _A, "unit_price": _A, "total_cost": _A},
    "expense_total": {"total_cost": _A},
    "submission_expense": {"units": _A, "unit_price": _A, "total_cost": _A},
    # An invoice is a document sent to the client: whoever may view it sees all of it.
    "invoice": dict.fromkeys(("amount", "due_amount", "subtotal", "discount",
                              "discount_amount", "tax", "tax_amount", "tax2", "tax2_amount",
                              "paid_amount"), _A),
    "invoice_line": {"quantity": _A, "unit_price": _A, "amount": _A},
    "invoice_payment": {"amount": _A, "balance": _A},
    "invoice_row": {"amount": _A, "due_amount": _A},
    "uninvoiced": {"hours": _A, "time_amount": _A, "expense_amount": _A, "fee": _A,
                   "amount": _A},
}


def shown(kind: str, data: dict[str, Any], visible: frozenset[Money]) -> dict[str, Any]:
    """`data` without the money fields of `kind` that the viewer may not see."""
    fields = MONEY_FIELDS[kind]
    return {key: value for key, value in data.items()
            if key not in fields or fields[key] in visible}


def named(row: Any) -> dict[str, Any] | None:
    """{id, name} of a related record (a row or a dict), or None."""
    if row is None:
        return None
    if isinstance(row, dict):
        return {"id": row.get("id"), "name": row.get("name")}
    return {"id": row.id, "name": row.name}
