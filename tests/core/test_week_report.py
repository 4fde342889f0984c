"""The week grid's report: cells by project, task and day, locks, totals, carried rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest

from keito_core.enums import ApprovalStatus, Role, WeekDay
from keito_core.errors import KeitoError
from keito_core.models import (
    Client,
    Invoice,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.reports.week import WeekReport, row_key, week_report

#: A Friday; the week (from Monday) runs 2-8 March 2026, the week before 23 Feb - 1 Mar.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
MONDAY = date(2026, 3, 2)


@pytest.fixture
def env(workspace):
    """Client Acme with projects Website (tasks Development, Meetings) and Zeta (no tasks);
    a member Mia on both projects."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        s.add(client)
        dev = Task(id=new_id("task"), name="Development", handle="development")
        meet = Task(id=new_id("task"), name="Meetings", handle="meetings")
        s.add_all([dev, meet])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Website", handle="web")
        zeta = Project(id=new_id("project"), client_id=client.id, name="Zeta", handle="zeta")
        s.add_all([web, zeta])
        s.flush()
        for task in (dev, meet):
            s.add(ProjectTask(id=new_id("project_task"), project_id=web.id, task_id=task.id))
        mia = User(id=new_id("user"), name="Mia Member", email="mia@acme.test", role=Role.MEMBER)
        s.add(mia)
        s.flush()
        for project in (web, zeta):
            s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                user_id=mia.id))
    return SimpleNamespace(ws=workspace, admin=workspace.admin_id, mia=mia.id, client=client.id,
                           web=web.id, zeta=zeta.id, dev=dev.id, meet=meet.id)


def add(env, day: date, hours: float | int, *, project: str | None = None,
        task: str | None = "dev", user: str | None = None, **kw) -> str:
    """Insert an entry directly (the report reads whatever is stored)."""
    entry_id = new_id("time_entry")
    with env.ws.session() as s:
        s.add(TimeEntry(id=entry_id, user_id=user or env.admin, project_id=project or env.web,
                        task_id=getattr(env, task) if task else None, spent_date=day,
                        duration_seconds=int(hours * 3600), **kw))
    return entry_id


def report(env, day: date = MONDAY, *, user: str | None = None,
           user_ref: str | None = None) -> WeekReport:
    with env.ws.session(readonly=True) as s:
        return week_report(s, actor=env.ws.actor(s, user), day=day, now=NOW, user_ref=user_ref)


def set_workspace(env, **values) -> None:
    with env.ws.session() as s:
        ws = s.get(Workspace, env.ws.workspace_id)
        for name, value in values.items():
            setattr(ws, name, value)


def test_cells_sum_entries_by_project_task_and_day_with_every_total(env) -> None:
    add(env, MONDAY, 2)
    add(env, MONDAY, 1.5)
    add(env, MONDAY + timedelta(days=2), 3, task="meet")
    add(env, MONDAY + timedelta(days=6), 1, project=env.zeta, task=None)
    add(env, MONDAY + timedelta(days=7), 5)  # next week
    add(env, MONDAY, 4, user=env.mia)  # someone else's

    week = report(env, MONDAY + timedelta(days=3))

    assert week.days == tuple(MONDAY + timedelta(days=i) for i in range(7))
    assert [(r.project_name, r.task_name) for r in week.rows] == [
        ("Website", "Development"), ("Website", "Meetings"), ("Zeta", "(no task)")]
    dev, meet, zeta = week.rows
    assert dev.key == row_key(env.web, env.dev) and zeta.task_id is None
    assert (dev.cells[0].seconds, dev.cells[0].entries) == (int(3.5 * 3600), 2)
    assert [c.seconds for c in dev.cells[1:]] == [0] * 6
    assert meet.cells[2].seconds == 3 * 3600 and meet.cells[2].entries == 1
    assert zeta.cells[6].seconds == 3600
    assert [r.seconds for r in week.rows] == [int(3.5 * 3600), 3 * 3600, 3600]
    assert week.day_totals == (int(3.5 * 3600), 0, 3 * 3600, 0, 0, 0, 3600)
    assert week.total_seconds == int(7.5 * 3600)
    assert week.capacity_seconds == 40 * 3600
    assert week.capacity_percent == 18  # 7.5 of 40 hours
    assert week.user_name == "Ada Admin" and week.today == date(2026, 3, 6)
    assert not any(cell.locked for row in week.rows for cell in row.cells)


def test_last_weeks_rows_start_the_week_empty_unless_archived(env) -> None:
    add(env, MONDAY - timedelta(days=3), 2, task="meet")
    add(env, MONDAY - timedelta(days=1), 1, project=env.zeta, task=None)
    add(env, MONDAY - timedelta(days=8), 6)  # two weeks ago: not carried

    week = report(env)
    assert [(r.project_name, r.task_name) for r in week.rows] == [
        ("Website", "Meetings"), ("Zeta", "(no task)")]
    assert week.total_seconds == 0 and all(c.entries == 0 for r in week.rows for c in r.cells)

    with env.ws.session() as s:
        s.get(Project, env.zeta).is_active = False
    assert [r.project_name for r in report(env).rows] == ["Website"]


def test_the_week_begins_on_the_workspace_week_start(env) -> None:
    set_workspace(env, week_start=WeekDay.SUNDAY)
    add(env, date(2026, 3, 1), 1)  # a Sunday
    week = report(env, date(2026, 3, 4))
    assert week.days[0] == date(2026, 3, 1) and week.days[-1] == date(2026, 3, 7)
    assert week.rows[0].cells[0].seconds == 3600 and week.week_start is WeekDay.SUNDAY


def test_the_users_own_capacity_wins(env) -> None:
    with env.ws.session() as s:
        s.get(User, env.admin).weekly_capacity_seconds = 10 * 3600
    add(env, MONDAY, 5)
    week = report(env)
    assert week.capacity_seconds == 10 * 3600 and week.capacity_percent == 50


def test_a_cell_is_locked_when_any_of_its_entries_is(env) -> None:
    set_workspace(env, feature_approvals=True)
    add(env, MONDAY, 1)
    add(env, MONDAY, 1, approval_status=ApprovalStatus.APPROVED)
    add(env, MONDAY + timedelta(days=1), 1, approval_status=ApprovalStatus.SUBMITTED)
    add(env, MONDAY + timedelta(days=2), 1, approval_status=ApprovalStatus.APPROVED,
        unlocked_at=NOW)
    add(env, MONDAY + timedelta(days=3), 1, approval_status=ApprovalStatus.REJECTED)
    with env.ws.session() as s:
        invoice = Invoice(id=new_id("invoice"), client_id=env.client, number="INV-1",
                          issue_date=MONDAY, due_date=MONDAY, currency="GBP",
                          portal_token=new_id("invoice"))
        s.add(invoice)
    add(env, MONDAY + timedelta(days=4), 1, approval_status=ApprovalStatus.APPROVED,
        invoice_id=invoice.id, unlocked_at=NOW)

    cells = report(env).rows[0].cells
    assert [c.lock for c in cells] == ["approved", "submitted", None, None, "invoiced", None,
                                       None]

    set_workspace(env, feature_approvals=False)  # approved time stays locked; submitted not
    assert [c.lock for c in report(env).rows[0].cells] == ["approved", None, None, None,
                                                            "invoiced", None, None]


def test_old_days_are_auto_locked_even_when_empty(env) -> None:
    set_workspace(env, lock_after_days=2)  # today is Friday 6 March: before 4 March locks
    add(env, MONDAY, 1)
    add(env, MONDAY + timedelta(days=1), 1, unlocked_at=NOW)
    week = report(env)
    assert week.day_locks == ("auto_locked", "auto_locked", None, None, None, None, None)
    assert [c.lock for c in week.rows[0].cells] == ["auto_locked", None, None, None, None, None,
                                                    None]


def test_a_running_timer_counts_its_elapsed_time(env) -> None:
    friday = date(2026, 3, 6)
    add(env, friday, 1)
    add(env, friday, 0, is_running=True, timer_started_at=NOW - timedelta(minutes=30))
    cell = report(env).rows[0].cells[4]
    assert cell.running and cell.entries == 2 and cell.seconds == 3600 + 1800


def test_someone_elses_week_needs_the_right_to_see_it(env) -> None:
    add(env, MONDAY, 4, user=env.mia)
    week = report(env, user_ref="mia@acme.test")
    assert week.user_name == "Mia Member" and week.total_seconds == 4 * 3600
    with pytest.raises(KeitoError) as refused:
        report(env, user=env.mia, user_ref="ada@acme.test")
    assert refused.value.code == "authorization_error"
