"""`keito expense show|edit|copy|delete`: a typo in an expense is fixed from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keito_core.services.directory import clients, keys, projects, users
from keito_core.services.directory.project_team import assign_member

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def acme(workspace):
    """Client Acme (in USD), project `acme`; an agent assigned to it with a key."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", currency="USD", now=NOW)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        bot = users.create_user(s, actor=actor, name="review-bot-01", agent=True, now=NOW)
        assign_member(s, actor=actor, project_ref="acme", user_ref=bot.id, now=NOW)
        _, secret = keys.create_key(s, actor=actor, user_ref=bot.id, name="bot", now=NOW)
    workspace.bot = {"KEITO_API_KEY": secret}
    return workspace


def _meal(cli, *flags, total="125.0", **kwargs):
    logged = cli("expense", "log", "--project", "acme", "--category", "Meals & Entertainment",
                 "--total", total, "--notes", "Client lunch", "--date", "2026-03-02", *flags,
                 **kwargs)
    assert logged.exit_code == 0, logged
    return logged.json


def test_a_typo_in_the_total_is_fixed_and_shown(cli, acme):
    meal = _meal(cli)
    edited = cli("expense", "edit", meal["id"], "--total", "12.50")
    assert edited.exit_code == 0, edited
    assert edited.json["total_cost"] == 12.5 and edited.json["notes"] == "Client lunch"
    shown = cli("expense", "show", meal["id"])
    assert shown.exit_code == 0, shown
    assert shown.json["total_cost"] == 12.5
    assert shown.json["expense_category"]["name"] == "Meals & Entertainment"
    assert cli("expense", "edit", meal["id"], "--total", "12.505").error["field"] == "total"
    assert cli("expense", "show", meal["id"]).json["total_cost"] == 12.5


def test_edit_without_a_change_says_so(cli, acme):
    meal = _meal(cli)
    result = cli("expense", "edit", meal["id"])
    assert result.exit_code == 2
    assert result.error["message"] == "nothing to change"


def test_copy_logs_the_same_amounts_on_another_day(cli, acme):
    meal = _meal(cli, total="12.50")
    copied = cli("expense", "copy", meal["id"], "--date", "2026-03-03")
    assert copied.exit_code == 0, copied
    assert copied.json["id"] != meal["id"]
    assert copied.json["spent_date"] == "2026-03-03"
    assert (copied.json["total_cost"], copied.json["notes"]) == (12.5, "Client lunch")
    assert copied.json["expense_category_id"] == meal["expense_category_id"]
    assert copied.json["receipt"] is None
    assert len(cli("expense", "list", "--from", "2026-03-01", "--to", "2026-03-06")
               .json["data"]) == 2


def test_delete_removes_it(cli, acme):
    meal = _meal(cli)
    deleted = cli("expense", "delete", meal["id"], "--yes")
    assert deleted.exit_code == 0, deleted
    assert deleted.json["deleted"] is True
    gone = cli("expense", "show", meal["id"])
    assert (gone.exit_code, gone.error["code"]) == (4, "not_found")


def test_the_apps_rules_apply(cli, acme):
    mine = _meal(cli)
    theirs = cli("expense", "log", "--project", "acme", "--quantity", "45", env=acme.bot).json
    for args in (("edit", mine["id"], "--notes", "x"), ("delete", mine["id"], "--yes"),
                 ("show", mine["id"]), ("copy", mine["id"])):
        refused = cli("expense", *args, env=acme.bot)
        assert refused.exit_code in (1, 4), (args, refused)
    assert cli("expense", "edit", theirs["id"], "--quantity", "50", env=acme.bot).json[
        "total_cost"] == 0.15
    assert cli("settings", "set", "lock_after_days", "1").exit_code == 0
    for args in (("edit", mine["id"], "--total", "12.50"), ("delete", mine["id"], "--yes")):
        locked = cli("expense", *args)
        assert (locked.exit_code, locked.error["code"]) == (3, "locked"), args
    assert cli("expense", "show", mine["id"]).json["total_cost"] == 125


def test_the_category_and_the_clients_currency_are_shown(cli, terminal, acme):
    logged = terminal("expense", "log", "--project", "acme", "--quantity", "45")
    assert logged.exit_code == 0, logged
    assert logged.stdout == "✓ Logged LLM Usage expense of 0.135 USD on Acme Website\n"
    _meal(terminal, "--json", total="1234.5")
    listed = terminal("expense", "list", "--from", "2026-03-01")
    assert listed.exit_code == 0, listed
    assert "LLM Usage" in listed.stdout and "Meals" in listed.stdout
    assert "0.135 USD" in listed.stdout and "1,234.50 USD" in listed.stdout
    data = terminal("expense", "list", "--from", "2026-03-01", "--json").json["data"]
    assert {x["currency"] for x in data} == {"USD"}
