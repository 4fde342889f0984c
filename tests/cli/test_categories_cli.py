"""`keito category` through the command line."""

from __future__ import annotations

from keito_core.enums import Role
from keito_core.models import ApiKey, User
from keito_core.platform.identity import generate_secret, hash_secret
from keito_core.platform.ids import new_id

DEFAULTS = ["LLM Usage", "Lodging", "Meals & Entertainment", "Mileage", "Office Supplies",
            "Software & Subscriptions", "Transportation"]


def user_env(workspace, role: Role = Role.MEMBER) -> dict[str, str]:
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


def _categories(cli, *flags: str) -> dict[str, dict]:
    result = cli("category", "list", *flags)
    assert result.exit_code == 0, result
    return {c["name"]: c for c in result.json["data"]}


def test_defaults_after_init_include_protected_llm_usage(cli, workspace):
    categories = _categories(cli)
    assert list(categories) == DEFAULTS
    llm = categories["LLM Usage"]
    assert (llm["unit_name"], llm["unit_price"], llm["is_builtin"]) == ("1k tokens", 0.003, True)
    assert categories["Mileage"]["unit_price"] == 0.67
    for args in (["category", "archive", "LLM Usage"],
                 ["category", "edit", "llm-usage", "--name", "AI tokens"],
                 ["category", "edit", "llm-usage", "--standard"]):
        result = cli(*args)
        assert result.exit_code == 3, (args, result)
        assert result.error["code"] == "conflict"
    priced = cli("category", "edit", "LLM Usage", "--unit-price", "0.0025")
    assert priced.exit_code == 0, priced
    llm = _categories(cli)["LLM Usage"]
    assert (llm["unit_price"], llm["unit_name"], llm["is_active"]) == (0.0025, "1k tokens", True)


def test_add_standard_and_unit_based(cli, workspace):
    standard = cli("category", "add", "Training", "--no-billable")
    assert standard.exit_code == 0, standard
    assert (standard.json["is_unit_based"], standard.json["is_billable"]) == (False, False)
    unit = cli("category", "add", "Printing", "--unit", "page", "--unit-price", "0.05")
    assert (unit.json["handle"], unit.json["unit_name"], unit.json["unit_price"]) == (
        "printing", "page", 0.05)
    assert cli("category", "show", "printing").json["id"] == unit.json["id"]


def test_bad_input_creates_nothing(cli, workspace):
    cases = [(["Printing", "--unit", "page"], 2, "unit_price"),
             (["Printing", "--unit-price", "0.05"], 2, "unit_name"),
             (["Printing", "--unit", "page", "--unit-price", "-1"], 2, "unit_price"),
             (["Printing", "--unit", "page", "--unit-price", "abc"], 2, "unit_price"),
             (["lodging"], 3, "name")]
    for args, code, field in cases:
        result = cli("category", "add", *args)
        assert (result.exit_code, result.error["field"]) == (code, field), (args, result)
    assert list(_categories(cli, "--all")) == DEFAULTS


def test_edit_switches_type_and_billable(cli, workspace):
    result = cli("category", "edit", "mileage", "--unit-price", "0.70", "--no-billable")
    assert (result.json["unit_price"], result.json["is_billable"]) == (0.7, False)
    standard = cli("category", "edit", "Mileage", "--standard", "--name", "Car")
    assert standard.exit_code == 0, standard
    assert (standard.json["name"], standard.json["is_unit_based"]) == ("Car", False)
    half = cli("category", "edit", "lodging", "--unit", "night")
    assert (half.exit_code, half.error["field"]) == (2, "unit_price")
    assert _categories(cli)["Lodging"]["is_unit_based"] is False
    unit = cli("category", "edit", "lodging", "--unit", "night", "--unit-price", "120")
    assert (unit.json["unit_name"], unit.json["unit_price"]) == ("night", 120)


def test_archive_and_restore(cli, workspace):
    archived = cli("category", "archive", "Lodging")
    assert archived.exit_code == 0
    assert "Lodging" not in _categories(cli)
    assert list(_categories(cli, "--archived")) == ["Lodging"]
    assert len(_categories(cli, "--all")) == len(DEFAULTS)
    assert cli("category", "restore", "lodging").json["is_active"] is True
    assert list(_categories(cli)) == DEFAULTS


def test_unknown_category_is_not_found(cli, workspace):
    result = cli("category", "archive", "nope")
    assert (result.exit_code, result.error["code"]) == (4, "not_found")


def test_members_may_list_but_not_manage(cli, workspace):
    env = user_env(workspace)
    assert cli("category", "list", env=env).exit_code == 0
    for args in (["category", "add", "Sneaky"], ["category", "archive", "Lodging"],
                 ["category", "edit", "Mileage", "--unit-price", "9"]):
        result = cli(*args, env=env)
        assert result.exit_code == 1, (args, result)
        assert result.error["code"] == "authorization_error"
    categories = _categories(cli)
    assert list(categories) == DEFAULTS
    assert categories["Mileage"]["unit_price"] == 0.67
