"""Task services: handles, unique names, rates, archive, permissions."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from keito_core.enums import ManagerPermission, Role
from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, Task, User
from keito_core.platform.ids import new_id
from keito_core.services.directory import tasks as svc

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


def _user(workspace, role: Role, permissions: tuple[ManagerPermission, ...] = ()) -> str:
    with workspace.session() as s:
        user = User(id=new_id("user"), name=f"{role} user", email=f"{new_id('user')[-8:]}@a.test",
                    role=role, manager_permissions=[p.value for p in permissions])
        s.add(user)
    return user.id


def _task(workspace, name: str = "Development", **kwargs) -> Task:
    with workspace.session() as s:
        return svc.create_task(s, actor=workspace.actor(s), name=name, **kwargs, now=NOW)


def test_create_task_with_handle_rate_and_defaults(workspace):
    task = _task(workspace, "Project Management", rate="120.50", billable=False, is_default=True)
    assert task.id.startswith("tsk_")
    assert task.handle == "project-management"
    assert task.default_rate == Decimal("120.50")
    assert (task.is_billable_default, task.is_default, task.is_active) == (False, True, True)
    plain = _task(workspace, "Meetings")
    assert (plain.is_billable_default, plain.default_rate, plain.is_default) == (True, None, False)
    with workspace.session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.entity_id == task.id)).one().action == (
            "task.create")


def test_handles_are_made_unique(workspace):
    _task(workspace, "Q&A")
    second = _task(workspace, "Q A")
    assert second.handle == "q-a-2"


def test_duplicate_names_and_bad_rates_are_refused(workspace):
    _task(workspace, "Design")
    cases = [({"name": "DESIGN"}, "conflict", "name"),
             ({"name": "Dev", "rate": "-5"}, "validation_error", "rate"),
             ({"name": "Dev", "rate": "abc"}, "validation_error", "rate"),
             ({"name": ""}, "validation_error", "name")]
    for kwargs, code, field in cases:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            svc.create_task(s, actor=workspace.actor(s), **kwargs, now=NOW)
        assert (err.value.code, err.value.field) == (code, field)
    with workspace.session() as s:
        assert [t.name for t in s.exec(select(Task)).all()] == ["Design"]


def test_rename_keeps_the_handle_unless_a_new_one_is_given(workspace):
    task = _task(workspace, "Development", rate="100")
    with workspace.session() as s:
        edited = svc.edit_task(s, actor=workspace.actor(s), ref="development",
                               name="Engineering", rate=None, billable=False, now=NOW)
        assert (edited.name, edited.handle, edited.default_rate) == ("Engineering", "development",
                                                                     None)
        assert edited.is_billable_default is False
    with workspace.session() as s:
        edited = svc.edit_task(s, actor=workspace.actor(s), ref=task.id, handle="Eng",
                               rate="none", is_default=True, now=NOW)
        assert (edited.handle, edited.is_default) == ("eng", True)
    with workspace.session() as s:
        assert svc.get_task(s, actor=workspace.actor(s), ref="eng").id == task.id


def test_edit_validates_handles_and_names(workspace):
    _task(workspace, "Design")
    task = _task(workspace, "Research")
    cases = [({"handle": "bad handle!"}, "validation_error", "handle"),
             ({"handle": "tsk_0123456789012345678901"}, "validation_error", "handle"),
             ({"handle": "design"}, "conflict", "handle"),
             ({"name": "design"}, "conflict", "name"),
             ({"rate": "-1"}, "validation_error", "rate")]
    for kwargs, code, field in cases:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            svc.edit_task(s, actor=workspace.actor(s), ref=task.id, **kwargs, now=NOW)
        assert (err.value.code, err.value.field) == (code, field)
    with workspace.session() as s:
        # A change of case in its own name is fine.
        assert svc.edit_task(s, actor=workspace.actor(s), ref=task.id, name="RESEARCH",
                             now=NOW).handle == (
            "research")


def test_archive_restore_and_list(workspace):
    _task(workspace, "beta")
    _task(workspace, "Alpha")
    with workspace.session() as s:
        svc.archive_task(s, actor=workspace.actor(s), ref="beta", now=NOW)
    with workspace.session() as s:
        actor = workspace.actor(s)
        assert [t.name for t in svc.list_tasks(s, actor=actor)] == ["Alpha"]
        assert [t.name for t in svc.list_tasks(s, actor=actor, status="archived")] == ["beta"]
        assert [t.name for t in svc.list_tasks(s, actor=actor, status="all")] == ["Alpha", "beta"]
        svc.restore_task(s, actor=actor, ref="beta", now=NOW)
        assert len(svc.list_tasks(s, actor=actor)) == 2


def test_members_may_view_but_not_change_tasks(workspace):
    task = _task(workspace, "Design")
    member = _user(workspace, Role.MEMBER)
    with workspace.session() as s:
        assert [t.id for t in svc.list_tasks(s, actor=workspace.actor(s, member))] == [task.id]
    calls = [
        lambda s, a: svc.create_task(s, actor=a, name="Sneaky", now=NOW),
        lambda s, a: svc.edit_task(s, actor=a, ref=task.id, name="Hacked", now=NOW),
        lambda s, a: svc.archive_task(s, actor=a, ref=task.id, now=NOW),
    ]
    for call in calls:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            call(s, workspace.actor(s, member))
        assert err.value.code == "authorization_error"
    with workspace.session() as s:
        stored = s.get(Task, task.id)
        assert (stored.name, stored.is_active) == ("Design", True)
        assert len(s.exec(select(Task)).all()) == 1


def test_managers_with_the_permission_may_manage_tasks(workspace):
    manager = _user(workspace, Role.MANAGER, (ManagerPermission.MANAGE_CLIENTS_TASKS,))
    with workspace.session() as s:
        assert svc.create_task(s, actor=workspace.actor(s, manager), name="Testing",
                               now=NOW).handle == (
            "testing")
