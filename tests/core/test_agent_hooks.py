"""Keito's hooks in Claude Code's and Codex's settings files: pure file logic, no database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from keito_core.errors import KeitoError
from keito_core.integrations import agent_hooks as hooks

CLAUDE = hooks.AGENTS["claude-code"]
CODEX = hooks.AGENTS["codex"]
WANTED = hooks.wanted_hooks(CLAUDE, "keito")

#: A user's settings with their own hooks, in Claude Code's documented shape, 4-space indented.
THEIRS = """{
    "permissions": {
        "allow": ["Bash(npm test)"]
    },
    "hooks": {
        "SessionStart": [
            {
                "matcher": "startup",
                "hooks": [{"type": "command", "command": "echo welcome"}]
            }
        ],
        "PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./guard.sh"}]}
        ]
    }
}
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def ours(data: dict) -> dict[str, list[str]]:
    return hooks.installed_commands(data)


# --- recognising our commands ------------------------------------------------------------


@pytest.mark.parametrize("command", [
    "keito agent hooks run session-start --agent claude-code",
    "/home/ada/.venv/bin/keito agent hooks run session-end --agent claude-code",
    "'/Users/Ada Lovelace/bin/keito' agent hooks run turn-end --agent codex",
    "C:\\tools\\keito.exe agent hooks run session-start --agent codex",
])
def test_our_commands_are_recognised(command):
    assert hooks.is_ours({"type": "command", "command": command})


@pytest.mark.parametrize("command", [
    "echo keito agent hooks run session-start",
    "mykeito agent hooks run session-start",
    "keito agent hooks install claude-code",
    "keito time start --project acme",
    "",
])
def test_other_commands_are_not_ours(command):
    assert not hooks.is_ours({"type": "command", "command": command})


def test_hook_command_quotes_a_path_with_spaces():
    command = hooks.hook_command("/Users/Ada Lovelace/bin/keito", "codex", "turn-end")
    assert command == "'/Users/Ada Lovelace/bin/keito' agent hooks run turn-end --agent codex"
    assert hooks.is_ours({"command": command})


# --- where the files are -----------------------------------------------------------------


def test_settings_paths_per_agent_and_scope(tmp_path):
    home, project = tmp_path / "home", tmp_path / "repo"

    def path(spec, scope, env=None):
        return hooks.settings_path(spec, scope, env=env or {}, home=home, project_dir=project)

    assert path(CLAUDE, "user") == home / ".claude" / "settings.json"
    assert path(CLAUDE, "project") == project / ".claude" / "settings.json"
    assert path(CLAUDE, "local") == project / ".claude" / "settings.local.json"
    assert path(CLAUDE, "user", {"CLAUDE_CONFIG_DIR": str(tmp_path / "cc")}) == (
        tmp_path / "cc" / "settings.json")
    assert path(CODEX, "user") == home / ".codex" / "hooks.json"
    moved = {"CODEX_HOME": str(tmp_path / "cx")}
    assert path(CODEX, "user", moved) == tmp_path / "cx" / "hooks.json"
    assert path(CODEX, "project") == project / ".codex" / "hooks.json"
    with pytest.raises(KeitoError) as refused:
        path(CODEX, "local")
    assert refused.value.code == "validation_error" and refused.value.field == "scope"


def test_unknown_agent_is_a_validation_error():
    with pytest.raises(KeitoError) as refused:
        hooks.agent_spec("cursor")
    assert refused.value.code == "validation_error" and refused.value.field == "agent"
    assert hooks.agent_spec(" Claude-Code ") is CLAUDE


# --- merging ------------------------------------------------------------------------------


def test_add_to_empty_settings_uses_the_documented_shape():
    data, changed = hooks.add_hooks({}, WANTED, path=Path("s.json"))
    assert changed
    assert data == {"hooks": {
        "SessionStart": [{"hooks": [{
            "type": "command", "command": "keito agent hooks run session-start --agent claude-code",
            "timeout": hooks.HOOK_TIMEOUT}]}],
        "SessionEnd": [{"hooks": [{
            "type": "command", "command": "keito agent hooks run session-end --agent claude-code",
            "timeout": hooks.HOOK_TIMEOUT}]}],
    }}


def test_add_keeps_other_hooks_and_settings_in_order():
    theirs = json.loads(THEIRS)
    data, changed = hooks.add_hooks(theirs, WANTED, path=Path("s.json"))
    assert changed
    assert data["permissions"] == theirs["permissions"]
    assert data["hooks"]["PreToolUse"] == theirs["hooks"]["PreToolUse"]
    assert data["hooks"]["SessionStart"][0] == theirs["hooks"]["SessionStart"][0]
    assert len(data["hooks"]["SessionStart"]) == 2
    assert list(data) == ["permissions", "hooks"]
    assert theirs == json.loads(THEIRS), "the input is not modified"


def test_adding_twice_changes_nothing_the_second_time():
    once, _ = hooks.add_hooks({}, WANTED, path=Path("s.json"))
    twice, changed = hooks.add_hooks(once, WANTED, path=Path("s.json"))
    assert not changed and twice == once


def test_a_new_keito_path_updates_our_handler_in_place():
    old, _ = hooks.add_hooks(json.loads(THEIRS), hooks.wanted_hooks(CLAUDE, "/old/keito"),
                             path=Path("s.json"))
    new, changed = hooks.add_hooks(old, hooks.wanted_hooks(CLAUDE, "/new/keito"),
                                   path=Path("s.json"))
    assert changed
    assert ours(new) == {
        "SessionStart": ["/new/keito agent hooks run session-start --agent claude-code"],
        "SessionEnd": ["/new/keito agent hooks run session-end --agent claude-code"],
    }
    assert len(new["hooks"]["SessionStart"]) == 2


def test_duplicates_of_ours_collapse_to_one():
    mine = {"type": "command", "command": "keito agent hooks run session-start --agent claude-code"}
    data = {"hooks": {"SessionStart": [{"hooks": [mine]}, {"hooks": [dict(mine)]}]}}
    merged, changed = hooks.add_hooks(data, WANTED, path=Path("s.json"))
    assert changed
    assert ours(merged)["SessionStart"] == [mine["command"]]
    assert len(merged["hooks"]["SessionStart"]) == 1


def test_remove_takes_only_ours_and_the_containers_it_emptied():
    theirs = json.loads(THEIRS)
    added, _ = hooks.add_hooks(theirs, WANTED, path=Path("s.json"))
    removed, changed = hooks.remove_hooks(added, path=Path("s.json"))
    assert changed and removed == theirs
    again, changed = hooks.remove_hooks(removed, path=Path("s.json"))
    assert not changed and again == theirs


def test_remove_from_settings_we_filled_alone_leaves_an_empty_object():
    added, _ = hooks.add_hooks({}, WANTED, path=Path("s.json"))
    removed, changed = hooks.remove_hooks(added, path=Path("s.json"))
    assert changed and removed == {}


def test_remove_keeps_their_handler_that_shares_a_group_with_ours():
    mine = {"type": "command", "command": "keito agent hooks run session-end --agent claude-code"}
    data = {"hooks": {"SessionEnd": [{"hooks": [{"type": "command", "command": "./bye"}, mine]}]}}
    removed, changed = hooks.remove_hooks(data, path=Path("s.json"))
    assert changed
    assert removed == {"hooks": {"SessionEnd": [{"hooks": [{"type": "command",
                                                            "command": "./bye"}]}]}}


def test_an_empty_hooks_object_of_theirs_survives_remove():
    data = {"hooks": {}, "model": "opus"}
    removed, changed = hooks.remove_hooks(data, path=Path("s.json"))
    assert not changed and removed == data


@pytest.mark.parametrize("content, where", [
    ({"hooks": []}, '"hooks"'),
    ({"hooks": {"SessionStart": {"hooks": []}}}, "hooks.SessionStart"),
])
def test_unexpected_shapes_are_config_errors_naming_the_file(content, where):
    with pytest.raises(KeitoError) as refused:
        hooks.add_hooks(content, WANTED, path=Path("/x/settings.json"))
    assert refused.value.code == "config_error"
    assert "/x/settings.json" in refused.value.message and where in refused.value.message


# --- the file operations -----------------------------------------------------------------


def test_install_creates_the_file_and_uninstall_removes_it(tmp_path):
    path = tmp_path / ".claude" / "settings.json"
    change = hooks.install(path, WANTED)
    assert change.changed and change.created and change.backup is None
    assert ours(json.loads(path.read_text())) == {
        event: [command] for event, command in WANTED.items()}
    assert path.read_text().startswith('{\n  "hooks"'), "two-space indent for a new file"
    assert not hooks.backup_path(path).exists()
    gone = hooks.uninstall(path)
    assert gone.changed and gone.removed and not path.exists()


def test_install_backs_up_first_and_is_idempotent(tmp_path):
    path = write(tmp_path / "settings.json", THEIRS)
    first = hooks.install(path, WANTED)
    backup = hooks.backup_path(path)
    assert first.changed and first.backup == backup
    assert backup.read_text() == THEIRS
    after_first = path.read_bytes()
    assert b'\n    "permissions"' in after_first, "the file keeps its 4-space indentation"
    second = hooks.install(path, WANTED)
    assert not second.changed
    assert path.read_bytes() == after_first
    assert backup.read_text() == THEIRS, "the backup is of the file before our first change"


def test_uninstall_restores_the_original_bytes(tmp_path):
    path = write(tmp_path / "settings.json", THEIRS)
    hooks.install(path, WANTED)
    change = hooks.uninstall(path)
    assert change.changed and change.restored
    assert path.read_text() == THEIRS
    assert not hooks.backup_path(path).exists()


def test_uninstall_after_other_edits_keeps_them_and_the_backup(tmp_path):
    path = write(tmp_path / "settings.json", THEIRS)
    hooks.install(path, WANTED)
    data = json.loads(path.read_text())
    data["model"] = "opus"
    path.write_text(json.dumps(data, indent=4) + "\n")
    change = hooks.uninstall(path)
    assert change.changed and not change.restored
    left = json.loads(path.read_text())
    assert left == {**json.loads(THEIRS), "model": "opus"}
    assert hooks.backup_path(path).read_text() == THEIRS


def test_uninstall_without_our_hooks_writes_nothing(tmp_path):
    path = write(tmp_path / "settings.json", THEIRS)
    before = path.stat().st_mtime_ns
    assert not hooks.uninstall(path).changed
    assert path.read_text() == THEIRS and path.stat().st_mtime_ns == before
    assert not hooks.uninstall(tmp_path / "absent.json").changed


def test_tab_indented_files_stay_tab_indented(tmp_path):
    path = write(tmp_path / "settings.json", '{\n\t"model": "opus"\n}\n')
    hooks.install(path, WANTED)
    assert '\n\t"model": "opus"' in path.read_text()


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '"text"'])
def test_malformed_settings_are_refused_and_untouched(tmp_path, text):
    path = write(tmp_path / "settings.json", text)
    with pytest.raises(KeitoError) as refused:
        hooks.install(path, WANTED)
    assert refused.value.code == "config_error" and str(path) in refused.value.message
    assert path.read_text() == text
    assert not hooks.backup_path(path).exists()
    with pytest.raises(KeitoError):
        hooks.uninstall(path)
    assert path.read_text() == text


def test_an_empty_file_counts_as_empty_settings(tmp_path):
    path = write(tmp_path / "settings.json", "")
    assert hooks.install(path, WANTED).changed
    assert hooks.uninstall(path).restored
    assert path.read_text() == ""


def test_status_reports_installed_partial_and_absent(tmp_path):
    path = tmp_path / "hooks.json"
    assert hooks.status(path, CODEX).state == "not installed"
    assert not hooks.status(path, CODEX).exists
    hooks.install(path, hooks.wanted_hooks(CODEX, "keito"))
    found = hooks.status(path, CODEX)
    assert found.state == "installed" and found.missing == []
    assert sorted(found.installed) == ["SessionStart", "Stop"]
    data = json.loads(path.read_text())
    del data["hooks"]["Stop"]
    path.write_text(json.dumps(data))
    partial = hooks.status(path, CODEX)
    assert partial.state == "partial" and partial.missing == ["Stop"]


def test_install_keeps_file_permissions(tmp_path):
    path = write(tmp_path / "settings.json", "{}\n")
    path.chmod(0o600)
    hooks.install(path, WANTED)
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("text, disabled", [
    ("", False),
    ("[features]\nhooks = true\n", False),
    ("[features]\nhooks = false\n", True),
    ("[features]\ncodex_hooks = false\n", True),
    ('model = "o3"\n', False),
])
def test_codex_config_says_whether_hooks_are_off(tmp_path, text, disabled):
    config = write(tmp_path / "config.toml", text)
    assert hooks.codex_hooks_disabled(config) is disabled


def test_codex_config_that_is_not_toml_is_a_config_error(tmp_path):
    config = write(tmp_path / "config.toml", "[features\n")
    with pytest.raises(KeitoError) as refused:
        hooks.codex_hooks_disabled(config)
    assert refused.value.code == "config_error" and str(config) in refused.value.message
    assert not hooks.codex_hooks_disabled(tmp_path / "absent.toml")
