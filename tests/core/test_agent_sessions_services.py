"""Agent sessions as time entries (what the installed hooks do), on the services directly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.models import Expense, TimeEntry
from keito_core.services.directory import clients, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member
from keito_core.services.tracking import agent_sessions as sessions
from keito_core.services.tracking.time_entries import running_timer, start_timer, stop_timer

T0 = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
SESSION = "5f0c1d2e-aaaa-4bbb-8ccc-123456789abc"
OTHER = "0e0e0e0e-aaaa-4bbb-8ccc-123456789abc"


@pytest.fixture
def team(workspace):
    """Project `acme` with task `development`; agent `claude-bot` on its team."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=T0)
        tasks.create_task(s, actor=actor, name="Development", rate="120", now=T0)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=T0)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="development", now=T0)
        bot = users.create_user(s, actor=actor, name="claude-bot", agent=True, rate="75", now=T0)
        assign_member(s, actor=actor, project_ref="acme", user_ref=bot.id, now=T0)
    workspace.bot_id = bot.id
    return workspace


def start(ws, session_id=SESSION, at=T0, agent="claude-code"):
    with ws.session() as s:
        return sessions.start_session(
            s, actor=ws.actor(s, ws.bot_id), agent_type=agent, session_id=session_id,
            project_ref="acme", task_ref="development", meta={"model": "opus"}, now=at)


def entries(ws) -> list[TimeEntry]:
    from sqlmodel import select

    with ws.session() as s:
        return list(s.exec(select(TimeEntry).order_by(TimeEntry.created_at)).all())


def test_start_opens_an_agent_timer_with_the_session_in_its_metadata(team):
    outcome = start(team)
    assert outcome.action == "started" and outcome.stopped is None
    [entry] = entries(team)
    assert entry.is_running and entry.source is Source.AGENT
    assert entry.user_id == team.bot_id
    assert entry.meta == {"model": "opus", "agent_type": "claude-code", "session_id": SESSION}
    assert entry.notes == "Claude Code session 5f0c1d2e"


def test_starting_the_same_session_again_is_a_no_op(team):
    first = start(team).entry
    again = start(team, at=T0 + timedelta(minutes=30))  # e.g. SessionStart after /compact
    assert again.action == "running" and again.entry.id == first.id
    assert len(entries(team)) == 1


def test_end_stops_only_this_sessions_timer(team):
    start(team)
    with team.session() as s:
        bot = team.actor(s, team.bot_id)
        other = sessions.end_session(s, actor=bot, agent_type="claude-code", session_id=OTHER,
                                     now=T0 + timedelta(hours=1))
        assert other.action == "skipped" and "another session" in other.reason
        assert running_timer(s, actor=bot) is not None
        done = sessions.end_session(s, actor=bot, agent_type="claude-code", session_id=SESSION,
                                    now=T0 + timedelta(hours=1, minutes=30))
    assert done.action == "stopped"
    [entry] = entries(team)
    assert not entry.is_running and entry.duration_seconds == 5400
    assert entry.notes == "Claude Code session 5f0c1d2e"


def test_end_with_no_timer_or_another_agents_timer_changes_nothing(team):
    with team.session() as s:
        bot = team.actor(s, team.bot_id)
        assert sessions.end_session(s, actor=bot, agent_type="claude-code", session_id=SESSION,
                                    now=T0).action == "skipped"
    start(team, agent="codex")  # same ID, other agent: not ours
    with team.session() as s:
        outcome = sessions.end_session(s, actor=team.actor(s, team.bot_id),
                                       agent_type="claude-code", session_id=SESSION, now=T0)
    assert outcome.action == "skipped"
    assert entries(team)[0].is_running


def test_a_manual_timer_is_never_stopped_by_a_session_end(team):
    with team.session() as s:
        start_timer(s, actor=team.actor(s, team.bot_id), project_ref="acme", source=Source.CLI,
                    now=T0)
    with team.session() as s:
        outcome = sessions.end_session(s, actor=team.actor(s, team.bot_id),
                                       agent_type="claude-code", session_id=SESSION,
                                       now=T0 + timedelta(hours=1))
    assert outcome.action == "skipped"
    assert entries(team)[0].is_running


def test_a_new_session_stops_and_saves_the_previous_timer(team):
    first = start(team).entry
    second = start(team, session_id=OTHER, at=T0 + timedelta(hours=2))
    assert second.action == "started" and second.stopped.id == first.id
    saved = {e.id: e for e in entries(team)}
    assert saved[first.id].duration_seconds == 7200 and not saved[first.id].is_running


def test_codex_turn_ends_stop_then_extend_one_entry(team):
    start(team, agent="codex")
    with team.session() as s:
        bot = team.actor(s, team.bot_id)
        first = sessions.end_turn(s, actor=bot, agent_type="codex", session_id=SESSION,
                                  now=T0 + timedelta(minutes=10))
    assert first.action == "stopped"
    with team.session() as s:
        later = sessions.end_turn(s, actor=team.actor(s, team.bot_id), agent_type="codex",
                                  session_id=SESSION, now=T0 + timedelta(minutes=45))
    assert later.action == "extended"
    [entry] = entries(team)
    assert entry.duration_seconds == 45 * 60 and not entry.is_running
    assert entry.ended_at == T0 + timedelta(minutes=45)
    assert entry.meta["session_id"] == SESSION and entry.meta["agent_type"] == "codex"


def test_a_turn_end_of_an_unknown_session_changes_nothing(team):
    start(team, agent="codex")
    with team.session() as s:
        outcome = sessions.end_turn(s, actor=team.actor(s, team.bot_id), agent_type="codex",
                                    session_id=OTHER, now=T0 + timedelta(minutes=5))
    assert outcome.action == "skipped"
    assert entries(team)[0].is_running


def test_a_late_turn_end_never_shortens_the_entry(team):
    start(team, agent="codex")
    with team.session() as s:
        sessions.end_turn(s, actor=team.actor(s, team.bot_id), agent_type="codex",
                          session_id=SESSION, now=T0 + timedelta(minutes=30))
    with team.session() as s:
        outcome = sessions.end_turn(s, actor=team.actor(s, team.bot_id), agent_type="codex",
                                    session_id=SESSION, now=T0 + timedelta(minutes=20))
    assert outcome.action == "skipped"
    assert entries(team)[0].duration_seconds == 30 * 60


def test_an_unassigned_agent_cannot_start_a_session(team):
    with team.session() as s:
        stranger = users.create_user(s, actor=team.actor(s), name="stray-bot", agent=True, now=T0)
    with team.session() as s, pytest.raises(KeitoError) as refused:
        sessions.start_session(s, actor=team.actor(s, stranger.id), agent_type="claude-code",
                               session_id=SESSION, project_ref="acme", now=T0)
    assert refused.value.code == "project_not_assigned"
    assert entries(team) == []


# --- token usage ----------------------------------------------------------------------------


def transcript(tmp_path, records):
    path = tmp_path / f"{SESSION}.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def assistant(message_id, model="claude-opus-4-6", **usage):
    return {"type": "assistant", "requestId": "req_" + message_id,
            "message": {"id": message_id, "model": model, "usage": usage}}


def test_transcript_usage_counts_each_response_once(tmp_path):
    path = transcript(tmp_path, [
        {"type": "user", "message": {"role": "user", "content": "hi"}},
        assistant("msg_1", input_tokens=1000, output_tokens=10, cache_creation_input_tokens=500,
                  cache_read_input_tokens=7000),
        # the same response streamed on: its last usage counts, once
        assistant("msg_1", input_tokens=1000, output_tokens=400, cache_creation_input_tokens=500,
                  cache_read_input_tokens=7000),
        assistant("msg_2", model="claude-haiku-4-5", input_tokens=28500, output_tokens=14600),
        assistant("msg_3", model="<synthetic>", input_tokens=0, output_tokens=0),
    ])
    with path.open("a") as out:
        out.write("not json\n")
    usage = sessions.claude_transcript_usage(path)
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens) == (29500, 15000)
    assert usage.cache_creation_input_tokens == 500 and usage.cache_read_input_tokens == 7000
    assert usage.billed_tokens == 45000 and usage.thousands == Decimal("45.000")
    assert usage.models == ["claude-opus-4-6", "claude-haiku-4-5"]
    assert usage.notes() == "claude-opus-4-6, claude-haiku-4-5: 30k input + 15k output tokens"


def test_transcript_without_usage_or_missing_gives_none(tmp_path):
    assert sessions.claude_transcript_usage(tmp_path / "absent.jsonl") is None
    empty = transcript(tmp_path, [{"type": "user", "message": {"content": "hi"}}])
    assert sessions.claude_transcript_usage(empty) is None


def test_session_usage_becomes_an_llm_usage_expense_on_the_sessions_project(team, tmp_path):
    start(team)
    with team.session() as s:
        bot = team.actor(s, team.bot_id)
        entry = stop_timer(s, actor=bot, now=T0 + timedelta(hours=1))
    usage = sessions.claude_transcript_usage(transcript(tmp_path, [
        assistant("m1", input_tokens=30000, output_tokens=15000)]))
    with team.session() as s:
        expense = sessions.log_session_usage(s, actor=team.actor(s, team.bot_id), entry=entry,
                                             usage=usage, now=T0 + timedelta(hours=1))
    with team.session() as s:
        saved = s.get(Expense, expense.id)
        assert saved.project_id == entry.project_id and saved.source is Source.AGENT
        assert saved.spent_date == entry.spent_date and saved.units == Decimal(45)
        assert saved.notes == "claude-opus-4-6: 30k input + 15k output tokens"
        assert saved.meta["session_id"] == SESSION and saved.meta["agent_type"] == "claude-code"
        assert saved.meta["input_tokens"] == 30000
