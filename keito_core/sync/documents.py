"""What a provider is asked to send: plain, frozen copies of Keito's records.

The engine reads these in a short read transaction and hands them to a provider (Xero or
QuickBooks), which turns them into the vendor's request bodies. Providers never see the
database, and a snapshot never changes under them while the HTTP calls run.

`fingerprint` digests what a snapshot would send: an unchanged record is not sent again, and a
write's idempotency key is derived from it, so a retry of the same content is recognised by the
vendor while a changed invoice is a new request.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import LineKind
from keito_core.models import (
    Client,
    Contact,
    Invoice,
    InvoiceLine,
    Payment,
    Project,
    TimeEntry,
)


@dataclass(frozen=True)
class ClientDoc:
    id: str
    name: str
    currency: str
    email: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class LineDoc:
    id: str
    position: int
    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxed1: bool
    taxed2: bool
    project_id: str | None
    #: The task of every time entry billed on the line, when they share one (item mapping).
    task_id: str | None = None
    #: The project's name (a QuickBooks sub-customer is named after it).
    project_name: str | None = None


@dataclass(frozen=True)
class InvoiceDoc:
    id: str
    number: str
    state: str
    client: ClientDoc
    issue_date: date
    due_date: date
    currency: str
    subject: str | None
    purchase_order: str | None
    notes: str | None
    discount_percent: Decimal | None
    discount_amount: Decimal
    tax1_label: str | None
    tax1_rate: Decimal | None
    tax1_amount: Decimal
    tax2_label: str | None
    tax2_rate: Decimal | None
    tax2_amount: Decimal
    subtotal: Decimal
    total: Decimal
    amount_paid: Decimal
    lines: tuple[LineDoc, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PaymentDoc:
    id: str
    invoice_id: str
    amount: Decimal
    paid_on: date
    currency: str
    notes: str | None = None
    transaction_id: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def fingerprint(doc: ClientDoc | InvoiceDoc | PaymentDoc, *extra: Any) -> str:
    """A stable digest of what the document would send (plus settings that shape it)."""
    text = json.dumps([_plain(asdict(doc)), _plain(list(extra))], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def client_doc(session: Session, client_id: str) -> ClientDoc:
    client = session.get(Client, client_id)
    if client is None:
        raise LookupError(client_id)
    contact = session.scalars(
        sa.select(Contact).where(col(Contact.client_id) == client_id)
        .order_by(sa.case((col(Contact.email).is_(None), 1), else_=0), col(Contact.created_at),
                  col(Contact.id))
        .limit(1)
    ).first()
    return ClientDoc(
        id=client.id, name=client.name, currency=client.currency,
        email=contact.email if contact else None,
        first_name=contact.first_name if contact else None,
        last_name=contact.last_name if contact else None,
        phone=client.phone or (contact.phone_office if contact else None),
        street=client.street, city=client.city, region=client.region,
        postal_code=client.postal_code, country=client.country,
    )


def _line_tasks(session: Session, invoice_id: str) -> dict[str, str]:
    """line ID -> the one task its time entries share (lines of mixed tasks are absent)."""
    rows = session.execute(
        sa.select(col(TimeEntry.invoice_line_id), sa.func.min(col(TimeEntry.task_id)),
                  sa.func.count(sa.distinct(col(TimeEntry.task_id))))
        .where(col(TimeEntry.invoice_id) == invoice_id,
               col(TimeEntry.invoice_line_id).is_not(None))
        .group_by(col(TimeEntry.invoice_line_id))
    ).all()
    return {line_id: task_id for line_id, task_id, count in rows if count == 1 and task_id}


def invoice_doc(session: Session, invoice_id: str) -> InvoiceDoc:
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise LookupError(invoice_id)
    tasks = _line_tasks(session, invoice_id)
    projects: dict[str, str] = {
        project_id: name for project_id, name in session.execute(
            sa.select(col(Project.id), col(Project.name))
            .join(InvoiceLine, col(InvoiceLine.project_id) == col(Project.id))
            .where(col(InvoiceLine.invoice_id) == invoice_id))}
    lines = session.scalars(
        sa.select(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice_id)
        .order_by(col(InvoiceLine.position), col(InvoiceLine.id))
    ).all()
    return InvoiceDoc(
        id=invoice.id, number=invoice.number, state=str(invoice.state),
        client=client_doc(session, invoice.client_id),
        issue_date=invoice.issue_date, due_date=invoice.due_date, currency=invoice.currency,
        subject=invoice.subject, purchase_order=invoice.purchase_order, notes=invoice.notes,
        discount_percent=invoice.discount_percent, discount_amount=invoice.discount_amount,
        tax1_label=invoice.tax1_label, tax1_rate=invoice.tax1_rate,
        tax1_amount=invoice.tax1_amount,
        tax2_label=invoice.tax2_label, tax2_rate=invoice.tax2_rate,
        tax2_amount=invoice.tax2_amount,
        subtotal=invoice.subtotal, total=invoice.total, amount_paid=invoice.amount_paid,
        lines=tuple(
            LineDoc(id=line.id, position=line.position, kind=LineKind(line.kind),
                    description=line.description, quantity=line.quantity,
                    unit_price=line.unit_price, amount=line.amount, taxed1=line.taxed1,
                    taxed2=line.taxed2, project_id=line.project_id,
                    task_id=tasks.get(line.id),
                    project_name=projects.get(line.project_id) if line.project_id else None)
            for line in lines
        ),
    )


def payment_doc(session: Session, payment_id: str) -> PaymentDoc:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise LookupError(payment_id)
    currency = session.execute(
        sa.select(col(Invoice.currency)).where(col(Invoice.id) == payment.invoice_id)
    ).scalar_one()
    return PaymentDoc(
        id=payment.id, invoice_id=payment.invoice_id, amount=payment.amount,
        paid_on=payment.paid_on, currency=currency, notes=payment.notes,
        transaction_id=payment.transaction_id,
    )
