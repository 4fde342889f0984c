"""How invoice documents write money, prices, quantities, percentages and dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from keito_core.io.money_text import DocumentText, decimal_places


@pytest.mark.parametrize("value, places", [("1.50", 1), ("2", 0), ("0.003", 3), ("10.000000", 0),
                                           ("1E+2", 0), ("0.000001", 6)])
def test_decimal_places(value: str, places: int) -> None:
    assert decimal_places(Decimal(value)) == places


@pytest.mark.parametrize("currency, price, printed", [
    ("USD", "150", "150.00"),            # at least the minor unit
    ("USD", "0.003", "0.003"),           # every decimal it has
    ("USD", "0.123456", "0.123456"),     # up to 6
    ("JPY", "1500", "1,500"),
    ("JPY", "0.5", "0.5"),
    ("KWD", "12.5", "12.500"),
])
def test_unit_prices_keep_their_decimals(currency: str, price: str, printed: str) -> None:
    assert DocumentText(currency).unit_price(Decimal(price)) == printed


@pytest.mark.parametrize("quantity, printed", [("1.5", "1.50"), ("1", "1.00"), ("45.125", "45.125"),
                                               ("1234.25", "1,234.25"), ("-2", "-2.00")])
def test_quantities_print_as_stored_with_two_decimals_at_least(quantity: str,
                                                                printed: str) -> None:
    assert DocumentText("USD").quantity(Decimal(quantity)) == printed


def test_money_and_amounts_use_the_workspace_separators_and_the_currency() -> None:
    euro = DocumentText("EUR", ",", ".", "%d.%m.%Y")
    assert euro.money(Decimal("1234.5")) == "€1.234,50"
    assert euro.money(Decimal("-5")) == "-€5,00"
    assert euro.amount(Decimal("1234.5")) == "1.234,50"
    assert euro.percent(Decimal("7.5")) == "7,5%"
    assert euro.date(date(2026, 12, 1)) == "01.12.2026"
    assert euro.period(date(2026, 11, 1), date(2026, 11, 30)) == "01.11.2026 – 30.11.2026"
    assert DocumentText("INR").money(Decimal("100000")) == "₹100,000.00"
    assert DocumentText("KRW").money(Decimal("1500000")) == "₩1,500,000"
    assert DocumentText("KWD").money(Decimal("1.2345")) == "KWD 1.235"
    assert DocumentText("CHF", thousands_separator="'").money(Decimal("1234")) == "CHF 1'234.00"
    assert DocumentText("PHP", symbol=False).money(Decimal("10")) == "PHP 10.00"
    assert DocumentText("PHP", symbol=False).currency_symbol is None
    assert DocumentText("USD").percent(Decimal("10.000")) == "10%"
    assert DocumentText("USD").percent(Decimal("9.975")) == "9.975%"
