"""Timesheet reminders: who has unsubmitted time or expenses this period, and nudging them once.

Decisions, where the reference leaves room:

- The period is the workspace week (`week_start`) holding the given day. The reminder and
  the deadline fall on `reminders.day` / `reminders.deadline_day` of that week, at their local
  times in the workspace timezone.
- Once a moment has passed, one notification per person and period is written (kind
  timesheet_reminder or timesheet_deadline, subject "period" = the period's first day); a
  later run finds it and sends nothing again, so a cron job may run every few minutes. When
  both moments have passed, only the later one is sent (no reminder after the deadline).
- Rejected items count as unsubmitted: they must be corrected and submitted again.
- Nothing is sent while approvals are off (there is nothing to submit), nor while reminders
  are off unless forced; `force` also sends before the moment and again to those reminded.
- Agents are users: they are listed and get the in-app notification (their operator reads
  it with the agent's key); they are never emailed (see keito_core.io.email).
- Administrators remind everyone; managers their assigned teammates and themselves; anyone
  else only themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from keito_core.models import Workspace
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.reports.reminders import (
    DEADLINE,
    PERIOD_SUBJECT,
    REMINDER,
    Outstanding,
    Schedule,
    already_notified,
    outstanding,
    parse_kind,
    remindable_user_ids,
    schedule_for,
)
from keito_core.rules import permissions as policy
from keito_core.rules.durations import format_duration_unit
from keito_core.services.inbox.notifications import notify


@dataclass
class ReminderRun:
    """What `run_reminders` found and did."""

    schedule: Schedule
    kind: str | None
    sent: bool
    reason: str | None
    reminders_enabled: bool
    approvals_enabled: bool
    members: list[Outstanding] = field(default_factory=list)

    @property
    def notified(self) -> list[Outstanding]:
        return [m for m in self.members if m.status == "notified"]

    def to_dict(self) -> dict[str, Any]:
        s = self.schedule
        return {
            "period_start": s.period_start,
            "period_end": s.period_end,
            "timezone": s.timezone,
            "reminder_at": s.reminder_at,
            "deadline_at": s.deadline_at,
            "kind": self.kind,
            "sent": self.sent,
            "reason": self.reason,
            "reminders_enabled": self.reminders_enabled,
            "approvals_enabled": self.approvals_enabled,
            "notified": len(self.notified),
            "members": [m.to_dict() for m in self.members],
        }


def _due_kind(schedule: Schedule, kind: str | None, now: datetime, force: bool) -> str | None:
    kinds = [kind] if kind else [REMINDER, DEADLINE]
    passed = [k for k in kinds if schedule.moment(k) <= now]
    if passed:
        return max(passed, key=schedule.moment)
    return (kind or REMINDER) if force else None


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _message(kind: str, member: Outstanding, schedule: Schedule, ws: Workspace) -> tuple[str, str]:
    start, end = schedule.period_start, schedule.period_end
    span = f"{start.day} {start:%b} to {end.day} {end:%b %Y}"
    deadline = schedule.deadline_at.astimezone(ZoneInfo(ws.timezone))
    due = f"{deadline:%A} {deadline.day} {deadline:%b at %H:%M} ({ws.timezone})"
    if kind == DEADLINE:
        title = f"Deadline: submit your timesheet for {span}"
    else:
        title = f"Reminder: submit your timesheet for {span}"
    hours = format_duration_unit(member.seconds, ws.duration_format)
    parts = [f"{_count(member.time_entries, 'time entry', 'time entries')} ({hours})"]
    if not member.time_entries:
        parts = []
    if member.expenses:
        parts.append(_count(member.expenses, "expense", "expenses"))
    body = f"You have {' and '.join(parts)} not yet submitted for {span}."
    if member.rejected:
        body += f" {member.rejected} of them were rejected and need correcting."
    body += f"\nSubmit them by {due}."
    return title, body


def run_reminders(
    session: Session,
    *,
    actor: policy.Actor,
    now: datetime,
    day: date | None = None,
    kind: str | None = None,
    send: bool = True,
    force: bool = False,
) -> ReminderRun:
    """List who has open items in the period of `day` (default today) and remind them once."""
    who = remindable_user_ids(actor)
    ws = get_workspace(session)
    tz = ZoneInfo(ws.timezone)
    schedule = schedule_for(ws, day or now.astimezone(tz).date())
    wanted = parse_kind(kind)
    chosen = _due_kind(schedule, wanted, now, force)
    members = outstanding(session, start=schedule.period_start, end=schedule.period_end,
                          user_ids=who)
    reason = None
    if not send:
        reason = "dry_run"
    elif not ws.feature_approvals:
        reason = "approvals_off"
    elif not ws.reminders_enabled and not force:
        reason = "reminders_off"
    elif chosen is None:
        reason = "not_due"
    run = ReminderRun(schedule=schedule, kind=chosen, sent=reason is None, reason=reason,
                      reminders_enabled=ws.reminders_enabled,
                      approvals_enabled=ws.feature_approvals, members=members)
    if reason is not None or chosen is None:
        if reason == "dry_run" and chosen is not None and not force:
            sent_before = already_notified(session, chosen, schedule)
            for member in members:  # what a real run would do with each
                if member.user_id in sent_before:
                    member.status = "already_notified"
        return run
    # Two cron runs racing on PostgreSQL: the workspace row lock makes the second wait, then
    # see what the first sent. SQLite's write transactions are serialised already.
    session.exec(select(Workspace).with_for_update()).first()
    already = set() if force else already_notified(session, chosen, schedule)
    for member in members:
        if member.user_id in already:
            member.status = "already_notified"
            continue
        title, body = _message(chosen, member, schedule, ws)
        (row,) = notify(session, user_ids=[member.user_id], kind=chosen, title=title, body=body,
                        subject_type=PERIOD_SUBJECT,
                        subject_id=schedule.period_start.isoformat(), now=now)
        session.flush()
        audit.record(session, actor_id=actor.user_id, action="notification.remind", entity=row,
                     changes={"kind": chosen, "user_id": member.user_id,
                              "period_start": schedule.period_start}, now=now)
        member.status, member.notification_id = "notified", row.id
    session.flush()
    return run
