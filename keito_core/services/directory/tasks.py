"""Company-level tasks: the kinds of work (Design, Development, Meetings ...) time is logged to."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import conflict, validation
from keito_core.models import Task
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_task, unique_handle
from keito_core.rules import permissions as policy
from keito_core.rules.money import parse_money
from keito_core.rules.permissions import Action, Actor, Target
from keito_core.rules.text import MAX_SLUG_LENGTH, slugify, validate_name
from keito_core.services.directory.clients import status_clause

_TARGET = Target()
_HANDLE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


#: The default of edit arguments: leave the field as it is.
UNSET: Any = _Unset()


def parse_rate(value: str | Decimal | None) -> Decimal | None:
    """A default hourly rate from user input; None (or `none`, or empty) means no rate."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in {"", "none"}:
        return None
    return parse_money(value, field="rate")


def validate_handle(text: str) -> str:
    """A command-line handle: lower-case letters, digits and single hyphens, at most 40 chars."""
    handle = (text or "").strip().lower()
    if not handle:
        raise validation("handle cannot be empty", field="handle")
    if len(handle) > MAX_SLUG_LENGTH or not _HANDLE_RE.match(handle):
        raise validation(
            f"not a valid handle: {text.strip()!r}",
            field="handle",
            hint=f"use lower-case letters, digits and hyphens, e.g. {slugify(text)!r}",
        )
    return handle


def _check_unique(session: Session, *, name: str | None = None, handle: str | None = None,
                  exclude_id: str | None = None) -> None:
    checks = []
    if name is not None:
        checks.append(("name", sa.func.lower(Task.name) == name.lower(), name))
    if handle is not None:
        checks.append(("handle", col(Task.handle) == handle, handle))
    for field, condition, value in checks:
        query = select(Task.id).where(condition)
        if exclude_id:
            query = query.where(Task.id != exclude_id)
        if session.exec(query).first() is not None:
            raise conflict(f"a task with {field} {value!r} already exists", field=field)


def check_task_change(actor: Actor, *, creating: bool) -> None:
    """Refuse, as create_task (or edit_task) does, an actor who may not add (or change) tasks:
    the pre-check of a form."""
    policy.require(actor, Action.TASK_CREATE if creating else Action.TASK_EDIT, _TARGET)


def create_task(
    session: Session,
    *,
    actor: Actor,
    name: str,
    billable: bool = True,
    rate: str | Decimal | None = None,
    is_default: bool = False,
    now: datetime,
) -> Task:
    """A new company-level task with a unique handle made from its name."""
    check_task_change(actor, creating=True)
    name = validate_name(name, "name")
    default_rate = parse_rate(rate)
    _check_unique(session, name=name)
    task = Task(
        id=new_id("task"),
        name=name,
        handle=unique_handle(session, Task, slugify(name, fallback="task")),
        is_billable_default=billable,
        default_rate=default_rate,
        is_default=is_default,
        created_at=now, updated_at=now,
    )
    session.add(task)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="task.create", entity=task, changes={
        "name": name, "handle": task.handle, "is_billable_default": billable,
        "default_rate": default_rate, "is_default": is_default,
    }, now=now)
    return task


def list_tasks(session: Session, *, actor: Actor, status: str = "active") -> list[Task]:
    """Tasks by name: the active ones, the archived ones or all."""
    policy.require(actor, Action.TASK_VIEW)
    query = select(Task).where(status_clause(Task.is_active, status))
    return list(session.exec(query.order_by(sa.func.lower(Task.name), Task.id)).all())


def get_task(session: Session, *, actor: Actor, ref: str) -> Task:
    """A task by ID, handle or name."""
    policy.require(actor, Action.TASK_VIEW, _TARGET)
    return find_task(session, ref)


def edit_task(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    name: str = UNSET,
    handle: str = UNSET,
    billable: bool = UNSET,
    rate: str | Decimal | None = UNSET,
    is_default: bool = UNSET,
    now: datetime,
) -> Task:
    """Change a task. Renaming keeps the handle (scripts use it) unless a new one is given."""
    check_task_change(actor, creating=False)
    task = find_task(session, ref)
    values: dict[str, Any] = {}
    if name is not UNSET:
        values["name"] = validate_name(name, "name")
        if values["name"].lower() != task.name.lower():
            _check_unique(session, name=values["name"], exclude_id=task.id)
    if handle is not UNSET:
        values["handle"] = validate_handle(handle)
        _check_unique(session, handle=values["handle"], exclude_id=task.id)
    if billable is not UNSET:
        values["is_billable_default"] = bool(billable)
    if rate is not UNSET:
        values["default_rate"] = parse_rate(rate)
    if is_default is not UNSET:
        values["is_default"] = bool(is_default)
    audit.save_changes(session, task, values, actor_id=actor.user_id, action="task.edit", now=now)
    return task


def archive_task(session: Session, *, actor: Actor, ref: str, now: datetime) -> Task:
    """Hide a task from new entries; existing entries keep it (idempotent)."""
    return _set_active(session, actor, ref, active=False, now=now)


def restore_task(session: Session, *, actor: Actor, ref: str, now: datetime) -> Task:
    """Make an archived task available again (idempotent)."""
    return _set_active(session, actor, ref, active=True, now=now)


def _set_active(session: Session, actor: Actor, ref: str, *, active: bool, now: datetime) -> Task:
    policy.require(actor, Action.TASK_ARCHIVE, _TARGET)
    task = find_task(session, ref)
    return audit.set_active(session, task, active, actor_id=actor.user_id, kind="task", now=now)
