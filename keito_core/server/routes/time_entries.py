"""API v2 routes: time entries, with stop and restart (openapi-v2.yaml, Time Entries).

Over the same services as `keito time`; the shape is keito_core.server.shapes_time's (how
sources, tasks, locking and metadata read in v2). Where the spec and the command line differ,
API callers get the spec and the command line keeps its behaviour:

- **A second timer**: POST with `is_running: true` while the user's timer runs answers 409
  unless `replace_running: true`, which stops and saves the running one first (the command
  line always replaces). The database's one-running-timer index is the guard: of concurrent
  starts one wins and the others get 409.
- **Restart resumes the same entry** (`resume_entry`): it runs again with its hours so far
  kept, where `keito time restart` starts a new entry like it. 409 while another timer runs,
  unless `replace_running`.
- **A PATCH that sets `hours` or `ended_time` on a running entry stops it** (hours: that
  total; ended_time: stopped at that time of its start day). `is_running: false` (the
  reference's v1 pattern) stops it too; `is_running: true` on a stopped entry is a 400 that
  points at restart.
- **Metadata merges** on PATCH as a JSON Merge Patch (RFC 7396): objects merge key by key at
  every depth (so the SDK's AgentMetadata sections, a model's name at the start and its
  tokens at the stop, add up), a member set to null is removed, any other value replaces;
  `metadata: null` clears it all.
- **Zero hours** are allowed (agent outcome entries log 0 hours); the command line refuses
  them.
- **`source`** defaults to `api` and never changes (a PATCH with a different one: 400);
  `calendar` and `desktop` are kept as shapes_time says.
- **Visibility**: an entry the actor may not read (the rows `keito time list` would not show
  them) is 404, as if it did not exist, on every path; an entry they may read but not change
  (a manager without "edit team entries") is 403. Locked or approved entries: 409 on DELETE,
  403 on PATCH (which declares no 409) and on stop; restart declares 409.
- **Fields** in errors are the v2 names (project_id, task_id, hours, started_time, ...).
- **Not served as the spec allows**: a PATCH moving an entry to another project is a 400
  (Keito never moves an entry between projects: its rates, team and budget are the
  project's; delete and log again).

List filters compare IDs (an unknown one lists nothing: the list declares no 404); a bad
filter value is a 400 naming it.

A POST needs `hours` (0 to 24), or `started_time` and `ended_time`, or `is_running: true`.
The list is newest first (spent_date, then creation), counted and sliced in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.errors import KeitoError, validation
from keito_core.models import TimeEntry
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Target
from keito_core.server import shapes_time as shapes
from keito_core.server.call import Call, route
from keito_core.server.paging import envelope, page_of, page_rows
from keito_core.server.shapes_input import stored_sources, tracked_filters

PATH = "/api/v2/time_entries"
ITEM = PATH + "/{id}"

#: Service fields, as the v2 body names them.
_FIELDS = {"project": "project_id", "task": "task_id", "duration": "hours",
           "start": "started_time", "end": "ended_time", "user": "user_id",
           "meta": "metadata", "is_billable": "billable"}
_REPLACE_HINT = ("send replace_running: true to stop it first, or stop it with "
                 "PATCH /api/v2/time_entries/{id}/stop")


@contextmanager
def _v2_fields() -> Iterator[None]:
    """Service errors with the v2 body's field names (and the v2 way out of a running
    timer)."""
    try:
        yield
    except KeitoError as error:
        if error.field in _FIELDS:
            error.field = _FIELDS[error.field]
        if error.code == "conflict" and error.field == "timer":
            error.hint = _REPLACE_HINT
        raise


# --- the JSON body, typed --------------------------------------------------------------------


def _wrong(name: str, kind: str, value: Any) -> KeitoError:
    return validation(f"{name} must be {kind}, not {type(value).__name__} {value!r}"[:200],
                      field=name)


def _text(body: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise validation(f"{name} is required", field=name)
        return None
    if not isinstance(value, str):
        raise _wrong(name, "a string", value)
    if required and not value.strip() and name != "task_id":
        raise validation(f"{name} is required", field=name)
    return value


def _flag(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _wrong(name, "true or false", value)
    return value


def _day(body: dict[str, Any], name: str, *, required: bool = False) -> date | None:
    text = _text(body, name, required=required)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise validation(f"{name} must be a date (YYYY-MM-DD), not {text!r}"[:200],
                         field=name) from None


def _hours(body: dict[str, Any]) -> str | None:
    """`hours` (a number from 0 to 24) as the exact duration text the services parse."""
    from keito_core.api.resources import hours_text

    value = body.get("hours")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _wrong("hours", "a number", value)
    if not 0 <= value <= 24:
        raise validation(f"hours must be from 0 to 24, not {value}", field="hours")
    return hours_text(value)


def _source(body: dict[str, Any], default: str | None = "api") -> str | None:
    source = _text(body, "source")
    if source is None:
        return default
    if source not in shapes.SOURCES:
        raise validation(f"unknown source {source!r}"[:200], field="source",
                         hint="one of " + ", ".join(shapes.SOURCES))
    return source


def _metadata(body: dict[str, Any]) -> dict[str, Any] | None:
    value = body.get("metadata")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _wrong("metadata", "a JSON object", value)
    if shapes.CLIENT_SOURCE_KEY in value:
        raise validation(f"metadata key {shapes.CLIENT_SOURCE_KEY!r} is Keito's own",
                         field="metadata", hint="keeps a calendar or desktop source; use "
                         "another key")
    return value


# --- reading -------------------------------------------------------------------------------


def _visible(call: Call) -> TimeEntry:
    """The path's entry, when the actor may read it (else not_found, as if it did not
    exist)."""
    entry_id = call.path["id"]
    entry = call.session.get(TimeEntry, entry_id)
    if entry is None or not policy.can(call.actor, Action.TIME_ENTRY_VIEW, Target(
            owner_id=entry.user_id, project_id=entry.project_id)):
        raise KeitoError("not_found", f"time entry {entry_id!r} not found", field="id")
    return entry


def _sources_clause(text: str) -> Any:
    """Entries of any of the comma-separated v2 sources."""
    meta = col(TimeEntry.meta)[shapes.CLIENT_SOURCE_KEY].as_string()
    conditions: list[Any] = []
    for name in (part.strip() for part in text.split(",")):
        if name not in shapes.SOURCES:
            raise validation(f"unknown source {name!r}"[:200], field="source",
                             hint="one of " + ", ".join(shapes.SOURCES))
        if name in shapes.CLIENT_SOURCES:
            conditions.append(sa.and_(col(TimeEntry.source) == "api", meta == name))
        elif name == "api":
            conditions.append(sa.and_(col(TimeEntry.source) == "api", sa.or_(
                meta.is_(None), meta.not_in(sorted(shapes.CLIENT_SOURCES)))))
        else:
            conditions.append(col(TimeEntry.source).in_(stored_sources(name)))
    return sa.or_(*conditions)


def _filters(call: Call) -> list[Any]:
    """The WHERE conditions of a list: what the actor may read, and the query's filters."""
    conditions = tracked_filters(call, TimeEntry, Action.TIME_ENTRY_VIEW)
    task_id = call.text("task_id")
    if task_id is not None:
        conditions.append(col(TimeEntry.task_id) == task_id)
    running = call.flag("is_running")
    if running is not None:
        conditions.append(col(TimeEntry.is_running).is_(running))
    sources = call.text("source")
    if sources is not None:
        conditions.append(_sources_clause(sources))
    return conditions


@route("GET", PATH, errors=(401,))
def list_time_entries(call: Call) -> dict[str, Any]:
    """A page of the entries the actor may read, newest first."""
    page = page_of(call)
    query = (sa.select(TimeEntry).where(*_filters(call))
             .order_by(col(TimeEntry.spent_date).desc(), col(TimeEntry.created_at).desc(),
                       col(TimeEntry.id).desc()))
    total, rows = page_rows(call.session, query, page)
    return envelope(call, page, total, "time_entries", shapes.time_entries(
        call.session, call.actor, [row[0] for row in rows], call.now))


# --- writing -------------------------------------------------------------------------------


@route("POST", PATH, errors=(400, 401, 403, 404, 409))
def create_time_entry(call: Call) -> dict[str, Any]:
    """Log hours, a start and end time, or start a timer (`is_running`)."""
    from keito_core.services.tracking.time_entries import log_time, start_timer

    body = call.body
    project_id = _text(body, "project_id", required=True)
    task_id = _text(body, "task_id", required=True)
    spent_date = _day(body, "spent_date", required=True)
    user_id, notes = _text(body, "user_id"), _text(body, "notes")
    hours, billable = _hours(body), _flag(body, "billable")
    running, replace = _flag(body, "is_running"), _flag(body, "replace_running")
    started, ended = _text(body, "started_time"), _text(body, "ended_time")
    source, marker = shapes.stored_source(_source(body) or "api")
    meta = {**(_metadata(body) or {}), **marker}
    assert project_id is not None and spent_date is not None
    with _v2_fields():
        if running:
            if hours is not None and float(hours) != 0:
                raise validation("a running timer starts at 0 hours", field="hours",
                                 hint="leave hours out (or send 0) with is_running: true")
            for name, value in (("started_time", started), ("ended_time", ended)):
                if value is not None:
                    raise validation(f"a running timer starts now: leave {name} out",
                                     field=name)
            entry = start_timer(
                call.session, actor=call.actor, project_ref=project_id, task_ref=task_id,
                notes=notes, billable=billable, source=source, meta=meta, now=call.now,
                user_ref=user_id, replace_running=bool(replace), spent_date=spent_date).entry
        else:
            if hours is None and started is None and ended is None:
                raise validation("give hours, started_time and ended_time, or is_running: "
                                 "true", field="hours", hint="hours may be 0 (an outcome)")
            entry = log_time(
                call.session, actor=call.actor, project_ref=project_id, task_ref=task_id,
                duration=hours, start=started, end=ended, spent_date=spent_date, notes=notes,
                billable=billable, source=source, meta=meta, now=call.now, user_ref=user_id,
                allow_zero=True)
    return shapes.time_entry(call.session, call.actor, entry, call.now)


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`target` with `patch` applied as a JSON Merge Patch (RFC 7396)."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict):
            base = merged.get(key)
            merged[key] = merge_patch(base if isinstance(base, dict) else {}, value)
        else:
            merged[key] = value
    return merged


def _changes(entry: TimeEntry, body: dict[str, Any]) -> dict[str, Any]:
    """What a PATCH body asks of edit_entry."""
    given, shown = _source(body, default=None), shapes.shown_source(entry.source, entry.meta)
    if given is not None and given != shown:
        raise validation(f"source cannot change (it is {shown!r})", field="source")
    changes: dict[str, Any] = {
        "project_ref": _text(body, "project_id"), "task_ref": _text(body, "task_id"),
        "spent_date": _day(body, "spent_date"), "duration": _hours(body),
        "billable": _flag(body, "billable"), "start": _text(body, "started_time"),
        "end": _text(body, "ended_time")}
    if "notes" in body:
        changes["notes"] = _text(body, "notes") or ""
    if "metadata" in body:
        given_meta = _metadata(body)
        kept = shapes.kept_marker(entry.source, entry.meta)
        changes["meta"] = kept if given_meta is None else {
            **merge_patch(shapes.client_metadata(entry.source, entry.meta), given_meta),
            **kept}
    wants_running = _flag(body, "is_running")
    if wants_running and not entry.is_running:
        raise validation("a stopped entry does not run again by PATCH", field="is_running",
                         hint="restart it: PATCH /api/v2/time_entries/{id}/restart")
    if entry.is_running and (wants_running is False or changes["duration"] is not None
                             or changes["end"] is not None):
        changes["is_running"] = False
    return changes


@route("PATCH", ITEM, errors=(400, 403, 404))
def update_time_entry(call: Call) -> dict[str, Any]:
    """Change the given fields; hours or ended_time on a running entry stop it."""
    from keito_core.services.tracking.time_entries import edit_entry

    entry = _visible(call)
    changes = _changes(entry, call.body)
    with _v2_fields():
        entry = edit_entry(call.session, actor=call.actor, entry_id=entry.id, now=call.now,
                           allow_zero=True, **changes)
    return shapes.time_entry(call.session, call.actor, entry, call.now)


@route("PATCH", ITEM + "/stop", errors=(400, 403, 404))
def stop_time_entry(call: Call) -> dict[str, Any]:
    """Stop a running entry: the time it ran, measured here (rounded as the workspace
    rounds)."""
    from keito_core.services.tracking.time_entries import edit_entry

    entry = _visible(call)
    notes = _text(call.body, "notes")
    if not entry.is_running:
        raise validation("this time entry is not running", field="id",
                         hint="restart it: PATCH /api/v2/time_entries/{id}/restart")
    with _v2_fields():
        entry = edit_entry(call.session, actor=call.actor, entry_id=entry.id, now=call.now,
                           is_running=False, notes=notes)
    return shapes.time_entry(call.session, call.actor, entry, call.now)


@route("PATCH", ITEM + "/restart", errors=(400, 403, 404, 409))
def restart_time_entry(call: Call) -> dict[str, Any]:
    """Run a stopped entry again (the same entry, its hours so far kept)."""
    from keito_core.services.tracking.timers import resume_entry

    entry = _visible(call)
    replace = _flag(call.body, "replace_running")
    with _v2_fields():
        resumed = resume_entry(call.session, actor=call.actor, entry_id=entry.id,
                               replace_running=bool(replace), now=call.now).entry
    return shapes.time_entry(call.session, call.actor, resumed, call.now)


@route("DELETE", ITEM, errors=(403, 404, 409))
def delete_time_entry(call: Call) -> None:
    """Delete an entry (a running one too); locked or approved ones: 409."""
    from keito_core.services.tracking.time_entries import delete_entry

    entry = _visible(call)
    with _v2_fields():
        delete_entry(call.session, actor=call.actor, entry_id=entry.id, now=call.now)
