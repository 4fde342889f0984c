"""The Expenses view, driven with the keyboard through Textual's pilot on a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ApprovalStatus, Role
from keito_core.ids import new_id
from keito_core.models import (
    LLM_USAGE,
    Client,
    Expense,
    ExpenseCategory,
    Project,
    ProjectMember,
    User,
    Workspace,
)
from keito_core.runtime import Runtime, make_runtime
from keito_core.services.expenses import log_expense
from keito_core.services.receipts import receipt_file
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.dialogs import ConfirmDialog, DateDialog
from keito_tui.app.screens.expense_dialog import ExpenseDialog, money_text
from keito_tui.app.screens.expenses import ExpensesScreen, ExpenseTable, column_plan
from keito_tui.app.widgets.form_field import FormField

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 6 March 2026
SIZE = (100, 30)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MEALS = "Meals & Entertainment"
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    """The runtime `keito` builds, with the clock frozen at NOW."""
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


@pytest.fixture
def env(workspace):  # noqa: ANN001 - the conftest Workspace
    """Project Website (Acme, GBP) for the admin; the workspace's default categories."""
    with workspace.session() as s:
        acme = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        s.add(acme)
        s.flush()
        web = Project(id=new_id("project"), client_id=acme.id, name="Website", handle="web")
        s.add(web)
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=web.id,
                            user_id=workspace.admin_id))
        ids = {c.name: c.id for c in s.exec(select(ExpenseCategory)).all()}
    return SimpleNamespace(ws=workspace, web=web.id, meals=ids[MEALS], mileage=ids["Mileage"],
                           llm=ids[LLM_USAGE])


def log(env, **kw) -> str:  # noqa: ANN001
    """Log an expense for the admin straight through the service."""
    kw.setdefault("project_ref", "web")
    kw.setdefault("category_ref", MEALS)
    kw.setdefault("source", "tui")
    kw.setdefault("spent_date", "2026-03-05")
    if "quantity" not in kw:
        kw.setdefault("total", "12.50")
    with env.ws.session() as s:
        return log_expense(s, actor=env.ws.actor(s), now=NOW, **kw).id


def expenses(env) -> list[Expense]:  # noqa: ANN001
    with env.ws.session(readonly=True) as s:
        rows = list(s.exec(select(Expense).order_by(Expense.created_at)).all())
        for row in rows:
            s.expunge(row)
        return rows


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(20):
        await app.workers.wait_for_complete()
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def open_expenses(pilot: Pilot) -> ExpensesScreen:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ExpensesScreen)
    return screen


def rows(screen: ExpensesScreen) -> list[list[str]]:
    table = screen.query_one(ExpenseTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def text_of(screen, selector: str) -> str:  # noqa: ANN001
    return str(screen.query_one(selector, Static).render())


async def type_into(pilot: Pilot, field: str, text: str) -> None:
    """Focus an input, clear it and type `text` key by key."""
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def choose(pilot: Pilot, select_id: str, value: str) -> None:
    pilot.app.screen.query_one(f"#{select_id}", Select).value = value
    await pilot.pause()


def field_error(pilot: Pilot, field: str) -> str:
    return pilot.app.screen.query_one(f"#field-{field}", FormField).error


# --- the list --------------------------------------------------------------------------------


async def test_the_list_shows_expenses_with_badges_markers_and_totals(
    runtime: Runtime, env  # noqa: ANN001
) -> None:
    log(env, category_ref=LLM_USAGE, quantity="45", source="agent", notes="45k tokens")
    log(env, total="30", source="cli", billable=False, spent_date="2026-03-02")
    log(env, total="99", spent_date="2026-02-27")  # last month: not listed
    app = KeitoApp(runtime)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_expenses(pilot)
        assert screen.title == "Acme Consulting · Expenses"
        assert text_of(screen, "#expense-period") == "March 2026"
        assert rows(screen) == [
            [" Agent ", "Thu 05", "Acme Corp › Website", "LLM Usage", "45 × £0.003",
             "£0.135", "45k tokens", "  $", "", ""],
            [" CLI ", "Mon 02", "Acme Corp › Website", "Meals & Ente…", "", "£30.00", "", "", "", ""],
        ]
        assert text_of(screen, "#expense-totals") == "2 expenses · £30.135 (£0.135 billable)"
        detail = text_of(screen, "#expense-detail")
        assert "LLM Usage: 45 × £0.003 (1k tokens) = £0.135" in detail


def test_money_is_never_rounded_away() -> None:
    assert money_text(Decimal("0.135"), "GBP") == "£0.135"
    assert money_text(Decimal("1234.5"), "GBP") == "£1,234.50"
    assert money_text(Decimal("-5"), "USD") == "-$5.00"
    assert money_text(Decimal("1500"), "JPY") == "¥1,500"
    assert money_text(Decimal("12"), "CHF") == "CHF 12.00"


def test_narrow_tables_drop_the_quantity_and_notes_columns() -> None:
    narrow = [key for key, _, _ in column_plan(80, iso_dates=False)]
    assert "notes" not in narrow and "quantity" not in narrow
    assert sum(width + 2 for _, _, width in column_plan(80, iso_dates=True)) + 2 <= 80
    assert [key for key, _, _ in column_plan(140, iso_dates=False)][4:7] == [
        "quantity", "total", "notes"]
