"""`keito task` through the command line."""

from __future__ import annotations

from keito_core.enums import Role
from keito_core.models import ApiKey, User
from keito_core.platform.identity import generate_secret, hash_secret
from keito_core.platform.ids import new_id


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


def _tasks(cli, *flags: str) -> list[dict]:
    result = cli("task", "list", *flags)
    assert result.exit_code == 0, result
    return result.json["data"]


def test_add_show_and_list(cli, workspace):
    result = cli("task", "add", "Project Management", "--rate", "95.5", "--no-billable",
                 "--default")
    assert result.exit_code == 0, result
    data = result.json
    assert data["id"].startswith("tsk_")
    assert data["handle"] == "project-management"
    assert (data["default_hourly_rate"], data["is_billable"], data["is_default"]) == (95.5, False,
                                                                                     True)
    plain = cli("task", "add", "Design").json
    assert (plain["is_billable"], plain["default_hourly_rate"], plain["is_default"]) == (
        True, None, False)
    assert cli("task", "show", "project-management").json["id"] == data["id"]
    assert [t["name"] for t in _tasks(cli)] == ["Design", "Project Management"]


def test_negative_rate_creates_no_task(cli, workspace):
    for rate in ("-5", "abc"):
        result = cli("task", "add", "Development", "--rate", rate)
        assert result.exit_code == 2, result
        assert (result.error["code"], result.error["field"]) == ("validation_error", "rate")
    assert _tasks(cli, "--all") == []


def test_duplicate_task_name_is_a_conflict(cli, workspace):
    cli("task", "add", "Design")
    result = cli("task", "add", "design", "--rate", "10")
    assert (result.exit_code, result.error["field"]) == (3, "name")
    assert [t["default_hourly_rate"] for t in _tasks(cli, "--all")] == [None]


def test_unknown_task_is_not_found(cli, workspace):
    result = cli("task", "show", "nope")
    assert (result.exit_code, result.error["code"], result.error["field"]) == (4, "not_found",
                                                                               "task")


def test_edit_keeps_the_handle_unless_asked(cli, workspace):
    task_id = cli("task", "add", "Development", "--rate", "100").json["id"]
    renamed = cli("task", "edit", "development", "--name", "Engineering", "--rate", "none",
                  "--no-billable", "--default")
    assert renamed.exit_code == 0, renamed
    data = renamed.json
    assert (data["name"], data["handle"], data["default_hourly_rate"]) == ("Engineering",
                                                                           "development", None)
    assert (data["is_billable"], data["is_default"]) == (False, True)
    rehandled = cli("task", "edit", task_id, "--handle", "eng", "--no-default")
    assert (rehandled.json["handle"], rehandled.json["is_default"]) == ("eng", False)
    bad = cli("task", "edit", "eng", "--handle", "not a handle")
    assert (bad.exit_code, bad.error["field"]) == (2, "handle")
    negative = cli("task", "edit", "eng", "--rate", "-3")
    assert (negative.exit_code, negative.error["field"]) == (2, "rate")
    shown = cli("task", "show", task_id).json
    assert (shown["handle"], shown["default_hourly_rate"]) == ("eng", None)


def test_archive_and_restore(cli, workspace):
    cli("task", "add", "Design")
    cli("task", "add", "Meetings")
    assert cli("task", "archive", "meetings").json["is_active"] is False
    assert [t["name"] for t in _tasks(cli)] == ["Design"]
    assert [t["name"] for t in _tasks(cli, "--archived")] == ["Meetings"]
    assert len(_tasks(cli, "--all")) == 2
    assert cli("task", "restore", "Meetings").json["is_active"] is True
    assert len(_tasks(cli)) == 2


def test_members_see_tasks_without_rates_and_cannot_change_them(cli, workspace):
    task_id = cli("task", "add", "Design", "--rate", "150").json["id"]
    env = user_env(workspace)
    listed = cli("task", "list", env=env)
    assert listed.exit_code == 0
    assert [t["id"] for t in listed.json["data"]] == [task_id]
    assert "default_hourly_rate" not in listed.json["data"][0]
    for args in (["task", "add", "Sneaky"], ["task", "edit", "Design", "--name", "Hacked"],
                 ["task", "archive", "Design"]):
        result = cli(*args, env=env)
        assert result.exit_code == 1, (args, result)
        assert result.error["code"] == "authorization_error"
    tasks = _tasks(cli, "--all")
    assert [(t["name"], t["is_active"]) for t in tasks] == [("Design", True)]
