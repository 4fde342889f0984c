"""The API key stored by `keito auth login`: in the OS keyring, else in a file only you can read.

The keyring entry is service "keito", username "api_key" (for another KEITO_HOME the username
names that directory, so two workspaces keep two keys). Where there is no usable keyring
backend (a headless server, CI), the key goes to `<config_dir>/credentials`, mode 0600.

`<config_dir>/credentials` always records where the key is (`store = "keyring"` or
`store = "file"`). Reading it first lets every command skip the keyring library entirely
(about 100 ms to import and probe) when nobody has logged in, which is the common case.

The record functions (`store_record`, `load_record`, `record_where`, `delete_record`) keep any
secret this way; the accounting sync's secrets use them too (keito_core.sync.credentials).
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


def keyring_username(config_dir: Path, name: str = USERNAME) -> str:
    """`name` ('api_key') for ~/.keito; `name:<dir>` for any other KEITO_HOME."""
    try:
        if config_dir.expanduser().resolve() == _default_config_dir().resolve():
            return name
    except OSError:
        pass
    return f"{name}:{config_dir.expanduser().resolve()}"


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


# -- one secret in the keyring or a 0600 file, with a record of where ------------------------


def read_record(path: Path, *, hint: str) -> dict:
    """The record at `path` ({} when there is none); config_error with `hint` if unreadable."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, OSError) as exc:
        raise KeitoError("config_error", f"cannot read {path}: {exc}", hint=hint) from exc


def store_record(path: Path, value: str, *, username: str, header: str,
                 value_key: str) -> str:
    """Keep `value` in the keyring (the record at `path` says so) or, where no keyring works,
    in the record itself (`value_key = ...`, mode 0600). Returns "keyring" or the path."""
    backend = _usable_keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE, username, value)
            stored = backend.get_password(SERVICE, username) == value
        except Exception:  # a locked keychain, a value too long for the backend
            stored = False
        if stored:
            write_private_text(
                path,
                header + f"store = {toml_value(STORED_IN_KEYRING)}\n"
                f"service = {toml_value(SERVICE)}\n"
                f"username = {toml_value(username)}\n",
            )
            return STORED_IN_KEYRING
    write_private_text(path, header + 'store = "file"\n'
                       + f"{value_key} = {toml_value(value)}\n")
    return str(path)


def load_record(record: dict, *, username: str, value_key: str, unavailable: str,
                hint: str) -> str | None:
    """The secret a record keeps (None for an empty record); imports the keyring library only
    when the secret is there. `unavailable` and `hint` say what to do when it cannot be read."""
    if not record:
        return None
    if record.get("store") != STORED_IN_KEYRING:
        value = record.get(value_key)
        return value if isinstance(value, str) and value else None
    backend = _usable_keyring()
    if backend is None:
        raise KeitoError("config_error", unavailable, hint=hint)
    try:
        value = backend.get_password(SERVICE, record.get("username") or username)
    except Exception as exc:
        raise KeitoError("config_error", f"cannot read the OS keyring: {exc}",
                         hint=hint) from exc
    return value or None


def record_where(record: dict, path: Path) -> str | None:
    """"keyring", the file's path, or None, without reading the secret."""
    if not record:
        return None
    if record.get("store") == STORED_IN_KEYRING:
        return STORED_IN_KEYRING
    return str(path)


def delete_record(path: Path, *, username: str, hint: str) -> bool:
    """Forget the secret (its keyring entry and the record); True if there was one."""
    try:
        record = read_record(path, hint=hint)
    except KeitoError:
        record = {"store": "file"}  # unreadable: removing the file is all we can do
    removed = False
    if record.get("store") == STORED_IN_KEYRING:
        backend = _usable_keyring()
        if backend is not None:
            with contextlib.suppress(Exception):
                backend.delete_password(SERVICE, record.get("username") or username)
                removed = True
    try:
        path.unlink()
        removed = True
    except FileNotFoundError:
        pass
    return removed


# -- the API key -------------------------------------------------------------------------------

_HEADER = "# Written by `keito auth login`; removed by `keito auth logout`. Keep it private.\n"
_AGAIN = "run `keito auth logout` and `keito auth login` again"
_LOGIN_HINT = "set KEITO_API_KEY, or run `keito auth login` again"


def _read_credentials(config_dir: Path) -> dict:
    return read_record(credentials_path(config_dir), hint=_AGAIN)


def store_api_key(secret: str, *, config_dir: Path) -> str:
    """Store the key; returns "keyring", or the path of the 0600 file used instead."""
    return store_record(credentials_path(config_dir), secret,
                        username=keyring_username(config_dir), header=_HEADER,
                        value_key="api_key")


def load_api_key(*, config_dir: Path) -> str | None:
    """The stored key, or None; imports the keyring library only if the key was put there."""
    return load_record(
        _read_credentials(config_dir), username=USERNAME, value_key="api_key",
        unavailable="the key stored by `keito auth login` is in the OS keyring, which is "
                    "unavailable",
        hint=_LOGIN_HINT)


def stored_where(*, config_dir: Path) -> str | None:
    """Where the stored key lives ("keyring" or the file's path) without reading the secret."""
    return record_where(_read_credentials(config_dir), credentials_path(config_dir))


def delete_api_key(*, config_dir: Path) -> bool:
    """Forget the stored key (keyring entry and file); True if there was one."""
    return delete_record(credentials_path(config_dir), username=USERNAME, hint=_AGAIN)
