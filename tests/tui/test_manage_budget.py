"""The Manage view's budget bars: `b` on a project shows its budgets, coloured by status, only
to those who may see them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from budget_team import NOW, make_budget_team
from settling import settle
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey

from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.services.directory import keys
from keito_core.services.tracking.time_entries import log_time
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.manage import ManageScreen
from keito_tui.app.screens.manage_budget import BudgetBar, ProjectBudget, bar_text
from keito_tui.app.widgets.record_view import RecordView

pytestmark = pytest.mark.anyio

SIZE = (80, 24)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


async def press(pilot: Pilot, *names: str) -> None:
    await pilot.press(*names)
    await settle(pilot)


def _log(workspace: Any, ids: dict[str, str], duration: str, task: str = "design",
         who: str = "bea") -> None:
    with workspace.session() as s:
        log_time(s, actor=workspace.actor(s, ids[who]), project_ref=ids["web"],
                 task_ref=ids[task], duration=duration, spent_date=date(2026, 3, 2),
                 source="cli", now=NOW)


async def _open_budget(pilot: Pilot, project_id: str) -> ProjectBudget:
    await settle(pilot)
    await press(pilot, "m")
    await press(pilot, "2")
    assert isinstance(pilot.app.screen, ManageScreen)
    table = pilot.app.screen.query_one("#projects", RecordView).table
    table.move_cursor(row=table.get_row_index(project_id))
    await pilot.pause()
    await press(pilot, "b")
    assert isinstance(pilot.app.screen, ProjectBudget)
    return pilot.app.screen


def _bars(screen: ProjectBudget) -> list[tuple[str, str, str, list[str]]]:
    out = []
    for bar in screen.query(BudgetBar):
        texts = [str(s.render()) for s in bar.query(Static)]
        out.append((texts[0], texts[1].split(" ", 1)[1], texts[2], sorted(bar.classes)))
    return out


async def test_a_project_budget_bar_with_its_status_colour(runtime: Runtime,
                                                           workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    _log(workspace, ids, "8:30")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_budget(pilot, ids["web"])
        assert _bars(screen) == [("Total hours · Project life", "85%  Warning",
                                  "8.50 of 10.00, 1.50 left",
                                  ["-warning", "budget-bar"])]
        assert not screen.query_one("#budget-note", Static).display
        assert "Close" in {key.description for key in screen.query(FooterKey)}
        await press(pilot, "escape")
        assert isinstance(app.screen, ManageScreen)


async def test_per_task_lines_over_budget_in_red(runtime: Runtime, workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="task", budget=None, task_budgets=("4", "2"))
    _log(workspace, ids, "3:00")
    _log(workspace, ids, "2:30", task="build")
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_budget(pilot, ids["web"])
        assert _bars(screen) == [
            ("Per task · task Build · Project life", "125%  Over budget",
             "2.50 of 2.00, over by 0.50", ["-over", "budget-bar"]),
            ("Per task · task Design · Project life", "75%  On track",
             "3.00 of 4.00, 1.00 left", ["-on-track", "budget-bar"]),
        ]
        colours = [bar.query(Static)[1].styles.color for bar in screen.query(BudgetBar)]
        assert colours[0] != colours[1]


async def test_a_hidden_budget_shows_nothing_to_a_member(runtime: Runtime, workspace: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    ids = make_budget_team(workspace, visible_to_team=False)
    with workspace.session() as s:
        _, secret = keys.create_key(s, actor=workspace.actor(s), user_ref=ids["bea"],
                                    name="app", now=NOW)
    monkeypatch.setenv("KEITO_API_KEY", secret)
    member_runtime = make_runtime(clock=lambda: NOW)
    app = KeitoApp(member_runtime)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = await _open_budget(pilot, ids["web"])
            assert _bars(screen) == []
            note = screen.query_one("#budget-note", Static)
            assert note.display and "No budget to show" in str(note.render())
    finally:
        member_runtime.close()


@pytest.mark.parametrize(("percent", "expected"), [
    (Decimal(0), "░" * 10), (Decimal("0.5"), "█" + "░" * 9), (Decimal(50), "█" * 5 + "░" * 5),
    (Decimal(100), "█" * 10), (Decimal(250), "█" * 10)])
def test_bar_text(percent: Decimal, expected: str) -> None:
    assert bar_text(percent, 10) == expected
