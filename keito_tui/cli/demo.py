"""`keito demo`: build a realistic workspace to explore Keito or to benchmark it."""

from __future__ import annotations

import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_core.errors import conflict, validation
from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

DATA_DIR = "data"


def _parse_entries(text: str) -> int:
    """A count such as `5000`, `5,000` or `1_000_000`."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned.isdigit():
        raise validation(f"entries must be a whole number, not {text!r}", field="entries")
    return int(cleaned)


def _runtime_at(home: Path, *, force: bool) -> Runtime:
    """A runtime whose database is HOME/data/keito.db, so that KEITO_HOME=HOME opens it."""
    from keito_core.platform.config import DATABASE_FILE, Settings
    from keito_core.platform.runtime import Runtime

    if home.exists() and not home.is_dir():
        raise validation(f"{home} is not a directory", field="path")
    database = home / DATA_DIR / DATABASE_FILE
    if database.exists():
        if not force:
            raise conflict(f"{database} already exists", field="path",
                           hint="use --force to replace it, or choose another --path")
        for suffix in ("", "-wal", "-shm", "-journal"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)
    return Runtime(settings=Settings(config_dir=home, data_dir=home / DATA_DIR,
                                     database_url=f"sqlite:///{database}"))


def _progress_printer() -> Any:
    """Progress on stderr, only for people watching a terminal."""
    state = cli_state()
    if state.output.json or state.output.quiet or not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        sys.stderr.write(f"\r  {done:,} / {total:,} time entries")
        sys.stderr.flush()

    return show


def demo(
    entries: Annotated[
        str | None, typer.Option(metavar="N", help="Time entries to generate (default 5,000).")
    ] = None,
    path: Annotated[
        Path | None,
        typer.Option(metavar="DIR",
                     help="Build in this directory (DIR/data/keito.db), used as KEITO_HOME=DIR; "
                          "default: the configured database, which must be empty."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing demo database at --path.")
    ] = False,
    seed: Annotated[
        int, typer.Option(metavar="N",
                          help="Random seed: the same seed builds the same workspace.")
    ] = 2024,
) -> None:
    """Build a demo workspace: clients, projects, people and agents, months of tracked work."""
    from keito_core.demo.build import DEFAULT_ENTRIES, build_demo

    state = cli_state()
    count = DEFAULT_ENTRIES if entries is None else _parse_entries(entries)
    if force and path is None:
        raise validation("--force only replaces a demo built with --path", field="force",
                         hint="the configured database is never replaced")
    home = path.expanduser().resolve() if path is not None else None
    runtime = _runtime_at(home, force=force) if home is not None else state.runtime
    started = time.perf_counter()
    progress = _progress_printer()
    try:
        with runtime.session(create=True) as session:
            summary = build_demo(session, entries=count, seed=seed, now=runtime.clock(),
                                 progress=progress)
    except BaseException:
        if home is not None:
            runtime.close()
            _runtime_at(home, force=True)  # leave no half-built demo behind
        raise
    finally:
        if progress:
            sys.stderr.write("\n")
    if home is not None:
        runtime.close()
    seconds = time.perf_counter() - started
    use = f"KEITO_HOME={shlex.quote(str(home))} keito" if home is not None else "keito"
    counts = summary.counts
    data = {
        "workspace": {"id": summary.workspace_id, "name": summary.company},
        "admin": summary.admin_email,
        "path": str(home) if home is not None else None,
        "database_url": runtime.settings.display_url,
        "period": {"from": summary.first_day, "to": summary.last_day},
        "counts": counts,
        "seed": seed,
        "seconds": round(seconds, 2),
        "use": use,
    }
    out = state.output
    if out.json or out.quiet:
        out.record({"id": summary.workspace_id, **data} if out.quiet else data)
        return
    out.record(
        {
            "database": runtime.settings.sqlite_path or runtime.settings.display_url,
            "period": f"{summary.first_day} to {summary.last_day}",
            "people": f"{counts['users']} ({counts['humans']} humans, "
                      f"{counts['agents']} agents)",
            "clients": f"{counts['clients']} with {counts['projects']} projects",
            "time entries": f"{counts['time_entries']:,}",
            "expenses": f"{counts['expenses']:,}",
            "submissions": f"{counts['submissions']:,}",
            "invoices": f"{counts['invoices']} ({counts['payments']} paid)",
            "use it": f"{use} settings list",
        },
        message=f"Built the demo workspace {summary.company} in {seconds:.1f} s",
    )


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)

