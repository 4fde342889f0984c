"""`keito report`: time, expenses, budget, utilization, agents and uninvoiced reports, saved
reports, and any report written to CSV or XLSX. Tables on a terminal, JSON when piped.

Every report is computed once by keito_core.reports.analysis (SQL aggregation over what the
acting user may see); this module parses the flags, calls it and renders the result.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.reports.analysis import ReportQuery, ReportResult

app = typer.Typer(no_args_is_help=True,
                  help="Reports: where the hours and the money went. Tables on a terminal, "
                       "JSON when piped; --save NAME keeps the filters, `report run NAME` "
                       "runs them again; --output FILE writes CSV or XLSX.")

Many = list[str] | None
GroupBy = Annotated[str | None, typer.Option("--group-by", "-g", help="First grouping.")]
ThenBy = Annotated[str | None, typer.Option("--then-by", help="Second grouping level.")]
Period = Annotated[str | None, typer.Option(
    "--period", "-p", help="this_week, last_week, this_month, last_month, this_quarter, "
    "last_quarter, this_year or last_year (default: this week).")]
From = Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD, today, -7 ...).")]
To = Annotated[str | None, typer.Option("--to", help="Last day.")]
Clients = Annotated[Many, typer.Option("--client", help="Only these clients (repeat).")]
Projects = Annotated[Many, typer.Option("--project", help="Only these projects (repeat).")]
Tasks = Annotated[Many, typer.Option("--task", help="Only these tasks (repeat).")]
People = Annotated[Many, typer.Option("--person", "--user", help="Only these people (repeat).")]
Roles = Annotated[Many, typer.Option("--role", help="Only people with these business roles.")]
Sources = Annotated[Many, typer.Option("--source", help="tui, web, cli, api or agent (repeat).")]
Categories = Annotated[Many, typer.Option("--category", help="Only these categories (repeat).")]
Billable = Annotated[bool | None, typer.Option("--billable/--non-billable",
                                               help="Only billable, or only non-billable.")]
Invoiced = Annotated[bool | None, typer.Option("--invoiced/--uninvoiced",
                                               help="Only invoiced, or only not invoiced.")]
Approval = Annotated[Many, typer.Option(
    "--approval", help="unsubmitted, submitted, approved or rejected (repeat).")]
Save = Annotated[str | None, typer.Option("--save", help="Save these filters under NAME.")]
Shared = Annotated[bool, typer.Option("--shared", help="With --save: share with the team.")]
Output = Annotated[str | None, typer.Option("--output", "-o",
                                            help="Write the report to FILE (CSV or XLSX).")]
Format = Annotated[str | None, typer.Option(
    "--format", "-f", help="csv or xlsx (default: from --output's extension, else csv).")]
Limit = Annotated[int | None, typer.Option("--limit", help="Detailed: at most N rows shown "
                                                           "(totals count them all).")]


def _dates(session: Any, state: Any, date_from: str | None, date_to: str | None) -> tuple[Any, Any]:
    from keito_core.platform.identity import get_workspace
    from keito_core.rules.periods import parse_date

    today = state.runtime.today(get_workspace(session).timezone)
    return (parse_date(date_from, today=today, field="from") if date_from else None,
            parse_date(date_to, today=today, field="to") if date_to else None)


def _run(query_values: dict[str, Any], *, date_from: str | None = None,
         date_to: str | None = None, save: str | None = None, shared: bool = False,
         output: str | None = None, fmt: str | None = None, limit: int | None = None,
         month: str | None = None) -> None:
    """Build the query, run it (saving it first when asked) and render it."""
    from keito_core.reports.analysis import ReportQuery, run_report

    state = cli_state()
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v)
                              for k, v in query_values.items() if v not in (None, [], ())}
    with state.acting(readonly=save is None) as (session, actor):
        start, end = _dates(session, state, date_from, date_to)
        if month:
            start, end = _month(month)
        query = ReportQuery(**values, date_from=start, date_to=end)
        now = state.runtime.clock()
        if save:
            from keito_core.services.reporting.saved_reports import save_report

            save_report(session, actor=actor, name=save, query=query, shared=shared, now=now)
        result = run_report(session, actor=actor, query=query, now=now,
                            limit=None if output else limit)
        seps = _separators(session)
    _render(result, query, seps, output=output, fmt=fmt, saved=save)


def _month(text: str) -> tuple[Any, Any]:
    from datetime import date

    from keito_core.errors import validation
    from keito_core.rules.periods import month_bounds

    try:
        year, month = (int(part) for part in text.strip().split("-"))
        return month_bounds(date(year, month, 1))
    except ValueError:
        raise validation(f"not a month: {text!r}", field="month", hint="e.g. 2026-11") from None


def _separators(session: Any) -> tuple[str, str]:
    from keito_core.platform.identity import get_workspace

    workspace = get_workspace(session)
    return workspace.decimal_separator, workspace.thousands_separator


def public_row(row: dict[str, Any], result: ReportResult) -> dict[str, Any]:
    """A row as JSON shows it: the visible columns only (no private `_` keys)."""
    return {c.key: row.get(c.key) for c in result.visible_columns}


def _text(value: Any, kind: str, currency: str | None, seps: tuple[str, str]) -> str:
    from decimal import Decimal

    from keito_core.rules.money import format_number, is_currency, minor_units

    if value is None:
        return ""
    if kind == "hours":
        return format_number(Decimal(value), 2, *seps)
    if kind == "money":
        places = minor_units(currency) if currency and is_currency(currency) else 2
        return format_number(Decimal(value), places, *seps)
    if kind == "percent":
        return format_number(Decimal(value), 1, *seps) + "%"
    if kind == "bool":
        return "yes" if value else "no"
    return str(value)


def _render(result: ReportResult, query: ReportQuery, seps: tuple[str, str], *,
            output: str | None, fmt: str | None, saved: str | None) -> None:
    state = cli_state()
    out = state.output
    if output is not None or fmt is not None:
        from keito_tui.cli.export import write_table

        chosen = fmt or ("xlsx" if (output or "").lower().endswith(".xlsx") else "csv")
        count = write_table(result.visible_columns, result.rows, fmt=chosen.lower(),
                            output=output, totals=result.totals, title=result.title)
        if output is not None:
            out.message(f"Wrote {count:,} rows of {result.title.lower()} to {output}.",
                        data={"path": output, "rows": count, "format": chosen.lower(),
                              "report": result.kind})
        return
    columns = result.visible_columns
    if out.json or out.quiet:
        payload: dict[str, Any] = {
            "report": result.kind, "title": result.title,
            "from": result.date_from, "to": result.date_to,
            "query": query.check().describe(),
            "columns": [{"key": c.key, "title": c.title, "type": c.kind} for c in columns],
            "data": [public_row(row, result) for row in result.rows],
            "totals": [{k: v for k, v in total.items() if k not in result.hidden}
                       for total in result.totals]}
        if saved:
            payload["saved"] = saved
        if result.ignored:
            payload["ignored_filters"] = list(result.ignored)
        if out.quiet:
            for row in result.rows:
                out.stdout.write(f"{row.get('id') or ''}\n")
            return
        out._emit_json(payload)
        return
    _table(result, seps, out)
    if result.ignored:
        out.stderr.write(f"note: the {result.kind} report does not use "
                         + ", ".join(_FLAG_OF.get(n, n) for n in result.ignored) + "\n")
    if saved:
        out.stdout.write(f"Saved as {saved!r}: `keito report run {saved!r}` runs it again.\n")


#: The command-line flag of each filter, for notes that name them.
_FLAG_OF = {"clients": "--client", "projects": "--project", "tasks": "--task",
            "people": "--person", "roles": "--role", "categories": "--category",
            "sources": "--source", "billable": "--billable", "invoiced": "--invoiced",
            "approval": "--approval", "budget_status": "--status"}

#: Columns of detailed reports a narrow terminal does without first, in this order.
_DROP_FIRST = ("id", "source", "approval", "hourly_rate", "invoice", "receipt", "billable",
               "kind", "period_label", "monthly", "client", "task", "budget_by")


def _fitting(result: ReportResult, cells: list[list[str]], width: int) -> list[int]:
    """The indexes of the columns shown at `width`: every one when they fit, else figures are
    left out from the right (the first hours and the first amount always stay) and long text
    (names, notes) may wrap down to a floor."""
    columns = result.visible_columns
    natural = [max([len(c.title), *(len(line[i]) for line in cells)])
               for i, c in enumerate(columns)]
    floors = [n if c.kind not in ("text",) else min(n, 16 if c.key == "notes" else 14)
              for c, n in zip(columns, natural, strict=True)]
    kept = list(range(len(columns)))
    numeric = [i for i, c in enumerate(columns) if c.kind in ("hours", "money", "percent")]
    anchors = {next((i for i in numeric
                     if columns[i].kind == kind and columns[i].key not in _DROP_FIRST), -1)
               for kind in ("hours", "money")}
    first = [i for key in _DROP_FIRST for i, c in enumerate(columns) if c.key == key]
    droppable = [i for i in numeric if i not in anchors] + first[::-1]
    for i in range(len(columns)):  # columns with nothing to show go before any other
        if all(not line[i] for line in cells[:len(result.rows)]):
            droppable.append(i)
    while sum(floors[i] for i in kept) + 3 * len(kept) + 1 > width and droppable:
        kept.remove(droppable.pop())
    return kept


def _table(result: ReportResult, seps: tuple[str, str], out: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=out.stdout)
    period = (f"{result.date_from} to {result.date_to}" if result.date_from and result.date_to
              else "all dates")
    if not result.rows:
        console.print(f"[dim]{result.title}: nothing in {period}.[/]")
        return
    columns = result.visible_columns
    cells = [[_text(row.get(c.key), c.kind, row.get("currency"), seps) for c in columns]
             for row in result.rows]
    total_cells = []
    for total in result.totals:
        line = []
        for n, column in enumerate(columns):
            if column.key == "currency":
                line.append(total.get("currency") or "")
            elif column.key in total and total.get(column.key) is not None:
                line.append(_text(total[column.key], column.kind, total.get("currency"), seps))
            else:
                line.append("Total" if n == 0 else "")
        total_cells.append(line)
    kept = _fitting(result, cells + total_cells, console.width)
    left_out = [columns[i].title for i in range(len(columns)) if i not in kept]
    caption = (f"Left out to fit: {', '.join(left_out)} (a wider terminal, --json or "
               "--output shows every column)") if left_out else None
    table = Table(title=f"{result.title} ({period})", title_justify="left", caption=caption,
                  caption_justify="left")
    numeric = {"hours", "money", "percent", "number"}
    for i in kept:
        column = columns[i]
        table.add_column(column.title, justify="right" if column.kind in numeric else "left",
                         no_wrap=column.kind in numeric | {"date", "bool"},
                         min_width=min(len(column.title), 12) if column.kind == "text" else None)
    for line in cells:
        table.add_row(*[line[i] for i in kept])
    if total_cells:
        table.add_section()
        for line in total_cells:
            if line[kept[0]] == "":
                line[kept[0]] = "Total"
            table.add_row(*[line[i] for i in kept], style="bold")
    console.print(table)


@app.command("time")
def time_report(group_by: GroupBy = None, then_by: ThenBy = None,
                detailed: Annotated[bool, typer.Option("--detailed", "-d",
                                                       help="Every entry.")] = False,
                period: Period = None, date_from: From = None, date_to: To = None,
                client: Clients = None, project: Projects = None, task: Tasks = None,
                person: People = None, role: Roles = None, source: Sources = None,
                billable: Billable = None, invoiced: Invoiced = None,
                approval: Approval = None, save: Save = None, shared: Shared = False,
                output: Output = None, fmt: Format = None, limit: Limit = None) -> None:
    """Hours and money by client, project, task, person, source or role (--group-by, then
    --then-by), or every entry (--detailed): total, billable and non-billable hours, billable
    and uninvoiced amounts, cost and margin (amounts only for those who may see rates)."""
    _run(dict(kind="time", group_by=group_by, then_by=then_by, detailed=detailed,
              period=period, clients=client, projects=project, tasks=task, people=person,
              roles=role, sources=source, billable=billable, invoiced=invoiced,
              approval=approval), date_from=date_from, date_to=date_to, save=save,
              shared=shared, output=output, fmt=fmt, limit=limit)


@app.command("expenses")
def expenses_report(group_by: GroupBy = None, then_by: ThenBy = None,
                    detailed: Annotated[bool, typer.Option(
                        "--detailed", "-d", help="Every expense.")] = False,
                    period: Period = None, date_from: From = None, date_to: To = None,
                    client: Clients = None, project: Projects = None,
                    category: Categories = None, person: People = None, role: Roles = None,
                    source: Sources = None, billable: Billable = None,
                    invoiced: Invoiced = None, approval: Approval = None, save: Save = None,
                    shared: Shared = False, output: Output = None, fmt: Format = None,
                    limit: Limit = None) -> None:
    """Expense totals by client, project, category, person or source, or every expense
    (--detailed, with its receipt indicator and approval status)."""
    _run(dict(kind="expenses", group_by=group_by, then_by=then_by, detailed=detailed,
              period=period, clients=client, projects=project, categories=category,
              people=person, roles=role, sources=source, billable=billable,
              invoiced=invoiced, approval=approval), date_from=date_from, date_to=date_to,
         save=save, shared=shared, output=output, fmt=fmt, limit=limit)


@app.command("budget")
def budget_report(month: Annotated[str | None, typer.Option(
                      "--month", help="For monthly budgets: this month (YYYY-MM; default "
                                      "the current one).")] = None,
                  client: Clients = None, project: Projects = None, source: Sources = None,
                  status: Annotated[Many, typer.Option(
                      "--status", help="on_track, warning or over (repeat).")] = None,
                  save: Save = None, shared: Shared = False, output: Output = None,
                  fmt: Format = None) -> None:
    """Every budgeted project (and its per-task or per-person budgets): budget, spent,
    remaining, % used, monthly or not, and status (on track, warning at the alert
    threshold, over)."""
    _run(dict(kind="budget", clients=client, projects=project, sources=source,
              budget_status=status), save=save, shared=shared, output=output, fmt=fmt,
         month=month)


@app.command("utilization")
def utilization_report(period: Period = None, date_from: From = None, date_to: To = None,
                       client: Clients = None, project: Projects = None,
                       person: People = None, role: Roles = None,
                       billable: Billable = None, save: Save = None, shared: Shared = False,
                       output: Output = None, fmt: Format = None) -> None:
    """Per person and week: tracked and billable hours against weekly capacity, with
    utilization and billable utilization (under 70 %, healthy to 90 %, full to 100 %,
    over)."""
    _run(dict(kind="utilization", period=period, clients=client, projects=project,
              people=person, roles=role, billable=billable), date_from=date_from,
         date_to=date_to, save=save, shared=shared, output=output, fmt=fmt)


@app.command("agents")
def agents_report(group_by: GroupBy = None, period: Period = None, date_from: From = None,
                  date_to: To = None, client: Clients = None, project: Projects = None,
                  person: People = None, source: Sources = None, save: Save = None,
                  shared: Shared = False, output: Output = None, fmt: Format = None) -> None:
    """Agent hours by agent, project or model (metadata.model), human hours beside them
    (by project), LLM spend, and margin = agent billable amount - agent cost - LLM cost."""
    _run(dict(kind="agents", group_by=group_by, period=period, clients=client,
              projects=project, people=person, sources=source), date_from=date_from,
         date_to=date_to, save=save, shared=shared, output=output, fmt=fmt)


@app.command("uninvoiced")
def uninvoiced_report(group_by: GroupBy = None, date_from: From = None, date_to: To = None,
                      client: Clients = None, project: Projects = None, save: Save = None,
                      shared: Shared = False, output: Output = None,
                      fmt: Format = None) -> None:
    """What is ready to bill per client and project (billable, approved when approvals are
    on, not invoiced yet), as an invoice would bill it now."""
    _run(dict(kind="uninvoiced", group_by=group_by, clients=client, projects=project),
         date_from=date_from, date_to=date_to, save=save, shared=shared, output=output,
         fmt=fmt)


@app.command("run")
def run_saved(name: Annotated[str, typer.Argument(help="The saved report's name or ID.")],
              output: Output = None, fmt: Format = None, limit: Limit = None) -> None:
    """Run a saved report (yours, or one shared with you) with its saved filters; what it
    shows is what you may see."""
    from keito_core.reports.analysis import run_report
    from keito_core.reports.analysis.saved import find_saved

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        saved = find_saved(session, actor=actor, name=name)
        result = run_report(session, actor=actor, query=saved.query,
                            now=state.runtime.clock(), limit=None if output else limit)
        seps = _separators(session)
    _render(result, saved.query, seps, output=output, fmt=fmt, saved=None)


@app.command("saved")
def list_saved_reports() -> None:
    """Your saved reports and those shared with you."""
    from keito_core.reports.analysis.saved import list_saved

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        views = list_saved(session, actor=actor)
    rows = [{"id": v.id, "name": v.name, "kind": v.kind, "owner": v.owner_name,
             "shared": v.is_shared, "mine": v.is_mine,
             "filters": {k: val for k, val in v.query.to_dict().items() if k != "kind"}}
            for v in views]
    state.output.listing(rows, columns=["name", "kind", "owner", "shared", "filters"],
                         title="Saved reports")


@app.command("delete")
def delete_saved(name: Annotated[str, typer.Argument(help="Your saved report's name.")]) -> None:
    """Delete one of your saved reports."""
    from keito_core.services.reporting.saved_reports import delete_saved_report

    state = cli_state()
    with state.acting() as (session, actor):
        delete_saved_report(session, actor=actor, name=name, now=state.runtime.clock())
    state.output.message(f"Deleted the saved report {name!r}.",
                         data={"deleted": name})
