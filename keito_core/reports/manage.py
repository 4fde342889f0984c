"""The Manage view's lists: clients, projects, tasks, the team and expense categories, and a
project's team and tasks, as far as the acting user may see them.

Plain frozen values (they cross to the app's UI thread), one query per list. A list the actor
may not see at all carries the policy's refusal instead of rows. Money fields (rates, budgets,
unit prices) are the presenters' (keito_core.presenters), by the presenters' names: a field the
viewer may not see is named in the line's `hidden`, and its value is None.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from keito_core import presenters
from keito_core.errors import KeitoError, not_found
from keito_core.models import (
    Client,
    ExpenseCategory,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    User,
)
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_project
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Target

Line = TypeVar("Line")


@dataclass(frozen=True)
class Lines(Generic[Line]):
    """The lines of one list, or why the acting user may not see it."""

    rows: tuple[Line, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class ClientLine:
    id: str
    name: str
    currency: str
    city: str | None
    is_active: bool


@dataclass(frozen=True)
class ProjectLine:
    id: str
    client_name: str
    name: str
    code: str | None
    handle: str
    project_type: str
    bill_by: str
    is_active: bool


@dataclass(frozen=True)
class TaskLine:
    id: str
    name: str
    handle: str
    is_billable_default: bool
    default_hourly_rate: Decimal | None
    is_default: bool
    is_active: bool
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PersonLine:
    """A person or agent; `weekly_capacity_seconds` is theirs, or the workspace's default."""

    id: str
    name: str
    user_type: str
    role: str
    billable_rate: Decimal | None
    weekly_capacity_seconds: int
    status: str
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CategoryLine:
    id: str
    name: str
    unit_name: str | None
    unit_price: Decimal | None
    is_billable_default: bool
    is_builtin: bool
    is_active: bool
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ManageLists:
    """Everything the Manage view's tabs show; money is in the workspace's `currency`,
    durations read in its `duration_format`."""

    currency: str
    duration_format: str
    clients: Lines[ClientLine] = field(default_factory=Lines)
    projects: Lines[ProjectLine] = field(default_factory=Lines)
    tasks: Lines[TaskLine] = field(default_factory=Lines)
    team: Lines[PersonLine] = field(default_factory=Lines)
    categories: Lines[CategoryLine] = field(default_factory=Lines)


@dataclass(frozen=True)
class MemberLine:
    """A member of a project's team: the rate they bill there, and whether it is their own
    default rate (no override)."""

    id: str
    name: str
    user_type: str
    hourly_rate: Decimal | None
    uses_default_rate: bool
    budget_hours: Decimal | None
    is_project_manager: bool
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProjectTaskLine:
    """A task on a project: the rate it bills there, and whether that is the task's default
    rate (no override); `is_billable` is the project's override (None: the task's default),
    `billable` what applies."""

    id: str
    name: str
    is_billable: bool | None
    billable: bool
    hourly_rate: Decimal | None
    uses_default_rate: bool
    budget_hours: Decimal | None
    is_active: bool
    hidden: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProjectLines(Generic[Line]):
    """A project's team or tasks; money is in the workspace's `currency`, durations read in
    its `duration_format`."""

    project_id: str
    project_name: str
    currency: str
    duration_format: str
    rows: tuple[Line, ...]


def _refusal(actor: policy.Actor, action: Action) -> str | None:
    """Why the actor may not take `action` at all, or None when they may."""
    try:
        policy.require(actor, action)
    except KeitoError as exc:
        return exc.message
    return None


def _hidden(kind: str, shape: Mapping[str, Any]) -> frozenset[str]:
    """The money fields of `kind` the presenter left out of `shape` for its viewer."""
    return frozenset(presenters.MONEY_FIELDS[kind]) - shape.keys()


def manage_lists(session: Session, *, actor: policy.Actor) -> ManageLists:
    """Clients, projects, tasks, team and expense categories, as far as the actor may see."""
    workspace = get_workspace(session)
    return ManageLists(
        currency=workspace.currency,
        duration_format=str(workspace.duration_format),
        clients=_clients(session, actor),
        projects=_projects(session, actor),
        tasks=_tasks(session, actor),
        team=_team(session, actor, workspace.weekly_capacity_seconds),
        categories=_categories(session, actor),
    )


def _clients(session: Session, actor: policy.Actor) -> Lines[ClientLine]:
    refused = _refusal(actor, Action.CLIENT_VIEW)
    if refused:
        return Lines(refused=refused)
    query = select(Client).order_by(col(Client.is_active).desc(), func.lower(Client.name))
    return Lines(tuple(ClientLine(c.id, c.name, c.currency, c.city, c.is_active)
                       for c in session.exec(query).all()))


def _projects(session: Session, actor: policy.Actor) -> Lines[ProjectLine]:
    refused = _refusal(actor, Action.PROJECT_VIEW)
    if refused:
        return Lines(refused=refused)
    query = (
        select(Project, Client.name)
        .join(Client, col(Client.id) == col(Project.client_id))
        .order_by(col(Project.is_active).desc(), func.lower(Client.name), func.lower(Project.name))
    )
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        query = query.where(col(Project.id).in_(visible))
    return Lines(tuple(
        ProjectLine(p.id, client_name, p.name, p.code, p.handle, str(p.project_type),
                    str(p.bill_by), p.is_active)
        for p, client_name in session.exec(query).all()
    ))


def _task(t: Task, actor: policy.Actor) -> TaskLine:
    shape = presenters.task(t, viewer=actor)
    return TaskLine(t.id, t.name, t.handle, t.is_billable_default,
                    shape.get("default_hourly_rate"), t.is_default, t.is_active,
                    _hidden("task", shape))


def _tasks(session: Session, actor: policy.Actor) -> Lines[TaskLine]:
    query = select(Task).order_by(col(Task.is_active).desc(), func.lower(Task.name))
    return Lines(tuple(_task(t, actor) for t in session.exec(query).all()))


_STATUS_ORDER = sa.case({"active": 0, "pending": 1}, value=col(User.status), else_=2)


def _team(session: Session, actor: policy.Actor, capacity: int) -> Lines[PersonLine]:
    refused = _refusal(actor, Action.USER_VIEW)
    if refused:
        return Lines(refused=refused)
    query = select(User).order_by(_STATUS_ORDER, func.lower(User.name))
    visible = policy.visible_user_ids(actor)
    if visible is not None:
        query = query.where(col(User.id).in_(visible))
    return Lines(tuple(_person(u, actor, capacity) for u in session.exec(query).all()))


def _person(u: User, actor: policy.Actor, capacity: int) -> PersonLine:
    shape = presenters.user(u, viewer=actor)
    return PersonLine(
        u.id, u.name, str(u.user_type), str(u.role), shape.get("billable_rate"),
        capacity if u.weekly_capacity_seconds is None else u.weekly_capacity_seconds,
        str(u.status), _hidden("user", shape),
    )


def _category(c: ExpenseCategory, actor: policy.Actor) -> CategoryLine:
    shape = presenters.category(c, viewer=actor)
    return CategoryLine(c.id, c.name, c.unit_name, shape.get("unit_price"),
                        c.is_billable_default, c.is_builtin, c.is_active,
                        _hidden("category", shape))


def _categories(session: Session, actor: policy.Actor) -> Lines[CategoryLine]:
    query = select(ExpenseCategory).order_by(
        col(ExpenseCategory.is_active).desc(), func.lower(ExpenseCategory.name)
    )
    return Lines(tuple(_category(c, actor) for c in session.exec(query).all()))


# --- a project's team and tasks ---------------------------------------------------------------


def _viewed_project(session: Session, actor: policy.Actor, project_ref: str) -> Project:
    project = find_project(session, project_ref)
    policy.require(actor, Action.PROJECT_VIEW,
                   Target(project_id=project.id, project_name=project.name))
    return project


def _member_lines(session: Session, actor: policy.Actor, project: Project,
                  user_id: str | None = None) -> tuple[MemberLine, ...]:
    query = (select(ProjectMember, User).join(User, col(User.id) == ProjectMember.user_id)
             .where(ProjectMember.project_id == project.id))
    if user_id is not None:
        query = query.where(ProjectMember.user_id == user_id)
    lines = []
    for m, u in session.exec(query.order_by(sa.func.lower(User.name))).all():
        shape = presenters.project_member(m, u, viewer=actor, project=project)
        lines.append(MemberLine(
            u.id, u.name, str(u.user_type), shape.get("hourly_rate"),
            bool(shape.get("uses_default_rate")), shape.get("budget_hours"),
            m.is_project_manager, _hidden("project_member", shape)))
    return tuple(lines)


def _task_lines(session: Session, actor: policy.Actor, project: Project,
                task_id: str | None = None) -> tuple[ProjectTaskLine, ...]:
    query = (select(ProjectTask, Task).join(Task, col(Task.id) == ProjectTask.task_id)
             .where(ProjectTask.project_id == project.id))
    if task_id is not None:
        query = query.where(ProjectTask.task_id == task_id)
    query = query.order_by(col(ProjectTask.is_active).desc(), sa.func.lower(Task.name))
    lines = []
    for pt, t in session.exec(query).all():
        shape = presenters.project_task(pt, t, viewer=actor, project=project)
        hidden = _hidden("project_task", shape)
        lines.append(ProjectTaskLine(
            t.id, t.name, pt.is_billable, bool(shape["is_billable"]), shape.get("hourly_rate"),
            "hourly_rate" not in hidden and pt.hourly_rate is None, shape.get("budget_hours"),
            pt.is_active, hidden))
    return tuple(lines)


def project_team(session: Session, *, actor: policy.Actor,
                 project_ref: str) -> ProjectLines[MemberLine]:
    """A project's people and agents by name, with their rate overrides."""
    project = _viewed_project(session, actor, project_ref)
    workspace = get_workspace(session)
    return ProjectLines(project.id, project.name, workspace.currency,
                        str(workspace.duration_format), _member_lines(session, actor, project))


def project_tasks(session: Session, *, actor: policy.Actor,
                  project_ref: str) -> ProjectLines[ProjectTaskLine]:
    """A project's tasks, active ones first, with their billable flags and rate overrides."""
    project = _viewed_project(session, actor, project_ref)
    workspace = get_workspace(session)
    return ProjectLines(project.id, project.name, workspace.currency,
                        str(workspace.duration_format), _task_lines(session, actor, project))


def team_member(session: Session, *, actor: policy.Actor, project_ref: str,
                user_id: str) -> MemberLine:
    """One member of a project's team."""
    project = _viewed_project(session, actor, project_ref)
    for line in _member_lines(session, actor, project, user_id):
        return line
    raise not_found("project member", user_id, field="user")


def project_task(session: Session, *, actor: policy.Actor, project_ref: str,
                 task_id: str) -> ProjectTaskLine:
    """One task on a project."""
    project = _viewed_project(session, actor, project_ref)
    for line in _task_lines(session, actor, project, task_id):
        return line
    raise not_found("project task", task_id, field="task")
