"""Alembic environment: Keito's migrations on SQLite (batch mode, foreign keys off) and PostgreSQL.

keito_core.platform.db.upgrade passes its engine in `config.attributes["engine"]`; a developer
running `alembic` by hand gets an engine for `-x url=...`, else `sqlalchemy.url`, else the
database Keito itself would open (KEITO_DATABASE_URL, ~/.keito/config.toml, the default SQLite
file).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig
from typing import Any

import sqlalchemy as sa
from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection, Engine
from sqlmodel.sql.sqltypes import AutoString

from keito_core.models import metadata
from keito_core.models.types import EnumText, Micros, UTCDateTime
from keito_core.platform.config import load_settings
from keito_core.platform.db import make_engine

config = context.config
target_metadata = metadata

if config.config_file_name is not None:  # the `alembic` command, not keito_core.platform.db
    fileConfig(config.config_file_name, disable_existing_loggers=False)

#: PostgreSQL advisory lock key held while migrating ("keito" in ASCII).
MIGRATION_LOCK_ID = 0x6B6569746F


def database_url() -> str:
    """The URL a developer's `alembic` command runs against."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if url:
        return url
    # KEITO_DATABASE_URL, else ~/.keito/config.toml, else the default SQLite file.
    return load_settings().database_url


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | bool:
    """Render Keito's column types as plain SQLAlchemy types, so revisions never import them."""
    if type_ != "type":
        return False
    if isinstance(obj, Micros):
        return "sa.BigInteger()"
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, EnumText):
        return f"sa.String(length={obj.impl.length})"
    if isinstance(obj, AutoString):  # sqlmodel's type for str fields
        return f"sa.String(length={obj.length})" if obj.length else "sa.String()"
    return False


def _driver_connection(connection: Connection) -> Any:
    return connection.connection.driver_connection


@contextmanager
def sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Turn foreign keys off for the migration: batch mode drops and recreates tables.

    The pragma is a no-op inside a transaction, so it goes straight to the driver connection
    before the migration's transaction begins, and back on after it has ended, even on failure
    (the connection returns to the pool afterwards).
    """
    _driver_connection(connection).execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        if connection.in_transaction():
            connection.rollback()
        try:
            _driver_connection(connection).execute("PRAGMA foreign_keys=ON")
        except Exception:
            connection.invalidate()
            raise


def check_foreign_keys(connection: Connection) -> None:
    """Refuse to commit a migration that left a row pointing at nothing (SQLite only)."""
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        table, rowid, parent, _ = broken[0]
        raise RuntimeError(
            f"migration broke {len(broken)} foreign key(s), e.g. {table} row {rowid} -> {parent}"
        )


def run_migrations(connection: Connection) -> None:
    """Run every pending migration in one transaction."""
    is_sqlite = connection.dialect.name == "sqlite"
    applied: list[str] = []
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=is_sqlite,
        render_item=render_item,
        # keito_core.platform.db's SQLite engine issues BEGIN itself (the driver's own autocommit is
        # off), so SQLite's DDL is transactional too: a failed upgrade leaves the old schema intact.
        transactional_ddl=True if is_sqlite and _owns_transactions(connection) else None,
        on_version_apply=lambda **kw: applied.append(kw["step"].up_revision_id or ""),
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Two processes upgrading at once: the second waits, then finds nothing to do.
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()
        if is_sqlite and applied:
            check_foreign_keys(connection)


def _owns_transactions(connection: Connection) -> bool:
    return getattr(_driver_connection(connection), "isolation_level", "") is None


def run_migrations_online() -> None:
    engine: Engine | None = config.attributes.get("engine")
    owned = engine is None
    if engine is None:
        engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                with sqlite_foreign_keys_off(connection):
                    run_migrations(connection)
            else:
                run_migrations(connection)
    finally:
        if owned:
            engine.dispose()


def run_migrations_offline() -> None:
    """Emit SQL instead of running it (`alembic upgrade head --sql`), for PostgreSQL DBAs."""
    url = sa.engine.make_url(database_url())
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.get_backend_name() == "sqlite",
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
