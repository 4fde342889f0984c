"""The expense report: totals by client, project, category, person or source, or every
expense (detailed, with its receipt indicator and approval status).

Metrics (the reference's Expense Reports page): total, billable and non-billable amounts,
plus the count of expenses and the uninvoiced billable amount. Amounts are the stored totals
summed by SQL, per currency (never added across currencies).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.models import Client, Expense, ExpenseCategory, Invoice, Project, User
from keito_core.models.types import Micros
from keito_core.reports.analysis.dims import base_from, dim
from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope, record_conditions
from keito_core.rules import permissions as policy

METRICS = (
    Column("count", "Expenses", "number", True),
    Column("total_amount", "Total", "money", True),
    Column("billable_amount", "Billable", "money", True),
    Column("non_billable_amount", "Non-billable", "money", True),
    Column("uninvoiced_amount", "Uninvoiced", "money", True),
)


def _conditions(scope: Scope, actor: policy.Actor) -> list[Any]:
    where = record_conditions(scope, actor, Expense, Project, with_task=False)
    if scope.category_ids:
        where.append(col(Expense.category_id).in_(scope.category_ids))
    return where


def _metric_selects() -> list[Any]:
    total = col(Expense.total_cost)
    billable = col(Expense.is_billable).is_(True)
    open_ = sa.and_(billable, col(Expense.invoice_id).is_(None))
    return [
        sa.func.count(col(Expense.id)),
        sa.func.sum(total, type_=Micros()),
        sa.func.sum(sa.case((billable, total), else_=0), type_=Micros()),
        sa.func.sum(sa.case((open_, total), else_=0), type_=Micros()),
    ]


def _metrics(sums: Any) -> dict[str, Any]:
    count, total, billable, open_amount = sums
    total, billable, open_amount = (v or 0 for v in (total, billable, open_amount))
    return {"count": int(count or 0), "total_amount": total, "billable_amount": billable,
            "non_billable_amount": total - billable, "uninvoiced_amount": open_amount}


def totals(session: Session, scope: Scope, actor: policy.Actor) -> list[dict[str, Any]]:
    stmt = (sa.select(col(Client.currency), *_metric_selects())
            .select_from(base_from(Expense, frozenset()))
            .where(*_conditions(scope, actor))
            .group_by(col(Client.currency)).order_by(col(Client.currency)))
    return [{"currency": currency, **_metrics(sums)}
            for currency, *sums in session.execute(stmt).all()]


def summary(session: Session, scope: Scope, actor: policy.Actor) -> ReportResult:
    q = scope.query
    assert q.group_by is not None
    dims = [dim(q.group_by, Expense)] + ([dim(q.then_by, Expense)] if q.then_by else [])
    needs = frozenset().union(*(d.needs for d in dims))
    keys = [d.key for d in dims]
    labels = [expr for d in dims for _, expr in d.labels]
    stmt = (sa.select(*keys, *labels, col(Client.currency), *_metric_selects())
            .select_from(base_from(Expense, needs))
            .where(*_conditions(scope, actor))
            .group_by(*keys, *labels, col(Client.currency))
            .order_by(*[sa.func.lower(expr) for expr in labels], col(Client.currency)))
    label_columns = [c for d in dims for c, _ in d.labels]
    rows = []
    for record in session.execute(stmt).all():
        n, m = len(keys), len(labels)
        row: dict[str, Any] = {c.key: v for c, v in zip(label_columns, record[n:n + m],
                                                         strict=True)}
        row["currency"] = record[n + m]
        row.update(_metrics(record[n + m + 1:]))
        row["_keys"] = {d.filter: k for d, k in zip(dims, record[:n], strict=True)}
        rows.append(row)
    title = f"Expenses by {q.group_by}" + (f", then {q.then_by}" if q.then_by else "")
    return ReportResult(kind="expenses", title=title,
                        columns=[*label_columns, Column("currency", "Cur"), *METRICS],
                        rows=rows, totals=totals(session, scope, actor),
                        date_from=scope.date_from, date_to=scope.date_to,
                        group_by=q.group_by, then_by=q.then_by)


DETAIL_COLUMNS = (
    Column("date", "Date", "date"),
    Column("person", "Team member"),
    Column("client", "Client"),
    Column("project", "Project"),
    Column("category", "Category"),
    Column("notes", "Notes"),
    Column("amount", "Amount", "money", True),
    Column("billable", "Billable", "bool"),
    Column("invoice", "Invoice"),
    Column("receipt", "Receipt", "bool"),
    Column("approval", "Approval"),
    Column("source", "Source"),
    Column("currency", "Cur"),
    Column("id", "ID"),
)


def detailed(session: Session, scope: Scope, actor: policy.Actor, *,
             limit: int | None = None) -> ReportResult:
    stmt = (sa.select(col(Expense.id), col(Expense.spent_date), col(User.name),
                      col(Client.name), col(Project.name), col(ExpenseCategory.name),
                      col(Expense.notes), col(Expense.total_cost), col(Expense.is_billable),
                      col(Invoice.number), col(Expense.invoice_id),
                      col(Expense.receipt_path).is_not(None), col(Expense.approval_status),
                      col(Expense.source), col(Client.currency))
            .select_from(base_from(Expense, frozenset({"category"})))
            .outerjoin(Invoice, col(Invoice.id) == col(Expense.invoice_id))
            .where(*_conditions(scope, actor))
            .order_by(col(Expense.spent_date), col(Expense.created_at), col(Expense.id)))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = []
    for (expense_id, day, person, client, project, category, notes, amount, billable, number,
         invoice_id, receipt, approval, source, currency) in session.execute(stmt).all():
        rows.append({
            "date": day, "person": person, "client": client, "project": project,
            "category": category, "notes": notes, "amount": amount, "billable": billable,
            "invoice": (number or "draft") if invoice_id else None, "receipt": bool(receipt),
            "approval": str(approval), "source": str(source), "currency": currency,
            "id": expense_id, "_keys": {"id": expense_id},
        })
    total_rows = [{**t, "amount": t["total_amount"]} for t in totals(session, scope, actor)]
    return ReportResult(kind="expenses", title="Expenses: detailed",
                        columns=list(DETAIL_COLUMNS), rows=rows, totals=total_rows,
                        date_from=scope.date_from, date_to=scope.date_to, detailed=True)
