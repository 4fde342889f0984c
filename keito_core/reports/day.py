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
    SOURCE_FILTERS,
    DayEntry,
    DayReport,
    ProjectChoice,
    RunningTimer,
    TaskChoice,
    entry_lock,
)
from keito_core.rules import permissions as policy
from keito_core.rules.periods import local_date, parse_timezone, week_bounds
from keito_core.rules.permissions import Action, Target

__all__ = ["SOURCE_FILTERS", "DayEntry", "DayReport", "ProjectChoice", "RunningTimer",
           "TaskChoice", "day_report", "project_choices", "running_timer"]

def _names_query() -> Any:
    """Entries joined with their client, project and task names."""
    return (
        select(TimeEntry, Client.name, Project.name, Task.name)
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
    rows = []
    for entry, client, project, task in session.exec(query).all():
        lock, message = entry_lock(
            approval_status=entry.approval_status, invoiced=entry.invoice_id is not None,
            spent_date=entry.spent_date, is_running=entry.is_running,
            unlocked=entry.unlocked_at is not None, today=today,
            lock_after_days=workspace.lock_after_days,
            approvals_enabled=workspace.feature_approvals)
        rows.append(DayEntry(
            id=entry.id, client=client, project=project, project_id=entry.project_id,
            task=task, task_id=entry.task_id, notes=entry.notes,
            duration_seconds=entry.duration_seconds, is_billable=entry.is_billable,
            source=str(entry.source), is_running=entry.is_running,
            timer_started_at=entry.timer_started_at if entry.is_running else None,
            started_at=entry.started_at, ended_at=entry.ended_at,
            lock_reason=lock, lock_message=message,
        ))
    return tuple(rows)


def day_and_week_seconds(session: Session, *, user_id: str, day: date, week_first: date,
                         week_last: date) -> tuple[int, int]:
    """Finished seconds the user logged on `day` and in the week [week_first, week_last]."""
    on_day = sa.case((col(TimeEntry.spent_date) == day, col(TimeEntry.duration_seconds)),
                     else_=0)
    query = select(sa.func.coalesce(sa.func.sum(on_day), 0),
                   sa.func.coalesce(sa.func.sum(col(TimeEntry.duration_seconds)), 0)).where(
        col(TimeEntry.user_id) == user_id,
        col(TimeEntry.spent_date) >= week_first,
        col(TimeEntry.spent_date) <= week_last,
    )
    day_total, week_total = session.exec(query).one()
    return int(day_total), int(week_total)


def weekly_capacity(workspace: Workspace, user: User) -> int:
    """The user's weekly capacity in seconds (their own, else the workspace's)."""
    if user.weekly_capacity_seconds is not None:
        return user.weekly_capacity_seconds
    return workspace.weekly_capacity_seconds


def running_timer(session: Session, *, user_id: str) -> RunningTimer | None:
    """The user's running timer with its names, or None."""
    query = _names_query().where(col(TimeEntry.user_id) == user_id, col(TimeEntry.is_running))
    row = session.exec(query).first()
    if row is None:
        return None
    entry, client, project, task = row
    started = entry.timer_started_at or entry.started_at
    if started is None:  # pragma: no cover - running entries always have a start
        return None
    return RunningTimer(entry_id=entry.id, client=client, project=project, task=task,
                        notes=entry.notes, spent_date=entry.spent_date,
                        timer_started_at=started)


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
    tz_name = user.timezone or workspace.timezone
    today = local_date(now, parse_timezone(tz_name))
    shown = today if day is None else day
    first, last = week_bounds(shown, workspace.week_start)
    day_seconds, week_seconds = day_and_week_seconds(
        session, user_id=user.id, day=shown, week_first=first, week_last=last)
    return DayReport(
        user_id=user.id, user_name=user.name, day=shown, today=today, timezone=tz_name,
        duration_format=str(workspace.duration_format), week_first=first, week_last=last,
        entries=day_entries(session, workspace=workspace, user_id=user.id, day=shown,
                            today=today, sources=SOURCE_FILTERS[source_filter]),
        day_seconds=day_seconds, week_seconds=week_seconds,
        capacity_seconds=weekly_capacity(workspace, user),
        running=running_timer(session, user_id=user.id), source_filter=source_filter,
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
