"""Tests for keito_core.rules.durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from keito_core.enums import DurationFormat
from keito_core.errors import KeitoError
from keito_core.rules.durations import (
    MAX_DURATION_SECONDS,
    format_duration,
    hours_to_seconds,
    local_span,
    parse_clock,
    parse_duration,
    seconds_to_hours,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- parse_duration -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1.5", 5400),
        (".25", 900),
        ("0.25", 900),
        ("2", 7200),
        ("2.", 7200),
        ("24", 86400),
        ("0.1", 360),
        ("1.333", 4799),  # 4798.8 s rounds half-up to 4799
        ("0.00014", 1),  # 0.504 s -> 1 s
        ("0.00125", 5),  # exactly 4.5 s: half-up gives 5 (half-even would give 4)
        ("0.00625", 23),  # exactly 22.5 s: half-up gives 23 (half-even would give 22)
        ("1:30", 5400),
        ("0:05", 300),
        ("10:00", 36000),
        ("01:00", 3600),
        ("24:00", 86400),
        ("23:59", 86340),
        ("0:59", 3540),
        ("90m", 5400),
        ("90 m", 5400),
        ("45min", 2700),
        ("45 mins", 2700),
        ("45 minutes", 2700),
        ("1 minute", 60),
        ("2h", 7200),
        ("2 hr", 7200),
        ("2hrs", 7200),
        ("1 hour", 3600),
        ("3 hours", 10800),
        ("1.5h", 5400),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("1 h 30 m", 5400),
        ("1h30", 5400),
        ("1h 5", 3900),
        ("1hour 15minutes", 4500),
        ("1 hour 30 minutes", 5400),
        ("12 hours 59 minutes", 46740),
        ("0.5m", 30),
        ("1440m", 86400),
        (" 1:30 ", 5400),
        ("1H30M", 5400),
        ("\t2h\n", 7200),
    ],
)
def test_parse_duration_accepts(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "1.5.5",
        "1:5",  # minutes need two digits
        "1:305",
        ":30",
        "1:",
        "h",
        "m",
        "30s",  # no seconds unit, by design
        "1h30s",
        "1d",
        "1e2",
        "1,5",
        "30m1h",  # hours come first
        "1h1h",
        "1m30",
        "½",
        "١",  # Arabic-Indic digit one
        "1 2",
        "0x10",
        "nan",
        "inf",
        "1" * 25,
    ],
)
def test_parse_duration_rejects_garbage(text: str) -> None:
    with pytest.raises(KeitoError) as info:
        parse_duration(text)
    assert info.value.code == "validation_error"
    assert info.value.field == "duration"


@pytest.mark.parametrize("text", ["-1", "-0:30", "-90m", " -2h"])
def test_parse_duration_rejects_negative(text: str) -> None:
    with pytest.raises(KeitoError, match="negative"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["1:60", "0:99", "1h60m", "2h 75m", "1h60"])
def test_parse_duration_rejects_minutes_of_60_or_more_next_to_hours(text: str) -> None:
    with pytest.raises(KeitoError, match="below 60"):
        parse_duration(text)


@pytest.mark.parametrize(
    "text", ["24.01", "25", "24:01", "100:00", "1441m", "25h", "24h1m", "9" * 24, "9" * 20 + "h"]
)
def test_parse_duration_rejects_over_24_hours(text: str) -> None:
    with pytest.raises(KeitoError, match="over 24 hours"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0", "0:00", "0m", "0h", "0.0", ".0", "0.0001"])
def test_parse_duration_rejects_zero_by_default(text: str) -> None:
    with pytest.raises(KeitoError, match="more than zero"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0", "0:00", "0m", "0.0001"])
def test_parse_duration_allows_zero_when_asked(text: str) -> None:
    assert parse_duration(text, allow_zero=True) == 0


def test_parse_duration_reports_the_given_field() -> None:
    with pytest.raises(KeitoError) as info:
        parse_duration("nope", field="hours")
    assert info.value.field == "hours"
    assert info.value.hint


def test_parse_duration_limit_is_exactly_24_hours() -> None:
    assert MAX_DURATION_SECONDS == 86400
    assert parse_duration("24") == MAX_DURATION_SECONDS


# --- parse_clock --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9", time(9, 0)),
        ("09", time(9, 0)),
        ("0", time(0, 0)),
        ("23", time(23, 0)),
        ("09:15", time(9, 15)),
        ("9:15", time(9, 15)),
        ("23:00", time(23, 0)),
        ("23:59", time(23, 59)),
        ("00:00", time(0, 0)),
        ("0930", time(9, 30)),
        ("930", time(9, 30)),
        ("2359", time(23, 59)),
        ("0000", time(0, 0)),
        ("11pm", time(23, 0)),
        ("11 pm", time(23, 0)),
        ("11PM", time(23, 0)),
        ("11p", time(23, 0)),
        ("11a", time(11, 0)),
        ("11:30 PM", time(23, 30)),
        ("11:30pm", time(23, 30)),
        ("11:30 p.m.", time(23, 30)),
        ("9am", time(9, 0)),
        ("9:05 a.m.", time(9, 5)),
        ("12am", time(0, 0)),
        ("12:30am", time(0, 30)),
        ("12pm", time(12, 0)),
        ("12:45pm", time(12, 45)),
        ("1pm", time(13, 0)),
        ("930pm", time(21, 30)),
        ("1130pm", time(23, 30)),
        ("noon", time(12, 0)),
        ("Midnight", time(0, 0)),
        ("  7:45  ", time(7, 45)),
    ],
)
def test_parse_clock_accepts(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "9.15",
        "24",
        "24:00",
        "25:00",
        "9:60",
        "9:5",
        "0960",
        "2400",
        "13pm",
        "0am",
        "00:30am",
        "12345",
        "nine",
        "9:15:30",
        "9h",
        "-9",
        "9 xm",
        "٩",
    ],
)
def test_parse_clock_rejects(text: str) -> None:
    with pytest.raises(KeitoError) as info:
        parse_clock(text)
    assert info.value.code == "validation_error"
    assert info.value.field == "start"


@pytest.mark.parametrize("field", ["start", "end", "started_time"])
def test_parse_clock_reports_the_given_field(field: str) -> None:
    with pytest.raises(KeitoError) as info:
        parse_clock("later", field=field)
    assert info.value.field == field


# --- local_span ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end", "tz", "expected_start", "expected_end"),
    [
        # an ordinary London summer day (BST, UTC+1)
        (date(2024, 7, 1), time(9), time(17), LONDON, utc(2024, 7, 1, 8), utc(2024, 7, 1, 16)),
        # winter (GMT)
        (date(2024, 1, 8), time(9), time(17), LONDON, utc(2024, 1, 8, 9), utc(2024, 1, 8, 17)),
        # crossing midnight: dated on the start day, ends the next day
        (date(2024, 1, 8), time(23), time(1), LONDON, utc(2024, 1, 8, 23), utc(2024, 1, 9, 1)),
        (date(2024, 7, 1), time(23), time(1), TOKYO, utc(2024, 7, 1, 14), utc(2024, 7, 1, 16)),
        # the last day of a year rolls into the next year
        (date(2024, 12, 31), time(22), time(2), LONDON, utc(2024, 12, 31, 22), utc(2025, 1, 1, 2)),
    ],
)
def test_local_span(
    day: date,
    start: time,
    end: time,
    tz: ZoneInfo,
    expected_start: datetime,
    expected_end: datetime,
) -> None:
    start_utc, end_utc = local_span(day, start, end, tz)
    assert (start_utc, end_utc) == (expected_start, expected_end)
    assert start_utc.tzinfo is UTC and end_utc.tzinfo is UTC


@pytest.mark.parametrize(
    ("day", "start", "end", "tz", "hours"),
    [
        # spring forward, London: 01:00 GMT -> 02:00 BST on 31 March 2024
        (date(2024, 3, 31), time(0, 30), time(2, 30), LONDON, 1),
        (date(2024, 3, 31), time(0, 0), time(3, 0), LONDON, 2),
        (date(2024, 3, 30), time(23, 0), time(3, 0), LONDON, 3),
        # spring forward, New York: 02:00 EST -> 03:00 EDT on 10 March 2024
        (date(2024, 3, 10), time(1, 0), time(3, 0), NEW_YORK, 1),
        (date(2024, 3, 9), time(22, 0), time(4, 0), NEW_YORK, 5),
        # fall back, London: 02:00 BST -> 01:00 GMT on 27 October 2024 (01:xx is ambiguous)
        (date(2024, 10, 27), time(0, 30), time(1, 30), LONDON, 1),
        (date(2024, 10, 27), time(0, 30), time(2, 30), LONDON, 3),
        (date(2024, 10, 27), time(0, 0), time(12, 0), LONDON, 13),
        (date(2024, 10, 26), time(23, 0), time(3, 0), LONDON, 5),
        # fall back, New York: 02:00 EDT -> 01:00 EST on 3 November 2024
        (date(2024, 11, 3), time(0, 0), time(3, 0), NEW_YORK, 4),
        (date(2024, 11, 2), time(23, 0), time(1, 0), NEW_YORK, 2),
        # a zone without DST is plain arithmetic
        (date(2024, 3, 31), time(0, 30), time(2, 30), TOKYO, 2),
    ],
)
def test_local_span_lasts_real_elapsed_time_across_dst(
    day: date, start: time, end: time, tz: ZoneInfo, hours: int
) -> None:
    start_utc, end_utc = local_span(day, start, end, tz)
    assert end_utc - start_utc == timedelta(hours=hours)


@pytest.mark.parametrize(
    ("start", "end", "seconds"),
    [
        (time(9, 0), time(17, 0), 8 * 3600),
        (time(9, 0), time(9, 1), 60),
        (time(23, 0), time(1, 0), 7200),
        (time(23, 30), time(0, 0), 1800),
        (time(0, 0), time(23, 59), 86340),
        (time(12, 0), time(11, 59), 86340),
        (time(22, 15), time(6, 45), 8 * 3600 + 1800),
        (time(9, 0, 30), time(9, 1), 30),
    ],
)
def test_local_span_without_a_clock_change_is_wall_clock_arithmetic(
    start: time, end: time, seconds: int
) -> None:
    start_utc, end_utc = local_span(date(2024, 1, 8), start, end, LONDON)
    assert end_utc - start_utc == timedelta(seconds=seconds)


def test_local_span_ambiguous_time_means_first_occurrence() -> None:
    start_utc, end_utc = local_span(date(2024, 10, 27), time(1, 15), time(1, 45), LONDON)
    assert start_utc == utc(2024, 10, 27, 0, 15)  # 01:15 BST, not 01:15 GMT
    assert end_utc == utc(2024, 10, 27, 0, 45)


@pytest.mark.parametrize(
    ("day", "start", "end", "tz", "field"),
    [
        (date(2024, 3, 31), time(1, 0), time(3, 0), LONDON, "start"),
        (date(2024, 3, 31), time(1, 30), time(4, 0), LONDON, "start"),
        (date(2024, 3, 31), time(0, 0), time(1, 59), LONDON, "end"),
        (date(2024, 3, 30), time(23, 0), time(1, 30), LONDON, "end"),
        (date(2024, 3, 10), time(2, 30), time(5, 0), NEW_YORK, "start"),
        (date(2024, 3, 10), time(1, 0), time(2, 0), NEW_YORK, "end"),
    ],
)
def test_local_span_rejects_times_skipped_by_spring_forward(
    day: date, start: time, end: time, tz: ZoneInfo, field: str
) -> None:
    with pytest.raises(KeitoError, match="does not exist") as info:
        local_span(day, start, end, tz)
    assert info.value.field == field


@pytest.mark.parametrize("clock", [time(0, 0), time(9, 0), time(23, 59)])
def test_local_span_rejects_zero_length(clock: time) -> None:
    with pytest.raises(KeitoError) as info:
        local_span(date(2024, 1, 8), clock, clock, LONDON)
    assert info.value.field == "end"


def test_local_span_rejects_more_than_24_real_hours_on_fall_back_night() -> None:
    # 01:50 BST on the 27th to 01:10 GMT on the 28th is 24 h 20 min of real time.
    with pytest.raises(KeitoError, match="24 hours"):
        local_span(date(2024, 10, 27), time(1, 50), time(1, 10), LONDON)


def test_local_span_up_to_24_real_hours_is_fine_on_fall_back_night() -> None:
    start_utc, end_utc = local_span(date(2024, 10, 26), time(3, 0), time(2, 0), LONDON)
    assert end_utc - start_utc == timedelta(hours=24)


# --- format_duration, seconds_to_hours, hours_to_seconds ----------------------------------


@pytest.mark.parametrize(
    ("seconds", "decimal", "hhmm"),
    [
        (0, "0.00", "0:00"),
        (5400, "1.50", "1:30"),
        (3600, "1.00", "1:00"),
        (900, "0.25", "0:15"),
        (60, "0.02", "0:01"),  # 0.01666 h -> 0.02
        (18, "0.01", "0:00"),  # exactly 0.005 h: half-up to 0.01
        (17, "0.00", "0:00"),
        (29, "0.01", "0:00"),  # 29 s is under half a minute
        (30, "0.01", "0:01"),  # exactly half a minute rounds up
        (89, "0.02", "0:01"),
        (90, "0.03", "0:02"),
        (86400, "24.00", "24:00"),
        (36000 + 59 * 60 + 59, "11.00", "11:00"),
        (100 * 3600, "100.00", "100:00"),
        (-5400, "-1.50", "-1:30"),
        (-10, "0.00", "0:00"),  # never prints negative zero
    ],
)
def test_format_duration(seconds: int, decimal: str, hhmm: str) -> None:
    assert format_duration(seconds, DurationFormat.DECIMAL) == decimal
    assert format_duration(seconds, DurationFormat.HHMM) == hhmm
    assert format_duration(seconds, "decimal") == decimal
    assert format_duration(seconds, "hh:mm") == hhmm


def test_format_duration_rejects_unknown_format() -> None:
    with pytest.raises(ValueError):
        format_duration(60, "minutes")


@pytest.mark.parametrize(
    ("seconds", "hours"),
    [
        (0, Decimal("0")),
        (3600, Decimal("1")),
        (5400, Decimal("1.5")),
        (1, Decimal("0.000278")),  # 0.000277777... rounds up
        (2, Decimal("0.000556")),
        (60, Decimal("0.016667")),
        (4799, Decimal("1.333056")),
        (86400, Decimal("24")),
        (-5400, Decimal("-1.5")),
    ],
)
def test_seconds_to_hours(seconds: int, hours: Decimal) -> None:
    result = seconds_to_hours(seconds)
    assert result == hours
    assert isinstance(result, Decimal)
    assert result.as_tuple().exponent == -6


@pytest.mark.parametrize(
    ("hours", "seconds"),
    [
        (Decimal("1.5"), 5400),
        (2, 7200),
        ("0.25", 900),
        (" 1.333 ", 4799),
        (Decimal("0"), 0),
        ("-1", -3600),
        (Decimal("0.000138"), 0),  # 0.4968 s
        (Decimal("0.000139"), 1),  # 0.5004 s
        (Decimal("0.00125"), 5),  # exactly 4.5 s: half-up
        (Decimal("-0.00125"), -5),  # half-up rounds away from zero
        (Decimal("0.000625"), 2),  # 2.25 s
    ],
)
def test_hours_to_seconds(hours: Decimal | int | str, seconds: int) -> None:
    assert hours_to_seconds(hours) == seconds


@pytest.mark.parametrize("seconds", [0, 1, 17, 59, 60, 899, 4799, 5400, 86399, 86400])
def test_seconds_survive_a_round_trip_through_hours(seconds: int) -> None:
    assert hours_to_seconds(seconds_to_hours(seconds)) == seconds


@pytest.mark.parametrize("hours", ["abc", "", "NaN", "Infinity", "-inf", "1,5", "1e999999999"])
def test_hours_to_seconds_rejects_non_numbers(hours: str) -> None:
    with pytest.raises(KeitoError) as info:
        hours_to_seconds(hours)
    assert info.value.field == "hours"


@pytest.mark.parametrize("hours", [1.5, True])
def test_hours_to_seconds_refuses_floats_and_bools(hours: object) -> None:
    with pytest.raises(TypeError):
        hours_to_seconds(hours)  # type: ignore[arg-type]
