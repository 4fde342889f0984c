"""Whole months from the rollup `time_entry_months`, the days around them from the entries.

A time summary's first pass sums entries per project (and person, task or source). Over a
long period most of its days fall in whole months, whose entries the rollup has already
summed per month, project, person, task, source, billable, invoiced and rate (migration
0008's triggers keep it): those months are read from there (65,291 rows for 2026 of the
1,000,000-entry demo instead of 337,263 entries), and only the partial months at either end
from the entries. Every figure is an exact integer sum of seconds or seconds x rate, so
summing a bucket's seconds first and multiplying by its one rate gives the entries' own sums.

Only queries every filter of which the rollup can answer take this way: a filter on the
approval status (not in the rollup) reads the entries alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.enums import Source
from keito_core.models.time_entries import NO_TASK_KEY, TimeEntryMonth
from keito_core.models.types import EnumText
from keito_core.platform.access import visibility_clause
from keito_core.reports.analysis.scope import Scope, filter_conditions
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action

#: The entry columns a first pass may group by, as the rollup spells them (a task-less
#: bucket's task is NO_TASK_KEY there, NULL as the entries have it).
_COLUMNS: dict[str, Any] = {
    "project_id": col(TimeEntryMonth.project_id),
    "user_id": col(TimeEntryMonth.user_id),
    "task_id": sa.func.nullif(col(TimeEntryMonth.task_id), NO_TASK_KEY),
    "source": sa.type_coerce(col(TimeEntryMonth.source), EnumText(Source)),
}


@dataclass(frozen=True)
class MonthPlan:
    """The whole months [first, end) read from the rollup (None: unbounded on that side)
    and the partial periods around them, (from, to) inclusive, read from the entries."""

    first: date | None
    end: date | None
    partial: tuple[tuple[date | None, date | None], ...]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def plan_for(scope: Scope) -> MonthPlan | None:
    """How to read `scope` through the rollup, or None when it cannot or need not: a filter
    the rollup does not hold (approval status), or no whole month in the period."""
    if scope.query.approval:
        return None
    start, stop = scope.date_from, scope.date_to
    first = None if start is None else start if start.day == 1 else _next_month(start)
    end = None
    if stop is not None:
        end = _next_month(stop) if (stop + timedelta(days=1)).day == 1 else stop.replace(day=1)
    if first is not None and end is not None and first >= end:
        return None
    partial: list[tuple[date | None, date | None]] = []
    if start is not None and first is not None and start < first:
        partial.append((start, first - timedelta(days=1)))
    if stop is not None and end is not None and end <= stop:
        partial.append((end, stop))
    return MonthPlan(first, end, tuple(partial))


def partial_scopes(scope: Scope, plan: MonthPlan) -> list[Scope]:
    """`scope` narrowed to each partial period the entries answer."""
    return [replace(scope, date_from=start, date_to=stop) for start, stop in plan.partial]


def month_conditions(scope: Scope, actor: policy.Actor, plan: MonthPlan) -> list[Any]:
    """WHERE conditions on the rollup: the whole months, who may see what, the filters (the
    same as scope.record_conditions puts on the entries, bar the approval status)."""
    model = TimeEntryMonth
    out: list[Any] = []
    seen = visibility_clause(actor, Action.REPORT_VIEW, model)
    if seen is not None:
        out.append(seen)
    if plan.first is not None:
        out.append(col(model.month) >= plan.first)
    if plan.end is not None:
        out.append(col(model.month) < plan.end)
    out += filter_conditions(scope, model)
    if scope.query.invoiced is not None:
        out.append(col(model.invoiced).is_(scope.query.invoiced))
    return out


def month_metrics() -> list[Any]:
    """time_report.metric_selects over the rollup: the same five raw sums."""
    model = TimeEntryMonth
    secs = col(model.duration_seconds)
    billable = col(model.is_billable).is_(True)
    rate = sa.type_coerce(col(model.billable_rate), sa.BigInteger)
    cost = sa.type_coerce(col(model.cost_rate), sa.BigInteger)
    open_ = sa.and_(billable, col(model.invoiced).is_(False))
    return [
        sa.func.sum(secs),
        sa.func.sum(sa.case((billable, secs), else_=0)),
        sa.func.sum(sa.case((billable, secs * rate), else_=0)),
        sa.func.sum(sa.case((open_, secs * rate), else_=0)),
        sa.func.sum(secs * cost),
    ]


def month_pass(scope: Scope, actor: policy.Actor, plan: MonthPlan,
               entry_columns: list[str]) -> Any:
    """The rollup's share of a first pass: its sums per `entry_columns` (labelled as the
    entries' pass labels them: the columns by name, the sums m0...m4)."""
    columns = [_COLUMNS[name] for name in entry_columns]
    return (sa.select(*[c.label(n) for c, n in zip(columns, entry_columns, strict=True)],
                      *[m.label(f"m{i}") for i, m in enumerate(month_metrics())])
            .where(*month_conditions(scope, actor, plan))
            .group_by(*columns))
