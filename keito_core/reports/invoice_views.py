"""What the app's Invoices view shows, as plain values: who may do what, the list with aging,
one invoice for the editor, the clients a new invoice may bill and a preview of what it would.

The figures are keito_core.reports.invoices' (stored, or `uninvoiced`'s SQL sums); this module
only gathers them in one read and copies the ORM rows into frozen dataclasses, so nothing bound
to a session crosses to the app's UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from keito_core.enums import InvoiceState, ProjectType
from keito_core.models import Client, Invoice, Project, User
from keito_core.platform.access import invoice_clause
from keito_core.platform.identity import get_workspace
from keito_core.rules import permissions as policy
from keito_core.rules.periods import local_date
from keito_core.rules.permissions import Action, Actor, Target

from .invoices import AgingLine, InvoiceRow, UninvoicedLine, aging, invoice_detail, list_invoices
from .invoices import terms_label as _terms_label
from .invoices import uninvoiced as _uninvoiced

#: The list's state filter, in the order the view offers it.
LIST_STATES = ("all", "draft", "open", "overdue", "paid", "closed")
#: The most rows the list shows (the count says how many match).
LIST_LIMIT = 200


@dataclass(frozen=True)
class InvoicingAccess:
    """Whether invoicing is on, and what the acting user may do with invoices at all (some
    records; the services check each invoice's projects)."""

    enabled: bool
    view: bool
    draft: bool
    edit: bool
    send: bool
    pay: bool
    close: bool
    delete: bool

    @property
    def shown(self) -> bool:
        """The Invoices view is offered: invoicing on and the user may view invoices."""
        return self.enabled and self.view


def invoicing_access(session: Session, *, actor: Actor) -> InvoicingAccess:
    """The workspace's invoicing switch and the policy's answer for each invoice action."""
    workspace = get_workspace(session)

    def may(action: Action) -> bool:
        return bool(policy.scopes_for(actor, action))

    return InvoicingAccess(
        enabled=bool(workspace.feature_invoicing), view=may(Action.INVOICE_VIEW),
        draft=may(Action.INVOICE_DRAFT), edit=may(Action.INVOICE_EDIT),
        send=may(Action.INVOICE_SEND), pay=may(Action.INVOICE_RECORD_PAYMENT),
        close=may(Action.INVOICE_CLOSE), delete=may(Action.INVOICE_DELETE))


def _today(session: Session, now: datetime) -> date:
    return local_date(now, ZoneInfo(get_workspace(session).timezone))


# ── the list ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class InvoiceListView:
    """One read of the list for a state and a client, with the aging totals per currency."""

    access: InvoicingAccess
    state: str
    client_id: str | None
    rows: tuple[InvoiceRow, ...] = ()
    #: How many invoices match (the rows are the newest LIST_LIMIT).
    total: int = 0
    #: What is outstanding per currency (never added across currencies), by days past due.
    aging: tuple[AgingLine, ...] = ()
    #: The clients with an invoice the user may see: the client filter's options.
    clients: tuple[tuple[str, str], ...] = ()
    today: date | None = None


def invoice_list_view(session: Session, *, actor: Actor, now: datetime, state: str = "all",
                      client_id: str | None = None) -> InvoiceListView:
    """The newest invoices matching `state` and `client_id`, aging totals and the clients."""
    access = invoicing_access(session, actor=actor)
    if not access.shown:
        return InvoiceListView(access, state, client_id)
    found = list_invoices(session, actor=actor, now=now, state=state, client_ref=client_id,
                          limit=LIST_LIMIT)
    owed = aging(session, actor=actor, now=now, client_ref=client_id)
    clients = session.exec(
        select(col(Client.id), col(Client.name)).where(
            col(Client.id).in_(select(col(Invoice.client_id)).where(invoice_clause(actor))))
        .order_by(col(Client.name))).all()
    return InvoiceListView(access, state, client_id, found.rows, found.total,
                           tuple(owed.totals[c] for c in sorted(owed.totals)),
                           tuple((cid, name) for cid, name in clients), _today(session, now))


# ── a new invoice ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class ProjectChoice:
    id: str
    name: str
    code: str | None = None


@dataclass(frozen=True)
class ClientChoice:
    """A client a new invoice may bill, with its billable projects the user may invoice."""

    id: str
    name: str
    currency: str
    projects: tuple[ProjectChoice, ...]


@dataclass(frozen=True)
class NewInvoiceChoices:
    clients: tuple[ClientChoice, ...]
    today: date
    #: The period a new invoice from tracked work starts on: last month.
    period: tuple[date, date]


def last_month(today: date) -> tuple[date, date]:
    """The first and last day of the month before `today`'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def new_invoice_choices(session: Session, *, actor: Actor, now: datetime) -> NewInvoiceChoices:
    """Active clients with a billable project the user may draft invoices for (administrators:
    every one), each with those projects."""
    today = _today(session, now)
    if not policy.scopes_for(actor, Action.INVOICE_DRAFT):
        return NewInvoiceChoices((), today, last_month(today))
    rows = session.exec(
        select(Client, Project).join(Project, col(Project.client_id) == col(Client.id))
        .where(col(Client.is_active).is_(True),
               col(Project.project_type) != ProjectType.NON_BILLABLE)
        .order_by(col(Client.name), col(Project.name))).all()
    projects: dict[str, list[ProjectChoice]] = {}
    clients: dict[str, Client] = {}
    for client, project in rows:
        if policy.can(actor, Action.INVOICE_DRAFT, Target(project_id=project.id)):
            clients[client.id] = client
            projects.setdefault(client.id, []).append(
                ProjectChoice(project.id, project.name, project.code))
    return NewInvoiceChoices(
        tuple(ClientChoice(c.id, c.name, c.currency, tuple(projects[c.id]))
              for c in clients.values()), today, last_month(today))


@dataclass(frozen=True)
class BillingPreview:
    """What an invoice from tracked work would bill: per project, and the sums."""

    client_id: str
    currency: str
    lines: tuple[UninvoicedLine, ...]
    with_expenses: bool
    hours: Decimal
    amount: Decimal

    @property
    def empty(self) -> bool:
        return not self.lines


def billing_preview(session: Session, *, actor: Actor, client_id: str,
                    project_ids: tuple[str, ...] = (), date_from: date, date_to: date,
                    with_expenses: bool = True) -> BillingPreview:
    """`reports.invoices.uninvoiced` for a client and period, kept to the chosen projects
    (none chosen: all), without the expenses when the invoice leaves them off."""
    client = session.get(Client, client_id)
    currency = client.currency if client is not None else ""
    lines = [line for line in _uninvoiced(session, actor=actor, client_ref=client_id,
                                          date_from=date_from, date_to=date_to)
             if not project_ids or line.project_id in project_ids]
    if not with_expenses:
        lines = [UninvoicedLine(**{**line.__dict__, "expense_amount": Decimal(0)})
                 for line in lines]
        lines = [line for line in lines if line.amount or line.hours]
    return BillingPreview(client_id, currency, tuple(lines), with_expenses,
                          sum((line.hours for line in lines), Decimal(0)),
                          sum((line.amount for line in lines), Decimal(0)))


# ── one invoice, for the editor ──────────────────────────────────────────────────────────


@dataclass(frozen=True)
class EditorLine:
    id: str
    number: int
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxed: bool
    taxed2: bool
    project_id: str | None
    project_name: str | None
    is_agent: bool
    #: The line bills tracked time (its quantity came from the entries' seconds).
    bills_time: bool


@dataclass(frozen=True)
class EditorPayment:
    id: str
    number: int
    paid_on: date
    amount: Decimal
    notes: str | None
    transaction_id: str | None
    recorded_by: str | None
    #: What was still due after this payment.
    balance: Decimal


@dataclass(frozen=True)
class EditorMessage:
    """One entry of the message history: sent, reminder, thank-you, marked sent, closed…"""

    created_at: datetime
    event_type: str
    by: str | None
    recipients: tuple[str, ...]
    subject: str | None


@dataclass(frozen=True)
class InvoiceEditorView:
    """One invoice whole, as the editor shows and previews it."""

    id: str
    number: str
    state: str
    client_id: str
    client: str
    currency: str
    issue_date: date
    due_date: date
    payment_terms: str
    payment_term_days: int | None
    terms_label: str
    subject: str | None
    purchase_order: str | None
    notes: str | None
    discount: Decimal | None
    tax: Decimal | None
    tax_label: str | None
    tax2: Decimal | None
    tax2_label: str | None
    subtotal: Decimal
    discount_amount: Decimal
    tax_amount: Decimal
    tax2_amount: Decimal
    amount: Decimal
    paid: Decimal
    due_amount: Decimal
    period_start: date | None
    period_end: date | None
    days_past_due: int
    lines: tuple[EditorLine, ...]
    payments: tuple[EditorPayment, ...]
    messages: tuple[EditorMessage, ...]
    #: The client's projects a line may name.
    projects: tuple[ProjectChoice, ...]
    access: InvoicingAccess
    today: date

    @property
    def locked(self) -> bool:
        """Paid and closed invoices are read-only (reopen, or delete payments, first)."""
        return self.state in (InvoiceState.PAID, InvoiceState.CLOSED)


def _recipients(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    out = []
    for item in raw:
        if isinstance(item, dict):
            email, name = item.get("email") or "", item.get("name") or ""
            out.append(f"{name} <{email}>" if name and email else (email or name))
        elif item:
            out.append(str(item))
    return tuple(out)


def invoice_editor_view(session: Session, *, actor: Actor, ref: str,
                        now: datetime) -> InvoiceEditorView:
    """The invoice `ref` (ID or number) with its lines, payments, history and the client's
    projects; not_found or authorization_error as `reports.invoices.invoice_detail`."""
    detail = invoice_detail(session, actor=actor, ref=ref, now=now)
    invoice, client = detail.invoice, detail.client
    projects = session.exec(select(Project).where(col(Project.client_id) == client.id)
                            .order_by(col(Project.name))).all()
    names = dict(session.exec(select(col(User.id), col(User.name))).all()) \
        if detail.messages else {}
    return InvoiceEditorView(
        id=invoice.id, number=invoice.number, state=str(invoice.state), client_id=client.id,
        client=client.name, currency=invoice.currency, issue_date=invoice.issue_date,
        due_date=invoice.due_date, payment_terms=str(invoice.payment_terms),
        payment_term_days=invoice.payment_term_days,
        terms_label=_terms_label(invoice.payment_terms, invoice.payment_term_days),
        subject=invoice.subject, purchase_order=invoice.purchase_order, notes=invoice.notes,
        discount=invoice.discount_percent, tax=invoice.tax1_rate, tax_label=invoice.tax1_label,
        tax2=invoice.tax2_rate, tax2_label=invoice.tax2_label, subtotal=invoice.subtotal,
        discount_amount=invoice.discount_amount, tax_amount=invoice.tax1_amount,
        tax2_amount=invoice.tax2_amount, amount=invoice.total, paid=invoice.amount_paid,
        due_amount=detail.due_amount, period_start=invoice.period_start,
        period_end=invoice.period_end, days_past_due=detail.days_past_due,
        lines=tuple(EditorLine(
            v.line.id, v.number, str(v.line.kind), v.line.description, v.line.quantity,
            v.line.unit_price, v.line.amount, v.line.taxed1, v.line.taxed2, v.line.project_id,
            v.project_name, v.line.is_agent, v.seconds is not None) for v in detail.lines),
        payments=tuple(EditorPayment(
            p.payment.id, p.number, p.payment.paid_on, p.payment.amount, p.payment.notes,
            p.payment.transaction_id, p.recorded_by, p.balance) for p in detail.payments),
        messages=tuple(EditorMessage(
            m.created_at, m.event_type, who or names.get(m.sent_by_id or ""),
            _recipients(m.recipients), m.subject) for m, who in detail.messages),
        projects=tuple(ProjectChoice(p.id, p.name, p.code) for p in projects),
        access=invoicing_access(session, actor=actor), today=_today(session, now))
