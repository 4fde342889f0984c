"""Utilization (the reference's Capacity Planning page): per person and week, tracked and
billable hours against their weekly capacity (theirs, else the workspace's).

    utilization          = tracked hours / weekly capacity x 100 %
    billable utilization = billable hours / weekly capacity x 100 %

Bands: under 70 % under-utilised, 70-90 % healthy, 90-100 % fully loaded, above 100 %
overloaded. People are the humans the viewer may report on who are active or tracked time in
the period; agents have no capacity and are left out. Each week counts whole, with its full
capacity, and only the days of the report's period inside it are counted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import UserStatus, UserType
from keito_core.models import Project, TimeEntry, User
from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope, as_date, bucket_start, record_conditions
from keito_core.reports.analysis.time_report import hours
from keito_core.rules import permissions as policy
from keito_core.rules.periods import week_bounds
from keito_core.rules.permissions import Action
from keito_core.rules.permissions import Scope as Reach

COLUMNS = (
    Column("person", "Team member"),
    Column("week", "Week of", "date"),
    Column("capacity_hours", "Capacity", "hours", True),
    Column("tracked_hours", "Tracked", "hours", True),
    Column("billable_hours", "Billable h", "hours", True),
    Column("utilization", "Util %", "percent"),
    Column("billable_utilization", "Billable %", "percent"),
    Column("band", "Band"),
)
_HUNDRED = Decimal(100)


def band(percent: Decimal | None) -> str:
    """The Capacity Planning page's reading of a utilization percentage."""
    if percent is None:
        return "no capacity"
    if percent < 70:
        return "under"
    if percent <= 90:
        return "healthy"
    if percent <= 100:
        return "full"
    return "over"


def percent(part: Decimal, whole: Decimal) -> Decimal | None:
    """part / whole as a percentage to one decimal (None without capacity)."""
    if not whole:
        return None
    return (part / whole * _HUNDRED).quantize(Decimal("0.1"))


def _people(session: Session, scope: Scope, actor: policy.Actor,
            tracked: set[str]) -> list[tuple[str, str, int | None]]:
    conditions: list[Any] = [col(User.user_type) == UserType.HUMAN]
    reach = policy.scopes_for(actor, Action.REPORT_VIEW)
    if Reach.ANY not in reach:
        seen = {actor.user_id} | (set(actor.teammate_ids) if Reach.TEAM in reach else set())
        conditions.append(col(User.id).in_(sorted(seen | tracked)))
    if scope.user_ids:
        conditions.append(col(User.id).in_(scope.user_ids))
    if scope.role_user_ids is not None:
        conditions.append(col(User.id).in_(scope.role_user_ids))
    conditions.append(sa.or_(col(User.status) == UserStatus.ACTIVE,
                             col(User.id).in_(sorted(tracked))))
    stmt = (sa.select(col(User.id), col(User.name), col(User.weekly_capacity_seconds))
            .where(*conditions).order_by(sa.func.lower(col(User.name))))
    return [(uid, name, cap) for uid, name, cap in session.execute(stmt).all()]


def utilization(session: Session, scope: Scope, actor: policy.Actor) -> ReportResult:
    workspace = scope.workspace
    first = scope.date_from or scope.today
    last = scope.date_to or scope.today
    week = bucket_start(col(TimeEntry.spent_date), "week", workspace.week_start,
                        session.get_bind().dialect.name)
    billable = col(TimeEntry.is_billable).is_(True)
    stmt = (sa.select(col(TimeEntry.user_id), week,
                      sa.func.sum(col(TimeEntry.duration_seconds)),
                      sa.func.sum(sa.case((billable, col(TimeEntry.duration_seconds)),
                                          else_=0)))
            .join(Project, col(Project.id) == col(TimeEntry.project_id))
            .join(User, col(User.id) == col(TimeEntry.user_id))
            .where(*record_conditions(scope, actor, TimeEntry, Project),
                   col(User.user_type) == UserType.HUMAN)
            .group_by(col(TimeEntry.user_id), week))
    sums: dict[tuple[str, date], tuple[int, int]] = {}
    for user_id, week_of, total, bill in session.execute(stmt).all():
        sums[(user_id, as_date(week_of))] = (int(total or 0), int(bill or 0))
    weeks: list[date] = []
    monday = week_bounds(first, workspace.week_start)[0]
    while monday <= last:
        weeks.append(monday)
        monday += timedelta(days=7)
    rows: list[dict[str, Any]] = []
    total_capacity = Decimal(0)
    tracked_seconds = billable_seconds = 0
    for user_id, name, capacity_seconds in _people(session, scope, actor,
                                                   {uid for uid, _ in sums}):
        capacity = hours(capacity_seconds if capacity_seconds is not None
                         else workspace.weekly_capacity_seconds)
        for week_of in weeks:
            tracked_s, billable_s = sums.get((user_id, week_of), (0, 0))
            tracked, bill = hours(tracked_s), hours(billable_s)
            util = percent(tracked, capacity)
            rows.append({"person": name, "week": week_of, "capacity_hours": capacity,
                         "tracked_hours": tracked, "billable_hours": bill,
                         "utilization": util,
                         "billable_utilization": percent(bill, capacity), "band": band(util),
                         "_keys": {"people": user_id, "week": week_of.isoformat()}})
            total_capacity += capacity
            tracked_seconds += tracked_s
            billable_seconds += billable_s
    total_tracked, total_billable = hours(tracked_seconds), hours(billable_seconds)
    overall = percent(total_tracked, total_capacity)
    totals = [{"capacity_hours": total_capacity, "tracked_hours": total_tracked,
               "billable_hours": total_billable, "utilization": overall,
               "billable_utilization": percent(total_billable, total_capacity),
               "band": band(overall)}]
    return ReportResult(kind="utilization", title="Utilization by person and week",
                        columns=list(COLUMNS), rows=rows, totals=totals,
                        date_from=scope.date_from, date_to=scope.date_to, group_by="person")
