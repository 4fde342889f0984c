"""`keito config init|set|unset|list`: defaults in files, and where each value comes from."""

from __future__ import annotations

import tomllib

import pytest


@pytest.fixture
def project_dir(tmp_path, monkeypatch):
    """A working directory inside a project, outside KEITO_HOME."""
    root = tmp_path / "repo"
    cwd = root / "src"
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    return root


def effective(cli, **kwargs) -> dict[str, dict]:
    result = cli("config", "list", **kwargs)
    assert result.exit_code == 0, result
    return {row["key"]: row for row in result.json["data"]}


def test_init_writes_commented_defaults_and_refuses_to_overwrite(cli, keito_home, project_dir):
    path = keito_home / "config.toml"
    result = cli("config", "init")
    assert result.exit_code == 0, result
    assert result.json["path"] == str(path)
    text = path.read_text()
    assert '# project = "acme"' in text and "keito auth login" in text
    assert tomllib.loads(text) == {"auth": {}, "defaults": {}, "agent": {}, "database": {}}

    path.write_text(text + "\n# mine\n")
    again = cli("config", "init")
    assert again.exit_code == 3 and again.error["code"] == "conflict"
    assert "--force" in again.error["hint"]
    assert path.read_text().endswith("# mine\n")


def test_init_force_keeps_the_values_already_set(cli, keito_home, project_dir):
    path = keito_home / "config.toml"
    path.write_text('[database]\nurl = "sqlite:////srv/keito.db"\n[defaults]\nproject = "acme"\n')
    assert cli("config", "init", "--force").exit_code == 0
    parsed = tomllib.loads(path.read_text())
    assert parsed["database"] == {"url": "sqlite:////srv/keito.db"}
    assert parsed["defaults"] == {"project": "acme"}
    assert "# task = " in path.read_text()


def test_set_and_list_round_trip(cli, keito_home, project_dir):
    for key, value in [
        ("defaults.project", "acme"),
        ("defaults.task", "development"),
        ("defaults.source", "AGENT"),
        ("agent.agent_id", "review-bot-01"),
        ("auth.account_id", "acc_xyz789"),
    ]:
        result = cli("config", "set", key, value)
        assert result.exit_code == 0, result
        assert result.json["key"] == key
    path = str(keito_home / "config.toml")
    rows = effective(cli)
    assert {k: (r["value"], r["origin"]) for k, r in rows.items() if k != "database.url"} == {
        "auth.api_key": (None, "none: the workspace's default user acts"),
        "defaults.project": ("acme", path),
        "defaults.task": ("development", path),
        "defaults.source": ("agent", path),
        "agent.agent_id": ("review-bot-01", path),
        "auth.account_id": ("acc_xyz789", path),
    }
    assert rows["database.url"]["origin"] == "env:KEITO_DATABASE_URL"


def test_list_shows_the_precedence(cli, keito_home, project_dir):
    assert cli("config", "set", "defaults.project", "acme").exit_code == 0
    assert cli("config", "set", "defaults.task", "development").exit_code == 0
    (project_dir / ".keito.toml").write_text('[defaults]\nproject = "acme-website"\n')
    rows = effective(cli, env={"KEITO_TASK": "code-review"})
    assert rows["defaults.project"]["value"] == "acme-website"
    assert rows["defaults.project"]["origin"] == str(project_dir / ".keito.toml")
    assert rows["defaults.task"] == {
        "key": "defaults.task", "value": "code-review", "origin": "env:KEITO_TASK"
    }
    assert rows["defaults.source"] == {
        "key": "defaults.source", "value": "cli", "origin": "default"
    }


def test_set_local_writes_the_projects_file(cli, keito_home, project_dir, monkeypatch):
    result = cli("config", "set", "defaults.project", "acme-website", "--local")
    assert result.exit_code == 0, result
    created = project_dir / "src" / ".keito.toml"
    assert result.json["path"] == str(created)
    assert tomllib.loads(created.read_text()) == {"defaults": {"project": "acme-website"}}
    assert not (keito_home / "config.toml").exists()
    # From a subdirectory, --local edits that nearest file rather than making another.
    (project_dir / "src" / "deeper").mkdir()
    monkeypatch.chdir(project_dir / "src" / "deeper")
    assert cli("config", "set", "defaults.task", "development", "--local").exit_code == 0
    assert tomllib.loads(created.read_text())["defaults"] == {
        "project": "acme-website", "task": "development"
    }
    assert not (project_dir / "src" / "deeper" / ".keito.toml").exists()


def test_set_keeps_the_rest_of_the_file(cli, keito_home, project_dir, db_url):
    path = keito_home / "config.toml"
    path.write_text(f'# team database\n[database]\nurl = "{db_url}"\n\n[defaults]\ntask = "x"\n')
    assert cli("config", "set", "defaults.project", "acme").exit_code == 0
    text = path.read_text()
    assert text.startswith("# team database\n")
    assert tomllib.loads(text) == {
        "database": {"url": db_url}, "defaults": {"task": "x", "project": "acme"}
    }
    # The database URL in the file still opens the workspace.
    rows = effective(cli, env={"KEITO_DATABASE_URL": ""})
    assert rows["database.url"]["origin"] == str(path)


def test_unset_removes_a_value(cli, keito_home, project_dir):
    assert cli("config", "set", "defaults.project", "acme").exit_code == 0
    result = cli("config", "unset", "defaults.project")
    assert result.exit_code == 0, result
    assert effective(cli)["defaults.project"]["value"] is None


def test_the_api_key_is_never_written_to_a_config_file(cli, keito_home, project_dir):
    for args in (["auth.api_key", "keito_sk_abc"], ["auth.api_key", "keito_sk_abc", "--local"]):
        result = cli("config", "set", *args)
        assert result.exit_code == 2
        assert result.error["code"] == "validation_error" and result.error["field"] == "key"
        assert "keito auth login" in result.error["hint"]
    assert not (keito_home / "config.toml").exists()
    assert not (project_dir / "src" / ".keito.toml").exists()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["defaults.colour", "blue"], "key"),
        (["project", "acme"], "key"),
        (["defaults.source", "robot"], "source"),
        (["defaults.project", "  "], "value"),
        (["database.url", "sqlite:////x.db", "--local"], "key"),
    ],
)
def test_bad_settings_change_nothing(cli, keito_home, project_dir, args, field):
    path = keito_home / "config.toml"
    path.write_text('[defaults]\nproject = "acme"\n')
    result = cli("config", "set", *args)
    assert result.exit_code == 2, result
    assert result.error["field"] == field
    assert path.read_text() == '[defaults]\nproject = "acme"\n'
    assert not (project_dir / "src" / ".keito.toml").exists()


def test_a_broken_config_file_is_a_config_error(cli, keito_home, project_dir):
    (project_dir / ".keito.toml").write_text("[defaults\n")
    result = cli("config", "list")
    assert result.exit_code == 8
    assert result.error["code"] == "config_error"
    assert str(project_dir / ".keito.toml") in result.error["message"]


def test_list_masks_a_stored_key(cli, workspace, keito_home, project_dir):
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        secret = cli("key", "create").json["secret"]
        assert cli("auth", "login", "--key", secret).exit_code == 0
        row = effective(cli)["auth.api_key"]
    finally:
        keyring.set_keyring(previous)
    assert row["value"] == secret[:13] + "…"
    assert row["origin"] == str(keito_home / "credentials")
    assert effective(cli, env={"KEITO_API_KEY": secret})["auth.api_key"]["origin"] == (
        "env:KEITO_API_KEY"
    )
