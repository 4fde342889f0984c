"""Prefixed, time-ordered random IDs, so records from several machines never collide."""

from __future__ import annotations

import secrets
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
    "saved_report": "rpt",
    "notification": "ntf",
    "sync_connection": "acc",
    "sync_record": "syn",
    "audit_event": "aud",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    """`prefix_` + 10 chars of millisecond time + 12 random chars: sorts by creation time."""
    prefix = PREFIXES[kind]
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    return f"{prefix}_{_encode(ms, 10)}{_encode(secrets.randbits(60), 12)}"


def kind_of(ref: str) -> str | None:
    """The kind of record an ID names, or None when `ref` is not an ID."""
    prefix, sep, rest = ref.partition("_")
    if not sep or len(rest) != 22:
        return None
    for kind, known in PREFIXES.items():
        if known == prefix:
            return kind
    return None
