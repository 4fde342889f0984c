"""track_agent_work and @track: start, token reports, notes, stop + LLM expense, discard."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from keito_core.api import (
    AsyncKeito,
    Keito,
    PermissionDeniedError,
    ValidationError,
    current_session,
    track,
)
from keito_core.api.agent import AgentWork
from keito_core.models import Expense, TimeEntry

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def world(workspace):
    """Project ACME (tasks development, research), agent research-bot-03 on it, with a key."""
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        tasks.create_task(s, actor=admin, name="Development", is_default=True, now=NOW)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=client.id, now=NOW)
        secret = projects.create_project(s, actor=admin, name="Secret", client_ref=client.id,
                                         now=NOW)
        agent = users.create_user(s, actor=admin, name="research-bot-03", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=agent.id, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
    return SimpleNamespace(acme=acme.id, secret=secret.id, agent=agent.id, key=key)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(world, clock) -> Keito:
    return Keito(api_key=world.key, _clock=clock)


def rows(workspace, model) -> list:
    with workspace.session(readonly=True) as s:
        found = list(s.exec(select(model)).all())
        for row in found:
            s.expunge(row)
        return found


def count(workspace, model) -> int:
    with workspace.session(readonly=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_a_session_starts_a_running_agent_entry(world, client, workspace) -> None:
    with client.track_agent_work(project_id="ACME", task_id="development",
                                 agent_id="research-bot-03", model="claude-opus-4-6") as session:
        [entry] = rows(workspace, TimeEntry)
        assert entry.is_running and entry.source == "agent" and entry.user_id == world.agent
        assert entry.meta == {"agent_id": "research-bot-03", "agent_type": "custom",
                              "session_id": session.session_id, "model": "claude-opus-4-6"}
        assert uuid.UUID(session.session_id).version == 4
        assert session.entry is not None and session.entry.id == entry.id
        assert current_session() is session
    assert current_session() is None


def test_normal_exit_stops_the_entry_and_logs_the_llm_expense(world, client, clock,
                                                              workspace) -> None:
    with client.track_agent_work(project_id="ACME", task_id="development",
                                 agent_id="research-bot-03", model="claude-opus-4-6") as session:
        clock.advance(minutes=45)
        assert session.hours == Decimal("0.75")
        session.report_tokens(input=18000, output=6000)
        session.report_tokens(input_tokens=1000, output_tokens=500)
        session.set_notes("Analysed Q4 billing trends and generated summary")
        clock.advance(minutes=45)
        assert (session.total_tokens, session.total_tokens_k) == (25500, Decimal("25.5"))
    [entry] = rows(workspace, TimeEntry)
    assert (entry.is_running, entry.duration_seconds) == (False, 5400)
    assert entry.notes == "Analysed Q4 billing trends and generated summary"
    [expense] = rows(workspace, Expense)
    assert (expense.units, expense.total_cost, expense.source) == (
        Decimal("25.5"), Decimal("0.0765"), "agent")
    assert expense.meta == {"agent_id": "research-bot-03", "agent_type": "custom",
                            "session_id": session.session_id, "model": "claude-opus-4-6",
                            "input_tokens": 19000, "output_tokens": 6500}
    assert expense.notes == "claude-opus-4-6: 19k input + 6.5k output tokens"
    assert expense.spent_date == entry.spent_date and expense.user_id == world.agent
    assert f"Tracked {session.hours:.2f}h, {session.total_tokens_k:.1f}k tokens" == (
        "Tracked 1.50h, 25.5k tokens")
    assert session.entry.hours == Decimal("1.50") and not session.entry.is_running
    assert session.expense is not None and session.expense.id == expense.id


def test_no_tokens_means_no_expense(world, client, clock, workspace) -> None:
    with client.track_agent_work(project_id="ACME", agent_id="a") as session:
        clock.advance(minutes=6)
        session.report_tokens(input=0, output=0)
    assert count(workspace, Expense) == 0
    assert rows(workspace, TimeEntry)[0].duration_seconds == 360
    assert session.expenses == []


def test_an_exception_discards_the_entry_and_propagates(world, client, clock,
                                                         workspace) -> None:
    boom = RuntimeError("agent failed")
    with (pytest.raises(RuntimeError) as info,
          client.track_agent_work(project_id="ACME", agent_id="a") as session):
        clock.advance(minutes=20)
        session.report_tokens(input=5000, output=1000)
        raise boom
    assert info.value is boom
    assert count(workspace, TimeEntry) == 0
    assert count(workspace, Expense) == 0
    assert session.entry is None and session.expenses == []
    assert current_session() is None


def test_an_interrupt_discards_too(world, client, workspace) -> None:
    with pytest.raises(KeyboardInterrupt), client.track_agent_work(project_id="ACME"):
        raise KeyboardInterrupt
    assert count(workspace, TimeEntry) == 0


def test_a_refused_start_never_runs_the_block(world, client, workspace) -> None:
    ran = []
    with (pytest.raises(PermissionDeniedError) as info,
          client.track_agent_work(project_id=world.secret, agent_id="a")):
        ran.append(True)
    assert info.value.code == "project_not_assigned"
    assert ran == [] and count(workspace, TimeEntry) == 0


@pytest.mark.parametrize("bad", [-1, 1.5, True, "10"])
def test_token_counts_must_be_whole_and_not_negative(world, client, bad) -> None:
    with client.track_agent_work(project_id="ACME") as session:
        with pytest.raises(ValidationError):
            session.report_tokens(input=bad)
        with pytest.raises(ValidationError):
            session.report_tokens(output_tokens=bad)
        assert session.total_tokens == 0


def test_a_given_session_id_and_metadata_are_kept(world, client, clock, workspace) -> None:
    with client.track_agent_work(project_id="ACME", agent_id="a", session_id="run-42",
                                 agent_type="claude-code", metadata={"pr_url": "u"},
                                 notes="Reviewing") as session:
        clock.advance(minutes=1)
        session.report_tokens(input=10, output=0)
    [entry] = rows(workspace, TimeEntry)
    assert entry.meta == {"pr_url": "u", "agent_id": "a", "agent_type": "claude-code",
                          "session_id": "run-42"}
    assert entry.notes == "Reviewing"
    [expense] = rows(workspace, Expense)
    assert expense.meta["session_id"] == "run-42" and expense.units == Decimal("0.01")
    assert expense.notes == "LLM usage: 0.01k input + 0k output tokens"


def test_overlapping_sessions_each_keep_their_own_length(world, client, clock,
                                                         workspace) -> None:
    """One user has one running timer: B's start stops A, yet A saves its full length."""
    a = client.track_agent_work(project_id="ACME", agent_id="a")
    b = client.track_agent_work(project_id="ACME", agent_id="b")
    with a as first:
        clock.advance(minutes=10)
        with b as second:
            clock.advance(minutes=10)
        clock.advance(minutes=10)
    assert (first.entry.hours, second.entry.hours) == (Decimal("0.50"), Decimal("0.166667"))
    assert sorted(e.duration_seconds for e in rows(workspace, TimeEntry)) == [600, 1800]


def test_the_stop_and_the_expense_are_one_transaction(world, client, clock,
                                                      workspace) -> None:
    """If the expense is refused, the stop is rolled back too: nothing half-saved."""
    from keito_core.services.workspace.setup import set_setting

    with pytest.raises(ValidationError), client.track_agent_work(project_id="ACME") as session:
        clock.advance(minutes=30)
        session.report_tokens(input=1000, output=1000)
        with workspace.session() as s:
            set_setting(s, actor=workspace.actor(s), key="features.expenses", value="false",
                        now=NOW)
    [entry] = rows(workspace, TimeEntry)
    assert entry.is_running and entry.duration_seconds == 0
    assert count(workspace, Expense) == 0


def test_min_hours_drops_a_short_entry_but_keeps_the_cost(world, client, clock,
                                                          workspace) -> None:
    work = AgentWork(client, project_id="ACME", agent_id="a", min_hours=0.5)
    with work as session:
        clock.advance(minutes=10)
        session.report_tokens(input=2000, output=1000)
    assert count(workspace, TimeEntry) == 0
    assert [x.units for x in rows(workspace, Expense)] == [Decimal(3)]
    assert session.entry is None and session.hours == Decimal("0.166667")


def test_expense_per_call_logs_one_expense_per_report(world, client, workspace) -> None:
    work = AgentWork(client, project_id="ACME", agent_id="a", expense_per_call=True,
                     model="m1")
    with work as session:
        session.report_tokens(input=1000, output=0)
        session.report_tokens(input=0, output=2000, model="m2")
    found = sorted((x.meta["model"], x.units) for x in rows(workspace, Expense))
    assert found == [("m1", Decimal(1)), ("m2", Decimal(2))]


def test_auto_expense_off_logs_no_expense(world, client, workspace) -> None:
    with AgentWork(client, project_id="ACME", auto_expense=False) as session:
        session.report_tokens(input=1000, output=1000)
    assert count(workspace, Expense) == 0 and count(workspace, TimeEntry) == 1


def test_async_with_on_the_sync_client(world, client, clock, workspace) -> None:
    async def main() -> None:
        async with client.track_agent_work(project_id="ACME", agent_id="a") as session:
            assert current_session() is session
            clock.advance(minutes=15)
            session.report_tokens(input=500, output=500)
        assert current_session() is None

    asyncio.run(main())
    assert rows(workspace, TimeEntry)[0].duration_seconds == 900
    assert rows(workspace, Expense)[0].units == Decimal(1)


# --- @track ---------------------------------------------------------------------------------


def test_track_wraps_a_function_call(world, client, clock, workspace) -> None:
    @track(project_id="ACME", task_id="development", client=client, model="claude-opus-4-6")
    def review_pull_request(pr_url: str) -> str:
        """Review a PR."""
        session = current_session()
        assert session is not None
        clock.advance(minutes=30)
        session.report_tokens(input=3000, output=1000)
        session.set_notes(f"Reviewed {pr_url}")
        return "LGTM"

    assert review_pull_request.__name__ == "review_pull_request"
    assert review_pull_request.__doc__ == "Review a PR."
    assert review_pull_request("https://github.com/acme/app/pull/42") == "LGTM"
    [entry] = rows(workspace, TimeEntry)
    assert entry.meta["agent_id"] == "review_pull_request" and entry.source == "agent"
    assert (entry.duration_seconds, entry.notes) == (
        1800, "Reviewed https://github.com/acme/app/pull/42")
    assert rows(workspace, Expense)[0].units == Decimal(4)


def test_track_discards_when_the_function_raises(world, client, workspace) -> None:
    @track(project_id="ACME", client=client, agent_id="bot")
    def fails() -> None:
        raise ValueError("nope")

    with pytest.raises(ValueError, match="nope"):
        fails()
    assert count(workspace, TimeEntry) == 0


def test_track_on_an_async_function(world, clock, workspace) -> None:
    aclient = AsyncKeito(api_key=world.key, _clock=clock)

    @track(project_id="ACME", client=aclient, agent_id="batch")
    async def work(n: int) -> int:
        clock.advance(minutes=12)
        current_session().report_tokens(input=n, output=n)
        await asyncio.sleep(0)
        return n * 2

    assert asyncio.run(work(1500)) == 3000
    [entry] = rows(workspace, TimeEntry)
    assert (entry.duration_seconds, entry.meta["agent_id"]) == (720, "batch")
    assert rows(workspace, Expense)[0].units == Decimal(3)


def test_track_makes_its_client_from_the_environment_on_first_call(world, monkeypatch,
                                                                  workspace) -> None:
    monkeypatch.delenv("KEITO_API_KEY", raising=False)

    @track(project_id="ACME")
    def job() -> str:
        return "done"

    monkeypatch.setenv("KEITO_API_KEY", world.key)  # read at the call, not at decoration
    assert job() == "done"
    [entry] = rows(workspace, TimeEntry)
    assert (entry.user_id, entry.source, entry.is_running) == (world.agent, "agent", False)


def test_a_running_entry_reports_its_time_so_far(world, client, clock) -> None:
    """As the reference API does: a running timer's hours are the time so far."""
    started = client.time_entries.create(project_id="ACME", is_running=True)
    assert started.is_running and started.hours == Decimal("0.00")
    clock.advance(minutes=90)
    assert client.time_entries.get(started.id).hours == Decimal("1.50")
    [listed] = client.time_entries.list().data
    assert (listed.hours, listed.duration_seconds) == (Decimal("1.50"), 5400)
