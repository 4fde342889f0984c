"""The composition root: settings, engine, clock and the acting user, built in one place.

The command line, the full-screen app, the Python API and the tests all call make_runtime();
nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from keito_core.errors import KeitoError
from keito_core.platform.clock import utcnow
from keito_core.platform.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from keito_core.rules.permissions import Actor

NO_WORKSPACE_HINT = "run `keito init --company NAME --currency CODE --timezone TZ`"

#: Where the acting API key came from (Runtime.credentials), as `keito whoami` reports it.
AUTH_ENV = "api_key env"
AUTH_STORED = "stored key"
AUTH_CONFIG_FILE = "config file"
AUTH_DEFAULT_USER = "default user"


@dataclass
class Runtime:
    """Everything a front end needs to run a use case against the workspace."""

    settings: Settings
    clock: Callable[[], datetime] = utcnow
    _engine: Engine | None = field(default=None, repr=False)
    _key_touched: bool = field(default=False, repr=False)
    _credentials: tuple[str | None, str] | None = field(default=None, repr=False)

    def database_exists(self) -> bool:
        path = self.settings.sqlite_path
        return path is None or path.exists()

    def engine(self, *, create: bool = False) -> Engine:
        """The engine, with the schema brought up to date; `create` allows a new SQLite file."""
        if self._engine is None:
            if not create and not self.database_exists():
                raise KeitoError(
                    "config_error",
                    f"no Keito workspace at {self.settings.sqlite_path}",
                    hint=NO_WORKSPACE_HINT,
                )
            from keito_core.platform import db
            from keito_core.platform.config import secure_workspace_dirs

            secure_workspace_dirs(self.settings)
            engine = db.make_engine(self.settings.database_url)
            try:
                db.ensure_schema(engine)
            except KeitoError:
                engine.dispose()
                raise
            except Exception as exc:  # a server that is down, a file we may not open ...
                engine.dispose()
                raise KeitoError(
                    "config_error", f"cannot open the database: {_first_line(exc)}"
                ) from exc
            self._engine = engine
        return self._engine

    @contextmanager
    def session(self, *, readonly: bool = False, create: bool = False) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on error."""
        from keito_core.platform import db

        with db.transaction(self.engine(create=create), readonly=readonly) as session:
            yield session

    def today(self, tz_name: str) -> date:
        """Today's date in the given timezone, by the runtime's clock."""
        from zoneinfo import ZoneInfo

        return self.clock().astimezone(ZoneInfo(tz_name)).date()

    def credentials(self) -> tuple[str | None, str]:
        """The acting API key and where it came from (AUTH_*); no key means the default user.

        KEITO_API_KEY, else the key `keito auth login` stored, else [auth] api_key in
        config.toml. With KEITO_API_KEY set the keyring is never touched.
        """
        if self._credentials is None:
            if self.settings.api_key:
                self._credentials = (self.settings.api_key, AUTH_ENV)
            else:
                from keito_core.platform.config import read_config_file
                from keito_core.platform.secrets import load_api_key

                stored = load_api_key(config_dir=self.settings.config_dir)
                filed = None
                if not stored:
                    filed = read_config_file(self.settings.config_file).get("auth", {})
                    filed = filed.get("api_key") if isinstance(filed, dict) else None
                if stored:
                    self._credentials = (stored, AUTH_STORED)
                elif isinstance(filed, str) and filed.strip():
                    self._credentials = (filed.strip(), AUTH_CONFIG_FILE)
                else:
                    self._credentials = (None, AUTH_DEFAULT_USER)
        return self._credentials

    def actor(self, session: Session) -> Actor:
        """Who acts: the user of the API key (see credentials), else the default local user."""
        from keito_core.platform import identity

        api_key, origin = self.credentials()
        try:
            actor = identity.resolve_actor(session, api_key=api_key, now=self.clock())
        except KeitoError as exc:
            if exc.code != "authentication_error" or origin not in (AUTH_STORED, AUTH_CONFIG_FILE):
                raise
            if origin == AUTH_STORED:
                where = "the API key stored by `keito auth login`"
                hint = "run `keito auth login` again, or `keito auth logout`"
            else:
                where = f"[auth] api_key in {self.settings.config_file}"
                hint = "fix or remove it (`keito auth login` keeps keys in the OS keyring)"
            raise KeitoError(
                "authentication_error", f"{where} was refused: {exc.message}", hint=hint
            ) from exc
        if api_key and not self._key_touched:
            self._key_touched = True
            if session.get_bind().get_execution_options().get("keito_readonly"):
                # A read-only unit of work is rolled back: record the use in a short write.
                # (WAL readers never block this writer.)
                from keito_core.platform import db

                with db.transaction(self.engine()) as write:
                    identity.touch_key(write, api_key, now=self.clock())
            else:
                identity.touch_key(session, api_key, now=self.clock())
        return actor

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else exc.__class__.__name__


def make_runtime(
    env: Mapping[str, str] | None = None, *, clock: Callable[[], datetime] | None = None
) -> Runtime:
    """Build the runtime from the environment (KEITO_HOME, KEITO_DATABASE_URL, KEITO_API_KEY)."""
    return Runtime(settings=load_settings(env), clock=clock or utcnow)
