"""`keito project ...` through the command line: JSON out, exit codes, nothing changed on error."""

from __future__ import annotations

import pytest

from keito_core.enums import Role
from keito_core.models import ApiKey, Client, Task, User
from keito_core.platform.identity import generate_secret, hash_secret
from keito_core.platform.ids import new_id


@pytest.fixture
def ws(workspace):
    with workspace.session() as s:
        s.add(Client(id=new_id("client"), name="Globex", currency="GBP"))
        s.add(Client(id=new_id("client"), name="Initech", currency="USD"))
        s.add(Task(id=new_id("task"), name="Design", handle="design", is_default=True))
        s.add(Task(id=new_id("task"), name="Development", handle="development",
                   default_rate=100))
        s.add(User(id=new_id("user"), name="Bob", email="bob@acme.test", default_rate=80))
        s.add(User(id=new_id("user"), name="Cy", email="cy@acme.test"))
    return workspace


def key_for(ws, name, *, role=Role.MEMBER, permissions=()) -> dict[str, str]:
    """A user with an API key; returns the env that makes them the actor."""
    secret = generate_secret()
    with ws.session() as s:
        user = User(id=new_id("user"), name=name, email=f"{name.lower()}@acme.test", role=role,
                    manager_permissions=list(permissions))
        s.add(user)
        s.flush()
        s.add(ApiKey(id=new_id("api_key"), user_id=user.id, name="test", prefix=secret[:13],
                     secret_hash=hash_secret(secret)))
    return {"KEITO_API_KEY": secret}


def projects(cli, *args) -> list[dict]:
    result = cli("project", "list", "--all", *args)
    assert result.exit_code == 0, result
    return result.json["data"]


def test_add_returns_json_a_script_can_use(cli, ws):
    result = cli("project", "add", "Acme Website", "--client", "globex", "--code", "acme",
                 "--rate", "120", "--budget-by", "hours", "--budget", "200")
    assert result.exit_code == 0, result
    data = result.json
    assert data["id"].startswith("prj_")
    assert (data["code"], data["handle"], data["billing_type"]) == ("acme", "acme",
                                                                     "time_and_materials")
    assert data["client_name"] == "Globex" and data["client_id"].startswith("cli_")
    assert data["is_billable"] is True and data["hourly_rate"] == 120
    assert data["budget_by"] == "total_hours" and data["budget_hours"] == 200
    assert [t["name"] for t in data["tasks"]] == ["Design"]  # the default task
    assert [m["name"] for m in data["members"]] == ["Ada Admin"]
    quiet = cli("project", "add", "Other", "--client", "Globex", "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout.strip().startswith("prj_")


@pytest.mark.parametrize("kind", ["fixed-fee", "fixed_fee", "FIXED-FEE"])
def test_type_accepts_dashes_and_underscores(cli, ws, kind):
    result = cli("project", "add", "Fixed", "--client", "Globex", "--type", kind, "--fee", "5000")
    assert result.exit_code == 0, result
    assert result.json["billing_type"] == "fixed_fee" and result.json["fixed_fee"] == 5000


def test_non_billable_forces_bill_by_none(cli, ws):
    result = cli("project", "add", "Internal", "--client", "Globex", "--type", "non-billable",
                 "--bill-by", "task")
    assert result.exit_code == 0, result
    assert result.json["bill_by"] == "none" and result.json["is_billable"] is False


@pytest.mark.parametrize(
    ("args", "exit_code", "code", "field"),
    [
        (["--code", "ACME"], 3, "conflict", "code"),
        (["--client", "Nobody"], 4, "not_found", "client"),
        (["--rate", "-5"], 2, "validation_error", "rate"),
        (["--rate", "lots"], 2, "validation_error", "rate"),
        (["--fee", "-1", "--type", "fixed-fee"], 2, "validation_error", "fixed_fee"),
        (["--type", "fixed-fee"], 2, "validation_error", "fixed_fee"),
        (["--budget-by", "hours", "--budget", "-3"], 2, "validation_error", "budget"),
        (["--starts", "2026-05-01", "--ends", "2026-04-01"], 2, "validation_error", "ends_on"),
        (["--type", "barter"], 2, "validation_error", "project_type"),
        (["--budget-alert", "120"], 2, "validation_error", "budget_alert_percent"),
    ],
)
def test_bad_add_changes_nothing(cli, ws, args, exit_code, code, field):
    assert cli("project", "add", "First", "--client", "Globex", "--code", "acme").exit_code == 0
    base = ["project", "add", "Second", "--client", "Globex"]
    result = cli(*base, *args)
    assert result.exit_code == exit_code, result
    assert (result.error["code"], result.error["field"]) == (code, field)
    assert [p["name"] for p in projects(cli)] == ["First"]


@pytest.mark.parametrize("ref", ["ID", "acme", "ACME", "acme-site", "ACME website"])
def test_project_is_found_by_id_code_handle_or_name(cli, ws, ref):
    created = cli("project", "add", "Acme Website", "--client", "Globex", "--code", "ACME",
                  "--handle", "acme-site").json
    shown = cli("project", "show", created["id"] if ref == "ID" else ref)
    assert shown.exit_code == 0, shown
    assert shown.json["id"] == created["id"]


def test_show_unknown_project_is_not_found(cli, ws):
    result = cli("project", "show", "nope")
    assert result.exit_code == 4 and result.error["field"] == "project"


def test_list_filters_and_archive_restore(cli, ws):
    cli("project", "add", "Zeta", "--client", "Initech")
    cli("project", "add", "Beta", "--client", "Globex")
    cli("project", "add", "Alpha", "--client", "Globex")
    assert cli("project", "archive", "beta").json["is_active"] is False
    active = cli("project", "list").json["data"]
    assert [p["name"] for p in active] == ["Alpha", "Zeta"]
    assert [p["name"] for p in cli("project", "list", "--archived").json["data"]] == ["Beta"]
    assert [p["name"] for p in projects(cli, "--client", "globex")] == ["Alpha", "Beta"]
    assert cli("project", "restore", "beta").json["is_active"] is True
    assert len(cli("project", "list").json["data"]) == 3


def test_edit_changes_only_given_options(cli, ws):
    cli("project", "add", "Web", "--client", "Globex", "--code", "web", "--rate", "100",
        "--notes", "first")
    result = cli("project", "edit", "web", "--name", "Web Relaunch", "--budget-by", "fees",
                 "--budget", "9000", "--budget-includes-expenses", "--hide-budget",
                 "--monthly-budget", "--budget-alert", "75")
    assert result.exit_code == 0, result
    data = result.json
    assert (data["name"], data["hourly_rate"], data["notes"]) == ("Web Relaunch", 100, "first")
    assert (data["budget_amount"], data["budget_includes_expenses"]) == (9000, True)
    assert data["budget_visible_to_team"] is False and data["budget_monthly_reset"] is True
    assert data["budget_alert_percent"] == 75
    cleared = cli("project", "edit", "web", "--rate", "none", "--code", "none").json
    assert cleared["hourly_rate"] is None and cleared["code"] is None
    bad = cli("project", "edit", "web relaunch", "--rate", "-1")
    assert bad.exit_code == 2 and bad.error["field"] == "rate"
    cli("project", "add", "Other", "--client", "Globex", "--code", "other")
    dup = cli("project", "edit", "web relaunch", "--code", "OTHER")
    assert dup.exit_code == 3 and dup.error["field"] == "code"
    assert cli("project", "show", "web").json["code"] is None


def test_assign_several_users_with_rate_and_unassign(cli, ws):
    cli("project", "add", "Web", "--client", "Globex", "--code", "web", "--bill-by", "person")
    result = cli("project", "assign", "web", "bob", "cy@acme.test", "--rate", "130",
                 "--budget", "40")
    assert result.exit_code == 0, result
    rows = {r["name"]: r for r in result.json["data"]}
    assert set(rows) == {"Bob", "Cy"}
    assert rows["Bob"]["hourly_rate"] == 130 and rows["Bob"]["budget_hours"] == 40
    again = cli("project", "assign", "web", "bob", "--manager").json["data"][0]
    assert again["is_project_manager"] is True and again["hourly_rate"] == 130
    back = cli("project", "assign", "web", "bob", "--rate", "default").json["data"][0]
    assert back["hourly_rate"] == 80 and back["uses_default_rate"] is True
    members = cli("project", "show", "web").json["members"]
    assert sorted(m["name"] for m in members) == ["Ada Admin", "Bob", "Cy"]
    bad = cli("project", "assign", "web", "nobody")
    assert bad.exit_code == 4 and bad.error["field"] == "user"
    gone = cli("project", "unassign", "web", "cy")
    assert gone.exit_code == 0 and gone.json["removed"][0]["name"] == "Cy"
    assert sorted(m["name"] for m in cli("project", "show", "web").json["members"]) == [
        "Ada Admin", "Bob"]


def test_project_task_overrides(cli, ws):
    cli("project", "add", "Web", "--client", "Globex", "--code", "web", "--bill-by", "task")
    result = cli("project", "task", "add", "web", "development", "--no-billable",
                 "--rate", "150", "--budget", "12")
    assert result.exit_code == 0, result
    data = result.json
    assert (data["name"], data["is_billable"], data["hourly_rate"], data["budget_hours"]) == (
        "Development", False, 150, 12)
    listed = {t["name"]: t for t in cli("project", "task", "list", "web").json["data"]}
    assert set(listed) == {"Design", "Development"}
    assert listed["Design"]["hourly_rate"] is None and listed["Development"]["hourly_rate"] == 150
    bad = cli("project", "task", "add", "web", "design", "--rate", "-2")
    assert bad.exit_code == 2 and bad.error["field"] == "rate"
    removed = cli("project", "task", "remove", "web", "design")
    assert removed.exit_code == 0 and removed.json["removed"] is True
    assert [t["name"] for t in cli("project", "task", "list", "web").json["data"]] == [
        "Development"]


def test_permission_refusals(cli, ws):
    member = key_for(ws, "Mem")
    plain = key_for(ws, "Pat", role=Role.MANAGER)
    creator = key_for(ws, "Cat", role=Role.MANAGER, permissions=["create_projects"])
    for env in (member, plain):
        refused = cli("project", "add", "X", "--client", "Globex", env=env)
        assert refused.exit_code == 1 and refused.error["code"] == "authorization_error"
    assert projects(cli) == []
    mine = cli("project", "add", "Mine", "--client", "Globex", env=creator)
    assert mine.exit_code == 0, mine
    assert mine.json["members"][0]["is_project_manager"] is True
    assert cli("project", "edit", "mine", "--notes", "ok", env=creator).json["notes"] == "ok"
    cli("project", "add", "Theirs", "--client", "Globex")
    refused = cli("project", "edit", "theirs", "--notes", "no", env=creator)
    assert refused.exit_code == 1 and refused.error["code"] == "authorization_error"
    assert cli("project", "show", "theirs").json["notes"] is None
    # A manager made project manager of a project may edit it.
    cli("project", "assign", "theirs", "pat", "--manager")
    assert cli("project", "edit", "theirs", "--notes", "pm", env=plain).json["notes"] == "pm"
    assert [p["name"] for p in cli("project", "list", env=member).json["data"]] == []
