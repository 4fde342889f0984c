"""How Xero writes things on the wire: its dates, its money, its error bodies."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx

CENT = Decimal("0.01")


def round_half_up(amount: Decimal, places: Decimal = CENT) -> Decimal:
    """Xero rounds money half away from zero to the cent."""
    return amount.quantize(places, rounding=ROUND_HALF_UP)


def ms_date(moment: date | datetime) -> str:
    """Xero's .NET JSON date: `/Date(1552262400000+0000)/` (milliseconds since the epoch, UTC)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    millis = int(moment.astimezone(UTC).timestamp() * 1000)
    return f"/Date({millis}+0000)/"


def date_string(day: date) -> str:
    """The `DateString` companion of a date field: `2019-03-11T00:00:00`."""
    return f"{day.isoformat()}T00:00:00"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None
                  ) -> httpx.Response:
    """A JSON answer; Decimal amounts become JSON numbers."""
    return httpx.Response(
        status, content=json.dumps(_plain(body)).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def envelope(collection: str, items: Sequence[Mapping[str, Any]], now: datetime,
             **extra: Any) -> dict[str, Any]:
    """The wrapper Xero puts around every list it answers."""
    return {"Id": str(uuid.uuid4()), "Status": "OK", "ProviderName": "Keito tests",
            "DateTimeUTC": ms_date(now), **extra, collection: list(items)}


def validation_error(elements: Sequence[Mapping[str, Any]]) -> httpx.Response:
    """400 in Xero's shape: each element echoed with its ValidationErrors."""
    return json_response(400, {
        "ErrorNumber": 10,
        "Type": "ValidationException",
        "Message": "A validation exception occurred",
        "Elements": list(elements),
    })


def with_errors(element: Mapping[str, Any], messages: Sequence[str]) -> dict[str, Any]:
    """`element` as Xero echoes a rejected one."""
    return {**element, "ValidationErrors": [{"Message": m} for m in messages]}


def problem(status: int, title: str, detail: str,
            headers: Mapping[str, str] | None = None) -> httpx.Response:
    """The identity service's problem body (401 and 403 of the API)."""
    return json_response(status, {"Type": None, "Title": title, "Status": status,
                                  "Detail": detail}, headers)


def not_found() -> httpx.Response:
    return httpx.Response(404, text="The resource you're looking for cannot be found",
                          headers={"Content-Type": "text/plain; charset=utf-8"})
