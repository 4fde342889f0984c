"""CrewAI: a task callback that logs each finished task as agent time plus its token cost.

    callback = KeitoTaskCallback(client=Keito(), project_id="acme")
    task = Task(description="Research Q4 market trends", agent=researcher, callback=callback)

Per the reference (Python SDK: CrewAI Integration), each task gives one time entry (source
agent, the agent's role as the notes and, by default, as metadata.agent_id; agent_type
"crewai") lasting from the task's start to its completion, and one LLM Usage expense with the
task's total tokens, both with the same session_id and written in one transaction.

CrewAI calls a task callback with the TaskOutput only (description, name, raw, agent role ...:
no timing, no tokens). So when CrewAI is importable the callback also listens on CrewAI's
event bus: TaskStartedEvent gives the task's start instant, LLMCallCompletedEvent the usage
of each LLM call, both keyed by the task's name (or description) as TaskOutput carries it.
Without those events, a task is taken to start when the previous one (or the callback's
creation) ended, and a `token_usage` / `usage_metrics` on the output object is read if
present. Does not import CrewAI itself unless it is installed.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from keito_core.api.agent import TokenUsage, log_usage
from keito_core.api.types import Expense, TimeEntry

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.api.client import Keito
    from keito_core.rules.permissions import Actor

_MAX_DESCRIPTION = 200


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def usage_of(usage: Any, model: str | None = None) -> TokenUsage:
    """Tokens from a usage dict or object (input/output or prompt/completion names)."""
    input_tokens = int(_get(usage, "input_tokens", "prompt_tokens") or 0)
    output_tokens = int(_get(usage, "output_tokens", "completion_tokens") or 0)
    return TokenUsage(input_tokens, output_tokens, model)


def task_key(task: Any) -> str | None:
    """How CrewAI names a task in events and in its TaskOutput: its name, else description."""
    return _get(task, "name") or _get(task, "description")


class KeitoTaskCallback:
    """A CrewAI task callback (Task(callback=...) or Crew(task_callback=...)).

    Options (the reference's): `auto_expense` (default True), `agent_id_from_role` (default
    True: metadata.agent_id is the agent's role; else `agent_id`), `task_id` (the Keito task
    for every entry). Also `model` (when CrewAI reports none) and `listen` (default True:
    listen on CrewAI's event bus when CrewAI is installed).
    """

    def __init__(self, client: Any, project_id: str, task_id: str | None = None, *,
                 auto_expense: bool = True, agent_id_from_role: bool = True,
                 agent_id: str | None = None, model: str | None = None,
                 agent_type: str = "crewai", metadata: dict[str, Any] | None = None,
                 listen: bool = True) -> None:
        self.client: Keito = getattr(client, "sync", client)
        self.project_id = project_id
        self.task_id = task_id
        self.auto_expense = auto_expense
        self.agent_id_from_role = agent_id_from_role
        self.agent_id = agent_id
        self.model = model
        self.agent_type = agent_type
        self.metadata = dict(metadata or {})
        #: (time entry or None, expenses) of each task logged, oldest first.
        self.logged: list[tuple[TimeEntry | None, list[Expense]]] = []
        self._starts: dict[str, datetime] = {}
        self._usages: dict[str, list[TokenUsage]] = {}
        self._lock = threading.Lock()
        self._last_end = self.client.now()
        self._bus: Any = None
        if listen:
            self._listen()

    # --- CrewAI's event bus -------------------------------------------------------------------

    def _listen(self) -> None:
        try:
            from crewai.events import (  # type: ignore[import-not-found]
                LLMCallCompletedEvent,
                TaskStartedEvent,
                crewai_event_bus,
            )
        except ImportError:
            return
        crewai_event_bus.register_handler(TaskStartedEvent, self.on_task_started)
        crewai_event_bus.register_handler(LLMCallCompletedEvent, self.on_llm_call_completed)
        self._bus = crewai_event_bus

    def on_task_started(self, source: Any, event: Any) -> None:
        """TaskStartedEvent: remember when the task started (the event's own timestamp)."""
        key = task_key(getattr(event, "task", None) or source) or getattr(event, "task_name",
                                                                          None)
        if not key:
            return
        when = getattr(event, "timestamp", None) or self.client.now()
        if when.tzinfo is None:
            when = when.astimezone(UTC)
        with self._lock:
            self._starts[key] = when

    def on_llm_call_completed(self, source: Any, event: Any) -> None:
        """LLMCallCompletedEvent: add the call's token usage to its task's."""
        key = getattr(event, "task_name", None)
        usage = getattr(event, "usage", None)
        if not key or not usage:
            return
        found = usage_of(usage, getattr(event, "model", None) or self.model)
        with self._lock:
            self._usages.setdefault(key, []).append(found)

    # --- the callback ------------------------------------------------------------------------

    def __call__(self, output: Any) -> None:
        """Log the finished task: its time entry and its LLM Usage expense."""
        flush = getattr(self._bus, "flush", None)
        if flush is not None:  # event handlers run in a thread pool: let them catch up
            flush(timeout=5.0)
        key = task_key(output) or ""
        role = str(_get(output, "agent") or "agent")
        with self._lock:
            started = self._starts.pop(key, None) or self._last_end
            usages = self._usages.pop(key, [])
        if not usages:
            reported = _get(output, "token_usage", "usage_metrics")
            if reported is not None:
                usages = [usage_of(reported, self.model)]
        usages = [u for u in usages if u.total > 0] if self.auto_expense else []
        total = TokenUsage(sum(u.input_tokens for u in usages),
                           sum(u.output_tokens for u in usages),
                           self._model(usages))
        meta = dict(self.metadata)
        meta.update(agent_id=role if self.agent_id_from_role else (self.agent_id or role),
                    agent_type=self.agent_type, session_id=str(uuid.uuid4()))
        description = _get(output, "description")
        if description:
            meta["task_description"] = str(description)[:_MAX_DESCRIPTION]

        def with_model(**more: Any) -> dict[str, Any]:
            return {**meta, **{k: v for k, v in more.items() if v is not None}}

        def work(session: Session, actor: Actor, now: datetime) -> tuple[Any, list[Expense]]:
            from keito_core import presenters as public
            from keito_core.services.tracking import time_entries as svc

            seconds = int((now - started).total_seconds())
            entry = None
            if seconds >= 1:
                saved = svc.log_time(
                    session, actor=actor, project_ref=self.project_id, task_ref=self.task_id,
                    duration=format((Decimal(seconds) / 3600).quantize(Decimal("0.000001")),
                                    "f"),
                    notes=role, source="agent", meta=with_model(model=total.model), now=now)
                entry = TimeEntry.from_dict(public.time_entry(saved, viewer=actor, now=now))
            expenses = []
            if total.total > 0:
                day = entry.spent_date if entry is not None else None
                expenses = log_usage(session, actor, now, project_id=self.project_id, day=day,
                                     usages=[total], source="agent", meta=with_model)
            return (entry, now), expenses

        (entry, ended), expenses = self.client.run(work)
        self._last_end = ended
        self.logged.append((entry, expenses))

    def _model(self, usages: list[TokenUsage]) -> str | None:
        models = {u.model for u in usages if u.model}
        return models.pop() if len(models) == 1 else self.model


__all__ = ["KeitoTaskCallback", "task_key", "usage_of"]
