"""Parsing what people type into list filters and dates: days, date ranges, statuses, sources."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from keito_core.enums import ApprovalStatus, Source
from keito_core.errors import validation
from keito_core.rules.periods import parse_date


def parse_day(value: str | date | None, *, today: date, field: str = "spent_date") -> date:
    """A date given as a date, a typed date (YYYY-MM-DD, today, -1 ...) or None for today."""
    if value is None:
        return today
    if isinstance(value, datetime):
        raise TypeError("spent_date must be a date, not a datetime")
    if isinstance(value, date):
        return value
    return parse_date(value, today=today, field=field)


def _list_day(value: str | date | None, now: datetime | None, tz: str, field: str) -> date | None:
    """A list bound: a date, YYYY-MM-DD, or a relative date when `now` is known."""
    if value is None or isinstance(value, date):
        return value
    if now is None:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise validation(f"not a date: {value!r}", field=field,
                             hint="use YYYY-MM-DD") from None
    return parse_day(value, today=now.astimezone(ZoneInfo(tz)).date(), field=field)


def list_bounds(date_from: str | date | None, date_to: str | date | None,
                now: datetime | None, tz: str) -> tuple[date | None, date | None]:
    """Inclusive date bounds of a list, refusing a start after the end."""
    first = _list_day(date_from, now, tz, "date_from")
    last = _list_day(date_to, now, tz, "date_to")
    if first and last and first > last:
        raise validation(f"the start date {first} is after the end date {last}",
                         field="date_from")
    return first, last


def parse_approval(value: ApprovalStatus | str) -> ApprovalStatus:
    """The approval status a list filter names."""
    try:
        return ApprovalStatus(str(value).strip().lower())
    except ValueError:
        raise validation(f"unknown approval status {value!r}", field="approval",
                         hint="use one of " + ", ".join(a.value for a in ApprovalStatus)
                         ) from None


def check_source(source: Source | str) -> Source:
    """The Source `source` names (tui, web, cli, api, agent)."""
    try:
        return Source(str(source).strip().lower())
    except ValueError:
        raise validation(f"unknown source {source!r}", field="source",
                         hint="use one of " + ", ".join(s.value for s in Source)) from None

