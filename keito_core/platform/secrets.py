"""The API key stored by `keito auth login`: in the OS keyring, else in a file only you can read.

The keyring entry is service "keito", username "api_key" (for another KEITO_HOME the username
names that directory, so two workspaces keep two keys). Where there is no usable keyring
backend (a headless server, CI), the key goes to `<config_dir>/credentials`, mode 0600.

`<config_dir>/credentials` always records where the key is (`store = "keyring"` or
`store = "file"`). Reading it first lets every command skip the keyring library entirely
(about 100 ms to import and probe) when nobody has logged in, which is the common case.
"""

from __future__ import annotations

import contextlib
import tomllib
from pathlib import Path

from keito_core.errors import KeitoError
from keito_core.platform.cli_config import toml_value
from keito_core.platform.private_files import write_private_text

SERVICE = "keito"
USERNAME = "api_key"
CREDENTIALS_FILE = "credentials"
STORED_IN_KEYRING = "keyring"


def _default_config_dir() -> Path:
    return Path("~/.keito").expanduser()


def keyring_username(config_dir: Path) -> str:
    """'api_key' for ~/.keito; 'api_key:<dir>' for any other KEITO_HOME."""
    try:
        if config_dir.expanduser().resolve() == _default_config_dir().resolve():
            return USERNAME
    except OSError:
        pass
    return f"{USERNAME}:{config_dir.expanduser().resolve()}"


def credentials_path(config_dir: Path) -> Path:
    return config_dir / CREDENTIALS_FILE


def _usable_keyring():  # noqa: ANN202 - keyring is imported lazily; its types with it
    """The keyring backend, or None when it is the fail, null or an empty chainer backend."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return None
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return None
        return backend
    except Exception:  # a broken backend configuration is "no keyring" too
        return None


def _read_credentials(config_dir: Path) -> dict:
    path = credentials_path(config_dir)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise KeitoError(
            "config_error",
            f"cannot read {path}: {exc}",
            hint="run `keito auth logout` and `keito auth login` again",
        ) from exc


_HEADER = "# Written by `keito auth login`; removed by `keito auth logout`. Keep it private.\n"


def store_api_key(secret: str, *, config_dir: Path) -> str:
    """Store the key; returns "keyring", or the path of the 0600 file used instead."""
    backend = _usable_keyring()
    if backend is not None:
        username = keyring_username(config_dir)
        try:
            backend.set_password(SERVICE, username, secret)
            stored = backend.get_password(SERVICE, username) == secret
        except Exception:
            stored = False
        if stored:
            write_private_text(
                credentials_path(config_dir),
                _HEADER + f"store = {toml_value(STORED_IN_KEYRING)}\n"
                f"service = {toml_value(SERVICE)}\n"
                f"username = {toml_value(username)}\n",
            )
            return STORED_IN_KEYRING
    path = credentials_path(config_dir)
    write_private_text(
        path, _HEADER + 'store = "file"\n' + f"api_key = {toml_value(secret)}\n"
    )
    return str(path)


def load_api_key(*, config_dir: Path) -> str | None:
    """The stored key, or None; imports the keyring library only if the key was put there."""
    record = _read_credentials(config_dir)
    if not record:
        return None
    if record.get("store") != STORED_IN_KEYRING:
        key = record.get("api_key")
        return key if isinstance(key, str) and key else None
    backend = _usable_keyring()
    if backend is None:
        raise KeitoError(
            "config_error",
            "the key stored by `keito auth login` is in the OS keyring, which is unavailable",
            hint="set KEITO_API_KEY, or run `keito auth login` again",
        )
    try:
        key = backend.get_password(SERVICE, record.get("username") or USERNAME)
    except Exception as exc:
        raise KeitoError(
            "config_error",
            f"cannot read the OS keyring: {exc}",
            hint="set KEITO_API_KEY, or run `keito auth login` again",
        ) from exc
    return key or None


def stored_where(*, config_dir: Path) -> str | None:
    """Where the stored key lives ("keyring" or the file's path) without reading the secret."""
    record = _read_credentials(config_dir)
    if not record:
        return None
    if record.get("store") == STORED_IN_KEYRING:
        return STORED_IN_KEYRING
    return str(credentials_path(config_dir))


def delete_api_key(*, config_dir: Path) -> bool:
    """Forget the stored key (keyring entry and file); True if there was one."""
    path = credentials_path(config_dir)
    try:
        record = _read_credentials(config_dir)
    except KeitoError:
        record = {"store": "file"}  # unreadable: removing the file is all we can do
    removed = False
    if record.get("store") == STORED_IN_KEYRING:
        backend = _usable_keyring()
        if backend is not None:
            with contextlib.suppress(Exception):
                backend.delete_password(SERVICE, record.get("username") or USERNAME)
                removed = True
    try:
        path.unlink()
        removed = True
    except FileNotFoundError:
        pass
    return removed
