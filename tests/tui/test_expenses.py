"""The Expenses view, driven with the keyboard through Textual's pilot on a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from settling import finish_workers
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ApprovalStatus, Role
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
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.tracking.expenses import log_expense
from keito_core.services.tracking.receipts import receipt_file
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
        await finish_workers(app)
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


def column(screen: ExpensesScreen, key: str) -> list[str]:
    """One column's cells, top to bottom."""
    table = screen.query_one(ExpenseTable)
    return [str(cell) for cell in table.get_column(key)]


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
            [" CLI ", "Mon 02", "Acme Corp › Website", "Meals & Ente…", "", "£30.00", "", "",
             "", ""],
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


@pytest.mark.parametrize("size", [(80, 24), (140, 45)])
async def test_a_very_large_total_shows_every_digit(runtime, env, size) -> None:  # noqa: ANN001
    log(env, total="99999999999")
    log(env, total="12.50")
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        screen = await open_expenses(pilot)
        table = screen.query_one(ExpenseTable)
        assert table.columns["total"].width >= 18  # type: ignore[index]
        assert sorted(cell.strip() for cell in column(screen, "total")) == [
            "£12.50", "£99,999,999,999.00"]
        assert "£99,999,999,999.00" in app.export_screenshot().replace("&#160;", " ")


def test_a_total_too_wide_for_its_column_ends_in_an_ellipsis() -> None:
    from keito_tui.app.screens.expenses import cut_total

    assert str(cut_total("£99,999,999,999,999,999,999.00", 24)).endswith("…")


async def test_a_new_expense_starts_on_the_last_project_used(runtime, env) -> None:  # noqa: ANN001
    with env.ws.session() as s:
        aardvark = Project(id=new_id("project"), client_id=s.get(Project, env.web).client_id,
                           name="Aardvark", handle="aardvark")
        s.add(aardvark)
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=aardvark.id,
                            user_id=env.ws.admin_id))
    log(env, total="5")  # on Website, which sorts after Aardvark
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExpenseDialog)
        assert dialog.query_one("#project", Select).value == env.web


def notes_of(app: KeitoApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def save_dialog(pilot: Pilot) -> None:
    await pilot.press("ctrl+s")
    await settle(pilot)


# --- new, edit, delete -------------------------------------------------------------------------


async def test_a_new_expense_in_an_amount_category(runtime: Runtime, env) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        assert "No expenses match" in text_of(screen, "#expense-empty")
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExpenseDialog)
        assert dialog.query_one("#spent_date", Input).value == "2026-03-06"
        await choose(pilot, "category", env.meals)
        assert not dialog.query_one("#field-quantity").display
        assert dialog.query_one("#field-total").display
        await type_into(pilot, "total", "18.40")
        await type_into(pilot, "notes", "Lunch with the client")
        await type_into(pilot, "spent_date", "yesterday")
        await pilot.press("enter")  # Enter in a field saves
        await settle(pilot)
        assert app.screen is screen
        assert rows(screen)[0][1:3] == ["Thu 05", "Acme Corp › Website"]
        assert column(screen, "category") == ["Meals & Entertainme…"]
        assert "Expense saved (05 Mar 2026)." in notes_of(app)
    [saved] = expenses(env)
    assert (saved.total_cost, saved.units, saved.source, saved.spent_date, saved.notes) == (
        Decimal("18.40"), None, "tui", date(2026, 3, 5), "Lunch with the client")


async def test_a_unit_category_shows_the_exact_computed_total(
    runtime: Runtime, env  # noqa: ANN001
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        await choose(pilot, "category", env.llm)
        assert dialog.query_one("#field-quantity").display
        assert not dialog.query_one("#field-total").display
        computed = dialog.query_one("#computed", Static)
        assert str(computed.render()) == "Total: quantity × £0.003 per 1k tokens"
        await type_into(pilot, "quantity", "45")
        assert str(computed.render()) == "Total: 45 × £0.003 = £0.135"
        await type_into(pilot, "quantity", "4x")
        assert "quantity is not a number" in str(computed.render())
        await type_into(pilot, "quantity", "45")
        await save_dialog(pilot)
        assert app.screen is screen
        assert (column(screen, "category"), column(screen, "total")) == (["LLM Usage"], ["£0.135"])
    [saved] = expenses(env)
    assert (saved.units, saved.unit_price, saved.total_cost) == (
        Decimal(45), Decimal("0.003"), Decimal("0.135"))


async def test_a_missing_amount_is_shown_next_to_its_field(runtime: Runtime, env) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        await choose(pilot, "category", env.mileage)
        await save_dialog(pilot)
        assert isinstance(app.screen, ExpenseDialog)
        assert "give a quantity (in mile)" in field_error(pilot, "quantity")
        await type_into(pilot, "quantity", "12")
        assert "£8.04" in str(app.screen.query_one("#computed", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ExpensesScreen)
    assert expenses(env) == []


async def test_edit_changes_the_selected_expense(runtime: Runtime, env) -> None:  # noqa: ANN001
    log(env, total="10", spent_date="2026-03-02")
    second = log(env, category_ref=LLM_USAGE, quantity="10", source="agent")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        assert screen.selected_id() == second
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExpenseDialog)
        assert dialog.query_one("#project", Select).disabled  # an expense's project is fixed
        assert dialog.query_one("#quantity", Input).value == "10"
        await type_into(pilot, "quantity", "200")
        assert "= £0.60" in str(dialog.query_one("#computed", Static).render())
        await type_into(pilot, "notes", "bigger run")
        await save_dialog(pilot)
        assert app.screen is screen
        assert screen.selected_id() == second
        assert column(screen, "total")[0] == "£0.60"
    edited = {x.id: x for x in expenses(env)}[second]
    assert (edited.units, edited.total_cost, edited.notes, edited.source) == (
        Decimal(200), Decimal("0.6"), "bigger run", "agent")


async def test_an_unchanged_edit_keeps_a_billable_choice_unlike_the_category(
        runtime: Runtime, env) -> None:  # noqa: ANN001
    """Meals are billable by default; this expense is not, and saving it as is keeps it so."""
    kept = log(env, total="33", billable=False, notes="team lunch")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_expenses(pilot)
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ExpenseDialog)
        assert dialog.query_one("#billable", Checkbox).value is False
        await save_dialog(pilot)
        assert not isinstance(app.screen, ExpenseDialog)
    assert {x.id: x.is_billable for x in expenses(env)}[kept] is False


async def test_delete_asks_first(runtime: Runtime, env) -> None:  # noqa: ANN001
    kept = log(env, total="10", spent_date="2026-03-02")
    gone = log(env, total="25")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert "£25.00 on 05 Mar 2026" in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        assert len(rows(screen)) == 2
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen
        assert column(screen, "total") == ["£10.00"]
        assert "Expense deleted." in notes_of(app)
    assert [x.id for x in expenses(env)] == [kept]
    assert gone not in {x.id for x in expenses(env)}


# --- receipts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "content"), [("taxi.png", PNG), ("hotel.pdf", PDF)])
async def test_a_receipt_is_attached(
    runtime: Runtime, env, tmp_path: Path, name: str, content: bytes  # noqa: ANN001
) -> None:
    receipt = tmp_path / name
    receipt.write_bytes(content)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        await choose(pilot, "category", env.meals)
        await type_into(pilot, "total", "42")
        app.screen.query_one("#receipt", Input).value = str(receipt)
        await save_dialog(pilot)
        assert app.screen is screen
        assert "📎" in rows(screen)[0]
        assert name in text_of(screen, "#expense-detail")
    [saved] = expenses(env)
    assert saved.receipt_name == name
    stored = receipt_file(runtime.settings.receipts_dir, saved.receipt_path or "")
    assert stored.read_bytes() == content


async def test_a_bad_receipt_is_refused_next_to_the_field(
    runtime: Runtime, env, tmp_path: Path  # noqa: ANN001
) -> None:
    fake = tmp_path / "scan.png"
    fake.write_bytes(b"not an image at all")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        await choose(pilot, "category", env.meals)
        await type_into(pilot, "total", "42")
        await type_into(pilot, "receipt", str(fake))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExpenseDialog)
        assert "'scan.png' is not a PNG file" in field_error(pilot, "receipt")
        assert app.screen.focused is app.screen.query_one("#receipt", Input)
        await type_into(pilot, "receipt", str(tmp_path / "notes.txt"))
        await pilot.press("tab")  # leaving the field checks it
        await pilot.pause()
        assert "receipts must be PNG, JPG, JPEG, GIF or PDF" in field_error(pilot, "receipt")
        await type_into(pilot, "receipt", "")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExpensesScreen)
    [saved] = expenses(env)
    assert saved.receipt_path is None


async def test_edit_removes_a_receipt(runtime: Runtime, env, tmp_path: Path) -> None:  # noqa: ANN001
    receipt = tmp_path / "r.pdf"
    receipt.write_bytes(PDF)
    log(env, receipt=receipt, receipts_dir=runtime.settings.receipts_dir)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_expenses(pilot)
        await pilot.press("enter")
        await pilot.pause()
        remove = app.screen.query_one("#remove_receipt", Checkbox)
        assert "r.pdf" in str(remove.label)
        remove.value = True
        await save_dialog(pilot)
    [saved] = expenses(env)
    assert saved.receipt_path is None and saved.total_cost == Decimal("12.50")


# --- filters and periods -----------------------------------------------------------------------


async def test_filter_by_source_billable_and_category(runtime: Runtime, env) -> None:  # noqa: ANN001
    log(env, source="agent", category_ref=LLM_USAGE, quantity="45")
    log(env, source="cli", total="5", billable=False)
    log(env, source="tui", total="7")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        assert len(rows(screen)) == 3
        await choose(pilot, "filter-source", "agent")
        await settle(pilot)
        assert [r[0] for r in rows(screen)] == [" Agent "]
        assert text_of(screen, "#expense-totals") == "1 expense · £0.135"
        await choose(pilot, "filter-source", "human")
        await settle(pilot)
        assert column(screen, "total") == ["£7.00"]
        await choose(pilot, "filter-source", "all")
        await choose(pilot, "filter-billable", "no")
        await settle(pilot)
        assert [r[0] for r in rows(screen)] == [" CLI "]
        await choose(pilot, "filter-billable", "any")
        await choose(pilot, "filter-category", env.llm)
        await settle(pilot)
        assert column(screen, "category") == ["LLM Usage"]
        await pilot.press("f")
        assert screen.focused is screen.query_one("#filter-project", Select)
        await pilot.press("escape")
        assert screen.focused is screen.query_one(ExpenseTable)


async def test_periods_move_with_the_arrows_t_g_and_p(runtime: Runtime, env) -> None:  # noqa: ANN001
    log(env, total="1", spent_date="2026-03-05")
    log(env, total="2", spent_date="2026-02-10")
    log(env, total="3", spent_date="2025-12-24")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)

        def totals() -> list[str]:
            return column(screen, "total")

        assert totals() == ["£1.00"]
        await pilot.press("left")
        await settle(pilot)
        assert text_of(screen, "#expense-period") == "February 2026"
        assert totals() == ["£2.00"]
        await pilot.press("left", "left")
        await settle(pilot)
        assert (text_of(screen, "#expense-period"), totals()) == ("December 2025", ["£3.00"])
        await pilot.press("right")
        await settle(pilot)
        assert totals() == []
        await pilot.press("t")
        await settle(pilot)
        assert text_of(screen, "#expense-period") == "March 2026"
        await pilot.press("p")  # month -> all dates
        await settle(pilot)
        assert text_of(screen, "#expense-period") == "All dates"
        assert totals() == ["£1.00", "£2.00", "£3.00"]
        assert column(screen, "date")[2] == "2025-12-24"
        assert text_of(screen, "#expense-totals") == "3 expenses · £6.00"
        await pilot.press("p")  # all -> week
        await settle(pilot)
        assert text_of(screen, "#expense-period") == "Week 02 Mar – 08 Mar 2026"
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, DateDialog)
        await type_into(pilot, "date-input", "2026-02-11")
        await pilot.press("enter")
        await settle(pilot)
        assert text_of(screen, "#expense-period") == "Week 09 Feb – 15 Feb 2026"
        assert totals() == ["£2.00"]


# --- locks, the feature toggle, the footer ----------------------------------------------------


async def test_locked_expenses_refuse_edit_and_delete(runtime: Runtime, env) -> None:  # noqa: ANN001
    locked = log(env, total="10")
    with env.ws.session() as s:
        s.exec(select(Workspace)).one().feature_approvals = True
        s.get(Expense, locked).approval_status = ApprovalStatus.APPROVED
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        assert rows(screen)[0][-1] == "🔒"
        assert "🔒 approved" in text_of(screen, "#expense-detail")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        refusals = [n for n in notes_of(app) if "approved and is locked" in n]
        assert len(refusals) == 2
    assert [x.id for x in expenses(env)] == [locked]


async def test_the_view_says_when_expenses_are_turned_off(runtime: Runtime, env) -> None:  # noqa: ANN001
    with env.ws.session() as s:
        s.exec(select(Workspace)).one().feature_expenses = False
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        off = screen.query_one("#expenses-off", Static)
        assert off.display and "Expenses are turned off" in str(off.render())
        assert not screen.query_one(ExpenseTable).display
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen


async def test_a_member_without_projects_is_told_so(runtime: Runtime, env) -> None:  # noqa: ANN001
    member = new_id("user")
    with env.ws.session() as s:
        s.add(User(id=member, name="Milton", email="milton@acme.test", role=Role.MEMBER))
        s.flush()
        s.exec(select(Workspace)).one().default_user_id = member
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_expenses(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert any("no project to log expenses to" in n for n in notes_of(app))


async def test_footer_fits_80_columns(runtime: Runtime, env) -> None:  # noqa: ANN001
    log(env, category_ref=LLM_USAGE, quantity="45", source="agent", notes="a long note " * 9)
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_expenses(pilot)
        keys = [key for key in screen.query(FooterKey)]
        shown = {key.key_display for key in keys}
        assert {"n", "⏎", "x", "←", "→", "t", "g", "p", "f"} <= shown
        for key in keys:
            assert key.region.right <= 80 and key.region.width > 0
        table = screen.query_one(ExpenseTable)
        assert table.virtual_size.width <= table.size.width  # no sideways scrolling
        assert column(screen, "total") == ["£0.135"]
        bindings = {b.binding.id: b.binding for b in screen.active_bindings.values()}
        for action in ExpensesScreen.VIEW_ACTIONS:
            assert bindings[action.id].description and bindings[action.id].tooltip
