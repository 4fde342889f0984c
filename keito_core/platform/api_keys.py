"""What an API key looks like and how it is stored, in the standard library only.

keito_core.platform.identity (through the ORM) and keito_core.fastpath.status (plain sqlite3)
both recognise, hash and record keys by these definitions.
"""

from __future__ import annotations

import hashlib
import secrets
import string
from datetime import datetime, timedelta

KEY_PREFIX = "keito_sk_"
_ALPHABET = string.ascii_letters + string.digits
#: Characters of the key kept in clear, so people can tell their keys apart.
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 4
#: How stale a key's last_used_at may get before a command records the use again.
KEY_TOUCH_EVERY = timedelta(hours=1)


def generate_secret() -> str:
    """A new API key: keito_sk_ + 40 random letters and digits (about 238 bits)."""
    return KEY_PREFIX + "".join(secrets.choice(_ALPHABET) for _ in range(40))


def hash_secret(secret: str) -> str:
    """SHA-256 of the key: keys are long random strings, so a fast hash is enough."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def use_is_due(last_used_at: datetime | None, *, now: datetime) -> bool:
    """Whether a key last used at `last_used_at` must have its use recorded at `now`."""
    return last_used_at is None or now - last_used_at >= KEY_TOUCH_EVERY
