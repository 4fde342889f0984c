"""What the Manage view's forms offer to choose from: clients for a project, people and agents
for a project's team or a manager's, tasks for a project.

Read once the service's own check (e.g. project_team.check_team_change) has allowed the form;
plain frozen values, by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import UserStatus, UserType
from keito_core.models import Client, ManagerTeammate, ProjectMember, ProjectTask, Task, User


@dataclass(frozen=True)
class Choice:
    """One option of a form's list."""

    id: str
    name: str
    is_agent: bool = False


def client_choices(session: Session, *, keep: str | None = None) -> tuple[Choice, ...]:
    """Active clients, and the client `keep` (a project's own, even when archived)."""
    query = select(Client).where(sa.or_(col(Client.is_active), col(Client.id) == keep))
    return tuple(Choice(c.id, c.name)
                 for c in session.exec(query.order_by(sa.func.lower(Client.name))).all())


def _people(session: Session, *exclude: sa.ColumnElement[bool]) -> tuple[Choice, ...]:
    query = select(User).where(User.status != UserStatus.ARCHIVED, *exclude)
    return tuple(Choice(u.id, u.name, u.user_type is UserType.AGENT)
                 for u in session.exec(query.order_by(sa.func.lower(User.name))).all())


def assignable_people(session: Session, *, project_id: str) -> tuple[Choice, ...]:
    """People and agents not archived and not yet on the project's team."""
    on_team = select(ProjectMember.user_id).where(ProjectMember.project_id == project_id)
    return _people(session, col(User.id).not_in(on_team))


def teammate_choices(session: Session, *, manager_id: str) -> tuple[Choice, ...]:
    """People and agents not archived who could join the manager's team (not yet on it)."""
    current = select(ManagerTeammate.teammate_id).where(
        ManagerTeammate.manager_id == manager_id)
    return _people(session, col(User.id) != manager_id, col(User.id).not_in(current))


def addable_tasks(session: Session, *, project_id: str) -> tuple[Choice, ...]:
    """Active tasks not active on the project yet."""
    enabled = select(ProjectTask.task_id).where(ProjectTask.project_id == project_id,
                                                col(ProjectTask.is_active))
    query = select(Task).where(col(Task.is_active), col(Task.id).not_in(enabled))
    return tuple(Choice(t.id, t.name)
                 for t in session.exec(query.order_by(sa.func.lower(Task.name))).all())
