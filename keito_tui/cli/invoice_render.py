"""What the `keito invoice` commands share: the invoice argument, reading an invoice as its
JSON shape, and printing it for people (header, lines, totals, payments, messages).

Text is drawn from the same presenter dicts the JSON prints, so the two never disagree; money
is `rules.money.format_money` in the workspace's separators.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.output import Output

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.io.money_text import DocumentText
    from keito_core.rules.permissions import Actor
    from keito_tui.cli.state import CliState

InvoiceArg = Annotated[str, typer.Argument(help="Invoice number (INV-2026-0001) or ID.")]
#: Columns of money and dates that tables never cut.
MONEY_COLUMNS = ("amount", "due_amount", "unit_price", "quantity", "balance", "issue_date",
                 "due_date", "paid_date", "late", "#")
#: Every part `print_invoice` can print, in order.
PARTS = ("header", "lines", "totals", "payments", "messages")


@dataclass(frozen=True, slots=True)
class Separators:
    """The workspace's decimal and thousands separators, which every amount is printed with."""

    decimal: str = "."
    thousands: str = ","

    def text(self, currency: str) -> DocumentText:
        """Formats for amounts, prices and quantities in `currency`."""
        from keito_core.io.money_text import DocumentText

        return DocumentText(currency, self.decimal, self.thousands)

    def money(self, amount: Decimal, currency: str) -> str:
        """`£1,234.50`, `CHF 12.00`: an amount with its currency."""
        return self.text(currency).money(amount)


def separators(session: Session) -> Separators:
    """The workspace's separators."""
    from keito_core.platform.identity import get_workspace

    workspace = get_workspace(session)
    return Separators(workspace.decimal_separator, workspace.thousands_separator)


def invoice_view(session: Session, actor: Actor, ref: str, *, now: datetime) -> dict[str, Any]:
    """One invoice whole in its JSON shape (presenters.invoice): lines, payments, messages,
    and `sync`, its standing with the connected accounting system (None: none connected)."""
    from keito_core import presenters
    from keito_core.reports.invoices import invoice_detail, sync_states

    view = presenters.invoice(invoice_detail(session, actor=actor, ref=ref, now=now),
                              viewer=actor)
    synced = sync_states(session, [view["id"]])
    return {**view, "sync": synced[view["id"]] if synced is not None else None}


def result(state: CliState, session: Session, actor: Actor, ref: str, *, now: datetime,
           **extra: Any) -> tuple[dict[str, Any], Separators]:
    """The invoice after a change, with `extra` keys and the warnings the service left (each
    also said on stderr), and the separators to print it with."""
    from keito_tui.cli.tracking import with_warnings

    view = invoice_view(session, actor, ref, now=now)
    return with_warnings(state, session, {**view, **extra}), separators(session)


def right(values: Iterable[str], heading: str = "", point: str | None = None) -> list[str]:
    """`values` lined up on the right under `heading` (at least its width); given the decimal
    `point`, on it, so 125.00 and 0.003 line up."""
    texts = list(values)
    if point:
        decimals = [len(text) - text.index(point) if point in text else 0 for text in texts]
        most = max(decimals, default=0)
        texts = [text + " " * (most - n) for text, n in zip(texts, decimals, strict=True)]
    width = max((len(text) for text in [*texts, heading]), default=0)
    return [text.rjust(width) for text in texts]


def state_text(view: Mapping[str, Any]) -> str:
    """`open, 12 days overdue`, `paid`, `draft`."""
    state = _word(view.get("state"))
    late = view.get("days_past_due") or 0
    if state == "open" and late:
        return f"open, {late} day{'s' if late != 1 else ''} overdue"
    return state


def _word(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


def terms_text(view: Mapping[str, Any]) -> str:
    """`Net 30`, `Upon receipt`, `Net 10 days`."""
    from keito_core.enums import PaymentTerms
    from keito_core.reports.invoices import terms_label

    return terms_label(PaymentTerms(_word(view["payment_term"])), view.get("payment_days"))


def summary(view: Mapping[str, Any], seps: Separators) -> str:
    """`INV-2026-0001 for Globex: $2,345.00, 3 lines (draft)`."""
    lines = len(view.get("line_items") or [])
    amount = view.get("amount")
    money = f"{seps.money(amount, view['currency'])}, " if amount is not None else ""
    return (f"{view['number']} for {view['client']['name']}: {money}"
            f"{lines} line{'s' if lines != 1 else ''} ({state_text(view)})")


def print_invoice(out: Output, view: Mapping[str, Any], seps: Separators, *,
                  message: str | None = None, parts: Iterable[str] = PARTS) -> None:
    """The invoice for people (JSON for programs, the ID with -q), in the `parts` asked."""
    if out.json or out.quiet:
        out.record(view)
        return
    if message:
        out.message(message)
    fmt = seps.text(view["currency"])
    printers: dict[str, Callable[[], None]] = {
        "header": lambda: out.record(_header(view), title=f"Invoice {view['number']}"),
        "lines": lambda: print_lines(out, view, fmt),
        "totals": lambda: out.record(totals(view, fmt)),
        "payments": lambda: _print_payments(out, view, fmt),
        "messages": lambda: _print_messages(out, view),
    }
    for part in parts:
        printers[part]()


#: A sync status as the list's short column words it.
SYNC_WORDS = {"success": "synced", "pending": "pending", "failed": "failed",
              "not_synced": "—"}


def sync_cell(sync: Mapping[str, Any] | None) -> str:
    """The list's Sync column: `synced`, `pending`, `failed` or `—` (not synced)."""
    if not sync:
        return ""
    return SYNC_WORDS.get(str(sync["status"]), str(sync["status"]))


def sync_text(sync: Mapping[str, Any] | None, number: str = "INVOICE") -> str | None:
    """`show`'s sync line: `synced to Xero 2026-12-02 10:00 (remote ID …)`, `failed in
    Xero: <the reason>`, `waiting to be sent to Xero`, `not synced to Xero`; None when no
    accounting system is connected."""
    if not sync:
        return None
    provider = {"xero": "Xero", "quickbooks": "QuickBooks"}.get(
        str(sync["provider"]), str(sync["provider"]))
    status = str(sync["status"])
    if status == "success":
        when = sync.get("synced_at")
        text = f"synced to {provider}"
        if isinstance(when, datetime):
            text += f" {when:%Y-%m-%d %H:%M} UTC"
        return text + (f" (remote ID {sync['remote_id']})" if sync.get("remote_id") else "")
    if status == "failed":
        reason = str(sync.get("error") or "no reason given").rstrip(". ")
        return f"failed in {provider}: {reason} (`keito sync retry {number}` sends it again)"
    if status == "pending":
        return f"waiting to be sent to {provider} (`keito sync push`)"
    return f"not synced to {provider}"


def _header(view: Mapping[str, Any]) -> dict[str, Any]:
    due = f"{view['due_date']} ({terms_text(view)})"
    period = (f"{view['period_start']} to {view['period_end']}"
              if view.get("period_start") and view.get("period_end") else None)
    rows = {"state": state_text(view),
            "client": view["client"]["name"], "issued": view["issue_date"], "due": due,
            "period": period, "subject": view.get("subject"),
            "po": view.get("purchase_order"), "currency": view["currency"],
            "notes": view.get("notes"), "sync": sync_text(view.get("sync"), view["number"]),
            "id": view["id"]}
    return {key: value for key, value in rows.items() if value not in (None, "")}


def print_lines(out: Output, view: Mapping[str, Any], fmt: DocumentText) -> None:
    """The lines table: number, description, project, quantity, unit price, amount, taxes."""
    lines = view.get("line_items") or []
    if not lines:
        out.stdout.write("No lines yet: keito invoice line add "
                         f"{view['number']} --description ... --quantity ... --unit-price ...\n")
        return
    taxes = [(flag, label) for flag, rate, label in (
        ("taxed", view.get("tax"), view.get("tax_label") or "tax"),
        ("taxed2", view.get("tax2"), view.get("tax2_label") or "tax 2")) if rate]
    point = fmt.decimal_separator
    prices = right((fmt.unit_price(line["unit_price"]) if "unit_price" in line else ""
                    for line in lines), "unit price", point)
    amounts = right((fmt.amount(line["amount"]) if "amount" in line else "" for line in lines),
                    "amount", point)
    quantities = right((fmt.quantity(line["quantity"]) if "quantity" in line else ""
                        for line in lines), "quantity", point)
    rows = [{"#": line["position"], "description": line["description"],
             "project": (line.get("project") or {}).get("code")
             or (line.get("project") or {}).get("name"),
             "quantity": quantity, "unit_price": price, "amount": amount,
             "taxes": ", ".join(label for flag, label in taxes if line.get(flag))}
            for line, quantity, price, amount in zip(lines, quantities, prices, amounts,
                                                     strict=True)]
    columns = ["#", "description", "project", "quantity", "unit_price", "amount"]
    if taxes and len({tuple(bool(line.get(flag)) for flag, _ in taxes) for line in lines}) > 1:
        columns.append("taxes")
    if not any(row["project"] for row in rows):
        columns.remove("project")
    out.listing(rows, columns=columns, title="Lines", optional=["project"],
                whole=MONEY_COLUMNS)


def totals(view: Mapping[str, Any], fmt: DocumentText) -> dict[str, str]:
    """Subtotal, discount, taxes, total, paid and due, as the PDF words them, lined up."""
    rows: list[tuple[str, Decimal]] = [("subtotal", view["subtotal"])]
    if view.get("discount") or view.get("discount_amount"):
        rows.append((f"discount ({fmt.percent(view.get('discount') or Decimal(0))})",
                     -view["discount_amount"]))
    for label, rate, amount in ((view.get("tax_label") or "tax", view.get("tax"),
                                 view.get("tax_amount")),
                                (view.get("tax2_label") or "tax 2", view.get("tax2"),
                                 view.get("tax2_amount"))):
        if rate or amount:
            rows.append((f"{label} ({fmt.percent(rate or Decimal(0))})", amount or Decimal(0)))
    rows.append(("total", view["amount"]))
    if view.get("paid_amount"):
        rows.append(("paid", -view["paid_amount"]))
    rows.append(("amount due", view["due_amount"]))
    values = right(fmt.money(amount) for _, amount in rows)
    return {label: value for (label, _), value in zip(rows, values, strict=True)}


def payment_rows(payments: list[Mapping[str, Any]], fmt: DocumentText) -> list[dict[str, Any]]:
    """Payments as a table shows them: date, amount, the balance left, notes."""
    amounts = right((fmt.money(p["amount"]) for p in payments), "amount")
    balances = right((fmt.money(p["balance"]) for p in payments), "balance")
    return [{"#": n, "paid_date": p["paid_date"], "amount": amount, "balance": balance,
             "notes": p.get("notes"), "transaction_id": p.get("transaction_id"),
             "recorded_by": p.get("recorded_by"), "id": p["id"]}
            for n, (p, amount, balance) in enumerate(zip(payments, amounts, balances,
                                                         strict=True), start=1)]


PAYMENT_COLUMNS = ["#", "paid_date", "amount", "balance", "notes", "transaction_id",
                   "recorded_by"]


def payment_columns(rows: list[dict[str, Any]]) -> list[str]:
    """The payment table's columns, without notes or transaction IDs when none has any."""
    return [column for column in PAYMENT_COLUMNS
            if column not in ("notes", "transaction_id") or any(row[column] for row in rows)]


def _print_payments(out: Output, view: Mapping[str, Any], fmt: DocumentText) -> None:
    payments = view.get("payments") or []
    if payments and all("amount" in p for p in payments):
        rows = payment_rows(payments, fmt)
        out.listing(rows, columns=payment_columns(rows), title="Payments",
                    optional=["recorded_by", "transaction_id"], whole=MONEY_COLUMNS)


def _print_messages(out: Output, view: Mapping[str, Any]) -> None:
    messages = view.get("messages") or []
    if not messages:
        return
    rows = [{"created_at": m["created_at"], "event": _word(m["event_type"]).replace("_", " "),
             "by": m.get("sent_by"),
             "to": ", ".join(r.get("email", "") if isinstance(r, Mapping) else str(r)
                             for r in m.get("recipients") or []),
             "subject": m.get("subject")} for m in messages]
    columns = [column for column in ("created_at", "event", "by", "to", "subject")
               if any(row[column] for row in rows)]
    out.listing(rows, columns=columns, title="History", optional=["subject", "by"])
