"""Invoice arithmetic: line amounts, discount, two taxes and the amount due, exact in Decimal.

The rule, in the order it applies (docs/invoicing.md has a worked example):

- A time line's quantity is its entries' seconds summed, in hours, rounded half-up to 2
  decimals; its unit price is the billable rate captured on the entries. A unit-based expense
  line is its units at the category's unit price (up to 6 decimals); any other expense line is
  quantity 1 at the expense's total.
- Every line's amount is quantity x unit price rounded half-up to the currency's minor unit,
  so a printed line always multiplies out.
- subtotal is the sum of the line amounts; discount_amount is subtotal x discount %;
  tax_amount is (the amounts of the lines with `taxed`) x (1 - discount %) x tax %, and
  tax2_amount the same over the lines with `taxed2`, never compounded. Each is rounded
  half-up once, at the end.
- amount = subtotal - discount_amount + tax_amount + tax2_amount; due_amount = amount minus
  the payments.

All figures are in the one invoice currency: amounts in different currencies are never added.
A line may be negative (a credit); percentages run from 0 to 100.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal

from keito_core.errors import KeitoError, validation
from keito_core.rules.money import (
    MAX_AMOUNT,
    minor_units,
    round_money,
    to_micros,
    validate_currency,
)

_HOUR = Decimal(3600)
_HUNDREDTH = Decimal("0.01")
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
#: Enough digits that no product or sum of in-range amounts is ever rounded before the end.
_EXACT = Context(prec=80)


@dataclass(frozen=True, slots=True)
class LineInput:
    """One invoice line as the rule sees it: quantity x unit price, and the taxes it bears."""

    quantity: Decimal
    unit_price: Decimal
    taxed: bool = True
    taxed2: bool = True


@dataclass(frozen=True, slots=True)
class InvoiceTotals:
    """An invoice's computed figures, named as in the Keito API v2 `Invoice` schema."""

    currency: str
    line_amounts: tuple[Decimal, ...]
    subtotal: Decimal
    discount: Decimal
    discount_amount: Decimal
    tax: Decimal
    tax_amount: Decimal
    tax2: Decimal
    tax2_amount: Decimal
    amount: Decimal
    due_amount: Decimal


def time_quantity(seconds: int) -> Decimal:
    """Hours billed for `seconds` of work: rounded half-up to 2 decimals (5,418 s -> 1.51)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise validation(f"duration must be whole seconds, not {seconds!r}", field="duration")
    if seconds < 0:
        raise validation("duration cannot be negative", field="duration")
    return _EXACT.divide(Decimal(seconds), _HOUR).quantize(_HUNDREDTH, ROUND_HALF_UP, _EXACT)


def time_line(seconds: int, rate: Decimal, *, taxed: bool = True,
              taxed2: bool = True) -> LineInput:
    """The line for `seconds` of time billed at the captured hourly `rate`."""
    return LineInput(time_quantity(seconds), rate, taxed, taxed2)


def expense_line(total: Decimal, *, units: Decimal | None = None,
                 unit_price: Decimal | None = None, taxed: bool = True,
                 taxed2: bool = True) -> LineInput:
    """Units at the category's unit price when it has one, else quantity 1 at `total`."""
    if units is not None and unit_price:
        return LineInput(units, unit_price, taxed, taxed2)
    return LineInput(_ONE, total, taxed, taxed2)


def _check_value(value: Decimal, field: str) -> None:
    """Raise unless `value` is a finite Decimal in range with at most 6 decimal places."""
    if not isinstance(value, Decimal):
        raise validation(f"{field} must be a Decimal, not {type(value).__name__}", field=field)
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int):
        raise validation(f"{field} must be a finite number: {value}", field=field)
    if exponent < -6:
        to_micros(value, field=field)
    if abs(value) > MAX_AMOUNT:
        raise validation(f"{field} is too large: {value}", field=field)


def _amount(value: Decimal, currency: str, field: str) -> Decimal:
    """`value` rounded half-up to the currency's minor unit, in range, never `-0`."""
    rounded = round_money(value, currency)
    if abs(rounded) > MAX_AMOUNT:
        raise validation(f"{field} is too large: {rounded}", field=field)
    return rounded if rounded else abs(rounded)


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """quantity x unit price, rounded half-up once to the currency's minor unit."""
    _check_value(quantity, "quantity")
    _check_value(unit_price, "unit_price")
    return _amount(_EXACT.multiply(quantity, unit_price), currency, "amount")


def _percent(value: Decimal | None, field: str) -> Decimal:
    """A percentage from 0 to 100 with at most 6 decimals; None means none (0)."""
    if value is None:
        return Decimal(0)
    _check_value(value, field)
    if not 0 <= value <= 100:
        raise validation(f"{field} must be between 0 and 100 percent: {value}", field=field)
    return value


def _payments(payments: Iterable[Decimal], places: int) -> Decimal:
    """The sum of `payments`, none negative, each in whole minor units of the currency."""
    paid = Decimal(0)
    for payment in payments:
        _check_value(payment, "payments")
        if payment < 0:
            raise validation(f"a payment cannot be negative: {payment}", field="payments")
        if payment != payment.quantize(Decimal(1).scaleb(-places), context=_EXACT):
            raise validation(f"a payment has more than {places} decimal places: {payment}",
                             field="payments")
        paid = _EXACT.add(paid, payment)
    return paid


def invoice_totals(lines: Sequence[LineInput], *, currency: str, discount: Decimal | None = None,
                   tax: Decimal | None = None, tax2: Decimal | None = None,
                   payments: Iterable[Decimal] = ()) -> InvoiceTotals:
    """Every line's amount and the invoice's totals in `currency` (see the module docstring)."""
    code = validate_currency(currency)
    places = minor_units(code)
    discount_pct, tax_pct, tax2_pct = (_percent(discount, "discount"), _percent(tax, "tax"),
                                       _percent(tax2, "tax2"))
    amounts: list[Decimal] = []
    subtotal = taxed_sum = taxed2_sum = Decimal(0).scaleb(-places)
    for number, line in enumerate(lines, start=1):
        try:
            amount = line_amount(line.quantity, line.unit_price, code)
        except KeitoError as error:
            raise validation(f"line {number}: {error.message}", field=error.field) from None
        amounts.append(amount)
        subtotal = _EXACT.add(subtotal, amount)
        if line.taxed:
            taxed_sum = _EXACT.add(taxed_sum, amount)
        if line.taxed2:
            taxed2_sum = _EXACT.add(taxed2_sum, amount)
    if abs(subtotal) > MAX_AMOUNT:
        raise validation(f"the invoice subtotal is too large: {subtotal}", field="subtotal")
    kept = _EXACT.subtract(_ONE, _EXACT.divide(discount_pct, _HUNDRED))
    discount_amount = _amount(_EXACT.divide(_EXACT.multiply(subtotal, discount_pct), _HUNDRED),
                              code, "discount_amount")
    tax_amount = _taxed(taxed_sum, kept, tax_pct, code, "tax_amount")
    tax2_amount = _taxed(taxed2_sum, kept, tax2_pct, code, "tax2_amount")
    total = _EXACT.add(_EXACT.subtract(subtotal, discount_amount),
                       _EXACT.add(tax_amount, tax2_amount))
    if abs(total) > MAX_AMOUNT:
        raise validation(f"the invoice amount is too large: {total}", field="amount")
    return InvoiceTotals(
        currency=code, line_amounts=tuple(amounts), subtotal=subtotal, discount=discount_pct,
        discount_amount=discount_amount, tax=tax_pct, tax_amount=tax_amount, tax2=tax2_pct,
        tax2_amount=tax2_amount, amount=total,
        due_amount=round_money(_EXACT.subtract(total, _payments(payments, places)), code))


def _taxed(base: Decimal, kept: Decimal, percent: Decimal, currency: str, field: str) -> Decimal:
    """One tax: `base` after the discount (`kept` is 1 - discount %) at `percent`, rounded once."""
    exact = _EXACT.divide(_EXACT.multiply(_EXACT.multiply(base, kept), percent), _HUNDRED)
    return _amount(exact, currency, field)


def explain_totals(lines: Sequence[LineInput], *, labels: Sequence[str], currency: str,
                   discount: Decimal | None = None, tax: Decimal | None = None,
                   tax2: Decimal | None = None, tax_label: str = "Tax",
                   tax2_label: str = "Tax 2", payments: Sequence[Decimal] = ()) -> list[str]:
    """The steps of `invoice_totals`, one line of text each, with the exact value before
    every rounding, so a reader can check an invoice by hand."""
    totals = invoice_totals(lines, currency=currency, discount=discount, tax=tax, tax2=tax2,
                            payments=payments)
    places = minor_units(totals.currency)
    steps = []
    for number, (line, label, amount) in enumerate(
            zip(lines, labels, totals.line_amounts, strict=True), start=1):
        exact = _EXACT.multiply(line.quantity, line.unit_price)
        taxes = ", ".join(name for name, on in ((tax_label, line.taxed),
                                                (tax2_label, line.taxed2)) if on) or "no tax"
        steps.append(f"line {number} {label}: {line.quantity} x {line.unit_price} = {exact}"
                     f" -> {amount} ({taxes})")
    steps.append(f"subtotal = sum of the {len(lines)} line amounts = {totals.subtotal}")
    kept = _EXACT.subtract(_ONE, _EXACT.divide(totals.discount, _HUNDRED))
    discount_exact = _EXACT.divide(_EXACT.multiply(totals.subtotal, totals.discount), _HUNDRED)
    steps.append(f"discount = {totals.subtotal} x {totals.discount} % = {discount_exact}"
                 f" -> {totals.discount_amount}")
    for name, flag, pct, amount in ((tax_label, "taxed", totals.tax, totals.tax_amount),
                                    (tax2_label, "taxed2", totals.tax2, totals.tax2_amount)):
        base = sum((a for a, line in zip(totals.line_amounts, lines, strict=True)
                    if getattr(line, flag)), Decimal(0).scaleb(-places))
        exact = _EXACT.divide(_EXACT.multiply(_EXACT.multiply(base, kept), pct), _HUNDRED)
        steps.append(f"{name} = {base} ({flag} lines) x (1 - {totals.discount} %) x {pct} % = "
                     f"{exact} -> {amount}")
    steps.append(f"amount = {totals.subtotal} - {totals.discount_amount} + {totals.tax_amount}"
                 f" + {totals.tax2_amount} = {totals.amount} {totals.currency}")
    paid = sum(payments, Decimal(0).scaleb(-places))
    steps.append(f"due = {totals.amount} - payments {paid} = {totals.due_amount}"
                 f" {totals.currency}")
    return steps
