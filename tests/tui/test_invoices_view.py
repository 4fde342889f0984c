"""The Invoices view and the invoice editor, driven with the keyboard through Textual's pilot
on a real workspace: the list and its aging, a new invoice from tracked time (previewed, then
made), lines edited in place with the totals following, payments, sending, the PDF, locks, and
the footer at 80x24 and 140x45."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from settling import finish_workers
from sqlmodel import col, select
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ApprovalStatus, InvoiceState
from keito_core.models import (
    Client,
    Contact,
    Invoice,
    InvoiceLine,
    Project,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.billing import generate, invoices, lines, payments
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.dialogs import ConfirmDialog
from keito_tui.app.screens.invoice_editor import EDITOR_ACTIONS, InvoiceEditorScreen, LineTable
from keito_tui.app.screens.invoice_new import FreeFormDialog, NewInvoiceDialog
from keito_tui.app.screens.invoice_payments import PaymentDialog
from keito_tui.app.screens.invoice_send import PdfDialog, SendDialog
from keito_tui.app.screens.invoices import VIEW_ACTIONS, InvoicesScreen

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)  # Sunday 6 December 2026
NOV = (date(2026, 11, 1), date(2026, 11, 30))
OCT = (date(2026, 10, 1), date(2026, 10, 31))
SIZE = (120, 36)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


@pytest.fixture
def firm(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Globex (GBP, a contact with an email) with project Website: Sarah's approved hours in
    October (invoiced below, overdue) and November (not invoiced yet: 5 h and 2.5 h at 150);
    Initech (EUR) with a project and nothing to bill."""
    with workspace.session() as s:
        globex = Client(id=new_id("client"), name="Globex", currency="GBP")
        initech = Client(id=new_id("client"), name="Initech", currency="EUR")
        s.add_all([globex, initech])
        s.flush()
        web = Project(id=new_id("project"), client_id=globex.id, name="Website", handle="web")
        site = Project(id=new_id("project"), client_id=initech.id, name="Site",
                       handle="site")
        dev = Task(id=new_id("task"), name="Build", handle="build")
        sarah = User(id=new_id("user"), name="Sarah Chen", email="sarah@acme.test")
        s.add_all([web, site, dev, sarah])
        s.add(Contact(id=new_id("contact"), client_id=globex.id, first_name="Gina",
                      last_name="Globex", email="gina@globex.test"))
        s.flush()
        for day, seconds in ((date(2026, 10, 6), 4 * 3600), (date(2026, 11, 3), 5 * 3600),
                             (date(2026, 11, 4), 9000)):
            s.add(TimeEntry(id=new_id("time_entry"), user_id=sarah.id, project_id=web.id,
                            task_id=dev.id, spent_date=day, duration_seconds=seconds,
                            billable_rate=Decimal(150),
                            approval_status=ApprovalStatus.APPROVED))
    with workspace.session() as s:
        october = generate.create_from_tracked(
            s, actor=workspace.actor(s), client_ref="Globex", date_from=OCT[0],
            date_to=OCT[1], header=invoices.Header(issue_date=date(2026, 11, 2)),
            now=datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
        invoices.mark_sent(s, actor=workspace.actor(s), ref=october.id,
                           now=datetime(2026, 11, 2, 9, 5, tzinfo=UTC))
        number = october.number
    return SimpleNamespace(ws=workspace, october=number)


def invoice_rows(env) -> list[Invoice]:  # noqa: ANN001
    with env.ws.session(readonly=True) as s:
        rows = list(s.exec(select(Invoice).order_by(col(Invoice.number))).all())
        for row in rows:
            s.expunge(row)
        return rows


def invoice_lines(env, number: str) -> list[InvoiceLine]:  # noqa: ANN001
    with env.ws.session(readonly=True) as s:
        invoice = s.exec(select(Invoice).where(Invoice.number == number)).one()
        rows = list(s.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)
                           .order_by(col(InvoiceLine.position))).all())
        for row in rows:
            s.expunge(row)
        return rows


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(30):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def until(pilot: Pilot, condition, what: str) -> None:  # noqa: ANN001
    for _ in range(200):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")


async def open_invoices(pilot: Pilot) -> InvoicesScreen:
    app = pilot.app
    await until(pilot, lambda: app.invoicing, "the Invoices view is offered")
    await pilot.press("v")
    await until(pilot, lambda: isinstance(app.screen, InvoicesScreen)
                and app.screen.data is not None, "the invoice list is read")
    screen = app.screen
    assert isinstance(screen, InvoicesScreen)
    return screen


async def open_editor(pilot: Pilot, number: str) -> InvoiceEditorScreen:
    screen = await open_invoices(pilot)
    assert screen.data is not None
    numbers = [row.number for row in screen.data.rows]
    screen.query_one("#invoice-list").move_cursor(row=numbers.index(number))
    await pilot.press("enter")
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, InvoiceEditorScreen)
                and app.screen.invoice is not None, "the editor reads the invoice")
    editor = app.screen
    assert isinstance(editor, InvoiceEditorScreen)
    return editor


def text_of(screen, selector: str) -> str:  # noqa: ANN001
    return str(screen.query_one(selector, Static).render())


def notes_of(app: KeitoApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def list_cells(screen: InvoicesScreen) -> list[list[str]]:
    table = screen.query_one("#invoice-list")
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


# --- the list -----------------------------------------------------------------------------------


async def test_the_list_shows_each_invoice_newest_first_with_overdue_days_and_aging(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        draft = invoices.new_invoice(s, actor=firm.ws.actor(s), client_ref="Initech",
                                     now=NOW)
        lines.add_line(s, actor=firm.ws.actor(s), invoice_ref=draft.id,
                       values={"description": "Workshop", "quantity": "2",
                               "unit_price": "400"}, now=NOW)
        draft_number = draft.number
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_invoices(pilot)
        rows = list_cells(screen)
        assert [row[0] for row in rows] == [draft_number, firm.october]
        assert rows[0][3:] == ["draft", "06 Dec 2026", "05 Jan 2027", "€800.00", "€800.00", ""]
        # October: 4 h at 150 = £600, issued 2 November on net 30: 4 days past due.
        assert rows[1][3:] == ["overdue", "02 Nov 2026", "02 Dec 2026", "£600.00", "£600.00",
                               "4d"]
        assert text_of(screen, "#invoice-title") == "2 invoices"
        assert text_of(screen, "#invoice-aging") == (
            "GBP owed £600.00 (1 invoice) · overdue £600.00 (1–30 days late)")
        screen.query_one("#invoice-list").move_cursor(row=1)
        await pilot.pause()
        assert "overdue by 4 days" in text_of(screen, "#invoice-detail")


async def test_state_and_client_filters(runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        invoices.new_invoice(s, actor=firm.ws.actor(s), client_ref="Initech", now=NOW)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_invoices(pilot)
        await pilot.press("f")  # all -> draft
        await until(pilot, lambda: screen.data is not None and screen.data.state == "draft",
                    "the drafts are read")
        assert [row[1] for row in list_cells(screen)] == ["Initech"]
        assert text_of(screen, "#invoice-title") == "Draft: 1 invoice"
        for _ in range(2):  # draft -> open -> overdue
            await pilot.press("f")
        await until(pilot, lambda: screen.data is not None and screen.data.state == "overdue",
                    "the overdue invoices are read")
        assert [row[0] for row in list_cells(screen)] == [firm.october]
        await pilot.press("f", "f", "f")  # paid, closed, all
        await until(pilot, lambda: screen.data is not None and screen.data.state == "all",
                    "every invoice is read")
        globex = next(cid for cid, name in screen.data.clients if name == "Globex")
        screen.query_one("#invoice-client").value = globex
        await until(pilot, lambda: screen.data is not None
                    and screen.data.client_id == globex, "Globex's invoices are read")
        assert [row[1] for row in list_cells(screen)] == ["Globex"]


async def test_the_view_is_offered_only_with_invoicing_on(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        s.exec(select(Workspace)).one().feature_invoicing = False
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await until(pilot, lambda: app.screen.query(FooterKey), "the footer is laid out")
        assert "v" not in {key.key_display for key in app.screen.query(FooterKey)}
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "day"
        with firm.ws.session() as s:
            s.exec(select(Workspace)).one().feature_invoicing = True
        await pilot.press("ctrl+r")
        await until(pilot, lambda: app.invoicing, "invoicing is read as on")
        await pilot.press("v")
        await settle(pilot)
        assert app.current_mode == "invoices"


# --- new invoices -------------------------------------------------------------------------------


async def test_new_invoice_from_time_shows_a_preview_then_creates_the_draft(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_invoices(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewInvoiceDialog)
                    and app.screen.previewed is not None, "the preview is read")
        dialog = app.screen
        assert dialog.query_one("#new-from", Input).value == "2026-11-01"  # last month
        assert dialog.query_one("#new-to", Input).value == "2026-11-30"
        preview = text_of(dialog, "#new-preview")
        # 5 h + 2.5 h at 150, October's 4 h already billed.
        assert "Website" in preview and "7.50 h £1,125.00" in preview
        assert "Total 7.50 h · £1,125.00" in preview
        assert len(invoice_rows(firm)) == 1  # nothing made by looking
        # A period that bills nothing: the preview says so and Create waits.
        await pilot.click("#new-from")
        dialog.query_one("#new-from", Input).value = "2026-12-01"
        dialog.query_one("#new-to", Input).value = "2026-12-05"
        await until(pilot, lambda: "nothing" in text_of(dialog, "#new-preview"),
                    "the empty period's preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewInvoiceDialog) and len(invoice_rows(firm)) == 1
        dialog.query_one("#new-from", Input).value = "2026-11-01"
        dialog.query_one("#new-to", Input).value = "2026-11-30"
        await until(pilot, lambda: "£1,125.00" in text_of(dialog, "#new-preview"),
                    "November's preview again")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, InvoiceEditorScreen)
                    and app.screen.invoice is not None, "the new draft opens in the editor")
        editor = app.screen
        made = [row for row in invoice_rows(firm) if row.number != firm.october]
        assert len(made) == 1 and made[0].state is InvoiceState.DRAFT
        assert made[0].total == Decimal("1125.00")
        assert editor.invoice.number == made[0].number
        assert "Total £1,125.00" in text_of(editor, "#editor-totals")


async def test_the_preview_keeps_to_the_chosen_projects(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        globex = s.exec(select(Client).where(Client.name == "Globex")).one()
        s.add(Project(id=new_id("project"), client_id=globex.id, name="Audit",
                      handle="audit"))
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_invoices(pilot)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, NewInvoiceDialog)
                    and app.screen.previewed is not None, "the preview is read")
        dialog = app.screen
        projects = dialog.query_one("#new-projects", SelectionList)
        audit = next(option.value for option in projects.options if option.prompt == "Audit")
        projects.select(audit)
        await until(pilot, lambda: dialog.previewed is not None
                    and dialog.previewed.project_ids == (audit,), "Audit's preview")
        assert "nothing" in text_of(dialog, "#new-preview")


async def test_free_form_invoice_then_a_line_from_the_form(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_invoices(pilot)
        await pilot.press("N")
        await until(pilot, lambda: isinstance(app.screen, FreeFormDialog), "the dialog")
        app.screen.query_one("#new-client").value = next(
            c.id for c in app.screen.choices.clients if c.name == "Initech")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, InvoiceEditorScreen)
                    and app.screen.invoice is not None, "the draft opens")
        editor = app.screen
        assert editor.invoice.client == "Initech" and editor.invoice.lines == ()
        await pilot.press("n")
        await until(pilot, lambda: app.screen.query("#line-dialog"), "the line form")
        form = app.screen
        form.query_one("#description", Input).value = "Workshop"
        form.query_one("#quantity", Input).value = "3"
        form.query_one("#unit_price", Input).value = "250.50"
        await pilot.pause()
        assert "Amount: 3 × €250.50 = €751.50" in text_of(form, "#form-preview")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is editor and editor.invoice is not None
                    and len(editor.invoice.lines) == 1, "the line is read back")
        assert editor.invoice.amount == Decimal("751.50")


# --- the editor -------------------------------------------------------------------------------


async def go_to_cell(pilot: Pilot, editor: InvoiceEditorScreen, line: int, column: str) -> None:
    table = editor.query_one("#editor-lines", LineTable)
    keys = [key for key, _, _ in editor.plan()]
    table.move_cursor(row=line - 1, column=keys.index(column))
    await pilot.pause()


async def test_editing_a_quantity_in_place_recomputes_the_totals_as_you_type(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        invoices.edit_invoice(s, actor=firm.ws.actor(s), ref=firm.october,
                              changes={"tax": "20", "tax_label": "VAT"}, now=NOW)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        assert "Total £720.00" in text_of(editor, "#editor-totals")  # 600 + 20 % VAT
        await go_to_cell(pilot, editor, 1, "quantity")
        await pilot.press("enter")
        box = editor.query_one("#cell-input", Input)
        assert box.has_focus and box.value == "4"
        await pilot.press("backspace", "5", ".", "5")
        # 5.5 h x 150 = 825, VAT 165: shown before anything is saved.
        totals = text_of(editor, "#editor-totals")
        assert totals.startswith("unsaved") and "VAT 20% £165.00" in totals
        assert "Total £990.00" in totals
        assert "5.50 × £150.00 = £825.00" in text_of(editor, "#editor-line")
        assert invoice_lines(firm, firm.october)[0].quantity == Decimal(4)
        await pilot.press("x")  # a letter is typed, not a command
        assert "not a number (5.5x)" in text_of(editor, "#editor-totals")
        await pilot.press("backspace", "enter")
        await until(pilot, lambda: editor.invoice is not None
                    and editor.invoice.amount == Decimal("990.00"), "the saved line is read")
        assert invoice_lines(firm, firm.october)[0].quantity == Decimal("5.5")
        assert not text_of(editor, "#editor-totals").startswith("unsaved")
        # Sent already: the service's warning is shown.
        assert any("already sent" in note for note in notes_of(app))


async def test_escape_cancels_an_edit_in_place(runtime: Runtime, firm) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        await go_to_cell(pilot, editor, 1, "unit_price")
        await pilot.press("enter", "backspace", "backspace", "backspace", "9")
        assert "Total £36.00" in text_of(editor, "#editor-totals")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is editor and editor.editing is None
        assert "Total £600.00" in text_of(editor, "#editor-totals")
        assert invoice_lines(firm, firm.october)[0].unit_price == Decimal(150)


async def test_lines_are_added_moved_taxed_and_removed_from_the_keyboard(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        invoices.edit_invoice(s, actor=firm.ws.actor(s), ref=firm.october,
                              changes={"tax": "10"}, now=NOW)
        lines.add_line(s, actor=firm.ws.actor(s), invoice_ref=firm.october,
                       values={"description": "Hosting", "unit_price": "50",
                               "taxed": False}, now=NOW)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        await go_to_cell(pilot, editor, 2, "description")

        def read(condition) -> object:  # noqa: ANN001
            return until(pilot, lambda: editor.invoice is not None and condition(),
                         "the change is read back")

        await pilot.press("K")  # Hosting moves up
        await read(lambda: editor.invoice.lines[0].description == "Hosting")
        assert [x.description for x in invoice_lines(firm, firm.october)][0] == "Hosting"
        assert editor.query_one("#editor-lines", LineTable).cursor_row == 0
        await pilot.press("t")  # tax on for Hosting: 10 % of 650
        await read(lambda: editor.invoice.lines[0].taxed)
        assert editor.invoice.amount == Decimal("715.00")
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("y")
        await read(lambda: len(editor.invoice.lines) == 1)
        assert editor.invoice.amount == Decimal("660.00")


async def test_a_payment_moves_the_invoice_to_paid(runtime: Runtime, firm) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PaymentDialog), "the payment form")
        dialog = app.screen
        assert dialog.query_one("#amount", Input).value == "600.00"
        dialog.query_one("#amount", Input).value = "250"
        await pilot.pause()
        assert "Leaves £350.00 due: the invoice stays open" in text_of(dialog, "#form-preview")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is editor and editor.invoice is not None
                    and editor.invoice.paid == Decimal(250), "the first payment")
        assert editor.invoice.state == "open"
        await pilot.press("p")
        await until(pilot, lambda: isinstance(app.screen, PaymentDialog), "the payment form")
        app.screen.query_one("#amount", Input).value = "500"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PaymentDialog)  # more than is due: refused in place
        assert "more than the £350.00 due" in str(
            app.screen.query_one("#field-amount").query_one(".form-field--error").render())
        app.screen.query_one("#amount", Input).value = "350"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is editor and editor.invoice is not None
                    and editor.invoice.state == "paid", "paid in full")
        assert [row.state for row in invoice_rows(firm)] == [InvoiceState.PAID]
        assert any("the invoice is paid" in note for note in notes_of(app))
        assert "🔒 locked" in text_of(editor, "#editor-head")


async def test_a_paid_invoice_says_it_is_locked(runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        payments.record_payment(s, actor=firm.ws.actor(s), invoice_ref=firm.october,
                                amount="600", now=NOW)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        await go_to_cell(pilot, editor, 1, "quantity")
        for key in ("enter", "n", "h"):
            app._notifications.clear()
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is editor and editor.editing is None
            assert notes_of(app) and notes_of(app)[-1].startswith("🔒 Locked: Invoice")
            assert "is paid: it is locked" in notes_of(app)[-1]


async def test_issue_then_close_and_reopen(runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        draft = invoices.new_invoice(s, actor=firm.ws.actor(s), client_ref="Globex", now=NOW)
        lines.add_line(s, actor=firm.ws.actor(s), invoice_ref=draft.id,
                       values={"description": "Fee", "unit_price": "100"}, now=NOW)
        number = draft.number
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, number)
        for key, state in (("I", "open"), ("c", "closed"), ("R", "open")):
            await pilot.press(key)
            await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
            await pilot.press("y")
            await until(pilot, lambda s=state: editor.invoice is not None
                        and editor.invoice.state == s, f"the invoice is {state}")


async def test_delete_a_draft_goes_back_to_the_list(runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        number = invoices.new_invoice(s, actor=firm.ws.actor(s), client_ref="Globex",
                                      now=NOW).number
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot, number)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, ConfirmDialog), "the question")
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, InvoicesScreen)
                    and app.screen.data is not None and len(app.screen.data.rows) == 1,
                    "the list without the draft")
        assert [row.number for row in invoice_rows(firm)] == [firm.october]


async def test_the_pdf_is_written_where_asked_and_the_app_says_where(
        runtime: Runtime, firm, tmp_path: Path) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_editor(pilot, firm.october)
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, PdfDialog), "the PDF dialog")
        box = app.screen.query_one("#path", Input)
        assert box.value.endswith(f"{firm.october}.pdf")
        box.value = str(tmp_path)  # a folder: the invoice's own name inside it
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, InvoiceEditorScreen), "written")
        written = tmp_path / f"{firm.october}.pdf"
        assert written.read_bytes().startswith(b"%PDF")
        assert any(f"PDF written to {written}" in note for note in notes_of(app))


async def test_send_without_a_mail_server_says_how_to_set_one(
        runtime: Runtime, firm) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        editor = await open_editor(pilot, firm.october)
        await pilot.press("S")
        await settle(pilot)
        assert app.screen is editor
        note = notes_of(app)[-1]
        assert note.startswith("Not set up: no SMTP server is set")
        assert "Settings (smtp.host" in note and "keito settings" not in note


async def test_send_prefills_the_email_and_sends_it(runtime: Runtime, firm) -> None:  # noqa: ANN001
    from smtp_sink import SmtpSink

    with SmtpSink() as sink:
        with firm.ws.session() as s:
            ws = s.exec(select(Workspace)).one()
            ws.smtp_host, ws.smtp_port = sink.host, sink.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
        app = KeitoApp(runtime)
        async with app.run_test(size=SIZE) as pilot:
            editor = await open_editor(pilot, firm.october)
            await pilot.press("S")
            await until(pilot, lambda: isinstance(app.screen, SendDialog), "the send dialog")
            dialog = app.screen
            assert dialog.query_one("#to", Input).value == "Gina Globex <gina@globex.test>"
            assert dialog.query_one("#kind").value == "reminder"  # it is overdue
            dialog.query_one("#kind").value = "send"
            await until(pilot, lambda: dialog.draft.kind == "send", "the invoice's email")
            dialog.query_one("#subject", Input).value = "October, as promised"
            await pilot.press("ctrl+s")
            await until(pilot, lambda: app.screen is editor, "sent")
            assert any("Sent the invoice for" in note for note in notes_of(app))
        assert [m.message["Subject"] for m in sink.messages] == ["October, as promised"]
        # To the client's contact, a copy to the sender (CC me is on when they have an email).
        assert sink.messages[0].recipients == ["gina@globex.test", "ada@acme.test"]


# --- the footer ---------------------------------------------------------------------------------


def footer_keys(app: KeitoApp) -> dict[str, str]:
    """What the footer shows: key -> its binding's action."""
    return {key.key_display: key.action for key in app.screen.query(FooterKey)}


async def footer_fits(pilot: Pilot, width: int) -> set[str]:
    app = pilot.app
    await until(pilot, lambda: (keys := list(app.screen.query(FooterKey)))
                and all(key.region.width > 0 for key in keys), "the footer is laid out")
    for key in app.screen.query(FooterKey):
        assert key.region.right <= width and key.region.width > 0, key.key_display
    return set(footer_keys(app))


@pytest.mark.parametrize("size", [(80, 24), (140, 45)])
async def test_the_footer_shows_every_action_at_80x24_and_140x45(
        runtime: Runtime, firm, size: tuple[int, int]) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        invoices.edit_invoice(s, actor=firm.ws.actor(s), ref=firm.october,
                              changes={"tax": "20", "tax2": "5"}, now=NOW)
        lines.add_line(s, actor=firm.ws.actor(s), invoice_ref=firm.october,
                       values={"description": "Hosting", "unit_price": "50"}, now=NOW)
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        await open_invoices(pilot)
        shown = await footer_fits(pilot, size[0])
        listed = {a.key_display or a.key for a in VIEW_ACTIONS if a.show}
        assert listed <= shown and {"?", "^q", "v"} <= shown
        await open_editor(pilot, firm.october)
        shown = await footer_fits(pilot, size[0])
        # An open invoice: Issue and Reopen do not apply, the rest are all there.
        expected = {a.key_display or a.key for a in EDITOR_ACTIONS
                    if a.show and a.id not in ("invoice.issue", "invoice.reopen")}
        assert expected <= shown, expected - shown
        assert {"?", "^q", "^r"} <= shown
