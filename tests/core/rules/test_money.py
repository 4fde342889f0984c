"""Tests for keito_core.rules.money."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keito_core.errors import KeitoError
from keito_core.rules.money import (
    CURRENCY_EXPONENTS,
    CURRENCY_SYMBOLS,
    MICROS,
    check_minor_unit,
    format_money,
    format_number,
    from_micros,
    is_currency,
    minor_units,
    parse_money,
    parse_percent,
    round_money,
    to_micros,
    validate_currency,
)

D = Decimal

# --- micros -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "micros"),
    [
        (D("0"), 0),
        (D("1"), 1_000_000),
        (D("150.00"), 150_000_000),
        (D("0.003"), 3_000),
        (D("0.000001"), 1),
        (D("-2.5"), -2_500_000),
        (D("1.0000000"), 1_000_000),  # trailing zeros beyond 6 places are still exact
        (D("999999999999.999999"), 999_999_999_999_999_999),
        (D("1E+3"), 1_000_000_000),
        (7, 7_000_000),
    ],
)
def test_to_micros(amount: Decimal, micros: int) -> None:
    assert MICROS == 1_000_000
    assert to_micros(amount) == micros
    assert from_micros(micros) == Decimal(amount)


@pytest.mark.parametrize("amount", [D("0.0000001"), D("1.2345678"), D("-0.0000005")])
def test_to_micros_rejects_more_than_six_places(amount: Decimal) -> None:
    with pytest.raises(KeitoError, match="6 decimal places") as info:
        to_micros(amount)
    assert info.value.field == "amount"


@pytest.mark.parametrize("amount", [D("NaN"), D("Infinity"), D("-Infinity")])
def test_to_micros_rejects_non_finite(amount: Decimal) -> None:
    with pytest.raises(KeitoError):
        to_micros(amount, field="unit_price")


def test_from_micros_has_six_places() -> None:
    assert str(from_micros(1_500_000)) == "1.500000"
    assert str(from_micros(3)) == "0.000003"
    assert str(from_micros(-1)) == "-0.000001"


# --- parse_money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("150", D("150")),
        ("150.00", D("150.00")),
        ("0.003", D("0.003")),
        ("1,234.56", D("1234.56")),
        ("1,234,567.891", D("1234567.891")),
        ("12,345", D("12345")),
        ("1234.56", D("1234.56")),
        (".5", D("0.5")),
        ("5.", D("5")),
        ("0", D("0")),
        ("+3", D("3")),
        ("  42.10  ", D("42.10")),
        ("0.000001", D("0.000001")),
        ("1000000000000", D("1000000000000")),  # exactly 10**12 is the limit
        (150, D("150")),
        (D("0.003"), D("0.003")),
    ],
)
def test_parse_money(text: str | int | Decimal, expected: Decimal) -> None:
    result = parse_money(text)
    assert result == expected
    assert isinstance(result, Decimal)


def test_parse_money_keeps_written_precision() -> None:
    assert str(parse_money("150.00")) == "150.00"
    assert str(parse_money("1,234.50")) == "1234.50"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,56", D("1234.56")),
        ("1.234.567,8", D("1234567.8")),
        ("1234,56", D("1234.56")),
        (",5", D("0.5")),
        ("150", D("150")),
    ],
)
def test_parse_money_with_swapped_separators(text: str, expected: Decimal) -> None:
    parsed = parse_money(text, decimal_separator=",", thousands_separator=".")
    assert parsed == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1 234,56", D("1234.56")), ("1234,5", D("1234.5"))],
)
def test_parse_money_with_space_grouping(text: str, expected: Decimal) -> None:
    assert parse_money(text, decimal_separator=",", thousands_separator=" ") == expected


def test_parse_money_without_grouping_rejects_separators() -> None:
    assert parse_money("1234.5", thousands_separator="") == D("1234.5")
    with pytest.raises(KeitoError):
        parse_money("1,234.5", thousands_separator="")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "  ",
        "abc",
        "1.2.3",
        "1,23.45",  # bad grouping: a comma decimal typed by mistake
        "1,5",
        "12,34,567",
        ",123",
        "1,234,56",
        "£5",
        "5 USD",
        "1e3",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "0x10",
        "١٢",  # Arabic-Indic digits
        "--5",
        "- ",
        ".",
        "1.0000001",  # seven places
        "1000000000000.01",  # over 10**12
        "99999999999999999999",
    ],
)
def test_parse_money_rejects(text: str) -> None:
    with pytest.raises(KeitoError) as info:
        parse_money(text, allow_negative=True)
    assert info.value.code == "validation_error"
    assert info.value.field == "amount"


@pytest.mark.parametrize(
    "value", [D("NaN"), D("Infinity"), D("sNaN"), D("1E+13"), D("0.0000001"), -1, D("-0.01")]
)
def test_parse_money_rejects_bad_decimals(value: Decimal | int) -> None:
    with pytest.raises(KeitoError):
        parse_money(value, field="rate")


@pytest.mark.parametrize("value", [1.5, True])
def test_parse_money_refuses_floats_and_bools(value: object) -> None:
    with pytest.raises(KeitoError, match="not (float|bool)"):
        parse_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["-5", "-0.01", " - 3", "-1,000"])
def test_parse_money_rejects_negative_by_default(text: str) -> None:
    with pytest.raises(KeitoError, match="negative") as info:
        parse_money(text, field="unit_price")
    assert info.value.field == "unit_price"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("-5", D("-5")), ("-0.01", D("-0.01")), ("-1,000", D("-1000")), ("-0", D("0"))],
)
def test_parse_money_allows_negative_when_asked(text: str, expected: Decimal) -> None:
    assert parse_money(text, allow_negative=True) == expected


def test_negative_zero_becomes_zero() -> None:
    assert str(parse_money("-0.00", allow_negative=True)) == "0.00"
    assert not parse_money(D("-0"), allow_negative=True).is_signed()


def test_parse_money_refuses_equal_separators() -> None:
    with pytest.raises(ValueError):
        parse_money("1", decimal_separator=",", thousands_separator=",")


# --- currencies ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "places"),
    [
        ("USD", 2),
        ("EUR", 2),
        ("GBP", 2),
        ("CHF", 2),
        ("AUD", 2),
        ("CAD", 2),
        ("INR", 2),
        ("HUF", 2),
        ("IDR", 2),
        ("TWD", 2),
        ("JPY", 0),
        ("KRW", 0),
        ("VND", 0),
        ("CLP", 0),
        ("ISK", 0),
        ("UGX", 0),
        ("XOF", 0),
        ("XAF", 0),
        ("PYG", 0),
        ("BHD", 3),
        ("KWD", 3),
        ("OMR", 3),
        ("JOD", 3),
        ("TND", 3),
        ("IQD", 3),
        ("LYD", 3),
        ("usd", 2),
        (" jpy ", 0),
    ],
)
def test_minor_units(code: str, places: int) -> None:
    assert minor_units(code) == places


def test_currency_table_is_broad_and_well_formed() -> None:
    assert len(CURRENCY_EXPONENTS) >= 60
    for code, places in CURRENCY_EXPONENTS.items():
        assert len(code) == 3 and code.isalpha() and code.isupper()
        assert places in (0, 2, 3)
    assert set(CURRENCY_SYMBOLS) <= set(CURRENCY_EXPONENTS)


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("USD", True),
        ("usd", True),
        ("Eur", True),
        ("XYZ", False),
        ("usd1", False),
        ("US", False),
        ("", False),
        ("EURO", False),
        (None, False),
    ],
)
def test_is_currency(code: str, known: bool) -> None:
    assert is_currency(code) is known


@pytest.mark.parametrize(("code", "expected"), [("usd", "USD"), (" gbp ", "GBP"), ("JPY", "JPY")])
def test_validate_currency_upper_cases(code: str, expected: str) -> None:
    assert validate_currency(code) == expected


@pytest.mark.parametrize("code", ["XYZ", "usd1", "", "dollars", "U$D"])
def test_validate_currency_rejects_unknown(code: str) -> None:
    with pytest.raises(KeitoError) as info:
        validate_currency(code)
    assert info.value.code == "validation_error"
    assert info.value.field == "currency"


def test_minor_units_rejects_unknown() -> None:
    with pytest.raises(KeitoError) as info:
        minor_units("XYZ")
    assert info.value.field == "currency"


# --- round_money --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        (D("1.005"), "USD", D("1.01")),  # half-up (half-even would give 1.00)
        (D("1.015"), "USD", D("1.02")),
        (D("1.025"), "USD", D("1.03")),  # half-even would give 1.02
        (D("1.0049999"), "USD", D("1.00")),
        (D("2.5"), "JPY", D("3")),  # half-even would give 2
        (D("3.5"), "JPY", D("4")),
        (D("1234.4999"), "JPY", D("1234")),
        (D("0.0005"), "KWD", D("0.001")),
        (D("1.2345"), "BHD", D("1.235")),
        (D("-1.005"), "USD", D("-1.01")),  # half-up rounds away from zero
        (D("-2.5"), "JPY", D("-3")),
        (D("10"), "USD", D("10.00")),
        (D("0.003"), "EUR", D("0.00")),
    ],
)
def test_round_money(amount: Decimal, currency: str, expected: Decimal) -> None:
    result = round_money(amount, currency)
    assert result == expected
    assert result.as_tuple().exponent == -minor_units(currency)


# --- format_number and format_money -------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "places", "dec", "sep", "expected"),
    [
        (D("1234.5"), 2, ".", ",", "1,234.50"),
        (D("1234.5"), 2, ",", ".", "1.234,50"),
        (D("1234567.891"), 2, ".", ",", "1,234,567.89"),
        (D("1234567.891"), 2, ".", "", "1234567.89"),
        (D("1234567.891"), 2, ",", " ", "1 234 567,89"),
        (D("999"), 2, ".", ",", "999.00"),
        (D("1000"), 0, ".", ",", "1,000"),
        (D("100000"), 0, ".", ",", "100,000"),
        (D("0"), 2, ".", ",", "0.00"),
        (D("-1234.5"), 2, ".", ",", "-1,234.50"),
        (D("-0.001"), 2, ".", ",", "0.00"),  # no negative zero
        (D("0.005"), 2, ".", ",", "0.01"),
        (D("1234.5"), 0, ".", ",", "1,235"),
        (D("1.2345"), 3, ".", ",", "1.235"),
        (D("1E+6"), 2, ".", ",", "1,000,000.00"),
        (D("0.003"), 6, ".", ",", "0.003000"),
    ],
)
def test_format_number(amount: Decimal, places: int, dec: str, sep: str, expected: str) -> None:
    assert format_number(amount, places, dec, sep) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "kwargs", "expected"),
    [
        (D("1234.5"), "GBP", {}, "£1,234.50"),
        (D("1234.5"), "EUR", {"decimal_separator": ",", "thousands_separator": "."}, "€1.234,50"),
        (D("1234.5"), "JPY", {}, "¥1,235"),
        (D("-5"), "GBP", {}, "-£5.00"),
        (D("12"), "CHF", {}, "CHF 12.00"),
        (D("-12"), "CHF", {}, "-CHF 12.00"),
        (D("12"), "USD", {"symbol": False}, "USD 12.00"),
        (D("1.2345"), "KWD", {}, "KWD 1.235"),
        (D("1000000"), "USD", {}, "$1,000,000.00"),
        (D("1.005"), "USD", {}, "$1.01"),
        (D("0.003"), "USD", {}, "$0.00"),
        (D("-0.001"), "USD", {}, "$0.00"),
        (D("5"), "usd", {}, "$5.00"),
        (D("99.99"), "AUD", {}, "A$99.99"),
        (D("1500"), "INR", {}, "₹1,500.00"),
        (D("1500"), "KRW", {}, "₩1,500"),
        (D("1500"), "SEK", {}, "SEK 1,500.00"),
    ],
)
def test_format_money(
    amount: Decimal, currency: str, kwargs: dict[str, object], expected: str
) -> None:
    assert format_money(amount, currency, **kwargs) == expected  # type: ignore[arg-type]


def test_format_money_rejects_unknown_currency() -> None:
    with pytest.raises(KeitoError) as info:
        format_money(D("1"), "XYZ")
    assert info.value.field == "currency"


# --- parse_percent ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", D("20")),
        ("20%", D("20")),
        ("20 %", D("20")),
        ("7.5", D("7.5")),
        ("8.875%", D("8.875")),
        ("0", D("0")),
        ("100", D("100")),
        ("100.000", D("100")),
        (" 12.5% ", D("12.5")),
        (D("17.5"), D("17.5")),
        (15, D("15")),
    ],
)
def test_parse_percent(text: str | Decimal | int, expected: Decimal) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    "text", ["", "%", "abc", "-1", "100.01", "101", "1,000", "20%%", "0.0000001", "NaN", D("200")]
)
def test_parse_percent_rejects(text: str | Decimal) -> None:
    with pytest.raises(KeitoError) as info:
        parse_percent(text, field="tax")
    assert info.value.code == "validation_error"
    assert info.value.field == "tax"


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("1.23", "GBP"), ("1.230000", "GBP"), ("1", "USD"), ("1500", "JPY"), ("1.234", "KWD")],
)
def test_check_minor_unit_takes_whole_minor_units(amount: str, currency: str) -> None:
    assert check_minor_unit(Decimal(amount), currency) == Decimal(amount)


@pytest.mark.parametrize(
    ("amount", "currency", "hint"),
    [("1.234", "GBP", "1.23"), ("0.005", "USD", "0.01"), ("10.5", "JPY", "11"),
     ("1.2345", "KWD", "1.235")],
)
def test_check_minor_unit_refuses_finer_amounts(amount: str, currency: str, hint: str) -> None:
    with pytest.raises(KeitoError) as info:
        check_minor_unit(Decimal(amount), currency, field="total")
    assert (info.value.code, info.value.field) == ("validation_error", "total")
    assert currency in info.value.message
    assert info.value.hint == f"e.g. {hint}"
