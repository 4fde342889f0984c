"""A project's team and tasks: assignments with per-member rates, task overrides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from keito_core.enums import UserStatus
from keito_core.errors import not_found, validation
from keito_core.models import Project, ProjectMember, ProjectTask, Task, TimeEntry, User
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_project, find_task, find_user
from keito_core.rules import permissions as policy
from keito_core.rules.money import parse_money
from keito_core.rules.permissions import Action, Target
from keito_core.services.directory.projects import DEFAULT_RATE, Money, optional_money


@dataclass
class TaskRemoval:
    project_task: ProjectTask
    task: Task
    #: True when time was logged to the task: it was deactivated on the project, not removed.
    deactivated: bool


def _managed_project(session: Session, actor: policy.Actor, ref: str, action: policy.Action,
                     *, rate: Money = None) -> Project:
    """The project, once the actor may take `action` on it (and set a rate, when given)."""
    project = find_project(session, ref)
    target = Target(project_id=project.id, project_name=project.name)
    policy.require(actor, action, target)
    if rate is not None:
        policy.require(actor, Action.PROJECT_RATES_EDIT, target)
    return project


def check_team_change(session: Session, *, actor: policy.Actor, project_ref: str) -> Project:
    """The project, once the actor may assign its members, as assign_member asks first: the
    pre-check of a form."""
    return _managed_project(session, actor, project_ref, Action.PROJECT_ASSIGN_MEMBERS)


def check_tasks_change(session: Session, *, actor: policy.Actor, project_ref: str) -> Project:
    """The project, once the actor may manage its tasks, as add_project_task asks first: the
    pre-check of a form."""
    return _managed_project(session, actor, project_ref, Action.PROJECT_MANAGE_TASKS)


def _overrides(row: ProjectMember | ProjectTask, rate: Money, budget: Money,
               budget_fees: Money) -> dict[str, Any]:
    """A member's or project task's rate and budgets; None keeps, rate "default" clears."""
    if isinstance(rate, str) and rate.strip().lower() in (DEFAULT_RATE, "none"):
        hourly_rate = None
    else:
        hourly_rate = row.hourly_rate if rate is None else parse_money(rate, field="rate")
    return {
        "hourly_rate": hourly_rate,
        "budget_hours": row.budget_hours if budget is None else optional_money(budget, "budget"),
        "budget_amount": row.budget_amount if budget_fees is None
        else optional_money(budget_fees, "budget_fees"),
    }


def _save(session: Session, actor: policy.Actor, project: Project, row: Any,
          values: dict[str, Any], *, created: bool, action: str, key: dict[str, str],
          now: datetime) -> None:
    diff = audit.apply_changes(row, values)
    if created or diff:
        session.add(row)
        session.flush()
        audit.record(session, actor_id=actor.user_id, action=action, entity=project,
                     changes={**key, **diff}, now=now)


def assign_member(session: Session, *, actor: policy.Actor, project_ref: str, user_ref: str,
                  rate: Money = None, budget: Money = None, budget_fees: Money = None,
                  manager: bool | None = None, now: datetime) -> tuple[ProjectMember, User]:
    """Put a user on the project team, or update their settings when already on it.

    None keeps a setting; rate "default" goes back to the user's default rate.
    """
    project = _managed_project(session, actor, project_ref, Action.PROJECT_ASSIGN_MEMBERS,
                               rate=rate)
    user = find_user(session, user_ref)
    if user.status is UserStatus.ARCHIVED:
        raise validation(f"user {user.name!r} is archived", field="user",
                         hint="restore the user first")
    member = session.exec(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)).first()
    created = member is None
    if member is None:
        member = ProjectMember(id=new_id("project_member"), project_id=project.id, user_id=user.id,
                               created_at=now)
    values = _overrides(member, rate, budget, budget_fees)
    values["is_project_manager"] = member.is_project_manager if manager is None else manager
    _save(session, actor, project, member, values, created=created, action="project.assign",
          key={"user_id": user.id}, now=now)
    return member, user


def unassign_member(session: Session, *, actor: policy.Actor, project_ref: str,
                    user_ref: str, now: datetime) -> User:
    """Take a user off the team: their entries stay, only future logging stops."""
    project = _managed_project(session, actor, project_ref, Action.PROJECT_ASSIGN_MEMBERS)
    user = find_user(session, user_ref)
    member = session.exec(select(ProjectMember).where(
        ProjectMember.project_id == project.id, ProjectMember.user_id == user.id)).first()
    if member is None:
        raise not_found("project member", user.name, field="user")
    session.delete(member)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="project.unassign", entity=project,
                 changes={"user_id": user.id}, now=now)
    return user


def add_project_task(session: Session, *, actor: policy.Actor, project_ref: str, task_ref: str,
                     billable: bool | None = None, rate: Money = None, budget: Money = None,
                     budget_fees: Money = None, now: datetime) -> tuple[ProjectTask, Task]:
    """Enable a task on the project, or update its overrides (None keeps a setting)."""
    project = _managed_project(session, actor, project_ref, Action.PROJECT_MANAGE_TASKS,
                               rate=rate)
    task = find_task(session, task_ref)
    if not task.is_active:
        raise validation(f"task {task.name!r} is archived", field="task",
                         hint="restore the task first")
    pt = session.exec(select(ProjectTask).where(
        ProjectTask.project_id == project.id, ProjectTask.task_id == task.id)).first()
    created = pt is None
    if pt is None:
        pt = ProjectTask(id=new_id("project_task"), project_id=project.id, task_id=task.id,
                         created_at=now)
    values = _overrides(pt, rate, budget, budget_fees)
    values.update(is_billable=pt.is_billable if billable is None else billable, is_active=True)
    _save(session, actor, project, pt, values, created=created, action="project.task_add",
          key={"task_id": task.id}, now=now)
    return pt, task


def remove_project_task(session: Session, *, actor: policy.Actor, project_ref: str,
                        task_ref: str, now: datetime) -> TaskRemoval:
    """Take a task off the project; with time logged to it, deactivate it instead."""
    project = _managed_project(session, actor, project_ref, Action.PROJECT_MANAGE_TASKS)
    task = find_task(session, task_ref)
    pt = session.exec(select(ProjectTask).where(
        ProjectTask.project_id == project.id, ProjectTask.task_id == task.id)).first()
    if pt is None:
        raise not_found("project task", task.name, field="task")
    used = session.exec(select(TimeEntry.id).where(
        TimeEntry.project_id == project.id, TimeEntry.task_id == task.id).limit(1)).first()
    if used:
        pt.is_active = False
        session.add(pt)
    else:
        session.delete(pt)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="project.task_remove", entity=project,
                 changes={"task_id": task.id, "deactivated": bool(used)}, now=now)
    return TaskRemoval(project_task=pt, task=task, deactivated=bool(used))
