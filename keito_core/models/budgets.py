"""Budget alerts already sent: one row per budget, threshold and period, so each goes once."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.models.base import TableModel, fk, id_field, timestamp


class BudgetAlert(TableModel, table=True):
    """A threshold a budget crossed in a period (reference: Over-Budget Notifications).

    The unique constraint is what makes the alert exactly once: the write that crosses the
    threshold inserts this row in its own transaction (INSERT ... ON CONFLICT DO NOTHING) and
    notifies only when the row was new, however many processes cross it together.
    """

    __tablename__ = "budget_alerts"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "scope_key", "kind", "threshold", "period"),
    )

    id: str = id_field()
    project_id: str = fk("projects.id", ondelete="CASCADE", index=False)
    #: "" for the project's budget, else the task's or the person's ID.
    scope_key: str = Field(default="", max_length=40)
    #: "hours" or "fees".
    kind: str = Field(max_length=8)
    #: The alert percent ("80") or "over".
    threshold: str = Field(max_length=8)
    #: "life", or the month "YYYY-MM" of a monthly budget.
    period: str = Field(max_length=8)
    #: Percent used when the alert was recorded.
    percent_used: int | None = Field(default=None)
    created_at: datetime = timestamp()
