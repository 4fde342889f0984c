"""One user's expenses over a period: the lines with their names, totals per currency, and the
projects and categories an expense form offers.

Plain frozen values built from a few SQL queries (portable between SQLite and PostgreSQL);
the totals are a GROUP BY over the same filters as the list, so they count every matching
expense, not only the lines shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import WeekDay
from keito_core.errors import KeitoError
from keito_core.models import Client, Expense, ExpenseCategory, Project, User, Workspace
from keito_core.platform.identity import get_workspace
from keito_core.reports.day import SOURCE_FILTERS
from keito_core.rules import permissions as policy
from keito_core.rules.locking import ensure_editable, item_lock_reason
from keito_core.rules.periods import local_date, month_bounds, parse_timezone, week_bounds
from keito_core.rules.permissions import Action, Target

#: Period kinds the list steps through: a week, a month, or every date.
PERIODS: tuple[str, ...] = ("week", "month", "all")
#: At most this many lines are listed (the totals still count every match).
LINE_LIMIT = 200


@dataclass(frozen=True)
class ExpenseFilter:
    """What the list keeps: a period (the week or month holding `anchor`, or every date; no
    anchor means today), a project, a category, sources (a SOURCE_FILTERS name), billable."""

    period: str = "month"
    anchor: date | None = None
    project_id: str | None = None
    category_id: str | None = None
    source_filter: str = "all"
    billable: bool | None = None


@dataclass(frozen=True)
class ExpenseLine:
    """One expense as the expenses view lists it."""

    id: str
    spent_date: date
    client: str
    project: str
    project_id: str
    category: str
    category_id: str
    unit_name: str | None
    units: Decimal | None
    unit_price: Decimal | None
    total: Decimal
    currency: str
    notes: str | None
    is_billable: bool
    receipt_name: str | None
    source: str
    #: Why the expense is read-only (invoiced, approved, submitted, auto_locked), or None.
    lock_reason: str | None
    #: The `locked` error's message and hint a change would get, or None.
    lock_message: str | None


@dataclass(frozen=True)
class CurrencyTotal:
    """The sum of the matching expenses in one currency (their client's)."""

    currency: str
    total: Decimal
    billable: Decimal
    count: int


@dataclass(frozen=True)
class CategoryChoice:
    """An expense category; unit-based when it has a unit price."""

    id: str
    name: str
    unit_name: str | None
    unit_price: Decimal | None
    billable_default: bool
    is_active: bool

    @property
    def is_unit_based(self) -> bool:
        return self.unit_price is not None


@dataclass(frozen=True)
class ExpenseProjectChoice:
    """A project the user may log expenses to, with its client's currency."""

    id: str
    client: str
    name: str
    currency: str
    billable: bool

    @property
    def label(self) -> str:
        return f"{self.client} › {self.name}"


@dataclass(frozen=True)
class ExpenseReport:
    """Everything the expenses view shows for one user and one filter."""

    #: False when the workspace turned expenses off (then nothing else is read).
    enabled: bool
    user_id: str
    today: date
    filter: ExpenseFilter
    #: The period's date (today when the filter gave none) and inclusive bounds (None: open).
    anchor: date
    date_from: date | None
    date_to: date | None
    lines: tuple[ExpenseLine, ...] = ()
    #: More expenses match than LINE_LIMIT lines.
    has_more: bool = False
    totals: tuple[CurrencyTotal, ...] = ()
    projects: tuple[ExpenseProjectChoice, ...] = ()
    categories: tuple[CategoryChoice, ...] = ()
    #: The project of the user's most recently logged expense (a new one starts on it).
    last_project_id: str | None = None


def period_bounds(kind: str, anchor: date,
                  week_start: WeekDay | str) -> tuple[date | None, date | None]:
    """Inclusive bounds of the week or month holding `anchor`; (None, None) for all dates."""
    if kind == "week":
        return week_bounds(anchor, week_start)
    if kind == "month":
        return month_bounds(anchor)
    if kind == "all":
        return None, None
    raise KeitoError("validation_error", f"unknown period {kind!r}", field="period",
                     hint="use one of " + ", ".join(PERIODS))


def shift_period(kind: str, anchor: date, steps: int) -> date:
    """A date in the week or month `steps` periods after (negative: before) `anchor`'s."""
    if kind == "week":
        return anchor + timedelta(weeks=steps)
    if kind == "month":
        index = anchor.year * 12 + anchor.month - 1 + steps
        return date(index // 12, index % 12 + 1, 1)
    return anchor


def _conditions(user_id: str, chosen: ExpenseFilter, first: date | None,
                last: date | None) -> list[Any]:
    """The WHERE conditions the list and the totals share."""
    conditions: list[Any] = [col(Expense.user_id) == user_id]
    if first is not None:
        conditions.append(col(Expense.spent_date) >= first)
    if last is not None:
        conditions.append(col(Expense.spent_date) <= last)
    if chosen.project_id is not None:
        conditions.append(col(Expense.project_id) == chosen.project_id)
    if chosen.category_id is not None:
        conditions.append(col(Expense.category_id) == chosen.category_id)
    sources = SOURCE_FILTERS[chosen.source_filter]
    if sources is not None:
        conditions.append(col(Expense.source).in_(sorted(sources)))
    if chosen.billable is not None:
        conditions.append(col(Expense.is_billable) == chosen.billable)
    return conditions


def _lock_message(workspace: Workspace, expense: Expense, today: date) -> str | None:
    try:
        ensure_editable(approval_status=expense.approval_status,
                        invoiced=expense.invoice_id is not None, spent_date=expense.spent_date,
                        today=today, lock_after_days=workspace.lock_after_days,
                        admin_unlocked=expense.unlocked_at is not None,
                        approvals_enabled=workspace.feature_approvals, noun="expense")
    except KeitoError as exc:
        return f"{exc.message} ({exc.hint})" if exc.hint else exc.message
    return None


def expense_lines(session: Session, *, workspace: Workspace, user_id: str,
                  chosen: ExpenseFilter, first: date | None, last: date | None, today: date,
                  limit: int = LINE_LIMIT) -> tuple[tuple[ExpenseLine, ...], bool]:
    """The user's matching expenses, newest date first, and whether more than `limit` match."""
    query = (
        select(Expense, Client, Project.name, ExpenseCategory)
        .join(Project, col(Project.id) == col(Expense.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .join(ExpenseCategory, col(ExpenseCategory.id) == col(Expense.category_id))
        .where(*_conditions(user_id, chosen, first, last))
        .order_by(col(Expense.spent_date).desc(), col(Expense.created_at).desc(),
                  col(Expense.id).desc())
        .limit(limit + 1)
    )
    rows = session.exec(query).all()
    lines = tuple(
        ExpenseLine(
            id=x.id, spent_date=x.spent_date, client=client.name, project=project,
            project_id=x.project_id, category=category.name, category_id=x.category_id,
            unit_name=category.unit_name, units=x.units, unit_price=x.unit_price,
            total=x.total_cost, currency=client.currency, notes=x.notes, is_billable=x.is_billable,
            receipt_name=x.receipt_name if x.receipt_path else None, source=str(x.source),
            lock_reason=item_lock_reason(workspace, x, today),
            lock_message=_lock_message(workspace, x, today),
        )
        for x, client, project, category in rows[:limit]
    )
    return lines, len(rows) > limit


def expense_totals(session: Session, *, user_id: str, chosen: ExpenseFilter,
                   first: date | None, last: date | None) -> tuple[CurrencyTotal, ...]:
    """Totals of every matching expense per currency, by currency code (one GROUP BY)."""
    amount = col(Expense.total_cost)
    billable = sa.case((col(Expense.is_billable), amount), else_=0)
    query = (
        select(Client.currency, sa.func.sum(amount), sa.func.sum(billable),
               sa.func.count(col(Expense.id)))
        .join(Project, col(Project.id) == col(Expense.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .where(*_conditions(user_id, chosen, first, last))
        .group_by(Client.currency)
        .order_by(Client.currency)
    )
    return tuple(
        CurrencyTotal(currency=currency, total=Decimal(total or 0),
                      billable=Decimal(billable_total or 0), count=int(count))
        for currency, total, billable_total, count in session.exec(query).all()
    )


def category_choices(session: Session) -> tuple[CategoryChoice, ...]:
    """Every expense category (active ones first), by name."""
    query = select(ExpenseCategory).order_by(col(ExpenseCategory.is_active).desc(),
                                             sa.func.lower(ExpenseCategory.name))
    return tuple(
        CategoryChoice(id=c.id, name=c.name, unit_name=c.unit_name, unit_price=c.unit_price,
                       billable_default=c.is_billable_default, is_active=c.is_active)
        for c in session.exec(query).all()
    )


def expense_project_choices(session: Session, *,
                            actor: policy.Actor) -> tuple[ExpenseProjectChoice, ...]:
    """Active projects the acting user may log expenses to, by client and project name."""
    query = (
        select(Project, Client.name, Client.currency)
        .join(Client, col(Client.id) == col(Project.client_id))
        .where(col(Project.is_active))
        .order_by(sa.func.lower(Client.name), sa.func.lower(Project.name))
    )
    return tuple(
        ExpenseProjectChoice(id=p.id, client=client, name=p.name, currency=currency,
                             billable=str(p.project_type) != "non_billable")
        for p, client, currency in session.exec(query).all()
        if policy.may_log_to_project(actor, p.id)
    )


def expense_report(session: Session, *, actor: policy.Actor, chosen: ExpenseFilter,
                   now: datetime, limit: int = LINE_LIMIT) -> ExpenseReport:
    """The acting user's expenses matching `chosen`, their totals, and the form's choices."""
    if chosen.source_filter not in SOURCE_FILTERS:
        raise KeitoError("validation_error", f"unknown source filter {chosen.source_filter!r}",
                         field="source", hint="use one of " + ", ".join(SOURCE_FILTERS))
    policy.require(actor, Action.EXPENSE_VIEW, Target(owner_id=actor.user_id))
    workspace = get_workspace(session)
    user = session.get(User, actor.user_id)
    if user is None:  # pragma: no cover - the actor was just built from this row
        raise KeitoError("not_found", f"no user {actor.user_id}")
    today = local_date(now, parse_timezone(user.timezone or workspace.timezone))
    anchor = chosen.anchor or today
    first, last = period_bounds(chosen.period, anchor, workspace.week_start)
    if not workspace.feature_expenses:
        return ExpenseReport(enabled=False, user_id=user.id, today=today, filter=chosen,
                             anchor=anchor, date_from=first, date_to=last)
    lines, has_more = expense_lines(session, workspace=workspace, user_id=user.id,
                                    chosen=chosen, first=first, last=last, today=today,
                                    limit=limit)
    return ExpenseReport(
        enabled=True, user_id=user.id, today=today, filter=chosen, anchor=anchor,
        date_from=first, date_to=last, lines=lines, has_more=has_more,
        totals=expense_totals(session, user_id=user.id, chosen=chosen, first=first, last=last),
        projects=expense_project_choices(session, actor=actor),
        categories=category_choices(session),
        last_project_id=session.exec(
            select(Expense.project_id).where(Expense.user_id == user.id)
            .order_by(col(Expense.created_at).desc(), col(Expense.id).desc()).limit(1)
        ).first(),
    )
