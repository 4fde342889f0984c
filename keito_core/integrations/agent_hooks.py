"""Keito's session hooks in coding agents' settings files: install, remove, inspect.

Claude Code and Codex both read hooks from a JSON file shaped
``{"hooks": {EVENT: [{"matcher": ..., "hooks": [{"type": "command", "command": ...}]}]}}``:

- Claude Code: ``~/.claude/settings.json`` (``$CLAUDE_CONFIG_DIR`` moves it), the project's
  ``.claude/settings.json`` or its uncommitted ``.claude/settings.local.json``. Keito hooks
  ``SessionStart`` and ``SessionEnd``.
- Codex: ``~/.codex/hooks.json`` (``$CODEX_HOME`` moves it) or the project's
  ``.codex/hooks.json``. Codex has ``SessionStart`` but no session-end event; Keito hooks
  ``Stop``, which Codex runs when each turn ends (see docs/agents.md).

Our handlers are recognised by their command (``keito agent hooks run ...``), so installing
twice leaves one, a changed path is updated in place, and uninstalling removes only ours with
the containers that held nothing else. Other hooks keep their order and content; the file is
rewritten with its own indentation, and not at all when nothing changes. Before the first
change to an existing file a copy is kept next to it (``settings.json.keito-backup``); an
uninstall that brings the content back to that copy restores its exact bytes.

Pure file logic: no terminal code and no database.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
import shutil
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from keito_core.errors import KeitoError

BACKUP_SUFFIX = ".keito-backup"
#: Seconds an agent waits for one of our hooks (they take well under one).
HOOK_TIMEOUT = 30
SCOPES = ("user", "project", "local")

#: A command that runs `keito agent hooks run ...`, whatever path (quoted or not) runs keito.
_OURS = re.compile(
    r"""^\s*(?:'[^']*[/\\]|"[^"]*[/\\]|[^\s'"]*[/\\])?keito(?:\.exe)?['"]?"""
    r"\s+agent\s+hooks\s+run(?:\s|$)"
)


@dataclass(frozen=True)
class AgentSpec:
    """One coding agent: where its hook files live and which of its events we hook."""

    name: str
    label: str
    #: The agent's event name -> our event (the argument of `keito agent hooks run`).
    events: dict[str, str]
    #: Environment variable that moves the agent's user directory, and its default.
    home_env: str
    home_dir: str
    #: Scope -> file name inside the agent's directory (user) or the project's.
    files: dict[str, str] = field(default_factory=dict)


AGENTS: dict[str, AgentSpec] = {
    "claude-code": AgentSpec(
        name="claude-code",
        label="Claude Code",
        events={"SessionStart": "session-start", "SessionEnd": "session-end"},
        home_env="CLAUDE_CONFIG_DIR",
        home_dir=".claude",
        files={"user": "settings.json", "project": "settings.json",
               "local": "settings.local.json"},
    ),
    "codex": AgentSpec(
        name="codex",
        label="Codex",
        events={"SessionStart": "session-start", "Stop": "turn-end"},
        home_env="CODEX_HOME",
        home_dir=".codex",
        files={"user": "hooks.json", "project": "hooks.json"},
    ),
}

#: The events `keito agent hooks run` accepts.
RUN_EVENTS = ("session-start", "session-end", "turn-end")


def agent_spec(name: str) -> AgentSpec:
    spec = AGENTS.get(name.strip().lower())
    if spec is None:
        raise KeitoError("validation_error", f"unknown agent {name!r}", field="agent",
                         hint="use " + " or ".join(AGENTS))
    return spec


def agent_dir(spec: AgentSpec, scope: str, *, env: Mapping[str, str], home: Path,
              project_dir: Path) -> Path:
    """The directory holding the agent's files for `scope`."""
    if scope == "user":
        moved = (env.get(spec.home_env) or "").strip()
        return Path(moved).expanduser() if moved else home / spec.home_dir
    return project_dir / spec.home_dir


def settings_path(spec: AgentSpec, scope: str, *, env: Mapping[str, str], home: Path,
                  project_dir: Path) -> Path:
    """The hooks file of `spec` for `scope` (user, project, or local for Claude Code)."""
    if scope not in spec.files:
        raise KeitoError("validation_error", f"{spec.label} has no {scope!r} scope",
                         field="scope", hint="use " + ", ".join(spec.files))
    return agent_dir(spec, scope, env=env, home=home, project_dir=project_dir) / spec.files[scope]


def hook_command(keito: str, agent: str, event: str) -> str:
    """The shell command a hook runs: `KEITO agent hooks run EVENT --agent AGENT`."""
    program = keito if keito == "keito" else shlex.quote(keito)
    return f"{program} agent hooks run {event} --agent {agent}"


def is_ours(handler: Any) -> bool:
    """True for a hook handler that runs `keito agent hooks run`."""
    return isinstance(handler, dict) and bool(_OURS.search(str(handler.get("command", ""))))


def wanted_hooks(spec: AgentSpec, keito: str) -> dict[str, str]:
    """The agent's event -> the command we install for it."""
    return {event: hook_command(keito, spec.name, ours) for event, ours in spec.events.items()}


# --- reading and writing ------------------------------------------------------------------


def read_settings(path: Path) -> tuple[bytes | None, dict[str, Any]]:
    """(the file's bytes or None if absent, its JSON object); config_error naming a bad file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, {}
    except IsADirectoryError:
        raise KeitoError("config_error", f"{path} is a directory, not a settings file") from None
    except OSError as exc:
        raise KeitoError("config_error", f"cannot read {path}: {exc.strerror}") from exc
    if not raw.strip():
        return raw, {}
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KeitoError("config_error", f"{path} is not valid JSON: {exc}",
                         hint="fix the file (nothing was changed)") from exc
    if not isinstance(data, dict):
        raise KeitoError("config_error", f"{path} must hold a JSON object",
                         hint="fix the file (nothing was changed)")
    return raw, data


def _indent(raw: bytes | None) -> str | int:
    """The indentation the file already uses (2 spaces for a new one)."""
    found = re.search(rb"\n([ \t]+)\S", raw or b"")
    if not found:
        return 2
    unit = found.group(1)
    return "\t" if unit.startswith(b"\t") else len(unit)


def _dump(data: dict[str, Any], raw: bytes | None) -> bytes:
    return (json.dumps(data, indent=_indent(raw), ensure_ascii=False) + "\n").encode("utf-8")


def _write_atomic(path: Path, content: bytes) -> None:
    """Replace `path` with `content` in one step, keeping its permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def backup_path(path: Path) -> Path:
    return path.with_name(path.name + BACKUP_SUFFIX)


# --- the hooks object -------------------------------------------------------------------------


def _hooks_table(data: dict[str, Any], path: Path, *, create: bool) -> dict[str, Any] | None:
    table = data.get("hooks")
    if table is None:
        if not create:
            return None
        table = data["hooks"] = {}
    if not isinstance(table, dict):
        raise KeitoError("config_error", f"{path}: \"hooks\" must be a JSON object",
                         hint="fix the file (nothing was changed)")
    return table


def _groups(table: dict[str, Any], event: str, path: Path) -> list[Any]:
    groups = table.get(event)
    if not isinstance(groups, list):
        raise KeitoError("config_error", f"{path}: hooks.{event} must be a list",
                         hint="fix the file (nothing was changed)")
    return groups


def _our_handlers(groups: list[Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(group, handler) for each of our handlers in an event's groups."""
    found: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for group in groups:
        if isinstance(group, dict) and isinstance(group.get("hooks"), list):
            found.extend((group, h) for h in group["hooks"] if is_ours(h))
    return found


def _handler(command: str) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": HOOK_TIMEOUT}


def add_hooks(data: dict[str, Any], wanted: Mapping[str, str], *,
              path: Path) -> tuple[dict[str, Any], bool]:
    """`data` with one handler of ours per wanted event; (new data, whether it changed)."""
    data = copy.deepcopy(data)
    table = _hooks_table(data, path, create=True)
    assert table is not None
    changed = False
    for event, command in wanted.items():
        if event not in table:
            table[event] = []
        groups = _groups(table, event, path)
        ours = _our_handlers(groups)
        if not ours:
            groups.append({"hooks": [_handler(command)]})
            changed = True
            continue
        first = ours[0][1]
        for key, value in _handler(command).items():
            if first.get(key) != value:
                first[key] = value
                changed = True
        for group, extra in ours[1:]:
            group["hooks"].remove(extra)
            changed = True
        _prune(table, event)
    return data, changed


def _prune(table: dict[str, Any], event: str) -> None:
    """Drop groups left without handlers, and the event when it has no group left."""
    groups = table[event]
    groups[:] = [g for g in groups if not (isinstance(g, dict) and g.get("hooks") == [])]
    if not groups:
        del table[event]


def remove_hooks(data: dict[str, Any], *, path: Path) -> tuple[dict[str, Any], bool]:
    """`data` without any handler of ours (in any event); (new data, whether it changed)."""
    data = copy.deepcopy(data)
    table = _hooks_table(data, path, create=False)
    if table is None:
        return data, False
    changed = False
    for event in list(table):
        groups = table[event]
        if not isinstance(groups, list):
            continue
        ours = _our_handlers(groups)
        if not ours:
            continue
        for group, handler in ours:
            group["hooks"].remove(handler)
        changed = True
        _prune(table, event)
    if changed and not table:
        del data["hooks"]
    return data, changed


def installed_commands(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """Event -> the commands of our handlers in it."""
    table = data.get("hooks")
    if not isinstance(table, dict):
        return {}
    found: dict[str, list[str]] = {}
    for event, groups in table.items():
        if isinstance(groups, list):
            commands = [str(h.get("command")) for _, h in _our_handlers(groups)]
            if commands:
                found[event] = commands
    return found


# --- the three operations -----------------------------------------------------------------


@dataclass
class HookFileChange:
    """What install or uninstall did to one file."""

    path: Path
    changed: bool
    backup: Path | None = None
    created: bool = False
    removed: bool = False
    restored: bool = False


def install(path: Path, wanted: Mapping[str, str]) -> HookFileChange:
    """Add our handlers to the file at `path` (created if absent); idempotent."""
    raw, data = read_settings(path)
    new, changed = add_hooks(data, wanted, path=path)
    backup = backup_path(path)
    if not changed:
        return HookFileChange(path, False, backup if backup.exists() else None)
    if raw is not None and not backup.exists():
        shutil.copy2(path, backup)
    _write_atomic(path, _dump(new, raw))
    return HookFileChange(path, True, backup if backup.exists() else None, created=raw is None)


def uninstall(path: Path) -> HookFileChange:
    """Remove our handlers from the file at `path`; a file we created and left empty goes."""
    raw, data = read_settings(path)
    new, changed = remove_hooks(data, path=path)
    if not changed:
        return HookFileChange(path, False)
    backup = backup_path(path)
    if backup.exists():
        try:
            _, saved = read_settings(backup)
        except KeitoError:
            saved = None
        if saved == new:
            _write_atomic(path, backup.read_bytes())
            backup.unlink()
            return HookFileChange(path, True, restored=True)
        _write_atomic(path, _dump(new, raw))
        return HookFileChange(path, True, backup=backup)
    if not new:
        path.unlink()
        return HookFileChange(path, True, removed=True)
    _write_atomic(path, _dump(new, raw))
    return HookFileChange(path, True)


@dataclass
class HookStatus:
    """Whether our hooks are in one file, and which."""

    path: Path
    exists: bool
    installed: dict[str, list[str]]
    missing: list[str]

    @property
    def state(self) -> str:
        if not self.installed:
            return "not installed"
        return "partial" if self.missing else "installed"


def status(path: Path, spec: AgentSpec) -> HookStatus:
    raw, data = read_settings(path)
    found = installed_commands(data)
    return HookStatus(path, raw is not None, found, [e for e in spec.events if e not in found])


def codex_hooks_disabled(config_path: Path) -> bool:
    """True when Codex's config.toml turns hooks off ([features] hooks or codex_hooks = false)."""
    try:
        with config_path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        return False
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise KeitoError("config_error", f"{config_path} is not valid TOML: {exc}",
                         hint="fix the file (nothing was changed)") from exc
    except OSError as exc:
        raise KeitoError("config_error", f"cannot read {config_path}: {exc.strerror}") from exc
    features = data.get("features")
    if not isinstance(features, dict):
        return False
    return features.get("hooks") is False or features.get("codex_hooks") is False
