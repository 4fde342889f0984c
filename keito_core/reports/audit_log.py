"""Reading the audit trail: who changed what, when, from what to what, and why.

Who sees what: holders of `audit.view` (administrators) see the whole trail; everyone else
sees the events they caused and the events about their own records (their user, API keys,
time entries, expenses, timesheet submissions and notifications).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import forbidden, validation
from keito_core.models import (
    ApiKey,
    AuditEvent,
    Expense,
    Notification,
    Submission,
    TimeEntry,
    User,
    metadata,
)
from keito_core.platform.identity import get_workspace
from keito_core.platform.instant_paging import paginate_newest
from keito_core.platform.lookup import find_user
from keito_core.platform.paging import Page
from keito_core.rules import permissions as policy
from keito_core.rules.periods import parse_date, utc_bounds_of_local_day
from keito_core.rules.permissions import Action

#: Records that belong to a person, by the column naming their owner.
_OWNED = (
    (ApiKey, ApiKey.user_id),
    (TimeEntry, TimeEntry.user_id),
    (Expense, Expense.user_id),
    (Submission, Submission.user_id),
    (Notification, Notification.user_id),
)
#: Keys of `changes` that explain a change rather than describe one.
NOTE_KEYS = ("reason", "note", "comment")


def _singular(table: str) -> str:
    if table.endswith("ies"):
        return table[:-3] + "y"
    return table[:-1] if table.endswith("s") else table


def parse_entity_type(value: str) -> str:
    """A table name from what people type: `time_entries`, `time-entry`, `expense` ..."""
    word = value.strip().lower().replace("-", "_").replace(" ", "_")
    for table in metadata.tables:
        if word in (table, _singular(table)):
            return table
    known = ", ".join(sorted(_singular(t) for t in metadata.tables if t != "alembic_version"))
    raise validation(f"unknown record type: {value!r}", field="type", hint=f"use one of: {known}")


def _visible_to(actor: policy.Actor) -> Any:
    """The condition on audit events for an actor without `audit.view`."""
    me = actor.user_id
    mine: list[Any] = [
        col(AuditEvent.actor_id) == me,
        sa.and_(col(AuditEvent.entity_type) == "users", col(AuditEvent.entity_id) == me),
    ]
    for model, owner in _OWNED:
        owned = sa.select(col(model.id)).where(col(owner) == me)
        mine.append(
            sa.and_(
                col(AuditEvent.entity_type) == model.__tablename__,
                col(AuditEvent.entity_id).in_(owned),
            )
        )
    return sa.or_(*mine)


def list_events(
    session: Session,
    *,
    actor: policy.Actor,
    entity_id: str | None = None,
    entity_type: str | None = None,
    actor_ref: str | None = None,
    action: str | None = None,
    since: str | date | None = None,
    until: str | date | None = None,
    now: datetime,
    limit: int | str | None = None,
    cursor: str | None = None,
) -> Page:
    """Audit events the actor may see, newest first, filtered; `since`/`until` are local days.

    `action` matches exactly, or as a prefix before a dot: `time_entry` finds every
    `time_entry.*` event.
    """
    if not actor.is_active:
        raise forbidden("an inactive user may not read the audit trail")
    query = select(AuditEvent)
    if not policy.can(actor, Action.AUDIT_VIEW):
        query = query.where(_visible_to(actor))
    if entity_id:
        query = query.where(AuditEvent.entity_id == entity_id.strip())
    if entity_type:
        query = query.where(AuditEvent.entity_type == parse_entity_type(entity_type))
    if actor_ref:
        query = query.where(AuditEvent.actor_id == find_user(session, actor_ref, field="actor").id)
    if action:
        name = action.strip().lower()
        query = query.where(
            sa.or_(col(AuditEvent.action) == name, col(AuditEvent.action).startswith(name + "."))
        )
    if since is not None or until is not None:
        tz = ZoneInfo(get_workspace(session).timezone)
        today = now.astimezone(tz).date()
        first = last = None
        if since is not None:
            first = since if isinstance(since, date) else parse_date(since, today=today,
                                                                     field="since")
            query = query.where(AuditEvent.created_at >= utc_bounds_of_local_day(first, tz)[0])
        if until is not None:
            last = until if isinstance(until, date) else parse_date(until, today=today,
                                                                    field="until")
            query = query.where(AuditEvent.created_at < utc_bounds_of_local_day(last, tz)[1])
        if first is not None and last is not None and first > last:
            raise validation(f"--since {first.isoformat()} is after --until {last.isoformat()}",
                             field="since", hint="give the earlier day first")
    return paginate_newest(
        session,
        query,
        kind="audit",
        time_column=AuditEvent.created_at,
        id_column=AuditEvent.id,
        limit=limit,
        cursor=cursor,
    )


def _is_diff(value: Any) -> bool:
    return isinstance(value, list) and len(value) == 2


def event_view(event: AuditEvent, *, actor_name: str | None) -> dict[str, Any]:
    """The public shape of an event: diffs as from/to, recorded values, and the reason."""
    diffs, values, reason = [], {}, None
    for key, value in (event.changes or {}).items():
        if key in NOTE_KEYS and not _is_diff(value):
            reason = value if reason is None else reason
        elif _is_diff(value):
            diffs.append({"field": key, "from": value[0], "to": value[1]})
        else:
            values[key] = value
    return {
        "id": event.id,
        "created_at": event.created_at,
        "actor": {"id": event.actor_id, "name": actor_name} if event.actor_id else None,
        "action": event.action,
        "entity_type": event.entity_type,
        "entity_id": event.entity_id,
        "changes": diffs,
        "values": values,
        "reason": reason,
    }


def event_views(session: Session, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Public shapes of events with their actors' names, in one query."""
    ids = {e.actor_id for e in events if e.actor_id}
    names = (
        dict(session.exec(select(User.id, User.name).where(col(User.id).in_(ids))).all())
        if ids
        else {}
    )
    return [event_view(e, actor_name=names.get(e.actor_id or "")) for e in events]
