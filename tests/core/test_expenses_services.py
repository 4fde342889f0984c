"""Expense services: exact unit-based totals, standard categories, billable defaults, receipts,
permissions, locking, lists with cursors, edits, deletes and the public JSON shape."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from keito_core import presenters as public
from keito_core.enums import ApprovalStatus, ProjectType, Role
from keito_core.errors import KeitoError
from keito_core.models import (
    LLM_USAGE,
    AuditEvent,
    Client,
    Expense,
    ExpenseCategory,
    Project,
    ProjectMember,
    User,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.platform.paging import encode_cursor
from keito_core.services.tracking import expenses as svc
from keito_core.services.tracking.receipts import MAX_RECEIPT_BYTES, receipt_file

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 6)
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def env(workspace, tmp_path):
    """Project `acme` (billable) and `internal` (non-billable), member Mia on both, Olly on none,
    a non-billable standard category `Training`, and a receipts folder."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        s.add(client)
        s.flush()
        acme = Project(id=new_id("project"), client_id=client.id, name="Acme Website",
                       handle="acme")
        internal = Project(id=new_id("project"), client_id=client.id, name="Internal",
                           handle="internal", project_type=ProjectType.NON_BILLABLE)
        mia = User(id=new_id("user"), name="Mia Member", email="mia@acme.test", role=Role.MEMBER)
        olly = User(id=new_id("user"), name="Olly Other", email="olly@acme.test",
                    role=Role.MEMBER)
        training = ExpenseCategory(id=new_id("expense_category"), name="Training",
                                   handle="training", is_billable_default=False)
        s.add_all([acme, internal, mia, olly, training])
        s.flush()
        for project in (acme, internal):
            s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                user_id=mia.id))
    receipts = tmp_path / "receipts"
    return SimpleNamespace(ws=workspace, admin=workspace.admin_id, mia=mia.id, olly=olly.id,
                           acme=acme.id, internal=internal.id, receipts=receipts,
                           files=tmp_path)


def log(env, who=None, **kw) -> Expense:
    kw.setdefault("project_ref", "acme")
    kw.setdefault("category_ref", LLM_USAGE)
    kw.setdefault("source", "agent")
    kw.setdefault("now", NOW)
    kw.setdefault("receipts_dir", env.receipts)
    if "total" not in kw and "quantity" not in kw:
        kw["quantity"] = "45"
    with env.ws.session() as s:
        return svc.log_expense(s, actor=env.ws.actor(s, who or env.mia), **kw)


def raises(code, field=None):
    class _Raises:
        def __enter__(self):
            self.ctx = pytest.raises(KeitoError)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            assert self.info.value.code == code, self.info.value
            if field is not None:
                assert self.info.value.field == field, self.info.value
            return handled

    return _Raises()


def refused(env, code, field=None, **kw):
    """log_expense with `kw` fails with `code` on `field` and writes nothing."""
    with raises(code, field) as err:
        log(env, **kw)
    with env.ws.session() as s:
        assert s.exec(select(func.count()).select_from(Expense)).one() == 0
    return err.value


def settings(env, **values):
    with env.ws.session() as s:
        ws = s.exec(select(Workspace)).one()
        for key, value in values.items():
            setattr(ws, key, value)


def write(env, name, content: bytes) -> Path:
    path = env.files / name
    path.write_bytes(content)
    return path


# --- amounts ----------------------------------------------------------------------------------


def test_llm_usage_total_is_exact(env):
    expense = log(env, notes="claude-opus-4-6: 30k input + 15k output tokens",
                  meta={"input_tokens": 30000, "output_tokens": 15000})
    assert (expense.units, expense.unit_price, expense.total_cost) == (
        Decimal("45"), Decimal("0.003"), Decimal("0.135"))
    with env.ws.session() as s:
        stored = s.get(Expense, expense.id)
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == expense.id)).one()
    assert stored.total_cost == Decimal("0.135") and stored.units == Decimal("45")
    assert (stored.source, stored.meta["input_tokens"], stored.spent_date) == ("agent", 30000,
                                                                               TODAY)
    assert stored.is_billable is True and stored.created_at == NOW
    assert event.action == "expense.create" and event.changes["total_cost"] == "0.135"


@pytest.mark.parametrize(("kw", "units", "price", "total"), [
    ({"category_ref": "mileage", "quantity": "45"}, "45", "0.67", "30.15"),
    ({"category_ref": "Mileage", "quantity": "45", "unit_price": "0.5"}, "45", "0.5", "22.5"),
    ({"quantity": "1.234567"}, "1.234567", "0.003", "0.003704"),  # 0.003703701 -> 6 places
    ({"total": "5"}, None, None, "5"),
    ({"total": "5", "quantity": "10"}, "10", "0.003", "5"),
    ({"total": "5", "unit_price": "0.004"}, None, "0.004", "5"),
    ({"category_ref": "Meals & Entertainment", "total": "12.50"}, None, None, "12.50"),
])
def test_amounts(env, kw, units, price, total):
    expense = log(env, **kw)
    with env.ws.session() as s:
        stored = s.get(Expense, expense.id)
    assert stored.units == (Decimal(units) if units else None)
    assert stored.unit_price == (Decimal(price) if price else None)
    assert stored.total_cost == Decimal(total)


@pytest.mark.parametrize(("kw", "field"), [
    ({"category_ref": "meals-entertainment", "quantity": "3"}, "total"),
    ({"category_ref": "meals-entertainment", "quantity": "3", "total": "9"}, "quantity"),
    ({"category_ref": "meals-entertainment", "total": "9", "unit_price": "3"}, "unit_price"),
    ({"quantity": None, "total": None}, "quantity"),
    ({"quantity": "-1"}, "quantity"),
    ({"quantity": "0"}, "quantity"),
    ({"quantity": "abc"}, "quantity"),
    ({"total": "1.0000001"}, "total"),
    ({"quantity": "1", "unit_price": "-0.5"}, "unit_price"),
    ({"category_ref": None}, "category"),
    ({"spent_date": "someday"}, "spent_date"),
    ({"source": "fax"}, "source"),
    ({"meta": "not an object"}, "metadata"),
])
def test_bad_amounts_are_refused(env, kw, field):
    err = refused(env, "validation_error", field, **kw)
    if kw.get("category_ref") == "meals-entertainment" and field == "total":
        assert "unit-based" in err.hint


def test_unknown_and_archived_categories(env):
    assert refused(env, "not_found", "category", category_ref="Caviar").exit_code == 4
    with env.ws.session() as s:
        s.exec(select(ExpenseCategory).where(ExpenseCategory.handle == "lodging")).one() \
            .is_active = False
    refused(env, "validation_error", "category", category_ref="lodging", total="80")


def test_billable_defaults(env):
    assert log(env).is_billable is True
    assert log(env, category_ref="training", total="100").is_billable is False
    assert log(env, category_ref="training", total="100", billable=True).is_billable is True
    assert log(env, billable=False).is_billable is False
    assert log(env, project_ref="internal", billable=True).is_billable is False


# --- rules shared with time entries ---------------------------------------------------------


def test_permissions_and_assignment(env):
    assert refused(env, "project_not_assigned", "project", who=env.olly).exit_code == 1
    refused(env, "authorization_error", user_ref="Olly Other")
    refused(env, "project_not_assigned", who=env.admin, user_ref=env.olly)
    assert log(env, who=env.admin, user_ref=env.mia).user_id == env.mia


def test_metadata_archived_projects_locked_days_and_the_feature_toggle(env):
    assert refused(env, "metadata_too_large", "metadata", meta={"x": "y" * 4097}).exit_code == 2
    settings(env, lock_after_days=3)
    assert refused(env, "locked", "spent_date", spent_date="2026-03-01").exit_code == 3
    settings(env, lock_after_days=None, feature_expenses=False)
    refused(env, "validation_error")
    settings(env, feature_expenses=True)
    with env.ws.session() as s:
        s.get(Project, env.acme).is_active = False
    refused(env, "validation_error", "project")


# --- receipts ---------------------------------------------------------------------------------


def test_a_receipt_is_copied_under_year_and_month(env):
    source = write(env, "Dinner Receipt.PDF", PDF)
    expense = log(env, category_ref="meals-entertainment", total="42.10", receipt=source,
                  spent_date="2026-02-27")
    assert expense.receipt_path == f"2026/02/{expense.id}.pdf"
    assert (expense.receipt_name, expense.receipt_content_type, expense.receipt_size) == (
        "Dinner Receipt.PDF", "application/pdf", len(PDF))
    stored = receipt_file(env.receipts, expense.receipt_path)
    assert stored.read_bytes() == PDF and source.exists()
    with env.ws.session() as s:
        data = public.expense(expense, viewer=env.ws.actor(s, env.mia))
    assert data["receipt"] == {"name": "Dinner Receipt.PDF", "size": len(PDF),
                               "content_type": "application/pdf",
                               "path": expense.receipt_path}


@pytest.mark.parametrize(("name", "content"), [
    ("notes.txt", b"hello"),
    ("photo.png", b"not really a png"),
    ("empty.pdf", b""),
    ("scan.jpg", PNG),
])
def test_bad_receipts_are_refused(env, name, content):
    path = write(env, name, content)
    refused(env, "validation_error", "receipt", category_ref="meals-entertainment", total="1",
            receipt=path)
    assert not env.receipts.exists()


def test_missing_and_oversized_receipts(env):
    refused(env, "validation_error", "receipt", receipt=env.files / "nowhere.png")
    refused(env, "validation_error", "receipt", receipt=env.files)
    big = env.files / "big.pdf"
    with big.open("wb") as handle:
        handle.write(PDF)
        handle.truncate(MAX_RECEIPT_BYTES + 1)
    refused(env, "validation_error", "receipt", receipt=big)
    with big.open("r+b") as handle:
        handle.truncate(MAX_RECEIPT_BYTES)
    assert log(env, receipt=big).receipt_size == MAX_RECEIPT_BYTES


def test_a_receipt_needs_a_receipts_folder(env):
    refused(env, "config_error", "receipt", receipt=write(env, "r.gif", b"GIF89a..."),
            receipts_dir=None)


def test_edit_replaces_or_removes_the_receipt(env):
    expense = log(env, receipt=write(env, "a.png", PNG))
    with env.ws.session() as s:
        edited = svc.edit_expense(s, actor=env.ws.actor(s, env.mia), expense_id=expense.id,
                                  now=NOW, receipts_dir=env.receipts,
                                  receipt=write(env, "b.jpeg", b"\xff\xd8\xff\xe0JFIF"))
    assert edited.receipt_path == f"2026/03/{expense.id}.jpeg"
    assert edited.receipt_content_type == "image/jpeg"
    with env.ws.session() as s:
        removed = svc.edit_expense(s, actor=env.ws.actor(s, env.mia), expense_id=expense.id,
                                   now=NOW, remove_receipt=True)
        viewer = env.ws.actor(s, env.mia)
    assert removed.receipt_path is None
    assert public.expense(removed, viewer=viewer)["receipt"] is None


# --- lists ------------------------------------------------------------------------------------


def test_list_visibility_filters_and_pages(env):
    mine = [log(env, spent_date=TODAY - timedelta(days=i % 3)).id for i in range(5)]
    meal = log(env, category_ref="meals-entertainment", total="9", source="cli").id
    admins = log(env, who=env.admin).id

    def ids(who, **kw):
        with env.ws.session() as s:
            return {x.id for x in svc.list_expenses(s, actor=env.ws.actor(s, who), **kw).items}

    assert ids(env.mia) == set(mine) | {meal}
    assert ids(env.admin) == set(mine) | {meal, admins}
    assert ids(env.mia, category_ref="meals-entertainment") == {meal}
    assert ids(env.mia, source="cli") == {meal}
    assert ids(env.admin, user_ref="me") == {admins}
    assert ids(env.mia, date_from=TODAY - timedelta(days=1), date_to="2026-03-05") == {
        mine[1], mine[4]}
    assert ids(env.mia, approval=ApprovalStatus.UNSUBMITTED, billable=True) == set(mine) | {meal}
    with env.ws.session() as s, raises("authorization_error"):
        svc.list_expenses(s, actor=env.ws.actor(s, env.mia), user_ref=env.admin)
    seen, cursor = [], None
    while True:
        with env.ws.session() as s:
            page = svc.list_expenses(s, actor=env.ws.actor(s, env.mia), limit=4, cursor=cursor)
        seen += [(x.spent_date, x.id) for x in page.items]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == sorted(seen, reverse=True) and len(seen) == 6
    entry_cursor = encode_cursor("time_entry", TODAY, "te_1")
    with env.ws.session() as s, raises("validation_error", "cursor"):
        svc.list_expenses(s, actor=env.ws.actor(s, env.mia), cursor=entry_cursor)
    with env.ws.session() as s, raises("validation_error", "limit"):
        svc.list_expenses(s, actor=env.ws.actor(s, env.mia), limit=500)


# --- get, edit, delete ------------------------------------------------------------------------


def test_get(env):
    expense = log(env)
    with env.ws.session() as s:
        assert svc.get_expense(s, actor=env.ws.actor(s, env.admin), expense_id=expense.id)
    with env.ws.session() as s, raises("authorization_error"):
        svc.get_expense(s, actor=env.ws.actor(s, env.olly), expense_id=expense.id)
    with env.ws.session() as s, raises("not_found", "id"):
        svc.get_expense(s, actor=env.ws.actor(s, env.mia), expense_id="exp_nothing")


def edit(env, expense_id, who=None, **changes) -> Expense:
    with env.ws.session() as s:
        return svc.edit_expense(s, actor=env.ws.actor(s, who or env.mia), expense_id=expense_id,
                                now=NOW, **changes)


def test_edit_recomputes_amounts(env):
    expense = log(env)
    edited = edit(env, expense.id, quantity="100", notes="more tokens")
    assert (edited.units, edited.total_cost, edited.notes) == (Decimal("100"), Decimal("0.3"),
                                                               "more tokens")
    edited = edit(env, expense.id, unit_price="0.01")
    assert edited.total_cost == Decimal("1")
    edited = edit(env, expense.id, total="2.50")
    assert (edited.units, edited.total_cost) == (Decimal("100"), Decimal("2.50"))
    with raises("validation_error", "total"):
        edit(env, expense.id, category_ref="meals-entertainment")
    edited = edit(env, expense.id, category_ref="training", total="30")
    assert (edited.units, edited.unit_price, edited.total_cost, edited.is_billable) == (
        None, None, Decimal("30"), True)
    edited = edit(env, expense.id, category_ref="mileage", quantity="10")
    assert (edited.unit_price, edited.total_cost) == (Decimal("0.67"), Decimal("6.7"))
    edited = edit(env, expense.id, billable=False, spent_date="2026-03-02", meta={"m": 1})
    assert (edited.is_billable, edited.spent_date, edited.meta) == (False, date(2026, 3, 2),
                                                                    {"m": 1})
    with env.ws.session() as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.entity_id == expense.id,
                                                   AuditEvent.action == "expense.edit")).all()) == 6


def test_edit_refusals_and_locks(env):
    expense = log(env)
    with raises("validation_error", "project"):
        edit(env, expense.id, project_ref="internal")
    with raises("authorization_error"):
        edit(env, expense.id, who=env.olly, notes="x")
    with pytest.raises(TypeError):
        edit(env, expense.id, source="cli")
    settings(env, feature_approvals=True)
    with env.ws.session() as s:
        s.get(Expense, expense.id).approval_status = ApprovalStatus.APPROVED
    with raises("locked") as err:
        edit(env, expense.id, notes="too late")
    assert err.value.exit_code == 3
    with env.ws.session() as s, raises("locked"):
        svc.delete_expense(s, actor=env.ws.actor(s, env.admin), expense_id=expense.id, now=NOW)
    with env.ws.session() as s:
        stored = s.get(Expense, expense.id)
        stored.unlocked_at = NOW
    assert edit(env, expense.id, who=env.admin, notes="fixed").notes == "fixed"
    settings(env, lock_after_days=2)
    with raises("locked"):
        edit(env, expense.id, who=env.admin, spent_date="2026-03-01")


def test_delete(env):
    expense = log(env, receipt=write(env, "r.png", PNG))
    with env.ws.session() as s, raises("authorization_error"):
        svc.delete_expense(s, actor=env.ws.actor(s, env.olly), expense_id=expense.id, now=NOW)
    with env.ws.session() as s:
        svc.delete_expense(s, actor=env.ws.actor(s, env.mia), expense_id=expense.id, now=NOW)
    with env.ws.session() as s:
        assert s.get(Expense, expense.id) is None
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "expense.delete")).one()
    assert event.changes["total_cost"] == "0.135"
    assert receipt_file(env.receipts, expense.receipt_path).exists()  # kept: see receipts.py


def test_public_expense_shape(env):
    expense = log(env, meta={"model": "opus"})
    with env.ws.session() as s:
        category = s.get(ExpenseCategory, expense.category_id)
        data = public.expense(expense, viewer=env.ws.actor(s, env.mia),
                              project=s.get(Project, env.acme), category=category,
                              user=s.get(User, env.mia))
    assert {k: data[k] for k in ("units", "unit_price", "total_cost", "expense_category_id",
                                 "source", "metadata", "receipt", "is_locked")} == {
        "units": Decimal("45"), "unit_price": Decimal("0.003"), "total_cost": Decimal("0.135"),
        "expense_category_id": category.id, "source": "agent", "metadata": {"model": "opus"},
        "receipt": None, "is_locked": False}
    assert data["expense_category"] == {"id": category.id, "name": LLM_USAGE}
    assert data["project"]["name"] == "Acme Website" and data["user"]["name"] == "Mia Member"
