"""The API v2's shapes (openapi-v2.yaml's schemas) of expenses, projects, clients, contacts,
tasks, users, invoices, invoice messages and the team time report.

Each is built from the presenter's dict (keito_core.presenters), never from a row alone, so
which rates, costs, budgets and amounts a viewer sees stays decided once: a money field the
presenter left out is left out here too (every member of the spec's schemas is optional).
What only the spec has is derived here: Harvest's names (`billable`, `is_billed`, `fee`,
`cost_budget`), `{id, name}` references, `weekly_capacity` in seconds, `tui` shown as `web`.
Decimals stay Decimals: the application sends them as JSON numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from keito_core.server.shapes_input import source_out

#: Keito's bill-by and budget-by words as Harvest's API v2 spells them.
BILL_BY = {"project": "Project", "task": "Tasks", "person": "People", "none": "none"}
BUDGET_BY = {"none": "none", "total_hours": "project", "total_fees": "project_cost",
             "task": "task", "person": "person"}
#: A user's role as Harvest's `access_roles` names it.
ACCESS_ROLE = {"admin": "administrator", "manager": "manager", "member": "member"}


def _word(value: Any) -> Any:
    return getattr(value, "value", value)


def _copy(view: Mapping[str, Any], out: dict[str, Any], pairs: Mapping[str, str]) -> None:
    """out[spec name] = view[presenter name], for each presenter field the viewer may see."""
    for spec_name, name in pairs.items():
        if name in view:
            out[spec_name] = view[name]


def whole_units(units: Decimal | None) -> int | None:
    """The spec's integer `units`: a whole quantity, else None (`quantity` keeps it exact)."""
    if units is None or units != units.to_integral_value():
        return None
    return int(units)


def expense(view: Mapping[str, Any]) -> dict[str, Any]:
    """An Expense from presenters.expense (with its names and currency)."""
    receipt = view.get("receipt") or {}
    out: dict[str, Any] = {
        "id": view["id"],
        "user_id": view["user_id"],
        "project_id": view["project_id"],
        "expense_category_id": view["expense_category_id"],
        "user": view["user"],
        "project": view["project"],
        "expense_category": view["expense_category"],
        "spent_date": view["spent_date"],
        "notes": view["notes"],
        "billable": view["is_billable"],
        "receipt_file_name": receipt.get("name"),
        "receipt_content_type": receipt.get("content_type"),
        # Receipts stay in the data directory; no URL serves them (docs/server.md).
        "receipt_url": None,
        "is_locked": view["is_locked"],
        "is_billed": view["invoice_id"] is not None,
        "approval_status": _word(view["approval_status"]),
        "source": source_out(view["source"]),
        "metadata": view["metadata"],
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
        "currency": view.get("currency"),
    }
    if "total_cost" in view:
        out["total_cost"] = view["total_cost"]
    if "units" in view:
        out["units"] = whole_units(view["units"])
        out["quantity"] = view["units"]
        out["unit_price"] = view["unit_price"]
    return out


def project(view: Mapping[str, Any], *, client_name: str | None) -> dict[str, Any]:
    """A Project from presenters.project (its rates and budget as the viewer may see them)."""
    out: dict[str, Any] = {
        "id": view["id"],
        "client": {"id": view["client_id"], "name": client_name},
        "name": view["name"],
        "code": view["code"],
        "is_active": view["is_active"],
        "is_billable": view["is_billable"],
        "is_fixed_fee": _word(view["billing_type"]) == "fixed_fee",
        "bill_by": BILL_BY.get(_word(view["bill_by"]), _word(view["bill_by"])),
        "starts_on": view["starts_on"],
        "ends_on": view["ends_on"],
        "notes": view["notes"],
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
    }
    _copy(view, out, {"hourly_rate": "hourly_rate", "fee": "fixed_fee"})
    if "budget_by" in view:
        alert = view["budget_alert_percent"]
        out.update({
            "budget_by": BUDGET_BY.get(_word(view["budget_by"]), _word(view["budget_by"])),
            "budget": view["budget_hours"],
            "cost_budget": view["budget_amount"],
            "budget_is_monthly": view["budget_monthly_reset"],
            "notify_when_over_budget": alert is not None,
            "over_budget_notification_percentage": alert,
            "show_budget_to_all": view["budget_visible_to_team"],
            "cost_budget_include_expenses": view["budget_includes_expenses"],
        })
    return out


def address_text(address: Mapping[str, Any]) -> str | None:
    """The presenter's address parts as the spec's one text (lines), or None."""
    parts = [address.get(k) for k in ("street", "city", "region", "postal_code", "country")]
    text = "\n".join(p for p in parts if p)
    return text or None


def client(view: Mapping[str, Any], *, workspace: Any) -> dict[str, Any]:
    """A Client from presenters.client. Keito keeps no payment terms or taxes per client:
    those shown are what a new invoice of the client takes (the workspace's defaults)."""
    terms = _word(workspace.default_payment_terms)
    return {
        "id": view["id"],
        "name": view["name"],
        "address": address_text(view["address"]),
        "currency": view["currency"],
        "is_active": view["is_active"],
        "payment_terms": terms,
        "payment_days": workspace.default_payment_days if terms == "custom" else None,
        "tax": workspace.tax1_rate,
        "tax2": workspace.tax2_rate,
        "discount": None,
        "phone": view["phone"],
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
    }


def contact(view: Mapping[str, Any], *, client_name: str | None, row: Any) -> dict[str, Any]:
    """A Contact from presenters.contact, with its client and the row's timestamps."""
    out = {key: value for key, value in view.items() if key != "client_id"}
    out["client"] = {"id": view["client_id"], "name": client_name}
    out["created_at"] = row.created_at
    out["updated_at"] = row.updated_at
    return out


def task(view: Mapping[str, Any]) -> dict[str, Any]:
    """A Task from presenters.task (its default rate as the viewer may see it)."""
    out: dict[str, Any] = {
        "id": view["id"],
        "name": view["name"],
        "billable_by_default": view["is_billable"],
        "is_default": view["is_default"],
        "is_active": view["is_active"],
        "parent_task_id": None,
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
    }
    _copy(view, out, {"default_hourly_rate": "default_hourly_rate"})
    return out


def split_name(name: str) -> tuple[str, str | None]:
    """('Ada', 'Lovelace') of 'Ada Lovelace'; a one-word name has no last name."""
    first, _, last = name.strip().partition(" ")
    return first, last.strip() or None


def user(view: Mapping[str, Any], *, row: Any, workspace: Any,
         business_roles: Sequence[str]) -> dict[str, Any]:
    """A User from presenters.user: `weekly_capacity` in seconds (the user's, else the
    workspace's), `roles` the business roles (as Harvest's), `access_roles` the permission
    role."""
    first, last = split_name(view["name"])
    role, kind = _word(view["role"]), _word(view["user_type"])
    out: dict[str, Any] = {
        "id": view["id"],
        "first_name": first,
        "last_name": last,
        "email": view["email"],
        "telephone": row.phone,
        "timezone": view["timezone"] or workspace.timezone,
        "has_access_to_all_future_projects": role == "admin" and kind == "human",
        "is_contractor": _word(view["employment_type"]) == "contractor",
        "is_active": view["is_active"],
        "weekly_capacity": (row.weekly_capacity_seconds
                            if row.weekly_capacity_seconds is not None
                            else workspace.weekly_capacity_seconds),
        "currency": workspace.currency,
        "roles": list(business_roles),
        "access_roles": [ACCESS_ROLE.get(role, role)],
        "user_type": kind,
        "avatar_url": None,
        "company": {"id": workspace.id, "name": workspace.name},
        "created_at": view["created_at"],
        "updated_at": view["updated_at"],
    }
    _copy(view, out, {"default_hourly_rate": "billable_rate", "cost_rate": "cost_rate"})
    return out


def line_item(view: Mapping[str, Any]) -> dict[str, Any]:
    """A LineItem from presenters.invoice_line; the kind as the spec writes it (Service)."""
    out: dict[str, Any] = {
        "id": view["id"],
        "kind": str(_word(view["kind"])).capitalize(),
        "description": view["description"],
        "taxed": view["taxed"],
        "taxed2": view["taxed2"],
        "project_id": view["project_id"],
    }
    _copy(view, out, {"quantity": "quantity", "unit_price": "unit_price", "amount": "amount"})
    return out


_INVOICE_FIELDS = ("id", "client_id", "client", "number", "purchase_order", "subject",
                   "currency", "issue_date", "due_date", "notes", "period_start",
                   "period_end", "sent_at", "paid_at", "closed_at", "created_at",
                   "updated_at", "payment_days")
_INVOICE_MONEY = ("amount", "due_amount", "tax", "tax_amount", "tax2", "tax2_amount",
                  "discount", "discount_amount", "subtotal", "paid_amount")


def invoice(view: Mapping[str, Any]) -> dict[str, Any]:
    """An Invoice from presenters.invoice, with its line items."""
    out: dict[str, Any] = {name: view[name] for name in _INVOICE_FIELDS}
    out["state"] = _word(view["state"])
    out["payment_term"] = _word(view["payment_term"])
    if view["created_by_id"] is not None:
        out["created_by_id"] = view["created_by_id"]
    if view["creator"] is not None:
        out["creator"] = view["creator"]
    for name in _INVOICE_MONEY:
        if name in view:
            out[name] = view[name]
    out["line_items"] = [line_item(line) for line in view["line_items"]]
    return out


def invoice_message(view: Mapping[str, Any], *, sent_by_email: str | None) -> dict[str, Any]:
    """An InvoiceMessage from presenters.invoice_message; `sent_from` is its sender's name."""
    return {**view, "sent_by_email": sent_by_email, "sent_from": view["sent_by"]}


def team_result(row: Mapping[str, Any], *, user: Any, weekly_capacity: int) -> dict[str, Any]:
    """A TeamTimeResult from a time report row grouped by person (one per currency); the
    billable amount left out where the viewer may not see rates."""
    out: dict[str, Any] = {
        "user_id": user.id,
        "user_name": user.name,
        "is_contractor": _word(user.employment_type) == "contractor",
        "weekly_capacity": weekly_capacity,
        "avatar_url": None,
        "total_hours": row["total_hours"],
        "billable_hours": row["billable_hours"],
        "currency": row["currency"],
    }
    if row.get("billable_amount") is not None:
        out["billable_amount"] = row["billable_amount"]
    return out
