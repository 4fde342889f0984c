"""What the day view shows, as plain frozen values, and the lock rule its entries follow.

Kept apart from keito_core.reports.day (the SQL) so that the app's start-up path and
keito_core.fastpath.day can build and show a day without importing SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from keito_core.enums import ApprovalStatus, Source
from keito_core.rules.locking import lock_reason, locked_error

#: Source filters: a name -> the sources it keeps (None keeps every source).
SOURCE_FILTERS: dict[str, frozenset[Source] | None] = {
    "all": None,
    "human": frozenset({Source.TUI, Source.WEB}),
    "cli": frozenset({Source.CLI}),
    "api": frozenset({Source.API}),
    "agent": frozenset({Source.AGENT}),
}


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
