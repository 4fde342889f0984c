"""Page-number pagination as the API v2 (Harvest) does it.

`page` (from 1) and `per_page` (1-2,000, default 100) choose the slice; the envelope gives
`per_page`, `total_pages`, `total_entries`, `page`, `next_page`, `previous_page` and `links`
(first, next, previous, last: full URLs with the request's other parameters kept).
`page_rows` reads one page of a query: a COUNT, then one LIMIT/OFFSET select.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.server.call import Call

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 2000


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(call: Call) -> Page:
    """The page the request asks for (validation_error when out of range)."""
    return Page(number=call.number("page", minimum=1, maximum=10**9) or 1,
                size=call.number("per_page", minimum=1, maximum=MAX_PER_PAGE)
                or DEFAULT_PER_PAGE)


def _link(call: Call, page: int) -> str:
    params = [(k, v) for k, v in parse_qsl(call.raw_query, keep_blank_values=True)
              if k != "page"]
    params.append(("page", str(page)))
    return f"{call.url}?{urlencode(params)}"


def envelope(call: Call, page: Page, total: int, key: str, items: list[Any]) -> dict[str, Any]:
    """`{key: items, per_page, total_pages, total_entries, page, next_page, previous_page,
    links}`."""
    pages = max(1, -(-total // page.size))
    has_next = page.number < pages
    has_previous = page.number > 1
    return {
        key: items,
        "per_page": page.size,
        "total_pages": pages,
        "total_entries": total,
        "next_page": page.number + 1 if has_next else None,
        "previous_page": page.number - 1 if has_previous else None,
        "page": page.number,
        "links": {
            "first": _link(call, 1),
            "next": _link(call, page.number + 1) if has_next else None,
            "previous": _link(call, page.number - 1) if has_previous else None,
            "last": _link(call, pages),
        },
    }


def page_rows(session: Session, query: Any, page: Page) -> tuple[int, list[Any]]:
    """(how many rows `query` matches, the rows of `page`): a COUNT and one LIMIT/OFFSET
    select; `query` must already be ordered."""
    total = session.execute(sa.select(sa.func.count()).select_from(
        query.order_by(None).subquery())).scalar_one()
    rows = list(session.execute(query.limit(page.size).offset(page.offset)).all())
    return int(total), rows
