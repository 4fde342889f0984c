"""Prefixed, time-ordered random IDs, so records from several machines never collide."""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case

#: The prefix of every kind of record.
PREFIXES: dict[str, str] = {
    "workspace": "wsp",
    "user": "usr",
    "api_key": "key",
    "business_role": "rol",
    "client": "cli",
    "contact": "con",
    "task": "tsk",
    "project": "prj",
    "project_task": "pt",
    "project_member": "pm",
    "time_entry": "te",
    "expense_category": "cat",
    "expense": "exp",
    "submission": "sub",
    "approval_event": "apv",
    "invoice": "inv",
    "invoice_line": "il",
    "payment": "pay",
    "invoice_message": "imsg",
    "saved_report": "rpt",
    "notification": "ntf",
    "sync_connection": "acc",
    "sync_record": "syn",
    "sync_outbox": "sob",
    "audit_event": "aud",
    "budget_alert": "bal",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


_RANDOM_BITS = 60
_last_lock = threading.Lock()
_last: tuple[int, int] = (0, 0)  # the clock's millisecond and random part of the newest ID


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    """`prefix_` + 10 chars of millisecond time + 12 random chars: sorts by creation time.

    IDs made from the clock in one process are strictly increasing: within one millisecond
    (or when the clock stands still or steps back) the random part of the newest ID goes up
    by a random step, so records saved in one burst still sort in the order they were made.
    An explicit `now_ms` (back-dated demo data) takes a fresh random part.
    """
    prefix = PREFIXES[kind]
    if now_ms is not None:
        return f"{prefix}_{_encode(now_ms, 10)}{_encode(secrets.randbits(_RANDOM_BITS), 12)}"
    global _last
    with _last_lock:
        ms, rand = int(time.time() * 1000), secrets.randbits(_RANDOM_BITS)
        last_ms, last_rand = _last
        if ms <= last_ms:
            ms, rand = last_ms, last_rand + 1 + secrets.randbits(16)
            if rand >= 1 << _RANDOM_BITS:  # the part is spent: borrow the next millisecond
                ms, rand = ms + 1, secrets.randbits(_RANDOM_BITS - 1)
        _last = (ms, rand)
    return f"{prefix}_{_encode(ms, 10)}{_encode(rand, 12)}"


def kind_of(ref: str) -> str | None:
    """The kind of record an ID names, or None when `ref` is not an ID."""
    prefix, sep, rest = ref.partition("_")
    if not sep or len(rest) != 22:
        return None
    for kind, known in PREFIXES.items():
        if known == prefix:
            return kind
    return None
