"""The exports: time entries, expenses, projects, invoices, clients and the team, as typed
columns and a stream of rows (the reference's Exporting Data page).

Each export runs a COUNT first (so a progress bar knows the total), then streams its rows from
one SELECT read in batches (`yield_per`: SQLite's cursor steps through the result, PostgreSQL's
is a server-side cursor), so a million entries never sit in memory. The rows are consumed
inside the caller's unit of work. Per-row arithmetic is per row (an entry's amount); the one
aggregate, a project's spent, is a SQL SUM.

Who sees what: time entries and expenses by the export policy (members their own, managers
their teammates' and their managed projects', administrators all); invoices as the invoice
list shows them; projects, clients and people as far as the actor may view them. Hourly rates
and billable amounts are left out, whole columns, for those who may not see rates; budgets
show for the projects whose budget the viewer may see.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from keito_core.enums import ApprovalStatus, BudgetBy, InvoiceState, UserStatus
from keito_core.errors import validation
from keito_core.io.tabular import json_text
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Invoice,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform.access import invoice_clause, visibility_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_category, find_client, find_project, find_user
from keito_core.presenters import entry_hours
from keito_core.reports.analysis.result import Column
from keito_core.rules import permissions as policy
from keito_core.rules.budgets import month_bounds, percent_used
from keito_core.rules.money import CURRENCY_EXPONENTS, MICROS, round_money, stored_amount
from keito_core.rules.permissions import Action, Money

KINDS = ("time", "expenses", "projects", "invoices", "clients", "team")
STATUS_CHOICES = ("active", "archived", "all")
#: Rows fetched per round trip while streaming.
BATCH = 2000
_SECONDS_PER_HOUR = 3600
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class ExportFilter:
    """What to export. References are what a user types (ID, code, handle, email, name);
    several of one kind mean any of them. Filters a kind does not offer are refused."""

    date_from: date | None = None
    date_to: date | None = None
    clients: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    billable: bool | None = None
    approval: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    #: active, archived or all (projects, clients, team); None: all.
    status: str | None = None
    budgeted: bool = False


#: The filters each kind takes (ExportFilter's field names).
FILTERS: dict[str, frozenset[str]] = {
    "time": frozenset({"date_from", "date_to", "clients", "projects", "people", "billable",
                       "approval"}),
    "expenses": frozenset({"date_from", "date_to", "clients", "projects", "people",
                           "categories", "billable", "approval"}),
    "projects": frozenset({"clients", "status", "budgeted"}),
    "invoices": frozenset({"date_from", "date_to", "clients", "states"}),
    "clients": frozenset({"status"}),
    "team": frozenset({"status"}),
}
_EMPTY = ExportFilter()


@dataclass
class Export:
    """An export ready to write: its columns, the number of rows and the rows themselves (a
    generator over the open session, read once)."""

    kind: str
    columns: list[Column]
    count: int
    rows: Iterator[dict[str, Any]] = field(repr=False)


def check_filters(kind: str, chosen: ExportFilter) -> None:
    """A validation_error for an unknown kind or a filter the kind does not take."""
    if kind not in KINDS:
        raise validation(f"unknown export {kind!r}", field="kind",
                         hint="choose one of " + ", ".join(KINDS))
    for name in ExportFilter.__dataclass_fields__:
        if getattr(chosen, name) != getattr(_EMPTY, name) and name not in FILTERS[kind]:
            flag = {"date_from": "from", "date_to": "to", "clients": "client",
                    "projects": "project", "people": "person", "categories": "category",
                    "states": "state"}.get(name, name)
            raise validation(f"the {kind} export takes no --{flag} filter", field=name)
    if chosen.date_from and chosen.date_to and chosen.date_from > chosen.date_to:
        raise validation("--from is after --to", field="date_from")
    if chosen.status is not None and chosen.status not in STATUS_CHOICES:
        raise validation(f"unknown status {chosen.status!r}", field="status",
                         hint="choose one of " + ", ".join(STATUS_CHOICES))
    for value in chosen.approval:
        if value not in {s.value for s in ApprovalStatus}:
            raise validation(f"unknown approval status {value!r}", field="approval",
                             hint="choose from " + ", ".join(s.value for s in ApprovalStatus))
    for value in chosen.states:
        if value not in {s.value for s in InvoiceState}:
            raise validation(f"unknown invoice state {value!r}", field="state",
                             hint="choose from " + ", ".join(s.value for s in InvoiceState))


def export_data(session: Session, *, actor: policy.Actor, kind: str,
                chosen: ExportFilter = _EMPTY, today: date | None = None) -> Export:
    """The export of `kind` (one of KINDS) as `actor` may see it, filtered by `chosen`.
    `today` (the workspace's) picks the month of budgets that reset monthly."""
    check_filters(kind, chosen)
    policy.require(actor, Action.EXPORT_DATA)
    if kind == "time":
        return export_time(session, actor=actor, chosen=chosen)
    if kind == "expenses":
        return export_expenses(session, actor=actor, chosen=chosen)
    if kind == "projects":
        return export_projects(session, actor=actor, chosen=chosen, today=today)
    if kind == "invoices":
        return export_invoices(session, actor=actor, chosen=chosen)
    if kind == "clients":
        return export_clients(session, actor=actor, chosen=chosen)
    return export_team(session, actor=actor, chosen=chosen)


# --- shared ------------------------------------------------------------------------------


def _raw(column: Any) -> Any:
    """A column read as the driver returns it (integer micros, plain text): the stream then
    skips SQLAlchemy's per-value conversions, done once here instead."""
    return sa.type_coerce(column, sa.BigInteger if _is_money(column) else sa.String)


def _is_money(column: Any) -> bool:
    return type(column.type).__name__ == "Micros"


def _count(session: Session, stmt: Any) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(session.execute(counted).scalar_one())


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    """The statement's rows, fetched BATCH at a time (server-side on PostgreSQL)."""
    connection = session.connection()
    result = connection.execution_options(yield_per=BATCH).execute(stmt)
    try:
        yield from result
    finally:
        result.close()


def _refs(session: Session, refs: tuple[str, ...], finder: Any) -> list[str]:
    return [finder(session, ref).id for ref in refs]


def _record_conditions(session: Session, model: Any, chosen: ExportFilter) -> list[Any]:
    """The WHERE conditions of a time or expense export's filters."""
    conditions: list[Any] = []
    if chosen.date_from is not None:
        conditions.append(col(model.spent_date) >= chosen.date_from)
    if chosen.date_to is not None:
        conditions.append(col(model.spent_date) <= chosen.date_to)
    if chosen.clients:
        conditions.append(col(Project.client_id).in_(_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.projects:
        conditions.append(col(model.project_id).in_(_refs(session, chosen.projects,
                                                          find_project)))
    if chosen.people:
        conditions.append(col(model.user_id).in_(_refs(session, chosen.people, find_user)))
    if chosen.billable is not None:
        conditions.append(col(model.is_billable) == chosen.billable)
    if chosen.approval:
        conditions.append(col(model.approval_status).in_(list(chosen.approval)))
    return conditions


def _hours(seconds: int, cache: dict[int, Decimal]) -> Decimal:
    """Decimal hours as the JSON shows them; durations repeat, so they are remembered."""
    hours = cache.get(seconds)
    if hours is None:
        hours = entry_hours(seconds)
        if len(cache) < 100_000:
            cache[seconds] = hours
    return hours


def entry_amount(seconds: int, rate_micros: int, currency: str) -> Decimal:
    """An entry's billable amount: hours x rate rounded half-up to the currency's minor
    unit, in integers (`round_money(rates.billable_amount(seconds, rate), currency)`)."""
    places = CURRENCY_EXPONENTS.get(currency, 2)
    denominator = _SECONDS_PER_HOUR * MICROS
    numerator = seconds * rate_micros * 10 ** places
    if numerator >= 0:
        minor = (2 * numerator + denominator) // (2 * denominator)
    else:
        minor = -((-2 * numerator + denominator) // (2 * denominator))
    return Decimal(minor).scaleb(-places) if minor else Decimal(0).scaleb(-places)


def _metadata(text: str | None) -> str | None:
    """Stored metadata as compact JSON text (None when empty): as stored when it has no
    spaces (already compact), else parsed and written compactly."""
    if text is None or text == "{}":
        return None
    if " " not in text:
        return text
    return json_text(json.loads(text)) or None


def _meta_text(column: Any) -> Any:
    """A JSON column as its stored text (no per-row parsing by SQLAlchemy)."""
    return sa.cast(column, sa.Text)


def _rate(micros: int, seen: dict[int, Decimal]) -> Decimal:
    """A captured rate with at least 2 decimal places (150.00, 0.003); rates repeat."""
    value = seen.get(micros)
    if value is None:
        value = stored_amount(micros)
        if value == value.quantize(_CENT):
            value = value.quantize(_CENT)
        if len(seen) < 10_000:
            seen[micros] = value
    return value


def _money(micros: int | None) -> Decimal | None:
    return None if micros is None else stored_amount(micros)


# --- time entries ------------------------------------------------------------------------


def time_columns(visible: frozenset[Money]) -> list[Column]:
    """The time export's columns; rate and amount only for those who see rates."""
    columns = [
        Column("date", "Date", "date"),
        Column("client", "Client"),
        Column("project", "Project"),
        Column("task", "Task"),
        Column("person", "Team Member"),
        Column("notes", "Notes"),
        Column("hours", "Hours", "hours", total=True),
        Column("billable", "Billable", "bool"),
        Column("billed", "Billed", "bool"),
    ]
    if Money.RATE in visible:
        columns += [Column("hourly_rate", "Hourly Rate", "money"),
                    Column("billable_amount", "Billable Amount", "money", total=True)]
    return columns + [
        Column("currency", "Currency"),
        Column("approval", "Approval Status"),
        Column("source", "Source"),
        Column("metadata", "Metadata", "json"),
        Column("id", "ID"),
    ]


def export_time(session: Session, *, actor: policy.Actor,
                chosen: ExportFilter = _EMPTY) -> Export:
    """Time entries, oldest first, with hours, billing state and (to those who see rates)
    the captured hourly rate and the billable amount."""
    visible = policy.field_visibility(actor)
    conditions = _record_conditions(session, TimeEntry, chosen)
    clause = visibility_clause(actor, Action.EXPORT_DATA, TimeEntry)
    if clause is not None:
        conditions.append(clause)
    stmt = (
        select(col(TimeEntry.id), col(TimeEntry.spent_date), col(Client.name),
               col(Project.name), col(Task.name), col(User.name), col(TimeEntry.notes),
               col(TimeEntry.duration_seconds), col(TimeEntry.is_billable),
               col(TimeEntry.invoice_id).is_not(None), _raw(col(TimeEntry.billable_rate)),
               col(Client.currency), _raw(col(TimeEntry.approval_status)),
               _raw(col(TimeEntry.source)), _meta_text(col(TimeEntry.meta)))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .join(User, col(User.id) == col(TimeEntry.user_id))
        .outerjoin(Task, col(Task.id) == col(TimeEntry.task_id))
        .where(*conditions)
        .order_by(col(TimeEntry.spent_date), col(TimeEntry.id))
    )
    rates = Money.RATE in visible

    def rows() -> Iterator[dict[str, Any]]:
        hours_cache: dict[int, Decimal] = {}
        amounts: dict[tuple[int, int, str], Decimal] = {}
        rate_values: dict[int, Decimal] = {}
        for (entry_id, spent, client, project, task, person, notes, seconds, billable,
             billed, rate, currency, approval, source, meta) in _stream(session, stmt):
            row = {"date": spent, "client": client, "project": project, "task": task,
                   "person": person, "notes": notes, "hours": _hours(seconds, hours_cache),
                   "billable": billable, "billed": billed, "currency": currency,
                   "approval": approval, "source": source,
                   "metadata": _metadata(meta), "id": entry_id}
            if rates:
                row["hourly_rate"] = None if rate is None else _rate(rate, rate_values)
                if not billable or rate is None:
                    rate = 0
                key = (seconds, rate, currency)
                amount = amounts.get(key)
                if amount is None:
                    amount = entry_amount(seconds, rate, currency)
                    if len(amounts) < 100_000:
                        amounts[key] = amount
                row["billable_amount"] = amount
            yield row

    return Export("time", time_columns(visible), _count(session, stmt), rows())


# --- expenses ----------------------------------------------------------------------------


def expense_columns() -> list[Column]:
    """The expense export's columns (an expense's amount shows to whoever sees it)."""
    return [
        Column("date", "Date", "date"),
        Column("client", "Client"),
        Column("project", "Project"),
        Column("category", "Category"),
        Column("person", "Team Member"),
        Column("notes", "Notes"),
        Column("units", "Units", "money"),
        Column("unit_price", "Unit Price", "money"),
        Column("amount", "Amount", "money", total=True),
        Column("billable", "Billable", "bool"),
        Column("billed", "Billed", "bool"),
        Column("receipt", "Receipt", "bool"),
        Column("currency", "Currency"),
        Column("approval", "Approval Status"),
        Column("source", "Source"),
        Column("metadata", "Metadata", "json"),
        Column("id", "ID"),
    ]


def export_expenses(session: Session, *, actor: policy.Actor,
                    chosen: ExportFilter = _EMPTY) -> Export:
    """Expenses, oldest first, with their amounts, billing state and receipt indicator."""
    conditions = _record_conditions(session, Expense, chosen)
    if chosen.categories:
        conditions.append(col(Expense.category_id).in_(
            _refs(session, chosen.categories, find_category)))
    clause = visibility_clause(actor, Action.EXPORT_DATA, Expense)
    if clause is not None:
        conditions.append(clause)
    stmt = (
        select(col(Expense.id), col(Expense.spent_date), col(Client.name), col(Project.name),
               col(ExpenseCategory.name), col(User.name), col(Expense.notes),
               _raw(col(Expense.units)), _raw(col(Expense.unit_price)),
               _raw(col(Expense.total_cost)), col(Expense.is_billable),
               col(Expense.invoice_id).is_not(None), col(Expense.receipt_path).is_not(None),
               col(Client.currency), _raw(col(Expense.approval_status)),
               _raw(col(Expense.source)), _meta_text(col(Expense.meta)))
        .join(Project, col(Project.id) == col(Expense.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .join(User, col(User.id) == col(Expense.user_id))
        .join(ExpenseCategory, col(ExpenseCategory.id) == col(Expense.category_id))
        .where(*conditions)
        .order_by(col(Expense.spent_date), col(Expense.id))
    )

    def rows() -> Iterator[dict[str, Any]]:
        for (expense_id, spent, client, project, category, person, notes, units, unit_price,
             total, billable, billed, receipt, currency, approval, source,
             meta) in _stream(session, stmt):
            yield {"date": spent, "client": client, "project": project, "category": category,
                   "person": person, "notes": notes, "units": _money(units),
                   "unit_price": _money(unit_price), "amount": stored_amount(total),
                   "billable": billable, "billed": billed, "receipt": receipt,
                   "currency": currency, "approval": approval, "source": source,
                   "metadata": _metadata(meta), "id": expense_id}

    return Export("expenses", expense_columns(), _count(session, stmt), rows())


# --- projects ----------------------------------------------------------------------------


def project_columns() -> list[Column]:
    """The project export's columns: hour budgets and fee budgets in columns of their own, so
    each column has one type (a project fills the pair its budget is kept in)."""
    return [
        Column("name", "Name"),
        Column("client", "Client"),
        Column("code", "Code"),
        Column("project_type", "Project Type"),
        Column("budget_by", "Budget By"),
        Column("budget_hours", "Budget (hours)", "hours"),
        Column("spent_hours", "Spent (hours)", "hours"),
        Column("remaining_hours", "Remaining (hours)", "hours"),
        Column("budget", "Budget", "money"),
        Column("spent", "Spent", "money"),
        Column("remaining", "Remaining", "money"),
        Column("percent_used", "% Used", "percent"),
        Column("currency", "Currency"),
        Column("status", "Status"),
        Column("id", "ID"),
    ]


_TYPE_LABELS = {"time_and_materials": "Time & Materials", "fixed_fee": "Fixed Fee",
                "non_billable": "Non-Billable"}


def _status_condition(column: Any, status: str | None) -> list[Any]:
    if status in (None, "all"):
        return []
    return [column == (status == "active")]


def export_projects(session: Session, *, actor: policy.Actor, chosen: ExportFilter = _EMPTY,
                    today: date | None = None) -> Export:
    """The projects the actor may view, with budget, spent and remaining where the budget
    shows to them. Spent is a SQL SUM: hours for hour, task and person budgets; for fee
    budgets hours x captured rate of billable time (plus billable expenses when the budget
    includes them), rounded once to the currency's minor unit. Budgets that reset monthly
    count the month of `today`."""
    policy.require(actor, Action.PROJECT_VIEW)
    month = month_bounds(today) if today is not None else None
    monthly = col(Project.budget_monthly_reset)

    def in_period(model: Any) -> Any:
        if month is None:
            return sa.true()
        return sa.or_(~monthly, col(model.spent_date).between(*month))

    time_spent = (
        select(col(TimeEntry.project_id).label("project_id"),
               func.sum(col(TimeEntry.duration_seconds)).label("seconds"),
               func.sum(sa.case((col(TimeEntry.is_billable),
                                 col(TimeEntry.duration_seconds)
                                 * sa.type_coerce(col(TimeEntry.billable_rate), sa.BigInteger)),
                                else_=0)).label("value"))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .where(in_period(TimeEntry))
        .group_by(col(TimeEntry.project_id))
        .subquery()
    )
    expense_spent = (
        select(col(Expense.project_id).label("project_id"),
               func.sum(sa.type_coerce(col(Expense.total_cost), sa.BigInteger)).label("micros"))
        .join(Project, col(Project.id) == col(Expense.project_id))
        .where(col(Expense.is_billable), in_period(Expense))
        .group_by(col(Expense.project_id))
        .subquery()
    )
    task_budget = (select(func.sum(sa.type_coerce(col(ProjectTask.budget_hours), sa.BigInteger)))
                   .where(col(ProjectTask.project_id) == col(Project.id))
                   .scalar_subquery())
    person_budget = (
        select(func.sum(sa.type_coerce(col(ProjectMember.budget_hours), sa.BigInteger)))
        .where(col(ProjectMember.project_id) == col(Project.id))
        .scalar_subquery())
    budget_hours = sa.case(
        (col(Project.budget_by) == BudgetBy.TOTAL_HOURS.value,
         sa.type_coerce(col(Project.budget_hours), sa.BigInteger)),
        (col(Project.budget_by) == BudgetBy.TASK.value, task_budget),
        (col(Project.budget_by) == BudgetBy.PERSON.value, person_budget),
        else_=None)
    conditions = _status_condition(col(Project.is_active), chosen.status)
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        conditions.append(col(Project.id).in_(sorted(visible)))
    if chosen.clients:
        conditions.append(col(Project.client_id).in_(_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.budgeted:
        conditions.append(col(Project.budget_by) != BudgetBy.NONE.value)
    stmt = (
        select(col(Project.id), col(Project.name), col(Client.name), col(Project.code),
               _raw(col(Project.project_type)), _raw(col(Project.budget_by)),
               budget_hours, _raw(col(Project.budget_amount)),
               col(Project.budget_includes_expenses), col(Project.budget_visible_to_team),
               col(Project.is_active), col(Client.currency), time_spent.c.seconds,
               time_spent.c.value, expense_spent.c.micros)
        .join(Client, col(Client.id) == col(Project.client_id))
        .outerjoin(time_spent, time_spent.c.project_id == col(Project.id))
        .outerjoin(expense_spent, expense_spent.c.project_id == col(Project.id))
        .where(*conditions)
        .order_by(func.lower(Client.name), func.lower(Project.name), col(Project.id))
    )

    def rows() -> Iterator[dict[str, Any]]:
        for (project_id, name, client, code, project_type, budget_by, hours_micros,
             amount_micros, with_expenses, shown_to_team, active, currency, seconds, value,
             expenses) in _stream(session, stmt):
            row: dict[str, Any] = {
                "name": name, "client": client, "code": code,
                "project_type": _TYPE_LABELS.get(project_type, project_type),
                "budget_by": budget_by.replace("total_", ""), "currency": currency,
                "status": "Active" if active else "Archived", "id": project_id}
            shown = policy.field_visibility(actor, project_id=project_id,
                                            budget_visible_to_team=bool(shown_to_team))
            if Money.BUDGET not in shown or budget_by == BudgetBy.NONE.value:
                yield row
                continue
            if budget_by == BudgetBy.TOTAL_FEES.value:
                exact = Decimal(int(value or 0)) / (_SECONDS_PER_HOUR * MICROS)
                if with_expenses:
                    exact += stored_amount(int(expenses or 0))
                spent = round_money(exact, currency)
                budget = _money(None if amount_micros is None else int(amount_micros))
                row.update(budget=budget, spent=spent,
                           remaining=None if budget is None else budget - spent,
                           percent_used=percent_used(spent, budget))
            else:
                spent_hours = entry_hours(int(seconds or 0))
                budget = _money(None if hours_micros is None else int(hours_micros))
                row.update(budget_hours=budget, spent_hours=spent_hours,
                           remaining_hours=None if budget is None else budget - spent_hours,
                           percent_used=percent_used(spent_hours, budget))
            yield row

    return Export("projects", project_columns(), _count(session, stmt), rows())


# --- invoices ----------------------------------------------------------------------------


def invoice_columns() -> list[Column]:
    return [
        Column("number", "Invoice Number"),
        Column("client", "Client"),
        Column("issue_date", "Issue Date", "date"),
        Column("due_date", "Due Date", "date"),
        Column("state", "State"),
        Column("total", "Total Amount", "money", total=True),
        Column("balance", "Balance", "money", total=True),
        Column("currency", "Currency"),
        Column("subject", "Subject"),
        Column("id", "ID"),
    ]


def export_invoices(session: Session, *, actor: policy.Actor,
                    chosen: ExportFilter = _EMPTY) -> Export:
    """The invoices the actor may view, by issue date: total, balance (total - paid)."""
    policy.require(actor, Action.INVOICE_VIEW)
    conditions: list[Any] = [invoice_clause(actor)]
    if chosen.date_from is not None:
        conditions.append(col(Invoice.issue_date) >= chosen.date_from)
    if chosen.date_to is not None:
        conditions.append(col(Invoice.issue_date) <= chosen.date_to)
    if chosen.clients:
        conditions.append(col(Invoice.client_id).in_(_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.states:
        conditions.append(col(Invoice.state).in_(list(chosen.states)))
    stmt = (
        select(col(Invoice.id), col(Invoice.number), col(Client.name), col(Invoice.issue_date),
               col(Invoice.due_date), _raw(col(Invoice.state)), _raw(col(Invoice.total)),
               _raw(col(Invoice.amount_paid)), col(Invoice.currency), col(Invoice.subject))
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .where(*conditions)
        .order_by(col(Invoice.issue_date), col(Invoice.number))
    )

    def rows() -> Iterator[dict[str, Any]]:
        for (invoice_id, number, client, issued, due, state, total, paid, currency,
             subject) in _stream(session, stmt):
            yield {"number": number, "client": client, "issue_date": issued, "due_date": due,
                   "state": state.capitalize(), "total": stored_amount(total),
                   "balance": stored_amount(int(total) - int(paid)), "currency": currency,
                   "subject": subject, "id": invoice_id}

    return Export("invoices", invoice_columns(), _count(session, stmt), rows())


# --- clients -----------------------------------------------------------------------------


def client_columns() -> list[Column]:
    return [Column("name", "Name"), Column("address", "Address"),
            Column("currency", "Currency"), Column("status", "Status"), Column("id", "ID")]


def export_clients(session: Session, *, actor: policy.Actor,
                   chosen: ExportFilter = _EMPTY) -> Export:
    """The client directory (for those who may view clients), by name."""
    policy.require(actor, Action.CLIENT_VIEW)
    stmt = (select(col(Client.id), col(Client.name), col(Client.street), col(Client.city),
                   col(Client.region), col(Client.postal_code), col(Client.country),
                   col(Client.currency), col(Client.is_active))
            .where(*_status_condition(col(Client.is_active), chosen.status))
            .order_by(func.lower(Client.name), col(Client.id)))

    def rows() -> Iterator[dict[str, Any]]:
        for (client_id, name, street, city, region, postal, country, currency,
             active) in _stream(session, stmt):
            address = ", ".join(p for p in (street, city, region, postal, country) if p)
            yield {"name": name, "address": address or None, "currency": currency,
                   "status": "Active" if active else "Archived", "id": client_id}

    return Export("clients", client_columns(), _count(session, stmt), rows())


# --- the team ----------------------------------------------------------------------------


def team_columns(visible: frozenset[Money]) -> list[Column]:
    columns = [Column("name", "Name"), Column("email", "Email"), Column("role", "Role"),
               Column("capacity", "Weekly Capacity", "hours")]
    if Money.RATE in visible:
        columns.append(Column("hourly_rate", "Hourly Rate", "money"))
    if Money.COST in visible:
        columns.append(Column("cost_rate", "Cost Rate", "money"))
    return columns + [Column("employment", "Contractor/Employee"),
                      Column("user_type", "User Type"), Column("status", "Status"),
                      Column("id", "ID")]


_ROLE_LABELS = {"member": "Member", "manager": "Manager", "admin": "Administrator"}


def export_team(session: Session, *, actor: policy.Actor,
                chosen: ExportFilter = _EMPTY) -> Export:
    """The people the actor may view, by name; rates as the policy shows them; weekly
    capacity theirs, else the workspace's. Hourly rates are in the workspace's currency."""
    policy.require(actor, Action.USER_VIEW)
    visible = policy.field_visibility(actor)
    capacity = get_workspace(session).weekly_capacity_seconds
    conditions: list[Any] = []
    if chosen.status == "active":
        conditions.append(col(User.status) == UserStatus.ACTIVE.value)
    elif chosen.status == "archived":
        conditions.append(col(User.status) == UserStatus.ARCHIVED.value)
    people = policy.visible_user_ids(actor)
    if people is not None:
        conditions.append(col(User.id).in_(sorted(people)))
    stmt = (select(col(User.id), col(User.name), col(User.email), _raw(col(User.role)),
                   col(User.weekly_capacity_seconds), _raw(col(User.default_rate)),
                   _raw(col(User.cost_rate)), _raw(col(User.employment_type)),
                   _raw(col(User.user_type)), _raw(col(User.status)))
            .where(*conditions)
            .order_by(func.lower(User.name), col(User.id)))

    def rows() -> Iterator[dict[str, Any]]:
        for (user_id, name, email, role, seconds, rate, cost, employment, user_type,
             status) in _stream(session, stmt):
            row = {"name": name, "email": email, "role": _ROLE_LABELS.get(role, role),
                   "capacity": entry_hours(capacity if seconds is None else seconds),
                   "employment": employment.capitalize(), "user_type": user_type.capitalize(),
                   "status": status.capitalize(), "id": user_id}
            if Money.RATE in visible:
                row["hourly_rate"] = _money(rate)
            if Money.COST in visible:
                row["cost_rate"] = _money(cost)
            yield row

    return Export("team", team_columns(visible), _count(session, stmt), rows())
