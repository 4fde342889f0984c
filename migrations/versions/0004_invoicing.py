"""Invoicing: which line bills each item, fee lines, numbers never reused, the message history,
the company's address.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06

Every existing invoice's number is recorded in invoice_numbers, so it is never given again.
No other row changes: items already invoiced keep their invoice and have no line yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

#: The tables whose rows an invoice line bills.
ITEM_TABLES = ("time_entries", "expenses")


def upgrade() -> None:
    with op.batch_alter_table("workspace") as batch_op:
        batch_op.add_column(sa.Column("company_address", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("company_phone", sa.String(length=40), nullable=True))

    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.add_column(sa.Column("is_agent", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("fee_project_id", sa.String(length=40), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_invoice_lines_fee_project_id_projects"), "projects", ["fee_project_id"],
            ["id"])
        batch_op.create_index("uq_invoice_lines_fee_project_id", ["fee_project_id"], unique=True)
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.alter_column("is_agent", server_default=None)

    for table in ITEM_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("invoice_line_id", sa.String(length=40), nullable=True))
            batch_op.create_foreign_key(
                op.f(f"fk_{table}_invoice_line_id_invoice_lines"), "invoice_lines",
                ["invoice_line_id"], ["id"])
            batch_op.create_index(op.f(f"ix_{table}_invoice_line_id"), ["invoice_line_id"])

    op.create_table(
        "invoice_numbers",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_invoice_numbers")),
    )
    invoices = sa.table("invoices", sa.column("id", sa.String()), sa.column("number", sa.String()),
                        sa.column("created_at", sa.DateTime(timezone=True)))
    numbers = sa.table("invoice_numbers", sa.column("number", sa.String()),
                       sa.column("invoice_id", sa.String()),
                       sa.column("created_at", sa.DateTime(timezone=True)))
    op.execute(numbers.insert().from_select(
        ["number", "invoice_id", "created_at"],
        sa.select(invoices.c.number, invoices.c.id, invoices.c.created_at)))

    op.create_table(
        "invoice_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("invoice_id", sa.String(length=40), nullable=False),
        sa.Column("event_type", sa.String(length=20), nullable=False),
        sa.Column("sent_by_id", sa.String(length=40), nullable=True),
        sa.Column("sent_from_email", sa.String(length=254), nullable=True),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("subject", sa.String(), nullable=True),
        sa.Column("body", sa.String(), nullable=True),
        sa.Column("attach_pdf", sa.Boolean(), nullable=False),
        sa.Column("send_me_a_copy", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"],
                                name=op.f("fk_invoice_messages_invoice_id_invoices"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["sent_by_id"], ["users.id"],
                                name=op.f("fk_invoice_messages_sent_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_messages")),
    )
    op.create_index(op.f("ix_invoice_messages_invoice_id"), "invoice_messages", ["invoice_id"])


def downgrade() -> None:
    op.drop_table("invoice_messages")
    op.drop_table("invoice_numbers")
    for table in ITEM_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(op.f(f"ix_{table}_invoice_line_id"))
            batch_op.drop_constraint(op.f(f"fk_{table}_invoice_line_id_invoice_lines"),
                                     type_="foreignkey")
            batch_op.drop_column("invoice_line_id")
    with op.batch_alter_table("invoice_lines") as batch_op:
        batch_op.drop_index("uq_invoice_lines_fee_project_id")
        batch_op.drop_constraint(op.f("fk_invoice_lines_fee_project_id_projects"),
                                 type_="foreignkey")
        batch_op.drop_column("fee_project_id")
        batch_op.drop_column("is_agent")
    with op.batch_alter_table("workspace") as batch_op:
        batch_op.drop_column("company_phone")
        batch_op.drop_column("company_address")
