"""The Python API's client: construction, identity, each namespace's calls, pages and errors.

Every call goes through the real services on the test's database; the clock is injected.
"""

from __future__ import annotations

import sys
from dataclasses import FrozenInstanceError
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import func, select

import keito_core
from keito_core.api import (
    AuthenticationError,
    ConflictError,
    Keito,
    KeitoError,
    NotFoundError,
    Page,
    PermissionDeniedError,
    TimeEntry,
    ValidationError,
)
from keito_core.errors import KeitoError as CoreKeitoError
from keito_core.models import Expense
from keito_core.models import TimeEntry as TimeEntryRow

#: A Friday; Europe/London is on GMT until 29 March 2026.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def world(workspace):
    """Project ACME (tasks development, research) with agent review-bot-01 on its team and
    a key; project SECRET without the agent; the admin Ada is the default user."""
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        tasks.create_task(s, actor=admin, name="Development", is_default=True, now=NOW)
        tasks.create_task(s, actor=admin, name="Research", is_default=True, now=NOW)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=client.id, rate="100", now=NOW)
        secret = projects.create_project(s, actor=admin, name="Secret", client_ref=client.id,
                                         now=NOW)
        agent = users.create_user(s, actor=admin, name="review-bot-01", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=agent.id, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
        ids = SimpleNamespace(acme=acme.id, secret=secret.id, agent=agent.id, key=key,
                              admin=workspace.admin_id, workspace=workspace.workspace_id)
    return ids


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def bot(world, clock) -> Keito:
    return Keito(api_key=world.key, _clock=clock)


def _count(workspace, model) -> int:
    with workspace.session(readonly=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


# --- construction and identity -------------------------------------------------------------


def test_the_package_exports_the_client_lazily() -> None:
    assert keito_core.Keito is Keito
    assert keito_core.AsyncKeito.__name__ == "AsyncKeito"
    with pytest.raises(AttributeError):
        keito_core.NoSuchThing  # noqa: B018


def test_import_keito_core_api_loads_no_terminal_code_nor_the_orm() -> None:
    import subprocess

    code = ("import sys; from keito_core import Keito, AsyncKeito, track; "
            "bad = [m for m in sys.modules if m.split('.')[0] in "
            "('textual', 'typer', 'keito_tui', 'sqlalchemy', 'sqlmodel') or m == 'rich.console']; "
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_constructing_a_client_opens_nothing(tmp_path) -> None:
    client = Keito(home=tmp_path / "nowhere")
    assert not (tmp_path / "nowhere").exists()
    with pytest.raises(KeitoError) as info:
        client.projects.list()
    assert info.value.code == "config_error"
    assert info.value.status == 500


def test_the_api_key_selects_the_acting_user(world, bot) -> None:
    assert bot.users.me().id == world.agent
    assert Keito().users.me().id == world.admin  # no key: the workspace's default user


def test_the_api_key_comes_from_the_environment(world, monkeypatch) -> None:
    monkeypatch.setenv("KEITO_API_KEY", world.key)
    assert Keito().users.me().id == world.agent
    assert Keito(env={"KEITO_HOME": "x", "KEITO_DATABASE_URL": keito_core_url()}
                 ).users.me().id == world.admin


def keito_core_url() -> str:
    import os

    return os.environ["KEITO_DATABASE_URL"]


def test_an_explicit_api_key_overrides_the_environment(world, monkeypatch) -> None:
    monkeypatch.setenv("KEITO_API_KEY", "keito_sk_not-a-real-key")
    assert Keito(api_key=world.key).users.me().id == world.agent
    with pytest.raises(AuthenticationError) as info:
        Keito().users.me()
    assert info.value.code == "authentication_error"
    assert info.value.status == 401


def test_a_wrong_key_is_an_authentication_error(world) -> None:
    with pytest.raises(AuthenticationError):
        Keito(api_key="keito_sk_" + "x" * 40).projects.list()
    with pytest.raises(AuthenticationError):
        Keito(api_key="sk_live_wrong").projects.list()


def test_account_id_must_be_this_workspace(world, monkeypatch) -> None:
    assert Keito(api_key=world.key, account_id=world.workspace).users.me().id == world.agent
    with pytest.raises(AuthenticationError) as info:
        Keito(api_key=world.key, account_id="acct_elsewhere").users.me()
    assert info.value.field == "account_id"
    monkeypatch.setenv("KEITO_ACCOUNT_ID", "acct_elsewhere")
    with pytest.raises(AuthenticationError):
        Keito(api_key=world.key).users.me()
    monkeypatch.setenv("KEITO_ACCOUNT_ID", world.workspace)
    assert Keito(api_key=world.key).account_id == world.workspace
    assert Keito(api_key=world.key).users.me().id == world.agent


def test_hosted_sdk_options_are_accepted(world) -> None:
    client = Keito(api_key=world.key, base_url="https://api.keito.ai/v1", max_retries=3,
                   retry_delay=1.0, timeout=5.0)
    assert client.users.me().id == world.agent


def test_errors_are_the_sdk_classes_and_still_core_errors(world, bot) -> None:
    with pytest.raises(NotFoundError) as info:
        bot.time_entries.get("te_doesnotexist")
    error = info.value
    assert isinstance(error, KeitoError) and isinstance(error, CoreKeitoError)
    assert (error.code, error.status) == ("not_found", 404)
    assert isinstance(error.__cause__, CoreKeitoError)


# --- time entries --------------------------------------------------------------------------


def test_create_logs_hours_with_the_reference_fields(world, bot, clock, workspace) -> None:
    entry = bot.time_entries.create(
        project_id=world.acme, task_id="development", spent_date="2026-03-05", hours=1.5,
        notes="Refactored authentication module", source="agent",
        metadata={"agent_id": "review-bot-01", "model": "claude-opus-4-6"})
    assert isinstance(entry, TimeEntry)
    assert entry.id.startswith("te_")
    assert (entry.project_id, entry.user_id, entry.spent_date) == (world.acme, world.agent,
                                                                   "2026-03-05")
    assert entry.hours == Decimal("1.5") and isinstance(entry.hours, Decimal)
    assert (entry.notes, entry.is_running, entry.is_billable) == (
        "Refactored authentication module", False, True)
    assert entry.source == "agent"
    assert entry.metadata == {"agent_id": "review-bot-01", "model": "claude-opus-4-6"}
    assert entry.created_at == "2026-03-06T14:30:00Z"
    assert "billable_rate" not in entry.to_dict()  # an agent member may not see rates
    admin_view = Keito(_clock=clock).time_entries.get(entry.id)
    assert admin_view.billable_rate == Decimal("100")  # an extra field, through .extra
    with pytest.raises(FrozenInstanceError):
        entry.hours = Decimal(2)  # type: ignore[misc]
    with workspace.session(readonly=True) as s:
        row = s.get(TimeEntryRow, entry.id)
        assert (row.duration_seconds, row.source) == (5400, "agent")


def test_create_defaults_source_to_api_and_the_date_to_today(world, bot) -> None:
    entry = bot.time_entries.create(project_id="ACME", hours=Decimal("0.25"))
    assert (entry.source, entry.spent_date, entry.hours) == ("api", "2026-03-06",
                                                            Decimal("0.25"))
    assert bot.time_entries.create(project_id="ACME", hours="1:30",
                                   spent_date=date(2026, 3, 4)).hours == Decimal("1.5")


def test_hours_are_exact_to_the_second(world, bot) -> None:
    entry = bot.time_entries.create(project_id="ACME", hours=1 / 3)
    assert entry.duration_seconds == 1200
    odd = bot.time_entries.create(project_id="ACME", hours=Decimal("1.333055555555555555556"))
    assert odd.duration_seconds == 4799


def test_create_running_starts_a_timer_and_update_stops_it(world, bot, clock) -> None:
    timer = bot.time_entries.create(project_id="ACME", task_id="development",
                                    spent_date=str(NOW.date()), hours=0, is_running=True,
                                    source="agent", metadata={"session_id": "s-1"})
    assert (timer.is_running, timer.hours, timer.source) == (True, Decimal(0), "agent")
    clock.advance(minutes=42)
    stopped = bot.time_entries.update(timer.id, is_running=False, notes="Completed review")
    assert (stopped.is_running, stopped.hours, stopped.notes) == (False, Decimal("0.70"),
                                                                  "Completed review")


def test_stopping_with_hours_saves_those_hours(world, bot, clock) -> None:
    timer = bot.time_entries.create(project_id="ACME", is_running=True)
    clock.advance(minutes=5)
    stopped = bot.time_entries.update(timer.id, hours=1.5, is_running=False, notes="Done")
    assert (stopped.is_running, stopped.hours) == (False, Decimal("1.5"))


def test_starting_a_second_timer_stops_the_first(world, bot, clock) -> None:
    first = bot.time_entries.create(project_id="ACME", is_running=True)
    clock.advance(minutes=30)
    bot.time_entries.create(project_id="ACME", is_running=True)
    again = bot.time_entries.get(first.id)
    assert (again.is_running, again.hours) == (False, Decimal("0.50"))


def test_a_running_timer_cannot_start_with_hours(world, bot, workspace) -> None:
    with pytest.raises(ValidationError) as info:
        bot.time_entries.create(project_id="ACME", hours=1.5, is_running=True)
    assert info.value.field == "hours"
    with pytest.raises(ValidationError):
        bot.time_entries.update("te_x", is_running=True)
    assert _count(workspace, TimeEntryRow) == 0


@pytest.mark.parametrize("hours", [0, -1, True, "abc", None])
def test_bad_hours_are_refused_and_change_nothing(world, bot, workspace, hours) -> None:
    with pytest.raises(ValidationError) as info:
        bot.time_entries.create(project_id="ACME", hours=hours)
    assert info.value.status == 400
    assert _count(workspace, TimeEntryRow) == 0


def test_an_unassigned_project_is_refused(world, bot, workspace) -> None:
    with pytest.raises(PermissionDeniedError) as info:
        bot.time_entries.create(project_id=world.secret, hours=1)
    assert (info.value.code, info.value.status) == ("project_not_assigned", 403)
    with pytest.raises(NotFoundError):
        bot.time_entries.create(project_id="no-such-project", hours=1)
    assert _count(workspace, TimeEntryRow) == 0


def test_metadata_over_4kb_is_refused(world, bot, workspace) -> None:
    with pytest.raises(ValidationError) as info:
        bot.time_entries.create(project_id="ACME", hours=1, metadata={"x": "y" * 5000})
    assert info.value.code == "metadata_too_large"
    assert _count(workspace, TimeEntryRow) == 0


def test_a_bad_source_is_refused(world, bot) -> None:
    with pytest.raises(ValidationError) as info:
        bot.time_entries.create(project_id="ACME", hours=1, source="robot")
    assert info.value.field == "source"


def test_get_update_and_delete(world, bot, workspace) -> None:
    entry = bot.time_entries.create(project_id="ACME", hours=2, notes="Draft")
    assert bot.time_entries.get(entry.id) == entry
    changed = bot.time_entries.update(entry.id, hours=2.25, notes="Final", is_billable=False,
                                      task_id="research", metadata={"pr_url": "u"})
    assert (changed.hours, changed.notes, changed.is_billable) == (Decimal("2.25"), "Final",
                                                                   False)
    assert changed.metadata == {"pr_url": "u"}
    assert changed.task_id != entry.task_id and changed.source == entry.source
    assert bot.time_entries.delete(entry.id) is None
    with pytest.raises(NotFoundError):
        bot.time_entries.get(entry.id)
    assert _count(workspace, TimeEntryRow) == 0


def test_update_of_a_missing_entry_is_not_found(world, bot) -> None:
    with pytest.raises(NotFoundError):
        bot.time_entries.update("te_missing", notes="x")
    with pytest.raises(NotFoundError):
        bot.time_entries.delete("te_missing")


def test_others_entries_are_invisible_to_the_agent(world, bot) -> None:
    mine = Keito().time_entries.create(project_id="ACME", hours=1)  # the admin's
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        bot.time_entries.get(mine.id)
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        bot.time_entries.delete(mine.id)
    assert Keito().time_entries.get(mine.id).id == mine.id


def test_list_filters_and_pages(world, bot) -> None:
    for day in range(1, 6):
        bot.time_entries.create(project_id="ACME", hours=1, spent_date=f"2026-03-0{day}",
                                source="agent" if day % 2 else "api")
    page = bot.time_entries.list(source="agent", project_id=world.acme,
                                 from_date="2026-03-01", to_date="2026-03-04")
    assert isinstance(page, Page)
    assert [e.spent_date for e in page] == ["2026-03-03", "2026-03-01"]
    assert (page.has_more, page.next_cursor, len(page)) == (False, None, 2)
    assert [e.spent_date for e in bot.time_entries.list(**{"from": "2026-03-04"})] == [
        "2026-03-05", "2026-03-04"]
    assert len(bot.time_entries.list(from_="2026-03-02", to="2026-03-03").data) == 2
    first = bot.time_entries.list(limit=2)
    assert first.has_more and first.next_cursor
    second = bot.time_entries.list(limit=2, cursor=first.next_cursor)
    third = bot.time_entries.list(limit=2, cursor=second.next_cursor)
    days = [e.spent_date for e in [*first, *second, *third]]
    assert days == ["2026-03-05", "2026-03-04", "2026-03-03", "2026-03-02", "2026-03-01"]
    assert not third.has_more
    with pytest.raises(TypeError):
        bot.time_entries.list(since="2026-03-01")
    with pytest.raises(ValidationError):
        bot.time_entries.list(limit=500)


def test_list_running_timers(world, bot) -> None:
    bot.time_entries.create(project_id="ACME", hours=1)
    timer = bot.time_entries.create(project_id="ACME", is_running=True)
    assert [e.id for e in bot.time_entries.list(is_running=True)] == [timer.id]


# --- expenses ------------------------------------------------------------------------------


def test_an_llm_usage_expense_by_the_reference_category_id(world, bot, workspace) -> None:
    expense = bot.expenses.create(
        project_id=world.acme, expense_category_id="cat_llm_usage", spent_date="2026-03-06",
        units=45, notes="claude-opus-4-6: 30k input + 15k output tokens", source="agent",
        metadata={"input_tokens": 30000, "output_tokens": 15000})
    assert expense.id.startswith("exp_")
    assert (expense.units, expense.unit_price, expense.total_cost) == (
        Decimal(45), Decimal("0.003"), Decimal("0.135"))
    assert (expense.source, expense.spent_date, expense.user_id) == ("agent", "2026-03-06",
                                                                    world.agent)
    assert expense.metadata["input_tokens"] == 30000
    assert bot.expenses.get(expense.id) == expense
    by_name = bot.expenses.create(project_id="ACME", expense_category_id="LLM Usage",
                                  units=1.5)
    assert by_name.expense_category_id == expense.expense_category_id
    assert by_name.total_cost == Decimal("0.0045")
    assert _count(workspace, Expense) == 2


def test_a_standard_expense_with_a_total(world, bot) -> None:
    expense = bot.expenses.create(project_id="ACME", expense_category_id="Lodging",
                                  total_cost="120.50", notes="Hotel")
    assert (expense.total_cost, expense.units, expense.source) == (Decimal("120.50"), None,
                                                                   "api")


def test_an_unknown_category_is_refused_and_changes_nothing(world, bot, workspace) -> None:
    with pytest.raises(NotFoundError) as info:
        bot.expenses.create(project_id="ACME", expense_category_id="Caviar", total_cost=1)
    assert info.value.field
    with pytest.raises(ValidationError):
        bot.expenses.create(project_id="ACME", expense_category_id="Lodging", total_cost=-5)
    with pytest.raises(PermissionDeniedError):
        bot.expenses.create(project_id=world.secret, expense_category_id="Lodging",
                            total_cost=5)
    assert _count(workspace, Expense) == 0


def test_expenses_list_update_and_delete(world, bot, workspace) -> None:
    for day in (2, 4):
        bot.expenses.create(project_id="ACME", expense_category_id="cat_llm_usage",
                            units=day, spent_date=f"2026-03-0{day}", source="agent")
    bot.expenses.create(project_id="ACME", expense_category_id="Lodging", total_cost=10,
                        spent_date="2026-03-05")
    agent_rows = bot.expenses.list(source="agent", project_id=world.acme, from_date="2026-03-01")
    assert [x.units for x in agent_rows] == [Decimal(4), Decimal(2)]
    assert len(bot.expenses.list(expense_category_id="Lodging").data) == 1
    assert len(bot.expenses.list(**{"from": "2026-03-03", "to": "2026-03-04"}).data) == 1
    page = bot.expenses.list(limit=2)
    assert page.has_more and len(bot.expenses.list(limit=2, cursor=page.next_cursor).data) == 1
    target = agent_rows.data[0]
    changed = bot.expenses.update(target.id, units=10, notes="more")
    assert (changed.units, changed.total_cost, changed.notes) == (Decimal(10), Decimal("0.03"),
                                                                 "more")
    bot.expenses.delete(target.id)
    with pytest.raises(NotFoundError):
        bot.expenses.get(target.id)
    assert _count(workspace, Expense) == 2


# --- projects and users --------------------------------------------------------------------


def test_projects_are_those_the_user_may_see(world, bot) -> None:
    names = [p.name for p in bot.projects.list()]
    assert names == ["Acme Website"]
    admin_view = Keito().projects.list()
    assert sorted(p.name for p in admin_view) == ["Acme Website", "Secret"]
    project = bot.projects.get(world.acme)
    assert (project.id, project.name, project.billing_type, project.is_billable,
            project.is_active) == (world.acme, "Acme Website", "time_and_materials", True, True)
    assert project.created_at.endswith("Z") and project.code == "ACME"
    assert {t["name"] for t in project.tasks} == {"Development", "Research"}
    assert Keito().projects.get("acme").id == world.acme
    with pytest.raises((NotFoundError, PermissionDeniedError)):
        bot.projects.get(world.secret)


def test_project_pages_have_a_cursor(world) -> None:
    client = Keito()
    first = client.projects.list(limit=1)
    assert first.has_more and first.next_cursor
    second = client.projects.list(limit=1, cursor=first.next_cursor)
    assert not second.has_more and second.next_cursor is None
    assert {first[0].name, second[0].name} == {"Acme Website", "Secret"}
    with pytest.raises(ValidationError) as info:
        client.projects.list(cursor="garbage!")
    assert info.value.field == "cursor"


def test_users_list_and_get(world) -> None:
    admin = Keito()
    agents = admin.users.list(user_type="agent")
    assert [u.name for u in agents] == ["review-bot-01"]
    agent = agents[0]
    assert (agent.user_type, agent.is_active, agent.email) == (
        "agent", True, "review-bot-01@agents.keito.local")
    assert agent.created_at.endswith("Z")
    assert {u.name for u in admin.users.list(is_active=True)} == {"Ada Admin", "review-bot-01"}
    assert admin.users.list(is_active=False).data == []
    assert admin.users.get(world.agent).name == "review-bot-01"
    with pytest.raises(NotFoundError):
        admin.users.get("usr_nobody")


def test_records_convert_to_plain_dicts(world, bot) -> None:
    entry = bot.time_entries.create(project_id="ACME", hours=1)
    data = entry.to_dict()
    assert data["id"] == entry.id and data["hours"] == Decimal("1.00")
    assert data["approval_status"] == "unsubmitted"
    with pytest.raises(AttributeError):
        entry.no_such_field  # noqa: B018


def test_a_service_conflict_is_a_conflict_error_and_the_client_goes_on(world, bot) -> None:
    from keito_core.services.tracking import time_entries as svc

    with pytest.raises(ConflictError) as info:  # stopping when no timer runs
        bot.run(lambda s, actor, now: svc.stop_timer(s, actor=actor, now=now))
    assert (info.value.code, info.value.status) == ("conflict", 409)
    assert bot.time_entries.create(project_id="ACME", hours=1).hours == Decimal("1.00")


def test_a_timer_start_that_lost_a_race_is_retried() -> None:
    """On PostgreSQL two starts of one user can race; the loser starts again (and then stops
    the winner's timer). Other conflicts are not retried."""
    from keito_core.api.resources import START_ATTEMPTS, run_start

    class Flaky:
        def __init__(self, failures: int, field: str = "timer") -> None:
            self.failures, self.field, self.calls = failures, field, 0

        def run(self, work):  # noqa: ANN001, ANN201
            self.calls += 1
            if self.calls <= self.failures:
                raise ConflictError("conflict", "a timer is already running", field=self.field)
            return work

    assert run_start(Flaky(2), "started") == "started"
    with pytest.raises(ConflictError):
        run_start(Flaky(START_ATTEMPTS), "started")
    other = Flaky(1, field="name")
    with pytest.raises(ConflictError):
        run_start(other, "started")
    assert other.calls == 1
