"""The exports: time entries, expenses, projects, invoices, clients and the team, as typed
columns and a stream of rows (the reference's Exporting Data page). This module holds the
filters, the dispatch, the streaming helpers and the record exports (time entries and
expenses); `reports.export_directory` the projects, invoices, clients and team.

Each export runs a COUNT first (so a progress bar knows the total), then streams its rows from
one SELECT read in batches (`yield_per`: SQLite's cursor steps through the result, PostgreSQL's
is a server-side cursor), so a million entries never sit in memory. The rows are consumed
inside the caller's unit of work. Per-row arithmetic is per row (an entry's amount); the one
aggregate, a project's spent, is the budget report's (`reports.budgets`, SQL sums).

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

from keito_core.enums import ApprovalStatus, InvoiceState
from keito_core.errors import validation
from keito_core.io.tabular import json_text
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Project,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform.access import visibility_clause
from keito_core.platform.lookup import find_category, find_client, find_project, find_user
from keito_core.presenters import entry_hours
from keito_core.reports.analysis.result import Column
from keito_core.rules import permissions as policy
from keito_core.rules.money import rate_seconds_amount, stored_amount
from keito_core.rules.permissions import Action, Money

KINDS = ("time", "expenses", "projects", "invoices", "clients", "team")
STATUS_CHOICES = ("active", "archived", "all")
#: Rows fetched per round trip while streaming.
BATCH = 2000
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
NO_FILTER = ExportFilter()


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
        if getattr(chosen, name) != getattr(NO_FILTER, name) and name not in FILTERS[kind]:
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
                chosen: ExportFilter = NO_FILTER, today: date | None = None) -> Export:
    """The export of `kind` (one of KINDS) as `actor` may see it, filtered by `chosen`.
    `today` (the workspace's; the projects export needs it) picks the month of budgets that
    reset monthly."""
    check_filters(kind, chosen)
    policy.require(actor, Action.EXPORT_DATA)
    if kind == "time":
        return export_time(session, actor=actor, chosen=chosen)
    if kind == "expenses":
        return export_expenses(session, actor=actor, chosen=chosen)
    from keito_core.reports import export_directory as directory

    if kind == "projects":
        if today is None:
            raise validation("the projects export needs today's date", field="today",
                             hint="pass the workspace's today: it picks the month of budgets "
                                  "that reset monthly")
        return directory.export_projects(session, actor=actor, today=today, chosen=chosen)
    if kind == "invoices":
        return directory.export_invoices(session, actor=actor, chosen=chosen)
    if kind == "clients":
        return directory.export_clients(session, actor=actor, chosen=chosen)
    return directory.export_team(session, actor=actor, chosen=chosen)


# --- shared ------------------------------------------------------------------------------


def raw_column(column: Any) -> Any:
    """A column read as the driver returns it (integer micros, plain text): the stream then
    skips SQLAlchemy's per-value conversions, done once here instead."""
    return sa.type_coerce(column, sa.BigInteger if _is_money(column) else sa.String)


def _is_money(column: Any) -> bool:
    return type(column.type).__name__ == "Micros"


def count_rows(session: Session, stmt: Any) -> int:
    counted = select(func.count()).select_from(stmt.order_by(None).subquery())
    return int(session.execute(counted).scalar_one())


def stream_rows(session: Session, stmt: Any) -> Iterator[Any]:
    """The statement's rows, fetched BATCH at a time (server-side on PostgreSQL)."""
    connection = session.connection()
    result = connection.execution_options(yield_per=BATCH).execute(stmt)
    try:
        yield from result
    finally:
        result.close()


def resolve_refs(session: Session, refs: tuple[str, ...], finder: Any) -> list[str]:
    return [finder(session, ref).id for ref in refs]


def _record_conditions(session: Session, model: Any, chosen: ExportFilter) -> list[Any]:
    """The WHERE conditions of a time or expense export's filters."""
    conditions: list[Any] = []
    if chosen.date_from is not None:
        conditions.append(col(model.spent_date) >= chosen.date_from)
    if chosen.date_to is not None:
        conditions.append(col(model.spent_date) <= chosen.date_to)
    if chosen.clients:
        conditions.append(col(Project.client_id).in_(resolve_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.projects:
        conditions.append(col(model.project_id).in_(resolve_refs(session, chosen.projects,
                                                          find_project)))
    if chosen.people:
        conditions.append(col(model.user_id).in_(resolve_refs(session, chosen.people, find_user)))
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
    unit (`round_money(rates.billable_amount(seconds, rate), currency)`)."""
    return rate_seconds_amount(seconds * rate_micros, currency)


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


def at_least_two_places(value: Decimal) -> Decimal:
    """`value` with every decimal it has, at least 2 (150.00, 1.50, 0.003, 0.277778)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent <= -2:
        return value
    return value.quantize(_CENT)


def _rate(micros: int, seen: dict[int, Decimal]) -> Decimal:
    """A captured rate with at least 2 decimal places (150.00, 0.003); rates repeat."""
    value = seen.get(micros)
    if value is None:
        value = at_least_two_places(stored_amount(micros))
        if len(seen) < 10_000:
            seen[micros] = value
    return value


def stored_or_none(micros: int | None) -> Decimal | None:
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
                chosen: ExportFilter = NO_FILTER) -> Export:
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
               col(TimeEntry.invoice_id).is_not(None), raw_column(col(TimeEntry.billable_rate)),
               col(Client.currency), raw_column(col(TimeEntry.approval_status)),
               raw_column(col(TimeEntry.source)), _meta_text(col(TimeEntry.meta)))
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
             billed, rate, currency, approval, source, meta) in stream_rows(session, stmt):
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

    return Export("time", time_columns(visible), count_rows(session, stmt), rows())


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
                    chosen: ExportFilter = NO_FILTER) -> Export:
    """Expenses, oldest first, with their amounts, billing state and receipt indicator."""
    conditions = _record_conditions(session, Expense, chosen)
    if chosen.categories:
        conditions.append(col(Expense.category_id).in_(
            resolve_refs(session, chosen.categories, find_category)))
    clause = visibility_clause(actor, Action.EXPORT_DATA, Expense)
    if clause is not None:
        conditions.append(clause)
    stmt = (
        select(col(Expense.id), col(Expense.spent_date), col(Client.name), col(Project.name),
               col(ExpenseCategory.name), col(User.name), col(Expense.notes),
               raw_column(col(Expense.units)), raw_column(col(Expense.unit_price)),
               raw_column(col(Expense.total_cost)), col(Expense.is_billable),
               col(Expense.invoice_id).is_not(None), col(Expense.receipt_path).is_not(None),
               col(Client.currency), raw_column(col(Expense.approval_status)),
               raw_column(col(Expense.source)), _meta_text(col(Expense.meta)))
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
             meta) in stream_rows(session, stmt):
            yield {"date": spent, "client": client, "project": project, "category": category,
                   "person": person, "notes": notes, "units": stored_or_none(units),
                   "unit_price": stored_or_none(unit_price), "amount": stored_amount(total),
                   "billable": billable, "billed": billed, "receipt": receipt,
                   "currency": currency, "approval": approval, "source": source,
                   "metadata": _metadata(meta), "id": expense_id}

    return Export("expenses", expense_columns(), count_rows(session, stmt), rows())
