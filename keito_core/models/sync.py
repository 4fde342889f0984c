"""Accounting sync: the connection, each record's link to its remote copy, and the outbox.

The outbox is how a change reaches Xero or QuickBooks exactly once: the service that changes an
invoice or a payment inserts an outbox row in the same transaction, so a change is never lost by
a crash and never sent when its transaction rolled back; `keito sync push` (or the push after a
send) works the rows off and records the remote copy in `sync_records`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ConnectionStatus, OutboxState, SyncProvider, SyncStatus
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    json_column,
    timestamp,
)


class SyncConnection(Timestamped, table=True):
    """A connected accounting system; OAuth tokens live in the keyring, never here.

    At most one connection is active (the reference: one integration at a time); the database
    holds that rule with a partial unique index. A disconnected row stays for the history.
    """

    __tablename__ = "sync_connections"
    __table_args__ = (
        sa.Index(
            "uq_sync_connections_active",
            "is_active",
            unique=True,
            sqlite_where=sa.text("is_active = 1"),
            postgresql_where=sa.text("is_active"),
        ),
    )

    id: str = id_field()
    provider: SyncProvider = enum_field(SyncProvider, None)
    tenant_id: str | None = Field(default=None, max_length=100)
    tenant_name: str | None = Field(default=None, max_length=200)
    #: Account, tax-rate, item and people mappings and the sync preferences.
    settings: dict[str, Any] = json_column("settings")
    is_active: bool = Field(default=True)
    status: ConnectionStatus = enum_field(ConnectionStatus, ConnectionStatus.ACTIVE)
    connected_by_id: str | None = fk("users.id", nullable=True, index=False)
    last_error: str | None = Field(default=None)
    disconnected_at: datetime | None = timestamp(nullable=True)
    #: QuickBooks change data capture: the instant up to which remote changes were read.
    cdc_position: datetime | None = timestamp(nullable=True)


class SyncRecord(TableModel, table=True):
    """The link between a local record and its copy in an accounting system."""

    __tablename__ = "sync_records"
    __table_args__ = (sa.UniqueConstraint("provider", "entity_type", "entity_id"),)

    id: str = id_field()
    provider: SyncProvider = enum_field(SyncProvider, None)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    remote_id: str | None = Field(default=None, max_length=100)
    status: SyncStatus = enum_field(SyncStatus, SyncStatus.NOT_SYNCED, index=True)
    error: str | None = Field(default=None)
    attempts: int = Field(default=0)
    last_attempt_at: datetime | None = timestamp(nullable=True)
    synced_at: datetime | None = timestamp(nullable=True)
    #: The organisation or company the remote copy lives in (a new tenant starts afresh).
    tenant_id: str | None = Field(default=None, max_length=100)
    #: QuickBooks' SyncToken of the remote copy, for the next update.
    remote_version: str | None = Field(default=None, max_length=40)
    #: A digest of what was last sent: an unchanged record is not sent again.
    fingerprint: str | None = Field(default=None, max_length=64)


class SyncOutbox(TableModel, table=True):
    """One change waiting to be sent: pushing an entity, voiding an invoice, removing a payment.

    A pending change is recorded once per (provider, entity, operation): recording it again
    while it waits changes nothing (a partial unique index and an insert that ignores the
    conflict), so a burst of edits becomes one send of the latest state.
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        sa.Index(
            "uq_sync_outbox_pending",
            "provider",
            "entity_type",
            "entity_id",
            "operation",
            unique=True,
            sqlite_where=sa.text("state = 'pending'"),
            postgresql_where=sa.text("state = 'pending'"),
        ),
        sa.Index("ix_sync_outbox_state_available", "state", "available_at"),
    )

    id: str = id_field()
    provider: SyncProvider = enum_field(SyncProvider, None)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    #: "push" (create or update), "void" (an invoice closed or deleted), "delete" (a payment).
    operation: str = Field(max_length=16)
    state: OutboxState = enum_field(OutboxState, OutboxState.PENDING)
    attempts: int = Field(default=0)
    #: Not before this instant (a retry's backoff, a rate limit's Retry-After).
    available_at: datetime = timestamp()
    #: A worker holds the row until then; another process skips it meanwhile.
    lease_until: datetime | None = timestamp(nullable=True)
    last_error: str | None = Field(default=None)
    #: What the row needs besides the entity (a deleted payment's remote ID, say).
    detail: dict[str, Any] = json_column("detail")
    created_at: datetime = timestamp()
    done_at: datetime | None = timestamp(nullable=True)
    created_by_id: str | None = fk("users.id", nullable=True, index=False)
