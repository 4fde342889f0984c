"""Shared fixtures: a migrated database per test, on SQLite or on a real PostgreSQL server.

The whole suite runs on SQLite by default. With KEITO_TEST_DATABASE=postgres it runs against
the server named by KEITO_TEST_POSTGRES_URL (a maintenance URL such as
postgresql://postgres@127.0.0.1:5432/postgres); each xdist worker gets its own database.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from keito_core.platform import db

#: The API v2 test client (tests/serving.py: the `api` fixture).
pytest_plugins = ["serving"]

BACKEND = os.environ.get("KEITO_TEST_DATABASE", "sqlite")
#: When the `workspace` fixture's workspace is created: before every test's own instants.
WORKSPACE_CREATED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POSTGRES_URL = os.environ.get("KEITO_TEST_POSTGRES_URL", "")


def pytest_report_header(config: pytest.Config) -> str:
    return f"keito test database: {BACKEND}"


def _postgres_available() -> bool:
    if not POSTGRES_URL:
        return False
    try:
        engine = db.make_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The maintenance URL of a real PostgreSQL server; skips when none is reachable."""
    if not _postgres_available():
        pytest.skip("no PostgreSQL server at KEITO_TEST_POSTGRES_URL")
    return POSTGRES_URL


def create_postgres_database(admin_url: str, name: str) -> str:
    """(Re)create database `name` on the server and return its URL."""
    admin = db.make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(admin_url: str, name: str) -> None:
    admin = db.make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database at the head revision, made once per session (and per xdist worker)."""
    if BACKEND == "postgres":
        if not _postgres_available():
            pytest.exit("KEITO_TEST_DATABASE=postgres but no server at KEITO_TEST_POSTGRES_URL", 3)
        name = f"keito_test_{_worker()}_{os.getpid()}"
        url = create_postgres_database(POSTGRES_URL, name)
        engine = db.make_engine(url)
        db.upgrade(engine)
        engine.dispose()
        yield url
        drop_postgres_database(POSTGRES_URL, name)
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        engine = db.make_engine(f"sqlite:///{path}")
        db.upgrade(engine)
        engine.dispose()  # closing the last connection checkpoints the WAL into the file
        yield str(path)


def _truncate_all(engine: Engine) -> None:
    from keito_core.models import metadata

    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")


@pytest.fixture
def db_url(_migrated_template: str, tmp_path: Path) -> str:
    """The URL of an empty database at the head schema, private to this test."""
    if BACKEND == "postgres":
        engine = db.make_engine(_migrated_template)
        _truncate_all(engine)
        engine.dispose()
        return _migrated_template
    path = tmp_path / "keito.db"
    shutil.copyfile(_migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = db.make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keito_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> Path:
    """An isolated KEITO_HOME whose database is this test's database."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("KEITO_HOME", str(home))
    monkeypatch.setenv("KEITO_DATABASE_URL", db_url)
    for name in (
        "KEITO_API_KEY",
        "KEITO_PROJECT",
        "KEITO_TASK",
        "KEITO_SOURCE",
        "KEITO_ACCOUNT_ID",
        "CLAUDE_SESSION_ID",
        "CODEX_SESSION_ID",
        "OPENCLAW_AGENT_ID",
        "CURSOR_AGENT",
    ):
        monkeypatch.delenv(name, raising=False)
    return home


# --- a workspace, and the command line run in-process ------------------------------------


class Workspace:
    """The test's initialised workspace: its engine, administrator and acting helpers."""

    def __init__(self, engine: Engine, admin_id: str, workspace_id: str) -> None:
        self.engine = engine
        self.admin_id = admin_id
        self.workspace_id = workspace_id

    def session(self, *, readonly: bool = False):  # noqa: ANN201 - a context manager
        return db.transaction(self.engine, readonly=readonly)

    def actor(self, session, user_id: str | None = None):  # noqa: ANN001, ANN201
        """The policy Actor of `user_id` (default: the administrator), fresh from the database."""
        from keito_core.models import User
        from keito_core.platform.identity import actor_for

        return actor_for(session, session.get(User, user_id or self.admin_id))


@pytest.fixture
def workspace(keito_home: Path, engine: Engine) -> Workspace:
    """An initialised workspace: Acme Consulting, GBP, Europe/London, admin Ada."""
    from keito_core.services.workspace.setup import init_workspace

    with db.transaction(engine) as session:
        ws, admin = init_workspace(
            session,
            company="Acme Consulting",
            currency="GBP",
            timezone="Europe/London",
            admin_name="Ada Admin",
            admin_email="ada@acme.test",
            now=WORKSPACE_CREATED_AT,
        )
    return Workspace(engine, admin.id, ws.id)


class CliResult:
    def __init__(self, exit_code: int, stdout: str, stderr: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        self.stderr = stderr

    @property
    def json(self):  # noqa: ANN201
        import json

        return json.loads(self.stdout)

    @property
    def error(self) -> dict:
        """The JSON error body printed on stderr."""
        import json

        return json.loads(self.stderr.strip().splitlines()[-1])["error"]

    def __repr__(self) -> str:
        return f"CliResult({self.exit_code}, stdout={self.stdout!r}, stderr={self.stderr!r})"


@pytest.fixture
def cli(keito_home: Path):  # noqa: ANN201
    """Run `keito ARGS...` in-process; output is JSON because stdout is not a terminal."""
    from typer.testing import CliRunner

    from keito_tui.cli.main import app

    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> CliResult:
        result = runner.invoke(app, list(args), env=env, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


@pytest.fixture
def terminal(cli, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN001, ANN201
    """Run `keito ARGS...` as on an 80-column terminal: text, not JSON (unless --json)."""
    from keito_tui.cli.output import Output

    def detect(*, json_flag: bool, quiet: bool) -> Output:
        return Output(json=json_flag, quiet=quiet)

    monkeypatch.setattr(Output, "detect", staticmethod(detect))
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    return cli


@pytest.fixture
def isolated_sync(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Accounting-sync tests: never the real keyring (tokens go to the 0600 file), any free
    port for the connect listener, and no vendor variables from the machine's environment."""
    import os

    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    monkeypatch.setenv("KEITO_SYNC_REDIRECT_PORT", "0")
    for name in list(os.environ):
        if name.startswith(("KEITO_XERO_", "KEITO_QUICKBOOKS_")):
            monkeypatch.delenv(name)
    yield
    keyring.set_keyring(previous)
