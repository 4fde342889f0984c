"""`keito init`: create the workspace and its first administrator."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.state import CliState, cli_state


def detect_timezone() -> str:
    """The machine's IANA timezone, or UTC when it cannot be told."""
    try:
        from tzlocal import get_localzone_name

        name = get_localzone_name() or "UTC"
        return "UTC" if name in ("Etc/UTC", "Etc/Universal", "Etc/Zulu", "UCT") else name
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


def _ask(label: str, default: str | None, check: Callable[[str], object] | None = None) -> str:
    """An answer, asked again until `check` accepts it (its error said at once, not after
    every other question)."""
    while True:
        answer = str(typer.prompt(label, default=default)).strip()
        if check is None:
            return answer
        try:
            check(answer)
        except KeitoError as error:
            typer.secho(f"  {error.message}" + (f" ({error.hint})" if error.hint else ""),
                        fg="red", err=True)
            continue
        return answer


def _week_day(text: str) -> None:
    from keito_core.enums import WeekDay

    if text.lower() not in {day.value for day in WeekDay}:
        raise KeitoError("validation_error", f"not a day of the week: {text!r}",
                         hint="monday ... sunday")


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
        from keito_core.rules.money import validate_currency
        from keito_core.rules.periods import parse_timezone
        from keito_core.rules.text import validate_email, validate_name

        company = company or _ask("Company name", None, validate_name)
        currency = currency or _ask("Currency (ISO 4217)", "USD", validate_currency)
        timezone = timezone or _ask("Timezone", detect_timezone(), parse_timezone)
        week_start = week_start or _ask("Week starts on", "monday", _week_day)
        name = name or _ask("Your name", login, validate_name)
        email = email or _ask("Your email", f"{login}@example.com", validate_email)
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
