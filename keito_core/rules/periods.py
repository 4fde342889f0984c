"""Calendar periods: weeks with a configurable first day, months, quarters, local days in UTC.

Every function takes `today` (or an instant) as a parameter; none reads the clock.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from keito_core.enums import WeekDay
from keito_core.errors import validation

NAMED_PERIODS: tuple[str, ...] = (
    "this_week",
    "last_week",
    "this_month",
    "last_month",
    "this_quarter",
    "last_quarter",
    "this_year",
    "last_year",
)

_WEEKDAY_WORDS: dict[str, int] = {
    **{day.value: day.weekday_number for day in WeekDay},
    **{day.value[:3]: day.weekday_number for day in WeekDay},
    "tues": 1,
    "weds": 2,
    "thur": 3,
    "thurs": 3,
}
_RELATIVE_WORDS = {"today": 0, "yesterday": -1, "tomorrow": 1}
_OFFSET_RE = re.compile(r"^[+-][0-9]{1,4}$")
_ISO_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def week_bounds(day: date, week_start: WeekDay | str) -> tuple[date, date]:
    """First and last day (inclusive) of the week holding `day`, weeks starting `week_start`."""
    first = day - timedelta(days=(day.weekday() - WeekDay(week_start).weekday_number) % 7)
    return first, first + timedelta(days=6)


def week_days(day: date, week_start: WeekDay | str) -> list[date]:
    """The seven dates of the week holding `day`, in order."""
    first, _ = week_bounds(day, week_start)
    return [first + timedelta(days=offset) for offset in range(7)]


def shift_week(day: date, n: int, week_start: WeekDay | str) -> date:
    """First day of the week `n` weeks after (negative: before) the week holding `day`."""
    first, _ = week_bounds(day, week_start)
    return first + timedelta(weeks=n)


def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day (inclusive) of the month holding `day`."""
    first = day.replace(day=1)
    return first, _add_months(first, 1) - timedelta(days=1)


def _quarter_bounds(day: date) -> tuple[date, date]:
    """First and last day (inclusive) of the calendar quarter holding `day`."""
    first = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return first, _add_months(first, 3) - timedelta(days=1)


def named_period(name: str, today: date, week_start: WeekDay | str) -> tuple[date, date]:
    """Inclusive bounds of `this_week`, `last_month`, `this_quarter`, `last_year` and so on."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if key == "this_week":
        return week_bounds(today, week_start)
    if key == "last_week":
        return week_bounds(today - timedelta(weeks=1), week_start)
    if key == "this_month":
        return month_bounds(today)
    if key == "last_month":
        return month_bounds(today.replace(day=1) - timedelta(days=1))
    if key == "this_quarter":
        return _quarter_bounds(today)
    if key == "last_quarter":
        return _quarter_bounds(_quarter_bounds(today)[0] - timedelta(days=1))
    if key == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if key == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    raise validation(
        f"unknown period: {name!r}", field="period", hint="use " + ", ".join(NAMED_PERIODS)
    )


def parse_date(text: str, *, today: date, field: str = "date") -> date:
    """A date from YYYY-MM-DD, today/yesterday/tomorrow, a weekday name (latest, not future), -N."""
    cleaned = text.strip().lower()
    if cleaned in _RELATIVE_WORDS:
        return today + timedelta(days=_RELATIVE_WORDS[cleaned])
    if cleaned in _WEEKDAY_WORDS:
        return today - timedelta(days=(today.weekday() - _WEEKDAY_WORDS[cleaned]) % 7)
    try:
        if _OFFSET_RE.match(cleaned):
            return today + timedelta(days=int(cleaned))
        if _ISO_RE.match(cleaned):
            return date.fromisoformat(cleaned)
    except (ValueError, OverflowError):
        raise validation(f"not a real date: {text.strip()!r}", field=field) from None
    raise validation(
        f"not a date: {text.strip()!r}",
        field=field,
        hint="use YYYY-MM-DD, today, yesterday, a weekday name or -1",
    )


#: The earliest date work may be dated on: anything older is a typo, not a timesheet.
EARLIEST_WORK_DATE = date(2000, 1, 1)


def latest_work_date(today: date) -> date:
    """The latest date work may be dated on: one year after `today` (28 Feb for 29 Feb)."""
    try:
        return today.replace(year=today.year + 1)
    except ValueError:
        return today.replace(year=today.year + 1, day=28)


def check_work_date(day: date, *, today: date, field: str = "spent_date") -> str | None:
    """Refuse a date before 2000 or more than a year after `today`; a warning for the future.

    A future date within the year is allowed (planned leave, a pre-booked day), as Harvest
    allows it, but rarely meant: the returned text says so. None means nothing to say.
    """
    if day < EARLIEST_WORK_DATE:
        raise validation(f"{day.isoformat()} is before {EARLIEST_WORK_DATE.year}",
                         field=field, hint="check the year of the date")
    latest = latest_work_date(today)
    if day > latest:
        raise validation(f"{day.isoformat()} is more than a year ahead", field=field,
                         hint=f"dates up to {latest.isoformat()} are accepted")
    if day > today:
        days = (day - today).days
        return (f"{day.isoformat()} is in the future "
                f"({days} day{'s' if days != 1 else ''} after today, {today.isoformat()})")
    return None


def _require_aware(instant: datetime) -> None:
    """Refuse naive datetimes: a programming error, not user input."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("naive datetime: pass a timezone-aware value")


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of an aware `instant` in zone `tz`."""
    _require_aware(instant)
    return instant.astimezone(tz).date()


def utc_bounds_of_local_day(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """UTC instants [start, end) of local `day` in `tz`; 23 h or 25 h on DST days.

    A day whose midnight is skipped starts at the transition instant.
    """
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def parse_timezone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The IANA zone named `name` (case-insensitive), or a validation error."""
    cleaned = name.strip()
    hint = "use an IANA name such as Europe/London or America/New_York"
    if not cleaned:
        raise validation("timezone is empty", field=field, hint=hint)
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    folded = {key.lower(): key for key in available_timezones()}
    if cleaned.lower() in folded:
        return ZoneInfo(folded[cleaned.lower()])
    raise validation(f"unknown timezone: {cleaned!r}", field=field, hint=hint)
