"""client.invoices: invoices, their line items and payments, and sending them by email.

Each method is one unit of work through the client and returns records of
keito_core.api.types built from keito_core.presenters (the command line's JSON shapes). What a
write warns about (an open invoice edited after it was sent) is in the record's `warnings`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from keito_core.api.resources import _alias, _no_more, cursor_offset, day_text, next_cursor
from keito_core.api.resources import number_text as _number
from keito_core.api.types import Invoice, InvoiceMessage, InvoiceSummary, LineItem, Page, Payment
from keito_core.errors import KeitoError as CoreKeitoError

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.api.client import Keito
    from keito_core.rules.permissions import Actor

Number = float | int | Decimal | str
Day = str | date

#: Header arguments and the service's names for them.
_HEADER = {"issue_date": "issue_date", "due_date": "due_date", "payment_term": "payment_terms",
           "payment_days": "payment_term_days", "subject": "subject",
           "purchase_order": "purchase_order", "notes": "notes", "discount": "discount",
           "tax": "tax", "tax2": "tax2", "tax_label": "tax_label", "tax2_label": "tax2_label",
           "period_start": "period_start", "period_end": "period_end"}
_NUMBERS = {"discount", "tax", "tax2"}
_DATES = {"issue_date", "due_date", "period_start", "period_end"}
#: Line item arguments and the service's names for them.
_LINE = {"kind": "kind", "description": "description", "quantity": "quantity",
         "unit_price": "unit_price", "taxed": "taxed", "taxed2": "taxed2",
         "project_id": "project"}


def header_values(given: Mapping[str, Any]) -> dict[str, Any]:
    """The header arguments given (None means unchanged) in the service's names and types."""
    out: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        if name in _NUMBERS:
            value = _number(value, name)
        elif name in _DATES:
            value = day_text(value)
        out[_HEADER[name]] = value
    return out


def line_values(given: Mapping[str, Any]) -> dict[str, Any]:
    """A line item's arguments given (None means unchanged) in the service's names."""
    unknown = set(given) - set(_LINE)
    if unknown:
        raise CoreKeitoError("validation_error", f"unknown line item field: {sorted(unknown)[0]}",
                             field=sorted(unknown)[0])
    out: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        out[_LINE[name]] = _number(value, name) if name in ("quantity", "unit_price") else value
    return out


def recipient_texts(recipients: Sequence[str | Mapping[str, str]] | None) -> list[str] | None:
    """Recipients as the service takes them: "Name <email>" texts, from texts or from the
    API's {"name", "email"} objects."""
    if recipients is None:
        return None
    if isinstance(recipients, str | Mapping):
        recipients = [recipients]  # type: ignore[list-item]
    from keito_core.services.billing.sending import display_address

    out = []
    for item in recipients:
        if isinstance(item, Mapping):
            email = item.get("email")
            if not isinstance(email, str) or not email.strip():
                raise CoreKeitoError("validation_error", "a recipient needs an email",
                                     field="recipients")
            out.append(display_address((item.get("name") or "").strip() or None,
                                       email.strip()))
        else:
            out.append(item)
    return out


def invoice_out(session: Session, actor: Actor, ref: str, now: datetime, *,
                written: bool = False) -> Invoice:
    """The invoice whole as `actor` sees it; after a write, with the warnings it left."""
    from keito_core import presenters as public
    from keito_core.reports.invoices import invoice_detail

    data = public.invoice(invoice_detail(session, actor=actor, ref=ref, now=now), viewer=actor)
    return Invoice.from_dict(_with_warnings(session, data) if written else data)


def _with_warnings(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    from keito_core.platform.notices import take_warnings

    return {**data, "warnings": take_warnings(session)}


def _line_out(session: Session, actor: Actor, invoice_id: str, line_id: str,
              now: datetime) -> LineItem:
    from keito_core import presenters as public
    from keito_core.reports.invoices import invoice_detail

    detail = invoice_detail(session, actor=actor, ref=invoice_id, now=now)
    view = next(v for v in detail.lines if v.line.id == line_id)
    return LineItem.from_dict(_with_warnings(session, public.invoice_line(view, viewer=actor)))


class Invoices:
    """client.invoices: create, list, get, update, delete, send; `lines` and `payments`."""

    def __init__(self, client: Keito) -> None:
        self._client = client
        self.lines = InvoiceLines(client)
        self.payments = InvoicePayments(client)

    def create(self, client_id: str, *, from_date: Day | None = None, to_date: Day | None = None,
               project_ids: Sequence[str] | None = None, group_by: str = "project",
               expenses: str = "category",
               line_items: Sequence[Mapping[str, Any]] | None = None,
               issue_date: Day | None = None, due_date: Day | None = None,
               payment_term: str | None = None, payment_days: int | None = None,
               subject: str | None = None, purchase_order: str | None = None,
               notes: str | None = None, discount: Number | None = None,
               tax: Number | None = None, tax2: Number | None = None,
               tax_label: str | None = None, tax2_label: str | None = None,
               **aliases: Any) -> Invoice:
        """A draft invoice for a client (ID or name). With a period (`from_date`, `to_date`)
        or `project_ids`, it bills the tracked, uninvoiced work of that period; otherwise it
        is free-form. `line_items` are added after any billed lines."""
        from_date = _alias(from_date, aliases, "from", "from_")
        to_date = _alias(to_date, aliases, "to", "to_")
        _no_more(aliases, "create")
        header = header_values({
            "issue_date": issue_date, "due_date": due_date, "payment_term": payment_term,
            "payment_days": payment_days, "subject": subject, "purchase_order": purchase_order,
            "notes": notes, "discount": discount, "tax": tax, "tax2": tax2,
            "tax_label": tax_label, "tax2_label": tax2_label})
        items = [line_values(item) for item in line_items or []]
        tracked = from_date is not None or to_date is not None or bool(project_ids)
        if isinstance(project_ids, str):
            project_ids = [project_ids]

        def work(session: Session, actor: Actor, now: datetime) -> Invoice:
            from keito_core.services.billing import generate, lines
            from keito_core.services.billing.invoices import Header, new_invoice

            head = Header(**header)
            if tracked:
                invoice = generate.create_from_tracked(
                    session, actor=actor, client_ref=client_id, project_refs=project_ids or (),
                    date_from=day_text(from_date), date_to=day_text(to_date),
                    group_by=group_by, expenses=expenses, header=head, now=now)
            else:
                invoice = new_invoice(session, actor=actor, client_ref=client_id, header=head,
                                      now=now)
            for values in items:
                lines.add_line(session, actor=actor, invoice_ref=invoice.id, values=values,
                               now=now)
            return invoice_out(session, actor, invoice.id, now, written=True)

        return self._client.run(work)

    def list(self, state: str | None = None, client_id: str | None = None,
             cursor: str | None = None, limit: int = 50) -> Page[InvoiceSummary]:
        """Invoices newest first; `state` is draft, open, paid, closed, overdue, unpaid or all."""
        def work(session: Session, actor: Actor, now: datetime) -> Page[InvoiceSummary]:
            from keito_core import presenters as public
            from keito_core.platform.paging import check_limit
            from keito_core.reports.invoices import list_invoices

            size = check_limit(limit)
            start = cursor_offset("invoices", cursor)
            found = list_invoices(session, actor=actor, now=now, state=state,
                                  client_ref=client_id, limit=size, offset=start)
            rows = [InvoiceSummary.from_dict({**(view := public.invoice_row(r, viewer=actor)),
                                              "client_id": view["client"]["id"]})
                    for r in found.rows]
            more = start + len(rows) < found.total
            return Page(data=rows, next_cursor=next_cursor("invoices", start + size)
                        if more else None, has_more=more)

        return self._client.run(work, readonly=True)

    def get(self, id: str) -> Invoice:  # noqa: A002 - the reference's parameter name
        """One invoice by ID or number, with its line items, payments and messages."""
        def work(session: Session, actor: Actor, now: datetime) -> Invoice:
            return invoice_out(session, actor, id, now)

        return self._client.run(work, readonly=True)

    def update(self, id: str, *, issue_date: Day | None = None,  # noqa: A002
               due_date: Day | None = None, payment_term: str | None = None,
               payment_days: int | None = None, subject: str | None = None,
               purchase_order: str | None = None, notes: str | None = None,
               discount: Number | None = None, tax: Number | None = None,
               tax2: Number | None = None, tax_label: str | None = None,
               tax2_label: str | None = None, period_start: Day | None = None,
               period_end: Day | None = None) -> Invoice:
        """Change the header; None leaves a field as it is and "" clears a text."""
        changes = header_values({
            "issue_date": issue_date, "due_date": due_date, "payment_term": payment_term,
            "payment_days": payment_days, "subject": subject, "purchase_order": purchase_order,
            "notes": notes, "discount": discount, "tax": tax, "tax2": tax2,
            "tax_label": tax_label, "tax2_label": tax2_label, "period_start": period_start,
            "period_end": period_end})

        def work(session: Session, actor: Actor, now: datetime) -> Invoice:
            from keito_core.services.billing.invoices import edit_invoice

            invoice = edit_invoice(session, actor=actor, ref=id, changes=changes, now=now)
            return invoice_out(session, actor, invoice.id, now, written=True)

        return self._client.run(work)

    def delete(self, id: str) -> None:  # noqa: A002
        """Delete an invoice (administrators); what it billed is free to bill again."""
        def work(session: Session, actor: Actor, now: datetime) -> None:
            from keito_core.services.billing.invoices import delete_invoice

            delete_invoice(session, actor=actor, ref=id, now=now)

        self._client.run(work)

    def send(self, id: str, recipients: Sequence[str | Mapping[str, str]] | None = None,  # noqa: A002
             subject: str | None = None, body: str | None = None, attach_pdf: bool = True,
             send_me_a_copy: bool = False, event_type: str = "send") -> InvoiceMessage:
        """Email the invoice (`event_type` send), a payment reminder or a thank-you over the
        workspace's SMTP server; the message as recorded in the invoice's history.

        `recipients` are "Name <email>" texts or {"name", "email"} objects (default: the
        client's contacts with an email); `subject` and `body` default to the templates."""
        to = recipient_texts(recipients)
        env = self._client.env

        def work(session: Session, actor: Actor, now: datetime) -> InvoiceMessage:
            from keito_core import presenters as public
            from keito_core.models import User
            from keito_core.services.billing.sending import send_invoice

            message = send_invoice(session, actor=actor, ref=id, kind=event_type,
                                   recipients=to, cc_me=send_me_a_copy, subject=subject,
                                   body=body, attach_pdf=attach_pdf, env=env, now=now)
            sender = session.get(User, actor.user_id)
            return InvoiceMessage.from_dict(_with_warnings(session, public.invoice_message(
                message, sent_by=sender.name if sender else None, viewer=actor)))

        return self._client.run(work)

    def issue(self, id: str) -> Invoice:  # noqa: A002
        """Mark a draft as sent without emailing it: it becomes open."""
        return self._state(id, "mark_sent")

    def close(self, id: str) -> Invoice:  # noqa: A002
        """Write an invoice off: it is no longer receivable."""
        return self._state(id, "close_invoice")

    def reopen(self, id: str) -> Invoice:  # noqa: A002
        """A closed invoice back to open (or paid, when its payments cover it)."""
        return self._state(id, "reopen_invoice")

    def _state(self, ref: str, service: str) -> Invoice:
        def work(session: Session, actor: Actor, now: datetime) -> Invoice:
            from keito_core.services.billing import invoices as svc

            invoice = getattr(svc, service)(session, actor=actor, ref=ref, now=now)
            return invoice_out(session, actor, invoice.id, now, written=True)

        return self._client.run(work)

    def pdf(self, id: str) -> bytes:  # noqa: A002
        """The invoice as PDF bytes (A4, fonts embedded), as `keito invoice pdf` writes it."""
        from keito_core.io.invoice_pdf import render_pdf

        return render_pdf(self._document(id))

    def html(self, id: str) -> str:  # noqa: A002
        """The invoice as one self-contained HTML page (the client portal's page)."""
        from keito_core.io.invoice_html import render_html

        return render_html(self._document(id))

    def _document(self, ref: str) -> Any:
        def work(session: Session, actor: Actor, now: datetime) -> Any:
            from keito_core.reports.invoices import invoice_document

            return invoice_document(session, actor=actor, ref=ref, now=now)

        return self._client.run(work, readonly=True)


class InvoiceLines:
    """client.invoices.lines: list, add, update, move, remove (a line is its number on the
    invoice, 1 the first, or its ID)."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def list(self, invoice_id: str) -> list[LineItem]:
        return self._client.invoices.get(invoice_id).line_items

    def add(self, invoice_id: str, description: str | None = None,
            quantity: Number | None = None, unit_price: Number | None = None, *,
            kind: str | None = None, taxed: bool | None = None, taxed2: bool | None = None,
            project_id: str | None = None, position: int | None = None) -> LineItem:
        """A new line (at the end, or at `position`); kind service, product or expense."""
        values = line_values({"description": description, "quantity": quantity,
                              "unit_price": unit_price, "kind": kind, "taxed": taxed,
                              "taxed2": taxed2, "project_id": project_id})

        def work(session: Session, actor: Actor, now: datetime) -> LineItem:
            from keito_core.services.billing import lines

            line = lines.add_line(session, actor=actor, invoice_ref=invoice_id, values=values,
                                  position=position, now=now)
            return _line_out(session, actor, line.invoice_id, line.id, now)

        return self._client.run(work)

    def update(self, invoice_id: str, line: int | str, *, description: str | None = None,
               quantity: Number | None = None, unit_price: Number | None = None,
               kind: str | None = None, taxed: bool | None = None, taxed2: bool | None = None,
               project_id: str | None = None) -> LineItem:
        """Change a line; its amount and the invoice's totals follow."""
        values = line_values({"description": description, "quantity": quantity,
                              "unit_price": unit_price, "kind": kind, "taxed": taxed,
                              "taxed2": taxed2, "project_id": project_id})

        def work(session: Session, actor: Actor, now: datetime) -> LineItem:
            from keito_core.services.billing import lines

            changed = lines.edit_line(session, actor=actor, invoice_ref=invoice_id,
                                      line_ref=line, values=values, now=now)
            return _line_out(session, actor, changed.invoice_id, changed.id, now)

        return self._client.run(work)

    def move(self, invoice_id: str, line: int | str, position: int) -> LineItem:
        """Put a line at `position` (1 the first), the others keeping their order."""
        def work(session: Session, actor: Actor, now: datetime) -> LineItem:
            from keito_core.services.billing import lines

            moved = lines.move_line(session, actor=actor, invoice_ref=invoice_id,
                                    line_ref=line, position=position, now=now)
            return _line_out(session, actor, moved.invoice_id, moved.id, now)

        return self._client.run(work)

    def remove(self, invoice_id: str, line: int | str) -> None:
        """Remove a line; the time and expenses it billed are free to bill again."""
        def work(session: Session, actor: Actor, now: datetime) -> None:
            from keito_core.services.billing import lines

            lines.remove_line(session, actor=actor, invoice_ref=invoice_id, line_ref=line,
                              now=now)

        self._client.run(work)


class InvoicePayments:
    """client.invoices.payments: list, create, delete (a payment is its number in the
    history, 1 the first, or its ID)."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def list(self, invoice_id: str) -> list[Payment]:
        return self._client.invoices.get(invoice_id).payments

    def create(self, invoice_id: str, amount: Number, paid_date: Day | None = None,
               notes: str | None = None, transaction_id: str | None = None) -> Payment:
        """Record money received for an open invoice; never more than is due."""
        value = _number(amount, "amount")

        def work(session: Session, actor: Actor, now: datetime) -> Payment:
            from keito_core import presenters as public
            from keito_core.reports.invoices import invoice_detail
            from keito_core.services.billing.payments import record_payment

            payment = record_payment(session, actor=actor, invoice_ref=invoice_id,
                                     amount=value or "", paid_on=day_text(paid_date),
                                     notes=notes, transaction_id=transaction_id, now=now)
            detail = invoice_detail(session, actor=actor, ref=payment.invoice_id, now=now)
            view = next(p for p in detail.payments if p.payment.id == payment.id)
            return Payment.from_dict(_with_warnings(
                session, public.invoice_payment(view, viewer=actor)))

        return self._client.run(work)

    def delete(self, invoice_id: str, payment: int | str) -> None:
        """Delete a payment; a paid invoice opens again."""
        def work(session: Session, actor: Actor, now: datetime) -> None:
            from keito_core.services.billing.payments import delete_payment

            delete_payment(session, actor=actor, invoice_ref=invoice_id,
                           payment_ref=str(payment), now=now)

        self._client.run(work)
