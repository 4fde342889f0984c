"""What an invoice's PDF and HTML page print: plain values, read once, rendered twice.

`reports.invoices.invoice_document` fills it from the database (the figures are the stored
ones, computed by `rules.invoices`); the renderers in `io.invoice_pdf` and `io.invoice_html`
never compute money, they only format it, so the PDF, the HTML page, the JSON and
`keito invoice explain` show the same figures to the penny.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Party:
    """Who sends or receives the invoice: a name and the lines of an address."""

    name: str
    address_lines: tuple[str, ...] = ()
    phone: str | None = None
    #: The client's contact the invoice is addressed to ("Ada Lovelace <ada@example.com>").
    contact: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentLine:
    """One printed line: quantity x unit price = amount, as stored."""

    kind: str  # service, product or expense
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxed: bool
    taxed2: bool
    project_name: str | None = None
    #: Shown beside the project's name when the workspace's "show project codes" is on.
    project_code: str | None = None
    #: The line bills an agent's time; the renderers label it as agent work.
    agent: bool = False


@dataclass(frozen=True, slots=True)
class DocumentPayment:
    paid_on: date
    amount: Decimal
    notes: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDocument:
    """Everything the PDF and the HTML page show for one invoice."""

    number: str
    state: str  # draft, open, paid, closed
    currency: str
    issue_date: date
    due_date: date
    payment_terms: str  # as printed: "Net 30", "Upon receipt", "Net 10 days"
    company: Party
    client: Party
    lines: tuple[DocumentLine, ...]
    subtotal: Decimal
    discount: Decimal  # percent, 0 when none
    discount_amount: Decimal
    tax_label: str | None
    tax: Decimal  # percent
    tax_amount: Decimal
    tax2_label: str | None
    tax2: Decimal
    tax2_amount: Decimal
    amount: Decimal
    paid_amount: Decimal
    due_amount: Decimal
    payments: tuple[DocumentPayment, ...] = ()
    subject: str | None = None
    purchase_order: str | None = None
    notes: str | None = None
    footer: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    #: A PNG or JPEG file; None prints the company's name in its place.
    logo_path: str | None = None
    accent_color: str = "#5b21b6"
    show_project_codes: bool = False
    decimal_separator: str = "."
    thousands_separator: str = ","
    date_format: str = "%Y-%m-%d"
