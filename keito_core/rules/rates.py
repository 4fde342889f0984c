"""Billable rates and billability, the Harvest model, over plain values.

Which rate applies follows the project's "bill by" setting:

- ``project``: the project's hourly rate;
- ``task``: the task's rate (the project-task override, else the task's default);
- ``person``: the project member's custom rate, else the user's default billable rate;
- ``none``, or a non-billable project: no rate.

When the chosen rate is missing (not set on the project or task), the user's default
billable rate is used, so an entry still carries a value rather than silently billing zero.
Fixed-fee projects resolve a rate the same way: the invoice bills the fee, but the rate
values the hours for budget and profitability reports.

Amounts are exact; rounding to the currency happens once, on the invoice line.
"""

from __future__ import annotations

from decimal import Decimal

from keito_core.enums import BillBy, ProjectType
from keito_core.errors import validation

SECONDS_PER_HOUR = 3600


def resolve_billable_rate(
    *,
    project_type: ProjectType | str,
    bill_by: BillBy | str,
    project_rate: Decimal | None,
    task_rate: Decimal | None,
    member_rate: Decimal | None,
    user_default_rate: Decimal | None,
) -> Decimal | None:
    """The hourly rate an entry bills at, or None when it bills nothing (see module rules)."""
    kind, basis = ProjectType(project_type), BillBy(bill_by)
    if kind is ProjectType.NON_BILLABLE or basis is BillBy.NONE:
        return None
    chosen = {
        BillBy.PROJECT: project_rate,
        BillBy.TASK: task_rate,
        BillBy.PERSON: member_rate,
    }[basis]
    return chosen if chosen is not None else user_default_rate


def resolve_billable(
    *,
    project_type: ProjectType | str,
    entry_choice: bool | None,
    task_billable: bool | None,
) -> bool:
    """Whether an entry is billable: never on non-billable projects, else choice, task, True."""
    if ProjectType(project_type) is ProjectType.NON_BILLABLE:
        return False
    if entry_choice is not None:
        return entry_choice
    if task_billable is not None:
        return task_billable
    return True


def billable_amount(seconds: int, rate: Decimal) -> Decimal:
    """Exact value of `seconds` at an hourly `rate` (unrounded; the invoice line rounds)."""
    if seconds < 0:
        raise validation("duration cannot be negative", field="duration")
    if isinstance(rate, float):
        raise TypeError("rate must be a Decimal, never a float")
    return Decimal(seconds) * Decimal(rate) / SECONDS_PER_HOUR
