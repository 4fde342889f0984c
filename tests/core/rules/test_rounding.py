"""Tests for keito_core.rules.rounding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from keito_core.errors import KeitoError
from keito_core.rules.rounding import (
    ROUNDING_INCREMENTS,
    ROUNDING_MODES,
    parse_increment,
    round_duration,
)

ON_INCREMENTS = [i for i in ROUNDING_INCREMENTS if i]
# Every second of the first two hours plus a few long durations: covers below one increment,
# exact multiples, the halfway points and values either side of them for every increment.
SAMPLE_SECONDS = [*range(0, 7201), 8 * 3600 + 7, 23 * 3600 + 59 * 60 + 59, 86400]


def test_increments_are_the_documented_ones() -> None:
    assert ROUNDING_INCREMENTS == (0, 5, 6, 10, 15, 30)
    assert ROUNDING_MODES == ("nearest", "up", "down")


@pytest.mark.parametrize(
    ("seconds", "increment", "mode", "expected"),
    [
        # nearest, 15 minutes: halfway (7:30) rounds up
        (7 * 60 + 29, 15, "nearest", 15 * 60),  # below one increment never rounds to zero
        (7 * 60 + 30, 15, "nearest", 15 * 60),
        (22 * 60 + 29, 15, "nearest", 15 * 60),
        (22 * 60 + 30, 15, "nearest", 30 * 60),
        (52 * 60 + 29, 15, "nearest", 45 * 60),
        (52 * 60 + 30, 15, "nearest", 60 * 60),
        (60 * 60 + 7 * 60 + 29, 15, "nearest", 60 * 60),
        (1, 15, "nearest", 15 * 60),
        (1, 5, "nearest", 5 * 60),
        (1, 30, "nearest", 30 * 60),
        # nearest, 6 minutes (tenths of an hour): halfway is 3:00
        (8 * 60 + 59, 6, "nearest", 6 * 60),
        (9 * 60, 6, "nearest", 12 * 60),
        (61 * 60, 6, "nearest", 60 * 60),
        (63 * 60, 6, "nearest", 66 * 60),
        # nearest, 5, 10, 30
        (7 * 60 + 29, 5, "nearest", 5 * 60),
        (7 * 60 + 30, 5, "nearest", 10 * 60),
        (14 * 60 + 59, 10, "nearest", 10 * 60),
        (15 * 60, 10, "nearest", 20 * 60),
        (44 * 60 + 59, 30, "nearest", 30 * 60),
        (45 * 60, 30, "nearest", 60 * 60),
        # up
        (1, 15, "up", 15 * 60),
        (15 * 60 + 1, 15, "up", 30 * 60),
        (29 * 60 + 59, 30, "up", 30 * 60),
        (60 * 60 + 1, 6, "up", 66 * 60),
        (60 * 60 + 1, 5, "up", 65 * 60),
        (60 * 60 + 1, 10, "up", 70 * 60),
        # down: may give zero
        (1, 15, "down", 0),
        (14 * 60 + 59, 15, "down", 0),
        (29 * 60 + 59, 15, "down", 15 * 60),
        (65 * 60 + 59, 6, "down", 60 * 60),
        (9 * 60 + 59, 5, "down", 5 * 60),
        # off leaves every value alone
        (1, 0, "nearest", 1),
        (4799, 0, "up", 4799),
        (4799, 0, "down", 4799),
        # zero stays zero
        (0, 15, "nearest", 0),
        (0, 15, "up", 0),
        (0, 15, "down", 0),
        # 24 h is a multiple of every increment
        (86400, 30, "up", 86400),
    ],
)
def test_round_duration(seconds: int, increment: int, mode: str, expected: int) -> None:
    assert round_duration(seconds, increment, mode) == expected


def test_default_mode_is_nearest() -> None:
    assert round_duration(22 * 60 + 30, 15) == 30 * 60
    assert round_duration(22 * 60 + 29, 15) == 15 * 60


@pytest.mark.parametrize("mode", ROUNDING_MODES)
@pytest.mark.parametrize("increment", ROUNDING_INCREMENTS)
def test_rounding_twice_is_a_no_op(increment: int, mode: str) -> None:
    for seconds in SAMPLE_SECONDS:
        once = round_duration(seconds, increment, mode)
        assert round_duration(once, increment, mode) == once, (seconds, increment, mode)


@pytest.mark.parametrize("mode", ROUNDING_MODES)
@pytest.mark.parametrize("increment", ON_INCREMENTS)
def test_result_is_a_multiple_within_one_increment(increment: int, mode: str) -> None:
    step = increment * 60
    for seconds in SAMPLE_SECONDS:
        rounded = round_duration(seconds, increment, mode)
        assert rounded % step == 0
        assert abs(rounded - seconds) < step
        if mode == "up":
            assert rounded >= seconds
        if mode == "down":
            assert rounded <= seconds


@pytest.mark.parametrize("increment", ON_INCREMENTS)
def test_nearest_is_half_up_and_never_zero_for_positive_durations(increment: int) -> None:
    step = increment * 60
    for seconds in SAMPLE_SECONDS:
        rounded = round_duration(seconds, increment, "nearest")
        if seconds == 0:
            assert rounded == 0
            continue
        assert rounded > 0
        if seconds >= step:
            rest = seconds % step
            expected = seconds - rest + (step if rest * 2 >= step else 0)
            assert rounded == expected, (seconds, increment)
        else:
            assert rounded == step


@pytest.mark.parametrize("mode", ROUNDING_MODES)
@pytest.mark.parametrize("increment", ON_INCREMENTS)
def test_multiples_are_unchanged(increment: int, mode: str) -> None:
    for k in range(0, 97):
        seconds = k * increment * 60
        assert round_duration(seconds, increment, mode) == seconds


@pytest.mark.parametrize("increment", [1, 3, 7, 12, 20, 45, 60, -15, True])
def test_invalid_increment_is_rejected(increment: int) -> None:
    with pytest.raises(KeitoError) as info:
        round_duration(600, increment)
    assert info.value.code == "validation_error"
    assert info.value.field == "rounding"


@pytest.mark.parametrize("mode", ["", "ceil", "NEAREST", "half-even"])
def test_invalid_mode_is_rejected(mode: str) -> None:
    with pytest.raises(KeitoError) as info:
        round_duration(600, 15, mode)
    assert info.value.field == "rounding"


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(KeitoError) as info:
        round_duration(-60, 15)
    assert info.value.field == "duration"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("15m", 15),
        ("15", 15),
        ("6m", 6),
        ("5 min", 5),
        ("10 minutes", 10),
        ("30mins", 30),
        ("off", 0),
        ("OFF", 0),
        ("none", 0),
        ("no", 0),
        ("0", 0),
        ("0m", 0),
        (" 30 ", 30),
        (15, 15),
        (0, 0),
    ],
)
def test_parse_increment(text: str | int, minutes: int) -> None:
    assert parse_increment(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["", "15h", "quarter", "7", "60m", "-15", "1.5", "15 m m", "１５", "1 minute", 7, -5, "m"],
)
def test_parse_increment_rejects(text: str | int) -> None:
    with pytest.raises(KeitoError) as info:
        parse_increment(text)
    assert info.value.code == "validation_error"
    assert info.value.field == "rounding"


_DOCS = Path(__file__).resolve().parents[3] / "docs" / "tracking.md"
_SPAN = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


def _span_seconds(text: str) -> int:
    """Seconds in `1h07m30s`, `22m`, `8m59s` as the docs write them."""
    match = _SPAN.match(text.strip())
    assert match and any(match.groups()), text
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def test_the_documented_examples_are_what_rounding_does() -> None:
    section = _DOCS.read_text(encoding="utf-8").split("## Rounding", 1)[1].split("\n## ", 1)[0]
    assert "nearest" in section and "halfway rounds **up**" in section
    assert "never rounds to zero" in section
    rows = re.findall(r"^\| (\d+m) \| (\S+) \| (\S+) \|$", section, flags=re.MULTILINE)
    assert len(rows) >= 10
    for increment, worked, saved in rows:
        got = round_duration(_span_seconds(worked), parse_increment(increment))
        assert got == _span_seconds(saved), (increment, worked, saved)
