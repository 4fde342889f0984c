"""The budget report in the reports' common shape: `reports.budgets` computes each budget's
spending (the same figures the alerts and the Manage view use); this lays it out as columns.

Hours budgets and fee budgets share the table: `kind` says which, and a fee budget's money
is in its client's currency. A monthly budget shows the month the query's first day falls in
(default: this month); other budgets their whole life.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope
from keito_core.reports.budgets import budget_report as budget_lines
from keito_core.rules import permissions as policy

COLUMNS = (
    Column("client", "Client"),
    Column("project", "Project"),
    Column("budget_by", "Budget type"),
    Column("scope_name", "Task / person"),
    Column("kind", "Unit"),
    Column("currency", "Cur"),
    Column("budget", "Budget", "hours"),
    Column("spent", "Spent", "hours"),
    Column("remaining", "Remaining", "hours"),
    Column("percent_used", "% used", "percent"),
    Column("monthly", "Monthly", "bool"),
    Column("period_label", "Period"),
    Column("status", "Status"),
)
_LABELS = {"total_hours": "Hours", "total_fees": "Fees", "task": "Per task",
           "person": "Per person"}


def budget_report(session: Session, scope: Scope, actor: policy.Actor, *,
                  now: datetime) -> ReportResult:
    q = scope.query
    lines = budget_lines(session, actor=actor, now=now, month=scope.date_from,
                         client_refs=q.clients, project_refs=q.projects,
                         statuses=q.budget_status, sources=q.sources)
    rows: list[dict[str, Any]] = []
    for line in lines:
        row = line.to_dict()
        row["budget_by"] = _LABELS.get(row["budget_by"], row["budget_by"])
        row["status"] = str(row["status"])
        row["_keys"] = {"projects": line.project_id}
        if line.scope == "person" and line.scope_id:
            row["_keys"]["people"] = line.scope_id
        if line.scope == "task" and line.scope_id:
            row["_keys"]["tasks"] = line.scope_id
        rows.append(row)
    return ReportResult(kind="budget", title="Budgets", columns=list(COLUMNS), rows=rows,
                        totals=[], date_from=scope.date_from, date_to=scope.date_to)
