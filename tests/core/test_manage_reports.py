"""The app's read models in the core: the Manage view's lists (keito_core.reports.manage), what
its forms offer (reports.manage_forms), a week cell's entries (reports.week_entries), and the
services' own pre-checks the app calls before a form or a decision."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from keito_core.enums import ManagerPermission, Role
from keito_core.errors import KeitoError
from keito_core.models import ApprovalEvent, AuditEvent, Submission, User
from keito_core.reports import manage, manage_forms, week_entries
from keito_core.services.approvals import workflow
from keito_core.services.directory import clients, project_team, projects, tasks, users
from keito_core.services.tracking.expenses import unit_total
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import set_setting

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def team(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Project Web (client Acme) with a 120/h override for Mia and a 90/h Design task; Max
    manages Web without the rates permission, Rae manages it with it; the agent Bot is on no
    project; Old is archived; the client Gone is archived."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        acme = clients.create_client(s, actor=admin, name="Acme", now=NOW)
        gone = clients.create_client(s, actor=admin, name="Gone", now=NOW)
        clients.archive_client(s, actor=admin, ref=gone.id, now=NOW)
        web = projects.create_project(s, actor=admin, name="Web", client_ref=acme.id, now=NOW)
        design = tasks.create_task(s, actor=admin, name="Design", rate="90", now=NOW)
        tasks.create_task(s, actor=admin, name="Research", now=NOW)
        people = {
            "mia": users.create_user(s, actor=admin, name="Mia", email="mia@acme.test",
                                     rate="100", now=NOW),
            "max": users.create_user(s, actor=admin, name="Max", email="max@acme.test",
                                     role=Role.MANAGER, now=NOW),
            "rae": users.create_user(s, actor=admin, name="Rae", email="rae@acme.test",
                                     role=Role.MANAGER, now=NOW),
            "bot": users.create_user(s, actor=admin, name="Bot", agent=True, now=NOW),
            "old": users.create_user(s, actor=admin, name="Old", email="old@acme.test",
                                     now=NOW),
        }
        users.archive_user(s, actor=admin, ref=people["old"].id, now=NOW)
        s.get(User, people["rae"].id).manager_permissions = [ManagerPermission.VIEW_RATES.value]
        project_team.assign_member(s, actor=admin, project_ref=web.id,
                                   user_ref=people["mia"].id, rate="120", now=NOW)
        for who in ("max", "rae"):
            project_team.assign_member(s, actor=admin, project_ref=web.id,
                                       user_ref=people[who].id, manager=True, now=NOW)
        project_team.add_project_task(s, actor=admin, project_ref=web.id, task_ref=design.id,
                                      now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=people["max"].id,
                            add=[people["mia"].id], now=NOW)
    return SimpleNamespace(ws=workspace, web=web.id, acme=acme.id, gone=gone.id,
                           design=design.id, **{k: u.id for k, u in people.items()})


def lists_as(team, who: str | None = None) -> manage.ManageLists:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        return manage.manage_lists(s, actor=team.ws.actor(s, getattr(team, who) if who else None))


def error_of(call) -> KeitoError:  # noqa: ANN001
    with pytest.raises(KeitoError) as caught:
        call()
    return caught.value


# --- the Manage view's lists ----------------------------------------------------------------


def test_an_administrator_sees_every_list_with_rates(team) -> None:  # noqa: ANN001
    lists = lists_as(team)
    assert lists.currency == "GBP"
    assert [(c.name, c.is_active) for c in lists.clients.rows] == [("Acme", True),
                                                                    ("Gone", False)]
    assert [p.name for p in lists.projects.rows] == ["Web"]
    design = next(t for t in lists.tasks.rows if t.name == "Design")
    assert (design.default_hourly_rate, design.hidden) == (Decimal("90"), frozenset())
    mia = next(u for u in lists.team.rows if u.name == "Mia")
    assert mia.billable_rate == Decimal("100") and not mia.hidden
    assert lists.team.rows[-1].name == "Old"  # archived people last
    assert any(c.name == "LLM Usage" and c.unit_price is not None
               for c in lists.categories.rows)


def test_a_member_is_refused_lists_and_sees_no_rate(team) -> None:  # noqa: ANN001
    lists = lists_as(team, "mia")
    assert lists.clients.rows == () and lists.clients.refused
    design = next(t for t in lists.tasks.rows if t.name == "Design")
    assert design.default_hourly_rate is None and "default_hourly_rate" in design.hidden


def test_a_project_team_shows_overrides_as_the_presenter_decides(team) -> None:  # noqa: ANN001
    def members(who: str) -> dict[str, manage.MemberLine]:
        with team.ws.session(readonly=True) as s:
            listed = manage.project_team(s, actor=team.ws.actor(s, getattr(team, who)),
                                         project_ref=team.web)
        return {m.name: m for m in listed.rows}

    shown = members("rae")
    assert (shown["Mia"].hourly_rate, shown["Mia"].uses_default_rate) == (Decimal("120"), False)
    assert shown["Max"].uses_default_rate
    hidden = members("max")  # manages the project, may not view rates
    assert hidden["Mia"].hourly_rate is None and "hourly_rate" in hidden["Mia"].hidden
    assert not hidden["Mia"].uses_default_rate


def test_a_project_tasks_rate_and_billable_flag(team) -> None:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        line = manage.project_task(s, actor=team.ws.actor(s), project_ref=team.web,
                                   task_id=team.design)
    assert (line.hourly_rate, line.uses_default_rate, line.billable) == (Decimal("90"), True,
                                                                           True)
    assert line.is_billable is None  # no override on the project


def test_someone_off_the_project_may_not_read_its_team(team) -> None:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        bot = team.ws.actor(s, team.bot)
        error = error_of(lambda: manage.project_team(s, actor=bot, project_ref=team.web))
    assert error.code == "authorization_error"


# --- what the forms offer ---------------------------------------------------------------------


def test_the_forms_offer_only_what_can_be_added(team) -> None:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        people = [c.name for c in manage_forms.assignable_people(s, project_id=team.web)]
        agents = [c.name for c in manage_forms.assignable_people(s, project_id=team.web)
                  if c.is_agent]
        teammates = [c.name for c in manage_forms.teammate_choices(s, manager_id=team.max)]
        addable = [c.name for c in manage_forms.addable_tasks(s, project_id=team.web)]
        active = [c.name for c in manage_forms.client_choices(s)]
        kept = [c.name for c in manage_forms.client_choices(s, keep=team.gone)]
    # Ada made Web, so she is on its team; Old is archived.
    assert people == ["Bot"] and agents == ["Bot"]
    assert teammates == ["Ada Admin", "Bot", "Rae"]  # not Max himself, not Mia already
    assert addable == ["Research"]
    assert (active, kept) == (["Acme"], ["Acme", "Gone"])


# --- the services' own pre-checks -------------------------------------------------------------


def test_form_pre_checks_refuse_as_the_services_do(team) -> None:  # noqa: ANN001
    with team.ws.session(readonly=True) as s:
        mia, max_ = team.ws.actor(s, team.mia), team.ws.actor(s, team.max)
        for check in (lambda: clients.check_client_change(mia, creating=True),
                      lambda: tasks.check_task_change(mia, creating=False),
                      lambda: users.check_user_create(max_),
                      lambda: users.check_user_edit(mia, team.max),
                      lambda: projects.check_project_edit(s, actor=mia, ref=team.web),
                      lambda: project_team.check_team_change(s, actor=mia,
                                                             project_ref=team.web)):
            assert error_of(check).code == "authorization_error"
        users.check_user_edit(mia, team.mia)  # her own profile
        assert project_team.check_tasks_change(s, actor=max_, project_ref=team.web).name == "Web"


# --- deciding: the service's own check --------------------------------------------------------


def test_the_decision_check_asks_who_may_act_before_the_state_and_writes_nothing(
        team) -> None:  # noqa: ANN001
    with team.ws.session() as s:
        admin = team.ws.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        log_time(s, actor=admin, project_ref=team.web, duration="2", spent_date="2026-03-02",
                 notes="build", user_ref=team.mia, source="cli", now=NOW)
    with team.ws.session() as s:
        sub = workflow.submit_timesheet(s, actor=team.ws.actor(s, team.mia),
                                        date_from="2026-03-02", date_to="2026-03-08", now=NOW)
        assert sub.entry_seconds == 2 * 3600
        sub_id = sub.submission.id
    with team.ws.session() as s:
        events = len(s.exec(select(AuditEvent)).all())
        rae, max_ = team.ws.actor(s, team.rae), team.ws.actor(s, team.max)
        # Rae manages the project too, but may not withdraw: the submission is not approved,
        # yet she is told only that she may not act.
        refused = error_of(lambda: workflow.check_decision(
            s, actor=rae, kind="withdraw", submission_ids=[sub_id]))
        assert refused.code == "authorization_error" and "submitted" not in str(refused.hint)
        # Max may withdraw nothing either; approving is his to do, and a rejection's reason is
        # asked for later.
        workflow.check_decision(s, actor=max_, kind="approve", submission_ids=[sub_id])
        workflow.check_decision(s, actor=max_, kind="reject", submission_ids=[sub_id])
        assert len(s.exec(select(AuditEvent)).all()) == events
        assert s.exec(select(ApprovalEvent)).all()[-1].action == "submit"
        assert s.get(Submission, sub_id).status == "submitted"
    with team.ws.session() as s:
        workflow.approve_submissions(s, actor=team.ws.actor(s), submission_ids=[sub_id],
                                     now=NOW)
    with team.ws.session(readonly=True) as s:
        again = error_of(lambda: workflow.check_decision(
            s, actor=team.ws.actor(s, team.max), kind="approve", submission_ids=[sub_id]))
        assert again.code == "conflict"  # he may decide, so he learns the state
        assert error_of(lambda: workflow.check_decision(
            s, actor=team.ws.actor(s), kind="sign", submission_ids=[sub_id])).field == "kind"


# --- the week grid's cell -------------------------------------------------------------------


def test_a_cells_entries_are_the_users_own_on_that_project_task_and_day(
        team) -> None:  # noqa: ANN001
    with team.ws.session() as s:
        mia = team.ws.actor(s, team.mia)
        for task, day in ((team.design, "2026-03-02"), (None, "2026-03-02"),
                          (team.design, "2026-03-03")):
            log_time(s, actor=mia, project_ref=team.web, task_ref=task, duration="1",
                     spent_date=day, notes="x", source="cli", now=NOW)
        log_time(s, actor=team.ws.actor(s), project_ref=team.web, task_ref=team.design,
                 duration="3", spent_date="2026-03-02", notes="x", user_ref=team.max,
                 source="cli", now=NOW)
    with team.ws.session(readonly=True) as s:
        mia = team.ws.actor(s, team.mia)
        found = week_entries.cell_entries(s, actor=mia, project_id=team.web,
                                          task_id=team.design, day=date(2026, 3, 2), now=NOW)
        form = week_entries.entry_form(s, actor=mia, now=NOW)
    assert [(e.task_id, e.duration_seconds) for e in found] == [(team.design, 3600)]
    assert form.timezone == "Europe/London" and [p.name for p in form.projects] == ["Web"]


def test_a_unit_based_total_is_worked_out_as_logging_it_would_be() -> None:
    assert unit_total(quantity="45", unit_price=Decimal("0.45"), unit_name="mile") == Decimal(
        "20.25")
    assert unit_total(quantity="1.5", unit_price=Decimal("0.003")) == Decimal("0.0045")
    with pytest.raises(KeitoError) as caught:
        unit_total(quantity="lots", unit_price=Decimal("1"))
    assert caught.value.field == "quantity"
