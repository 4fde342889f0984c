"""Tests for keito_core.rules.periods."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from keito_core.enums import WeekDay
from keito_core.errors import KeitoError
from keito_core.rules.periods import (
    EARLIEST_WORK_DATE,
    NAMED_PERIODS,
    check_work_date,
    latest_work_date,
    local_date,
    month_bounds,
    named_period,
    parse_date,
    parse_timezone,
    shift_week,
    utc_bounds_of_local_day,
    week_bounds,
    week_days,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
WED = date(2024, 5, 15)  # a Wednesday


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- weeks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "week_start", "first"),
    [
        (WED, WeekDay.MONDAY, date(2024, 5, 13)),
        (WED, WeekDay.SUNDAY, date(2024, 5, 12)),
        (WED, WeekDay.SATURDAY, date(2024, 5, 11)),
        (WED, WeekDay.WEDNESDAY, WED),
        (WED, WeekDay.THURSDAY, date(2024, 5, 9)),
        (date(2024, 5, 13), WeekDay.MONDAY, date(2024, 5, 13)),  # the first day itself
        (date(2024, 5, 19), WeekDay.MONDAY, date(2024, 5, 13)),  # the last day
        (date(2024, 5, 19), WeekDay.SUNDAY, date(2024, 5, 19)),
        (date(2024, 5, 18), WeekDay.SUNDAY, date(2024, 5, 12)),
        (date(2025, 1, 1), WeekDay.MONDAY, date(2024, 12, 30)),  # across a year
        (date(2024, 3, 1), WeekDay.MONDAY, date(2024, 2, 26)),  # across a leap day
        (WED, "monday", date(2024, 5, 13)),
    ],
)
def test_week_bounds(day: date, week_start: WeekDay, first: date) -> None:
    assert week_bounds(day, week_start) == (first, first + timedelta(days=6))


@pytest.mark.parametrize("week_start", list(WeekDay))
def test_every_day_of_a_week_maps_to_the_same_bounds(week_start: WeekDay) -> None:
    for offset in range(60):
        day = date(2024, 2, 1) + timedelta(days=offset)
        first, last = week_bounds(day, week_start)
        assert first.weekday() == week_start.weekday_number
        assert first <= day <= last
        assert (last - first).days == 6
        assert week_days(day, week_start) == [first + timedelta(days=i) for i in range(7)]


def test_week_days_starting_sunday() -> None:
    days = week_days(WED, WeekDay.SUNDAY)
    assert days[0] == date(2024, 5, 12) and days[-1] == date(2024, 5, 18)
    assert [d.strftime("%a") for d in days] == ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]


def test_week_bounds_rejects_unknown_week_start() -> None:
    with pytest.raises(ValueError):
        week_bounds(WED, "someday")


@pytest.mark.parametrize(
    ("day", "n", "week_start", "expected"),
    [
        (WED, 0, WeekDay.MONDAY, date(2024, 5, 13)),
        (WED, 1, WeekDay.MONDAY, date(2024, 5, 20)),
        (WED, -1, WeekDay.MONDAY, date(2024, 5, 6)),
        (WED, 1, WeekDay.SUNDAY, date(2024, 5, 19)),
        (WED, -3, WeekDay.SUNDAY, date(2024, 4, 21)),
        (date(2024, 12, 25), 1, WeekDay.MONDAY, date(2024, 12, 30)),
        (date(2024, 12, 30), 1, WeekDay.MONDAY, date(2025, 1, 6)),
        (WED, 52, WeekDay.MONDAY, date(2025, 5, 12)),
    ],
)
def test_shift_week(day: date, n: int, week_start: WeekDay, expected: date) -> None:
    assert shift_week(day, n, week_start) == expected


# --- months and named periods -------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (WED, date(2024, 5, 1), date(2024, 5, 31)),
        (date(2024, 2, 10), date(2024, 2, 1), date(2024, 2, 29)),  # leap year
        (date(2023, 2, 28), date(2023, 2, 1), date(2023, 2, 28)),
        (date(1900, 2, 1), date(1900, 2, 1), date(1900, 2, 28)),  # century, not leap
        (date(2000, 2, 1), date(2000, 2, 1), date(2000, 2, 29)),
        (date(2024, 4, 30), date(2024, 4, 1), date(2024, 4, 30)),
        (date(2024, 12, 31), date(2024, 12, 1), date(2024, 12, 31)),
        (date(2024, 1, 1), date(2024, 1, 1), date(2024, 1, 31)),
    ],
)
def test_month_bounds(day: date, first: date, last: date) -> None:
    assert month_bounds(day) == (first, last)


@pytest.mark.parametrize(
    ("name", "today", "expected"),
    [
        ("this_week", WED, (date(2024, 5, 13), date(2024, 5, 19))),
        ("last_week", WED, (date(2024, 5, 6), date(2024, 5, 12))),
        ("last_week", date(2024, 1, 3), (date(2023, 12, 25), date(2023, 12, 31))),
        ("this_month", WED, (date(2024, 5, 1), date(2024, 5, 31))),
        ("last_month", WED, (date(2024, 4, 1), date(2024, 4, 30))),
        ("last_month", date(2024, 3, 31), (date(2024, 2, 1), date(2024, 2, 29))),
        ("last_month", date(2024, 1, 15), (date(2023, 12, 1), date(2023, 12, 31))),
        ("this_quarter", WED, (date(2024, 4, 1), date(2024, 6, 30))),
        ("this_quarter", date(2024, 1, 1), (date(2024, 1, 1), date(2024, 3, 31))),
        ("this_quarter", date(2024, 9, 30), (date(2024, 7, 1), date(2024, 9, 30))),
        ("this_quarter", date(2024, 12, 31), (date(2024, 10, 1), date(2024, 12, 31))),
        ("last_quarter", WED, (date(2024, 1, 1), date(2024, 3, 31))),
        ("last_quarter", date(2024, 2, 29), (date(2023, 10, 1), date(2023, 12, 31))),
        ("last_quarter", date(2024, 10, 1), (date(2024, 7, 1), date(2024, 9, 30))),
        ("this_year", WED, (date(2024, 1, 1), date(2024, 12, 31))),
        ("last_year", WED, (date(2023, 1, 1), date(2023, 12, 31))),
        ("This Week", WED, (date(2024, 5, 13), date(2024, 5, 19))),
        ("last-month", WED, (date(2024, 4, 1), date(2024, 4, 30))),
        (" this year ", WED, (date(2024, 1, 1), date(2024, 12, 31))),
    ],
)
def test_named_period(name: str, today: date, expected: tuple[date, date]) -> None:
    assert named_period(name, today, WeekDay.MONDAY) == expected


def test_named_week_periods_follow_week_start() -> None:
    assert named_period("this_week", WED, WeekDay.SUNDAY) == (date(2024, 5, 12), date(2024, 5, 18))
    assert named_period("last_week", WED, WeekDay.SUNDAY) == (date(2024, 5, 5), date(2024, 5, 11))


@pytest.mark.parametrize("name", NAMED_PERIODS)
def test_every_named_period_contains_or_precedes_today(name: str) -> None:
    for offset in range(0, 400, 7):
        today = date(2023, 11, 1) + timedelta(days=offset)
        first, last = named_period(name, today, WeekDay.MONDAY)
        assert first <= last
        if name.startswith("this_"):
            assert first <= today <= last
        else:
            assert last < today


@pytest.mark.parametrize("name", ["", "next_week", "thisweek", "quarter", "yesterday"])
def test_named_period_rejects_unknown(name: str) -> None:
    with pytest.raises(KeitoError) as info:
        named_period(name, WED, WeekDay.MONDAY)
    assert info.value.field == "period"
    assert "this_week" in (info.value.hint or "")


# --- parse_date ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01", date(2024, 5, 1)),
        ("2024-02-29", date(2024, 2, 29)),
        ("2030-01-01", date(2030, 1, 1)),  # explicit future dates are allowed
        ("today", WED),
        ("Today", WED),
        ("  today ", WED),
        ("yesterday", date(2024, 5, 14)),
        ("tomorrow", date(2024, 5, 16)),
        ("wednesday", WED),  # a weekday name on that weekday is today
        ("wed", WED),
        ("monday", date(2024, 5, 13)),
        ("mon", date(2024, 5, 13)),
        ("tuesday", date(2024, 5, 14)),
        ("tues", date(2024, 5, 14)),
        ("thursday", date(2024, 5, 9)),  # never in the future
        ("thu", date(2024, 5, 9)),
        ("thurs", date(2024, 5, 9)),
        ("friday", date(2024, 5, 10)),
        ("saturday", date(2024, 5, 11)),
        ("sunday", date(2024, 5, 12)),
        ("SUN", date(2024, 5, 12)),
        ("-1", date(2024, 5, 14)),
        ("-2", date(2024, 5, 13)),
        ("-15", date(2024, 4, 30)),
        ("+1", date(2024, 5, 16)),
        ("-366", date(2023, 5, 15)),
    ],
)
def test_parse_date(text: str, expected: date) -> None:
    assert parse_date(text, today=WED) == expected


@pytest.mark.parametrize("today", [date(2024, 5, 13) + timedelta(days=i) for i in range(7)])
@pytest.mark.parametrize("weekday", list(WeekDay))
def test_weekday_names_are_the_latest_not_future_day(today: date, weekday: WeekDay) -> None:
    result = parse_date(weekday.value, today=today)
    assert result.weekday() == weekday.weekday_number
    assert today - timedelta(days=6) <= result <= today


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a date"),
        ("someday", "not a date"),
        ("2024-13-01", "not a real date"),
        ("2024-02-30", "not a real date"),
        ("2023-02-29", "not a real date"),
        ("0000-01-01", "not a real date"),
        ("2024/05/01", "not a date"),
        ("01/05/2024", "not a date"),
        ("2024-5-1", "not a date"),
        ("20240501", "not a date"),
        ("1", "not a date"),
        ("0", "not a date"),
        ("-1.5", "not a date"),
        ("--1", "not a date"),
        ("-99999", "not a date"),
        ("last monday", "not a date"),
    ],
)
def test_parse_date_rejects(text: str, message: str) -> None:
    with pytest.raises(KeitoError, match=message) as info:
        parse_date(text, today=WED, field="spent_date")
    assert info.value.code == "validation_error"
    assert info.value.field == "spent_date"


def test_parse_date_offset_beyond_the_calendar_is_an_error() -> None:
    with pytest.raises(KeitoError, match="not a real date"):
        parse_date("-9999", today=date(1, 1, 10))


# --- local days and UTC -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instant", "tz", "expected"),
    [
        (utc(2024, 7, 1, 23, 30), LONDON, date(2024, 7, 2)),  # 00:30 BST
        (utc(2024, 1, 1, 23, 30), LONDON, date(2024, 1, 1)),  # 23:30 GMT
        (utc(2024, 7, 2, 3, 59), NEW_YORK, date(2024, 7, 1)),  # 23:59 EDT
        (utc(2024, 7, 2, 4, 0), NEW_YORK, date(2024, 7, 2)),
        (datetime(2024, 7, 2, 1, 0, tzinfo=timezone(timedelta(hours=9))), LONDON, date(2024, 7, 1)),
    ],
)
def test_local_date(instant: datetime, tz: ZoneInfo, expected: date) -> None:
    assert local_date(instant, tz) == expected


def test_local_date_refuses_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2024, 7, 1, 12), LONDON)


@pytest.mark.parametrize(
    ("day", "tz", "start", "hours"),
    [
        (date(2024, 7, 1), LONDON, utc(2024, 6, 30, 23), 24),
        (date(2024, 1, 8), LONDON, utc(2024, 1, 8, 0), 24),
        (date(2024, 3, 31), LONDON, utc(2024, 3, 31, 0), 23),  # spring forward
        (date(2024, 10, 27), LONDON, utc(2024, 10, 26, 23), 25),  # fall back
        (date(2024, 3, 30), LONDON, utc(2024, 3, 30, 0), 24),
        (date(2024, 10, 28), LONDON, utc(2024, 10, 28, 0), 24),
        (date(2024, 3, 10), NEW_YORK, utc(2024, 3, 10, 5), 23),
        (date(2024, 11, 3), NEW_YORK, utc(2024, 11, 3, 4), 25),
        (date(2024, 7, 4), NEW_YORK, utc(2024, 7, 4, 4), 24),
        # Chile skips midnight itself: the day starts at the transition instant
        (date(2024, 9, 8), SANTIAGO, utc(2024, 9, 8, 4), 23),
    ],
)
def test_utc_bounds_of_local_day(day: date, tz: ZoneInfo, start: datetime, hours: int) -> None:
    start_utc, end_utc = utc_bounds_of_local_day(day, tz)
    assert start_utc == start
    assert end_utc - start_utc == timedelta(hours=hours)
    assert start_utc.tzinfo is UTC and end_utc.tzinfo is UTC
    assert local_date(start_utc, tz) == day
    assert local_date(end_utc - timedelta(microseconds=1), tz) == day
    assert local_date(end_utc, tz) == day + timedelta(days=1)


@pytest.mark.parametrize("tz", [LONDON, NEW_YORK, SANTIAGO])
def test_consecutive_local_days_tile_without_gaps_or_overlaps(tz: ZoneInfo) -> None:
    day = date(2024, 1, 1)
    total = timedelta(0)
    for _ in range(366):
        start, end = utc_bounds_of_local_day(day, tz)
        next_start, _ = utc_bounds_of_local_day(day + timedelta(days=1), tz)
        assert end == next_start
        total += end - start
        day += timedelta(days=1)
    assert total == timedelta(days=366)  # DST hours lost in spring come back in autumn


# --- parse_timezone -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Europe/London", "Europe/London"),
        ("America/New_York", "America/New_York"),
        ("UTC", "UTC"),
        (" Asia/Tokyo ", "Asia/Tokyo"),
        ("europe/london", "Europe/London"),
        ("AMERICA/NEW_YORK", "America/New_York"),
    ],
)
def test_parse_timezone(name: str, key: str) -> None:
    zone = parse_timezone(name)
    assert isinstance(zone, ZoneInfo)
    assert zone.key == key


@pytest.mark.parametrize(
    "name", ["", "  ", "Mars/Olympus", "Europe/Londn", "GMT+25", "../etc/passwd", "/etc/localtime"]
)
def test_parse_timezone_rejects_unknown(name: str) -> None:
    with pytest.raises(KeitoError) as info:
        parse_timezone(name)
    assert info.value.code == "validation_error"
    assert info.value.field == "timezone"
    assert info.value.hint


@pytest.mark.parametrize(
    ("today", "latest"),
    [(date(2026, 3, 6), date(2027, 3, 6)), (date(2024, 2, 29), date(2025, 2, 28))],
)
def test_latest_work_date_is_a_year_on(today: date, latest: date) -> None:
    assert latest_work_date(today) == latest


@pytest.mark.parametrize(
    "day", [date(1900, 1, 1), date(1999, 12, 31), date(2027, 3, 7), date(2030, 1, 1)]
)
def test_check_work_date_refuses_far_out_of_range(day: date) -> None:
    with pytest.raises(KeitoError) as info:
        check_work_date(day, today=date(2026, 3, 6), field="date")
    assert (info.value.code, info.value.field) == ("validation_error", "date")


@pytest.mark.parametrize("day", [EARLIEST_WORK_DATE, date(2026, 3, 5), date(2026, 3, 6)])
def test_check_work_date_says_nothing_of_the_past(day: date) -> None:
    assert check_work_date(day, today=date(2026, 3, 6)) is None


@pytest.mark.parametrize(
    ("day", "words"),
    [(date(2026, 3, 7), "1 day after"), (date(2027, 3, 6), "365 days after")],
)
def test_check_work_date_warns_of_the_future(day: date, words: str) -> None:
    warning = check_work_date(day, today=date(2026, 3, 6))
    assert warning is not None
    assert "in the future" in warning and words in warning and day.isoformat() in warning
