"""The uninvoiced report: what is ready to bill per client and project, exactly as invoicing
would bill it now (`reports.invoices.uninvoiced` is the one computation both use)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope
from keito_core.reports.invoices import uninvoiced
from keito_core.rules import permissions as policy

_SUMS = (
    Column("hours", "Hours", "hours", True),
    Column("time_amount", "Time", "money", True),
    Column("expense_amount", "Expenses", "money", True),
    Column("fee", "Fixed fee", "money", True),
    Column("amount", "Amount", "money", True),
)


def uninvoiced_report(session: Session, scope: Scope, actor: policy.Actor) -> ReportResult:
    """Per project (or per client): billable, approved (when approvals are on), uninvoiced
    time and expenses and unbilled fixed fees, in the period when one is given. Only what
    the viewer may invoice shows (administrators, managers who may draft invoices)."""
    q = scope.query
    lines = [line for client_ref in (q.clients or (None,))
             for line in uninvoiced(session, actor=actor, client_ref=client_ref,
                                    date_from=scope.date_from, date_to=scope.date_to)]
    if scope.project_ids:
        lines = [line for line in lines if line.project_id in scope.project_ids]
    by_client = q.group_by == "client"
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        key = (line.client_id if by_client else line.project_id, line.currency)
        row = merged.get(key)
        if row is None:
            row = {"client": line.client, "currency": line.currency,
                   **{c.key: Decimal(0) for c in _SUMS},
                   "_keys": {"clients": line.client_id} if by_client
                   else {"projects": line.project_id}}
            if not by_client:
                row["project"] = line.project
            merged[key] = row
        row["hours"] += line.hours
        row["time_amount"] += line.time_amount
        row["expense_amount"] += line.expense_amount
        row["fee"] += line.fee
        row["amount"] += line.amount
    rows = list(merged.values())
    labels = [Column("client", "Client")] + ([] if by_client else [Column("project", "Project")])
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        into = totals.setdefault(row["currency"], {"currency": row["currency"],
                                                   **{c.key: Decimal(0) for c in _SUMS}})
        for column in _SUMS:
            into[column.key] += row[column.key]
    return ReportResult(kind="uninvoiced", title="Ready to bill by " + (q.group_by or "project"),
                        columns=[*labels, Column("currency", "Cur"), *_SUMS], rows=rows,
                        totals=[totals[c] for c in sorted(totals)],
                        date_from=scope.date_from, date_to=scope.date_to,
                        group_by=q.group_by)
