"""The audit trail: services record every change in the same transaction as the change.

Every write here is stamped with the caller's `now` (the runtime clock's instant of the user's
action), never with the wall clock, so a change and its audit event carry the same instant.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session

from keito_core.models import AuditEvent
from keito_core.platform.ids import new_id


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    *,
    actor_id: str | None,
    action: str,
    entity: Any,
    changes: dict[str, Any] | None = None,
    now: datetime,
) -> None:
    """Add an audit event for `entity` (any table row with an id), made at `now`."""
    session.add(
        AuditEvent(
            id=new_id("audit_event"),
            actor_id=actor_id,
            action=action,
            entity_type=entity.__tablename__,
            entity_id=entity.id,
            changes={k: _plain(v) for k, v in (changes or {}).items()},
            created_at=now,
        )
    )


def save_changes(
    session: Session,
    entity: Any,
    changes: dict[str, Any],
    *,
    actor_id: str | None,
    action: str,
    always: bool = False,
    now: datetime,
) -> dict[str, Any]:
    """Apply `changes`; when something changed (or `always`), set updated_at to `now`, flush and
    audit.

    Returns the {field: [old, new]} diff.
    """
    diff = apply_changes(entity, changes)
    if diff or always:
        if hasattr(entity, "updated_at"):
            entity.updated_at = now
        session.add(entity)
        session.flush()
        record(session, actor_id=actor_id, action=action, entity=entity, changes=diff, now=now)
    return diff


def set_active(session: Session, entity: Any, active: bool, *, actor_id: str, kind: str,
               now: datetime) -> Any:
    """Archive (at `now`) or restore a row with `is_active` (and `archived_at` when it has one);
    idempotent."""
    if entity.is_active == active:
        return entity
    changes: dict[str, Any] = {"is_active": active}
    if hasattr(entity, "archived_at"):
        changes["archived_at"] = None if active else now
    action = f"{kind}.restore" if active else f"{kind}.archive"
    save_changes(session, entity, changes, actor_id=actor_id, action=action, now=now)
    return entity


def apply_changes(entity: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """Set the given attributes; return {field: [old, new]} for those that really changed."""
    diff: dict[str, Any] = {}
    for name, value in changes.items():
        old = getattr(entity, name)
        if old != value:
            setattr(entity, name, value)
            diff[name] = [_plain(old), _plain(value)]
    return diff
