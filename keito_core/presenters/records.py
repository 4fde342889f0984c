"""The shapes of workspace, users, API keys, clients, projects, tasks, categories, time
entries, expenses and submissions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from keito_core.presenters.fields import BUDGET_SETTINGS, named, shown
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
    return shown("user", data, field_visibility(viewer))


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
    return shown("task", data, field_visibility(viewer))


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
    return shown("category", data, field_visibility(viewer))


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
    return shown("project_task", data, _project_visibility(viewer, project))


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
    return shown("project_member", data, _project_visibility(viewer, project))


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
    data.update({name: getattr(p, name) for name in BUDGET_SETTINGS})
    data = shown("project", data, _project_visibility(viewer, p))
    if tasks is not None:
        data["tasks"] = [project_task(pt, t, viewer=viewer, project=p) for pt, t in tasks]
    if members is not None:
        data["members"] = [project_member(pm, u, viewer=viewer, project=p) for pm, u in members]
    return data


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
        "project": named(project),
        "task": named(task),
        "user": named(user),
        "billable_rate": e.billable_rate,
        "cost_rate": e.cost_rate,
    }
    return shown("time_entry", data, field_visibility(viewer))


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
        "project": named(project),
        "expense_category": named(category),
        "user": named(user),
    }
    return shown("expense", data, field_visibility(viewer))


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
            shown("expense_total",
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
            shown("submission_expense", {
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
