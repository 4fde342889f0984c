"""An invoice from tracked time and expenses (reference: Creating Invoices, From Time &
Expenses; Invoicing Agent Work).

For a client, its projects (all, or those chosen) and a period: every billable, invoiceable
(`rules.approval_flow.is_invoiceable`) and not yet invoiced entry and expense is claimed by
one UPDATE whose WHERE says `invoice_id IS NULL`. The database decides who bills an item:
two invoices created at once from the same period each get only what their own UPDATE
claimed (SQLite runs write transactions one at a time; PostgreSQL re-checks the WHERE of a
row another transaction just claimed and skips it). Lines are then SQL aggregates over what
this invoice claimed, one per group and distinct rate, and every item points at its line.

Fixed-fee projects bill their fee as one line, once (a unique index on the fee line's
project), instead of their hours: their time is not claimed. Non-billable projects and
entries never appear. The invoice is in the client's currency; rates are never converted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, LineKind, ProjectType, UserType
from keito_core.errors import validation
from keito_core.models import (
    LLM_USAGE,
    Client,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceLine,
    Project,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_client, find_project
from keito_core.rules import permissions as policy
from keito_core.rules.invoices import time_quantity
from keito_core.rules.periods import parse_date
from keito_core.rules.permissions import Action, Actor
from keito_core.services.billing.invoices import (
    Header,
    recompute,
    require_for_client,
    start_invoice,
    workspace_today,
)

#: How time becomes lines.
TIME_GROUPINGS = ("project", "task", "person", "detailed")
#: How expenses become lines (none leaves them off).
EXPENSE_GROUPINGS = ("none", "category", "project", "detailed")
_ONE = Decimal(1)


def _choice(value: str, choices: Sequence[str], field: str) -> str:
    word = (value or "").strip().lower()
    if word not in choices:
        raise validation(f"{field} must be one of: {', '.join(choices)} (not {value!r})",
                         field=field)
    return word


def parse_period(date_from: date | str | None, date_to: date | str | None, *,
                 today: date) -> tuple[date, date]:
    """The period an invoice bills: both ends given, the end not before the start."""
    if date_from is None or date_to is None:
        raise validation("an invoice from tracked work needs a period: --from and --to",
                         field="from" if date_from is None else "to")
    start = date_from if isinstance(date_from, date) else parse_date(
        date_from, today=today, field="from")
    end = date_to if isinstance(date_to, date) else parse_date(date_to, today=today, field="to")
    if end < start:
        raise validation(f"the period ends ({end}) before it starts ({start})", field="to")
    return start, end


def billable_projects(session: Session, client: Client,
                      project_refs: Sequence[str] = ()) -> list[Project]:
    """The client's projects to bill: those named (each must be the client's), else all of
    them; non-billable projects never."""
    if project_refs:
        projects = []
        for ref in project_refs:
            project = find_project(session, ref)
            if project.client_id != client.id:
                raise validation(f"project {project.name} is not {client.name}'s",
                                 field="project")
            projects.append(project)
    else:
        projects = list(session.exec(select(Project).where(Project.client_id == client.id)
                                     .order_by(col(Project.name))))
    return [p for p in projects if p.project_type is not ProjectType.NON_BILLABLE]


def _invoiceable(model: Any, approvals: bool) -> list[Any]:
    """What makes an item billable and free to invoice (see rules.approval_flow)."""
    clauses: list[Any] = [col(model.is_billable).is_(True), col(model.invoice_id).is_(None)]
    if approvals:
        clauses.append(col(model.approval_status) == ApprovalStatus.APPROVED)
    return clauses


def create_from_tracked(
    session: Session,
    *,
    actor: Actor,
    client_ref: str,
    project_refs: Sequence[str] = (),
    date_from: date | str | None,
    date_to: date | str | None,
    group_by: str = "project",
    expenses: str = "category",
    header: Header = Header(),
    now: datetime,
) -> Invoice:
    """A draft invoice billing a period of a client's approved, uninvoiced work."""
    grouping = _choice(group_by, TIME_GROUPINGS, "group_by")
    expense_grouping = _choice(expenses, EXPENSE_GROUPINGS, "expenses")
    policy.require(actor, Action.INVOICE_DRAFT)
    workspace = get_workspace(session)
    period = parse_period(date_from, date_to, today=workspace_today(workspace, now))
    client = find_client(session, client_ref)
    projects = billable_projects(session, client, project_refs)
    require_for_client(session, actor, Action.INVOICE_DRAFT, client,
                       [p.id for p in projects] or ())
    if not projects:
        raise validation(f"{client.name} has no billable project to invoice", field="client")
    invoice = start_invoice(session, actor=actor, client=client, header=header, now=now,
                            period=period)
    approvals = workspace.feature_approvals
    hourly = [p.id for p in projects if p.project_type is ProjectType.TIME_AND_MATERIALS]
    position = 0
    if hourly:
        claimed = _claim(session, TimeEntry, invoice.id, hourly, period, approvals, now,
                         extra=[col(TimeEntry.is_running).is_(False),
                                col(TimeEntry.duration_seconds) > 0])
        if claimed:
            position = _time_lines(session, invoice, grouping, position, now)
    position = _fee_lines(session, invoice, projects, position, now)
    if expense_grouping != "none":
        claimed = _claim(session, Expense, invoice.id, [p.id for p in projects], period,
                         approvals, now)
        if claimed:
            position = _expense_lines(session, invoice, expense_grouping, position, now)
    if position == 0:
        raise validation(
            f"nothing to bill for {client.name} from {period[0]} to {period[1]}",
            field="client",
            hint=("only billable, approved and not yet invoiced time and expenses are billed"
                  if approvals else "only billable, not yet invoiced time and expenses are "
                  "billed; see keito invoice uninvoiced"))
    recompute(session, invoice, now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.create", entity=invoice,
                 changes={"number": invoice.number, "client_id": client.id,
                          "period": f"{period[0]}..{period[1]}", "group_by": grouping,
                          "expenses": expense_grouping, "lines": position,
                          "amount": invoice.total}, now=now)
    return invoice


def _claim(session: Session, model: Any, invoice_id: str, project_ids: list[str],
           period: tuple[date, date], approvals: bool, now: datetime, *,
           extra: Sequence[Any] = ()) -> int:
    """Mark the period's invoiceable items of `project_ids` as billed by `invoice_id`."""
    result: Any = session.execute(
        sa.update(model)
        .where(col(model.project_id).in_(project_ids),
               col(model.spent_date).between(period[0], period[1]),
               *_invoiceable(model, approvals), *extra)
        .values(invoice_id=invoice_id, updated_at=now)
        .execution_options(synchronize_session=False))
    return int(result.rowcount or 0)


def _add_line(session: Session, invoice: Invoice, position: int, *, kind: LineKind,
              description: str, quantity: Decimal, unit_price: Decimal,
              project_id: str | None, is_agent: bool = False, now: datetime,
              fee_project_id: str | None = None) -> InvoiceLine:
    line = InvoiceLine(id=new_id("invoice_line"), invoice_id=invoice.id, position=position,
                       kind=kind, description=description[:2000], quantity=quantity,
                       unit_price=unit_price, amount=Decimal(0),
                       taxed1=invoice.tax1_rate is not None, taxed2=invoice.tax2_rate is not None,
                       project_id=project_id, is_agent=is_agent, fee_project_id=fee_project_id,
                       created_at=now)
    session.add(line)
    return line


def _link(session: Session, model: Any, invoice_id: str, line_id: str,
          conditions: Sequence[Any]) -> None:
    session.execute(
        sa.update(model).where(col(model.invoice_id) == invoice_id, *conditions)
        .values(invoice_line_id=line_id).execution_options(synchronize_session=False))


def _link_each(session: Session, model: Any, links: Sequence[tuple[str, str]]) -> None:
    """Point each item at its own line (one line per item): the lines are written first, in
    one flush, then one executemany UPDATE, not a statement per item."""
    if not links:
        return
    session.flush()
    table = model.__table__
    session.execute(sa.update(table).where(table.c.id == sa.bindparam("item_id"))
                    .values(invoice_line_id=sa.bindparam("line_id")),
                    [{"item_id": item, "line_id": line} for item, line in links])


def _equal(column: Any, value: Any) -> Any:
    return column.is_(None) if value is None else column == value


# ── time ─────────────────────────────────────────────────────────────────────────────────


def _time_lines(session: Session, invoice: Invoice, grouping: str, position: int,
                now: datetime) -> int:
    rate = col(TimeEntry.billable_rate)
    agent = sa.case((col(User.user_type) == UserType.AGENT, 1), else_=0)
    base = (sa.select().select_from(TimeEntry)
            .join(User, col(User.id) == col(TimeEntry.user_id))
            .join(Project, col(Project.id) == col(TimeEntry.project_id))
            .outerjoin(Task, col(Task.id) == col(TimeEntry.task_id))
            .where(col(TimeEntry.invoice_id) == invoice.id))
    seconds = sa.func.sum(col(TimeEntry.duration_seconds))
    all_agents = sa.func.min(agent)
    one_project = sa.func.min(col(TimeEntry.project_id))
    projects_seen = sa.func.count(sa.distinct(col(TimeEntry.project_id)))
    if grouping == "detailed":
        rows = session.execute(base.add_columns(
            col(TimeEntry.id), col(TimeEntry.spent_date), col(User.name), agent,
            col(Project.id), col(Project.name), col(Task.name), col(TimeEntry.notes),
            col(TimeEntry.duration_seconds), rate,
        ).order_by(col(TimeEntry.spent_date), col(User.name), col(TimeEntry.id))).all()
        links = []
        for entry_id, day, person, is_agent, project_id, project, task, notes, secs, r in rows:
            position += 1
            label = f"{person} (Agent)" if is_agent else person
            what = " · ".join(x for x in (task or project, (notes or "").strip()) if x)
            line = _add_line(session, invoice, position, kind=LineKind.SERVICE,
                             description=f"{day.isoformat()} · {label} · {what}",
                             quantity=time_quantity(int(secs)), unit_price=r or Decimal(0),
                             project_id=project_id, is_agent=bool(is_agent), now=now)
            links.append((entry_id, line.id))
        _link_each(session, TimeEntry, links)
        return position
    key: list[Any]
    order: list[Any]
    if grouping == "project":
        key, order = [col(Project.id), col(Project.name)], [col(Project.name)]
    elif grouping == "task":
        # The ordering is the grouped expression itself: PostgreSQL refuses another one.
        key = [col(TimeEntry.task_id), sa.func.coalesce(col(Task.name), "No task")]
        order = [key[1]]
    else:
        key, order = [col(User.id), col(User.name)], [col(User.name)]
    rows = session.execute(
        base.add_columns(*key, rate, seconds, all_agents, one_project, projects_seen,
                         sa.func.min(col(Project.name)))
        .group_by(*key, rate).order_by(*order, rate.desc())).all()
    for key_id, name, r, secs, agents, project_id, n_projects, project_name in rows:
        position += 1
        single = project_id if n_projects == 1 else None
        if grouping == "person":
            description = f"{name} (Agent)" if agents else name
            if single:
                description += f" · {project_name}"
        elif grouping == "task":
            description = f"{name} · {project_name}" if single else name
            if agents:
                description += " (Agent)"
        else:
            description = f"{name} (Agent)" if agents else name
        line = _add_line(session, invoice, position, kind=LineKind.SERVICE,
                         description=description, quantity=time_quantity(int(secs)),
                         unit_price=r or Decimal(0), project_id=single,
                         is_agent=bool(agents), now=now)
        session.flush()
        column = {"project": TimeEntry.project_id, "task": TimeEntry.task_id,
                  "person": TimeEntry.user_id}[grouping]
        _link(session, TimeEntry, invoice.id, line.id,
              [_equal(col(column), key_id), _equal(rate, r)])
    return position


# ── fixed fees ───────────────────────────────────────────────────────────────────────────


def _fee_lines(session: Session, invoice: Invoice, projects: Sequence[Project], position: int,
               now: datetime) -> int:
    """One line per fixed-fee project whose fee no invoice has billed yet."""
    for project in projects:
        if project.project_type is not ProjectType.FIXED_FEE or not project.fixed_fee:
            continue
        billed = session.exec(select(InvoiceLine.id).where(
            InvoiceLine.fee_project_id == project.id)).first()
        if billed:
            continue
        try:
            with session.begin_nested():
                _add_line(session, invoice, position + 1, kind=LineKind.SERVICE,
                          description=f"{project.name} (fixed fee)", quantity=_ONE,
                          unit_price=project.fixed_fee, project_id=project.id,
                          fee_project_id=project.id, now=now)
                session.flush()
        except sa.exc.IntegrityError:
            continue  # another invoice billed the fee at the same moment
        position += 1
    return position


# ── expenses ─────────────────────────────────────────────────────────────────────────────


def _tokens(units: Decimal, unit_name: str | None) -> str:
    shown = f"{units.normalize():f}"
    return f"{shown}k tokens" if unit_name in (None, "", "1k tokens", "k tokens") \
        else f"{shown} {unit_name}"


def _models(session: Session, invoice_id: str, conditions: Sequence[Any]) -> list[str]:
    """The models named in the metadata of the expenses matching `conditions`."""
    model = col(Expense.meta)["model"].as_string()
    rows = session.execute(sa.select(model).where(col(Expense.invoice_id) == invoice_id,
                                                  *conditions).distinct()).scalars()
    return sorted(str(m) for m in rows if m)


def _expense_lines(session: Session, invoice: Invoice, grouping: str, position: int,
                   now: datetime) -> int:
    base = (sa.select().select_from(Expense)
            .join(ExpenseCategory, col(ExpenseCategory.id) == col(Expense.category_id))
            .join(Project, col(Project.id) == col(Expense.project_id))
            .join(User, col(User.id) == col(Expense.user_id))
            .where(col(Expense.invoice_id) == invoice.id))
    price = col(Expense.unit_price)
    if grouping == "detailed":
        rows = session.execute(base.add_columns(
            col(Expense.id), col(Expense.spent_date), col(User.name), col(ExpenseCategory.name),
            col(ExpenseCategory.unit_name), col(Project.id), col(Expense.notes),
            col(Expense.units), price, col(Expense.total_cost), col(Expense.receipt_name),
        ).order_by(col(Expense.spent_date), col(Expense.id))).all()
        links = []
        for (expense_id, day, person, category, unit_name, project_id, notes, units, unit_price,
             total, receipt) in rows:
            position += 1
            parts = [f"{day.isoformat()} · {person} · {category}"]
            if units is not None and unit_price:
                parts.append(_tokens(units, unit_name))
            if (notes or "").strip():
                parts.append(notes.strip())
            if receipt:
                parts.append(f"receipt: {receipt}")
            quantity, each = ((units, unit_price) if units is not None and unit_price
                              else (_ONE, total))
            line = _add_line(session, invoice, position, kind=LineKind.EXPENSE,
                             description=" · ".join(parts), quantity=quantity, unit_price=each,
                             project_id=project_id, now=now)
            links.append((expense_id, line.id))
        _link_each(session, Expense, links)
        return position
    unit_based = sa.and_(col(Expense.units).is_not(None), price.is_not(None), price != 0)
    kind = sa.case((unit_based, 1), else_=0)
    priced = sa.case((unit_based, price), else_=None)
    key: list[Any] = [col(ExpenseCategory.id), col(ExpenseCategory.name),
                      col(ExpenseCategory.unit_name)]
    if grouping == "project":
        key = [col(Project.id), col(Project.name), *key]
    rows = session.execute(
        base.add_columns(*key, kind, priced, sa.func.sum(col(Expense.units)),
                         sa.func.sum(col(Expense.total_cost)),
                         sa.func.min(col(Expense.project_id)),
                         sa.func.count(sa.distinct(col(Expense.project_id))))
        .group_by(*key, kind, priced)
        .order_by(*([col(Project.name)] if grouping == "project" else []),
                  col(ExpenseCategory.name), priced)).all()
    for row in rows:
        if grouping == "project":
            project_id, project_name, category_id, category, unit_name = row[:5]
            rest = row[5:]
        else:
            category_id, category, unit_name = row[:3]
            project_name, rest = None, row[3:]
        is_units, unit_price, units, total, one_project, n_projects = rest
        conditions = [col(Expense.category_id) == category_id,
                      unit_based if is_units else sa.not_(unit_based)]
        if is_units:
            conditions.append(price == unit_price)
        if grouping == "project":
            conditions.append(col(Expense.project_id) == project_id)
        description = category if project_name is None else f"{project_name} · {category}"
        if is_units:
            models = _models(session, invoice.id, conditions)
            detail = ", ".join(models)
            if category == LLM_USAGE or models:
                description += f" · {detail} tokens" if detail else ""
            description += f" ({_tokens(units, unit_name)})"
            quantity, each = units, unit_price
        else:
            quantity, each = _ONE, total
        position += 1
        line = _add_line(session, invoice, position, kind=LineKind.EXPENSE,
                         description=description, quantity=quantity, unit_price=each,
                         project_id=one_project if n_projects == 1 else None, now=now)
        session.flush()
        _link(session, Expense, invoice.id, line.id, conditions)
    return position
