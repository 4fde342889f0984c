"""Public shapes of records: the reference API's field names, used for JSON and the Python API."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

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


def workspace(ws: Workspace) -> dict[str, Any]:
    return {
        "id": ws.id,
        "name": ws.name,
        "currency": ws.currency,
        "timezone": ws.timezone,
        "week_start": ws.week_start,
        "created_at": ws.created_at,
    }


def user(u: User, *, show_rates: bool = True, show_cost: bool = True) -> dict[str, Any]:
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
    }
    if show_rates:
        data["billable_rate"] = u.default_rate
    if show_cost:
        data["cost_rate"] = u.cost_rate
    return data


def api_key(k: ApiKey, *, secret: str | None = None) -> dict[str, Any]:
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


def contact(c: Contact) -> dict[str, Any]:
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


def client(c: Client, *, contacts: list[Contact] | None = None) -> dict[str, Any]:
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
        data["contacts"] = [contact(x) for x in contacts]
    return data


def task(t: Task) -> dict[str, Any]:
    return {
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


def category(c: ExpenseCategory) -> dict[str, Any]:
    return {
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


def project_task(pt: ProjectTask, t: Task) -> dict[str, Any]:
    return {
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


def project_member(pm: ProjectMember, u: User, *, show_rates: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": pm.id,
        "user_id": u.id,
        "name": u.name,
        "user_type": u.user_type,
        "is_project_manager": pm.is_project_manager,
        "budget_hours": pm.budget_hours,
        "budget_amount": pm.budget_amount,
    }
    if show_rates:
        data["hourly_rate"] = u.default_rate if pm.hourly_rate is None else pm.hourly_rate
        data["uses_default_rate"] = pm.hourly_rate is None
    return data


def project(
    p: Project,
    *,
    client_name: str | None = None,
    tasks: list[dict[str, Any]] | None = None,
    members: list[dict[str, Any]] | None = None,
    show_rates: bool = True,
    show_budget: bool = True,
) -> dict[str, Any]:
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
    if show_rates:
        data["hourly_rate"] = p.hourly_rate
        data["fixed_fee"] = p.fixed_fee
    if show_budget:
        data.update(
            budget_by=p.budget_by,
            budget_hours=p.budget_hours,
            budget_amount=p.budget_amount,
            budget_monthly_reset=p.budget_monthly_reset,
            budget_alert_percent=p.budget_alert_percent,
            budget_includes_expenses=p.budget_includes_expenses,
            budget_visible_to_team=p.budget_visible_to_team,
        )
    if tasks is not None:
        data["tasks"] = tasks
    if members is not None:
        data["members"] = members
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
    project: Any = None,
    task: Any = None,
    user: Any = None,
    now: datetime | None = None,
    timezone: str | None = None,
    locked: bool | None = None,
    show_rates: bool = True,
    show_cost: bool = True,
) -> dict[str, Any]:
    """A time entry in the reference API's shape, with extras.

    `now` makes a running timer's hours its elapsed time (else 0, as the API reports);
    `timezone` gives started_time/ended_time in that zone (else UTC); `locked` is the full
    locking decision when the caller has it (else: invoiced, or approved and not unlocked).
    """
    seconds = e.duration_seconds
    if e.is_running and now is not None and e.timer_started_at is not None:
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
    }
    if show_rates:
        data["billable_rate"] = e.billable_rate
    if show_cost:
        data["cost_rate"] = e.cost_rate
    return data


def expense(
    x: Expense,
    *,
    project: Any = None,
    category: Any = None,
    user: Any = None,
    locked: bool | None = None,
) -> dict[str, Any]:
    """An expense in the reference API's shape, with its receipt and related names."""
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
    return {
        "id": x.id,
        "project_id": x.project_id,
        "expense_category_id": x.category_id,
        "user_id": x.user_id,
        "spent_date": x.spent_date,
        "units": x.units,
        "unit_price": x.unit_price,
        "total_cost": x.total_cost,
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


# --- approvals ------------------------------------------------------------------------------


def _hours_by(seconds: dict[str, int]) -> dict[str, Decimal]:
    return {key: entry_hours(value) for key, value in seconds.items()}


def submission_public(s: Any) -> dict[str, Any]:
    """A submission summary (keito_core.reports.approval_queue.SubmissionSummary)."""
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
            {"currency": t.currency, "count": t.count, "total_cost": t.total_cost}
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


def submission_detail_public(d: Any) -> dict[str, Any]:
    """A submission with its time entries, expenses and daily totals (SubmissionDetail)."""
    return {
        **submission_public(d.summary),
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
            {
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
            }
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


def timesheet_status_public(t: Any) -> dict[str, Any]:
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
        "submissions": [submission_public(s) for s in t.submissions],
    }
