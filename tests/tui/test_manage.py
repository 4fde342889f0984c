"""The Manage view's forms and sub-lists, driven with the keyboard against a real workspace."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from settling import settle, until
from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select
from textual.widgets._footer import FooterKey

from keito_core.enums import ManagerPermission, Role, UserStatus, UserType
from keito_core.models import (
    Client,
    Contact,
    ExpenseCategory,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    User,
)
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.dialogs import ConfirmDialog
from keito_tui.app.screens.manage import ManageScreen
from keito_tui.app.screens.manage_actions import RecordList
from keito_tui.app.screens.manage_forms import RecordForm
from keito_tui.app.widgets.form_field import FormField
from keito_tui.app.widgets.record_view import RecordView

pytestmark = pytest.mark.anyio

SIZE = (80, 24)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    rt = make_runtime()
    yield rt
    rt.close()


def keito_app(runtime: Runtime) -> KeitoApp:
    """The app, its notifications kept for the test to read however slow the machine is."""
    app = KeitoApp(runtime)
    app.NOTIFICATION_TIMEOUT = 3600
    return app


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def fill(pilot: Pilot, **answers: str | bool) -> None:
    """Answer a form's inputs, checkboxes and selects at once."""
    await pilot.pause()
    await pilot.pause()  # a form's selects finish mounting their parts
    screen = pilot.app.screen
    for name, value in answers.items():
        widget = screen.query_one(f"#{name}")
        if isinstance(widget, Input):
            widget.value = str(value)
        elif isinstance(widget, Checkbox):
            widget.value = bool(value)
        elif isinstance(widget, Select):
            widget.value = value
    await pilot.pause()


async def open_manage(pilot: Pilot, tab: str = "1") -> ManageScreen:
    await settle(pilot)
    await press(pilot, "m")
    await press(pilot, tab)
    assert isinstance(pilot.app.screen, ManageScreen)
    return pilot.app.screen


def rows(app: KeitoApp, view: str) -> dict[str, list[str]]:
    table = app.screen.query_one(f"#{view}", RecordView).table
    return {str(key.value): [str(c) for c in table.get_row(key)] for key in table.rows}


async def select_row(pilot: Pilot, view: str, row_id: str) -> None:
    table = pilot.app.screen.query_one(f"#{view}", RecordView).table
    table.move_cursor(row=table.get_row_index(row_id))
    await pilot.pause()


def notices(app: KeitoApp) -> list[str]:
    return [n.message for n in app._notifications]


def field_error(app: KeitoApp, name: str) -> str:
    return app.screen.query_one(f"#field-{name}", FormField).error


# --- clients and contacts -------------------------------------------------------------------


async def test_create_a_client_then_edit_it_and_add_a_contact(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot)
        await press(pilot, "n")
        assert isinstance(app.screen, RecordForm)
        assert app.screen.query_one("#currency", Input).value == "GBP"
        await fill(pilot, name="Initech", city="Austin")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ManageScreen)
        assert "Added client Initech" in notices(app)
        with workspace.session() as session:
            client = session.exec(select(Client)).one()
        assert rows(app, "clients")[client.id] == ["Initech", "GBP", "Austin", "yes"]

        await press(pilot, "enter")
        assert app.screen.query_one("#name", Input).value == "Initech"
        await fill(pilot, currency="usd", city="")
        await press(pilot, "ctrl+s")
        assert rows(app, "clients")[client.id] == ["Initech", "USD", "–", "yes"]

        await press(pilot, "c")
        assert isinstance(app.screen, RecordList)
        await press(pilot, "n")
        await fill(pilot, first_name="Bill", last_name="Lumbergh", email="not-an-email")
        await press(pilot, "enter")  # Enter in an input saves
        assert field_error(app, "email")  # the service's message beside the field
        await fill(pilot, email="bill@initech.test")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, RecordList)
        with workspace.session() as session:
            contact = session.exec(select(Contact)).one()
        assert rows(app, "sub-list")[contact.id][:3] == ["Bill Lumbergh", "–", "bill@initech.test"]

        await press(pilot, "enter")
        await fill(pilot, title="VP")
        await press(pilot, "ctrl+s")
        assert rows(app, "sub-list")[contact.id][1] == "VP"
        await press(pilot, "delete")
        assert isinstance(app.screen, ConfirmDialog)
        await press(pilot, "y")
        assert rows(app, "sub-list") == {}
        await press(pilot, "escape")
        assert isinstance(app.screen, ManageScreen)


async def test_archive_restore_and_delete_a_client(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    with workspace.session() as session:
        session.add(Client(id=(client_id := new_id("client")), name="Umbrella", currency="GBP"))
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot)
        await press(pilot, "x")
        assert rows(app, "clients")[client_id][-1] == "no"
        assert "Archived Umbrella" in notices(app)
        await press(pilot, "x")
        assert rows(app, "clients")[client_id][-1] == "yes"
        await press(pilot, "delete")
        await press(pilot, "n")  # no: nothing happens
        assert client_id in rows(app, "clients")
        await press(pilot, "delete")
        await press(pilot, "y")
        # The confirmation's answer starts the delete after the dialog closes: wait for it.
        await until(pilot, lambda: rows(app, "clients") == {}, "the client deleted")


async def test_a_client_with_a_project_is_not_deleted_and_the_app_says_what_to_do(
        runtime: Runtime, workspace) -> None:  # noqa: ANN001
    with workspace.session() as session:
        session.add(Client(id=(client_id := new_id("client")), name="Umbrella", currency="GBP"))
        session.flush()
        session.add(Project(id=new_id("project"), client_id=client_id, name="Hive",
                            handle="hive"))
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot)
        await press(pilot, "delete", "y")
        said = "\n".join(notices(app))
        assert "cannot be deleted: 1 project refers to it" in said
        assert "archive it instead: x in Manage › Clients" in said
        assert "keito" not in said
        assert client_id in rows(app, "clients")


# --- projects, their team and tasks --------------------------------------------------------


@pytest.fixture
def setup(workspace) -> dict[str, str]:  # noqa: ANN001
    """A client, a task and an agent."""
    ids = {"client": new_id("client"), "task": new_id("task"), "agent": new_id("user")}
    with workspace.session() as session:
        session.add(Client(id=ids["client"], name="Initech", currency="GBP"))
        session.add(Task(id=ids["task"], name="Research", handle="research",
                         default_rate=Decimal("90")))
        session.add(User(id=ids["agent"], name="Claude", email="claude@agents.test",
                         user_type=UserType.AGENT, role=Role.MEMBER))
    return ids


async def test_create_a_project_with_a_task_a_member_and_an_agent(
    runtime: Runtime, workspace, setup  # noqa: ANN001
) -> None:
    member_id = new_id("user")
    with workspace.session() as session:
        session.add(User(id=member_id, name="Milton", email="milton@acme.test", role=Role.MEMBER))
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "2")
        await press(pilot, "n")
        await fill(pilot, client=setup["client"], name="Website", code="INI-WEB",
                   project_type="fixed_fee", budget_by="total_hours", budget="100", alert="90")
        await press(pilot, "ctrl+s")
        assert field_error(app, "fixed_fee") == "a fixed-fee project needs its fee"
        await fill(pilot, fixed_fee="12000")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ManageScreen)
        with workspace.session() as session:
            project = session.exec(select(Project)).one()
            assert (project.fixed_fee, project.budget_hours) == (Decimal("12000"), Decimal("100"))
            assert project.budget_alert_percent == 90
        assert rows(app, "projects")[project.id][:3] == ["Initech", "Website", "INI-WEB"]

        await press(pilot, "enter")
        await fill(pilot, budget_by="total_fees", budget="15000", include_expenses=True)
        await press(pilot, "ctrl+s")
        with workspace.session() as session:
            project = session.get(Project, project.id)
            assert (project.budget_amount, project.budget_hours) == (Decimal("15000"), None)
            assert project.budget_includes_expenses

        await press(pilot, "k")  # the project's tasks
        assert isinstance(app.screen, RecordList)
        await press(pilot, "n")
        await fill(pilot, task=setup["task"], rate="110", billable=False)
        await press(pilot, "ctrl+s")
        assert rows(app, "sub-list")[setup["task"]] == ["Research", "no", "£110.00", "–", "yes"]
        await press(pilot, "escape")

        await press(pilot, "t")  # the project's team: the creator is on it
        assert set(rows(app, "sub-list")) == {workspace.admin_id}
        for user_id, rate in ((member_id, "75"), (setup["agent"], "")):
            await press(pilot, "n")
            await fill(pilot, user=user_id, rate=rate, manager=user_id == member_id)
            await press(pilot, "ctrl+s")
        team = rows(app, "sub-list")
        assert team[member_id] == ["Milton", "Human", "£75.00", "–", "yes"]
        assert team[setup["agent"]] == ["Claude", " Agent ", "default", "–", "no"]
        await select_row(pilot, "sub-list", member_id)
        await press(pilot, "enter")
        await fill(pilot, rate="")  # back to their default rate
        await press(pilot, "ctrl+s")
        assert rows(app, "sub-list")[member_id][2] == "default"
        await select_row(pilot, "sub-list", setup["agent"])
        await press(pilot, "delete", "y")
        assert setup["agent"] not in rows(app, "sub-list")
        with workspace.session() as session:
            pt = session.exec(select(ProjectTask).where(
                ProjectTask.task_id == setup["task"])).one()
            assert (pt.hourly_rate, pt.is_billable) == (Decimal("110"), False)
            members = session.exec(select(ProjectMember.user_id, ProjectMember.is_project_manager)
                                   .where(ProjectMember.project_id == project.id)).all()
            assert set(members) == {(workspace.admin_id, False), (member_id, True)}

        await press(pilot, "escape")
        await press(pilot, "x")
        assert rows(app, "projects")[project.id][-1] == "no"


# --- tasks, the team, categories ------------------------------------------------------------


async def test_create_and_edit_a_task_then_archive_and_restore_it(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "3")
        await press(pilot, "n")
        await fill(pilot, name="Discovery", rate="95.5", billable=False)
        await press(pilot, "ctrl+s")
        with workspace.session() as session:
            task = session.exec(select(Task).where(Task.name == "Discovery")).one()
        assert rows(app, "tasks")[task.id] == ["Discovery", "discovery", "no", "£95.50", "no",
                                               "yes"]
        await select_row(pilot, "tasks", task.id)
        await press(pilot, "enter")
        await fill(pilot, handle="disc", is_default=True)
        await press(pilot, "ctrl+s")
        assert rows(app, "tasks")[task.id][:2] == ["Discovery", "disc"]
        await select_row(pilot, "tasks", task.id)
        await press(pilot, "x")
        assert rows(app, "tasks")[task.id][-1] == "no"
        await select_row(pilot, "tasks", task.id)
        await press(pilot, "x")
        assert rows(app, "tasks")[task.id][-1] == "yes"


async def test_add_a_manager_with_permissions_and_an_agent_then_archive(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "4")
        await press(pilot, "n")
        await fill(pilot, name="Grace", email="grace@acme.test", role="manager",
                   perm_view_rates=True, rate="150", cost_rate="80", capacity="32.5",
                   timezone="Europe/Paris")
        await press(pilot, "ctrl+s")
        await press(pilot, "n")
        await fill(pilot, kind="agent", name="Codex", capacity="200")
        await press(pilot, "ctrl+s")
        assert field_error(app, "capacity").startswith("capacity must be between 0 and 168")
        await fill(pilot, capacity="60")
        await press(pilot, "ctrl+s")
        with workspace.session() as session:
            grace = session.exec(select(User).where(User.name == "Grace")).one()
            codex = session.exec(select(User).where(User.name == "Codex")).one()
            assert grace.role is Role.MANAGER
            assert grace.manager_permissions == [ManagerPermission.VIEW_RATES.value]
            assert (grace.default_rate, grace.cost_rate) == (Decimal("150"), Decimal("80"))
            assert grace.weekly_capacity_seconds == 32 * 3600 + 1800
            assert grace.timezone == "Europe/Paris"
            assert codex.user_type is UserType.AGENT and codex.email.endswith("agents.keito.local")
        assert rows(app, "team")[codex.id] == ["Codex", " Agent ", "Member", "–", "60.00", "Active"]

        await select_row(pilot, "team", grace.id)
        await press(pilot, "enter")
        await fill(pilot, role="member", perm_view_rates=False, capacity="")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ManageScreen), notices(app)
        assert rows(app, "team")[grace.id][2:5] == ["Member", "£150.00", "40.00"]

        await select_row(pilot, "team", codex.id)
        await press(pilot, "x")
        assert rows(app, "team")[codex.id][-1] == "Archived"
        await select_row(pilot, "team", codex.id)
        await press(pilot, "x")
        assert rows(app, "team")[codex.id][-1] == "Active"

        await select_row(pilot, "team", workspace.admin_id)
        await press(pilot, "x")  # the last administrator
        assert "Ada Admin is the workspace's default user" in notices(app)[-1]
        assert rows(app, "team")[workspace.admin_id][-1] == "Active"


async def test_a_managers_teammates(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    manager, mate = new_id("user"), new_id("user")
    with workspace.session() as session:
        session.add(User(id=manager, name="Bob", email="bob@acme.test", role=Role.MANAGER))
        session.add(User(id=mate, name="Carol", email="carol@acme.test"))
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "4")
        await select_row(pilot, "team", mate)
        await press(pilot, "t")
        assert any("not a manager" in n for n in notices(app))
        await select_row(pilot, "team", manager)
        await press(pilot, "t", "n")
        await fill(pilot, teammate=mate)
        await press(pilot, "ctrl+s")
        assert list(rows(app, "sub-list")) == [mate]
        await press(pilot, "delete", "y")
        assert rows(app, "sub-list") == {}


async def test_saving_an_untouched_form_closes_it_and_writes_nothing(
        runtime: Runtime, workspace) -> None:  # noqa: ANN001
    from keito_core.models import AuditEvent

    mate = new_id("user")
    with workspace.session() as session:
        session.add(User(id=mate, name="Carol", email="carol@acme.test"))
    with workspace.session(readonly=True) as session:
        before = len(session.exec(select(AuditEvent)).all())
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "4")
        await select_row(pilot, "team", mate)
        await press(pilot, "enter")
        assert isinstance(app.screen, RecordForm)
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ManageScreen)
        assert "Nothing changed." in notices(app)
    with workspace.session(readonly=True) as session:
        assert len(session.exec(select(AuditEvent)).all()) == before


async def test_a_unit_based_category_and_the_protected_llm_usage(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "5")
        await press(pilot, "n")
        await fill(pilot, name="Courier", unit_name="parcel")
        await press(pilot, "ctrl+s")
        assert field_error(app, "unit_price") == "a unit-based category needs a unit price too"
        await fill(pilot, unit_price="0.45", billable=False)
        await press(pilot, "ctrl+s")
        with workspace.session() as session:
            courier = session.exec(select(ExpenseCategory).where(
                ExpenseCategory.name == "Courier")).one()
            llm = session.exec(select(ExpenseCategory).where(ExpenseCategory.is_builtin)).one()
        assert (courier.unit_name, courier.unit_price) == ("parcel", Decimal("0.45"))
        assert rows(app, "categories")[courier.id] == ["Courier", "parcel", "0.45", "no", "no",
                                                       "yes"]

        await select_row(pilot, "categories", llm.id)
        await press(pilot, "enter")
        await fill(pilot, name="Tokens")
        await press(pilot, "ctrl+s")
        assert "cannot be renamed" in field_error(app, "name")
        await fill(pilot, name="LLM Usage", unit_price="0.004")
        await press(pilot, "ctrl+s")
        assert isinstance(app.screen, ManageScreen)
        assert rows(app, "categories")[llm.id][2] == "0.004"
        await select_row(pilot, "categories", llm.id)
        await press(pilot, "x")
        assert any("cannot be archived" in n for n in notices(app))
        assert rows(app, "categories")[llm.id][-1] == "yes"


# --- refusals, keys and the footer ---------------------------------------------------------


async def test_a_member_is_refused_with_a_message(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    member_id = new_id("user")
    with workspace.session() as session:
        session.add(User(id=member_id, name="Milton", email="milton@acme.test",
                         role=Role.MEMBER, status=UserStatus.ACTIVE))
        session.flush()
        ws = session.get(WorkspaceRow, workspace.workspace_id)
        ws.default_user_id = member_id
        session.add(ws)
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "3")
        await press(pilot, "n")
        assert isinstance(app.screen, ManageScreen)  # no form opened
        assert "member may not create tasks" in " ".join(notices(app))
        await press(pilot, "5", "n")
        assert isinstance(app.screen, ManageScreen)
        assert "member may not manage expense categories" in notices(app)[-1]


async def test_a_member_sees_rates_and_budgets_as_the_presenters_show_them(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    """The tables' money comes from the presenters: a member on a project whose budget is
    not shown to the team sees neither the team's rates nor its budgets."""
    from datetime import UTC, datetime

    from keito_core.services.directory import clients, project_team, projects, users

    now = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    with workspace.session() as session:
        admin = workspace.actor(session)
        clients.create_client(session, actor=admin, name="Initech", now=now)
        project = projects.create_project(session, actor=admin, name="Website",
                                          client_ref="Initech", budget_visible_to_team=False,
                                          now=now)
        mia = users.create_user(session, actor=admin, name="Mia", email="mia@acme.test",
                                rate="80", now=now)
        project_team.assign_member(session, actor=admin, project_ref=project.id,
                                   user_ref=mia.id, rate="120", budget="10", now=now)
        ws = session.get(WorkspaceRow, workspace.workspace_id)
        ws.default_user_id = mia.id
        session.add(ws)
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_manage(pilot, "2")
        assert list(rows(app, "projects")) == [project.id]
        await press(pilot, "t")
        assert isinstance(app.screen, RecordList)
        assert rows(app, "sub-list")[mia.id][2:4] == ["hidden", "hidden"]


async def test_tab_keys_and_a_footer_that_fits_80_columns(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = keito_app(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_manage(pilot)
        for keys, tab in ((("]",), "projects"), (("]", "]", "]"), "categories"),
                          (("]",), "clients"), (("[",), "categories"), (("4",), "team")):
            await press(pilot, *keys)
            assert screen.tab == tab
            footer = list(screen.query(FooterKey))
            # within 80 columns, and clear of the palette key at the right
            palette = next(key for key in footer if key.description == "palette")
            assert all(key.region.right <= palette.region.x for key in footer
                       if key is not palette), tab
            shown = {key.description for key in footer}
            assert ("Contacts" in shown) is (tab == "clients")
            assert ("k" in {key.key_display for key in footer}) is (tab == "projects")
        assert {"New", "Archive", "Help", "Quit"} <= shown
