"""Project services: creation rules, lookups, budgets, team, tasks and permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from keito_core.enums import BillBy, BudgetBy, ProjectType, Role, UserStatus
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
)
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_project
from keito_core.services.directory import project_team as team
from keito_core.services.directory import projects as svc

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


def add_client(s, name="Globex", *, active=True) -> Client:
    client = Client(id=new_id("client"), name=name, currency="GBP", is_active=active)
    s.add(client)
    s.flush()
    return client


def add_task(s, name, *, default=False, active=True, billable=True, rate=None) -> Task:
    task = Task(id=new_id("task"), name=name, handle=name.lower().replace(" ", "-"),
                is_default=default, is_active=active, is_billable_default=billable,
                default_rate=rate)
    s.add(task)
    s.flush()
    return task


def add_user(s, name, *, role=Role.MEMBER, permissions=(), status=UserStatus.ACTIVE,
             rate=None) -> User:
    user = User(id=new_id("user"), name=name, email=f"{name.lower()}@acme.test", role=role,
                manager_permissions=list(permissions), status=status, default_rate=rate)
    s.add(user)
    s.flush()
    return user


def expect(code, field=None):
    """A context asserting a KeitoError with `code` (and `field`) is raised."""

    class _Expect:
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

    return _Expect()


@pytest.fixture
def ws(workspace):
    with workspace.session() as s:
        add_client(s, "Globex")
        add_client(s, "Initech")
        add_client(s, "Oldco", active=False)
    return workspace


def create(ws, s, name="Website", client="Globex", **kw) -> Project:
    return svc.create_project(s, actor=ws.actor(s), name=name, client_ref=client, **kw, now=NOW)


def test_create_sets_defaults_handle_tasks_and_creator(ws):
    with ws.session() as s:
        design = add_task(s, "Design", default=True)
        add_task(s, "Meetings", default=True, active=False)
        add_task(s, "Research")
        p = create(ws, s, code="acme", rate="120")
        assert (p.code, p.handle, p.project_type, p.bill_by) == (
            "acme", "acme", ProjectType.TIME_AND_MATERIALS, BillBy.PROJECT)
        assert p.hourly_rate == Decimal("120") and p.budget_alert_percent == 80
        tasks = s.exec(select(ProjectTask.task_id).where(ProjectTask.project_id == p.id)).all()
        assert tasks == [design.id]
        member = s.exec(select(ProjectMember).where(ProjectMember.project_id == p.id)).one()
        assert member.user_id == ws.admin_id and not member.is_project_manager
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "project.create")).one()


def test_handle_from_name_is_made_unique(ws):
    with ws.session() as s:
        first = create(ws, s, "Web Site", "Globex")
        second = create(ws, s, "Web Site", "Initech")
        explicit = create(ws, s, "Other", handle="My Handle")
    assert (first.handle, second.handle, explicit.handle) == ("web-site", "web-site-2",
                                                               "my-handle")


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"client": "Nobody"}, "not_found", "client"),
        ({"client": "Oldco"}, "validation_error", "client"),
        ({"rate": "-5"}, "validation_error", "rate"),
        ({"rate": "abc"}, "validation_error", "rate"),
        ({"budget_by": "hours", "budget": "-1"}, "validation_error", "budget"),
        ({"budget_by": "hours"}, "validation_error", "budget"),
        ({"budget": "10"}, "validation_error", "budget"),
        ({"budget_by": "weekly"}, "validation_error", "budget_by"),
        ({"project_type": "barter"}, "validation_error", "project_type"),
        ({"project_type": "fixed-fee"}, "validation_error", "fixed_fee"),
        ({"project_type": "fixed_fee", "fixed_fee": "-1"}, "validation_error", "fixed_fee"),
        ({"fixed_fee": "100"}, "validation_error", "fixed_fee"),
        ({"project_type": "non-billable", "rate": "50"}, "validation_error", "rate"),
        ({"starts_on": "2026-03-01", "ends_on": "2026-02-01"}, "validation_error", "ends_on"),
        ({"starts_on": "2026-02-30"}, "validation_error", "starts_on"),
        ({"budget_alert_percent": "150"}, "validation_error", "budget_alert_percent"),
        ({"budget_by": "hours", "budget": "10", "budget_includes_expenses": True},
         "validation_error", "budget_includes_expenses"),
        ({"code": "two words"}, "validation_error", "code"),
        ({"name": "  "}, "validation_error", "name"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(ws, kwargs, code, field):
    kwargs = {"name": "Website", "client": "Globex", **kwargs}
    with ws.session() as s, expect(code, field):
        create(ws, s, **kwargs)
    with ws.session() as s:
        assert s.exec(select(Project)).all() == []


def test_duplicates_are_conflicts(ws):
    with ws.session() as s:
        create(ws, s, code="ACME")
    for kwargs, field in [({"name": "Other", "code": "acme"}, "code"),
                          ({"name": "website"}, "name"),
                          ({"name": "Other", "handle": "ACME"}, "handle")]:
        with ws.session() as s, expect("conflict", field):
            create(ws, s, **kwargs)
    with ws.session() as s:
        assert len(s.exec(select(Project)).all()) == 1
        create(ws, s, "Website", "Initech")  # same name, other client: fine


def test_types_budgets_and_normalised_choices(ws):
    with ws.session() as s:
        fixed = create(ws, s, "Fixed", project_type="fixed-fee", fixed_fee="12000",
                       budget_by="fees", budget="10000", budget_includes_expenses=True,
                       budget_monthly_reset=True, budget_alert_percent="90%",
                       budget_visible_to_team=False, starts_on="2026-01-01",
                       ends_on=date(2026, 6, 30))
        internal = create(ws, s, "Internal", project_type="NON_BILLABLE", bill_by="task",
                          budget_by="total_hours", budget="40")
    assert fixed.project_type is ProjectType.FIXED_FEE and fixed.fixed_fee == Decimal(12000)
    assert (fixed.budget_by, fixed.budget_amount, fixed.budget_hours) == (
        BudgetBy.TOTAL_FEES, Decimal(10000), None)
    assert fixed.budget_alert_percent == 90 and fixed.budget_monthly_reset
    assert fixed.starts_on == date(2026, 1, 1) and fixed.ends_on == date(2026, 6, 30)
    assert internal.bill_by is BillBy.NONE and internal.budget_hours == Decimal(40)


def test_edit_changes_settings_and_validates_the_result(ws):
    with ws.session() as s:
        create(ws, s, code="web", budget_by="hours", budget="100")
    with ws.session() as s:
        p = svc.edit_project(s, actor=ws.actor(s), ref="WEB", name="Web Relaunch",
                             budget_by="fees", budget="5000", rate="95", code=None, now=NOW)
        assert (p.name, p.code, p.handle) == ("Web Relaunch", None, "web")
        assert (p.budget_hours, p.budget_amount, p.hourly_rate) == (
            None, Decimal(5000), Decimal(95))
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "project.edit")).one()
    with ws.session() as s, expect("validation_error", "fixed_fee"):
        svc.edit_project(s, actor=ws.actor(s), ref="web", project_type="fixed_fee", now=NOW)
    with ws.session() as s, expect("validation_error", "budget"):
        svc.edit_project(s, actor=ws.actor(s), ref="web", budget_by="hours", now=NOW)
    with ws.session() as s:
        p = svc.edit_project(s, actor=ws.actor(s), ref="web", project_type="fixed_fee",
                             fixed_fee="9000", now=NOW)
        assert p.fixed_fee == Decimal(9000)
        p = svc.edit_project(s, actor=ws.actor(s), ref="web", project_type="time-and-materials",
                             now=NOW)
        assert p.fixed_fee is None and p.bill_by is BillBy.PROJECT
    with ws.session() as s:
        create(ws, s, "Other", code="other")
    with ws.session() as s, expect("conflict", "code"):
        svc.edit_project(s, actor=ws.actor(s), ref="web", code="OTHER", now=NOW)
    with pytest.raises(TypeError), ws.session() as s:
        svc.edit_project(s, actor=ws.actor(s), ref="web", colour="red", now=NOW)


def test_client_changes_only_while_nothing_is_invoiced(ws):
    with ws.session() as s:
        p = create(ws, s)
        moved = svc.edit_project(s, actor=ws.actor(s), ref=p.id, client_ref="initech", now=NOW)
        assert s.get(Client, moved.client_id).name == "Initech"
        s.add(TimeEntry(id=new_id("time_entry"), user_id=ws.admin_id, project_id=p.id,
                        spent_date=date(2026, 1, 5), duration_seconds=3600))
    with ws.session() as s:
        # Logged but not invoiced: still movable.
        svc.edit_project(s, actor=ws.actor(s), ref="website", client_ref="Globex", now=NOW)
    with ws.session() as s:
        from keito_core.models import InvoiceLine

        s.add(InvoiceLine(id=new_id("invoice_line"), invoice_id=_invoice(s), project_id=p.id))
    with ws.session() as s, expect("conflict", "client"):
        svc.edit_project(s, actor=ws.actor(s), ref="website", client_ref="Initech", now=NOW)


def _invoice(s) -> str:
    from keito_core.models import Invoice

    client = s.exec(select(Client).where(Client.name == "Globex")).one()
    inv = Invoice(id=new_id("invoice"), client_id=client.id, number="INV-1", currency="GBP",
                  issue_date=date(2026, 1, 31), due_date=date(2026, 3, 2), portal_token="tok")
    s.add(inv)
    s.flush()
    return inv.id


def test_lookup_by_id_code_handle_and_name(ws):
    with ws.session() as s:
        p = create(ws, s, "Acme Website", code="ACME-WEB", handle="acme-site")
        for ref in (p.id, "acme-web", "ACME-SITE", "acme website"):
            assert find_project(s, ref).id == p.id
        with expect("not_found", "project"):
            find_project(s, "nothing")


def test_archive_restore_and_list_filters(ws):
    with ws.session() as s:
        create(ws, s, "Beta", "Initech")
        create(ws, s, "Alpha", "Initech")
        create(ws, s, "Zeta", "Globex")
        svc.archive_project(s, actor=ws.actor(s), ref="zeta", now=NOW)
        assert s.get(Project, find_project(s, "zeta").id).archived_at is not None

        def names(**kw):
            return [v.project.name for v in svc.list_projects(s, actor=ws.actor(s), **kw)]

        assert names() == ["Alpha", "Beta"]
        assert names(status="archived") == ["Zeta"]
        assert names(status="all") == ["Zeta", "Alpha", "Beta"]  # Globex before Initech
        assert names(status="all", client_ref="globex") == ["Zeta"]
        restored = svc.restore_project(s, actor=ws.actor(s), ref="zeta", now=NOW)
        assert restored.is_active and restored.archived_at is None
        with expect("validation_error", "status"):
            names(status="gone")


def test_members_with_rates_budgets_and_idempotent_updates(ws):
    with ws.session() as s:
        bob = add_user(s, "Bob", rate=Decimal(80))
        add_user(s, "Gone", status=UserStatus.ARCHIVED)
        create(ws, s, code="web", bill_by="person", budget_by="person")
        member, _ = team.assign_member(s, actor=ws.actor(s), project_ref="web", user_ref="bob",
                                      rate="110", budget="20", now=NOW)
        assert (member.hourly_rate, member.budget_hours) == (Decimal(110), Decimal(20))
        again, _ = team.assign_member(s, actor=ws.actor(s), project_ref="web",
                                     user_ref=bob.email, manager=True, now=NOW)
        assert again.id == member.id and again.hourly_rate == Decimal(110)
        assert again.is_project_manager
        team.assign_member(s, actor=ws.actor(s), project_ref="web", user_ref="bob", rate="default",
                           now=NOW)
        detail = svc.get_project(s, actor=ws.actor(s), ref="web")
        bob_row = next(m for m in detail.public()["members"] if m["user_id"] == bob.id)
        assert bob_row["hourly_rate"] == Decimal(80) and bob_row["uses_default_rate"]
        with expect("validation_error", "user"):
            team.assign_member(s, actor=ws.actor(s), project_ref="web", user_ref="gone", now=NOW)
        with expect("validation_error", "rate"):
            team.assign_member(s, actor=ws.actor(s), project_ref="web", user_ref="bob", rate="-1",
                               now=NOW)
        team.unassign_member(s, actor=ws.actor(s), project_ref="web", user_ref="bob", now=NOW)
        assert svc.get_project(s, actor=ws.actor(s), ref="web").public()["members"][0][
            "user_id"] == ws.admin_id
        with expect("not_found", "user"):
            team.unassign_member(s, actor=ws.actor(s), project_ref="web", user_ref="bob", now=NOW)


def test_project_task_overrides_and_removal(ws):
    with ws.session() as s:
        dev = add_task(s, "Development", rate=Decimal(100))
        add_task(s, "Design", default=True)
        add_task(s, "Old", active=False)
        p = create(ws, s, code="web", bill_by="task")
        pt, _ = team.add_project_task(s, actor=ws.actor(s), project_ref="web",
                                     task_ref="development", billable=False, rate="150",
                                     budget="12", now=NOW)
        assert (pt.is_billable, pt.hourly_rate, pt.budget_hours) == (False, Decimal(150),
                                                                     Decimal(12))
        same, _ = team.add_project_task(s, actor=ws.actor(s), project_ref="web",
                                       task_ref="Development", billable=True, now=NOW)
        assert same.id == pt.id and same.is_billable and same.hourly_rate == Decimal(150)
        rows = {t["name"]: t for t in svc.get_project(s, actor=ws.actor(s),
                                                      ref="web").public()["tasks"]}
        assert set(rows) == {"Design", "Development"}
        assert rows["Development"]["hourly_rate"] == Decimal(150)
        with expect("validation_error", "task"):
            team.add_project_task(s, actor=ws.actor(s), project_ref="web", task_ref="old", now=NOW)
        removed = team.remove_project_task(s, actor=ws.actor(s), project_ref="web",
                                          task_ref="design", now=NOW)
        assert not removed.deactivated
        s.add(TimeEntry(id=new_id("time_entry"), user_id=ws.admin_id, project_id=p.id,
                        task_id=dev.id, spent_date=date(2026, 1, 5), duration_seconds=60))
        s.flush()
        kept = team.remove_project_task(s, actor=ws.actor(s), project_ref="web",
                                       task_ref="development", now=NOW)
        assert kept.deactivated and s.get(ProjectTask, pt.id).is_active is False
        with expect("not_found", "task"):
            team.remove_project_task(s, actor=ws.actor(s), project_ref="web", task_ref="design",
                                     now=NOW)


# --- permissions --------------------------------------------------------------------------


@pytest.fixture
def people(ws):
    with ws.session() as s:
        ids = {
            "member": add_user(s, "Mem").id,
            "plain_manager": add_user(s, "Plain", role=Role.MANAGER).id,
            "creator": add_user(s, "Cre", role=Role.MANAGER,
                                permissions=["create_projects"]).id,
            "rates_manager": add_user(s, "Rat", role=Role.MANAGER,
                                      permissions=["create_projects", "view_rates"]).id,
        }
        create(ws, s, "Managed", code="managed")
        create(ws, s, "Unmanaged", code="unmanaged", rate="100", budget_by="hours",
               budget="50", budget_visible_to_team=False)
        team.assign_member(s, actor=ws.actor(s), project_ref="managed",
                          user_ref=ids["plain_manager"], manager=True, now=NOW)
        team.assign_member(s, actor=ws.actor(s), project_ref="unmanaged",
                          user_ref=ids["member"], now=NOW)
    return ids


def test_who_may_create(ws, people):
    for who in ("member", "plain_manager"):
        with ws.session() as s, expect("authorization_error"):
            svc.create_project(s, actor=ws.actor(s, people[who]), name="X", client_ref="Globex",
                               now=NOW)
    with ws.session() as s, expect("authorization_error"):
        svc.create_project(s, actor=ws.actor(s, people["creator"]), name="X",
                           client_ref="Globex", rate="100", now=NOW)
    with ws.session() as s:
        p = svc.create_project(s, actor=ws.actor(s, people["creator"]), name="Mine",
                               client_ref="Globex", now=NOW)
        pm = s.exec(select(ProjectMember).where(ProjectMember.project_id == p.id)).one()
        assert pm.user_id == people["creator"] and pm.is_project_manager
        # The creator now manages it, so may edit it.
        svc.edit_project(s, actor=ws.actor(s, people["creator"]), ref="mine", notes="ok", now=NOW)
        svc.create_project(s, actor=ws.actor(s, people["rates_manager"]), name="Priced",
                           client_ref="Globex", rate="100", now=NOW)


def test_project_managers_edit_only_their_projects(ws, people):
    with ws.session() as s:
        manager = ws.actor(s, people["plain_manager"])
        edited = svc.edit_project(s, actor=manager, ref="managed", notes="Kick-off done", now=NOW)
        assert edited.notes == "Kick-off done"
        team.assign_member(s, actor=manager, project_ref="managed", user_ref="mem", now=NOW)
        team.add_project_task(s, actor=manager, project_ref="managed",
                             task_ref=add_task(s, "Dev").id, now=NOW)
    calls = [
        lambda s, a: svc.edit_project(s, actor=a, ref="unmanaged", notes="x", now=NOW),
        lambda s, a: svc.archive_project(s, actor=a, ref="unmanaged", now=NOW),
        lambda s, a: team.assign_member(s, actor=a, project_ref="unmanaged", user_ref="plain",
                                        now=NOW),
        lambda s, a: svc.edit_project(s, actor=a, ref="managed", rate="10",
                                      now=NOW),  # no view_rates
    ]
    for call in calls:
        with ws.session() as s, expect("authorization_error"):
            call(s, ws.actor(s, people["plain_manager"]))
    with ws.session() as s, expect("authorization_error"):
        svc.edit_project(s, actor=ws.actor(s, people["member"]), ref="unmanaged", notes="x",
                         now=NOW)
    with ws.session() as s:
        assert find_project(s, "unmanaged").notes is None
        assert find_project(s, "managed").hourly_rate is None


def test_visibility_of_projects_rates_and_budgets(ws, people):
    with ws.session() as s:
        member = ws.actor(s, people["member"])
        assert [v.project.name for v in svc.list_projects(s, actor=member)] == ["Unmanaged"]
        data = svc.get_project(s, actor=member, ref="unmanaged").public()
        assert "hourly_rate" not in data and "budget_hours" not in data
        assert all("hourly_rate" not in m for m in data["members"])
        with expect("authorization_error"):
            svc.get_project(s, actor=member, ref="managed")
        admin = svc.get_project(s, actor=ws.actor(s), ref="unmanaged").public()
        assert admin["hourly_rate"] == Decimal(100) and admin["budget_hours"] == Decimal(50)
        manager = ws.actor(s, people["plain_manager"])
        managed = svc.get_project(s, actor=manager, ref="managed").public()
        assert "budget_by" in managed and "hourly_rate" not in managed
