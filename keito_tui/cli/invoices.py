"""`keito invoice`: invoices from tracked time and expenses or free-form; their header, lines,
states, payments, PDF and HTML, email, aging and what is ready to bill.

INVOICE is an invoice's number (case-insensitive) or ID. Lines and payments are numbered
from 1 as `show` lists them (or given by ID). Header options shared by create, new and edit:
an empty text clears it, and 0 removes a discount or a tax.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

import typer

from keito_tui.cli import invoice_files, invoice_lines, invoice_payments, invoice_reports
from keito_tui.cli.completion import complete_project
from keito_tui.cli.invoice_render import (
    MONEY_COLUMNS,
    InvoiceArg,
    print_invoice,
    result,
    right,
    separators,
    summary,
    sync_cell,
)
from keito_tui.cli.state import cli_state

app = typer.Typer(
    help="Create, edit, send and follow invoices: from approved time and expenses or "
    "free-form, to a PDF, an email and a paid balance.",
    no_args_is_help=True,
)

ClientOpt = Annotated[str, typer.Option("--client", help="Client name or ID.")]
IssueDateOpt = Annotated[str | None, typer.Option(
    "--issue-date", help="Issue date: YYYY-MM-DD, today, yesterday ... (default: today).")]
TermsOpt = Annotated[str | None, typer.Option(
    "--terms", help="Payment terms: upon_receipt, net_15, net_30, net_45, net_60, or custom "
    "with --days (default: the workspace's).")]
DaysOpt = Annotated[int | None, typer.Option(
    "--days", help="Days to pay (makes the terms custom).")]
DueOpt = Annotated[str | None, typer.Option(
    "--due", help="Due date (makes the terms custom, counted from the issue date).")]
SubjectOpt = Annotated[str | None, typer.Option("--subject", help="Subject line.")]
PoOpt = Annotated[str | None, typer.Option("--po", help="The client's purchase order number.")]
NotesOpt = Annotated[str | None, typer.Option(
    "--notes", help="Notes printed on the invoice (default: the workspace's).")]
DiscountOpt = Annotated[str | None, typer.Option(
    "--discount", help="Discount in % off the subtotal, e.g. 10 (0 removes it).")]
TaxOpt = Annotated[str | None, typer.Option(
    "--tax", help="Tax in % on the taxed lines, e.g. 20 (default: the workspace's).")]
TaxLabelOpt = Annotated[str | None, typer.Option("--tax-label", help="Tax name, e.g. VAT.")]
Tax2Opt = Annotated[str | None, typer.Option(
    "--tax2", help="Second tax in %, on the same base, never on the first tax.")]
Tax2LabelOpt = Annotated[str | None, typer.Option("--tax2-label", help="Second tax name.")]

_LIST_COLUMNS = ["number", "client", "state", "issue_date", "due_date", "amount", "due_amount",
                 "late"]


def header_values(**options: Any) -> dict[str, Any]:
    """The header fields given (services.billing.invoices.HEADER_FIELDS names)."""
    names = {"issue_date": "issue_date", "terms": "payment_terms", "days": "payment_term_days",
             "due": "due_date", "subject": "subject", "po": "purchase_order", "notes": "notes",
             "discount": "discount", "tax": "tax", "tax_label": "tax_label", "tax2": "tax2",
             "tax2_label": "tax2_label"}
    return {names[key]: value for key, value in options.items() if value is not None}


@app.command("create")
def create(
    client: ClientOpt,
    project: Annotated[list[str] | None, typer.Option(
        "--project", help="Only this project (repeat for several; default: all the client's).",
        autocompletion=complete_project)] = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day billed.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day billed.")] = None,
    group_by: Annotated[str, typer.Option(
        "--group-by", help="Time lines per project, task, person or detailed (one per entry)."
    )] = "project",
    expenses: Annotated[str, typer.Option(
        "--expenses", help="Expense lines: none, category, project or detailed.")] = "category",
    issue_date: IssueDateOpt = None, terms: TermsOpt = None, days: DaysOpt = None,
    due: DueOpt = None, subject: SubjectOpt = None, po: PoOpt = None, notes: NotesOpt = None,
    discount: DiscountOpt = None, tax: TaxOpt = None, tax_label: TaxLabelOpt = None,
    tax2: Tax2Opt = None, tax2_label: Tax2LabelOpt = None,
) -> None:
    """Bill a period of a client's billable, approved, not yet invoiced time and expenses."""
    from keito_core.services.billing.generate import create_from_tracked
    from keito_core.services.billing.invoices import Header

    header = Header(**header_values(
        issue_date=issue_date, terms=terms, days=days, due=due, subject=subject, po=po,
        notes=notes, discount=discount, tax=tax, tax_label=tax_label, tax2=tax2,
        tax2_label=tax2_label))
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        invoice = create_from_tracked(
            session, actor=actor, client_ref=client, project_refs=project or (),
            date_from=date_from, date_to=date_to, group_by=group_by, expenses=expenses,
            header=header, now=now)
        view, seps = result(state, session, actor, invoice.id, now=now)
    print_invoice(state.output, view, seps, message=f"Created {summary(view, seps)}",
                  parts=("lines", "totals"))


@app.command("new")
def new(
    client: ClientOpt,
    issue_date: IssueDateOpt = None, terms: TermsOpt = None, days: DaysOpt = None,
    due: DueOpt = None, subject: SubjectOpt = None, po: PoOpt = None, notes: NotesOpt = None,
    discount: DiscountOpt = None, tax: TaxOpt = None, tax_label: TaxLabelOpt = None,
    tax2: Tax2Opt = None, tax2_label: Tax2LabelOpt = None,
) -> None:
    """Start a free-form draft invoice with no lines (add them with `invoice line add`)."""
    from keito_core.services.billing.invoices import Header, new_invoice

    header = Header(**header_values(
        issue_date=issue_date, terms=terms, days=days, due=due, subject=subject, po=po,
        notes=notes, discount=discount, tax=tax, tax_label=tax_label, tax2=tax2,
        tax2_label=tax2_label))
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        invoice = new_invoice(session, actor=actor, client_ref=client, header=header, now=now)
        view, seps = result(state, session, actor, invoice.id, now=now)
    print_invoice(state.output, view, seps, message=f"Created {summary(view, seps)}",
                  parts=("header", "lines"))


@app.command("edit")
def edit(
    invoice: InvoiceArg,
    issue_date: IssueDateOpt = None, terms: TermsOpt = None, days: DaysOpt = None,
    due: DueOpt = None, subject: SubjectOpt = None, po: PoOpt = None, notes: NotesOpt = None,
    discount: DiscountOpt = None, tax: TaxOpt = None, tax_label: TaxLabelOpt = None,
    tax2: Tax2Opt = None, tax2_label: Tax2LabelOpt = None,
) -> None:
    """Change an invoice's header; the totals follow (paid and closed invoices are locked)."""
    from keito_core.services.billing.invoices import edit_invoice

    changes = header_values(
        issue_date=issue_date, terms=terms, days=days, due=due, subject=subject, po=po,
        notes=notes, discount=discount, tax=tax, tax_label=tax_label, tax2=tax2,
        tax2_label=tax2_label)
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        edited = edit_invoice(session, actor=actor, ref=invoice, changes=changes, now=now)
        view, seps = result(state, session, actor, edited.id, now=now)
    for text in untaxed(view):
        state.output.warn(text)
        view["warnings"] = [*view.get("warnings", []), text]
    print_invoice(state.output, view, seps, message=f"Updated {summary(view, seps)}",
                  parts=("header", "totals"))


def untaxed(view: dict[str, Any]) -> list[str]:
    """A tax the invoice has that none of its lines carries (a tax set after the lines were
    made leaves them untaxed): what to do about it."""
    lines = view.get("line_items") or []
    return [f"{view.get(label) or name} is {Decimal(view[rate]).normalize():f}% but no line is "
            f"taxed: "
            f"`keito invoice line edit {view['number']} LINE --{flag}` taxes a line"
            for rate, label, flag, name in (("tax", "tax_label", "taxed", "the tax"),
                                            ("tax2", "tax2_label", "taxed2", "the second tax"))
            if view.get(rate) and lines and not any(line.get(flag) for line in lines)]


@app.command("list")
def list_(
    state_: Annotated[str | None, typer.Option(
        "--state", help="draft, open, paid, closed, overdue, unpaid or all (default: all).")
    ] = None,
    client: Annotated[str | None, typer.Option("--client", help="Only this client.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """List invoices, newest first, with what is due and how late."""
    from keito_core import presenters
    from keito_core.reports.invoices import list_invoices, sync_states

    state = cli_state()
    now = state.runtime.clock()
    with state.acting(readonly=True) as (session, actor):
        found = list_invoices(session, actor=actor, now=now, state=state_, client_ref=client,
                              limit=limit)
        synced = sync_states(session, [row.id for row in found.rows])
        views = [{**presenters.invoice_row(row, viewer=actor),
                  "sync": synced[row.id] if synced is not None else None}
                 for row in found.rows]
        seps = separators(session)
    out = state.output
    more = found.total - len(views)
    if out.json or out.quiet:
        out.listing(views, columns=["id"], extra={"total": found.total, "has_more": more > 0})
        return
    amounts = right((seps.money(v["amount"], v["currency"]) for v in views), "amount")
    dues = right((seps.money(v["due_amount"], v["currency"]) if v["due_amount"] else ""
                  for v in views), "due amount")
    rows = [{"id": v["id"], "number": v["number"], "client": v["client"]["name"],
             "state": str(getattr(v["state"], "value", v["state"])),
             "issue_date": v["issue_date"], "due_date": v["due_date"], "amount": amount,
             "due_amount": due, "late": f"{v['days_past_due']}d" if v["is_overdue"] else "",
             "sync": sync_cell(v["sync"])}
            for v, amount, due in zip(views, amounts, dues, strict=True)]
    columns = [*_LIST_COLUMNS, *(["sync"] if synced is not None else [])]
    # The last optional column goes first on a narrow terminal: the sync status.
    out.listing(rows, columns=columns, title="Invoices",
                optional=["amount", "issue_date", "sync"], whole=MONEY_COLUMNS)
    if more > 0:
        out.stdout.write(f"{more} more: --limit {min(found.total, 10_000)} shows them all\n")


@app.command("show")
def show(invoice: InvoiceArg) -> None:
    """Show an invoice: header, lines, totals, payments with the balance, message history."""
    from keito_tui.cli.invoice_render import invoice_view

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        view = invoice_view(session, actor, invoice, now=state.runtime.clock())
        seps = separators(session)
    print_invoice(state.output, view, seps)


def _state_change(service: Any, invoice: str, verb: str) -> None:
    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        changed = service(session, actor=actor, ref=invoice, now=now)
        view, seps = result(state, session, actor, changed.id, now=now)
    print_invoice(state.output, view, seps, message=f"{verb} {summary(view, seps)}",
                  parts=())
    from keito_tui.cli.sync_push import push_after

    push_after(changed.id)


@app.command("issue")
def issue(invoice: InvoiceArg) -> None:
    """Mark a draft as sent (it was sent another way): it becomes open, awaiting payment."""
    from keito_core.services.billing.invoices import mark_sent

    _state_change(mark_sent, invoice, "Issued")


@app.command("close")
def close(invoice: InvoiceArg) -> None:
    """Close (write off) an open or paid invoice: it is no longer receivable."""
    from keito_core.services.billing.invoices import close_invoice

    _state_change(close_invoice, invoice, "Closed")


@app.command("reopen")
def reopen(invoice: InvoiceArg) -> None:
    """Reopen a closed invoice (open again, or paid when its payments cover it)."""
    from keito_core.services.billing.invoices import reopen_invoice

    _state_change(reopen_invoice, invoice, "Reopened")


@app.command("delete")
def delete(
    invoice: InvoiceArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete an invoice without payments (administrators): what it billed is set free; its
    number is never given again."""
    import sys

    from keito_core.services.billing.invoices import delete_invoice

    state = cli_state()
    if not yes and sys.stdin.isatty() and not state.output.json:
        typer.confirm(f"Delete invoice {invoice}?", abort=True)
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        removed = delete_invoice(session, actor=actor, ref=invoice, now=now)
        data = {"id": removed.id, "number": removed.number, "deleted": True}
    state.output.message(f"Deleted invoice {removed.number}; what it billed can be invoiced "
                         "again", data=data)
    from keito_tui.cli.sync_push import push_after

    push_after(removed.id)


@app.command("explain")
def explain(invoice: InvoiceArg) -> None:
    """Print every step of an invoice's arithmetic, from the hours to the amount due."""
    from keito_core.reports.invoices import explain as explain_steps
    from keito_core.reports.invoices import invoice_detail

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        detail = invoice_detail(session, actor=actor, ref=invoice, now=state.runtime.clock())
        steps = explain_steps(detail)
        data = {"id": detail.invoice.id, "number": detail.invoice.number,
                "currency": detail.invoice.currency, "amount": detail.invoice.total,
                "due_amount": detail.due_amount, "steps": steps}
    out = state.output
    if out.json or out.quiet:
        out.record(data)
        return
    import shutil
    import textwrap

    width = max(40, shutil.get_terminal_size().columns - 1)
    out.stdout.write(f"Invoice {data['number']} ({data['currency']}), step by step; every "
                     "rounding is half-up, once:\n")
    for step in steps:
        out.stdout.write(textwrap.fill(step, width, initial_indent="  ",
                                       subsequent_indent="      ", break_long_words=False,
                                       break_on_hyphens=False) + "\n")


app.add_typer(invoice_lines.app, name="line")
invoice_payments.register(app)
invoice_files.register(app)
invoice_reports.register(app)
