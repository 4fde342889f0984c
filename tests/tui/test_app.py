"""The full-screen app, driven with Textual's pilot against a real workspace database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rich.text import Text
from settling import finish_workers
from sqlmodel import select
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from textual.widgets._footer import FooterKey, FooterLabel

from keito_core.enums import BillBy, ProjectType, Role, UserType
from keito_core.errors import KeitoError
from keito_core.models import Client, Project, ProjectMember, Task, User
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.day import DayScreen
from keito_tui.app.screens.help import HelpScreen
from keito_tui.app.screens.manage import ManageScreen
from keito_tui.app.screens.onboarding import OnboardingScreen, default_currency
from keito_tui.app.screens.settings import SettingsScreen
from keito_tui.app.widgets.form_field import FormField
from keito_tui.app.widgets.record_view import RecordTable, RecordView

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

pytestmark = pytest.mark.anyio

SIZE = (100, 30)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    """The runtime `keito` builds, from the test's KEITO_HOME and database URL."""
    rt = make_runtime()
    yield rt
    rt.close()


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled (workers start workers)."""
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def type_into(pilot: Pilot, field: str, text: str) -> None:
    """Clear an input, then type into it key by key."""
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = ""
    await pilot.press(*text)


async def fill(pilot: Pilot, field: str, text: str) -> None:
    """Set an input's value at once (typing is slow; type_into covers typing)."""
    box = pilot.app.screen.query_one(f"#{field}", Input)
    box.focus()
    box.value = text
    await pilot.pause()


def table(app: KeitoApp, view: str) -> RecordTable:
    return app.screen.query_one(f"#{view}", RecordView).table


def row_text(app: KeitoApp, view: str, row_id: str) -> list[str]:
    return [str(cell) for cell in table(app, view).get_row(row_id)]


def names(app: KeitoApp, view: str) -> list[str]:
    """The first column of every row."""
    return [row_text(app, view, key)[0] for key in table(app, view).rows]


def caption(app: KeitoApp, view: str) -> str:
    return str(app.screen.query_one(f"#{view} .record-view--caption", Static).render())


def footer_keys(app: KeitoApp) -> dict[str, str]:
    return {key.description: key.key_display for key in app.screen.query(FooterKey)}


def has_workspace(runtime: Runtime) -> bool:
    with runtime.session(readonly=True) as session:
        try:
            get_workspace(session)
        except KeitoError:
            return False
        return True


# --- onboarding -----------------------------------------------------------------------------


async def test_onboarding_creates_the_workspace_then_shows_the_day_view(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, OnboardingScreen)
        app.screen.query_one("#create").focus()  # not an input, which would take the keys
        await pilot.pause()
        assert "Settings" not in footer_keys(app)  # no views before there is a workspace
        await pilot.press("s")
        assert isinstance(app.screen, OnboardingScreen)
        await type_into(pilot, "company", "Globex")
        await type_into(pilot, "currency", "eur")
        await fill(pilot, "timezone", "Europe/Paris")
        app.screen.query_one("#week_start", Select).value = "sunday"
        await type_into(pilot, "name", "Hank")
        await type_into(pilot, "email", "h@g.io")
        await pilot.click("#create")
        await settle(pilot)

        assert isinstance(app.screen, DayScreen)
        assert app.current_mode == "day"
        assert app.title == "Globex"
        assert app.sub_title == "Hank (administrator)"
        assert app.screen.title == "Globex · Day"
        await pilot.press("m")
        await settle(pilot)
        assert app.screen.title == "Globex · Manage"
        assert "LLM Usage" in names(app, "categories")
    with runtime.session(readonly=True) as session:
        ws = get_workspace(session)
        admin = session.get(User, ws.default_user_id)
        assert (ws.name, ws.currency, ws.timezone, ws.week_start) == (
            "Globex", "EUR", "Europe/Paris", "sunday"
        )
        assert (admin.name, admin.email, admin.role) == ("Hank", "h@g.io", "admin")
        tasks = {t.name: (t.is_default, t.is_billable_default)
                 for t in session.exec(select(Task)).all()}
    assert tasks["Development"] == (True, True)
    assert tasks["Business Development"] == (True, False)


async def test_onboarding_shows_a_bad_currency_next_to_the_field_and_keeps_the_form(
    runtime: Runtime,
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await fill(pilot, "company", "Globex Ltd")
        await fill(pilot, "currency", "XQZ")
        await fill(pilot, "email", "hank@globex.test")
        await pilot.press("enter")  # Enter in a field submits the form
        await settle(pilot)

        screen = app.screen
        assert isinstance(screen, OnboardingScreen)
        currency = screen.query_one("#field-currency", FormField)
        assert "unknown currency code: 'XQZ'" in currency.error
        assert currency.has_class("-invalid")
        assert screen.query_one("#field-company", FormField).error == ""
        assert screen.values()["company"] == "Globex Ltd"
        assert screen.values()["email"] == "hank@globex.test"
        assert screen.focused is screen.query_one("#currency", Input)
        assert not has_workspace(runtime)

        await fill(pilot, "currency", "GBP")  # the same form, corrected, goes through
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "day"
    assert has_workspace(runtime)


async def test_onboarding_shows_every_problem_at_once_and_clears_one_when_fixed(
    runtime: Runtime,
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        await fill(pilot, "currency", "XQZ")
        await fill(pilot, "email", "not-an-address")
        await pilot.press("enter")
        await settle(pilot)
        errors = {f.field: f.error for f in screen.query(FormField) if f.error}
        assert set(errors) == {"company", "currency", "email"}, errors
        assert screen.focused is screen.query_one("#company", Input)
        await pilot.press(*"Globex")
        await pilot.pause()
        assert screen.query_one("#field-company", FormField).error == ""
        assert screen.query_one("#field-currency", FormField).error != ""
        create = screen.query_one("#create")
        footer = screen.query_one("KeitoFooter")
        assert create.region.height > 0 and create.region.bottom <= footer.region.y
        assert not has_workspace(runtime)


async def test_onboarding_shows_an_error_without_a_field_under_the_form(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        await fill(pilot, "company", "Globex Ltd")
        await fill(pilot, "email", "hank@globex.test")
        with runtime.session() as session:  # someone else creates the workspace meanwhile
            from keito_core.services.workspace.setup import init_workspace

            init_workspace(session, company="Other", currency="USD", timezone="UTC",
                           admin_name="Someone", admin_email="someone@other.test", now=NOW)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        general = screen.query_one("#form-error", Static)
        assert "already has a workspace" in str(general.render())
        assert general.has_class("-visible")
        assert all(field.error == "" for field in screen.query(FormField))


async def test_onboarding_creates_the_database_file_when_there_is_none(
    keito_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = keito_home / "data" / "new.db"
    monkeypatch.setenv("KEITO_DATABASE_URL", f"sqlite:///{path}")
    runtime = make_runtime()
    app = KeitoApp(runtime)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, OnboardingScreen)
            assert not path.exists()  # looking does not create anything
            await fill(pilot, "company", "Globex Ltd")
            await fill(pilot, "email", "hank@globex.test")
            await pilot.press("enter")
            await settle(pilot)
            assert app.current_mode == "day"
        assert path.exists()
        assert has_workspace(runtime)
    finally:
        runtime.close()


def test_onboarding_defaults_come_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    import locale

    from keito_tui.app.screens import onboarding

    monkeypatch.setattr("getpass.getuser", lambda: "hank")
    monkeypatch.setattr("keito_tui.cli.workspace.detect_timezone", lambda: "Asia/Tokyo")
    monkeypatch.setattr(locale, "localeconv", lambda: {"int_curr_symbol": "JPY "})
    defaults = onboarding.onboarding_defaults()
    assert defaults["name"] == "hank"
    assert defaults["timezone"] == "Asia/Tokyo"
    assert defaults["currency"] == "JPY"
    assert defaults["week_start"] == "monday"
    monkeypatch.setattr(locale, "localeconv", lambda: {"int_curr_symbol": ""})  # C locale
    assert default_currency() == "USD"


# --- an existing workspace ------------------------------------------------------------------


@pytest.fixture
def records(workspace) -> dict[str, str]:  # noqa: ANN001 - the conftest Workspace
    """A client, a project, a task and an agent, inserted directly with the models."""
    ids = {name: new_id(kind) for name, kind in (
        ("client", "client"), ("project", "project"), ("task", "task"), ("agent", "user"),
    )}
    with workspace.session() as session:
        session.add(Client(id=ids["client"], name="Initech", currency="GBP", city="Austin"))
        session.flush()
        session.add(Project(id=ids["project"], client_id=ids["client"], name="Website",
                            code="INI-WEB", handle="initech-website",
                            project_type=ProjectType.FIXED_FEE, bill_by=BillBy.NONE))
        session.add(Task(id=ids["task"], name="Design", handle="design",
                         default_rate=Decimal("120"), is_default=True))
        session.add(User(id=ids["agent"], name="Claude", email="claude@agents.test",
                         user_type=UserType.AGENT, role=Role.MEMBER,
                         default_rate=Decimal("45.5"), weekly_capacity_seconds=30 * 3600))
    return ids


async def test_manage_shows_the_workspace_records(runtime: Runtime, workspace, records) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, ManageScreen)
        assert app.title == "Acme Consulting"
        assert app.sub_title == "Ada Admin (administrator)"

        assert row_text(app, "clients", records["client"]) == ["Initech", "GBP", "Austin", "yes"]
        assert caption(app, "clients") == "1 client"
        assert row_text(app, "projects", records["project"]) == [
            "Initech", "Website", "INI-WEB", "initech-website", "Fixed fee", "None", "yes"
        ]
        assert row_text(app, "tasks", records["task"]) == [
            "Design", "design", "yes", "£120.00", "yes", "yes"
        ]
        agent = table(app, "team").get_row(records["agent"])
        assert [str(cell) for cell in agent] == [
            "Claude", " Agent ", "Member", "£45.50", "30.00", "Active"
        ]
        assert isinstance(agent[1], Text) and "#7c3aed" in str(agent[1].style)  # violet label
        admin = row_text(app, "team", workspace.admin_id)
        assert admin[:3] == ["Ada Admin", "Human", "Administrator"]
        assert admin[4] == "40.00"  # the workspace's capacity when the user has none
        llm = next(key for key in table(app, "categories").rows
                   if row_text(app, "categories", key)[0] == "LLM Usage")
        assert row_text(app, "categories", llm) == [
            "LLM Usage", "1k tokens", "0.003", "yes", "yes", "yes"
        ]


async def test_manage_shows_a_member_only_what_the_policy_allows(
    runtime: Runtime, workspace, records  # noqa: ANN001
) -> None:
    member_id = new_id("user")
    with workspace.session() as session:
        session.add(User(id=member_id, name="Milton", email="milton@acme.test",
                         role=Role.MEMBER))
        session.flush()
        other = Project(id=new_id("project"), client_id=records["client"], name="Hidden",
                        handle="hidden")
        session.add(other)
        session.add(ProjectMember(id=new_id("project_member"), project_id=records["project"],
                                  user_id=member_id))
        ws = session.get(WorkspaceRow, workspace.workspace_id)
        ws.default_user_id = member_id  # Milton is who acts without an API key
        session.add(ws)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert app.sub_title == "Milton (member)"
        assert table(app, "clients").row_count == 0
        assert caption(app, "clients") == "Not shown: member may not view clients."
        assert list(table(app, "projects").rows) == [records["project"]]  # assigned ones only
        assert [str(key.value) for key in table(app, "team").rows] == [member_id]
        assert row_text(app, "team", member_id)[3] == "hidden"
        assert row_text(app, "tasks", records["task"])[3] == "hidden"


async def test_refresh_reads_the_view_again(runtime: Runtime, workspace, records) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert table(app, "clients").row_count == 1
        with workspace.session() as session:
            session.add(Client(id=new_id("client"), name="Umbrella", currency="USD"))
            ws = session.get(WorkspaceRow, workspace.workspace_id)
            ws.name = "Acme Group"
            session.add(ws)
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert table(app, "clients").row_count == 2
        assert caption(app, "clients") == "2 clients"
        assert app.title == "Acme Group"


async def test_s_shows_every_setting_and_m_comes_back(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        assert app.current_mode == "settings"
        assert isinstance(app.screen, SettingsScreen)
        assert app.screen.title == "Acme Consulting · Settings"
        assert row_text(app, "settings", "timezone")[:2] == ["timezone", "Europe/London"]
        assert row_text(app, "settings", "currency")[:2] == ["currency", "GBP"]
        assert row_text(app, "settings", "features.approvals")[:2] == [
            "features.approvals", "no"
        ]
        from keito_core.services.workspace.settings_registry import SETTINGS

        assert table(app, "settings").row_count == len(SETTINGS)
        await pilot.press("m")
        await settle(pilot)
        assert app.current_mode == "manage"


async def test_footer_shows_every_binding_and_fits_80_columns(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for _ in range(100):  # the day view's footer is laid out after its first read
            laid_out = list(app.screen.query(FooterKey))
            if (
                laid_out
                and all(key.region.width > 0 for key in laid_out)
                and "Quit" in footer_keys(app)  # recomposed with every binding, not midway
            ):
                break
            await pilot.pause(0.02)
        keys = footer_keys(app)
        assert {"Refresh": "^r", "Help": "?", "Quit": "^q"}.items() <= keys.items()
        shown = {key.key_display for key in app.screen.query(FooterKey)}
        assert {"d", "w", "e", "a", "i", "r", "m", "s"} <= shown  # the views, under one label
        assert "Views" in app.export_screenshot()
        for key in app.screen.query(FooterKey):
            assert key.region.right <= 80 and key.region.width > 0
        bindings = {b.binding.id: b.binding for b in app.screen.active_bindings.values()}
        for binding_id in ("day", "week", "expenses", "approvals", "inbox", "reports",
                           "manage", "settings", "refresh", "help", "quit"):
            assert bindings[binding_id].description and bindings[binding_id].tooltip


@pytest.mark.parametrize("view", ["d", "w", "e", "a", "i", "r", "m", "s"])
async def test_every_footer_label_is_set_off_from_the_next_key_at_80_columns(
    runtime: Runtime, workspace, view: str  # noqa: ANN001
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(view)
        await settle(pilot)
        for _ in range(100):  # the footer is laid out after the view's first read
            parts = [*app.screen.query(FooterKey), *app.screen.query(FooterLabel)]
            if parts and all(part.region.width > 0 for part in parts):
                break
            await pilot.pause(0.02)
        line = app.screen.query_one("KeitoFooter").region.y
        parts.sort(key=lambda part: part.region.x)
        for part, after in zip(parts, parts[1:], strict=False):
            assert part.region.y == after.region.y == line
            if isinstance(part, FooterLabel):
                assert after.region.x > part.region.right, (part.render(), after.render())
        assert all(part.region.right <= 80 for part in parts)


async def test_question_mark_opens_help_listing_every_binding(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        listed = {description: key for key, description, _ in app.screen.rows}
        assert {"Day": "d", "Week": "w", "Expenses": "e", "Approvals": "a", "Inbox": "i",
                "Reports": "r", "Manage": "m", "Settings": "s", "Refresh": "^r", "Help": "?",
                "Quit": "^q", "Commands": "^p"}.items() <= listed.items()
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "Quit Keito" in shown and "Every workspace setting" in shown
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, DayScreen)


async def test_ctrl_q_quits_from_a_dialog_too(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit


async def test_help_scrolls_to_its_last_key_at_80_by_24(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        scroll = app.screen.query_one("#help-scroll")
        assert scroll.has_focus and scroll.max_scroll_y > 0  # more keys than rows
        assert "Search every command" not in app.export_screenshot().replace("&#160;", " ")
        await pilot.press("end")
        await pilot.pause()
        assert scroll.scroll_y == scroll.max_scroll_y
        shown = app.export_screenshot().replace("&#160;", " ")
        assert "Search every command" in shown and "Esc closes this dialog" in shown


async def test_help_follows_a_remapped_key(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.set_keymap({"settings": "f2"})
        await pilot.press("f2")
        await settle(pilot)
        assert app.current_mode == "settings"
        assert ("f2", "Settings") in [(key, desc) for key, desc, _ in app.help_rows()]


async def test_command_palette_offers_the_views(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Manage", "Settings", "Refresh", "Help", "Quit"} <= set(titles)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Settings")
        await settle(pilot)  # the palette searches in a worker; its last one fills the list
        results = app.screen.query_one(CommandList)
        assert results.highlighted == 0
        assert results.get_option_at_index(0).prompt.plain.startswith("Settings")
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "settings"


async def test_ctrl_q_quits(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
    assert app.return_code == 0


async def test_a_workspace_that_cannot_be_opened_says_why(
    keito_home: Path, workspace, monkeypatch: pytest.MonkeyPatch  # noqa: ANN001
) -> None:
    monkeypatch.setenv("KEITO_API_KEY", "keito_sk_notakey")
    runtime = make_runtime()
    app = KeitoApp(runtime)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.current_mode == "_default"
            assert not isinstance(app.screen, OnboardingScreen)
            text = str(app.screen.query_one("#startup", Static).render())
            assert "the API key is invalid or revoked" in text
            assert "Manage" not in footer_keys(app)
            await pilot.press("m")
            assert app.current_mode == "_default"
    finally:
        runtime.close()


@pytest.mark.parametrize(("hint", "shown"), [
    ("restore the client first", "restore the client first"),
    ("give --unit-price, e.g. --unit mile --unit-price 0.67", None),
    ("an administrator can turn them on: `keito settings set features.expenses true`",
     "an administrator can turn them on in Settings (features.expenses)"),
    ("set --budget-by hours or fees; per-task and per-person budgets are set with "
     "`keito project task add` and `keito project assign`",
     "choose Total hours or Total fees as the budget; per-task and per-person budgets are "
     "set in the project's tasks (k) and team (t)"),
])
def test_the_app_gives_no_command_line_hints(hint: str, shown: str | None) -> None:
    from keito_tui.app.values import ErrorInfo

    assert ErrorInfo.of(KeitoError("validation_error", "no", hint=hint)).hint == shown
