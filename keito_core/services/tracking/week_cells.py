"""Setting one cell of the week grid: a project, a task and a day for one user.

What a cell holds decides what setting it does:

- no entries: a new entry of that length is logged (source `tui` unless told otherwise);
  setting an empty cell to zero (or to nothing) changes nothing.
- exactly one entry: its duration is edited; zero or an empty text deletes the entry, so
  clearing a cell clears the day (as on the web's week view).
- several entries: refused with `conflict`. One number cannot say which entry changes, so the
  caller shows the entries and lets the user pick one instead of overwriting them.
- a locked entry (approved, submitted with approvals on, invoiced, auto-locked) or a new
  entry on an auto-locked day: refused with `locked` by the time entry services.

The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from sqlmodel import Session, col, select

from keito_core.enums import Source
from keito_core.errors import KeitoError, validation
from keito_core.models import TimeEntry
from keito_core.platform.access import owner_of
from keito_core.platform.lookup import find_project, find_task
from keito_core.rules import permissions as policy
from keito_core.rules.durations import MAX_DURATION_SECONDS, parse_duration
from keito_core.services.tracking import time_entries
from keito_core.services.tracking.entry_context import check_editable

CellAction = Literal["created", "edited", "deleted", "unchanged"]


@dataclass(frozen=True)
class CellChange:
    """What setting a cell did, the entry it touched and the seconds the cell now holds."""

    action: CellAction
    entry_id: str | None
    seconds: int


def cell_seconds(duration_text: str | None, seconds: int | None) -> int:
    """Seconds from typed text (decimal, h:mm, units; empty means 0) or from seconds."""
    if (duration_text is None) == (seconds is None):
        raise TypeError("give exactly one of duration_text and seconds")
    if seconds is not None:
        if isinstance(seconds, bool) or seconds < 0 or seconds > MAX_DURATION_SECONDS:
            raise validation("a cell holds 0 to 24 hours", field="duration")
        return int(seconds)
    text = (duration_text or "").strip()
    return parse_duration(text, allow_zero=True) if text else 0


def _as_duration(seconds: int) -> str:
    """Seconds as decimal hours precise enough for parse_duration to give them back exactly."""
    return str((Decimal(seconds) / 3600).quantize(Decimal("0.00000001")))


def cell_entries(session: Session, *, user_id: str, project_id: str, task_id: str | None,
                 day: date) -> list[TimeEntry]:
    """The user's entries in one cell, oldest first."""
    task_match = (col(TimeEntry.task_id).is_(None) if task_id is None
                  else col(TimeEntry.task_id) == task_id)
    query = (select(TimeEntry)
             .where(TimeEntry.user_id == user_id, TimeEntry.project_id == project_id,
                    task_match, TimeEntry.spent_date == day)
             .order_by(col(TimeEntry.created_at), col(TimeEntry.id)))
    return list(session.exec(query).all())


def set_cell(session: Session, *, actor: policy.Actor, project_ref: str, task_ref: str | None,
             day: date, duration_text: str | None = None, seconds: int | None = None,
             now: datetime, notes: str | None = None, source: Source | str = Source.TUI,
             user_ref: str | None = None) -> CellChange:
    """Make the cell (project, task, day) of the actor (or `user_ref`) hold this duration.

    See the module docstring for what happens with none, one or several entries.
    """
    owner = owner_of(session, actor, user_ref, now=now)
    project = find_project(session, project_ref)
    task = find_task(session, task_ref) if task_ref and task_ref.strip() else None
    entries = cell_entries(session, user_id=owner.user.id, project_id=project.id,
                           task_id=task.id if task else None, day=day)
    if len(entries) > 1:
        raise KeitoError(
            "conflict",
            f"this cell sums {len(entries)} entries on {day.isoformat()}: "
            "one total cannot say which to change",
            field="duration",
            hint="open the cell's entries and edit or delete one of them",
        )
    if entries:
        entry = entries[0]
        check_editable(owner.workspace, entry, owner.today, noun="time entry")
    wanted = cell_seconds(duration_text, seconds)
    if not entries:
        if wanted == 0:
            return CellChange("unchanged", None, 0)
        created = time_entries.log_time(
            session, actor=actor, project_ref=project.id, task_ref=task.id if task else None,
            duration=_as_duration(wanted), spent_date=day, notes=notes, source=source,
            now=now, user_ref=owner.user.id)
        return CellChange("created", created.id, created.duration_seconds)
    if wanted == 0:
        time_entries.delete_entry(session, actor=actor, entry_id=entry.id, now=now)
        return CellChange("deleted", entry.id, 0)
    if wanted == entry.duration_seconds and not entry.is_running:
        return CellChange("unchanged", entry.id, wanted)
    edited = time_entries.edit_entry(session, actor=actor, entry_id=entry.id, now=now,
                                     duration=_as_duration(wanted))
    return CellChange("edited", edited.id, edited.duration_seconds)
