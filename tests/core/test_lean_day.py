"""keito_core.fastpath.day gives the app's first screen the same values as the ORM path.

The app opens on the day view read with plain sqlite3 (keito_core.fastpath.day), then reads again
through the ORM. These tests build days with every kind of entry and compare both reads, and
check each case the lean read must leave to the full path.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from sqlmodel import select

from keito_core.fastpath import day as lean_day
from keito_core.fastpath.status import NotHandled
from keito_core.models import TimeEntry, User
from keito_core.platform.runtime import make_runtime
from keito_core.reports.day import day_report
from keito_core.services.approvals.workflow import (
    approve_submissions,
    submit_timesheet,
    unlock_entry,
)
from keito_core.services.directory import clients, keys, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.tracking.timers import start_timer
from keito_core.services.workspace.setup import set_setting
from keito_tui.app.loaders import find_workspace

pytestmark = pytest.mark.skipif(
    os.environ.get("KEITO_TEST_DATABASE", "sqlite") != "sqlite",
    reason="the lean read opens SQLite files only; on PostgreSQL the ORM path answers",
)

#: Friday 6 March 2026, 14:30 UTC; the workspace week (Monday start) is 2-8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
DAYS = [date(2026, 3, d) for d in (2, 3, 5, 6)] + [None]


@pytest.fixture
def week(workspace):
    """A week of Ada's time from every source: approved, submitted, invoiced-free, unlocked,
    auto-locked, a running timer, a task-less entry, and Bea's time on the same days."""
    with time_machine.travel(NOW, tick=False), workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Globex", now=NOW)
        projects.create_project(s, actor=admin, name="Website", client_ref="Globex",
                                code="web", now=NOW)
        bea = users.create_user(s, actor=admin, name="Bea", email="bea@acme.test", now=NOW)
        assign_member(s, actor=admin, project_ref="web", user_ref=bea.id, now=NOW)
        _, workspace.bea_key = keys.create_key(s, actor=admin, user_ref=bea.id, name="bea", now=NOW)
        workspace.bea = bea.id

        def log(day: str, hours: str, source: str, notes: str | None = "work",
                user: str | None = None) -> str:
            return log_time(s, actor=admin, project_ref="web", duration=hours, spent_date=day,
                            notes=notes, source=source, now=NOW, user_ref=user).id

        log("2026-03-02", "2", "cli", "reviewed the plan")
        log("2026-03-03", "1.5", "agent")
        log("2026-03-03", "0.25", "api", None)
        log("2026-03-05", "3", "tui")
        log("2026-03-02", "4", "web", user=bea.id)
        submitted = submit_timesheet(s, actor=admin, date_from="2026-03-02",
                                     date_to="2026-03-03", now=NOW).submission.id
        approve_submissions(s, actor=admin, submission_ids=[submitted], note=None, now=NOW)
        workspace.unlocked = log("2026-03-05", "1", "cli", "to unlock")
        submit_timesheet(s, actor=admin, date_from="2026-03-05", date_to="2026-03-05",
                         now=NOW)
        unlock_entry(s, actor=admin, entry_id=workspace.unlocked, now=NOW)
        log("2026-03-06", "0.5", "tui", "standup")
        start_timer(s, actor=admin, project_ref="web", notes="deep work", source="tui",
                    now=NOW - timedelta(minutes=40))
        s.get(User, admin.user_id).weekly_capacity_seconds = 30 * 3600
    return workspace


def orm_report(ws, day, source_filter="all", user_id=None):
    with ws.session(readonly=True) as s:
        return day_report(s, actor=ws.actor(s, user_id), day=day, now=NOW,
                          source_filter=source_filter)


@pytest.mark.parametrize("day", DAYS)
@pytest.mark.parametrize("source_filter", ["all", "human", "cli", "api", "agent"])
def test_the_day_reads_the_same_as_through_the_orm(week, day, source_filter):
    lean = lean_day.day_report(make_runtime(), day=day, now=NOW, source_filter=source_filter)
    assert lean == orm_report(week, day, source_filter)


def test_locks_timer_and_totals_are_really_there(week):
    """The comparison above is not between two empty days."""
    monday = lean_day.day_report(make_runtime(), day=date(2026, 3, 2), now=NOW)
    assert [e.lock_reason for e in monday.entries] == ["approved"]
    thursday = lean_day.day_report(make_runtime(), day=date(2026, 3, 5), now=NOW)
    assert [e.lock_reason for e in thursday.entries] == ["submitted", None]
    assert thursday.entries[0].lock_message and "submitted" in thursday.entries[0].lock_message
    today = lean_day.day_report(make_runtime(), day=None, now=NOW)
    assert today.day == date(2026, 3, 6) and today.running is not None
    assert today.running.notes == "deep work"
    assert [e.notes for e in today.entries if e.is_running] == ["deep work"]
    assert (today.day_seconds, today.week_seconds) == (1800, int(8.25 * 3600))
    assert today.capacity_seconds == 30 * 3600


def test_an_auto_locked_day_and_a_user_timezone_read_the_same(week):
    with week.session() as s:
        set_setting(s, actor=week.actor(s), key="lock_after_days", value="2", now=NOW)
        s.get(User, week.admin_id).timezone = "Pacific/Auckland"  # already 7 March there
    for day in DAYS:
        assert lean_day.day_report(make_runtime(), day=day, now=NOW) == orm_report(week, day)
    assert lean_day.day_report(make_runtime(), day=None, now=NOW).day == date(2026, 3, 7)
    monday = lean_day.day_report(make_runtime(), day=date(2026, 3, 2), now=NOW)
    assert {e.lock_reason for e in monday.entries} == {"approved"}  # approval comes first


def test_an_api_key_reads_its_owners_day_once_its_use_is_recorded(week, monkeypatch):
    monkeypatch.setenv("KEITO_API_KEY", week.bea_key)
    with pytest.raises(NotHandled, match="due to be recorded"):
        lean_day.day_report(make_runtime(), day=None, now=NOW)
    runtime = make_runtime(clock=lambda: NOW)
    with runtime.session() as s:
        runtime.actor(s)  # the full path records the key's use
    lean = lean_day.day_report(make_runtime(), day=date(2026, 3, 2), now=NOW)
    assert lean == orm_report(week, date(2026, 3, 2), user_id=week.bea)
    assert [e.duration_seconds for e in lean.entries] == [4 * 3600]


def test_the_summary_matches_the_full_paths(week, monkeypatch):
    lean = lean_day.workspace_summary(make_runtime(), now=NOW)
    full = find_workspace(make_runtime(clock=lambda: NOW))
    assert full is not None and lean == full.__dict__
    assert lean["name"] == "Acme Consulting" and lean["user_role"] == "admin"


def test_no_database_file_is_no_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("KEITO_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    assert lean_day.workspace_summary(make_runtime(), now=NOW) is None
    assert not (tmp_path / "none.db").exists()


def test_what_the_lean_read_leaves_to_the_full_path(week, monkeypatch, db_url):
    runtime = make_runtime()
    with pytest.raises(NotHandled):
        lean_day.day_report(runtime, day=None, now=NOW, source_filter="robots")
    with week.session() as s:  # an archived user
        s.get(User, week.bea).status = "archived"
    monkeypatch.setenv("KEITO_API_KEY", week.bea_key)
    with pytest.raises(NotHandled):
        lean_day.workspace_summary(make_runtime(), now=NOW)
    monkeypatch.delenv("KEITO_API_KEY")
    path = db_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:  # a schema to upgrade
        connection.execute("UPDATE alembic_version SET version_num = '0001'")
    with pytest.raises(NotHandled, match="head revision"):
        lean_day.day_report(make_runtime(), day=None, now=NOW)
    monkeypatch.setenv("KEITO_DATABASE_URL", db_url + "?timeout=5")
    with pytest.raises(NotHandled, match="not a SQLite file"):
        lean_day.day_report(make_runtime(), day=None, now=NOW)


def test_deleted_and_foreign_entries_never_show(week):
    with week.session() as s:
        entry = s.exec(select(TimeEntry).where(TimeEntry.notes == "standup")).one()
        s.delete(entry)
    lean = lean_day.day_report(make_runtime(), day=None, now=NOW)
    assert [e.notes for e in lean.entries] == ["deep work"]  # the running timer
    assert lean == orm_report(week, None)


def test_importing_it_loads_no_orm():
    code = ("import sys, keito_core.fastpath.day, keito_tui.app.keito_app\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sqlalchemy', 'sqlmodel', 'alembic') or m.startswith('keito_core.models')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "[]"
