"""Time entries: the hours people and agents log, by timer or by hand."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ApprovalStatus, Source
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    json_column,
    money,
    timestamp,
)
from keito_core.models.types import Micros


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


#: What stands for "no task" in `TimeEntryMonth.task_id` (a key column cannot be NULL: NULLs
#: are never equal, so every entry without a task would get its own row).
NO_TASK_KEY = ""


class TimeEntryMonth(TableModel, table=True):
    """The time entries of one month summed per everything a time summary groups, filters or
    prices by: the month, project, person, task, source, billable, invoiced and both rates.

    Kept by database triggers on `time_entries` (migration 0008), never by Python code, so
    every write (services, bulk updates, invoicing, the demo, raw SQL) keeps it right. Rates
    are stored as micro-units with NULL as 0, which is all a summary reads of them (seconds x
    rate, summed per row, is the entries' own sum of seconds x rate). Reports read whole
    months from here and the days of partial months from the entries
    (keito_core.reports.analysis.months).
    """

    __tablename__ = "time_entry_months"
    # The key is the primary key, month first (a period's months are one range); SQLite keeps
    # the sums in the key's own b-tree.
    __table_args__ = ({"sqlite_with_rowid": False},)

    month: date = Field(primary_key=True)
    project_id: str = Field(primary_key=True, max_length=40)
    user_id: str = Field(primary_key=True, max_length=40)
    #: The entry's task, or NO_TASK_KEY.
    task_id: str = Field(primary_key=True, max_length=40)
    source: str = Field(primary_key=True, max_length=32)
    is_billable: bool = Field(primary_key=True)
    #: Whether the entries are on an invoice (invoice_id IS NOT NULL).
    invoiced: bool = Field(primary_key=True)
    billable_rate: Decimal = Field(primary_key=True, sa_type=Micros)
    cost_rate: Decimal = Field(primary_key=True, sa_type=Micros)
    entry_count: int = Field(sa_type=sa.Integer)
    duration_seconds: int = Field(sa_type=sa.BigInteger)
