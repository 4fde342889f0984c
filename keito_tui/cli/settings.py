"""`keito settings`: list, read and change the workspace settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.services.workspace.setup import SettingValue

app = typer.Typer(help="List, read and change workspace settings.", no_args_is_help=True)


def _row(value: SettingValue) -> dict[str, object]:
    return {
        "key": value.key,
        "value": value.value,
        "group": value.group,
        "description": value.description,
    }


@app.command("list")
def list_(
    group: Annotated[str | None, typer.Option(help="Only this group (time, money, ...).")] = None,
) -> None:
    """List every setting with its value."""
    from keito_core.services.workspace.setup import list_settings

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        rows = [_row(v) for v in list_settings(session, actor=actor)]
    if group:
        rows = [r for r in rows if r["group"] == group]
    state.output.listing(rows, columns=["key", "value", "description"], title="Settings")


@app.command("get")
def get(key: Annotated[str, typer.Argument(help="Setting key, e.g. timezone.")]) -> None:
    """Print one setting."""
    from keito_core.services.workspace.setup import get_setting

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        value = get_setting(session, actor=actor, key=key)
    if state.output.json:
        state.output.record(_row(value))
    else:
        state.output.stdout.write(f"{'' if value.value is None else value.value}\n")


@app.command("set")
def set_(
    key: Annotated[str, typer.Argument(help="Setting key, e.g. rounding.")],
    value: Annotated[str, typer.Argument(help="New value; `none` clears an optional one.")],
) -> None:
    """Change one setting (administrators)."""
    from keito_core.services.workspace.setup import set_setting

    state = cli_state()
    with state.acting() as (session, actor):
        result = set_setting(session, actor=actor, key=key, value=value, now=state.runtime.clock())
    state.output.message(f"{result.key} = {result.value}", data=_row(result))
