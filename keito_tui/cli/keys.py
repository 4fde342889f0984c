"""`keito key`: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from keito_tui.cli.state import cli_state

app = typer.Typer(help="Create, list and revoke API keys (keito_sk_...).", no_args_is_help=True)

_COLUMNS = ["id", "name", "prefix", "user", "created_at", "last_used_at", "is_active"]


@app.command("create")
def create(
    user: Annotated[
        str | None, typer.Option(help="Whose key: ID, email or name (default: you).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="A name to tell the key apart, e.g. 'CI pipeline'.")
    ] = None,
) -> None:
    """Create an API key and print its secret once."""
    from keito_core import presenters as public
    from keito_core.services.directory.keys import create_key, key_owners

    state = cli_state()
    with state.acting() as (session, actor):
        key, secret = create_key(session, actor=actor, user_ref=user, name=name,
                                 now=state.runtime.clock())
        owner = key_owners(session, [key])[key.user_id]
        data = public.api_key(key, secret=secret, viewer=actor)
    out = state.output
    if out.quiet:
        out.stdout.write(f"{secret}\n")  # -q prints the secret alone, for `KEY=$(...)`
    elif out.json:
        out.record(data)
    else:
        out.message(f"Created API key {key.name!r} for {owner.name}")
        out.stdout.write(f"\n  {secret}\n\n")
        out.stdout.write("Copy it now: it won't be shown again. "
                         "Use it as KEITO_API_KEY to act as this user.\n")


@app.command("list")
def list_(
    user: Annotated[
        str | None, typer.Option(help="Whose keys: ID, email or name (default: you).")
    ] = None,
    all_users: Annotated[
        bool, typer.Option("--all", help="Every user's keys (administrators).")
    ] = False,
) -> None:
    """List API keys (only their prefixes: secrets are never stored)."""
    from keito_core import presenters as public
    from keito_core.services.directory.keys import key_owners, list_keys

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        keys = list_keys(session, actor=actor, user_ref=user, all_users=all_users)
        owners = key_owners(session, keys)
        rows = [{**public.api_key(k, viewer=actor), "user": owners[k.user_id].name} for k in keys]
    state.output.listing(rows, columns=_COLUMNS, title="API keys",
                         optional=["last_used_at", "created_at"])


@app.command("revoke")
def revoke(
    key: Annotated[str, typer.Argument(help="The key's ID or its prefix (keito_sk_abcd).")],
) -> None:
    """Revoke an API key: it stops working at once."""
    from keito_core import presenters as public
    from keito_core.services.directory.keys import revoke_key

    state = cli_state()
    with state.acting() as (session, actor):
        revoked = revoke_key(session, actor=actor, key_ref=key, now=state.runtime.clock())
        data = public.api_key(revoked, viewer=actor)
    state.output.message(f"Revoked API key {revoked.name!r} ({revoked.prefix}…)", data=data)
