"""Reports: time, expenses, budget, utilization, agents and what is ready to bill.

Each report is SQL aggregation over the rows the viewer may see (the policy's REPORT_VIEW:
members their own, managers their teammates and the projects they manage, administrators
all), with the money the viewer may not see left out (`ReportResult.hidden`). The command
line, the app and exports all call `run_report`, so they show the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.errors import validation
from keito_core.models import BusinessRole, Client, ExpenseCategory, Project, Task, User
from keito_core.reports.analysis.chart import hours_chart
from keito_core.reports.analysis.query import GROUPINGS, KINDS, ReportQuery
from keito_core.reports.analysis.result import Chart, ChartBar, Column, ReportResult
from keito_core.reports.analysis.scope import resolve
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action

__all__ = [
    "GROUPINGS",
    "KINDS",
    "Chart",
    "ChartBar",
    "Column",
    "ReportChoices",
    "ReportQuery",
    "ReportResult",
    "drill_down",
    "hours_chart",
    "report_choices",
    "run_report",
]


def run_report(session: Session, *, actor: policy.Actor, query: ReportQuery, now: datetime,
               limit: int | None = None) -> ReportResult:
    """Run a report for `actor` (`limit` caps a detailed report's rows, not its totals);
    `ignored` on the result names the filters set that this kind does not apply."""
    result = _run(session, actor=actor, query=query, now=now, limit=limit)
    result.ignored = query.unused_filters()
    return result


def _run(session: Session, *, actor: policy.Actor, query: ReportQuery, now: datetime,
         limit: int | None) -> ReportResult:
    scope = resolve(session, actor=actor, query=query, now=now)
    q = scope.query
    if q.kind == "time":
        from keito_core.reports.analysis import time_report
        if q.detailed:
            return time_report.detailed(session, scope, actor, limit=limit)
        return time_report.summary(session, scope, actor)
    if q.kind == "expenses":
        from keito_core.reports.analysis import expense_report
        if q.detailed:
            return expense_report.detailed(session, scope, actor, limit=limit)
        return expense_report.summary(session, scope, actor)
    if q.kind == "utilization":
        from keito_core.reports.analysis.utilization import utilization
        return utilization(session, scope, actor)
    if q.kind == "agents":
        from keito_core.reports.analysis.agents import agents
        return agents(session, scope, actor)
    if q.kind == "uninvoiced":
        from keito_core.reports.analysis.ready import uninvoiced_report
        return uninvoiced_report(session, scope, actor)
    from keito_core.reports.analysis.budget import budget_report
    return budget_report(session, scope, actor, now=now)


def drill_down(query: ReportQuery, row: dict[str, Any]) -> ReportQuery:
    """The detailed time (or expense) query for the entries behind a summary row."""
    keys = row.get("_keys") or {}
    if row.get("id") is not None or "id" in keys:
        raise validation("this row is one entry already", field="row")
    filters = {name: value for name, value in keys.items() if name != "week" and value}
    if not filters and "week" not in keys:
        raise validation("this row has no entries to show", field="row",
                         hint="drill into a row of a summary grouped by client, project, "
                              "task, person, source, role or category")
    kind = "expenses" if query.kind == "expenses" else "time"
    changes: dict[str, Any] = {"kind": kind, "detailed": True, "group_by": None,
                               "then_by": None}
    if query.kind in ("agents", "utilization", "budget", "uninvoiced"):
        changes["budget_status"] = ()
    if "week" in keys:
        first = date.fromisoformat(keys["week"])
        changes["date_from"] = first
        changes["date_to"] = first + timedelta(days=6)
        changes["period"] = None
    for name, value in filters.items():
        changes[name] = (str(value),)
    if kind == "time":
        changes["categories"] = ()
    return replace(query, **changes)


@dataclass(frozen=True)
class ReportChoices:
    """What the filter pickers offer: (id, label) pairs the viewer may see."""

    clients: tuple[tuple[str, str], ...]
    projects: tuple[tuple[str, str], ...]
    tasks: tuple[tuple[str, str], ...]
    people: tuple[tuple[str, str], ...]
    roles: tuple[tuple[str, str], ...]
    categories: tuple[tuple[str, str], ...]


def report_choices(session: Session, *, actor: policy.Actor) -> ReportChoices:
    """Clients, projects, tasks, people, business roles and categories for the filters."""
    policy.require(actor, Action.REPORT_VIEW)
    projects_seen = policy.visible_project_ids(actor)
    people_seen = policy.visible_user_ids(actor)
    project_where: list[Any] = []
    if projects_seen is not None:
        project_where.append(col(Project.id).in_(sorted(projects_seen)))
    project_rows = session.execute(
        sa.select(col(Project.id), col(Project.name), col(Client.id), col(Client.name))
        .join(Client, col(Client.id) == col(Project.client_id)).where(*project_where)
        .order_by(sa.func.lower(col(Client.name)), sa.func.lower(col(Project.name)))).all()
    clients = dict.fromkeys((cid, cname) for _, _, cid, cname in project_rows)
    people_where: list[Any] = []
    if people_seen is not None:
        people_where.append(col(User.id).in_(sorted(people_seen)))
    people = session.execute(sa.select(col(User.id), col(User.name)).where(*people_where)
                             .order_by(sa.func.lower(col(User.name)))).all()
    tasks = session.execute(sa.select(col(Task.id), col(Task.name))
                            .order_by(sa.func.lower(col(Task.name)))).all()
    roles = session.execute(sa.select(col(BusinessRole.name), col(BusinessRole.name))
                            .order_by(sa.func.lower(col(BusinessRole.name)))).all()
    categories = session.execute(sa.select(col(ExpenseCategory.id), col(ExpenseCategory.name))
                                 .order_by(sa.func.lower(col(ExpenseCategory.name)))).all()
    return ReportChoices(
        clients=tuple(sorted(clients, key=lambda c: c[1].lower())),
        projects=tuple((pid, f"{cname}: {name}") for pid, name, _, cname in project_rows),
        tasks=tuple((t, n) for t, n in tasks),
        people=tuple((u, n) for u, n in people),
        roles=tuple((r, n) for r, n in roles),
        categories=tuple((c, n) for c, n in categories))
