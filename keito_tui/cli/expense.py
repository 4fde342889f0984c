"""`keito expense`: log (token costs in agent mode), list, show, edit, copy and delete expenses."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from keito_tui.cli.completion import complete_category, complete_project
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
    expense_views,
    list_scope,
    origin_for,
    page_extra,
    require,
    with_warnings,
)

app = typer.Typer(
    help="Log, list, show, edit, copy and delete expenses, including LLM token costs.",
    no_args_is_help=True,
)
ExpenseArg = Annotated[str, typer.Argument(help="Expense ID.")]

LLM_USAGE = "LLM Usage"
_COLUMNS = ["id", "spent_date", "project", "category", "units", "total", "notes", "source"]


def _row(view: dict[str, Any]) -> dict[str, Any]:
    return {
        **view,
        "project": (view.get("project") or {}).get("name"),
        "category": (view.get("expense_category") or {}).get("name"),
        "total": _money(view),
    }


def _money(view: dict[str, Any]) -> str:
    """`12.50 USD`, `0.135 GBP`: the total in its currency, at least to its minor unit and
    never cut (empty where the total is hidden)."""
    from decimal import Decimal

    from keito_core.rules.money import format_number, minor_units

    total, currency = view.get("total_cost"), view.get("currency")
    if total is None:
        return ""
    exponent = Decimal(total).normalize().as_tuple().exponent
    places = max(minor_units(currency) if currency else 0,
                 -exponent if isinstance(exponent, int) else 0)
    number = format_number(Decimal(total), places)
    return f"{number} {currency}" if currency else number


def _describe(view: dict[str, Any]) -> str:
    """`LLM Usage expense of 0.135 on Acme Website`, as people read it."""
    name = (view.get("expense_category") or {}).get("name", "")
    where = (view.get("project") or {}).get("name", view["project_id"])
    cost = _money(view)
    return f"{name} expense{f' of {cost}' if cost else ''} on {where}"


@app.command("log")
def log(
    project: Annotated[
        str | None,
        typer.Option(
            help="Project handle, code, name or ID (default: KEITO_PROJECT).",
            autocompletion=complete_project,
        ),
    ] = None,
    category: Annotated[
        str | None,
        typer.Option(
            help='Category name or ID (default: "LLM Usage", for token costs).',
            autocompletion=complete_category,
        ),
    ] = None,
    quantity: Annotated[
        str | None, typer.Option(help="Units: thousands of tokens for LLM Usage, miles ...")
    ] = None,
    total: Annotated[
        str | None, typer.Option(help="Total cost (instead of quantity x unit price).")
    ] = None,
    unit_price: Annotated[
        str | None, typer.Option("--unit-price", help="Price per unit (default: the category's).")
    ] = None,
    notes: Annotated[
        str | None, typer.Option(help="Description, e.g. the model and tokens.")
    ] = None,
    date: DateOpt = None,
    billable: BillableOpt = None,
    receipt: Annotated[
        Path | None, typer.Option(help="Receipt file: PNG, JPG, GIF or PDF, at most 10 MB.")
    ] = None,
    source: SourceOpt = None,
    agent_id: AgentIdOpt = None,
    session_id: SessionIdOpt = None,
    metadata: MetadataOpt = None,
    user: UserOpt = None,
) -> None:
    """Log an expense against a project."""
    from keito_core.services.tracking.expenses import log_expense

    state = cli_state()
    origin = origin_for(
        state, source=source, agent_id=agent_id, session_id=session_id, metadata=metadata
    )
    # The reference's quick start logs `--quantity 45` with no category: like agent mode,
    # the command set defaults to the built-in LLM Usage category.
    category = category or LLM_USAGE
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        expense = log_expense(
            session,
            actor=actor,
            project_ref=require(
                project or origin.defaults.project,
                "--project",
                "pass --project or set KEITO_PROJECT",
            ),
            category_ref=category,
            quantity=quantity,
            total=total,
            unit_price=unit_price,
            spent_date=date,
            notes=notes,
            billable=billable,
            source=origin.context.source,
            meta=origin.context.meta,
            receipt=receipt,
            receipts_dir=state.runtime.settings.receipts_dir,
            now=now,
            user_ref=user,
        )
        view = with_warnings(state, session,
                             expense_views(session, actor, [expense], now=now)[0])
    state.output.message(f"Logged {_describe(view)}", data=view)


@app.command("list")
def list_(
    date: DayOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    project: OnlyProjectOpt = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    source: OnlySourceOpt = None,
    user: OnlyUserOpt = None,
    everyone: EveryoneOpt = False,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
) -> None:
    """List your expenses (today's by default; --all or --user for others)."""
    from keito_core.services.tracking.expenses import list_expenses

    state = cli_state()
    date_from, date_to, user = list_scope(date, date_from, date_to, user, everyone)
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        page = list_expenses(
            session,
            actor=actor,
            date_from=date_from,
            date_to=date_to,
            project_ref=project,
            category_ref=category,
            user_ref=user,
            source=source,
            limit=limit,
            cursor=cursor,
            now=now,
        )
        views = expense_views(session, actor, page.items, now=now)
    state.output.listing(
        [_row(v) for v in views] if not state.output.json else views,
        columns=_COLUMNS,
        title="Expenses",
        extra=page_extra(page),
        optional=["source", "units"],
    )


@app.command("show")
def show(expense: ExpenseArg) -> None:
    """Show one expense."""
    from keito_core.services.tracking.expenses import get_expense

    state = cli_state()
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        found = get_expense(session, actor=actor, expense_id=expense)
        view = expense_views(session, actor, [found], now=now)[0]
    state.output.record(view, title=view["id"])


@app.command("edit")
def edit(
    expense: ExpenseArg,
    category: Annotated[
        str | None,
        typer.Option(help="Move to this category (name or ID).", autocompletion=complete_category),
    ] = None,
    quantity: Annotated[str | None, typer.Option(help="New number of units.")] = None,
    total: Annotated[str | None, typer.Option(help="New total cost.")] = None,
    unit_price: Annotated[
        str | None, typer.Option("--unit-price", help="New price per unit.")
    ] = None,
    date: Annotated[str | None, typer.Option(help="Move to this date.")] = None,
    notes: Annotated[str | None, typer.Option(help='Replace the notes ("" clears them).')] = None,
    billable: BillableOpt = None,
    receipt: Annotated[
        Path | None, typer.Option(help="Replace the receipt: PNG, JPG, GIF or PDF, at most 10 MB.")
    ] = None,
    remove_receipt: Annotated[
        bool, typer.Option("--remove-receipt", help="Remove the receipt.")
    ] = False,
    metadata: MetadataOpt = None,
) -> None:
    """Change an unlocked expense (its project, user and source never change)."""
    from keito_core.errors import validation
    from keito_core.rules.metadata import parse_metadata
    from keito_core.services.tracking.expenses import edit_expense

    changes: dict[str, Any] = {
        key: value
        for key, value in (
            ("category_ref", category),
            ("quantity", quantity),
            ("total", total),
            ("unit_price", unit_price),
            ("spent_date", date),
            ("notes", notes),
            ("billable", billable),
            ("receipt", receipt),
        )
        if value is not None
    }
    if remove_receipt:
        changes["remove_receipt"] = True
    if metadata is not None:
        changes["meta"] = parse_metadata(metadata)
    if not changes:
        raise validation(
            "nothing to change", hint="pass --total, --quantity, --notes, --date, ... "
            "(see `keito expense edit --help`)"
        )
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        updated = edit_expense(
            session, actor=actor, expense_id=expense, now=now,
            receipts_dir=state.runtime.settings.receipts_dir, **changes,
        )
        view = with_warnings(state, session, expense_views(session, actor, [updated], now=now)[0])
    state.output.message(f"Updated {view['id']}: {_describe(view)}", data=view)


@app.command("copy")
def copy(
    expense: ExpenseArg,
    date: Annotated[str | None, typer.Option(help="Date of the copy (default: today).")] = None,
    source: SourceOpt = None,
    metadata: MetadataOpt = None,
) -> None:
    """Log a copy of an expense (same project, category, amounts and notes; no receipt)."""
    from keito_core.services.tracking.expenses import copy_expense

    state = cli_state()
    origin = origin_for(state, source=source, agent_id=None, session_id=None, metadata=metadata)
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        copied = copy_expense(
            session,
            actor=actor,
            expense_id=expense,
            spent_date=date,
            source=origin.context.source,
            meta=origin.context.meta if metadata is not None else None,
            now=now,
        )
        view = with_warnings(state, session, expense_views(session, actor, [copied], now=now)[0])
    state.output.message(f"Copied to {view['id']} on {view['spent_date']}", data=view)


@app.command("delete")
def delete(
    expense: ExpenseArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an unlocked expense (its receipt file is kept)."""
    import sys

    from keito_core.services.tracking.expenses import delete_expense

    state = cli_state()
    if not yes and sys.stdin.isatty() and not state.output.json:
        typer.confirm(f"Delete expense {expense}?", abort=True)
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        removed = delete_expense(session, actor=actor, expense_id=expense, now=now)
        view = expense_views(session, actor, [removed], now=now)[0]
    state.output.message(f"Deleted {view['id']}", data={**view, "deleted": True})


@app.command("unlock")
def unlock(
    expenses: Annotated[list[str], typer.Argument(help="Expense IDs (one or more).")],
) -> None:
    """Let approved, submitted or auto-locked expenses be edited again (administrators)."""
    from keito_core.services.approvals.workflow import unlock_expense

    state = cli_state()
    with state.acting() as (session, actor):
        now = state.runtime.clock()
        done = [unlock_expense(session, actor=actor, expense_id=x, now=now) for x in expenses]
        views = expense_views(session, actor, done, now=now)
    out = state.output
    if out.json or out.quiet:
        out.listing(views, columns=["id"])
        return
    out.message("Unlocked " + ", ".join(v["id"] for v in views))
