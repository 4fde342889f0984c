"""The inbox (list, unread count, mark read) and timesheet reminders, through the services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from reminder_team import DEADLINE_AT, REMINDER_AT, make_team
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, Notification
from keito_core.platform.identity import get_workspace
from keito_core.reports.reminders import DEADLINE, REMINDER, parse_kind, schedule_for
from keito_core.services.approvals.reminders import run_reminders
from keito_core.services.directory import users
from keito_core.services.inbox.notifications import (
    list_notifications,
    mark_read,
    notify,
    unread_count,
)

T0 = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@pytest.fixture
def inbox(workspace):
    """Five notifications for Ada a minute apart (oldest first), one for Bea."""
    with workspace.session() as s:
        bea = users.create_user(s, actor=workspace.actor(s), name="Bea", email="bea@acme.test",
                                now=T0)
        ada_ids = [
            notify(s, user_ids=[workspace.admin_id], kind="timesheet_submitted",
                   title=f"Bea submitted week {n}", subject_type="submission",
                   subject_id=f"sub_{n}", now=T0 + timedelta(minutes=n))[0].id
            for n in range(5)
        ]
        bea_ids = [r.id for r in notify(s, user_ids=[bea.id, bea.id], kind="timesheet_approved",
                                        title="Approved", now=T0)]
    workspace.ada_ids, workspace.bea_ids, workspace.bea = ada_ids, bea_ids, bea.id
    return workspace


def test_notify_writes_one_row_per_distinct_recipient(inbox):
    assert len(inbox.bea_ids) == 1


def test_the_inbox_lists_only_your_notifications_newest_first_in_pages(inbox):
    with inbox.session(readonly=True) as s:
        actor = inbox.actor(s)
        first = list_notifications(s, actor=actor, limit=2)
        assert [n.id for n in first.items] == inbox.ada_ids[::-1][:2]
        assert first.has_more
        second = list_notifications(s, actor=actor, limit=2, cursor=first.next_cursor)
        third = list_notifications(s, actor=actor, limit=2, cursor=second.next_cursor)
        seen = [n.id for page in (first, second, third) for n in page.items]
    assert seen == inbox.ada_ids[::-1]
    assert not third.has_more and third.next_cursor is None


def test_a_cursor_from_another_list_is_refused(inbox):
    from keito_core.platform.instant_paging import encode_instant_cursor

    with inbox.session(readonly=True) as s:
        with pytest.raises(KeitoError) as caught:
            list_notifications(s, actor=inbox.actor(s),
                               cursor=encode_instant_cursor("audit", T0, "aud_x"))
        assert caught.value.field == "cursor"
        with pytest.raises(KeitoError):
            list_notifications(s, actor=inbox.actor(s), cursor="not-a-cursor!")


def test_mark_read_by_id_and_all(inbox):
    with inbox.session() as s:
        actor = inbox.actor(s)
        assert unread_count(s, actor=actor) == 5
        changed = mark_read(s, actor=actor, notification_ids=inbox.ada_ids[:2], now=T0)
        assert [n.id for n in changed] == inbox.ada_ids[:2]
        assert all(n.read_at == T0 for n in changed)
        # Marking again changes nothing.
        assert mark_read(s, actor=actor, notification_ids=inbox.ada_ids[:1], now=T0) == []
        assert unread_count(s, actor=actor) == 3
        unread = list_notifications(s, actor=actor, unread_only=True)
        assert [n.id for n in unread.items] == inbox.ada_ids[:1:-1]
        assert len(mark_read(s, actor=actor, all=True, now=T0)) == 3
        assert unread_count(s, actor=actor) == 0
        bea = inbox.actor(s, inbox.bea)
        assert unread_count(s, actor=bea) == 1  # untouched


def test_mark_read_refuses_other_peoples_notifications_and_empty_requests(inbox):
    with inbox.session() as s:
        actor = inbox.actor(s)
        with pytest.raises(KeitoError) as caught:
            mark_read(s, actor=actor, notification_ids=[inbox.bea_ids[0]], now=T0)
        assert caught.value.code == "not_found"
        with pytest.raises(KeitoError) as empty:
            mark_read(s, actor=actor, notification_ids=[], now=T0)
        assert empty.value.code == "validation_error"
        with pytest.raises(KeitoError):
            mark_read(s, actor=actor, notification_ids=inbox.ada_ids[:1], all=True, now=T0)
    with inbox.session(readonly=True) as s:
        assert s.get(Notification, inbox.bea_ids[0]).read_at is None


# --- reminders ------------------------------------------------------------------------------


def test_the_schedule_follows_the_week_start_days_and_timezone(workspace):
    with workspace.session() as s:
        ws = get_workspace(s)
        schedule = schedule_for(ws, date(2026, 3, 4))
        assert (schedule.period_start, schedule.period_end) == (date(2026, 3, 2), date(2026, 3, 8))
        assert (schedule.reminder_at, schedule.deadline_at) == (REMINDER_AT, DEADLINE_AT)
        ws.week_start, ws.timezone = "sunday", "America/New_York"
        ws.reminder_day, ws.reminder_time = "thursday", "16:30"
        later = schedule_for(ws, date(2026, 7, 1))  # New York on summer time (UTC-4)
    assert (later.period_start, later.period_end) == (date(2026, 6, 28), date(2026, 7, 4))
    assert later.reminder_at == datetime(2026, 7, 2, 20, 30, tzinfo=UTC)
    assert later.deadline_at == datetime(2026, 7, 3, 21, 0, tzinfo=UTC)


def test_parse_kind():
    assert parse_kind("Deadline") == DEADLINE
    assert parse_kind("timesheet_reminder") == REMINDER
    assert parse_kind(None) is None
    with pytest.raises(KeitoError):
        parse_kind("nag")


def _run(workspace, *, now, user_id=None, **options):
    with workspace.session() as s:
        run = run_reminders(s, actor=workspace.actor(s, user_id), now=now, **options)
        return run


def test_reminders_list_open_work_aggregated_per_person(workspace):
    ids = make_team(workspace)
    run = _run(workspace, now=REMINDER_AT - timedelta(hours=1))
    assert run.reason == "not_due" and not run.sent
    rows = {m.name: m.to_dict() for m in run.members}
    assert list(rows) == ["Bea Member", "build-bot"]  # Dan's time is submitted; Cy has none
    bea = rows["Bea Member"]
    assert (bea["time_entries"], str(bea["hours"]), bea["expenses"], bea["rejected"]) == (
        2, "3.50", 1, 1)
    assert rows["build-bot"]["user_type"] == "agent"
    assert ids["bea"] == bea["user_id"]


def test_the_reminder_is_sent_once_after_its_time_then_the_deadline_once(workspace):
    ids = make_team(workspace)
    first = _run(workspace, now=REMINDER_AT + timedelta(minutes=5))
    assert first.sent and first.kind == REMINDER
    assert sorted(m.user_id for m in first.notified) == sorted([ids["bea"], ids["bot"]])
    again = _run(workspace, now=REMINDER_AT + timedelta(minutes=10))
    assert again.notified == []
    assert {m.status for m in again.members} == {"already_notified"}
    looking = _run(workspace, now=REMINDER_AT + timedelta(minutes=10), send=False)
    assert {m.status for m in looking.members} == {"already_notified"}  # as a real run says
    deadline = _run(workspace, now=DEADLINE_AT)
    assert deadline.kind == DEADLINE and len(deadline.notified) == 2
    assert _run(workspace, now=DEADLINE_AT + timedelta(hours=3)).notified == []
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification).where(Notification.user_id == ids["bea"])).all()
        assert sorted(r.kind for r in rows) == [DEADLINE, REMINDER]
        assert {r.subject_id for r in rows} == {"2026-03-02"}
        reminder = next(r for r in rows if r.kind == REMINDER)
        assert "2 time entries (3.50 h) and 1 expense" in reminder.body
        assert "1 of them were rejected" in reminder.body
        assert "Friday 6 Mar at 17:00" in reminder.body
        audited = s.exec(select(AuditEvent).where(AuditEvent.action == "notification.remind"))
        assert len(audited.all()) == 4


def test_a_first_run_after_the_deadline_sends_only_the_deadline(workspace):
    make_team(workspace)
    run = _run(workspace, now=DEADLINE_AT + timedelta(minutes=1))
    assert run.kind == DEADLINE and len(run.notified) == 2
    assert _run(workspace, now=DEADLINE_AT + timedelta(minutes=2), kind="reminder").notified != []


def test_nothing_is_sent_while_approvals_or_reminders_are_off_unless_forced(workspace):
    make_team(workspace, reminders=False)
    off = _run(workspace, now=DEADLINE_AT)
    assert off.reason == "reminders_off" and off.notified == []
    forced = _run(workspace, now=REMINDER_AT - timedelta(days=2), force=True)
    assert forced.sent and forced.kind == REMINDER and len(forced.notified) == 2
    assert len(_run(workspace, now=REMINDER_AT, force=True).notified) == 2  # again, by force
    with workspace.session() as s:
        get_workspace(s).feature_approvals = False
    assert _run(workspace, now=DEADLINE_AT, force=True).reason == "approvals_off"


def test_a_dry_run_sends_nothing(workspace):
    make_team(workspace)
    run = _run(workspace, now=DEADLINE_AT, send=False)
    assert run.reason == "dry_run" and len(run.members) == 2
    with workspace.session(readonly=True) as s:
        assert s.exec(select(Notification)).all() == []


def test_another_week_by_any_of_its_days(workspace):
    make_team(workspace)
    run = _run(workspace, now=DEADLINE_AT, day=date(2026, 2, 25), send=False)
    assert run.schedule.period_start == date(2026, 2, 23)
    assert [m.name for m in run.members] == ["Bea Member"]


def test_managers_remind_their_teammates_and_members_themselves(workspace):
    ids = make_team(workspace)
    by_manager = _run(workspace, now=REMINDER_AT, user_id=ids["max"], send=False)
    assert [m.user_id for m in by_manager.members] == [ids["bea"]]
    by_member = _run(workspace, now=REMINDER_AT, user_id=ids["dan"], send=False)
    assert by_member.members == []
    by_agent = _run(workspace, now=REMINDER_AT, user_id=ids["bot"])
    assert [m.user_id for m in by_agent.notified] == [ids["bot"]]
