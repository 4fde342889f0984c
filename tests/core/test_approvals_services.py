"""Approval services end to end: submit, review, approve, reject, resubmit, withdraw, unlock,
locking of approved items through every path, notifications, audit, and the queue's totals."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from sqlmodel import select

from keito_core.enums import ApprovalStatus, ManagerPermission, Role, SubmissionStatus
from keito_core.errors import KeitoError
from keito_core.models import (
    ApprovalEvent,
    AuditEvent,
    Expense,
    Notification,
    Submission,
    TimeEntry,
    User,
)
from keito_core.reports import approval_queue as queue
from keito_core.rules.approval_flow import is_consistent
from keito_core.services.approvals import workflow as svc
from keito_core.services.tracking import expenses, time_entries

#: Friday 6 March 2026; the week (Monday start) is 2-8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
MON, SUN = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture
def world(workspace):
    """Approvals on; project Acme (GBP) with Mia and agent Bot; project Internal (EUR client)
    managed by Pam; Max manages Mia and Bot; Nora manages nobody; Wes manages Mia and may
    withdraw approvals; Max may edit team entries."""
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        from keito_core.services.workspace.setup import set_setting

        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        tasks.create_task(s, actor=admin, name="Development", is_default=True, now=NOW)
        acme_client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        euro = clients.create_client(s, actor=admin, name="Euro GmbH", currency="EUR", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=acme_client.id, now=NOW)
        internal = projects.create_project(s, actor=admin, name="Internal", code="INT",
                                           client_ref=euro.id, now=NOW)
        made = {}
        for name, role, agent in (("Mia Member", Role.MEMBER, False),
                                  ("Bot Agent", Role.MEMBER, True),
                                  ("Max Manager", Role.MANAGER, False),
                                  ("Nora Nobody", Role.MANAGER, False),
                                  ("Wes Withdrawer", Role.MANAGER, False),
                                  ("Pam Projects", Role.MANAGER, False)):
            short = name.split()[0].lower()
            made[short] = users.create_user(s, actor=admin, name=name, role=role, agent=agent,
                                            email=None if agent else f"{short}@acme.test", now=NOW)
        for who in ("mia", "bot"):
            project_team.assign_member(s, actor=admin, project_ref=acme.id,
                                       user_ref=made[who].id, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=internal.id,
                                   user_ref=made["mia"].id, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=internal.id,
                                   user_ref=made["pam"].id, manager=True, now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=made["max"].id,
                            add=[made["mia"].id, made["bot"].id], now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=made["wes"].id, add=[made["mia"].id],
                            now=NOW)
        made["wes"].manager_permissions = [ManagerPermission.WITHDRAW_APPROVALS.value]
        made["max"].manager_permissions = [ManagerPermission.EDIT_TEAM_ENTRIES.value]
        _, key = keys.create_key(s, actor=admin, user_ref=made["mia"].id, name="mia", now=NOW)
    ids = {name: user.id for name, user in made.items()}
    return SimpleNamespace(ws=workspace, acme=acme.id, internal=internal.id, key=key,
                           admin=workspace.admin_id, **ids)


def act(world, s, who):
    return world.ws.actor(s, getattr(world, who))


def log(world, who, day, hours, notes="work", project="acme", source="cli"):
    with world.ws.session() as s:
        entry = time_entries.log_time(s, actor=act(world, s, who),
                                      project_ref=getattr(world, project), duration=hours,
                                      spent_date=day, notes=notes, source=source, now=NOW)
        return entry.id


def submit(world, who, first=MON, last=SUN):
    with world.ws.session() as s:
        return svc.submit_timesheet(s, actor=act(world, s, who), date_from=first, date_to=last,
                                    now=NOW)


def decide(world, who, verb, ids, **kw):
    fn = {"approve": svc.approve_submissions, "reject": svc.reject_submissions,
          "withdraw": svc.withdraw_approvals}[verb]
    with world.ws.session() as s:
        return [x.status for x in fn(s, actor=act(world, s, who), submission_ids=ids, now=NOW,
                                     **kw)]


def error_of(fn, *args, **kw) -> KeitoError:
    with pytest.raises(KeitoError) as caught:
        fn(*args, **kw)
    return caught.value


def statuses(world, model, ids):
    with world.ws.session(readonly=True) as s:
        return [s.get(model, i).approval_status for i in ids]


def edit(world, who, entry_id, **changes):
    with world.ws.session() as s:
        return time_entries.edit_entry(s, actor=act(world, s, who), entry_id=entry_id, now=NOW,
                                       **changes)


@pytest.fixture
def category(world):
    from keito_core.services.directory import categories

    with world.ws.session() as s:
        categories.create_category(s, actor=act(world, s, "admin"), name="Travel", now=NOW)
    return "Travel"


def test_member_and_agent_submit_manager_approves_one_rejects_other_then_resubmit(
        world, category) -> None:
    mia_entries = [log(world, "mia", MON, "3"), log(world, "mia", MON + timedelta(1), "4")]
    with world.ws.session() as s:
        x = expenses.log_expense(s, actor=act(world, s, "mia"), project_ref=world.acme,
                                 category_ref=category, total="12.50", spent_date=MON,
                                 notes="taxi", source="cli", now=NOW).id
    bot_entries = [log(world, "bot", MON, "2", source="agent"),
                   log(world, "bot", MON + timedelta(2), "1.5", source="agent")]
    mia_sub = submit(world, "mia")
    bot_sub = submit(world, "bot")
    assert (mia_sub.entry_count, mia_sub.expense_count) == (2, 1)
    assert statuses(world, TimeEntry, mia_entries) == [ApprovalStatus.SUBMITTED] * 2

    # The owner can no longer edit; the manager sees both in the queue.
    assert error_of(edit, world, "mia", mia_entries[0], notes="late").code == "locked"
    with world.ws.session(readonly=True) as s:
        rows = queue.list_submissions(s, actor=act(world, s, "max"))
    by_user = {r.user_id: r for r in rows}
    assert set(by_user) == {world.mia, world.bot}
    mia_row, bot_row = by_user[world.mia], by_user[world.bot]
    assert (mia_row.total_seconds, mia_row.entry_count, mia_row.expense_count) == (7 * 3600, 2, 1)
    assert mia_row.expense_totals[0].currency == "GBP"
    assert mia_row.expense_totals[0].total_cost == Decimal("12.50")
    assert bot_row.user_type == "agent" and "agent_time" in bot_row.flags
    assert bot_row.seconds_by_source == {"agent": int(3.5 * 3600)}
    assert mia_row.can_approve and bot_row.can_approve

    assert decide(world, "max", "approve", [mia_sub.submission.id], note="thanks") == ["approved"]
    assert decide(world, "max", "reject", [bot_sub.submission.id],
                  reason="split the Wednesday work") == ["rejected"]
    assert statuses(world, TimeEntry, mia_entries) == [ApprovalStatus.APPROVED] * 2
    assert statuses(world, Expense, [x]) == [ApprovalStatus.APPROVED]
    assert statuses(world, TimeEntry, bot_entries) == [ApprovalStatus.REJECTED] * 2

    # Approved items refuse every change; rejected ones are corrected and submitted again.
    for who in ("mia", "max", "admin"):
        assert error_of(edit, world, who, mia_entries[0], notes="x").code == "locked"
    with world.ws.session() as s:
        assert error_of(time_entries.delete_entry, s, actor=act(world, s, "mia"),
                        entry_id=mia_entries[1], now=NOW).code == "locked"
        assert error_of(expenses.edit_expense, s, actor=act(world, s, "mia"), expense_id=x,
                        now=NOW, notes="x").code == "locked"
        assert error_of(expenses.delete_expense, s, actor=act(world, s, "mia"), expense_id=x,
                        now=NOW).code == "locked"
    edit(world, "bot", bot_entries[1], notes="split: review and tests")
    again = submit(world, "bot")
    assert again.submission.id != bot_sub.submission.id and again.entry_count == 2
    assert decide(world, "max", "approve", [again.submission.id]) == ["approved"]

    with world.ws.session(readonly=True) as s:
        kinds = {(n.user_id, n.kind) for n in s.exec(select(Notification)).all()}
        rejected = s.get(Submission, bot_sub.submission.id)
        events = s.exec(select(ApprovalEvent).where(
            ApprovalEvent.submission_id == bot_sub.submission.id)).all()
        audited = s.exec(select(AuditEvent).where(
            AuditEvent.entity_id == bot_sub.submission.id)).all()
        body = s.exec(select(Notification.body).where(
            Notification.kind == "timesheet_rejected")).one()
        assert rejected.reason == "split the Wednesday work"
        assert rejected.decided_by_id == world.max
        assert [(e.action, e.item_count) for e in events] == [("submit", 2), ("reject", 2)]
        reject_audit = [a for a in audited if a.action == "submission.reject"][0]
        assert reject_audit.changes["status"] == ["submitted", "rejected"]
        assert reject_audit.changes["reason"] == "split the Wednesday work"
        item_rejects = s.exec(select(AuditEvent).where(
            AuditEvent.action == "time_entry.reject")).all()
        assert item_rejects and {a.changes["reason"] for a in item_rejects} == {
            "split the Wednesday work"}
        assert item_rejects[0].changes["approval_status"] == ["submitted", "rejected"]
    assert (world.max, "timesheet_submitted") in kinds
    assert (world.admin, "timesheet_submitted") in kinds
    assert (world.nora, "timesheet_submitted") not in kinds
    assert (world.pam, "timesheet_submitted") not in kinds  # may not approve Acme items
    assert {(world.mia, "timesheet_approved"), (world.bot, "timesheet_rejected")} <= kinds
    assert body == "split the Wednesday work"


def test_python_api_refuses_approved_entries_with_locked(world) -> None:
    from keito_core.api import Keito

    entry = log(world, "mia", MON, "2")
    client = Keito(api_key=world.key, _clock=lambda: NOW)
    assert client.time_entries.get(entry).is_locked is False
    sub_id = submit(world, "mia").submission.id
    assert client.time_entries.get(entry).is_locked is True  # submitted
    decide(world, "max", "approve", [sub_id])
    assert [e.is_locked for e in client.time_entries.list().data] == [True]
    with pytest.raises(KeitoError) as caught:
        client.time_entries.update(entry, notes="changed")
    assert caught.value.code == "locked"
    with pytest.raises(KeitoError) as caught:
        client.time_entries.delete(entry)
    assert caught.value.code == "locked"


def test_a_manager_not_assigned_neither_sees_nor_decides(world) -> None:
    log(world, "mia", MON, "2")
    sub_id = submit(world, "mia").submission.id
    with world.ws.session(readonly=True) as s:
        nora = act(world, s, "nora")
        assert queue.list_submissions(s, actor=nora, status=None) == []
        assert error_of(queue.get_submission, s, actor=nora,
                        submission_id=sub_id).code == "authorization_error"
    for verb, kw in (("approve", {}), ("reject", {"reason": "no"}), ("withdraw", {})):
        assert error_of(decide, world, "nora", verb, [sub_id], **kw).code == "authorization_error"
    decide(world, "admin", "approve", [sub_id])
    # Whatever state it is in, the answer tells her nothing of it.
    for verb, kw in (("approve", {}), ("reject", {"reason": "no"}), ("withdraw", {})):
        assert error_of(decide, world, "nora", verb, [sub_id], **kw).code == "authorization_error"


def test_a_project_manager_sees_the_submission_but_approves_only_all_managed_items(world) -> None:
    log(world, "mia", MON, "2", project="internal")
    log(world, "mia", MON, "1", project="acme")
    sub_id = submit(world, "mia").submission.id
    with world.ws.session(readonly=True) as s:
        pam = act(world, s, "pam")
        [row] = queue.list_submissions(s, actor=pam)
        detail = queue.get_submission(s, actor=pam, submission_id=sub_id)
    # Her totals are those of the entries she may see (her project), not of Mia's whole week;
    # approving still needs every item's project.
    assert row.total_seconds == 2 * 3600 and not row.can_approve
    assert [e.project_name for e in detail.entries] == ["Internal"]
    assert [d.seconds for d in detail.daily_totals] == [2 * 3600]
    with world.ws.session(readonly=True) as s:
        [everything] = queue.list_submissions(s, actor=act(world, s, "admin"))
    assert everything.total_seconds == 3 * 3600
    assert error_of(decide, world, "pam", "approve", [sub_id]).code == "authorization_error"


def test_nothing_to_submit_and_approvals_off_are_clear_errors(world) -> None:
    error = error_of(submit, world, "mia")
    assert error.code == "validation_error" and "nothing to submit" in error.message
    log(world, "mia", MON, "1")
    submit(world, "mia")
    assert "nothing to submit" in error_of(submit, world, "mia").message
    with world.ws.session() as s:
        from keito_core.services.workspace.setup import set_setting

        set_setting(s, actor=act(world, s, "admin"), key="features.approvals", value="false",
                    now=NOW)
    log(world, "mia", MON, "1")
    error = error_of(submit, world, "mia")
    assert (error.code, error.field) == ("validation_error", "features.approvals")


def test_a_running_timer_is_left_out_and_flagged(world) -> None:
    done = log(world, "mia", MON, "2")
    with world.ws.session() as s:
        running = time_entries.start_timer(s, actor=act(world, s, "mia"), project_ref=world.acme,
                                           source="cli", now=NOW).entry.id
    result = submit(world, "mia")
    assert result.left_running == (running,) and result.entry_count == 1
    assert statuses(world, TimeEntry, [done, running]) == [ApprovalStatus.SUBMITTED,
                                                           ApprovalStatus.UNSUBMITTED]
    with world.ws.session() as s:  # the owner can still stop it
        time_entries.stop_timer(s, actor=act(world, s, "mia"), now=NOW + timedelta(hours=1))
    with world.ws.session(readonly=True) as s:
        [row] = queue.list_submissions(s, actor=act(world, s, "max"))
    assert "running_timer" not in row.flags
    second = submit(world, "mia")
    assert second.entry_count == 1 and second.submission.id != result.submission.id


def test_running_timer_alone_gives_a_hint(world) -> None:
    with world.ws.session() as s:
        time_entries.start_timer(s, actor=act(world, s, "mia"), project_ref=world.acme,
                                 source="cli", now=NOW)
    error = error_of(submit, world, "mia")
    assert "stop the running timer" in (error.hint or "")
    with world.ws.session(readonly=True) as s:
        status = queue.timesheet_status(s, actor=act(world, s, "mia"), date_from=MON,
                                        date_to=SUN, now=NOW)
    assert status.running_timer


def test_invalid_transitions_are_conflicts_naming_the_state(world) -> None:
    log(world, "mia", MON, "1")
    sub_id = submit(world, "mia").submission.id
    assert error_of(decide, world, "wes", "withdraw", [sub_id]).code == "conflict"
    decide(world, "max", "approve", [sub_id])
    error = error_of(decide, world, "max", "approve", [sub_id])
    assert error.code == "conflict" and "already approved" in error.message
    assert "withdraw" in error_of(decide, world, "max", "reject", [sub_id], reason="x").message
    decide(world, "wes", "withdraw", [sub_id], note="wrong rate")
    decide(world, "max", "reject", [sub_id], reason="fix it")
    error = error_of(decide, world, "wes", "withdraw", [sub_id])
    assert error.code == "conflict" and "rejected" in error.message


def test_decisions_are_all_or_nothing(world) -> None:
    log(world, "mia", MON, "1")
    first = submit(world, "mia").submission.id
    log(world, "bot", MON, "1", source="agent")
    second = submit(world, "bot").submission.id
    decide(world, "max", "approve", [second])
    assert error_of(decide, world, "max", "approve", [first, second]).code == "conflict"
    with world.ws.session(readonly=True) as s:
        assert s.get(Submission, first).status == "submitted"
    assert error_of(decide, world, "max", "approve", [first, "sub_missing"]).code == "not_found"
    assert decide(world, "max", "approve", [first, first]) == ["approved"]


def test_reject_needs_a_reason(world) -> None:
    log(world, "mia", MON, "1")
    sub_id = submit(world, "mia").submission.id
    error = error_of(decide, world, "max", "reject", [sub_id], reason="  ")
    assert (error.code, error.field) == ("validation_error", "reason")


def test_withdraw_needs_the_permission_and_returns_items_to_submitted(world) -> None:
    entry = log(world, "mia", MON, "1")
    sub_id = submit(world, "mia").submission.id
    decide(world, "max", "approve", [sub_id])
    assert error_of(decide, world, "max", "withdraw", [sub_id]).code == "authorization_error"
    assert decide(world, "wes", "withdraw", [sub_id], note="rate was wrong") == ["submitted"]
    assert statuses(world, TimeEntry, [entry]) == [ApprovalStatus.SUBMITTED]
    with world.ws.session(readonly=True) as s:
        note = s.exec(select(Notification).where(
            Notification.kind == "timesheet_withdrawn")).one()
        submission = s.get(Submission, sub_id)
        assert note.user_id == world.mia and note.body == "rate was wrong"
        assert submission.decided_at is None and submission.decided_by_id is None


def test_submitted_items_are_read_only_for_owner_and_approvers_until_unlocked(world) -> None:
    entry = log(world, "mia", MON, "1")
    submit(world, "mia")
    for who in ("mia", "max", "admin"):
        assert error_of(edit, world, who, entry, notes="changed").code == "locked"
    with world.ws.session() as s:
        svc.unlock_entry(s, actor=act(world, s, "admin"), entry_id=entry, now=NOW)
    assert edit(world, "max", entry, notes="corrected by Max").notes == "corrected by Max"


def test_admins_may_approve_their_own_time_but_managers_may_not(world) -> None:
    """Max manages the Acme project and may withdraw approvals, so every scope covers his own
    Acme timesheet: only the self-approval rule stands between him and approving it."""
    with world.ws.session() as s:
        from keito_core.services.directory import project_team

        admin = act(world, s, "admin")
        project_team.assign_member(s, actor=admin, project_ref=world.acme, user_ref=world.max,
                                   manager=True, now=NOW)
        s.get(User, world.max).manager_permissions = [
            ManagerPermission.WITHDRAW_APPROVALS.value]
    log(world, "admin", MON, "1")
    log(world, "max", MON, "1")
    own = submit(world, "admin").submission.id
    theirs = submit(world, "max").submission.id
    assert decide(world, "admin", "approve", [own]) == ["approved"]
    hint = "Another approver or an administrator must do it."
    for verb, label, kw in (("approve", "approve timesheets", {}),
                            ("reject", "reject timesheets", {"reason": "mine"})):
        refused = error_of(decide, world, "max", verb, [theirs], **kw)
        assert (refused.code, refused.message, refused.hint) == (
            "authorization_error", f"manager may not {label} for themselves", hint)
    assert decide(world, "admin", "approve", [theirs]) == ["approved"]
    refused = error_of(decide, world, "max", "withdraw", [theirs])
    assert (refused.code, refused.message) == (
        "authorization_error", "manager may not withdraw approvals for themselves")
    with world.ws.session(readonly=True) as s:
        assert s.get(Submission, theirs).status == "approved"
        told = s.exec(select(Notification.user_id).where(
            Notification.kind == "timesheet_approved")).all()
    assert told == [world.max]  # the administrator told nobody of approving their own


def test_only_administrators_unlock_and_an_unlock_lets_the_owner_edit(world) -> None:
    entry = log(world, "mia", MON, "1")
    sub_id = submit(world, "mia").submission.id
    decide(world, "max", "approve", [sub_id])
    with world.ws.session() as s:
        assert error_of(svc.unlock_entry, s, actor=act(world, s, "max"), entry_id=entry,
                        now=NOW).code == "authorization_error"
    with world.ws.session() as s:
        unlocked = svc.unlock_entry(s, actor=act(world, s, "admin"), entry_id=entry, now=NOW)
        assert unlocked.unlocked_by_id == world.admin
    assert edit(world, "mia", entry, notes="fixed after unlock").notes == "fixed after unlock"
    with world.ws.session() as s:
        assert error_of(svc.unlock_entry, s, actor=act(world, s, "admin"), entry_id=entry,
                        now=NOW).code == "conflict"
        audit = s.exec(select(AuditEvent).where(AuditEvent.action == "time_entry.unlock")).one()
    assert audit.changes["lock_reason"] == "approved"
    # A withdrawal clears the unlock: the item is submitted, read-only for its owner again.
    decide(world, "wes", "withdraw", [sub_id])
    assert error_of(edit, world, "mia", entry, notes="again").code == "locked"


def test_unlocking_an_unlocked_item_or_an_expense(world, category) -> None:
    entry = log(world, "mia", MON, "1")
    with world.ws.session() as s:
        error = error_of(svc.unlock_entry, s, actor=act(world, s, "admin"), entry_id=entry,
                         now=NOW)
    assert error.code == "conflict" and "not locked" in error.message
    with world.ws.session() as s:
        x = expenses.log_expense(s, actor=act(world, s, "mia"), project_ref=world.acme,
                                 category_ref=category, total="5", spent_date=MON, notes="bus",
                                 source="cli", now=NOW).id
    decide(world, "max", "approve", [submit(world, "mia").submission.id])
    with world.ws.session() as s:
        svc.unlock_expense(s, actor=act(world, s, "admin"), expense_id=x, now=NOW)
    with world.ws.session() as s:
        changed = expenses.edit_expense(s, actor=act(world, s, "mia"), expense_id=x, now=NOW,
                                        notes="bus fare")
    assert changed.notes == "bus fare"


def test_queue_flags_capacity_long_days_and_missing_notes(world) -> None:
    with world.ws.session() as s:
        s.get(User, world.mia).weekly_capacity_seconds = 20 * 3600
    log(world, "mia", MON, "11")
    log(world, "mia", MON + timedelta(1), "10", notes=None)
    sub_id = submit(world, "mia").submission.id
    with world.ws.session(readonly=True) as s:
        detail = queue.get_submission(s, actor=act(world, s, "max"), submission_id=sub_id)
    summary = detail.summary
    assert set(summary.flags) == {"over_capacity", "long_day", "missing_notes"}
    assert summary.capacity_seconds == 20 * 3600 and summary.period_seconds == 21 * 3600
    assert summary.longest_day_seconds == 11 * 3600 and summary.missing_notes == 1
    assert [(d.day, d.seconds, d.flags) for d in detail.daily_totals] == [
        (MON, 11 * 3600, ("long_day",)), (MON + timedelta(1), 10 * 3600, ())]
    assert [e.flags for e in detail.entries] == [("long_day",), ("missing_notes",)]


def test_list_filters_by_status_user_source_and_dates(world) -> None:
    log(world, "mia", MON, "1")
    log(world, "bot", MON, "1", source="agent")
    mia_sub = submit(world, "mia").submission.id
    submit(world, "bot")
    decide(world, "max", "approve", [mia_sub])
    with world.ws.session(readonly=True) as s:
        admin = act(world, s, "admin")

        def ids(**kw):
            return [r.user_id for r in queue.list_submissions(s, actor=admin, **kw)]

        assert ids() == [world.bot]
        assert sorted(ids(status=None)) == sorted([world.mia, world.bot])
        assert ids(status="approved") == [world.mia]
        assert ids(status=None, source="agent") == [world.bot]
        assert ids(status=None, user_ref=world.mia) == [world.mia]
        assert ids(status=None, date_from=SUN + timedelta(1)) == []
        assert len(ids(status=None, date_to=MON)) == 2
        assert error_of(queue.list_submissions, s, actor=admin,
                        status="pending").code == "validation_error"


def test_timesheet_status_counts_items_per_status(world) -> None:
    log(world, "mia", MON, "2")
    sub_id = submit(world, "mia").submission.id
    log(world, "mia", MON + timedelta(1), "1")
    with world.ws.session(readonly=True) as s:
        status = queue.timesheet_status(s, actor=act(world, s, "mia"), date_from=MON,
                                        date_to=SUN, now=NOW)
        assert error_of(queue.timesheet_status, s, actor=act(world, s, "nora"), date_from=MON,
                        date_to=SUN, user_ref=world.mia, now=NOW).code == "authorization_error"
    counts = {t.status: (t.entry_count, t.seconds) for t in status.statuses}
    assert counts["submitted"] == (1, 7200) and counts["unsubmitted"] == (1, 3600)
    assert [x.id for x in status.submissions] == [sub_id] and status.to_submit == 1


def test_only_the_owner_submits(world) -> None:
    log(world, "mia", MON, "1")
    with world.ws.session() as s:
        error = error_of(svc.submit_timesheet, s, actor=act(world, s, "admin"), date_from=MON,
                         date_to=SUN, now=NOW, user_ref=world.mia)
    assert error.code == "authorization_error"


#: The state machine's own table: the submission status a decision starts from, the status it
#: leads to, and the status its items take.
S_, A_, R_ = SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED
TRANSITIONS = {
    "approve": (S_, A_, ApprovalStatus.APPROVED),
    "reject": (S_, R_, ApprovalStatus.REJECTED),
    "withdraw": (A_, S_, ApprovalStatus.SUBMITTED),
}
#: Item statuses the next submission picks up and their owner may edit.
OPEN = {ApprovalStatus.UNSUBMITTED, ApprovalStatus.REJECTED}
#: Who decides, and the error they meet whatever the state: an administrator, a manager of the
#: owner who may withdraw approvals, and a manager of nobody.
DECIDERS = {"admin": None, "wes": None, "nora": "authorization_error"}


def test_random_workflows_give_the_predicted_outcome_at_every_step(world, category) -> None:
    """A state machine drives the services for a fresh member in each example and predicts
    every step: success, or exactly which error; the database always matches its model."""
    from keito_core.services.directory import project_team, users

    done: Counter[str] = Counter()
    owners = itertools.count()

    class Workflows(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            k = next(owners)
            with world.ws.session() as s:
                admin = act(world, s, "admin")
                owner = users.create_user(s, actor=admin, name=f"Owner {k}",
                                          email=f"owner{k}@acme.test", now=NOW)
                project_team.assign_member(s, actor=admin, project_ref=world.acme,
                                           user_ref=owner.id, now=NOW)
                users.set_teammates(s, actor=admin, manager_ref=world.wes, add=[owner.id], now=NOW)
            self.owner = owner.id
            self.items: dict[str, tuple[type, ApprovalStatus, str | None]] = {}
            self.submissions: dict[str, SubmissionStatus] = {}
            self.counting = False

        def attempt(self, step: str, expected: str | None, call):  # noqa: ANN001, ANN202
            """Run one service call in its own transaction; it fails exactly as predicted."""
            try:
                with world.ws.session() as s:
                    result = call(s)
            except KeitoError as error:
                assert error.code == expected, f"{step}: {error.code} ({error.message})"
                done[f"{step}: {expected}"] += self.counting
                return None
            assert expected is None, f"{step} succeeded; the model expected {expected}"
            done[step] += self.counting
            return result

        def owner_actor(self, s):  # noqa: ANN001, ANN202
            return world.ws.actor(s, self.owner)

        @initialize()
        def start_with_a_submission_in_each_state(self) -> None:
            """Approved, rejected and submitted, so any decision may meet either outcome."""
            for kind, verb in (("time", "approve"), ("expense", "reject"), ("time", None)):
                self.log(kind)
                self.submit()
                if verb is not None:
                    self.decide(verb, "admin", list(self.submissions)[-1])
            self.counting = True

        @rule(kind=st.sampled_from(["time", "expense"]))
        def log(self, kind: str) -> None:
            if kind == "time":
                item = self.attempt("log time", None, lambda s: time_entries.log_time(
                    s, actor=self.owner_actor(s), project_ref=world.acme, duration="1",
                    spent_date=MON, notes="work", source="cli", now=NOW))
            else:
                item = self.attempt("log expense", None, lambda s: expenses.log_expense(
                    s, actor=self.owner_actor(s), project_ref=world.acme,
                    category_ref=category, total="5", spent_date=MON, notes="bus", source="cli",
                    now=NOW))
            self.items[item.id] = (type(item), ApprovalStatus.UNSUBMITTED, None)

        @rule()
        def submit(self) -> None:
            picked = [i for i, (_, status, _) in self.items.items() if status in OPEN]
            result = self.attempt("submit", None if picked else "validation_error",
                                  lambda s: svc.submit_timesheet(
                                      s, actor=self.owner_actor(s), date_from=MON, date_to=SUN,
                                      now=NOW))
            if result is None:
                return
            sub_id = result.submission.id
            entries = sum(self.items[i][0] is TimeEntry for i in picked)
            assert (result.entry_count, result.expense_count) == (entries, len(picked) - entries)
            self.submissions[sub_id] = S_
            for item_id in picked:
                self.items[item_id] = (self.items[item_id][0], ApprovalStatus.SUBMITTED, sub_id)

        @precondition(lambda self: self.items)
        @rule(n=st.integers(0, 99))
        def edit(self, n: int) -> None:
            item_id = list(self.items)[n % len(self.items)]
            model, status, _ = self.items[item_id]
            call = time_entries.edit_entry if model is TimeEntry else expenses.edit_expense
            key = "entry_id" if model is TimeEntry else "expense_id"
            self.attempt("edit", None if status in OPEN else "locked",
                         lambda s: call(s, actor=self.owner_actor(s), now=NOW,
                                        notes=f"edit {n}", **{key: item_id}))

        def decide(self, verb: str, who: str, sub_id: str) -> None:
            start, after, items_after = TRANSITIONS[verb]
            expected = DECIDERS[who] or (None if self.submissions[sub_id] is start else "conflict")
            fn = {"approve": svc.approve_submissions, "reject": svc.reject_submissions,
                  "withdraw": svc.withdraw_approvals}[verb]
            extra = {"reason": "fix"} if verb == "reject" else {}
            decided = self.attempt(verb, expected, lambda s: fn(
                s, actor=act(world, s, who), submission_ids=[sub_id], now=NOW, **extra))
            if decided is None:
                return
            assert [x.status for x in decided] == [after]
            self.submissions[sub_id] = after
            for item_id, (model, _, member_of) in self.items.items():
                if member_of == sub_id:
                    self.items[item_id] = (model, items_after, sub_id)

        def pick(self, n: int, statuses: set[SubmissionStatus]) -> str:
            ids = [i for i, status in self.submissions.items() if status in statuses]
            return ids[n % len(ids)]

        @precondition(lambda self: self.submissions)
        @rule(verb=st.sampled_from(sorted(TRANSITIONS)), who=st.sampled_from(sorted(DECIDERS)),
              n=st.integers(0, 99))
        def decide_any(self, verb: str, who: str, n: int) -> None:
            self.decide(verb, who, self.pick(n, set(SubmissionStatus)))

        @precondition(lambda self: S_ in self.submissions.values())
        @rule(verb=st.sampled_from(["approve", "reject"]), who=st.sampled_from(["admin", "wes"]),
              n=st.integers(0, 99))
        def decide_submitted(self, verb: str, who: str, n: int) -> None:
            self.decide(verb, who, self.pick(n, {S_}))

        @precondition(lambda self: A_ in self.submissions.values())
        @rule(who=st.sampled_from(["admin", "wes"]), n=st.integers(0, 99))
        def withdraw_approved(self, who: str, n: int) -> None:
            self.decide("withdraw", who, self.pick(n, {A_}))

        @invariant()
        def database_matches_the_model(self) -> None:
            with world.ws.session(readonly=True) as s:
                stored = {x.id: x.status for x in s.exec(
                    select(Submission).where(Submission.user_id == self.owner)).all()}
                items = {}
                for model in (TimeEntry, Expense):
                    for item in s.exec(select(model).where(model.user_id == self.owner)).all():
                        items[item.id] = (model, item.approval_status, item.submission_id)
                        owner = stored[item.submission_id] if item.submission_id else None
                        assert is_consistent(item.approval_status, owner)
            assert stored == self.submissions
            assert items == self.items

    # Derandomized, so every run drives the same examples and the counts below are stable.
    run_state_machine_as_test(Workflows, settings=settings(
        max_examples=10, stateful_step_count=15, deadline=None, derandomize=True,
        database=None))
    # Beyond the opening, every kind of step both succeeded and was refused: no branch idled.
    outcomes = ["log time", "log expense", "submit", "submit: validation_error", "edit",
                "edit: locked", *TRANSITIONS, *(f"{verb}: conflict" for verb in TRANSITIONS)]
    assert {step: done[step] for step in outcomes if done[step] < 2} == {}, done
    assert sum(done[f"{verb}: authorization_error"] for verb in TRANSITIONS) >= 2, done
