"""What each budget has spent: SQL sums per project, per task and per person, for the whole
life of a project or for one month (monthly reset).

What counts (reference: Budgets & Tracking):

- an hours budget (total hours, or a task's or a person's budget_hours): every hour tracked,
  billable or not;
- a fee budget (total fees, or a task's or a person's budget_amount): billable hours x the
  billable rate captured on each entry, rounded as an invoice grouped by project rounds its
  lines (hours per rate to 2 decimals, x rate, half-up to the currency's minor unit), plus the
  billable expenses when the project's budget includes expenses (a task has no expenses).

Seconds and amounts are summed by the database (grouped by rate); only the handful of
per-rate groups are rounded here, as an invoice would round its lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import BudgetBy
from keito_core.models import (
    Client,
    Expense,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
)
from keito_core.models.types import Micros
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_client, find_project
from keito_core.rules import budgets as rule
from keito_core.rules import permissions as policy
from keito_core.rules.budgets import BudgetStatus
from keito_core.rules.invoices import line_amount, time_quantity
from keito_core.rules.permissions import Money

BudgetKind = Literal["hours", "fees"]
BudgetScope = Literal["project", "task", "person"]
_SIX = Decimal("0.000001")


@dataclass(frozen=True)
class BudgetLine:
    """One budget and what it has spent in its period (hours, or money in `currency`)."""

    project_id: str
    project: str
    client: str
    currency: str
    kind: BudgetKind
    budget_by: BudgetBy
    scope: BudgetScope
    #: The task's or the person's ID (None for the project's own budget).
    scope_id: str | None
    #: The task's or the person's name (None for the project's own budget).
    scope_name: str | None
    budget: Decimal
    spent: Decimal
    remaining: Decimal
    percent_used: Decimal
    monthly: bool
    status: BudgetStatus
    alert_percent: int | None
    #: "life" or the month "YYYY-MM".
    period: str
    #: "Project life" or "March 2026".
    period_label: str

    @property
    def scope_key(self) -> str:
        """"" for the project's budget, else the task's or person's ID (the alert's key)."""
        return self.scope_id or ""

    def to_dict(self) -> dict[str, Any]:
        """Plain values (Decimal kept) for JSON and tables."""
        return {
            "project_id": self.project_id, "project": self.project, "client": self.client,
            "currency": self.currency if self.kind == "fees" else None, "kind": self.kind,
            "budget_by": self.budget_by.value, "scope": self.scope, "scope_id": self.scope_id,
            "scope_name": self.scope_name, "budget": self.budget, "spent": self.spent,
            "remaining": self.remaining, "percent_used": self.percent_used,
            "monthly": self.monthly, "status": self.status, "alert_percent": self.alert_percent,
            "period": self.period, "period_label": self.period_label,
        }


@dataclass(frozen=True)
class _Budget:
    """A budget before its spending is known."""

    project: Project
    client: str
    currency: str
    kind: BudgetKind
    scope: BudgetScope
    scope_id: str | None
    scope_name: str | None
    amount: Decimal


_Part = tuple[str, str, Decimal | None, Decimal | None]


def _budget_parts(session: Session, link: Any, named: Any, link_key: Any,
                  project_ids: list[str], only: str | None) -> dict[str, list[_Part]]:
    """Per project, the (id, name, hours, amount) budgets of its tasks or people: `link` is
    ProjectTask or ProjectMember, `named` Task or User, `link_key` the link's column naming
    it; `only` keeps one task or person."""
    parts: dict[str, list[_Part]] = defaultdict(list)
    if not project_ids:
        return parts
    query = (sa.select(col(link.project_id), col(named.id), col(named.name),
                       col(link.budget_hours), col(link.budget_amount))
             .join(named, col(named.id) == link_key)
             .where(col(link.project_id).in_(project_ids))
             .order_by(col(named.name), col(named.id)))
    if only is not None:
        query = query.where(link_key == only)
    for pid, part_id, name, hours, amount in session.execute(query).all():
        parts[pid].append((part_id, name, hours, amount))
    return parts


def _project_budgets(session: Session, rows: Sequence[tuple[Project, str, str]],
                     *, task_id: str | None = None,
                     user_id: str | None = None) -> list[_Budget]:
    """The budgets of these projects: the project's own, or one per task or person budget
    (hours and fees each a budget of their own). `task_id` / `user_id` keep only that one."""
    out: list[_Budget] = []
    by_task = [p.id for p, _, _ in rows if p.budget_by is BudgetBy.TASK]
    by_person = [p.id for p, _, _ in rows if p.budget_by is BudgetBy.PERSON]
    tasks = _budget_parts(session, ProjectTask, Task, col(ProjectTask.task_id), by_task,
                          task_id)
    people = _budget_parts(session, ProjectMember, User, col(ProjectMember.user_id), by_person,
                           user_id)
    for project, client, currency in rows:
        if project.budget_by is BudgetBy.TOTAL_HOURS and rule.has_budget(project.budget_hours):
            assert project.budget_hours is not None
            out.append(_Budget(project, client, currency, "hours", "project", None, None,
                               project.budget_hours))
        elif project.budget_by is BudgetBy.TOTAL_FEES and rule.has_budget(project.budget_amount):
            assert project.budget_amount is not None
            out.append(_Budget(project, client, currency, "fees", "project", None, None,
                               project.budget_amount))
        parts: list[tuple[BudgetScope, _Part]] = [
            *(("task", t) for t in tasks.get(project.id, [])),
            *(("person", p) for p in people.get(project.id, []))]
        for scope, (sid, name, hours, amount) in parts:
            if rule.has_budget(hours):
                assert hours is not None
                out.append(_Budget(project, client, currency, "hours", scope, sid, name, hours))
            if rule.has_budget(amount):
                assert amount is not None
                out.append(_Budget(project, client, currency, "fees", scope, sid, name, amount))
    return out


def _key_column(model: Any, scope: BudgetScope) -> Any:
    if scope == "task":
        return col(model.task_id)
    if scope == "person":
        return col(model.user_id)
    return sa.literal("")


def _spending(session: Session, budgets: Sequence[_Budget], scope: BudgetScope,
              kind: BudgetKind, *, month: date | None,
              sources: Sequence[str]) -> dict[tuple[str, str], Decimal]:
    """Spent per (project ID, scope key) for these budgets (all of one scope and kind)."""
    if not budgets:
        return {}
    project_ids = sorted({b.project.id for b in budgets})
    currency = {b.project.id: b.currency for b in budgets}
    with_expenses = {b.project.id for b in budgets if b.project.budget_includes_expenses}
    scope_ids = sorted({b.scope_id for b in budgets if b.scope_id is not None})

    def where(model: Any) -> list[Any]:
        clauses: list[Any] = [col(model.project_id).in_(project_ids)]
        if month is not None:
            first, following = rule.month_bounds(month)
            clauses += [col(model.spent_date) >= first, col(model.spent_date) < following]
        if sources:
            clauses.append(col(model.source).in_(list(sources)))
        if scope != "project":
            clauses.append(_key_column(model, scope).in_(scope_ids))
        return clauses

    key = _key_column(TimeEntry, scope)
    spent: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    if kind == "hours":
        rows = session.execute(
            sa.select(col(TimeEntry.project_id), key, sa.func.sum(col(TimeEntry.duration_seconds)))
            .where(*where(TimeEntry)).group_by(col(TimeEntry.project_id), key)).all()
        for pid, scope_key, seconds in rows:
            spent[(pid, scope_key or "")] = (Decimal(int(seconds or 0)) / 3600).quantize(_SIX)
        return spent
    rows = session.execute(
        sa.select(col(TimeEntry.project_id), key, col(TimeEntry.billable_rate),
                  sa.func.sum(col(TimeEntry.duration_seconds)))
        .where(*where(TimeEntry), col(TimeEntry.is_billable).is_(True))
        .group_by(col(TimeEntry.project_id), key, col(TimeEntry.billable_rate))).all()
    for pid, scope_key, rate, seconds in rows:
        spent[(pid, scope_key or "")] += line_amount(
            time_quantity(int(seconds or 0)), rate or Decimal(0), currency[pid])
    if scope == "task" or not with_expenses:
        return spent
    unit = sa.and_(col(Expense.units).is_not(None), col(Expense.unit_price).is_not(None),
                   col(Expense.unit_price) != 0)
    price = sa.case((unit, col(Expense.unit_price)), else_=None)
    ekey = _key_column(Expense, scope)
    rows = session.execute(
        sa.select(col(Expense.project_id), ekey, price,
                  sa.func.sum(col(Expense.units), type_=Micros()),
                  sa.func.sum(col(Expense.total_cost), type_=Micros()))
        .where(*where(Expense), col(Expense.is_billable).is_(True),
               col(Expense.project_id).in_(sorted(with_expenses)))
        .group_by(col(Expense.project_id), ekey, price)).all()
    for pid, scope_key, unit_price, units, total in rows:
        if unit_price is not None:
            amount = line_amount(units or Decimal(0), unit_price, currency[pid])
        else:
            amount = total or Decimal(0)
        spent[(pid, scope_key or "")] += amount
    return spent


def _lines(session: Session, budgets: Sequence[_Budget], *, month: date,
           sources: Sequence[str]) -> list[BudgetLine]:
    """Each budget with what it spent: monthly budgets in `month`, the others over all time."""
    out: list[BudgetLine] = []
    groups: dict[tuple[BudgetScope, BudgetKind, bool], list[_Budget]] = defaultdict(list)
    for b in budgets:
        groups[(b.scope, b.kind, b.project.budget_monthly_reset)].append(b)
    spent: dict[tuple[BudgetScope, BudgetKind, bool], dict[tuple[str, str], Decimal]] = {
        group: _spending(session, members, group[0], group[1],
                         month=month if group[2] else None, sources=sources)
        for group, members in groups.items()}
    for b in budgets:
        monthly = b.project.budget_monthly_reset
        used = spent[(b.scope, b.kind, monthly)].get((b.project.id, b.scope_id or ""),
                                                     Decimal(0))
        alert = b.project.budget_alert_percent
        out.append(BudgetLine(
            project_id=b.project.id, project=b.project.name, client=b.client,
            currency=b.currency, kind=b.kind, budget_by=b.project.budget_by, scope=b.scope,
            scope_id=b.scope_id, scope_name=b.scope_name, budget=b.amount, spent=used,
            remaining=b.amount - used,
            percent_used=rule.percent_used(used, b.amount) or Decimal(0), monthly=monthly,
            status=rule.budget_status(used, b.amount, alert), alert_percent=alert,
            period=rule.budget_period(month, monthly_reset=monthly),
            period_label=rule.period_label(month if monthly else None)))
    return out


def current_month(session: Session, now: datetime) -> date:
    """The first day of the current month in the workspace's timezone."""
    tz = ZoneInfo(get_workspace(session).timezone)
    return now.astimezone(tz).date().replace(day=1)


def budget_lines(session: Session, *, project_ids: Iterable[str], month: date,
                 task_id: str | None = None, user_id: str | None = None,
                 sources: Sequence[str] = ()) -> list[BudgetLine]:
    """Every budget of these projects (or only the project's, the task's and the person's
    given) with its spending in `month` (monthly budgets) or ever; no visibility check: the
    alert check uses it for whoever's write it follows."""
    ids = sorted(set(project_ids))
    if not ids:
        return []
    rows = [(p, c, cur) for p, c, cur in session.execute(
        sa.select(Project, col(Client.name), col(Client.currency))
        .join(Client, col(Client.id) == col(Project.client_id))
        .where(col(Project.id).in_(ids), col(Project.budget_by) != BudgetBy.NONE)
        .order_by(col(Client.name), col(Project.name))).all()]
    budgets = _project_budgets(session, rows, task_id=task_id, user_id=user_id)
    if task_id is not None or user_id is not None:
        budgets = [b for b in budgets if b.scope == "project"
                   or (b.scope == "task" and b.scope_id == task_id)
                   or (b.scope == "person" and b.scope_id == user_id)]
    return _lines(session, budgets, month=month.replace(day=1), sources=sources)


def may_see_budget(actor: policy.Actor, project: Project) -> bool:
    """Whether `actor` sees this project and its budget (the policy's BUDGET money kind)."""
    visible = policy.visible_project_ids(actor)
    if visible is not None and project.id not in visible:
        return False
    return Money.BUDGET in policy.field_visibility(
        actor, project_id=project.id, budget_visible_to_team=project.budget_visible_to_team)


def budget_report(session: Session, *, actor: policy.Actor, now: datetime,
                  month: date | None = None, client_refs: Sequence[str] = (),
                  project_refs: Sequence[str] = (), statuses: Sequence[str] = (),
                  sources: Sequence[str] = ()) -> list[BudgetLine]:
    """The Budget Report: every budget the actor may see, with spent, remaining, % used and
    status; monthly budgets for `month` (default: this month in the workspace timezone).

    Filters: clients, projects, statuses (on_track, warning, over) and sources (only the
    spending of entries and expenses of these sources, e.g. ("agent",)).
    """
    period = month.replace(day=1) if month is not None else current_month(session, now)
    query = sa.select(Project).where(col(Project.budget_by) != BudgetBy.NONE,
                                     col(Project.is_active).is_(True))
    if client_refs:
        query = query.where(col(Project.client_id).in_(
            [find_client(session, ref).id for ref in client_refs]))
    if project_refs:
        query = query.where(col(Project.id).in_(
            [find_project(session, ref).id for ref in project_refs]))
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        query = query.where(col(Project.id).in_(sorted(visible)))
    ids = [p.id for p in session.scalars(query).all() if may_see_budget(actor, p)]
    lines = budget_lines(session, project_ids=ids, month=period, sources=sources)
    if statuses:
        lines = [line for line in lines if line.status in statuses]
    return lines


def project_budget(session: Session, *, actor: policy.Actor, project_id: str, now: datetime,
                   month: date | None = None) -> list[BudgetLine]:
    """One project's budget lines (the project's own, or per task or person), or [] when it
    has none or the actor may not see its budget (the app's Manage view)."""
    project = session.get(Project, project_id)
    if project is None or project.budget_by is BudgetBy.NONE or not may_see_budget(actor,
                                                                                    project):
        return []
    period = month.replace(day=1) if month is not None else current_month(session, now)
    return budget_lines(session, project_ids=[project.id], month=period)
