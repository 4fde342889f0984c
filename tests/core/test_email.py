"""Email over SMTP against a real local server: settings, delivery, failures that lose nothing."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
from smtp_sink import SmtpSink
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.io.email import SmtpSettings, send_pending, smtp_settings
from keito_core.models import Notification, User
from keito_core.platform.identity import get_workspace
from keito_core.services.directory import users
from keito_core.services.inbox.notifications import notify

NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def people(workspace):
    """Ada (admin), Bea (member), Cy (member who turned email off) and an agent."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        bea = users.create_user(s, actor=actor, name="Bea Member", email="bea@acme.test", now=NOW)
        cy = users.create_user(s, actor=actor, name="Cy Quiet", email="cy@acme.test", now=NOW)
        cy.notify_email = False
        bot = users.create_user(s, actor=actor, name="review-bot", agent=True, now=NOW)
        workspace.ids = {"ada": workspace.admin_id, "bea": bea.id, "cy": cy.id, "bot": bot.id}
    return workspace


def _settings(sink: SmtpSink, **overrides: object) -> SmtpSettings:
    values: dict = {"host": sink.host, "port": sink.port, "sender": "keito@acme.test",
                    "starttls": False, "timeout": 5.0}
    values.update(overrides)
    return SmtpSettings(**values)


def _notify_everyone(workspace, *, now=NOW) -> list[str]:
    with workspace.session() as s:
        rows = notify(s, user_ids=workspace.ids.values(), kind="timesheet_approved",
                      title="Your timesheet was approved", body="Week of 2 March: approved.",
                      subject_type="submission", subject_id="sub_x", now=now)
        return [r.id for r in rows]


def _emailed(workspace) -> dict[str, datetime | None]:
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification)).all()
        return {s.get(User, r.user_id).name: r.emailed_at for r in rows}


def test_no_smtp_host_means_in_app_only(workspace):
    with workspace.session(readonly=True) as s:
        assert smtp_settings(get_workspace(s), env={}) is None


def test_smtp_settings_come_from_the_workspace_and_the_password_from_the_environment(workspace):
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.smtp_host, ws.smtp_port, ws.smtp_username = "mail.acme.test", 2525, "mailer@acme.test"
        settings = smtp_settings(ws, env={"KEITO_SMTP_PASSWORD": "s3cret"})
    assert settings is not None
    assert (settings.host, settings.port, settings.starttls) == ("mail.acme.test", 2525, True)
    assert settings.sender == "mailer@acme.test"  # no smtp.from: the user name is an address
    assert settings.password == "s3cret"
    assert "s3cret" not in repr(settings)
    assert not settings.implicit_tls


def test_a_server_without_a_from_address_is_a_config_error(workspace):
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.smtp_host, ws.smtp_username = "mail.acme.test", "mailer"
        with pytest.raises(KeitoError) as caught:
            smtp_settings(ws, env={})
    assert caught.value.code == "config_error"
    assert caught.value.field == "smtp.from"


def test_send_pending_emails_humans_who_want_email_once(people):
    _notify_everyone(people)
    with SmtpSink() as sink:
        with people.session() as s:
            delivery = send_pending(s, smtp=_settings(sink), company="Acme Consulting", now=NOW)
        assert delivery.error is None and delivery.failed == []
        assert len(delivery.sent) == 2
        received = sorted(sink.messages, key=lambda m: m.recipients[0])
        assert [m.recipients for m in received] == [["ada@acme.test"], ["bea@acme.test"]]
        message = received[1].message
        assert message["Subject"] == "Your timesheet was approved"
        assert message["From"] == "keito@acme.test"
        assert message["To"] == "Bea Member <bea@acme.test>"
        assert message["Message-ID"]
        assert "Week of 2 March: approved." in message.get_content()
        assert "Acme Consulting" in message.get_content()
        # A second run finds nothing left to send.
        with people.session() as s:
            again = send_pending(s, smtp=_settings(sink), company="Acme Consulting", now=NOW)
        assert again.sent == [] and len(sink.messages) == 2
    emailed = _emailed(people)
    assert emailed["Ada Admin"] == NOW and emailed["Bea Member"] == NOW
    assert emailed["Cy Quiet"] is None and emailed["review-bot"] is None


def test_send_pending_can_be_limited_to_given_notifications_and_skips_stale_ones(people):
    old = _notify_everyone(people, now=NOW - timedelta(days=30))
    fresh = _notify_everyone(people)
    with SmtpSink() as sink, people.session() as s:
        only = [fresh[1]]  # Bea's
        delivery = send_pending(s, smtp=_settings(sink), company="Acme", now=NOW, ids=only)
        assert delivery.sent == only
        rest = send_pending(s, smtp=_settings(sink), company="Acme", now=NOW)
        assert rest.sent == [fresh[0]]  # Ada's fresh one; the month-old ones are stale
        assert s.get(Notification, old[0]).emailed_at is None


def test_login_with_the_password(people):
    _notify_everyone(people)
    with SmtpSink() as sink:
        sink.state.credentials = ("mailer", "s3cret")
        with people.session() as s:
            delivery = send_pending(
                s, smtp=_settings(sink, username="mailer", password="s3cret"), company="Acme",
                now=NOW)
        assert len(delivery.sent) == 2
        assert sink.state.logins == ["mailer"]


def test_a_refused_login_loses_nothing(people):
    ids = _notify_everyone(people)
    with SmtpSink() as sink:
        sink.state.credentials = ("mailer", "s3cret")
        with people.session() as s:
            delivery = send_pending(
                s, smtp=_settings(sink, username="mailer", password="wrong"), company="Acme",
                now=NOW)
        assert sink.messages == []
    assert delivery.sent == []
    assert delivery.error is not None and "535" in delivery.error
    assert sorted(f["id"] for f in delivery.failed) == sorted(ids[:2])
    assert all(value is None for value in _emailed(people).values())


def test_a_refused_recipient_fails_alone(people):
    _notify_everyone(people)
    with SmtpSink() as sink:
        sink.state.refused = {"bea@acme.test"}
        with people.session() as s:
            delivery = send_pending(s, smtp=_settings(sink), company="Acme", now=NOW)
        assert [m.recipients for m in sink.messages] == [["ada@acme.test"]]
    assert delivery.error is None
    assert len(delivery.sent) == 1 and len(delivery.failed) == 1
    assert "550" in delivery.failed[0]["error"]
    emailed = _emailed(people)
    assert emailed["Ada Admin"] == NOW and emailed["Bea Member"] is None


def test_an_unreachable_server_loses_nothing(people):
    _notify_everyone(people)
    with socket.socket() as probe:  # a port that was free a moment ago: nobody listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = SmtpSettings(host="127.0.0.1", port=port, sender="k@acme.test", starttls=False,
                            timeout=5.0)
    with people.session() as s:
        delivery = send_pending(s, smtp=settings, company="Acme", now=NOW)
    assert delivery.sent == [] and delivery.error is not None
    assert len(delivery.failed) == 2
    assert all(value is None for value in _emailed(people).values())


def test_starttls_asked_of_a_server_without_it_fails_cleanly(people):
    _notify_everyone(people)
    with SmtpSink() as sink, people.session() as s:
        delivery = send_pending(s, smtp=_settings(sink, starttls=True), company="Acme", now=NOW)
        assert sink.messages == []
    assert delivery.error is not None and "STARTTLS" in delivery.error
    assert all(value is None for value in _emailed(people).values())
