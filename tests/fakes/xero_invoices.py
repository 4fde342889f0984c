"""Sales invoices as Xero keeps them: lines, per-line tax rounded to the cent, status rules.

Xero computes each line on its own: LineAmount = Quantity x UnitAmount less the discount, rounded
half up to the cent; the line's tax is its TaxAmount when given, else LineAmount x the tax rate's
EffectiveRate rounded to the cent; SubTotal and TotalTax are sums of the lines. Summing rounded
line taxes can differ by a cent from taxing the subtotal, which is what Keito must correct for.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .xero_errors import NotModelled, Rejected
from .xero_wire import date_string, ms_date, round_half_up

if TYPE_CHECKING:
    from .xero_books import Books

LINE_TOLERANCE = Decimal("0.01")
EDITABLE = ("DRAFT", "SUBMITTED", "AUTHORISED")
NOT_EDITABLE_PAID = ("This document cannot be edited as it has a payment or credit note "
                     "allocated to it.")
NOT_VALID_STATUS = "Invoice not of valid status for modification"
_STATUS_ORDER = {"DRAFT": 0, "SUBMITTED": 1, "AUTHORISED": 2}


@dataclass
class Line:
    line_item_id: str
    description: str
    quantity: Decimal
    unit_amount: Decimal
    account_code: str | None
    tax_type: str | None
    line_amount: Decimal
    tax_amount: Decimal
    discount_rate: Decimal | None = None
    item_code: str | None = None
    tracking: list[Any] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "LineItemID": self.line_item_id, "Description": self.description,
            "Quantity": self.quantity, "UnitAmount": self.unit_amount,
            "TaxType": self.tax_type, "TaxAmount": self.tax_amount,
            "LineAmount": self.line_amount, "AccountCode": self.account_code,
            "Tracking": self.tracking,
        }
        if self.discount_rate is not None:
            out["DiscountRate"] = self.discount_rate
        if self.item_code is not None:
            out["ItemCode"] = self.item_code
        return out


@dataclass
class Invoice:
    invoice_id: str
    type: str
    contact_id: str
    number: str
    status: str
    currency_code: str
    line_amount_types: str
    lines: list[Line]
    updated_at: datetime
    date: dt.date | None = None
    due_date: dt.date | None = None
    reference: str | None = None
    currency_rate: Decimal = Decimal("1")
    sent_to_contact: bool = False
    #: PaymentIDs of the payments against it, deleted ones included.
    payment_ids: list[str] = field(default_factory=list)
    has_attachments: bool = False
    fully_paid_on: dt.date | None = None

    @property
    def sub_total(self) -> Decimal:
        if self.line_amount_types == "Inclusive":
            return sum((ln.line_amount - ln.tax_amount for ln in self.lines), Decimal("0.00"))
        return sum((ln.line_amount for ln in self.lines), Decimal("0.00"))

    @property
    def total_tax(self) -> Decimal:
        return sum((ln.tax_amount for ln in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.sub_total + self.total_tax


def invoice_json(books: Books, invoice: Invoice) -> dict[str, Any]:
    """The invoice as Xero answers it (amounts as Decimal; the wire writes them as numbers)."""
    paid = books.amount_paid(invoice)
    out: dict[str, Any] = {
        "Type": invoice.type, "InvoiceID": invoice.invoice_id,
        "InvoiceNumber": invoice.number, "Reference": invoice.reference or "",
        "Payments": [books.payment_summary(p) for p in books.live_payments(invoice)],
        "CreditNotes": [], "Prepayments": [], "Overpayments": [],
        "AmountDue": invoice.total - paid, "AmountPaid": paid,
        "AmountCredited": Decimal("0.00"), "SentToContact": invoice.sent_to_contact,
        "CurrencyRate": invoice.currency_rate, "HasErrors": False,
        "IsDiscounted": any(ln.discount_rate for ln in invoice.lines),
        "HasAttachments": invoice.has_attachments,
        "Contact": books.contact_summary(invoice.contact_id),
        "Status": invoice.status, "LineAmountTypes": invoice.line_amount_types,
        "LineItems": [ln.json() for ln in invoice.lines],
        "SubTotal": invoice.sub_total, "TotalTax": invoice.total_tax, "Total": invoice.total,
        "UpdatedDateUTC": ms_date(invoice.updated_at),
        "CurrencyCode": invoice.currency_code,
    }
    if invoice.date is not None:
        out["Date"], out["DateString"] = ms_date(invoice.date), date_string(invoice.date)
    if invoice.due_date is not None:
        out["DueDate"] = ms_date(invoice.due_date)
        out["DueDateString"] = date_string(invoice.due_date)
    if invoice.fully_paid_on is not None:
        out["FullyPaidOnDate"] = ms_date(invoice.fully_paid_on)
    return out


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def build_lines(books: Books, raw_lines: list[Mapping[str, Any]], *, amount_types: str,
                unitdp: int, strict: bool) -> list[Line]:
    """Lines computed as Xero does; `strict` (SUBMITTED, AUTHORISED) requires account codes."""
    lines, errors = [], []
    unit_places = Decimal(1).scaleb(-4 if unitdp == 4 else -2)
    for raw in raw_lines:
        quantity = _decimal(raw.get("Quantity"))
        quantity = Decimal("1") if quantity is None else quantity
        unit = round_half_up(_decimal(raw.get("UnitAmount")) or Decimal("0"), unit_places)
        discount_rate = _decimal(raw.get("DiscountRate"))
        discount_amount = _decimal(raw.get("DiscountAmount"))
        gross = quantity * unit
        if discount_rate is not None:
            gross = gross * (1 - discount_rate / 100)
        if discount_amount is not None:
            gross -= discount_amount
        expected = round_half_up(gross)
        given = _decimal(raw.get("LineAmount"))
        line_amount = expected
        if given is not None:
            if abs(given - expected) > LINE_TOLERANCE:
                errors.append(f"The line total {given} does not match the expected line total "
                              f"{expected}")
            line_amount = round_half_up(given)
        account_code = raw.get("AccountCode")
        if account_code is not None and account_code not in books.accounts_by_code:
            errors.append(f"Account code '{account_code}' is not a valid code for this "
                          "document.")
        elif account_code is None and strict:
            errors.append("Account code must be specified")
        tax_type = raw.get("TaxType")
        if tax_type is None and account_code in books.accounts_by_code:
            tax_type = books.accounts_by_code[account_code].tax_type
        rate = Decimal("0")
        if amount_types == "NoTax":
            tax_type = "NONE"
        if tax_type is not None:
            if tax_type not in books.tax_rates:
                errors.append(f"The TaxType code '{tax_type}' does not exist or cannot be used "
                              "for this type of transaction.")
            else:
                rate = books.tax_rates[tax_type].effective_rate
        given_tax = _decimal(raw.get("TaxAmount"))
        if given_tax is not None and amount_types != "NoTax":
            tax = round_half_up(given_tax)
        elif amount_types == "Inclusive":
            tax = round_half_up(line_amount * rate / (100 + rate))
        else:
            tax = round_half_up(line_amount * rate / 100)
        if not raw.get("Description") and not raw.get("ItemCode"):
            errors.append("Description cannot be empty")
        lines.append(Line(
            line_item_id=raw.get("LineItemID") or str(uuid.uuid4()),
            description=raw.get("Description") or "", quantity=quantity, unit_amount=unit,
            account_code=account_code, tax_type=tax_type, line_amount=line_amount,
            tax_amount=tax, discount_rate=discount_rate, item_code=raw.get("ItemCode"),
            tracking=list(raw.get("Tracking") or [])))
    if errors:
        raise Rejected(*errors)
    return lines


def _parse_date(value: Any) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def create_invoice(books: Books, element: Mapping[str, Any], *, unitdp: int,
                   now: datetime) -> Invoice:
    """A new ACCREC invoice from a request element (required fields already checked)."""
    if element["Type"] != "ACCREC":
        raise NotModelled(f"invoices of Type {element['Type']} (the fake keeps ACCREC only)")
    status = element.get("Status", "DRAFT")
    errors = []
    if status not in EDITABLE:
        errors.append(f"Invoice Status {status} cannot be set when creating an invoice")
    number = element.get("InvoiceNumber") or books.next_invoice_number()
    if books.invoice_by_number(number) is not None:
        errors.append("Invoice # must be unique.")
    currency = element.get("CurrencyCode") or books.base_currency
    if currency not in books.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    due = _parse_date(element.get("DueDate"))
    if status != "DRAFT" and due is None:
        errors.append("Due Date cannot be empty")
    if errors:
        raise Rejected(*errors)
    contact_id = books.contact_for_invoice(element["Contact"], now=now)
    amount_types = element.get("LineAmountTypes", "Exclusive")
    invoice = Invoice(
        invoice_id=str(uuid.uuid4()), type="ACCREC", contact_id=contact_id, number=number,
        status=status, currency_code=currency, line_amount_types=amount_types,
        lines=build_lines(books, element["LineItems"], amount_types=amount_types,
                          unitdp=unitdp, strict=status != "DRAFT"),
        updated_at=now, date=_parse_date(element.get("Date")) or now.date(), due_date=due,
        reference=element.get("Reference"),
        currency_rate=_decimal(element.get("CurrencyRate")) or Decimal("1"),
        sent_to_contact=bool(element.get("SentToContact", False)))
    books.invoices[invoice.invoice_id] = invoice
    return invoice


def update_invoice(books: Books, invoice: Invoice, element: Mapping[str, Any], *, unitdp: int,
                   now: datetime) -> Invoice:
    """Apply an update element; voids and deletes follow Xero's status rules."""
    status = element.get("Status", invoice.status)
    paid = bool(books.live_payments(invoice))
    if status in ("VOIDED", "DELETED"):
        _end(invoice, status, paid=paid)
        invoice.updated_at = now
        return invoice
    if invoice.status not in EDITABLE:
        raise Rejected(NOT_VALID_STATUS)
    changes_money = any(k in element for k in ("LineItems", "LineAmountTypes", "CurrencyCode"))
    if paid and changes_money:
        raise Rejected(NOT_EDITABLE_PAID)
    if status not in EDITABLE or _STATUS_ORDER[status] < _STATUS_ORDER[invoice.status]:
        raise Rejected(f"Invoice Status cannot be changed from {invoice.status} to {status}")
    errors = []
    number = element.get("InvoiceNumber", invoice.number)
    other = books.invoice_by_number(number)
    if other is not None and other is not invoice:
        errors.append("Invoice # must be unique.")
    currency = element.get("CurrencyCode", invoice.currency_code)
    if currency not in books.currencies:
        errors.append(f"Organisation is not subscribed to currency {currency}")
    due = _parse_date(element["DueDate"]) if "DueDate" in element else invoice.due_date
    if status != "DRAFT" and due is None:
        errors.append("Due Date cannot be empty")
    if errors:
        raise Rejected(*errors)
    amount_types = element.get("LineAmountTypes", invoice.line_amount_types)
    raw_lines = element.get("LineItems")
    if raw_lines is None and (amount_types != invoice.line_amount_types or status != "DRAFT"):
        keep_tax = amount_types == invoice.line_amount_types
        raw_lines = [_line_as_raw(ln, keep_tax=keep_tax) for ln in invoice.lines]
    if raw_lines is not None:
        invoice.lines = build_lines(books, raw_lines, amount_types=amount_types,
                                    unitdp=unitdp, strict=status != "DRAFT")
    if "Contact" in element:
        invoice.contact_id = books.contact_for_invoice(element["Contact"], now=now)
    if "Date" in element:
        invoice.date = _parse_date(element["Date"])
    if "Reference" in element:
        invoice.reference = element["Reference"]
    if "SentToContact" in element:
        invoice.sent_to_contact = bool(element["SentToContact"])
    invoice.number, invoice.currency_code, invoice.due_date = number, currency, due
    invoice.line_amount_types, invoice.status, invoice.updated_at = amount_types, status, now
    return invoice


def _end(invoice: Invoice, status: str, *, paid: bool) -> None:
    if status == "VOIDED":
        if paid:
            raise Rejected(NOT_EDITABLE_PAID)
        if invoice.status not in ("AUTHORISED", "SUBMITTED"):
            raise Rejected(f"Invoice of status {invoice.status} cannot be voided; "
                           "only AUTHORISED invoices can be voided")
    elif invoice.status not in ("DRAFT", "SUBMITTED"):
        raise Rejected(f"Invoice of status {invoice.status} cannot be deleted; "
                       "only DRAFT or SUBMITTED invoices can be deleted")
    invoice.status = status


def _line_as_raw(line: Line, *, keep_tax: bool) -> dict[str, Any]:
    """A kept line as a request would give it, to recompute it under new settings."""
    raw: dict[str, Any] = {
        "LineItemID": line.line_item_id, "Description": line.description,
        "Quantity": line.quantity, "UnitAmount": line.unit_amount,
        "AccountCode": line.account_code, "TaxType": line.tax_type,
        "LineAmount": line.line_amount, "Tracking": line.tracking,
    }
    if keep_tax:
        raw["TaxAmount"] = line.tax_amount
    if line.discount_rate is not None:
        raw["DiscountRate"] = line.discount_rate
    if line.item_code is not None:
        raw["ItemCode"] = line.item_code
    return {k: v for k, v in raw.items() if v is not None}

