"""The time report: a summary by one or two dimensions, or every entry (detailed).

Metrics (the reference's Time Reports page, plus cost and margin): total, billable and
non-billable hours; billable amount (hours x the rate captured on each entry); uninvoiced
amount (the billable amount not on an invoice yet); cost (hours x the captured cost rate);
margin (billable amount - cost). Every amount is the exact sum of seconds x rate over the
entries it covers, computed by SQL, then rounded once, half up, to the currency's minor unit;
amounts in different currencies are never added (a row per currency). Billable amounts need
the rate permission, costs and margins the cost permission: hidden ones are left out.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.models import (
    BusinessRole,
    Client,
    Invoice,
    Project,
    Task,
    TimeEntry,
    User,
    UserBusinessRole,
)
from keito_core.presenters import entry_hours
from keito_core.reports.analysis import months
from keito_core.reports.analysis.dims import NO_TASK, base_from, dim
from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.reports.analysis.scope import Scope, record_conditions
from keito_core.rules import permissions as policy
from keito_core.rules.money import rate_seconds_amount
from keito_core.rules.permissions import Money

METRICS = (
    Column("total_hours", "Hours", "hours", True),
    Column("billable_hours", "Billable h", "hours", True),
    Column("non_billable_hours", "Non-billable h", "hours", True),
    Column("billable_amount", "Billable amount", "money", True),
    Column("uninvoiced_amount", "Uninvoiced", "money", True),
    Column("cost", "Cost", "money", True),
    Column("margin", "Margin", "money", True),
)
RATE_KEYS = frozenset({"billable_amount", "uninvoiced_amount", "hourly_rate"})
COST_KEYS = frozenset({"cost", "margin", "cost_rate"})


def hidden_keys(shown: frozenset[Money]) -> frozenset[str]:
    """The money columns the viewer may not see."""
    hidden: set[str] = set()
    if Money.RATE not in shown:
        hidden |= RATE_KEYS
    if Money.COST not in shown:
        hidden |= COST_KEYS | {"margin"}
    return frozenset(hidden)


def hours(seconds: Any) -> Decimal:
    """Exact hours of a sum of seconds, as entries report them."""
    return entry_hours(int(seconds or 0))


def money_of(rate_seconds: Any, currency: str) -> Decimal:
    """A sum of seconds x micro-unit rate as money, rounded once to the currency."""
    return rate_seconds_amount(int(rate_seconds or 0), currency)


def raw(column: Any) -> Any:
    """A Micros column as its stored integer (no Decimal conversion), for exact SQL sums."""
    return sa.type_coerce(column, sa.BigInteger)


def metric_selects(model: Any = TimeEntry) -> list[Any]:
    """The aggregate columns every time summary selects, in METRICS' order (raw sums)."""
    secs = col(model.duration_seconds)
    billable = col(model.is_billable).is_(True)
    rate = sa.func.coalesce(raw(col(model.billable_rate)), 0)
    cost = sa.func.coalesce(raw(col(model.cost_rate)), 0)
    open_ = sa.and_(billable, col(model.invoice_id).is_(None))
    return [
        sa.func.sum(secs),
        sa.func.sum(sa.case((billable, secs), else_=0)),
        sa.func.sum(sa.case((billable, secs * rate), else_=0)),
        sa.func.sum(sa.case((open_, secs * rate), else_=0)),
        sa.func.sum(secs * cost),
    ]


def metric_values(sums: Any, currency: str, hidden: frozenset[str]) -> dict[str, Any]:
    """The METRICS of one row from its raw sums."""
    total, billable, amount, open_amount, cost = (int(v or 0) for v in sums)
    values: dict[str, Any] = {
        "total_hours": hours(total),
        "billable_hours": hours(billable),
        "non_billable_hours": hours(total - billable),
        "billable_amount": money_of(amount, currency),
        "uninvoiced_amount": money_of(open_amount, currency),
        "cost": money_of(cost, currency),
    }
    values["margin"] = values["billable_amount"] - values["cost"]
    for key in hidden:
        if key in values:
            values[key] = None
    return values


def totals(session: Session, scope: Scope, actor: policy.Actor,
           hidden: frozenset[str], *, rollup: bool = True) -> list[dict[str, Any]]:
    """The report's totals, one per currency, by SQL over the same entries (summed per
    project first, then per currency; no role join, so people with several roles count
    once). `rollup` False reads every entry (the rollup's equal, for tests)."""
    sums = first_pass(scope, actor, ["project_id"], rollup=rollup).subquery("sums")
    stmt = (sa.select(col(Client.currency), *_summed(sums))
            .select_from(_with_clients(sums))
            .group_by(col(Client.currency)).order_by(col(Client.currency)))
    return [{"currency": currency, **metric_values(values, currency, hidden)}
            for currency, *values in session.execute(stmt).all()]


def _summed(sums: Any) -> list[Any]:
    """The first pass's sums m0...m4, summed again over the rows a statement groups."""
    return [sa.func.sum(sums.c[f"m{i}"]) for i in range(len(metric_selects()))]


def _with_clients(sums: Any) -> Any:
    """The first pass joined to its projects and their clients (for the currency)."""
    return (sums.join(Project, col(Project.id) == sums.c.project_id)
            .join(Client, col(Client.id) == col(Project.client_id)))


def entry_pass(scope: Scope, actor: policy.Actor, entry_columns: list[str]) -> Any:
    """The entries' sums per `entry_columns` (labelled by name, the sums m0...m4), reading
    the entries table alone."""
    grouped = [col(getattr(TimeEntry, name)) for name in entry_columns]
    labelled: list[Any] = [c.label(n) for c, n in zip(grouped, entry_columns, strict=True)]
    return (sa.select(*labelled, *[m.label(f"m{i}") for i, m in enumerate(metric_selects())])
            .where(*record_conditions(scope, actor, TimeEntry, None))
            .group_by(*(_per_day(grouped[0]) if len(grouped) == 1 else grouped)))


def first_pass(scope: Scope, actor: policy.Actor, entry_columns: list[str], *,
               rollup: bool = True) -> Any:
    """A summary's first pass: sums per `entry_columns` over the period's entries, whole
    months read from the rollup when the query allows (several rows per key then: the
    second pass sums them)."""
    plan = months.plan_for(scope) if rollup else None
    if plan is None:
        return entry_pass(scope, actor, entry_columns)
    parts = [entry_pass(part, actor, entry_columns)
             for part in months.partial_scopes(scope, plan)]
    parts.append(months.month_pass(scope, actor, plan, entry_columns))
    return parts[0] if len(parts) == 1 else sa.union_all(*parts)


#: The entry columns each grouping needs from the first pass.
_ENTRY_COLUMNS = {"project": (), "client": (), "task": ("task_id",), "person": ("user_id",),
                  "agent": ("user_id",), "role": ("user_id",), "source": ("source",)}


def _per_day(project_id: Any) -> list[Any]:
    """The first pass's GROUP BY when it sums per project alone: per day and project.

    The covering index `ix_time_entries_report` is ordered by the day, then the project, so
    SQLite sums each day's projects as it reads them (a few thousand sums for a year)
    instead of sorting a year of entries by project first: a year of the 1M demo by project
    or client ~210 -> ~130 ms. Keys after the project in the index (the person) would make
    that first pass as many rows as the entries, so other groupings keep their sort."""
    return [col(TimeEntry.spent_date), project_id]


def summary(session: Session, scope: Scope, actor: policy.Actor, *,
            rollup: bool = True) -> ReportResult:
    """Hours and money per group (and per second-level group), one row per currency.

    Two passes in one statement: the entries are summed per project (and per person, task
    or source when the grouping needs them) reading the entries table alone (and whole
    months from the rollup `time_entry_months`, unless `rollup` is False), then those few
    sums are joined to projects, clients, people, tasks and roles and summed per group and
    currency, so no entry is joined to anything (half the time of one grouped join).
    """
    q = scope.query
    assert q.group_by is not None
    names = [q.group_by] + ([q.then_by] if q.then_by else [])
    entry_columns = sorted({"project_id"}.union(*(_ENTRY_COLUMNS[n] for n in names)))
    first: Any = first_pass(scope, actor, entry_columns, rollup=rollup)
    by_role = "role" in names
    # By role the totals cannot be the rows' sums (someone with two roles is in two rows):
    # they are read from the same first pass, a common table expression that SQLite and
    # PostgreSQL compute once when it is used twice.
    sums: Any = first.cte("sums") if by_role else first.subquery("sums")
    dims = [dim(n, sums.c) for n in names]
    needs = frozenset().union(*(d.needs for d in dims))
    joined: Any = _with_clients(sums)
    if "user_id" in entry_columns:
        joined = joined.join(User, col(User.id) == sums.c.user_id)
    if "task" in needs:
        joined = joined.outerjoin(Task, col(Task.id) == sums.c.task_id)
    if "role" in needs:
        joined = (joined.outerjoin(UserBusinessRole,
                                   col(UserBusinessRole.user_id) == sums.c.user_id)
                  .outerjoin(BusinessRole,
                             col(BusinessRole.id) == col(UserBusinessRole.role_id)))
    keys = [d.key for d in dims]
    labels = [expr for d in dims for _, expr in d.labels]
    # Grouped by the keys alone (each key decides its labels), which is cheaper than
    # grouping by the label texts too; rows are put in label order afterwards.
    summed = _summed(sums)
    stmt: Any = (sa.select(*keys, *[sa.func.min(expr) for expr in labels],
                           col(Client.currency), *summed)
                 .select_from(joined)
                 .group_by(*keys, col(Client.currency)))
    if by_role:
        whole_stmt = (sa.select(*[sa.null()] * (len(keys) + len(labels)), col(Client.currency),
                                *_summed(sums))
                      .select_from(_with_clients(sums))
                      .group_by(col(Client.currency)))
        stmt = sa.union_all(stmt.add_columns(sa.literal_column("0")),
                            whole_stmt.add_columns(sa.literal_column("1")))
    hidden = hidden_keys(scope.shown)
    label_columns = [c for d in dims for c, _ in d.labels]
    rows: list[dict[str, Any]] = []
    #: Exact integer sums per currency, for the totals (no second query over the entries).
    whole: dict[str, list[int]] = {}
    role_totals: dict[str, list[int]] = {}
    for found in session.execute(stmt).all():
        record = found[:-1] if by_role else found
        if by_role and int(found[-1]) == 1:
            role_totals[record[len(keys) + len(labels)]] = [
                int(v or 0) for v in record[len(keys) + len(labels) + 1:]]
            continue
        key_values = record[:len(keys)]
        label_values = record[len(keys):len(keys) + len(labels)]
        currency = record[len(keys) + len(labels)]
        values = [int(v or 0) for v in record[len(keys) + len(labels) + 1:]]
        into = whole.setdefault(currency, [0] * len(values))
        for n, value in enumerate(values):
            into[n] += value
        row: dict[str, Any] = {c.key: v for c, v in zip(label_columns, label_values,
                                                         strict=True)}
        row["currency"] = currency
        row.update(metric_values(values, currency, hidden))
        row["_keys"] = {d.filter: k for d, k in zip(dims, key_values, strict=True)}
        rows.append(row)
    rows.sort(key=lambda r: (*(str(r[c.key] or "").lower() for c in label_columns),
                             r["currency"]))
    if by_role:   # someone with two roles is in two rows: counted once here
        whole = role_totals
    total_rows = [{"currency": currency, **metric_values(sums_of, currency, hidden)}
                  for currency, sums_of in sorted(whole.items())]
    columns = [*label_columns, Column("currency", "Cur"), *METRICS]
    return ReportResult(kind="time", title=_title(q), columns=columns, rows=rows,
                        totals=total_rows, date_from=scope.date_from, date_to=scope.date_to,
                        hidden=hidden, group_by=q.group_by, then_by=q.then_by)


DETAIL_COLUMNS = (
    Column("date", "Date", "date"),
    Column("person", "Team member"),
    Column("client", "Client"),
    Column("project", "Project"),
    Column("task", "Task"),
    Column("notes", "Notes"),
    Column("hours", "Hours", "hours", True),
    Column("billable", "Billable", "bool"),
    Column("hourly_rate", "Rate", "money"),
    Column("billable_amount", "Amount", "money", True),
    Column("invoice", "Invoice"),
    Column("approval", "Approval"),
    Column("source", "Source"),
    Column("currency", "Cur"),
    Column("id", "ID"),
)


def detailed(session: Session, scope: Scope, actor: policy.Actor, *,
             limit: int | None = None, rollup: bool = True) -> ReportResult:
    """Every entry in the period with its invoice status, oldest first."""
    hidden = hidden_keys(scope.shown)
    stmt = (sa.select(col(TimeEntry.id), col(TimeEntry.spent_date), col(User.name),
                      col(Client.name), col(Project.name),
                      sa.func.coalesce(col(Task.name), NO_TASK), col(TimeEntry.notes),
                      col(TimeEntry.duration_seconds), col(TimeEntry.is_billable),
                      col(TimeEntry.billable_rate), col(Invoice.number),
                      col(TimeEntry.invoice_id), col(TimeEntry.approval_status),
                      col(TimeEntry.source), col(Client.currency))
            .select_from(base_from(TimeEntry, frozenset({"task"})))
            .outerjoin(Invoice, col(Invoice.id) == col(TimeEntry.invoice_id))
            .where(*record_conditions(scope, actor, TimeEntry, Project))
            .order_by(col(TimeEntry.spent_date), col(TimeEntry.created_at),
                      col(TimeEntry.id)))
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = []
    for (entry_id, day, person, client, project, task, notes, secs, billable, rate, number,
         invoice_id, approval, source, currency) in session.execute(stmt).all():
        amount = (money_of(secs * int((rate or 0) * 1_000_000), currency)
                  if billable else Decimal(0))
        rows.append({
            "date": day, "person": person, "client": client, "project": project,
            "task": task, "notes": notes, "hours": hours(secs), "billable": billable,
            "hourly_rate": None if "hourly_rate" in hidden else rate,
            "billable_amount": None if "billable_amount" in hidden else amount,
            "invoice": (number or "draft") if invoice_id else None,
            "approval": str(approval), "source": str(source), "currency": currency,
            "id": entry_id, "_keys": {"id": entry_id},
        })
    total_rows = totals(session, scope, actor, hidden, rollup=rollup)
    for total in total_rows:
        total["hours"] = total["total_hours"]
    return ReportResult(kind="time", title=_title(scope.query), columns=list(DETAIL_COLUMNS),
                        rows=rows, totals=total_rows, date_from=scope.date_from,
                        date_to=scope.date_to, hidden=hidden, detailed=True)


def _title(q: Any) -> str:
    if q.detailed:
        return "Time: detailed"
    return f"Time by {q.group_by}" + (f", then {q.then_by}" if q.then_by else "")
