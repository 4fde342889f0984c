"""API v2 routes: invoices (list, create, get, update, delete) and their messages.

Who may do what is the billing services' (the policy): managers with "draft invoices" or
"send invoices" on the clients of projects they manage, administrators all; members see no
invoices (403). The list reads a page of whole invoices at once (reports.invoices.invoice_page).

Where the spec and Keito differ, API callers get the spec:

- DELETE removes drafts only (the spec's "can only delete draft invoices"); `keito invoice
  delete` still lets an administrator delete a sent invoice without payments.
- A new invoice's line items are untaxed unless `taxed`/`taxed2` say so (the spec's
  defaults); `currency` must be the client's, since a Keito invoice is in its client's.
- Creating a message emails the invoice (`send`, which opens a draft), a reminder or a
  thank-you through the workspace's SMTP server and records it in the history; without a
  server set it is a 400 with Keito's `config_error` code and nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core import presenters
from keito_core.errors import KeitoError, conflict, validation
from keito_core.models import Invoice, InvoiceMessage, User
from keito_core.rules.permissions import Action
from keito_core.server import shapes
from keito_core.server.call import Call, Reply, route
from keito_core.server.errors import error_body
from keito_core.server.paging import envelope, page_of, page_rows
from keito_core.server.shapes_input import Body

PATH = "/api/v2/invoices"
ONE = PATH + "/{id}"
STATES = ("draft", "open", "paid", "closed")
TERMS = ("upon_receipt", "net_15", "net_30", "net_45", "net_60", "custom")
MESSAGE_KINDS = ("send", "reminder", "thank_you")


def invoice_shape(call: Call, ref: str) -> dict[str, Any]:
    """The spec's Invoice of `ref`, whole, as the acting user sees it."""
    from keito_core.reports.invoices import invoice_detail

    detail = invoice_detail(call.session, actor=call.actor, ref=ref, now=call.now)
    return shapes.invoice(presenters.invoice(detail, viewer=call.actor))


def _invoice(call: Call) -> Invoice:
    """The path's invoice, by its ID only."""
    invoice = call.session.get(Invoice, call.path["id"])
    if invoice is None:
        raise KeitoError("not_found", f"invoice {call.path['id']!r} not found", field="id")
    return invoice


def _header(body: Body) -> dict[str, Any]:
    """InvoiceUpdate's members (and InvoiceCreate's header) in the service's names."""
    from keito_core.api.invoices import header_values

    given: dict[str, Any] = {}
    for name in ("subject", "purchase_order", "notes"):
        given[name] = body.text(name)
    for name in ("issue_date", "due_date", "period_start", "period_end"):
        given[name] = body.day(name)
    for name in ("tax", "tax2", "discount"):
        given[name] = body.number(name)
    return header_values(given)


@route("GET", PATH, errors=(401,))
def list_invoices(call: Call) -> dict[str, Any]:
    from keito_core.reports.invoices import invoice_page

    page = page_of(call)
    state = call.text("state")
    if state is not None and state not in STATES:
        raise validation(f"state must be one of {', '.join(STATES)}", field="state")
    total, details = invoice_page(
        call.session, actor=call.actor, now=call.now, client_id=call.text("client_id"),
        state=state or "all", issued_from=call.day("from"), issued_to=call.day("to"),
        updated_since=call.instant("updated_since"), limit=page.size, offset=page.offset)
    items = [shapes.invoice(presenters.invoice(d, viewer=call.actor)) for d in details]
    return envelope(call, page, total, "invoices", items)


@route("POST", PATH, errors=(400, 403))
def create_invoice(call: Call) -> dict[str, Any]:
    """A free-form draft for the client, with the line items given."""
    from keito_core.services.billing import lines
    from keito_core.services.billing.invoices import Header, edit_invoice, new_invoice

    body = Body(call.body)
    client_id = body.text("client_id", required=True)
    assert client_id is not None
    header = _header(body)
    period: dict[str, Any] = {k: header.pop(k) for k in ("period_start", "period_end")
                              if k in header}
    terms = body.choice("payment_term", TERMS)
    if terms is not None:
        header["payment_terms"] = terms
    currency = body.text("currency")
    items = [_line(n, item) for n, item in enumerate(body.items("line_items"), start=1)]
    invoice = new_invoice(call.session, actor=call.actor, client_ref=client_id,
                          header=Header(**header), now=call.now)
    if currency is not None and currency.upper() != invoice.currency:
        # The transaction rolls back: no invoice, no number used.
        raise validation(f"currency must be the client's, {invoice.currency}: an invoice is "
                         "in its client's currency", field="currency")
    if period:
        edit_invoice(call.session, actor=call.actor, ref=invoice.id, changes=period,
                     now=call.now)
    for n, values in enumerate(items, start=1):
        with _line_errors(n):
            lines.add_line(call.session, actor=call.actor, invoice_ref=invoice.id,
                           values=values, now=call.now)
    return invoice_shape(call, invoice.id)


@contextmanager
def _line_errors(number: int) -> Iterator[None]:
    """A line item's error names it: `line_items[2].quantity`."""
    try:
        yield
    except KeitoError as error:
        error.field = f"line_items[{number}].{error.field or 'line_items'}"
        raise


def _line(number: int, item: Mapping[str, Any]) -> dict[str, Any]:
    """A new line item in the service's names, with the spec's defaults (an untaxed service,
    1 at 0)."""
    from keito_core.api.invoices import line_values

    with _line_errors(number):
        line = Body(item)
        return line_values({
            "kind": line.text("kind") or "service", "description": line.text("description"),
            "quantity": line.number("quantity") or "1",
            "unit_price": line.number("unit_price") or "0",
            "taxed": bool(line.flag("taxed")), "taxed2": bool(line.flag("taxed2")),
            "project_id": line.text("project_id")})


@route("GET", ONE, errors=(404,))
def get_invoice(call: Call) -> dict[str, Any]:
    return invoice_shape(call, _invoice(call).id)


@route("PATCH", ONE, errors=(403, 404))
def update_invoice(call: Call) -> dict[str, Any]:
    from keito_core.services.billing.invoices import edit_invoice

    invoice = _invoice(call)
    edit_invoice(call.session, actor=call.actor, ref=invoice.id, changes=_header(Body(call.body)),
                 now=call.now)
    return invoice_shape(call, invoice.id)


@route("DELETE", ONE, errors=(403, 404))
def delete_invoice(call: Call) -> dict[str, Any]:
    """Delete a draft (administrators); what it billed is free to bill again."""
    from keito_core.enums import InvoiceState
    from keito_core.services.billing import invoices as svc

    invoice = _invoice(call)
    svc.require_invoice(call.session, call.actor, Action.INVOICE_DELETE, invoice)
    if invoice.state is not InvoiceState.DRAFT:
        raise conflict(f"invoice {invoice.number} is {invoice.state.value}: only drafts are "
                       "deleted here", hint="`keito invoice delete` can delete a sent invoice")
    svc.delete_invoice(call.session, actor=call.actor, ref=invoice.id, now=call.now)
    return {"id": invoice.id, "deleted": True}


# ── messages ─────────────────────────────────────────────────────────────────────────────


def _message_shape(message: InvoiceMessage, name: str | None, email: str | None,
                   call: Call) -> dict[str, Any]:
    return shapes.invoice_message(
        presenters.invoice_message(message, sent_by=name, viewer=call.actor),
        sent_by_email=email)


@route("GET", ONE + "/messages", errors=())
def list_messages(call: Call) -> dict[str, Any]:
    """The invoice's history: emails sent and state changes, newest first."""
    from keito_core.services.billing.invoices import require_invoice

    invoice = _invoice(call)
    require_invoice(call.session, call.actor, Action.INVOICE_VIEW, invoice)
    page = page_of(call)
    query = (sa.select(InvoiceMessage, col(User.name), col(User.email))
             .outerjoin(User, col(User.id) == col(InvoiceMessage.sent_by_id))
             .where(col(InvoiceMessage.invoice_id) == invoice.id)
             .order_by(col(InvoiceMessage.created_at).desc(), col(InvoiceMessage.id).desc()))
    total, rows = page_rows(call.session, query, page)
    items = [_message_shape(message, name, email, call) for message, name, email in rows]
    return envelope(call, page, total, "invoice_messages", items)


@route("POST", ONE + "/messages", errors=(400, 403))
def create_message(call: Call) -> dict[str, Any] | Reply:
    """Email the invoice, a reminder or a thank-you (InvoiceMessageCreate)."""
    from keito_core.api.invoices import recipient_texts
    from keito_core.services.billing.sending import send_invoice

    body = Body(call.body)
    body.required("recipients")
    recipients = body.items("recipients")
    for person in recipients:
        Body(person).text("name")
        Body(person).text("email", required=True)
    kind = body.choice("event_type", MESSAGE_KINDS) or "send"
    attach = body.flag("attach_pdf")
    invoice = _invoice(call)
    try:
        message = send_invoice(
            call.session, actor=call.actor, ref=invoice.id, kind=kind,
            recipients=recipient_texts(recipients), cc_me=bool(body.flag("send_me_a_copy")),
            subject=body.text("subject"), body=body.text("body"),
            attach_pdf=True if attach is None else attach, env=call.env, now=call.now)
    except KeitoError as error:
        if error.code != "config_error":
            raise
        # No mail server: the spec's 400 (nothing was sent or written), Keito's code kept.
        return Reply(400, error_body(error, 400))
    sender = call.session.get(User, call.actor.user_id)
    return _message_shape(message, sender.name if sender else None,
                          sender.email if sender else None, call)
