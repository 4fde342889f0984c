"""The budget report and one project's budget, counted by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

from budget_team import NOW, make_budget_team

from keito_core.reports.budgets import BudgetLine, budget_report, project_budget
from keito_core.services.tracking.expenses import log_expense
from keito_core.services.tracking.time_entries import log_time


def _log(workspace: Any, who: str, ids: dict[str, str], duration: str, day: date, *,
         task: str = "design", billable: bool = True, source: str = "cli") -> None:
    with workspace.session() as s:
        log_time(s, actor=workspace.actor(s, ids[who]), project_ref=ids["web"],
                 task_ref=ids[task], duration=duration, spent_date=day, billable=billable,
                 source=source, now=NOW)


def _expense(workspace: Any, ids: dict[str, str], total: str | None, *, billable: bool = True,
             category: str = "Lodging", quantity: str | None = None) -> None:
    with workspace.session() as s:
        log_expense(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                    category_ref=category, total=total, quantity=quantity,
                    spent_date=date(2026, 3, 4), billable=billable, source="cli", now=NOW)


def _report(workspace: Any, who: str | None = None, **filters: Any) -> list[BudgetLine]:
    with workspace.session(readonly=True) as s:
        actor = workspace.actor(s, who)
        return budget_report(s, actor=actor, now=NOW, **filters)


def test_hours_budget_counts_every_hour_billable_or_not(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    _log(workspace, "bea", ids, "3:00", date(2026, 3, 2))
    _log(workspace, "bot", ids, "2:00", date(2026, 3, 3), billable=False, source="agent")
    _log(workspace, "max", ids, "1:30", date(2026, 3, 4), task="build")
    [line] = _report(workspace)
    assert (line.project, line.client, line.kind, line.scope, line.budget_by.value) == (
        "Website Redesign", "Acme Corp", "hours", "project", "total_hours")
    assert (line.budget, line.spent, line.remaining, line.percent_used) == (
        D(10), D("6.5"), D("3.5"), D("65.00"))
    assert (line.status, line.monthly, line.period, line.period_label) == (
        "on_track", False, "life", "Project life")
    _log(workspace, "bea", ids, "2:00", date(2026, 3, 5))
    [line] = _report(workspace)
    assert (line.spent, line.percent_used, line.status) == (D("8.5"), D("85.00"), "warning")
    _log(workspace, "bea", ids, "1:30", date(2026, 3, 5))
    [line] = _report(workspace)
    assert (line.spent, line.remaining, line.status) == (D(10), D(0), "warning")  # 100 %
    _log(workspace, "bea", ids, "0:06", date(2026, 3, 5))
    [line] = _report(workspace)
    assert (line.spent, line.remaining, line.percent_used, line.status) == (
        D("10.1"), D("-0.1"), D("101.00"), "over")
    # Only the agent's spending (the Agent Activity Reports page):
    [agent] = _report(workspace, sources=("agent",))
    assert (agent.spent, agent.status) == (D(2), "on_track")


def test_fees_budget_is_billable_time_at_captured_rates(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="total_fees", budget="1000")
    _log(workspace, "bea", ids, "1:20", date(2026, 3, 2))
    _log(workspace, "bea", ids, "0:40", date(2026, 3, 3))   # 7,200 s at £100 -> 2.00 h, £200
    _log(workspace, "bea", ids, "1:00", date(2026, 3, 3), billable=False)   # not counted
    _expense(workspace, ids, "50")
    _expense(workspace, ids, "30", billable=False)
    [line] = _report(workspace)
    assert (line.kind, line.currency, line.spent, line.remaining, line.percent_used) == (
        "fees", "GBP", D("200.00"), D("800.00"), D("20.00"))
    assert line.to_dict()["currency"] == "GBP"


def test_fees_budget_including_expenses(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="total_fees", budget="300",
                           includes_expenses=True)
    _log(workspace, "bea", ids, "2:00", date(2026, 3, 2))          # £200
    _expense(workspace, ids, "50")                                    # £50
    _expense(workspace, ids, "30", billable=False)                    # not billable
    _expense(workspace, ids, None, category="Mileage", quantity="10")  # 10 x 0.67 = £6.70
    [line] = _report(workspace)
    assert (line.spent, line.percent_used, line.status) == (D("256.70"), D("85.57"), "warning")


def test_monthly_reset_counts_the_month_asked_default_this_month(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="5", monthly=True)
    _log(workspace, "bea", ids, "3:00", date(2026, 2, 27))
    _log(workspace, "bea", ids, "2:00", date(2026, 3, 2))
    _log(workspace, "bea", ids, "4:00", date(2026, 3, 5))
    [march] = _report(workspace)
    assert (march.spent, march.status, march.monthly, march.period, march.period_label) == (
        D(6), "over", True, "2026-03", "March 2026")
    [february] = _report(workspace, month=date(2026, 2, 14))
    assert (february.spent, february.percent_used, february.status, february.period) == (
        D(3), D("60.00"), "on_track", "2026-02")
    [april] = _report(workspace, month=date(2026, 4, 1))
    assert (april.spent, april.status) == (D(0), "on_track")


def test_task_budgets(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="task", budget=None, task_budgets=("4", None),
                           task_fees=(None, "600"))
    _log(workspace, "bea", ids, "3:00", date(2026, 3, 2))
    _log(workspace, "bea", ids, "5:00", date(2026, 3, 3), task="build")
    _log(workspace, "bea", ids, "2:00", date(2026, 3, 3), task="build", billable=False)
    lines = _report(workspace)
    assert [(x.scope, x.scope_name, x.kind, x.spent, x.budget, x.status) for x in lines] == [
        ("task", "Build", "fees", D("500.00"), D(600), "warning"),
        ("task", "Design", "hours", D(3), D(4), "on_track"),
    ]


def test_person_budgets(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="person", budget=None,
                           person_budgets={"bea": "2"}, person_fees={"bot": "100"})
    _log(workspace, "bea", ids, "3:00", date(2026, 3, 2))
    _log(workspace, "bot", ids, "0:30", date(2026, 3, 2), source="agent")
    _log(workspace, "max", ids, "9:00", date(2026, 3, 2))     # Max has no budget
    lines = _report(workspace)
    assert [(x.scope, x.scope_name, x.kind, x.spent, x.percent_used, x.status)
            for x in lines] == [
        ("person", "Bea Member", "hours", D(3), D("150.00"), "over"),
        ("person", "Bot Agent", "fees", D("50.00"), D("50.00"), "on_track"),
    ]
    assert [x.scope_name for x in _report(workspace, statuses=("over",))] == ["Bea Member"]
    assert [x.scope_name for x in _report(workspace, statuses=("on_track", "warning"))] == [
        "Bot Agent"]


def test_filters_by_client_and_project(workspace: Any) -> None:
    make_budget_team(workspace)
    assert len(_report(workspace, client_refs=("Acme Corp",))) == 1
    assert len(_report(workspace, project_refs=("WEB",))) == 1
    assert _report(workspace, statuses=("over",)) == []


def test_visible_to_team_budgets(workspace: Any) -> None:
    ids = make_budget_team(workspace, visible_to_team=True)
    for who in ("ada", "max", "bea", "bot"):
        assert len(_report(workspace, ids[who])) == 1, who
    assert _report(workspace, ids["mo"]) == []   # not on the project


def test_budgets_hidden_from_team(workspace: Any) -> None:
    ids = make_budget_team(workspace, visible_to_team=False)
    for who in ("ada", "max"):
        assert len(_report(workspace, ids[who])) == 1, who
    for who in ("bea", "bot", "mo"):
        assert _report(workspace, ids[who]) == [], who
    with workspace.session(readonly=True) as s:
        assert project_budget(s, actor=workspace.actor(s, ids["bea"]), project_id=ids["web"],
                              now=NOW) == []
        [line] = project_budget(s, actor=workspace.actor(s, ids["max"]), project_id=ids["web"],
                                now=NOW)
        assert line.budget == D(10)


def test_project_budget_and_no_budget(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="none", budget=None)
    with workspace.session(readonly=True) as s:
        actor = workspace.actor(s)
        assert project_budget(s, actor=actor, project_id=ids["web"], now=NOW) == []
        assert budget_report(s, actor=actor, now=NOW) == []
