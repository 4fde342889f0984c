"""The app's own credentials at Xero and Intuit, and where sync secrets are kept.

Keito talks to Xero and QuickBooks as an app the administrator registers with the vendor
(docs/accounting.md): Xero gives a "Mobile or desktop app" a client ID and no secret (PKCE);
Intuit gives a client ID and a client secret. They come from, in order:

1. the environment: `KEITO_XERO_CLIENT_ID`; `KEITO_QUICKBOOKS_CLIENT_ID` and
   `KEITO_QUICKBOOKS_CLIENT_SECRET`;
2. what `keito sync credentials xero|quickbooks --client-id ID` stored (the secret is asked
   for hidden, or read from stdin): the OS keyring, else a 0600 file.

Never the database: a backup or a shared PostgreSQL server must not carry them.

Every sync secret (these and each connection's OAuth tokens, keito_core.sync.tokens) is kept the
way `keito auth login` keeps the API key (keito_core.platform.secrets): the keyring entry is
service "keito", username the secret's name (with the KEITO_HOME appended for any home other
than ~/.keito, so two workspaces keep two sets); `<config_dir>/sync/<name>` (0600) says that the
secret is in the keyring, or holds it itself where no keyring backend works.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.platform.private_files import private_dir
from keito_core.platform.secrets import (
    STORED_IN_KEYRING,
    delete_record,
    keyring_username,
    load_record,
    read_record,
    record_where,
    store_record,
)

SYNC_DIR = "sync"

#: The environment variables that name the app's credentials, per provider.
CLIENT_ID_VARIABLES = {
    SyncProvider.XERO: "KEITO_XERO_CLIENT_ID",
    SyncProvider.QUICKBOOKS: "KEITO_QUICKBOOKS_CLIENT_ID",
}
CLIENT_SECRET_VARIABLES = {SyncProvider.QUICKBOOKS: "KEITO_QUICKBOOKS_CLIENT_SECRET"}


# -- one secret in the keyring or a 0600 file -----------------------------------------------


def sync_dir(config_dir: Path) -> Path:
    """`<config_dir>/sync`, made 0700 when missing."""
    return private_dir(config_dir / SYNC_DIR)


def secret_username(name: str, config_dir: Path) -> str:
    """The keyring username of secret `name`: `name` for ~/.keito, `name:<dir>` otherwise."""
    return keyring_username(config_dir, name)


def secret_path(name: str, config_dir: Path) -> Path:
    return config_dir / SYNC_DIR / name


def _read_record(name: str, config_dir: Path) -> dict:
    path = secret_path(name, config_dir)
    return read_record(path, hint=f"remove {path} and store it again")


def store_secret(name: str, value: str, *, config_dir: Path, header: str) -> str:
    """Keep `value` as secret `name`; returns "keyring", or the path of the 0600 file used."""
    sync_dir(config_dir)
    return store_record(secret_path(name, config_dir), value,
                        username=secret_username(name, config_dir),
                        header="".join(f"# {line}\n" for line in header.splitlines()),
                        value_key="value")


def load_secret(name: str, *, config_dir: Path) -> str | None:
    """Secret `name`, or None when it was never stored (or was deleted)."""
    return load_record(
        _read_record(name, config_dir), username=name, value_key="value",
        unavailable=f"{name} is in the OS keyring, which is unavailable",
        hint="unlock the keyring, or store it again where none is available (a 0600 file)")


def secret_where(name: str, *, config_dir: Path) -> str | None:
    """"keyring", the file's path, or None, without reading the secret."""
    return record_where(_read_record(name, config_dir), secret_path(name, config_dir))


def delete_secret(name: str, *, config_dir: Path) -> bool:
    """Forget secret `name` (keyring entry and file); True if there was one."""
    path = secret_path(name, config_dir)
    return delete_record(path, username=name, hint=f"remove {path} and store it again")


# -- the app's credentials ------------------------------------------------------------------


@dataclass(frozen=True)
class AppCredentials:
    """The app's client ID at the vendor (and Intuit's client secret); never printed."""

    provider: SyncProvider
    client_id: str
    client_secret: str | None = None
    #: "environment", "keyring" or the 0600 file's path.
    source: str = "environment"

    def __repr__(self) -> str:  # keep the secret out of tracebacks and logs
        return (f"AppCredentials(provider={self.provider.value!r}, "
                f"client_id={self.client_id!r}, source={self.source!r})")


def _client_name(provider: SyncProvider) -> str:
    return f"{provider.value}_client"


def _header(provider: SyncProvider) -> str:
    return (f"The {provider.value} app's credentials, written by `keito sync credentials "
            f"{provider.value}`.\nKeep this file private.")


def app_credentials(provider: SyncProvider | str, *, config_dir: Path,
                    env: Mapping[str, str] | None = None) -> AppCredentials:
    """The app's credentials for `provider`: the environment, else the stored ones.

    A missing client ID (or QuickBooks client secret) is `config_error`, with a hint naming the
    variable and the command that stores it.
    """
    env = os.environ if env is None else env
    provider = SyncProvider(provider)
    id_variable = CLIENT_ID_VARIABLES[provider]
    secret_variable = CLIENT_SECRET_VARIABLES.get(provider)
    client_id = env.get(id_variable, "").strip()
    client_secret = env.get(secret_variable, "").strip() if secret_variable else ""
    source = "environment"
    if not client_id or (secret_variable and not client_secret):
        stored = _stored(provider, config_dir)
        if stored is not None:
            # A variable set alone still wins for its half.
            client_id = client_id or stored.client_id
            client_secret = client_secret or (stored.client_secret or "")
            source = stored.source
    store_hint = (f"`keito sync credentials {provider.value} --client-id ID`")
    if not client_id:
        raise KeitoError(
            "config_error",
            f"no {_vendor(provider)} client ID is configured",
            field="client_id",
            hint=f"set {id_variable}, or store it with {store_hint} (docs/accounting.md says "
                 "how to register the app)",
        )
    if secret_variable and not client_secret:
        raise KeitoError(
            "config_error",
            f"no {_vendor(provider)} client secret is configured",
            field="client_secret",
            hint=f"set {secret_variable}, or store it with {store_hint} (it asks for the secret)",
        )
    return AppCredentials(provider, client_id, client_secret or None, source)


def _stored(provider: SyncProvider, config_dir: Path) -> AppCredentials | None:
    name = _client_name(provider)
    value = load_secret(name, config_dir=config_dir)
    if not value:
        return None
    client_id, _, client_secret = value.partition("\n")
    where = secret_where(name, config_dir=config_dir) or STORED_IN_KEYRING
    return AppCredentials(provider, client_id, client_secret or None, where)


def store_app_credentials(provider: SyncProvider | str, *, client_id: str,
                          client_secret: str | None = None, config_dir: Path) -> str:
    """Keep the app's credentials for later connects and pushes; returns where ("keyring" or
    the 0600 file's path). QuickBooks needs the secret; Xero (PKCE) takes none."""
    provider = SyncProvider(provider)
    client_id = (client_id or "").strip()
    client_secret = (client_secret or "").strip() or None
    if not client_id or any(char.isspace() for char in client_id):
        raise KeitoError("validation_error", "the client ID is empty or has spaces in it",
                         field="client_id", hint="copy it from the app's page at the vendor")
    if provider is SyncProvider.QUICKBOOKS and not client_secret:
        raise KeitoError("validation_error", "QuickBooks needs the app's client secret too",
                         field="client_secret",
                         hint="copy it from the app's Keys & credentials page at Intuit")
    if provider is SyncProvider.XERO and client_secret:
        raise KeitoError("validation_error",
                         "a Xero desktop app (PKCE) has no client secret: give only the ID",
                         field="client_secret")
    value = client_id + (f"\n{client_secret}" if client_secret else "")
    return store_secret(_client_name(provider), value, config_dir=config_dir,
                        header=_header(provider))


def delete_app_credentials(provider: SyncProvider | str, *, config_dir: Path) -> bool:
    """Forget the stored credentials of `provider`; True if there were some."""
    return delete_secret(_client_name(SyncProvider(provider)), config_dir=config_dir)


def _vendor(provider: SyncProvider) -> str:
    return "Xero" if provider is SyncProvider.XERO else "QuickBooks"


def vendor_name(provider: SyncProvider | str) -> str:
    """"Xero" or "QuickBooks", for messages."""
    return _vendor(SyncProvider(provider))
