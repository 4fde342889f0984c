"""AsyncKeito: the same surface as Keito with `async def` methods.

Each call runs the synchronous call in a worker thread (asyncio.to_thread), so the event loop
never waits on the database. Concurrent calls really overlap on PostgreSQL; on SQLite, writes
queue on the file's write lock (reads do not), which is still far faster than a web API.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from keito_core.api.agent import AgentWork
from keito_core.api.client import Keito
from keito_core.api.invoices import InvoiceLines, InvoicePayments, Invoices
from keito_core.api.resources import Expenses, Projects, TimeEntries, Users


def _in_thread(cls: type, name: str) -> Callable[..., Any]:
    """An async method that runs the sync namespace's method `name` in a worker thread."""
    sync_method = getattr(cls, name)

    @functools.wraps(sync_method)
    async def method(self: _AsyncNamespace, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(getattr(self._sync, name), *args, **kwargs)

    return method


class _AsyncNamespace:
    def __init__(self, sync: Any) -> None:
        self._sync = sync


class AsyncTimeEntries(_AsyncNamespace):
    create = _in_thread(TimeEntries, "create")
    list = _in_thread(TimeEntries, "list")
    get = _in_thread(TimeEntries, "get")
    update = _in_thread(TimeEntries, "update")
    delete = _in_thread(TimeEntries, "delete")


class AsyncExpenses(_AsyncNamespace):
    create = _in_thread(Expenses, "create")
    list = _in_thread(Expenses, "list")
    get = _in_thread(Expenses, "get")
    update = _in_thread(Expenses, "update")
    delete = _in_thread(Expenses, "delete")


class AsyncProjects(_AsyncNamespace):
    list = _in_thread(Projects, "list")
    get = _in_thread(Projects, "get")


class AsyncUsers(_AsyncNamespace):
    list = _in_thread(Users, "list")
    get = _in_thread(Users, "get")
    me = _in_thread(Users, "me")


class AsyncInvoiceLines(_AsyncNamespace):
    list = _in_thread(InvoiceLines, "list")
    add = _in_thread(InvoiceLines, "add")
    update = _in_thread(InvoiceLines, "update")
    move = _in_thread(InvoiceLines, "move")
    remove = _in_thread(InvoiceLines, "remove")


class AsyncInvoicePayments(_AsyncNamespace):
    list = _in_thread(InvoicePayments, "list")
    create = _in_thread(InvoicePayments, "create")
    delete = _in_thread(InvoicePayments, "delete")


class AsyncInvoices(_AsyncNamespace):
    create = _in_thread(Invoices, "create")
    list = _in_thread(Invoices, "list")
    get = _in_thread(Invoices, "get")
    update = _in_thread(Invoices, "update")
    delete = _in_thread(Invoices, "delete")
    send = _in_thread(Invoices, "send")
    issue = _in_thread(Invoices, "issue")
    close = _in_thread(Invoices, "close")
    reopen = _in_thread(Invoices, "reopen")
    pdf = _in_thread(Invoices, "pdf")
    html = _in_thread(Invoices, "html")

    def __init__(self, sync: Invoices) -> None:
        super().__init__(sync)
        self.lines = AsyncInvoiceLines(sync.lines)
        self.payments = AsyncInvoicePayments(sync.payments)


class AsyncKeito:
    """The async client; takes the same arguments as Keito."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sync = Keito(*args, **kwargs)
        self.account_id = self.sync.account_id
        self.time_entries = AsyncTimeEntries(self.sync.time_entries)
        self.expenses = AsyncExpenses(self.sync.expenses)
        self.projects = AsyncProjects(self.sync.projects)
        self.users = AsyncUsers(self.sync.users)
        self.invoices = AsyncInvoices(self.sync.invoices)

    def __repr__(self) -> str:
        return f"Async{self.sync!r}"

    def track_agent_work(self, project_id: str, task_id: str | None = None, *,
                         agent_id: str | None = None, **options: Any) -> AgentWork:
        """Use with `async with`: see keito_core.api.agent."""
        return self.sync.track_agent_work(project_id, task_id, agent_id=agent_id, **options)

    async def close(self) -> None:
        await asyncio.to_thread(self.sync.close)

    async def __aenter__(self) -> AsyncKeito:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
