"""Time entry services: logging, durations and clock spans, rounding, notes, locking, billing,
permissions, lists with cursors, edits, deletes, copies, and the public JSON shape."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

from keito_core import presenters as public
from keito_core.enums import ApprovalStatus, BillBy, ManagerPermission, ProjectType, Role, UserType
from keito_core.errors import KeitoError
from keito_core.models import (
    AuditEvent,
    Client,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.models.users import ManagerTeammate
from keito_core.platform.ids import new_id
from keito_core.services.tracking import time_entries as svc

#: A Friday; Europe/London is on GMT (UTC+0) until 29 March 2026.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 6)


def _user(s, name, role=Role.MEMBER, **kw) -> User:
    user = User(id=new_id("user"), name=name, email=f"{name.split()[0].lower()}@acme.test",
                role=role, **kw)
    s.add(user)
    s.flush()
    return user


def _project(s, client, name, handle, **kw) -> Project:
    project = Project(id=new_id("project"), client_id=client.id, name=name, handle=handle, **kw)
    s.add(project)
    s.flush()
    return project


@pytest.fixture
def env(workspace):
    """Project `acme` (rate 100, tasks development and meetings), an `internal` non-billable
    project, a member Mia (on both), a manager Max (Mia's manager), Olly (on no project)."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        s.add(client)
        dev = Task(id=new_id("task"), name="Development", handle="development",
                   default_rate=Decimal("120"))
        meet = Task(id=new_id("task"), name="Meetings", handle="meetings",
                    is_billable_default=False)
        design = Task(id=new_id("task"), name="Design", handle="design")
        s.add_all([dev, meet, design])
        s.flush()
        acme = _project(s, client, "Acme Website", "acme", code="ACME-WEB",
                        hourly_rate=Decimal("100"))
        internal = _project(s, client, "Internal", "internal",
                            project_type=ProjectType.NON_BILLABLE)
        for project in (acme, internal):
            for task in (dev, meet):
                s.add(ProjectTask(id=new_id("project_task"), project_id=project.id,
                                  task_id=task.id))
        mia = _user(s, "Mia Member", default_rate=Decimal("80"), cost_rate=Decimal("40"))
        max_ = _user(s, "Max Manager", Role.MANAGER)
        olly = _user(s, "Olly Other")
        for project in (acme, internal):
            s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                user_id=mia.id))
        s.add(ManagerTeammate(manager_id=max_.id, teammate_id=mia.id))
    return SimpleNamespace(ws=workspace, admin=workspace.admin_id, mia=mia.id, max=max_.id,
                           olly=olly.id, acme=acme.id, internal=internal.id, dev=dev.id,
                           meet=meet.id, design=design.id)


def log(env, who=None, **kw):
    """log_time as `who` (default Mia) on acme, committed; returns the entry."""
    kw.setdefault("project_ref", "acme")
    kw.setdefault("source", "cli")
    kw.setdefault("now", NOW)
    if "duration" not in kw and "start" not in kw and "end" not in kw:
        kw["duration"] = "1.5"
    with env.ws.session() as s:
        return svc.log_time(s, actor=env.ws.actor(s, who or env.mia), **kw)


def settings(env, **values):
    with env.ws.session() as s:
        ws = s.exec(select(Workspace)).one()
        for key, value in values.items():
            setattr(ws, key, value)
        s.add(ws)


def raises(code, field=None):
    class _Raises:
        def __enter__(self):
            self.ctx = pytest.raises(KeitoError)
            self.info = self.ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.ctx.__exit__(*exc)
            assert self.info.value.code == code, self.info.value
            if field is not None:
                assert self.info.value.field == field, self.info.value
            return handled

    return _Raises()


def count(env, model=TimeEntry) -> int:  # noqa: ANN001
    with env.ws.session() as s:
        return s.exec(select(func.count()).select_from(model)).one()


def insert(env, who=None, **kw) -> str:
    """A time entry written directly (for states logging cannot make)."""
    values = dict(user_id=who or env.mia, project_id=env.acme, spent_date=TODAY,
                  duration_seconds=3600, source="cli")
    values.update(kw)
    with env.ws.session() as s:
        entry = TimeEntry(id=new_id("time_entry"), **values)
        s.add(entry)
    return entry.id


# --- logging --------------------------------------------------------------------------------


def test_log_by_duration_captures_everything(env):
    entry = log(env, task_ref="development", notes="  OAuth flow  ", meta={"model": "opus"})
    assert (entry.duration_seconds, entry.spent_date, entry.notes) == (5400, TODAY, "OAuth flow")
    assert (entry.user_id, entry.project_id, entry.task_id) == (env.mia, env.acme, env.dev)
    assert (entry.is_running, entry.is_billable, entry.source) == (False, True, "cli")
    assert (entry.billable_rate, entry.cost_rate) == (Decimal("100"), Decimal("40"))
    assert entry.meta == {"model": "opus"} and entry.started_at is None
    assert entry.created_at == NOW and entry.is_rounded is False
    with env.ws.session() as s:
        stored = s.get(TimeEntry, entry.id)
        assert stored.hours == Decimal("1.5") and stored.source == "cli"
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == entry.id)).one()
    assert event.action == "time_entry.create" and event.actor_id == env.mia
    assert event.changes["duration_seconds"] == 5400


@pytest.mark.parametrize(("text", "seconds"), [("1:30", 5400), ("90m", 5400), ("0.25", 900),
                                               ("1h 15m", 4500)])
def test_duration_forms(env, text, seconds):
    assert log(env, duration=text).duration_seconds == seconds


@pytest.mark.parametrize(("kw", "field"), [
    ({"duration": "abc"}, "duration"),
    ({"duration": "0"}, "duration"),
    ({"duration": "25"}, "duration"),
    ({"duration": None, "start": "9:00"}, "end"),
    ({"duration": None, "end": "9:00"}, "start"),
    ({"duration": "1", "start": "9:00", "end": "10:00"}, "duration"),
    ({"duration": None}, "duration"),
    ({"duration": None, "start": "25:00", "end": "10:00"}, "start"),
    ({"duration": None, "start": "9:00", "end": "9:00"}, "end"),
    ({"spent_date": "2026-02-30"}, "spent_date"),
    ({"source": "fax"}, "source"),
])
def test_bad_input_is_refused_and_writes_nothing(env, kw, field):
    kw.setdefault("project_ref", "acme")
    with env.ws.session() as s, raises("validation_error", field):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), source=kw.pop("source", "cli"), now=NOW,
                     **kw)
    assert count(env) == 0


def test_dates_typed_relative_or_as_date(env):
    assert log(env, spent_date="yesterday").spent_date == date(2026, 3, 5)
    assert log(env, spent_date="2026-03-02").spent_date == date(2026, 3, 2)
    assert log(env, spent_date=date(2026, 3, 9)).spent_date == date(2026, 3, 9)


def test_start_end_crossing_midnight_lasts_two_hours_dated_on_start_day(env):
    entry = log(env, start="23:00", end="01:00", spent_date="2026-03-05")
    assert entry.duration_seconds == 7200 and entry.spent_date == date(2026, 3, 5)
    assert entry.started_at == datetime(2026, 3, 5, 23, 0, tzinfo=UTC)
    assert entry.ended_at == datetime(2026, 3, 6, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(("day", "seconds"), [
    ("2026-03-28", 3 * 3600),  # clocks go forward at 01:00 on 29 March: 23:00-03:00 is 3 h
    ("2026-10-24", 5 * 3600),  # clocks go back at 02:00 on 25 October: 23:00-03:00 is 5 h
])
def test_dst_nights_last_their_real_length(env, day, seconds):
    entry = log(env, start="23:00", end="03:00", spent_date=day)
    assert entry.duration_seconds == seconds
    with env.ws.session() as s:
        stored = s.get(TimeEntry, entry.id)
    assert (stored.ended_at - stored.started_at).total_seconds() == seconds


def test_a_skipped_clock_time_is_refused(env):
    with env.ws.session() as s, raises("validation_error", "start"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", start="01:30",
                     end="04:00", spent_date="2026-03-29", source="cli", now=NOW)


def test_the_users_timezone_wins_over_the_workspaces(env):
    with env.ws.session() as s:
        s.get(User, env.mia).timezone = "America/New_York"
    entry = log(env, start="9:00", end="10:00", spent_date="2026-03-05")
    assert entry.started_at == datetime(2026, 3, 5, 14, 0, tzinfo=UTC)
    # 01:00 UTC on 6 March is still 5 March in New York: "today" is the user's day.
    early = datetime(2026, 3, 6, 1, 0, tzinfo=UTC)
    assert log(env, now=early).spent_date == date(2026, 3, 5)


# --- rounding, notes and locking --------------------------------------------------------------


def test_rounding_applies_once_on_save_and_again_only_when_the_duration_changes(env):
    settings(env, rounding_minutes=15)
    entry = log(env, duration="1:07")
    assert (entry.duration_seconds, entry.is_rounded) == (3600, True)
    settings(env, rounding_minutes=30)
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                notes="later note")
    assert edited.duration_seconds == 3600  # not rounded again to 30-minute steps
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                duration="0:50")
    assert (edited.duration_seconds, edited.is_rounded) == (3600, True)
    settings(env, rounding_minutes=0)
    plain = log(env, duration="1:07")
    assert (plain.duration_seconds, plain.is_rounded) == (4020, False)


def test_start_end_entries_round_the_duration_and_keep_the_real_times(env):
    settings(env, rounding_minutes=15)
    entry = log(env, start="9:02", end="10:10", spent_date="2026-03-05")
    assert entry.duration_seconds == 4500  # 68 min -> 75 min
    assert entry.ended_at == datetime(2026, 3, 5, 10, 10, tzinfo=UTC)


def test_required_notes(env):
    settings(env, require_notes=True)
    with env.ws.session() as s, raises("validation_error", "notes"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     notes="   ", source="cli", now=NOW)
    entry = log(env, notes="wrote tests")
    with env.ws.session() as s, raises("validation_error", "notes"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW, notes="")
    settings(env, require_notes=False)
    bare = log(env)
    settings(env, require_notes=True)
    with env.ws.session() as s:  # other edits of an old note-less entry stay possible
        assert svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=bare.id, now=NOW,
                              duration="2").duration_seconds == 7200
    with env.ws.session() as s, raises("validation_error", "notes"):
        svc.copy_entry(s, actor=env.ws.actor(s, env.mia), entry_id=bare.id, source="cli",
                       now=NOW)


def test_no_new_entry_on_a_day_already_locked(env):
    settings(env, lock_after_days=7)
    with env.ws.session() as s, raises("locked", "spent_date") as err:
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     spent_date="2026-02-26", source="cli", now=NOW)
    assert err.value.exit_code == 3
    assert log(env, spent_date="2026-02-27").spent_date == date(2026, 2, 27)  # 7 days: open
    entry = log(env)
    with env.ws.session() as s, raises("locked"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       spent_date="2026-02-01")
    with env.ws.session() as s, raises("locked"):
        svc.copy_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id,
                       spent_date="2026-02-01", source="cli", now=NOW)


@pytest.mark.parametrize(("state", "approvals", "locked"), [
    ({"spent_date": date(2026, 2, 1)}, False, True),
    ({"spent_date": date(2026, 2, 1), "unlocked_at": NOW}, False, False),
    ({"approval_status": ApprovalStatus.APPROVED}, True, True),
    ({"approval_status": ApprovalStatus.APPROVED}, False, True),  # outlives the feature
    ({"approval_status": ApprovalStatus.SUBMITTED}, True, True),
    ({"approval_status": ApprovalStatus.SUBMITTED}, False, False),
    ({"approval_status": ApprovalStatus.REJECTED}, True, False),
])
def test_locked_entries_cannot_be_edited_or_deleted(env, state, approvals, locked):
    settings(env, lock_after_days=7, feature_approvals=approvals)
    entry_id = insert(env, **state)
    for call in (lambda s, a: svc.edit_entry(s, actor=a, entry_id=entry_id, now=NOW, notes="x"),
                 lambda s, a: svc.delete_entry(s, actor=a, entry_id=entry_id, now=NOW)):
        if locked:
            with env.ws.session() as s, raises("locked") as err:
                call(s, env.ws.actor(s, env.admin))
            assert err.value.exit_code == 3
        else:
            with env.ws.session() as s:
                call(s, env.ws.actor(s, env.admin))
    assert count(env) == (1 if locked else 0)


def add_invoice(env) -> str:
    from keito_core.models import Invoice

    with env.ws.session() as s:
        invoice = Invoice(id=new_id("invoice"), client_id=s.exec(select(Client.id)).one(),
                          number=new_id("invoice"), issue_date=TODAY, due_date=TODAY,
                          currency="GBP", portal_token=new_id("invoice"))
        s.add(invoice)
    return invoice.id


def test_invoiced_entries_stay_locked_even_when_unlocked(env):
    entry_id = insert(env, invoice_id=add_invoice(env), unlocked_at=NOW)
    with env.ws.session() as s, raises("locked") as err:
        svc.delete_entry(s, actor=env.ws.actor(s, env.admin), entry_id=entry_id, now=NOW)
    assert "invoice" in err.value.message and count(env) == 1


# --- who may log where --------------------------------------------------------------------


def test_members_log_only_for_themselves_and_only_on_their_projects(env):
    with env.ws.session() as s, raises("authorization_error"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     source="cli", now=NOW, user_ref="Olly Other")
    with env.ws.session() as s, raises("project_not_assigned", "project") as err:
        svc.log_time(s, actor=env.ws.actor(s, env.olly), project_ref="acme", duration="1",
                     source="cli", now=NOW)
    assert err.value.exit_code == 1
    assert count(env) == 0


def test_admins_log_for_others_who_must_be_assigned(env):
    by_admin = log(env, who=env.admin, user_ref="mia@acme.test")
    assert by_admin.user_id == env.mia and by_admin.cost_rate == Decimal("40")
    with env.ws.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.entity_id == by_admin.id)).one()
    assert event.actor_id == env.admin
    with env.ws.session() as s, raises("project_not_assigned"):
        svc.log_time(s, actor=env.ws.actor(s, env.admin), project_ref="acme", duration="1",
                     source="cli", now=NOW, user_ref=env.olly)
    assert log(env, who=env.admin).user_id == env.admin  # human admins reach every project


def test_agent_admins_only_reach_assigned_projects(env):
    with env.ws.session() as s:
        bot = _user(s, "Bot Agent", Role.ADMIN, user_type=UserType.AGENT)
    with env.ws.session() as s, raises("project_not_assigned"):
        svc.log_time(s, actor=env.ws.actor(s, bot.id), project_ref="acme", duration="1",
                     source="agent", now=NOW)


def test_managers_need_the_edit_team_entries_permission_to_log_for_teammates(env):
    with env.ws.session() as s, raises("authorization_error"):
        svc.log_time(s, actor=env.ws.actor(s, env.max), project_ref="acme", duration="1",
                     source="cli", now=NOW, user_ref=env.mia)
    with env.ws.session() as s:
        s.get(User, env.max).manager_permissions = [ManagerPermission.EDIT_TEAM_ENTRIES.value]
    entry = log(env, who=env.max, user_ref=env.mia)
    assert entry.user_id == env.mia


def test_archived_projects_and_tasks_and_tasks_not_on_the_project(env):
    with env.ws.session() as s:
        s.get(Task, env.meet).is_active = False
    with env.ws.session() as s, raises("validation_error", "task"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     task_ref="meetings", source="cli", now=NOW)
    with env.ws.session() as s, raises("validation_error", "task") as err:
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     task_ref="design", source="cli", now=NOW)
    assert err.value.hint == "its tasks: development"
    with env.ws.session() as s:
        s.get(Project, env.acme).is_active = False
    with env.ws.session() as s, raises("validation_error", "project"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     source="cli", now=NOW)
    with env.ws.session() as s, raises("not_found", "project"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="nope", duration="1",
                     source="cli", now=NOW)
    assert count(env) == 0


def test_metadata_over_4kb_is_refused(env):
    with env.ws.session() as s, raises("metadata_too_large", "metadata") as err:
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     source="agent", meta={"blob": "x" * 5000}, now=NOW)
    assert err.value.exit_code == 2
    with env.ws.session() as s, raises("validation_error", "metadata"):
        svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme", duration="1",
                     source="agent", meta=["not", "an", "object"], now=NOW)
    assert count(env) == 0


# --- billing ----------------------------------------------------------------------------------


def test_billable_defaults_from_task_project_and_choice(env):
    assert log(env, task_ref="meetings").is_billable is False
    meeting = log(env, task_ref="meetings")
    assert meeting.billable_rate is None
    assert log(env, task_ref="meetings", billable=True).is_billable is True
    internal = log(env, project_ref="internal", billable=True)
    assert (internal.is_billable, internal.billable_rate) == (False, None)
    assert internal.cost_rate == Decimal("40")
    with env.ws.session() as s:
        pt = s.exec(select(ProjectTask).where(ProjectTask.project_id == env.acme,
                                              ProjectTask.task_id == env.dev)).one()
        pt.is_billable = False
    assert log(env, task_ref="development").is_billable is False


def test_rates_follow_bill_by(env):
    with env.ws.session() as s:
        s.get(Project, env.acme).bill_by = BillBy.TASK
    assert log(env, task_ref="development").billable_rate == Decimal("120")
    with pytest.raises(KeitoError) as refused:  # no task: no rate to bill at
        log(env)
    assert (refused.value.code, refused.value.field) == ("validation_error", "task")
    with env.ws.session() as s:
        pt = s.exec(select(ProjectTask).where(ProjectTask.project_id == env.acme,
                                              ProjectTask.task_id == env.dev)).one()
        pt.hourly_rate = Decimal("150")
        s.get(Project, env.acme).bill_by = BillBy.PERSON
    assert log(env).billable_rate == Decimal("80")
    with env.ws.session() as s:
        member = s.exec(select(ProjectMember).where(ProjectMember.user_id == env.mia,
                                                    ProjectMember.project_id == env.acme)).one()
        member.hourly_rate = Decimal("95")
    assert log(env).billable_rate == Decimal("95")
    with env.ws.session() as s:
        s.get(Project, env.acme).bill_by = BillBy.TASK
    entry = log(env, task_ref="meetings", billable=True)
    assert entry.billable_rate == Decimal("80")  # meetings has no rate: the user's default
    with env.ws.session() as s:  # the rate is recaptured when the task changes
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                task_ref="development")
    assert (edited.task_id, edited.billable_rate, edited.is_billable) == (env.dev,
                                                                          Decimal("150"), True)
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                billable=False)
    assert (edited.is_billable, edited.billable_rate) == (False, None)


# --- lists ------------------------------------------------------------------------------------


def _ids(page):
    return [e.id for e in page.items]


def test_visibility_members_managers_admins(env):
    mine = log(env).id
    with env.ws.session() as s:
        s.add(ProjectMember(id=new_id("project_member"), project_id=env.internal,
                            user_id=env.olly))
        s.add(ProjectMember(id=new_id("project_member"), project_id=env.internal,
                            user_id=env.max, is_project_manager=True))
    ollys = log(env, who=env.olly, project_ref="internal").id
    admins = log(env, who=env.admin).id
    with env.ws.session() as s:
        assert _ids(svc.list_entries(s, actor=env.ws.actor(s, env.mia))) == [mine]
        managed = set(_ids(svc.list_entries(s, actor=env.ws.actor(s, env.max))))
        everyone = set(_ids(svc.list_entries(s, actor=env.ws.actor(s, env.admin))))
    assert managed == {mine, ollys}  # a teammate's, and those on the project Max manages
    assert everyone == {mine, ollys, admins}
    with env.ws.session() as s, raises("authorization_error"):
        svc.list_entries(s, actor=env.ws.actor(s, env.mia), user_ref="Olly Other")
    with env.ws.session() as s:
        assert _ids(svc.list_entries(s, actor=env.ws.actor(s, env.max), user_ref=env.olly)) == [
            ollys]
        assert _ids(svc.list_entries(s, actor=env.ws.actor(s, env.mia), user_ref="me")) == [mine]


def test_list_filters(env):
    a = log(env, spent_date="2026-03-02", source="agent", task_ref="development").id
    b = log(env, spent_date="2026-03-04", task_ref="meetings").id
    c = log(env, project_ref="internal").id
    running = insert(env, is_running=True, duration_seconds=0, timer_started_at=NOW)
    actor_id = env.mia

    def ids(**kw):
        with env.ws.session() as s:
            return set(_ids(svc.list_entries(s, actor=env.ws.actor(s, actor_id), **kw)))

    assert ids(source="agent") == {a}
    assert ids(project_ref="internal") == {c}
    assert ids(task_ref="meetings") == {b}
    assert ids(date_from="2026-03-03", date_to=date(2026, 3, 5)) == {b}
    assert ids(date_from="yesterday", now=NOW) == {c, running}
    assert ids(billable=False) == {b, c}
    assert ids(is_running=True) == {running}
    assert ids(approval="unsubmitted") == {a, b, c, running}
    for kw, field in [({"date_from": "2026-03-05", "date_to": "2026-03-01"}, "date_from"),
                      ({"date_from": "yesterday"}, "date_from"),
                      ({"approval": "maybe"}, "approval"),
                      ({"source": "fax"}, "source")]:
        with env.ws.session() as s, raises("validation_error", field):
            svc.list_entries(s, actor=env.ws.actor(s, actor_id), **kw)


def test_pages_with_cursors_newest_first(env):
    made = [log(env, spent_date=date(2026, 3, 1) + timedelta(days=i % 4)).id for i in range(7)]
    seen, cursor, pages = [], None, 0
    while True:
        with env.ws.session() as s:
            page = svc.list_entries(s, actor=env.ws.actor(s, env.mia), limit=3, cursor=cursor)
        pages += 1
        seen.extend(page.items)
        assert page.has_more == (page.next_cursor is not None)
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert pages == 3 and sorted(e.id for e in seen) == sorted(made)
    keys = [(e.spent_date, e.id) for e in seen]
    assert keys == sorted(keys, reverse=True)
    with env.ws.session() as s:
        whole = svc.list_entries(s, actor=env.ws.actor(s, env.mia), limit=7)
    assert (len(whole.items), whole.has_more, whole.next_cursor) == (7, False, None)


@pytest.mark.parametrize(("kw", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "ten"}, "limit"),
    ({"cursor": "not a cursor!"}, "cursor"), ({"cursor": "ZXhwZW5zZXwyMDI2LTAzLTAxfGV4cF8x"},
                                              "cursor"),
])
def test_bad_limits_and_cursors(env, kw, field):
    with env.ws.session() as s, raises("validation_error", field):
        svc.list_entries(s, actor=env.ws.actor(s, env.mia), **kw)


# --- get, edit, delete, copy -----------------------------------------------------------------


def test_get_needs_the_right_to_see_it(env):
    entry = log(env)
    with env.ws.session() as s:
        assert svc.get_entry(s, actor=env.ws.actor(s, env.max), entry_id=entry.id).id == entry.id
    with env.ws.session() as s, raises("authorization_error"):
        svc.get_entry(s, actor=env.ws.actor(s, env.olly), entry_id=entry.id)
    with env.ws.session() as s, raises("not_found", "id") as err:
        svc.get_entry(s, actor=env.ws.actor(s, env.mia), entry_id="te_missing")
    assert err.value.exit_code == 4


def test_edit_fields_and_audit(env):
    entry = log(env, start="9:00", end="10:00", spent_date="2026-03-05", meta={"a": 1})
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                end="11:30", notes="longer", meta={"b": 2}, task_ref="development",
                                project_ref="ACME-WEB", billable=None)
    assert edited.duration_seconds == 9000 and edited.meta == {"b": 2}
    assert edited.ended_at == datetime(2026, 3, 5, 11, 30, tzinfo=UTC)
    assert (edited.notes, edited.task_id, edited.source) == ("longer", env.dev, "cli")
    with env.ws.session() as s:
        moved = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                               spent_date="2026-03-04")
    assert moved.started_at == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    assert moved.duration_seconds == 9000
    with env.ws.session() as s:
        shorter = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                 duration="1")
        cleared = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                                 task_ref="", notes="")
    assert shorter.ended_at == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert (cleared.task_id, cleared.notes) == (None, None)
    with env.ws.session() as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == entry.id)).all()
    assert actions.count("time_entry.edit") == 4


def test_edit_refusals(env):
    entry = log(env)
    with env.ws.session() as s, raises("validation_error", "project"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       project_ref="internal")
    with env.ws.session() as s, raises("validation_error", "is_running"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       is_running=True)
    with env.ws.session() as s, raises("validation_error", "start"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       end="10:00")  # a duration entry has no start time to keep
    with env.ws.session() as s, raises("authorization_error"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.olly), entry_id=entry.id, now=NOW,
                       notes="mine now")
    with env.ws.session() as s, raises("metadata_too_large"):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       meta={"x": "y" * 4100})
    with env.ws.session() as s, pytest.raises(TypeError):
        svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW,
                       source="agent")
    with env.ws.session() as s:
        assert s.get(TimeEntry, entry.id).meta == {}


def test_delete(env):
    entry = log(env)
    with env.ws.session() as s, raises("authorization_error"):
        svc.delete_entry(s, actor=env.ws.actor(s, env.olly), entry_id=entry.id, now=NOW)
    with env.ws.session() as s:
        gone = svc.delete_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=NOW)
    assert gone.id == entry.id and count(env) == 0
    with env.ws.session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "time_entry.delete")).one()
    assert event.entity_id == entry.id and event.changes["duration_seconds"] == 5400


def test_copy(env):
    settings(env, rounding_minutes=0)
    original = log(env, start="9:00", end="10:20", spent_date="2026-03-02", notes="review",
                   task_ref="meetings", billable=True, meta={"k": "v"}, source="agent")
    with env.ws.session() as s:
        copy = svc.copy_entry(s, actor=env.ws.actor(s, env.mia), entry_id=original.id,
                              source="cli", now=NOW)
        later = svc.copy_entry(s, actor=env.ws.actor(s, env.mia), entry_id=original.id,
                               spent_date="2026-03-09", source="cli", now=NOW)
    assert copy.id != original.id and copy.spent_date == TODAY and later.spent_date == date(
        2026, 3, 9)
    assert (copy.duration_seconds, copy.notes, copy.task_id) == (4800, "review", env.meet)
    assert (copy.is_billable, copy.meta, copy.source) == (True, {"k": "v"}, "cli")
    assert copy.started_at is None and copy.is_running is False
    running = insert(env, is_running=True, duration_seconds=0, timer_started_at=NOW)
    with env.ws.session() as s, raises("validation_error", "id"):
        svc.copy_entry(s, actor=env.ws.actor(s, env.mia), entry_id=running, source="cli",
                       now=NOW)
    with env.ws.session() as s, raises("authorization_error"):
        svc.copy_entry(s, actor=env.ws.actor(s, env.olly), entry_id=original.id, source="cli",
                       now=NOW)


# --- the public shape -------------------------------------------------------------------------


def test_public_time_entry_shape(env):
    entry = log(env, start="23:00", end="01:20", spent_date="2026-03-05", task_ref="development",
                meta={"agent_type": "claude-code"}, source="agent")
    with env.ws.session() as s:
        stored = s.get(TimeEntry, entry.id)
        project, task, user = (s.get(Project, env.acme), s.get(Task, env.dev),
                               s.get(User, env.mia))
        admin, member = env.ws.actor(s), env.ws.actor(s, env.mia)
    data = public.time_entry(stored, viewer=admin, project=project, task=task, user=user,
                             timezone="Europe/Paris", now=NOW)
    for key in ("id", "project_id", "task_id", "user_id", "spent_date", "hours", "notes",
                "is_running", "is_billable", "source", "metadata", "created_at", "updated_at",
                "timer_started_at", "started_time", "ended_time", "billable_rate", "cost_rate",
                "approval_status", "is_locked", "invoice_id"):
        assert key in data
    assert data["hours"] == Decimal("2.333333") and str(data["hours"]) == "2.333333"
    assert data["project"] == {"id": env.acme, "name": "Acme Website"}
    assert data["task"]["name"] == "Development" and data["user"]["name"] == "Mia Member"
    assert data["started_time"].isoformat() == "2026-03-06T00:00:00+01:00"
    assert (data["source"], data["metadata"], data["is_locked"]) == ("agent",
                                                                     {"agent_type": "claude-code"},
                                                                     False)
    hidden = public.time_entry(stored, viewer=member, now=NOW)
    assert "billable_rate" not in hidden and "cost_rate" not in hidden
    assert hidden["project"] is None and hidden["started_time"].utcoffset() == timedelta(0)


@pytest.mark.parametrize(("seconds", "text"), [(5400, "1.50"), (3600, "1.00"), (0, "0.00"),
                                               (4799, "1.333056"), (900, "0.25"), (54, "0.015")])
def test_public_hours_are_exact_with_at_least_two_places(seconds, text):
    assert str(public.entry_hours(seconds)) == text
