"""Engines from a URL, SQLite pragmas, transactions, and bringing a database to the head schema."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from keito_core.errors import KeitoError
from keito_core.platform.private_files import secure_database_file
from keito_core.platform.schema_version import HEAD_REVISION  # re-exported: db.HEAD_REVISION

#: Seconds a writer waits for another writer before giving up.
DEFAULT_BUSY_TIMEOUT = 30.0


def make_engine(url: str, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Engine:
    """An engine for any SQLAlchemy URL; SQLite gets WAL, foreign keys and IMMEDIATE writes."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise KeitoError("config_error", f"invalid database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, busy_timeout)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        return sa.create_engine(parsed, pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise KeitoError(
            "config_error",
            f"no driver for {parsed.get_backend_name()}: {exc.name} is not installed",
            hint="pip install 'keito-tui[postgres]'",
        ) from exc


def _lower(value: Any) -> Any:
    """lower() for SQLite: Unicode-aware, as PostgreSQL's; NULL and non-text pass through."""
    return value.lower() if isinstance(value, str) else value


def _sqlite_engine(url: sa.URL, busy_timeout: float) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        # Only its owner may read the file and its companions (platform.private_files);
        # a directory or file that cannot be made is SQLite's to report when it connects.
        with contextlib.suppress(OSError):
            secure_database_file(Path(database).expanduser())
    engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        # SQLite's own lower() folds ASCII only, so "Ørsted" never matched "ørsted" and a
        # client typed by its exact non-ASCII name was not found; Python's folds every script.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Writers take the lock up front, so two writers queue on busy_timeout instead of
        # failing with "database is locked" when a read transaction tries to upgrade.
        if conn.get_execution_options().get("keito_readonly"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def transaction(engine: Engine, *, readonly: bool = False) -> Iterator[Session]:
    """One unit of work: commits when the block succeeds, rolls back when it raises."""
    bind = engine.execution_options(keito_readonly=True) if readonly else engine
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            if readonly:
                session.rollback()
            else:
                session.commit()
        except BaseException:
            session.rollback()
            raise


def current_revision(engine: Engine) -> str | None:
    """The migration the database is at, or None for an empty database."""
    # A read: on SQLite it must not take the write lock (BEGIN IMMEDIATE) at every start-up.
    with engine.execution_options(keito_readonly=True).connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()


def migrations_dir() -> Path:
    import migrations

    return Path(migrations.__file__).parent


def alembic_config(engine: Engine) -> Any:
    """An Alembic Config pointing at the migrations shipped inside the package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (default: the newest), keeping every row."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def ensure_schema(engine: Engine) -> bool:
    """Upgrade the database when it is behind; True when a migration ran. Cheap when current.

    A database at a revision this Keito does not know was made by a newer Keito: refuse it
    rather than guess at its schema.
    """
    revision = current_revision(engine)
    if revision == HEAD_REVISION:
        return False
    if revision is not None and not _known_revision(engine, revision):
        raise KeitoError(
            "config_error",
            f"the database is at schema revision {revision!r}, made by a newer Keito "
            f"than this one (which knows up to {HEAD_REVISION!r})",
            hint="upgrade Keito: pip install --upgrade keito-tui",
        )
    upgrade(engine)
    return True


def _known_revision(engine: Engine, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(alembic_config(engine))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False
