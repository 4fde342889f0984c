"""Expense category services: defaults, unit pricing, the protected LLM Usage, permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from keito_core.enums import ManagerPermission, Role
from keito_core.errors import KeitoError
from keito_core.models import LLM_USAGE, AuditEvent, ExpenseCategory, User
from keito_core.platform.ids import new_id
from keito_core.services.directory import categories as svc

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

DEFAULTS = ["LLM Usage", "Lodging", "Meals & Entertainment", "Mileage", "Office Supplies",
            "Software & Subscriptions", "Transportation"]


def _user(workspace, role: Role, permissions: tuple[ManagerPermission, ...] = ()) -> str:
    with workspace.session() as s:
        user = User(id=new_id("user"), name=f"{role} user", email=f"{new_id('user')[-8:]}@a.test",
                    role=role, manager_permissions=[p.value for p in permissions])
        s.add(user)
    return user.id


def test_defaults_are_the_references_six_plus_llm_usage(workspace):
    with workspace.session() as s:
        categories = svc.list_categories(s, actor=workspace.actor(s))
    assert [c.name for c in categories] == DEFAULTS
    by_name = {c.name: c for c in categories}
    llm = by_name[LLM_USAGE]
    assert (llm.unit_name, llm.unit_price, llm.is_builtin) == ("1k tokens", Decimal("0.003"), True)
    assert (by_name["Mileage"].unit_name, by_name["Mileage"].unit_price) == ("mile",
                                                                             Decimal("0.67"))
    assert [c.name for c in categories if c.is_builtin] == [LLM_USAGE]


def test_create_standard_and_unit_based(workspace):
    with workspace.session() as s:
        actor = workspace.actor(s)
        standard = svc.create_category(s, actor=actor, name="Training", billable=False, now=NOW)
        printing = svc.create_category(s, actor=actor, name="Printing", unit_name="page",
                                       unit_price="0.05", now=NOW)
    assert (standard.handle, standard.is_unit_based, standard.is_billable_default) == (
        "training", False, False)
    assert (printing.unit_name, printing.unit_price, printing.is_unit_based) == (
        "page", Decimal("0.05"), True)
    with workspace.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.entity_id == printing.id)).one()


def test_create_refuses_half_a_unit_bad_prices_and_duplicates(workspace):
    cases = [({"unit_name": "page"}, "validation_error", "unit_price"),
             ({"unit_price": "0.05"}, "validation_error", "unit_name"),
             ({"unit_name": "page", "unit_price": "-1"}, "validation_error", "unit_price"),
             ({"unit_name": "page", "unit_price": "0.0000001"}, "validation_error", "unit_price")]
    for kwargs, code, field in cases:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            svc.create_category(s, actor=workspace.actor(s), name="Printing", **kwargs, now=NOW)
        assert (err.value.code, err.value.field) == (code, field)
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.create_category(s, actor=workspace.actor(s), name="lodging", now=NOW)
    assert (err.value.code, err.value.field) == ("conflict", "name")
    with workspace.session() as s:
        assert len(s.exec(select(ExpenseCategory)).all()) == len(DEFAULTS)


def test_edit_changes_type_price_and_billable(workspace):
    with workspace.session() as s:
        actor = workspace.actor(s)
        mileage = svc.edit_category(s, actor=actor, ref="mileage", unit_price="0.70",
                                    billable=False, now=NOW)
        assert (mileage.unit_price, mileage.is_billable_default) == (Decimal("0.70"), False)
        standard = svc.edit_category(s, actor=actor, ref="Mileage", unit_name=None,
                                     unit_price=None, name="Car", now=NOW)
        assert (standard.name, standard.handle, standard.is_unit_based) == ("Car", "mileage",
                                                                            False)
        with pytest.raises(KeitoError) as err:
            svc.edit_category(s, actor=actor, ref="lodging", unit_name="night", now=NOW)
        assert err.value.field == "unit_price"
        with pytest.raises(KeitoError) as err:
            svc.edit_category(s, actor=actor, ref="lodging", name="Transportation", now=NOW)
        assert (err.value.code, err.value.field) == ("conflict", "name")


def test_llm_usage_price_may_change_but_it_is_protected(workspace):
    with workspace.session() as s:
        llm = svc.edit_category(s, actor=workspace.actor(s), ref=LLM_USAGE, unit_price="0.004",
                                billable=False, now=NOW)
        assert llm.unit_price == Decimal("0.004")
    refusals = [
        lambda s, a: svc.edit_category(s, actor=a, ref="llm-usage", name="AI", now=NOW),
        lambda s, a: svc.edit_category(s, actor=a, ref="llm-usage", unit_name="token", now=NOW),
        lambda s, a: svc.edit_category(s, actor=a, ref="llm-usage", unit_name=None,
                                       unit_price=None, now=NOW),
        lambda s, a: svc.archive_category(s, actor=a, ref="llm usage", now=NOW),
    ]
    for call in refusals:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            call(s, workspace.actor(s))
        assert err.value.code == "conflict"
    with workspace.session() as s:
        llm = svc.get_category(s, actor=workspace.actor(s), ref=LLM_USAGE)
        assert (llm.name, llm.unit_name, llm.unit_price, llm.is_active) == (
            LLM_USAGE, "1k tokens", Decimal("0.004"), True)


def test_archive_and_restore(workspace):
    with workspace.session() as s:
        svc.archive_category(s, actor=workspace.actor(s), ref="lodging", now=NOW)
    with workspace.session() as s:
        actor = workspace.actor(s)
        assert "Lodging" not in [c.name for c in svc.list_categories(s, actor=actor)]
        assert [c.name for c in svc.list_categories(s, actor=actor, status="archived")] == [
            "Lodging"]
        svc.restore_category(s, actor=actor, ref="lodging", now=NOW)
        assert len(svc.list_categories(s, actor=actor)) == len(DEFAULTS)


@pytest.mark.parametrize("role", [Role.MEMBER, Role.MANAGER])
def test_only_administrators_manage_categories(workspace, role):
    user = _user(workspace, role, tuple(ManagerPermission))
    with workspace.session() as s:
        assert len(svc.list_categories(s, actor=workspace.actor(s, user))) == len(DEFAULTS)
    calls = [
        lambda s, a: svc.create_category(s, actor=a, name="Sneaky", now=NOW),
        lambda s, a: svc.edit_category(s, actor=a, ref="mileage", unit_price="9", now=NOW),
        lambda s, a: svc.archive_category(s, actor=a, ref="lodging", now=NOW),
    ]
    for call in calls:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            call(s, workspace.actor(s, user))
        assert err.value.code == "authorization_error"
    with workspace.session() as s:
        mileage = svc.get_category(s, actor=workspace.actor(s), ref="mileage")
        assert mileage.unit_price == Decimal("0.67")
        assert len(svc.list_categories(s, actor=workspace.actor(s))) == len(DEFAULTS)
