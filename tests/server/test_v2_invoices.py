"""API v2 invoices and invoice messages: create, list, get, update and delete with the totals
in the database; who may see and change which invoice; sending by email through a real SMTP
server (tests/smtp_sink.py) and without one; every exchange checked against openapi-v2.yaml."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from smtp_sink import SmtpSink
from sqlmodel import func, select

from keito_core.models import Invoice, InvoiceLine, InvoiceMessage, Workspace
from keito_core.services.billing import invoices as billing
from keito_core.services.billing.lines import add_line
from keito_core.services.billing.payments import record_payment
from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PATH = "/api/v2/invoices"


def clock() -> datetime:
    return NOW


@pytest.fixture
def firm(workspace: Any) -> dict[str, str]:
    """Acme Corp (GBP; contact Gina) with WEB, Globex (EUR) with OPS. Max manages WEB and may
    draft and send invoices; Mo may draft but manages nothing; Bea is a member. Invoices:
    `january` (Acme, open, £1,200), `february` (Acme, draft, £300), `globex` (Globex, paid,
    €500), issued on the first of their months."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        made: dict[str, str] = {"ada": workspace.admin_id}
        made["acme"] = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW).id
        made["globex_client"] = clients.create_client(s, actor=admin, name="Globex",
                                                      currency="EUR", now=NOW).id
        clients.add_contact(s, actor=admin, client_ref=made["acme"], first_name="Gina",
                            email="gina@acme.test", now=NOW)
        made["web"] = projects.create_project(s, actor=admin, name="Website",
                                              client_ref="Acme Corp", code="WEB", now=NOW).id
        made["ops"] = projects.create_project(s, actor=admin, name="Ops", client_ref="Globex",
                                              code="OPS", now=NOW).id
        for name, grants in (("max", ["draft_invoices", "send_invoices"]),
                             ("mo", ["draft_invoices"])):
            made[name] = users.create_user(s, actor=admin, name=f"{name.title()} Manager",
                                           email=f"{name}@acme.test", role="manager",
                                           now=NOW).id
            users.edit_user(s, actor=admin, ref=made[name], grant=grants, now=NOW)
        made["bea"] = users.create_user(s, actor=admin, name="Bea Member",
                                        email="bea@acme.test", now=NOW).id
        assign_member(s, actor=admin, project_ref=made["web"], user_ref=made["max"],
                      manager=True, now=NOW)
        for key, client, day, price in (("january", "Acme Corp", "2026-01-01", "1200"),
                                        ("february", "Acme Corp", "2026-02-01", "300"),
                                        ("globex", "Globex", "2026-02-15", "500")):
            invoice = billing.new_invoice(s, actor=admin, client_ref=client,
                                          header=billing.Header(issue_date=day), now=NOW)
            add_line(s, actor=admin, invoice_ref=invoice.id, now=NOW,
                     values={"description": "Work", "unit_price": price})
            made[key] = invoice.id
        billing.mark_sent(s, actor=admin, ref=made["january"], now=NOW)
        billing.mark_sent(s, actor=admin, ref=made["globex"], now=NOW)
        record_payment(s, actor=admin, invoice_ref=made["globex"], amount="500",
                       paid_on=date(2026, 3, 1), now=NOW)
    return made


@pytest.fixture
def as_user(api_for: Any, firm: dict[str, str]) -> Any:
    """The API client of one of the firm's people, by name (spec-checked, tests/serving.py)."""
    return lambda name: api_for(firm[name], clock=clock)


def invoice_row(workspace: Any, invoice_id: str) -> Invoice | None:
    with workspace.session(readonly=True) as s:
        row = s.get(Invoice, invoice_id)
        if row is not None:
            s.expunge(row)
        return row


def count(workspace: Any, model: Any) -> int:
    with workspace.session(readonly=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def unchecked(api: Any, method: str, path: str, **kwargs: Any) -> Any:
    """A request whose answer's status the spec does not declare, its flat error checked."""
    answer = api.client.request(method, path, headers=api.headers, **kwargs)
    assert {"error", "error_description", "code"} <= set(answer.json())
    return answer


# --- create --------------------------------------------------------------------------------


def test_create_makes_a_draft_with_its_lines_and_totals(workspace, firm, as_user) -> None:
    answer = as_user("max").post(PATH, json={
        "client_id": firm["acme"], "subject": "March work", "issue_date": "2026-03-10",
        "payment_term": "net_15", "tax": 20, "purchase_order": "PO-7", "currency": "GBP",
        "period_start": "2026-03-01", "period_end": "2026-03-31",
        "line_items": [
            {"description": "Design", "quantity": 2.5, "unit_price": 100, "taxed": True,
             "project_id": firm["web"]},
            {"kind": "Product", "description": "Licence", "unit_price": 49.99}]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    row = invoice_row(workspace, body["id"])
    assert row is not None
    assert (row.state, row.subject, row.purchase_order) == ("draft", "March work", "PO-7")
    assert (row.issue_date, row.due_date, row.payment_terms) == (
        date(2026, 3, 10), date(2026, 3, 25), "net_15")
    assert (row.period_start, row.period_end) == (date(2026, 3, 1), date(2026, 3, 31))
    assert (row.subtotal, row.tax1_amount, row.total) == (
        Decimal("299.99"), Decimal("50.00"), Decimal("349.99"))
    assert row.created_by_id == firm["max"]
    assert (body["amount"], body["due_amount"], body["tax"], body["tax_amount"]) == (
        349.99, 349.99, 20, 50)
    assert (body["state"], body["payment_term"], body["currency"]) == ("draft", "net_15", "GBP")
    assert body["client"] == {"id": firm["acme"], "name": "Acme Corp"}
    assert body["creator"] == {"id": firm["max"], "name": "Max Manager",
                               "email": "max@acme.test"}
    design, licence = body["line_items"]
    assert (design["kind"], design["quantity"], design["unit_price"], design["amount"],
            design["taxed"], design["taxed2"], design["project_id"]) == (
        "Service", 2.5, 100, 250, True, False, firm["web"])
    assert (licence["kind"], licence["quantity"], licence["amount"], licence["taxed"]) == (
        "Product", 1, 49.99, False)


@pytest.mark.parametrize(("who", "sent", "status", "field"), [
    ("mo", {"client_id": "Acme Corp"}, 403, None),  # manages no project of Acme
    ("bea", {"client_id": "Acme Corp"}, 403, None),
    ("ada", {"subject": "No client"}, 400, "client_id"),
    ("ada", {"client_id": "cli_nobody"}, 400, "client"),  # not found: the spec's 400
    ("ada", {"client_id": "Acme Corp", "currency": "EUR"}, 400, "currency"),
    ("ada", {"client_id": "Acme Corp", "line_items": [{"quantity": "2"}]}, 400,
     "line_items[1].quantity"),
    ("ada", {"client_id": "Acme Corp", "line_items": [{"description": "Free", "quantity": 0}]},
     400, "line_items[1].quantity"),
])
def test_refused_creates_change_nothing(workspace, firm, as_user, who, sent, status,
                                        field) -> None:
    answer = as_user(who).post(PATH, json=sent, check_request=False)
    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert count(workspace, Invoice) == 3 and count(workspace, InvoiceLine) == 3


# --- list and get --------------------------------------------------------------------------


def listed(api: Any, **params: Any) -> list[str]:
    answer = api.get(PATH, params=params)
    assert answer.status_code == 200, answer.text
    return [x["id"] for x in answer.json()["invoices"]]


def test_the_list_is_whole_invoices_newest_first_as_each_role_may_see(
        workspace, firm, as_user) -> None:
    api = as_user("ada")
    body = api.get(PATH).json()
    assert [x["id"] for x in body["invoices"]] == [firm["globex"], firm["february"],
                                                   firm["january"]]
    globex = body["invoices"][0]
    assert (globex["state"], globex["amount"], globex["due_amount"], globex["currency"]) == (
        "paid", 500, 0, "EUR")
    assert globex["paid_at"] is not None and globex["paid_amount"] == 500
    assert [line["amount"] for line in globex["line_items"]] == [500]
    assert globex == api.get(f"{PATH}/{firm['globex']}").json()
    # Max sees Acme's (he manages WEB), not Globex's; Bea no invoices at all.
    assert listed(as_user("max")) == [firm["february"], firm["january"]]
    assert unchecked(as_user("bea"), "GET", PATH).status_code == 403
    refused = unchecked(as_user("max"), "GET", f"{PATH}/{firm['globex']}")
    assert refused.status_code == 403


def test_the_list_filters_and_pages(workspace, firm, as_user) -> None:
    api = as_user("ada")
    assert listed(api, state="open") == [firm["january"]]
    assert listed(api, state="draft") == [firm["february"]]
    assert listed(api, client_id=firm["globex_client"]) == [firm["globex"]]
    assert listed(api, **{"from": "2026-02-01", "to": "2026-02-14"}) == [firm["february"]]
    assert listed(api, updated_since="2026-03-10T12:00:00Z") == listed(api)
    assert listed(api, updated_since="2026-03-10T12:00:01Z") == []
    page = api.get(PATH, params={"per_page": 2, "page": 2}).json()
    assert [x["id"] for x in page["invoices"]] == [firm["january"]]
    assert (page["total_entries"], page["total_pages"], page["previous_page"]) == (3, 2, 1)
    assert unchecked(api, "GET", f"{PATH}?state=overdue").status_code == 400


def test_get_of_an_unknown_invoice_is_a_404(workspace, firm, as_user) -> None:
    answer = as_user("ada").get(f"{PATH}/inv_nobody")
    assert answer.status_code == 404 and answer.json()["field"] == "id"


# --- update and delete ---------------------------------------------------------------------


def test_update_changes_the_header_and_totals(workspace, firm, as_user) -> None:
    answer = as_user("max").patch(f"{PATH}/{firm['february']}", json={
        "subject": "February", "discount": 10, "due_date": "2026-03-03"})
    assert answer.status_code == 200, answer.text
    row = invoice_row(workspace, firm["february"])
    assert row is not None
    assert (row.subject, row.discount_percent, row.total) == (
        "February", Decimal(10), Decimal("270.00"))
    assert (row.due_date, row.payment_terms, row.payment_term_days) == (
        date(2026, 3, 3), "custom", 30)
    body = answer.json()
    assert (body["amount"], body["discount"], body["discount_amount"], body["subject"]) == (
        270, 10, 30, "February")


@pytest.mark.parametrize(("who", "invoice", "sent", "status"), [
    ("mo", "february", {"subject": "Mine"}, 403),
    ("max", "globex", {"subject": "Mine"}, 403),
    ("ada", "globex", {"subject": "Paid already"}, 403),  # locked (409): the spec's 403
    ("ada", "nobody", {"subject": "Nobody"}, 404),
])
def test_refused_updates_change_nothing(workspace, firm, as_user, who, invoice, sent,
                                        status) -> None:
    before = invoice_row(workspace, firm.get(invoice, "inv_nobody"))
    answer = as_user(who).patch(f"{PATH}/{firm.get(invoice, 'inv_nobody')}", json=sent)
    assert answer.status_code == status, answer.text
    after = invoice_row(workspace, firm.get(invoice, "inv_nobody"))
    if before is None:
        assert after is None
    else:
        assert after is not None
        assert (after.subject, after.updated_at) == (before.subject, before.updated_at)


def test_delete_removes_a_draft(workspace, firm, as_user) -> None:
    answer = as_user("ada").delete(f"{PATH}/{firm['february']}")
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"id": firm["february"], "deleted": True}
    assert invoice_row(workspace, firm["february"]) is None


@pytest.mark.parametrize(("who", "invoice", "status"), [
    ("max", "february", 403),  # administrators only
    ("ada", "january", 403),  # sent: the spec deletes drafts only
    ("ada", "nobody", 404),
])
def test_refused_deletes_change_nothing(workspace, firm, as_user, who, invoice,
                                        status) -> None:
    answer = as_user(who).delete(f"{PATH}/{firm.get(invoice, 'inv_nobody')}")
    assert answer.status_code == status, answer.text
    assert count(workspace, Invoice) == 3


# --- messages ------------------------------------------------------------------------------


def test_sending_without_a_mail_server_is_a_400_and_changes_nothing(
        workspace, firm, as_user) -> None:
    answer = as_user("max").post(f"{PATH}/{firm['february']}/messages", json={
        "recipients": [{"name": "Gina", "email": "gina@acme.test"}]})
    assert answer.status_code == 400
    assert (answer.json()["code"], answer.json()["field"]) == ("config_error", "smtp.host")
    row = invoice_row(workspace, firm["february"])
    assert row is not None and row.state == "draft"
    assert count(workspace, InvoiceMessage) == 2  # the two mark-sent events


def test_sending_emails_the_invoice_opens_it_and_lists_the_message(
        workspace, firm, as_user) -> None:
    with SmtpSink() as sink:
        with workspace.session() as s:
            ws = s.exec(select(Workspace)).one()
            ws.smtp_host, ws.smtp_port = sink.host, sink.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
        api = as_user("max")
        answer = api.post(f"{PATH}/{firm['february']}/messages", json={
            "recipients": [{"name": "Gina Green", "email": "gina@acme.test"}],
            "subject": "Invoice for February", "body": "Please find it attached.",
            "attach_pdf": False, "send_me_a_copy": True, "event_type": "send"})
        assert answer.status_code == 200, answer.text
        [mail] = sink.messages
    assert mail.recipients == ["gina@acme.test", "max@acme.test"]
    assert mail.message["Subject"] == "Invoice for February"
    body = answer.json()
    assert (body["invoice_id"], body["event_type"], body["subject"]) == (
        firm["february"], "send", "Invoice for February")
    assert body["recipients"] == [{"name": "Gina Green", "email": "gina@acme.test"}]
    assert (body["sent_by"], body["sent_by_email"]) == ("Max Manager", "max@acme.test")
    assert (body["attach_pdf"], body["send_me_a_copy"], body["reminder"]) == (
        False, True, False)
    row = invoice_row(workspace, firm["february"])
    assert row is not None and row.state == "open" and row.sent_at is not None
    history = api.get(f"{PATH}/{firm['february']}/messages").json()
    assert history["total_entries"] == 1
    assert history["invoice_messages"][0]["id"] == body["id"]


def test_messages_list_the_history_newest_first_in_pages(workspace, firm, as_user) -> None:
    with workspace.session() as s:
        billing.close_invoice(s, actor=workspace.actor(s), ref=firm["january"], now=NOW)
    api = as_user("ada")
    first = api.get(f"{PATH}/{firm['january']}/messages", params={"per_page": 1}).json()
    assert (first["total_entries"], first["total_pages"]) == (2, 2)
    assert first["invoice_messages"][0]["event_type"] == "close"
    second = api.get(first["links"]["next"]).json()
    assert second["invoice_messages"][0]["event_type"] == "mark_sent"
    refused = unchecked(as_user("max"), "GET", f"{PATH}/{firm['globex']}/messages")
    assert refused.status_code == 403


@pytest.mark.parametrize(("who", "invoice", "sent", "status", "field"), [
    ("mo", "february", {"recipients": [{"name": "G", "email": "g@acme.test"}]}, 403, None),
    ("max", "february", {"recipients": [{"name": "G", "email": "g@acme.test"}],
                         "event_type": "reminder"}, 400, None),  # a draft: 409 -> 400
    ("max", "february", {"recipients": [{"name": "G"}]}, 400, "email"),
    ("max", "february", {"recipients": [{"name": "G", "email": "g@acme.test"}],
                         "event_type": "invoice"}, 400, "event_type"),
    ("max", "nobody", {"recipients": [{"name": "G", "email": "g@acme.test"}]}, 400, "id"),
])
def test_refused_messages_send_and_record_nothing(workspace, firm, as_user, who, invoice,
                                                  sent, status, field) -> None:
    with SmtpSink() as sink:
        with workspace.session() as s:
            ws = s.exec(select(Workspace)).one()
            ws.smtp_host, ws.smtp_port = sink.host, sink.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
        answer = as_user(who).post(f"{PATH}/{firm.get(invoice, 'inv_nobody')}/messages",
                                   json=sent, check_request=False)
        assert answer.status_code == status, answer.text
        assert answer.json().get("field") == field
        assert sink.messages == []
    assert count(workspace, InvoiceMessage) == 2
    row = invoice_row(workspace, firm["february"])
    assert row is not None and row.state == "draft"
