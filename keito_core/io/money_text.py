"""How an invoice document writes its numbers and dates, in the workspace's own style.

Money is `rules.money.format_money` (the currency's symbol or code, its minor unit, the
workspace's decimal and thousands separators); this module only chooses the places for what
is not money: a unit price keeps every decimal it has (0.003 per 1k tokens stays 0.003, up to
6) but never fewer than the currency's minor unit, and a quantity prints as stored, with at
least 2 decimals (hours are stored to 2).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from keito_core.io.invoice_document import InvoiceDocument
from keito_core.rules.money import CURRENCY_SYMBOLS, format_money, format_number, minor_units

#: The most decimals a stored quantity, unit price or percentage has.
MAX_PLACES = 6
#: The fewest decimals a quantity prints with (hours are stored to 2).
QUANTITY_PLACES = 2


def decimal_places(value: Decimal) -> int:
    """How many decimals `value` needs to print exactly (1.50 -> 1, 2 -> 0, 0.003 -> 3)."""
    exponent = Decimal(value).normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


@dataclass(frozen=True, slots=True)
class DocumentText:
    """Formats one invoice's money, prices, quantities, percentages and dates."""

    currency: str
    decimal_separator: str = "."
    thousands_separator: str = ","
    date_format: str = "%Y-%m-%d"
    #: Print the currency's symbol (₹1,234.50); False prints its code (INR 1,234.50).
    symbol: bool = True

    @classmethod
    def of(cls, doc: InvoiceDocument, *, symbol: bool = True) -> DocumentText:
        """The formats `doc` asks for: its currency and the workspace's separators and dates."""
        return cls(doc.currency, doc.decimal_separator, doc.thousands_separator,
                   doc.date_format, symbol)

    @property
    def currency_symbol(self) -> str | None:
        """The symbol money prints with, or None when it prints the currency's code."""
        return CURRENCY_SYMBOLS.get(self.currency.upper()) if self.symbol else None

    def money(self, amount: Decimal) -> str:
        """`₹1,234.50`, `-€5,00`, `¥1,235`, `CHF 12.00`: an amount with its currency."""
        return format_money(amount, self.currency, decimal_separator=self.decimal_separator,
                            thousands_separator=self.thousands_separator, symbol=self.symbol)

    def amount(self, amount: Decimal) -> str:
        """`1,234.50`: an amount in the table, to the currency's minor unit, without currency."""
        return self._number(amount, minor_units(self.currency))

    def unit_price(self, price: Decimal) -> str:
        """`150.00`, `0.003`: every decimal the price has, at least the currency's minor unit."""
        places = max(minor_units(self.currency), min(decimal_places(price), MAX_PLACES))
        return self._number(price, places)

    def quantity(self, quantity: Decimal) -> str:
        """`1.50`, `45.125`, `1.00`: the quantity as stored, with at least 2 decimals."""
        return self._number(quantity, max(QUANTITY_PLACES, min(decimal_places(quantity),
                                                               MAX_PLACES)))

    def percent(self, percent: Decimal) -> str:
        """`10%`, `9.975%`, `7,5%`: a percentage with the decimals it has."""
        return f"{self._number(percent, min(decimal_places(percent), MAX_PLACES))}%"

    def date(self, day: dt.date) -> str:
        """`day` in the workspace's date format."""
        return day.strftime(self.date_format)

    def period(self, start: dt.date, end: dt.date) -> str:
        """`2026-11-01 – 2026-11-30`: a billing period, both ends included."""
        return f"{self.date(start)} \N{EN DASH} {self.date(end)}"

    def _number(self, value: Decimal, places: int) -> str:
        return format_number(value, places, self.decimal_separator, self.thousands_separator)
