"""What the installed hooks run: `keito agent hooks run EVENT --agent AGENT`.

A hook must never block or fail its agent: this prints nothing (Claude Code would add stdout
to the model's context, Codex wants it empty or JSON), always exits 0, and writes one line per
event, errors included, to `agent-hooks.log` under the Keito data directory's `logs/`.
Setting KEITO_AGENT_HOOKS=off in the agent's environment turns the hooks into no-ops (the
wrapper script does, since it tracks the session itself).
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keito_core.errors import KeitoError

LOG_NAME = "agent-hooks.log"
_LOG_LIMIT = 512 * 1024
_OFF = {"0", "off", "false", "no", "disabled"}


def log_path() -> Path:
    """The hook log: DATA_DIR/logs/agent-hooks.log."""
    from keito_core.platform.config import load_settings

    return load_settings().data_dir / "logs" / LOG_NAME


def _write_log(line: str) -> None:
    try:
        from keito_core.platform.private_files import PRIVATE_FILE, private_dir

        path = log_path()
        private_dir(path.parent)
        if path.exists() and path.stat().st_size > _LOG_LIMIT:
            path.replace(path.with_name(LOG_NAME + ".1"))
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, PRIVATE_FILE)
        with os.fdopen(fd, "a", encoding="utf-8") as log:
            log.write(f"{stamp} {line}\n")
    except Exception:  # noqa: BLE001 - a hook has nowhere else to report; it must not fail
        pass


def _payload(text: str | None) -> dict[str, Any]:
    """The hook input: the argument if given, else stdin (unless it is a terminal)."""
    if text is None:
        text = "" if sys.stdin is None or sys.stdin.isatty() else sys.stdin.read()
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeitoError("validation_error", f"the hook input is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise KeitoError("validation_error", "the hook input is not a JSON object")
    return data


def _session_id(data: dict[str, Any]) -> str:
    """The session: Claude Code and Codex hooks send session_id; Codex's notify thread-id."""
    for key in ("session_id", "thread-id", "thread_id"):
        value = data.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return ""


def _describe(outcome: Any, extra: str = "") -> str:
    entry = outcome.entry
    text = outcome.action
    if entry is not None:
        text += f" {entry.id}"
        if not entry.is_running:
            text += f" ({entry.hours.normalize()} h)"
    if outcome.stopped is not None:
        text += f"; stopped the running timer {outcome.stopped.id}"
    if outcome.reason:
        text += f": {outcome.reason}"
    return text + extra


def _handle(event: str, agent: str, data: dict[str, Any], *, log_tokens: bool) -> str:
    from keito_core.integrations.agent_hooks import RUN_EVENTS, agent_spec
    from keito_core.platform.cli_config import resolve_defaults
    from keito_core.services.tracking import agent_sessions as sessions
    from keito_tui.cli.state import cli_state

    spec = agent_spec(agent)
    if event not in RUN_EVENTS:
        raise KeitoError("validation_error", f"unknown hook event {event!r}", field="event",
                         hint="use " + ", ".join(RUN_EVENTS))
    session_id = _session_id(data)
    if not session_id:
        return "skipped: the hook input has no session_id"
    state = cli_state()
    runtime = state.runtime
    now = runtime.clock()
    who = {"agent_type": spec.name, "session_id": session_id}
    if event == "session-start":
        cwd = Path(str(data.get("cwd") or os.getcwd()))
        defaults = resolve_defaults(env=os.environ, cwd=cwd,
                                    config_file=runtime.settings.config_file)
        if not defaults.project:
            return (f"skipped: no project for {cwd} (set defaults.project in .keito.toml, "
                    "or KEITO_PROJECT)")
        meta: dict[str, Any] = {"agent_id": defaults.agent_id} if defaults.agent_id else {}
        if isinstance(data.get("model"), str) and data["model"]:
            meta["model"] = data["model"]
        with state.acting() as (session, actor):
            outcome = sessions.start_session(
                session, actor=actor, **who, project_ref=defaults.project,
                task_ref=defaults.task, meta=meta, now=now)
            return _describe(outcome)
    with state.acting() as (session, actor):
        if event == "session-end":
            outcome = sessions.end_session(session, actor=actor, **who, now=now)
        else:
            outcome = sessions.end_turn(session, actor=actor, **who, now=now)
        text = _describe(outcome)
        entry = outcome.entry if outcome.action == "stopped" else None
    transcript = data.get("transcript_path")
    if entry is None or not log_tokens or spec.name != "claude-code" or not transcript:
        return text
    usage = sessions.claude_transcript_usage(Path(str(transcript)))
    if usage is None:
        return text + "; no token usage in the transcript"
    try:
        with state.acting() as (session, actor):
            expense = sessions.log_session_usage(session, actor=actor, entry=entry, usage=usage,
                                                 now=now)
    except KeitoError as exc:
        return text + f"; tokens not logged: {exc.code}: {exc.message}"
    if expense is None:
        return text
    return text + f"; logged {expense.id} ({usage.thousands}k tokens)"


def run_hook(*, event: str, agent: str, payload: str | None, log_tokens: bool) -> None:
    """Handle one event; whatever happens, log one line and return normally."""
    where = f"{agent} {event}"
    try:
        if (os.environ.get("KEITO_AGENT_HOOKS") or "").strip().lower() in _OFF:
            _write_log(f"{where}: skipped: KEITO_AGENT_HOOKS is off")
            return
        data = _payload(payload)
        session = _session_id(data)
        if session:
            where += f" {session[:8]}"
        _write_log(f"{where}: {_handle(event, agent, data, log_tokens=log_tokens)}")
    except KeitoError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        _write_log(f"{where}: error: {exc.code}: {exc.message}{hint}")
    except Exception as exc:  # noqa: BLE001 - never fail the agent; keep the traceback
        detail = "".join(traceback.format_exception(exc)).rstrip().replace("\n", "\n    ")
        _write_log(f"{where}: internal error: {type(exc).__name__}: {exc}\n    {detail}")
