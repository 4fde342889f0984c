"""Accounting sync in the app: the Invoices view's badge per invoice (and the failure's reason
under the list), the Settings view's connection panel, and pushing or retrying from Settings
in a worker against a stand-in engine, its outcome (or its error) said in words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from settling import settle, until
from sqlmodel import select
from sync_world import REASON, connect_xero, issue_globex
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from keito_core.enums import ConnectionStatus, Role, SyncProvider
from keito_core.errors import KeitoError
from keito_core.models import SyncConnection, User
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.sync import runner
from keito_core.sync.engine import Outcome, RunReport
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.invoices import InvoicesScreen
from keito_tui.app.screens.settings import SettingsScreen

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


@pytest.fixture
def issued(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Four issued invoices for Globex, oldest first (the list shows them newest first)."""
    return SimpleNamespace(ws=workspace, invoices=issue_globex(workspace, now=NOW))


def keito_app(runtime: Runtime) -> KeitoApp:
    """The app, its notifications kept for the test to read however slow the machine is."""
    app = KeitoApp(runtime)
    app.NOTIFICATION_TIMEOUT = 3600
    return app


def text_of(screen, selector: str) -> str:  # noqa: ANN001
    return str(screen.query_one(selector, Static).render())


def notes_of(app: KeitoApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def footer_keys(app: KeitoApp) -> set[str]:
    return {str(key.description) for key in app.screen.query(FooterKey)}


async def open_invoices(pilot: Pilot) -> InvoicesScreen:
    app = pilot.app
    await until(pilot, lambda: app.invoicing, "the Invoices view is offered")
    await pilot.press("v")
    await until(pilot, lambda: isinstance(app.screen, InvoicesScreen)
                and app.screen.data is not None, "the invoice list is read")
    assert isinstance(app.screen, InvoicesScreen)
    return app.screen


async def open_settings(pilot: Pilot) -> SettingsScreen:
    app = pilot.app
    await settle(pilot)
    await pilot.press("s")
    await until(pilot, lambda: isinstance(app.screen, SettingsScreen)
                and app.screen.sync is not None, "the Settings view reads the connection")
    assert isinstance(app.screen, SettingsScreen)
    return app.screen


def badges(screen: InvoicesScreen) -> dict[str, str]:
    """Invoice number -> the text of its row's sync cell (the last)."""
    table = screen.query_one("#invoice-list")
    return {str(row[0]): str(row[-1])
            for row in (table.get_row_at(i) for i in range(table.row_count))}


# --- the Invoices view ------------------------------------------------------------------------


async def test_without_a_connection_the_list_has_no_sync_column(runtime, issued) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_invoices(pilot)
        assert screen.sync is None
        table = screen.query_one("#invoice-list")
        assert "sync" not in {str(key.value) for key in table.columns}
        assert "\n" not in text_of(screen, "#invoice-detail")


async def test_each_invoice_has_a_badge_and_the_detail_says_why_one_failed(
        runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    synced, waiting, failed, never = (i.number for i in issued.invoices)
    app = keito_app(runtime)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_invoices(pilot)
        assert badges(screen) == {synced: "✓ Xero", waiting: "… pending", failed: "✗ failed",
                                  never: "–"}
        numbers = [row.number for row in screen.data.rows]
        screen.query_one("#invoice-list").move_cursor(row=numbers.index(failed))
        await pilot.pause()
        detail = text_of(screen, "#invoice-detail").splitlines()
        assert detail[0].startswith(failed)
        assert detail[1].startswith(f"✗ Xero refused it: {REASON}")
        screen.query_one("#invoice-list").move_cursor(row=numbers.index(synced))
        await pilot.pause()
        assert text_of(screen, "#invoice-detail").splitlines()[1] == (
            "✓ In Xero, synced 01 Dec 2026 17:45 UTC · remote ID X-1")


async def test_at_80_columns_the_badge_is_its_mark(runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    synced, waiting, failed, never = (i.number for i in issued.invoices)
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_invoices(pilot)
        assert badges(screen) == {synced: "✓", waiting: "…", failed: "✗", never: ""}
        table = screen.query_one("#invoice-list")
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= 80
        numbers = [row.number for row in screen.data.rows]
        table.move_cursor(row=numbers.index(waiting))
        await pilot.pause()
        assert text_of(screen, "#invoice-detail").splitlines()[1].startswith(
            "… Waiting to be sent to Xero")


# --- the Settings view ------------------------------------------------------------------------


async def test_settings_say_when_no_accounting_system_is_connected(runtime, issued) -> None:  # noqa: ANN001
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        assert text_of(screen, "#sync-panel") == (
            "Accounting: not connected — run `keito sync connect xero|quickbooks`")
        assert {"Push", "Retry"} <= footer_keys(app)
        keys = {description: key for key, description, _ in app.help_rows()}
        assert (keys["Push"], keys["Retry"]) == ("p", "R")


async def test_settings_show_the_connection_waiting_failed_and_last_synced(
        runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        assert text_of(screen, "#sync-panel").splitlines() == [
            "Accounting: Xero · Acme (Xero) · connected",
            "1 waiting · 1 failed · last synced 01 Dec 2026 17:45"]  # London is on UTC
        with issued.ws.session() as s:
            s.exec(select(SyncConnection)).one().status = ConnectionStatus.NEEDS_RECONNECT
        await pilot.press("ctrl+r")
        await until(pilot, lambda: "needs connecting again" in text_of(screen, "#sync-panel"),
                    "the panel reads the connection again")
        assert text_of(screen, "#sync-panel").splitlines()[0] == (
            "Accounting: Xero · Acme (Xero) · needs connecting again: run "
            "`keito sync connect xero`")


async def test_a_member_sees_the_connection_but_may_not_push(runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    member_id = new_id("user")
    with issued.ws.session() as s:
        s.add(User(id=member_id, name="Milton", email="milton@acme.test", role=Role.MEMBER))
        s.flush()
        s.get(WorkspaceRow, issued.ws.workspace_id).default_user_id = member_id
    calls: list[Any] = []
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        assert text_of(screen, "#sync-panel") == "Accounting: Xero · Acme (Xero) · connected"
        assert not {"Push", "Retry"} & footer_keys(app)
        with fake_engine(calls):
            await pilot.press("p", "R")
            await settle(pilot)
        assert calls == [] and not screen.syncing


# --- pushing and retrying ---------------------------------------------------------------------


class FakeEngine:
    """Records what the Settings view asks of the engine; `run` answers with `report`."""

    def __init__(self, calls: list[Any], report: RunReport) -> None:
        self.calls = calls
        self.report = report

    def enqueue_invoices(self, ids: list[str] | None = None) -> int:
        self.calls.append(("enqueue_invoices", ids))
        return 3

    def retry(self, entity_id: str | None = None) -> int:
        self.calls.append(("retry", entity_id))
        return 1

    def run(self, *, only: set[str] | None = None) -> RunReport:
        self.calls.append(("run", only))
        return self.report


@contextmanager
def fake_engine(calls: list[Any], report: RunReport | None = None,
                error: Exception | None = None) -> Iterator[None]:
    """keito_core.sync.runner.open_sync replaced by one yielding a FakeEngine (or raising)."""
    @contextmanager
    def open_sync(runtime, *, actor_id, **options):  # noqa: ANN001, ANN202
        calls.append(("open_sync", actor_id, "progress" in options))
        if error is not None:
            raise error
        yield SimpleNamespace(provider_name=SyncProvider.XERO,
                              engine=FakeEngine(calls, report or RunReport()))

    real = runner.open_sync
    runner.open_sync = open_sync  # type: ignore[assignment]
    try:
        yield
    finally:
        runner.open_sync = real  # type: ignore[assignment]


def report_of(*outcomes: tuple[str, str, str | None]) -> RunReport:
    return RunReport([Outcome("invoice", f"inv_{n}", "push", label, result, message)
                      for n, (label, result, message) in enumerate(outcomes)])


async def test_p_pushes_every_issued_invoice_in_a_worker_and_says_the_outcome(
        runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    calls: list[Any] = []
    report = report_of(("INV-1", "synced", None), ("INV-2", "synced", None),
                       ("INV-3", "failed", REASON))
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        with fake_engine(calls, report):
            await pilot.press("p")
            await until(pilot, lambda: not screen.syncing, "the push ends")
        assert calls == [("open_sync", issued.ws.admin_id, True),
                         ("enqueue_invoices", None), ("run", None)]
        said = f"Pushed to Xero: 2 synced, 1 failed. First failure: INV-3: {REASON}"
        assert f"Sync: {said}" in notes_of(app)
        assert app._notifications and list(app._notifications)[-1].severity == "error"
        assert text_of(screen, "#sync-panel").splitlines()[-1] == said


async def test_shift_r_retries_the_failures_then_sends(runtime, issued) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    calls: list[Any] = []
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        with fake_engine(calls, report_of(("INV-3", "synced", None))):
            await pilot.press("R")
            await until(pilot, lambda: not screen.syncing, "the retry ends")
        assert [c[0] for c in calls] == ["open_sync", "retry", "run"]
        assert calls[1] == ("retry", None)
        assert "Sync: Retried 1 failure in Xero: 1 synced" in notes_of(app)
        assert list(app._notifications)[-1].severity == "information"


@pytest.mark.parametrize(("error", "said"), [
    (KeitoError("config_error", "no accounting system is connected",
                hint="run `keito sync connect xero` or `keito sync connect quickbooks`"),
     "Sync: Not done: no accounting system is connected\nrun `keito sync connect xero` or "
     "`keito sync connect quickbooks`"),
    (KeitoError("authentication_error", "the xero connection needs connecting again",
                hint="run `keito sync connect xero`"),
     "Sync: Not done: the xero connection needs connecting again\n"
     "run `keito sync connect xero`"),
    (ConnectionError("Name or service not known"),
     "Sync: Not done: could not reach the accounting system (ConnectionError: Name or "
     "service not known). Try again later."),
])
async def test_a_push_that_cannot_run_says_why_and_the_app_goes_on(
        runtime, issued, error, said) -> None:  # noqa: ANN001
    connect_xero(issued.ws, issued.invoices, now=NOW)
    calls: list[Any] = []
    app = keito_app(runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_settings(pilot)
        with fake_engine(calls, error=error):
            await pilot.press("p")
            await until(pilot, lambda: not screen.syncing, "the push ends")
        assert said in notes_of(app)
        assert text_of(screen, "#sync-panel").splitlines()[-1] == said.splitlines()[0][6:]
        assert isinstance(app.screen, SettingsScreen) and app.is_running
