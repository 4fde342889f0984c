"""Core: workspace, people, clients, tasks, projects, expense categories, time and expenses.

Revision ID: 0001
Revises:
Create Date: 2026-11-25

time_entries and expenses get their submission_id and invoice_id columns in 0002, with the
tables they point at. Every name follows the naming convention in keito_core.models.base and
is wrapped in op.f(), so Alembic uses it as is instead of applying the convention again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "workspace",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("week_start", sa.String(length=32), nullable=False),
        sa.Column("time_format", sa.String(length=32), nullable=False),
        sa.Column("date_format", sa.String(length=32), nullable=False),
        sa.Column("duration_format", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("decimal_separator", sa.String(length=1), nullable=False),
        sa.Column("thousands_separator", sa.String(length=1), nullable=False),
        sa.Column("default_entry_mode", sa.String(length=32), nullable=False),
        sa.Column("weekly_capacity_seconds", sa.Integer(), nullable=False),
        sa.Column("require_notes", sa.Boolean(), nullable=False),
        sa.Column("lock_after_days", sa.Integer(), nullable=True),
        sa.Column("rounding_minutes", sa.Integer(), nullable=False),
        sa.Column("feature_expenses", sa.Boolean(), nullable=False),
        sa.Column("feature_invoicing", sa.Boolean(), nullable=False),
        sa.Column("feature_approvals", sa.Boolean(), nullable=False),
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_day", sa.String(length=32), nullable=False),
        sa.Column("reminder_time", sa.String(length=5), nullable=False),
        sa.Column("deadline_day", sa.String(length=32), nullable=False),
        sa.Column("deadline_time", sa.String(length=5), nullable=False),
        sa.Column("invoice_number_pattern", sa.String(length=64), nullable=False),
        sa.Column("invoice_next_number", sa.Integer(), nullable=False),
        sa.Column("default_payment_terms", sa.String(length=32), nullable=False),
        sa.Column("default_payment_days", sa.Integer(), nullable=True),
        sa.Column("tax1_label", sa.String(length=40), nullable=True),
        sa.Column("tax1_rate", sa.BigInteger(), nullable=True),
        sa.Column("tax2_label", sa.String(length=40), nullable=True),
        sa.Column("tax2_rate", sa.BigInteger(), nullable=True),
        sa.Column("invoice_logo_path", sa.String(length=500), nullable=True),
        sa.Column("invoice_accent_color", sa.String(length=7), nullable=False),
        sa.Column("invoice_show_project_codes", sa.Boolean(), nullable=False),
        sa.Column("invoice_notes", sa.String(), nullable=True),
        sa.Column("email_invoice_subject", sa.String(), nullable=False),
        sa.Column("email_invoice_body", sa.String(), nullable=False),
        sa.Column("email_footer", sa.String(), nullable=True),
        sa.Column("email_reminder_subject", sa.String(), nullable=False),
        sa.Column("email_reminder_body", sa.String(), nullable=False),
        sa.Column("email_thanks_subject", sa.String(), nullable=False),
        sa.Column("email_thanks_body", sa.String(), nullable=False),
        sa.Column("smtp_host", sa.String(length=200), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=False),
        sa.Column("smtp_username", sa.String(length=200), nullable=True),
        sa.Column("smtp_from", sa.String(length=200), nullable=True),
        sa.Column("smtp_starttls", sa.Boolean(), nullable=False),
        sa.Column("default_user_id", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspace")),
    )

    op.create_table(
        "users",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("user_type", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("employment_type", sa.String(length=32), nullable=False),
        sa.Column("manager_permissions", sa.JSON(), nullable=False),
        sa.Column("default_rate", sa.BigInteger(), nullable=True),
        sa.Column("cost_rate", sa.BigInteger(), nullable=True),
        sa.Column("weekly_capacity_seconds", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("employee_id", sa.String(length=64), nullable=True),
        sa.Column("notify_email", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_user_type"), "users", ["user_type"])
    op.create_index(op.f("ix_users_status"), "users", ["status"])

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_keys_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])

    op.create_table(
        "manager_teammates",
        sa.Column("manager_id", sa.String(length=40), nullable=False),
        sa.Column("teammate_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["users.id"],
            name=op.f("fk_manager_teammates_manager_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teammate_id"],
            ["users.id"],
            name=op.f("fk_manager_teammates_teammate_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("manager_id", "teammate_id", name=op.f("pk_manager_teammates")),
    )

    op.create_table(
        "business_roles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_roles")),
        sa.UniqueConstraint("name", name=op.f("uq_business_roles_name")),
    )

    op.create_table(
        "user_business_roles",
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("role_id", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_business_roles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"],
            ["business_roles.id"],
            name=op.f("fk_user_business_roles_role_id_business_roles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_business_roles")),
    )

    op.create_table(
        "clients",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("street", sa.String(length=500), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("postal_code", sa.String(length=20), nullable=True),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clients")),
        sa.UniqueConstraint("name", name=op.f("uq_clients_name")),
    )
    op.create_index(op.f("ix_clients_is_active"), "clients", ["is_active"])

    op.create_table(
        "contacts",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("title", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone_office", sa.String(length=40), nullable=True),
        sa.Column("phone_mobile", sa.String(length=40), nullable=True),
        sa.Column("fax", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
            name=op.f("fk_contacts_client_id_clients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )
    op.create_index(op.f("ix_contacts_client_id"), "contacts", ["client_id"])

    op.create_table(
        "tasks",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("is_billable_default", sa.Boolean(), nullable=False),
        sa.Column("default_rate", sa.BigInteger(), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("name", name=op.f("uq_tasks_name")),
        sa.UniqueConstraint("handle", name=op.f("uq_tasks_handle")),
    )
    op.create_index(op.f("ix_tasks_is_active"), "tasks", ["is_active"])

    op.create_table(
        "projects",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=True),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("project_type", sa.String(length=32), nullable=False),
        sa.Column("bill_by", sa.String(length=32), nullable=False),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("fixed_fee", sa.BigInteger(), nullable=True),
        sa.Column("budget_by", sa.String(length=32), nullable=False),
        sa.Column("budget_hours", sa.BigInteger(), nullable=True),
        sa.Column("budget_amount", sa.BigInteger(), nullable=True),
        sa.Column("budget_monthly_reset", sa.Boolean(), nullable=False),
        sa.Column("budget_alert_percent", sa.Integer(), nullable=True),
        sa.Column("budget_includes_expenses", sa.Boolean(), nullable=False),
        sa.Column("budget_visible_to_team", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_projects_client_id_clients")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("client_id", "name", name=op.f("uq_projects_client_id_name")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
        sa.UniqueConstraint("handle", name=op.f("uq_projects_handle")),
    )
    op.create_index(op.f("ix_projects_client_id"), "projects", ["client_id"])
    op.create_index(op.f("ix_projects_is_active"), "projects", ["is_active"])

    op.create_table(
        "project_tasks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("is_billable", sa.Boolean(), nullable=True),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("budget_hours", sa.BigInteger(), nullable=True),
        sa.Column("budget_amount", sa.BigInteger(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_tasks_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_project_tasks_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_tasks")),
        sa.UniqueConstraint(
            "project_id", "task_id", name=op.f("uq_project_tasks_project_id_task_id")
        ),
    )
    op.create_index(op.f("ix_project_tasks_project_id"), "project_tasks", ["project_id"])
    op.create_index(op.f("ix_project_tasks_task_id"), "project_tasks", ["task_id"])

    op.create_table(
        "project_members",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("hourly_rate", sa.BigInteger(), nullable=True),
        sa.Column("budget_hours", sa.BigInteger(), nullable=True),
        sa.Column("budget_amount", sa.BigInteger(), nullable=True),
        sa.Column("is_project_manager", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_members_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_project_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_members")),
        sa.UniqueConstraint(
            "project_id", "user_id", name=op.f("uq_project_members_project_id_user_id")
        ),
    )
    op.create_index(op.f("ix_project_members_project_id"), "project_members", ["project_id"])
    op.create_index(op.f("ix_project_members_user_id"), "project_members", ["user_id"])

    op.create_table(
        "expense_categories",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("unit_name", sa.String(length=40), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("is_billable_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("is_builtin", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expense_categories")),
        sa.UniqueConstraint("name", name=op.f("uq_expense_categories_name")),
        sa.UniqueConstraint("handle", name=op.f("uq_expense_categories_handle")),
    )

    op.create_table(
        "time_entries",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=True),
        sa.Column("spent_date", sa.Date(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("is_running", sa.Boolean(), nullable=False),
        sa.Column("timer_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_rounded", sa.Boolean(), nullable=False),
        sa.Column("is_billable", sa.Boolean(), nullable=False),
        sa.Column("billable_rate", sa.BigInteger(), nullable=True),
        sa.Column("cost_rate", sa.BigInteger(), nullable=True),
        sa.Column("approval_status", sa.String(length=32), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.CheckConstraint(
            "duration_seconds >= 0", name=op.f("ck_time_entries_duration_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_time_entries_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_time_entries_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_time_entries_task_id_tasks")
        ),
        sa.ForeignKeyConstraint(
            ["unlocked_by_id"], ["users.id"], name=op.f("fk_time_entries_unlocked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_time_entries")),
    )
    op.create_index(op.f("ix_time_entries_task_id"), "time_entries", ["task_id"])
    op.create_index(op.f("ix_time_entries_spent_date"), "time_entries", ["spent_date"])
    op.create_index(op.f("ix_time_entries_source"), "time_entries", ["source"])
    op.create_index(op.f("ix_time_entries_user_day"), "time_entries", ["user_id", "spent_date"])
    op.create_index(
        op.f("ix_time_entries_project_day"), "time_entries", ["project_id", "spent_date"]
    )
    # One running timer per user, enforced by the database.
    op.create_index(
        op.f("uq_time_entries_running_user"),
        "time_entries",
        ["user_id"],
        unique=True,
        sqlite_where=sa.text("is_running = 1"),
        postgresql_where=sa.text("is_running"),
    )

    op.create_table(
        "expenses",
        *_timestamps(),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("category_id", sa.String(length=40), nullable=False),
        sa.Column("spent_date", sa.Date(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=True),
        sa.Column("unit_price", sa.BigInteger(), nullable=True),
        sa.Column("total_cost", sa.BigInteger(), nullable=False),
        sa.Column("notes", sa.String(), nullable=True),
        sa.Column("receipt_path", sa.String(length=500), nullable=True),
        sa.Column("receipt_name", sa.String(length=255), nullable=True),
        sa.Column("receipt_content_type", sa.String(length=100), nullable=True),
        sa.Column("receipt_size", sa.Integer(), nullable=True),
        sa.Column("is_billable", sa.Boolean(), nullable=False),
        sa.Column("approval_status", sa.String(length=32), nullable=False),
        sa.Column("unlocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("unlocked_by_id", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_expenses_user_id_users")),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_expenses_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["expense_categories.id"],
            name=op.f("fk_expenses_category_id_expense_categories"),
        ),
        sa.ForeignKeyConstraint(
            ["unlocked_by_id"], ["users.id"], name=op.f("fk_expenses_unlocked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_expenses")),
    )
    op.create_index(op.f("ix_expenses_category_id"), "expenses", ["category_id"])
    op.create_index(op.f("ix_expenses_spent_date"), "expenses", ["spent_date"])
    op.create_index(op.f("ix_expenses_source"), "expenses", ["source"])
    op.create_index(op.f("ix_expenses_user_day"), "expenses", ["user_id", "spent_date"])
    op.create_index(op.f("ix_expenses_project_day"), "expenses", ["project_id", "spent_date"])


def downgrade() -> None:
    # Dropping a table drops its indexes; children go before the tables they point at.
    for table in (
        "expenses",
        "time_entries",
        "expense_categories",
        "project_members",
        "project_tasks",
        "projects",
        "tasks",
        "contacts",
        "clients",
        "user_business_roles",
        "business_roles",
        "manager_teammates",
        "api_keys",
        "users",
        "workspace",
    ):
        op.drop_table(table)
