"""Time entries summed per month: a rollup table kept by triggers, for the time reports.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07

`time_entry_months` holds one row per month, project, person, task (NO_TASK_KEY '' for none),
source, billable, invoiced (invoice_id IS NOT NULL) and both rates (micro-units, NULL as 0),
with the number of entries and their seconds. It is filled from the existing entries here,
then kept by triggers on time_entries (AFTER INSERT, UPDATE of a column it keys or sums,
DELETE; SQLite and PostgreSQL each in their own syntax): a new entry's bucket is upserted, an
old one's is decremented and deleted when it holds no entry any more. Every write path, raw SQL
included, keeps it right with no Python code to forget.

A later migration that rebuilds time_entries in SQLite's batch mode drops these triggers with
the old table: it must create them again (`create_triggers`'s statements, copied, since
revisions never import one another).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

KEY = ("month", "project_id", "user_id", "task_id", "source", "is_billable", "invoiced",
       "billable_rate", "cost_rate")
#: The time_entries columns a bucket depends on: an UPDATE touching none of them is ignored.
WATCHED = ("spent_date", "project_id", "user_id", "task_id", "source", "is_billable",
           "invoice_id", "billable_rate", "cost_rate", "duration_seconds")


def _month(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"CAST(date_trunc('month', CAST({row}.spent_date AS TIMESTAMP)) AS DATE)"
    return f"strftime('%Y-%m-01', {row}.spent_date)"


def _key_values(row: str, dialect: str) -> list[str]:
    """The bucket key of the entry `row` (NEW or OLD, or the table's name), in KEY's order."""
    prefix = f"{row}."
    return [_month(row, dialect), f"{prefix}project_id", f"{prefix}user_id",
            f"coalesce({prefix}task_id, '')", f"{prefix}source", f"{prefix}is_billable",
            f"({prefix}invoice_id IS NOT NULL)", f"coalesce({prefix}billable_rate, 0)",
            f"coalesce({prefix}cost_rate, 0)"]


def _add(dialect: str) -> str:
    """Upsert NEW's bucket: one more entry, NEW's seconds more."""
    values = ", ".join([*_key_values("NEW", dialect), "1", "NEW.duration_seconds"])
    return (f"INSERT INTO time_entry_months ({', '.join(KEY)}, entry_count, duration_seconds) "
            f"VALUES ({values}) ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET "
            "entry_count = time_entry_months.entry_count + 1, "
            "duration_seconds = time_entry_months.duration_seconds "
            "+ excluded.duration_seconds;")


def _subtract(dialect: str) -> str:
    """Take OLD out of its bucket, then delete the bucket when it holds no entry."""
    match = " AND ".join(f"{column} = {value}" for column, value
                         in zip(KEY, _key_values("OLD", dialect), strict=True))
    return (f"UPDATE time_entry_months SET entry_count = entry_count - 1, "
            f"duration_seconds = duration_seconds - OLD.duration_seconds WHERE {match}; "
            f"DELETE FROM time_entry_months WHERE {match} AND entry_count = 0;")


def _changed() -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)


def create_triggers(dialect: str) -> list[str]:
    """The statements creating the triggers that keep time_entry_months."""
    if dialect == "postgresql":
        old = ", ".join(f"OLD.{c}" for c in WATCHED)
        new = ", ".join(f"NEW.{c}" for c in WATCHED)
        return [
            "CREATE FUNCTION time_entry_months_keep() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP <> 'INSERT' THEN {_subtract(dialect)} END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN {_add(dialect)} END IF;\n"
            "  RETURN NULL;\n"
            "END $$",
            "CREATE TRIGGER time_entry_months_on_insert AFTER INSERT ON time_entries "
            "FOR EACH ROW EXECUTE FUNCTION time_entry_months_keep()",
            f"CREATE TRIGGER time_entry_months_on_update AFTER UPDATE OF {', '.join(WATCHED)} "
            f"ON time_entries FOR EACH ROW WHEN (({old}) IS DISTINCT FROM ({new})) "
            "EXECUTE FUNCTION time_entry_months_keep()",
            "CREATE TRIGGER time_entry_months_on_delete AFTER DELETE ON time_entries "
            "FOR EACH ROW EXECUTE FUNCTION time_entry_months_keep()",
        ]
    return [
        "CREATE TRIGGER time_entry_months_on_insert AFTER INSERT ON time_entries "
        f"BEGIN {_add(dialect)} END",
        f"CREATE TRIGGER time_entry_months_on_update AFTER UPDATE OF {', '.join(WATCHED)} "
        f"ON time_entries WHEN {_changed()} BEGIN {_subtract(dialect)} {_add(dialect)} END",
        "CREATE TRIGGER time_entry_months_on_delete AFTER DELETE ON time_entries "
        f"BEGIN {_subtract(dialect)} END",
    ]


def backfill(dialect: str) -> str:
    """One INSERT ... SELECT summing the existing entries per bucket."""
    keys = _key_values("time_entries", dialect)
    return (f"INSERT INTO time_entry_months ({', '.join(KEY)}, entry_count, duration_seconds) "
            f"SELECT {', '.join(keys)}, count(*), sum(duration_seconds) FROM time_entries "
            f"GROUP BY {', '.join(keys)}")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "time_entry_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("project_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("task_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("is_billable", sa.Boolean(), nullable=False),
        sa.Column("invoiced", sa.Boolean(), nullable=False),
        sa.Column("billable_rate", sa.BigInteger(), nullable=False),
        sa.Column("cost_rate", sa.BigInteger(), nullable=False),
        sa.Column("entry_count", sa.Integer(), nullable=False),
        sa.Column("duration_seconds", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_time_entry_months")),
        sqlite_with_rowid=False,
    )
    op.execute(backfill(dialect))
    for statement in create_triggers(dialect):
        op.execute(statement)


def downgrade() -> None:
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS time_entry_months_on_{name}"
                   + (" ON time_entries" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS time_entry_months_keep()")
    op.drop_table("time_entry_months")
