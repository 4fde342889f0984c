"""Tests for keito_core.rules.invoices: worked examples, edge cases and the identities."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keito_core.errors import KeitoError
from keito_core.rules.invoices import (
    InvoiceTotals,
    LineInput,
    expense_line,
    invoice_totals,
    line_amount,
    time_line,
    time_quantity,
)
from keito_core.rules.money import minor_units, round_money

D = Decimal


def lines_of(*specs: tuple[str, str] | tuple[str, str, bool, bool]) -> list[LineInput]:
    """LineInputs from (quantity, unit price[, taxed, taxed2]) strings."""
    return [LineInput(D(spec[0]), D(spec[1]), *spec[2:]) for spec in specs]


# --- time quantity -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "hours"),
    [
        (0, "0.00"),
        (1, "0.00"),
        (17, "0.00"),  # 0.00472 h
        (18, "0.01"),  # exactly 0.005 h: half-up, not to even
        (3600, "1.00"),
        (5418, "1.51"),  # exactly 1.505 h
        (5382, "1.50"),  # 1.495 h
        (27_000, "7.50"),
        (36_000_000, "10000.00"),
    ],
)
def test_time_quantity_is_hours_rounded_half_up_to_two_places(seconds: int, hours: str) -> None:
    quantity = time_quantity(seconds)
    assert quantity == D(hours)
    assert str(quantity) == hours


@pytest.mark.parametrize("seconds", [-1, 1.5, True, "60", None])
def test_time_quantity_refuses_what_is_not_whole_non_negative_seconds(seconds: object) -> None:
    with pytest.raises(KeitoError) as info:
        time_quantity(seconds)  # type: ignore[arg-type]
    assert info.value.code == "validation_error" and info.value.field == "duration"


def test_time_line_bills_the_rounded_hours_at_the_captured_rate() -> None:
    assert time_line(5418, D("150.00")) == LineInput(D("1.51"), D("150.00"), True, True)
    assert time_line(60, D("90"), taxed=False, taxed2=False) == LineInput(
        D("0.02"), D("90"), False, False
    )


# --- expense lines -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "units", "unit_price", "quantity", "price"),
    [
        ("136.50", "45.5", "0.003", "45.5", "0.003"),  # unit-based: units at the category price
        ("42.35", None, None, "1", "42.35"),  # standard: quantity 1 at the total
        ("42.35", "7", None, "1", "42.35"),  # units but no unit price
        ("42.35", "7", "0", "1", "42.35"),  # a zero unit price is no unit price
        ("0.14", None, "0.003", "1", "0.14"),  # a unit price but no units
    ],
)
def test_expense_line(total: str, units: str | None, unit_price: str | None, quantity: str,
                      price: str) -> None:
    line = expense_line(D(total), units=None if units is None else D(units),
                        unit_price=None if unit_price is None else D(unit_price))
    assert (line.quantity, line.unit_price) == (D(quantity), D(price))
    assert line.taxed and line.taxed2


def test_expense_line_carries_its_tax_flags() -> None:
    line = expense_line(D("10.00"), taxed=False, taxed2=True)
    assert (line.taxed, line.taxed2) == (False, True)


# --- line amounts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "unit_price", "currency", "amount"),
    [
        ("1.51", "150.00", "GBP", "226.50"),
        ("0.5", "0.01", "USD", "0.01"),  # 0.005: half-up
        ("0.5", "0.05", "USD", "0.03"),  # 0.025: half-up, where half-even gives 0.02
        ("1", "0.004999", "USD", "0.00"),
        ("45.5", "0.003", "USD", "0.14"),  # 0.1365: 45,500 LLM tokens at 0.003 per 1k
        ("2.5", "333", "JPY", "833"),  # 832.5: no minor unit
        ("1.25", "10.005", "KWD", "12.506"),  # 12.50625: three places
        ("1", "0.000001", "USD", "0.00"),
        ("-1", "0.001", "USD", "0.00"),  # never -0.00
        ("1", "-20.00", "EUR", "-20.00"),  # a credit
        ("-0.5", "0.05", "USD", "-0.03"),  # half away from zero
    ],
)
def test_line_amount_rounds_half_up_once_to_the_minor_unit(
    quantity: str, unit_price: str, currency: str, amount: str
) -> None:
    result = line_amount(D(quantity), D(unit_price), currency)
    assert str(result) == amount


@pytest.mark.parametrize(
    ("quantity", "unit_price", "field"),
    [
        ("1", "0.0000001", "unit_price"),
        ("1.0000001", "1", "quantity"),
        ("NaN", "1", "quantity"),
        ("1", "Infinity", "unit_price"),
        ("1000000000001", "1", "quantity"),
        ("1000000", "1000000.01", "amount"),
    ],
)
def test_line_amount_refuses_unstorable_values(quantity: str, unit_price: str,
                                               field: str) -> None:
    with pytest.raises(KeitoError) as info:
        line_amount(D(quantity), D(unit_price), "USD")
    assert info.value.code == "validation_error" and info.value.field == field


def test_line_amount_refuses_floats_and_unknown_currencies() -> None:
    with pytest.raises(KeitoError, match="must be a Decimal") as info:
        line_amount(D(1), 0.1, "USD")  # type: ignore[arg-type]
    assert info.value.field == "unit_price"
    with pytest.raises(KeitoError, match="unknown currency") as info:
        line_amount(D(1), D(1), "XXX")
    assert info.value.field == "currency"


# --- invoice totals: worked examples -------------------------------------------------------

EXAMPLES = {
    # Harvest's documented example: 300.00 of lines, 10% discount, taxes 5% and 2%.
    "harvest": (
        lines_of(("2", "100.00"), ("1", "100.00")), "USD", "10", "5", "2", [],
        ("300.00", "30.00", "13.50", "5.40", "288.90", "288.90"),
    ),
    # Quebec: GST 5% and QST 9.975%, each on the same base, never compounded (13.965 -> 13.97).
    "gst_qst": (
        lines_of(("1", "140.00")), "CAD", None, "5", "9.975", [],
        ("140.00", "0.00", "7.00", "13.97", "160.97", "160.97"),
    ),
    # JPY has no minor unit: 832.50 -> 833; 8% of it 66.64 -> 67.
    "jpy": (
        lines_of(("2.5", "333"), ("1", "1000")), "JPY", None, "8", None, [],
        ("1833", "0", "147", "0", "1980", "1980"),
    ),
    # KWD has three: 12.50625 -> 12.506; 5% of it 0.6253 -> 0.625.
    "kwd": (
        lines_of(("1.25", "10.005")), "KWD", None, "5", None, [],
        ("12.506", "0.000", "0.625", "0.000", "13.131", "13.131"),
    ),
    # Half-up at the end: 5% of 0.10 is exactly 0.005.
    "tax_half_up": (
        lines_of(("1", "0.10")), "USD", None, "5", None, [],
        ("0.10", "0.00", "0.01", "0.00", "0.11", "0.11"),
    ),
    # Lines round one by one: three lines of 0.333 are 0.99, not 1.00.
    "lines_round_first": (
        lines_of(("1", "0.333"), ("1", "0.333"), ("1", "0.333")), "USD", None, None, None, [],
        ("0.99", "0.00", "0.00", "0.00", "0.99", "0.99"),
    ),
    # Each tax counts only its own lines.
    "taxed_vs_untaxed": (
        lines_of(("1", "100.00", True, False), ("1", "50.00", False, True),
                 ("1", "25.00", False, False)), "GBP", None, "10", "20", [],
        ("175.00", "0.00", "10.00", "10.00", "195.00", "195.00"),
    ),
    # The tax base is the taxed lines x (1 - discount %), exact: 100.25 x 0.9 x 20% = 18.045
    # -> 18.05, where (100.25 - 10.03) x 20% would give 18.04.
    "discount_then_tax_exact": (
        lines_of(("1", "100.25")), "GBP", "10", "20", None, [],
        ("100.25", "10.03", "18.05", "0.00", "108.27", "108.27"),
    ),
    # Discount and two taxes over partly taxed lines: 900.00 + 45.80 + 59.97; the discount
    # 125.72125 -> 125.72; 19% of 945.80 x 0.875 = 157.23925 -> 157.24; 7% of 900.00 x 0.875
    # = 55.125 -> 55.13.
    "discount_two_taxes": (
        lines_of(("7.5", "120.00", True, True), ("1", "45.80", True, False),
                 ("3", "19.99", False, False)), "EUR", "12.5", "19", "7", [],
        ("1005.77", "125.72", "157.24", "55.13", "1092.42", "1092.42"),
    ),
    # A credit line lowers the subtotal and the taxed base.
    "credit": (
        lines_of(("1", "100.00"), ("1", "-20.00")), "GBP", None, "20", None, [],
        ("80.00", "0.00", "16.00", "0.00", "96.00", "96.00"),
    ),
    "payments_partial": (
        lines_of(("1", "1000.00")), "GBP", None, "20", None, [D("500.00"), D("200")],
        ("1000.00", "0.00", "200.00", "0.00", "1200.00", "500.00"),
    ),
    "payments_full": (
        lines_of(("1", "1000.00")), "GBP", None, "20", None, [D("1200.00")],
        ("1000.00", "0.00", "200.00", "0.00", "1200.00", "0.00"),
    ),
    "payments_over": (
        lines_of(("1", "1000.00")), "GBP", None, "20", None, [D("1300.00")],
        ("1000.00", "0.00", "200.00", "0.00", "1200.00", "-100.00"),
    ),
    # 45,500 tokens at 0.003 per thousand beside two hours of work.
    "llm_units": (
        [expense_line(D("0.14"), units=D("45.5"), unit_price=D("0.003")),
         time_line(7200, D("80.00"))], "USD", None, None, None, [],
        ("160.14", "0.00", "0.00", "0.00", "160.14", "160.14"),
    ),
    # docs/invoicing.md's mixed invoice: 1.51 h at 150.00 taxed 8%, LLM tokens untaxed.
    "docs_mixed": (
        [time_line(5418, D("150.00")),
         expense_line(D("0.14"), units=D("45.5"), unit_price=D("0.003"), taxed=False)],
        "USD", None, "8", None, [],
        ("226.64", "0.00", "18.12", "0.00", "244.76", "244.76"),
    ),
    "full_discount": (
        lines_of(("1", "99.99")), "USD", "100", "20", "5", [],
        ("99.99", "99.99", "0.00", "0.00", "0.00", "0.00"),
    ),
    "empty": (
        [], "USD", "10", "20", None, [],
        ("0.00", "0.00", "0.00", "0.00", "0.00", "0.00"),
    ),
}


@pytest.mark.parametrize(
    ("lines", "currency", "discount", "tax", "tax2", "payments", "expected"),
    list(EXAMPLES.values()),
    ids=list(EXAMPLES),
)
def test_worked_examples(
    lines: list[LineInput], currency: str, discount: str | None, tax: str | None,
    tax2: str | None, payments: list[Decimal], expected: tuple[str, ...],
) -> None:
    totals = invoice_totals(
        lines, currency=currency, discount=None if discount is None else D(discount),
        tax=None if tax is None else D(tax), tax2=None if tax2 is None else D(tax2),
        payments=payments,
    )
    figures = (totals.subtotal, totals.discount_amount, totals.tax_amount, totals.tax2_amount,
               totals.amount, totals.due_amount)
    assert tuple(str(figure) for figure in figures) == expected
    assert totals.line_amounts == tuple(
        line_amount(line.quantity, line.unit_price, currency) for line in lines
    )


def test_the_totals_carry_the_api_names_the_percentages_and_the_currency() -> None:
    totals = invoice_totals(lines_of(("1", "300.00")), currency="usd", discount=D("10"),
                            tax=D("5"), tax2=D("2"))
    assert totals == InvoiceTotals(
        currency="USD", line_amounts=(D("300.00"),), subtotal=D("300.00"), discount=D("10"),
        discount_amount=D("30.00"), tax=D("5"), tax_amount=D("13.50"), tax2=D("2"),
        tax2_amount=D("5.40"), amount=D("288.90"), due_amount=D("288.90"),
    )
    assert invoice_totals([], currency="GBP").discount == invoice_totals(
        [], currency="GBP", discount=D(0)).discount == 0


# --- invoice totals: refusals --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"discount": D("-1")}, "discount", "between 0 and 100"),
        ({"discount": D("100.01")}, "discount", "between 0 and 100"),
        ({"tax": D("-0.5")}, "tax", "between 0 and 100"),
        ({"tax": D("101")}, "tax", "between 0 and 100"),
        ({"tax2": D("-5")}, "tax2", "between 0 and 100"),
        ({"tax2": D("7.0000001")}, "tax2", "6 decimal places"),
        ({"tax": D("NaN")}, "tax", "finite"),
        ({"currency": "EURO"}, "currency", "unknown currency"),
        ({"payments": [D("-1.00")]}, "payments", "cannot be negative"),
        ({"payments": [D("10.005")]}, "payments", "more than 2 decimal places"),
    ],
)
def test_invoice_totals_refuses_bad_terms(kwargs: dict[str, object], field: str,
                                          message: str) -> None:
    arguments: dict[str, object] = {"currency": "USD", **kwargs}
    with pytest.raises(KeitoError, match=message) as info:
        invoice_totals(lines_of(("1", "10.00")), **arguments)  # type: ignore[arg-type]
    assert info.value.code == "validation_error" and info.value.field == field


def test_invoice_totals_names_the_line_at_fault() -> None:
    lines = lines_of(("1", "10.00"), ("2", "0.0000001"))
    with pytest.raises(KeitoError, match=r"^line 2: unit_price has more than 6 decimal") as info:
        invoice_totals(lines, currency="USD")
    assert info.value.field == "unit_price"


def test_invoice_totals_refuses_a_subtotal_too_large_to_store() -> None:
    lines = lines_of(("1", "999999999999"), ("1", "999999999999"))
    with pytest.raises(KeitoError, match="too large") as info:
        invoice_totals(lines, currency="USD")
    assert info.value.field == "subtotal"


# --- the identities, for any invoice -------------------------------------------------------

CURRENCIES = ("USD", "JPY", "KWD", "GBP")


def decimals(low: str, high: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(low), max_value=D(high), places=places)


lines_strategy = st.lists(
    st.builds(LineInput, decimals("-50", "2000", 2), decimals("-100", "5000", 6),
              st.booleans(), st.booleans()),
    max_size=12,
)
percents = st.none() | decimals("0", "100", 3)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, currency=st.sampled_from(CURRENCIES), discount=percents,
       tax=percents, tax2=percents,
       paid=st.lists(st.integers(min_value=0, max_value=10**8), max_size=3))
def test_totals_add_up_and_every_line_multiplies_out(
    lines: list[LineInput], currency: str, discount: Decimal | None, tax: Decimal | None,
    tax2: Decimal | None, paid: list[int],
) -> None:
    places = minor_units(currency)
    payments = [D(cents).scaleb(-places) for cents in paid]
    totals = invoice_totals(lines, currency=currency, discount=discount, tax=tax, tax2=tax2,
                            payments=payments)
    half_unit = D(5).scaleb(-places - 1)
    for line, amount in zip(lines, totals.line_amounts, strict=True):
        exact = line.quantity * line.unit_price
        assert amount == round_money(exact, currency)
        assert abs(amount - exact) <= half_unit
    assert totals.subtotal == sum(totals.line_amounts, D(0))
    assert totals.amount == (totals.subtotal - totals.discount_amount + totals.tax_amount
                             + totals.tax2_amount)
    assert totals.due_amount == totals.amount - sum(payments, D(0))
    d = (discount or 0) / D(100)
    assert abs(totals.discount_amount - totals.subtotal * d) <= half_unit
    for flag, percent, figure in (("taxed", tax, totals.tax_amount),
                                  ("taxed2", tax2, totals.tax2_amount)):
        base = sum((a for line, a in zip(lines, totals.line_amounts, strict=True)
                    if getattr(line, flag)), D(0))
        assert abs(figure - base * (1 - d) * (percent or 0) / 100) <= half_unit
    for figure in (*totals.line_amounts, totals.subtotal, totals.discount_amount,
                   totals.tax_amount, totals.tax2_amount, totals.amount, totals.due_amount):
        assert figure.as_tuple().exponent == -places
        assert not (figure == 0 and figure.is_signed())
