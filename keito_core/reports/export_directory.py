"""Exports of the directory and the books: projects (with budget progress), invoices,
clients and the team, with the reference's columns, streamed like the record exports in
`reports.exports` (whose filters, `Export` and streaming helpers they share)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from keito_core.enums import BudgetBy, UserStatus
from keito_core.models import Client, Invoice, Project, User
from keito_core.platform.access import invoice_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_client
from keito_core.presenters import entry_hours
from keito_core.reports.analysis.result import Column
from keito_core.reports.budgets import BudgetLine, budget_lines, may_see_budget
from keito_core.reports.exports import (
    NO_FILTER,
    Export,
    ExportFilter,
    at_least_two_places,
    count_rows,
    raw_column,
    resolve_refs,
    stored_or_none,
    stream_rows,
)
from keito_core.rules import permissions as policy
from keito_core.rules.budgets import percent_used
from keito_core.rules.money import stored_amount
from keito_core.rules.permissions import Action, Money

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


@dataclass
class _BudgetTotals:
    """A project's budget lines summed by kind: its own budget, or its tasks' or people's."""

    hours: Decimal | None = None
    spent_hours: Decimal = Decimal(0)
    fees: Decimal | None = None
    spent: Decimal = Decimal(0)

    def add(self, line: BudgetLine) -> None:
        if line.kind == "hours":
            self.hours = (self.hours or Decimal(0)) + line.budget
            self.spent_hours += line.spent
        else:
            self.fees = (self.fees or Decimal(0)) + line.budget
            self.spent += line.spent


def _budget_totals(session: Session, actor: policy.Actor, conditions: list[Any],
                   today: date) -> dict[str, _BudgetTotals]:
    """What the budget report says each budgeted project (of these conditions, whose budget
    shows to the actor) has spent, summed per project: one `budgets.budget_lines` call."""
    shown = [project.id for project in session.scalars(
        select(Project).where(*conditions, col(Project.budget_by) != BudgetBy.NONE.value))
        if may_see_budget(actor, project)]
    totals: dict[str, _BudgetTotals] = defaultdict(_BudgetTotals)
    for line in budget_lines(session, project_ids=shown, month=today.replace(day=1)):
        totals[line.project_id].add(line)
    return totals


def export_projects(session: Session, *, actor: policy.Actor, today: date,
                    chosen: ExportFilter = NO_FILTER) -> Export:
    """The projects the actor may view, with budget, spent and remaining where the budget
    shows to them. Budget and spent are the budget report's (`reports.budgets`), summed per
    project: the project's own budget, or the sum of its tasks' or people's budgets (hours
    in the hours columns, fees in the money ones). Budgets that reset monthly count the
    month of `today`. % Used is of the hours when the project has an hours budget, else of
    the fees."""
    policy.require(actor, Action.PROJECT_VIEW)
    conditions = _status_condition(col(Project.is_active), chosen.status)
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        conditions.append(col(Project.id).in_(sorted(visible)))
    if chosen.clients:
        conditions.append(col(Project.client_id).in_(resolve_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.budgeted:
        conditions.append(col(Project.budget_by) != BudgetBy.NONE.value)
    totals = _budget_totals(session, actor, conditions, today)
    stmt = (
        select(col(Project.id), col(Project.name), col(Client.name), col(Project.code),
               raw_column(col(Project.project_type)), raw_column(col(Project.budget_by)),
               col(Project.is_active), col(Client.currency))
        .join(Client, col(Client.id) == col(Project.client_id))
        .where(*conditions)
        .order_by(func.lower(Client.name), func.lower(Project.name), col(Project.id))
    )

    def rows() -> Iterator[dict[str, Any]]:
        for (project_id, name, client, code, project_type, budget_by, active,
             currency) in stream_rows(session, stmt):
            row: dict[str, Any] = {
                "name": name, "client": client, "code": code,
                "project_type": _TYPE_LABELS.get(project_type, project_type),
                "budget_by": budget_by.replace("total_", ""), "currency": currency,
                "status": "Active" if active else "Archived", "id": project_id}
            found = totals.get(project_id)
            if found is not None and found.fees is not None:
                row.update(budget=found.fees, spent=found.spent,
                           remaining=found.fees - found.spent,
                           percent_used=percent_used(found.spent, found.fees))
            if found is not None and found.hours is not None:
                row.update(budget_hours=at_least_two_places(found.hours),
                           spent_hours=at_least_two_places(found.spent_hours),
                           remaining_hours=at_least_two_places(found.hours - found.spent_hours),
                           percent_used=percent_used(found.spent_hours, found.hours))
            yield row

    return Export("projects", project_columns(), count_rows(session, stmt), rows())


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
                    chosen: ExportFilter = NO_FILTER) -> Export:
    """The invoices the actor may view, by issue date: total, balance (total - paid)."""
    policy.require(actor, Action.INVOICE_VIEW)
    conditions: list[Any] = [invoice_clause(actor)]
    if chosen.date_from is not None:
        conditions.append(col(Invoice.issue_date) >= chosen.date_from)
    if chosen.date_to is not None:
        conditions.append(col(Invoice.issue_date) <= chosen.date_to)
    if chosen.clients:
        conditions.append(col(Invoice.client_id).in_(resolve_refs(session, chosen.clients,
                                                           find_client)))
    if chosen.states:
        conditions.append(col(Invoice.state).in_(list(chosen.states)))
    stmt = (
        select(col(Invoice.id), col(Invoice.number), col(Client.name), col(Invoice.issue_date),
               col(Invoice.due_date), raw_column(col(Invoice.state)),
               raw_column(col(Invoice.total)), raw_column(col(Invoice.amount_paid)),
               col(Invoice.currency), col(Invoice.subject))
        .join(Client, col(Client.id) == col(Invoice.client_id))
        .where(*conditions)
        .order_by(col(Invoice.issue_date), col(Invoice.number))
    )

    def rows() -> Iterator[dict[str, Any]]:
        for (invoice_id, number, client, issued, due, state, total, paid, currency,
             subject) in stream_rows(session, stmt):
            yield {"number": number, "client": client, "issue_date": issued, "due_date": due,
                   "state": state.capitalize(), "total": stored_amount(total),
                   "balance": stored_amount(int(total) - int(paid)), "currency": currency,
                   "subject": subject, "id": invoice_id}

    return Export("invoices", invoice_columns(), count_rows(session, stmt), rows())


# --- clients -----------------------------------------------------------------------------


def client_columns() -> list[Column]:
    return [Column("name", "Name"), Column("address", "Address"),
            Column("currency", "Currency"), Column("status", "Status"), Column("id", "ID")]


def export_clients(session: Session, *, actor: policy.Actor,
                   chosen: ExportFilter = NO_FILTER) -> Export:
    """The client directory (for those who may view clients), by name."""
    policy.require(actor, Action.CLIENT_VIEW)
    stmt = (select(col(Client.id), col(Client.name), col(Client.street), col(Client.city),
                   col(Client.region), col(Client.postal_code), col(Client.country),
                   col(Client.currency), col(Client.is_active))
            .where(*_status_condition(col(Client.is_active), chosen.status))
            .order_by(func.lower(Client.name), col(Client.id)))

    def rows() -> Iterator[dict[str, Any]]:
        for (client_id, name, street, city, region, postal, country, currency,
             active) in stream_rows(session, stmt):
            address = ", ".join(p for p in (street, city, region, postal, country) if p)
            yield {"name": name, "address": address or None, "currency": currency,
                   "status": "Active" if active else "Archived", "id": client_id}

    return Export("clients", client_columns(), count_rows(session, stmt), rows())


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
                chosen: ExportFilter = NO_FILTER) -> Export:
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
    stmt = (select(col(User.id), col(User.name), col(User.email), raw_column(col(User.role)),
                   col(User.weekly_capacity_seconds), raw_column(col(User.default_rate)),
                   raw_column(col(User.cost_rate)), raw_column(col(User.employment_type)),
                   raw_column(col(User.user_type)), raw_column(col(User.status)))
            .where(*conditions)
            .order_by(func.lower(User.name), col(User.id)))

    def rows() -> Iterator[dict[str, Any]]:
        for (user_id, name, email, role, seconds, rate, cost, employment, user_type,
             status) in stream_rows(session, stmt):
            row = {"name": name, "email": email, "role": _ROLE_LABELS.get(role, role),
                   "capacity": entry_hours(capacity if seconds is None else seconds),
                   "employment": employment.capitalize(), "user_type": user_type.capitalize(),
                   "status": status.capitalize(), "id": user_id}
            if Money.RATE in visible:
                row["hourly_rate"] = stored_or_none(rate)
            if Money.COST in visible:
                row["cost_rate"] = stored_or_none(cost)
            yield row

    return Export("team", team_columns(visible), count_rows(session, stmt), rows())
