"""Time entries: the hours people and agents log, by timer or by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ApprovalStatus, Source
from keito_core.models.base import (
    Timestamped,
    enum_field,
    fk,
    id_field,
    json_column,
    money,
    timestamp,
)


class TimeEntry(Timestamped, table=True):
    """One block of work (reference: Time Entries API).

    Durations are whole seconds; `hours` in the API is derived. Rates are captured at save,
    so later rate changes never rewrite history.
    """

    __tablename__ = "time_entries"
    __table_args__ = (
        sa.Index("ix_time_entries_user_day", "user_id", "spent_date"),
        sa.Index("ix_time_entries_project_day", "project_id", "spent_date"),
        # Reports read a period's entries from this index alone (the day, then every column
        # they sum or group by): a year of a million entries without touching the rows.
        sa.Index("ix_time_entries_report", "spent_date", "project_id", "user_id", "task_id",
                 "is_billable", "duration_seconds", "billable_rate", "cost_rate",
                 "invoice_id", "source"),
        # One running timer per user, enforced by the database itself.
        sa.Index(
            "uq_time_entries_running_user",
            "user_id",
            unique=True,
            sqlite_where=sa.text("is_running = 1"),
            postgresql_where=sa.text("is_running"),
        ),
        sa.CheckConstraint("duration_seconds >= 0", name="duration_non_negative"),
    )

    id: str = id_field()
    user_id: str = fk("users.id", index=False)
    project_id: str = fk("projects.id", index=False)
    task_id: str | None = fk("tasks.id", nullable=True)
    spent_date: date = Field()
    duration_seconds: int = Field(default=0)
    notes: str | None = Field(default=None)
    is_running: bool = Field(default=False)
    timer_started_at: datetime | None = timestamp(nullable=True)
    started_at: datetime | None = timestamp(nullable=True)
    ended_at: datetime | None = timestamp(nullable=True)
    #: True once the workspace rounding has been applied, so it is never applied twice.
    is_rounded: bool = Field(default=False)
    is_billable: bool = Field(default=True)
    billable_rate: Decimal | None = money()
    cost_rate: Decimal | None = money()
    approval_status: ApprovalStatus = enum_field(ApprovalStatus, ApprovalStatus.UNSUBMITTED)
    submission_id: str | None = fk("submissions.id", nullable=True)
    invoice_id: str | None = fk("invoices.id", nullable=True)
    #: The invoice line that bills it (removing the line releases it).
    invoice_line_id: str | None = fk("invoice_lines.id", nullable=True)
    #: Set when an administrator unlocks an approved or auto-locked entry.
    unlocked_at: datetime | None = timestamp(nullable=True)
    unlocked_by_id: str | None = fk("users.id", nullable=True, index=False)
    source: Source = enum_field(Source, Source.CLI, index=True)
    meta: dict[str, Any] = json_column("metadata")

    @property
    def hours(self) -> Decimal:
        """Decimal hours, as the reference API reports them."""
        return (Decimal(self.duration_seconds) / 3600).quantize(Decimal("0.000001"))
