"""`keito time`: timers, logged time, and the list of entries."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keito_tui.cli.completion import complete_project, complete_task
from keito_tui.cli.state import cli_state
from keito_tui.cli.tracking import (
    AgentIdOpt,
    BillableOpt,
    CursorOpt,
    DateOpt,
    DayOpt,
    EveryoneOpt,
    FromOpt,
    LimitOpt,
    MetadataOpt,
    OnlyProjectOpt,
    OnlySourceOpt,
    OnlyUserOpt,
    SessionIdOpt,
    SourceOpt,
    ToOpt,
    UserOpt,
    entry_views,
    hours_text,
    list_scope,
    origin_for,
    page_extra,
    require,
    with_warnings,
)

app = typer.Typer(help="Start and stop timers, log time, and list entries.", no_args_is_help=True)

ProjectOpt = Annotated[
    str | None,
    typer.Option(
        help="Project handle, code, name or ID (default: KEITO_PROJECT).",
        autocompletion=complete_project,
    ),
]
TaskOpt = Annotated[
    str | None,
    typer.Option(
        help="Task handle, name or ID (default: KEITO_TASK).", autocompletion=complete_task
    ),
]
NotesOpt = Annotated[str | None, typer.Option(help="What the work was.")]
EntryArg = Annotated[str, typer.Argument(help="Time entry ID.")]

_COLUMNS = ["id", "spent_date", "project", "task", "hours", "notes", "source", "is_running"]
_PROJECT_HINT = "pass --project, set KEITO_PROJECT, or `keito config set defaults.project HANDLE`"


def _row(view: dict[str, Any]) -> dict[str, Any]:
    """A flat row for tables: names instead of nested objects."""
    return {
        **view,
        "project": (view.get("project") or {}).get("name"),
        "task": (view.get("task") or {}).get("name"),
        "hours": ("▶ " if view.get("is_running") else "") + hours_text(view["hours"]),
    }


def _describe(view: dict[str, Any]) -> str:
    where = (view.get("project") or {}).get("name", view["project_id"])
    task = (view.get("task") or {}).get("name")
    return f"{where} / {task}" if task else str(where)


@app.command("start")
def start(
    project: ProjectOpt = None,
    task: TaskOpt = None,
    notes: NotesOpt = None,
    billable: BillableOpt = None,
    source: SourceOpt = None,
    agent_id: AgentIdOpt = None,
    session_id: SessionIdOpt = None,
    metadata: MetadataOpt = None,
    user: UserOpt = None,
) -> None:
    """Start a timer; a timer already running is stopped and saved first."""
    from keito_core.services.tracking.time_entries import start_timer

    state = cli_state()
    origin = origin_for(
        state, source=source, agent_id=agent_id, session_id=session_id, metadata=metadata
    )
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        result = start_timer(
            session,
            actor=actor,
            project_ref=require(project or origin.defaults.project, "--project", _PROJECT_HINT),
            task_ref=task or origin.defaults.task,
            notes=notes,
            billable=billable,
            source=origin.context.source,
            meta=origin.context.meta,
            now=now,
            user_ref=user,
        )
        done = [result.entry] + ([result.stopped] if result.stopped else [])
        views = entry_views(session, actor, done, now=now)
    data = {**views[0], "stopped": views[1] if result.stopped else None}
    out = state.output
    if result.stopped and not out.json:
        out.warn(
            f"stopped the running timer on {_describe(views[1])} "
            f"({hours_text(views[1]['hours'])}) and saved it"
        )
    out.message(f"Timer started on {_describe(views[0])}", data=data)


@app.command("stop")
def stop(
    notes: Annotated[str | None, typer.Option(help="Add or replace the notes.")] = None,
    round_to: Annotated[
        str | None,
        typer.Option(
            "--round",
            help="Round to the nearest 5m, 6m, 10m, 15m or 30m (as the workspace's rounding "
            "does): halfway rounds up, and time under one increment becomes one. "
            "With 15m: 1m -> 15m, 22m -> 15m, 23m -> 30m, 52m -> 45m.",
        ),
    ] = None,
    discard: Annotated[
        bool, typer.Option("--discard", help="Delete the running entry instead of saving it.")
    ] = False,
    user: UserOpt = None,
) -> None:
    """Stop the running timer and save the entry (or discard it)."""
    from keito_core.rules.rounding import parse_increment
    from keito_core.services.tracking.time_entries import stop_timer

    state = cli_state()
    increment = parse_increment(round_to) if round_to is not None else None
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        entry = stop_timer(
            session,
            actor=actor,
            notes=notes,
            round_to=increment,
            discard=discard,
            now=now,
            user_ref=user,
        )
        view = entry_views(session, actor, [entry], now=now)[0]
    if discard:
        state.output.message(
            f"Discarded the timer on {_describe(view)}",
            data={**view, "is_running": False, "discarded": True},
        )
    else:
        state.output.message(f"Saved {hours_text(view['hours'])} on {_describe(view)}", data=view)


@app.command("status")
def status(user: UserOpt = None) -> None:
    """Show the running timer, if any."""
    from keito_core.services.tracking.time_entries import running_timer
    from keito_tui.cli.launch import show_status

    state = cli_state()
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        entry = running_timer(session, actor=actor, user_ref=user)
        view = entry_views(session, actor, [entry], now=now)[0] if entry else None
        started_at = entry.timer_started_at if entry else None
    show_status(state.output, view if started_at else None, now=now)


@app.command("log")
def log(
    project: ProjectOpt = None,
    task: TaskOpt = None,
    hours: Annotated[str | None, typer.Option(help="Duration: 1.5, 1:30, 90m or 1h30m.")] = None,
    start: Annotated[str | None, typer.Option(help="Start time, e.g. 09:00 or 11pm.")] = None,
    end: Annotated[
        str | None, typer.Option(help="End time; before the start means next day.")
    ] = None,
    date: DateOpt = None,
    notes: NotesOpt = None,
    billable: BillableOpt = None,
    source: SourceOpt = None,
    agent_id: AgentIdOpt = None,
    session_id: SessionIdOpt = None,
    metadata: MetadataOpt = None,
    user: UserOpt = None,
) -> None:
    """Log a completed block of time (a duration, or start and end times)."""
    from keito_core.services.tracking.time_entries import log_time

    state = cli_state()
    origin = origin_for(
        state, source=source, agent_id=agent_id, session_id=session_id, metadata=metadata
    )
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        entry = log_time(
            session,
            actor=actor,
            project_ref=require(project or origin.defaults.project, "--project", _PROJECT_HINT),
            task_ref=task or origin.defaults.task,
            duration=hours,
            start=start,
            end=end,
            spent_date=date,
            notes=notes,
            billable=billable,
            source=origin.context.source,
            meta=origin.context.meta,
            now=now,
            user_ref=user,
        )
        view = with_warnings(state, session, entry_views(session, actor, [entry], now=now)[0])
    state.output.message(f"Logged {hours_text(view['hours'])} on {_describe(view)}", data=view)


@app.command("list")
def list_(
    date: DayOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    project: OnlyProjectOpt = None,
    task: Annotated[str | None, typer.Option(help="Only this task.")] = None,
    source: OnlySourceOpt = None,
    user: OnlyUserOpt = None,
    running: Annotated[
        bool | None, typer.Option("--running/--stopped", help="Only running or stopped entries.")
    ] = None,
    everyone: EveryoneOpt = False,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
) -> None:
    """List your time entries (today's by default; --all or --user for others)."""
    from keito_core.services.tracking.time_entries import list_entries

    state = cli_state()
    date_from, date_to, user = list_scope(date, date_from, date_to, user, everyone)
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        page = list_entries(
            session,
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            project_ref=project,
            task_ref=task,
            user_ref=user,
            source=source,
            is_running=running,
            limit=limit,
            cursor=cursor,
            now=now,
        )
        views = entry_views(session, actor, page.items, now=now)
    state.output.listing(
        [_row(v) for v in views] if not state.output.json else views,
        columns=_COLUMNS,
        title="Time entries",
        extra=page_extra(page),
        optional=["source", "is_running"],
    )


@app.command("show")
def show(entry: EntryArg) -> None:
    """Show one time entry."""
    from keito_core.services.tracking.time_entries import get_entry

    state = cli_state()
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        found = get_entry(session, actor=actor, entry_id=entry)
        view = entry_views(session, actor, [found], now=now)[0]
    state.output.record(view, title=view["id"])


@app.command("edit")
def edit(
    entry: EntryArg,
    hours: Annotated[str | None, typer.Option(help="New duration: 1.5, 1:30, 90m.")] = None,
    start: Annotated[str | None, typer.Option(help="New start time.")] = None,
    end: Annotated[str | None, typer.Option(help="New end time.")] = None,
    date: Annotated[str | None, typer.Option(help="Move to this date.")] = None,
    task: Annotated[str | None, typer.Option(help="Move to this task of the project.")] = None,
    notes: Annotated[str | None, typer.Option(help="Replace the notes.")] = None,
    billable: BillableOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Change an unlocked time entry (its project and source never change)."""
    from keito_core.errors import validation
    from keito_core.rules.metadata import parse_metadata
    from keito_core.services.tracking.time_entries import edit_entry

    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("duration", hours),
            ("start", start),
            ("end", end),
            ("spent_date", date),
            ("task_ref", task),
            ("notes", notes),
            ("billable", billable),
        )
        if value is not None
    }
    if metadata is not None:
        changes["meta"] = parse_metadata(metadata)
    if not changes:
        raise validation(
            "nothing to change", hint="pass --hours, --start, --end, --date, --task, --notes, "
            "--billable or --metadata (see `keito time edit --help`)"
        )
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        updated = edit_entry(session, actor=actor, entry_id=entry, now=now, **changes)
        view = with_warnings(state, session, entry_views(session, actor, [updated], now=now)[0])
    state.output.message(f"Updated {view['id']}", data=view)


@app.command("delete")
def delete(
    entry: EntryArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a time entry."""
    import sys

    from keito_core.services.tracking.time_entries import delete_entry

    state = cli_state()
    if not yes and sys.stdin.isatty() and not state.output.json:
        typer.confirm(f"Delete time entry {entry}?", abort=True)
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        removed = delete_entry(session, actor=actor, entry_id=entry, now=now)
        view = entry_views(session, actor, [removed], now=now)[0]
    state.output.message(f"Deleted {view['id']}", data={**view, "deleted": True})


@app.command("restart")
def restart(
    entry: EntryArg,
    source: SourceOpt = None,
    agent_id: AgentIdOpt = None,
    session_id: SessionIdOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Start a new timer on an entry's project, task and notes."""
    from keito_core.services.tracking.time_entries import restart_entry

    state = cli_state()
    origin = origin_for(
        state, source=source, agent_id=agent_id, session_id=session_id, metadata=metadata
    )
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        result = restart_entry(
            session,
            actor=actor,
            entry_id=entry,
            source=origin.context.source,
            meta=origin.context.meta,
            now=now,
        )
        done = [result.entry] + ([result.stopped] if result.stopped else [])
        views = entry_views(session, actor, done, now=now)
    if result.stopped and not state.output.json:
        state.output.warn(f"stopped the running timer on {_describe(views[1])} and saved it")
    state.output.message(
        f"Timer started on {_describe(views[0])}",
        data={**views[0], "stopped": views[1] if result.stopped else None},
    )


@app.command("copy")
def copy(
    entry: EntryArg,
    date: Annotated[str | None, typer.Option(help="Date of the copy (default: today).")] = None,
    source: SourceOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Log a copy of an entry (same project, task, duration and notes)."""
    from keito_core.services.tracking.time_entries import copy_entry

    state = cli_state()
    origin = origin_for(state, source=source, agent_id=None, session_id=None, metadata=metadata)
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        copied = copy_entry(
            session,
            actor=actor,
            entry_id=entry,
            spent_date=date,
            source=origin.context.source,
            meta=origin.context.meta if metadata is not None else None,
            now=now,
        )
        view = with_warnings(state, session, entry_views(session, actor, [copied], now=now)[0])
    state.output.message(f"Copied to {view['id']} on {view['spent_date']}", data=view)


@app.command("unlock")
def unlock(
    entries: Annotated[list[str], typer.Argument(help="Time entry IDs (one or more).")],
) -> None:
    """Let approved, submitted or auto-locked entries be edited again (administrators)."""
    from keito_core.services.approvals.workflow import unlock_entry

    state = cli_state()
    with state.acting() as (session, actor):
        now = state.runtime.clock()
        done = [unlock_entry(session, actor=actor, entry_id=e, now=now) for e in entries]
        views = entry_views(session, actor, done, now=now)
    out = state.output
    if out.json or out.quiet:
        out.listing(views, columns=["id"])
        return
    out.message("Unlocked " + ", ".join(v["id"] for v in views))
