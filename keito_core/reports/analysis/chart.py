"""Hours per day, week or month for the Reports view's chart, stacked by billable and
non-billable or by human and agent: one SQL aggregation over the report's own filters."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import UserType
from keito_core.errors import validation
from keito_core.models import TimeEntry, User
from keito_core.reports.analysis.query import CHART_BUCKETS, CHART_STACKS, ReportQuery
from keito_core.reports.analysis.result import Chart, ChartBar
from keito_core.reports.analysis.scope import as_date, bucket_start, record_conditions, resolve
from keito_core.reports.analysis.time_report import hours
from keito_core.rules import permissions as policy
from keito_core.rules.periods import month_bounds, week_bounds

SERIES = {"billable": ("billable", "non_billable"), "source": ("human", "agent")}


def auto_bucket(first: date, last: date) -> str:
    """Days up to a month and a half, weeks up to half a year, months beyond."""
    span = (last - first).days + 1
    if span <= 45:
        return "day"
    if span <= 190:
        return "week"
    return "month"


def _starts(first: date, last: date, bucket: str, week_start: Any) -> list[date]:
    if bucket == "day":
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if bucket == "week":
        day = week_bounds(first, week_start)[0]
        out = []
        while day <= last:
            out.append(day)
            day += timedelta(days=7)
        return out
    day = month_bounds(first)[0]
    out = []
    while day <= last:
        out.append(day)
        day = month_bounds(day)[1] + timedelta(days=1)
    return out


def _label(start: date, bucket: str) -> str:
    if bucket == "day":
        return start.strftime("%a %d")
    if bucket == "week":
        return start.strftime("%d %b")
    return start.strftime("%b %y")


def hours_chart(session: Session, *, actor: policy.Actor, query: ReportQuery, now: datetime,
                bucket: str | None = None, stack: str = "billable") -> Chart:
    """Hours per bucket of the query's period (time entries under its filters)."""
    if stack not in CHART_STACKS:
        raise validation(f"unknown chart stack {stack!r}", field="stack",
                         hint="choose " + " or ".join(CHART_STACKS))
    if bucket is not None and bucket not in CHART_BUCKETS:
        raise validation(f"unknown chart bucket {bucket!r}", field="bucket",
                         hint="choose " + ", ".join(CHART_BUCKETS))
    time_query = replace(query, kind="time", group_by=None, then_by=None, detailed=False,
                         categories=(), budget_status=())
    scope = resolve(session, actor=actor, query=time_query, now=now)
    first = scope.date_from or scope.today - timedelta(days=29)
    last = scope.date_to or scope.today
    chosen = bucket or auto_bucket(first, last)
    # First the entries' seconds per day (and per person when stacking by people and
    # agents), reading the entries table alone; then those sums per bucket.
    secs = col(TimeEntry.duration_seconds)
    billable = col(TimeEntry.is_billable).is_(True)
    per: list[Any] = [col(TimeEntry.spent_date).label("spent_date")]
    if stack == "source":
        per.append(col(TimeEntry.user_id).label("user_id"))
    daily = (sa.select(*per,
                       sa.func.sum(sa.case((billable, secs), else_=0)).label("first"),
                       sa.func.sum(sa.case((billable, 0), else_=secs)).label("second"),
                       sa.func.sum(secs).label("total"))
             .where(*record_conditions(scope, actor, TimeEntry, None))
             .group_by(*[p.element for p in per]).subquery("daily"))
    start = bucket_start(daily.c.spent_date, chosen, scope.workspace.week_start,
                         session.get_bind().dialect.name)
    if stack == "billable":
        stmt = (sa.select(start, sa.func.sum(daily.c.first), sa.func.sum(daily.c.second))
                .select_from(daily).group_by(start))
    else:
        human = col(User.user_type) == UserType.HUMAN
        stmt = (sa.select(start, sa.func.sum(sa.case((human, daily.c.total), else_=0)),
                          sa.func.sum(sa.case((human, 0), else_=daily.c.total)))
                .select_from(daily.join(User, col(User.id) == daily.c.user_id))
                .group_by(start))
    found = {as_date(day): (int(a or 0), int(b or 0))
             for day, a, b in session.execute(stmt).all()}
    names = SERIES[stack]
    bars = []
    for day in _starts(first, last, chosen, scope.workspace.week_start):
        first_s, second_s = found.get(day, (0, 0))
        values: dict[str, Decimal] = {names[0]: hours(first_s), names[1]: hours(second_s)}
        bars.append(ChartBar(label=_label(day, chosen), start=day, values=values))
    return Chart(bucket=chosen, stack=stack, series=names, bars=bars)
