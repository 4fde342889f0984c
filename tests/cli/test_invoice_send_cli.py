"""`keito invoice send` against a real local SMTP server: the message the client gets, the
history it leaves, the draft it opens; without SMTP settings a config_error that changes
nothing."""

from __future__ import annotations

import pytest
from smtp_sink import SmtpSink
from test_invoice_cli import NOVEMBER, NOW, clock, firm, ok, refused  # noqa: F401

from keito_core.platform.identity import get_workspace
from keito_core.services.directory import clients


@pytest.fixture
def draft(cli, firm):  # noqa: ANN001, ANN201, F811 - the fixtures imported above
    """Globex's November draft; Globex has a contact with an email."""
    return ok(cli, "invoice", "create", "--client", "Globex", *NOVEMBER, "--json")


@pytest.fixture
def sink(workspace):  # noqa: ANN001, ANN201
    with SmtpSink() as server:
        with workspace.session() as s:
            ws = get_workspace(s)
            ws.smtp_host, ws.smtp_port = server.host, server.port
            ws.smtp_starttls, ws.smtp_from = False, "billing@acme.test"
            clients.add_contact(s, actor=workspace.actor(s), client_ref="Globex",
                                first_name="Grace", last_name="Hopper",
                                email="grace@globex.test", now=NOW)
        yield server


def test_without_smtp_settings_sending_is_a_config_error_that_changes_nothing(cli, draft):  # noqa: ANN001
    error = refused(cli, "config_error", 8, "invoice", "send", draft["number"])
    assert error["field"] == "smtp.host"
    assert ok(cli, "invoice", "show", draft["number"]) == draft


def test_send_to_chosen_people_with_a_body_from_a_file(cli, draft, sink, tmp_path):  # noqa: ANN001
    body = tmp_path / "note.txt"
    body.write_text("Dear Jane,\n\nHere is {invoice_number}.\n", encoding="utf-8")
    sent = ok(cli, "invoice", "send", draft["number"], "--to", "Jane Roe <jane@globex.test>",
              "--cc-me", "--subject", "November's invoice", "--body-file", str(body))
    assert (sent["event_type"], sent["subject"], sent["attach_pdf"], sent["send_me_a_copy"]) == (
        "send", "November's invoice", True, True)
    assert sent["recipients"] == [{"name": "Jane Roe", "email": "jane@globex.test"}]
    assert (sent["invoice"]["number"], sent["invoice"]["state"]) == (draft["number"], "open")
    [received] = sink.messages
    assert sorted(received.recipients) == ["ada@acme.test", "jane@globex.test"]
    attached = [part.get_filename() for part in received.message.iter_attachments()]
    assert f"{draft['number']}.pdf" in attached
    history = ok(cli, "invoice", "show", draft["number"])["messages"]
    assert [m["id"] for m in history] == [sent["id"]]


def test_a_reminder_to_the_clients_contacts_without_the_pdf(terminal, draft, sink):  # noqa: ANN001
    number = draft["number"]
    terminal("invoice", "issue", number)
    result = terminal("invoice", "send", number, "--reminder", "--no-pdf")
    assert result.exit_code == 0, result
    assert result.stdout == (f"✓ Sent a reminder for {number} to grace@globex.test; it is "
                             "open, $1,612.64 due\n")
    [received] = sink.messages
    assert received.recipients == ["grace@globex.test"]
    assert not any(part.get_filename() == f"{number}.pdf"
                   for part in received.message.iter_attachments())
    reminder = terminal("invoice", "show", number, "--json").json["messages"][-1]
    assert (reminder["event_type"], reminder["reminder"], reminder["attach_pdf"]) == (
        "reminder", True, False)


def test_contradicting_options_are_refused_before_anything_is_sent(cli, draft, sink, tmp_path):  # noqa: ANN001
    number = draft["number"]
    refused(cli, "validation_error", 2, "invoice", "send", number, "--reminder", "--thank-you")
    note = tmp_path / "note.txt"
    note.write_text("Hello", encoding="utf-8")
    refused(cli, "validation_error", 2, "invoice", "send", number, "--body", "Hi",
            "--body-file", str(note))
    refused(cli, "validation_error", 2, "invoice", "send", number, "--body-file",
            str(tmp_path / "missing.txt"))
    assert sink.messages == []
    assert ok(cli, "invoice", "show", number)["state"] == "draft"
