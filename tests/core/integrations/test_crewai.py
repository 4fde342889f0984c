"""KeitoTaskCallback against a faithful stand-in of CrewAI (crewai_standin.py says why and how).

The crew runs tasks as CrewAI 1.15 does: TaskStartedEvent, LLMCallCompletedEvent per LLM call
(handled in a thread pool), then the task callback with CrewAI's TaskOutput.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import crewai_standin
import pytest
from sqlmodel import select

from keito_core.api import Keito, PermissionDeniedError
from keito_core.integrations.crewai import KeitoTaskCallback, usage_of
from keito_core.models import Expense, TimeEntry

NOW = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def world(workspace):
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        tasks.create_task(s, actor=admin, name="Research", is_default=True, now=NOW)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=client.id, now=NOW)
        secret = projects.create_project(s, actor=admin, name="Secret", client_ref=client.id,
                                         now=NOW)
        agent = users.create_user(s, actor=admin, name="crew-bot", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=agent.id, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
    return SimpleNamespace(acme=acme.id, secret=secret.id, agent=agent.id, key=key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def crewai(monkeypatch, clock):  # noqa: ANN201 - the stand-in module
    return crewai_standin.install(monkeypatch, clock)


@pytest.fixture
def client(world, clock) -> Keito:
    return Keito(api_key=world.key, _clock=clock)


def rows(workspace, model) -> list:
    with workspace.session(readonly=True) as s:
        found = list(s.exec(select(model).order_by(model.created_at)).all())
        for row in found:
            s.expunge(row)
        return found


def test_a_task_gives_an_entry_and_its_token_expense(world, client, crewai, clock,
                                                     workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id="ACME", task_id="research")
    clock.advance(minutes=30)  # crew set-up time is not the task's
    crewai_standin.SCRIPT["Senior Researcher"] = [
        (5, {"prompt_tokens": 12000, "completion_tokens": 3000, "total_tokens": 15000}),
        (7, {"input_tokens": 8000, "output_tokens": 2000, "total_tokens": 10000}),
    ]
    researcher = crewai.Agent(role="Senior Researcher", goal="Find relevant information",
                              backstory="An experienced research analyst",
                              llm="claude-sonnet-4-6")
    task = crewai.Task(description="Research Q4 market trends", agent=researcher,
                       callback=callback)
    crewai.Crew(agents=[researcher], tasks=[task]).kickoff()
    [entry] = rows(workspace, TimeEntry)
    assert (entry.duration_seconds, entry.notes, entry.source) == (720, "Senior Researcher",
                                                                   "agent")
    assert entry.user_id == world.agent and not entry.is_running
    assert entry.meta == {"agent_id": "Senior Researcher", "agent_type": "crewai",
                          "session_id": entry.meta["session_id"],
                          "task_description": "Research Q4 market trends",
                          "model": "claude-sonnet-4-6"}
    [expense] = rows(workspace, Expense)
    assert expense.units == Decimal(25) and expense.spent_date == entry.spent_date
    assert expense.meta == {**entry.meta, "input_tokens": 20000, "output_tokens": 5000}
    assert expense.notes == "claude-sonnet-4-6: 20k input + 5k output tokens"


def test_a_multi_agent_crew_attributes_each_task(world, client, crewai, workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id="ACME")
    crewai_standin.SCRIPT["Researcher"] = [(20, {"prompt_tokens": 1000, "completion_tokens": 0})]
    crewai_standin.SCRIPT["Writer"] = [(10, {"prompt_tokens": 0, "completion_tokens": 3000}),
                                       (5, {"prompt_tokens": 500, "completion_tokens": 500})]
    researcher = crewai.Agent(role="Researcher", llm="claude-sonnet-4-6")
    writer = crewai.Agent(role="Writer", llm="claude-sonnet-4-6")
    research_task = crewai.Task(description="Research AI trends", agent=researcher,
                                callback=callback)
    writing_task = crewai.Task(description="Write report from research", agent=writer,
                               callback=callback, context=[research_task])
    crewai.Crew(agents=[researcher, writer], tasks=[research_task, writing_task]).kickoff()
    entries = rows(workspace, TimeEntry)
    assert [(e.notes, e.duration_seconds) for e in entries] == [("Researcher", 1200),
                                                                ("Writer", 900)]
    expenses = rows(workspace, Expense)
    assert [(x.meta["agent_id"], x.units) for x in expenses] == [("Researcher", Decimal(1)),
                                                                 ("Writer", Decimal(4))]
    assert [x.meta["session_id"] for x in expenses] == [e.meta["session_id"] for e in entries]
    assert len({e.meta["session_id"] for e in entries}) == 2
    assert len(callback.logged) == 2


def test_the_crew_level_task_callback_works_too(world, client, crewai, workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id="ACME")
    crewai_standin.SCRIPT["Analyst"] = [(3, {"prompt_tokens": 100, "completion_tokens": 100})]
    analyst = crewai.Agent(role="Analyst", llm="gpt-4o")
    task = crewai.Task(description="Summarise", agent=analyst)
    crewai.Crew(agents=[analyst], tasks=[task], task_callback=callback).kickoff()
    assert [e.duration_seconds for e in rows(workspace, TimeEntry)] == [180]
    assert rows(workspace, Expense)[0].meta["model"] == "gpt-4o"


def test_options_agent_id_and_auto_expense(world, client, crewai, workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id="ACME", agent_id_from_role=False,
                                 agent_id="crew-7", auto_expense=False)
    crewai_standin.SCRIPT["Writer"] = [(2, {"prompt_tokens": 100, "completion_tokens": 100})]
    writer = crewai.Agent(role="Writer", llm="m")
    crewai.Crew(agents=[writer], tasks=[crewai.Task(description="Write", agent=writer,
                                                    callback=callback)]).kickoff()
    [entry] = rows(workspace, TimeEntry)
    assert (entry.meta["agent_id"], entry.notes) == ("crew-7", "Writer")
    assert rows(workspace, Expense) == []


def test_an_instant_task_keeps_its_cost_but_no_entry(world, client, crewai,
                                                     workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id="ACME")
    writer = crewai.Agent(role="Writer", llm="m")
    crewai_standin.SCRIPT["Writer"] = [(0, {"prompt_tokens": 100, "completion_tokens": 100})]
    crewai.Crew(agents=[writer], tasks=[crewai.Task(description="Write", agent=writer,
                                                    callback=callback)]).kickoff()
    assert rows(workspace, TimeEntry) == []
    assert [x.units for x in rows(workspace, Expense)] == [Decimal("0.2")]


def test_a_refused_project_fails_the_task(world, client, crewai, workspace) -> None:
    callback = KeitoTaskCallback(client=client, project_id=world.secret)
    crewai_standin.SCRIPT["Writer"] = [(2, {"prompt_tokens": 100, "completion_tokens": 100})]
    writer = crewai.Agent(role="Writer", llm="m")
    crew = crewai.Crew(agents=[writer], tasks=[crewai.Task(description="Write", agent=writer,
                                                           callback=callback)])
    with pytest.raises(PermissionDeniedError):
        crew.kickoff()
    assert rows(workspace, TimeEntry) == [] and rows(workspace, Expense) == []


def test_without_crewai_events_tasks_follow_each_other(world, client, clock, workspace,
                                                       monkeypatch) -> None:
    """No event bus: a task starts when the previous one ended; usage on the output counts."""
    monkeypatch.setitem(__import__("sys").modules, "crewai", None)  # `import crewai` fails
    callback = KeitoTaskCallback(client=client, project_id="ACME")
    clock.advance(minutes=15)
    first = SimpleNamespace(description="First", name=None, agent="Planner",
                            token_usage={"prompt_tokens": 2000, "completion_tokens": 1000})
    callback(first)
    clock.advance(minutes=6)
    callback(SimpleNamespace(description="Second", name="second", agent="Planner",
                             usage_metrics=SimpleNamespace(prompt_tokens=500,
                                                           completion_tokens=500)))
    assert [e.duration_seconds for e in rows(workspace, TimeEntry)] == [900, 360]
    assert [x.units for x in rows(workspace, Expense)] == [Decimal(3), Decimal(1)]


def test_usage_of_reads_both_naming_schemes() -> None:
    assert usage_of({"prompt_tokens": 3, "completion_tokens": 4}).total == 7
    assert usage_of({"input_tokens": 5, "output_tokens": 6}, "m").model == "m"
    assert usage_of(SimpleNamespace(input_tokens=1, output_tokens=None)).total == 1
