"""A report's filters as SQL: the period, the references the user typed, who may see what.

Every report builds its WHERE clause here, so the time and expense reports, the chart, the
agents report and the drill-down all read exactly the same rows for the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import validation
from keito_core.models import BusinessRole, Project, UserBusinessRole, Workspace
from keito_core.platform.access import filter_user, visibility_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_category, find_client, find_project, find_task
from keito_core.reports.analysis.query import ReportQuery
from keito_core.rules import permissions as policy
from keito_core.rules.periods import named_period, week_bounds
from keito_core.rules.permissions import Action, Money

#: The period a report covers when the query names none (Harvest's reports open on it too).
DEFAULT_PERIOD = "this_week"


@dataclass(frozen=True)
class Scope:
    """A checked query with its references resolved to IDs and its period to dates."""

    query: ReportQuery
    workspace: Workspace
    today: date
    date_from: date | None
    date_to: date | None
    client_ids: tuple[str, ...]
    project_ids: tuple[str, ...]
    task_ids: tuple[str, ...]
    user_ids: tuple[str, ...]
    category_ids: tuple[str, ...]
    #: Users holding one of the chosen business roles (None: no role filter).
    role_user_ids: tuple[str, ...] | None
    shown: frozenset[Money]


def today_in(workspace: Workspace, now: datetime) -> date:
    """The workspace's local date at `now`."""
    return now.astimezone(ZoneInfo(workspace.timezone)).date()


def period_of(query: ReportQuery, workspace: Workspace, today: date,
              ) -> tuple[date | None, date | None]:
    """The inclusive dates a query covers: custom dates win over a named period; a query with
    neither covers the default period (the budget report, whole-life, covers no dates)."""
    if query.date_from or query.date_to:
        return query.date_from, query.date_to
    if query.kind in ("budget", "uninvoiced") and query.period is None:
        return None, None
    first, last = named_period(query.period or DEFAULT_PERIOD, today, workspace.week_start)
    return first, last


def _role_users(session: Session, names: tuple[str, ...]) -> tuple[str, ...]:
    ids: list[str] = []
    for name in names:
        role = session.exec(select(BusinessRole).where(
            sa.func.lower(col(BusinessRole.name)) == name.strip().lower())).first()
        if role is None:
            role = session.get(BusinessRole, name)
        if role is None:
            known = session.exec(select(BusinessRole.name).order_by(BusinessRole.name)).all()
            raise validation(f"no business role named {name!r}", field="role",
                             hint=("roles: " + ", ".join(known)) if known
                             else "no business roles are defined (Manage > Roles)")
        ids.append(role.id)
    users = session.exec(select(UserBusinessRole.user_id).where(
        col(UserBusinessRole.role_id).in_(ids))).all()
    return tuple(sorted(set(users)))


def resolve(session: Session, *, actor: policy.Actor, query: ReportQuery,
            now: datetime) -> Scope:
    """Check the query, resolve what it names and refuse people the actor may not see."""
    query = query.check()
    policy.require(actor, Action.REPORT_VIEW)
    workspace = get_workspace(session)
    today = today_in(workspace, now)
    first, last = period_of(query, workspace, today)
    return Scope(
        query=query, workspace=workspace, today=today, date_from=first, date_to=last,
        client_ids=tuple(find_client(session, ref).id for ref in query.clients),
        project_ids=tuple(find_project(session, ref).id for ref in query.projects),
        task_ids=tuple(find_task(session, ref).id for ref in query.tasks),
        user_ids=tuple(filter_user(session, actor, Action.REPORT_VIEW, ref)
                       for ref in query.people),
        category_ids=tuple(find_category(session, ref).id for ref in query.categories),
        role_user_ids=_role_users(session, query.roles) if query.roles else None,
        shown=policy.field_visibility(actor),
    )


def record_conditions(scope: Scope, actor: policy.Actor, model: Any, project: Any,
                      *, with_task: bool = True) -> list[Any]:
    """WHERE conditions on a time entry or expense table (`model`) joined to projects (or,
    with `project` None, on the records table alone: the client filter becomes a subquery)."""
    q = scope.query
    out: list[Any] = []
    seen = visibility_clause(actor, Action.REPORT_VIEW, model)
    if seen is not None:
        out.append(seen)
    if scope.date_from:
        out.append(col(model.spent_date) >= scope.date_from)
    if scope.date_to:
        out.append(col(model.spent_date) <= scope.date_to)
    out += filter_conditions(scope, model, project, with_task=with_task)
    if q.invoiced is not None:
        out.append(col(model.invoice_id).is_not(None) if q.invoiced
                   else col(model.invoice_id).is_(None))
    if q.approval:
        out.append(col(model.approval_status).in_(q.approval))
    return out


def filter_conditions(scope: Scope, model: Any, project: Any = None, *,
                      with_task: bool = True) -> list[Any]:
    """The query's client, project, task, person, role, source and billable filters on
    `model` (time entries, expenses or the monthly rollup), joined to projects or not."""
    q = scope.query
    out: list[Any] = []
    if scope.client_ids and project is not None:
        out.append(col(project.client_id).in_(scope.client_ids))
    elif scope.client_ids:
        out.append(col(model.project_id).in_(
            sa.select(col(Project.id)).where(col(Project.client_id).in_(scope.client_ids))))
    if scope.project_ids:
        out.append(col(model.project_id).in_(scope.project_ids))
    if scope.task_ids and with_task:
        out.append(col(model.task_id).in_(scope.task_ids))
    if scope.user_ids:
        out.append(col(model.user_id).in_(scope.user_ids))
    if scope.role_user_ids is not None:
        out.append(col(model.user_id).in_(scope.role_user_ids))
    if q.sources:
        out.append(col(model.source).in_(q.sources))
    if q.billable is not None:
        out.append(col(model.is_billable).is_(q.billable))
    return out


def bucket_start(column: Any, bucket: str, week_start: Any, dialect: str) -> Any:
    """SQL for the first day of the day/week/month holding the date `column`, as ISO text
    (SQLite) or a date (PostgreSQL); weeks begin on the workspace's `week_start`."""
    if bucket == "day":
        return column
    # The first weekday as SQL counts weekdays (0 Sunday ... 6 Saturday).
    week_start_index = (week_bounds(date(2024, 1, 3), week_start)[0].weekday() + 1) % 7
    if dialect == "postgresql":
        if bucket == "month":
            return sa.cast(sa.func.date_trunc("month", column), sa.Date)
        dow = sa.cast(sa.extract("dow", column), sa.Integer)
        return column - ((dow - week_start_index + 7) % 7)
    if bucket == "month":
        return sa.func.strftime("%Y-%m-01", column)
    dow = sa.cast(sa.func.strftime("%w", column), sa.Integer)
    back = sa.cast((dow - week_start_index + 7) % 7, sa.String)
    return sa.func.date(column, sa.literal("-") + back + sa.literal(" days"))


def as_date(value: Any) -> date:
    """A bucket's start as a date, whichever the database returned."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
