"""`keito invoice line`: add, edit, move and remove an invoice's lines; the totals follow.

LINE is the line's number on the invoice (1 is the first, as `keito invoice show` lists
them) or its ID.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from keito_tui.cli.completion import complete_project
from keito_tui.cli.invoice_render import InvoiceArg, print_lines, result, summary, totals
from keito_tui.cli.state import cli_state

app = typer.Typer(help="Add, edit, move and remove an invoice's lines.", no_args_is_help=True)

LineArg = Annotated[str, typer.Argument(help="Line number on the invoice (1 is the first) or ID.")]
DescriptionOpt = Annotated[str | None, typer.Option("--description", help="What the line bills.")]
KindOpt = Annotated[str | None, typer.Option("--kind", help="service, product or expense.")]
QuantityOpt = Annotated[str | None, typer.Option(
    "--quantity", help="Quantity (hours, units ...), more than 0.")]
PriceOpt = Annotated[str | None, typer.Option(
    "--unit-price", help="Price per unit, up to 6 decimals (negative for a credit).")]
TaxedOpt = Annotated[bool | None, typer.Option(
    "--taxed/--no-taxed", help="Whether the tax applies to this line.")]
Taxed2Opt = Annotated[bool | None, typer.Option(
    "--taxed2/--no-taxed2", help="Whether the second tax applies to this line.")]
ProjectOpt = Annotated[str | None, typer.Option(
    "--project", help='The client\'s project the line is for ("" for none).',
    autocompletion=complete_project)]


def _values(**options: Any) -> dict[str, Any]:
    """The line fields given (services.billing.lines.LINE_FIELDS names)."""
    return {key: value for key, value in options.items() if value is not None}


def _line_result(done: tuple[dict[str, Any], Any], line_id: str | None, message: str,
                 **extra: Any) -> None:
    """Print the changed line and the totals after it (with -q the line's ID; the JSON is
    the invoice with the line as `line`)."""
    out = cli_state().output
    if out.quiet and line_id:
        out.stdout.write(f"{line_id}\n")
        return
    view, seps = done
    line = next((x for x in view.get("line_items") or [] if x["id"] == line_id), None)
    payload = {**view, **({"line": line} if line else {}), **extra}
    if out.json:
        out.record(payload)
        return
    out.message(f"{message}; {summary(view, seps)}")
    fmt = seps.text(view["currency"])
    if line:
        print_lines(out, {**view, "line_items": [line]}, fmt)
    out.record(totals(view, fmt))


@app.command("add")
def add(
    invoice: InvoiceArg,
    description: DescriptionOpt = None,
    kind: KindOpt = None,
    quantity: QuantityOpt = None,
    unit_price: PriceOpt = None,
    taxed: TaxedOpt = None,
    taxed2: Taxed2Opt = None,
    project: ProjectOpt = None,
    position: Annotated[int | None, typer.Option(
        "--position", help="Put it at this line number (default: last).")] = None,
) -> None:
    """Add a line: quantity (default 1) x unit price, taxed as the invoice's taxes are set."""
    from keito_core.services.billing.lines import add_line

    values = _values(description=description, kind=kind, quantity=quantity,
                     unit_price=unit_price, taxed=taxed, taxed2=taxed2, project=project)
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        line = add_line(session, actor=actor, invoice_ref=invoice, values=values,
                        position=position, now=now)
        done = result(state, session, actor, line.invoice_id, now=now)
    _line_result(done, line.id, f"Added line {line.position}")


@app.command("edit")
def edit(
    invoice: InvoiceArg,
    line: LineArg,
    description: DescriptionOpt = None,
    kind: KindOpt = None,
    quantity: QuantityOpt = None,
    unit_price: PriceOpt = None,
    taxed: TaxedOpt = None,
    taxed2: Taxed2Opt = None,
    project: ProjectOpt = None,
) -> None:
    """Change a line's description, kind, quantity, price, taxes or project."""
    from keito_core.services.billing.lines import edit_line

    values = _values(description=description, kind=kind, quantity=quantity,
                     unit_price=unit_price, taxed=taxed, taxed2=taxed2, project=project)
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        edited = edit_line(session, actor=actor, invoice_ref=invoice, line_ref=line,
                           values=values, now=now)
        done = result(state, session, actor, edited.invoice_id, now=now)
    _line_result(done, edited.id, f"Updated line {edited.position}")


@app.command("move")
def move(
    invoice: InvoiceArg,
    line: LineArg,
    to: Annotated[int, typer.Option("--to", help="The line number it moves to.")],
) -> None:
    """Move a line to another place; the others keep their order."""
    from keito_core.services.billing.lines import move_line

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        moved = move_line(session, actor=actor, invoice_ref=invoice, line_ref=line,
                          position=to, now=now)
        done = result(state, session, actor, moved.invoice_id, now=now)
    _line_result(done, moved.id, f"Moved the line to {moved.position}")


@app.command("remove")
def remove(invoice: InvoiceArg, line: LineArg) -> None:
    """Remove a line; the time and expenses it billed can be invoiced again."""
    from keito_core import presenters
    from keito_core.reports.invoices import LineView
    from keito_core.services.billing.lines import remove_line

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        removed, released = remove_line(session, actor=actor, invoice_ref=invoice,
                                        line_ref=line, now=now)
        gone = presenters.invoice_line(LineView(removed, removed.position, None, None, None),
                                       viewer=actor)
        done = result(state, session, actor, removed.invoice_id, now=now)
    freed = f" ({released} item{'s' if released != 1 else ''} set free)" if released else ""
    _line_result(done, None, f"Removed line {removed.position}{freed}", removed_line=gone,
                 released=released)
