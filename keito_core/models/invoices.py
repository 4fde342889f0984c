"""Invoices, their lines and the payments recorded against them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import InvoiceState, LineKind, PaymentTerms
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    money,
    timestamp,
)


class Invoice(Timestamped, table=True):
    """A bill to a client in the client's currency (reference: Creating Invoices).

    Totals are stored, computed by the invoice rules whenever lines change.
    """

    __tablename__ = "invoices"

    id: str = id_field()
    client_id: str = fk("clients.id")
    number: str = Field(max_length=64, unique=True)
    state: InvoiceState = enum_field(InvoiceState, InvoiceState.DRAFT, index=True)
    issue_date: date = Field(index=True)
    due_date: date
    payment_terms: PaymentTerms = enum_field(PaymentTerms, PaymentTerms.NET_30)
    payment_term_days: int | None = Field(default=None)
    subject: str | None = Field(default=None, max_length=500)
    purchase_order: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None)
    currency: str = Field(max_length=3)
    period_start: date | None = Field(default=None)
    period_end: date | None = Field(default=None)
    discount_percent: Decimal | None = money()
    tax1_label: str | None = Field(default=None, max_length=40)
    tax1_rate: Decimal | None = money()
    tax2_label: str | None = Field(default=None, max_length=40)
    tax2_rate: Decimal | None = money()
    subtotal: Decimal = money(nullable=False, default=Decimal(0))
    discount_amount: Decimal = money(nullable=False, default=Decimal(0))
    tax1_amount: Decimal = money(nullable=False, default=Decimal(0))
    tax2_amount: Decimal = money(nullable=False, default=Decimal(0))
    total: Decimal = money(nullable=False, default=Decimal(0))
    amount_paid: Decimal = money(nullable=False, default=Decimal(0))
    #: Random token naming the self-contained HTML rendering (the "client portal").
    portal_token: str = Field(max_length=64, unique=True)
    created_by_id: str | None = fk("users.id", nullable=True, index=False)
    sent_at: datetime | None = timestamp(nullable=True)
    paid_at: datetime | None = timestamp(nullable=True)
    closed_at: datetime | None = timestamp(nullable=True)


class InvoiceLine(TableModel, table=True):
    """One line: quantity x unit price = amount (rounded once), and the taxes it bears.

    Time entries and expenses billed on a line point at it (`invoice_line_id`); removing the
    line releases them. A fixed-fee project's fee line names the project in `fee_project_id`,
    which is unique: the database itself bills a fee once.
    """

    __tablename__ = "invoice_lines"
    __table_args__ = (
        sa.Index("ix_invoice_lines_invoice_position", "invoice_id", "position"),
        sa.Index("uq_invoice_lines_fee_project_id", "fee_project_id", unique=True),
    )

    id: str = id_field()
    invoice_id: str = fk("invoices.id", ondelete="CASCADE", index=False)
    position: int = Field(default=0)
    kind: LineKind = enum_field(LineKind, LineKind.SERVICE)
    description: str = Field(default="")
    quantity: Decimal = money(nullable=False, default=Decimal(1))
    unit_price: Decimal = money(nullable=False, default=Decimal(0))
    amount: Decimal = money(nullable=False, default=Decimal(0))
    taxed1: bool = Field(default=True)
    taxed2: bool = Field(default=True)
    project_id: str | None = fk("projects.id", nullable=True)
    #: The line bills an agent's time (printed with an agent label).
    is_agent: bool = Field(default=False)
    fee_project_id: str | None = fk("projects.id", nullable=True, index=False)
    created_at: datetime = timestamp()


class InvoiceNumber(TableModel, table=True):
    """Every invoice number ever given: the primary key makes a number impossible to reuse,
    even after its invoice is deleted."""

    __tablename__ = "invoice_numbers"

    number: str = Field(primary_key=True, max_length=64)
    #: No foreign key: the record outlives a deleted invoice.
    invoice_id: str = Field(max_length=40)
    created_at: datetime = timestamp()


class InvoiceMessage(TableModel, table=True):
    """An email sent about an invoice, or a state change recorded in its history
    (the API's InvoiceMessage: send, reminder, thank_you, mark_sent, close, reopen)."""

    __tablename__ = "invoice_messages"

    id: str = id_field()
    invoice_id: str = fk("invoices.id", ondelete="CASCADE")
    event_type: str = Field(max_length=20)
    sent_by_id: str | None = fk("users.id", nullable=True, index=False)
    sent_from_email: str | None = Field(default=None, max_length=254)
    recipients: list[dict[str, str]] = Field(
        default_factory=list, sa_column=sa.Column("recipients", sa.JSON, nullable=False))
    subject: str | None = Field(default=None)
    body: str | None = Field(default=None)
    attach_pdf: bool = Field(default=False)
    send_me_a_copy: bool = Field(default=False)
    created_at: datetime = timestamp()


class Payment(TableModel, table=True):
    __tablename__ = "payments"

    id: str = id_field()
    invoice_id: str = fk("invoices.id", ondelete="CASCADE")
    amount: Decimal = money(nullable=False, default=Decimal(0))
    paid_on: date
    notes: str | None = Field(default=None)
    transaction_id: str | None = Field(default=None, max_length=200)
    recorded_by_id: str | None = fk("users.id", nullable=True, index=False)
    created_at: datetime = timestamp()
