"""The reference's Python examples run against a local workspace, unchanged but for the import.

Each example below is pasted from the reference (Quickstart, Authentication, Error Handling and
the Python SDK, Agent Integration and Examples pages), with `keito` -> `keito_core` in its
import lines and nothing else changed; the reference's rendering lost the line breaks, which
are restored. A test checks that each one, imports put back, is in the reference verbatim
(ignoring whitespace).

The workspace is made to match the examples ("modify the project and task IDs to match your
workspace", as the reference says): project code `prj_abc`; tasks named `tsk_001`,
`tsk_research` and `tsk_code_review`; an entry `te_abc123` and an expense `exp_xyz789`;
`cat_llm_usage` is the built-in LLM Usage category. KEITO_API_KEY is an agent's key and
KEITO_ACCOUNT_ID the workspace's ID. Names the examples leave to the reader (`agent`,
`items`, `process_item`, `review_agent`, `pr_urls`, `code_to_review` ...) are defined in
their namespace; `langchain_anthropic.ChatAnthropic` is a langchain-core fake chat model with
real usage metadata (no network here), and `crewai` is tests/core/integrations/
crewai_standin.py. Time is frozen with time-machine and moved by the stand-ins.

Not run: the API Reference page's signature blocks (annotated pseudo-calls, not Python; the
signatures are checked by test_the_reference_signatures_are_accepted instead) and the
LangChain page's multi-step AgentExecutor block (AgentExecutor is in neither langchain-core
nor langchain 1.x).
"""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import inspect
import itertools
import re
import sys
import types
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from sqlalchemy import text
from sqlmodel import select

from keito_core.models import Expense, TimeEntry

REFERENCE = Path(__file__).resolve().parents[4] / "shared" / "reference" / "keito-docs.md"
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

EXAMPLES: dict[str, str] = {
    "quickstart-time-entry": '''
import os
from keito_core import Keito
client = Keito(
    api_key=os.environ["KEITO_API_KEY"],
    account_id=os.environ["KEITO_ACCOUNT_ID"],
)
entry = client.time_entries.create(
    project_id="prj_abc",
    task_id="tsk_001",
    spent_date="2026-03-06",
    hours=1.5,
    notes="Implemented OAuth flow",
    source="agent",
    metadata={
        "agent_id": "my-bot-01",
        "agent_type": "claude-code",
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "model": "claude-opus-4-6",
    },
)
print(f"Created entry: {entry.id}")
''',
    "quickstart-expense": '''
client.expenses.create(
    project_id="prj_abc",
    expense_category_id="cat_llm_usage",
    spent_date="2026-03-06",
    units=45,
    notes="claude-opus-4-6: 30k input + 15k output tokens",
    source="agent",
    metadata={
        "agent_id": "my-bot-01",
        "session_id": entry.metadata["session_id"],
        "model": "claude-opus-4-6",
        "input_tokens": 30000,
        "output_tokens": 15000,
    },
)
''',
    "authentication": '''
# Python SDK
client = Keito(
    api_key=os.environ["KEITO_API_KEY"],
    account_id=os.environ["KEITO_ACCOUNT_ID"],
)
''',
    "error-handling-retries": '''
# Python SDK
client = Keito(
    api_key=os.environ["KEITO_API_KEY"],
    max_retries=3,
    retry_delay=1.0,
)
''',
    "getting-started-initialise": '''
import os
from keito_core import Keito
client = Keito(
    api_key=os.environ["KEITO_API_KEY"],
    account_id=os.environ["KEITO_ACCOUNT_ID"],
)
''',
    "getting-started-from-env": '''
client = Keito() # reads KEITO_API_KEY and KEITO_ACCOUNT_ID from env
''',
    "getting-started-first-request": '''
# List all projects
projects = client.projects.list()
for project in projects.data:
    print(f"{project.name} ({project.id})")
''',
    "time-entries-create": '''
entry = client.time_entries.create(
    project_id="prj_abc",
    task_id="tsk_001",
    spent_date="2026-03-06",
    hours=1.5,
    notes="Refactored authentication module",
    source="agent",
    metadata={
        "agent_id": "review-bot-01",
        "agent_type": "claude-code",
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "model": "claude-opus-4-6",
    },
)
''',
    "time-entries-start-timer": '''
from datetime import date
timer = client.time_entries.create(
    project_id="prj_abc",
    task_id="tsk_001",
    spent_date=str(date.today()),
    hours=0,
    is_running=True,
    source="agent",
    metadata={
        "agent_id": "review-bot-01",
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
    },
)
''',
    "time-entries-stop-timer": '''
client.time_entries.update(
    timer.id,
    hours=1.5,
    is_running=False,
    notes="Completed code review",
)
''',
    "time-entries-list": '''
# All agent entries for a project this week
entries = client.time_entries.list(
    source="agent",
    project_id="prj_abc",
    from_date="2026-03-01",
    to_date="2026-03-06",
)
for entry in entries.data:
    print(f"{entry.spent_date}: {entry.hours}h — {entry.notes}")
''',
    "time-entries-delete": '''
client.time_entries.delete("te_abc123")
''',
    "expenses-create": '''
client.expenses.create(
    project_id="prj_abc",
    expense_category_id="cat_llm_usage",
    spent_date="2026-03-06",
    units=45,
    notes="claude-opus-4-6: 30k input + 15k output tokens",
    source="agent",
    metadata={
        "agent_id": "review-bot-01",
        "session_id": "550e8400-e29b-41d4-a716-446655440000",
        "model": "claude-opus-4-6",
        "input_tokens": 30000,
        "output_tokens": 15000,
    },
)
''',
    "expenses-list": '''
expenses = client.expenses.list(
    source="agent",
    project_id="prj_abc",
    from_date="2026-03-01",
)
for expense in expenses.data:
    print(f"{expense.spent_date}: {expense.units} units — {expense.notes}")
''',
    "expenses-get": '''
expense = client.expenses.get("exp_xyz789")
print(f"Total cost: {expense.total_cost}")
''',
    "agent-context-manager": '''
from keito_core import Keito
client = Keito()
with client.track_agent_work(
    project_id="prj_abc",
    task_id="tsk_001",
    agent_id="research-bot-03",
    model="claude-opus-4-6",
) as session:
    # Your agent does work here
    result = agent.run("Analyse Q4 billing data")
    # Report token usage — logged as LLM expense on exit
    session.report_tokens(input=18000, output=6000)
    session.set_notes("Analysed Q4 billing trends and generated summary")
# Time entry and LLM expense are created automatically
print(f"Tracked {session.hours:.2f}h, {session.total_tokens_k:.1f}k tokens")
''',
    "agent-decorator": '''
from keito_core import track
@track(project_id="prj_abc", task_id="tsk_001")
async def review_pull_request(pr_url: str) -> str:
    """Agent reviews a PR — time and cost tracked automatically."""
    response = await agent.review(pr_url)
    return response.summary
''',
    "agent-async-client": '''
from keito_core import AsyncKeito
client = AsyncKeito()
async with client.track_agent_work(
    project_id="prj_abc",
    agent_id="batch-processor",
    model="claude-sonnet-4-6",
) as session:
    results = await asyncio.gather(*[
        process_item(item) for item in items
    ])
    session.report_tokens(input=total_input, output=total_output)
''',
    "langchain-setup": '''
from keito_core import Keito
from keito_core.integrations.langchain import KeitoCallbackHandler
client = Keito()
handler = KeitoCallbackHandler(
    client=client,
    project_id="prj_abc",
    task_id="tsk_001",
    agent_id="langchain-agent-01",
)
''',
    "langchain-usage": '''
from langchain_anthropic import ChatAnthropic
from langchain_core.prompts import ChatPromptTemplate
llm = ChatAnthropic(model="claude-sonnet-4-6")
prompt = ChatPromptTemplate.from_template("Review this code: {code}")
chain = prompt | llm
# Automatically tracks time and token usage
result = chain.invoke(
    {"code": code_to_review},
    config={"callbacks": [handler]},
)
''',
    "crewai-setup": '''
from keito_core import Keito
from keito_core.integrations.crewai import KeitoTaskCallback
client = Keito()
callback = KeitoTaskCallback(
    client=client,
    project_id="prj_abc",
)
''',
    "crewai-usage": '''
from crewai import Agent, Task, Crew
researcher = Agent(
    role="Senior Researcher",
    goal="Find relevant information",
    backstory="An experienced research analyst",
    llm="claude-sonnet-4-6",
)
task = Task(
    description="Research Q4 market trends",
    agent=researcher,
    callback=callback,
)
crew = Crew(agents=[researcher], tasks=[task])
result = crew.kickoff()
''',
    "crewai-multi-agent": '''
researcher = Agent(role="Researcher", llm="claude-sonnet-4-6")
writer = Agent(role="Writer", llm="claude-sonnet-4-6")
research_task = Task(
    description="Research AI trends",
    agent=researcher,
    callback=callback,
)
writing_task = Task(
    description="Write report from research",
    agent=writer,
    callback=callback,
    context=[research_task],
)
crew = Crew(
    agents=[researcher, writer],
    tasks=[research_task, writing_task],
)
result = crew.kickoff()
''',
    "async-setup": '''
from keito_core import AsyncKeito
client = AsyncKeito()
''',
    "async-basic-usage": '''
import asyncio
from keito_core import AsyncKeito
async def main():
    client = AsyncKeito()
    # Create a time entry
    entry = await client.time_entries.create(
        project_id="prj_abc",
        task_id="tsk_001",
        spent_date="2026-03-06",
        hours=1.5,
        notes="Async agent work",
        source="agent",
    )
    # List entries
    entries = await client.time_entries.list(
        source="agent",
        project_id="prj_abc",
    )
    for e in entries.data:
        print(f"{e.spent_date}: {e.hours}h")
asyncio.run(main())
''',
    "async-context-manager": '''
async with client.track_agent_work(
    project_id="prj_abc",
    agent_id="batch-processor",
    model="claude-sonnet-4-6",
) as session:
    results = await asyncio.gather(*[
        process_item(item) for item in items
    ])
    session.report_tokens(input=total_input, output=total_output)
''',
    "async-parallel": '''
async def process_pr(client: AsyncKeito, pr_url: str):
    async with client.track_agent_work(
        project_id="prj_abc",
        task_id="tsk_code_review",
        agent_id="review-bot",
        model="claude-sonnet-4-6",
    ) as session:
        result = await review_agent.run(pr_url)
        session.report_tokens(
            input=result.input_tokens,
            output=result.output_tokens,
        )
        session.set_notes(f"Reviewed {pr_url}")
        return result
# Process 5 PRs in parallel
results = await asyncio.gather(*[
    process_pr(client, url) for url in pr_urls
])
''',
    "example-langchain-agent": '''
import os
from keito_core import Keito
from keito_core.integrations.langchain import KeitoCallbackHandler
from langchain_anthropic import ChatAnthropic
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.output_parsers import StrOutputParser
# Initialise Keito
keito = Keito()
# Create the callback handler
handler = KeitoCallbackHandler(
    client=keito,
    project_id="prj_abc",
    task_id="tsk_research",
    agent_id="research-agent-01",
)
# Build the chain
llm = ChatAnthropic(model="claude-sonnet-4-6", temperature=0)
prompt = ChatPromptTemplate.from_messages([
    ("system", "You are a research analyst. Provide concise, factual summaries."),
    ("user", "Research and summarise: {topic}"),
])
chain = prompt | llm | StrOutputParser()
# Run with automatic tracking
result = chain.invoke(
    {"topic": "AI agent billing best practices for consultancies"},
    config={"callbacks": [handler]},
)
print(result)
''',
}


def _as_in_reference(code: str) -> str:
    """The example with the reference's imports and no whitespace."""
    code = re.sub(r"\bkeito_core\b", "keito", code)
    return re.sub(r"\s+", "", code)


@pytest.mark.skipif(not REFERENCE.exists(), reason="shared/reference is not beside the repo")
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_example_is_the_reference_verbatim(name: str) -> None:
    reference = re.sub(r"\s+", "", REFERENCE.read_text(encoding="utf-8"))
    assert _as_in_reference(EXAMPLES[name]) in reference


def test_only_import_lines_mention_keito_core() -> None:
    for name, code in EXAMPLES.items():
        for line in code.splitlines():
            if "keito_core" in line:
                assert line.startswith(("from keito_core", "import keito_core")), (name, line)


# --- the workspace and the examples' surroundings --------------------------------------------


@pytest.fixture
def traveller():  # noqa: ANN201
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(workspace, monkeypatch, traveller):  # noqa: ANN201
    """The workspace the examples name, acting as agent review-bot-01."""
    from keito_core.api import Keito
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        for name in ("tsk_001", "tsk_research", "tsk_code_review"):
            tasks.create_task(s, actor=admin, name=name, is_default=True, now=NOW)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        project = projects.create_project(s, actor=admin, name="Acme Website Redesign",
                                          code="prj_abc", client_ref=client.id, now=NOW)
        agent = users.create_user(s, actor=admin, name="review-bot-01", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=project.id, user_ref=agent.id,
                                   now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="examples", now=NOW)
    monkeypatch.setenv("KEITO_API_KEY", key)
    monkeypatch.setenv("KEITO_ACCOUNT_ID", workspace.workspace_id)
    setup = Keito()
    old = setup.time_entries.create(project_id="prj_abc", hours=1, spent_date="2026-03-02",
                                    notes="failed session")
    cost = setup.expenses.create(project_id="prj_abc", expense_category_id="cat_llm_usage",
                                 units=10, spent_date="2026-03-02")
    with workspace.session() as s:  # the IDs the examples use
        s.exec(text("UPDATE time_entries SET id = 'te_abc123' WHERE id = :id"),
               params={"id": old.id})
        s.exec(text("UPDATE expenses SET id = 'exp_xyz789' WHERE id = :id"),
               params={"id": cost.id})
    return SimpleNamespace(project=project.id, agent=agent.id, key=key)


def load_crewai_standin() -> types.ModuleType:
    path = Path(__file__).resolve().parents[1] / "integrations" / "crewai_standin.py"
    spec = importlib.util.spec_from_file_location("crewai_standin_for_examples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def fakes(monkeypatch, traveller):  # noqa: ANN201
    """`langchain_anthropic` and `crewai` stand-ins; the models' calls move the clock."""
    pytest.importorskip("langchain_core")
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    class ChatAnthropic(GenericFakeChatModel):
        model: str = "claude"
        temperature: float = 1.0
        messages: Any = None

        def model_post_init(self, context: Any) -> None:
            reply = AIMessage(content="Bill agent time separately from LLM costs.",
                              response_metadata={"model_name": self.model},
                              usage_metadata={"input_tokens": 1200, "output_tokens": 300,
                                              "total_tokens": 1500})
            self.messages = itertools.repeat(reply)

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            traveller.shift(timedelta(minutes=3))
            return super()._generate(*args, **kwargs)

    module = types.ModuleType("langchain_anthropic")
    module.ChatAnthropic = ChatAnthropic  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "langchain_anthropic", module)

    class Clock:
        def __call__(self) -> datetime:
            return datetime.now(UTC)

        def advance(self, **delta: float) -> None:
            traveller.shift(timedelta(**delta))

    standin = load_crewai_standin()
    standin.install(monkeypatch, Clock())
    standin.SCRIPT.update({
        "Senior Researcher": [(20, {"prompt_tokens": 6000, "completion_tokens": 2000})],
        "Researcher": [(10, {"prompt_tokens": 1000, "completion_tokens": 1000})],
        "Writer": [(15, {"input_tokens": 3000, "output_tokens": 1000})],
    })
    return standin


@pytest.fixture
def namespace(world, traveller) -> dict[str, Any]:
    """What the examples' reader has defined: an agent, items to process, PRs to review."""

    class Agent:
        def run(self, task: str) -> str:
            traveller.shift(timedelta(minutes=90))
            return f"done: {task}"

        async def review(self, pr_url: str) -> Any:
            traveller.shift(timedelta(minutes=12))
            return SimpleNamespace(summary=f"{pr_url} looks good")

    class ReviewAgent:
        async def run(self, pr_url: str) -> Any:
            await asyncio.sleep(0)
            return SimpleNamespace(input_tokens=4000, output_tokens=1000, url=pr_url)

    async def process_item(item: int) -> int:
        await asyncio.sleep(0)
        return item * 2

    return {"agent": Agent(), "items": [1, 2, 3], "process_item": process_item,
            "total_input": 9000, "total_output": 3000, "review_agent": ReviewAgent(),
            "pr_urls": [f"https://github.com/acme/app/pull/{n}" for n in range(1, 6)],
            "code_to_review": "def add(a, b): return a + b", "asyncio": asyncio,
            "__name__": "__example__"}


def run(name: str, namespace: dict[str, Any]) -> None:
    """Run one example in `namespace`, awaiting it when it uses top-level await."""
    code = compile(EXAMPLES[name], f"<{name}>", "exec",
                   flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    result = eval(code, namespace)  # noqa: S307 - the reference's own example code
    if inspect.iscoroutine(result):
        asyncio.run(result)


def rows(workspace, model, **where: Any) -> list:
    with workspace.session(readonly=True) as s:
        query = select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        found = list(s.exec(query.order_by(model.created_at)).all())
        for row in found:
            s.expunge(row)
        return found


# --- the examples, run ------------------------------------------------------------------------


def test_quickstart(world, namespace, workspace, capsys) -> None:
    run("quickstart-time-entry", namespace)
    entry = namespace["entry"]
    assert capsys.readouterr().out == f"Created entry: {entry.id}\n"
    assert (entry.project_id, entry.user_id, entry.hours, entry.source) == (
        world.project, world.agent, Decimal("1.50"), "agent")
    run("quickstart-expense", namespace)
    [expense] = rows(workspace, Expense, units=Decimal(45))
    assert expense.meta["session_id"] == "550e8400-e29b-41d4-a716-446655440000"
    assert (expense.total_cost, expense.source) == (Decimal("0.135"), "agent")


def test_getting_started_authentication_and_retries(world, namespace, capsys) -> None:
    for name in ("getting-started-initialise", "authentication", "error-handling-retries",
                 "getting-started-from-env", "getting-started-first-request"):
        run(name, namespace)
    assert capsys.readouterr().out == f"Acme Website Redesign ({world.project})\n"
    assert namespace["client"].account_id is not None


def test_time_entries_pages(world, namespace, workspace, capsys, traveller) -> None:
    run("getting-started-initialise", namespace)
    run("time-entries-create", namespace)
    created = namespace["entry"]
    assert (created.spent_date, created.hours, created.notes) == (
        "2026-03-06", Decimal("1.50"), "Refactored authentication module")
    run("time-entries-start-timer", namespace)
    assert namespace["timer"].is_running
    traveller.shift(timedelta(minutes=80))
    run("time-entries-stop-timer", namespace)
    [stopped] = rows(workspace, TimeEntry, id=namespace["timer"].id)
    assert (stopped.is_running, stopped.duration_seconds, stopped.notes) == (
        False, 5400, "Completed code review")
    capsys.readouterr()
    run("time-entries-list", namespace)
    assert sorted(capsys.readouterr().out.splitlines()) == [
        "2026-03-06: 1.50h — Completed code review",
        "2026-03-06: 1.50h — Refactored authentication module",
    ]
    run("time-entries-delete", namespace)
    assert rows(workspace, TimeEntry, id="te_abc123") == []


def test_expenses_pages(world, namespace, workspace, capsys) -> None:
    run("getting-started-initialise", namespace)
    run("expenses-create", namespace)
    run("expenses-list", namespace)
    assert capsys.readouterr().out.splitlines() == [
        "2026-03-06: 45 units — claude-opus-4-6: 30k input + 15k output tokens"]
    run("expenses-get", namespace)
    assert capsys.readouterr().out == "Total cost: 0.03\n"


def test_agent_context_manager(world, namespace, workspace, capsys) -> None:
    run("agent-context-manager", namespace)
    assert capsys.readouterr().out == "Tracked 1.50h, 24.0k tokens\n"
    [entry] = rows(workspace, TimeEntry, source="agent")
    assert (entry.duration_seconds, entry.notes, entry.meta["agent_id"]) == (
        5400, "Analysed Q4 billing trends and generated summary", "research-bot-03")
    [expense] = rows(workspace, Expense, source="agent")
    assert (expense.units, expense.meta["session_id"]) == (Decimal(24),
                                                           entry.meta["session_id"])


def test_agent_decorator(world, namespace, workspace) -> None:
    run("agent-decorator", namespace)
    summary = asyncio.run(namespace["review_pull_request"]("https://github.com/acme/app/pull/7"))
    assert summary == "https://github.com/acme/app/pull/7 looks good"
    [entry] = rows(workspace, TimeEntry, source="agent")
    assert (entry.duration_seconds, entry.meta["agent_id"]) == (720, "review_pull_request")


def test_async_client_context_manager(world, namespace, workspace) -> None:
    run("agent-async-client", namespace)
    assert namespace["results"] == [2, 4, 6]
    [expense] = rows(workspace, Expense, source="agent")
    assert (expense.units, expense.meta["model"]) == (Decimal(12), "claude-sonnet-4-6")
    run("async-setup", namespace)
    run("async-context-manager", namespace)
    assert len(rows(workspace, Expense, source="agent")) == 2


def test_async_usage_pages(world, namespace, workspace, capsys) -> None:
    run("async-basic-usage", namespace)
    assert capsys.readouterr().out == "2026-03-06: 1.50h\n"
    run("async-setup", namespace)
    run("async-parallel", namespace)
    entries = rows(workspace, TimeEntry, source="agent")
    reviews = sorted(e.notes for e in entries if e.notes and e.notes.startswith("Reviewed"))
    assert reviews == sorted(f"Reviewed {url}" for url in namespace["pr_urls"])
    assert len(rows(workspace, Expense, source="agent")) == 5
    assert [r.url for r in namespace["results"]] == namespace["pr_urls"]


def test_langchain_pages(world, fakes, namespace, workspace) -> None:
    run("langchain-setup", namespace)
    run("langchain-usage", namespace)
    assert namespace["result"].content == "Bill agent time separately from LLM costs."
    [expense] = rows(workspace, Expense, source="agent")
    assert (expense.units, expense.meta["agent_id"], expense.meta["model"]) == (
        Decimal("1.5"), "langchain-agent-01", "claude-sonnet-4-6")
    [entry] = rows(workspace, TimeEntry, source="agent")
    assert (entry.duration_seconds, entry.meta["session_id"]) == (180,
                                                                 expense.meta["session_id"])


def test_example_langchain_agent(world, fakes, namespace, workspace, capsys) -> None:
    run("example-langchain-agent", namespace)
    assert capsys.readouterr().out == "Bill agent time separately from LLM costs.\n"
    [entry] = rows(workspace, TimeEntry, source="agent")
    assert entry.meta["agent_id"] == "research-agent-01"
    assert len(rows(workspace, Expense, source="agent")) == 1


def test_crewai_pages(world, fakes, namespace, workspace) -> None:
    run("crewai-setup", namespace)
    run("crewai-usage", namespace)
    [entry] = rows(workspace, TimeEntry, source="agent")
    assert (entry.notes, entry.duration_seconds) == ("Senior Researcher", 1200)
    run("crewai-multi-agent", namespace)
    entries = rows(workspace, TimeEntry, source="agent")
    assert [(e.notes, e.duration_seconds) for e in entries] == [
        ("Senior Researcher", 1200), ("Researcher", 600), ("Writer", 900)]
    assert [x.units for x in rows(workspace, Expense, source="agent")] == [
        Decimal(8), Decimal(2), Decimal(4)]


def test_the_reference_signatures_are_accepted() -> None:
    """The API Reference page's parameter names, in its order."""
    from keito_core.api import Keito

    client = Keito(env={})

    def names(fn: Any) -> list[str]:
        return list(inspect.signature(fn).parameters)

    assert names(Keito)[:2] == ["api_key", "account_id"]
    assert {"base_url", "max_retries", "timeout"} <= set(names(Keito))
    assert names(client.time_entries.create)[:9] == [
        "project_id", "spent_date", "hours", "task_id", "notes", "is_running", "is_billable",
        "source", "metadata"]
    assert names(client.time_entries.list)[:8] == [
        "source", "project_id", "user_id", "from_date", "to_date", "is_running", "cursor",
        "limit"]
    assert names(client.time_entries.update)[:7] == [
        "id", "hours", "notes", "is_running", "is_billable", "task_id", "metadata"]
    assert names(client.expenses.create)[:9] == [
        "project_id", "expense_category_id", "spent_date", "total_cost", "units",
        "unit_price", "notes", "source", "metadata"]
    assert names(client.expenses.list)[:7] == [
        "source", "project_id", "user_id", "from_date", "to_date", "cursor", "limit"]
    assert names(client.projects.list)[:2] == ["cursor", "limit"]
    assert inspect.signature(client.time_entries.create).parameters["source"].default == "api"
