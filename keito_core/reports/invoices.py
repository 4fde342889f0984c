"""Invoices read: the list with aging, one invoice whole, what is ready to bill, the document
the PDF and HTML print, and the steps of its arithmetic.

Every figure of an invoice is the stored one (computed by `rules.invoices` when it changed);
lists and aging are SQL aggregates, never rows summed in Python. Who sees what is the
policy's: invoices of clients whose projects the viewer may invoice (administrators all).
Amounts in different currencies are never added: totals are per currency.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import InvoiceState, PaymentTerms, ProjectType
from keito_core.errors import validation
from keito_core.io.invoice_document import DocumentLine, DocumentPayment, InvoiceDocument, Party
from keito_core.models import (
    Client,
    Contact,
    Expense,
    Invoice,
    InvoiceLine,
    InvoiceMessage,
    Payment,
    Project,
    TimeEntry,
    User,
)
from keito_core.models.types import Micros
from keito_core.platform.access import invoice_clause as visible_client_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.lookup import find_client, find_invoice
from keito_core.rules import permissions as policy
from keito_core.rules.invoices import LineInput, explain_totals, line_amount, time_quantity
from keito_core.rules.permissions import Action, Actor, Target

#: Aging buckets: days past due, as the list and the totals count them.
AGING_BUCKETS = (("current", None, 0), ("1_30", 1, 30), ("31_60", 31, 60), ("61_90", 61, 90),
                 ("over_90", 91, None))
STATES = ("draft", "open", "paid", "closed", "overdue", "unpaid", "all")
TERM_LABELS = {PaymentTerms.UPON_RECEIPT: "Upon receipt", PaymentTerms.NET_15: "Net 15",
               PaymentTerms.NET_30: "Net 30", PaymentTerms.NET_45: "Net 45",
               PaymentTerms.NET_60: "Net 60"}


def terms_label(terms: PaymentTerms, days: int | None) -> str:
    """`Net 30`, `Upon receipt`, `Net 10 days` (custom)."""
    return TERM_LABELS.get(terms) or f"Net {days or 0} days"


def _today(session: Session, now: datetime) -> date:
    return now.astimezone(ZoneInfo(get_workspace(session).timezone)).date()


def _require_view(actor: Actor) -> None:
    policy.require(actor, Action.INVOICE_VIEW)


# ── the list and aging ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class InvoiceRow:
    id: str
    number: str
    state: str
    client_id: str
    client: str
    currency: str
    issue_date: date
    due_date: date
    amount: Decimal
    due_amount: Decimal
    subject: str | None
    days_since_issue: int
    days_past_due: int

    @property
    def overdue(self) -> bool:
        return self.state == InvoiceState.OPEN and self.days_past_due > 0


@dataclass(frozen=True)
class InvoiceList:
    rows: tuple[InvoiceRow, ...]
    #: How many invoices match, beyond the rows shown.
    total: int


def _state_clause(state: str | None, today: date) -> Any:
    word = (state or "all").strip().lower()
    if word not in STATES:
        raise validation(f"state must be one of: {', '.join(STATES)}", field="state")
    if word == "all":
        return sa.true()
    if word == "overdue":
        return sa.and_(col(Invoice.state) == InvoiceState.OPEN, col(Invoice.due_date) < today)
    if word == "unpaid":
        return col(Invoice.state) == InvoiceState.OPEN
    return col(Invoice.state) == InvoiceState(word)


def list_invoices(session: Session, *, actor: Actor, now: datetime, state: str | None = None,
                  client_ref: str | None = None, limit: int = 100,
                  offset: int = 0) -> InvoiceList:
    """Invoices newest first (by issue date, then number), with days since issue and past due."""
    _require_view(actor)
    today = _today(session, now)
    where = [visible_client_clause(actor), _state_clause(state, today)]
    if client_ref:
        where.append(col(Invoice.client_id) == find_client(session, client_ref).id)
    total = session.execute(sa.select(sa.func.count()).select_from(Invoice).where(*where)
                            ).scalar_one()
    rows = session.execute(
        sa.select(col(Invoice.id), col(Invoice.number), col(Invoice.state),
                  col(Invoice.client_id), col(Client.name), col(Invoice.currency),
                  col(Invoice.issue_date), col(Invoice.due_date), col(Invoice.total),
                  col(Invoice.amount_paid), col(Invoice.subject))
        .join(Client, col(Client.id) == col(Invoice.client_id)).where(*where)
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
        .limit(max(1, min(limit, 10_000))).offset(max(0, offset))).all()
    out = []
    for (id_, number, st, client_id, client, currency, issued, due, amount, paid,
         subject) in rows:
        open_ = st == InvoiceState.OPEN
        out.append(InvoiceRow(
            id=id_, number=number, state=str(st), client_id=client_id, client=client,
            currency=currency, issue_date=issued, due_date=due, amount=amount,
            due_amount=(amount - paid) if st in (InvoiceState.OPEN, InvoiceState.DRAFT)
            else Decimal(0),
            subject=subject, days_since_issue=max(0, (today - issued).days),
            days_past_due=max(0, (today - due).days) if open_ else 0))
    return InvoiceList(tuple(out), int(total))


def sync_states(session: Session, invoice_ids: list[str]) -> dict[str, dict[str, Any]] | None:
    """Each invoice's standing with the connected accounting system, read at once for a whole
    page: id -> {"provider", "status", "error", "remote_id", "synced_at"}; None when no
    accounting system is connected (lists then show nothing about syncing)."""
    from keito_core.reports.sync_status import active_provider, statuses

    connection = active_provider(session)
    if connection is None:
        return None
    provider = connection.provider.value
    found = statuses(session, "invoice", invoice_ids, provider=connection.provider)
    return {invoice_id: {"provider": provider, **found[invoice_id]}
            for invoice_id in invoice_ids}


@dataclass(frozen=True)
class AgingLine:
    """What one client owes in one currency: outstanding, overdue, and by days past due."""

    client_id: str
    client: str
    currency: str
    invoices: int
    outstanding: Decimal
    overdue: Decimal
    buckets: dict[str, Decimal]


@dataclass(frozen=True)
class Aging:
    lines: tuple[AgingLine, ...]
    #: Per currency, never added across currencies.
    totals: dict[str, AgingLine] = field(default_factory=dict)


def aging(session: Session, *, actor: Actor, now: datetime,
          client_ref: str | None = None) -> Aging:
    """Open invoices' balances per client and currency, bucketed by days past due, and the
    totals per currency (closed, paid and draft invoices are not receivable)."""
    _require_view(actor)
    today = _today(session, now)
    due = col(Invoice.total) - col(Invoice.amount_paid)
    late = sa.func.julianday(today) - sa.func.julianday(col(Invoice.due_date)) \
        if session.get_bind().dialect.name == "sqlite" else (
            sa.literal(today) - col(Invoice.due_date))
    where = [visible_client_clause(actor), col(Invoice.state) == InvoiceState.OPEN]
    if client_ref:
        where.append(col(Invoice.client_id) == find_client(session, client_ref).id)
    bucket_columns = []
    for name, low, high in AGING_BUCKETS:
        if low is None:
            condition = late <= 0
        elif high is None:
            condition = late >= low
        else:
            condition = sa.and_(late >= low, late <= high)
        bucket_columns.append(
            sa.func.sum(sa.case((condition, due), else_=0), type_=Micros()).label(name))
    rows = session.execute(
        sa.select(col(Invoice.client_id), col(Client.name), col(Invoice.currency), sa.func.count(),
                  sa.func.sum(due, type_=Micros()), *bucket_columns)
        .join(Client, col(Client.id) == col(Invoice.client_id)).where(*where)
        .group_by(col(Invoice.client_id), col(Client.name), col(Invoice.currency))
        .order_by(col(Client.name), col(Invoice.currency))).all()
    lines = []
    for client_id, client, currency, count, outstanding, *buckets in rows:
        named = {name: _decimal(value) for (name, _, _), value in
                 zip(AGING_BUCKETS, buckets, strict=True)}
        lines.append(AgingLine(client_id, client, currency, int(count), _decimal(outstanding),
                               sum((v for k, v in named.items() if k != "current"),
                                   Decimal(0)), named))
    totals: dict[str, AgingLine] = {}
    for line in lines:
        before = totals.get(line.currency)
        if before is None:
            totals[line.currency] = AgingLine("", "Total", line.currency, line.invoices,
                                              line.outstanding, line.overdue,
                                              dict(line.buckets))
        else:
            totals[line.currency] = AgingLine(
                "", "Total", line.currency, before.invoices + line.invoices,
                before.outstanding + line.outstanding, before.overdue + line.overdue,
                {k: before.buckets[k] + line.buckets[k] for k in before.buckets})
    return Aging(tuple(lines), totals)


# ── one invoice ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class LineView:
    line: InvoiceLine
    number: int
    project_name: str | None
    project_code: str | None
    #: Seconds of the time entries the line bills (None: it bills no time).
    seconds: int | None


@dataclass(frozen=True)
class PaymentView:
    payment: Payment
    number: int
    recorded_by: str | None
    #: What was still due after this payment.
    balance: Decimal


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    client: Client
    contacts: tuple[Contact, ...]
    creator: User | None
    lines: tuple[LineView, ...]
    payments: tuple[PaymentView, ...]
    messages: tuple[tuple[InvoiceMessage, str | None], ...]
    days_since_issue: int
    days_past_due: int

    @property
    def due_amount(self) -> Decimal:
        return self.invoice.total - self.invoice.amount_paid


def invoice_detail(session: Session, *, actor: Actor, ref: str, now: datetime) -> InvoiceDetail:
    """One invoice with its client, lines, payments (running balance) and message history."""
    _require_view(actor)
    invoice = find_invoice(session, ref)
    client = session.get(Client, invoice.client_id)
    assert client is not None
    projects = session.exec(select(col(Project.id)).where(
        col(Project.client_id) == client.id)).all()
    if not (policy.Scope.ANY in policy.scopes_for(actor, Action.INVOICE_VIEW) or any(
            policy.can(actor, Action.INVOICE_VIEW, Target(project_id=p)) for p in projects)):
        policy.require(actor, Action.INVOICE_VIEW, Target(project_id=f"client:{client.id}",
                                                          project_name=f"any project of "
                                                          f"{client.name}"))
    return _details(session, [invoice], _today(session, now))[0]


def invoice_page(session: Session, *, actor: Actor, now: datetime, client_id: str | None = None,
                 state: str | None = None, issued_from: date | None = None,
                 issued_to: date | None = None, updated_since: datetime | None = None,
                 limit: int = 100, offset: int = 0) -> tuple[int, list[InvoiceDetail]]:
    """(how many invoices match, one page of them whole), newest issue date first, of the
    invoices `actor` may view: a COUNT, one page, and one query per related table for the
    whole page (the API's invoice list). `client_id` is an ID; `state` as list_invoices."""
    _require_view(actor)
    where = [visible_client_clause(actor), _state_clause(state, _today(session, now))]
    if client_id is not None:
        where.append(col(Invoice.client_id) == client_id)
    if issued_from is not None:
        where.append(col(Invoice.issue_date) >= issued_from)
    if issued_to is not None:
        where.append(col(Invoice.issue_date) <= issued_to)
    if updated_since is not None:
        where.append(col(Invoice.updated_at) >= updated_since)
    total = session.execute(sa.select(sa.func.count()).select_from(Invoice).where(*where)
                            ).scalar_one()
    invoices = list(session.exec(
        select(Invoice).where(*where)
        .order_by(col(Invoice.issue_date).desc(), col(Invoice.number).desc())
        .limit(max(1, limit)).offset(max(0, offset))).all())
    return int(total), _details(session, invoices, _today(session, now))


def _details(session: Session, invoices: list[Invoice], today: date) -> list[InvoiceDetail]:
    """Each invoice whole (client, contacts, creator, lines, payments, messages), reading
    each related table once for them all."""
    if not invoices:
        return []
    ids = [inv.id for inv in invoices]
    client_ids = sorted({inv.client_id for inv in invoices})
    clients = {c.id: c for c in session.exec(select(Client).where(col(Client.id).in_(client_ids)))}
    projects: dict[str, dict[str, tuple[str, str | None]]] = defaultdict(dict)
    for pid, name, code, cid in session.execute(
            sa.select(col(Project.id), col(Project.name), col(Project.code),
                      col(Project.client_id)).where(col(Project.client_id).in_(client_ids))):
        projects[cid][pid] = (name, code)
    seconds: dict[str | None, int] = dict(session.execute(
        sa.select(col(TimeEntry.invoice_line_id), sa.func.sum(col(TimeEntry.duration_seconds)))
        .where(col(TimeEntry.invoice_id).in_(ids))
        .group_by(col(TimeEntry.invoice_line_id))).all())
    lines: dict[str, list[InvoiceLine]] = defaultdict(list)
    for line in session.exec(select(InvoiceLine).where(col(InvoiceLine.invoice_id).in_(ids))
                             .order_by(col(InvoiceLine.position), col(InvoiceLine.id))):
        lines[line.invoice_id].append(line)
    payments: dict[str, list[tuple[Payment, str | None]]] = defaultdict(list)
    for payment, who in session.execute(
            sa.select(Payment, col(User.name))
            .outerjoin(User, col(User.id) == col(Payment.recorded_by_id))
            .where(col(Payment.invoice_id).in_(ids))
            .order_by(col(Payment.paid_on), col(Payment.id))).all():
        payments[payment.invoice_id].append((payment, who))
    messages: dict[str, list[tuple[InvoiceMessage, str | None]]] = defaultdict(list)
    for message, who in session.execute(
            sa.select(InvoiceMessage, col(User.name))
            .outerjoin(User, col(User.id) == col(InvoiceMessage.sent_by_id))
            .where(col(InvoiceMessage.invoice_id).in_(ids))
            .order_by(col(InvoiceMessage.created_at), col(InvoiceMessage.id))).all():
        messages[message.invoice_id].append((message, who))
    contacts: dict[str, list[Contact]] = defaultdict(list)
    for contact in session.exec(select(Contact).where(col(Contact.client_id).in_(client_ids))
                                .order_by(col(Contact.first_name))):
        contacts[contact.client_id].append(contact)
    creator_ids = sorted({inv.created_by_id for inv in invoices if inv.created_by_id})
    creators = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(creator_ids)))
                } if creator_ids else {}
    out = []
    for invoice in invoices:
        named = projects[invoice.client_id]
        views = []
        for n, line in enumerate(lines[invoice.id], start=1):
            name, code = named.get(line.project_id or "", (None, None))
            views.append(LineView(line, n, name, code,
                                  int(seconds[line.id]) if line.id in seconds else None))
        paid = []
        balance = invoice.total
        for n, (payment, who) in enumerate(payments[invoice.id], start=1):
            balance -= payment.amount
            paid.append(PaymentView(payment, n, who, balance))
        open_ = invoice.state is InvoiceState.OPEN
        out.append(InvoiceDetail(
            invoice, clients[invoice.client_id], tuple(contacts[invoice.client_id]),
            creators.get(invoice.created_by_id or ""), tuple(views), tuple(paid),
            tuple(messages[invoice.id]), max(0, (today - invoice.issue_date).days),
            max(0, (today - invoice.due_date).days) if open_ else 0))
    return out


def explain(detail: InvoiceDetail) -> list[str]:
    """Every step of the invoice's arithmetic, from the entries' seconds to the amount due."""
    invoice = detail.invoice
    steps: list[str] = []
    for view in detail.lines:
        if view.seconds is not None:
            hours = time_quantity(view.seconds)
            steps.append(f"line {view.number} hours: {view.seconds:,} s / 3600 = "
                         f"{Decimal(view.seconds) / 3600:.6f} h, rounded half-up to {hours}"
                         + ("" if hours == view.line.quantity
                            else f" (edited to {view.line.quantity})"))
    steps.extend(explain_totals(
        [LineInput(v.line.quantity, v.line.unit_price, v.line.taxed1, v.line.taxed2)
         for v in detail.lines],
        labels=[v.line.description for v in detail.lines], currency=invoice.currency,
        discount=invoice.discount_percent, tax=invoice.tax1_rate, tax2=invoice.tax2_rate,
        tax_label=invoice.tax1_label or "Tax", tax2_label=invoice.tax2_label or "Tax 2",
        payments=[p.payment.amount for p in detail.payments]))
    return steps


# ── the document ─────────────────────────────────────────────────────────────────────────


def _address(*parts: str | None) -> tuple[str, ...]:
    lines: list[str] = []
    for part in parts:
        for line in (part or "").splitlines():
            if line.strip():
                lines.append(line.strip())
    return tuple(lines)


def invoice_document(session: Session, *, actor: Actor, ref: str,
                     now: datetime) -> InvoiceDocument:
    """What the PDF and the HTML page print for one invoice: the stored figures."""
    detail = invoice_detail(session, actor=actor, ref=ref, now=now)
    workspace = get_workspace(session)
    invoice, client = detail.invoice, detail.client
    contact = next((c for c in detail.contacts if c.email), None)
    contact_text = None
    if contact is not None:
        name = " ".join(x for x in (contact.first_name, contact.last_name) if x)
        contact_text = f"{name} <{contact.email}>" if contact.email else name
    city = " ".join(x for x in (client.city, client.region, client.postal_code) if x)
    return InvoiceDocument(
        number=invoice.number, state=invoice.state.value, currency=invoice.currency,
        issue_date=invoice.issue_date, due_date=invoice.due_date,
        payment_terms=terms_label(invoice.payment_terms, invoice.payment_term_days),
        company=Party(workspace.name, _address(workspace.company_address),
                      workspace.company_phone),
        client=Party(client.name, _address(client.street, city, client.country), client.phone,
                     contact_text),
        lines=tuple(DocumentLine(
            kind=v.line.kind.value, description=v.line.description, quantity=v.line.quantity,
            unit_price=v.line.unit_price, amount=v.line.amount, taxed=v.line.taxed1,
            taxed2=v.line.taxed2, project_name=v.project_name, project_code=v.project_code,
            agent=v.line.is_agent) for v in detail.lines),
        subtotal=invoice.subtotal, discount=invoice.discount_percent or Decimal(0),
        discount_amount=invoice.discount_amount, tax_label=invoice.tax1_label,
        tax=invoice.tax1_rate or Decimal(0), tax_amount=invoice.tax1_amount,
        tax2_label=invoice.tax2_label, tax2=invoice.tax2_rate or Decimal(0),
        tax2_amount=invoice.tax2_amount, amount=invoice.total, paid_amount=invoice.amount_paid,
        due_amount=detail.due_amount,
        payments=tuple(DocumentPayment(p.payment.paid_on, p.payment.amount, p.payment.notes,
                                       p.payment.transaction_id) for p in detail.payments),
        subject=invoice.subject, purchase_order=invoice.purchase_order, notes=invoice.notes,
        footer=workspace.email_footer, period_start=invoice.period_start,
        period_end=invoice.period_end, logo_path=workspace.invoice_logo_path,
        accent_color=workspace.invoice_accent_color,
        show_project_codes=workspace.invoice_show_project_codes,
        decimal_separator=workspace.decimal_separator,
        thousands_separator=workspace.thousands_separator, date_format=workspace.date_format)


# ── ready to bill ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class UninvoicedLine:
    """What one project has ready to bill: hours, their amount, expenses, a fixed fee."""

    client_id: str
    client: str
    project_id: str
    project: str
    currency: str
    hours: Decimal
    time_amount: Decimal
    expense_amount: Decimal
    fee: Decimal

    @property
    def amount(self) -> Decimal:
        return self.time_amount + self.expense_amount + self.fee


def uninvoiced(session: Session, *, actor: Actor, client_ref: str | None = None,
               date_from: date | None = None, date_to: date | None = None) -> list[UninvoicedLine]:
    """Per client and project, what an invoice grouped by project would bill now: billable,
    invoiceable, not yet invoiced time (hours per rate rounded as the invoice rounds them)
    and expenses, and fixed fees not billed yet."""
    _require_view(actor)
    workspace = get_workspace(session)
    client_id = find_client(session, client_ref).id if client_ref else None
    where_project: list[Any] = [col(Project.project_type) != ProjectType.NON_BILLABLE]
    if client_id:
        where_project.append(col(Project.client_id) == client_id)
    scopes = policy.scopes_for(actor, Action.INVOICE_DRAFT) | policy.scopes_for(
        actor, Action.INVOICE_VIEW)
    if policy.Scope.ANY not in scopes:
        where_project.append(col(Project.id).in_(sorted(actor.managed_project_ids)))

    def items(model: Any) -> list[Any]:
        clauses = [col(model.is_billable).is_(True), col(model.invoice_id).is_(None),
                   col(Project.id) == col(model.project_id), *where_project]
        if workspace.feature_approvals:
            clauses.append(col(model.approval_status) == "approved")
        if date_from:
            clauses.append(col(model.spent_date) >= date_from)
        if date_to:
            clauses.append(col(model.spent_date) <= date_to)
        return clauses

    time_rows = session.execute(
        sa.select(col(TimeEntry.project_id), col(TimeEntry.billable_rate),
                  sa.func.sum(col(TimeEntry.duration_seconds)))
        .where(*items(TimeEntry), col(TimeEntry.is_running).is_(False),
               col(Project.project_type) == ProjectType.TIME_AND_MATERIALS)
        .group_by(col(TimeEntry.project_id), col(TimeEntry.billable_rate))).all()
    unit = sa.and_(col(Expense.units).is_not(None), col(Expense.unit_price).is_not(None),
                   col(Expense.unit_price) != 0)
    expense_rows = session.execute(
        sa.select(col(Expense.project_id), sa.case((unit, col(Expense.unit_price)), else_=None),
                  sa.func.sum(col(Expense.units), type_=Micros()),
                  sa.func.sum(col(Expense.total_cost), type_=Micros()))
        .where(*items(Expense))
        .group_by(col(Expense.project_id), sa.case((unit, col(Expense.unit_price)), else_=None))
    ).all()
    fee_rows = session.execute(
        sa.select(col(Project.id), col(Project.fixed_fee))
        .where(*where_project, col(Project.project_type) == ProjectType.FIXED_FEE,
               col(Project.fixed_fee).is_not(None),
               ~sa.exists().where(col(InvoiceLine.fee_project_id) == col(Project.id)))).all()
    projects = {pid: (name, cid, cname, cur) for pid, name, cid, cname, cur in session.execute(
        sa.select(col(Project.id), col(Project.name), col(Client.id), col(Client.name),
                  col(Client.currency))
        .join(Client, col(Client.id) == col(Project.client_id)).where(*where_project)).all()}
    tally: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"hours": Decimal(0), "time": Decimal(0), "expenses": Decimal(0),
                 "fee": Decimal(0)})
    for project_id, rate, secs in time_rows:
        currency = projects[project_id][3]
        hours = time_quantity(int(secs or 0))
        tally[project_id]["hours"] += hours
        tally[project_id]["time"] += line_amount(hours, rate or Decimal(0), currency)
    for project_id, price, units, total in expense_rows:
        currency = projects[project_id][3]
        if price is not None:
            tally[project_id]["expenses"] += line_amount(_decimal(units), _decimal(price),
                                                         currency)
        else:
            tally[project_id]["expenses"] += _decimal(total)
    for project_id, fee in fee_rows:
        tally[project_id]["fee"] += _decimal(fee)
    out = [UninvoicedLine(projects[pid][1], projects[pid][2], pid, projects[pid][0],
                          projects[pid][3], t["hours"], t["time"], t["expenses"], t["fee"])
           for pid, t in tally.items() if any(t.values())]
    return sorted(out, key=lambda u: (u.client.lower(), u.project.lower()))


def _decimal(value: Decimal | None) -> Decimal:
    """A sum read through Micros (every aggregate over micro-units here names `type_=Micros()`:
    an expression such as `total - amount_paid` loses the column type, and PostgreSQL's sum
    of a bigint is a numeric, so guessing from the Python type would misread it), or 0."""
    return Decimal(0) if value is None else value
