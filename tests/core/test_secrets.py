"""The stored API key: the OS keyring when it works, a 0600 file when it does not."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import PasswordDeleteError

from keito_core.errors import KeitoError
from keito_core.platform.runtime import (
    AUTH_CONFIG_FILE,
    AUTH_DEFAULT_USER,
    AUTH_ENV,
    AUTH_STORED,
    make_runtime,
)
from keito_core.platform.secrets import (
    SERVICE,
    credentials_path,
    delete_api_key,
    keyring_username,
    load_api_key,
    store_api_key,
    stored_where,
)

SECRET = "keito_sk_" + "a" * 40


class MemoryKeyring(KeyringBackend):
    """A keyring backend that keeps passwords in a dict."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        if self.passwords.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    """A backend that exists but refuses to store (a locked or broken keychain)."""

    def set_password(self, service, username, password):
        raise keyring.errors.PasswordSetError("locked")


class SilentKeyring(MemoryKeyring):
    """A backend that accepts writes and keeps nothing."""

    def set_password(self, service, username, password):
        pass


@pytest.fixture
def use_keyring():
    """Install a keyring backend for one test, then put the previous one back."""
    previous = keyring.get_keyring()

    def install(backend):
        keyring.set_keyring(backend)
        return backend

    yield install
    keyring.set_keyring(previous)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_without_a_keyring_the_key_goes_to_a_0600_file(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    where = store_api_key(SECRET, config_dir=tmp_path / "cfg")
    path = credentials_path(tmp_path / "cfg")
    assert where == str(path)
    assert mode(path) == 0o600
    assert load_api_key(config_dir=tmp_path / "cfg") == SECRET
    assert stored_where(config_dir=tmp_path / "cfg") == str(path)


def test_the_fallback_file_is_0600_even_if_it_existed_wider(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    path = credentials_path(tmp_path)
    path.write_text('store = "file"\n')
    path.chmod(0o644)
    store_api_key(SECRET, config_dir=tmp_path)
    assert mode(path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["credentials"]  # no temporary file left


def test_the_environment_variable_forces_the_fallback_too(tmp_path):
    """PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring, in a fresh interpreter."""
    code = (
        "import sys; from pathlib import Path\n"
        "from keito_core.platform.secrets import store_api_key\n"
        f"print(store_api_key({SECRET!r}, config_dir=Path(sys.argv[1])))\n"
    )
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env,
                            capture_output=True, text=True, check=True)
    assert result.stdout.strip() == str(credentials_path(tmp_path))
    assert mode(credentials_path(tmp_path)) == 0o600


@pytest.mark.parametrize("backend", [LockedKeyring, SilentKeyring])
def test_a_keyring_that_does_not_keep_the_key_falls_back(tmp_path, use_keyring, backend):
    use_keyring(backend())
    assert store_api_key(SECRET, config_dir=tmp_path) == str(credentials_path(tmp_path))
    assert load_api_key(config_dir=tmp_path) == SECRET


def test_with_a_keyring_the_secret_never_touches_the_disk(tmp_path, use_keyring):
    memory = use_keyring(MemoryKeyring())
    assert store_api_key(SECRET, config_dir=tmp_path) == "keyring"
    assert memory.passwords == {(SERVICE, keyring_username(tmp_path)): SECRET}
    assert SECRET not in credentials_path(tmp_path).read_text()
    assert mode(credentials_path(tmp_path)) == 0o600
    assert load_api_key(config_dir=tmp_path) == SECRET
    assert stored_where(config_dir=tmp_path) == "keyring"


def test_a_later_keyring_login_removes_the_plain_file_copy(tmp_path, use_keyring):
    use_keyring(fail.Keyring())
    store_api_key("keito_sk_old", config_dir=tmp_path)
    use_keyring(MemoryKeyring())
    store_api_key(SECRET, config_dir=tmp_path)
    assert "keito_sk_old" not in credentials_path(tmp_path).read_text()
    assert load_api_key(config_dir=tmp_path) == SECRET


def test_the_default_home_uses_the_plain_username(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert keyring_username(tmp_path / ".keito") == "api_key"
    other = keyring_username(tmp_path / "elsewhere")
    assert other.startswith("api_key:") and other.endswith("elsewhere")


def test_two_homes_keep_two_keys(tmp_path, use_keyring):
    use_keyring(MemoryKeyring())
    store_api_key("keito_sk_one", config_dir=tmp_path / "one")
    store_api_key("keito_sk_two", config_dir=tmp_path / "two")
    assert load_api_key(config_dir=tmp_path / "one") == "keito_sk_one"
    assert load_api_key(config_dir=tmp_path / "two") == "keito_sk_two"


@pytest.mark.parametrize("backend", [MemoryKeyring, fail.Keyring])
def test_delete_forgets_the_key(tmp_path, use_keyring, backend):
    installed = use_keyring(backend())
    store_api_key(SECRET, config_dir=tmp_path)
    assert delete_api_key(config_dir=tmp_path) is True
    assert load_api_key(config_dir=tmp_path) is None
    assert not credentials_path(tmp_path).exists()
    if isinstance(installed, MemoryKeyring):
        assert installed.passwords == {}
    assert delete_api_key(config_dir=tmp_path) is False


def test_nothing_stored_is_none(tmp_path):
    assert load_api_key(config_dir=tmp_path) is None
    assert stored_where(config_dir=tmp_path) is None


def test_a_keyring_that_went_away_is_a_config_error(tmp_path, use_keyring):
    use_keyring(MemoryKeyring())
    store_api_key(SECRET, config_dir=tmp_path)
    use_keyring(fail.Keyring())
    with pytest.raises(KeitoError) as caught:
        load_api_key(config_dir=tmp_path)
    assert caught.value.code == "config_error"
    assert "KEITO_API_KEY" in (caught.value.hint or "")
    assert delete_api_key(config_dir=tmp_path) is True


def test_a_corrupt_credentials_file_is_a_config_error_and_can_be_deleted(tmp_path):
    credentials_path(tmp_path).write_text("store = \n")
    with pytest.raises(KeitoError) as caught:
        load_api_key(config_dir=tmp_path)
    assert caught.value.code == "config_error"
    assert delete_api_key(config_dir=tmp_path) is True


# --- who acts: Runtime.credentials -------------------------------------------------------------


def test_credentials_precedence(tmp_path, use_keyring):
    use_keyring(MemoryKeyring())
    home = {"KEITO_HOME": str(tmp_path)}
    assert make_runtime(home).credentials() == (None, AUTH_DEFAULT_USER)
    (tmp_path / "config.toml").write_text('[auth]\napi_key = "keito_sk_file"\n')
    assert make_runtime(home).credentials() == ("keito_sk_file", AUTH_CONFIG_FILE)
    store_api_key("keito_sk_stored", config_dir=tmp_path)
    assert make_runtime(home).credentials() == ("keito_sk_stored", AUTH_STORED)
    env = {**home, "KEITO_API_KEY": "keito_sk_env"}
    assert make_runtime(env).credentials() == ("keito_sk_env", AUTH_ENV)


def _modules_after(code: str, env: dict[str, str]) -> set[str]:
    probe = code + "\nimport json, sys; print(json.dumps(sorted(sys.modules)))\n"
    result = subprocess.run([sys.executable, "-c", probe], env={**os.environ, **env},
                            capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_keyring_library_is_not_loaded_without_a_login(tmp_path):
    code = (
        "from keito_core.platform.runtime import make_runtime\n"
        f"assert make_runtime({{'KEITO_HOME': {str(tmp_path)!r}}}).credentials()[0] is None\n"
    )
    assert "keyring" not in _modules_after(code, {})


def test_keito_api_key_skips_the_keyring_entirely(tmp_path, use_keyring):
    use_keyring(MemoryKeyring())
    store_api_key(SECRET, config_dir=tmp_path)  # the keyring holds a key ...
    code = (
        "from keito_core.platform.runtime import make_runtime\n"
        f"env = {{'KEITO_HOME': {str(tmp_path)!r}, 'KEITO_API_KEY': 'keito_sk_env'}}\n"
        "assert make_runtime(env).credentials() == ('keito_sk_env', 'api_key env')\n"
    )
    assert "keyring" not in _modules_after(code, {})  # ... and is never asked
    without = "from keito_core.platform.runtime import make_runtime\n" + (
        f"make_runtime({{'KEITO_HOME': {str(tmp_path)!r}}}).credentials()\n"
    )
    with pytest.raises(subprocess.CalledProcessError):  # a fresh process has no keyring here
        _modules_after(without, {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
