"""What shell completion offers: handles of the projects, tasks and categories one may use.

Plain tuples from one query each, ordered by handle; the command line matches and formats them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from keito_core.errors import KeitoError
from keito_core.models import ExpenseCategory, Project, ProjectTask, Task
from keito_core.platform.lookup import find_project
from keito_core.rules.permissions import Actor, visible_project_ids


@dataclass(frozen=True)
class Handle:
    """A record's handle for the command line, its code (projects) and its name."""

    handle: str
    name: str
    code: str | None = None


def project_handles(session: Session, *, viewer: Actor) -> list[Handle]:
    """The active projects `viewer` may see."""
    query = select(Project).where(col(Project.is_active).is_(True))
    visible = visible_project_ids(viewer)
    if visible is not None:
        query = query.where(col(Project.id).in_(sorted(visible)))
    rows = session.exec(query.order_by(col(Project.handle))).all()
    return [Handle(handle=p.handle, name=p.name, code=p.code) for p in rows]


def task_handles(session: Session, *, project_ref: str | None = None) -> list[Handle]:
    """The active tasks enabled on `project_ref` (every active task when it names none)."""
    query = select(Task).where(col(Task.is_active).is_(True))
    if project_ref:
        try:
            project = find_project(session, project_ref)
        except KeitoError:
            project = None
        if project is not None:
            query = query.join(ProjectTask, col(ProjectTask.task_id) == Task.id).where(
                ProjectTask.project_id == project.id, col(ProjectTask.is_active).is_(True))
    rows = session.exec(query.order_by(col(Task.handle))).all()
    return [Handle(handle=t.handle, name=t.name) for t in rows]


def category_handles(session: Session) -> list[Handle]:
    """The active expense categories."""
    rows = session.exec(select(ExpenseCategory).where(col(ExpenseCategory.is_active).is_(True))
                        .order_by(col(ExpenseCategory.handle))).all()
    return [Handle(handle=c.handle, name=c.name) for c in rows]
