"""The Settings view: Enter opens a dialog with the right input for the setting's type."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from settling import finish_workers
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, Switch
from textual.widgets._footer import FooterKey

from keito_core.enums import Role
from keito_core.models import User
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.workspace.settings_registry import SETTINGS
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.settings import SETTING_CHOICES, SettingDialog, SettingsScreen
from keito_tui.app.widgets.record_view import RecordView

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

pytestmark = pytest.mark.anyio


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


async def settle(pilot: Pilot) -> None:
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def press(pilot: Pilot, *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


async def open_setting(pilot: Pilot, key: str) -> SettingDialog:
    """Move to the setting's row in the Settings view and press Enter."""
    table = pilot.app.screen.query_one("#settings", RecordView).table
    table.move_cursor(row=table.get_row_index(key))
    await press(pilot, "enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SettingDialog)
    return pilot.app.screen


def value_of(app: KeitoApp, key: str) -> str:
    table = app.screen.query_one("#settings", RecordView).table
    return str(table.get_row(key)[1])


def workspace_row(workspace) -> WorkspaceRow:  # noqa: ANN001
    with workspace.session() as session:
        row = session.get(WorkspaceRow, workspace.workspace_id)
        session.expunge(row)
        return row


def test_every_listed_choice_is_a_setting() -> None:
    assert set(SETTING_CHOICES) <= {spec.key for spec in SETTINGS}


async def test_a_bool_setting_is_a_switch(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert value_of(app, "features.approvals") == "no"
        dialog = await open_setting(pilot, "features.approvals")
        switch = dialog.query_one("#setting-value", Switch)
        assert switch.value is False and switch.has_focus
        await press(pilot, "space", "ctrl+s")
        assert isinstance(app.screen, SettingsScreen)
        assert value_of(app, "features.approvals") == "yes"
        assert workspace_row(workspace).feature_approvals is True
        assert "features.approvals is now yes" in [n.message for n in app._notifications]


async def test_a_choice_setting_is_a_list(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        dialog = await open_setting(pilot, "week_start")
        select = dialog.query_one("#setting-value", Select)
        assert select.value == "monday"
        select.value = "sunday"
        await press(pilot, "ctrl+s")
        assert value_of(app, "week_start") == "sunday"
        assert workspace_row(workspace).week_start == "sunday"

        dialog = await open_setting(pilot, "thousands_separator")
        assert dialog.query_one("#setting-value", Select).value == "comma"  # stored as ","
        dialog.query_one("#setting-value", Select).value = "space"
        await press(pilot, "ctrl+s")
        assert workspace_row(workspace).thousands_separator == " "


async def test_a_text_setting_shows_its_error_beside_the_input(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        dialog = await open_setting(pilot, "timezone")
        box = dialog.query_one("#setting-value", Input)
        assert box.value == "Europe/London"
        box.value = "Mars/Olympus"
        await press(pilot, "enter")
        assert app.screen is dialog
        assert "Mars/Olympus" in str(dialog.query_one("#setting-error", Static).render())
        box.value = "Europe/Paris"
        await press(pilot, "enter")
        assert value_of(app, "timezone") == "Europe/Paris"

        dialog = await open_setting(pilot, "company")
        dialog.query_one("#setting-value", Input).value = "Acme Group"
        await press(pilot, "enter")
        assert app.title == "Acme Group"
        await open_setting(pilot, "company")
        await press(pilot, "escape")
        assert isinstance(app.screen, SettingsScreen)
        assert workspace_row(workspace).name == "Acme Group"


async def test_a_member_is_told_they_may_not_change_settings(
    runtime: Runtime, workspace  # noqa: ANN001
) -> None:
    member_id = new_id("user")
    with workspace.session() as session:
        session.add(User(id=member_id, name="Milton", email="milton@acme.test", role=Role.MEMBER))
        session.flush()
        ws = session.get(WorkspaceRow, workspace.workspace_id)
        ws.default_user_id = member_id
        session.add(ws)
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        table = app.screen.query_one("#settings", RecordView).table
        table.move_cursor(row=table.get_row_index("require_notes"))
        await press(pilot, "enter")
        assert isinstance(app.screen, SettingsScreen)
        assert any("may not edit workspace settings" in n.message for n in app._notifications)
        footer = list(app.screen.query(FooterKey))
        assert "Edit" in {key.description for key in footer}
        assert all(key.region.right <= 80 for key in footer)


async def test_coming_back_to_the_view_reads_changes_made_elsewhere(
        runtime: Runtime, workspace) -> None:  # noqa: ANN001
    from keito_core.services.workspace.setup import set_setting

    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert value_of(app, "duration_format") == "decimal"
        with workspace.session() as s:  # as `keito settings set` in another shell
            set_setting(s, actor=workspace.actor(s), key="duration_format", value="hh:mm", now=NOW)
        await press(pilot, "d")
        await press(pilot, "s")
        assert value_of(app, "duration_format") == "hh:mm"


async def test_rounding_and_locking_turned_off_read_off(runtime: Runtime, workspace) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await press(pilot, "s")
        assert value_of(app, "rounding") == "off"
        assert value_of(app, "lock_after_days") == "off"
        dialog = await open_setting(pilot, "rounding")
        select = dialog.query_one("#setting-value", Select)
        assert select.value == "0"
        select.value = "15"
        await press(pilot, "ctrl+s")
        assert value_of(app, "rounding") == "15"
        dialog = await open_setting(pilot, "lock_after_days")
        assert dialog.query_one("#setting-value", Input).value == ""
