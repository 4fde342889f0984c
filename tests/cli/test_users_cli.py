"""`keito user` through the command line."""

from __future__ import annotations


def add(cli, *args: str) -> dict:
    result = cli("user", "add", *args)
    assert result.exit_code == 0, result
    return result.json


def member_key(cli, name: str = "Mem") -> tuple[str, str]:
    """A member and an API key to act as them."""
    user = add(cli, name, "--email", f"{name.lower()}@acme.test")
    key = cli("key", "create", "--user", user["id"])
    assert key.exit_code == 0, key
    return user["id"], key.json["secret"]


def test_add_an_agent_with_a_rate(cli, workspace):
    data = add(cli, "review-bot-01", "--agent", "--rate", "75", "--cost-rate", "5.50")
    assert data["user_type"] == "agent"
    assert data["billable_rate"] == 75
    assert data["cost_rate"] == 5.5
    assert data["email"] == "review-bot-01@agents.keito.local"
    assert data["is_active"] is True
    shown = cli("user", "show", "review-bot-01").json
    assert shown["id"] == data["id"] and shown["billable_rate"] == 75


def test_add_a_person_with_every_option(cli, workspace):
    data = add(cli, "Bob Smith", "--email", "Bob@Acme.test", "--role", "manager",
               "--capacity", "37.5", "--contractor", "--timezone", "Europe/Paris",
               "--business-role", "Designer", "--business-role", "QA", "--pending",
               "--phone", "555", "--employee-id", "E-1")
    assert data["email"] == "bob@acme.test"
    assert data["role"] == "manager"
    assert data["status"] == "pending" and data["is_active"] is False
    assert data["weekly_capacity"] == 37.5
    assert data["employment_type"] == "contractor"
    assert data["timezone"] == "Europe/Paris"
    assert data["business_roles"] == ["Designer", "QA"]
    assert (data["phone"], data["employee_id"]) == ("555", "E-1")


def test_add_rejects_bad_input_and_changes_nothing(cli, workspace):
    add(cli, "Bob", "--email", "bob@acme.test")
    cases = [
        (["Carol"], 2, "email"),
        (["Carol", "--email", "nope"], 2, "email"),
        (["Carol", "--email", "BOB@acme.test"], 3, "email"),
        (["Carol", "--email", "c@acme.test", "--rate", "-5"], 2, "rate"),
        (["Carol", "--email", "c@acme.test", "--rate", "abc"], 2, "rate"),
        (["Carol", "--email", "c@acme.test", "--cost-rate", "-1"], 2, "cost_rate"),
        (["Carol", "--email", "c@acme.test", "--role", "owner"], 2, "role"),
        (["Carol", "--email", "c@acme.test", "--capacity", "200"], 2, "capacity"),
        (["Carol", "--email", "c@acme.test", "--timezone", "Mars/Base"], 2, "timezone"),
    ]
    for args, exit_code, field in cases:
        result = cli("user", "add", *args)
        assert result.exit_code == exit_code, (args, result)
        assert result.error["field"] == field, (args, result.error)
    names = [u["name"] for u in cli("user", "list", "--all").json["data"]]
    assert names == ["Ada Admin", "Bob"]


def test_a_member_cannot_add_users(cli, workspace):
    _, secret = member_key(cli)
    result = cli("user", "add", "Eve", "--email", "eve@acme.test",
                 env={"KEITO_API_KEY": secret})
    assert result.exit_code == 1
    assert result.error["code"] == "authorization_error"
    assert cli("user", "show", "eve@acme.test").exit_code == 4


def test_list_filters(cli, workspace):
    add(cli, "Bot", "--agent")
    add(cli, "Man", "--email", "man@acme.test", "--role", "manager")
    gone = add(cli, "Gone", "--email", "gone@acme.test")
    assert cli("user", "archive", gone["id"]).exit_code == 0

    def names(*args):
        result = cli("user", "list", *args)
        assert result.exit_code == 0, result
        return [u["name"] for u in result.json["data"]]

    assert names() == ["Ada Admin", "Bot", "Man"]
    assert names("--agents") == ["Bot"]
    assert names("--humans") == ["Ada Admin", "Man"]
    assert names("--archived") == ["Gone"]
    assert names("--all") == ["Ada Admin", "Bot", "Gone", "Man"]
    assert names("--role", "manager") == ["Man"]
    for args, field in ((["--agents", "--humans"], "user_type"),
                        (["--archived", "--all"], "status"), (["--role", "boss"], "role")):
        result = cli("user", "list", *args)
        assert result.exit_code == 2 and result.error["field"] == field
    assert cli("user", "list", "--quiet").stdout.count("usr_") == 3


def test_members_see_only_themselves_without_rates(cli, workspace):
    add(cli, "Bot", "--agent", "--rate", "75")
    member_id, secret = member_key(cli)
    result = cli("user", "list", env={"KEITO_API_KEY": secret})
    assert [u["id"] for u in result.json["data"]] == [member_id]
    assert "billable_rate" not in result.json["data"][0]
    assert cli("user", "show", "Bot", env={"KEITO_API_KEY": secret}).exit_code == 1
    me = cli("user", "show", "me", env={"KEITO_API_KEY": secret}).json
    assert me["id"] == member_id and "cost_rate" not in me


def test_edit_fields_and_clear_them(cli, workspace):
    bob = add(cli, "Bob", "--email", "bob@acme.test", "--rate", "100", "--business-role", "Dev")
    result = cli("user", "edit", "bob@acme.test", "--name", "Robert", "--email", "rob@acme.test",
                 "--rate", "120", "--cost-rate", "50", "--capacity", "20", "--timezone",
                 "Asia/Tokyo", "--contractor", "--no-notify", "--business-role", "QA",
                 "--business-role", "Lead")
    assert result.exit_code == 0, result
    data = result.json
    assert (data["name"], data["email"]) == ("Robert", "rob@acme.test")
    assert (data["billable_rate"], data["cost_rate"], data["weekly_capacity"]) == (120, 50, 20)
    assert data["employment_type"] == "contractor" and data["notify_email"] is False
    assert data["business_roles"] == ["Lead", "QA"]
    cleared = cli("user", "edit", bob["id"], "--rate", "none", "--capacity", "none",
                  "--timezone", "none", "--employee", "--business-role", "none").json
    assert cleared["billable_rate"] is None and cleared["weekly_capacity"] is None
    assert cleared["timezone"] is None and cleared["employment_type"] == "employee"
    assert cleared["business_roles"] == []


def test_edit_rejects_bad_input_and_changes_nothing(cli, workspace):
    bob = add(cli, "Bob", "--email", "bob@acme.test", "--rate", "100")
    add(cli, "Eve", "--email", "eve@acme.test")
    for args, exit_code, field in [
        (["--email", "eve@acme.test"], 3, "email"),
        (["--rate", "-1"], 2, "rate"),
        (["--role", "king"], 2, "role"),
        (["--grant", "fly"], 2, "grant"),
        ([], 2, None),
    ]:
        result = cli("user", "edit", "Bob", *args)
        assert result.exit_code == exit_code, (args, result)
        assert result.error["field"] == field
    assert cli("user", "edit", "nobody", "--name", "X").exit_code == 4
    shown = cli("user", "show", bob["id"]).json
    assert (shown["email"], shown["billable_rate"], shown["role"]) == ("bob@acme.test", 100,
                                                                       "member")


def test_members_edit_their_profile_but_not_their_role(cli, workspace):
    member_id, secret = member_key(cli)
    env = {"KEITO_API_KEY": secret}
    result = cli("user", "edit", "me", "--name", "Mem Two", "--timezone", "UTC", env=env)
    assert result.exit_code == 0 and result.json["name"] == "Mem Two"
    for args in (["--role", "admin"], ["--rate", "500"], ["--capacity", "10"]):
        result = cli("user", "edit", "me", *args, env=env)
        assert result.exit_code == 1 and result.error["code"] == "authorization_error"
    assert cli("user", "edit", "Ada Admin", "--name", "X", env=env).exit_code == 1
    shown = cli("user", "show", member_id).json
    assert (shown["role"], shown["billable_rate"]) == ("member", None)


def test_manager_permissions_grant_and_revoke(cli, workspace):
    add(cli, "Man", "--email", "man@acme.test", "--role", "manager")
    data = cli("user", "edit", "Man", "--grant", "view_rates", "--grant", "create_projects").json
    assert data["manager_permissions"] == ["view_rates", "create_projects"]
    data = cli("user", "edit", "Man", "--revoke", "view_rates").json
    assert data["manager_permissions"] == ["create_projects"]
    add(cli, "Mem", "--email", "mem@acme.test")
    result = cli("user", "edit", "Mem", "--grant", "view_rates")
    assert result.exit_code == 2 and result.error["field"] == "grant"
    assert cli("user", "show", "Mem").json["manager_permissions"] == []


def test_last_admin_cannot_be_demoted_or_archived(cli, workspace):
    result = cli("user", "edit", "me", "--role", "member")
    assert result.exit_code == 3 and result.error["code"] == "conflict"
    second = add(cli, "Second", "--email", "second@acme.test", "--role", "admin")
    assert cli("settings", "set", "default_user", second["id"]).exit_code == 0
    assert cli("user", "edit", "Ada Admin", "--role", "manager").exit_code == 0
    result = cli("user", "archive", "Second")
    assert result.exit_code == 3  # the default user and the last administrator
    result = cli("user", "edit", "Second", "--role", "member")
    assert result.exit_code == 3 and "last active administrator" in result.error["message"]
    assert cli("user", "show", "Second").json["role"] == "admin"


def test_archive_and_reactivate(cli, workspace):
    bob = add(cli, "Bob", "--email", "bob@acme.test")
    result = cli("user", "archive", "Bob")
    assert result.exit_code == 0 and result.json["status"] == "archived"
    assert cli("user", "archive", "Bob").exit_code == 3
    assert cli("user", "reactivate", bob["id"]).json["status"] == "active"
    result = cli("user", "archive", "Ada Admin")
    assert result.exit_code == 3 and "default_user" in result.error["hint"]
    assert cli("user", "show", "Ada Admin").json["status"] == "active"


def test_teammates_add_remove_and_list(cli, workspace):
    add(cli, "Man", "--email", "man@acme.test", "--role", "manager")
    a = add(cli, "Alice", "--email", "alice@acme.test")
    b = add(cli, "Bea", "--email", "bea@acme.test")
    result = cli("user", "teammates", "Man", "--add", "Alice", "--add", "bea@acme.test")
    assert result.exit_code == 0, result
    assert [u["id"] for u in result.json["data"]] == [a["id"], b["id"]]
    assert result.json["manager"]["name"] == "Man"
    again = cli("user", "teammates", "Man", "--add", "Alice")
    assert [u["id"] for u in again.json["data"]] == [a["id"], b["id"]]
    assert [u["id"] for u in cli("user", "teammates", "Man", "--remove", "Alice").json["data"]] \
        == [b["id"]]
    assert [u["id"] for u in cli("user", "teammates", "Man").json["data"]] == [b["id"]]
    for args, field in ((["Man", "--add", "Man"], "add"), (["Alice", "--add", "Bea"], "manager")):
        result = cli("user", "teammates", *args)
        assert result.exit_code == 2 and result.error["field"] == field
    assert cli("user", "teammates", "Man", "--add", "Nobody").exit_code == 4
    assert [u["id"] for u in cli("user", "teammates", "Man").json["data"]] == [b["id"]]


def test_a_manager_sees_their_teammates(cli, workspace):
    man = add(cli, "Man", "--email", "man@acme.test", "--role", "manager")
    mate = add(cli, "Mate", "--email", "mate@acme.test")
    add(cli, "Stranger", "--email", "stranger@acme.test")
    cli("user", "teammates", "Man", "--add", "Mate")
    secret = cli("key", "create", "--user", man["id"]).json["secret"]
    env = {"KEITO_API_KEY": secret}
    listed = cli("user", "list", env=env).json["data"]
    assert {u["id"] for u in listed} == {man["id"], mate["id"]}
    assert cli("user", "teammates", "me", env=env).json["data"][0]["id"] == mate["id"]
    result = cli("user", "teammates", "me", "--remove", "Mate", env=env)
    assert result.exit_code == 1
    assert len(cli("user", "teammates", "Man").json["data"]) == 1


def test_every_user_command_has_help(cli):
    for command in ("add", "list", "show", "edit", "archive", "reactivate", "teammates"):
        result = cli("user", command, "--help")
        assert result.exit_code == 0, command
        assert "Usage" in result.stdout
