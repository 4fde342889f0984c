"""Logging to an over-budget project succeeds with a `budget` warning in the JSON and on stderr;
its amounts only for those who may see the budget."""

from __future__ import annotations

from typing import Any

import pytest
from budget_team import NOW, make_budget_team

from keito_core.services.directory import keys


def _key(workspace: Any, user_id: str) -> str:
    with workspace.session() as s:
        _, secret = keys.create_key(s, actor=workspace.actor(s), user_ref=user_id, name="cli",
                                    now=NOW)
    return secret


@pytest.mark.parametrize("visible", [True, False])
def test_time_logged_over_budget_warns_without_refusing(cli: Any, workspace: Any,
                                                        visible: bool) -> None:
    ids = make_budget_team(workspace, budget="40", visible_to_team=visible)
    env = {"KEITO_API_KEY": _key(workspace, ids["bot"])}
    for day in ("2026-03-02", "2026-03-03"):
        first = cli("time", "log", "--project", "WEB", "--task", "Design", "--hours", "20",
                    "--date", day, env=env)
        assert first.exit_code == 0 and "budget" not in first.json   # up to 100 %: not over
    logged = cli("time", "log", "--project", "WEB", "--task", "Design", "--hours", "4.8",
                 "--date", "2026-03-02", env=env)
    assert logged.exit_code == 0, logged
    budget = logged.json["budget"]
    assert (budget["project"], budget["status"], budget["percent_used"], budget["kind"]) == (
        "Website Redesign", "over", 112, "hours")
    if visible:
        assert (budget["spent"], budget["budget"], budget["remaining"]) == (44.8, 40, -4.8)
        assert "warning: Website Redesign is over budget (112% of 40h used)" in logged.stderr
    else:
        assert "spent" not in budget and "budget" not in budget
        assert "warning: Website Redesign is over budget (112% used)" in logged.stderr


def test_expense_over_a_fee_budget_warns(cli: Any, workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="total_fees", budget="100",
                           includes_expenses=True)
    env = {"KEITO_API_KEY": _key(workspace, ids["bea"])}
    logged = cli("expense", "log", "--project", "WEB", "--category", "Lodging", "--total",
                 "150", "--date", "2026-03-02", env=env)
    assert logged.exit_code == 0, logged
    assert logged.json["budget"]["spent"] == 150
    assert "warning: Website Redesign is over budget (150% of £100.00 used)" in logged.stderr
