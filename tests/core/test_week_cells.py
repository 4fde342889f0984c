"""Setting a week grid cell: log, edit, clear, refuse several entries, refuse locked cells."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlmodel import select

from keito_core.enums import ApprovalStatus, Source
from keito_core.errors import KeitoError
from keito_core.models import (
    AuditEvent,
    Client,
    Project,
    ProjectTask,
    Task,
    TimeEntry,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.services.tracking.week_cells import CellChange, cell_seconds, set_cell

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
MONDAY = date(2026, 3, 2)


@pytest.fixture
def env(workspace):
    """Project `web` with task `development`; the administrator logs to it."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        s.add_all([client, dev])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Website", handle="web")
        s.add(web)
        s.flush()
        s.add(ProjectTask(id=new_id("project_task"), project_id=web.id, task_id=dev.id))
    return SimpleNamespace(ws=workspace, web=web.id, dev=dev.id)


def put(env, text: str | None = None, *, day: date = MONDAY, task: str | None = "dev",
        seconds: int | None = None) -> CellChange:
    with env.ws.session() as s:
        return set_cell(s, actor=env.ws.actor(s), project_ref=env.web,
                        task_ref=getattr(env, task) if task else None, day=day,
                        duration_text=text, seconds=seconds, now=NOW)


def entries(env) -> list[SimpleNamespace]:
    """The stored entries as plain values, oldest first."""
    with env.ws.session(readonly=True) as s:
        rows = s.exec(select(TimeEntry).order_by(TimeEntry.created_at, TimeEntry.id)).all()
        return [SimpleNamespace(id=e.id, duration_seconds=e.duration_seconds, task_id=e.task_id,
                                spent_date=e.spent_date, source=e.source) for e in rows]


def add(env, hours: float, **kw) -> str:
    entry_id = new_id("time_entry")
    with env.ws.session() as s:
        s.add(TimeEntry(id=entry_id, user_id=env.ws.admin_id, project_id=env.web,
                        task_id=env.dev, spent_date=MONDAY, duration_seconds=int(hours * 3600),
                        **kw))
    return entry_id


def refused(env, text: str, **kw) -> KeitoError:
    with pytest.raises(KeitoError) as caught:
        put(env, text, **kw)
    return caught.value


@pytest.mark.parametrize(("text", "seconds"), [("1.5", 5400), ("1:30", 5400), ("0:05", 300),
                                               ("2h15m", 8100)])
def test_an_empty_cell_logs_a_new_entry_from_the_app(env, text: str, seconds: int) -> None:
    change = put(env, text)
    [entry] = entries(env)
    assert change == CellChange("created", entry.id, seconds)
    assert entry.duration_seconds == seconds and entry.spent_date == MONDAY
    assert entry.source is Source.TUI and entry.task_id == env.dev


def test_a_cell_without_a_task_logs_an_entry_without_one(env) -> None:
    put(env, "2", task=None)
    put(env, "1", task="dev")
    assert sorted((e.task_id or "", e.duration_seconds) for e in entries(env)) == [
        ("", 7200), (env.dev, 3600)]


def test_a_cell_with_one_entry_edits_its_duration_and_audits_it(env) -> None:
    entry_id = add(env, 1)
    change = put(env, "2:45")
    assert change == CellChange("edited", entry_id, 9900)
    assert [e.duration_seconds for e in entries(env)] == [9900]
    with env.ws.session(readonly=True) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == entry_id)).all()
    assert actions == ["time_entry.edit"]


def test_the_same_duration_changes_nothing(env) -> None:
    entry_id = add(env, 1.5)
    assert put(env, "1:30") == CellChange("unchanged", entry_id, 5400)
    assert put(env, "", day=date(2026, 3, 3)) == CellChange("unchanged", None, 0)
    assert len(entries(env)) == 1


@pytest.mark.parametrize("text", ["0", "", "  ", "0:00"])
def test_clearing_a_cell_deletes_its_one_entry(env, text: str) -> None:
    entry_id = add(env, 1)
    assert put(env, text) == CellChange("deleted", entry_id, 0)
    assert entries(env) == []


def test_seconds_can_be_given_instead_of_text(env) -> None:
    assert put(env, seconds=4799).seconds == 4799
    with pytest.raises(TypeError):
        cell_seconds("1", 60)
    with pytest.raises(KeitoError):
        cell_seconds(None, 25 * 3600)


def test_a_cell_of_several_entries_is_never_overwritten(env) -> None:
    add(env, 1)
    add(env, 2)
    error = refused(env, "4")
    assert error.code == "conflict" and "2 entries" in error.message
    assert "open" in (error.hint or "")
    assert sorted(e.duration_seconds for e in entries(env)) == [3600, 7200]


def test_a_bad_duration_is_a_validation_error(env) -> None:
    add(env, 1)
    error = refused(env, "lots")
    assert error.code == "validation_error" and error.field == "duration"
    assert refused(env, "25").code == "validation_error"
    assert [e.duration_seconds for e in entries(env)] == [3600]


def test_a_locked_entry_refuses_changes_before_reading_the_duration(env) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).feature_approvals = True
    add(env, 1, approval_status=ApprovalStatus.APPROVED)
    for text in ("3", "0", "nonsense"):
        assert refused(env, text).code == "locked"
    assert [e.duration_seconds for e in entries(env)] == [3600]


def test_an_auto_locked_day_takes_no_new_entry(env) -> None:
    with env.ws.session() as s:
        s.get(Workspace, env.ws.workspace_id).lock_after_days = 2
    assert refused(env, "1").code == "locked"
    assert put(env, "3", day=date(2026, 3, 5)).action == "created"
