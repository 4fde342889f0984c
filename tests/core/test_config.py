"""Where Keito keeps its files, and which database it opens."""

from __future__ import annotations

from pathlib import Path

import pytest

from keito_core.errors import KeitoError
from keito_core.platform.config import load_settings


def test_keito_home_moves_config_and_data_together(tmp_path):
    settings = load_settings({"KEITO_HOME": str(tmp_path)})
    assert settings.config_dir == tmp_path
    assert settings.data_dir == tmp_path / "data"
    assert settings.database_url == f"sqlite:///{tmp_path / 'data' / 'keito.db'}"
    assert settings.sqlite_path == tmp_path / "data" / "keito.db"
    assert settings.receipts_dir == tmp_path / "data" / "receipts"


def test_default_uses_the_platform_data_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    settings = load_settings({})
    assert settings.config_dir == Path("~/.keito").expanduser()
    assert settings.sqlite_path == tmp_path / "xdg" / "keito" / "keito.db"


def test_database_url_from_the_environment_wins(tmp_path):
    (tmp_path / "config.toml").write_text('[database]\nurl = "sqlite:///from-file.db"\n')
    env = {"KEITO_HOME": str(tmp_path), "KEITO_DATABASE_URL": "postgresql://x@h/db"}
    settings = load_settings(env)
    assert settings.database_url == "postgresql://x@h/db"
    assert settings.sqlite_path is None


def test_database_url_from_the_config_file(tmp_path):
    (tmp_path / "config.toml").write_text('[database]\nurl = "sqlite:////srv/team.db"\n')
    assert load_settings({"KEITO_HOME": str(tmp_path)}).database_url == "sqlite:////srv/team.db"


def test_a_broken_config_file_is_a_config_error(tmp_path):
    (tmp_path / "config.toml").write_text("[database\nurl = ")
    with pytest.raises(KeitoError) as caught:
        load_settings({"KEITO_HOME": str(tmp_path)})
    assert caught.value.code == "config_error"
    assert caught.value.exit_code == 8


def test_api_key_comes_from_the_environment(tmp_path):
    env = {"KEITO_HOME": str(tmp_path), "KEITO_API_KEY": "keito_sk_abc"}
    assert load_settings(env).api_key == "keito_sk_abc"
    assert load_settings({"KEITO_HOME": str(tmp_path), "KEITO_API_KEY": ""}).api_key is None


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://keito:s3cr%40t@db.internal:5432/keito",
         "postgresql://keito:***@db.internal:5432/keito"),
        ("postgresql://keito@db.internal/keito", "postgresql://keito@db.internal/keito"),
        ("sqlite:////srv/keito.db", "sqlite:////srv/keito.db"),
    ],
)
def test_display_url_masks_the_password(url, shown):
    assert load_settings({"KEITO_DATABASE_URL": url}).display_url == shown
