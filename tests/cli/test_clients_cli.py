"""`keito client` and `keito client contact` through the command line."""

from __future__ import annotations

from keito_core.enums import Role
from keito_core.models import ApiKey, Project, User
from keito_core.platform.identity import generate_secret, hash_secret
from keito_core.platform.ids import new_id


def member_env(workspace, role: Role = Role.MEMBER) -> dict[str, str]:
    """KEITO_API_KEY of a new user with `role`, so the next command acts as them."""
    secret = generate_secret()
    with workspace.session() as s:
        user = User(id=new_id("user"), name=f"{role} user", email=f"{new_id('user')[-8:]}@a.test",
                    role=role)
        s.add(user)
        s.flush()
        s.add(ApiKey(id=new_id("api_key"), user_id=user.id, name="test", prefix=secret[:13],
                     secret_hash=hash_secret(secret)))
    return {"KEITO_API_KEY": secret}


def _names(cli, *flags: str) -> list[str]:
    result = cli("client", "list", *flags)
    assert result.exit_code == 0, result
    return [c["name"] for c in result.json["data"]]


def test_add_show_and_list(cli, workspace):
    result = cli("client", "add", "Globex", "--currency", "eur", "--address", "1 High St, Flat 2",
                 "--city", "London", "--region", "Greater London", "--postal-code", "SW1A 1AA",
                 "--country", "UK", "--phone", "+44 20 7946 0000")
    assert result.exit_code == 0, result
    data = result.json
    assert data["id"].startswith("cli_")
    assert data["currency"] == "EUR"
    assert data["address"] == {"street": "1 High St\nFlat 2", "city": "London",
                               "region": "Greater London", "postal_code": "SW1A 1AA",
                               "country": "UK"}
    assert cli("client", "add", "Initech").json["currency"] == "GBP"
    shown = cli("client", "show", "globex")
    assert shown.exit_code == 0
    assert shown.json["id"] == data["id"]
    assert shown.json["contacts"] == []
    assert _names(cli) == ["Globex", "Initech"]
    quiet = cli("client", "list", "--quiet")
    assert quiet.stdout.split() == [data["id"], cli("client", "show", "Initech").json["id"]]


def test_unknown_client_is_not_found(cli, workspace):
    result = cli("client", "show", "nope")
    assert result.exit_code == 4
    assert result.error["code"] == "not_found"
    assert result.error["field"] == "client"


def test_bad_currency_creates_nothing(cli, workspace):
    result = cli("client", "add", "Globex", "--currency", "XYZ")
    assert result.exit_code == 2
    assert (result.error["code"], result.error["field"]) == ("validation_error", "currency")
    assert _names(cli, "--all") == []


def test_duplicate_name_is_a_conflict(cli, workspace):
    assert cli("client", "add", "Globex").exit_code == 0
    result = cli("client", "add", "GLOBEX", "--currency", "USD")
    assert result.exit_code == 3
    assert (result.error["code"], result.error["field"]) == ("conflict", "name")
    assert _names(cli, "--all") == ["Globex"]
    assert cli("client", "show", "Globex").json["currency"] == "GBP"


def test_street_and_address_together_are_refused(cli, workspace):
    result = cli("client", "add", "Globex", "--street", "a", "--address", "b")
    assert result.exit_code == 2
    assert result.error["field"] == "address"
    assert _names(cli, "--all") == []


def test_edit_client(cli, workspace):
    cli("client", "add", "Globex", "--city", "London", "--phone", "123")
    result = cli("client", "edit", "globex", "--name", "Globex Ltd", "--currency", "usd",
                 "--phone", "", "--street", "Line 1\\nLine 2")
    assert result.exit_code == 0, result
    data = result.json
    assert (data["name"], data["currency"], data["phone"]) == ("Globex Ltd", "USD", None)
    assert data["address"]["street"] == "Line 1\nLine 2"
    assert data["address"]["city"] == "London"
    bad = cli("client", "edit", "Globex Ltd", "--currency", "nope")
    assert (bad.exit_code, bad.error["field"]) == (2, "currency")
    assert cli("client", "show", "Globex Ltd").json["currency"] == "USD"


def test_archive_and_restore(cli, workspace):
    cli("client", "add", "Globex")
    cli("client", "add", "Initech")
    archived = cli("client", "archive", "Globex")
    assert archived.exit_code == 0
    assert archived.json["is_active"] is False
    assert _names(cli) == ["Initech"]
    assert _names(cli, "--archived") == ["Globex"]
    assert _names(cli, "--all") == ["Globex", "Initech"]
    restored = cli("client", "restore", "globex")
    assert restored.json["is_active"] is True
    assert _names(cli) == ["Globex", "Initech"]


def test_delete_refused_while_a_project_refers_to_the_client(cli, workspace):
    client_id = cli("client", "add", "Globex").json["id"]
    with workspace.session() as s:
        s.add(Project(id=new_id("project"), client_id=client_id, name="Website",
                      handle="website"))
    result = cli("client", "delete", "Globex", "--yes")
    assert result.exit_code == 3
    assert result.error["code"] == "conflict"
    assert "archive" in result.error["hint"]
    assert cli("client", "show", client_id).exit_code == 0


def test_delete_without_references(cli, workspace):
    client_id = cli("client", "add", "Globex").json["id"]
    cli("client", "contact", "add", "Globex", "--first-name", "Jo")
    result = cli("client", "delete", "Globex")  # not a terminal: no question asked
    assert result.exit_code == 0, result
    assert result.json == {"id": client_id, "name": "Globex", "deleted": True}
    assert cli("client", "show", client_id).exit_code == 4


def test_contacts(cli, workspace):
    client_id = cli("client", "add", "Globex").json["id"]
    added = cli("client", "contact", "add", "Globex", "--first-name", "Jo", "--last-name",
                "Bloggs", "--title", "CFO", "--email", "Jo@Globex.test", "--phone", "111",
                "--mobile", "222", "--fax", "333")
    assert added.exit_code == 0, added
    jo = added.json
    assert jo["client_id"] == client_id
    assert (jo["email"], jo["phone_office"], jo["phone_mobile"], jo["fax"]) == (
        "jo@globex.test", "111", "222", "333")
    edited = cli("client", "contact", "edit", jo["id"], "--title", "CEO", "--fax", "")
    assert (edited.json["title"], edited.json["fax"]) == ("CEO", None)
    listed = cli("client", "contact", "list", "globex")
    assert [c["id"] for c in listed.json["data"]] == [jo["id"]]
    assert cli("client", "show", "Globex").json["contacts"][0]["title"] == "CEO"
    removed = cli("client", "contact", "remove", jo["id"])
    assert removed.exit_code == 0
    assert cli("client", "contact", "list", "Globex").json["data"] == []
    missing = cli("client", "contact", "remove", jo["id"])
    assert (missing.exit_code, missing.error["field"]) == (4, "contact")


def test_contact_bad_email_changes_nothing(cli, workspace):
    cli("client", "add", "Globex")
    result = cli("client", "contact", "add", "Globex", "--first-name", "Jo", "--email", "nope")
    assert (result.exit_code, result.error["field"]) == (2, "email")
    assert cli("client", "contact", "list", "Globex").json["data"] == []


def test_members_are_refused(cli, workspace):
    cli("client", "add", "Globex")
    env = member_env(workspace)
    for args in (["client", "list"], ["client", "add", "Umbrella"],
                 ["client", "edit", "Globex", "--name", "Hacked"],
                 ["client", "archive", "Globex"], ["client", "delete", "Globex", "--yes"],
                 ["client", "contact", "add", "Globex", "--first-name", "Jo"]):
        result = cli(*args, env=env)
        assert result.exit_code == 1, (args, result)
        assert result.error["code"] == "authorization_error"
    assert _names(cli) == ["Globex"]
    assert cli("client", "contact", "list", "Globex").json["data"] == []
