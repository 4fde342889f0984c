"""Public shapes of records, one function per record kind, told who is looking.

Every outward shape (the command line's JSON, the Python API, the app's tables, later the HTTP
server) is built here, with the reference API's field names. Each function takes the acting
user as the required keyword `viewer` and asks the policy
(keito_core.rules.permissions.field_visibility) which money fields that viewer may see: billable
rates and fees, cost rates, budgets and amounts (see `Money`). No caller passes visibility
flags, and none removes fields afterwards.

A hidden field is absent from the dict: not None (which means "not set"), not a placeholder.
The same holds for every kind, nested rows included (a project's tasks and team).
`MONEY_FIELDS` names, per record kind, every field that may be hidden and the kind of money it
is; tests/core/test_presenters.py walks it for every role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from keito_core.rules.permissions import Actor, Money, field_visibility

if TYPE_CHECKING:  # the shapes read attributes only: a lean reader may pass plain rows
    from keito_core.models import (
        ApiKey,
        Client,
        Contact,
        Expense,
        ExpenseCategory,
        Project,
        ProjectMember,
        ProjectTask,
        Task,
        TimeEntry,
        User,
        Workspace,
    )


_R, _C, _B, _A = Money.RATE, Money.COST, Money.BUDGET, Money.AMOUNT
_BUDGET_SETTINGS = ("budget_by", "budget_hours", "budget_amount", "budget_monthly_reset",
                    "budget_alert_percent", "budget_includes_expenses", "budget_visible_to_team")

#: Per record kind, every field a viewer may be refused and the kind of money it is.
MONEY_FIELDS: dict[str, Mapping[str, Money]] = {
    "user": {"billable_rate": _R, "cost_rate": _C},
    "task": {"default_hourly_rate": _R},
    "category": {"unit_price": _A},
    "project": {"hourly_rate": _R, "fixed_fee": _R, **dict.fromkeys(_BUDGET_SETTINGS, _B)},
    "project_task": {"hourly_rate": _R, "budget_hours": _B, "budget_amount": _B},
    "project_member": {"hourly_rate": _R, "uses_default_rate": _R, "budget_hours": _B,
                       "budget_amount": _B},
    "time_entry": {"billable_rate": _R, "cost_rate": _C},
    "expense": {"units": _A, "unit_price": _A, "total_cost": _A},
    "expense_total": {"total_cost": _A},
    "submission_expense": {"units": _A, "unit_price": _A, "total_cost": _A},
    # An invoice is a document sent to the client: whoever may view it sees all of it.
    "invoice": dict.fromkeys(("amount", "due_amount", "subtotal", "discount",
                              "discount_amount", "tax", "tax_amount", "tax2", "tax2_amount",
                              "paid_amount"), _A),
    "invoice_line": {"quantity": _A, "unit_price": _A, "amount": _A},
    "invoice_payment": {"amount": _A, "balance": _A},
    "invoice_row": {"amount": _A, "due_amount": _A},
    "uninvoiced": {"hours": _A, "time_amount": _A, "expense_amount": _A, "fee": _A,
                   "amount": _A},
}


def _shown(kind: str, data: dict[str, Any], visible: frozenset[Money]) -> dict[str, Any]:
    """`data` without the money fields of `kind` that the viewer may not see."""
    fields = MONEY_FIELDS[kind]
    return {key: value for key, value in data.items()
            if key not in fields or fields[key] in visible}


def _project_visibility(viewer: Actor, project: Any) -> frozenset[Money]:
    return field_visibility(viewer, project_id=project.id,
                            budget_visible_to_team=bool(project.budget_visible_to_team))


def workspace(ws: Workspace, *, viewer: Actor) -> dict[str, Any]:
    """The workspace's settings everyone may read."""
    return {
        "id": ws.id,
        "name": ws.name,
        "currency": ws.currency,
        "timezone": ws.timezone,
        "week_start": ws.week_start,
        "created_at": ws.created_at,
    }


def user(u: User, *, viewer: Actor) -> dict[str, Any]:
    """A user; the billable rate and the cost rate as the viewer may see them."""
    data: dict[str, Any] = {
        "id": u.id,
        "name": u.name,
        "email": u.email,
        "user_type": u.user_type,
        "role": u.role,
        "status": u.status,
        "is_active": u.status == "active",
        "employment_type": u.employment_type,
        "weekly_capacity": None
        if u.weekly_capacity_seconds is None
        else u.weekly_capacity_seconds / 3600,
        "timezone": u.timezone,
        "manager_permissions": list(u.manager_permissions),
        "created_at": u.created_at,
        "updated_at": u.updated_at,
        "billable_rate": u.default_rate,
        "cost_rate": u.cost_rate,
    }
    return _shown("user", data, field_visibility(viewer))


def api_key(k: ApiKey, *, viewer: Actor, secret: str | None = None) -> dict[str, Any]:
    """An API key by its prefix; the secret only when just created."""
    data: dict[str, Any] = {
        "id": k.id,
        "user_id": k.user_id,
        "name": k.name,
        "prefix": k.prefix,
        "created_at": k.created_at,
        "last_used_at": k.last_used_at,
        "revoked_at": k.revoked_at,
        "is_active": k.revoked_at is None,
    }
    if secret is not None:
        data["secret"] = secret
    return data


def contact(c: Contact, *, viewer: Actor) -> dict[str, Any]:
    """A client's contact."""
    return {
        "id": c.id,
        "client_id": c.client_id,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "title": c.title,
        "email": c.email,
        "phone_office": c.phone_office,
        "phone_mobile": c.phone_mobile,
        "fax": c.fax,
    }


def client(
    c: Client, *, viewer: Actor, contacts: Sequence[Contact] | None = None
) -> dict[str, Any]:
    """A client, with its contacts when given."""
    data: dict[str, Any] = {
        "id": c.id,
        "name": c.name,
        "currency": c.currency,
        "address": {
            "street": c.street,
            "city": c.city,
            "region": c.region,
            "postal_code": c.postal_code,
            "country": c.country,
        },
        "phone": c.phone,
        "is_active": c.is_active,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    if contacts is not None:
        data["contacts"] = [contact(x, viewer=viewer) for x in contacts]
    return data


def task(t: Task, *, viewer: Actor) -> dict[str, Any]:
    """A company-level task; its default rate as the viewer may see it."""
    data = {
        "id": t.id,
        "name": t.name,
        "handle": t.handle,
        "is_billable": t.is_billable_default,
        "default_hourly_rate": t.default_rate,
        "is_default": t.is_default,
        "is_active": t.is_active,
        "created_at": t.created_at,
        "updated_at": t.updated_at,
    }
    return _shown("task", data, field_visibility(viewer))


def category(c: ExpenseCategory, *, viewer: Actor) -> dict[str, Any]:
    """An expense category with its unit price (the price everyone logs at)."""
    data = {
        "id": c.id,
        "name": c.name,
        "handle": c.handle,
        "unit_name": c.unit_name,
        "unit_price": c.unit_price,
        "is_unit_based": c.unit_price is not None,
        "is_billable": c.is_billable_default,
        "is_active": c.is_active,
        "is_builtin": c.is_builtin,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
    }
    return _shown("category", data, field_visibility(viewer))


def project_task(pt: ProjectTask, t: Task, *, viewer: Actor, project: Project) -> dict[str, Any]:
    """A task enabled on `project`, with its overrides as the viewer may see them."""
    data = {
        "id": pt.id,
        "task_id": t.id,
        "name": t.name,
        "handle": t.handle,
        "is_billable": t.is_billable_default if pt.is_billable is None else pt.is_billable,
        "hourly_rate": t.default_rate if pt.hourly_rate is None else pt.hourly_rate,
        "budget_hours": pt.budget_hours,
        "budget_amount": pt.budget_amount,
        "is_active": pt.is_active,
    }
    return _shown("project_task", data, _project_visibility(viewer, project))


def project_member(
    pm: ProjectMember, u: User, *, viewer: Actor, project: Project
) -> dict[str, Any]:
    """A member of `project`'s team, with their rate and budget as the viewer may see them."""
    data: dict[str, Any] = {
        "id": pm.id,
        "user_id": u.id,
        "name": u.name,
        "user_type": u.user_type,
        "is_project_manager": pm.is_project_manager,
        "budget_hours": pm.budget_hours,
        "budget_amount": pm.budget_amount,
        "hourly_rate": u.default_rate if pm.hourly_rate is None else pm.hourly_rate,
        "uses_default_rate": pm.hourly_rate is None,
    }
    return _shown("project_member", data, _project_visibility(viewer, project))


def project(
    p: Project,
    *,
    viewer: Actor,
    client_name: str | None = None,
    tasks: Sequence[tuple[ProjectTask, Task]] | None = None,
    members: Sequence[tuple[ProjectMember, User]] | None = None,
) -> dict[str, Any]:
    """A project, with its tasks and team when given; rates, fees and budgets as the viewer
    may see them."""
    data: dict[str, Any] = {
        "id": p.id,
        "name": p.name,
        "code": p.code,
        "handle": p.handle,
        "client_id": p.client_id,
        "billing_type": p.project_type,
        "bill_by": p.bill_by,
        "is_billable": p.project_type != "non_billable",
        "starts_on": p.starts_on,
        "ends_on": p.ends_on,
        "notes": p.notes,
        "is_active": p.is_active,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }
    if client_name is not None:
        data["client_name"] = client_name
    data.update(hourly_rate=p.hourly_rate, fixed_fee=p.fixed_fee)
    data.update({name: getattr(p, name) for name in _BUDGET_SETTINGS})
    data = _shown("project", data, _project_visibility(viewer, p))
    if tasks is not None:
        data["tasks"] = [project_task(pt, t, viewer=viewer, project=p) for pt, t in tasks]
    if members is not None:
        data["members"] = [project_member(pm, u, viewer=viewer, project=p) for pm, u in members]
    return data


def _named(row: Any) -> dict[str, Any] | None:
    """{id, name} of a related record (a row or a dict), or None."""
    if row is None:
        return None
    if isinstance(row, dict):
        return {"id": row.get("id"), "name": row.get("name")}
    return {"id": row.id, "name": row.name}


def entry_hours(seconds: int) -> Decimal:
    """Decimal hours in `seconds`: exact to 6 places, at least 2 (1.50, 1.333056, 0.00)."""
    value = (Decimal(seconds) / 3600).quantize(Decimal("0.000001"), ROUND_HALF_UP)
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return value.quantize(Decimal(1).scaleb(-places))


def time_entry(
    e: TimeEntry,
    *,
    viewer: Actor,
    project: Any = None,
    task: Any = None,
    user: Any = None,
    now: datetime,
    timezone: str | None = None,
    locked: bool | None = None,
) -> dict[str, Any]:
    """A time entry in the reference API's shape, with extras; its billable and cost rates
    as the viewer may see them.

    `now` is the instant shown: a running timer's hours and duration_seconds are its time
    so far (as the reference API reports them), up to a day; `timezone` gives started_time
    and ended_time in that zone (else UTC); `locked` is the full locking decision when the
    caller has it (else: invoiced, or approved and not unlocked).
    """
    seconds = e.duration_seconds
    if e.is_running and e.timer_started_at is not None:
        seconds = max(0, min(int((now - e.timer_started_at).total_seconds()), 24 * 3600))
    zone = ZoneInfo(timezone) if timezone else UTC
    if locked is None:
        locked = e.invoice_id is not None or (
            e.approval_status == "approved" and e.unlocked_at is None
        )
    data: dict[str, Any] = {
        "id": e.id,
        "project_id": e.project_id,
        "task_id": e.task_id,
        "user_id": e.user_id,
        "spent_date": e.spent_date,
        "hours": entry_hours(seconds),
        "notes": e.notes,
        "is_running": e.is_running,
        "is_billable": e.is_billable,
        "source": e.source,
        "metadata": dict(e.meta or {}),
        "created_at": e.created_at,
        "updated_at": e.updated_at,
        "timer_started_at": e.timer_started_at,
        "started_time": e.started_at.astimezone(zone) if e.started_at else None,
        "ended_time": e.ended_at.astimezone(zone) if e.ended_at else None,
        "duration_seconds": seconds,
        "is_rounded": e.is_rounded,
        "approval_status": e.approval_status,
        "is_locked": locked,
        "invoice_id": e.invoice_id,
        "project": _named(project),
        "task": _named(task),
        "user": _named(user),
        "billable_rate": e.billable_rate,
        "cost_rate": e.cost_rate,
    }
    return _shown("time_entry", data, field_visibility(viewer))


def expense(
    x: Expense,
    *,
    viewer: Actor,
    project: Any = None,
    category: Any = None,
    user: Any = None,
    locked: bool | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """An expense in the reference API's shape, with its receipt, related names and the
    currency of its amounts (its client's, when the caller has it)."""
    if locked is None:
        locked = x.invoice_id is not None or (
            x.approval_status == "approved" and x.unlocked_at is None
        )
    receipt = None
    if x.receipt_path:
        receipt = {
            "name": x.receipt_name,
            "size": x.receipt_size,
            "content_type": x.receipt_content_type,
            "path": x.receipt_path,
        }
    data = {
        "id": x.id,
        "project_id": x.project_id,
        "expense_category_id": x.category_id,
        "user_id": x.user_id,
        "spent_date": x.spent_date,
        "units": x.units,
        "unit_price": x.unit_price,
        "total_cost": x.total_cost,
        "currency": currency,
        "notes": x.notes,
        "is_billable": x.is_billable,
        "source": x.source,
        "metadata": dict(x.meta or {}),
        "receipt": receipt,
        "created_at": x.created_at,
        "updated_at": x.updated_at,
        "approval_status": x.approval_status,
        "is_locked": locked,
        "invoice_id": x.invoice_id,
        "project": _named(project),
        "expense_category": _named(category),
        "user": _named(user),
    }
    return _shown("expense", data, field_visibility(viewer))


# --- approvals ------------------------------------------------------------------------------


def _hours_by(seconds: dict[str, int]) -> dict[str, Decimal]:
    return {key: entry_hours(value) for key, value in seconds.items()}


def submission_public(s: Any, *, viewer: Actor) -> dict[str, Any]:
    """A submission summary (keito_core.reports.approval_queue.SubmissionSummary)."""
    visible = field_visibility(viewer)
    return {
        "id": s.id,
        "user_id": s.user_id,
        "user": {"id": s.user_id, "name": s.user_name, "user_type": s.user_type},
        "period_start": s.period_start,
        "period_end": s.period_end,
        "status": s.status,
        "submitted_at": s.submitted_at,
        "decided_at": s.decided_at,
        "decided_by": {"id": s.decided_by_id, "name": s.decided_by_name}
        if s.decided_by_id else None,
        "reason": s.reason,
        "entry_count": s.entry_count,
        "total_hours": entry_hours(s.total_seconds),
        "billable_hours": entry_hours(s.billable_seconds),
        "non_billable_hours": entry_hours(s.non_billable_seconds),
        "hours_by_source": _hours_by(s.seconds_by_source),
        "expense_count": s.expense_count,
        "expense_totals": [
            _shown("expense_total",
                   {"currency": t.currency, "count": t.count, "total_cost": t.total_cost},
                   visible)
            for t in s.expense_totals
        ],
        "period_hours": entry_hours(s.period_seconds),
        "capacity_hours": entry_hours(s.capacity_seconds),
        "longest_day_hours": entry_hours(s.longest_day_seconds),
        "missing_notes": s.missing_notes,
        "agent_hours": entry_hours(s.agent_seconds),
        "running_timer": s.running_timer,
        "flags": list(s.flags),
        "can_approve": s.can_approve,
        "can_withdraw": s.can_withdraw,
    }


def submission_detail_public(d: Any, *, viewer: Actor) -> dict[str, Any]:
    """A submission with its time entries, expenses and daily totals (SubmissionDetail)."""
    visible = field_visibility(viewer)
    return {
        **submission_public(d.summary, viewer=viewer),
        "time_entries": [
            {
                "id": e.id,
                "spent_date": e.spent_date,
                "client": e.client_name,
                "project_id": e.project_id,
                "project": e.project_name,
                "task": e.task_name,
                "notes": e.notes,
                "hours": entry_hours(e.duration_seconds),
                "is_billable": e.is_billable,
                "source": e.source,
                "is_running": e.is_running,
                "metadata": dict(e.metadata),
                "approval_status": e.approval_status,
                "flags": list(e.flags),
            }
            for e in d.entries
        ],
        "expenses": [
            _shown("submission_expense", {
                "id": x.id,
                "spent_date": x.spent_date,
                "client": x.client_name,
                "project_id": x.project_id,
                "project": x.project_name,
                "expense_category": x.category_name,
                "notes": x.notes,
                "units": x.units,
                "unit_price": x.unit_price,
                "total_cost": x.total_cost,
                "currency": x.currency,
                "is_billable": x.is_billable,
                "source": x.source,
                "metadata": dict(x.metadata),
                "approval_status": x.approval_status,
                "has_receipt": x.has_receipt,
                "flags": list(x.flags),
            }, visible)
            for x in d.expenses
        ],
        "daily_totals": [
            {
                "date": day.day,
                "hours": entry_hours(day.seconds),
                "billable_hours": entry_hours(day.billable_seconds),
                "flags": list(day.flags),
            }
            for day in d.daily_totals
        ],
    }


def timesheet_status_public(t: Any, *, viewer: Actor) -> dict[str, Any]:
    """Where a user's period stands (keito_core.reports.approval_queue.TimesheetStatus)."""
    return {
        "user": {"id": t.user_id, "name": t.user_name},
        "period_start": t.period_start,
        "period_end": t.period_end,
        "approvals_enabled": t.approvals_enabled,
        "statuses": {
            s.status: {
                "entry_count": s.entry_count,
                "hours": entry_hours(s.seconds),
                "expense_count": s.expense_count,
            }
            for s in t.statuses
        },
        "to_submit": t.to_submit,
        "running_timer": t.running_timer,
        "submissions": [submission_public(s, viewer=viewer) for s in t.submissions],
    }


# ── invoices ─────────────────────────────────────────────────────────────────────────────


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
    return _shown("invoice_line", data, field_visibility(viewer))


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
    return _shown("invoice_payment", data, field_visibility(viewer))


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
        "client": _named(detail.client),
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
    return _shown("invoice", data, field_visibility(viewer))


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
    return _shown("invoice_row", data, field_visibility(viewer))


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
    return _shown("uninvoiced", data, field_visibility(viewer))


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
