"""Recording what must reach the accounting system, in the transaction that changed it.

Billing services call these functions as they change an invoice or a payment. Nothing is
recorded while no integration is connected; with one, a change becomes a `sync_outbox` row in
the same transaction, so it is sent exactly when the change is committed, never when it rolled
back, and never forgotten by a crash. `keito sync push` (keito_core.sync.engine) sends the rows.

What is recorded, with an active connection:
- an invoice issued (sent or marked as sent), when the settings say `sync_on_send` (the default);
- an invoice already in the accounting system that changes (lines, header) or reopens: pushed
  again;
- a payment recorded against an invoice already there (a payment of an invoice not yet there
  goes with the invoice's first push);
- a payment deleted whose copy is there: taken back remotely;
- an invoice closed or deleted whose copy is there: voided remotely (never a remote delete).

A pending row is recorded once: recording the same change again while it waits does nothing
(a partial unique index, and an insert that ignores the conflict, so two transactions racing
on PostgreSQL do not fail each other).

This module imports no HTTP code: every billing write loads it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import OutboxState, SyncProvider
from keito_core.models import SyncConnection, SyncOutbox, SyncRecord
from keito_core.platform.ids import new_id

#: The session's cached answer to "which connection is active?" (None: none is).
_CACHE_KEY = "keito.sync.active_connection"
_NONE = object()
#: Set on a session that records changes pulled from the accounting system.
PULLING = "keito.sync.pulling"


def active_connection(session: Session) -> SyncConnection | None:
    """The active integration (needing a reconnect or not), or None; asked once per session."""
    if session.info.get(PULLING):
        return None  # recording what the accounting system itself sent: nothing to echo back
    cached = session.info.get(_CACHE_KEY)
    if cached is _NONE:
        return None
    if isinstance(cached, SyncConnection):
        return cached
    connection = find_active_connection(session)
    session.info[_CACHE_KEY] = connection if connection is not None else _NONE
    return connection


def find_active_connection(session: Session) -> SyncConnection | None:
    """The active integration (working or needing a reconnect), or None: read now."""
    return session.scalars(
        sa.select(SyncConnection).where(col(SyncConnection.is_active).is_(True)).limit(1)
    ).first()


def remote_record(session: Session, provider: SyncProvider | str, entity_type: str,
                  entity_id: str) -> SyncRecord | None:
    return session.scalars(
        sa.select(SyncRecord).where(
            col(SyncRecord.provider) == SyncProvider(provider),
            col(SyncRecord.entity_type) == entity_type,
            col(SyncRecord.entity_id) == entity_id,
        )
    ).first()


def _linked(session: Session, connection: SyncConnection, entity_type: str,
            entity_id: str) -> SyncRecord | None:
    record = remote_record(session, connection.provider, entity_type, entity_id)
    if record is None or not record.remote_id:
        return None
    if connection.tenant_id and record.tenant_id and record.tenant_id != connection.tenant_id:
        return None  # a copy in another organisation: this one starts afresh
    return record


def enqueue(session: Session, connection: SyncConnection, *, entity_type: str,
            entity_id: str, operation: str, now: datetime, actor_id: str | None = None,
            detail: dict[str, Any] | None = None) -> None:
    """Record one change to send (once while it waits; see the module's docstring)."""
    values = dict(
        id=new_id("sync_outbox"), provider=str(connection.provider), entity_type=entity_type,
        entity_id=entity_id, operation=operation, state=str(OutboxState.PENDING), attempts=0,
        available_at=now, lease_until=None, last_error=None, detail=detail or {},
        created_at=now, done_at=None, created_by_id=actor_id,
    )
    table = SyncOutbox.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(**values).on_conflict_do_nothing(
        index_elements=["provider", "entity_type", "entity_id", "operation"],
        index_where=sa.text("state = 'pending'"),
    )
    session.execute(statement)


def _settings(connection: SyncConnection) -> dict[str, Any]:
    return dict(connection.settings or {})


def invoice_issued(session: Session, *, invoice_id: str, now: datetime,
                   actor_id: str | None = None) -> None:
    """A draft became open: push it when the settings sync on send."""
    connection = active_connection(session)
    if connection is None or not _settings(connection).get("sync_on_send", True):
        return
    enqueue(session, connection, entity_type="invoice", entity_id=invoice_id,
            operation="push", now=now, actor_id=actor_id)


def invoice_changed(session: Session, *, invoice_id: str, now: datetime,
                    actor_id: str | None = None) -> None:
    """An invoice already in the accounting system changed: push it again."""
    connection = active_connection(session)
    if connection is None or _linked(session, connection, "invoice", invoice_id) is None:
        return
    enqueue(session, connection, entity_type="invoice", entity_id=invoice_id,
            operation="push", now=now, actor_id=actor_id)


def invoice_voided(session: Session, *, invoice_id: str, now: datetime,
                   actor_id: str | None = None) -> None:
    """An invoice closed or deleted: void its copy (the row may be gone by the send, so the
    remote ID travels in the outbox row)."""
    connection = active_connection(session)
    if connection is None:
        return
    record = _linked(session, connection, "invoice", invoice_id)
    if record is None:
        return
    enqueue(session, connection, entity_type="invoice", entity_id=invoice_id,
            operation="void", now=now, actor_id=actor_id,
            detail={"remote_id": record.remote_id, "remote_version": record.remote_version})


def payment_recorded(session: Session, *, payment_id: str, invoice_id: str, now: datetime,
                     actor_id: str | None = None) -> None:
    connection = active_connection(session)
    if connection is None or _linked(session, connection, "invoice", invoice_id) is None:
        return
    enqueue(session, connection, entity_type="payment", entity_id=payment_id,
            operation="push", now=now, actor_id=actor_id, detail={"invoice_id": invoice_id})


def payment_deleted(session: Session, *, payment_id: str, invoice_id: str, now: datetime,
                    actor_id: str | None = None) -> None:
    connection = active_connection(session)
    if connection is None:
        return
    record = _linked(session, connection, "payment", payment_id)
    if record is None:
        return
    enqueue(session, connection, entity_type="payment", entity_id=payment_id,
            operation="delete", now=now, actor_id=actor_id,
            detail={"remote_id": record.remote_id, "remote_version": record.remote_version,
                    "invoice_id": invoice_id})
