"""The Python API surfaces the over-budget warning the command line prints: a record returned
by a write has `warnings` (the texts, the budget's message last) and `budget` (the warning's
details, amounts only for those who may see the budget, or None)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from budget_team import NOW, make_budget_team

from keito_core.api import Keito
from keito_core.services.directory import keys


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _client(workspace: Any, user_id: str, clock: Clock | None = None) -> Keito:
    with workspace.session() as s:
        _, secret = keys.create_key(s, actor=workspace.actor(s), user_ref=user_id, name="api",
                                    now=NOW)
    return Keito(api_key=secret, _clock=clock or Clock())


@pytest.mark.parametrize("visible", [True, False])
def test_time_logged_over_budget_carries_the_warning(workspace: Any, visible: bool) -> None:
    ids = make_budget_team(workspace, budget="40", visible_to_team=visible)
    bot = _client(workspace, ids["bot"])
    for day in ("2026-03-02", "2026-03-03"):
        first = bot.time_entries.create(ids["web"], day, 20, task_id=ids["design"])
        assert (first.warnings, first.budget) == ([], None)  # up to 100 %: not over
    logged = bot.time_entries.create(ids["web"], "2026-03-02", "4.8", task_id=ids["design"])
    assert logged.hours == Decimal("4.8")  # saved all the same
    budget = logged.budget
    assert (budget["project"], budget["project_id"], budget["scope"], budget["kind"],
            budget["status"], budget["percent_used"], budget["period"]) == (
        "Website Redesign", ids["web"], "project", "hours", "over", Decimal(112), "life")
    if visible:
        assert (budget["spent"], budget["budget"], budget["remaining"]) == (
            Decimal("44.8"), Decimal(40), Decimal("-4.8"))
        assert logged.warnings == ["Website Redesign is over budget (112% of 40h used)"]
    else:
        assert "spent" not in budget and "budget" not in budget
        assert logged.warnings == ["Website Redesign is over budget (112% used)"]
    assert logged.to_dict()["budget"] == budget
    # a read carries no notices: the warning was shown once, with the write
    assert "budget" not in bot.time_entries.get(logged.id).to_dict()


def test_an_update_and_a_stopped_timer_that_go_over_warn(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    bea = _client(workspace, ids["bea"])
    entry = bea.time_entries.create(ids["web"], "2026-03-02", 9, task_id=ids["build"])
    assert entry.budget is None
    edited = bea.time_entries.update(entry.id, hours=11)
    assert (edited.budget["percent_used"], edited.budget["spent"]) == (Decimal(110),
                                                                       Decimal(11))
    assert edited.warnings == ["Website Redesign is over budget (110% of 10h used)"]
    calm = bea.time_entries.update(entry.id, hours=5)
    assert (calm.warnings, calm.budget) == ([], None)
    clock = Clock()
    bea = _client(workspace, ids["bea"], clock)
    timer = bea.time_entries.create(ids["web"], task_id=ids["build"], is_running=True)
    assert (timer.warnings, timer.budget) == ([], None)
    clock.now += timedelta(hours=6)
    stopped = bea.time_entries.update(timer.id, is_running=False)
    assert stopped.hours == Decimal(6)
    assert (stopped.budget["spent"], stopped.budget["remaining"]) == (Decimal(11), Decimal(-1))


def test_a_future_date_and_the_budget_warn_together(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="1")
    bea = _client(workspace, ids["bea"])
    logged = bea.time_entries.create(ids["web"], "2026-03-12", 2, task_id=ids["build"])
    assert logged.warnings == [
        "2026-03-12 is in the future (2 days after today, 2026-03-10)",
        "Website Redesign is over budget (200% of 1h used)"]


def test_an_expense_over_a_fee_budget_warns(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="total_fees", budget="100",
                           includes_expenses=True)
    bea = _client(workspace, ids["bea"])
    under = bea.expenses.create(ids["web"], "Lodging", "2026-03-02", total_cost="60")
    assert (under.warnings, under.budget) == ([], None)
    over = bea.expenses.update(under.id, total_cost="150")
    assert over.total_cost == Decimal(150)
    assert (over.budget["kind"], over.budget["spent"], over.budget["remaining"],
            over.budget["currency"]) == ("fees", Decimal(150), Decimal(-50), "GBP")
    assert over.warnings == ["Website Redesign is over budget (150% of £100.00 used)"]
    second = bea.expenses.create(ids["web"], "Lodging", "2026-03-03", total_cost="1")
    assert second.budget["spent"] == Decimal(151)
