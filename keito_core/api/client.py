"""Keito: the reference Python SDK's client, over the local workspace instead of a web API.

Each call is one unit of work: it opens a transaction, resolves who acts (the API key's user,
else the stored key's, else the workspace's default user), calls the services and commits.
Nothing is opened until the first call, so constructing a client is free.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from keito_core.api.errors import KeitoError, translate
from keito_core.api.invoices import Invoices
from keito_core.api.resources import Expenses, Projects, TimeEntries, Users
from keito_core.errors import KeitoError as CoreKeitoError
from keito_core.platform.runtime import Runtime, make_runtime

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.api.agent import AgentWork
    from keito_core.rules.permissions import Actor

R = TypeVar("R")
Work = Callable[["Session", "Actor", datetime], R]


class Keito:
    """A client for one workspace, acting as the user of `api_key`.

    `api_key` defaults to KEITO_API_KEY, then the key `keito auth login` stored, then the
    workspace's default user. `account_id` (default KEITO_ACCOUNT_ID) is optional; when given
    it must be this workspace's ID, so a script pointed at the wrong workspace stops at its
    first call. `home` and `database_url` choose the workspace like KEITO_HOME and
    KEITO_DATABASE_URL. `base_url`, `max_retries`, `timeout` and `retry_delay` are accepted
    for compatibility with the hosted SDK and unused: no call goes over a network.
    """

    def __init__(
        self,
        api_key: str | None = None,
        account_id: str | None = None,
        *,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 30.0,
        retry_delay: float = 1.0,
        database_url: str | None = None,
        home: str | Path | None = None,
        env: Mapping[str, str] | None = None,
        _clock: Callable[[], datetime] | None = None,
    ) -> None:
        values = dict(os.environ if env is None else env)
        if home is not None:
            values["KEITO_HOME"] = str(home)
            values.pop("KEITO_DATABASE_URL", None)
        if database_url is not None:
            values["KEITO_DATABASE_URL"] = database_url
        if api_key:
            values["KEITO_API_KEY"] = api_key
        self.account_id = account_id or values.get("KEITO_ACCOUNT_ID") or None
        self.base_url = base_url
        self.max_retries = max_retries
        self.timeout = timeout
        self.retry_delay = retry_delay
        self._runtime: Runtime = make_runtime(values, clock=_clock)
        self._env: Mapping[str, str] = values
        self._lock = threading.Lock()
        self._account_checked = False
        self.time_entries = TimeEntries(self)
        self.expenses = Expenses(self)
        self.projects = Projects(self)
        self.users = Users(self)
        self.invoices = Invoices(self)

    def __repr__(self) -> str:
        return f"Keito(database={self._runtime.settings.display_url!r})"

    def now(self) -> datetime:
        """The client's clock (UTC)."""
        return self._runtime.clock()

    @property
    def env(self) -> Mapping[str, str]:
        """The environment the client was made from (KEITO_SMTP_PASSWORD is read from it)."""
        return self._env

    @property
    def receipts_dir(self) -> Path:
        return self._runtime.settings.receipts_dir

    def run(self, work: Work[R], *, readonly: bool = False) -> R:
        """Run `work(session, actor, now)` as one unit of work, raising the API's errors."""
        try:
            with self._lock:  # build the engine once, even when threads race (AsyncKeito)
                self._runtime.engine()
            with self._runtime.session(readonly=readonly) as session:
                actor = self._runtime.actor(session)
                self._check_account(session)
                return work(session, actor, self._runtime.clock())
        except KeitoError:
            raise
        except CoreKeitoError as exc:
            raise translate(exc) from exc

    def _check_account(self, session: Session) -> None:
        if not self.account_id or self._account_checked:
            return
        from keito_core.platform.identity import get_workspace

        workspace = get_workspace(session)
        if self.account_id != workspace.id:
            raise CoreKeitoError(
                "authentication_error",
                f"account_id {self.account_id!r} is not this workspace's ID ({workspace.id})",
                field="account_id",
                hint="set KEITO_ACCOUNT_ID to the workspace's ID, or leave it unset",
            )
        self._account_checked = True

    def track_agent_work(self, project_id: str, task_id: str | None = None, *,
                         agent_id: str | None = None, **options: Any) -> AgentWork:
        """A context manager tracking one agent session: see keito_core.api.agent."""
        from keito_core.api.agent import AgentWork

        return AgentWork(self, project_id=project_id, task_id=task_id, agent_id=agent_id,
                         **options)

    def close(self) -> None:
        """Release the database connections (the client opens them again if used)."""
        self._runtime.close()

    def __enter__(self) -> Keito:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
