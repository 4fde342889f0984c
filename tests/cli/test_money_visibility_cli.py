"""What the command line's JSON shows of rates, costs and budgets, by who asks.

The reference (Roles & Permissions, Managing Members) lets a member see no billable rate (a
manager permission, "View/edit billable rates") and no cost rate (administrators only), their
own entries included; a member sees what their expenses cost, since they typed it. A project
that hides its budget from the team hides it from its members.
"""

from __future__ import annotations

from typing import Any

import pytest

#: Field names that carry a rate, a fee or a cost rate, wherever they appear.
RATE_FIELDS = {"billable_rate", "cost_rate", "hourly_rate", "default_hourly_rate", "fixed_fee",
               "uses_default_rate"}
BUDGET_FIELDS = {"budget_hours", "budget_amount"}


def ok(cli, *args: str, key: str | None = None) -> Any:
    result = cli(*args, env={"KEITO_API_KEY": key} if key else None)
    assert result.exit_code == 0, (args, result)
    return result.json


def keys_in(data: Any) -> set[str]:
    """Every key of every object in a JSON value, however deep."""
    if isinstance(data, dict):
        return set(data) | {k for value in data.values() for k in keys_in(value)}
    if isinstance(data, list):
        return {k for value in data for k in keys_in(value)}
    return set()


@pytest.fixture
def team(cli, workspace):
    """Project `acme` (rate 150, a fee budget hidden from the team) with task development
    (rate 120); fixed-fee project `retainer` (9000, budget hidden too); member Mia (rate 80,
    cost 40); managers Max (every permission but rates) and Rae (rates), both with Mia as
    teammate, managing acme and on retainer; a key for each."""
    ok(cli, "client", "add", "Acme Corp")
    ok(cli, "task", "add", "Development", "--rate", "120")
    ok(cli, "project", "add", "Acme Website", "--client", "Acme Corp", "--code", "acme",
       "--rate", "150", "--budget-by", "fees", "--budget", "30000", "--hide-budget")
    ok(cli, "project", "add", "Retainer", "--client", "Acme Corp", "--type", "fixed-fee",
       "--fee", "9000", "--hide-budget")
    ok(cli, "project", "task", "add", "acme", "development", "--rate", "130", "--budget", "20")
    ok(cli, "user", "add", "Mia", "--email", "mia@acme.test", "--rate", "80", "--cost-rate",
       "40")
    for name, grants in (("Max", ["create_projects", "draft_invoices", "send_invoices",
                                  "manage_clients_tasks", "edit_team_entries",
                                  "withdraw_approvals"]),
                         ("Rae", ["view_rates"])):
        email = f"{name.lower()}@acme.test"
        ok(cli, "user", "add", name, "--email", email, "--role", "manager", "--rate", "100",
           "--cost-rate", "60")
        ok(cli, "user", "edit", email, *[arg for g in grants for arg in ("--grant", g)])
        ok(cli, "user", "teammates", email, "--add", "mia@acme.test")
        ok(cli, "project", "assign", "acme", email, "--manager")
    ok(cli, "project", "assign", "acme", "mia@acme.test", "--rate", "95", "--budget", "10")
    ok(cli, "project", "assign", "retainer", "mia@acme.test", "max@acme.test", "rae@acme.test")
    keys = {name: ok(cli, "key", "create", "--user", f"{name}@acme.test")["secret"]
            for name in ("mia", "max", "rae")}
    return keys


def test_a_members_json_holds_no_rate_cost_or_hidden_budget(cli, team):
    mia = team["mia"]
    seen: dict[str, Any] = {}
    logged = ok(cli, "time", "log", "--project", "acme", "--task", "development", "--hours",
                "1.5", "--notes", "Auth", key=mia)
    seen["time log"] = logged
    seen["time list"] = ok(cli, "time", "list", key=mia)
    seen["time show"] = ok(cli, "time", "show", logged["id"], key=mia)
    seen["time edit"] = ok(cli, "time", "edit", logged["id"], "--notes", "Auth flow", key=mia)
    seen["time copy"] = ok(cli, "time", "copy", logged["id"], key=mia)
    seen["time start"] = ok(cli, "time", "start", "--project", "acme", "--task",
                            "development", key=mia)
    seen["time status"] = ok(cli, "time", "status", key=mia)
    seen["time restart"] = ok(cli, "time", "restart", logged["id"], key=mia)
    seen["time stop"] = ok(cli, "time", "stop", key=mia)
    seen["expense log"] = ok(cli, "expense", "log", "--project", "acme", "--quantity", "45",
                             key=mia)
    seen["expense list"] = ok(cli, "expense", "list", key=mia)
    seen["project list"] = ok(cli, "project", "list", key=mia)
    seen["project show"] = ok(cli, "project", "show", "acme", key=mia)
    seen["project show retainer"] = ok(cli, "project", "show", "retainer", key=mia)
    seen["project task list"] = ok(cli, "project", "task", "list", "acme", key=mia)
    seen["task list"] = ok(cli, "task", "list", key=mia)
    seen["task show"] = ok(cli, "task", "show", "development", key=mia)
    seen["user list"] = ok(cli, "user", "list", key=mia)
    seen["user show"] = ok(cli, "user", "show", "me", key=mia)
    seen["whoami"] = ok(cli, "whoami", key=mia)
    for command, data in seen.items():
        assert not keys_in(data) & (RATE_FIELDS | BUDGET_FIELDS), command
    assert seen["time status"]["entry"]["project"]["name"] == "Acme Website"
    assert seen["time restart"]["stopped"]["id"] == seen["time start"]["id"]
    assert seen["expense log"]["total_cost"] == 0.135  # the amount they logged, they see
    assert "Mia" in [m["name"] for m in seen["project show"]["members"]]


def _rates_of_mias_entry(cli, key: str | None) -> set[str]:
    [entry] = ok(cli, "time", "list", "--user", "mia@acme.test", key=key)["data"]
    return keys_in(entry) & RATE_FIELDS


def test_managers_see_billable_rates_only_with_the_permission(cli, team):
    ok(cli, "time", "log", "--project", "acme", "--task", "development", "--hours", "2",
       key=team["mia"])
    assert _rates_of_mias_entry(cli, team["max"]) == set()
    assert _rates_of_mias_entry(cli, team["rae"]) == {"billable_rate"}
    assert _rates_of_mias_entry(cli, None) == {"billable_rate", "cost_rate"}  # the admin
    mia_for_max = ok(cli, "user", "show", "mia@acme.test", key=team["max"])
    assert not keys_in(mia_for_max) & RATE_FIELDS
    mia_for_rae = ok(cli, "user", "show", "mia@acme.test", key=team["rae"])
    assert (mia_for_rae["billable_rate"], "cost_rate" in mia_for_rae) == (80, False)


def test_project_managers_see_the_hidden_budget_and_rates_by_permission(cli, team):
    for_max = ok(cli, "project", "show", "acme", key=team["max"])
    assert (for_max["budget_amount"], for_max["tasks"][0]["budget_hours"]) == (30000, 20)
    assert not keys_in(for_max) & RATE_FIELDS
    for_rae = ok(cli, "project", "show", "acme", key=team["rae"])
    assert for_rae["hourly_rate"] == 150
    assert ok(cli, "project", "show", "retainer", key=team["rae"])["fixed_fee"] == 9000
    assert "fixed_fee" not in ok(cli, "project", "show", "retainer", key=team["max"])
    assert for_rae["tasks"][0]["hourly_rate"] == 130
    mia = next(m for m in for_rae["members"] if m["name"] == "Mia")
    assert (mia["hourly_rate"], mia["uses_default_rate"], mia["budget_hours"]) == (95, False, 10)
    task = ok(cli, "task", "show", "development", key=team["rae"])
    assert task["default_hourly_rate"] == 120
    assert "default_hourly_rate" not in ok(cli, "task", "show", "development", key=team["max"])
