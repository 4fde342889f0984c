"""Invoices by email against a real local SMTP server: the message, its attachments, the
history and the state it leaves, and failures that record nothing."""

from __future__ import annotations

import io
import socket
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from smtp_sink import SmtpSink
from sqlmodel import col, select

from keito_core.enums import InvoiceState, ManagerPermission, Role
from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, Invoice, InvoiceMessage, Project, ProjectMember, User
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.notices import take_warnings
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import lines, payments, sending
from keito_core.services.billing.invoices import Header
from keito_core.services.directory import clients

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def billing(workspace):
    """Client Globex (USD) with contacts Grace (email), Hal (no email) and Ida (email); a
    draft INV-2026-0001 of 288.90 (Harvest's example) on project Globex Web; Max, a manager
    of that project who may only draft; Mia, a member."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        client = clients.create_client(s, actor=admin, name="Globex", currency="USD", now=NOW)
        clients.add_contact(s, actor=admin, client_ref=client.id, first_name="Grace",
                            last_name="Hopper", email="grace@globex.test", now=NOW)
        clients.add_contact(s, actor=admin, client_ref=client.id, first_name="Hal", now=NOW)
        clients.add_contact(s, actor=admin, client_ref=client.id, first_name="Ida",
                            last_name="Rhodes", email="ida@globex.test", now=NOW)
        web = Project(id=new_id("project"), client_id=client.id, name="Globex Web",
                      handle="web")
        max_ = User(id=new_id("user"), name="Max Manager", email="max@acme.test",
                    role=Role.MANAGER,
                    manager_permissions=[ManagerPermission.DRAFT_INVOICES.value])
        mia = User(id=new_id("user"), name="Mia Member", email="mia@acme.test",
                   role=Role.MEMBER)
        s.add_all([web, max_, mia])
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=web.id, user_id=max_.id,
                            is_project_manager=True))
        invoice = svc.new_invoice(s, actor=admin, client_ref="Globex", now=NOW,
                                  header=Header(discount="10", tax="5", tax2="2",
                                                subject="November work"))
        for description, quantity in (("Workshop", "2"), ("Licence", "1")):
            lines.add_line(s, actor=admin, invoice_ref=invoice.number, now=NOW,
                           values={"description": description, "quantity": quantity,
                                   "unit_price": "100", "project": "web"})
        ws = get_workspace(s)
        ws.email_footer = "Bank: Acme Bank, sort code 00-00-00"
    return {"invoice": invoice.id, "number": invoice.number, "max": max_.id, "mia": mia.id}


@pytest.fixture
def sink(workspace):
    """A local SMTP server the workspace sends through (no TLS, no login)."""
    with SmtpSink() as server:
        with workspace.session() as s:
            ws = get_workspace(s)
            ws.smtp_host, ws.smtp_port = server.host, server.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
        yield server


def _send(workspace, ref, *, user=None, **kw):
    args = {"actor": None, "ref": ref, "env": {}, "now": NOW} | kw
    with workspace.session() as s:
        args["actor"] = workspace.actor(s, user)
        message = sending.send_invoice(s, **args)
        warnings = take_warnings(s)
        return message.id, warnings


def _invoice(workspace, invoice_id) -> Invoice:
    with workspace.session(readonly=True) as s:
        invoice = s.get(Invoice, invoice_id)
        s.expunge(invoice)
        return invoice


def _history(workspace, invoice_id) -> list[InvoiceMessage]:
    with workspace.session(readonly=True) as s:
        rows = list(s.exec(select(InvoiceMessage).where(InvoiceMessage.invoice_id == invoice_id)
                           .order_by(col(InvoiceMessage.created_at), col(InvoiceMessage.id))))
        for row in rows:
            s.expunge(row)
        return rows


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def _attachments(message) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.iter_attachments()}


def test_the_invoice_arrives_with_its_pdf_and_page_and_the_draft_opens(workspace, billing,
                                                                        sink):
    number = billing["number"]
    message_id, warnings = _send(workspace, number, cc_me=True)
    assert warnings == []
    [received] = sink.messages
    mail = received.message
    assert mail["To"] == "Grace Hopper <grace@globex.test>, Ida Rhodes <ida@globex.test>"
    assert mail["Cc"] == "Ada Admin <ada@acme.test>"
    assert mail["From"] == "Acme Consulting <billing@acme.test>"
    assert mail["Reply-To"] == "ada@acme.test"
    assert sorted(received.recipients) == ["ada@acme.test", "grace@globex.test",
                                           "ida@globex.test"]
    assert mail["Subject"] == f"Invoice {number} from Acme Consulting"
    text = _text(mail)
    assert "Hello Globex," in text
    assert f"invoice {number} for $288.90, due on 2027-01-01" in text
    assert text.endswith(f"Acme Consulting\n\n--\n{number}.html, attached, shows this "
                         "invoice in any web browser.\n\nBank: Acme Bank, sort code 00-00-00\n")
    files = _attachments(mail)
    assert set(files) == {f"{number}.pdf", f"{number}.html"}
    kind, pdf = files[f"{number}.pdf"]
    assert kind == "application/pdf" and pdf.startswith(b"%PDF")
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert number in pdf_text and "288.90" in pdf_text
    assert "DRAFT" not in pdf_text  # rendered once opened
    kind, page = files[f"{number}.html"]
    assert kind == "text/html" and number.encode() in page and b"288.90" in page
    invoice = _invoice(workspace, billing["invoice"])
    assert (invoice.state, invoice.sent_at) == (InvoiceState.OPEN, NOW)
    [entry] = _history(workspace, billing["invoice"])
    assert entry.id == message_id
    assert (entry.event_type, entry.subject, entry.attach_pdf, entry.send_me_a_copy,
            entry.sent_from_email) == ("send", mail["Subject"], True, True, "ada@acme.test")
    assert entry.recipients == [{"name": "Grace Hopper", "email": "grace@globex.test"},
                                {"name": "Ida Rhodes", "email": "ida@globex.test"}]
    assert entry.body == text
    with workspace.session(readonly=True) as s:
        changes = s.exec(select(AuditEvent.changes).where(AuditEvent.action == "invoice.send")
                         ).one()
    assert changes["state"] == ["draft", "open"]
    assert changes["to"] == ["grace@globex.test", "ida@globex.test"]


def test_compose_prefills_what_send_would_send(workspace, billing, sink):
    with workspace.session(readonly=True) as s:
        draft = sending.compose_message(s, actor=workspace.actor(s), ref=billing["number"],
                                        kind="send", now=NOW)
    assert draft.to == ["Grace Hopper <grace@globex.test>", "Ida Rhodes <ida@globex.test>"]
    assert draft.cc == ["Ada Admin <ada@acme.test>"]
    assert draft.attachment_name == f"{billing['number']}.pdf"
    assert draft.portal_name == f"{billing['number']}.html"
    assert draft.sender == "Acme Consulting <billing@acme.test>"
    _send(workspace, billing["number"])
    mail = sink.messages[0].message
    assert mail["Subject"] == draft.subject
    assert _text(mail) == draft.body
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.email_invoice_body, ws.email_footer = "See {portal} or {number}.pdf.", None
        draft = sending.compose_message(s, actor=workspace.actor(s), ref=billing["number"],
                                        now=NOW)
    assert draft.body == f"See {billing['number']}.html or {billing['number']}.pdf.\n"


def test_an_edited_message_to_chosen_people_fills_placeholders_and_keeps_unknown_ones(
        workspace, billing, sink):
    _send(workspace, billing["number"], recipients=['"Doe, Jane" <Jane@Example.test>',
                                                    "bob@example.test, bob@example.test",
                                                    "=?utf-8?b?Wm/DqyBNw7xsbGVy?= <z@x.test>"],
          subject="{number}: {subject} {nope}", attach_pdf=False,
          body="Due {due_amount} by {due_date} ({issue_date}); a literal { and {} and {x}."
               "\n{footer}")
    mail = sink.messages[0].message
    assert mail["To"] == '"Doe, Jane" <jane@example.test>, bob@example.test, Zoë Müller <z@x.test>'
    assert mail["Cc"] is None
    assert mail["Subject"] == f"{billing['number']}: November work {{nope}}"
    assert _text(mail).rstrip() == (
        "Due $288.90 by 2027-01-01 (2026-12-02); a literal { and {} and {x}.\n"
        "Bank: Acme Bank, sort code 00-00-00")
    assert set(_attachments(mail)) == {f"{billing['number']}.html"}
    [entry] = _history(workspace, billing["invoice"])
    assert entry.attach_pdf is False and entry.send_me_a_copy is False
    assert entry.recipients[2] == {"name": "Zoë Müller", "email": "z@x.test"}


def test_reminder_for_open_invoices_and_thank_you_for_payments(workspace, billing, sink):
    number = billing["number"]
    for kind in ("reminder", "thank_you"):
        with workspace.session() as s, pytest.raises(KeitoError) as early:
            sending.send_invoice(s, actor=workspace.actor(s), ref=number, kind=kind, env={},
                                 now=NOW)
        assert early.value.code == "conflict"
    _send(workspace, number)
    _send(workspace, number, kind="reminder")
    reminder = sink.messages[-1].message
    assert reminder["Subject"] == f"Reminder: invoice {number} from Acme Consulting is overdue"
    assert "The outstanding balance is $288.90." in _text(reminder)
    with workspace.session() as s:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=number,
                                amount="88.90", now=NOW)
    _send(workspace, number, kind="thank_you")
    thanks = sink.messages[-1].message
    assert thanks["Subject"] == f"Thank you for your payment of invoice {number}"
    assert "We received your payment of $88.90. Thank you!" in _text(thanks)
    _send(workspace, number, kind="thank-you", body="Got {payment}; {due_amount} to go.")
    assert _text(sink.messages[-1].message).rstrip() == "Got $88.90; $200.00 to go."
    assert [m.event_type for m in _history(workspace, billing["invoice"])] == [
        "send", "reminder", "thank_you", "thank_you"]
    assert _invoice(workspace, billing["invoice"]).state is InvoiceState.OPEN


def test_without_smtp_settings_a_config_error_names_them(workspace, billing):
    for call in (sending.compose_message, sending.send_invoice):
        with workspace.session() as s, pytest.raises(KeitoError) as refused:
            extra = {"env": {}} if call is sending.send_invoice else {}
            call(s, actor=workspace.actor(s), ref=billing["number"], now=NOW, **extra)
        assert refused.value.code == "config_error"
        assert refused.value.field == "smtp.host"
        assert "keito settings set smtp.host" in (refused.value.hint or "")
    assert _invoice(workspace, billing["invoice"]).state is InvoiceState.DRAFT


def test_a_server_refusing_the_message_records_nothing(workspace, billing, sink):
    sink.state.refused = {"grace@globex.test", "ida@globex.test"}
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"], env={},
                             now=NOW)
    assert refused.value.code == "remote_error"
    assert "550" in refused.value.message and "grace@globex.test" in refused.value.message
    assert sink.messages == []
    assert _invoice(workspace, billing["invoice"]).state is InvoiceState.DRAFT
    assert _history(workspace, billing["invoice"]) == []
    with workspace.session(readonly=True) as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "invoice.send")).all() == []


def test_a_refused_login_is_a_config_error_and_records_nothing(workspace, billing, sink):
    sink.state.credentials = ("mailer", "s3cret")
    with workspace.session() as s:
        get_workspace(s).smtp_username = "mailer"
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"],
                             env={"KEITO_SMTP_PASSWORD": "wrong"}, now=NOW)
    assert (refused.value.code, refused.value.field) == ("config_error", "smtp.username")
    assert _history(workspace, billing["invoice"]) == []
    _send(workspace, billing["number"], env={"KEITO_SMTP_PASSWORD": "s3cret"})
    assert sink.state.logins == ["mailer"] and len(sink.messages) == 1


def test_one_refused_recipient_is_warned_about_and_left_out_of_the_history(workspace, billing,
                                                                           sink):
    sink.state.refused = {"ida@globex.test"}
    _, warnings = _send(workspace, billing["number"])
    assert [m.recipients for m in sink.messages] == [["grace@globex.test"]]
    assert warnings == ["the mail server refused ida@globex.test: 550 5.1.1 No such user here"]
    [entry] = _history(workspace, billing["invoice"])
    assert entry.recipients == [{"name": "Grace Hopper", "email": "grace@globex.test"}]


def test_an_unreachable_server_is_a_network_error(workspace, billing):
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.smtp_host, ws.smtp_port, ws.smtp_from = "127.0.0.1", port, "billing@acme.test"
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"], env={},
                             now=NOW)
    assert refused.value.code == "network_error"
    assert f"127.0.0.1:{port}" in refused.value.message
    assert _invoice(workspace, billing["invoice"]).state is InvoiceState.DRAFT


def test_bad_recipients_and_a_client_without_email_are_refused(workspace, billing, sink):
    bad = [(["not-an-address"], "not an email address"),
           (["Eve <eve@nowhere>"], "not an email address"),
           (["a@b.test\r\nBcc: x@y.test"], "line breaks")]
    for recipients, text in bad:
        with workspace.session() as s, pytest.raises(KeitoError) as refused:
            sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"],
                                 recipients=recipients, env={}, now=NOW)
        assert refused.value.code == "validation_error" and text in refused.value.message
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"],
                             subject="one\nBcc: x@y.test", env={}, now=NOW)
    assert refused.value.field == "subject"
    with workspace.session() as s:
        admin = workspace.actor(s)
        clients.create_client(s, actor=admin, name="Initech", now=NOW)
        lonely = svc.new_invoice(s, actor=admin, client_ref="Initech", now=NOW)
        lines.add_line(s, actor=admin, invoice_ref=lonely.number, now=NOW,
                       values={"description": "Work", "unit_price": "10"})
    with workspace.session() as s, pytest.raises(KeitoError) as nobody:
        sending.send_invoice(s, actor=workspace.actor(s), ref=lonely.number, env={}, now=NOW)
    assert nobody.value.field == "to" and "Initech has no contact" in nobody.value.message
    assert sink.messages == []


def test_only_those_who_may_send_invoices_do(workspace, billing, sink):
    for who in ("mia", "max"):  # a member; a manager who may draft but not send
        with workspace.session() as s, pytest.raises(KeitoError) as refused:
            sending.send_invoice(s, actor=workspace.actor(s, billing[who]),
                                 ref=billing["number"], env={}, now=NOW)
        assert refused.value.code == "authorization_error"
    with workspace.session() as s:
        s.get(User, billing["max"]).manager_permissions = [
            ManagerPermission.DRAFT_INVOICES.value, ManagerPermission.SEND_INVOICES.value]
    _send(workspace, billing["number"], user=billing["max"])
    assert len(sink.messages) == 1
    assert _history(workspace, billing["invoice"])[0].sent_from_email == "max@acme.test"


def test_paid_and_closed_invoices_are_not_sent_again(workspace, billing, sink):
    number = billing["number"]
    _send(workspace, number)
    with workspace.session() as s:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=number,
                                amount=Decimal("288.90"), now=NOW)
    with workspace.session() as s, pytest.raises(KeitoError) as paid:
        sending.send_invoice(s, actor=workspace.actor(s), ref=number, env={}, now=NOW)
    assert paid.value.code == "conflict" and "thank" in (paid.value.hint or "")
    _send(workspace, number, kind="thank_you")
    assert "payment of $288.90" in _text(sink.messages[-1].message)


def test_starttls_asked_of_a_server_without_it_is_a_config_error(workspace, billing, sink):
    with workspace.session() as s:
        get_workspace(s).smtp_starttls = True
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        sending.send_invoice(s, actor=workspace.actor(s), ref=billing["number"], env={},
                             now=NOW)
    assert (refused.value.code, refused.value.field) == ("config_error", "smtp.starttls")
    assert "STARTTLS" in refused.value.message
    assert sink.messages == [] and _history(workspace, billing["invoice"]) == []
