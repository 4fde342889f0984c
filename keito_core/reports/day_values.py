"""What the day view shows, as plain frozen values, and how both reads of a day build them.

keito_core.reports.day reads through the ORM; keito_core.fastpath.day reads the same tables with
plain sqlite3 for the app's first screen. Both select ENTRY_COLUMNS, sum with DAY_AND_WEEK_SQL
and build their values here, so this module never imports SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from keito_core.enums import ApprovalStatus, Source, WeekDay
from keito_core.rules.locking import lock_reason, locked_error
from keito_core.rules.periods import local_date, parse_timezone, week_bounds

#: Source filters: a name -> the sources it keeps (None keeps every source).
SOURCE_FILTERS: dict[str, frozenset[Source] | None] = {
    "all": None,
    "human": frozenset({Source.TUI, Source.WEB}),
    "cli": frozenset({Source.CLI}),
    "api": frozenset({Source.API}),
    "agent": frozenset({Source.AGENT}),
}

#: The time_entries columns a day's entries and its running timer are built from; a row also
#: carries the names `client_name`, `project_name` and `task_name`.
ENTRY_COLUMNS = (
    "id", "project_id", "task_id", "notes", "duration_seconds", "is_billable", "source",
    "is_running", "timer_started_at", "started_at", "ended_at", "approval_status", "invoice_id",
    "unlocked_at", "spent_date",
)

#: Finished seconds a user logged on :day and in the week [:week_first, :week_last].
DAY_AND_WEEK_SQL = """
    SELECT COALESCE(SUM(CASE WHEN spent_date = :day THEN duration_seconds ELSE 0 END), 0),
           COALESCE(SUM(duration_seconds), 0)
    FROM time_entries
    WHERE user_id = :user_id AND spent_date >= :week_first AND spent_date <= :week_last
"""


@dataclass(frozen=True)
class DayEntry:
    """One entry as the day view lists it."""

    id: str
    client: str
    project: str
    project_id: str
    task: str | None
    task_id: str | None
    notes: str | None
    duration_seconds: int
    is_billable: bool
    source: str
    is_running: bool
    #: When a running timer started (UTC); None for finished entries.
    timer_started_at: datetime | None
    started_at: datetime | None
    ended_at: datetime | None
    #: Why the entry is read-only (invoiced, approved, submitted, auto_locked), or None.
    lock_reason: str | None
    #: The `locked` error's message and hint a change would get, or None.
    lock_message: str | None


@dataclass(frozen=True)
class RunningTimer:
    """The user's running timer, whatever day it is dated."""

    entry_id: str
    client: str
    project: str
    task: str | None
    notes: str | None
    spent_date: date
    timer_started_at: datetime


@dataclass(frozen=True)
class DayReport:
    """Everything the day view shows for one user and one date."""

    user_id: str
    user_name: str
    day: date
    today: date
    timezone: str
    duration_format: str
    week_first: date
    week_last: date
    entries: tuple[DayEntry, ...]
    #: Finished time on the day and in its week, in seconds (a running timer counts 0 here).
    day_seconds: int
    week_seconds: int
    capacity_seconds: int
    running: RunningTimer | None
    source_filter: str
    #: The workspace's clock, 24h or 12h, for the times the entry forms show.
    time_format: str = "24h"


@dataclass(frozen=True)
class TaskChoice:
    id: str
    name: str
    billable: bool


@dataclass(frozen=True)
class ProjectChoice:
    """A project the user may log to, with its active tasks."""

    id: str
    client: str
    name: str
    handle: str
    billable: bool
    tasks: tuple[TaskChoice, ...]

    @property
    def label(self) -> str:
        return f"{self.client} › {self.name}"


def entry_lock(*, approval_status: ApprovalStatus | str, invoiced: bool, spent_date: date,
               is_running: bool, unlocked: bool, today: date, lock_after_days: int | None,
               approvals_enabled: bool) -> tuple[str | None, str | None]:
    """Why an entry is read-only and the `locked` message a change would get (None, None when
    it is editable). A running timer is judged on its own date, so it never auto-locks."""
    reason = lock_reason(approval_status=approval_status, invoiced=invoiced,
                         spent_date=spent_date, today=spent_date if is_running else today,
                         lock_after_days=lock_after_days, admin_unlocked=unlocked,
                         approvals_enabled=approvals_enabled)
    if reason is None:
        return None, None
    error = locked_error(reason, noun="time entry", spent_date=spent_date,
                         lock_after_days=lock_after_days)
    return reason, f"{error.message} ({error.hint})" if error.hint else error.message


@dataclass(frozen=True)
class DayFrame:
    """Which day a read shows, in whose timezone, and the week around it."""

    timezone: str
    today: date
    day: date
    week_first: date
    week_last: date


def day_frame(*, user_timezone: str | None, workspace_timezone: str, week_start: WeekDay | str,
              now: datetime, day: date | None) -> DayFrame:
    """The frame of `day` (None: the user's today at `now`), in the user's or else the
    workspace's timezone."""
    tz_name = user_timezone or workspace_timezone
    today = local_date(now, parse_timezone(tz_name))
    shown = today if day is None else day
    first, last = week_bounds(shown, week_start)
    return DayFrame(timezone=tz_name, today=today, day=shown, week_first=first, week_last=last)


def capacity_seconds(user_seconds: int | None, workspace_seconds: int) -> int:
    """A user's weekly capacity: their own, else the workspace's."""
    return workspace_seconds if user_seconds is None else user_seconds


@dataclass(frozen=True)
class LockFacts:
    """The workspace's facts an entry's lock depends on."""

    today: date
    lock_after_days: int | None
    approvals_enabled: bool


def day_entry(row: Any, lock: LockFacts) -> DayEntry:
    """A DayEntry from a row holding ENTRY_COLUMNS as the model's values and the three names."""
    reason, message = entry_lock(
        approval_status=row.approval_status, invoiced=row.invoice_id is not None,
        spent_date=row.spent_date, is_running=row.is_running,
        unlocked=row.unlocked_at is not None, today=lock.today,
        lock_after_days=lock.lock_after_days, approvals_enabled=lock.approvals_enabled)
    return DayEntry(
        id=row.id, client=row.client_name, project=row.project_name,
        project_id=row.project_id, task=row.task_name, task_id=row.task_id, notes=row.notes,
        duration_seconds=row.duration_seconds, is_billable=row.is_billable,
        source=str(row.source), is_running=row.is_running,
        timer_started_at=row.timer_started_at if row.is_running else None,
        started_at=row.started_at, ended_at=row.ended_at,
        lock_reason=reason, lock_message=message,
    )


def running_timer_of(row: Any) -> RunningTimer | None:
    """The RunningTimer of a running entry's row (as day_entry reads it), or None for no row."""
    if row is None:
        return None
    started = row.timer_started_at or row.started_at
    if started is None:  # pragma: no cover - running entries always have a start
        return None
    return RunningTimer(entry_id=row.id, client=row.client_name, project=row.project_name,
                        task=row.task_name, notes=row.notes, spent_date=row.spent_date,
                        timer_started_at=started)


def matching_entries(entries: tuple[DayEntry, ...], search: str) -> tuple[DayEntry, ...]:
    """The entries whose project, client, task or notes hold every word of `search`
    (case-insensitive; an empty search keeps them all)."""
    words = search.casefold().split()
    if not words:
        return entries
    return tuple(entry for entry in entries
                 if all(word in " ".join((entry.project, entry.client, entry.task or "",
                                          entry.notes or "")).casefold() for word in words))
