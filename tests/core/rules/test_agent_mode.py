"""Agent mode: the source and metadata of a new record, from the environment, config and flags."""

from __future__ import annotations

import json

import pytest

from keito_core.enums import Source
from keito_core.errors import KeitoError
from keito_core.rules.agent_mode import AGENT_ENV, detect_agent, parse_source, resolve_origin


def origin(env=None, **kwargs):
    kwargs.setdefault("default_source", Source.CLI)
    return resolve_origin(env or {}, **kwargs)


def test_no_agent_environment_means_the_interface_default():
    context = origin({"PATH": "/usr/bin"})
    assert context.source is Source.CLI
    assert context.meta == {}
    assert not context.is_agent
    assert origin(default_source="tui").source is Source.TUI


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("CLAUDE_SESSION_ID", "sess-1", {"agent_type": "claude-code", "session_id": "sess-1"}),
        ("CODEX_SESSION_ID", "cx-9", {"agent_type": "codex", "session_id": "cx-9"}),
        ("OPENCLAW_AGENT_ID", "claw-7", {"agent_type": "openclaw", "agent_id": "claw-7"}),
        ("CURSOR_AGENT", "1", {"agent_type": "cursor"}),
    ],
)
def test_each_agent_variable_sets_agent_mode(variable, value, expected):
    context = origin({variable: value})
    assert context.source is Source.AGENT
    assert context.is_agent
    assert context.meta == expected
    assert detect_agent({variable: value}) == expected


def test_the_table_is_the_references():
    assert AGENT_ENV == {
        "CLAUDE_SESSION_ID": "claude-code",
        "CODEX_SESSION_ID": "codex",
        "OPENCLAW_AGENT_ID": "openclaw",
        "CURSOR_AGENT": "cursor",
    }


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_variable_is_not_an_agent(value):
    assert origin({"CLAUDE_SESSION_ID": value}).source is Source.CLI
    assert detect_agent({"CURSOR_AGENT": value}) is None


def test_the_first_variable_in_table_order_wins():
    context = origin({"CODEX_SESSION_ID": "cx", "CLAUDE_SESSION_ID": "cl"})
    assert context.meta == {"agent_type": "claude-code", "session_id": "cl"}


def test_the_references_example_entry_exactly():
    """Inside Claude Code with [agent] agent_id configured: the Agent Mode page's JSON."""
    context = origin({"CLAUDE_SESSION_ID": "auto-detected-from-env"},
                     config_agent_id="review-bot-01")
    body = json.dumps({"source": context.source.value, "metadata": context.meta})
    assert body == json.dumps(
        {
            "source": "agent",
            "metadata": {
                "agent_type": "claude-code",
                "session_id": "auto-detected-from-env",
                "agent_id": "review-bot-01",
            },
        }
    )


def test_the_configured_agent_id_applies_only_in_agent_mode():
    assert origin(config_agent_id="review-bot-01").meta == {}
    assert origin(source_flag="agent", config_agent_id="review-bot-01").meta == {
        "agent_id": "review-bot-01"
    }


def test_the_environments_agent_id_beats_the_configured_one():
    context = origin({"OPENCLAW_AGENT_ID": "claw-7"}, config_agent_id="review-bot-01")
    assert context.meta["agent_id"] == "claw-7"


def test_explicit_flags_override_detection():
    """The reference's explicit mode: --source agent --agent-id --session-id."""
    context = origin(
        {"CLAUDE_SESSION_ID": "from-env", "OPENCLAW_AGENT_ID": "x"},
        source_flag="agent",
        agent_id="my-custom-bot",
        session_id="0b6c-uuid",
        config_agent_id="review-bot-01",
    )
    assert context.source is Source.AGENT
    assert context.meta == {
        "agent_type": "claude-code",
        "session_id": "0b6c-uuid",
        "agent_id": "my-custom-bot",
    }


def test_source_flag_beats_the_agent_environment():
    context = origin({"CLAUDE_SESSION_ID": "s1"}, source_flag="cli")
    assert context.source is Source.CLI
    assert context.meta == {}


def test_agent_id_alone_sets_agent_mode():
    context = origin(agent_id="gh-actions-reviewer")
    assert context.source is Source.AGENT
    assert context.meta == {"agent_id": "gh-actions-reviewer"}


def test_an_explicit_source_beats_the_agent_id_flag():
    context = origin(source_flag="api", agent_id="bot")
    assert context.source is Source.API
    assert context.meta == {"agent_id": "bot"}


def test_session_id_flag_is_kept_outside_agent_mode():
    assert origin(session_id="s-42").meta == {"session_id": "s-42"}


@pytest.mark.parametrize("flag", ["agent_id", "session_id"])
def test_an_empty_flag_is_refused(flag):
    with pytest.raises(KeitoError) as caught:
        origin(**{flag: "  "})
    assert caught.value.code == "validation_error"
    assert caught.value.field == flag


@pytest.mark.parametrize("value", ["bogus", "", "agents"])
def test_a_bad_source_flag_is_a_validation_error(value):
    with pytest.raises(KeitoError) as caught:
        origin(source_flag=value)
    assert caught.value.code == "validation_error"
    assert caught.value.field == "source"
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("value", ["AGENT", " cli ", "Web"])
def test_sources_are_read_case_insensitively(value):
    assert parse_source(value) is Source(value.strip().lower())


def test_keito_source_beats_detection_and_the_default():
    env = {"KEITO_SOURCE": "api", "CLAUDE_SESSION_ID": "s1"}
    context = origin(env, default_source="web")
    assert context.source is Source.API
    assert context.meta == {}
    assert origin(env, source_flag="cli").source is Source.CLI


def test_a_bad_keito_source_is_refused():
    with pytest.raises(KeitoError) as caught:
        origin({"KEITO_SOURCE": "robot"})
    assert caught.value.field == "source"
    assert "KEITO_SOURCE" in caught.value.message


def test_the_configured_default_source_yields_to_detection():
    """A config file saying source = "cli" (the reference's example) keeps agent mode working."""
    assert origin({"CURSOR_AGENT": "1"}, default_source="cli").source is Source.AGENT
    assert origin({}, default_source="agent").source is Source.AGENT


def test_metadata_merges_under_the_flags_and_over_detection():
    context = origin(
        {"CLAUDE_SESSION_ID": "env-session"},
        metadata={"model": "claude-opus-4-6", "session_id": "meta-session", "agent_id": "m"},
        agent_id="flag-bot",
    )
    assert context.meta == {
        "agent_type": "claude-code",
        "session_id": "meta-session",
        "agent_id": "flag-bot",
        "model": "claude-opus-4-6",
    }


def test_metadata_over_the_limit_is_refused():
    with pytest.raises(KeitoError) as caught:
        origin(metadata={"blob": "x" * 5000})
    assert caught.value.code == "metadata_too_large"


def test_the_callers_metadata_is_not_changed():
    given = {"model": "m"}
    origin({"CLAUDE_SESSION_ID": "s"}, metadata=given, agent_id="a")
    assert given == {"model": "m"}
