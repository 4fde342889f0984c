"""The read side of approvals: the queue of submissions, one submission in detail, and where a
user's period stands. Results are frozen dataclasses of plain values, aggregated in SQL.

Who sees what: administrators every submission; managers their assigned teammates' and those
holding items on projects they manage; everyone their own. A submission's items are those it
held when submitted (SubmissionItem), with their current values and status: a rejected
submission still lists its items after they are resubmitted in a newer one. Its totals cover
those items; its detail lists the ones the actor may view (a project manager who is not the
owner's manager sees only the items on projects they manage).

Flags (what an approver should look at twice):

- `over_capacity`: the owner's time in the period (every status) exceeds their weekly capacity
  (the user's, else the workspace's), prorated by the period's length in days / 7;
- `long_day`: a day of the submission totals more than LONG_DAY_SECONDS (10 hours);
- `missing_notes`: a time entry or expense without notes;
- `running_timer`: the owner has a timer running on a day of the period (that time is not in
  the submission yet; it joins a later batch once stopped);
- `agent_time`: time entries recorded by an agent (source `agent`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, Source, SubmissionStatus
from keito_core.errors import KeitoError, validation
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Project,
    Submission,
    SubmissionItem,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform.access import filter_user, owner_of, require_named, visibility_clause
from keito_core.platform.clock import utcnow
from keito_core.platform.identity import get_workspace
from keito_core.rules import permissions as policy
from keito_core.rules.approval_flow import may_decide, period_bounds
from keito_core.rules.inputs import check_source, list_bounds
from keito_core.rules.permissions import Action, Scope, Target

#: A day with more time than this is flagged `long_day`.
LONG_DAY_SECONDS = 10 * 3600
FLAGS = ("over_capacity", "long_day", "missing_notes", "running_timer", "agent_time")


@dataclass(frozen=True)
class CurrencyTotal:
    """Expenses of a submission in one currency (their client's)."""

    currency: str
    count: int
    total_cost: Decimal


@dataclass(frozen=True)
class SubmissionSummary:
    """One row of the approval queue."""

    id: str
    user_id: str
    user_name: str
    user_type: str
    period_start: date
    period_end: date
    status: str
    submitted_at: datetime
    decided_at: datetime | None
    decided_by_id: str | None
    decided_by_name: str | None
    reason: str | None
    entry_count: int
    total_seconds: int
    billable_seconds: int
    non_billable_seconds: int
    seconds_by_source: dict[str, int]
    expense_count: int
    expense_totals: tuple[CurrencyTotal, ...]
    period_seconds: int
    capacity_seconds: int
    longest_day_seconds: int
    missing_notes: int
    agent_seconds: int
    running_timer: bool
    flags: tuple[str, ...]
    can_approve: bool
    can_withdraw: bool


@dataclass(frozen=True)
class SubmissionEntry:
    """A time entry of a submission, as the reviewer sees it."""

    id: str
    spent_date: date
    client_name: str | None
    project_id: str
    project_name: str
    task_name: str | None
    notes: str | None
    duration_seconds: int
    is_billable: bool
    source: str
    is_running: bool
    metadata: dict[str, Any]
    approval_status: str
    flags: tuple[str, ...]


@dataclass(frozen=True)
class SubmissionExpense:
    """An expense of a submission, as the reviewer sees it."""

    id: str
    spent_date: date
    client_name: str | None
    project_id: str
    project_name: str
    category_name: str | None
    notes: str | None
    units: Decimal | None
    unit_price: Decimal | None
    total_cost: Decimal
    currency: str | None
    is_billable: bool
    source: str
    metadata: dict[str, Any]
    approval_status: str
    has_receipt: bool
    flags: tuple[str, ...]


@dataclass(frozen=True)
class DailyTotal:
    """Time of a submission on one day."""

    day: date
    seconds: int
    billable_seconds: int
    flags: tuple[str, ...]


@dataclass(frozen=True)
class SubmissionDetail:
    """A submission with its items and daily totals."""

    summary: SubmissionSummary
    entries: tuple[SubmissionEntry, ...]
    expenses: tuple[SubmissionExpense, ...]
    daily_totals: tuple[DailyTotal, ...]


@dataclass(frozen=True)
class StatusTotal:
    """A user's items in one approval status for a period."""

    status: str
    entry_count: int
    seconds: int
    expense_count: int


@dataclass(frozen=True)
class TimesheetStatus:
    """Where a user's period stands: items per status and the submissions touching it."""

    user_id: str
    user_name: str
    period_start: date
    period_end: date
    approvals_enabled: bool
    statuses: tuple[StatusTotal, ...]
    submissions: tuple[SubmissionSummary, ...]
    running_timer: bool
    to_submit: int


def _parse_status(value: str | None) -> SubmissionStatus | None:
    if value is None:
        return None
    try:
        return SubmissionStatus(str(value).strip().lower())
    except ValueError:
        raise validation(f"unknown submission status {value!r}", field="status",
                         hint="use one of " + ", ".join(s.value for s in SubmissionStatus)
                         ) from None


#: The submission an item row was held by, in queries joined through _held.
_SID = col(SubmissionItem.submission_id)


def _held(model: Any) -> Any:
    """SubmissionItem joined to the rows of `model` (TimeEntry or Expense) it records."""
    return sa.join(SubmissionItem, model, col(model.id) == SubmissionItem.item_id)


def _holding(model: Any, condition: Any) -> Any:
    """Submission ids that held at least one item of `model` matching `condition`."""
    return sa.select(_SID).select_from(_held(model)).where(condition)


def _visible(actor: policy.Actor) -> Any:
    """The SQL condition on Submission for the submissions the actor may see (None: all)."""
    policy.require(actor, Action.TIME_ENTRY_VIEW)
    scopes = policy.scopes_for(actor, Action.TIME_ENTRY_VIEW)
    if Scope.ANY in scopes:
        return None
    conditions: list[Any] = [col(Submission.user_id) == actor.user_id]
    if Scope.TEAM in scopes and actor.teammate_ids:
        conditions.append(col(Submission.user_id).in_(sorted(actor.teammate_ids)))
    if Scope.MANAGED in scopes and actor.managed_project_ids:
        managed = sorted(actor.managed_project_ids)
        for model in (TimeEntry, Expense):
            conditions.append(col(Submission.id).in_(
                _holding(model, col(model.project_id).in_(managed))))
    return sa.or_(*conditions)


def list_submissions(session: Session, *, actor: policy.Actor, status: str | None = "submitted",
                     user_ref: str | None = None, source: str | None = None,
                     date_from: date | str | None = None, date_to: date | str | None = None,
                     now: datetime | None = None,
                     newest_first: bool = False) -> list[SubmissionSummary]:
    """Submissions the actor may see, oldest first (or newest first, as the app lists them):
    `status` None for all; `source` keeps those with a time entry or expense of that source;
    dates keep periods overlapping them (`now` lets them be relative: today, -7)."""
    query = select(Submission)
    visible = _visible(actor)
    if visible is not None:
        query = query.where(visible)
    wanted = _parse_status(status)
    if wanted is not None:
        query = query.where(Submission.status == wanted)
    if user_ref is not None:
        query = query.where(
            Submission.user_id == filter_user(session, actor, Action.TIME_ENTRY_VIEW, user_ref))
    if source is not None:
        origin = check_source(source)
        query = query.where(sa.or_(
            col(Submission.id).in_(_holding(TimeEntry, TimeEntry.source == origin)),
            col(Submission.id).in_(_holding(Expense, Expense.source == origin))))
    first, last = list_bounds(date_from, date_to, now, get_workspace(session).timezone)
    if first is not None:
        query = query.where(Submission.period_end >= first)
    if last is not None:
        query = query.where(Submission.period_start <= last)
    if newest_first:
        query = query.order_by(col(Submission.submitted_at).desc(), col(Submission.id).desc())
    else:
        query = query.order_by(col(Submission.submitted_at), col(Submission.id))
    return summarize(session, actor, list(session.exec(query).all()))


def summarize(session: Session, actor: policy.Actor,
              submissions: list[Submission]) -> list[SubmissionSummary]:
    """Summaries of submissions (already checked visible), in a fixed number of queries."""
    if not submissions:
        return []
    ids = [s.id for s in submissions]
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(
        {s.user_id for s in submissions} | {s.decided_by_id for s in submissions
                                            if s.decided_by_id}))).all()}
    capacity_default = get_workspace(session).weekly_capacity_seconds
    # Totals count what the actor may see: a project manager sees the hours of their projects,
    # not the rest of the member's week. Who may decide still looks at every item (pairs).
    entries = _seen(actor, Action.TIME_ENTRY_VIEW, TimeEntry)
    time = _time_totals(session, ids, entries)
    by_source = _by_source(session, ids, entries)
    longest = _longest_days(session, ids, entries)
    money = _expense_totals(session, ids, _seen(actor, Action.EXPENSE_VIEW, Expense))
    period = _period_totals(session, ids, entries)
    pairs = _submission_pairs(session, ids)
    result = []
    for s in submissions:
        owner = users[s.user_id]
        decider = users.get(s.decided_by_id) if s.decided_by_id else None
        count, total, billable, missing_entries, agent = time.get(s.id, (0, 0, 0, 0, 0))
        expense_rows = money.get(s.id, [])
        missing = missing_entries + sum(missing_x for *_, missing_x in expense_rows)
        period_seconds, running = period.get(s.id, (0, False))
        days = (s.period_end - s.period_start).days + 1
        weekly = owner.weekly_capacity_seconds
        capacity = (capacity_default if weekly is None else weekly) * days // 7
        flags = tuple(name for name, on in (
            ("over_capacity", period_seconds > capacity),
            ("long_day", longest.get(s.id, 0) > LONG_DAY_SECONDS),
            ("missing_notes", missing > 0), ("running_timer", running),
            ("agent_time", agent > 0)) if on)
        own_pairs = pairs.get(s.id, set())
        result.append(SubmissionSummary(
            id=s.id, user_id=s.user_id, user_name=owner.name, user_type=str(owner.user_type),
            period_start=s.period_start, period_end=s.period_end, status=str(s.status),
            submitted_at=s.submitted_at, decided_at=s.decided_at, decided_by_id=s.decided_by_id,
            decided_by_name=decider.name if decider else None, reason=s.reason,
            entry_count=count, total_seconds=total, billable_seconds=billable,
            non_billable_seconds=total - billable, seconds_by_source=by_source.get(s.id, {}),
            expense_count=sum(c.count for c, _ in expense_rows),
            expense_totals=tuple(c for c, _ in expense_rows), period_seconds=period_seconds,
            capacity_seconds=capacity, longest_day_seconds=longest.get(s.id, 0),
            missing_notes=missing, agent_seconds=agent, running_timer=running, flags=flags,
            can_approve=s.status == SubmissionStatus.SUBMITTED and may_decide(
                actor, Action.TIMESHEET_APPROVE, s.user_id, own_pairs),
            can_withdraw=s.status == SubmissionStatus.APPROVED and may_decide(
                actor, Action.APPROVAL_WITHDRAW, s.user_id, own_pairs)))
    return result


def _seen(actor: policy.Actor, action: Action, model: Any) -> Any:
    """The rows of `model` the actor may see, as a SQL condition (true: all of them)."""
    visible = visibility_clause(actor, action, model)
    return sa.true() if visible is None else visible


def _no_notes(model: Any) -> Any:
    return sa.case((sa.or_(col(model.notes).is_(None), model.notes == ""), 1), else_=0)


def _time_totals(session: Session, ids: list[str],
                 seen: Any) -> dict[str, tuple[int, int, int, int, int]]:
    """(count, seconds, billable seconds, entries without notes, agent seconds) per submission."""
    seconds = col(TimeEntry.duration_seconds)
    rows = session.execute(sa.select(
        _SID, sa.func.count(), sa.func.sum(seconds),
        sa.func.sum(sa.case((col(TimeEntry.is_billable), seconds), else_=0)),
        sa.func.sum(_no_notes(TimeEntry)),
        sa.func.sum(sa.case((col(TimeEntry.source) == Source.AGENT, seconds), else_=0)),
    ).select_from(_held(TimeEntry)).where(_SID.in_(ids), seen).group_by(_SID)).all()
    return {sid: (int(n), int(t or 0), int(b or 0), int(m or 0), int(a or 0))
            for sid, n, t, b, m, a in rows if sid}


def _by_source(session: Session, ids: list[str], seen: Any) -> dict[str, dict[str, int]]:
    rows = session.execute(sa.select(
        _SID, col(TimeEntry.source), sa.func.sum(col(TimeEntry.duration_seconds)),
    ).select_from(_held(TimeEntry)).where(_SID.in_(ids), seen)
        .group_by(_SID, col(TimeEntry.source))).all()
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for sid, origin, seconds in rows:
        found[sid][str(origin)] = int(seconds or 0)
    return {sid: dict(sorted(v.items())) for sid, v in found.items()}


def _day_totals_query(ids: list[str], seen: Any) -> Any:
    return sa.select(
        _SID.label("sid"), col(TimeEntry.spent_date).label("day"),
        sa.func.sum(col(TimeEntry.duration_seconds)).label("seconds"),
        sa.func.sum(sa.case((col(TimeEntry.is_billable), col(TimeEntry.duration_seconds)),
                            else_=0)).label("billable"),
    ).select_from(_held(TimeEntry)).where(_SID.in_(ids), seen).group_by(
        _SID, col(TimeEntry.spent_date))


def _longest_days(session: Session, ids: list[str], seen: Any) -> dict[str, int]:
    days = _day_totals_query(ids, seen).subquery()
    rows = session.execute(
        sa.select(days.c.sid, sa.func.max(days.c.seconds)).group_by(days.c.sid)).all()
    return {sid: int(seconds or 0) for sid, seconds in rows}


def _expense_totals(session: Session, ids: list[str],
                    seen: Any) -> dict[str, list[tuple[CurrencyTotal, int]]]:
    """Per submission: (totals in one currency, expenses without notes) per currency."""
    rows = session.execute(sa.select(
        _SID, col(Client.currency), sa.func.count(),
        sa.func.sum(col(Expense.total_cost)), sa.func.sum(_no_notes(Expense)),
    ).select_from(_held(Expense))
        .join(Project, col(Project.id) == Expense.project_id)
        .join(Client, col(Client.id) == Project.client_id)
        .where(_SID.in_(ids), seen)
        .group_by(_SID, col(Client.currency))
        .order_by(col(Client.currency))).all()
    found: dict[str, list[tuple[CurrencyTotal, int]]] = defaultdict(list)
    for sid, currency, n, total, missing in rows:
        found[sid].append((CurrencyTotal(currency=currency, count=int(n),
                                         total_cost=Decimal(total or 0)), int(missing or 0)))
    return found


def _period_totals(session: Session, ids: list[str], seen: Any) -> dict[str, tuple[int, bool]]:
    """(the owner's seconds in the period the actor may see, any timer running there) per
    submission."""
    rows = session.execute(sa.select(
        col(Submission.id), sa.func.sum(col(TimeEntry.duration_seconds)),
        sa.func.sum(sa.case((col(TimeEntry.is_running), 1), else_=0)),
    ).join(TimeEntry, sa.and_(col(TimeEntry.user_id) == Submission.user_id,
                              col(TimeEntry.spent_date) >= Submission.period_start,
                              col(TimeEntry.spent_date) <= Submission.period_end))
        .where(col(Submission.id).in_(ids), seen).group_by(col(Submission.id))).all()
    return {sid: (int(seconds or 0), bool(running)) for sid, seconds, running in rows}


def _submission_pairs(session: Session, ids: list[str]) -> dict[str, set[tuple[str, str]]]:
    """The distinct (owner, project) pairs of each submission's items."""
    found: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for model in (TimeEntry, Expense):
        rows = session.execute(
            sa.select(_SID, col(model.user_id), col(model.project_id))
            .select_from(_held(model)).where(_SID.in_(ids)).distinct()).all()
        for sid, owner, project in rows:
            found[sid].add((owner, project))
    return found


def _load_visible(session: Session, actor: policy.Actor, submission_id: str) -> Submission:
    submission = session.get(Submission, (submission_id or "").strip())
    if submission is None:
        raise KeitoError("not_found", f"submission {submission_id!r} not found", field="id")
    visible = _visible(actor)
    if visible is not None and session.exec(
            select(Submission.id).where(Submission.id == submission.id, visible)).first() is None:
        require_named(session, actor, Action.TIME_ENTRY_VIEW,
                      Target(owner_id=submission.user_id))
        owner = session.get(User, submission.user_id)
        whose = f"{owner.name}'s" if owner else "this"
        raise KeitoError("authorization_error",
                         f"you may not view {whose} submission for {submission.period_start} "
                         f"to {submission.period_end}")
    return submission


def get_submission(session: Session, *, actor: policy.Actor,
                   submission_id: str) -> SubmissionDetail:
    """One submission the actor may see, with its entries, expenses, daily totals and flags."""
    submission = _load_visible(session, actor, submission_id)
    summary = summarize(session, actor, [submission])[0]
    seen = _seen(actor, Action.TIME_ENTRY_VIEW, TimeEntry)
    days = session.execute(_day_totals_query([submission.id], seen).order_by("day")).all()
    long_days = {d for _, d, seconds, _ in days if seconds > LONG_DAY_SECONDS}
    daily = tuple(DailyTotal(day=d, seconds=int(s), billable_seconds=int(b),
                             flags=("long_day",) if d in long_days else ())
                  for _, d, s, b in days)
    return SubmissionDetail(summary=summary, entries=_entries(session, actor, submission.id,
                                                             long_days),
                            expenses=_expenses(session, actor, submission.id),
                            daily_totals=daily)


def _item_flags(notes: str | None, source: Any, *extra: tuple[str, bool]) -> tuple[str, ...]:
    checks = (("missing_notes", not notes), ("agent_time", str(source) == Source.AGENT.value),
              *extra)
    return tuple(name for name, on in checks if on)


def _entries(session: Session, actor: policy.Actor, submission_id: str,
             long_days: set[date]) -> tuple[SubmissionEntry, ...]:
    query = (sa.select(TimeEntry, col(Project.name), col(Client.name), col(Task.name))
             .select_from(_held(TimeEntry))
             .join(Project, col(Project.id) == TimeEntry.project_id)
             .join(Client, col(Client.id) == Project.client_id)
             .outerjoin(Task, col(Task.id) == TimeEntry.task_id)
             .where(col(SubmissionItem.submission_id) == submission_id)
             .order_by(col(TimeEntry.spent_date), col(TimeEntry.id)))
    visible = visibility_clause(actor, Action.TIME_ENTRY_VIEW, TimeEntry)
    if visible is not None:
        query = query.where(visible)
    return tuple(SubmissionEntry(
        id=e.id, spent_date=e.spent_date, client_name=client, project_id=e.project_id,
        project_name=project, task_name=task, notes=e.notes, duration_seconds=e.duration_seconds,
        is_billable=e.is_billable, source=str(e.source), is_running=e.is_running,
        metadata=dict(e.meta or {}), approval_status=str(e.approval_status),
        flags=_item_flags(e.notes, e.source, ("long_day", e.spent_date in long_days),
                          ("running_timer", e.is_running)))
        for e, project, client, task in session.execute(query).all())


def _expenses(session: Session, actor: policy.Actor,
              submission_id: str) -> tuple[SubmissionExpense, ...]:
    query = (sa.select(Expense, col(Project.name), col(Client.name), col(Client.currency),
                       col(ExpenseCategory.name))
             .select_from(_held(Expense))
             .join(Project, col(Project.id) == Expense.project_id)
             .join(Client, col(Client.id) == Project.client_id)
             .outerjoin(ExpenseCategory, col(ExpenseCategory.id) == Expense.category_id)
             .where(col(SubmissionItem.submission_id) == submission_id)
             .order_by(col(Expense.spent_date), col(Expense.id)))
    visible = visibility_clause(actor, Action.EXPENSE_VIEW, Expense)
    if visible is not None:
        query = query.where(visible)
    return tuple(SubmissionExpense(
        id=x.id, spent_date=x.spent_date, client_name=client, project_id=x.project_id,
        project_name=project, category_name=category, notes=x.notes, units=x.units,
        unit_price=x.unit_price, total_cost=x.total_cost, currency=currency,
        is_billable=x.is_billable, source=str(x.source), metadata=dict(x.meta or {}),
        approval_status=str(x.approval_status), has_receipt=x.receipt_path is not None,
        flags=_item_flags(x.notes, x.source))
        for x, project, client, currency, category in session.execute(query).all())


def timesheet_status(session: Session, *, actor: policy.Actor, date_from: date | str,
                     date_to: date | str, user_ref: str | None = None,
                     now: datetime | None = None) -> TimesheetStatus:
    """A user's items per approval status in the period, and the submissions touching it."""
    moment = now or utcnow()
    owner = owner_of(session, actor, user_ref, now=moment)
    policy.require(actor, Action.TIME_ENTRY_VIEW,
                   Target(owner_id=owner.user.id, owner_name=owner.user.name))
    first, last = period_bounds(date_from, date_to, today=owner.today)
    counts: dict[str, list[int]] = {s.value: [0, 0, 0] for s in ApprovalStatus}
    in_period = (TimeEntry.user_id == owner.user.id, col(TimeEntry.spent_date) >= first,
                 col(TimeEntry.spent_date) <= last)
    for status, n, seconds in session.exec(select(
            TimeEntry.approval_status, sa.func.count(),
            sa.func.sum(col(TimeEntry.duration_seconds))).where(*in_period)
            .group_by(col(TimeEntry.approval_status))).all():
        counts[str(status)][0:2] = [int(n), int(seconds or 0)]
    for status, n in session.exec(select(Expense.approval_status, sa.func.count()).where(
            Expense.user_id == owner.user.id, col(Expense.spent_date) >= first,
            col(Expense.spent_date) <= last).group_by(col(Expense.approval_status))).all():
        counts[str(status)][2] = int(n)
    running = session.exec(select(TimeEntry.id).where(*in_period, col(TimeEntry.is_running))
                           ).first() is not None
    touching = list(session.exec(select(Submission).where(
        Submission.user_id == owner.user.id, Submission.period_end >= first,
        Submission.period_start <= last).order_by(col(Submission.submitted_at),
                                                  col(Submission.id))).all())
    statuses = tuple(StatusTotal(status=s, entry_count=c[0], seconds=c[1], expense_count=c[2])
                     for s, c in counts.items())
    waiting = sum(counts[s][0] + counts[s][2] for s in ("unsubmitted", "rejected"))
    return TimesheetStatus(
        user_id=owner.user.id, user_name=owner.user.name, period_start=first, period_end=last,
        approvals_enabled=owner.workspace.feature_approvals, statuses=statuses,
        submissions=tuple(summarize(session, actor, touching)), running_timer=running,
        to_submit=waiting)
