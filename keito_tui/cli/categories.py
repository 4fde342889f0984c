"""`keito category`: expense categories, standard or unit-based (LLM Usage is built in)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keito_core.errors import validation
from keito_tui.cli.clients import AllOpt, ArchivedOpt, list_status
from keito_tui.cli.state import cli_state

app = typer.Typer(help="Add, list, edit, archive and restore expense categories.",
                  no_args_is_help=True)

_COLUMNS = ["id", "handle", "name", "unit_name", "unit_price", "is_billable", "is_active"]
CategoryArg = Annotated[str, typer.Argument(help="Category ID, handle or name.")]
UnitOpt = Annotated[str | None, typer.Option("--unit", help="Unit name, e.g. mile.")]
PriceOpt = Annotated[str | None, typer.Option(help="Price per unit, e.g. 0.67.")]


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Category name (unique).")],
    unit: UnitOpt = None,
    unit_price: PriceOpt = None,
    billable: Annotated[bool, typer.Option("--billable/--no-billable",
                                           help="Expenses billable by default.")] = True,
) -> None:
    """Add a category (unit-based with --unit and --unit-price)."""
    from keito_core import presenters as public
    from keito_core.services.directory.categories import create_category

    state = cli_state()
    with state.acting() as (session, actor):
        category = create_category(session, actor=actor, name=name, unit_name=unit,
                                   unit_price=unit_price, billable=billable,
                                   now=state.runtime.clock())
        data = public.category(category, viewer=actor)
    state.output.record(data, message=f"Added category {data['name']} ({data['handle']})")


@app.command("list")
def list_(archived: ArchivedOpt = False, all_: AllOpt = False) -> None:
    """List expense categories (active ones unless --archived or --all)."""
    from keito_core import presenters as public
    from keito_core.services.directory.categories import list_categories

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        categories = list_categories(session, actor=actor, status=list_status(archived, all_))
        rows = [public.category(c, viewer=actor) for c in categories]
    state.output.listing(rows, columns=_COLUMNS, title="Expense categories",
                         optional=["is_billable", "is_active"])


@app.command("show")
def show(category: CategoryArg) -> None:
    """Show an expense category."""
    from keito_core import presenters as public
    from keito_core.services.directory.categories import get_category

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        data = public.category(get_category(session, actor=actor, ref=category), viewer=actor)
    state.output.record(data, title=data["name"])


@app.command("edit")
def edit(
    category: CategoryArg,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    unit: UnitOpt = None,
    unit_price: PriceOpt = None,
    standard: Annotated[bool, typer.Option(
        "--standard", help="Make it a standard category (drop the unit pricing).")] = False,
    billable: Annotated[bool | None, typer.Option("--billable/--no-billable",
                                                  help="Expenses billable by default.")] = None,
) -> None:
    """Change a category; existing expenses keep their values."""
    from keito_core import presenters as public
    from keito_core.services.directory.categories import edit_category

    if standard and (unit is not None or unit_price is not None):
        raise validation("--standard cannot be combined with --unit or --unit-price",
                         field="standard")
    changes: dict[str, Any] = {k: v for k, v in {
        "name": name, "unit_name": unit, "unit_price": unit_price, "billable": billable,
    }.items() if v is not None}
    if standard:
        changes.update(unit_name=None, unit_price=None)
    state = cli_state()
    with state.acting() as (session, actor):
        edited = edit_category(session, actor=actor, ref=category, **changes,
                               now=state.runtime.clock())
        data = public.category(edited, viewer=actor)
    state.output.record(data, message=f"Updated category {data['name']}")


@app.command("archive")
def archive(category: CategoryArg) -> None:
    """Archive a category: hidden for new expenses, existing ones keep it."""
    _set_active(category, active=False)


@app.command("restore")
def restore(category: CategoryArg) -> None:
    """Restore an archived category."""
    _set_active(category, active=True)


def _set_active(ref: str, *, active: bool) -> None:
    from keito_core import presenters as public
    from keito_core.services.directory.categories import archive_category, restore_category

    state = cli_state()
    action = restore_category if active else archive_category
    with state.acting() as (session, actor):
        data = public.category(action(session, actor=actor, ref=ref,
                                      now=state.runtime.clock()), viewer=actor)
    verb = "Restored" if active else "Archived"
    state.output.message(f"{verb} category {data['name']}", data=data)
