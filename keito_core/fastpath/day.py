"""The app's first screen, read with the standard library's sqlite3.

`keito` opens on the day view. Through the ORM its first read pays for importing SQLAlchemy,
SQLModel and every table class (about half a second on the machines we measure), which would
keep a 100,000-entry workspace's day off the screen for well over a second. This module reads
the header's summary and the day with the same queries in plain SQL against the same tables
and returns the same values (keito_tui.app.values.WorkspaceSummary's fields and
keito_core.reports.day_values.DayReport), in a few milliseconds. The app then reads again
through the ORM in the background, which loads it for everything else.

Like keito_core.fastpath.status it only reads, and only answers when it can answer exactly as the
full path (keito_tui.app.loaders.find_workspace, keito_core.reports.day.day_report) would:
a SQLite file at the head schema, the acting user found and active, no API key use due to be
recorded, and the policy allowing the read. Otherwise it raises NotHandled and the caller runs
the full path. tests/core/test_lean_day.py checks that both give equal values.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.fastpath.status import NotHandled, acting_user, actor_of, instant, one, snapshot
from keito_core.platform.runtime import Runtime
from keito_core.reports.day_values import (
    SOURCE_FILTERS,
    DayEntry,
    DayReport,
    RunningTimer,
    entry_lock,
)
from keito_core.rules import permissions as policy
from keito_core.rules.periods import local_date, parse_timezone, week_bounds

__all__ = ["NotHandled", "day_report", "workspace_summary"]

#: The columns of the day view's queries: an entry with its client, project and task names.
_ENTRY_COLUMNS = """
    e.id, e.project_id, e.task_id, e.notes, e.duration_seconds, e.is_billable, e.source,
    e.is_running, e.timer_started_at, e.started_at, e.ended_at, e.approval_status,
    e.invoice_id, e.unlocked_at, e.spent_date, c.name AS client_name,
    p.name AS project_name, t.name AS task_name
    FROM time_entries e
    JOIN projects p ON p.id = e.project_id
    JOIN clients c ON c.id = p.client_id
    LEFT JOIN tasks t ON t.id = e.task_id
"""


def workspace_summary(runtime: Runtime, *, now: datetime) -> dict[str, str] | None:
    """The workspace's name, currency and timezone and the acting user's name, role and type
    (WorkspaceSummary's fields), or None when there is no workspace file yet."""
    if not runtime.database_exists():
        return None
    with snapshot(runtime) as (connection, api_key):
        workspace = one(connection, "SELECT name, currency, timezone FROM workspace")
        if workspace is None:
            raise NotHandled("no workspace row")
        user = acting_user(connection, api_key=api_key, now=now)
        return {"name": workspace["name"], "currency": workspace["currency"],
                "timezone": workspace["timezone"], "user_name": user["name"],
                "user_role": user["role"], "user_type": user["user_type"]}


def day_report(runtime: Runtime, *, day: date | None, now: datetime,
               source_filter: str = "all") -> DayReport:
    """keito_core.reports.day.day_report for the acting user, or NotHandled."""
    if source_filter not in SOURCE_FILTERS:
        raise NotHandled("an unknown source filter is the full path's error to report")
    with snapshot(runtime) as (connection, api_key):
        return _day_report(connection, api_key=api_key, day=day, now=now,
                           source_filter=source_filter)


def _day_report(connection: sqlite3.Connection, *, api_key: str | None, day: date | None,
                now: datetime, source_filter: str) -> DayReport:
    user_row = acting_user(connection, api_key=api_key, now=now)
    try:
        policy.require(actor_of(user_row), policy.Action.TIME_ENTRY_VIEW,
                       policy.Target(owner_id=user_row["id"]))
    except KeitoError as exc:
        raise NotHandled(exc.message) from exc
    workspace = one(connection, """
        SELECT timezone, week_start, duration_format, weekly_capacity_seconds,
               lock_after_days, feature_approvals FROM workspace""")
    user = one(connection, "SELECT timezone, weekly_capacity_seconds FROM users WHERE id = ?",
               user_row["id"])
    if workspace is None or user is None:
        raise NotHandled("no workspace row")
    tz_name = user["timezone"] or workspace["timezone"]
    try:
        today = local_date(now, parse_timezone(tz_name))
    except KeitoError as exc:
        raise NotHandled(exc.message) from exc
    shown = today if day is None else day
    first, last = week_bounds(shown, workspace["week_start"])
    totals = one(connection, """
        SELECT COALESCE(SUM(CASE WHEN spent_date = ? THEN duration_seconds ELSE 0 END), 0),
               COALESCE(SUM(duration_seconds), 0)
        FROM time_entries WHERE user_id = ? AND spent_date >= ? AND spent_date <= ?""",
                 shown.isoformat(), user_row["id"], first.isoformat(), last.isoformat())
    sources = SOURCE_FILTERS[source_filter]
    where = "e.user_id = ? AND e.spent_date = ?"
    params: list[Any] = [user_row["id"], shown.isoformat()]
    if sources is not None:
        ordered = sorted(sources)
        where += f" AND e.source IN ({', '.join('?' * len(ordered))})"
        params += [str(source) for source in ordered]
    rows = connection.execute(
        f"SELECT {_ENTRY_COLUMNS} WHERE {where} ORDER BY e.created_at, e.id", params).fetchall()
    lock_facts = {"today": today, "lock_after_days": workspace["lock_after_days"],
                  "approvals_enabled": bool(workspace["feature_approvals"])}
    capacity = user["weekly_capacity_seconds"]
    return DayReport(
        user_id=user_row["id"], user_name=user_row["name"], day=shown, today=today,
        timezone=tz_name, duration_format=workspace["duration_format"], week_first=first,
        week_last=last, entries=tuple(_entry(row, lock_facts) for row in rows),
        day_seconds=int(totals[0]), week_seconds=int(totals[1]),
        capacity_seconds=workspace["weekly_capacity_seconds"] if capacity is None else capacity,
        running=_running(connection, user_row["id"]), source_filter=source_filter,
    )


def _entry(row: sqlite3.Row, lock_facts: dict[str, Any]) -> DayEntry:
    running = bool(row["is_running"])
    lock, message = entry_lock(
        approval_status=row["approval_status"], invoiced=row["invoice_id"] is not None,
        spent_date=date.fromisoformat(row["spent_date"]), is_running=running,
        unlocked=row["unlocked_at"] is not None, **lock_facts)
    return DayEntry(
        id=row["id"], client=row["client_name"], project=row["project_name"],
        project_id=row["project_id"], task=row["task_name"], task_id=row["task_id"],
        notes=row["notes"], duration_seconds=row["duration_seconds"],
        is_billable=bool(row["is_billable"]), source=str(Source(row["source"])),
        is_running=running,
        timer_started_at=instant(row["timer_started_at"]) if running else None,
        started_at=instant(row["started_at"]), ended_at=instant(row["ended_at"]),
        lock_reason=lock, lock_message=message,
    )


def _running(connection: sqlite3.Connection, user_id: str) -> RunningTimer | None:
    row = one(connection, f"SELECT {_ENTRY_COLUMNS} WHERE e.user_id = ? AND e.is_running = 1",
              user_id)
    if row is None:
        return None
    started = instant(row["timer_started_at"]) or instant(row["started_at"])
    if started is None:  # pragma: no cover - running entries always have a start
        return None
    return RunningTimer(entry_id=row["id"], client=row["client_name"],
                        project=row["project_name"], task=row["task_name"], notes=row["notes"],
                        spent_date=date.fromisoformat(row["spent_date"]),
                        timer_started_at=started)
