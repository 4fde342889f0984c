"""Tracking agent work: the `track_agent_work` context manager and the `track` decorator.

Per the reference (Python SDK: Agent Integration):

- entering starts a running timer (source `agent`; metadata agent_id, agent_type, session_id,
  model); the block reports tokens with `session.report_tokens(input=..., output=...)` and
  notes with `session.set_notes(...)`;
- leaving normally stops the timer with the notes and, when tokens were reported, logs an
  LLM Usage expense of total tokens / 1000 units (metadata input_tokens, output_tokens and the
  same session_id), both in one transaction;
- leaving by an exception deletes the entry, logs nothing and lets the exception propagate.

One user has one running timer. When sessions of the same user overlap (asyncio.gather of
several sessions), each start stops the previous session's timer; at its own end each session
still saves its full wall-clock length, so every entry measures its own session.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeVar

from keito_core.api.errors import ValidationError
from keito_core.api.types import Expense, TimeEntry

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.api.client import Keito
    from keito_core.rules.permissions import Actor

F = TypeVar("F", bound=Callable[..., Any])
_current: ContextVar[AgentSession | None] = ContextVar("keito_agent_session", default=None)
_HOUR = Decimal(3600)
_MICRO = Decimal("0.000001")


def current_session() -> AgentSession | None:
    """The session of the innermost `track_agent_work` block or `@track` call running here."""
    return _current.get()


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError("validation_error",
                              f"{name} must be a whole number of tokens, not {value!r}",
                              field=name)
    return value


def _thousands(tokens: int) -> str:
    """30000 -> '30', 18500 -> '18.5' (thousands of tokens, exact)."""
    text = format((Decimal(tokens) / 1000).normalize(), "f")
    return text


def usage_notes(usage: TokenUsage) -> str:
    """The reference's expense notes: 'claude-opus-4-6: 30k input + 15k output tokens'."""
    return (f"{usage.model or 'LLM usage'}: {_thousands(usage.input_tokens)}k input + "
            f"{_thousands(usage.output_tokens)}k output tokens")


def log_usage(session: Session, actor: Actor, now: datetime, *, project_id: str, day: Any,
              usages: list[TokenUsage], source: str,
              meta: Callable[..., dict[str, Any]]) -> list[Expense]:
    """One LLM Usage expense per usage: units = total tokens / 1000 (in the caller's unit)."""
    from keito_core.api.resources import expenses_out
    from keito_core.models.expenses import LLM_USAGE
    from keito_core.services.tracking import expenses as svc

    logged = []
    for usage in usages:
        expense = svc.log_expense(
            session, actor=actor, project_ref=project_id, category_ref=LLM_USAGE,
            quantity=_thousands(usage.total), spent_date=day, notes=usage_notes(usage),
            source=source, now=now,
            meta=meta(model=usage.model, input_tokens=usage.input_tokens,
                      output_tokens=usage.output_tokens))
        logged.append(expense)
    return expenses_out(session, actor, logged, now)


@dataclass(frozen=True)
class TokenUsage:
    """Tokens of one report (or one LLM call), with the model that used them."""

    input_tokens: int
    output_tokens: int
    model: str | None = None

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


class AgentSession:
    """What a tracked block gets: report tokens and notes; read hours and tokens."""

    def __init__(self, work: AgentWork) -> None:
        self._work = work
        self.session_id: str = work.session_id
        self.agent_id: str | None = work.agent_id
        self.model: str | None = work.model
        self.usages: list[TokenUsage] = []
        self.notes: str | None = work.notes
        #: The time entry: the running one inside the block, the saved one after it
        #: (None after a discard, or when shorter than the work's minimum hours).
        self.entry: TimeEntry | None = None
        #: The LLM Usage expenses logged on exit.
        self.expenses: list[Expense] = []
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None

    def report_tokens(self, input: int | None = None, output: int | None = None, *,  # noqa: A002
                      input_tokens: int | None = None, output_tokens: int | None = None,
                      model: str | None = None) -> None:
        """Add tokens used (they add up); logged as one LLM Usage expense at the end."""
        usage = TokenUsage(_count(input, "input") + _count(input_tokens, "input_tokens"),
                           _count(output, "output") + _count(output_tokens, "output_tokens"),
                           model or self.model)
        self.usages.append(usage)

    def set_notes(self, notes: str | None) -> None:
        """The notes the time entry is saved with."""
        self.notes = notes

    @property
    def input_tokens(self) -> int:
        return sum(u.input_tokens for u in self.usages)

    @property
    def output_tokens(self) -> int:
        return sum(u.output_tokens for u in self.usages)

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    @property
    def total_tokens_k(self) -> Decimal:
        """Thousands of tokens: the LLM Usage expense's units."""
        return Decimal(self.total_tokens) / 1000

    @property
    def hours(self) -> Decimal:
        """The saved entry's hours after the block; inside it, the hours elapsed so far."""
        if self.ended_at is not None and self.entry is not None and not self.entry.is_running:
            return Decimal(self.entry.hours)
        if self.started_at is None:
            return Decimal(0)
        end = self.ended_at or self._work.client.now()
        seconds = max(0, int((end - self.started_at).total_seconds()))
        return (Decimal(seconds) / _HOUR).quantize(_MICRO)

    @property
    def expense(self) -> Expense | None:
        """The (first) LLM Usage expense logged, if any."""
        return self.expenses[0] if self.expenses else None

    def __repr__(self) -> str:
        return (f"AgentSession(session_id={self.session_id!r}, hours={self.hours}, "
                f"total_tokens={self.total_tokens})")


class AgentWork:
    """One tracked agent session: a context manager (`with` and `async with`).

    `start()`, `finish()` and `discard()` are the steps the context manager takes, public for
    framework integrations whose start and end arrive as separate callbacks.
    """

    def __init__(self, client: Keito, *, project_id: str, task_id: str | None = None,
                 agent_id: str | None = None, session_id: str | None = None,
                 model: str | None = None, notes: str | None = None,
                 agent_type: str | None = "custom", metadata: dict[str, Any] | None = None,
                 is_billable: bool | None = None, source: str = "agent",
                 auto_expense: bool = True, expense_per_call: bool = False,
                 min_hours: float | Decimal | None = None) -> None:
        self.client = client
        self.project_id = project_id
        self.task_id = task_id
        self.agent_id = agent_id
        self.session_id = session_id or str(uuid.uuid4())
        self.model = model
        self.notes = notes
        self.agent_type = agent_type
        self.metadata = dict(metadata or {})
        self.is_billable = is_billable
        self.source = source
        self.auto_expense = auto_expense
        self.expense_per_call = expense_per_call
        self.min_hours = None if min_hours is None else Decimal(str(min_hours))
        self.session = AgentSession(self)
        self._token: Token[AgentSession | None] | None = None

    # --- metadata -------------------------------------------------------------------------

    def _meta(self, **more: Any) -> dict[str, Any]:
        meta = dict(self.metadata)
        for key, value in (("agent_id", self.agent_id), ("agent_type", self.agent_type),
                           ("session_id", self.session_id), *more.items()):
            if value is not None:
                meta[key] = value
        return meta

    def _expense_rows(self) -> list[TokenUsage]:
        usages = [u for u in self.session.usages if u.total > 0]
        if not self.auto_expense or not usages:
            return []
        if self.expense_per_call:
            return usages
        models = {u.model for u in usages}
        model = models.pop() if len(models) == 1 else self.session.model
        return [TokenUsage(sum(u.input_tokens for u in usages),
                           sum(u.output_tokens for u in usages), model)]

    # --- the steps --------------------------------------------------------------------------

    def start(self) -> AgentSession:
        """Start the running entry."""
        meta = self._meta(model=self.model)

        def work(session: Session, actor: Actor, now: datetime) -> tuple[TimeEntry, datetime]:
            from keito_core import presenters as public
            from keito_core.services.tracking import time_entries as svc

            started = svc.start_timer(
                session, actor=actor, project_ref=self.project_id, task_ref=self.task_id,
                notes=self.session.notes, billable=self.is_billable, source=self.source,
                meta=meta, now=now)
            return TimeEntry.from_dict(public.time_entry(started.entry, viewer=actor, now=now)), now

        from keito_core.api.resources import run_start

        self.session.entry, self.session.started_at = run_start(self.client, work)
        return self.session

    def finish(self) -> AgentSession:
        """Stop the entry with the session's notes and log the token expense, atomically."""
        entry = self._require_started()
        rows = self._expense_rows()
        started_at = self.session.started_at
        assert started_at is not None

        def work(session: Session, actor: Actor, now: datetime) -> tuple[Any, list[Expense]]:
            from keito_core import presenters as public
            from keito_core.services.tracking import time_entries as svc

            seconds = max(0, int((now - started_at).total_seconds()))
            saved = svc.get_entry(session, actor=actor, entry_id=entry.id)
            day = saved.spent_date
            if self.min_hours is not None and Decimal(seconds) / _HOUR < self.min_hours:
                svc.delete_entry(session, actor=actor, entry_id=entry.id, now=now)
                result = None
            else:
                changes: dict[str, Any] = {}
                if self.session.notes is not None:
                    changes["notes"] = self.session.notes
                if saved.is_running:
                    changes["is_running"] = False
                elif seconds > saved.duration_seconds:
                    # Another start of this user stopped it early: keep this session's length.
                    changes["duration"] = format((Decimal(seconds) / _HOUR).quantize(_MICRO),
                                                 "f")
                if changes:
                    saved = svc.edit_entry(session, actor=actor, entry_id=entry.id, now=now,
                                           **changes)
                result = TimeEntry.from_dict(public.time_entry(saved, viewer=actor, now=now))
            expenses = log_usage(session, actor, now, project_id=self.project_id, day=day,
                                 usages=rows, source=self.source, meta=self._meta)
            return (result, now), expenses

        (self.session.entry, self.session.ended_at), self.session.expenses = self.client.run(work)
        return self.session

    def discard(self) -> None:
        """Delete the entry (the work failed): nothing of the session is kept."""
        entry = self._require_started()

        def work(session: Session, actor: Actor, now: datetime) -> datetime:
            from keito_core.services.tracking import time_entries as svc

            svc.delete_entry(session, actor=actor, entry_id=entry.id, now=now)
            return now

        self.session.ended_at = self.client.run(work)
        self.session.entry = None

    def _require_started(self) -> TimeEntry:
        if self.session.entry is None or self.session.started_at is None:
            raise RuntimeError("the agent session has not started")
        return self.session.entry

    def _close(self, exc: BaseException | None) -> None:
        if exc is None:
            self.finish()
            return
        try:
            self.discard()
        except Exception as cleanup:  # the block's own error is the one to report
            exc.add_note(f"keito: discarding the time entry failed too: {cleanup!r}")

    # --- context manager protocols -----------------------------------------------------------

    def __enter__(self) -> AgentSession:
        self.start()
        self._token = _current.set(self.session)
        return self.session

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        self._close(exc)

    async def __aenter__(self) -> AgentSession:
        await asyncio.to_thread(self.start)
        self._token = _current.set(self.session)
        return self.session

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if self._token is not None:
            _current.reset(self._token)
            self._token = None
        await asyncio.to_thread(self._close, exc)


def track(project_id: str, task_id: str | None = None, *, client: Any = None,
          agent_id: str | None = None, **options: Any) -> Callable[[F], F]:
    """Decorate a function (sync or async) so that each call is one tracked agent session.

    `client` is a Keito or AsyncKeito; by default one Keito() is made from the environment on
    the first call. `agent_id` defaults to the function's name. Inside the call,
    `current_session()` gives the session, to report tokens and set notes. Other options are
    those of `track_agent_work` (model, notes, agent_type, metadata ...).
    """
    made: list[Keito] = []

    def sync_client() -> Keito:
        if client is not None:
            return getattr(client, "sync", client)
        if not made:
            from keito_core.api.client import Keito

            made.append(Keito())
        return made[0]

    def decorate(fn: F) -> F:
        name = agent_id or fn.__name__

        def work() -> AgentWork:
            return AgentWork(sync_client(), project_id=project_id, task_id=task_id,
                             agent_id=name, **options)

        if inspect.iscoroutinefunction(fn):
            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with work():
                    return await fn(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with work():
                return fn(*args, **kwargs)

        return run  # type: ignore[return-value]

    return decorate


__all__ = ["AgentSession", "AgentWork", "TokenUsage", "current_session", "track"]
