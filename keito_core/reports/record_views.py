"""Time entries and expenses as a viewer sees them, with their project, task or category and
user names and the locking decision edits would meet: the command line's JSON and tables.

The names come from one query per related table, whatever the number of records; the shapes
(and which money fields show) are keito_core.presenters's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from keito_core import presenters
from keito_core.models import Client, Expense, ExpenseCategory, Project, Task, TimeEntry, User
from keito_core.platform.access import lock_flags
from keito_core.rules.permissions import Actor


def time_entry_views(session: Session, *, viewer: Actor, entries: Sequence[TimeEntry],
                     now: datetime) -> list[dict[str, Any]]:
    """Public dicts of `entries` as `viewer` sees them, locked as of `now`."""
    items = list(entries)
    projects = _by_id(session, Project, {e.project_id for e in items})
    tasks = _by_id(session, Task, {e.task_id for e in items if e.task_id})
    users = _by_id(session, User, {e.user_id for e in items})
    locks = lock_flags(session, items, now=now)
    return [
        presenters.time_entry(e, viewer=viewer, project=projects.get(e.project_id),
                              task=tasks.get(e.task_id or ""), user=users.get(e.user_id),
                              now=now, locked=locked)
        for e, locked in zip(items, locks, strict=True)
    ]


def expense_views(session: Session, *, viewer: Actor, expenses: Sequence[Expense],
                  now: datetime) -> list[dict[str, Any]]:
    """Public dicts of `expenses` as `viewer` sees them, locked as of `now`."""
    items = list(expenses)
    projects = _by_id(session, Project, {x.project_id for x in items})
    categories = _by_id(session, ExpenseCategory, {x.category_id for x in items})
    users = _by_id(session, User, {x.user_id for x in items})
    locks = lock_flags(session, items, now=now)
    currencies = expense_currencies(session, items)
    return [
        presenters.expense(x, viewer=viewer, project=projects.get(x.project_id),
                           category=categories.get(x.category_id), user=users.get(x.user_id),
                           locked=locked, currency=currencies.get(x.project_id))
        for x, locked in zip(items, locks, strict=True)
    ]


def expense_currencies(session: Session, expenses: Sequence[Expense]) -> dict[str, str]:
    """The currency of each expense's project (its client's), by project id: one query."""
    ids = sorted({x.project_id for x in expenses})
    if not ids:
        return {}
    rows = session.exec(select(Project.id, Client.currency)
                        .join(Client, col(Client.id) == col(Project.client_id))
                        .where(col(Project.id).in_(ids))).all()
    return {project_id: currency for project_id, currency in rows}


def _by_id(session: Session, model: Any, ids: set[str]) -> dict[str, Any]:
    if not ids:
        return {}
    rows = session.exec(select(model).where(col(model.id).in_(sorted(ids)))).all()
    return {row.id: row for row in rows}
