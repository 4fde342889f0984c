"""What the time and expense commands share: defaults, origin (agent mode) and rendering."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.output import hours_text as hours_text  # re-exported for the commands
from keito_tui.cli.state import CliState

if TYPE_CHECKING:
    from datetime import datetime

    from sqlmodel import Session

    from keito_core.platform.cli_config import Defaults
    from keito_core.rules.agent_mode import AgentContext
    from keito_core.rules.permissions import Actor

SourceOpt = Annotated[
    str | None, typer.Option(help="Source of the record: cli, agent, api, tui or web.")
]
AgentIdOpt = Annotated[
    str | None, typer.Option("--agent-id", help="Agent identifier (sets source to agent).")
]
SessionIdOpt = Annotated[
    str | None, typer.Option("--session-id", help="Session UUID correlating time and expenses.")
]
MetadataOpt = Annotated[
    str | None, typer.Option(help="A JSON object stored with the record (at most 4 KB).")
]
UserOpt = Annotated[
    str | None, typer.Option("--user", help="Act for this user (managers and administrators).")
]
BillableOpt = Annotated[
    bool | None,
    typer.Option("--billable/--no-billable", help="Billable or not (default from task/project)."),
]
DateOpt = Annotated[
    str | None, typer.Option(help="Date: YYYY-MM-DD, today, yesterday, a weekday (default today).")
]
LimitOpt = Annotated[int, typer.Option(help="Results per page (1-200).")]
DayOpt = Annotated[str | None, typer.Option("--date", help="One day (default: today).")]
FromOpt = Annotated[str | None, typer.Option("--from", help="First day.")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day.")]
OnlyProjectOpt = Annotated[str | None, typer.Option("--project", help="Only this project.")]
OnlySourceOpt = Annotated[
    str | None, typer.Option("--source", help="Only this source (agent, cli ...).")
]
OnlyUserOpt = Annotated[
    str | None, typer.Option("--user", help="Only this user (managers, admins).")
]
EveryoneOpt = Annotated[
    bool, typer.Option("--all", help="Everyone you may see, not just you (managers, admins).")
]
CursorOpt = Annotated[str | None, typer.Option(help="Continue from a previous page's next_cursor.")]


@dataclass
class Origin:
    defaults: Defaults
    context: AgentContext


def defaults_for(state: CliState) -> Defaults:
    """Project, task, source and agent defaults: env > .keito.toml > config file > none."""
    from keito_core.platform.cli_config import resolve_defaults

    return resolve_defaults(
        env=os.environ, cwd=Path.cwd(), config_file=state.runtime.settings.config_file
    )


def origin_for(
    state: CliState,
    *,
    source: str | None,
    agent_id: str | None,
    session_id: str | None,
    metadata: str | None,
) -> Origin:
    """Where a new record comes from: flags, then agent environment variables, then config."""
    from keito_core.enums import Source
    from keito_core.rules.agent_mode import resolve_origin
    from keito_core.rules.metadata import parse_metadata

    defaults = defaults_for(state)
    context = resolve_origin(
        os.environ,
        # A configured source is a default, not a flag: agent detection still wins over it.
        default_source=Source(defaults.source) if defaults.source else Source.CLI,
        source_flag=source,
        agent_id=agent_id,
        session_id=session_id,
        config_agent_id=defaults.agent_id,
        metadata=parse_metadata(metadata) if metadata is not None else None,
    )
    return Origin(defaults=defaults, context=context)


def list_scope(
    day: str | None, date_from: str | None, date_to: str | None, user: str | None, everyone: bool
) -> tuple[str | None, str | None, str | None]:
    """The dates and user a list covers: today and yourself unless told otherwise."""
    if day is not None or (date_from is None and date_to is None):
        date_from = date_to = day or "today"
    if user is None and not everyone:
        user = "me"
    return date_from, date_to, user


def require(value: str | None, flag: str, hint: str) -> str:
    if not value:
        raise KeitoError(
            "validation_error", f"{flag} is required", field=flag.lstrip("-"), hint=hint
        )
    return value


def with_warnings(state: CliState, session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """`data` with the warnings the service left (a future date), each also said on stderr,
    and `budget` when the save left its project over budget (see docs/budgets.md)."""
    from keito_core.platform.notices import take_budget, take_warnings

    warnings = take_warnings(session)
    for text in warnings:
        state.output.warn(text)
    budget = take_budget(session)
    if budget is not None:
        state.output.warn(budget["message"])
        data = {**data, "budget": budget}
    return {**data, "warnings": warnings} if warnings else data


def page_extra(page: Any) -> dict[str, Any]:
    return {"next_cursor": page.next_cursor, "has_more": page.has_more}


def entry_views(
    session: Session, actor: Actor, entries: list[Any], *, now: datetime
) -> list[dict[str, Any]]:
    """Public dicts of time entries as `actor` sees them, with their names, locked at `now`."""
    from keito_core.reports.record_views import time_entry_views

    return time_entry_views(session, viewer=actor, entries=entries, now=now)


def expense_views(
    session: Session, actor: Actor, expenses: list[Any], *, now: datetime
) -> list[dict[str, Any]]:
    """Public dicts of expenses as `actor` sees them, with their names, locked at `now`."""
    from keito_core.reports.record_views import expense_views as views

    return views(session, viewer=actor, expenses=expenses, now=now)
