"""Reports read a period's time entries from one index: the day first, then every column a
report sums or groups by, so a year of a million entries is read without touching the rows.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

It replaces the index on spent_date alone (its first column is the same), so writes keep
one index on the day, not two. No row changes.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLUMNS = ["spent_date", "project_id", "user_id", "task_id", "is_billable", "duration_seconds",
           "billable_rate", "cost_rate", "invoice_id", "source"]


def upgrade() -> None:
    op.create_index(op.f("ix_time_entries_report"), "time_entries", COLUMNS)
    op.drop_index(op.f("ix_time_entries_spent_date"), table_name="time_entries")


def downgrade() -> None:
    op.create_index(op.f("ix_time_entries_spent_date"), "time_entries", ["spent_date"])
    op.drop_index(op.f("ix_time_entries_report"), table_name="time_entries")
