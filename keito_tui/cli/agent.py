"""`keito agent`: connect coding agents (Claude Code, Codex) to Keito with session hooks."""

from __future__ import annotations

import os
import shutil
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.integrations.agent_hooks import AgentSpec, HookStatus

app = typer.Typer(help="Connect AI coding agents to Keito.", no_args_is_help=True)
hooks_app = typer.Typer(
    help="Install, remove and inspect the session hooks of Claude Code and Codex.",
    no_args_is_help=True,
)
app.add_typer(hooks_app, name="hooks")


class Agent(StrEnum):
    CLAUDE_CODE = "claude-code"
    CODEX = "codex"


class Scope(StrEnum):
    USER = "user"
    PROJECT = "project"
    LOCAL = "local"


AgentArg = Annotated[Agent, typer.Argument(help="The agent: claude-code or codex.")]
ScopeOpt = Annotated[
    Scope,
    typer.Option(
        help="user: your settings, for every project; project: the project's shared settings; "
        "local: its uncommitted settings (Claude Code only)."
    ),
]
DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="The project directory for --scope project or local (default: the current one).",
    ),
]


def _path(spec: AgentSpec, scope: str, directory: Path | None) -> Path:
    from keito_core.integrations.agent_hooks import settings_path

    return settings_path(
        spec, scope, env=os.environ, home=Path.home(), project_dir=(directory or Path.cwd())
    )


def _keito_program(scope: str) -> str:
    """How the hook runs keito: this program's full path for user settings, else `keito`.

    Project settings are shared with the team, whose keito lives elsewhere.
    """
    if scope != Scope.USER:
        return "keito"
    program = Path(sys.argv[0])
    if program.name in ("keito", "keito.exe") and program.is_file():
        return str(program.absolute())
    return shutil.which("keito") or "keito"


def _view(spec: AgentSpec, scope: str, found: HookStatus) -> dict[str, Any]:
    return {
        "agent": spec.name,
        "scope": scope,
        "file": str(found.path),
        "state": found.state,
        "events": sorted(found.installed),
        "missing": found.missing,
        "commands": sorted({c for cs in found.installed.values() for c in cs}),
    }


def _codex_disabled(spec: AgentSpec, path: Path) -> bool:
    from keito_core.integrations.agent_hooks import codex_hooks_disabled

    return spec.name == Agent.CODEX and codex_hooks_disabled(path.parent / "config.toml")


@hooks_app.command("install")
def install(
    agent: AgentArg,
    scope: ScopeOpt = Scope.USER,
    directory: DirOpt = None,
    keito_command: Annotated[
        str | None,
        typer.Option(
            "--keito-command",
            help="How the agent runs keito (default: this keito's full path in user "
            "settings, `keito` in project settings).",
        ),
    ] = None,
) -> None:
    """Install hooks that log one agent time entry per session (idempotent)."""
    from keito_core.integrations import agent_hooks as hooks

    state = cli_state()
    spec = hooks.agent_spec(agent.value)
    path = _path(spec, scope.value, directory)
    disabled = _codex_disabled(spec, path)
    command = (keito_command or "").strip() or _keito_program(scope.value)
    change = hooks.install(path, hooks.wanted_hooks(spec, command))
    data = {
        **_view(spec, scope.value, hooks.status(path, spec)),
        "changed": change.changed,
        "created": change.created,
        "backup": str(change.backup) if change.backup else None,
        "hooks_disabled": disabled,
    }
    out = state.output
    if disabled:
        out.warn(f"hooks are turned off in {path.parent / 'config.toml'} ([features]): "
                 "Codex will not run them until you turn them back on")
    if spec.name == Agent.CODEX and change.changed:
        out.warn("Codex asks you to review and trust new hooks before it runs them")
    events = ", ".join(spec.events)
    if change.changed:
        text = f"Installed {spec.label} hooks ({events}) in {path}"
        if change.backup and change.backup.exists():
            text += f"; the previous file is saved as {change.backup.name}"
    else:
        text = f"{spec.label} hooks are already installed in {path}"
    out.message(text, data=data)


@hooks_app.command("uninstall")
def uninstall(agent: AgentArg, scope: ScopeOpt = Scope.USER, directory: DirOpt = None) -> None:
    """Remove Keito's hooks (only them) from the agent's settings."""
    from keito_core.integrations import agent_hooks as hooks

    state = cli_state()
    spec = hooks.agent_spec(agent.value)
    path = _path(spec, scope.value, directory)
    change = hooks.uninstall(path)
    data = {
        **_view(spec, scope.value, hooks.status(path, spec)),
        "changed": change.changed,
        "restored": change.restored,
        "removed": change.removed,
    }
    if not change.changed:
        text = f"No Keito hooks in {path}"
    elif change.restored:
        text = f"Removed {spec.label} hooks: {path} is back to its original content"
    elif change.removed:
        text = f"Removed {spec.label} hooks and {path}, which Keito had created"
    else:
        text = f"Removed {spec.label} hooks from {path}"
    state.output.message(text, data=data)


@hooks_app.command("status")
def status(
    agent: Annotated[
        Agent | None, typer.Argument(help="Only this agent: claude-code or codex.")
    ] = None,
    scope: Annotated[
        Scope | None, typer.Option(help="Only this scope: user, project or local.")
    ] = None,
    directory: DirOpt = None,
) -> None:
    """Show where Keito's hooks are installed."""
    from keito_core.integrations import agent_hooks as hooks

    state = cli_state()
    specs = [hooks.agent_spec(agent.value)] if agent else list(hooks.AGENTS.values())
    rows = []
    for spec in specs:
        scopes = [scope.value] if scope else list(spec.files)
        for name in scopes:
            if name not in spec.files and agent is None:
                continue
            path = _path(spec, name, directory)
            row = _view(spec, name, hooks.status(path, spec))
            if spec.name == Agent.CODEX:
                row["hooks_disabled"] = _codex_disabled(spec, path)
            rows.append(row)
    state.output.listing(
        rows, columns=["agent", "scope", "state", "events", "file"], title="Agent hooks"
    )


@hooks_app.command("run", hidden=True)
def run(
    event: Annotated[str, typer.Argument(help="session-start, session-end or turn-end.")],
    agent: Annotated[str, typer.Option("--agent", help="The agent: claude-code or codex.")],
    payload: Annotated[
        str | None, typer.Argument(help="The hook input as JSON (default: read from stdin).")
    ] = None,
    tokens: Annotated[
        bool,
        typer.Option(
            "--tokens/--no-tokens",
            help="At a session's end, log its transcript's tokens as an LLM Usage expense.",
        ),
    ] = True,
) -> None:
    """Handle one hook event from an agent; never fails (problems go to the hook log)."""
    from keito_tui.cli.agent_runner import run_hook

    run_hook(event=event, agent=agent, payload=payload, log_tokens=tokens)
