"""Durations as integer seconds: parsing what people type, clock spans, formatting.

Accepted duration forms (case-insensitive, surrounding spaces ignored):

- decimal hours: ``1.5``, ``.25``, ``2``, ``2.``
- hours and minutes: ``1:30``, ``0:05``, ``10:00`` (minutes are two digits, below 60)
- units: ``90m``, ``45min``, ``2h``, ``1.5h``, ``1h30m``, ``1h 30m``, ``1h30`` (hours first;
  minutes below 60 when hours are given too). Units are ``h``/``hr``/``hrs``/``hour(s)`` and
  ``m``/``min``/``mins``/``minute(s)``. There is deliberately no seconds unit: people log time
  in minutes, and ``30s`` is rejected rather than read as thirty minutes or thirty seconds.

A result is rounded to whole seconds half-up (1.333 h = 4798.8 s -> 4799 s). Zero is rejected
unless ``allow_zero=True``; more than 24 hours is rejected.

Clock spans are wall-clock on the entry's start day: an end at or before the start crosses
midnight. ``local_span`` turns a span into UTC instants so DST nights last their real length.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from keito_core.enums import DurationFormat
from keito_core.errors import validation

SECONDS_PER_HOUR = 3600
MAX_DURATION_SECONDS = 24 * SECONDS_PER_HOUR

_NUM = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
_DECIMAL_RE = re.compile(rf"^{_NUM}$")
_HHMM_RE = re.compile(r"^([0-9]+):([0-9]{2})$")
_HOUR_UNIT = r"(?:h|hr|hrs|hour|hours)"
_MIN_UNIT = r"(?:m|min|mins|minute|minutes)"
_UNITS_RE = re.compile(
    rf"^(?:(?P<h>{_NUM})\s*{_HOUR_UNIT})?\s*"
    rf"(?:(?P<m>{_NUM})\s*{_MIN_UNIT}|(?P<bare>[0-9]{{1,2}}))?$"
)
_CLOCK_RE = re.compile(r"^([0-9]{1,2})(?::([0-9]{2}))?\s*(am|pm|a|p)?$")
_COMPACT_CLOCK_RE = re.compile(r"^([0-9]{3,4})\s*(am|pm|a|p)?$")
_MAX_TEXT = 24  # long enough for "1 hour 30 minutes", short enough for exact maths
_DURATION_HINT = "use hours like 1.5, h:mm like 1:30, or units like 1h30m or 90m"


def _to_seconds(hours: Decimal) -> int:
    """Whole seconds in `hours`, rounded half-up."""
    return int((hours * SECONDS_PER_HOUR).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _parse_amount(text: str, field: str) -> int | None:
    """Seconds for a well-formed duration text, or None when it is not one."""
    if _DECIMAL_RE.match(text):
        return _to_seconds(Decimal(text))
    hhmm = _HHMM_RE.match(text)
    if hhmm:
        hours, minutes = int(hhmm.group(1)), int(hhmm.group(2))
        if minutes >= 60:
            raise validation(f"minutes must be below 60 in {text!r}", field=field)
        return hours * SECONDS_PER_HOUR + minutes * 60
    units = _UNITS_RE.match(text)
    if not units or not any(units.group("h", "m", "bare")):
        return None
    if units.group("bare") and not units.group("h"):
        return None
    unit_hours = Decimal(units.group("h") or 0)
    unit_minutes = Decimal(units.group("m") or units.group("bare") or 0)
    if units.group("h") and unit_minutes >= 60:
        raise validation(f"minutes must be below 60 in {text!r}", field=field)
    return _to_seconds(unit_hours + unit_minutes / 60)


def parse_duration(text: str, *, allow_zero: bool = False, field: str = "duration") -> int:
    """Seconds in a typed duration; see the module docstring for the accepted forms."""
    cleaned = text.strip().lower()
    if not cleaned:
        raise validation("duration is empty", field=field, hint=_DURATION_HINT)
    if cleaned.startswith("-"):
        raise validation(f"duration cannot be negative: {text.strip()!r}", field=field)
    seconds = _parse_amount(cleaned, field) if len(cleaned) <= _MAX_TEXT else None
    if seconds is None:
        raise validation(f"not a duration: {text.strip()!r}", field=field, hint=_DURATION_HINT)
    if seconds == 0 and not allow_zero:
        raise validation("duration must be more than zero", field=field)
    if seconds > MAX_DURATION_SECONDS:
        raise validation(f"duration is over 24 hours: {text.strip()!r}", field=field)
    return seconds


def parse_clock(text: str, *, field: str = "start") -> time:
    """A time of day from `9`, `9:15`, `09:15`, `0930`, `11pm`, `11:30 PM`, `noon`, `midnight`."""
    cleaned = text.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    if cleaned == "noon":
        return time(12, 0)
    if cleaned == "midnight":
        return time(0, 0)
    match = _CLOCK_RE.match(cleaned)
    if match:
        hour, minute, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    else:
        compact = _COMPACT_CLOCK_RE.match(cleaned)
        if not compact:
            raise validation(
                f"not a time of day: {text.strip()!r}", field=field, hint="use 9:15, 0915 or 9:15pm"
            )
        digits, meridiem = compact.group(1), compact.group(2)
        hour, minute = int(digits[:-2]), int(digits[-2:])
    if minute >= 60:
        raise validation(f"minutes must be below 60 in {text.strip()!r}", field=field)
    if meridiem:
        if not 1 <= hour <= 12:
            raise validation(f"hour must be 1-12 with am/pm: {text.strip()!r}", field=field)
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    elif hour >= 24:
        raise validation(f"hour must be below 24: {text.strip()!r}", field=field)
    return time(hour, minute)


def _seconds_of_day(value: time) -> int:
    """Seconds since midnight of a wall-clock time (microseconds dropped)."""
    return value.hour * SECONDS_PER_HOUR + value.minute * 60 + value.second


def _existing_local(day: date, clock: time, tz: ZoneInfo, field: str) -> datetime:
    """`day` at `clock` in `tz` (first occurrence when ambiguous); a skipped time is an error."""
    local = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=tz)
    back = local.astimezone(UTC).astimezone(tz)
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        raise validation(
            f"{clock:%H:%M} on {day.isoformat()} does not exist in {tz.key} (clocks go forward)",
            field=field,
        )
    return local


def local_span(spent_date: date, start: time, end: time, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC start and end instants of a start/end entry dated `spent_date` in zone `tz`.

    An end at or before the start falls on the next day. Ambiguous wall times (the repeated
    hour when clocks go back) mean their first occurrence (fold=0).
    """
    if _seconds_of_day(start) == _seconds_of_day(end):
        raise validation("end time is the same as start time", field="end")
    end_day = (
        spent_date
        if _seconds_of_day(end) > _seconds_of_day(start)
        else (spent_date + timedelta(days=1))
    )
    start_utc = _existing_local(spent_date, start, tz, "start").astimezone(UTC)
    end_utc = _existing_local(end_day, end, tz, "end").astimezone(UTC)
    if end_utc <= start_utc:  # pragma: no cover - fold=0 wall times map monotonically
        raise validation("end time is not after start time", field="end")
    if end_utc - start_utc > timedelta(seconds=MAX_DURATION_SECONDS):
        raise validation("entry lasts more than 24 hours", field="end")
    return start_utc, end_utc


def format_duration(seconds: int, fmt: DurationFormat | str) -> str:
    """`1.50` (hours, 2 places, half-up) or `1:30` (minutes rounded half-up) for `seconds`."""
    sign = "-" if seconds < 0 else ""
    magnitude = abs(seconds)
    if DurationFormat(fmt) is DurationFormat.DECIMAL:
        hours = (Decimal(magnitude) / SECONDS_PER_HOUR).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        return f"{sign}{hours}" if hours else f"{hours}"
    minutes = (magnitude + 30) // 60
    if minutes == 0:
        sign = ""
    return f"{sign}{minutes // 60}:{minutes % 60:02d}"


def format_duration_unit(seconds: int, fmt: DurationFormat | str) -> str:
    """`27.83 h` or `27:50`: a duration in running text, where a bare decimal could be a count."""
    text = format_duration(seconds, fmt)
    return f"{text} h" if DurationFormat(fmt) is DurationFormat.DECIMAL else text


def seconds_to_hours(seconds: int) -> Decimal:
    """Hours in `seconds` as a Decimal rounded half-up to 6 places."""
    return (Decimal(seconds) / SECONDS_PER_HOUR).quantize(
        Decimal("0.000001"), rounding=ROUND_HALF_UP
    )


def hours_to_seconds(hours: Decimal | int | str, *, field: str = "hours") -> int:
    """Whole seconds (half-up) in a number of hours given as Decimal, int or decimal string."""
    if isinstance(hours, float | bool):
        raise TypeError("hours must be a Decimal, int or str, never a float or bool")
    try:
        value = Decimal(hours.strip() if isinstance(hours, str) else hours)
        if value.is_finite():
            return _to_seconds(value)
    except ArithmeticError:  # InvalidOperation, Overflow
        pass
    raise validation(f"not a number of hours: {hours!r}", field=field)
