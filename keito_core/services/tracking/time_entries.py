"""Time entries: log, list, show, edit, delete and copy; timers live in services/timers.py.

Rules every save follows:

- Who: the actor logs for themselves, or for `user_ref` when the policy lets them act for
  that user (time_entry.create/edit/delete on the owner's records). The owner must be on the
  project's team (`project_not_assigned`); archived projects and tasks take no new entries,
  and a task must be enabled on the project. A task is optional, except on a billable
  project that bills by task (the task gives the rate).
- When: `spent_date` is the owner's local date (the user's timezone, else the workspace's),
  from 2000-01-01 to a year after today; a future date is saved with a warning (see
  keito_core.platform.notices).
  A start/end entry spans wall-clock times on its start day; an end at or before the start is
  the next day (23:00-01:00 lasts 2 h, dated on the start day), and DST nights last their
  real length. `started_at`/`ended_at` are stored in UTC.
- Rounding (the workspace's increment, to the nearest multiple; see
  keito_core.rules.rounding) applies once, on save: when an entry is logged, stopped, or its
  duration itself changes in an edit; it then sets `is_rounded`. Edits that leave the
  duration alone never round it again. The stored duration is the rounded one; `started_at`
  and `ended_at` keep the real clock times.
- Notes: at most 10,000 characters; when the workspace requires notes, logging, copying,
  stopping or editing the notes to empty needs them.
- Locking: approved, invoiced, submitted (with approvals on) or auto-locked entries cannot be
  edited or deleted (`locked`, see keito_core.rules.locking), and no entry may be logged,
  copied or moved onto a day the workspace has already auto-locked.
- Billing: billable status from the entry's choice, else the task (the project's override,
  else the task's default), never on non-billable projects; the billable rate (by project,
  task or person) and the owner's cost rate are captured at save and recaptured when the
  task or the billable choice changes. Non-billable entries have no billable rate.
- `source` is set at creation and never changes; `meta` is a JSON object of at most 4 KB.
- Zero durations are refused unless the caller passes `allow_zero=True` (the API v2 logs
  zero-hour outcome entries); the command line never does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, Source
from keito_core.errors import validation
from keito_core.models import Project, ProjectTask, Task, TimeEntry
from keito_core.platform import audit
from keito_core.platform.access import Owner, filter_user, owner_by_id, owner_of, visibility_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_project, find_task
from keito_core.platform.paging import Page, paginate
from keito_core.rules import permissions as policy
from keito_core.rules.durations import (
    MAX_DURATION_SECONDS,
    local_span,
    parse_clock,
    parse_duration,
)
from keito_core.rules.inputs import check_source, list_bounds, parse_approval, parse_day
from keito_core.rules.metadata import validate_metadata
from keito_core.rules.permissions import Action
from keito_core.services.tracking.budget_alerts import check_budgets
from keito_core.services.tracking.entry_context import (
    apply_rounding,
    capture_billing,
    check_notes,
    check_work_day,
    clean_notes,
    load_item,
    loggable_project,
    new_entry,
    open_for_edit,
    project_task,
    refuse_locked_day,
    require_logging,
    round_increment,
)
from keito_core.services.tracking.timers import (
    StartResult,
    discard_entry,
    finish_timer,
    restart_entry,
    running_timer,
    start_timer,
    stop_timer,
)

__all__ = [
    "EDITABLE",
    "Page",
    "StartResult",
    "copy_entry",
    "delete_entry",
    "edit_entry",
    "get_entry",
    "list_entries",
    "log_time",
    "restart_entry",
    "running_timer",
    "start_timer",
    "stop_timer",
]

_NOUN = "time entry"
#: The changes edit_entry accepts.
EDITABLE = frozenset({"task_ref", "duration", "start", "end", "spent_date", "notes", "billable",
                      "meta", "project_ref", "is_running"})


def _seconds(duration: Any, allow_zero: bool = False) -> int:
    """Seconds in a duration given as text (1.5, 1:30, 90m) or a number of hours."""
    text = duration if isinstance(duration, str) else str(duration)
    return parse_duration(text, allow_zero=allow_zero)


def _span(day: date, start: str | time, end: str | time,
          tz: ZoneInfo) -> tuple[int, datetime, datetime]:
    """(seconds, UTC start, UTC end) of clock times on `day`; an earlier end is the next day."""
    start_clock = start if isinstance(start, time) else parse_clock(start, field="start")
    end_clock = end if isinstance(end, time) else parse_clock(end, field="end")
    began, ended = local_span(day, start_clock, end_clock, tz)
    return int((ended - began).total_seconds()), began, ended


def _measure(duration: Any, start: str | None, end: str | None, day: date, tz: ZoneInfo,
             allow_zero: bool = False) -> tuple[int, datetime | None, datetime | None]:
    """An entry's length from a duration, or from start and end clock times (not both)."""
    if start is not None or end is not None:
        if duration is not None:
            raise validation("give either a duration or start and end times, not both",
                             field="duration")
        if start is None or end is None:
            raise validation("give both a start and an end time",
                             field="start" if start is None else "end",
                             hint="e.g. --start 9:00 --end 10:30")
        return _span(day, start, end, tz)
    if duration is None:
        raise validation("give a duration, or start and end times", field="duration",
                         hint="e.g. --hours 1.5, --hours 1:30, or --start 23:00 --end 01:00")
    return _seconds(duration, allow_zero), None, None


def log_time(session: Session, *, actor: policy.Actor, project_ref: str,
             task_ref: str | None = None, duration: str | None = None, start: str | None = None,
             end: str | None = None, spent_date: str | date | None = None,
             notes: str | None = None, billable: bool | None = None, source: Source | str,
             meta: dict[str, Any] | None = None, now: datetime,
             user_ref: str | None = None, allow_zero: bool = False) -> TimeEntry:
    """Log a finished block of time by duration or by start and end times."""
    owner = owner_of(session, actor, user_ref, now=now)
    project = loggable_project(session, project_ref)
    require_logging(actor, Action.TIME_ENTRY_CREATE, owner, project)
    task, assignment = project_task(session, project, task_ref)
    origin, metadata, text = check_source(source), validate_metadata(meta), clean_notes(notes)
    workspace = owner.workspace
    day = parse_day(spent_date, today=owner.today)
    check_work_day(session, day, owner)
    seconds, began, ended = _measure(duration, start, end, day, owner.tz, allow_zero)
    check_notes(workspace, text, doing="log")
    refuse_locked_day(workspace, day, owner.today, noun=_NOUN)
    seconds, rounded = apply_rounding(seconds, round_increment(workspace))
    billing = capture_billing(session, project=project, task=task, assignment=assignment,
                              owner=owner.user, billable=billable)
    entry = new_entry(session, actor=actor, owner=owner, project=project, task=task,
                      billing=billing, spent_date=day, seconds=seconds, notes=text,
                      source=origin, meta=metadata, now=now, started_at=began, ended_at=ended,
                      rounded=rounded)
    check_budgets(session, project_id=project.id, task_id=entry.task_id, user_id=entry.user_id,
                  spent_dates=[day], now=now, actor=actor)
    return entry


def get_entry(session: Session, *, actor: policy.Actor, entry_id: str) -> TimeEntry:
    """One entry the actor may see."""
    entry: TimeEntry = load_item(session, TimeEntry, entry_id, actor=actor,
                                 action=Action.TIME_ENTRY_VIEW, noun=_NOUN)
    return entry


def list_entries(session: Session, *, actor: policy.Actor, date_from: str | date | None = None,
                 date_to: str | date | None = None, project_ref: str | None = None,
                 task_ref: str | None = None, user_ref: str | None = None,
                 source: Source | str | None = None, is_running: bool | None = None,
                 billable: bool | None = None, approval: ApprovalStatus | str | None = None,
                 limit: int = 50, cursor: str | None = None,
                 now: datetime | None = None) -> Page:
    """Entries the actor may see, newest spent_date first, filtered and paged in SQL.

    Members see their own; managers also their teammates' and those on projects they manage;
    administrators everyone's. `now` lets date bounds be relative (today, -7).
    """
    query = select(TimeEntry)
    visible = visibility_clause(actor, Action.TIME_ENTRY_VIEW, TimeEntry)
    if visible is not None:
        query = query.where(visible)
    first, last = list_bounds(date_from, date_to, now, get_workspace(session).timezone)
    if first is not None:
        query = query.where(TimeEntry.spent_date >= first)
    if last is not None:
        query = query.where(TimeEntry.spent_date <= last)
    if user_ref is not None:
        query = query.where(TimeEntry.user_id == filter_user(session, actor,
                                                             Action.TIME_ENTRY_VIEW, user_ref))
    if project_ref is not None:
        query = query.where(TimeEntry.project_id == find_project(session, project_ref).id)
    if task_ref is not None:
        query = query.where(TimeEntry.task_id == find_task(session, task_ref).id)
    if source is not None:
        query = query.where(TimeEntry.source == check_source(source))
    if is_running is not None:
        query = query.where(TimeEntry.is_running == is_running)
    if billable is not None:
        query = query.where(TimeEntry.is_billable == billable)
    if approval is not None:
        query = query.where(TimeEntry.approval_status == parse_approval(approval))
    return paginate(session, query, kind="time_entry", date_column=col(TimeEntry.spent_date),
                    id_column=col(TimeEntry.id), limit=limit, cursor=cursor)


def _local_clock(instant: datetime | None, tz: ZoneInfo, field: str) -> time:
    if instant is None:
        raise validation(f"this entry has no {field} time: give both start and end",
                         field=field)
    return instant.astimezone(tz).time().replace(microsecond=0)


def _timing(session: Session, entry: TimeEntry, owner: Owner,
            changes: dict[str, Any], allow_zero: bool = False) -> dict[str, Any]:
    """New date, times and duration from an edit (rounded when the duration changes)."""
    values: dict[str, Any] = {}
    day = entry.spent_date
    if "spent_date" in changes:
        day = parse_day(changes["spent_date"], today=owner.today)
        if day != entry.spent_date:
            check_work_day(session, day, owner)
            refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
        values["spent_date"] = day
    seconds: int | None = None
    if "start" in changes or "end" in changes:
        if "duration" in changes:
            raise validation("give either a duration or start and end times, not both",
                             field="duration")
        start = changes.get("start") or _local_clock(entry.started_at, owner.tz, "start")
        end = changes.get("end") or _local_clock(entry.ended_at, owner.tz, "end")
        seconds, values["started_at"], values["ended_at"] = _span(day, start, end, owner.tz)
    elif "duration" in changes:
        seconds = _seconds(changes["duration"], allow_zero)
        if entry.started_at is not None:
            began = entry.started_at
            if day != entry.spent_date:
                local = entry.started_at.astimezone(owner.tz).replace(tzinfo=None)
                began = datetime.combine(day, local.time(), tzinfo=owner.tz).astimezone(UTC)
                values["started_at"] = began
            values["ended_at"] = began + timedelta(seconds=seconds)
    elif day != entry.spent_date and entry.started_at and entry.ended_at:
        _, values["started_at"], values["ended_at"] = _span(
            day, _local_clock(entry.started_at, owner.tz, "start"),
            _local_clock(entry.ended_at, owner.tz, "end"), owner.tz)
    if seconds is not None:
        values["duration_seconds"], values["is_rounded"] = apply_rounding(
            seconds, round_increment(owner.workspace))
    return values


def _billing(session: Session, entry: TimeEntry, owner: Owner, project: Project,
             changes: dict[str, Any]) -> dict[str, Any]:
    """The task, billable status and billable rate after an edit of either."""
    if "task_ref" not in changes and "billable" not in changes:
        return {}
    if "task_ref" in changes:
        task, assignment = project_task(session, project, changes["task_ref"])
    else:
        task = session.get(Task, entry.task_id) if entry.task_id else None
        assignment = session.exec(select(ProjectTask).where(
            ProjectTask.project_id == project.id, ProjectTask.task_id == entry.task_id)
        ).first() if task else None
    choice = changes.get("billable", entry.is_billable)
    billing = capture_billing(session, project=project, task=task, assignment=assignment,
                              owner=owner.user, billable=choice)
    return {"task_id": task.id if task else None, "is_billable": billing.is_billable,
            "billable_rate": billing.billable_rate}


def edit_entry(session: Session, *, actor: policy.Actor, entry_id: str, now: datetime,
               allow_zero: bool = False, **changes: Any) -> TimeEntry:
    """Change an entry; only the given changes apply (None leaves a field as it is).

    Changes: task_ref ("" removes the task), duration, start, end, spent_date, notes
    ("" clears them), billable, meta (replaces the metadata), project_ref (only the entry's
    own project: a project never changes), is_running=False (stops a running timer; with a
    duration, saves that duration instead of the elapsed time; with an end time, stops it
    at that time of its start day, or the next day when earlier than the start).
    """
    edit = open_for_edit(session, TimeEntry, entry_id, actor=actor,
                         action=Action.TIME_ENTRY_EDIT, noun=_NOUN, now=now, changes=changes,
                         editable=EDITABLE)
    entry, owner, project, changes = edit.item, edit.owner, edit.project, edit.changes
    stopping = entry.is_running and changes.get("is_running") is False
    if changes.get("is_running") is True and not entry.is_running:
        raise validation("a stopped entry cannot run again", field="is_running",
                         hint="start a new timer like it with `keito time restart ID`")
    timing_keys = {"start", "spent_date"} | ({"duration", "end"} if not stopping else set())
    if entry.is_running and timing_keys & set(changes):
        raise validation("stop the timer before changing its date, times or duration",
                         field=sorted(timing_keys & set(changes))[0],
                         hint="pass is_running=False (with a duration) to stop it")
    values = _billing(session, entry, owner, project, changes)
    if "notes" in changes:
        values["notes"] = clean_notes(changes["notes"])
    if "meta" in changes:
        values["meta"] = validate_metadata(changes["meta"])
    if stopping:
        seconds, ended = _stop_at(entry, owner, changes, allow_zero)
        return finish_timer(session, actor=actor, entry=entry, owner=owner, notes=None, now=now,
                            seconds=seconds, extra=values, ended_at=ended)
    values.update(_timing(session, entry, owner, changes, allow_zero))
    if "notes" in changes and not entry.is_running:
        check_notes(owner.workspace, values["notes"], doing="save")
    audit.save_changes(session, entry, values, actor_id=actor.user_id, action="time_entry.edit",
                       now=now)
    check_budgets(session, project_id=entry.project_id, task_id=entry.task_id,
                  user_id=entry.user_id, spent_dates=[entry.spent_date], now=now, actor=actor)
    return entry


def _stop_at(entry: TimeEntry, owner: Owner, changes: dict[str, Any],
             allow_zero: bool) -> tuple[int | None, datetime | None]:
    """(seconds, end instant) of a timer stopped by an edit: a given duration, or the time it
    has run by a given end time (first reached after its start); (None, None): now."""
    if "end" in changes:
        if "duration" in changes:
            raise validation("give either a duration or an end time, not both",
                             field="duration")
        began = entry.started_at or entry.timer_started_at
        assert began is not None  # a running entry always has its start
        start_clock = _local_clock(began, owner.tz, "start")
        _, _, ended = _span(began.astimezone(owner.tz).date(), start_clock, changes["end"],
                            owner.tz)
        timer = entry.timer_started_at or began
        return max(0, min(int((ended - timer).total_seconds()), MAX_DURATION_SECONDS)), ended
    if "duration" in changes:
        return _seconds(changes["duration"], allow_zero), None
    return None, None


def delete_entry(session: Session, *, actor: policy.Actor, entry_id: str,
                 now: datetime) -> TimeEntry:
    """Delete an unlocked entry (a running one too); returns the deleted entry."""
    entry = load_item(session, TimeEntry, entry_id, actor=actor,
                      action=Action.TIME_ENTRY_DELETE, noun=_NOUN)
    owner = owner_by_id(session, actor, entry.user_id, now=now)
    return discard_entry(session, actor=actor, entry=entry, owner=owner,
                         action="time_entry.delete", now=now)


def copy_entry(session: Session, *, actor: policy.Actor, entry_id: str,
               spent_date: str | date | None = None, source: Source | str,
               meta: dict[str, Any] | None = None, now: datetime) -> TimeEntry:
    """A new finished entry like an existing one, dated `spent_date` (default: today).

    It copies the project, task, duration, notes, billable choice and metadata (or takes
    `meta` when given); not the start and end times. Rates are captured afresh, rounding
    applies as on any save.
    """
    original = load_item(session, TimeEntry, entry_id, actor=actor,
                         action=Action.TIME_ENTRY_VIEW, noun=_NOUN)
    if original.is_running:
        raise validation("a running timer cannot be copied", field="id",
                         hint="stop it first, or use `keito time restart ID`")
    owner = owner_by_id(session, actor, original.user_id, now=now)
    project = loggable_project(session, original.project_id)
    require_logging(actor, Action.TIME_ENTRY_CREATE, owner, project)
    task, assignment = project_task(session, project, original.task_id)
    day = parse_day(spent_date, today=owner.today)
    check_work_day(session, day, owner)
    check_notes(owner.workspace, original.notes, doing="copy")
    refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
    seconds, rounded = apply_rounding(original.duration_seconds, round_increment(owner.workspace))
    billing = capture_billing(session, project=project, task=task, assignment=assignment,
                              owner=owner.user, billable=original.is_billable)
    entry = new_entry(session, actor=actor, owner=owner, project=project, task=task,
                      billing=billing, spent_date=day, seconds=seconds, notes=original.notes,
                      source=check_source(source),
                      meta=dict(original.meta) if meta is None else validate_metadata(meta),
                      now=now, rounded=rounded, action="time_entry.copy")
    check_budgets(session, project_id=project.id, task_id=entry.task_id, user_id=entry.user_id,
                  spent_dates=[day], now=now, actor=actor)
    return entry
