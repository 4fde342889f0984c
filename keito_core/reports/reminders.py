"""Timesheet reminders, the read side: the schedule of a period, who has unsubmitted time or
expenses in it, whom an actor may remind, and who was already reminded.

keito_core.services.approvals.reminders sends the reminders; its docstring states the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, UserStatus, WeekDay
from keito_core.errors import forbidden, validation
from keito_core.models import Expense, Notification, TimeEntry, User, Workspace
from keito_core.rules import permissions as policy
from keito_core.rules.periods import week_bounds
from keito_core.rules.permissions import Action, Scope

REMINDER = "timesheet_reminder"
DEADLINE = "timesheet_deadline"
KINDS = {"reminder": REMINDER, "deadline": DEADLINE}
PERIOD_SUBJECT = "period"
_OPEN = (ApprovalStatus.UNSUBMITTED, ApprovalStatus.REJECTED)


@dataclass(frozen=True)
class Schedule:
    """A period and the UTC instants of its reminder and deadline."""

    period_start: date
    period_end: date
    reminder_at: datetime
    deadline_at: datetime
    timezone: str

    def moment(self, kind: str) -> datetime:
        return self.reminder_at if kind == REMINDER else self.deadline_at


def _moment(first: date, week_start: WeekDay, day: WeekDay, hhmm: str, tz: ZoneInfo) -> datetime:
    offset = (WeekDay(day).weekday_number - WeekDay(week_start).weekday_number) % 7
    hours, minutes = (int(part) for part in hhmm.split(":"))
    local = datetime.combine(first + timedelta(days=offset), time(hours, minutes), tzinfo=tz)
    return local.astimezone(UTC)


def schedule_for(workspace: Workspace, day: date) -> Schedule:
    """The reminder schedule of the workspace week holding `day`."""
    tz = ZoneInfo(workspace.timezone)
    first, last = week_bounds(day, workspace.week_start)
    return Schedule(
        period_start=first,
        period_end=last,
        reminder_at=_moment(first, workspace.week_start, workspace.reminder_day,
                            workspace.reminder_time, tz),
        deadline_at=_moment(first, workspace.week_start, workspace.deadline_day,
                            workspace.deadline_time, tz),
        timezone=workspace.timezone,
    )


def parse_kind(value: str | None) -> str | None:
    """`reminder` or `deadline` (or the full kind names); None means whichever is due."""
    if value is None:
        return None
    word = value.strip().lower()
    kind = KINDS.get(word) or (word if word in KINDS.values() else None)
    if kind is None:
        raise validation(f"unknown reminder kind: {value!r}", field="kind",
                         hint="use reminder or deadline")
    return kind


@dataclass
class Outstanding:
    """One person's open (unsubmitted or rejected) items in the period."""

    user_id: str
    name: str
    email: str
    user_type: str
    time_entries: int
    seconds: int
    expenses: int
    rejected: int
    status: str = "pending"
    notification_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "email": self.email,
            "user_type": self.user_type,
            "time_entries": self.time_entries,
            "hours": (Decimal(self.seconds) / 3600).quantize(Decimal("0.01")),
            "expenses": self.expenses,
            "rejected": self.rejected,
            "status": self.status,
            "notification_id": self.notification_id,
        }


def _counts(model: Any, start: date, end: date, *, seconds: bool) -> Any:
    rejected = sa.func.sum(sa.case((model.approval_status == ApprovalStatus.REJECTED, 1),
                                   else_=0))
    duration = sa.func.sum(model.duration_seconds) if seconds else sa.literal(0)
    return (
        sa.select(model.user_id.label("user_id"), sa.func.count().label("item_count"),
                  duration.label("seconds"), rejected.label("rejected"))
        .where(model.spent_date >= start, model.spent_date <= end,
               col(model.approval_status).in_(_OPEN))
        .group_by(model.user_id)
        .subquery()
    )


def outstanding(
    session: Session, *, start: date, end: date, user_ids: frozenset[str] | None
) -> list[Outstanding]:
    """Active users with unsubmitted or rejected entries or expenses between the dates."""
    te = _counts(TimeEntry, start, end, seconds=True)
    ex = _counts(Expense, start, end, seconds=False)
    query = (
        sa.select(col(User.id), col(User.name), col(User.email), col(User.user_type),
                  sa.func.coalesce(te.c.item_count, 0), sa.func.coalesce(te.c.seconds, 0),
                  sa.func.coalesce(ex.c.item_count, 0),
                  sa.func.coalesce(te.c.rejected, 0) + sa.func.coalesce(ex.c.rejected, 0))
        .outerjoin(te, te.c.user_id == User.id)
        .outerjoin(ex, ex.c.user_id == User.id)
        .where(col(User.status) == UserStatus.ACTIVE,
               sa.or_(te.c.item_count.is_not(None), ex.c.item_count.is_not(None)))
        .order_by(sa.func.lower(User.name), User.id)
    )
    if user_ids is not None:
        query = query.where(col(User.id).in_(sorted(user_ids)))
    return [
        Outstanding(user_id=uid, name=name, email=email, user_type=str(utype),
                    time_entries=int(entries), seconds=int(secs), expenses=int(expenses),
                    rejected=int(rejected))
        for uid, name, email, utype, entries, secs, expenses, rejected in session.execute(query)
    ]


def remindable_user_ids(actor: policy.Actor) -> frozenset[str] | None:
    """Whom the actor may remind: None is everyone (administrators)."""
    if not actor.is_active:
        raise forbidden("an inactive user may not send reminders")
    scopes = policy.scopes_for(actor, Action.TIMESHEET_APPROVE)
    if Scope.ANY in scopes:
        return None
    if Scope.TEAM in scopes:
        return actor.teammate_ids | {actor.user_id}
    return frozenset({actor.user_id})


def already_notified(session: Session, kind: str, schedule: Schedule) -> set[str]:
    query = select(Notification.user_id).where(
        Notification.kind == kind,
        Notification.subject_type == PERIOD_SUBJECT,
        Notification.subject_id == schedule.period_start.isoformat(),
    )
    return set(session.exec(query).all())


