"""`keito auth login|logout` and `keito whoami`: which user's key this machine acts with."""

from __future__ import annotations

import os
import sys
from typing import Annotated, Any

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.state import cli_state

app = typer.Typer(
    help="Log in with an API key (kept in the OS keyring) or log out.", no_args_is_help=True
)


def _read_key(key: str | None) -> str:
    """The key from --key, else piped stdin, else a hidden prompt on a terminal."""
    if key is None:
        if sys.stdin.isatty():
            key = typer.prompt("API key (keito_sk_...)", hide_input=True, default="",
                               show_default=False)
        else:
            key = sys.stdin.read()
    key = (key or "").strip()
    if not key:
        raise KeitoError(
            "validation_error",
            "no API key given",
            field="key",
            hint="pass --key KEY, pipe the key on stdin, or create one with `keito key create`",
        )
    return key


def _identity(session: Any, user: Any) -> dict[str, Any]:
    """Who `user` is and in which workspace, as they see it themselves."""
    from keito_core import presenters as public
    from keito_core.platform.identity import actor_for, get_workspace
    from keito_tui.cli.users import user_data

    viewer = actor_for(session, user)
    return {
        "user": user_data(session, viewer, user),
        "workspace": public.workspace(get_workspace(session), viewer=viewer),
    }


@app.command("login")
def login(
    key: Annotated[
        str | None,
        typer.Option(help="The API key; without it, read from stdin or asked for (hidden)."),
    ] = None,
) -> None:
    """Check an API key against the workspace and store it for later commands."""
    from keito_core.platform.identity import authenticate
    from keito_core.platform.secrets import STORED_IN_KEYRING, store_api_key

    state = cli_state()
    secret = _read_key(key)
    runtime = state.runtime
    with runtime.session(readonly=True) as session:
        user = authenticate(session, secret, now=runtime.clock())
        data = _identity(session, user)
    where = store_api_key(secret, config_dir=runtime.settings.config_dir)
    data["stored"] = where
    out = state.output
    if where != STORED_IN_KEYRING:
        out.warn(f"no OS keyring is available; the key is in {where} (readable only by you)")
    env_key = os.environ.get("KEITO_API_KEY")
    if env_key and env_key != secret:
        out.warn("KEITO_API_KEY is set and takes precedence over the stored key")
    if out.json or out.quiet:
        out.record({"id": data["user"]["id"], **data} if out.quiet else data)
        return
    place = "the OS keyring" if where == STORED_IN_KEYRING else where
    person = data["user"]
    out.message(
        f"Logged in as {person['name']} ({person['user_type']}, {person['role']}) "
        f"in {data['workspace']['name']}; key stored in {place}"
    )


@app.command("logout")
def logout() -> None:
    """Forget the key stored by `keito auth login`."""
    from keito_core.platform.secrets import delete_api_key, stored_where

    state = cli_state()
    config_dir = state.runtime.settings.config_dir
    try:
        where = stored_where(config_dir=config_dir)
    except KeitoError:
        where = None
    removed = delete_api_key(config_dir=config_dir)
    if os.environ.get("KEITO_API_KEY"):
        state.output.warn("KEITO_API_KEY is still set: commands keep acting with it")
    text = "Logged out: the stored key is gone" if removed else "No stored key to remove"
    state.output.message(text, data={"removed": removed, "stored": where})


def whoami() -> None:
    """Show who commands act as, and in which workspace."""
    from keito_core.services.directory.users import get_user

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        data = _identity(session, get_user(session, actor=actor, ref="me"))
    data["auth"] = state.runtime.credentials()[1]
    _check_account(state, data["workspace"]["id"])
    out = state.output
    if out.json or out.quiet:
        out.record({"id": data["user"]["id"], **data} if out.quiet else data)
        return
    person, ws = data["user"], data["workspace"]
    out.message(f"Authenticated as {person['name']}")
    out.stdout.write(
        f"  User type: {person['user_type']}\n"
        f"  Role: {person['role']}\n"
        f"Workspace: {ws['name']}\n"
        f"Account: {ws['id']}\n"
        f"Auth: {data['auth']}\n"
    )


def _check_account(state: Any, workspace_id: str) -> None:
    """Warn when KEITO_ACCOUNT_ID or auth.account_id names another workspace."""
    from pathlib import Path

    from keito_core.platform.cli_config import resolve_defaults

    try:
        defaults = resolve_defaults(
            env=os.environ, cwd=Path.cwd(), config_file=state.runtime.settings.config_file
        )
    except KeitoError:
        return
    if defaults.account_id and defaults.account_id != workspace_id:
        state.output.warn(
            f"account_id {defaults.account_id!r} (from {defaults.sources['account_id']}) "
            f"is not this workspace ({workspace_id})"
        )


def register(root: typer.Typer) -> None:
    root.command("whoami")(whoami)
