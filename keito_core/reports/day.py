"""One user's day: its entries with client, project and task names, the day's and the week's
totals against the weekly capacity, and the running timer.

Plain frozen values built from a few SQL queries (portable between SQLite and PostgreSQL), so
any front end can show them without holding ORM rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.models import Client, Project, ProjectTask, Task, TimeEntry, User, Workspace
from keito_core.platform.identity import get_workspace
from keito_core.reports.day_values import (
    DAY_AND_WEEK_SQL,
    ENTRY_COLUMNS,
    SOURCE_FILTERS,
    DayEntry,
    DayReport,
    LockFacts,
    ProjectChoice,
    RunningTimer,
    TaskChoice,
    capacity_seconds,
    day_entry,
    day_frame,
    running_timer_of,
)
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Target

__all__ = ["SOURCE_FILTERS", "DayEntry", "DayReport", "ProjectChoice", "RunningTimer",
           "TaskChoice", "day_report", "project_choices", "running_timer"]


def _names_query() -> Any:
    """ENTRY_COLUMNS of entries, with their client, project and task names."""
    return (
        sa.select(*(getattr(TimeEntry, column) for column in ENTRY_COLUMNS),
                  col(Client.name).label("client_name"), col(Project.name).label("project_name"),
                  col(Task.name).label("task_name"))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .outerjoin(Task, col(Task.id) == col(TimeEntry.task_id))
    )


def day_entries(session: Session, *, workspace: Workspace, user_id: str, day: date,
                today: date, sources: Iterable[Source] | None = None) -> tuple[DayEntry, ...]:
    """The user's entries dated `day`, in the order they were made."""
    query = _names_query().where(col(TimeEntry.user_id) == user_id,
                                 col(TimeEntry.spent_date) == day)
    if sources is not None:
        query = query.where(col(TimeEntry.source).in_(sorted(sources)))
    query = query.order_by(col(TimeEntry.created_at), col(TimeEntry.id))
    lock = LockFacts(today=today, lock_after_days=workspace.lock_after_days,
                     approvals_enabled=workspace.feature_approvals)
    return tuple(day_entry(row, lock) for row in session.execute(query).all())


def day_and_week_seconds(session: Session, *, user_id: str, day: date, week_first: date,
                         week_last: date) -> tuple[int, int]:
    """Finished seconds the user logged on `day` and in the week [week_first, week_last]."""
    query = sa.text(DAY_AND_WEEK_SQL).bindparams(
        sa.bindparam("day", day, type_=sa.Date), sa.bindparam("user_id", user_id),
        sa.bindparam("week_first", week_first, type_=sa.Date),
        sa.bindparam("week_last", week_last, type_=sa.Date))
    day_total, week_total = session.execute(query).one()
    return int(day_total), int(week_total)


def weekly_capacity(workspace: Workspace, user: User) -> int:
    """The user's weekly capacity in seconds (their own, else the workspace's)."""
    return capacity_seconds(user.weekly_capacity_seconds, workspace.weekly_capacity_seconds)


def running_timer(session: Session, *, user_id: str) -> RunningTimer | None:
    """The user's running timer with its names, or None."""
    query = _names_query().where(col(TimeEntry.user_id) == user_id, col(TimeEntry.is_running))
    return running_timer_of(session.execute(query).first())


def day_report(session: Session, *, actor: policy.Actor, day: date | None, now: datetime,
               source_filter: str = "all") -> DayReport:
    """The acting user's day (`None`: their today), filtered by source; totals are unfiltered."""
    if source_filter not in SOURCE_FILTERS:
        raise KeitoError("validation_error", f"unknown source filter {source_filter!r}",
                         field="source", hint="use one of " + ", ".join(SOURCE_FILTERS))
    policy.require(actor, Action.TIME_ENTRY_VIEW, Target(owner_id=actor.user_id))
    workspace = get_workspace(session)
    user = session.get(User, actor.user_id)
    if user is None:  # pragma: no cover - the actor was just built from this row
        raise KeitoError("not_found", f"no user {actor.user_id}")
    frame = day_frame(user_timezone=user.timezone, workspace_timezone=workspace.timezone,
                      week_start=workspace.week_start, now=now, day=day)
    day_seconds, week_seconds = day_and_week_seconds(
        session, user_id=user.id, day=frame.day, week_first=frame.week_first,
        week_last=frame.week_last)
    return DayReport(
        user_id=user.id, user_name=user.name, day=frame.day, today=frame.today,
        timezone=frame.timezone, duration_format=str(workspace.duration_format),
        week_first=frame.week_first, week_last=frame.week_last,
        entries=day_entries(session, workspace=workspace, user_id=user.id, day=frame.day,
                            today=frame.today, sources=SOURCE_FILTERS[source_filter]),
        day_seconds=day_seconds, week_seconds=week_seconds,
        capacity_seconds=weekly_capacity(workspace, user),
        running=running_timer(session, user_id=user.id), source_filter=source_filter,
        time_format=str(workspace.time_format),
    )


def project_choices(session: Session, *, actor: policy.Actor) -> tuple[ProjectChoice, ...]:
    """Active projects the acting user may log time to, with their active tasks, by name."""
    query = (
        select(Project, Client.name)
        .join(Client, col(Client.id) == col(Project.client_id))
        .where(col(Project.is_active))
        .order_by(sa.func.lower(Client.name), sa.func.lower(Project.name))
    )
    projects = [(p, client) for p, client in session.exec(query).all()
                if policy.may_log_to_project(actor, p.id)]
    ids = [p.id for p, _ in projects]
    tasks: dict[str, list[TaskChoice]] = {}
    if ids:
        task_query = (
            select(ProjectTask.project_id, Task.id, Task.name,
                   sa.func.coalesce(ProjectTask.is_billable, Task.is_billable_default))
            .join(Task, col(Task.id) == col(ProjectTask.task_id))
            .where(col(ProjectTask.project_id).in_(ids), col(ProjectTask.is_active),
                   col(Task.is_active))
            .order_by(sa.func.lower(Task.name))
        )
        for project_id, task_id, name, billable in session.exec(task_query).all():
            tasks.setdefault(project_id, []).append(TaskChoice(task_id, name, bool(billable)))
    return tuple(
        ProjectChoice(id=p.id, client=client, name=p.name, handle=p.handle,
                      billable=str(p.project_type) != "non_billable",
                      tasks=tuple(tasks.get(p.id, ())))
        for p, client in projects
    )
