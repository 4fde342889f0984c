"""Invoice documents for the PDF and HTML tests: plain values, figures that add up."""

from __future__ import annotations

import dataclasses
import struct
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from keito_core.io.invoice_document import (
    DocumentLine,
    DocumentPayment,
    InvoiceDocument,
    Party,
)
from keito_core.rules.money import round_money

COMPANY = Party("Ångström & Söhne Consulting", ("12 Rue de l'Église", "75004 Paris", "France"),
                "+33 1 23 45 67 89")
CLIENT = Party("Acme Corporation", ("1 Market Street", "San Francisco, CA 94105"),
               "+1 415 555 0100", "Ada Lovelace <ada@acme.example>")


def line(description: str, quantity: str, unit_price: str, currency: str = "USD",
         **extra: Any) -> DocumentLine:
    """A service line whose amount is quantity x unit price, rounded to the currency."""
    amount = round_money(Decimal(quantity) * Decimal(unit_price), currency)
    fields: dict[str, Any] = {"taxed": True, "taxed2": False, **extra}
    return DocumentLine(fields.pop("kind", "service"), description, Decimal(quantity),
                        Decimal(unit_price), amount, **fields)


def document(lines: list[DocumentLine] | tuple[DocumentLine, ...], *, currency: str = "USD",
             discount: str = "0", tax: str = "0", tax2: str = "0",
             payments: tuple[DocumentPayment, ...] = (), **extra: Any) -> InvoiceDocument:
    """An invoice over `lines` whose totals follow the money rule (docs/invoicing.md)."""
    lines = tuple(lines)
    rate = Decimal(discount) / 100
    subtotal = sum((item.amount for item in lines), Decimal(0))
    taxed = sum((item.amount for item in lines if item.taxed), Decimal(0))
    taxed2 = sum((item.amount for item in lines if item.taxed2), Decimal(0))
    discount_amount = round_money(subtotal * rate, currency)
    tax_amount = round_money(taxed * (1 - rate) * Decimal(tax) / 100, currency)
    tax2_amount = round_money(taxed2 * (1 - rate) * Decimal(tax2) / 100, currency)
    amount = subtotal - discount_amount + tax_amount + tax2_amount
    paid = sum((p.amount for p in payments), Decimal(0))
    values: dict[str, Any] = {
        "number": "INV-2026-0042", "state": "open", "currency": currency,
        "issue_date": date(2026, 12, 1), "due_date": date(2026, 12, 31),
        "payment_terms": "Net 30", "company": COMPANY, "client": CLIENT,
        "tax_label": "VAT" if Decimal(tax) else None,
        "tax2_label": "State tax" if Decimal(tax2) else None,
    }
    values.update(extra)
    return InvoiceDocument(
        lines=lines, subtotal=subtotal, discount=Decimal(discount),
        discount_amount=discount_amount, tax=Decimal(tax), tax_amount=tax_amount,
        tax2=Decimal(tax2), tax2_amount=tax2_amount, amount=amount, paid_amount=paid,
        due_amount=amount - paid, payments=payments, **values)


def standard() -> InvoiceDocument:
    """A three-line invoice with a discount, two taxes, a payment, notes and a footer."""
    return document(
        [line("Website redesign: discovery", "12.50", "150.00", project_name="Website",
              project_code="ACME-WEB", taxed2=True),
         line("Code review by review-bot-01", "3.25", "80.00", project_name="Website",
              project_code="ACME-WEB", agent=True),
         line("LLM usage: claude-sonnet, 45,500 tokens", "45.5", "0.003", kind="expense",
              project_name="Mobile app", project_code="ACME-APP", taxed=False)],
        discount="10", tax="20", tax2="2.5",
        payments=(DocumentPayment(date(2026, 12, 10), Decimal("500.00"), "First half",
                                  "TX-7781"),),
        subject="Website redesign, November", purchase_order="PO-1234",
        notes="Thank you for your business.\nPlease pay by bank transfer.",
        footer="IBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPP",
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
        show_project_codes=True)


def numbered(count: int, **extra: Any) -> InvoiceDocument:
    """An invoice of `count` lines described "Line 0001", "Line 0002", ..."""
    return document([line(f"Line {n:04d}", "1.50", "100.00", project_name="Website")
                     for n in range(1, count + 1)], **extra)


def replace(doc: InvoiceDocument, **changes: Any) -> InvoiceDocument:
    return dataclasses.replace(doc, **changes)


def tiny_png(path: Path, width: int = 8, height: int = 4) -> Path:
    """A small opaque PNG made byte by byte (purple), written to `path`."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((91, 33, 182)) * width
    path.write_bytes(b"\x89PNG\r\n\x1a\n"
                     + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(row * height))
                     + chunk(b"IEND", b""))
    return path
