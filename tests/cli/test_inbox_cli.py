"""`keito notifications`, `keito remind` (as cron runs it) and `keito audit` on the command line."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from reminder_team import DEADLINE_AT, REMINDER_AT, make_team
from smtp_sink import SmtpSink
from sqlmodel import select

from keito_core.models import Notification
from keito_core.platform.identity import get_workspace
from keito_core.services.directory import keys
from keito_core.services.inbox.notifications import notify

T0 = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


def _key(workspace, user_id: str) -> dict[str, str]:
    with workspace.session() as s:
        _, secret = keys.create_key(s, actor=workspace.actor(s), user_ref=user_id, name="test",
                                    now=T0)
    return {"KEITO_API_KEY": secret}


@pytest.fixture
def inbox(workspace):
    """Three notifications for Ada, a minute apart."""
    with workspace.session() as s:
        ids = [
            notify(s, user_ids=[workspace.admin_id], kind="timesheet_submitted",
                   title=f"Bea submitted week {n}", now=T0 + timedelta(minutes=n))[0].id
            for n in range(3)
        ]
    workspace.notification_ids = ids
    return workspace


def test_notifications_alone_lists_the_inbox(cli, inbox):
    result = cli("notifications")
    assert result.exit_code == 0, result
    assert [n["id"] for n in result.json["data"]] == inbox.notification_ids[::-1]
    assert result.json["unread"] == 3
    first = result.json["data"][0]
    assert first["kind"] == "timesheet_submitted" and first["is_read"] is False


def test_on_a_terminal_the_inbox_shows_each_note(cli, workspace, monkeypatch):
    import io

    from keito_tui.cli import state as state_module
    from keito_tui.cli.output import Output

    with workspace.session() as s:
        notify(s, user_ids=[workspace.admin_id], kind="timesheet_rejected",
               title="Your timesheet was rejected", body="split the Friday entry", now=T0)
    shown: list[Output] = []

    def detect(*, json_flag: bool, quiet: bool) -> Output:
        shown.append(Output(json=json_flag, quiet=quiet, stdout=io.StringIO()))
        return shown[-1]

    monkeypatch.setattr(state_module.Output, "detect", staticmethod(detect))
    monkeypatch.setenv("COLUMNS", "160")
    assert cli("notifications").exit_code == 0
    text = shown[-1].stdout.getvalue()
    assert "split the Friday entry" in text and "1 unread." in text


def test_list_pages_and_unread_and_read(cli, inbox):
    page = cli("notifications", "list", "--limit", "2")
    assert len(page.json["data"]) == 2 and page.json["has_more"]
    rest = cli("notifications", "list", "--limit", "2", "--cursor", page.json["next_cursor"])
    assert [n["id"] for n in rest.json["data"]] == inbox.notification_ids[:1]
    read = cli("notifications", "read", inbox.notification_ids[0])
    assert read.exit_code == 0, read
    assert read.json == {"marked_read": 1, "ids": inbox.notification_ids[:1], "unread": 2}
    unread = cli("notifications", "list", "--unread")
    assert [n["id"] for n in unread.json["data"]] == inbox.notification_ids[:0:-1]
    everything = cli("notifications", "read", "--all")
    assert everything.json["marked_read"] == 2 and everything.json["unread"] == 0
    assert cli("notifications", "list", "--unread").json["data"] == []


def test_read_errors(cli, inbox):
    missing = cli("notifications", "read", "ntf_00000000000000000000zz")
    assert missing.exit_code == 4 and missing.error["code"] == "not_found"
    nothing = cli("notifications", "read")
    assert nothing.exit_code == 2 and nothing.error["field"] == "notification_ids"
    bad = cli("notifications", "list", "--cursor", "garbage")
    assert bad.exit_code == 2 and bad.error["field"] == "cursor"


def test_everyone_reads_only_their_own_inbox(cli, inbox):
    ids = make_team(inbox)
    as_bea = _key(inbox, ids["bea"])
    assert cli("notifications", env=as_bea).json["data"] == []
    refused = cli("notifications", "read", inbox.notification_ids[0], env=as_bea)
    assert refused.exit_code == 4


# --- remind, as cron runs it ----------------------------------------------------------------


def _remind(cli, when: datetime, *args: str, env: dict[str, str] | None = None):
    with time_machine.travel(when, tick=False):
        result = cli("remind", *args, env=env)
    assert result.exit_code == 0, result
    return result.json


def test_remind_from_cron_sends_each_reminder_once(cli, workspace):
    ids = make_team(workspace)
    early = _remind(cli, REMINDER_AT - timedelta(minutes=5))
    assert early["sent"] is False and early["reason"] == "not_due"
    assert [m["name"] for m in early["members"]] == ["Bea Member", "build-bot"]
    assert early["members"][0]["status"] == "pending"
    runs = [_remind(cli, REMINDER_AT + timedelta(minutes=m)) for m in (0, 5, 10)]
    assert [r["notified"] for r in runs] == [2, 0, 0]
    assert runs[0]["kind"] == "timesheet_reminder"
    assert runs[0]["email"]["configured"] is False  # no SMTP: in-app only
    assert {m["status"] for m in runs[2]["members"]} == {"already_notified"}
    deadline = [_remind(cli, DEADLINE_AT + timedelta(minutes=m)) for m in (1, 6)]
    assert [r["notified"] for r in deadline] == [2, 0]
    assert deadline[0]["kind"] == "timesheet_deadline"
    bea_inbox = cli("notifications", env=_key(workspace, ids["bea"])).json["data"]
    assert [n["kind"] for n in bea_inbox] == ["timesheet_deadline", "timesheet_reminder"]
    assert bea_inbox[0]["subject_type"] == "period" and bea_inbox[0]["subject_id"] == "2026-03-02"


def test_remind_emails_humans_when_smtp_is_configured(cli, workspace):
    ids = make_team(workspace)
    with workspace.session() as s:
        notify(s, user_ids=[workspace.admin_id], kind="timesheet_submitted",
               title="Bea submitted her timesheet", now=REMINDER_AT)
    with SmtpSink() as sink:
        with workspace.session() as s:
            ws = get_workspace(s)
            ws.smtp_host, ws.smtp_port, ws.smtp_starttls = sink.host, sink.port, False
            ws.smtp_from = "keito@acme.test"
        result = _remind(cli, REMINDER_AT + timedelta(minutes=1))
        again = _remind(cli, REMINDER_AT + timedelta(minutes=6))
        received = sorted((m.recipients[0], str(m.message["Subject"])) for m in sink.messages)
    assert result["notified"] == 2
    # Bea's reminder and Ada's pending approval notice; the agent is never emailed.
    assert result["email"] == {"configured": True, "sent": 2, "failed": [], "error": None}
    assert received == [
        ("ada@acme.test", "Bea submitted her timesheet"),
        ("bea@acme.test", "Reminder: submit your timesheet for 2 Mar to 8 Mar 2026"),
    ]
    assert again["notified"] == 0 and again["email"]["sent"] == 0
    with workspace.session(readonly=True) as s:
        bot = s.exec(select(Notification).where(Notification.user_id == ids["bot"])).one()
        assert bot.emailed_at is None


def _dead_port() -> int:
    """A local port nothing listens on: one the system just handed out, closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_remind_reports_an_unreachable_server_and_still_exits_0(cli, workspace):
    make_team(workspace)
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.smtp_host, ws.smtp_port, ws.smtp_starttls = "127.0.0.1", _dead_port(), False
        ws.smtp_from = "keito@acme.test"
    with time_machine.travel(REMINDER_AT, tick=False):
        result = cli("remind")
    assert result.exit_code == 0, result
    assert result.json["notified"] == 2
    assert result.json["email"]["sent"] == 0 and result.json["email"]["error"]
    assert "warning: email:" in result.stderr
    # Nothing is lost: the next run, with a server, emails it.
    with SmtpSink() as sink:
        with workspace.session() as s:
            get_workspace(s).smtp_port = sink.port
        retry = _remind(cli, REMINDER_AT + timedelta(minutes=5))
        assert retry["notified"] == 0 and retry["email"]["sent"] == 1
        assert [m.recipients for m in sink.messages] == [["bea@acme.test"]]


def test_remind_options(cli, workspace):
    ids = make_team(workspace, reminders=False)
    dry = _remind(cli, DEADLINE_AT, "--dry-run", "--force")
    assert dry["reason"] == "dry_run" and dry["notified"] == 0
    off = _remind(cli, DEADLINE_AT)
    assert off["reason"] == "reminders_off" and off["reminders_enabled"] is False
    forced = _remind(cli, REMINDER_AT - timedelta(days=3), "--force", "--kind", "deadline")
    assert forced["kind"] == "timesheet_deadline" and forced["notified"] == 2
    last_week = _remind(cli, DEADLINE_AT, "--week", "2026-02-25", "--dry-run")
    assert last_week["period_start"] == "2026-02-23"
    assert [m["name"] for m in last_week["members"]] == ["Bea Member"]
    as_manager = _remind(cli, DEADLINE_AT, "--dry-run", env=_key(workspace, ids["max"]))
    assert [m["name"] for m in as_manager["members"]] == ["Bea Member"]
    with time_machine.travel(DEADLINE_AT, tick=False):
        bad = cli("remind", "--kind", "nag")
        bad_week = cli("remind", "--week", "someday")
    assert bad.exit_code == 2 and bad.error["field"] == "kind"
    assert bad_week.exit_code == 2 and bad_week.error["field"] == "week"


# --- audit ----------------------------------------------------------------------------------


def test_audit_shows_who_changed_what(cli, workspace):
    ids = make_team(workspace)
    created = cli("user", "add", "Eve", "--email", "eve@acme.test")
    assert created.exit_code == 0, created
    eve = created.json["id"]
    assert cli("user", "edit", eve, "--phone", "555").exit_code == 0
    trail = cli("audit", "--entity", eve)
    assert trail.exit_code == 0, trail
    assert [e["action"] for e in trail.json["data"]] == ["user.edit", "user.create"]
    edit = trail.json["data"][0]
    assert edit["actor"]["name"] == "Ada Admin"
    assert edit["changes"] == [{"field": "phone", "from": None, "to": "555"}]
    entries = cli("audit", "--type", "time_entry", "--actor", "Ada Admin", "--limit", "2")
    assert len(entries.json["data"]) == 2 and entries.json["has_more"]
    nxt = cli("audit", "--type", "time_entry", "--limit", "2", "--cursor",
              entries.json["next_cursor"])
    assert nxt.exit_code == 0 and len(nxt.json["data"]) == 2
    # Bea sees only what concerns her.
    mine = cli("audit", "--action", "time_entry", env=_key(workspace, ids["bea"]))
    assert len(mine.json["data"]) == 3
    assert cli("audit", "--since", "2020-01-01", "--until", "2020-01-31").json["data"] == []
    bad = cli("audit", "--type", "widget")
    assert bad.exit_code == 2 and bad.error["field"] == "type"
    backwards = cli("audit", "--since", "2020-01-31", "--until", "2020-01-01")
    assert (backwards.exit_code, backwards.error["field"]) == (2, "since")
