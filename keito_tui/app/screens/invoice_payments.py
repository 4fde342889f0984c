"""Payments in the invoice editor: record one (amount, date, notes, transaction ID, with what
it leaves due and the state it moves the invoice to), and the history (running balance, the
messages sent), where a payment can be deleted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from keito_core.reports.invoice_views import InvoiceEditorView
from keito_core.rules.money import minor_units
from keito_tui.app.screens.approval_detail import ItemTable
from keito_tui.app.screens.invoice_forms import form_buttons
from keito_tui.app.screens.invoice_saving import Change, Saved, SavingDialog
from keito_tui.app.screens.invoice_text import day, money, parse_decimal
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

EVENT_WORDS = {"send": "sent", "reminder": "reminder sent", "thank_you": "thank-you sent",
               "mark_sent": "marked as sent", "close": "closed", "reopen": "reopened"}


class PaymentDialog(SavingDialog):
    """Record money received; the amount starts at what is due (a partial payment is fine)."""

    FIELD_OF: ClassVar[dict[str, str]] = {"paid_on": "paid_on"}

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView) -> None:
        super().__init__(runtime)
        self.invoice = invoice

    def compose(self) -> ComposeResult:
        inv = self.invoice
        with Vertical(classes="dialog invoice-dialog", id="payment-dialog"):
            yield Static(f"Payment for {inv.number} ({money(inv.due_amount, inv.currency)} due)",
                         classes="dialog--title", markup=False)
            with VerticalScroll(classes="invoice-form"):
                yield FormField(f"Amount ({inv.currency})", Input(
                    f"{inv.due_amount:.{minor_units(inv.currency)}f}", id="amount",
                    compact=True), field="amount")
                yield FormField("Date", Input(inv.today.isoformat(), id="paid_on", compact=True,
                                              placeholder="YYYY-MM-DD, today, -2…"),
                                field="paid_on")
                yield FormField("Notes", Input(id="notes", compact=True,
                                               placeholder="cheque 1042, bank transfer…"),
                                field="notes")
                yield FormField("Transaction ID", Input(id="transaction_id", compact=True),
                                field="transaction_id")
            yield Static("", id="form-preview")
            yield from form_buttons()

    def on_mount(self) -> None:
        for box in self.query(Input):
            box.select_on_focus = False
        self.show_preview()
        self.query_one("#amount", Input).focus()

    @on(Input.Changed, "#amount")
    def show_preview(self) -> None:
        """What the payment leaves due, and the invoice's state after it."""
        inv, shown = self.invoice, self.query_one("#form-preview", Static)
        amount = parse_decimal(self.query_one("#amount", Input).value)
        if amount is None or amount <= 0:
            shown.update(Text("Give the amount received.", style="dim"))
            return
        left = inv.due_amount - amount
        if left < 0:
            shown.update(Text(f"More than the {money(inv.due_amount, inv.currency)} due.",
                              style="red"))
            return
        text = Text(f"Leaves {money(left, inv.currency)} due: the invoice ")
        text.append("becomes paid" if left == 0 else "stays open",
                    style="bold green" if left == 0 else "bold")
        shown.update(text)

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_save()

    def change(self) -> Change | None:
        invoice, currency = self.invoice.id, self.invoice.currency
        amount, paid_on, notes, transaction = (
            self.query_one(f"#{name}", Input).value.strip()
            for name in ("amount", "paid_on", "notes", "transaction_id"))

        def save(session: Any, actor: Any, now: Any) -> Saved:
            from keito_core.platform.lookup import find_invoice
            from keito_core.services.billing.payments import record_payment

            payment = record_payment(session, actor=actor, invoice_ref=invoice, amount=amount,
                                     paid_on=paid_on or None, notes=notes or None,
                                     transaction_id=transaction or None, now=now)
            state = find_invoice(session, invoice).state
            return Saved(f"Payment of {money(payment.amount, currency)} recorded: the invoice "
                         f"is {state.value}.")

        return save


class PaymentsDialog(ModalScreen[str | None]):
    """The payment history with the running balance, and the messages sent. `x` asks whether
    to delete the selected payment: dismissed with its ID (the editor deletes it), or None."""

    CSS_PATH = "invoices.tcss"
    BINDINGS = [
        Binding("x,delete", "delete_payment", "Delete payment", id="invoice_payments.delete",
                tooltip="Delete the selected payment (asks first)", key_display="x"),
        Binding("escape", "close", "Close", id="invoice_payments.close",
                tooltip="Back to the invoice"),
    ]

    def __init__(self, runtime: Runtime, invoice: InvoiceEditorView) -> None:
        super().__init__()
        self.runtime = runtime
        self.invoice = invoice

    def compose(self) -> ComposeResult:
        inv = self.invoice
        with Vertical(classes="dialog invoice-dialog", id="payments-dialog"):
            yield Static(f"Payments of {inv.number}: {money(inv.paid, inv.currency)} of "
                         f"{money(inv.amount, inv.currency)} paid, "
                         f"{money(inv.due_amount, inv.currency)} due",
                         classes="dialog--title", markup=False)
            yield ItemTable(id="payments-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="payments-none", markup=False)
            yield Static(self.history(), id="payments-history")
            yield Static("x deletes the selected payment · esc closes", classes="dialog--note")

    def on_mount(self) -> None:
        inv, table = self.invoice, self.query_one("#payments-table", ItemTable)
        table.add_columns("Date", Text("Amount", justify="right"), "Notes", "Transaction",
                          "By", Text("Balance", justify="right"))
        for p in inv.payments:
            table.add_row(Text(day(p.paid_on, year=True)),
                          Text(money(p.amount, inv.currency), justify="right"),
                          Text(p.notes or ""), Text(p.transaction_id or ""),
                          Text(p.recorded_by or ""),
                          Text(money(p.balance, inv.currency), justify="right"), key=p.id)
        table.display = bool(inv.payments)
        self.query_one("#payments-none", Static).update(
            "" if inv.payments else "No payment recorded yet: p records one.")
        table.focus()

    def history(self) -> Text:
        text = Text("History", style="bold")
        if not self.invoice.messages:
            text.append(": nothing sent yet", style="dim")
        for m in self.invoice.messages:
            what = EVENT_WORDS.get(m.event_type, m.event_type)
            text.append(f"\n{m.created_at:%d %b %Y %H:%M} {what}")
            if m.by:
                text.append(f" by {m.by}", style="dim")
            if m.recipients:
                text.append(f" to {', '.join(m.recipients)}")
        return text

    def action_close(self) -> None:
        self.dismiss(None)

    def action_delete_payment(self) -> None:
        from keito_tui.app.screens.dialogs import ConfirmDialog

        table = self.query_one("#payments-table", ItemTable)
        payments = self.invoice.payments
        if not payments or not 0 <= table.cursor_row < len(payments):
            return
        payment, inv = payments[table.cursor_row], self.invoice

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(payment.id)

        self.app.push_screen(ConfirmDialog(
            f"Delete the payment of {money(payment.amount, inv.currency)} on "
            f"{day(payment.paid_on, year=True)}? {inv.number} will have "
            f"{money(inv.due_amount + payment.amount, inv.currency)} due.",
            title="Delete payment", confirm_label="Delete"), answered)
