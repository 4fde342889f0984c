"""The app's first screen, read with the standard library's sqlite3.

`keito` opens on the day view. Through the ORM its first read pays for importing SQLAlchemy,
SQLModel and every table class (about half a second on the machines we measure), which would
keep a 100,000-entry workspace's day off the screen for well over a second. This module reads
the header's summary and the day in plain SQL against the same tables, in a few milliseconds:
the same columns and the same totals' SQL as keito_core.reports.day, built into the same values
by the same functions (keito_core.reports.day_values), and the header's
keito_tui.app.values.WorkspaceSummary fields. The app then reads again
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

from keito_core.errors import KeitoError
from keito_core.fastpath.status import (
    NotHandled,
    acting_user,
    actor_of,
    entry_values,
    one,
    snapshot,
)
from keito_core.platform.runtime import Runtime
from keito_core.reports.day_values import (
    DAY_AND_WEEK_SQL,
    ENTRY_COLUMNS,
    SOURCE_FILTERS,
    DayReport,
    LockFacts,
    capacity_seconds,
    day_entry,
    day_frame,
    running_timer_of,
)
from keito_core.rules import permissions as policy

__all__ = ["NotHandled", "day_report", "workspace_summary"]

#: The day view's entries with their client, project and task names, as reports.day joins them.
_ENTRIES = f"""
    SELECT {", ".join(f"e.{column}" for column in ENTRY_COLUMNS)},
           c.name AS client_name, p.name AS project_name, t.name AS task_name
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
    try:
        frame = day_frame(user_timezone=user["timezone"], workspace_timezone=workspace["timezone"],
                          week_start=workspace["week_start"], now=now, day=day)
    except KeitoError as exc:
        raise NotHandled(exc.message) from exc
    totals = connection.execute(DAY_AND_WEEK_SQL, {
        "day": frame.day.isoformat(), "user_id": user_row["id"],
        "week_first": frame.week_first.isoformat(), "week_last": frame.week_last.isoformat(),
    }).fetchone()
    sources = SOURCE_FILTERS[source_filter]
    where = "e.user_id = ? AND e.spent_date = ?"
    params: list[Any] = [user_row["id"], frame.day.isoformat()]
    if sources is not None:
        ordered = sorted(sources)
        where += f" AND e.source IN ({', '.join('?' * len(ordered))})"
        params += [str(source) for source in ordered]
    rows = connection.execute(
        f"{_ENTRIES} WHERE {where} ORDER BY e.created_at, e.id", params).fetchall()
    lock = LockFacts(today=frame.today, lock_after_days=workspace["lock_after_days"],
                     approvals_enabled=bool(workspace["feature_approvals"]))
    running = one(connection, f"{_ENTRIES} WHERE e.user_id = ? AND e.is_running = 1",
                  user_row["id"])
    return DayReport(
        user_id=user_row["id"], user_name=user_row["name"], day=frame.day, today=frame.today,
        timezone=frame.timezone, duration_format=workspace["duration_format"],
        week_first=frame.week_first, week_last=frame.week_last,
        entries=tuple(day_entry(entry_values(row), lock) for row in rows),
        day_seconds=int(totals[0]), week_seconds=int(totals[1]),
        capacity_seconds=capacity_seconds(user["weekly_capacity_seconds"],
                                          workspace["weekly_capacity_seconds"]),
        running=running_timer_of(None if running is None else entry_values(running)),
        source_filter=source_filter,
    )
