"""Every write is stamped with the `now` it is given, never with the wall clock.

The scenario runs every write service in turn, each at its own instant in March 2026 (while the
wall clock reads the test run's date), and checks that each stamp a step sets (created_at,
updated_at, archived_at, revoked_at, read_at, submitted_at, decided_at, unlocked_at, and its
audit events) is exactly that step's instant. A structural check holds every function of the core
that writes rows to a required keyword `now`, and keeps the wall clock out of the services.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from conftest import WORKSPACE_CREATED_AT

from keito_core.models import User, metadata
from keito_core.platform import audit
from keito_core.services.approvals import reminders, workflow
from keito_core.services.directory import (
    categories,
    clients,
    keys,
    project_team,
    projects,
    tasks,
    users,
)
from keito_core.services.inbox import notifications
from keito_core.services.tracking import agent_sessions, expenses, time_entries, timers, week_cells
from keito_core.services.workspace import setup

#: Columns that record when the row, or a change to it, was made.
STAMPS = ("created_at", "updated_at", "archived_at", "revoked_at", "read_at", "submitted_at",
          "decided_at", "unlocked_at")
#: Monday 2 March 2026, 08:00 UTC: step k of the scenario runs k minutes later.
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MONDAY, TUESDAY = date(2026, 3, 2), date(2026, 3, 3)

Step = Callable[[Any, Any, dict[str, Any], datetime], Any]


def stamps(session) -> dict[tuple[str, tuple[Any, ...], str], datetime]:
    """Every stamp in the database, by (table, primary key, column)."""
    found = {}
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if c.name in STAMPS]
        if not columns:
            continue
        key = list(table.primary_key.columns)
        for row in session.execute(sa.select(*key, *columns)).all():
            ident = tuple(row[: len(key)])
            for column, value in zip(columns, row[len(key):], strict=True):
                if value is not None:
                    found[(table.name, ident, column.name)] = value
    return found


def _steps() -> list[tuple[str, Step, bool]]:
    """(name, write, whether it leaves an audit event): every write service, in an order where
    each finds what it needs. `ids` carries what earlier steps made."""

    def keep(name: str, value: Any) -> Any:
        return lambda s, a, ids, now: ids.__setitem__(name, value(s, a, ids, now))

    return [
        ("set_setting", lambda s, a, ids, now: setup.set_setting(
            s, actor=a, key="features.approvals", value="true", now=now), True),
        ("create_client", keep("client", lambda s, a, ids, now: clients.create_client(
            s, actor=a, name="Globex", now=now).id), True),
        ("edit_client", lambda s, a, ids, now: clients.edit_client(
            s, actor=a, ref=ids["client"], city="Leeds", now=now), True),
        ("add_contact", keep("contact", lambda s, a, ids, now: clients.add_contact(
            s, actor=a, client_ref=ids["client"], first_name="Gil", now=now).id), True),
        ("edit_contact", lambda s, a, ids, now: clients.edit_contact(
            s, actor=a, contact_id=ids["contact"], title="CTO", now=now), True),
        ("remove_contact", lambda s, a, ids, now: clients.remove_contact(
            s, actor=a, contact_id=ids["contact"], now=now), True),
        ("archive_client", lambda s, a, ids, now: clients.archive_client(
            s, actor=a, ref=ids["client"], now=now), True),
        ("restore_client", lambda s, a, ids, now: clients.restore_client(
            s, actor=a, ref=ids["client"], now=now), True),
        ("create_task", keep("task", lambda s, a, ids, now: tasks.create_task(
            s, actor=a, name="Design", now=now).id), True),
        ("edit_task", lambda s, a, ids, now: tasks.edit_task(
            s, actor=a, ref=ids["task"], rate="90", now=now), True),
        ("archive_task", lambda s, a, ids, now: tasks.archive_task(
            s, actor=a, ref=ids["task"], now=now), True),
        ("restore_task", lambda s, a, ids, now: tasks.restore_task(
            s, actor=a, ref=ids["task"], now=now), True),
        ("create_category", keep("category", lambda s, a, ids, now: categories.create_category(
            s, actor=a, name="Parking", unit_name="hour", unit_price="2.4", now=now).id), True),
        ("edit_category", lambda s, a, ids, now: categories.edit_category(
            s, actor=a, ref=ids["category"], unit_price="0.5", now=now), True),
        ("archive_category", lambda s, a, ids, now: categories.archive_category(
            s, actor=a, ref=ids["category"], now=now), True),
        ("restore_category", lambda s, a, ids, now: categories.restore_category(
            s, actor=a, ref=ids["category"], now=now), True),
        ("create_project", keep("project", lambda s, a, ids, now: projects.create_project(
            s, actor=a, name="Website", client_ref=ids["client"], code="web", rate="100",
            now=now).id), True),
        ("edit_project", lambda s, a, ids, now: projects.edit_project(
            s, actor=a, ref="web", notes="phase one", now=now), True),
        ("archive_project", lambda s, a, ids, now: projects.archive_project(
            s, actor=a, ref="web", now=now), True),
        ("restore_project", lambda s, a, ids, now: projects.restore_project(
            s, actor=a, ref="web", now=now), True),
        ("add_project_task", lambda s, a, ids, now: project_team.add_project_task(
            s, actor=a, project_ref="web", task_ref=ids["task"], now=now), True),
        ("remove_project_task", lambda s, a, ids, now: project_team.remove_project_task(
            s, actor=a, project_ref="web", task_ref=ids["task"], now=now), True),
        ("create_user", keep("bea", lambda s, a, ids, now: users.create_user(
            s, actor=a, name="Bea", email="bea@acme.test", now=now).id), True),
        ("edit_user", lambda s, a, ids, now: users.edit_user(
            s, actor=a, ref=ids["bea"], phone="123", business_roles=["Design"], now=now), True),
        ("set_teammates", lambda s, a, ids, now: users.set_teammates(
            s, actor=a, manager_ref=a.user_id, add=[ids["bea"]], now=now), True),
        ("assign_member", lambda s, a, ids, now: project_team.assign_member(
            s, actor=a, project_ref="web", user_ref=ids["bea"], now=now), True),
        ("unassign_member", lambda s, a, ids, now: project_team.unassign_member(
            s, actor=a, project_ref="web", user_ref=ids["bea"], now=now), True),
        ("create_key", keep("key", lambda s, a, ids, now: keys.create_key(
            s, actor=a, user_ref=ids["bea"], name="laptop", now=now)[0].id), True),
        ("revoke_key", lambda s, a, ids, now: keys.revoke_key(
            s, actor=a, key_ref=ids["key"], now=now), True),
        ("archive_user", lambda s, a, ids, now: users.archive_user(
            s, actor=a, ref=ids["bea"], now=now), True),
        ("reactivate_user", lambda s, a, ids, now: users.reactivate_user(
            s, actor=a, ref=ids["bea"], now=now), True),
        ("log_time", keep("entry", lambda s, a, ids, now: time_entries.log_time(
            s, actor=a, project_ref="web", duration="2", spent_date=MONDAY, notes="plan",
            source="cli", now=now).id), True),
        ("edit_entry", lambda s, a, ids, now: time_entries.edit_entry(
            s, actor=a, entry_id=ids["entry"], notes="the plan", now=now), True),
        ("copy_entry", keep("copy", lambda s, a, ids, now: time_entries.copy_entry(
            s, actor=a, entry_id=ids["entry"], spent_date=TUESDAY, source="cli",
            now=now).id), True),
        ("delete_entry", lambda s, a, ids, now: time_entries.delete_entry(
            s, actor=a, entry_id=ids["copy"], now=now), True),
        ("set_cell", lambda s, a, ids, now: week_cells.set_cell(
            s, actor=a, project_ref="web", task_ref=None, day=TUESDAY, duration_text="1:30",
            notes="review", now=now), True),
        ("start_timer", keep("timer", lambda s, a, ids, now: timers.start_timer(
            s, actor=a, project_ref="web", notes="calls", source="cli", now=now).entry.id),
         True),
        ("stop_timer", lambda s, a, ids, now: timers.stop_timer(s, actor=a, now=now), True),
        ("restart_entry", lambda s, a, ids, now: timers.restart_entry(
            s, actor=a, entry_id=ids["timer"], source="cli", now=now), True),
        ("discard the timer", lambda s, a, ids, now: timers.stop_timer(
            s, actor=a, discard=True, now=now), True),
        ("start_session", lambda s, a, ids, now: agent_sessions.start_session(
            s, actor=a, agent_type="claude", session_id="s1", project_ref="web", now=now), True),
        ("end_session", lambda s, a, ids, now: agent_sessions.end_session(
            s, actor=a, agent_type="claude", session_id="s1", now=now), True),
        ("log_expense", keep("expense", lambda s, a, ids, now: expenses.log_expense(
            s, actor=a, project_ref="web", category_ref="Parking", quantity="10",
            spent_date=MONDAY, source="cli", now=now).id), True),
        ("edit_expense", lambda s, a, ids, now: expenses.edit_expense(
            s, actor=a, expense_id=ids["expense"], notes="to the client", now=now), True),
        ("log a second expense", keep("expense2", lambda s, a, ids, now: expenses.log_expense(
            s, actor=a, project_ref="web", category_ref="Parking", quantity="4",
            spent_date=TUESDAY, source="cli", now=now).id), True),
        ("delete_expense", lambda s, a, ids, now: expenses.delete_expense(
            s, actor=a, expense_id=ids["expense2"], now=now), True),
        ("run_reminders", lambda s, a, ids, now: reminders.run_reminders(
            s, actor=a, now=now, kind="reminder", send=True, force=True), True),
        ("submit_timesheet", keep("submission", lambda s, a, ids, now: workflow.submit_timesheet(
            s, actor=a, date_from=MONDAY, date_to=TUESDAY, now=now).submission.id), True),
        ("reject_submissions", lambda s, a, ids, now: workflow.reject_submissions(
            s, actor=a, submission_ids=[ids["submission"]], reason="split it", now=now), True),
        ("submit again", keep("submission", lambda s, a, ids, now: workflow.submit_timesheet(
            s, actor=a, date_from=MONDAY, date_to=TUESDAY, now=now).submission.id), True),
        ("approve_submissions", lambda s, a, ids, now: workflow.approve_submissions(
            s, actor=a, submission_ids=[ids["submission"]], now=now), True),
        ("unlock_entry", lambda s, a, ids, now: workflow.unlock_entry(
            s, actor=a, entry_id=ids["entry"], now=now), True),
        ("unlock_expense", lambda s, a, ids, now: workflow.unlock_expense(
            s, actor=a, expense_id=ids["expense"], now=now), True),
        ("withdraw_approvals", lambda s, a, ids, now: workflow.withdraw_approvals(
            s, actor=a, submission_ids=[ids["submission"]], now=now), True),
        ("notify", keep("notes", lambda s, a, ids, now: [n.id for n in notifications.notify(
            s, user_ids=[a.user_id], kind="system", title="Hello", now=now)]), False),
        ("mark_read", lambda s, a, ids, now: notifications.mark_read(
            s, actor=a, all=True, now=now), False),
        ("audit.record", lambda s, a, ids, now: audit.record(
            s, actor_id=a.user_id, action="user.note", entity=s.get(User, ids["bea"]),
            now=now), True),
        ("delete_client", lambda s, a, ids, now: clients.delete_client(
            s, actor=a, ref=clients.create_client(s, actor=a, name="Gone", now=now).id,
            now=now), True),
    ]


def test_each_write_stamps_exactly_the_instant_it_was_given(workspace) -> None:
    with workspace.session(readonly=True) as s:
        made = stamps(s)
    assert made and set(made.values()) == {WORKSPACE_CREATED_AT}, "init_workspace's stamps"
    ids: dict[str, Any] = {}
    wrong = []
    for minute, (name, step, audited) in enumerate(_steps(), start=1):
        now = START + timedelta(minutes=minute)
        with workspace.session() as s:
            before = stamps(s)
            step(s, workspace.actor(s), ids, now)
            s.flush()
            after = stamps(s)
        changed = {key: value for key, value in after.items() if before.get(key) != value}
        if not changed:
            wrong.append(f"{name}: stamped nothing")
        elif set(changed.values()) != {now}:
            wrong.append(f"{name}: {sorted(set(changed.values()) - {now})} instead of {now}")
        events = {key for key in changed if key[0] == "audit_events"}
        if audited != bool(events):
            wrong.append(f"{name}: {'no' if audited else 'an'} audit event")
    assert wrong == []


def _writes(tree: ast.Module) -> list[ast.FunctionDef]:
    """The functions that add, delete or audit rows themselves."""
    def writes(fn: ast.FunctionDef) -> bool:
        for node in ast.walk(fn):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                owner = node.func.value
                name = owner.id if isinstance(owner, ast.Name) else None
                if (name == "session" and node.func.attr in ("add", "add_all", "delete")) or (
                        name == "audit" and node.func.attr in ("record", "save_changes",
                                                                 "set_active")):
                    return True
        return False

    return [node for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and writes(node)]


def test_every_write_requires_now_and_services_never_read_the_wall_clock() -> None:
    """Anywhere in the core, a function that writes rows takes a required keyword `now`; the
    services and the audit trail never read the clock themselves."""
    root = Path(__file__).resolve().parents[2] / "keito_core"
    services = {*(root / "services").rglob("*.py"), root / "platform" / "audit.py"}
    lacking, clocks = [], []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for fn in _writes(ast.parse(text)):
            required = {a.arg for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults,
                                               strict=True) if d is None}
            if "now" not in required:
                lacking.append(f"{path.relative_to(root)}:{fn.lineno} {fn.name}")
        if path in services:
            clocks += [f"{path.relative_to(root)}: {word}" for word in
                       ("utcnow", "datetime.now", "date.today", "time.time") if word in text]
    assert len(services) > 10
    assert lacking == []
    assert clocks == []
