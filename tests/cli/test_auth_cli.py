"""`keito auth login|logout` and `keito whoami`: who commands act as."""

from __future__ import annotations

import os
import stat

import pytest
from memory_keyring import MemoryKeyring, keyring_or_file


@pytest.fixture(params=["keyring", "file"])
def store(request):
    """Each test runs with a working keyring and with none (the 0600 file fallback)."""
    with keyring_or_file(request.param) as backend:
        yield backend


def agent_key(cli, *flags: str, name="review-bot-01") -> tuple[str, str]:
    user = cli("user", "add", name, "--agent", *flags)
    assert user.exit_code == 0, user
    key = cli("key", "create", "--user", name, *flags)
    assert key.exit_code == 0, key
    return user.json["id"], key.json["secret"]


def whoami(cli, **kwargs):
    result = cli("whoami", **kwargs)
    assert result.exit_code == 0, result
    return result.json


def test_whoami_without_a_key_is_the_default_user(cli, workspace):
    data = whoami(cli)
    assert data["user"]["id"] == workspace.admin_id
    assert data["user"]["user_type"] == "human" and data["user"]["role"] == "admin"
    assert data["workspace"]["name"] == "Acme Consulting"
    assert data["auth"] == "default user"


def test_login_stores_the_key_and_whoami_shows_its_user(cli, workspace, keito_home, store):
    agent_id, secret = agent_key(cli)
    result = cli("auth", "login", "--key", secret)
    assert result.exit_code == 0, result
    assert result.json["user"]["id"] == agent_id
    assert result.json["workspace"]["name"] == "Acme Consulting"
    credentials = keito_home / "credentials"
    if isinstance(store, MemoryKeyring):
        assert result.json["stored"] == "keyring"
        assert list(store.passwords.values()) == [secret]
        assert secret not in credentials.read_text()
        assert "no OS keyring" not in result.stderr
    else:
        assert result.json["stored"] == str(credentials)
        assert "no OS keyring is available" in result.stderr
        assert str(credentials) in result.stderr
        assert stat.S_IMODE(os.stat(credentials).st_mode) == 0o600

    data = whoami(cli)
    assert data["user"]["id"] == agent_id
    assert data["user"]["name"] == "review-bot-01"
    assert data["user"]["user_type"] == "agent" and data["user"]["role"] == "member"
    assert data["auth"] == "stored key"
    # The stored key acts for every command, not only whoami.
    assert cli("user", "show", "me").json["id"] == agent_id


def test_login_reads_a_piped_key(cli, workspace, store):
    agent_id, secret = agent_key(cli)
    result = cli("auth", "login", input=secret + "\n")
    assert result.exit_code == 0, result
    assert whoami(cli)["user"]["id"] == agent_id


@pytest.mark.parametrize("given", ["", "   \n"])
def test_login_without_a_key_is_invalid_input(cli, workspace, keito_home, store, given):
    result = cli("auth", "login", input=given)
    assert result.exit_code == 2
    assert result.error["code"] == "validation_error" and result.error["field"] == "key"
    assert not (keito_home / "credentials").exists()


@pytest.mark.parametrize("bad", ["keito_sk_" + "x" * 40, "not-a-key"])
def test_a_bad_key_is_refused_and_not_stored(cli, workspace, keito_home, store, bad):
    result = cli("auth", "login", "--key", bad)
    assert result.exit_code == 1
    assert result.error["code"] == "authentication_error"
    assert not (keito_home / "credentials").exists()
    if isinstance(store, MemoryKeyring):
        assert store.passwords == {}
    assert whoami(cli)["auth"] == "default user"


def test_a_bad_key_does_not_replace_a_good_one(cli, workspace, store):
    agent_id, secret = agent_key(cli)
    assert cli("auth", "login", "--key", secret).exit_code == 0
    assert cli("auth", "login", "--key", "keito_sk_nope").exit_code == 1
    assert whoami(cli)["user"]["id"] == agent_id


def test_keito_api_key_beats_the_stored_key(cli, workspace, store):
    agent_id, secret = agent_key(cli)
    other_id, other = agent_key(cli, name="ci-bot")
    assert cli("auth", "login", "--key", secret).exit_code == 0
    data = whoami(cli, env={"KEITO_API_KEY": other})
    assert data["user"]["id"] == other_id
    assert data["auth"] == "api_key env"
    assert whoami(cli)["user"]["id"] == agent_id


def test_login_warns_when_keito_api_key_will_win(cli, workspace, store):
    _, secret = agent_key(cli)
    _, other = agent_key(cli, name="ci-bot")
    result = cli("auth", "login", "--key", secret, env={"KEITO_API_KEY": other})
    assert result.exit_code == 0
    assert "KEITO_API_KEY is set" in result.stderr


def test_logout_removes_the_key(cli, workspace, keito_home, store):
    _, secret = agent_key(cli)
    assert cli("auth", "login", "--key", secret).exit_code == 0
    result = cli("auth", "logout")
    assert result.exit_code == 0, result
    assert result.json["removed"] is True
    assert not (keito_home / "credentials").exists()
    if isinstance(store, MemoryKeyring):
        assert store.passwords == {}
    data = whoami(cli)
    assert data["user"]["id"] == workspace.admin_id and data["auth"] == "default user"
    again = cli("auth", "logout")
    assert again.exit_code == 0 and again.json["removed"] is False


def test_a_revoked_stored_key_says_how_to_recover(cli, workspace, store):
    _, secret = agent_key(cli)
    admin = _admin_key(cli)
    assert cli("auth", "login", "--key", secret).exit_code == 0
    assert cli("key", "revoke", secret[:13], env={"KEITO_API_KEY": admin}).exit_code == 0
    result = cli("whoami")
    assert result.exit_code == 1
    assert result.error["code"] == "authentication_error"
    assert "keito auth login" in result.error["message"]
    assert "keito auth logout" in result.error["hint"]
    assert cli("auth", "logout").exit_code == 0
    assert whoami(cli)["auth"] == "default user"


def _admin_key(cli) -> str:
    """A key of the administrator (created while the default user acts)."""
    result = cli("key", "create")
    assert result.exit_code == 0, result
    assert result.json["user_id"] == whoami(cli)["user"]["id"]
    return result.json["secret"]


def test_a_key_in_the_config_file_acts_too(cli, workspace, keito_home):
    agent_id, secret = agent_key(cli)
    (keito_home / "config.toml").write_text(f'[auth]\napi_key = "{secret}"\n')
    data = whoami(cli)
    assert data["user"]["id"] == agent_id and data["auth"] == "config file"


def test_whoami_names_the_account_and_warns_on_another(cli, workspace):
    assert "warning" not in cli("whoami", env={"KEITO_ACCOUNT_ID": workspace.workspace_id}).stderr
    result = cli("whoami", env={"KEITO_ACCOUNT_ID": "acc_xyz789"})
    assert result.exit_code == 0
    assert "acc_xyz789" in result.stderr and workspace.workspace_id in result.stderr
    assert result.json["workspace"]["id"] == workspace.workspace_id


def test_whoami_quiet_prints_the_user_id(cli, workspace):
    result = cli("whoami", "--quiet")
    assert result.stdout.strip() == workspace.admin_id


def test_login_on_a_terminal_names_the_user(terminal, workspace, store):
    _, secret = agent_key(terminal, "--json")
    result = terminal("auth", "login", "--key", secret)
    assert result.exit_code == 0, result
    assert result.stdout.startswith("✓ Logged in as review-bot-01 (agent, member) in Acme")
