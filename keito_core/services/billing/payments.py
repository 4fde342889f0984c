"""Payments against an invoice (reference: Tracking Payments).

A payment is recorded only while it fits what is due: the UPDATE that adds it to the
invoice's paid amount says `total - amount_paid >= payment` in its WHERE, so two payments
recorded at once can never together pay more than the amount (money is never counted twice).
The invoice moves to paid when its payments cover the amount; deleting a payment reopens it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import InvoiceState
from keito_core.errors import conflict, not_found, validation
from keito_core.models import Invoice, Payment
from keito_core.models.types import Micros
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.rules.money import check_minor_unit, format_money, parse_money
from keito_core.rules.periods import parse_date
from keito_core.rules.permissions import Action, Actor
from keito_core.rules.text import clean_text
from keito_core.services.billing.invoices import (
    find_invoice,
    require_invoice,
    settle_state,
    workspace_today,
)
from keito_core.sync import outbox as sync_outbox


def record_payment(session: Session, *, actor: Actor, invoice_ref: str,
                   amount: Decimal | str, paid_on: date | str | None = None,
                   notes: str | None = None, transaction_id: str | None = None,
                   now: datetime) -> Payment:
    """Record money received for an open invoice; refused beyond the amount due."""
    invoice = find_invoice(session, invoice_ref)
    require_invoice(session, actor, Action.INVOICE_RECORD_PAYMENT, invoice)
    if invoice.state is not InvoiceState.OPEN:
        hint = {InvoiceState.DRAFT: "send it or mark it as sent first",
                InvoiceState.PAID: "it is paid in full",
                InvoiceState.CLOSED: "reopen it first"}[invoice.state]
        raise conflict(f"invoice {invoice.number} is {invoice.state.value}: payments are "
                       "recorded against open invoices", hint=hint)
    value = parse_money(amount.strip() if isinstance(amount, str) else amount, field="amount")
    if value <= 0:
        raise validation("a payment must be more than 0", field="amount")
    check_minor_unit(value, invoice.currency, field="amount")
    workspace = get_workspace(session)
    today = workspace_today(workspace, now)
    day = paid_on if isinstance(paid_on, date) else (
        parse_date(paid_on, today=today, field="paid_on") if paid_on else today)
    if day > today:
        raise validation(f"a payment cannot be dated in the future ({day})", field="paid_on")
    result: Any = session.execute(
        sa.update(Invoice)
        .where(col(Invoice.id) == invoice.id,
               col(Invoice.total) - col(Invoice.amount_paid) >= sa.literal(value, Micros))
        .values(amount_paid=col(Invoice.amount_paid) + sa.literal(value, Micros),
                updated_at=now)
        .execution_options(synchronize_session=False))
    if not result.rowcount:
        session.refresh(invoice)
        due = invoice.total - invoice.amount_paid
        raise validation(
            f"{format_money(value, invoice.currency)} is more than the "
            f"{format_money(due, invoice.currency)} due on invoice {invoice.number}",
            field="amount", hint="record at most the amount due")
    payment = Payment(id=new_id("payment"), invoice_id=invoice.id, amount=value, paid_on=day,
                      notes=clean_text(notes, limit=2000, field="notes"),
                      transaction_id=clean_text(transaction_id, limit=200,
                                                field="transaction_id"),
                      recorded_by_id=actor.user_id, created_at=now)
    session.add(payment)
    session.flush()
    session.refresh(invoice)
    settle_state(invoice, now=now)
    sync_outbox.payment_recorded(session, payment_id=payment.id, invoice_id=invoice.id,
                                 now=now, actor_id=actor.user_id)
    audit.record(session, actor_id=actor.user_id, action="invoice.payment", entity=invoice,
                 changes={"payment_id": payment.id, "amount": value, "paid_on": day,
                          "state": invoice.state}, now=now)
    session.flush()
    return payment


def find_payment(session: Session, invoice: Invoice, ref: str) -> Payment:
    """A payment of `invoice` by ID or its number in the payment history (1 is the first)."""
    payments = list(session.exec(select(Payment).where(Payment.invoice_id == invoice.id)
                                 .order_by(col(Payment.paid_on), col(Payment.id))))
    text = str(ref).strip()
    if text.isdigit() and 1 <= int(text) <= len(payments):
        return payments[int(text) - 1]
    for payment in payments:
        if payment.id == text:
            return payment
    raise not_found("payment", f"{text} on invoice {invoice.number}", field="payment")


def delete_payment(session: Session, *, actor: Actor, invoice_ref: str, payment_ref: str,
                   now: datetime) -> Payment:
    """Delete a payment; a paid invoice reopens."""
    invoice = find_invoice(session, invoice_ref)
    require_invoice(session, actor, Action.INVOICE_RECORD_PAYMENT, invoice)
    if invoice.state is InvoiceState.CLOSED:
        raise conflict(f"invoice {invoice.number} is closed", hint="reopen it first")
    payment = find_payment(session, invoice, payment_ref)
    session.execute(
        sa.update(Invoice).where(col(Invoice.id) == invoice.id)
        .values(amount_paid=col(Invoice.amount_paid) - sa.literal(payment.amount, Micros),
                updated_at=now)
        .execution_options(synchronize_session=False))
    sync_outbox.payment_deleted(session, payment_id=payment.id, invoice_id=invoice.id,
                                now=now, actor_id=actor.user_id)
    session.delete(payment)
    session.flush()
    session.refresh(invoice)
    settle_state(invoice, now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.payment_delete",
                 entity=invoice, changes={"payment_id": payment.id, "amount": payment.amount,
                                          "state": invoice.state}, now=now)
    session.flush()
    return payment


def payment_due(invoice: Invoice) -> Decimal:
    """What is still due on an invoice."""
    return invoice.total - invoice.amount_paid

