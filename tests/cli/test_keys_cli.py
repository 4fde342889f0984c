"""`keito key` through the command line: a key shown once, that works until revoked."""

from __future__ import annotations

import sqlalchemy as sa


def add_user(cli, name: str, *args: str) -> str:
    result = cli("user", "add", name, "--email", f"{name.lower()}@acme.test", *args)
    assert result.exit_code == 0, result
    return result.json["id"]


def test_create_prints_the_secret_once_and_it_authenticates(cli, workspace):
    result = cli("key", "create", "--name", "CI pipeline")
    assert result.exit_code == 0, result
    data = result.json
    secret = data["secret"]
    assert secret.startswith("keito_sk_")
    assert data["prefix"] == secret[:13] and data["name"] == "CI pipeline"
    assert data["user_id"] == workspace.admin_id and data["is_active"] is True
    assert cli("settings", "list", env={"KEITO_API_KEY": secret}).exit_code == 0
    listed = cli("key", "list").json["data"]
    assert [k["id"] for k in listed] == [data["id"]]
    assert "secret" not in listed[0]
    assert secret not in cli("key", "list", "--all").stdout

    revoked = cli("key", "revoke", data["prefix"])
    assert revoked.exit_code == 0, revoked
    assert revoked.json["revoked_at"] is not None and revoked.json["is_active"] is False
    result = cli("settings", "list", env={"KEITO_API_KEY": secret})
    assert result.exit_code == 1
    assert result.error["code"] == "authentication_error"
    again = cli("key", "revoke", data["id"])
    assert again.exit_code == 3 and again.error["code"] == "conflict"


def test_the_database_stores_only_the_hash(cli, workspace):
    secret = cli("key", "create").json["secret"]
    with workspace.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM api_keys")).all()
        audit = conn.execute(sa.text("SELECT * FROM audit_events")).all()
    assert len(rows) == 1
    assert all(secret not in str(value) for value in rows[0])
    assert all(secret not in str(value) for row in audit for value in row)


def test_an_archived_users_key_is_refused(cli, workspace):
    bot = cli("user", "add", "Bot", "--agent").json["id"]
    secret = cli("key", "create", "--user", "Bot").json["secret"]
    env = {"KEITO_API_KEY": secret}
    assert cli("user", "show", "me", env=env).json["id"] == bot
    assert cli("user", "archive", "Bot").exit_code == 0
    result = cli("settings", "list", env=env)
    assert result.exit_code == 1 and result.error["code"] == "authentication_error"
    created = cli("key", "create", "--user", "Bot")
    assert created.exit_code == 3 and created.error["field"] == "user"
    assert len(cli("key", "list", "--user", "Bot").json["data"]) == 1
    cli("user", "reactivate", "Bot")
    assert cli("settings", "list", env=env).exit_code == 0


def test_members_manage_only_their_own_keys(cli, workspace):
    add_user(cli, "Mem")
    add_user(cli, "Other")
    secret = cli("key", "create", "--user", "Mem", "--name", "laptop").json["secret"]
    other_key = cli("key", "create", "--user", "Other").json
    env = {"KEITO_API_KEY": secret}
    mine = cli("key", "create", "--name", "second", env=env)
    assert mine.exit_code == 0 and mine.json["user_id"] != other_key["user_id"]
    assert [k["name"] for k in cli("key", "list", env=env).json["data"]] == ["laptop", "second"]
    for args in (["create", "--user", "Other"], ["list", "--user", "Other"], ["list", "--all"],
                 ["revoke", other_key["id"]]):
        result = cli("key", *args, env=env)
        assert result.exit_code == 1, args
        assert result.error["code"] == "authorization_error"
    assert cli("key", "list", "--user", "Other").json["data"][0]["is_active"] is True
    assert len(cli("key", "list", "--all").json["data"]) == 3
    assert cli("key", "revoke", mine.json["id"], env=env).exit_code == 0


def test_revoke_unknown_key_and_quiet_create(cli, workspace):
    result = cli("key", "revoke", "keito_sk_nope")
    assert result.exit_code == 4 and result.error["field"] == "key"
    quiet = cli("key", "create", "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout.startswith("keito_sk_")
    assert cli("settings", "list", env={"KEITO_API_KEY": quiet.stdout.strip()}).exit_code == 0


def test_create_on_a_terminal_says_to_copy_the_secret(cli, workspace, monkeypatch):
    from keito_tui.cli import state as state_module
    from keito_tui.cli.output import Output

    captured = []

    def detect(*, json_flag: bool, quiet: bool) -> Output:
        import io

        out = Output(json=json_flag, quiet=quiet, stdout=io.StringIO())
        captured.append(out)
        return out

    monkeypatch.setattr(state_module.Output, "detect", staticmethod(detect))
    assert cli("key", "create", "--name", "laptop").exit_code == 0
    text = captured[-1].stdout.getvalue()
    assert "keito_sk_" in text
    assert "won't be shown again" in text


def test_every_key_command_has_help(cli):
    for command in ("create", "list", "revoke"):
        result = cli("key", command, "--help")
        assert result.exit_code == 0 and "Usage" in result.stdout, command
