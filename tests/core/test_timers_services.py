"""Timer services: start, stop (rounded once, capped), discard, status, restart, edits that
stop, one running timer per user (also when two processes race), notes and permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from keito_core import presenters as public
from keito_core.enums import ManagerPermission, Role
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
from keito_core.services.tracking import timers

NOW = datetime(2026, 3, 6, 9, 15, tzinfo=UTC)  # Europe/London is on UTC in early March
TODAY = date(2026, 3, 6)


@pytest.fixture
def env(workspace):
    """Project `acme` (task development), member Mia on it, manager Max (Mia's manager)."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        s.add_all([client, dev])
        s.flush()
        acme = Project(id=new_id("project"), client_id=client.id, name="Acme Website",
                       handle="acme", hourly_rate=Decimal("100"))
        s.add(acme)
        s.flush()
        s.add(ProjectTask(id=new_id("project_task"), project_id=acme.id, task_id=dev.id))
        mia = User(id=new_id("user"), name="Mia Member", email="mia@acme.test", role=Role.MEMBER)
        max_ = User(id=new_id("user"), name="Max Manager", email="max@acme.test",
                    role=Role.MANAGER)
        s.add_all([mia, max_])
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=acme.id, user_id=mia.id))
        s.add(ManagerTeammate(manager_id=max_.id, teammate_id=mia.id))
    return SimpleNamespace(ws=workspace, admin=workspace.admin_id, mia=mia.id, max=max_.id,
                           acme=acme.id, dev=dev.id)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def start(env, who=None, now=NOW, **kw) -> svc.StartResult:
    kw.setdefault("project_ref", "acme")
    kw.setdefault("source", "agent")
    with env.ws.session() as s:
        return svc.start_timer(s, actor=env.ws.actor(s, who or env.mia), now=now, **kw)


def stop(env, now, who=None, **kw) -> TimeEntry:
    with env.ws.session() as s:
        return svc.stop_timer(s, actor=env.ws.actor(s, who or env.mia), now=now, **kw)


def settings(env, **values):
    with env.ws.session() as s:
        ws = s.exec(select(Workspace)).one()
        for key, value in values.items():
            setattr(ws, key, value)


def running_count(env) -> int:
    with env.ws.session() as s:
        return s.exec(select(func.count()).select_from(TimeEntry)
                      .where(TimeEntry.is_running)).one()


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


def test_start_makes_a_running_entry(env):
    result = start(env, task_ref="development", notes="review", meta={"session_id": "s1"})
    entry = result.entry
    assert result.stopped is None
    assert (entry.is_running, entry.duration_seconds, entry.spent_date) == (True, 0, TODAY)
    assert entry.timer_started_at == NOW == entry.started_at and entry.ended_at is None
    assert (entry.task_id, entry.notes, entry.meta, entry.source) == (env.dev, "review",
                                                                      {"session_id": "s1"},
                                                                      "agent")
    assert entry.billable_rate == Decimal("100")
    with env.ws.session() as s:
        status = svc.running_timer(s, actor=env.ws.actor(s, env.mia))
        assert status is not None and status.id == entry.id
        assert svc.running_timer(s, actor=env.ws.actor(s, env.admin)) is None
        assert s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == entry.id)).all() \
            == ["time_entry.start"]


def test_stop_saves_the_elapsed_time(env):
    start(env)
    entry = stop(env, at(83), notes="  done  ")
    assert (entry.is_running, entry.duration_seconds, entry.notes) == (False, 83 * 60, "done")
    assert entry.ended_at == at(83) and entry.is_rounded is False and entry.spent_date == TODAY
    with env.ws.session() as s:
        stored = s.get(TimeEntry, entry.id)
        assert (stored.is_running, stored.duration_seconds) == (False, 4980)
        assert svc.running_timer(s, actor=env.ws.actor(s, env.mia)) is None
    assert running_count(env) == 0


def test_a_timer_running_past_midnight_keeps_its_start_day(env):
    late = datetime(2026, 3, 5, 23, 50, tzinfo=UTC)
    start(env, now=late)
    entry = stop(env, late + timedelta(minutes=30))
    assert (entry.spent_date, entry.duration_seconds) == (date(2026, 3, 5), 1800)


def test_running_timer_is_dated_in_the_users_timezone(env):
    with env.ws.session() as s:
        s.get(User, env.mia).timezone = "Asia/Tokyo"
    entry = start(env, now=datetime(2026, 3, 6, 20, 0, tzinfo=UTC)).entry
    assert entry.spent_date == date(2026, 3, 7)


def test_starting_while_one_runs_stops_and_saves_it_first(env):
    first = start(env, notes="first").entry
    result = start(env, now=at(45), notes="second")
    assert result.stopped is not None and result.stopped.id == first.id
    assert (result.stopped.is_running, result.stopped.duration_seconds) == (False, 2700)
    assert result.entry.is_running and result.entry.notes == "second"
    assert running_count(env) == 1
    with env.ws.session() as s:
        saved = s.get(TimeEntry, first.id)
    assert (saved.is_running, saved.duration_seconds, saved.ended_at) == (False, 2700, at(45))


def test_stop_rounds_once_with_the_workspace_increment_or_round_to(env):
    settings(env, rounding_minutes=6)
    start(env)
    entry = stop(env, at(52))
    assert (entry.duration_seconds, entry.is_rounded) == (54 * 60, True)
    start(env, now=at(60))
    entry = stop(env, at(112), round_to=15)
    assert (entry.duration_seconds, entry.is_rounded) == (45 * 60, True)
    settings(env, rounding_minutes=0)
    start(env, now=at(120))
    assert stop(env, at(127), round_to="30m").duration_seconds == 30 * 60
    start(env, now=at(130))
    for bad in (7, 0, "often"):
        with env.ws.session() as s, raises("validation_error"):
            svc.stop_timer(s, actor=env.ws.actor(s, env.mia), round_to=bad, now=at(150))
    assert running_count(env) == 1
    settings(env, rounding_minutes=15)  # a later edit of the notes never rounds again
    entry = stop(env, at(137))
    assert entry.duration_seconds == 15 * 60
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id,
                                now=at(200), notes="noted")
    assert edited.duration_seconds == 15 * 60


def test_stop_with_no_timer_is_a_conflict(env):
    with env.ws.session() as s, raises("conflict", "timer") as err:
        svc.stop_timer(s, actor=env.ws.actor(s, env.mia), now=NOW)
    assert err.value.exit_code == 3 and err.value.message == "no timer is running"
    with env.ws.session() as s, raises("authorization_error"):
        svc.stop_timer(s, actor=env.ws.actor(s, env.mia), now=NOW, user_ref="Max Manager")


def test_discard_deletes_the_running_entry(env):
    entry = start(env).entry
    settings(env, require_notes=True)
    gone = stop(env, at(10), discard=True)
    assert gone.id == entry.id
    with env.ws.session() as s:
        assert s.get(TimeEntry, entry.id) is None
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "time_entry.discard")).one()


def test_required_notes_let_a_timer_start_but_not_stop(env):
    settings(env, require_notes=True)
    start(env)
    with env.ws.session() as s, raises("validation_error", "notes"):
        svc.stop_timer(s, actor=env.ws.actor(s, env.mia), now=at(10))
    with env.ws.session() as s, raises("validation_error", "notes") as err:
        svc.start_timer(s, actor=env.ws.actor(s, env.mia), project_ref="acme", source="cli",
                        now=at(10))
    assert "stop it first" in err.value.hint
    assert running_count(env) == 1
    assert stop(env, at(10), notes="wrote it").notes == "wrote it"
    start(env, now=at(20), notes="with notes")
    result = start(env, now=at(30))  # the running one has notes: it stops and saves
    assert result.stopped.duration_seconds == 600


def test_a_timer_left_running_for_days_saves_24_hours(env):
    start(env)
    assert stop(env, NOW + timedelta(days=3), notes="oops").duration_seconds == 24 * 3600


def test_a_clock_that_went_backwards_saves_zero(env):
    start(env)
    assert stop(env, at(-5)).duration_seconds == 0


def test_a_running_timer_is_never_auto_locked(env):
    settings(env, lock_after_days=1)
    start(env)
    entry = stop(env, NOW + timedelta(days=3))
    assert (entry.spent_date, entry.duration_seconds) == (TODAY, 86400)


def test_the_database_allows_one_running_timer_per_user(env):
    start(env)
    with pytest.raises(sa.exc.IntegrityError), env.ws.session() as s:
        s.add(TimeEntry(id=new_id("time_entry"), user_id=env.mia, project_id=env.acme,
                        spent_date=TODAY, is_running=True, timer_started_at=NOW))
        s.flush()


def test_a_racing_start_becomes_a_conflict(env, monkeypatch):
    """Another process started a timer between our check and our insert."""
    other = start(env).entry
    monkeypatch.setattr(timers, "find_running", lambda session, user_id: None)
    with env.ws.session() as s, raises("conflict", "timer") as err:
        svc.start_timer(s, actor=env.ws.actor(s, env.mia), project_ref="acme", source="cli",
                        now=at(1))
    assert err.value.message == "a timer is already running" and err.value.exit_code == 3
    monkeypatch.undo()
    with env.ws.session() as s:
        rows = s.exec(select(TimeEntry)).all()
    assert [(r.id, r.is_running) for r in rows] == [(other.id, True)]


def test_a_racing_start_leaves_the_session_usable(env, monkeypatch):
    start(env)
    monkeypatch.setattr(timers, "find_running", lambda session, user_id: None)
    with env.ws.session() as s:
        with raises("conflict"):
            svc.start_timer(s, actor=env.ws.actor(s, env.mia), project_ref="acme",
                            source="cli", now=at(1))
        assert s.exec(select(func.count()).select_from(TimeEntry)).one() == 1


def test_restart_starts_a_new_timer_like_an_entry(env):
    with env.ws.session() as s:
        logged = svc.log_time(s, actor=env.ws.actor(s, env.mia), project_ref="acme",
                              task_ref="development", duration="2", notes="pairing",
                              billable=False, source="cli", meta={"a": 1},
                              spent_date="2026-03-02", now=NOW)
    running = start(env).entry
    with env.ws.session() as s:
        result = svc.restart_entry(s, actor=env.ws.actor(s, env.mia), entry_id=logged.id,
                                   source="agent", now=at(30))
    new = result.entry
    assert result.stopped is not None and result.stopped.id == running.id
    assert (new.project_id, new.task_id, new.notes, new.is_billable) == (env.acme, env.dev,
                                                                         "pairing", False)
    assert (new.is_running, new.spent_date, new.meta, new.source) == (True, TODAY, {"a": 1},
                                                                      "agent")
    with env.ws.session() as s, raises("conflict", "id"):
        svc.restart_entry(s, actor=env.ws.actor(s, env.mia), entry_id=new.id, source="cli",
                          now=at(40))
    with env.ws.session() as s:
        again = svc.restart_entry(s, actor=env.ws.actor(s, env.mia), entry_id=logged.id,
                                  source="cli", meta={"b": 2}, now=at(50))
    assert again.entry.meta == {"b": 2} and again.stopped.id == new.id


def test_editing_a_running_entry(env):
    entry = start(env).entry
    with env.ws.session() as s:
        edited = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=at(5),
                                notes="changed while running", task_ref="development")
    assert edited.is_running and edited.task_id == env.dev
    for change in ({"spent_date": "2026-03-05"}, {"duration": "1"}, {"start": "8:00"}):
        with env.ws.session() as s, raises("validation_error"):
            svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=at(5),
                           **change)
    with env.ws.session() as s:
        stopped = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id,
                                 now=at(20), is_running=False)
    assert (stopped.is_running, stopped.duration_seconds, stopped.notes) == (
        False, 1200, "changed while running")


def test_patch_style_stop_with_hours(env):
    settings(env, rounding_minutes=15)
    entry = start(env).entry
    with env.ws.session() as s:
        stopped = svc.edit_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id,
                                 now=at(20), is_running=False, duration="1.5",
                                 notes="Completed OAuth implementation")
    assert (stopped.is_running, stopped.duration_seconds, stopped.is_rounded) == (False, 5400,
                                                                                  True)
    assert stopped.notes == "Completed OAuth implementation"


def test_delete_a_running_entry(env):
    entry = start(env).entry
    with env.ws.session() as s:
        svc.delete_entry(s, actor=env.ws.actor(s, env.mia), entry_id=entry.id, now=at(1))
    assert running_count(env) == 0


def test_managers_with_the_permission_run_teammates_timers(env):
    with env.ws.session() as s, raises("authorization_error"):
        svc.start_timer(s, actor=env.ws.actor(s, env.max), project_ref="acme", source="cli",
                        now=NOW, user_ref=env.mia)
    start(env)
    with env.ws.session() as s:
        seen = svc.running_timer(s, actor=env.ws.actor(s, env.max), user_ref="Mia Member")
    assert seen is not None
    with env.ws.session() as s, raises("authorization_error"):
        svc.stop_timer(s, actor=env.ws.actor(s, env.max), now=at(5), user_ref=env.mia)
    with env.ws.session() as s:
        s.get(User, env.max).manager_permissions = [ManagerPermission.EDIT_TEAM_ENTRIES.value]
    stopped = stop(env, at(5), who=env.max, user_ref=env.mia)
    assert stopped.user_id == env.mia and stopped.duration_seconds == 300
    result = start(env, who=env.max, user_ref=env.mia, now=at(10))
    assert result.entry.user_id == env.mia


def test_members_cannot_see_others_timers(env):
    start(env, who=env.admin)
    with env.ws.session() as s, raises("authorization_error"):
        svc.running_timer(s, actor=env.ws.actor(s, env.mia), user_ref=env.admin)


def test_start_follows_the_logging_rules(env):
    with env.ws.session() as s, raises("project_not_assigned"):
        svc.start_timer(s, actor=env.ws.actor(s, env.max), project_ref="acme", source="cli",
                        now=NOW)
    with env.ws.session() as s, raises("metadata_too_large"):
        svc.start_timer(s, actor=env.ws.actor(s, env.mia), project_ref="acme", source="cli",
                        meta={"x": "y" * 5000}, now=NOW)
    with env.ws.session() as s:
        s.get(Project, env.acme).is_active = False
    with env.ws.session() as s, raises("validation_error", "project"):
        svc.start_timer(s, actor=env.ws.actor(s, env.mia), project_ref="acme", source="cli",
                        now=NOW)
    assert running_count(env) == 0


def test_public_shape_of_a_running_timer(env):
    entry = start(env).entry
    with env.ws.session() as s:
        viewer = env.ws.actor(s)
    data = public.time_entry(entry, viewer=viewer, now=at(90))
    assert (data["is_running"], data["hours"], data["timer_started_at"]) == (True,
                                                                             Decimal("1.50"), NOW)
    assert public.time_entry(entry, viewer=viewer, now=NOW)["hours"] == Decimal("0.00")
