"""Expense categories: standard or unit-based, with the protected built-in LLM Usage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, select

from keito_core.errors import conflict, validation
from keito_core.models import ExpenseCategory
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_category, unique_handle
from keito_core.rules import permissions as policy
from keito_core.rules.money import parse_money
from keito_core.rules.permissions import Action, Actor, Target
from keito_core.rules.text import slugify, validate_name
from keito_core.services.directory.clients import status_clause
from keito_core.services.directory.tasks import UNSET

_TARGET = Target()
MAX_UNIT_NAME_LENGTH = 40


def _unit_name(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    name = validate_name(value, "unit_name")
    if len(name) > MAX_UNIT_NAME_LENGTH:
        raise validation(f"unit_name is longer than {MAX_UNIT_NAME_LENGTH} characters",
                         field="unit_name")
    return name


def _unit_price(value: str | Decimal | None) -> Decimal | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in {"", "none"}):
        return None
    return parse_money(value, field="unit_price")


def _check_unit_pair(unit_name: str | None, unit_price: Decimal | None) -> None:
    """Unit-based categories need both a unit name and a unit price; standard ones neither."""
    if unit_name is not None and unit_price is None:
        raise validation("a unit-based category needs a unit price too", field="unit_price",
                         hint="give --unit-price, e.g. --unit mile --unit-price 0.67")
    if unit_price is not None and unit_name is None:
        raise validation("a unit-based category needs a unit name too", field="unit_name",
                         hint="give --unit, e.g. --unit mile --unit-price 0.67")


def _check_unique_name(session: Session, name: str, *, exclude_id: str | None = None) -> None:
    query = select(ExpenseCategory.id).where(sa.func.lower(ExpenseCategory.name) == name.lower())
    if exclude_id:
        query = query.where(ExpenseCategory.id != exclude_id)
    if session.exec(query).first() is not None:
        raise conflict(f"an expense category named {name!r} already exists", field="name")


def check_category_change(actor: Actor) -> None:
    """Refuse, as every change to categories does, an actor who may not manage them: the
    pre-check of a form."""
    policy.require(actor, Action.EXPENSE_CATEGORY_MANAGE, _TARGET)


def create_category(
    session: Session,
    *,
    actor: Actor,
    name: str,
    unit_name: str | None = None,
    unit_price: str | Decimal | None = None,
    billable: bool = True,
    now: datetime,
) -> ExpenseCategory:
    """A new category: unit-based when given a unit name and price, standard otherwise."""
    check_category_change(actor)
    name = validate_name(name, "name")
    unit, price = _unit_name(unit_name), _unit_price(unit_price)
    _check_unit_pair(unit, price)
    _check_unique_name(session, name)
    category = ExpenseCategory(
        id=new_id("expense_category"),
        name=name,
        handle=unique_handle(session, ExpenseCategory, slugify(name, fallback="category")),
        unit_name=unit,
        unit_price=price,
        is_billable_default=billable,
        created_at=now, updated_at=now,
    )
    session.add(category)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="expense_category.create",
                 entity=category, changes={"name": name, "unit_name": unit, "unit_price": price,
                                           "is_billable_default": billable}, now=now)
    return category


def list_categories(session: Session, *, actor: Actor,
                    status: str = "active") -> list[ExpenseCategory]:
    """Categories by name: the active ones, the archived ones or all."""
    policy.require(actor, Action.EXPENSE_CATEGORY_VIEW)
    query = select(ExpenseCategory).where(status_clause(ExpenseCategory.is_active, status))
    order = (sa.func.lower(ExpenseCategory.name), ExpenseCategory.id)
    return list(session.exec(query.order_by(*order)).all())


def get_category(session: Session, *, actor: Actor, ref: str) -> ExpenseCategory:
    """A category by ID, handle or name."""
    policy.require(actor, Action.EXPENSE_CATEGORY_VIEW, _TARGET)
    return find_category(session, ref)


def edit_category(
    session: Session,
    *,
    actor: Actor,
    ref: str,
    name: str = UNSET,
    unit_name: str | None = UNSET,
    unit_price: str | Decimal | None = UNSET,
    billable: bool = UNSET,
    now: datetime,
) -> ExpenseCategory:
    """Change a category; existing expenses keep the unit price they were logged at.

    Passing None for both unit_name and unit_price turns a unit-based category into a
    standard one. The built-in LLM Usage keeps its name and unit; its price may change.
    """
    check_category_change(actor)
    category = find_category(session, ref)
    values: dict[str, Any] = {}
    if name is not UNSET:
        values["name"] = validate_name(name, "name")
        if values["name"].lower() != category.name.lower():
            _check_unique_name(session, values["name"], exclude_id=category.id)
    if unit_name is not UNSET:
        values["unit_name"] = _unit_name(unit_name)
    if unit_price is not UNSET:
        values["unit_price"] = _unit_price(unit_price)
    if billable is not UNSET:
        values["is_billable_default"] = bool(billable)
    if category.is_builtin:
        _protect_builtin(category, values)
    _check_unit_pair(values.get("unit_name", category.unit_name),
                     values.get("unit_price", category.unit_price))
    audit.save_changes(session, category, values, actor_id=actor.user_id,
                       action="expense_category.edit", now=now)
    return category


def _protect_builtin(category: ExpenseCategory, values: dict[str, Any]) -> None:
    if values.get("name", category.name) != category.name:
        raise conflict(f"the built-in {category.name!r} category cannot be renamed",
                       field="name", hint="you may change its unit price")
    if values.get("unit_name", category.unit_name) != category.unit_name:
        raise conflict(f"the built-in {category.name!r} category keeps its unit",
                       field="unit_name", hint="you may change its unit price")
    if "unit_price" in values and values["unit_price"] is None:
        raise conflict(f"the built-in {category.name!r} category stays unit-based",
                       field="unit_price", hint="give a new unit price instead")


def archive_category(session: Session, *, actor: Actor, ref: str, now: datetime) -> ExpenseCategory:
    """Hide a category from new expenses; existing ones keep it. LLM Usage cannot be archived."""
    return _set_active(session, actor, ref, active=False, now=now)


def restore_category(session: Session, *, actor: Actor, ref: str, now: datetime) -> ExpenseCategory:
    """Make an archived category available again (idempotent)."""
    return _set_active(session, actor, ref, active=True, now=now)


def _set_active(session: Session, actor: Actor, ref: str, *, active: bool,
                now: datetime) -> ExpenseCategory:
    check_category_change(actor)
    category = find_category(session, ref)
    if not active and category.is_builtin:
        raise conflict(f"the built-in {category.name!r} category cannot be archived",
                       hint="agents log token costs to it")
    return audit.set_active(session, category, active, actor_id=actor.user_id,
                            kind="expense_category", now=now)
