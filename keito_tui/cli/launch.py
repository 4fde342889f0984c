"""The `keito` program: the app, `keito time status` by a lean path when it can, else the CLI.

Starting the full command line costs about half a second (Typer, then SQLAlchemy, SQLModel and
the table classes for any command that touches the database). `keito time status`, which agents
poll and shell prompts call on every command, is answered here with the standard library
(keito_core.fastpath.status), as JSON, IDs or the text people read, when nothing needs the full
path; otherwise, and for every other command, the full CLI runs. This module must import
neither Typer, Rich nor the ORM.
"""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from keito_tui.cli.output import GLOBAL_FLAGS, Output, hours_text


def run() -> None:
    """Console-script entry point."""
    if not sys.argv[1:] and sys.stdin.isatty() and sys.stdout.isatty():
        # `keito` alone on a terminal: the full-screen app, without building the command line.
        from keito_tui.app.main import run_app

        run_app()
        return
    code = quick_time_status(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from keito_tui.cli.main import run as run_cli

    run_cli()


def quick_time_status(argv: list[str]) -> int | None:
    """Print `keito time status` and return its exit code; None when the full CLI must run.

    Handled: exactly `time status` with global flags, printing JSON, IDs or text, in the
    cases keito_core.fastpath.status answers.
    """
    if [arg for arg in argv if arg not in GLOBAL_FLAGS] != ["time", "status"]:
        return None
    flags = {GLOBAL_FLAGS[arg] for arg in argv if arg in GLOBAL_FLAGS}
    out = Output.detect(json_flag="json" in flags, quiet="quiet" in flags)
    try:
        from keito_core.fastpath.status import running_timer_view
        from keito_core.platform.runtime import make_runtime

        runtime = make_runtime()
        now = runtime.clock()
        view = running_timer_view(runtime, now=now)
    except Exception:  # NotHandled, or anything unexpected: the full CLI decides and reports
        return None
    show_status(out, view, now=now)
    return 0


def show_status(out: Output, view: dict[str, Any] | None, *, now: datetime) -> None:
    """`keito time status` as both paths print it: JSON, the entry's ID, or text."""
    started_at = view["timer_started_at"] if view else None
    if view is None or started_at is None:
        out.message("No timer running", data={"running": False, "entry": None})
        return
    elapsed = (now - started_at).total_seconds() / 3600
    data = {"running": True, "elapsed_hours": round(elapsed, 4), "entry": view}
    if out.json or out.quiet:
        out.record({"id": view["id"], **data} if out.quiet else data)
        return
    out.stdout.write(
        f"⏱ Timer running: {hours_text(elapsed)}\n"
        f"  Project: {(view.get('project') or {}).get('name', '')}\n"
        f"  Task: {(view.get('task') or {}).get('name', '')}\n"
        f"  Started: {started_at.strftime('%Y-%m-%d %H:%M')}\n"
        + (f"  Notes: {view['notes']}\n" if view.get("notes") else "")
    )
