"""Cursor pagination for feeds ordered newest first by an instant (created_at), then id.

The same contract as `paging` (opaque cursor, strictly-after position, kind checked), for
lists whose position is a UTC instant rather than a spent_date: the inbox and the audit trail.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.errors import validation
from keito_core.platform.paging import Page, check_limit

_CURSOR_HINT = "pass the next_cursor of the previous page unchanged"


def encode_instant_cursor(kind: str, instant: datetime, item_id: str) -> str:
    """The opaque cursor of the position after the item (`kind` names the list)."""
    stamp = instant.astimezone(UTC).isoformat()
    raw = f"{kind}|{stamp}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_instant_cursor(kind: str, cursor: str) -> tuple[datetime, str]:
    """The (instant, id) position a cursor of list `kind` names, or validation_error."""
    text = (cursor or "").strip()
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
        found_kind, stamp, item_id = raw.split("|")
        position = datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise validation("the cursor is not valid", field="cursor", hint=_CURSOR_HINT) from None
    if found_kind != kind or not item_id or position.tzinfo is None:
        raise validation(
            f"the cursor is not one of a {kind} list", field="cursor", hint=_CURSOR_HINT
        )
    return position, item_id


def paginate_newest(
    session: Session,
    query: Any,
    *,
    kind: str,
    time_column: Any,
    id_column: Any,
    limit: int | str | None,
    cursor: str | None,
) -> Page:
    """Run `query` (a select of one model) newest first, one page after `cursor`."""
    size = check_limit(limit)
    if cursor:
        instant, item_id = decode_instant_cursor(kind, cursor)
        query = query.where(
            sa.or_(time_column < instant, sa.and_(time_column == instant, id_column < item_id))
        )
    ordered = query.order_by(time_column.desc(), id_column.desc()).limit(size + 1)
    rows = list(session.exec(ordered).all())
    has_more = len(rows) > size
    items = rows[:size]
    next_cursor = None
    if has_more:
        last = items[-1]
        next_cursor = encode_instant_cursor(kind, getattr(last, time_column.key), last.id)
    return Page(items=items, next_cursor=next_cursor, has_more=has_more)
