"""Saved reports, notifications and the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ReportKind
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    json_column,
    timestamp,
)


class SavedReport(Timestamped, table=True):
    """A named combination of report filters."""

    __tablename__ = "saved_reports"
    __table_args__ = (sa.UniqueConstraint("owner_id", "name"),)

    id: str = id_field()
    owner_id: str = fk("users.id", ondelete="CASCADE", index=False)
    name: str = Field(max_length=200)
    kind: ReportKind = enum_field(ReportKind, ReportKind.TIME)
    filters: dict[str, Any] = json_column("filters")
    is_shared: bool = Field(default=False)


class Notification(TableModel, table=True):
    """An in-app message (inbox), also emailed when the workspace has an SMTP server."""

    __tablename__ = "notifications"
    __table_args__ = (sa.Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: str = id_field()
    user_id: str = fk("users.id", ondelete="CASCADE", index=False)
    kind: str = Field(max_length=64)
    title: str = Field(max_length=300)
    body: str | None = Field(default=None)
    subject_type: str | None = Field(default=None, max_length=40)
    subject_id: str | None = Field(default=None, max_length=40)
    read_at: datetime | None = timestamp(nullable=True)
    emailed_at: datetime | None = timestamp(nullable=True)
    created_at: datetime = timestamp()


class AuditEvent(TableModel, table=True):
    """Who changed what, when: written by services in the same transaction as the change."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: str = id_field()
    actor_id: str | None = Field(default=None, max_length=40)
    action: str = Field(max_length=64)
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=40)
    changes: dict[str, Any] = json_column("changes")
    created_at: datetime = timestamp()
