"""Submission items: which time entries and expenses each submission held.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

An item's own submission_id follows it to its newest submission, so a rejected submission
lost the list of its items once they were resubmitted. This table keeps it. Every existing
submission gets the items that point at it now (what is known of its history); no other row
changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The item tables and the kind their rows are recorded as.
ITEM_TABLES = (("time_entries", "time_entry"), ("expenses", "expense"))


def upgrade() -> None:
    op.create_table(
        "submission_items",
        sa.Column("submission_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("item_kind", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "item_kind IN ('time_entry', 'expense')",
            name=op.f("ck_submission_items_item_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_items_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("submission_id", "item_id", name=op.f("pk_submission_items")),
    )
    op.create_index(op.f("ix_submission_items_item_id"), "submission_items", ["item_id"])

    items = sa.table(
        "submission_items",
        sa.column("submission_id", sa.String()),
        sa.column("item_id", sa.String()),
        sa.column("item_kind", sa.String()),
    )
    for table_name, kind in ITEM_TABLES:
        source = sa.table(table_name, sa.column("id", sa.String()),
                          sa.column("submission_id", sa.String()))
        op.execute(
            items.insert().from_select(
                ["submission_id", "item_id", "item_kind"],
                sa.select(source.c.submission_id, source.c.id, sa.literal(kind))
                .where(source.c.submission_id.is_not(None)),
            )
        )


def downgrade() -> None:
    op.drop_table("submission_items")
