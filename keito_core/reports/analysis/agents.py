"""The agents report (the reference's Agent Activity Reports page): agent hours by agent,
project or model (`metadata.model`), human hours beside them, LLM spend (the "LLM Usage"
category) by the same grouping, and the agent margin:

    margin = agent billable amount - agent cost - LLM cost

Agents are users whose type is `agent`. LLM spend counts every LLM Usage expense in the
scope, whoever logged it. Amounts are per currency, summed by SQL, rounded once.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import UserType
from keito_core.models import LLM_USAGE, Client, Expense, ExpenseCategory, Project, TimeEntry, User
from keito_core.models.types import Micros
from keito_core.reports.analysis.dims import base_from
from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope, record_conditions
from keito_core.reports.analysis.time_report import hidden_keys, hours, money_of, raw
from keito_core.rules import permissions as policy

NO_MODEL = "(no model)"
_AMOUNTS = (
    Column("agent_billable_amount", "Agent billable", "money", True),
    Column("agent_cost", "Agent cost", "money", True),
    Column("llm_cost", "LLM cost", "money", True),
    Column("margin", "Margin", "money", True),
)


def _model(model: Any) -> Any:
    # A literal, not a bound parameter: PostgreSQL matches GROUP BY expressions by their text.
    return sa.func.coalesce(col(model.meta)["model"].as_string(),
                            sa.literal_column(f"'{NO_MODEL}'"))


def _group(name: str, model: Any) -> tuple[Any, list[tuple[Column, Any]], str | None]:
    """(key, labelled columns, drill filter) of a grouping over `model`."""
    if name == "agent":
        return col(User.id), [(Column("agent", "Agent"), col(User.name))], "people"
    if name == "project":
        return col(Project.id), [(Column("client", "Client"), col(Client.name)),
                                 (Column("project", "Project"), col(Project.name))], "projects"
    expr = _model(model)
    return expr, [(Column("model", "Model"), expr)], None


def _sums(session: Session, scope: Scope, actor: policy.Actor, name: str,
          grouped: bool) -> tuple[list[Column], dict[tuple[Any, str], dict[str, Any]]]:
    """Raw sums per group and currency (`grouped`) or per currency only (the totals)."""
    is_agent = col(User.user_type) == UserType.AGENT
    secs = col(TimeEntry.duration_seconds)
    billable = col(TimeEntry.is_billable).is_(True)
    key, labelled, drill = _group(name, TimeEntry)
    ekey, elabelled, _ = _group(name, Expense)
    if not grouped:
        # Per currency only (PostgreSQL refuses a constant in GROUP BY).
        key, ekey, labelled, elabelled = col(Client.currency), col(Client.currency), [], []
    labels = [expr for _, expr in labelled]
    elabels = [expr for _, expr in elabelled]
    time_where = record_conditions(scope, actor, TimeEntry, Project)
    if name != "project":
        time_where.append(is_agent)
    time_stmt = (sa.select(key, *labels, col(Client.currency),
                           sa.func.sum(sa.case((is_agent, secs), else_=0)),
                           sa.func.sum(sa.case((is_agent, 0), else_=secs)),
                           sa.func.sum(sa.case((sa.and_(is_agent, billable),
                                                secs * sa.func.coalesce(
                                                    raw(col(TimeEntry.billable_rate)), 0)),
                                               else_=0)),
                           sa.func.sum(sa.case((is_agent, secs * sa.func.coalesce(
                               raw(col(TimeEntry.cost_rate)), 0)), else_=0)))
                 .select_from(base_from(TimeEntry, frozenset()))
                 .where(*time_where).group_by(key, *labels, col(Client.currency)))
    expense_where = record_conditions(scope, actor, Expense, Project, with_task=False)
    expense_where.append(col(ExpenseCategory.name) == LLM_USAGE)
    if name == "agent":
        expense_where.append(is_agent)
    expense_stmt = (sa.select(ekey, *elabels, col(Client.currency),
                              sa.func.sum(col(Expense.total_cost), type_=Micros()))
                    .select_from(base_from(Expense, frozenset({"category"})))
                    .where(*expense_where).group_by(ekey, *elabels, col(Client.currency)))
    merged: dict[tuple[Any, str], dict[str, Any]] = {}
    label_columns = [c for c, _ in labelled]
    n = len(labels)

    def slot_for(record: Any) -> dict[str, Any]:
        currency = record[1 + n]
        slot = merged.get((record[0], currency))
        if slot is None:
            slot = {c.key: v for c, v in zip(label_columns, record[1:1 + n], strict=True)}
            slot.update(currency=currency, agent_seconds=0, human_seconds=0, rate_seconds=0,
                        cost_seconds=0, llm_cost=Decimal(0))
            if grouped:
                slot["_keys"] = {drill: record[0]} if drill else {}
            merged[(record[0], currency)] = slot
        return slot

    for record in session.execute(time_stmt).all():
        slot = slot_for(record)
        agent_s, human_s, rate_s, cost_s = (int(v or 0) for v in record[2 + n:])
        slot["agent_seconds"] += agent_s
        slot["human_seconds"] += human_s
        slot["rate_seconds"] += rate_s
        slot["cost_seconds"] += cost_s
    for record in session.execute(expense_stmt).all():
        slot_for(record)["llm_cost"] += record[2 + n] or Decimal(0)
    return label_columns, merged


def _finish(slot: dict[str, Any], hidden: frozenset[str]) -> dict[str, Any]:
    currency = slot["currency"]
    amount = money_of(slot.pop("rate_seconds"), currency)
    cost = money_of(slot.pop("cost_seconds"), currency)
    slot["agent_hours"] = hours(slot.pop("agent_seconds"))
    slot["human_hours"] = hours(slot.pop("human_seconds"))
    slot["agent_billable_amount"] = amount
    slot["agent_cost"] = cost
    slot["margin"] = amount - cost - slot["llm_cost"]
    for key_name in hidden:
        slot[key_name] = None
    return slot


def agents(session: Session, scope: Scope, actor: policy.Actor) -> ReportResult:
    q = scope.query
    name = q.group_by or "agent"
    hidden = hidden_keys(scope.shown)
    hidden_here = frozenset(
        ({"agent_billable_amount"} if "billable_amount" in hidden else set())
        | ({"agent_cost", "margin"} if "cost" in hidden else set()))
    label_columns, merged = _sums(session, scope, actor, name, grouped=True)
    rows = [_finish(slot, hidden_here) for slot in merged.values()]
    rows.sort(key=lambda r: (tuple(str(r[c.key]).lower() for c in label_columns),
                             r["currency"]))
    _, whole = _sums(session, scope, actor, name, grouped=False)
    totals = sorted((_finish(slot, hidden_here) for slot in whole.values()),
                    key=lambda t: t["currency"])
    hour_columns = [Column("agent_hours", "Agent h", "hours", True)]
    if name != "agent":
        hour_columns.append(Column("human_hours", "Human h", "hours", True))
    columns = [*label_columns, Column("currency", "Cur"), *hour_columns, *_AMOUNTS]
    return ReportResult(kind="agents", title=f"Agents by {name}", columns=columns, rows=rows,
                        totals=totals, date_from=scope.date_from, date_to=scope.date_to,
                        hidden=hidden_here, group_by=name)
