"""KeitoCallbackHandler with langchain-core's fake chat models carrying real usage metadata."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from sqlmodel import select

pytest.importorskip("langchain_core")

from langchain_core.language_models.chat_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage  # noqa: E402
from langchain_core.output_parsers import StrOutputParser  # noqa: E402
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult  # noqa: E402
from langchain_core.prompts import ChatPromptTemplate  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402

from keito_core.api import Keito, PermissionDeniedError  # noqa: E402
from keito_core.integrations.langchain import KeitoCallbackHandler, token_usage  # noqa: E402
from keito_core.models import Expense, TimeEntry  # noqa: E402

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class TimedFakeChat(GenericFakeChatModel):
    """A fake chat model whose every call takes `minutes` on the test's clock."""

    minutes: float = 0
    clock: Any = None

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        if self.clock is not None:
            self.clock.advance(minutes=self.minutes)
        return super()._generate(*args, **kwargs)


class OpenAIStyleChat(BaseChatModel):
    """A chat model that reports usage only in llm_output["token_usage"], as older providers."""

    @property
    def _llm_type(self) -> str:
        return "openai-style-fake"

    def _generate(self, messages: Any, stop: Any = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="ok"))],
                          llm_output={"token_usage": {"prompt_tokens": 1200,
                                                      "completion_tokens": 300},
                                      "model_name": "gpt-4o"})


def reply(text: str, inp: int, out: int, model: str = "claude-sonnet-4-6") -> AIMessage:
    return AIMessage(content=text, response_metadata={"model_name": model},
                     usage_metadata={"input_tokens": inp, "output_tokens": out,
                                     "total_tokens": inp + out})


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
        agent = users.create_user(s, actor=admin, name="langchain-agent-01", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=agent.id, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
    return SimpleNamespace(acme=acme.id, secret=secret.id, agent=agent.id, key=key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(world, clock) -> Keito:
    return Keito(api_key=world.key, _clock=clock)


def handler_for(client: Keito, **options: Any) -> KeitoCallbackHandler:
    return KeitoCallbackHandler(client=client, project_id="ACME", task_id="research",
                                agent_id="langchain-agent-01", **options)


def rows(workspace, model) -> list:
    with workspace.session(readonly=True) as s:
        found = list(s.exec(select(model)).all())
        for row in found:
            s.expunge(row)
        return found


def review_chain(llm: BaseChatModel) -> Any:
    prompt = ChatPromptTemplate.from_template("Review this code: {code}")
    return prompt | llm | StrOutputParser()


def test_a_chain_run_gives_one_entry_and_its_llm_expense(world, client, clock,
                                                         workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("Looks good", 18000, 6000)]), minutes=3,
                        clock=clock)
    handler = handler_for(client)
    result = review_chain(llm).invoke({"code": "print(1)"}, config={"callbacks": [handler]})
    assert result == "Looks good"
    [entry] = rows(workspace, TimeEntry)
    assert (entry.is_running, entry.duration_seconds, entry.source) == (False, 180, "agent")
    assert entry.user_id == world.agent and entry.notes == "LangChain run: RunnableSequence"
    assert entry.meta["agent_id"] == "langchain-agent-01"
    assert entry.meta["agent_type"] == "langchain"
    [expense] = rows(workspace, Expense)
    assert expense.units == Decimal(24) and expense.source == "agent"
    assert expense.meta == {"agent_id": "langchain-agent-01", "agent_type": "langchain",
                            "session_id": entry.meta["session_id"],
                            "model": "claude-sonnet-4-6", "input_tokens": 18000,
                            "output_tokens": 6000}
    assert expense.notes == "claude-sonnet-4-6: 18k input + 6k output tokens"
    assert [s.session_id for s in handler.sessions] == [entry.meta["session_id"]]


def test_a_run_shorter_than_min_duration_keeps_only_the_cost(world, client, workspace) -> None:
    llm = GenericFakeChatModel(messages=iter([reply("ok", 100, 20)]))
    review_chain(llm).invoke({"code": "x"}, config={"callbacks": [handler_for(client)]})
    assert rows(workspace, TimeEntry) == []
    assert [x.units for x in rows(workspace, Expense)] == [Decimal("0.12")]


def test_min_duration_none_keeps_every_entry(world, client, workspace) -> None:
    llm = GenericFakeChatModel(messages=iter([reply("ok", 100, 20)]))
    handler = handler_for(client, min_duration=None)
    review_chain(llm).invoke({"code": "x"}, config={"callbacks": [handler]})
    assert len(rows(workspace, TimeEntry)) == 1


def test_each_llm_call_of_a_run_is_its_own_expense(world, client, clock, workspace) -> None:
    first = TimedFakeChat(messages=iter([reply("draft", 1000, 500, "claude-haiku")]),
                          minutes=2, clock=clock)
    second = TimedFakeChat(messages=iter([reply("final", 3000, 1000, "claude-opus")]),
                           minutes=2, clock=clock)
    chain = (review_chain(first) | RunnableLambda(lambda text: {"code": text})
             | review_chain(second))
    assert chain.invoke({"code": "x"}, config={"callbacks": [handler_for(client)]}) == "final"
    [entry] = rows(workspace, TimeEntry)
    assert entry.duration_seconds == 240
    found = sorted((x.meta["model"], x.units, x.meta["session_id"])
                   for x in rows(workspace, Expense))
    session = entry.meta["session_id"]
    assert found == [("claude-haiku", Decimal("1.5"), session),
                     ("claude-opus", Decimal(4), session)]


def test_a_failing_run_is_discarded(world, client, clock, workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("ok", 500, 500)]), minutes=5, clock=clock)

    def explode(text: str) -> str:
        raise ValueError("parser failed")

    chain = review_chain(llm) | RunnableLambda(explode)
    with pytest.raises(ValueError, match="parser failed"):
        chain.invoke({"code": "x"}, config={"callbacks": [handler_for(client)]})
    assert rows(workspace, TimeEntry) == [] and rows(workspace, Expense) == []


def test_a_chat_model_called_directly_is_its_own_run(world, client, clock, workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("hi", 2000, 1000)]), minutes=1, clock=clock)
    llm.invoke("hello", config={"callbacks": [handler_for(client)]})
    [entry] = rows(workspace, TimeEntry)
    assert entry.duration_seconds == 60
    assert rows(workspace, Expense)[0].units == Decimal(3)


def test_usage_reported_only_in_llm_output_is_read(world, client, workspace) -> None:
    chain = review_chain(OpenAIStyleChat())
    chain.invoke({"code": "x"}, config={"callbacks": [handler_for(client, min_duration=0)]})
    [expense] = rows(workspace, Expense)
    assert (expense.units, expense.meta["model"], expense.meta["input_tokens"]) == (
        Decimal("1.5"), "gpt-4o", 1200)


def test_token_usage_prefers_the_message_usage_metadata() -> None:
    both = LLMResult(generations=[[ChatGeneration(message=reply("x", 10, 5, "m"))]],
                     llm_output={"token_usage": {"prompt_tokens": 999,
                                                 "completion_tokens": 999}})
    assert token_usage(both) == (10, 5, "m")
    assert token_usage(LLMResult(generations=[[]], llm_output=None)) == (0, 0, None)


def test_options_notes_template_and_auto_expense(world, client, clock, workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("ok", 4000, 1000)]), minutes=6, clock=clock)
    handler = handler_for(client, auto_expense=False,
                          notes_template="{agent_id} ran {run_name}: {total_tokens} tokens")
    review_chain(llm).invoke({"code": "x"}, config={"callbacks": [handler]})
    [entry] = rows(workspace, TimeEntry)
    assert entry.notes == "langchain-agent-01 ran RunnableSequence: 5000 tokens"
    assert rows(workspace, Expense) == []


def test_each_invocation_is_a_separate_session(world, client, clock, workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("a", 1000, 0), reply("b", 2000, 0)]), minutes=1,
                        clock=clock)
    handler = handler_for(client)
    chain = review_chain(llm)
    chain.invoke({"code": "1"}, config={"callbacks": [handler]})
    chain.invoke({"code": "2"}, config={"callbacks": [handler]})
    entries = rows(workspace, TimeEntry)
    assert len(entries) == 2 and len({e.meta["session_id"] for e in entries}) == 2
    assert {x.meta["session_id"] for x in rows(workspace, Expense)} == {
        e.meta["session_id"] for e in entries}


def test_concurrent_batch_runs_are_tracked_separately(world, client, workspace) -> None:
    llm = GenericFakeChatModel(messages=iter([reply("a", 1000, 0), reply("b", 1000, 0),
                                              reply("c", 1000, 0)]))
    handler = handler_for(client, min_duration=None)
    review_chain(llm).batch([{"code": "1"}, {"code": "2"}, {"code": "3"}],
                            config={"callbacks": [handler]})
    entries = rows(workspace, TimeEntry)
    assert len(entries) == 3 and not any(e.is_running for e in entries)
    assert len(rows(workspace, Expense)) == 3


def test_async_invocation(world, client, clock, workspace) -> None:
    llm = TimedFakeChat(messages=iter([reply("ok", 1000, 1000)]), minutes=2, clock=clock)
    asyncio.run(review_chain(llm).ainvoke({"code": "x"},
                                          config={"callbacks": [handler_for(client)]}))
    assert rows(workspace, TimeEntry)[0].duration_seconds == 120
    assert rows(workspace, Expense)[0].units == Decimal(2)


def test_an_unassigned_project_fails_the_run_before_the_model(world, client,
                                                              workspace) -> None:
    calls = []
    llm = GenericFakeChatModel(messages=iter([reply("ok", 1, 1)]))
    chain = RunnableLambda(lambda x: calls.append(x) or x) | review_chain(llm)
    handler = KeitoCallbackHandler(client=client, project_id=world.secret)
    with pytest.raises(PermissionDeniedError):
        chain.invoke({"code": "x"}, config={"callbacks": [handler]})
    assert calls == [] and rows(workspace, TimeEntry) == []
    quiet = KeitoCallbackHandler(client=client, project_id=world.secret, raise_errors=False)
    llm2 = GenericFakeChatModel(messages=iter([reply("ok", 1, 1)]))
    assert review_chain(llm2).invoke({"code": "x"}, config={"callbacks": [quiet]}) == "ok"
    assert rows(workspace, TimeEntry) == [] and rows(workspace, Expense) == []
