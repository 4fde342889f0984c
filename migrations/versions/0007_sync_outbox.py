"""Accounting sync: the outbox, the connection's state and the remote copy's version.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06

New columns are nullable or take a default, so every existing row stays as it was; the new
table starts empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_connections") as batch:
        batch.add_column(sa.Column("status", sa.String(length=32), nullable=False,
                                   server_default="active"))
        batch.add_column(sa.Column("disconnected_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.add_column(sa.Column("cdc_position", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sync_connections") as batch:
        batch.alter_column("status", server_default=None)
    op.create_index(
        "uq_sync_connections_active", "sync_connections", ["is_active"], unique=True,
        sqlite_where=sa.text("is_active = 1"), postgresql_where=sa.text("is_active"),
    )
    with op.batch_alter_table("sync_records") as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(length=100), nullable=True))
        batch.add_column(sa.Column("remote_version", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("fingerprint", sa.String(length=64), nullable=True))
    op.create_table(
        "sync_outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("entity_type", sa.String(length=40), nullable=False),
        sa.Column("entity_id", sa.String(length=40), nullable=False),
        sa.Column("operation", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"],
                                name=op.f("fk_sync_outbox_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_outbox")),
    )
    op.create_index(
        "uq_sync_outbox_pending", "sync_outbox",
        ["provider", "entity_type", "entity_id", "operation"], unique=True,
        sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_index("ix_sync_outbox_state_available", "sync_outbox", ["state", "available_at"])


def downgrade() -> None:
    op.drop_index("ix_sync_outbox_state_available", table_name="sync_outbox")
    op.drop_index("uq_sync_outbox_pending", table_name="sync_outbox")
    op.drop_table("sync_outbox")
    with op.batch_alter_table("sync_records") as batch:
        batch.drop_column("fingerprint")
        batch.drop_column("remote_version")
        batch.drop_column("tenant_id")
    op.drop_index("uq_sync_connections_active", table_name="sync_connections")
    with op.batch_alter_table("sync_connections") as batch:
        batch.drop_column("cdc_position")
        batch.drop_column("disconnected_at")
        batch.drop_column("status")
