"""Text the Invoices view and the invoice editor show: money, states, dates, totals and aging
(plain functions over the core's values, so they are easy to test)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from rich.text import Text

from keito_core.errors import KeitoError
from keito_core.reports.invoice_views import InvoiceEditorView
from keito_core.reports.invoices import AgingLine, InvoiceRow
from keito_core.rules.invoices import InvoiceTotals, LineInput, invoice_totals
from keito_core.rules.money import format_money
from keito_tui.app.screens.expense_dialog import exact, money_text

STATE_STYLES = {"draft": "dim", "open": "cyan", "paid": "green", "closed": "dim italic"}
#: Aging buckets as the totals line names them (days past due).
BUCKET_LABELS = {"1_30": "1–30 days", "31_60": "31–60 days", "61_90": "61–90 days",
                 "over_90": "90+ days"}
#: (label, value) of the payment terms and the line kinds, as the selects offer them.
TERMS = (("Upon receipt", "upon_receipt"), ("Net 15", "net_15"), ("Net 30", "net_30"),
         ("Net 45", "net_45"), ("Net 60", "net_60"), ("Custom days", "custom"))
KINDS = (("Service", "service"), ("Product", "product"), ("Expense", "expense"))
LOCK_MARK = "🔒"

__all__ = ["exact", "money_text"]


def money(amount: Decimal, currency: str) -> str:
    """`£1,234.50`: an amount in the currency's minor unit."""
    return format_money(amount, currency)


def day(value: date, *, year: bool = False) -> str:
    """`02 Dec` (or `02 Dec 2026`)."""
    return f"{value:%d %b %Y}" if year else f"{value:%d %b}"


def state_text(state: str, *, overdue: bool = False) -> Text:
    """The state in its colour; an overdue open invoice says so in red."""
    if overdue:
        return Text("overdue", style="bold red")
    return Text(state, style=STATE_STYLES.get(state, ""))


def late_text(days: int) -> Text:
    """`4d` past due in red, or nothing."""
    return Text(f"{days}d" if days > 0 else "", style="bold red", justify="right")


#: The accounting systems as badges and sentences name them.
PROVIDER_NAMES = {"xero": "Xero", "quickbooks": "QuickBooks"}
PROVIDER_SHORT = {"xero": "Xero", "quickbooks": "QBO"}
#: A sync status's mark and style: synced, waiting, failed, never sent.
SYNC_MARKS = {"success": ("✓", "green"), "pending": ("…", "yellow"),
              "failed": ("✗", "bold red"), "not_synced": ("–", "dim")}


def sync_badge(sync: Mapping[str, Any] | None, *, compact: bool = False) -> Text:
    """The list's badge: `✓ Xero`, `… pending`, `✗ failed`, `–` (not synced); only the mark
    when `compact`; nothing when no accounting system is connected."""
    if not sync:
        return Text("")
    status = str(sync["status"])
    mark, style = SYNC_MARKS.get(status, ("?", ""))
    if compact:
        return Text("" if status == "not_synced" else mark, style=style)
    words = {"success": PROVIDER_SHORT.get(str(sync["provider"]), str(sync["provider"])),
             "pending": "pending", "failed": "failed"}
    return Text(f"{mark} {words[status]}" if status in words else mark, style=style)


def sync_sentence(sync: Mapping[str, Any], *, draft: bool = False) -> Text:
    """The selected invoice's standing with the accounting system, the reason of a failure
    first: for the line under the list."""
    status = str(sync["status"])
    name = PROVIDER_NAMES.get(str(sync["provider"]), str(sync["provider"]))
    mark, style = SYNC_MARKS.get(status, ("?", ""))
    text = Text(f"{mark} ", style=style)
    if status == "success":
        text.append(f"In {name}")
        when = sync.get("synced_at")
        if isinstance(when, datetime):
            text.append(f", synced {day(when.date(), year=True)} {when:%H:%M} UTC")
        if sync.get("remote_id"):
            text.append(f" · remote ID {sync['remote_id']}", style="dim")
    elif status == "failed":
        text.append(f"{name} refused it: ", style=style)
        text.append(" ".join(str(sync.get("error") or "no reason given").split()))
        text.append(" · R in Settings (s) retries", style="dim")
    elif status == "pending":
        text.append(f"Waiting to be sent to {name}")
        text.append(" · p in Settings (s) pushes now", style="dim")
    else:
        text.append(f"Not in {name}" + (": a draft is sent once issued" if draft else " yet"),
                    style="dim")
    return text


def row_detail(row: InvoiceRow | None, sync: Mapping[str, Any] | None = None) -> Text:
    """The selected invoice in one line, for under the list; a second line says where it
    stands with the accounting system when one is connected (`sync`)."""
    if row is None:
        return Text("")
    text = Text.assemble((row.number, "bold"), f" · {row.client} · ",
                         state_text(row.state, overdue=row.overdue))
    if row.overdue:
        text.append(f" by {row.days_past_due} day{'s' if row.days_past_due != 1 else ''}",
                    style="red")
    since = {0: "today", 1: "yesterday"}.get(row.days_since_issue,
                                             f"{row.days_since_issue} days ago")
    text.append(f" · issued {day(row.issue_date, year=True)} ({since}) · due "
                f"{day(row.due_date, year=True)} · {money(row.amount, row.currency)}")
    if row.due_amount and row.due_amount != row.amount:
        text.append(f", {money(row.due_amount, row.currency)} due")
    if row.subject:
        text.append(f" · {' '.join(row.subject.split())}", style="italic")
    if sync:
        text.append("\n")
        text.append_text(sync_sentence(sync, draft=row.state == "draft"))
    return text


def aging_text(lines: Sequence[AgingLine]) -> Text:
    """What is owed, one line per currency: outstanding, overdue and its days past due."""
    text = Text()
    if not lines:
        return Text("Nothing outstanding.", style="dim")
    for line in lines:
        if text:
            text.append("\n")
        cur = line.currency
        count = f"{line.invoices} invoice{'s' if line.invoices != 1 else ''}"
        text.append(f"{cur} ", style="dim")
        text.append(f"owed {money(line.outstanding, cur)}", style="bold")
        text.append(f" ({count})")
        if line.overdue:
            text.append(f" · overdue {money(line.overdue, cur)}", style="bold red")
            late = [(label, line.buckets[key]) for key, label in BUCKET_LABELS.items()
                    if line.buckets.get(key)]
            if len(late) == 1:
                text.append(f" ({late[0][0]} late)")
            else:
                text.append(" (" + ", ".join(f"{label} {money(amount, cur)}"
                                             for label, amount in late) + ")")
    return text


def quantity_text(value: Decimal) -> str:
    """A line's quantity: whole numbers bare (`116`), others to at least 2 places (`23.70`,
    `0.125`), as the invoice prints hours."""
    if value == value.to_integral_value():
        return f"{value:.0f}"
    text = exact(value)
    places = len(text.partition(".")[2])
    return f"{value:.{max(2, places)}f}"


def percent(value: Decimal | None) -> str:
    """`10` for 10 %, empty for none."""
    return "" if value is None else exact(value)


def parse_decimal(text: str) -> Decimal | None:
    """A number as typed (`1,200.50` or `1200.5`), None when it is not one."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def totals_text(totals: InvoiceTotals, invoice: InvoiceEditorView, *,
                unsaved: bool = False) -> Text:
    """Subtotal, discount, taxes, amount, paid and due; `unsaved` marks a preview."""
    cur = totals.currency
    text = Text()
    if unsaved:
        text.append("unsaved ", style="bold reverse yellow")
    text.append(f"Subtotal {money(totals.subtotal, cur)}")
    if totals.discount:
        text.append(f" · Discount {exact(totals.discount)}% −{money(totals.discount_amount, cur)}")
    if totals.tax:
        text.append(f" · {invoice.tax_label or 'Tax'} {exact(totals.tax)}% "
                    f"{money(totals.tax_amount, cur)}")
    if totals.tax2:
        text.append(f" · {invoice.tax2_label or 'Tax 2'} {exact(totals.tax2)}% "
                    f"{money(totals.tax2_amount, cur)}")
    text.append(" · Total ")
    text.append(money(totals.amount, cur), style="bold")
    if invoice.paid:
        text.append(f" · Paid {money(invoice.paid, cur)}")
    text.append(" · Due ")
    text.append(money(totals.due_amount, cur), style="bold red" if invoice.days_past_due
                else "bold")
    return text


def header_text(invoice: InvoiceEditorView) -> Text:
    """The invoice's first lines: number, client, state, dates, terms, PO and subject."""
    overdue = invoice.state == "open" and invoice.days_past_due > 0
    text = Text.assemble((invoice.number, "bold"), f" · {invoice.client} · ",
                         state_text(invoice.state, overdue=overdue))
    if overdue:
        text.append(f" by {invoice.days_past_due} day{'s' if invoice.days_past_due != 1 else ''}",
                    style="red")
    if invoice.locked:
        text.append(f"  {LOCK_MARK} locked", style="yellow")
    text.append(f" · {invoice.currency}", style="dim")
    text.append(f"\nIssued {day(invoice.issue_date, year=True)} · {invoice.terms_label} · due "
                f"{day(invoice.due_date, year=True)}")
    if invoice.period_start and invoice.period_end:
        text.append(f" · for {day(invoice.period_start)}–{day(invoice.period_end, year=True)}",
                    style="dim")
    if invoice.purchase_order:
        text.append(f" · PO {invoice.purchase_order}")
    if invoice.subject:
        text.append(f" · {' '.join(invoice.subject.split())}", style="italic")
    return text


def line_inputs(invoice: InvoiceEditorView) -> list[LineInput]:
    """The invoice's saved lines as the money rule takes them."""
    return [LineInput(line.quantity, line.unit_price, line.taxed, line.taxed2)
            for line in invoice.lines]


def preview_totals(invoice: InvoiceEditorView, lines: Sequence[LineInput], *,
                   percents: tuple[Decimal | None, Decimal | None, Decimal | None] | None = None,
                   ) -> InvoiceTotals | str:
    """The invoice's totals by `rules.invoices.invoice_totals` over `lines`, with `percents`
    (discount, tax, tax2; None: the invoice's own); the rule's complaint when it refuses one."""
    discount, tax, tax2 = percents or (invoice.discount, invoice.tax, invoice.tax2)
    try:
        return invoice_totals(lines, currency=invoice.currency, discount=discount, tax=tax,
                              tax2=tax2, payments=[p.amount for p in invoice.payments])
    except KeitoError as exc:
        return exc.message
