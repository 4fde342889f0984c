"""A stand-in for the parts of CrewAI that Keito's task callback touches.

CrewAI cannot be installed next to this project (crewai 1.15 pins pydantic<2.13 and pulls in
chromadb, lancedb, openai ...), so the tests install this module as `crewai` instead. It copies
CrewAI 1.15.30's behaviour from its source:

- `crewai.tasks.task_output.TaskOutput`: a pydantic model with the same fields (description,
  name, expected_output, summary, raw, pydantic, json_dict, agent = the agent's role,
  output_format, messages) and the same summary validator; no timing, no token usage.
- `Task._execute_core`: sets start_time, emits TaskStartedEvent(context, task), runs the agent,
  builds TaskOutput(name=task.name or task.description, ...), sets end_time, calls
  `task.callback(output)`, then `crew.task_callback(output)` when it is another callable.
- LLM calls emit LLMCallCompletedEvent(usage=..., model=..., from_task, from_agent), whose
  constructor turns from_task into task_id / task_name (= task.name or task.description) and
  from_agent into agent_id / agent_role.
- `crewai.events.crewai_event_bus`: register_handler(event_type, handler(source, event));
  emit runs synchronous handlers in a thread pool; flush(timeout) waits for them.

What an agent "does" is scripted: SCRIPT[role] lists LLM calls as (minutes, usage dict), each
moving the test's clock (`CLOCK`) forward before its event.
"""

from __future__ import annotations

import sys
import types
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field, model_validator

CLOCK: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
SCRIPT: dict[str, list[tuple[float, dict[str, int]]]] = {}


class BaseEvent(BaseModel):
    timestamp: datetime = Field(default_factory=lambda: CLOCK())
    type: str = "event"
    task_id: str | None = None
    task_name: str | None = None
    agent_id: str | None = None
    agent_role: str | None = None


class TaskStartedEvent(BaseEvent):
    type: str = "task_started"
    context: str | None = None
    task: Any | None = None


class LLMCallCompletedEvent(BaseEvent):
    type: str = "llm_call_completed"
    model: str | None = None
    usage: dict[str, Any] | None = None
    response: Any = None
    call_id: str = Field(default_factory=lambda: str(uuid.uuid4()))

    def __init__(self, **data: Any) -> None:
        task = data.pop("from_task", None)
        if task is not None:
            data["task_id"] = str(task.id)
            data["task_name"] = task.name or task.description
        agent = data.pop("from_agent", None)
        if agent is not None:
            data["agent_id"] = str(agent.id)
            data["agent_role"] = agent.role
        super().__init__(**data)


class EventBus:
    """Sync handlers run in a thread pool, as CrewAI's bus does; flush() waits for them."""

    def __init__(self) -> None:
        self._handlers: dict[type, list[Callable[[Any, Any], None]]] = {}
        self._pool = ThreadPoolExecutor(max_workers=4)
        self._pending: list[Future[None]] = []

    def register_handler(self, event_type: type, handler: Callable[[Any, Any], None]) -> None:
        self._handlers.setdefault(event_type, []).append(handler)

    def emit(self, source: Any, event: BaseEvent) -> None:
        for handler in self._handlers.get(type(event), []):
            self._pending.append(self._pool.submit(handler, source, event))

    def flush(self, timeout: float | None = 30.0) -> bool:
        done, not_done = wait(self._pending, timeout=timeout)
        for future in done:
            future.result()
        self._pending = list(not_done)
        return not not_done


crewai_event_bus = EventBus()


class TaskOutput(BaseModel):
    description: str
    name: str | None = None
    expected_output: str | None = None
    summary: str | None = None
    raw: str = ""
    pydantic: BaseModel | None = None
    json_dict: dict[str, Any] | None = None
    agent: str
    output_format: str = "raw"
    messages: list[dict[str, Any]] = Field(default_factory=list)

    @model_validator(mode="after")
    def set_summary(self) -> TaskOutput:
        excerpt = " ".join(self.description.split(" ")[:10])
        self.summary = f"{excerpt}..."
        return self


class Agent:
    def __init__(self, role: str, goal: str = "", backstory: str = "", llm: Any = None,
                 **kwargs: Any) -> None:
        self.id = uuid.uuid4()
        self.role, self.goal, self.backstory = role, goal, backstory
        self.llm = llm
        self.crew: Crew | None = None

    def execute_task(self, task: Task, context: str | None = None) -> str:
        for minutes, usage in SCRIPT.get(self.role, []):
            ScriptClock.advance(minutes)
            crewai_event_bus.emit(self.llm, LLMCallCompletedEvent(
                usage=usage, model=self.llm, from_task=task, from_agent=self, response="..."))
        return f"{self.role} finished: {task.description}"


class ScriptClock:
    """Moves the clock the stand-in's events read (tests set `advance_by`)."""

    advance_by: Callable[[float], None] = staticmethod(lambda minutes: None)

    @classmethod
    def advance(cls, minutes: float) -> None:
        cls.advance_by(minutes)


class Task:
    def __init__(self, description: str, agent: Agent | None = None,
                 callback: Callable[[TaskOutput], Any] | None = None,
                 context: list[Task] | None = None, name: str | None = None,
                 expected_output: str | None = None, **kwargs: Any) -> None:
        self.id = uuid.uuid4()
        self.description, self.agent, self.callback = description, agent, callback
        self.context, self.name, self.expected_output = context, name, expected_output
        self.start_time: datetime | None = None
        self.end_time: datetime | None = None
        self.output: TaskOutput | None = None

    def execute_sync(self, context: str | None = None) -> TaskOutput:
        self.start_time = CLOCK()
        agent = self.agent
        assert agent is not None
        crewai_event_bus.emit(self, TaskStartedEvent(context=context, task=self))
        raw = agent.execute_task(self, context)
        output = TaskOutput(name=self.name or self.description, description=self.description,
                            expected_output=self.expected_output, raw=raw, agent=agent.role)
        self.output = output
        self.end_time = CLOCK()
        if self.callback:
            self.callback(output)
        crew = agent.crew
        if crew is not None and crew.task_callback and crew.task_callback != self.callback:
            crew.task_callback(output)
        return output


class CrewOutput(BaseModel):
    raw: str
    tasks_output: list[TaskOutput]


class Crew:
    def __init__(self, agents: list[Agent], tasks: list[Task],
                 task_callback: Callable[[TaskOutput], Any] | None = None,
                 **kwargs: Any) -> None:
        self.agents, self.tasks, self.task_callback = agents, tasks, task_callback
        for agent in agents:
            agent.crew = self

    def kickoff(self, inputs: dict[str, Any] | None = None) -> CrewOutput:
        outputs: list[TaskOutput] = []
        for task in self.tasks:
            context = "\n".join(o.raw for o in outputs) or None
            outputs.append(task.execute_sync(context))
        return CrewOutput(raw=outputs[-1].raw, tasks_output=outputs)


def install(monkeypatch: Any, clock: Any) -> types.ModuleType:
    """Make `import crewai` and `from crewai.events import ...` find this stand-in."""
    global CLOCK, crewai_event_bus
    CLOCK = clock
    ScriptClock.advance_by = staticmethod(lambda minutes: clock.advance(minutes=minutes))
    SCRIPT.clear()
    crewai_event_bus = EventBus()
    package = types.ModuleType("crewai")
    package.__path__ = []  # a package, so that `crewai.events` imports
    package.Agent, package.Task, package.Crew = Agent, Task, Crew  # type: ignore[attr-defined]
    events = types.ModuleType("crewai.events")
    events.crewai_event_bus = crewai_event_bus  # type: ignore[attr-defined]
    events.TaskStartedEvent = TaskStartedEvent  # type: ignore[attr-defined]
    events.LLMCallCompletedEvent = LLMCallCompletedEvent  # type: ignore[attr-defined]
    package.events = events  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "crewai", package)
    monkeypatch.setitem(sys.modules, "crewai.events", events)
    return package
