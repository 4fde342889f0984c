"""Timesheet submissions, the items each one held, and the trail of approval decisions."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ApprovalAction, SubmissionStatus
from keito_core.models.base import TableModel, enum_field, fk, id_field, timestamp


class Submission(TableModel, table=True):
    """A batch of one user's entries and expenses for a period, sent for approval."""

    __tablename__ = "submissions"
    __table_args__ = (sa.Index("ix_submissions_user_period", "user_id", "period_start"),)

    id: str = id_field()
    user_id: str = fk("users.id", index=False)
    period_start: date
    period_end: date
    status: SubmissionStatus = enum_field(SubmissionStatus, SubmissionStatus.SUBMITTED, index=True)
    submitted_at: datetime = timestamp()
    decided_at: datetime | None = timestamp(nullable=True)
    decided_by_id: str | None = fk("users.id", nullable=True, index=False)
    #: The reviewer's reason on rejection, or note on approval.
    reason: str | None = Field(default=None)


#: The kinds of item a submission holds (SubmissionItem.item_kind).
SUBMISSION_ITEM_KINDS = ("time_entry", "expense")


class SubmissionItem(TableModel, table=True):
    """A time entry or expense a submission held when it was submitted.

    An item's own `submission_id` follows it to its newest submission; these rows stay, so a
    rejected submission still lists what it held after its items are resubmitted. `item_id`
    has no foreign key: like the audit trail, the history outlives a deleted item.
    """

    __tablename__ = "submission_items"
    __table_args__ = (
        sa.CheckConstraint("item_kind IN ('time_entry', 'expense')", name="item_kind"),
    )

    submission_id: str = Field(
        sa_column_args=[sa.ForeignKey("submissions.id", ondelete="CASCADE")],
        primary_key=True,
        max_length=40,
    )
    #: The ID of the time entry (te_...) or expense (exp_...).
    item_id: str = Field(primary_key=True, max_length=40, index=True)
    item_kind: str = Field(max_length=16)


class ApprovalEvent(TableModel, table=True):
    """One step of the approval workflow, kept forever for the audit trail."""

    __tablename__ = "approval_events"

    id: str = id_field()
    submission_id: str = fk("submissions.id", ondelete="CASCADE")
    actor_id: str = fk("users.id", index=False)
    action: ApprovalAction = enum_field(ApprovalAction, None)
    reason: str | None = Field(default=None)
    item_count: int = Field(default=0)
    created_at: datetime = timestamp()
