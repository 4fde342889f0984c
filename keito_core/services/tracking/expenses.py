"""Expenses: log, list, show, edit and delete costs against projects, with receipts.

Amounts are exact Decimals (stored as millionths):

- A unit-based category (it has a unit price; LLM Usage, Mileage) takes a quantity: the total
  is quantity x unit price, kept exact. 45 (thousand tokens) x 0.003 = 0.135 is stored as
  0.135, as the reference's API example shows; only a product with more than six decimal
  places is rounded, half-up, to six. Rounding to the currency's minor unit happens once,
  on the invoice line. The unit price is the category's at the time, or one given
  explicitly; both quantity and unit price are stored as given. A total given explicitly is
  stored as given (the quantity may then be left out).
- A standard category takes a total; a quantity or unit price is refused. That total is money
  paid, so it is whole minor units of the client's currency (1.23 GBP; 1.234 GBP is refused).
- Every expense costs something: a zero total, a zero quantity, or a product of zero is
  refused (as a zero duration is for time).
- Notes hold at most 10,000 characters; the date is from 2000 to a year ahead (a future date
  is saved with a warning), as for time entries.
- Billable: never on a non-billable project; else the explicit choice; else the category's
  default.

The rules of time entries apply as well: who may log for whom, project assignment
(`project_not_assigned`), archived projects and categories, days already auto-locked,
locked expenses, metadata of at most 4 KB. Receipts: see keito_core.services.tracking.receipts.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, Source
from keito_core.errors import KeitoError, validation
from keito_core.models import Client, Expense, ExpenseCategory, Project
from keito_core.platform import audit
from keito_core.platform.access import Owner, filter_user, owner_by_id, owner_of, visibility_clause
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_category, find_project
from keito_core.platform.paging import Page, paginate
from keito_core.rules import permissions as policy
from keito_core.rules.inputs import check_source, list_bounds, parse_approval, parse_day
from keito_core.rules.metadata import validate_metadata
from keito_core.rules.money import check_minor_unit, parse_money
from keito_core.rules.permissions import Action
from keito_core.services.tracking.budget_alerts import check_budgets
from keito_core.services.tracking.entry_context import (
    check_editable,
    check_work_day,
    clean_notes,
    is_non_billable,
    load_item,
    loggable_project,
    open_for_edit,
    refuse_locked_day,
    require_logging,
)
from keito_core.services.tracking.receipts import ReceiptFile, check_receipt, store_receipt

__all__ = ["EDITABLE", "Page", "copy_expense", "delete_expense", "edit_expense", "get_expense",
           "list_expenses", "log_expense"]

_NOUN = "expense"
_SIX_PLACES = Decimal("0.000001")
Amount = str | Decimal | int | None
#: The changes edit_expense accepts.
EDITABLE = frozenset({"category_ref", "quantity", "total", "unit_price", "spent_date", "notes",
                      "billable", "meta", "project_ref", "receipt", "remove_receipt"})


def _amount(value: Amount, field: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, float):
        value = str(value)
    return parse_money(value, field=field)


def _category(session: Session, ref: str | None) -> ExpenseCategory:
    if ref is None or not ref.strip():
        raise validation("an expense category is required", field="category",
                         hint="e.g. --category \"LLM Usage\"; see `keito category list`")
    category = find_category(session, ref)
    if not category.is_active:
        raise validation(f"expense category {category.name!r} is archived", field="category",
                         hint="restore it, or choose an active category")
    return category


def amounts(category: ExpenseCategory, *, quantity: Amount, total: Amount,
            unit_price: Amount, currency: str | None = None,
            ) -> tuple[Decimal | None, Decimal | None, Decimal]:
    """(units, unit_price, total_cost) of an expense in `category` (see the module rules).

    With `currency`, a total given for a standard category must be whole minor units.
    """
    units, price, given_total = (_amount(quantity, "quantity"), _amount(unit_price, "unit_price"),
                                 _amount(total, "total"))
    if units is not None and units == 0:
        raise validation("quantity must be more than zero", field="quantity")
    if given_total is not None and given_total == 0:
        raise validation("total must be more than zero", field="total",
                         hint="delete the expense instead, or leave the total out")
    if category.unit_price is None:
        if given_total is not None and currency is not None:
            check_minor_unit(given_total, currency, field="total")
        if price is not None:
            raise validation(f"{category.name!r} is a standard category: it has no unit price",
                             field="unit_price", hint="give the total instead")
        if given_total is None:
            raise validation(
                f"{category.name!r} is a standard category: give the total", field="total",
                hint="quantities are for unit-based categories such as Mileage or LLM Usage"
                if units is not None else "e.g. --total 12.50")
        if units is not None:
            raise validation(f"{category.name!r} is a standard category: it takes a total, "
                             "not a quantity", field="quantity")
        return None, None, given_total
    if given_total is not None:
        return units, (price if price is not None or units is None
                       else category.unit_price), given_total
    if units is None:
        raise validation(f"give a quantity (in {category.unit_name or 'units'}) or a total",
                         field="quantity", hint="e.g. --quantity 45")
    rate = category.unit_price if price is None else price
    product = units * rate
    exponent = product.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        product = product.quantize(_SIX_PLACES, rounding=ROUND_HALF_UP)
    if product == 0:
        raise validation(f"{units} x {rate} comes to zero: an expense costs something",
                         field="unit_price" if price is not None else "quantity")
    return units, rate, parse_money(product, field="total")


def unit_total(*, quantity: Amount, unit_price: Decimal, unit_name: str | None = None) -> Decimal:
    """What `quantity` units at `unit_price` come to, worked out as logging the expense would
    (a form's live total)."""
    category = ExpenseCategory(name="", handle="-", unit_name=unit_name, unit_price=unit_price)
    return amounts(category, quantity=quantity, total=None, unit_price=unit_price)[2]


def _currency(session: Session, project: Project) -> str:
    """The currency of the project's expenses: its client's."""
    client = session.get(Client, project.client_id)
    assert client is not None
    return client.currency


def _billable(project: Project, category: ExpenseCategory, choice: bool | None) -> bool:
    if is_non_billable(project):
        return False
    return category.is_billable_default if choice is None else choice


def _check_feature(owner: Owner) -> None:
    if not owner.workspace.feature_expenses:
        raise validation("expenses are turned off in this workspace",
                         hint="an administrator can turn them on: "
                              "`keito settings set features.expenses true`")


def _receipt_values(receipt: ReceiptFile, receipts_dir: Path | None, expense_id: str,
                    spent_date: date) -> dict[str, Any]:
    """Store a checked receipt for the expense; the columns that record it."""
    if receipts_dir is None:
        raise KeitoError("config_error", "no receipts folder is configured", field="receipt")
    relative = store_receipt(receipt, receipts_dir=Path(receipts_dir), expense_id=expense_id,
                             spent_date=spent_date)
    return {"receipt_path": relative, "receipt_name": receipt.name,
            "receipt_content_type": receipt.content_type, "receipt_size": receipt.size}


def log_expense(session: Session, *, actor: policy.Actor, project_ref: str,
                category_ref: str | None, quantity: Amount = None, total: Amount = None,
                unit_price: Amount = None, spent_date: str | date | None = None,
                notes: str | None = None, billable: bool | None = None, source: Source | str,
                meta: dict[str, Any] | None = None, receipt: Path | str | None = None,
                receipts_dir: Path | None = None, now: datetime,
                user_ref: str | None = None) -> Expense:
    """Log an expense for the actor (or `user_ref`), with an optional receipt file."""
    owner = owner_of(session, actor, user_ref, now=now)
    project = loggable_project(session, project_ref)
    require_logging(actor, Action.EXPENSE_CREATE, owner, project)
    _check_feature(owner)
    category = _category(session, category_ref)
    units, price, cost = amounts(category, quantity=quantity, total=total, unit_price=unit_price,
                                 currency=_currency(session, project))
    origin, metadata, text = check_source(source), validate_metadata(meta), clean_notes(notes)
    day = parse_day(spent_date, today=owner.today)
    check_work_day(session, day, owner)
    refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
    checked = check_receipt(receipt) if receipt is not None else None
    expense = Expense(
        id=new_id("expense"), user_id=owner.user.id, project_id=project.id,
        category_id=category.id, spent_date=day, units=units, unit_price=price,
        total_cost=cost, notes=text,
        is_billable=_billable(project, category, billable), source=origin, meta=metadata,
        created_at=now, updated_at=now,
    )
    if checked is not None:
        audit.apply_changes(expense, _receipt_values(checked, receipts_dir, expense.id, day))
    session.add(expense)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="expense.create", entity=expense,
                 changes=_snapshot(expense), now=now)
    check_budgets(session, project_id=expense.project_id, task_id=None, user_id=expense.user_id,
                  spent_dates=[expense.spent_date], now=now, actor=actor)
    return expense


def copy_expense(session: Session, *, actor: policy.Actor, expense_id: str,
                 spent_date: str | date | None = None, source: Source | str,
                 meta: dict[str, Any] | None = None, now: datetime) -> Expense:
    """A new expense like an existing one, dated `spent_date` (default: the owner's today).

    It copies the project, category, amounts (units, unit price and total as stored), notes,
    billable choice and metadata (or takes `meta` when given); not the receipt, which is the
    original purchase's. The rules of logging apply to the copy as to a new expense.
    """
    original = load_item(session, Expense, expense_id, actor=actor,
                         action=Action.EXPENSE_VIEW, noun=_NOUN)
    owner = owner_by_id(session, actor, original.user_id, now=now)
    project = loggable_project(session, original.project_id)
    require_logging(actor, Action.EXPENSE_CREATE, owner, project)
    _check_feature(owner)
    category = _category(session, original.category_id)
    day = parse_day(spent_date, today=owner.today)
    check_work_day(session, day, owner)
    refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
    expense = Expense(
        id=new_id("expense"), user_id=owner.user.id, project_id=project.id,
        category_id=category.id, spent_date=day, units=original.units,
        unit_price=original.unit_price, total_cost=original.total_cost, notes=original.notes,
        is_billable=_billable(project, category, original.is_billable),
        source=check_source(source),
        meta=dict(original.meta or {}) if meta is None else validate_metadata(meta),
        created_at=now, updated_at=now,
    )
    session.add(expense)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="expense.copy", entity=expense,
                 changes=_snapshot(expense), now=now)
    check_budgets(session, project_id=expense.project_id, task_id=None, user_id=expense.user_id,
                  spent_dates=[expense.spent_date], now=now, actor=actor)
    return expense


def _snapshot(expense: Expense) -> dict[str, Any]:
    return {"user_id": expense.user_id, "project_id": expense.project_id,
            "category_id": expense.category_id, "spent_date": expense.spent_date,
            "units": expense.units, "unit_price": expense.unit_price,
            "total_cost": expense.total_cost, "is_billable": expense.is_billable,
            "source": expense.source, "receipt_path": expense.receipt_path}


def get_expense(session: Session, *, actor: policy.Actor, expense_id: str) -> Expense:
    """One expense the actor may see."""
    expense: Expense = load_item(session, Expense, expense_id, actor=actor,
                                 action=Action.EXPENSE_VIEW, noun=_NOUN)
    return expense


def list_expenses(session: Session, *, actor: policy.Actor, date_from: str | date | None = None,
                  date_to: str | date | None = None, project_ref: str | None = None,
                  category_ref: str | None = None, user_ref: str | None = None,
                  source: Source | str | None = None, billable: bool | None = None,
                  approval: ApprovalStatus | str | None = None, limit: int = 50,
                  cursor: str | None = None, now: datetime | None = None) -> Page:
    """Expenses the actor may see, newest spent_date first, filtered and paged in SQL."""
    query = select(Expense)
    visible = visibility_clause(actor, Action.EXPENSE_VIEW, Expense)
    if visible is not None:
        query = query.where(visible)
    first, last = list_bounds(date_from, date_to, now, get_workspace(session).timezone)
    if first is not None:
        query = query.where(Expense.spent_date >= first)
    if last is not None:
        query = query.where(Expense.spent_date <= last)
    if user_ref is not None:
        query = query.where(Expense.user_id == filter_user(session, actor, Action.EXPENSE_VIEW,
                                                           user_ref))
    if project_ref is not None:
        query = query.where(Expense.project_id == find_project(session, project_ref).id)
    if category_ref is not None:
        query = query.where(Expense.category_id == find_category(session, category_ref).id)
    if source is not None:
        query = query.where(Expense.source == check_source(source))
    if billable is not None:
        query = query.where(Expense.is_billable == billable)
    if approval is not None:
        query = query.where(Expense.approval_status == parse_approval(approval))
    return paginate(session, query, kind="expense", date_column=col(Expense.spent_date),
                    id_column=col(Expense.id), limit=limit, cursor=cursor)


def _edited_amounts(session: Session, expense: Expense, project: Project,
                    changes: dict[str, Any]) -> dict[str, Any]:
    """Category and amounts after an edit; a total is recomputed from a changed quantity.

    A total typed in this edit must be whole minor units; a stored one is left as it was.
    """
    keys = {"category_ref", "quantity", "total", "unit_price"}
    if not keys & set(changes):
        return {}
    category = (_category(session, changes["category_ref"]) if "category_ref" in changes
                else session.get(ExpenseCategory, expense.category_id))
    assert category is not None
    same = category.id == expense.category_id
    if category.unit_price is None:
        total = changes.get("total", expense.total_cost if same else None)
        currency = _currency(session, project) if "total" in changes else None
        units, price, cost = amounts(category, quantity=changes.get("quantity"), total=total,
                                     unit_price=changes.get("unit_price"), currency=currency)
    else:
        quantity = changes.get("quantity", expense.units)
        price = changes.get("unit_price", expense.unit_price if same else None)
        recompute = "total" not in changes and quantity is not None
        total = None if recompute else changes.get("total", expense.total_cost)
        units, price, cost = amounts(category, quantity=quantity, total=total, unit_price=price)
    return {"category_id": category.id, "units": units, "unit_price": price, "total_cost": cost}


def edit_expense(session: Session, *, actor: policy.Actor, expense_id: str, now: datetime,
                 receipts_dir: Path | None = None, **changes: Any) -> Expense:
    """Change an expense; only the given changes apply (None leaves a field as it is).

    Changes: category_ref, quantity, total, unit_price, spent_date, notes ("" clears them),
    billable, meta (replaces the metadata), receipt (a file replacing the receipt),
    remove_receipt=True, project_ref (only the expense's own project: it never changes).
    """
    edit = open_for_edit(session, Expense, expense_id, actor=actor, action=Action.EXPENSE_EDIT,
                         noun=_NOUN, now=now, changes=changes, editable=EDITABLE)
    expense, owner, project, changes = edit.item, edit.owner, edit.project, edit.changes
    values = _edited_amounts(session, expense, project, changes)
    if "spent_date" in changes:
        day = parse_day(changes["spent_date"], today=owner.today)
        if day != expense.spent_date:
            check_work_day(session, day, owner)
            refuse_locked_day(owner.workspace, day, owner.today, noun=_NOUN)
        values["spent_date"] = day
    if "notes" in changes:
        values["notes"] = clean_notes(changes["notes"])
    if "meta" in changes:
        values["meta"] = validate_metadata(changes["meta"])
    if "billable" in changes or "category_id" in values:
        category = session.get(ExpenseCategory, values.get("category_id", expense.category_id))
        assert category is not None
        values["is_billable"] = _billable(project, category,
                                          changes.get("billable", expense.is_billable))
    if changes.get("remove_receipt"):
        values.update(receipt_path=None, receipt_name=None, receipt_content_type=None,
                      receipt_size=None)
    if "receipt" in changes:
        values.update(_receipt_values(check_receipt(changes["receipt"]), receipts_dir,
                                      expense.id, values.get("spent_date", expense.spent_date)))
    audit.save_changes(session, expense, values, actor_id=actor.user_id, action="expense.edit",
                       now=now)
    check_budgets(session, project_id=expense.project_id, task_id=None, user_id=expense.user_id,
                  spent_dates=[expense.spent_date], now=now, actor=actor)
    return expense


def delete_expense(session: Session, *, actor: policy.Actor, expense_id: str,
                   now: datetime) -> Expense:
    """Delete an unlocked expense; its receipt file stays (see services.receipts)."""
    expense = load_item(session, Expense, expense_id, actor=actor, action=Action.EXPENSE_DELETE,
                        noun=_NOUN)
    owner = owner_by_id(session, actor, expense.user_id, now=now)
    check_editable(owner.workspace, expense, owner.today, noun=_NOUN)
    audit.record(session, actor_id=actor.user_id, action="expense.delete", entity=expense,
                 changes=_snapshot(expense), now=now)
    session.delete(expense)
    session.flush()
    check_budgets(session, project_id=expense.project_id, task_id=None, user_id=expense.user_id,
                  spent_dates=[expense.spent_date], now=now, warn=False)
    return expense
