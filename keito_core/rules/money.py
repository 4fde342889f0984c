"""Exact money: Decimal amounts, micros for storage, ISO 4217 minor units, formatting.

Amounts are Decimal with at most 6 decimal places (stored as integer millionths, "micros",
so SQL sums are exact and a unit price of 0.003 survives). Display and invoice totals round
half-up to the currency's minor unit (JPY 0 places, USD 2, KWD 3).
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from typing import NoReturn

from keito_core.errors import validation

#: Money's stored sub-unit: columns hold integer millionths of the currency unit.
MICROS = 1_000_000
MAX_AMOUNT = Decimal(10) ** 12

#: ISO 4217 minor-unit exponents of the currencies the product knows.
_CODES_BY_EXPONENT: dict[int, str] = {
    2: "AED AFN ALL AMD ARS AUD AZN BAM BDT BGN BRL BWP BYN CAD CHF CNY COP CRC CZK DKK DOP "
    "DZD EGP ETB EUR GBP GEL GHS GTQ HKD HNL HUF IDR ILS INR JMD KES KZT LKR MAD MDL MKD "
    "MMK MNT MUR MXN MYR NGN NOK NPR NZD PEN PHP PKR PLN QAR RON RSD RUB SAR SEK SGD THB "
    "TRY TTD TWD TZS UAH USD UYU UZS ZAR ZMW",
    0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF",
    3: "BHD IQD JOD KWD LYD OMR TND",
}
CURRENCY_EXPONENTS: dict[str, int] = {
    code: exponent for exponent, codes in _CODES_BY_EXPONENT.items() for code in codes.split()
}

#: Prefix symbols for currencies whose symbol is unambiguous; others print their code.
CURRENCY_SYMBOLS: dict[str, str] = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "KRW": "₩",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "MXN": "MX$",
    "BRL": "R$",
    "ZAR": "R",
    "ILS": "₪",
    "NGN": "₦",
    "PHP": "₱",
    "THB": "฿",
    "VND": "₫",
    "UAH": "₴",
    "TRY": "₺",
}

_SIX_PLACES = Decimal("0.000001")


def _reject(message: str, field: str) -> NoReturn:
    """Raise a validation error for `field`."""
    raise validation(message, field=field)


def to_micros(amount: Decimal | int, *, field: str = "amount") -> int:
    """`amount` as an exact integer count of millionths; more than 6 places is an error."""
    value = Decimal(amount)
    if not value.is_finite():
        _reject(f"{field} must be a finite number", field)
    with localcontext() as ctx:
        ctx.prec = 60
        scaled = value.scaleb(6)
        if scaled != scaled.to_integral_value():
            _reject(f"{field} has more than 6 decimal places: {value}", field)
        return int(scaled)


def from_micros(micros: int) -> Decimal:
    """The Decimal amount for an integer count of millionths (always 6 places)."""
    return Decimal(micros).scaleb(-6)


def stored_amount(micros: int) -> Decimal:
    """The Decimal a money column reads back (`1500000` -> `1.5`), by the ORM or plain SQL."""
    return Decimal(int(micros)) / MICROS


def _check_amount(value: Decimal, text: object, field: str, allow_negative: bool) -> Decimal:
    """`value` after the finite, sign, places and size checks."""
    if not value.is_finite():
        _reject(f"{field} must be a number, not {text!r}", field)
    if value < 0 and not allow_negative:
        _reject(f"{field} cannot be negative: {text}", field)
    if abs(value) > MAX_AMOUNT:
        _reject(f"{field} is too large: {text}", field)
    to_micros(value, field=field)
    return value + 0 if value == 0 else value


def parse_money(
    text: str | int | Decimal,
    *,
    field: str = "amount",
    allow_negative: bool = False,
    decimal_separator: str = ".",
    thousands_separator: str = ",",
) -> Decimal:
    """A Decimal amount from user input like `150`, `0.003`, `1,234.56` (or `1.234,56`)."""
    if isinstance(text, bool | float):
        _reject(f"{field} must be a decimal string or Decimal, not {type(text).__name__}", field)
    if isinstance(text, Decimal | int):
        return _check_amount(Decimal(text), text, field, allow_negative)
    if decimal_separator == thousands_separator or len(decimal_separator) != 1:
        raise ValueError("decimal and thousands separators must be different single characters")
    cleaned = text.strip()
    if not cleaned:
        _reject(f"{field} is empty", field)
    sign = ""
    if cleaned[0] in "+-":
        sign, cleaned = ("-" if cleaned[0] == "-" else ""), cleaned[1:].lstrip()
    dec, sep = re.escape(decimal_separator), re.escape(thousands_separator)
    grouped = rf"[0-9]{{1,3}}(?:{sep}[0-9]{{3}})+" if thousands_separator else r"(?!)"
    pattern = rf"^(?:[0-9]+|{grouped})(?:{dec}[0-9]*)?$|^{dec}[0-9]+$"
    if not cleaned.isascii() or not re.match(pattern, cleaned):
        _reject(f"{field} is not a number: {text.strip()!r}", field)
    if thousands_separator:
        cleaned = cleaned.replace(thousands_separator, "")
    normal = sign + cleaned.replace(decimal_separator, ".")
    try:
        value = Decimal(normal)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain numbers
        _reject(f"{field} is not a number: {text.strip()!r}", field)
    return _check_amount(value, text.strip(), field, allow_negative)


def is_currency(code: str) -> bool:
    """Whether `code` is a known ISO 4217 currency code (case-insensitive)."""
    return isinstance(code, str) and code.strip().upper() in CURRENCY_EXPONENTS


def validate_currency(code: str, *, field: str = "currency") -> str:
    """The upper-cased ISO 4217 code, or a validation error for an unknown one."""
    if not is_currency(code):
        raise validation(
            f"unknown currency code: {code!r}", field=field, hint="use an ISO 4217 code like USD"
        )
    return code.strip().upper()


def minor_units(currency: str) -> int:
    """Decimal places of the currency's minor unit (ISO 4217 exponent)."""
    return CURRENCY_EXPONENTS[validate_currency(currency)]


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half-up to the currency's minor unit."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_units(currency)), ROUND_HALF_UP)


def rate_seconds_amount(rate_seconds: int, currency: str) -> Decimal:
    """Money from seconds x a rate in micro-units (one entry's, or a SQL sum of many),
    rounded half-up once to the currency's minor unit, in integers:
    `round_money(rate_seconds / 3600 / 1,000,000, currency)` without a Decimal division."""
    places = CURRENCY_EXPONENTS.get(currency, 2)
    denominator = 3600 * MICROS
    numerator = rate_seconds * 10 ** places
    if numerator >= 0:
        minor = (2 * numerator + denominator) // (2 * denominator)
    else:
        minor = -((-2 * numerator + denominator) // (2 * denominator))
    return Decimal(minor).scaleb(-places)


def check_minor_unit(amount: Decimal, currency: str, *, field: str = "amount") -> Decimal:
    """`amount` if it has no more places than the currency's minor unit (GBP 2, JPY 0), else an
    error: money paid is whole pence (or cents, yen), so 1.234 GBP is a typo, not a price."""
    places = minor_units(currency)
    if Decimal(amount) != round_money(amount, currency):
        unit = "no decimal places" if places == 0 else f"at most {places} decimal places"
        raise validation(f"{field} {amount} has more decimal places than {currency.upper()} "
                         f"has: use {unit}", field=field,
                         hint=f"e.g. {format_number(Decimal(amount), places, '.', '')}")
    return amount


def format_number(
    amount: Decimal,
    places: int,
    decimal_separator: str = ".",
    thousands_separator: str = ",",
) -> str:
    """`amount` rounded half-up to `places` with grouped thousands; never prints `-0`."""
    rounded = Decimal(amount).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        whole, tail = whole[:-3], whole[-3:]
        groups.insert(0, tail)
    text = thousands_separator.join([whole, *groups])
    return f"{sign}{text}{decimal_separator}{fraction}" if places > 0 else f"{sign}{text}"


def format_money(
    amount: Decimal,
    currency: str,
    *,
    decimal_separator: str = ".",
    thousands_separator: str = ",",
    symbol: bool = True,
) -> str:
    """`£1,234.50`, `€1.234,50`, `¥1,235`, `-£5.00`, or `CHF 12.00` for codes without a symbol."""
    code = validate_currency(currency)
    number = format_number(amount, minor_units(code), decimal_separator, thousands_separator)
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    prefix = CURRENCY_SYMBOLS.get(code) if symbol else None
    return f"{sign}{prefix}{digits}" if prefix else f"{sign}{code} {digits}"


def parse_percent(text: str | int | Decimal, *, field: str = "percent") -> Decimal:
    """A percentage from 0 to 100 from `20`, `20%`, `7.5` or `8.875 %`."""
    raw = text.strip().removesuffix("%").rstrip() if isinstance(text, str) else text
    value = parse_money(raw, field=field, thousands_separator="")
    if value > 100:
        _reject(f"{field} must be between 0 and 100: {text}", field)
    return value
