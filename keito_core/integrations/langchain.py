"""LangChain: a callback handler that tracks each chain (or agent) run as one agent session.

    handler = KeitoCallbackHandler(client=Keito(), project_id="acme", agent_id="research-01")
    chain.invoke({"topic": ...}, config={"callbacks": [handler]})

Per the reference (Python SDK: LangChain Integration): the outermost run's start starts a
running time entry (source agent, metadata agent_id, agent_type "langchain", session_id,
model); each LLM call's token usage is collected (from the message's `usage_metadata`, else
the provider's `llm_output["token_usage"]`); the outermost run's end stops the entry and logs
one LLM Usage expense per LLM call that used tokens, all with the same session_id. A run
shorter than `min_duration` hours keeps its expenses but no time entry. A run that fails
is discarded: no entry and no expense. Needs langchain-core (the `langchain` extra).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any
from uuid import UUID

try:
    from langchain_core.callbacks import BaseCallbackHandler
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "the LangChain integration needs langchain-core: pip install 'keito-tui[langchain]'"
    ) from exc

from keito_core.api.agent import AgentSession, AgentWork
from keito_core.api.client import Keito

DEFAULT_NOTES = "LangChain run: {run_name}"


def _get(obj: Any, *names: str) -> Any:
    """The first of `names` present on a mapping or an object (None when none is)."""
    for name in names:
        value = obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def token_usage(response: Any) -> tuple[int, int, str | None]:
    """(input tokens, output tokens, model) of one LLMResult.

    The messages' `usage_metadata` (langchain-core's standard) wins; providers that only fill
    `llm_output["token_usage"]` (prompt_tokens/completion_tokens) are read otherwise.
    """
    input_tokens = output_tokens = 0
    found = False
    model = None
    for generations in getattr(response, "generations", None) or []:
        for generation in generations:
            message = getattr(generation, "message", None)
            usage = getattr(message, "usage_metadata", None)
            if usage:
                found = True
                input_tokens += int(_get(usage, "input_tokens") or 0)
                output_tokens += int(_get(usage, "output_tokens") or 0)
            meta = getattr(message, "response_metadata", None) or {}
            model = model or _get(meta, "model_name", "model")
    llm_output = getattr(response, "llm_output", None) or {}
    if not found:
        usage = _get(llm_output, "token_usage", "usage") or {}
        input_tokens = int(_get(usage, "prompt_tokens", "input_tokens") or 0)
        output_tokens = int(_get(usage, "completion_tokens", "output_tokens") or 0)
    model = model or _get(llm_output, "model_name", "model")
    return input_tokens, output_tokens, model


def _run_name(serialized: Mapping[str, Any] | None, kwargs: Mapping[str, Any]) -> str:
    if kwargs.get("name"):
        return str(kwargs["name"])
    serialized = serialized or {}
    if serialized.get("name"):
        return str(serialized["name"])
    ids = serialized.get("id") or []
    return str(ids[-1]) if ids else "run"


class KeitoCallbackHandler(BaseCallbackHandler):
    """Tracks every outermost LangChain run it sees as one agent session in Keito.

    Options (the reference's): `auto_expense` (log LLM expenses, default True),
    `min_duration` (hours below which no time entry is kept, default 0.01),
    `notes_template` (str.format fields: run_name, agent_id, session_id, model,
    input_tokens, output_tokens, total_tokens). Also `model` (when the provider reports
    none) and `raise_errors` (default True: a refused entry fails the run instead of
    being lost silently).
    """

    def __init__(self, client: Any, project_id: str, task_id: str | None = None,
                 agent_id: str | None = None, *, model: str | None = None,
                 auto_expense: bool = True, min_duration: float | None = 0.01,
                 notes_template: str | None = None, agent_type: str = "langchain",
                 metadata: dict[str, Any] | None = None, raise_errors: bool = True) -> None:
        super().__init__()
        self.client: Keito = getattr(client, "sync", client)
        self.project_id = project_id
        self.task_id = task_id
        self.agent_id = agent_id
        self.model = model
        self.auto_expense = auto_expense
        self.min_duration = min_duration
        self.notes_template = notes_template
        self.agent_type = agent_type
        self.metadata = metadata
        self.raise_error = raise_errors
        #: Sessions this handler has finished or discarded, oldest first.
        self.sessions: list[AgentSession] = []
        self._works: dict[UUID, AgentWork] = {}
        self._names: dict[UUID, str] = {}
        self._root_of: dict[UUID, UUID] = {}
        self._models: dict[UUID, str] = {}
        self._lock = threading.Lock()

    # --- run tree ---------------------------------------------------------------------------

    def _enter(self, run_id: UUID, parent_run_id: UUID | None, name: str) -> None:
        with self._lock:
            root = self._root_of.get(parent_run_id) if parent_run_id is not None else None
            if root is not None:
                self._root_of[run_id] = root
                return
            self._root_of[run_id] = run_id
            work = AgentWork(self.client, project_id=self.project_id, task_id=self.task_id,
                             agent_id=self.agent_id, model=self.model,
                             agent_type=self.agent_type, metadata=self.metadata,
                             auto_expense=self.auto_expense, expense_per_call=True,
                             min_hours=self.min_duration)
            self._works[run_id] = work
            self._names[run_id] = name
        try:
            work.start()
        except BaseException:
            with self._lock:
                self._works.pop(run_id, None)
                self._names.pop(run_id, None)
                self._root_of.pop(run_id, None)
            raise

    def _leave(self, run_id: UUID, *, failed: bool) -> None:
        with self._lock:
            work = self._works.pop(run_id, None)
            if work is None:
                return
            name = self._names.pop(run_id, "run")
            for child in [c for c, root in self._root_of.items() if root == run_id]:
                self._root_of.pop(child, None)
                self._models.pop(child, None)
        self.sessions.append(work.session)
        if failed:
            work.discard()
            return
        session = work.session
        fields = {"run_name": name, "agent_id": self.agent_id, "session_id": session.session_id,
                  "model": session.usages[-1].model if session.usages else self.model,
                  "input_tokens": session.input_tokens, "output_tokens": session.output_tokens,
                  "total_tokens": session.total_tokens}
        session.set_notes((self.notes_template or DEFAULT_NOTES).format(**fields))
        work.finish()

    def _model_from(self, run_id: UUID, kwargs: Mapping[str, Any],
                    metadata: Mapping[str, Any] | None) -> None:
        params = kwargs.get("invocation_params") or {}
        model = _get(params, "model", "model_name") or _get(metadata or {}, "ls_model_name")
        if model:
            with self._lock:
                self._models[run_id] = str(model)

    # --- LangChain callbacks ----------------------------------------------------------------

    def on_chain_start(self, serialized: dict[str, Any], inputs: dict[str, Any], *,
                       run_id: UUID, parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._enter(run_id, parent_run_id, _run_name(serialized, kwargs))

    def on_chain_end(self, outputs: dict[str, Any], *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id, failed=False)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id, failed=True)

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], *,
                            run_id: UUID, parent_run_id: UUID | None = None,
                            metadata: dict[str, Any] | None = None, **kwargs: Any) -> None:
        self._model_from(run_id, kwargs, metadata)
        self._enter(run_id, parent_run_id, _run_name(serialized, kwargs))

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID,
                     parent_run_id: UUID | None = None, metadata: dict[str, Any] | None = None,
                     **kwargs: Any) -> None:
        self._model_from(run_id, kwargs, metadata)
        self._enter(run_id, parent_run_id, _run_name(serialized, kwargs))

    def on_llm_end(self, response: Any, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            root = self._root_of.get(run_id)
            work = self._works.get(root) if root is not None else None
            model = self._models.pop(run_id, None)
        if work is None:
            return
        input_tokens, output_tokens, reported = token_usage(response)
        if input_tokens or output_tokens:
            work.session.report_tokens(input_tokens=input_tokens, output_tokens=output_tokens,
                                       model=reported or model or self.model)
        if run_id == root:
            self._leave(run_id, failed=False)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self._leave(run_id, failed=True)

    def on_tool_start(self, serialized: dict[str, Any], input_str: str, *, run_id: UUID,
                      parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._link(run_id, parent_run_id)

    def on_retriever_start(self, serialized: dict[str, Any], query: str, *, run_id: UUID,
                           parent_run_id: UUID | None = None, **kwargs: Any) -> None:
        self._link(run_id, parent_run_id)

    def _link(self, run_id: UUID, parent_run_id: UUID | None) -> None:
        with self._lock:
            root = self._root_of.get(parent_run_id) if parent_run_id is not None else None
            if root is not None:
                self._root_of[run_id] = root


__all__ = ["KeitoCallbackHandler", "token_usage"]
