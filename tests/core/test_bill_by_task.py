"""A project that bills by task needs a task on every entry; elsewhere a task stays optional."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from keito_core.enums import BillBy, ProjectType
from keito_core.errors import KeitoError
from keito_core.models import Client, Project, ProjectTask, Task
from keito_core.platform.ids import new_id
from keito_core.services.tracking import time_entries, timers, week_cells

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 6)


@pytest.fixture
def env(workspace):
    """`by-task` bills by task (development 120, design); `by-project` bills at 100;
    `internal` is non-billable though set to bill by task."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development",
                   default_rate=Decimal("120"))
        design = Task(id=new_id("task"), name="Design", handle="design")
        s.add_all([client, dev, design])
        s.flush()
        projects = {
            "by-task": Project(id=new_id("project"), client_id=client.id, name="By Task",
                               handle="by-task", bill_by=BillBy.TASK),
            "by-project": Project(id=new_id("project"), client_id=client.id, name="By Project",
                                  handle="by-project", hourly_rate=Decimal("100")),
            "internal": Project(id=new_id("project"), client_id=client.id, name="Internal",
                                handle="internal", bill_by=BillBy.TASK,
                                project_type=ProjectType.NON_BILLABLE),
        }
        s.add_all(projects.values())
        s.flush()
        for project in projects.values():
            for task in (dev, design):
                s.add(ProjectTask(id=new_id("project_task"), project_id=project.id,
                                  task_id=task.id))
    return SimpleNamespace(ws=workspace, dev=dev.id)


def _log(env, project: str, task: str | None = None):
    with env.ws.session() as s:
        return time_entries.log_time(s, actor=env.ws.actor(s), project_ref=project,
                                     task_ref=task, duration="1", source="cli", now=NOW)


def _refused_for_want_of_a_task(info: pytest.ExceptionInfo[KeitoError]) -> None:
    error = info.value
    assert (error.code, error.field) == ("validation_error", "task")
    assert "bills by task" in error.message
    assert error.hint is not None and "design, development" in error.hint
    assert "KEITO_TASK" in error.hint


def test_logging_without_a_task_is_refused_and_names_the_tasks(env) -> None:
    with pytest.raises(KeitoError) as info:
        _log(env, "by-task")
    _refused_for_want_of_a_task(info)


def test_with_a_task_it_bills_at_the_task_rate(env) -> None:
    assert _log(env, "by-task", "development").billable_rate == Decimal("120")


@pytest.mark.parametrize("project", ["by-project", "internal"])
def test_a_task_stays_optional_elsewhere(env, project: str) -> None:
    entry = _log(env, project)
    assert entry.task_id is None


def test_starting_a_timer_without_a_task_is_refused(env) -> None:
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        timers.start_timer(s, actor=env.ws.actor(s), project_ref="by-task", source="cli",
                           now=NOW)
    _refused_for_want_of_a_task(info)


def test_a_week_cell_without_a_task_is_refused(env) -> None:
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        week_cells.set_cell(s, actor=env.ws.actor(s), project_ref="by-task", task_ref=None,
                            day=TODAY, duration_text="1", now=NOW)
    _refused_for_want_of_a_task(info)


def test_an_edit_cannot_remove_the_task(env) -> None:
    entry = _log(env, "by-task", "development")
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        time_entries.edit_entry(s, actor=env.ws.actor(s), entry_id=entry.id, now=NOW,
                                task_ref="")
    _refused_for_want_of_a_task(info)
