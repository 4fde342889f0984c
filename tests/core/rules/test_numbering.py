"""Tests for keito_core.rules.numbering."""

from __future__ import annotations

from datetime import date

import pytest

from keito_core.errors import KeitoError
from keito_core.rules.numbering import format_invoice_number, validate_pattern

ISSUED = date(2024, 3, 7)


@pytest.mark.parametrize(
    ("pattern", "number", "issue_date", "expected"),
    [
        ("{####}", 1, ISSUED, "0001"),
        ("{####}", 42, ISSUED, "0042"),
        ("{####}", 12345, ISSUED, "12345"),  # longer numbers are never truncated
        ("{#}", 7, ISSUED, "7"),
        ("{#}", 1234, ISSUED, "1234"),
        ("{##########}", 5, ISSUED, "0000000005"),
        ("INV-{YYYY}-{####}", 12, ISSUED, "INV-2024-0012"),
        ("INV-{YY}{MM}-{###}", 3, ISSUED, "INV-2403-003"),
        ("{YYYY}/{MM}/{#####}", 99, date(2025, 12, 31), "2025/12/00099"),
        ("{YY}-{##}", 1, date(2009, 1, 1), "09-01"),
        ("{YY}-{##}", 1, date(2100, 1, 1), "00-01"),
        ("{yyyy}-{mm}-{###}", 1, ISSUED, "2024-03-001"),  # date tokens are case-insensitive
        ("Acme #{####}", 8, ISSUED, "Acme #0008"),
        ("{####}-{YYYY}-{YYYY}", 1, ISSUED, "0001-2024-2024"),  # date tokens may repeat
        ("  INV{###}  ", 4, ISSUED, "INV004"),  # surrounding spaces are dropped
    ],
)
def test_format_invoice_number(pattern: str, number: int, issue_date: date, expected: str) -> None:
    assert format_invoice_number(pattern, number=number, issue_date=issue_date) == expected


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("INV-", "exactly one"),
        ("{YYYY}", "exactly one"),
        ("{###}-{###}", "exactly one"),
        ("{###########}", "1 to 10"),  # eleven
        ("{#x#}", "1 to 10"),
        ("{# }", "1 to 10"),
        ("{YYYY}-{DD}-{###}", "unknown token {DD}"),
        ("{###}{}", "unknown token {}"),
        ("{client}-{###}", "unknown token"),
        ("{###", "unbalanced"),
        ("###}", "unbalanced"),
        ("{{###}}", "unbalanced"),
        ("INV-}{###}", "unbalanced"),
        ("INV\n{###}", "control"),
        ("X" * 60 + "{###}", "longer than 64"),
    ],
)
def test_validate_pattern_rejects(pattern: str, message: str) -> None:
    with pytest.raises(KeitoError, match=message) as info:
        validate_pattern(pattern)
    assert info.value.code == "validation_error"
    assert info.value.field == "invoice_number_pattern"


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [("{####}", "{####}"), (" INV-{YYYY}-{###} ", "INV-{YYYY}-{###}"), ("#{#}", "#{#}")],
)
def test_validate_pattern_returns_the_clean_pattern(pattern: str, expected: str) -> None:
    assert validate_pattern(pattern) == expected


def test_format_rejects_a_bad_pattern() -> None:
    with pytest.raises(KeitoError) as info:
        format_invoice_number("{YYYY}", number=1, issue_date=ISSUED)
    assert info.value.field == "invoice_number_pattern"


@pytest.mark.parametrize("number", [0, -1, True])
def test_format_rejects_a_sequence_number_below_one(number: int) -> None:
    with pytest.raises(KeitoError) as info:
        format_invoice_number("{###}", number=number, issue_date=ISSUED)
    assert info.value.field == "number"


def test_numbers_in_sequence_sort_as_text_within_the_padding() -> None:
    numbers = [
        format_invoice_number("INV-{####}", number=n, issue_date=ISSUED) for n in range(1, 10000)
    ]
    assert numbers == sorted(numbers)
    assert len(set(numbers)) == len(numbers)
