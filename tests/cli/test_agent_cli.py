"""`keito agent hooks`: install, uninstall and status in a temporary home, and the hooks' runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlmodel import select

from keito_core.models import Expense, TimeEntry
from keito_core.services.directory import clients, keys, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member

T0 = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
SESSION = "5f0c1d2e-aaaa-4bbb-8ccc-123456789abc"


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A temporary home directory with no agent settings yet."""
    path = tmp_path / "userhome"
    path.mkdir()
    monkeypatch.setenv("HOME", str(path))
    for name in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "KEITO_AGENT_HOOKS", "KEITO_PROJECT",
                 "KEITO_TASK", "KEITO_AGENT_ID"):
        monkeypatch.delenv(name, raising=False)
    return path


@pytest.fixture
def repo(tmp_path, monkeypatch) -> Path:
    """A project checkout whose .keito.toml names project acme, task development."""
    path = tmp_path / "repo"
    path.mkdir()
    (path / ".keito.toml").write_text('[defaults]\nproject = "acme"\ntask = "development"\n')
    monkeypatch.chdir(path)
    return path


# --- install, uninstall, status ------------------------------------------------------------


def test_install_claude_code_in_user_settings(cli, home, keito_home):
    result = cli("agent", "hooks", "install", "claude-code")
    assert result.exit_code == 0, result
    settings = home / ".claude" / "settings.json"
    assert result.json["file"] == str(settings)
    assert result.json["changed"] is True and result.json["created"] is True
    assert result.json["state"] == "installed"
    data = json.loads(settings.read_text())
    start = data["hooks"]["SessionStart"][0]["hooks"][0]
    assert start["type"] == "command"
    assert start["command"].endswith("agent hooks run session-start --agent claude-code")
    end = data["hooks"]["SessionEnd"][0]["hooks"][0]["command"]
    assert end.endswith("agent hooks run session-end --agent claude-code")


def test_install_is_idempotent_and_keeps_other_hooks(cli, home, keito_home):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = json.dumps({"hooks": {"SessionStart": [
        {"matcher": "startup", "hooks": [{"type": "command", "command": "echo hi"}]}]}},
        indent=2) + "\n"
    settings.write_text(original)
    first = cli("agent", "hooks", "install", "claude-code", "--keito-command", "keito")
    assert first.json["changed"] is True
    assert first.json["backup"] == str(settings) + ".keito-backup"
    after = settings.read_text()
    second = cli("agent", "hooks", "install", "claude-code", "--keito-command", "keito")
    assert second.exit_code == 0 and second.json["changed"] is False
    assert settings.read_text() == after
    data = json.loads(after)
    assert [g["hooks"][0]["command"] for g in data["hooks"]["SessionStart"]] == [
        "echo hi", "keito agent hooks run session-start --agent claude-code"]
    removed = cli("agent", "hooks", "uninstall", "claude-code")
    assert removed.exit_code == 0 and removed.json["restored"] is True
    assert settings.read_text() == original
    assert not Path(str(settings) + ".keito-backup").exists()


def test_project_scope_writes_the_projects_settings_with_plain_keito(cli, home, repo,
                                                                      keito_home):
    result = cli("agent", "hooks", "install", "claude-code", "--scope", "project")
    assert result.exit_code == 0, result
    settings = repo / ".claude" / "settings.json"
    assert result.json["file"] == str(settings)
    assert result.json["commands"] == [
        "keito agent hooks run session-end --agent claude-code",
        "keito agent hooks run session-start --agent claude-code"]
    assert not (home / ".claude").exists()
    local = cli("agent", "hooks", "install", "claude-code", "--scope", "local",
                "--dir", str(repo))
    assert local.json["file"] == str(repo / ".claude" / "settings.local.json")


def test_install_codex_writes_hooks_json_and_warns_about_trust(cli, home, keito_home):
    result = cli("agent", "hooks", "install", "codex")
    assert result.exit_code == 0, result
    hooks_file = home / ".codex" / "hooks.json"
    assert result.json["events"] == ["SessionStart", "Stop"]
    data = json.loads(hooks_file.read_text())
    assert data["hooks"]["Stop"][0]["hooks"][0]["command"].endswith(
        "agent hooks run turn-end --agent codex")
    assert "trust" in result.stderr
    assert not (home / ".codex" / "config.toml").exists(), "config.toml is never written"


def test_codex_with_hooks_turned_off_is_installed_with_a_warning(cli, home, keito_home):
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text("[features]\nhooks = false\n")
    result = cli("agent", "hooks", "install", "codex")
    assert result.exit_code == 0
    assert result.json["hooks_disabled"] is True
    assert "turned off" in result.stderr
    assert (home / ".codex" / "config.toml").read_text() == "[features]\nhooks = false\n"


def test_codex_home_and_claude_config_dir_move_the_user_files(cli, tmp_path, home, keito_home,
                                                              monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(tmp_path / "cx"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "cc"))
    assert cli("agent", "hooks", "install", "codex").json["file"] == str(
        tmp_path / "cx" / "hooks.json")
    assert cli("agent", "hooks", "install", "claude-code").json["file"] == str(
        tmp_path / "cc" / "settings.json")


def test_malformed_settings_are_a_config_error_and_nothing_is_written(cli, home, keito_home):
    settings = home / ".claude" / "settings.json"
    settings.parent.mkdir()
    settings.write_text("{oops")
    result = cli("agent", "hooks", "install", "claude-code")
    assert result.exit_code == 8
    assert result.error["code"] == "config_error" and str(settings) in result.error["message"]
    assert settings.read_text() == "{oops"
    assert sorted(p.name for p in settings.parent.iterdir()) == ["settings.json"]
    assert cli("agent", "hooks", "uninstall", "claude-code").exit_code == 8
    assert settings.read_text() == "{oops"


def test_malformed_codex_config_is_a_config_error(cli, home, keito_home):
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text("[features\n")
    result = cli("agent", "hooks", "install", "codex")
    assert result.exit_code == 8 and "config.toml" in result.error["message"]
    assert not (home / ".codex" / "hooks.json").exists()


def test_status_lists_every_agent_and_scope(cli, home, repo, keito_home):
    cli("agent", "hooks", "install", "codex")
    rows = cli("agent", "hooks", "status").json["data"]
    assert [(r["agent"], r["scope"], r["state"]) for r in rows] == [
        ("claude-code", "user", "not installed"),
        ("claude-code", "project", "not installed"),
        ("claude-code", "local", "not installed"),
        ("codex", "user", "installed"),
        ("codex", "project", "not installed"),
    ]
    only = cli("agent", "hooks", "status", "codex", "--scope", "user").json["data"]
    assert len(only) == 1 and only[0]["events"] == ["SessionStart", "Stop"]
    assert only[0]["hooks_disabled"] is False


def test_unknown_agent_and_scope_are_refused(cli, home, keito_home):
    bad = cli("agent", "hooks", "install", "cursor")
    assert bad.exit_code == 2 and bad.error["code"] == "validation_error"
    local = cli("agent", "hooks", "install", "codex", "--scope", "local")
    assert local.exit_code == 2 and local.error["field"] == "scope"
    assert not (home / ".codex").exists()


def test_uninstall_when_nothing_is_installed(cli, home, keito_home):
    result = cli("agent", "hooks", "uninstall", "codex")
    assert result.exit_code == 0 and result.json["changed"] is False
    assert not (home / ".codex").exists()


# --- the hooks' runs --------------------------------------------------------------------------


@pytest.fixture
def bot(workspace, monkeypatch):
    """Project acme (task development) with agent claude-bot on it, acting by its key."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=T0)
        tasks.create_task(s, actor=actor, name="Development", now=T0)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=T0)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="development", now=T0)
        agent = users.create_user(s, actor=actor, name="claude-bot", agent=True, now=T0)
        assign_member(s, actor=actor, project_ref="acme", user_ref=agent.id, now=T0)
        _, secret = keys.create_key(s, actor=actor, user_ref=agent.id, name="hooks", now=T0)
    monkeypatch.setenv("KEITO_API_KEY", secret)
    workspace.bot_id = agent.id
    return workspace


def hook(cli, event, payload, agent="claude-code", at=T0):
    with time_machine.travel(at, tick=False):
        result = cli("agent", "hooks", "run", event, "--agent", agent,
                     input=payload if isinstance(payload, str) else json.dumps(payload))
    assert result.exit_code == 0, result
    assert result.stdout == "", "a hook prints nothing (Claude Code would show it to the model)"
    return result


def log_lines(keito_home: Path) -> list[str]:
    path = keito_home / "data" / "logs" / "agent-hooks.log"
    return path.read_text().splitlines() if path.exists() else []


def all_entries(ws) -> list[TimeEntry]:
    with ws.session() as s:
        return list(s.exec(select(TimeEntry)).all())


def test_a_claude_code_session_becomes_one_agent_entry(cli, bot, home, repo, keito_home,
                                                       tmp_path):
    start = {"session_id": SESSION, "cwd": str(repo), "hook_event_name": "SessionStart",
             "source": "startup", "transcript_path": str(tmp_path / "t.jsonl")}
    hook(cli, "session-start", start)
    hook(cli, "session-start", {**start, "source": "compact"}, at=T0 + timedelta(minutes=20))
    transcript = tmp_path / "t.jsonl"
    transcript.write_text(json.dumps({"type": "assistant", "message": {
        "id": "m1", "model": "claude-opus-4-6",
        "usage": {"input_tokens": 30000, "output_tokens": 15000}}}) + "\n")
    hook(cli, "session-end", {**start, "hook_event_name": "SessionEnd", "reason": "exit"},
         at=T0 + timedelta(hours=1, minutes=15))
    [entry] = all_entries(bot)
    assert entry.user_id == bot.bot_id and entry.source == "agent"
    assert not entry.is_running and entry.duration_seconds == 75 * 60
    assert entry.meta["agent_type"] == "claude-code" and entry.meta["session_id"] == SESSION
    assert entry.notes == "Claude Code session 5f0c1d2e"
    with bot.session() as s:
        [expense] = s.exec(select(Expense)).all()
        assert expense.project_id == entry.project_id and expense.meta["session_id"] == SESSION
    lines = log_lines(keito_home)
    assert len(lines) == 3
    assert "claude-code session-start 5f0c1d2e: started te_" in lines[0]
    assert ": running te_" in lines[1]
    assert ": stopped te_" in lines[2] and "45.000k tokens" in lines[2]


def test_a_session_end_for_another_session_leaves_the_timer(cli, bot, home, repo, keito_home):
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)})
    hook(cli, "session-end", {"session_id": "other-session", "cwd": str(repo)})
    [entry] = all_entries(bot)
    assert entry.is_running
    assert "belongs to another session" in log_lines(keito_home)[-1]


def test_codex_turns_stop_then_extend_the_sessions_entry(cli, bot, home, repo, keito_home):
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)}, agent="codex")
    hook(cli, "turn-end", {"session_id": SESSION, "cwd": str(repo), "turn_id": "t1"},
         agent="codex", at=T0 + timedelta(minutes=5))
    hook(cli, "turn-end", {"session_id": SESSION, "cwd": str(repo), "turn_id": "t2"},
         agent="codex", at=T0 + timedelta(minutes=25))
    [entry] = all_entries(bot)
    assert not entry.is_running and entry.duration_seconds == 25 * 60
    assert entry.meta["agent_type"] == "codex"
    assert entry.notes == "Codex session 5f0c1d2e"
    assert ": extended te_" in log_lines(keito_home)[-1]


def test_codex_notify_payload_as_an_argument(cli, bot, home, repo, keito_home):
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)}, agent="codex")
    payload = json.dumps({"type": "agent-turn-complete", "thread-id": SESSION,
                          "cwd": str(repo)})
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        result = cli("agent", "hooks", "run", "turn-end", "--agent", "codex", payload)
    assert result.exit_code == 0 and result.stdout == ""
    assert not all_entries(bot)[0].is_running


@pytest.mark.parametrize("payload, logged", [
    ("{not json", "error: validation_error: the hook input is not JSON"),
    ("[]", "error: validation_error: the hook input is not a JSON object"),
    ("", "skipped: the hook input has no session_id"),
    (json.dumps({"session_id": SESSION, "cwd": "/"}), "skipped: no project for /"),
])
def test_bad_or_unusable_input_is_logged_never_raised(cli, bot, home, keito_home, payload,
                                                      logged, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    hook(cli, "session-start", payload)
    assert logged in log_lines(keito_home)[-1]
    assert all_entries(bot) == []


def test_an_unknown_event_or_agent_is_logged(cli, bot, home, repo, keito_home):
    hook(cli, "session-pause", {"session_id": SESSION, "cwd": str(repo)})
    assert "unknown hook event 'session-pause'" in log_lines(keito_home)[-1]
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)}, agent="cursor")
    assert "unknown agent 'cursor'" in log_lines(keito_home)[-1]
    assert all_entries(bot) == []


def test_a_refused_start_is_logged_and_changes_nothing(cli, bot, home, repo, keito_home):
    (repo / ".keito.toml").write_text('[defaults]\nproject = "nope"\n')
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)})
    assert "error: not_found" in log_lines(keito_home)[-1]
    assert all_entries(bot) == []


def test_no_database_is_logged_not_raised(cli, home, repo, keito_home, monkeypatch, tmp_path):
    monkeypatch.setenv("KEITO_DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'k.db'}")
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)})
    assert "error: config_error" in log_lines(keito_home)[-1]


def test_hooks_turned_off_do_nothing(cli, bot, home, repo, keito_home, monkeypatch):
    monkeypatch.setenv("KEITO_AGENT_HOOKS", "off")
    hook(cli, "session-start", {"session_id": SESSION, "cwd": str(repo)})
    assert all_entries(bot) == []
    assert "KEITO_AGENT_HOOKS is off" in log_lines(keito_home)[-1]


def test_the_hook_commands_installed_are_the_ones_that_run(cli, bot, home, repo, keito_home):
    """The installed command line, run as the agent would (minus the program), starts a timer."""
    import shlex

    cli("agent", "hooks", "install", "claude-code", "--keito-command", "keito")
    data = json.loads((home / ".claude" / "settings.json").read_text())
    command = shlex.split(data["hooks"]["SessionStart"][0]["hooks"][0]["command"])
    assert command[0] == "keito"
    with time_machine.travel(T0, tick=False):
        result = cli(*command[1:], input=json.dumps({"session_id": SESSION, "cwd": str(repo)}))
    assert result.exit_code == 0 and result.stdout == ""
    assert all_entries(bot)[0].is_running
