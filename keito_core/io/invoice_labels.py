"""What the PDF and the HTML page both write, worded once so the two always agree.

The facts beside the client, a line's project and taxes, the rows of the totals block, the
state mark and the accent colour, as plain values: each renderer escapes and styles them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from keito_core.io.invoice_document import DocumentLine, InvoiceDocument
from keito_core.io.money_text import DocumentText

#: The accent colour when the workspace's is not a `#rrggbb` value.
DEFAULT_ACCENT = "#5b21b6"
#: The word written on a draft, paid or closed invoice (an open one has none).
STATE_MARKS = {"draft": "DRAFT", "paid": "PAID", "closed": "CLOSED"}


def accent(doc: InvoiceDocument) -> str:
    """The document's accent colour as `#rrggbb` (anything else gives the default: the value
    goes into the PDF's colours and the page's CSS)."""
    value = doc.accent_color or ""
    return value if re.fullmatch(r"#[0-9a-fA-F]{6}", value) else DEFAULT_ACCENT


@dataclass(frozen=True, slots=True)
class TotalRow:
    """One row of the totals block; `kind` is "" for most, "total" and "due" for those two."""

    label: str
    value: str
    kind: str = ""


def facts(doc: InvoiceDocument, fmt: DocumentText) -> list[tuple[str, str]]:
    """Issue and due dates, terms, purchase order, period and currency, as (label, value)."""
    rows = [("Issue date", fmt.date(doc.issue_date)), ("Due date", fmt.date(doc.due_date)),
            ("Terms", doc.payment_terms)]
    if doc.purchase_order:
        rows.append(("PO number", doc.purchase_order))
    if doc.period_start and doc.period_end:
        rows.append(("Period", fmt.period(doc.period_start, doc.period_end)))
    rows.append(("Currency", doc.currency))
    return rows


def taxes_vary(doc: InvoiceDocument) -> bool:
    """Whether the lines differ in the taxes they carry (only then does each line say)."""
    return bool(doc.tax or doc.tax2) and len({(line.taxed, line.taxed2)
                                              for line in doc.lines}) > 1


def line_project(line: DocumentLine, doc: InvoiceDocument) -> str | None:
    """`[ACME-WEB] Website`: the line's project, its code first when codes are shown."""
    code = line.project_code if doc.show_project_codes and line.project_code else None
    label = " ".join(part for part in (f"[{code}]" if code else None, line.project_name)
                     if part)
    return label or None


def line_taxes(line: DocumentLine, doc: InvoiceDocument) -> list[str]:
    """The labels of the taxes charged on `line` ("VAT", "Tax 2")."""
    return [label for flag, rate, label in ((line.taxed, doc.tax, doc.tax_label or "Tax"),
                                            (line.taxed2, doc.tax2, doc.tax2_label or "Tax 2"))
            if flag and rate]


def totals(doc: InvoiceDocument, fmt: DocumentText) -> list[TotalRow]:
    """Subtotal, discount, both taxes, total, paid and amount due, each as stored."""
    rows = [TotalRow("Subtotal", fmt.money(doc.subtotal))]
    if doc.discount or doc.discount_amount:
        rows.append(TotalRow(f"Discount ({fmt.percent(doc.discount)})",
                             fmt.money(-doc.discount_amount)))
    for label, rate, amount, default in ((doc.tax_label, doc.tax, doc.tax_amount, "Tax"),
                                         (doc.tax2_label, doc.tax2, doc.tax2_amount, "Tax 2")):
        if rate or amount:
            rows.append(TotalRow(f"{label or default} ({fmt.percent(rate)})",
                                 fmt.money(amount)))
    rows.append(TotalRow("Total", fmt.money(doc.amount), "total"))
    if doc.paid_amount:
        rows.append(TotalRow("Paid", fmt.money(-doc.paid_amount)))
    rows.append(TotalRow("Amount due", fmt.money(doc.due_amount), "due"))
    return rows
