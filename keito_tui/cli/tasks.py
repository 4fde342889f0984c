"""`keito task`: the company-level tasks time is logged to."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.clients import AllOpt, ArchivedOpt, list_status
from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.models import Task
    from keito_core.rules.permissions import Actor

app = typer.Typer(help="Add, list, edit, archive and restore company-level tasks.",
                  no_args_is_help=True)

_COLUMNS = ["id", "handle", "name", "is_billable", "default_hourly_rate", "is_default",
            "is_active"]
TaskArg = Annotated[str, typer.Argument(help="Task ID, handle or name.")]


def _task_data(task: Task, actor: Actor) -> dict[str, Any]:
    """A task as `actor` sees it (the presenter decides the default rate)."""
    from keito_core import presenters as public

    return public.task(task, viewer=actor)


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Task name (unique), e.g. Development.")],
    billable: Annotated[bool, typer.Option(
        "--billable/--no-billable", help="Whether time on it is billable by default.")] = True,
    rate: Annotated[str | None, typer.Option(help="Default hourly rate, e.g. 120.")] = None,
    default: Annotated[bool, typer.Option("--default",
                                          help="Add it to every new project.")] = False,
) -> None:
    """Add a company-level task."""
    from keito_core.services.directory.tasks import create_task

    state = cli_state()
    with state.acting() as (session, actor):
        task = create_task(session, actor=actor, name=name, billable=billable, rate=rate,
                           is_default=default, now=state.runtime.clock())
        data = _task_data(task, actor)
    state.output.record(data, message=f"Added task {data['name']} ({data['handle']})")


@app.command("list")
def list_(archived: ArchivedOpt = False, all_: AllOpt = False) -> None:
    """List tasks (active ones unless --archived or --all)."""
    from keito_core.services.directory.tasks import list_tasks

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        tasks = list_tasks(session, actor=actor, status=list_status(archived, all_))
        rows = [_task_data(t, actor) for t in tasks]
    state.output.listing(rows, columns=_COLUMNS, title="Tasks",
                         optional=["is_default", "is_active"])


@app.command("show")
def show(task: TaskArg) -> None:
    """Show a task."""
    from keito_core.services.directory.tasks import get_task

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        data = _task_data(get_task(session, actor=actor, ref=task), actor)
    state.output.record(data, title=data["name"])


@app.command("edit")
def edit(
    task: TaskArg,
    name: Annotated[str | None, typer.Option(help="New name (the handle stays).")] = None,
    handle: Annotated[str | None, typer.Option(help="New handle, e.g. dev.")] = None,
    billable: Annotated[bool | None, typer.Option("--billable/--no-billable",
                                                  help="Billable by default.")] = None,
    rate: Annotated[str | None, typer.Option(help="Default hourly rate; `none` clears it.")] = None,
    default: Annotated[bool | None, typer.Option("--default/--no-default",
                                                 help="Add it to every new project.")] = None,
) -> None:
    """Change a task."""
    from keito_core.services.directory.tasks import edit_task

    changes: dict[str, Any] = {k: v for k, v in {
        "name": name, "handle": handle, "billable": billable, "rate": rate, "is_default": default,
    }.items() if v is not None}
    state = cli_state()
    with state.acting() as (session, actor):
        data = _task_data(edit_task(session, actor=actor, ref=task, **changes,
                                    now=state.runtime.clock()), actor)
    state.output.record(data, message=f"Updated task {data['name']}")


@app.command("archive")
def archive(task: TaskArg) -> None:
    """Archive a task: hidden for new entries, existing entries keep it."""
    _set_active(task, active=False)


@app.command("restore")
def restore(task: TaskArg) -> None:
    """Restore an archived task."""
    _set_active(task, active=True)


def _set_active(ref: str, *, active: bool) -> None:
    from keito_core.services.directory.tasks import archive_task, restore_task

    state = cli_state()
    action = restore_task if active else archive_task
    with state.acting() as (session, actor):
        data = _task_data(action(session, actor=actor, ref=ref, now=state.runtime.clock()), actor)
    state.output.message(f"{'Restored' if active else 'Archived'} task {data['name']}", data=data)
