"""The small subset of Xero's `where` filter the fake understands, and paging.

Supported: clauses joined by `AND` (or `&&`), each `Path == value` or `Path != value`, where Path
is a field of the answered JSON (dots into nested objects: `Invoice.InvoiceID`, `Contact.Name`)
and value is a "string", `guid("...")`, `true`/`false` or a number. Strings compare exactly, as
Xero's do. Anything else raises NotModelled, so a test never relies on a filter the fake ignores.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from .xero_errors import NotModelled

_CLAUSE = re.compile(
    r"""\s*(?P<path>[A-Za-z][A-Za-z0-9.]*)\s*(?P<op>==|!=)\s*
        (?:"(?P<string>[^"]*)"|guid\("(?P<guid>[0-9a-fA-F-]{36})"\)
         |(?P<bool>true|false)|(?P<number>-?\d+(?:\.\d+)?))\s*""",
    re.VERBOSE | re.IGNORECASE,
)
_AND = re.compile(r"\s+AND\s+|\s*&&\s*", re.IGNORECASE)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

Record = Mapping[str, Any]


def where_filter(where: str | None) -> Callable[[Record], bool]:
    """A predicate over answered JSON records for a `where` expression."""
    if not where or not where.strip():
        return lambda _record: True
    tests = []
    for clause in _AND.split(where.strip()):
        match = _CLAUSE.fullmatch(clause)
        if match is None:
            raise NotModelled(f"where clause {clause!r} (the fake knows Path==value AND ...)")
        tests.append(_clause_test(match))
    return lambda record: all(test(record) for test in tests)


def _clause_test(match: re.Match[str]) -> Callable[[Record], bool]:
    path = match["path"].split(".")
    equal = match["op"] == "=="
    value: Any
    if match["string"] is not None:
        value = match["string"]
    elif match["guid"] is not None:
        value = match["guid"].lower()
    elif match["bool"] is not None:
        value = match["bool"].lower() == "true"
    else:
        value = Decimal(match["number"])

    def test(record: Record) -> bool:
        found: Any = record
        for part in path:
            found = found.get(part) if isinstance(found, Mapping) else None
        if isinstance(value, Decimal) and found is not None:
            found = Decimal(str(found))
        elif match["guid"] is not None and isinstance(found, str):
            found = found.lower()
        return (found == value) is equal

    return test


def page_of(records: Sequence[Record], page: int | None, page_size: int | None
            ) -> tuple[list[Record], dict[str, int] | None]:
    """The requested page and Xero's `pagination` object, or every record when no page."""
    if page is None:
        return list(records), None
    size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    start = (max(page, 1) - 1) * size
    count = len(records)
    return list(records[start:start + size]), {
        "page": max(page, 1), "pageSize": size, "pageCount": -(-count // size),
        "itemCount": count}
