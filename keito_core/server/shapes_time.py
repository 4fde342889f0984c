"""The API v2's TimeEntry, built from the presenter's shape (keito_core.presenters.time_entry):
which rates a viewer sees is decided there, once; this module only renames and reshapes.

How Keito's entries read in the v2 shape, where the two differ:

- `source`: the spec's enum is web, cli, api, agent, calendar, desktop. Keito's own terminal app
  writes `tui`, which API v2 clients see as `web` (the reference's name for the app people
  use). The database keeps its five sources (tui, web, cli, api, agent): an entry a client
  sends as `calendar` or `desktop` is stored as `api` with the sent source in its metadata
  under `api_source` (`CLIENT_SOURCE_KEY`), which is how `keito time list` shows it. The v2
  shape answers the sent source again and leaves the key out of `metadata`; a client may not
  set that key itself (metadata_too_large counts it, being stored).
- `task_id`/`task`: the spec's TimeEntry has a task (a string, not nullable) and the official
  SDK requires one, while the command line may log without a task on projects that do not bill
  by task: such an entry reads `task_id: ""` and `task: {"id": "", "name": null}`; a PATCH with
  `task_id: ""` removes an entry's task the same way.
- `is_locked`: the full locking decision an edit would meet (invoiced, approved, submitted while
  approvals are on, older than the workspace's lock-after days; an administrator's unlock lifts
  all but invoiced). `is_closed`: the approval workflow holds it, as Harvest's "approved via
  timesheet approval": approved, or submitted while approvals are on, and not unlocked by an
  administrator (invoicing does not close an entry; it bills it: `is_billed`).
- `budgeted`: the entry's project has a budget (budget_by is not none).
- `hours`: exact to the second (up to 6 decimals); a running timer's hours so far.
  `started_time`/`ended_time`: "HH:mm" in the owner's timezone (else the workspace's); null for
  an entry logged by duration, and `ended_time` null while it runs.
- `metadata`: null when the entry has none.
- `billable_rate`/`cost_rate`: numbers, or null when the policy hides them from the viewer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from keito_core import presenters as public
from keito_core.enums import BudgetBy
from keito_core.models import Project, Task, TimeEntry, User
from keito_core.platform.identity import get_workspace
from keito_core.rules.locking import item_lock_reason, lock_reason
from keito_core.rules.periods import local_date, parse_timezone
from keito_core.rules.permissions import Actor
from keito_core.server.shapes_input import source_out

#: The sources the spec names, in its order.
SOURCES = ("web", "cli", "api", "agent", "calendar", "desktop")
#: Sources the database has no value for: stored as `api`, the sent one kept in metadata.
CLIENT_SOURCES = frozenset({"calendar", "desktop"})
#: The metadata key holding a client's `calendar` or `desktop` source.
CLIENT_SOURCE_KEY = "api_source"


def stored_source(source: str) -> tuple[str, dict[str, str]]:
    """(the database's source, metadata to add) for a v2 source."""
    if source in CLIENT_SOURCES:
        return "api", {CLIENT_SOURCE_KEY: source}
    return source, {}


def shown_source(source: str, meta: dict[str, Any] | None) -> str:
    """The v2 source of an entry stored with `source` and `meta`."""
    if source == "api" and meta and meta.get(CLIENT_SOURCE_KEY) in CLIENT_SOURCES:
        return str(meta[CLIENT_SOURCE_KEY])
    return source_out(source)


def client_metadata(source: str, meta: dict[str, Any] | None) -> dict[str, Any]:
    """The metadata a client sees: without the marker of its calendar or desktop source."""
    shown = dict(meta or {})
    if shown_source(source, shown) in CLIENT_SOURCES:
        shown.pop(CLIENT_SOURCE_KEY, None)
    return shown


def kept_marker(source: str, meta: dict[str, Any] | None) -> dict[str, Any]:
    """The part of an entry's stored metadata clients never see (kept through their edits)."""
    stored = dict(meta or {})
    if shown_source(source, stored) in CLIENT_SOURCES:
        return {CLIENT_SOURCE_KEY: stored[CLIENT_SOURCE_KEY]}
    return {}


def _clock(moment: Any) -> str | None:
    return moment.strftime("%H:%M") if moment is not None else None


def time_entries(session: Session, viewer: Actor, entries: list[TimeEntry],
                 now: datetime) -> list[dict[str, Any]]:
    """The v2 TimeEntry of each entry as `viewer` sees it, with three lookups for the lot."""
    if not entries:
        return []
    workspace = get_workspace(session)
    user_ids = sorted({e.user_id for e in entries})
    project_ids = sorted({e.project_id for e in entries})
    task_ids = sorted({e.task_id for e in entries if e.task_id})
    users = {row[0]: row for row in session.exec(
        select(User.id, User.name, User.timezone).where(col(User.id).in_(user_ids))).all()}
    projects = {row[0]: row for row in session.exec(
        select(Project.id, Project.name, Project.budget_by)
        .where(col(Project.id).in_(project_ids))).all()}
    tasks = dict(session.exec(
        select(Task.id, Task.name).where(col(Task.id).in_(task_ids))).all()) if task_ids else {}
    shapes = []
    for e in entries:
        _, user_name, zone_name = users[e.user_id]
        zone = zone_name or workspace.timezone
        today = local_date(now, parse_timezone(zone))
        locked = item_lock_reason(workspace, e, today) is not None
        closed = lock_reason(approval_status=e.approval_status, invoiced=False,
                             spent_date=e.spent_date, today=today, lock_after_days=None,
                             admin_unlocked=e.unlocked_at is not None,
                             approvals_enabled=workspace.feature_approvals) is not None
        _, project_name, budget_by = projects[e.project_id]
        view = public.time_entry(
            e, viewer=viewer, now=now, timezone=zone, locked=locked,
            user={"id": e.user_id, "name": user_name},
            project={"id": e.project_id, "name": project_name},
            task={"id": e.task_id, "name": tasks.get(e.task_id)} if e.task_id else None)
        metadata = client_metadata(e.source, view["metadata"])
        shapes.append({
            "id": view["id"],
            "user_id": view["user_id"],
            "project_id": view["project_id"],
            "task_id": view["task_id"] or "",
            "user": view["user"],
            "project": view["project"],
            "task": view["task"] or {"id": "", "name": None},
            "spent_date": view["spent_date"],
            "hours": view["hours"],
            "notes": view["notes"],
            "is_running": view["is_running"],
            "timer_started_at": view["timer_started_at"],
            "started_time": _clock(view["started_time"]),
            "ended_time": None if e.is_running else _clock(view["ended_time"]),
            "is_locked": view["is_locked"],
            "is_closed": closed,
            "is_billed": view["invoice_id"] is not None,
            "billable": view["is_billable"],
            "budgeted": BudgetBy(budget_by) is not BudgetBy.NONE,
            "billable_rate": view.get("billable_rate"),
            "cost_rate": view.get("cost_rate"),
            "source": shown_source(e.source, e.meta),
            "metadata": metadata or None,
            "created_at": view["created_at"],
            "updated_at": view["updated_at"],
        })
    return shapes


def time_entry(session: Session, viewer: Actor, entry: TimeEntry,
               now: datetime) -> dict[str, Any]:
    """One entry's v2 TimeEntry as `viewer` sees it."""
    return time_entries(session, viewer, [entry], now)[0]
