"""Invoices: a free-form draft, its header, its number, its states, deleting it.

Who may act is the policy's: drafting needs "Draft invoices", editing, sending, payments and
closing need "Send/edit invoices", each for every project the invoice bills (a manager's
managed projects; administrators any); deleting is for administrators. Every change is in
the audit trail, in the same transaction.

States (reference: Creating Invoices): draft -> open (sent, or marked as sent) -> paid when
payments cover the amount; open or paid -> closed (written off) -> reopened to open or paid.
Drafts edit freely; open invoices edit with a warning; paid and closed ones refuse (`locked`).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import InvoiceState, PaymentTerms
from keito_core.errors import KeitoError, conflict, validation
from keito_core.models import (
    Client,
    Expense,
    Invoice,
    InvoiceLine,
    InvoiceMessage,
    InvoiceNumber,
    Payment,
    Project,
    TimeEntry,
    Workspace,
)
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_client, find_invoice
from keito_core.platform.notices import warn
from keito_core.rules import permissions as policy
from keito_core.rules.invoices import LineInput, invoice_totals
from keito_core.rules.money import format_money, parse_percent
from keito_core.rules.numbering import format_invoice_number
from keito_core.rules.periods import parse_date
from keito_core.rules.permissions import Action, Actor, Target
from keito_core.rules.text import clean_text
from keito_core.sync import outbox as sync_outbox

#: Days to the due date for each payment term (custom: the invoice's own days).
TERM_DAYS = {PaymentTerms.UPON_RECEIPT: 0, PaymentTerms.NET_15: 15, PaymentTerms.NET_30: 30,
             PaymentTerms.NET_45: 45, PaymentTerms.NET_60: 60}
#: The longest custom payment term.
MAX_TERM_DAYS = 365
_TEXT_LIMITS = {"subject": 500, "purchase_order": 100, "notes": 10_000}
_LABEL_LIMIT = 40
#: Header fields `edit_invoice` accepts.
HEADER_FIELDS = frozenset({
    "issue_date", "due_date", "payment_terms", "payment_term_days", "subject", "purchase_order",
    "notes", "discount", "tax", "tax2", "tax_label", "tax2_label", "period_start", "period_end"})


@dataclass(frozen=True, slots=True)
class Header:
    """What a new invoice's header says: None takes the workspace's default."""

    issue_date: date | str | None = None
    payment_terms: PaymentTerms | str | None = None
    payment_term_days: int | None = None
    due_date: date | str | None = None
    subject: str | None = None
    purchase_order: str | None = None
    notes: str | None = None
    discount: Decimal | str | None = None
    tax: Decimal | str | None = None
    tax2: Decimal | str | None = None
    tax_label: str | None = None
    tax2_label: str | None = None


def workspace_today(workspace: Workspace, now: datetime) -> date:
    """The workspace's date at `now`."""
    return now.astimezone(ZoneInfo(workspace.timezone)).date()


# ── finding and permissions ──────────────────────────────────────────────────────────────


def invoice_project_ids(session: Session, invoice_id: str) -> set[str]:
    """Every project an invoice bills: its lines' projects and its items' projects."""
    ids: set[str] = set()
    for statement in (
        select(InvoiceLine.project_id).where(InvoiceLine.invoice_id == invoice_id),
        select(TimeEntry.project_id).where(TimeEntry.invoice_id == invoice_id).distinct(),
        select(Expense.project_id).where(Expense.invoice_id == invoice_id).distinct(),
    ):
        ids.update(pid for pid in session.exec(statement) if pid)
    return ids


def require_for_client(session: Session, actor: Actor, action: Action, client: Client,
                       project_ids: Iterable[str] = ()) -> None:
    """The policy's check of `action` on every project named, or, when none is, on at least
    one of the client's projects (a manager may act for a client whose project they manage)."""
    policy.require(actor, action)
    names = dict(session.exec(
        select(Project.id, Project.name).where(Project.client_id == client.id)).all())
    wanted = sorted(set(project_ids))
    if wanted:
        for project_id in wanted:
            policy.require(actor, action, Target(project_id=project_id,
                                                 project_name=names.get(project_id)))
        return
    if any(policy.can(actor, action, Target(project_id=pid)) for pid in names):
        return
    policy.require(actor, action, Target(project_id=f"client:{client.id}",
                                         project_name=f"any project of {client.name}"))


def require_invoice(session: Session, actor: Actor, action: Action, invoice: Invoice) -> Client:
    """Raise unless `actor` may do `action` to `invoice`; the invoice's client."""
    client = session.get(Client, invoice.client_id)
    assert client is not None
    require_for_client(session, actor, action, client, invoice_project_ids(session, invoice.id))
    return client


# ── header ───────────────────────────────────────────────────────────────────────────────


def _terms(value: PaymentTerms | str) -> PaymentTerms:
    if isinstance(value, PaymentTerms):
        return value
    word = str(value).strip().lower().replace(" ", "_").replace("-", "_")
    if word in ("net0", "net_0", "receipt", "due_on_receipt"):
        word = "upon_receipt"
    if word.startswith("net") and not word.startswith("net_"):
        word = "net_" + word[3:]
    try:
        return PaymentTerms(word)
    except ValueError:
        raise validation(
            f"unknown payment terms: {value!r}", field="payment_terms",
            hint="use upon_receipt, net_15, net_30, net_45, net_60, or custom with days",
        ) from None


def _term_days(days: Any) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        try:
            days = int(str(days).strip())
        except ValueError:
            raise validation(f"payment days must be a whole number: {days!r}",
                             field="payment_term_days") from None
    if not 0 <= days <= MAX_TERM_DAYS:
        raise validation(f"payment days must be between 0 and {MAX_TERM_DAYS}: {days}",
                         field="payment_term_days")
    return int(days)


def _day(value: date | str, today: date, field: str) -> date:
    if isinstance(value, date):
        return value
    return parse_date(str(value), today=today, field=field)


def _optional_percent(value: Decimal | str | None, field: str) -> Decimal | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    percent = parse_percent(value, field=field)
    return percent or None


def _label(value: str | None, field: str) -> str | None:
    cleaned = clean_text(value, limit=_LABEL_LIMIT, field=field)
    if cleaned and any(ch in cleaned for ch in "\r\n"):
        raise validation(f"{field} must be one line", field=field)
    return cleaned


def apply_header(invoice: Invoice, values: Mapping[str, Any], *, today: date) -> None:
    """Validate `values` (HEADER_FIELDS) and set them on `invoice`, keeping the due date in
    step with the terms: terms set the due date; a due date given alone makes the terms
    custom, its days counted from the issue date."""
    unknown = set(values) - HEADER_FIELDS
    if unknown:
        raise validation(f"unknown invoice field: {sorted(unknown)[0]}", field=sorted(unknown)[0])
    for name, limit in _TEXT_LIMITS.items():
        if name in values:
            setattr(invoice, name, clean_text(values[name], limit=limit, field=name))
    for name, attr in (("tax_label", "tax1_label"), ("tax2_label", "tax2_label")):
        if name in values:
            setattr(invoice, attr, _label(values[name], name))
    for name, attr in (("discount", "discount_percent"), ("tax", "tax1_rate"),
                       ("tax2", "tax2_rate")):
        if name in values:
            setattr(invoice, attr, _optional_percent(values[name], name))
    for name in ("period_start", "period_end"):
        if name in values:
            value = values[name]
            setattr(invoice, name, None if value in (None, "") else _day(value, today, name))
    if invoice.period_start and invoice.period_end and invoice.period_end < invoice.period_start:
        raise validation("the period ends before it starts", field="period_end")
    if "issue_date" in values and values["issue_date"] is not None:
        invoice.issue_date = _day(values["issue_date"], today, "issue_date")
    if values.get("payment_terms") is not None:
        invoice.payment_terms = _terms(values["payment_terms"])
    if values.get("payment_term_days") is not None:
        invoice.payment_term_days = _term_days(values["payment_term_days"])
        if values.get("payment_terms") is None:
            invoice.payment_terms = PaymentTerms.CUSTOM
    if values.get("due_date") is not None and values.get("payment_terms") is None \
            and values.get("payment_term_days") is None:
        due = _day(values["due_date"], today, "due_date")
        if due < invoice.issue_date:
            raise validation("the due date is before the issue date", field="due_date")
        invoice.payment_terms = PaymentTerms.CUSTOM
        invoice.payment_term_days = (due - invoice.issue_date).days
    if invoice.payment_terms is PaymentTerms.CUSTOM:
        if invoice.payment_term_days is None:
            raise validation("custom payment terms need their days", field="payment_term_days",
                             hint="give the days (e.g. --days 10) or a due date")
        days = invoice.payment_term_days
    else:
        invoice.payment_term_days = None
        days = TERM_DAYS[invoice.payment_terms]
    invoice.due_date = invoice.issue_date + timedelta(days=days)


def _header_values(header: Header, workspace: Workspace) -> dict[str, Any]:
    values: dict[str, Any] = {
        "subject": header.subject, "purchase_order": header.purchase_order,
        "notes": header.notes if header.notes is not None else workspace.invoice_notes,
        "discount": header.discount,
        "tax": header.tax if header.tax is not None else workspace.tax1_rate,
        "tax2": header.tax2 if header.tax2 is not None else workspace.tax2_rate,
        "tax_label": header.tax_label if header.tax_label is not None else workspace.tax1_label,
        "tax2_label": (header.tax2_label if header.tax2_label is not None
                       else workspace.tax2_label),
        "issue_date": header.issue_date,
        "payment_terms": header.payment_terms,
        "payment_term_days": header.payment_term_days,
        "due_date": header.due_date,
    }
    if header.payment_terms is None and header.payment_term_days is None \
            and header.due_date is None:
        values["payment_terms"] = workspace.default_payment_terms
        if workspace.default_payment_terms is PaymentTerms.CUSTOM:
            values["payment_term_days"] = workspace.default_payment_days or 0
    return values


# ── numbering ────────────────────────────────────────────────────────────────────────────


#: How many taken numbers creation skips before it gives up (a next number set far too low).
_MAX_SKIPS = 10_000


def assign_number(session: Session, invoice: Invoice, workspace: Workspace, *,
                  now: datetime) -> str:
    """The next number from the workspace's pattern, claimed for `invoice`.

    The counter is moved by an UPDATE (it holds the row until the transaction ends, so two
    creations never read the same value) and the number is recorded in invoice_numbers,
    whose key refuses a number given before, even to an invoice since deleted: a number that
    is taken is skipped.
    """
    for _ in range(_MAX_SKIPS):
        session.execute(
            sa.update(Workspace).where(col(Workspace.id) == workspace.id)
            .values(invoice_next_number=col(Workspace.invoice_next_number) + 1))
        sequence = int(session.execute(
            sa.select(col(Workspace.invoice_next_number)).where(col(Workspace.id) == workspace.id)
        ).scalar_one()) - 1
        number = format_invoice_number(workspace.invoice_number_pattern, number=sequence,
                                       issue_date=invoice.issue_date)
        taken = session.execute(sa.union_all(
            sa.select(col(InvoiceNumber.number)).where(col(InvoiceNumber.number) == number),
            sa.select(col(Invoice.number)).where(col(Invoice.number) == number))).first()
        if taken is not None:
            continue
        try:
            with session.begin_nested():
                session.add(InvoiceNumber(number=number, invoice_id=invoice.id, created_at=now))
                session.flush()
        except sa.exc.IntegrityError:
            continue
        session.expire(workspace, ["invoice_next_number"])
        return number
    raise conflict("no free invoice number near the next number",
                   hint="set a higher next number: keito settings set invoice_next_number N")


# ── creating, editing, deleting ──────────────────────────────────────────────────────────


def start_invoice(session: Session, *, actor: Actor, client: Client, header: Header,
                  now: datetime, period: tuple[date, date] | None = None) -> Invoice:
    """A numbered draft for `client` with the header's values (no lines yet, not audited)."""
    workspace = get_workspace(session)
    today = workspace_today(workspace, now)
    invoice = Invoice(id=new_id("invoice"), client_id=client.id, number="",
                      state=InvoiceState.DRAFT, issue_date=today, due_date=today,
                      currency=client.currency, portal_token=secrets.token_urlsafe(24),
                      created_by_id=actor.user_id, created_at=now, updated_at=now)
    values = _header_values(header, workspace)
    if period is not None:
        values["period_start"], values["period_end"] = period
    apply_header(invoice, values, today=today)
    invoice.number = invoice.id  # a placeholder until the number is claimed below
    session.add(invoice)
    session.flush()
    invoice.number = assign_number(session, invoice, workspace, now=now)
    session.flush()
    return invoice


def new_invoice(session: Session, *, actor: Actor, client_ref: str,
                header: Header = Header(), now: datetime) -> Invoice:
    """A free-form draft invoice for a client, with no lines (reference: Free-Form Invoices)."""
    policy.require(actor, Action.INVOICE_DRAFT)
    client = find_client(session, client_ref)
    require_for_client(session, actor, Action.INVOICE_DRAFT, client)
    invoice = start_invoice(session, actor=actor, client=client, header=header, now=now)
    recompute(session, invoice, now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.create", entity=invoice,
                 changes={"number": invoice.number, "client_id": client.id}, now=now)
    return invoice


def check_editable(invoice: Invoice) -> str | None:
    """Raise `locked` for paid and closed invoices; a warning for an open one, else None."""
    if invoice.state in (InvoiceState.PAID, InvoiceState.CLOSED):
        raise KeitoError(
            "locked", f"invoice {invoice.number} is {invoice.state.value}: it cannot be edited",
            hint="reopen it first" if invoice.state is InvoiceState.CLOSED
            else "delete its payments first to edit it")
    if invoice.state is InvoiceState.OPEN:
        return (f"invoice {invoice.number} was already sent: the client has the earlier "
                "version; send it again once edited")
    return None


def edit_invoice(session: Session, *, actor: Actor, ref: str, changes: Mapping[str, Any],
                 now: datetime) -> Invoice:
    """Change an invoice's header; totals follow. An open invoice's edit is warned about."""
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_EDIT, invoice)
    note = check_editable(invoice)
    if not changes:
        raise validation("nothing to change", hint="give at least one field to change")
    workspace = get_workspace(session)
    before = {name: getattr(invoice, name) for name in _AUDITED}
    apply_header(invoice, changes, today=workspace_today(workspace, now))
    _tax_lines_of_a_new_tax(session, invoice, before)
    recompute(session, invoice, now=now)
    after = {name: getattr(invoice, name) for name in _AUDITED}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if note and changed:
        warn(session, note)
    audit.record(session, actor_id=actor.user_id, action="invoice.edit", entity=invoice,
                 changes=changed, now=now)
    return invoice


def _tax_lines_of_a_new_tax(session: Session, invoice: Invoice,
                            before: Mapping[str, Any]) -> None:
    """A tax the invoice had not (none or 0 %) and now has applies to every line, as a new
    line is taxed when the invoice has a tax; a rate changed from one value to another keeps
    each line's choice."""
    for rate, flag in (("tax1_rate", InvoiceLine.taxed1), ("tax2_rate", InvoiceLine.taxed2)):
        if not before[rate] and getattr(invoice, rate):
            session.execute(sa.update(InvoiceLine)
                            .where(col(InvoiceLine.invoice_id) == invoice.id)
                            .values({flag: True}))


_AUDITED = ("issue_date", "due_date", "payment_terms", "payment_term_days", "subject",
            "purchase_order", "notes", "discount_percent", "tax1_rate", "tax2_rate",
            "tax1_label", "tax2_label", "period_start", "period_end", "total")


def release_items(session: Session, *, invoice_id: str, line_id: str | None = None,
                  now: datetime) -> int:
    """Set free the time entries and expenses an invoice (or one of its lines) billed."""
    released = 0
    models: tuple[Any, ...] = (TimeEntry, Expense)
    for model in models:
        condition = (col(model.invoice_line_id) == line_id if line_id is not None
                     else col(model.invoice_id) == invoice_id)
        result: Any = session.execute(
            sa.update(model).where(condition)
            .values(invoice_id=None, invoice_line_id=None, updated_at=now))
        released += result.rowcount or 0
    return released


def delete_invoice(session: Session, *, actor: Actor, ref: str, now: datetime) -> Invoice:
    """Delete an invoice and release what it billed; its number is never given again.

    Administrators only (the policy); an invoice with payments is refused: delete them first.
    """
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_DELETE, invoice)
    paid = session.exec(select(sa.func.count()).select_from(Payment)
                        .where(Payment.invoice_id == invoice.id)).one()
    if paid:
        raise conflict(f"invoice {invoice.number} has payments recorded",
                       hint="delete its payments first")
    sync_outbox.invoice_voided(session, invoice_id=invoice.id, now=now, actor_id=actor.user_id)
    released = release_items(session, invoice_id=invoice.id, now=now)
    session.execute(sa.delete(InvoiceMessage).where(col(InvoiceMessage.invoice_id) == invoice.id))
    session.execute(sa.delete(InvoiceLine).where(col(InvoiceLine.invoice_id) == invoice.id))
    audit.record(session, actor_id=actor.user_id, action="invoice.delete", entity=invoice,
                 changes={"number": invoice.number, "released": released,
                          "amount": invoice.total}, now=now)
    session.delete(invoice)
    session.flush()
    return invoice


# ── totals and states ────────────────────────────────────────────────────────────────────


def recompute(session: Session, invoice: Invoice, *, now: datetime) -> None:
    """Store every line's amount and the invoice's totals by the invoice rule, and move the
    state between open and paid as the payments now cover the amount or not."""
    session.flush()
    lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                         .order_by(col(InvoiceLine.position), col(InvoiceLine.id))).all()
    payments = list(session.execute(
        sa.select(col(Payment.amount)).where(col(Payment.invoice_id) == invoice.id)).scalars())
    totals = invoice_totals(
        [LineInput(line.quantity, line.unit_price, line.taxed1, line.taxed2) for line in lines],
        currency=invoice.currency, discount=invoice.discount_percent, tax=invoice.tax1_rate,
        tax2=invoice.tax2_rate, payments=payments)
    if totals.due_amount < 0:
        raise validation(
            f"invoice {invoice.number} would come to "
            f"{format_money(totals.amount, invoice.currency)}, less than the "
            f"{format_money(totals.amount - totals.due_amount, invoice.currency)} already paid",
            field="amount",
            hint="delete a payment first")
    for line, amount in zip(lines, totals.line_amounts, strict=True):
        line.amount = amount
    invoice.subtotal = totals.subtotal
    invoice.discount_amount = totals.discount_amount
    invoice.tax1_amount = totals.tax_amount
    invoice.tax2_amount = totals.tax2_amount
    invoice.total = totals.amount
    invoice.amount_paid = sum(payments, Decimal(0))
    invoice.updated_at = now
    settle_state(invoice, now=now)
    if invoice.state is not InvoiceState.DRAFT:
        sync_outbox.invoice_changed(session, invoice_id=invoice.id, now=now)
    session.flush()


def settle_state(invoice: Invoice, *, now: datetime) -> None:
    """open <-> paid as the payments cover the amount; drafts and closed ones stay."""
    covered = invoice.amount_paid >= invoice.total and invoice.amount_paid > 0
    if invoice.state is InvoiceState.OPEN and covered:
        invoice.state, invoice.paid_at = InvoiceState.PAID, now
    elif invoice.state is InvoiceState.PAID and not covered:
        invoice.state, invoice.paid_at = InvoiceState.OPEN, None


def record_event(session: Session, invoice: Invoice, actor: Actor, event_type: str, *,
                 now: datetime, **values: Any) -> InvoiceMessage:
    """Add an entry to the invoice's message history."""
    message = InvoiceMessage(id=new_id("invoice_message"), invoice_id=invoice.id,
                             event_type=event_type, sent_by_id=actor.user_id, created_at=now,
                             **values)
    session.add(message)
    return message


def mark_sent(session: Session, *, actor: Actor, ref: str, now: datetime) -> Invoice:
    """A draft becomes open without an email (sent some other way)."""
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_SEND, invoice)
    if invoice.state is not InvoiceState.DRAFT:
        raise conflict(f"invoice {invoice.number} is {invoice.state.value}, not a draft",
                       hint="only a draft is issued; send it again to email it")
    open_invoice(session, invoice, now=now)
    record_event(session, invoice, actor, "mark_sent", now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.issue", entity=invoice,
                 changes={"state": invoice.state}, now=now)
    return invoice


def open_invoice(session: Session, invoice: Invoice, *, now: datetime) -> None:
    """A draft moves to open (or straight to paid when payments already cover it)."""
    if invoice.state is InvoiceState.DRAFT:
        if not session.exec(select(InvoiceLine.id).where(
                InvoiceLine.invoice_id == invoice.id)).first():
            raise validation(f"invoice {invoice.number} has no lines",
                             hint="add a line before sending it")
        invoice.state = InvoiceState.OPEN
        invoice.sent_at = invoice.sent_at or now
        settle_state(invoice, now=now)
        invoice.updated_at = now
        sync_outbox.invoice_issued(session, invoice_id=invoice.id, now=now)


def close_invoice(session: Session, *, actor: Actor, ref: str, now: datetime) -> Invoice:
    """Write an invoice off: it is no longer receivable (reference: Closing Invoices)."""
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_CLOSE, invoice)
    if invoice.state is InvoiceState.CLOSED:
        raise conflict(f"invoice {invoice.number} is already closed")
    if invoice.state is InvoiceState.DRAFT:
        raise conflict(f"invoice {invoice.number} is a draft", hint="delete a draft instead")
    before = invoice.state
    invoice.state, invoice.closed_at, invoice.updated_at = InvoiceState.CLOSED, now, now
    record_event(session, invoice, actor, "close", now=now)
    sync_outbox.invoice_voided(session, invoice_id=invoice.id, now=now, actor_id=actor.user_id)
    audit.record(session, actor_id=actor.user_id, action="invoice.close", entity=invoice,
                 changes={"state": [before, invoice.state]}, now=now)
    return invoice


def reopen_invoice(session: Session, *, actor: Actor, ref: str, now: datetime) -> Invoice:
    """A closed invoice back to open (or paid, when its payments cover it)."""
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_CLOSE, invoice)
    if invoice.state is not InvoiceState.CLOSED:
        raise conflict(f"invoice {invoice.number} is {invoice.state.value}, not closed")
    invoice.state, invoice.closed_at, invoice.updated_at = InvoiceState.OPEN, None, now
    settle_state(invoice, now=now)
    record_event(session, invoice, actor, "reopen", now=now)
    sync_outbox.invoice_changed(session, invoice_id=invoice.id, now=now,
                                actor_id=actor.user_id)
    audit.record(session, actor_id=actor.user_id, action="invoice.reopen", entity=invoice,
                 changes={"state": invoice.state}, now=now)
    return invoice
