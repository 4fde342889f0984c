"""`keito invoice pay`, `payments` and `unpay`: money received against an invoice, its
history with the balance left after each payment, and taking a payment back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

import typer

from keito_tui.cli.invoice_render import (
    MONEY_COLUMNS,
    InvoiceArg,
    Separators,
    payment_columns,
    payment_rows,
    result,
    state_text,
)
from keito_tui.cli.state import cli_state

PaymentArg = Annotated[str, typer.Argument(
    help="Payment number in the history (1 is the first) or ID.")]


def _invoice_summary(view: Mapping[str, Any]) -> dict[str, Any]:
    return {key: view[key] for key in ("id", "number", "state", "currency", "amount",
                                       "paid_amount", "due_amount") if key in view}


def _balance_text(view: Mapping[str, Any], seps: Separators) -> str:
    due = seps.money(view["due_amount"], view["currency"])
    return f"{view['number']} is {state_text(view)}, {due} due"


def pay(
    invoice: InvoiceArg,
    amount: Annotated[str, typer.Option("--amount", help="Amount received, at most what is due.")],
    date: Annotated[str | None, typer.Option(
        "--date", help="Day it was paid: YYYY-MM-DD, today, yesterday ... (default: today).")
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes, e.g. how it was paid.")
                     ] = None,
    transaction_id: Annotated[str | None, typer.Option(
        "--transaction-id", help="The bank's or processor's reference.")] = None,
) -> None:
    """Record a payment on an open invoice; it is paid when the payments cover the amount."""
    from keito_core.services.billing.payments import record_payment

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        payment = record_payment(session, actor=actor, invoice_ref=invoice, amount=amount,
                                 paid_on=date, notes=notes, transaction_id=transaction_id,
                                 now=now)
        view, seps = result(state, session, actor, payment.invoice_id, now=now)
    shown = next(p for p in view["payments"] if p["id"] == payment.id)
    data = {**shown, "invoice": _invoice_summary(view)}
    if "warnings" in view:
        data["warnings"] = view["warnings"]
    paid = seps.money(payment.amount, view["currency"])
    state.output.message(f"Recorded {paid} on {view['number']}: {_balance_text(view, seps)}",
                         data=data)
    from keito_tui.cli.sync_push import push_after

    push_after(payment.invoice_id)


def payments(invoice: InvoiceArg) -> None:
    """List an invoice's payments with the balance left after each."""
    from keito_tui.cli.invoice_render import invoice_view, separators

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        view = invoice_view(session, actor, invoice, now=state.runtime.clock())
        seps = separators(session)
    out = state.output
    if out.json or out.quiet:
        out.listing(view["payments"], columns=["id"], extra={"invoice": _invoice_summary(view)})
        return
    rows = payment_rows(view["payments"], seps.text(view["currency"]))
    out.listing(rows, columns=payment_columns(rows), title=f"Payments on {view['number']}",
                optional=["recorded_by", "transaction_id"], whole=MONEY_COLUMNS)
    total = seps.money(view["amount"], view["currency"])
    out.stdout.write(f"Amount {total}; {_balance_text(view, seps)}\n")


def unpay(invoice: InvoiceArg, payment: PaymentArg) -> None:
    """Delete a payment recorded by mistake; a paid invoice becomes open again."""
    from keito_core.services.billing.payments import delete_payment

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        removed = delete_payment(session, actor=actor, invoice_ref=invoice,
                                 payment_ref=payment, now=now)
        view, seps = result(state, session, actor, removed.invoice_id, now=now)
    data = {"id": removed.id, "amount": removed.amount, "paid_date": removed.paid_on,
            "deleted": True, "invoice": _invoice_summary(view)}
    money = seps.money(removed.amount, view["currency"])
    state.output.message(f"Deleted the payment of {money} on {removed.paid_on}: "
                         f"{_balance_text(view, seps)}", data=data)
    from keito_tui.cli.sync_push import push_after

    push_after(removed.invoice_id)


def register(app: typer.Typer) -> None:
    """Add the payment commands to the `invoice` group."""
    app.command("pay")(pay)
    app.command("payments")(payments)
    app.command("unpay")(unpay)
