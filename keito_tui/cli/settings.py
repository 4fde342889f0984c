"""`keito settings`: list, read and change the workspace settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.services.workspace.setup import SettingValue

app = typer.Typer(help="List, read and change workspace settings.", no_args_is_help=True)


#: Settings whose empty value (none, or 0 minutes) turns the feature off.
_OFF_WHEN_EMPTY = frozenset({"rounding", "lock_after_days"})


def _text(value: SettingValue) -> str:
    """A setting's value as people read it: `off` for a feature turned off, `none` if unset."""
    if value.key in _OFF_WHEN_EMPTY and value.value in (None, 0):
        return "off"
    return "none" if value.value is None else str(value.value)


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
        values = list_settings(session, actor=actor)
    if group:
        values = [v for v in values if v.group == group]
    rows = [_row(v) if state.output.json else {**_row(v), "value": _text(v)} for v in values]
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
        state.output.stdout.write(f"{_text(value)}\n")


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
    state.output.message(f"{result.key} = {_text(result)}", data=_row(result))
