"""A keyring in memory, or none at all, for tests that store secrets: never the real one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail


class MemoryKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.passwords.get((service, username))

    def set_password(self, service, username, password):
        self.passwords[(service, username)] = password

    def delete_password(self, service, username):
        self.passwords.pop((service, username), None)


@contextmanager
def keyring_or_file(kind: str) -> Iterator[KeyringBackend]:
    """A working keyring in memory ("keyring") or none at all ("file": the 0600 file
    fallback) while the block runs; the previous backend afterwards."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring() if kind == "keyring" else fail.Keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
