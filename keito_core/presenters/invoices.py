"""The shapes of invoices: lines, payments, messages, the invoice whole, its row in a list,
what is ready to bill and receivables by age."""

from __future__ import annotations

from typing import Any

from keito_core.presenters.fields import named, shown
from keito_core.rules.permissions import Actor, field_visibility


def invoice_line(view: Any, *, viewer: Actor) -> dict[str, Any]:
    """An invoice line (reports.invoices.LineView) in the API's LineItem shape, with extras."""
    line = view.line
    data = {
        "id": line.id,
        "position": view.number,
        "kind": line.kind,
        "description": line.description,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "amount": line.amount,
        "taxed": line.taxed1,
        "taxed2": line.taxed2,
        "project_id": line.project_id,
        "project": ({"id": line.project_id, "name": view.project_name,
                     "code": view.project_code} if line.project_id else None),
        "is_agent": line.is_agent,
        "fixed_fee": line.fee_project_id is not None,
        "hours_seconds": view.seconds,
    }
    return shown("invoice_line", data, field_visibility(viewer))


def invoice_payment(view: Any, *, viewer: Actor) -> dict[str, Any]:
    """A payment (reports.invoices.PaymentView), with the balance left after it."""
    p = view.payment
    data = {
        "id": p.id,
        "amount": p.amount,
        "paid_date": p.paid_on,
        "notes": p.notes,
        "transaction_id": p.transaction_id,
        "recorded_by": view.recorded_by,
        "balance": view.balance,
        "created_at": p.created_at,
    }
    return shown("invoice_payment", data, field_visibility(viewer))


def invoice_message(message: Any, *, sent_by: str | None, viewer: Actor) -> dict[str, Any]:
    """An entry of an invoice's message history, in the API's InvoiceMessage shape."""
    return {
        "id": message.id,
        "invoice_id": message.invoice_id,
        "event_type": message.event_type,
        "sent_by": sent_by,
        "sent_from_email": message.sent_from_email,
        "recipients": list(message.recipients or []),
        "subject": message.subject,
        "body": message.body,
        "attach_pdf": message.attach_pdf,
        "send_me_a_copy": message.send_me_a_copy,
        "thank_you": message.event_type == "thank_you",
        "reminder": message.event_type == "reminder",
        "created_at": message.created_at,
        "updated_at": message.created_at,
    }


def invoice(detail: Any, *, viewer: Actor) -> dict[str, Any]:
    """An invoice (reports.invoices.InvoiceDetail) in the API's Invoice shape, plus subtotal,
    its payments, message history and aging."""
    inv = detail.invoice
    data = {
        "id": inv.id,
        "client_id": inv.client_id,
        "client": named(detail.client),
        "created_by_id": inv.created_by_id,
        "creator": ({"id": detail.creator.id, "name": detail.creator.name,
                     "email": detail.creator.email} if detail.creator else None),
        "number": inv.number,
        "purchase_order": inv.purchase_order,
        "subject": inv.subject,
        "state": inv.state,
        "currency": inv.currency,
        "subtotal": inv.subtotal,
        "discount": inv.discount_percent,
        "discount_amount": inv.discount_amount,
        "tax": inv.tax1_rate,
        "tax_label": inv.tax1_label,
        "tax_amount": inv.tax1_amount,
        "tax2": inv.tax2_rate,
        "tax2_label": inv.tax2_label,
        "tax2_amount": inv.tax2_amount,
        "amount": inv.total,
        "paid_amount": inv.amount_paid,
        "due_amount": inv.total - inv.amount_paid,
        "issue_date": inv.issue_date,
        "due_date": inv.due_date,
        "payment_term": inv.payment_terms,
        "payment_days": inv.payment_term_days,
        "notes": inv.notes,
        "period_start": inv.period_start,
        "period_end": inv.period_end,
        "sent_at": inv.sent_at,
        "paid_at": inv.paid_at,
        "closed_at": inv.closed_at,
        "created_at": inv.created_at,
        "updated_at": inv.updated_at,
        "days_since_issue": detail.days_since_issue,
        "days_past_due": detail.days_past_due,
        "is_overdue": detail.days_past_due > 0,
        "line_items": [invoice_line(v, viewer=viewer) for v in detail.lines],
        "payments": [invoice_payment(p, viewer=viewer) for p in detail.payments],
        "messages": [invoice_message(m, sent_by=who, viewer=viewer)
                     for m, who in detail.messages],
    }
    return shown("invoice", data, field_visibility(viewer))


def invoice_row(row: Any, *, viewer: Actor) -> dict[str, Any]:
    """An invoice as lists show it (reports.invoices.InvoiceRow)."""
    data = {
        "id": row.id,
        "number": row.number,
        "state": row.state,
        "client": {"id": row.client_id, "name": row.client},
        "currency": row.currency,
        "subject": row.subject,
        "issue_date": row.issue_date,
        "due_date": row.due_date,
        "amount": row.amount,
        "due_amount": row.due_amount,
        "days_since_issue": row.days_since_issue,
        "days_past_due": row.days_past_due,
        "is_overdue": row.overdue,
    }
    return shown("invoice_row", data, field_visibility(viewer))


def uninvoiced_line(u: Any, *, viewer: Actor) -> dict[str, Any]:
    """What one project has ready to bill (reports.invoices.UninvoicedLine)."""
    data = {
        "client": {"id": u.client_id, "name": u.client},
        "project": {"id": u.project_id, "name": u.project},
        "currency": u.currency,
        "hours": u.hours,
        "time_amount": u.time_amount,
        "expense_amount": u.expense_amount,
        "fee": u.fee,
        "amount": u.amount,
    }
    return shown("uninvoiced", data, field_visibility(viewer))


def aging_line(a: Any) -> dict[str, Any]:
    """One client's (or the currency's total) receivables by days past due."""
    return {
        "client": {"id": a.client_id, "name": a.client} if a.client_id else None,
        "currency": a.currency,
        "invoices": a.invoices,
        "outstanding": a.outstanding,
        "overdue": a.overdue,
        "buckets": dict(a.buckets),
    }
