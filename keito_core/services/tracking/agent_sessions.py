"""Coding-agent sessions as time entries: what `keito agent hooks run` does for each event.

One agent entry per session. The session's ID (from the agent's hook input) is kept in the
entry's `metadata.session_id`, with `metadata.agent_type`; that is how the end of a session
finds its own timer and never stops someone else's.

- session start: start a timer (source agent) unless this session's timer already runs
  (Claude Code sends SessionStart again after /compact; that is a no-op).
- session end (Claude Code's SessionEnd): stop the running timer if it is this session's;
  otherwise do nothing.
- turn end (Codex's Stop, after every turn; Codex has no session-end event): stop this
  session's running timer, or, when an earlier turn already stopped it, extend that entry to
  now. The entry then spans the session's first start to its last finished turn.

The token usage of a Claude Code session is read from its transcript (JSON lines whose
assistant messages carry `usage`) so the hook can log it as an LLM Usage expense.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from keito_core.enums import Source
from keito_core.models import Expense, TimeEntry
from keito_core.rules import permissions as policy

AGENT_LABELS = {"claude-code": "Claude Code", "codex": "Codex"}
LLM_USAGE = "LLM Usage"
#: How many of the actor's latest agent entries a turn end looks through for its session.
_RECENT = 50


@dataclass
class SessionOutcome:
    """What a hook event did: started, running, stopped, extended or skipped (with a reason)."""

    action: str
    entry: TimeEntry | None = None
    #: Another timer that starting this session's timer stopped and saved.
    stopped: TimeEntry | None = None
    reason: str | None = None


def session_notes(agent_type: str, session_id: str) -> str:
    """"Claude Code session 1a2b3c4d": the notes of a session's entry."""
    return f"{AGENT_LABELS.get(agent_type, agent_type)} session {session_id[:8]}"


def _running(session: Session, actor: policy.Actor) -> TimeEntry | None:
    from keito_core.services.tracking.time_entries import running_timer

    return running_timer(session, actor=actor)


def _is_session(entry: TimeEntry | None, agent_type: str, session_id: str) -> bool:
    meta = entry.meta if entry is not None and isinstance(entry.meta, dict) else {}
    return meta.get("session_id") == session_id and meta.get("agent_type", agent_type) == agent_type


def start_session(session: Session, *, actor: policy.Actor, agent_type: str, session_id: str,
                  project_ref: str, task_ref: str | None = None,
                  meta: dict[str, Any] | None = None, now: datetime) -> SessionOutcome:
    """Start the session's timer (source agent), unless it already runs."""
    from keito_core.services.tracking.time_entries import start_timer

    running = _running(session, actor)
    if _is_session(running, agent_type, session_id):
        return SessionOutcome("running", running, reason="this session's timer already runs")
    result = start_timer(
        session, actor=actor, project_ref=project_ref, task_ref=task_ref,
        notes=session_notes(agent_type, session_id), source=Source.AGENT,
        meta={**(meta or {}), "agent_type": agent_type, "session_id": session_id}, now=now)
    return SessionOutcome("started", result.entry, stopped=result.stopped)


def end_session(session: Session, *, actor: policy.Actor, agent_type: str, session_id: str,
                now: datetime) -> SessionOutcome:
    """Stop the running timer if it is this session's; otherwise change nothing."""
    from keito_core.services.tracking.time_entries import stop_timer

    running = _running(session, actor)
    if running is None:
        return SessionOutcome("skipped", reason="no timer is running")
    if not _is_session(running, agent_type, session_id):
        return SessionOutcome("skipped", running,
                              reason="the running timer belongs to another session")
    notes = None if running.notes else session_notes(agent_type, session_id)
    return SessionOutcome("stopped", stop_timer(session, actor=actor, notes=notes, now=now))


def last_session_entry(session: Session, *, actor: policy.Actor, agent_type: str,
                       session_id: str) -> TimeEntry | None:
    """The actor's latest stopped entry of this session, if among their recent agent entries."""
    rows = session.exec(
        select(TimeEntry)
        .where(TimeEntry.user_id == actor.user_id, TimeEntry.source == Source.AGENT,
               col(TimeEntry.is_running).is_(False))
        .order_by(col(TimeEntry.created_at).desc(), col(TimeEntry.id).desc())
        .limit(_RECENT)
    ).all()
    return next((e for e in rows if _is_session(e, agent_type, session_id)), None)


def end_turn(session: Session, *, actor: policy.Actor, agent_type: str, session_id: str,
             now: datetime) -> SessionOutcome:
    """Stop this session's timer, or extend its stopped entry to `now` (Codex turn ends)."""
    from keito_core.services.tracking.time_entries import edit_entry

    outcome = end_session(session, actor=actor, agent_type=agent_type, session_id=session_id,
                          now=now)
    if outcome.action == "stopped":
        return outcome
    entry = last_session_entry(session, actor=actor, agent_type=agent_type,
                               session_id=session_id)
    if entry is None or entry.started_at is None:
        return SessionOutcome("skipped", reason="no entry of this session to stop or extend")
    started = entry.started_at
    seconds = int((now - started).total_seconds())
    if seconds <= 0 or (entry.ended_at is not None and now <= entry.ended_at):
        return SessionOutcome("skipped", entry, reason="the session's entry already ends later")
    hours = (Decimal(seconds) / 3600).quantize(Decimal("0.0000001"))
    edited = edit_entry(session, actor=actor, entry_id=entry.id, now=now, duration=str(hours))
    return SessionOutcome("extended", edited)


# --- token usage ----------------------------------------------------------------------------


@dataclass
class TokenUsage:
    """Tokens of a session, summed over its model responses."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    models: list[str] = field(default_factory=list)

    @property
    def billed_tokens(self) -> int:
        """Input (new and cache-writing) plus output. Cache reads are reported, not counted."""
        return self.input_tokens + self.cache_creation_input_tokens + self.output_tokens

    @property
    def thousands(self) -> Decimal:
        """The LLM Usage quantity: thousands of tokens, to three places."""
        return (Decimal(self.billed_tokens) / 1000).quantize(Decimal("0.001"))

    def notes(self) -> str:
        """"claude-opus-4-6: 30k input + 15k output tokens", as the reference writes it."""
        model = ", ".join(self.models) or "tokens"
        ins = self.input_tokens + self.cache_creation_input_tokens
        return f"{model}: {_k(ins)} input + {_k(self.output_tokens)} output tokens"

    def meta(self) -> dict[str, Any]:
        return {
            "model": ", ".join(self.models) or None,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_creation_input_tokens": self.cache_creation_input_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
        }


def _k(tokens: int) -> str:
    text = f"{tokens / 1000:.1f}".removesuffix(".0")
    return f"{text}k"


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def claude_transcript_usage(path: Path) -> TokenUsage | None:
    """Token usage in a Claude Code transcript (JSON lines), or None when it records none.

    A response streamed over several lines repeats its message ID; its last usage counts once.
    Unreadable lines are skipped.
    """
    by_message: dict[str, dict[str, Any]] = {}
    models: list[str] = []
    try:
        with path.open(encoding="utf-8", errors="replace") as lines:
            for number, line in enumerate(lines):
                try:
                    record = json.loads(line)
                except ValueError:
                    continue
                message = record.get("message") if isinstance(record, dict) else None
                if record.get("type") != "assistant" or not isinstance(message, dict):
                    continue
                usage = message.get("usage")
                if not isinstance(usage, dict):
                    continue
                key = str(message.get("id") or record.get("requestId") or f"line-{number}")
                by_message[key] = usage
                model = message.get("model")
                if isinstance(model, str) and model[:1] not in ("", "<") and model not in models:
                    models.append(model)
    except OSError:
        return None
    if not by_message:
        return None
    total = TokenUsage(models=models)
    for usage in by_message.values():
        total.input_tokens += _int(usage.get("input_tokens"))
        total.output_tokens += _int(usage.get("output_tokens"))
        total.cache_creation_input_tokens += _int(usage.get("cache_creation_input_tokens"))
        total.cache_read_input_tokens += _int(usage.get("cache_read_input_tokens"))
    return total


def log_session_usage(session: Session, *, actor: policy.Actor, entry: TimeEntry,
                      usage: TokenUsage, now: datetime) -> Expense | None:
    """An LLM Usage expense for a session's tokens, on its entry's project; None for none."""
    from keito_core.services.tracking.expenses import log_expense

    if usage.billed_tokens <= 0:
        return None
    meta = {k: v for k, v in usage.meta().items() if v is not None}
    for key in ("agent_type", "session_id", "agent_id"):
        if isinstance(entry.meta, dict) and entry.meta.get(key):
            meta[key] = entry.meta[key]
    return log_expense(
        session, actor=actor, project_ref=entry.project_id, category_ref=LLM_USAGE,
        quantity=str(usage.thousands), spent_date=entry.spent_date, notes=usage.notes(),
        source=Source.AGENT, meta=meta, now=now)
