"""`keito export KIND`: time entries, expenses, projects, invoices, clients or the team as CSV
(to stdout or a file) or XLSX (to a file), streamed; and `write_table`, which writes any
report's columns and rows the same way.

openpyxl, rich and the export queries load inside the command, so other commands start
without them.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.reports.analysis.result import Column

FORMATS = ("csv", "xlsx")
KINDS = ("time", "expenses", "projects", "invoices", "clients", "team")

KindArg = Annotated[str, typer.Argument(
    help="What to export: time, expenses, projects, invoices, clients or team.",
    show_default=False)]
FormatOpt = Annotated[str, typer.Option("--format", "-f", help="csv or xlsx.")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="File to write (CSV goes to stdout without it; XLSX needs it).")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")]
FromOpt = Annotated[str | None, typer.Option(
    "--from", help="First day (time, expenses: spent; invoices: issued).")]
ToOpt = Annotated[str | None, typer.Option("--to", help="Last day.")]
ClientOpt = Annotated[list[str] | None, typer.Option(
    "--client", help="Only this client (repeat for several).")]
ProjectOpt = Annotated[list[str] | None, typer.Option(
    "--project", help="Only this project: ID, code, handle or name (repeatable).")]
PersonOpt = Annotated[list[str] | None, typer.Option(
    "--person", help="Only this team member: ID, email or name (repeatable).")]
CategoryOpt = Annotated[list[str] | None, typer.Option(
    "--category", help="Only this expense category (repeatable).")]
BillableOpt = Annotated[bool | None, typer.Option(
    "--billable/--non-billable", help="Only billable, or only non-billable, entries.",
    show_default=False)]
ApprovalOpt = Annotated[list[str] | None, typer.Option(
    "--approval", help="unsubmitted, submitted, approved or rejected (repeatable).")]
StateOpt = Annotated[list[str] | None, typer.Option(
    "--state", help="Invoices: draft, open, paid or closed (repeatable).")]
StatusOpt = Annotated[str | None, typer.Option(
    "--status", help="Projects, clients, team: active, archived or all (default all).")]
BudgetedOpt = Annotated[bool, typer.Option("--budgeted", help="Projects with a budget only.")]


def register(app: typer.Typer) -> None:
    app.command("export")(export)


def export(
    kind: KindArg,
    fmt: FormatOpt = "csv",
    output: OutputOpt = None,
    force: ForceOpt = False,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    client: ClientOpt = None,
    project: ProjectOpt = None,
    person: PersonOpt = None,
    category: CategoryOpt = None,
    billable: BillableOpt = None,
    approval: ApprovalOpt = None,
    state_: StateOpt = None,
    status: StatusOpt = None,
    budgeted: BudgetedOpt = False,
) -> None:
    """Export time entries, expenses, projects, invoices, clients or the team as CSV or XLSX.

    Exports hold only what you may see; rates and amounts only if you may see rates. Rows
    stream, so any size works; CSV goes to stdout unless --output names a file.
    """
    from keito_core.errors import validation
    from keito_core.platform.identity import get_workspace
    from keito_core.reports.exports import ExportFilter, export_data
    from keito_core.rules.periods import parse_date

    fmt = fmt.strip().lower()
    if kind not in KINDS:
        raise validation(f"unknown export {kind!r}", field="kind",
                         hint="choose one of " + ", ".join(KINDS))
    check_format(fmt, output)
    target = _target(output, force)
    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        today = state.runtime.today(get_workspace(session).timezone)
        chosen = ExportFilter(
            date_from=parse_date(date_from, today=today, field="from") if date_from else None,
            date_to=parse_date(date_to, today=today, field="to") if date_to else None,
            clients=tuple(client or ()), projects=tuple(project or ()),
            people=tuple(person or ()), categories=tuple(category or ()),
            billable=billable, approval=tuple(a.strip().lower() for a in approval or ()),
            states=tuple(s.strip().lower() for s in state_ or ()),
            status=status.strip().lower() if status else None, budgeted=budgeted)
        found = export_data(session, actor=actor, kind=kind, chosen=chosen, today=today)
        with _progress(found.count, f"Exporting {kind}") as on_row:
            rows = write_table(found.columns, found.rows, fmt=fmt, output=target,
                               on_row=on_row, title=kind.capitalize())
    if target is not None:
        _summary(kind, fmt, target, rows)


def check_format(fmt: str, output: Path | None) -> None:
    """A validation_error for an unknown format, or XLSX without a file to write."""
    from keito_core.errors import validation

    if fmt not in FORMATS:
        raise validation(f"unknown format {fmt!r}", field="format", hint="use csv or xlsx")
    if fmt == "xlsx" and output is None:
        raise validation("an XLSX export needs a file to write", field="output",
                         hint="add --output FILE.xlsx (CSV can go to stdout)")


def _target(output: Path | None, force: bool) -> Path | None:
    """The file to write (None: stdout); an existing one is refused unless `force`."""
    from keito_core.errors import conflict, validation

    if output is None or str(output) == "-":
        return None
    if output.is_dir():
        raise validation(f"{output} is a directory", field="output",
                         hint="name the file to write, e.g. --output time.csv")
    if output.exists() and not force:
        raise conflict(f"{output} already exists", field="output",
                       hint="pass --force to replace it, or --output to write elsewhere")
    return output


def write_table(columns: Sequence[Column], rows: Iterable[Mapping[str, Any]], *, fmt: str,
                output: Path | str | None, totals: bool | Sequence[Mapping[str, Any]] = True,
                on_row: Callable[[int], None] | None = None, title: str = "Export") -> int:
    """Write typed `columns` and `rows` (dicts by column key, read once) as `fmt` (csv or
    xlsx) to `output`, or CSV to stdout when `output` is None; the number of rows written.

    A file is written beside its final name and moved into place when complete, owner-only
    (0600), so an interrupted export leaves nothing under the final name. XLSX ends with
    `totals` (True: summed while streaming, per currency; or the rows given, e.g. a
    report's SQL totals; False: none). For a report: `write_table(result.visible_columns,
    result.rows, fmt=..., output=..., totals=result.totals)`.
    """
    from keito_core.io.tabular import write_csv, write_xlsx

    check_format(fmt, None if output is None else Path(output))
    if output is None:
        return write_csv(cli_state().output.stdout, columns, rows, on_row=on_row)
    target = Path(output)
    from keito_core.platform.private_files import PRIVATE_FILE, private_dir, tighten

    if not target.parent.exists():
        private_dir(target.parent)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        if fmt == "csv":
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                count = write_csv(handle, columns, rows, on_row=on_row)
        else:
            with os.fdopen(fd, "wb") as binary:
                count = write_xlsx(binary, columns, rows, totals=totals, on_row=on_row,
                                   title=title)
        tighten(temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return count


@contextlib.contextmanager
def _progress(total: int, label: str) -> Any:
    """A progress bar on stderr when it is a terminal (the on_row callback), else None."""
    if not sys.stderr.isatty() or cli_state().output.quiet:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def _summary(kind: str, fmt: str, path: Path, rows: int) -> None:
    out = cli_state().output
    data = {"path": str(path.resolve()), "rows": rows, "format": fmt, "kind": kind}
    if out.quiet:
        return
    if out.json:
        out.message("", data=data)
        return
    out.stderr.write(f"✓ Exported {rows:,} {kind} rows to {path}\n")
