"""Budget arithmetic: percent used, remaining, status, the thresholds that alert, the period.

Pure functions over Decimal amounts (hours or money alike); no database.

The status rule (as Harvest and the Budget Report read it):

- ``on_track``: below the alert threshold (or no threshold);
- ``warning``: at or above the alert threshold, up to and including 100 % used: a budget
  used exactly to the last hour is spent, not exceeded;
- ``over``: spent is more than the budget (above 100 %).

Two thresholds alert: the project's alert percent (``"80"`` for the default 80 %), reached when
percent used is at or above it, and ``"over"``, reached when spent exceeds the budget. A budget
period is ``"life"`` for a budget over the project's whole life, else the month of the spent
date, ``"YYYY-MM"``, when the budget resets monthly.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

BudgetStatus = Literal["on_track", "warning", "over"]
STATUSES: tuple[BudgetStatus, ...] = ("on_track", "warning", "over")
#: The threshold reached when spending exceeds the budget (the other is the alert percent).
OVER = "over"
#: The period of a budget that never resets.
LIFE = "life"
_HUNDRED = Decimal(100)
_PERCENT_PLACES = Decimal("0.01")


def has_budget(budget: Decimal | None) -> bool:
    """Whether an amount is a budget worth tracking (set and more than zero)."""
    return budget is not None and budget > 0


def percent_used(spent: Decimal, budget: Decimal | None) -> Decimal | None:
    """spent / budget x 100, rounded half-up to 2 decimals; None without a budget."""
    if budget is None or budget <= 0:
        return None
    return (spent * _HUNDRED / budget).quantize(_PERCENT_PLACES, ROUND_HALF_UP)


def remaining(spent: Decimal, budget: Decimal | None) -> Decimal | None:
    """budget - spent (negative when over); None without a budget."""
    if budget is None:
        return None
    return budget - spent


def _at_or_above_alert(spent: Decimal, budget: Decimal, alert_percent: int | None) -> bool:
    """Exact comparison (no rounded percent): spent x 100 >= budget x alert percent."""
    return alert_percent is not None and spent * _HUNDRED >= budget * alert_percent


def budget_status(spent: Decimal, budget: Decimal | None,
                  alert_percent: int | None = 80) -> BudgetStatus:
    """on_track, warning (at or above the alert percent, or exactly 100 %) or over (> 100 %)."""
    if budget is None or budget <= 0:
        return "over" if spent > 0 and budget is not None else "on_track"
    if spent > budget:
        return "over"
    if spent == budget or _at_or_above_alert(spent, budget, alert_percent):
        return "warning"
    return "on_track"


def reached_thresholds(spent: Decimal, budget: Decimal | None,
                       alert_percent: int | None = 80) -> tuple[str, ...]:
    """The thresholds spending stands at or beyond: the alert percent (``"80"``) and ``"over"``.

    This is what the alert check records after every write: the recorded alerts are the
    memory of what was already crossed, so concurrent writes that each saw only part of the
    spending still alert exactly once.
    """
    if budget is None or budget <= 0:
        return ()
    reached: list[str] = []
    if _at_or_above_alert(spent, budget, alert_percent):
        reached.append(str(alert_percent))
    if spent > budget:
        reached.append(OVER)
    return tuple(reached)


def crossed_thresholds(before: Decimal, after: Decimal, budget: Decimal | None,
                       alert_percent: int | None = 80) -> tuple[str, ...]:
    """The thresholds a change of spending from `before` to `after` crosses upwards."""
    was = set(reached_thresholds(before, budget, alert_percent))
    return tuple(t for t in reached_thresholds(after, budget, alert_percent) if t not in was)


def threshold_label(threshold: str) -> str:
    """"80 %" for an alert percent, "100 %" for over."""
    return "100%" if threshold == OVER else f"{threshold}%"


def budget_period(spent_date: date, *, monthly_reset: bool) -> str:
    """The period a spent date counts in: "life", or its month "YYYY-MM" with monthly reset."""
    return f"{spent_date.year:04d}-{spent_date.month:02d}" if monthly_reset else LIFE


def month_bounds(month: date) -> tuple[date, date]:
    """The first day of `month`'s month and the first day of the next one."""
    first = month.replace(day=1)
    following = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))
    return first, following


def period_label(month: date | None) -> str:
    """How a report names a period: "March 2026" for a month, "Project life" otherwise."""
    return month.strftime("%B %Y") if month is not None else "Project life"
