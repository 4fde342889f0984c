"""The Python API's invoices: create (from tracked work and free-form), list, get, update,
delete, line items, payments, state changes, files and sending, sync and async."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from smtp_sink import SmtpSink
from sqlmodel import select

from keito_core.api import (
    AsyncKeito,
    ConfigurationError,
    ConflictError,
    Invoice,
    InvoiceMessage,
    InvoiceSummary,
    Keito,
    LineItem,
    NotFoundError,
    Page,
    Payment,
    PermissionDeniedError,
    ValidationError,
)
from keito_core.models import Invoice as InvoiceRow
from keito_core.models import TimeEntry
from keito_core.platform.identity import get_workspace

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def firm(workspace):
    """Client Globex (USD) with contact Grace, project Globex Web (150/h) with 13.5 h
    logged by the admin in November; agent review-bot with a key."""
    from keito_core.services.directory import clients, keys, projects, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        client = clients.create_client(s, actor=admin, name="Globex", currency="USD", now=NOW)
        clients.add_contact(s, actor=admin, client_ref=client.id, first_name="Grace",
                            email="grace@globex.test", now=NOW)
        web = projects.create_project(s, actor=admin, name="Globex Web", code="GLX",
                                      client_ref=client.id, rate="150", now=NOW)
        for day, hours in ((3, 5), (4, 7), (5, 1.5)):
            s.add(TimeEntry(id=f"te_{day}", user_id=workspace.admin_id, project_id=web.id,
                            spent_date=date(2026, 11, day), duration_seconds=int(hours * 3600),
                            billable_rate=Decimal(150)))
        agent = users.create_user(s, actor=admin, name="review-bot", agent=True, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
    return SimpleNamespace(client=client.id, web=web.id, key=key)


@pytest.fixture
def keito(firm) -> Keito:
    return Keito(_clock=lambda: NOW)


def test_create_from_tracked_work_get_list_and_update(keito, firm):
    invoice = keito.invoices.create("Globex", from_date="2026-11-01", to_date="2026-11-30",
                                    subject="November", tax="10")
    assert isinstance(invoice, Invoice)
    assert (invoice.number, invoice.state, invoice.currency) == ("INV-2026-0001", "draft", "USD")
    assert invoice.client_id == firm.client and invoice.subject == "November"
    [line] = invoice.line_items
    assert isinstance(line, LineItem)
    assert (line.description, line.quantity, line.unit_price, line.amount) == (
        "Globex Web", Decimal("13.50"), Decimal("150"), Decimal("2025.00"))
    assert (invoice.subtotal, invoice.tax_amount, invoice.amount, invoice.due_amount) == (
        Decimal("2025.00"), Decimal("202.50"), Decimal("2227.50"), Decimal("2227.50"))
    assert invoice.issue_date == "2026-12-02" and invoice.due_date == "2027-01-01"
    assert invoice.warnings == []
    assert keito.invoices.get("inv-2026-0001") == invoice
    assert keito.invoices.get(invoice.id).to_dict()["line_items"][0]["amount"] == Decimal(
        "2025.00")
    updated = keito.invoices.update(invoice.id, discount=10, payment_term="net_15",
                                    purchase_order="PO-7")
    assert (updated.discount, updated.discount_amount, updated.amount) == (
        Decimal("10"), Decimal("202.50"), Decimal("2004.75"))
    assert (updated.due_date, updated.purchase_order) == ("2026-12-17", "PO-7")
    page = keito.invoices.list()
    assert isinstance(page, Page) and not page.has_more
    [row] = page
    assert isinstance(row, InvoiceSummary)
    assert (row.id, row.client_id, row.amount, row.due_amount, row.is_overdue) == (
        invoice.id, firm.client, Decimal("2004.75"), Decimal("2004.75"), False)
    assert keito.invoices.list(state="paid").data == []


def test_free_form_lines_add_update_move_remove(keito, firm):
    invoice = keito.invoices.create(firm.client, discount="10", tax=5, tax2=2, line_items=[
        {"description": "Workshop", "quantity": 2, "unit_price": "100"}])
    assert invoice.period_start is None and len(invoice.line_items) == 1
    licence = keito.invoices.lines.add(invoice.id, "Licence", unit_price=100.0, kind="product",
                                       position=1)
    assert (licence.position, licence.kind, licence.amount) == (1, "product", Decimal("100.00"))
    assert keito.invoices.get(invoice.id).amount == Decimal("288.90")  # Harvest's example
    moved = keito.invoices.lines.move(invoice.id, licence.id, 2)
    assert moved.position == 2
    edited = keito.invoices.lines.update(invoice.id, 1, quantity="3", project_id="GLX")
    assert (edited.description, edited.amount, edited.project_id) == (
        "Workshop", Decimal("300.00"), firm.web)
    keito.invoices.lines.remove(invoice.id, 2)
    assert [x.description for x in keito.invoices.lines.list(invoice.id)] == ["Workshop"]
    with pytest.raises(ValidationError) as bad:
        keito.invoices.lines.update(invoice.id, 1, quantity=-1)
    assert bad.value.field == "quantity"
    with pytest.raises(NotFoundError):
        keito.invoices.lines.update(invoice.id, 9, quantity=1)
    with pytest.raises(ValidationError):
        keito.invoices.lines.add(invoice.id, "x", quantity=True)


def test_payments_states_and_deleting(keito, firm, workspace):
    invoice = keito.invoices.create(firm.client, line_items=[
        {"description": "Work", "quantity": "3", "unit_price": "100"}])
    with pytest.raises(ConflictError):
        keito.invoices.payments.create(invoice.id, 10)
    assert keito.invoices.issue(invoice.id).state == "open"
    first = keito.invoices.payments.create(invoice.id, "100", paid_date="2026-12-01",
                                           transaction_id="TX-1")
    assert isinstance(first, Payment)
    assert (first.amount, first.balance, first.paid_date, first.transaction_id) == (
        Decimal("100.00"), Decimal("200.00"), "2026-12-01", "TX-1")
    with pytest.raises(ValidationError) as over:
        keito.invoices.payments.create(invoice.id, "200.01")
    assert over.value.field == "amount"
    keito.invoices.payments.create(invoice.id, Decimal("200"))
    paid = keito.invoices.get(invoice.id)
    assert (paid.state, paid.due_amount) == ("paid", Decimal("0.00"))
    assert [p.balance for p in keito.invoices.payments.list(invoice.id)] == [
        Decimal("200.00"), Decimal("0.00")]
    keito.invoices.payments.delete(invoice.id, 2)
    assert keito.invoices.get(invoice.id).state == "open"
    assert keito.invoices.close(invoice.id).state == "closed"
    assert keito.invoices.reopen(invoice.id).state == "open"
    with pytest.raises(ConflictError):
        keito.invoices.delete(invoice.id)  # a payment is recorded
    keito.invoices.payments.delete(invoice.id, 1)
    keito.invoices.delete(invoice.id)
    with pytest.raises(NotFoundError):
        keito.invoices.get(invoice.id)
    with workspace.session(readonly=True) as s:
        assert s.exec(select(InvoiceRow)).all() == []


def test_an_edit_after_sending_carries_its_warning(keito, firm):
    invoice = keito.invoices.create(firm.client, line_items=[{"description": "Work",
                                                             "unit_price": "10"}])
    keito.invoices.issue(invoice.id)
    edited = keito.invoices.update(invoice.id, notes="Thanks")
    assert edited.warnings and "already sent" in edited.warnings[0]


def test_pdf_and_html(keito, firm):
    invoice = keito.invoices.create(firm.client, line_items=[{"description": "Work",
                                                             "unit_price": "10"}])
    assert keito.invoices.pdf(invoice.number).startswith(b"%PDF")
    assert invoice.number in keito.invoices.html(invoice.id)


def test_send_by_email_with_the_api_shapes(keito, firm, workspace):
    invoice = keito.invoices.create(firm.client, line_items=[{"description": "Work",
                                                             "unit_price": "10"}])
    with pytest.raises(ConfigurationError) as no_smtp:
        keito.invoices.send(invoice.id)
    assert no_smtp.value.field == "smtp.host"
    with SmtpSink() as sink:
        with workspace.session() as s:
            ws = get_workspace(s)
            ws.smtp_host, ws.smtp_port = sink.host, sink.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
        message = keito.invoices.send(invoice.id, recipients=[
            {"name": "Ann Payable", "email": "ap@globex.test"}, "Bo <bo@globex.test>"],
            subject="Invoice {number}", send_me_a_copy=True)
        assert isinstance(message, InvoiceMessage)
        assert (message.event_type, message.subject, message.send_me_a_copy) == (
            "send", f"Invoice {invoice.number}", True)
        assert message.recipients == [{"name": "Ann Payable", "email": "ap@globex.test"},
                                      {"name": "Bo", "email": "bo@globex.test"}]
        assert message.sent_by == "Ada Admin"
        [received] = sink.messages
        assert received.message["To"] == "Ann Payable <ap@globex.test>, Bo <bo@globex.test>"
        assert received.message["Cc"] == "Ada Admin <ada@acme.test>"
        reminder = keito.invoices.send(invoice.id, event_type="reminder")
        assert sink.messages[-1].recipients == ["grace@globex.test"]
    after = keito.invoices.get(invoice.id)
    assert after.state == "open"
    assert [m.id for m in after.messages] == [message.id, reminder.id]


def test_who_may_act(keito, firm):
    invoice = keito.invoices.create(firm.client, line_items=[{"description": "Work",
                                                             "unit_price": "10"}])
    bot = Keito(api_key=firm.key, _clock=lambda: NOW)
    for call in (lambda: bot.invoices.create(firm.client),
                 lambda: bot.invoices.get(invoice.id),
                 lambda: bot.invoices.list(),
                 lambda: bot.invoices.lines.add(invoice.id, "More", unit_price=1),
                 lambda: bot.invoices.delete(invoice.id)):
        with pytest.raises(PermissionDeniedError):
            call()


def test_list_pages_with_a_cursor(keito, firm):
    ids = [keito.invoices.create(firm.client).id for _ in range(3)]
    first = keito.invoices.list(limit=2)
    assert first.has_more and len(first) == 2
    second = keito.invoices.list(limit=2, cursor=first.next_cursor)
    assert not second.has_more and second.next_cursor is None
    assert sorted(r.id for r in [*first, *second]) == sorted(ids)
    with pytest.raises(ValidationError):
        keito.invoices.list(cursor="bogus")


def test_the_async_client_has_the_same_calls(firm):
    async def main() -> tuple[Invoice, LineItem, list[InvoiceSummary]]:
        async with AsyncKeito(_clock=lambda: NOW) as client:
            invoice = await client.invoices.create(firm.client)
            line = await client.invoices.lines.add(invoice.id, "Work", unit_price="10")
            await client.invoices.issue(invoice.id)
            await client.invoices.payments.create(invoice.id, "4")
            page = await client.invoices.list(state="unpaid")
            return await client.invoices.get(invoice.id), line, page.data

    invoice, line, rows = asyncio.run(main())
    assert line.amount == Decimal("10.00")
    assert (invoice.state, invoice.due_amount) == ("open", Decimal("6.00"))
    assert [r.id for r in rows] == [invoice.id]
