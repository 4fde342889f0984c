"""Who made an entry: the source (cli, agent ...) and the agent context kept in its metadata.

Agent mode follows the reference's Agent Mode page. The environment of a known agent sets
`source = agent`, `metadata.agent_type`, and the session (or agent) ID it exposes. Flags override.

Source, highest first:
  1. `--source` (validated: tui, web, cli, api, agent);
  2. `--agent-id` (implies agent);
  3. KEITO_SOURCE in the environment;
  4. an agent's environment variable (AGENT_ENV, first match in table order);
  5. `default_source`: the configured default (.keito.toml, config.toml) or the interface's own.

Metadata, later layers win: the configured agent ID (only in agent mode), then what the
environment detected, then `--metadata`, then `--agent-id` and `--session-id`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from keito_core.enums import Source
from keito_core.errors import validation
from keito_core.rules.metadata import validate_metadata

#: Environment variable -> metadata.agent_type, in the order they are checked.
AGENT_ENV: dict[str, str] = {
    "CLAUDE_SESSION_ID": "claude-code",
    "CODEX_SESSION_ID": "codex",
    "OPENCLAW_AGENT_ID": "openclaw",
    "CURSOR_AGENT": "cursor",
}

#: Which metadata key each variable's value fills (CURSOR_AGENT is only a marker).
_ENV_VALUE_KEY: dict[str, str] = {
    "CLAUDE_SESSION_ID": "session_id",
    "CODEX_SESSION_ID": "session_id",
    "OPENCLAW_AGENT_ID": "agent_id",
}

SOURCE_ENV = "KEITO_SOURCE"


@dataclass(frozen=True)
class AgentContext:
    """The origin of a new record: its source and the metadata to store with it."""

    source: Source
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def is_agent(self) -> bool:
        return self.source is Source.AGENT


def parse_source(value: str | Source, *, where: str = "--source") -> Source:
    """A Source from user input, or validation_error on field `source`."""
    if isinstance(value, Source):
        return value
    text = value.strip().lower()
    try:
        return Source(text)
    except ValueError:
        choices = ", ".join(s.value for s in Source)
        raise validation(
            f"{where} must be one of {choices}, not {value!r}", field="source"
        ) from None


def detect_agent(env: Mapping[str, str]) -> dict[str, str] | None:
    """The agent metadata the environment implies ({agent_type, session_id | agent_id}), or None."""
    for name, agent_type in AGENT_ENV.items():
        value = (env.get(name) or "").strip()
        if not value:
            continue
        found = {"agent_type": agent_type}
        key = _ENV_VALUE_KEY.get(name)
        if key:
            found[key] = value
        return found
    return None


def _flag_text(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if not text:
        raise validation(f"--{name.replace('_', '-')} is empty", field=name)
    return text


def resolve_origin(
    env: Mapping[str, str],
    *,
    default_source: Source | str,
    source_flag: str | None = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    config_agent_id: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> AgentContext:
    """The source and metadata of a record made now, by the precedence in the module docstring.

    `metadata` is the already-parsed `--metadata` object; the result is checked against the
    4 KB limit. Pass an empty `env` where detection makes no sense (the full-screen app).
    """
    agent_id = _flag_text(agent_id, "agent_id")
    session_id = _flag_text(session_id, "session_id")
    detected = detect_agent(env)
    env_source = (env.get(SOURCE_ENV) or "").strip()

    if source_flag is not None:
        source = parse_source(source_flag)
    elif agent_id is not None:
        source = Source.AGENT
    elif env_source:
        source = parse_source(env_source, where=SOURCE_ENV)
    elif detected is not None:
        source = Source.AGENT
    else:
        source = parse_source(default_source, where="defaults.source")

    meta: dict[str, Any] = {}
    if source is Source.AGENT:
        meta.update(detected or {})
        if config_agent_id:
            meta.setdefault("agent_id", config_agent_id)
    meta.update(metadata or {})
    if agent_id is not None:
        meta["agent_id"] = agent_id
    if session_id is not None:
        meta["session_id"] = session_id
    return AgentContext(source=source, meta=validate_metadata(meta))
