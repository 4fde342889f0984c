"""Cursor pagination for lists ordered newest first: by spent_date, then id, both descending.

A cursor is opaque to callers: URL-safe base64 of the list's kind, the last item's spent_date
and its id. The next page holds the items strictly after that position, so rows added or
removed between requests never repeat or skip the rest of the list. A cursor from one kind
of list (time entries) is refused by another (expenses).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.errors import validation

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_CURSOR_HINT = "pass the next_cursor of the previous page unchanged"


@dataclass
class Page:
    """One page of a list: its items, the cursor of the next page and whether there is one."""

    items: list[Any]
    next_cursor: str | None
    has_more: bool


def check_limit(limit: int | str | None) -> int:
    """The page size: 1 to MAX_LIMIT (None means DEFAULT_LIMIT)."""
    if limit is None:
        return DEFAULT_LIMIT
    try:
        value = int(str(limit).strip()) if not isinstance(limit, int) else limit
    except ValueError:
        raise validation(f"limit must be a whole number, not {limit!r}", field="limit") from None
    if isinstance(value, bool) or not 1 <= value <= MAX_LIMIT:
        raise validation(f"limit must be between 1 and {MAX_LIMIT}, not {limit!r}", field="limit")
    return value


def encode_cursor(kind: str, spent_date: date, item_id: str) -> str:
    """The opaque cursor of the position after the item (`kind` names the list)."""
    raw = f"{kind}|{spent_date.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(kind: str, cursor: str) -> tuple[date, str]:
    """The (spent_date, id) position a cursor of list `kind` names, or validation_error."""
    text = (cursor or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        found_kind, day, item_id = raw.split("|")
        position = date.fromisoformat(day)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation("the cursor is not valid", field="cursor", hint=_CURSOR_HINT) from None
    if found_kind != kind or not item_id:
        raise validation(f"the cursor is not one of a {kind} list", field="cursor",
                         hint=_CURSOR_HINT)
    return position, item_id


def paginate(session: Session, query: Any, *, kind: str, date_column: Any, id_column: Any,
             limit: int | str | None, cursor: str | None) -> Page:
    """Run `query` (a select of one model) newest first, one page after `cursor`."""
    size = check_limit(limit)
    if cursor:
        day, item_id = decode_cursor(kind, cursor)
        query = query.where(sa.or_(date_column < day,
                                   sa.and_(date_column == day, id_column < item_id)))
    rows = list(session.exec(query.order_by(date_column.desc(), id_column.desc())
                             .limit(size + 1)).all())
    has_more = len(rows) > size
    items = rows[:size]
    next_cursor = None
    if has_more:
        last = items[-1]
        next_cursor = encode_cursor(kind, last.spent_date, last.id)
    return Page(items=items, next_cursor=next_cursor, has_more=has_more)
