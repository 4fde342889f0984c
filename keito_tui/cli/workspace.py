"""`keito init`: create the workspace and its first administrator."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.state import CliState, cli_state


def detect_timezone() -> str:
    """The machine's IANA timezone, or UTC when it cannot be told."""
    try:
        from tzlocal import get_localzone_name

        return get_localzone_name() or "UTC"
    except Exception:
        return "UTC"


def _has_workspace(state: CliState) -> bool:
    """Whether the configured database already holds a workspace (a missing or unreadable
    one does not: init then creates it, or reports why it cannot)."""
    from keito_core.reports.workspace import has_workspace

    try:
        with state.runtime.session(readonly=True) as session:
            return has_workspace(session)
    except Exception:  # unreadable for any reason: init goes on and reports what it meets
        return False


def _ask(label: str, default: str | None) -> str:
    return typer.prompt(label, default=default)


def init(
    company: Annotated[str | None, typer.Option(help="Company name.")] = None,
    currency: Annotated[
        str | None, typer.Option(help="Base currency, an ISO 4217 code such as GBP.")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="IANA timezone such as Europe/London (detected on a terminal)."),
    ] = None,
    week_start: Annotated[
        str | None, typer.Option(help="First day of the week: monday ... sunday.")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Your name: the first administrator (default: your login).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Your email address.")] = None,
) -> None:
    """Create the workspace and its first administrator (asks on a terminal)."""
    from keito_core import presenters as public
    from keito_core.platform.identity import actor_for
    from keito_core.services.workspace.setup import init_workspace

    state = cli_state()
    interactive = sys.stdin.isatty() and not state.output.json
    login = getpass.getuser()
    if interactive and _has_workspace(state):
        # Refuse before asking anything (init_workspace refuses too, for scripts and races).
        raise KeitoError("conflict", "this database already has a workspace",
                         hint="see `keito settings list`; `keito demo --path DIR` builds "
                              "another one elsewhere")
    if interactive:
        company = company or _ask("Company name", None)
        currency = currency or _ask("Currency (ISO 4217)", "USD")
        timezone = timezone or _ask("Timezone", detect_timezone())
        week_start = week_start or _ask("Week starts on", "monday")
        name = name or _ask("Your name", login)
        email = email or _ask("Your email", f"{login}@example.com")
    missing = [
        flag
        for flag, value in (
            ("--company", company),
            ("--currency", currency),
            ("--timezone", timezone),
        )
        if not value
    ]
    if missing:
        raise KeitoError(
            "validation_error",
            "missing " + ", ".join(missing),
            field=missing[0].lstrip("-"),
            hint="keito init --company NAME --currency CODE --timezone TZ",
        )
    with state.runtime.session(create=True) as session:
        ws, admin = init_workspace(
            session,
            company=company or "",
            currency=currency or "",
            timezone=timezone or "",
            week_start=week_start or "monday",
            admin_name=name or login,
            admin_email=email or f"{login}@example.com",
            now=state.runtime.clock(),
        )
        viewer = actor_for(session, admin)
        data = {
            "workspace": public.workspace(ws, viewer=viewer),
            "user": public.user(admin, viewer=viewer),
            "database": state.runtime.settings.display_url,
        }
    out = state.output
    if out.json or out.quiet:
        out.record({"id": ws.id, **data} if out.quiet else data)
    else:
        out.message(f"Created workspace {ws.name} ({ws.currency}, {ws.timezone})")
        out.message(f"You are {admin.name} <{admin.email}>, administrator")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
