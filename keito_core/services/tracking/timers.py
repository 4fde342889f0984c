"""Running timers: start (stopping the one already running), stop, discard, status, restart.

Rules:

- One running timer per user. Starting one while another runs stops and saves the running
  one first, in the same transaction, and reports it (`StartResult.stopped`). The database's
  partial unique index backs this: when two processes race, the loser's insert fails and
  becomes a `conflict` ("a timer is already running").
- A running entry has duration 0, `timer_started_at` and `started_at` = the start instant,
  and is dated on the owner's local day at the start (the user's timezone, else the
  workspace's); it keeps that date when stopped after midnight.
- Stopping saves `now - timer_started_at` in whole seconds (a clock that went backwards
  gives 0), capped at 24 hours, the longest entry there is: a timer forgotten over a weekend
  saves 24 h, to be corrected by an edit, rather than being refused and left running.
  `ended_at` is the real stop instant.
- Rounding applies once, when the timer is stopped: to the nearest multiple of the
  workspace's increment, or of `round_to` minutes (5, 6, 10, 15, 30) which overrides the
  workspace for that stop. See keito_core.rules.rounding for the exact rule.
- Require-notes: a timer may start without notes; stopping (also when a new start stops it)
  needs notes when the workspace requires them. Discarding never does.
- A running timer is never auto-locked by its age; approval and invoice locks still apply.
- Restart starts a new timer with an entry's project, task, notes and billable choice (a
  restarted entry never resumes the old one's duration).
- Resume (the API v2's restart, `resume_entry`) runs a stopped entry itself again: its
  `timer_started_at` is set back by the time it already holds, so everything that measures a
  running timer as `now - timer_started_at` (its hours so far, the stop) counts the old and the
  new time together; `started_at` keeps the original start, and a stop saves the total.
- `replace_running=False` (the API v2's default) refuses to start while a timer runs
  (`conflict`) instead of stopping it; the index stays the guard against racing starts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from keito_core.enums import Source
from keito_core.errors import conflict
from keito_core.models import TimeEntry
from keito_core.platform import audit
from keito_core.platform.access import (
    Owner,
    owner_by_id,
    owner_of,
    require_named,
    resolve_user,
)
from keito_core.rules import permissions as policy
from keito_core.rules.durations import MAX_DURATION_SECONDS
from keito_core.rules.inputs import check_source
from keito_core.rules.metadata import validate_metadata
from keito_core.rules.permissions import Action, Target
from keito_core.services.tracking.budget_alerts import check_budgets
from keito_core.services.tracking.entry_context import (
    apply_rounding,
    capture_billing,
    check_editable,
    check_notes,
    check_work_day,
    clean_notes,
    entry_snapshot,
    load_item,
    loggable_project,
    new_entry,
    project_task,
    refuse_locked_day,
    require_logging,
    round_increment,
)

_NOUN = "time entry"
_RUNNING_INDEX = "uq_time_entries_running_user"


@dataclass
class StartResult:
    """The new running entry, and the timer that was running and got stopped, if any."""

    entry: TimeEntry
    stopped: TimeEntry | None


def find_running(session: Session, user_id: str) -> TimeEntry | None:
    """The user's running timer, if any."""
    return session.exec(
        select(TimeEntry).where(TimeEntry.user_id == user_id, TimeEntry.is_running)
    ).first()


def elapsed_seconds(entry: TimeEntry, now: datetime) -> int:
    """Whole seconds a running timer has run by `now`, from 0 up to 24 hours."""
    started = entry.timer_started_at or entry.started_at
    if started is None:  # pragma: no cover - running entries always have a start
        return 0
    seconds = int((now - started).total_seconds())
    return max(0, min(seconds, MAX_DURATION_SECONDS))


def finish_timer(session: Session, *, actor: policy.Actor, entry: TimeEntry, owner: Owner,
                 notes: str | None, now: datetime, round_to: int | str | None = None,
                 seconds: int | None = None, extra: dict[str, Any] | None = None,
                 notes_hint: str | None = None, ended_at: datetime | None = None) -> TimeEntry:
    """Stop a running entry and save it: its duration (elapsed, or `seconds`), rounded once.

    `extra` holds other changes saved with the stop (an edit that also stops the timer);
    `ended_at` is the end instant saved (default: `now`).
    """
    require_named(session, actor, Action.TIME_ENTRY_EDIT,
                  Target(owner_id=entry.user_id, project_id=entry.project_id,
                         owner_name=owner.user.name))
    workspace = owner.workspace
    check_editable(workspace, entry, owner.today, noun=_NOUN)
    values: dict[str, Any] = dict(extra or {})
    final_notes = clean_notes(notes) if notes is not None else values.get("notes", entry.notes)
    check_notes(workspace, final_notes, doing="stop", hint=notes_hint)
    increment = round_increment(workspace, round_to)
    duration, rounded = apply_rounding(
        elapsed_seconds(entry, now) if seconds is None else seconds, increment)
    values.update(is_running=False, duration_seconds=duration, is_rounded=rounded,
                  ended_at=ended_at or now, notes=final_notes)
    audit.save_changes(session, entry, values, actor_id=actor.user_id, action="time_entry.stop",
                       always=True, now=now)
    check_budgets(session, project_id=entry.project_id, task_id=entry.task_id,
                  user_id=entry.user_id, spent_dates=[entry.spent_date], now=now, actor=actor)
    return entry


def start_timer(session: Session, *, actor: policy.Actor, project_ref: str,
                task_ref: str | None = None, notes: str | None = None,
                billable: bool | None = None, source: Source | str,
                meta: dict[str, Any] | None = None, now: datetime,
                user_ref: str | None = None, replace_running: bool = True,
                spent_date: date | None = None) -> StartResult:
    """Start a timer for the actor (or `user_ref`), stopping and saving the running one
    (or, with `replace_running=False`, refusing with `conflict` while one runs).

    The timer is dated `spent_date` when given (checked like a logged entry's date), else on
    the owner's local day.
    """
    owner = owner_of(session, actor, user_ref, now=now)
    project = loggable_project(session, project_ref)
    require_logging(actor, Action.TIME_ENTRY_CREATE, owner, project)
    task, assignment = project_task(session, project, task_ref)
    origin, metadata = check_source(source), validate_metadata(meta)
    day = owner.today if spent_date is None else spent_date
    if day != owner.today:
        check_work_day(session, day, owner)
        refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
    billing = capture_billing(session, project=project, task=task, assignment=assignment,
                              owner=owner.user, billable=billable)
    stopped = _make_room(session, actor=actor, owner=owner, replace_running=replace_running,
                         now=now, notes_hint="the running timer has no notes: stop it first "
                         "with `keito time stop --notes \"what you did\"`")
    with _one_running_timer(session):
        entry = new_entry(session, actor=actor, owner=owner, project=project, task=task,
                          billing=billing, spent_date=day, seconds=0,
                          notes=clean_notes(notes), source=origin, meta=metadata, now=now,
                          running=True, started_at=now, action="time_entry.start")
    return StartResult(entry=entry, stopped=stopped)


def _already_running(*, racing: bool = False) -> Exception:
    return conflict("a timer is already running", field="timer",
                    hint="another process started one just now; see `keito time status`"
                    if racing else "stop it first (`keito time stop`), or replace it")


def _make_room(session: Session, *, actor: policy.Actor, owner: Owner, replace_running: bool,
               now: datetime, notes_hint: str) -> TimeEntry | None:
    """Stop and save the owner's running timer before another starts (returned; None when
    none runs), or refuse with `conflict` unless `replace_running`."""
    running = find_running(session, owner.user.id)
    if running is None:
        return None
    if not replace_running:
        raise _already_running()
    return finish_timer(session, actor=actor, entry=running, owner=owner, notes=None, now=now,
                        notes_hint=notes_hint)


@contextmanager
def _one_running_timer(session: Session) -> Iterator[None]:
    """Write a running timer in a savepoint; the one-running-timer index refusing it (another
    process started one just now) is a `conflict`."""
    try:
        with session.begin_nested():
            yield
    except sa.exc.IntegrityError as exc:
        if not _is_running_clash(exc):
            raise
        raise _already_running(racing=True) from None


def _is_running_clash(exc: sa.exc.IntegrityError) -> bool:
    """Whether the error is the one-running-timer index refusing a second running entry."""
    text = str(exc.orig)
    return _RUNNING_INDEX in text or "time_entries.user_id" in text


def stop_timer(session: Session, *, actor: policy.Actor, notes: str | None = None,
               round_to: int | str | None = None, discard: bool = False, now: datetime,
               user_ref: str | None = None) -> TimeEntry:
    """Stop and save the running timer (or delete it with `discard`); conflict when none runs."""
    owner = owner_of(session, actor, user_ref, now=now)
    entry = find_running(session, owner.user.id)
    if entry is None:
        policy.require(actor, Action.TIME_ENTRY_VIEW,
                       Target(owner_id=owner.user.id, owner_name=owner.user.name))
        who = "" if owner.user.id == actor.user_id else f" for {owner.user.name}"
        raise conflict(f"no timer is running{who}", field="timer",
                       hint="start one with `keito time start --project PROJECT`")
    if discard:
        return discard_entry(session, actor=actor, entry=entry, owner=owner, now=now)
    return finish_timer(session, actor=actor, entry=entry, owner=owner, notes=notes, now=now,
                        round_to=round_to)


def discard_entry(session: Session, *, actor: policy.Actor, entry: TimeEntry,
                  owner: Owner, action: str = "time_entry.discard", now: datetime) -> TimeEntry:
    """Delete an entry (a discarded timer, or a deleted entry) once the rules allow it."""
    require_named(session, actor, Action.TIME_ENTRY_DELETE,
                  Target(owner_id=entry.user_id, project_id=entry.project_id,
                         owner_name=owner.user.name))
    check_editable(owner.workspace, entry, owner.today, noun=_NOUN)
    audit.record(session, actor_id=actor.user_id, action=action, entity=entry,
                 changes=entry_snapshot(entry), now=now)
    session.delete(entry)
    session.flush()
    check_budgets(session, project_id=entry.project_id, task_id=entry.task_id,
                  user_id=entry.user_id, spent_dates=[entry.spent_date], now=now, warn=False)
    return entry


def running_timer(session: Session, *, actor: policy.Actor,
                  user_ref: str | None = None) -> TimeEntry | None:
    """The running timer of the actor (or of `user_ref`), or None."""
    user = resolve_user(session, actor, user_ref)
    entry = find_running(session, user.id)
    require_named(session, actor, Action.TIME_ENTRY_VIEW,
                  Target(owner_id=user.id, project_id=entry.project_id if entry else None,
                         owner_name=user.name))
    return entry


def restart_entry(session: Session, *, actor: policy.Actor, entry_id: str, source: Source | str,
                  meta: dict[str, Any] | None = None, now: datetime) -> StartResult:
    """Start a new timer like an existing entry (project, task, notes, billable choice).

    The new entry carries `meta` when given, else a copy of the entry's metadata.
    """
    original = load_item(session, TimeEntry, entry_id, actor=actor,
                         action=Action.TIME_ENTRY_VIEW, noun=_NOUN)
    if original.is_running:
        raise conflict("this timer is already running", field="id",
                       hint="stop it with `keito time stop`")
    return start_timer(session, actor=actor, project_ref=original.project_id,
                       task_ref=original.task_id, notes=original.notes,
                       billable=original.is_billable, source=source,
                       meta=dict(original.meta) if meta is None else meta, now=now,
                       user_ref=original.user_id)


def resume_entry(session: Session, *, actor: policy.Actor, entry_id: str,
                 replace_running: bool = False, now: datetime) -> StartResult:
    """Run a stopped entry again as its owner's timer (the same entry, not a copy), its time
    so far kept; a running timer is stopped first with `replace_running`, else `conflict`."""
    entry = load_item(session, TimeEntry, entry_id, actor=actor,
                      action=Action.TIME_ENTRY_VIEW, noun=_NOUN)
    if entry.is_running:
        raise conflict("this timer is already running", field="id",
                       hint="stop it with `keito time stop`")
    owner = owner_by_id(session, actor, entry.user_id, now=now)
    require_named(session, actor, Action.TIME_ENTRY_EDIT,
                  Target(owner_id=entry.user_id, project_id=entry.project_id,
                         owner_name=owner.user.name))
    check_editable(owner.workspace, entry, owner.today, noun=_NOUN)
    stopped = _make_room(session, actor=actor, owner=owner, replace_running=replace_running,
                         now=now, notes_hint="the running timer has no notes: stop it first "
                         "with notes")
    began = now - timedelta(seconds=entry.duration_seconds)
    values = {"is_running": True, "timer_started_at": began, "duration_seconds": 0,
              "is_rounded": False, "ended_at": None, "started_at": entry.started_at or began}
    with _one_running_timer(session):
        audit.save_changes(session, entry, values, actor_id=actor.user_id,
                           action="time_entry.resume", always=True, now=now)
    return StartResult(entry=entry, stopped=stopped)
