"""`keito config init|set|unset|list`: defaults in ~/.keito/config.toml or ./.keito.toml."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_tui.cli.state import CliState

app = typer.Typer(
    help="Create, edit and show configuration: default project, task, source and agent ID.",
    no_args_is_help=True,
)

KeyArg = Annotated[
    str,
    typer.Argument(
        help="Dotted key: defaults.project, defaults.task, defaults.source, agent.agent_id, "
        "auth.account_id or database.url."
    ),
]
LocalOpt = Annotated[
    bool,
    typer.Option(
        "--local",
        help="Write this project's .keito.toml (the nearest one up, else ./) instead.",
    ),
]


def _target(state: CliState, local: bool) -> Path:
    """The user config file, or with --local the nearest .keito.toml (else ./.keito.toml)."""
    from keito_core.platform.cli_config import LOCAL_FILE, find_local_config

    if local:
        return find_local_config(Path.cwd()) or Path.cwd() / LOCAL_FILE
    return state.runtime.settings.config_file


def _check_key(key: str, *, local: bool) -> None:
    from keito_core.platform.cli_config import SECRET_KEYS, SETTABLE_KEYS, USER_ONLY_KEYS

    if key in SECRET_KEYS:
        raise KeitoError(
            "validation_error",
            f"{key} is a secret and is not written to a config file",
            field="key",
            hint="run `keito auth login` (it stores the key in the OS keyring), "
            "or set KEITO_API_KEY",
        )
    if key not in SETTABLE_KEYS:
        raise KeitoError(
            "validation_error",
            f"unknown key {key!r}",
            field="key",
            hint="one of " + ", ".join(SETTABLE_KEYS),
        )
    if local and key in USER_ONLY_KEYS:
        raise KeitoError(
            "validation_error",
            f"{key} belongs in the user config file, not .keito.toml",
            field="key",
            hint=f"run `keito config set {key} VALUE` without --local",
        )


@app.command("init")
def init(
    force: Annotated[
        bool, typer.Option("--force", help="Rewrite an existing file (its values are kept).")
    ] = False,
    local: LocalOpt = False,
) -> None:
    """Create the config file with every setting listed and commented out."""
    from keito_core.platform.cli_config import initial_config, read_toml
    from keito_core.platform.private_files import write_private_text

    state = cli_state()
    path = _target(state, local)
    if path.exists() and not force:
        raise KeitoError(
            "conflict",
            f"{path} already exists",
            hint="edit it with `keito config set`, or pass --force to rewrite it",
        )
    text = initial_config(read_toml(path) if path.exists() else None, local=local)
    write_private_text(path, text)
    state.output.message(f"Wrote {path}", data={"path": str(path), "created": True})


@app.command("set")
def set_(
    key: KeyArg,
    value: Annotated[str, typer.Argument(help="The value, e.g. acme.")],
    local: LocalOpt = False,
) -> None:
    """Set a configuration value (in the user file, or ./.keito.toml with --local)."""
    from keito_core.platform.cli_config import set_value
    from keito_core.rules.agent_mode import parse_source

    _check_key(key, local=local)
    value = value.strip()
    if not value:
        raise KeitoError(
            "validation_error", f"{key} needs a value", field="value",
            hint=f"to clear it run `keito config unset {key}`",
        )
    if key == "defaults.source":
        value = parse_source(value, where=key).value
    state = cli_state()
    path = _target(state, local)
    set_value(path, key, value)
    state.output.message(
        f"Set {key} = {value} in {path}", data={"key": key, "value": value, "path": str(path)}
    )


@app.command("unset")
def unset(key: KeyArg, local: LocalOpt = False) -> None:
    """Remove a configuration value."""
    from keito_core.platform.cli_config import set_value

    _check_key(key, local=local)
    state = cli_state()
    path = _target(state, local)
    if path.exists():
        set_value(path, key, None)
    state.output.message(f"Unset {key} in {path}", data={"key": key, "path": str(path)})


def _masked(secret: str | None) -> str | None:
    return None if not secret else secret[:13] + "…"


@app.command("list")
def list_() -> None:
    """Show the effective configuration and where each value comes from."""
    from keito_core.platform.cli_config import SETTINGS, resolve_defaults

    state = cli_state()
    settings = state.runtime.settings
    defaults = resolve_defaults(env=os.environ, cwd=Path.cwd(), config_file=settings.config_file)
    rows: list[dict[str, Any]] = [_api_key_row(state)]
    for name, setting in SETTINGS.items():
        value = getattr(defaults, name)
        origin = defaults.sources[name]
        if name == "source" and value is None:
            value = "cli"
        rows.append({"key": setting.key, "value": value, "origin": origin})
    rows.append(_database_row(state))
    state.output.listing(rows, columns=["key", "value", "origin"], title="Configuration")


def _api_key_row(state: CliState) -> dict[str, Any]:
    """auth.api_key, masked, and where it comes from (as commands would pick it)."""
    from keito_core.platform.runtime import AUTH_CONFIG_FILE, AUTH_ENV, AUTH_STORED
    from keito_core.platform.secrets import stored_where

    runtime = state.runtime
    try:
        key, origin = runtime.credentials()
    except KeitoError as exc:
        return {"key": "auth.api_key", "value": None, "origin": f"error: {exc.message}"}
    where = {
        AUTH_ENV: "env:KEITO_API_KEY",
        AUTH_CONFIG_FILE: str(runtime.settings.config_file),
    }.get(origin, "none: the workspace's default user acts")
    if origin == AUTH_STORED:
        place = stored_where(config_dir=runtime.settings.config_dir)
        where = "keyring" if place == "keyring" else str(place)
    return {"key": "auth.api_key", "value": _masked(key), "origin": where}


def _database_row(state: CliState) -> dict[str, Any]:
    from keito_core.platform.cli_config import read_toml

    settings = state.runtime.settings
    if os.environ.get("KEITO_DATABASE_URL"):
        origin = "env:KEITO_DATABASE_URL"
    elif (read_toml(settings.config_file).get("database") or {}).get("url"):
        origin = str(settings.config_file)
    else:
        origin = "default"
    return {"key": "database.url", "value": settings.display_url, "origin": origin}
