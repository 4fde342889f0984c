"""A connection's OAuth tokens: kept in the keyring (or a 0600 file), refreshed exactly once.

The access token, its expiry and the refresh token of a connection are one secret, named
`tokens_<connection id>` and kept as keito_core.sync.credentials keeps every sync secret: the OS
keyring (service "keito", username naming the connection and, for another KEITO_HOME, that
directory), else `<config_dir>/sync/tokens_<connection id>` with mode 0600. Never the database.

Refresh tokens rotate: Xero retires the one used at every refresh (after a 30-minute grace),
Intuit may. So a refresh is one critical section across every process of this machine:

1. take an exclusive lock on `<config_dir>/sync/tokens_<connection id>.lock` (`fcntl.flock`;
   `msvcrt.locking` on Windows), and a thread lock for threads of this process;
2. read the stored tokens again: when another process refreshed meanwhile, use its access
   token and spend nothing;
3. otherwise spend the stored refresh token, **store the new pair**, and only then hand out
   the new access token, so a crash never leaves us holding a refresh token nobody stored.

`invalid_grant` (revoked, expired after 60 or 100 days unused) calls `on_grant_lost` (which
marks the connection as needing `keito sync connect` in a short transaction of its own) and
raises `authentication_error`. The clock is injected: nothing here reads the wall clock.

The lock is per machine: tokens live in one machine's keyring, so a team sharing a PostgreSQL
workspace syncs from the machine that connected.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.platform.private_files import PRIVATE_FILE, private_dir
from keito_core.sync.credentials import (
    delete_secret,
    load_secret,
    secret_path,
    secret_where,
    store_secret,
    sync_dir,
    vendor_name,
)
from keito_core.sync.oauth import GrantLost, TokenSet

if TYPE_CHECKING:
    import httpx

#: An access token this close to its expiry is refreshed before use.
REFRESH_MARGIN = timedelta(seconds=60)
#: Threads of one process take the file lock one at a time (flock is per open file).
_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(key: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(key, threading.Lock())


@contextlib.contextmanager
def exclusive_file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created 0600) until the block ends; waits for it."""
    private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE)
    try:
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            import msvcrt

            while True:
                try:
                    msvcrt.locking(fd, msvcrt.LK_LOCK, 1)  # retries for 10 s itself
                    break
                except OSError:
                    continue
            try:
                yield
            finally:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


class TokenStore:
    """Where the tokens of connection `connection_id` live on this machine."""

    def __init__(self, connection_id: str, *, config_dir: Path) -> None:
        self.connection_id = connection_id
        self.config_dir = config_dir
        self.name = f"tokens_{connection_id}"

    @property
    def lock_path(self) -> Path:
        return secret_path(self.name, self.config_dir).with_suffix(".lock")

    def load(self) -> TokenSet | None:
        value = load_secret(self.name, config_dir=self.config_dir)
        if value is None:
            return None
        try:
            return TokenSet.from_dict(json.loads(value))
        except (ValueError, KeyError, TypeError) as exc:
            raise KeitoError("config_error", "the stored sync tokens are unreadable",
                             hint="run `keito sync connect` again") from exc

    def save(self, tokens: TokenSet) -> str:
        """Store `tokens`; returns "keyring" or the 0600 file's path."""
        return store_secret(
            self.name, json.dumps(tokens.to_dict()), config_dir=self.config_dir,
            header=f"OAuth tokens of sync connection {self.connection_id}, written by "
                   "`keito sync connect`.\nKeep this file private.")

    def delete(self) -> bool:
        removed = delete_secret(self.name, config_dir=self.config_dir)
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()
        return removed

    def where(self) -> str | None:
        return secret_where(self.name, config_dir=self.config_dir)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The refresh's critical section: this process's threads and every other process."""
        sync_dir(self.config_dir)
        with _thread_lock(str(self.lock_path)), exclusive_file_lock(self.lock_path):
            yield


class StoredTokens:
    """The `http.TokenSource` of one connection, over its `TokenStore`."""

    def __init__(
        self,
        *,
        store: TokenStore,
        provider: SyncProvider | str,
        refresh: Callable[[str], TokenSet],
        clock: Callable[[], datetime],
        on_grant_lost: Callable[[str], None] | None = None,
        margin: timedelta = REFRESH_MARGIN,
    ) -> None:
        self.store = store
        self.provider = SyncProvider(provider)
        self._refresh_at_vendor = refresh
        self.clock = clock
        self.on_grant_lost = on_grant_lost
        self.margin = margin
        self._held: TokenSet | None = None
        #: How many refreshes this object spent at the vendor (for tests and progress).
        self.refreshes = 0

    def _fresh(self, tokens: TokenSet) -> bool:
        return self.clock() < tokens.expires_at - self.margin

    def _load(self) -> TokenSet:
        tokens = self.store.load()
        if tokens is None:
            raise KeitoError(
                "authentication_error",
                f"this machine holds no {vendor_name(self.provider)} tokens for the connection",
                hint="tokens stay in the keyring of the machine that connected: sync from "
                     f"there, or run `keito sync connect {self.provider.value}` here",
            )
        return tokens

    def access_token(self) -> str:
        """A token valid for at least the margin (refreshed first otherwise)."""
        tokens = self._held or self._load()
        if self._fresh(tokens):
            self._held = tokens
            return tokens.access_token
        return self._refresh(rejected=None)

    def refreshed(self, rejected: str) -> str:
        """A new token after the vendor rejected `rejected`, unless another process already
        stored a different, fresh one."""
        return self._refresh(rejected=rejected)

    def _refresh(self, *, rejected: str | None) -> str:
        with self.store.locked():
            stored = self._load()  # again, inside the lock: another process may have refreshed
            if self._fresh(stored) and stored.access_token != rejected:
                self._held = stored
                return stored.access_token
            try:
                tokens = self._refresh_at_vendor(stored.refresh_token)
            except GrantLost as lost:
                self._held = None
                if self.on_grant_lost is not None:
                    with contextlib.suppress(Exception):  # the refusal is what the user needs
                        self.on_grant_lost(lost.detail)
                raise
            self.refreshes += 1
            self.store.save(tokens)  # the rotated refresh token is kept before anything else
            self._held = tokens
            return tokens.access_token


def token_source(
    connection_id: str,
    provider: SyncProvider | str,
    *,
    config_dir: Path,
    client: httpx.Client,
    clock: Callable[[], datetime],
    on_grant_lost: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
) -> StoredTokens:
    """The TokenSource of a connection: its stored tokens, refreshed at the vendor with the
    app's credentials over `client` (config_error when the credentials are missing)."""
    from keito_core.sync.oauth import oauth_client

    oauth = oauth_client(provider, config_dir=config_dir, client=client, clock=clock, env=env)
    return StoredTokens(store=TokenStore(connection_id, config_dir=config_dir),
                        provider=provider, refresh=oauth.refresh, clock=clock,
                        on_grant_lost=on_grant_lost)
