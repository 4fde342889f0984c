"""The `keito` command: the full-screen app with no arguments, one command otherwise."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from keito_core import __version__
from keito_tui.cli import (
    agent,
    approvals,
    auth,
    categories,
    clients,
    config,
    demo,
    expense,
    export,
    inbox,
    invoices,
    keys,
    projects,
    reports,
    serve,
    settings,
    sync,
    tasks,
    time,
    users,
    workspace,
)
from keito_tui.cli.output import Output
from keito_tui.cli.state import CliState, KeitoGroup, set_state

app = typer.Typer(
    cls=KeitoGroup,
    name="keito",
    help="Keito: time tracking, expenses, approvals and invoicing for humans and AI agents.\n\n"
    "Run `keito` alone to open the full-screen app, or `keito COMMAND` for one action. "
    "Output is a table on a terminal and JSON otherwise (or with --json).",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=True,
    context_settings={"help_option_names": ["--help", "-h"]},
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"keito {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON (the default when stdout is not a terminal).")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only IDs; suppress non-essential output.")
    ] = False,
    ids: Annotated[
        bool, typer.Option("--ids", help="Show IDs whole in tables, even on a narrow terminal.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    flags = ctx.meta.get("keito.flags", {})
    output = Output.detect(
        json_flag=json_output or flags.get("json", False), quiet=quiet or flags.get("quiet", False)
    )
    output.whole_ids = ids or flags.get("ids", False)
    set_state(CliState(output=output))
    if ctx.invoked_subcommand is None:
        _open_app()


def _open_app() -> None:
    """Open the full-screen app (needs a terminal)."""
    if not sys.stdout.isatty() or not sys.stdin.isatty():
        typer.echo(app_help(), err=False)
        return
    from keito_tui.app.main import run_app

    run_app()


def app_help() -> str:
    command = typer.main.get_command(app)
    with typer.Context(command, info_name="keito") as ctx:
        return command.get_help(ctx)


workspace.register(app)
app.add_typer(settings.app, name="settings")
app.add_typer(users.app, name="user")
app.add_typer(keys.app, name="key")
app.add_typer(clients.app, name="client")
app.add_typer(tasks.app, name="task")
app.add_typer(projects.app, name="project")
app.add_typer(categories.app, name="category")
app.add_typer(auth.app, name="auth")
auth.register(app)
app.add_typer(config.app, name="config")
app.add_typer(time.app, name="time")
app.add_typer(expense.app, name="expense")
app.add_typer(agent.app, name="agent")
app.add_typer(approvals.timesheet_app, name="timesheet")
app.add_typer(approvals.approvals_app, name="approvals")
app.add_typer(invoices.app, name="invoice")
app.add_typer(reports.app, name="report")
app.add_typer(sync.app, name="sync")
inbox.register(app)
demo.register(app)
export.register(app)
serve.register(app)


def build_only_the_invoked_command(argv: list[str]) -> None:
    """Keep only the group or root command `argv` names, so Typer builds just that one.

    Typer inspects the parameters of every command of every group each time it runs (about
    30 ms here); a one-shot command needs one group. With no command, an unknown one, or
    during shell completion, the whole tree stays.
    """
    import os

    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return
    words = [arg for arg in argv if not arg.startswith("-")]
    if not words:
        return
    groups = [info for info in app.registered_groups if info.name == words[0]]
    commands = [info for info in app.registered_commands if info.name == words[0]]
    if groups or commands:
        app.registered_groups = groups
        app.registered_commands = commands


def run() -> None:
    """Console-script entry point."""
    build_only_the_invoked_command(sys.argv[1:])
    app()
