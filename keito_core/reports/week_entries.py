"""The entries behind one cell of the week grid, and what an entry form needs: the projects the
acting user may log to, their time zone and the workspace's duration format.

Plain frozen values, as keito_core.reports.day's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from keito_core.platform.access import owner_by_id
from keito_core.reports.day import day_entries, project_choices
from keito_core.reports.day_values import DayEntry, ProjectChoice
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Target


@dataclass(frozen=True)
class EntryForm:
    """What an entry form offers: the projects, the user's time zone and the workspace's
    duration format."""

    projects: tuple[ProjectChoice, ...]
    timezone: str
    duration_format: str
    #: The workspace's clock, 24h or 12h.
    time_format: str = "24h"


def entry_form(session: Session, *, actor: policy.Actor, now: datetime) -> EntryForm:
    """The entry form's projects, time zone and duration format, for the acting user."""
    owner = owner_by_id(session, actor, actor.user_id, now=now)
    return EntryForm(projects=project_choices(session, actor=actor), timezone=owner.tz.key,
                     duration_format=str(owner.workspace.duration_format),
                     time_format=str(owner.workspace.time_format))


def cell_entries(session: Session, *, actor: policy.Actor, project_id: str,
                 task_id: str | None, day: date, now: datetime) -> tuple[DayEntry, ...]:
    """The acting user's entries on `day` for the project and task (None: no task), in the
    order they were made, locked as of `now`."""
    policy.require(actor, Action.TIME_ENTRY_VIEW, Target(owner_id=actor.user_id))
    owner = owner_by_id(session, actor, actor.user_id, now=now)
    return tuple(entry for entry in day_entries(session, workspace=owner.workspace,
                                                user_id=actor.user_id, day=day,
                                                today=owner.today)
                 if entry.project_id == project_id and entry.task_id == task_id)
