"""Xero's request bodies, the rounding correction, and Xero's dates, numbers and errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal as D
from itertools import product

import pytest

from keito_core.enums import LineKind
from keito_core.errors import KeitoError
from keito_core.rules.invoices import LineInput, invoice_totals
from keito_core.sync.documents import ClientDoc, InvoiceDoc, LineDoc, PaymentDoc
from keito_core.sync.xero_payloads import (
    XeroFigures,
    apportion,
    body_fingerprint,
    combo_description,
    combo_rate,
    combos_used,
    contact_element,
    describe_error,
    figure_differences,
    figures_of,
    invoice_element,
    is_payment_of,
    line_combo,
    matching_contact,
    parse_date,
    parse_datetime,
    parse_number,
    payment_element,
    payment_reference,
    plan_invoice,
    round_cent,
    wire,
    xero_line_tax,
)

CLIENT = ClientDoc(id="cli_acme", name="Acme Ltd", currency="GBP", email="ap@acme.test",
                   first_name="Ada", last_name="Lovelace", phone="+44 20 7946 0000",
                   street="1 High St", city="London", postal_code="EC1A 1AA",
                   country="United Kingdom")
ACCOUNTS = {"service": "200", "product": "260", "expense": "260"}
TAX_TYPES = {"none": "NONE", "tax1": "OUTPUT2", "tax2": "RROUTPUT", "both": "TAX003"}

#: (quantity, unit price, taxed1, taxed2) of each line.
Spec = tuple[str, str, bool, bool]


def make_invoice(lines: Sequence[Spec], *, discount: str | None = None, tax1: str | None = "20",
                 tax2: str | None = None, currency: str = "GBP", number: str = "INV-0001",
                 invoice_id: str = "inv_1", client: ClientDoc = CLIENT,
                 kinds: Sequence[LineKind] | None = None, paid: str = "0",
                 purchase_order: str | None = "PO-7") -> InvoiceDoc:
    """An InvoiceDoc whose figures are Keito's own (rules.invoices.invoice_totals)."""
    inputs = [LineInput(D(q), D(u), t1, t2) for q, u, t1, t2 in lines]
    totals = invoice_totals(inputs, currency=currency,
                            discount=D(discount) if discount else None,
                            tax=D(tax1) if tax1 else None, tax2=D(tax2) if tax2 else None)
    return InvoiceDoc(
        id=invoice_id, number=number, state="open", client=client,
        issue_date=date(2025, 3, 3), due_date=date(2025, 4, 2), currency=currency,
        subject="March work", purchase_order=purchase_order, notes=None,
        discount_percent=D(discount) if discount else None,
        discount_amount=totals.discount_amount,
        tax1_label="VAT" if tax1 else None, tax1_rate=D(tax1) if tax1 else None,
        tax1_amount=totals.tax_amount,
        tax2_label="Levy" if tax2 else None, tax2_rate=D(tax2) if tax2 else None,
        tax2_amount=totals.tax2_amount,
        subtotal=totals.subtotal, total=totals.amount, amount_paid=D(paid),
        lines=tuple(
            LineDoc(id=f"ln_{n}", position=n, kind=(kinds[n] if kinds else LineKind.SERVICE),
                    description=f"Work {n + 1}", quantity=D(q), unit_price=D(u),
                    amount=amount, taxed1=t1, taxed2=t2, project_id=None)
            for n, ((q, u, t1, t2), amount) in enumerate(zip(lines, totals.line_amounts,
                                                             strict=True))),
    )


def naive_xero_tax(doc: InvoiceDoc) -> D:
    """Xero's TotalTax without the correction: every line and discount line taxed on its own."""
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    return sum((ln.xero_tax for ln in plan.lines), D("0.00"))


# -- the worked example -------------------------------------------------------------------------

#: 1.5 h at 47.35 and 0.75 h at 133.33 bear VAT 20 % and a 5 % levy; 1.5 h at 85 VAT only;
#: a 10 % discount.
WORKED = [("1.5", "47.35", True, True), ("0.75", "133.33", True, True),
          ("1.5", "85", True, False)]


def test_worked_example_keito_figures() -> None:
    doc = make_invoice(WORKED, discount="10", tax1="20", tax2="5")
    assert [ln.amount for ln in doc.lines] == [D("71.03"), D("100.00"), D("127.50")]
    assert doc.subtotal == D("298.53")
    assert doc.discount_amount == D("29.85")  # 29.853
    assert doc.tax1_amount == D("53.74")  # 298.53 x 0.9 x 20 % = 53.7354
    assert doc.tax2_amount == D("7.70")  # 171.03 x 0.9 x 5 % = 7.69635
    assert doc.total == D("330.12")


def test_worked_example_xero_alone_is_one_cent_short() -> None:
    """Discount lines: 17.10 on the VAT+levy lines, 12.75 on the VAT-only line. Xero's per-line
    taxes: 17.76 + 25.00 - 4.28 (VAT+levy) and 25.50 - 2.55 (VAT): 61.43, Keito says 61.44."""
    doc = make_invoice(WORKED, discount="10", tax1="20", tax2="5")
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    discounts = [(ln.combo, ln.line_amount, ln.xero_tax) for ln in plan.lines if ln.is_discount]
    assert discounts == [("tax1", D("-12.75"), D("-2.55")), ("both", D("-17.10"), D("-4.28"))]
    assert [ln.xero_tax for ln in plan.lines if not ln.is_discount] == [
        D("17.76"), D("25.00"), D("25.50")]
    assert naive_xero_tax(doc) == D("61.43")
    assert doc.tax1_amount + doc.tax2_amount == D("61.44")


def test_worked_example_corrected_to_the_cent() -> None:
    """Targets: VAT 53.74 splits 22.95 (VAT-only lines) / 30.79 (VAT+levy), the levy's 7.70 all
    on VAT+levy: 38.49 there against Xero's 38.48, so the largest VAT+levy line (100.00) says
    TaxAmount 25.01 and nothing else is touched."""
    doc = make_invoice(WORKED, discount="10", tax1="20", tax2="5")
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    assert [ln.tax_amount for ln in plan.lines] == [None, D("25.01"), None, None, None]
    assert plan.expected == XeroFigures(D("268.68"), D("61.44"), D("330.12"))
    assert plan.computed == plan.expected
    items = invoice_element(doc, plan, contact_id="c-1", status="AUTHORISED")["LineItems"]
    assert items[1] == {"Description": "Work 2", "Quantity": D("0.75"),
                        "UnitAmount": D("133.33"), "AccountCode": "200", "TaxType": "TAX003",
                        "LineAmount": D("100.00"), "TaxAmount": D("25.01")}
    assert "TaxAmount" not in items[0]
    assert items[3]["Description"] == "Discount 10% (lines with VAT 20%)"
    assert items[4]["Description"] == "Discount 10% (lines with VAT 20% + Levy 5%)"
    assert items[4]["TaxType"] == "TAX003" and items[3]["TaxType"] == "OUTPUT2"


def xero_totals(element: dict, rates: dict[str, D]) -> XeroFigures:
    """Xero's own arithmetic on a request element: line amounts, per-line tax rounded."""
    sub = tax = D("0.00")
    for item in element["LineItems"]:
        amount = round_cent(item["Quantity"] * item["UnitAmount"])
        assert amount == item["LineAmount"]
        sub += amount
        tax += item.get("TaxAmount", xero_line_tax(amount, rates[item["TaxType"]]))
    return XeroFigures(sub, tax, sub + tax)


RATES = {"NONE": D(0), "OUTPUT2": D(20), "RROUTPUT": D(5), "TAX003": D(25)}


# -- exhaustive-ish: every small invoice agrees with Keito ---------------------------------------

QUANTITIES = ["1.5", "0.75", "2.17", "3", "1.33"]
PRICES = ["47.35", "133.33", "85", "92.5", "0.125"]


@pytest.mark.parametrize("discount", [None, "10", "12.5", "33.333333"])
@pytest.mark.parametrize("taxes", [(None, None), ("20", None), ("20", "5"), (None, "5")])
def test_every_combination_matches_keito(discount: str | None,
                                         taxes: tuple[str | None, str | None]) -> None:
    flags: list[tuple[bool, bool]] = [(True, True), (True, False), (False, True),
                                      (False, False)]
    checked = 0
    for n, (q, u) in enumerate(product(QUANTITIES, PRICES)):
        second = (QUANTITIES[(n * 3) % 5], PRICES[(n * 7) % 5])
        third = (QUANTITIES[(n * 2) % 5], PRICES[(n + 2) % 5])
        lines: list[Spec] = [(q, u, *flags[n % 4]), (*second, *flags[(n + 1) % 4]),
                             (*third, *flags[(n + 3) % 4])]
        doc = make_invoice(lines, discount=discount, tax1=taxes[0], tax2=taxes[1])
        plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200",
                            tax_types=TAX_TYPES)
        element = invoice_element(doc, plan, contact_id="c", status=None)
        rates = {**RATES, "TAX003": combo_rate(doc, "both")}
        assert xero_totals(element, rates) == plan.expected, lines
        assert sum(-ln.line_amount for ln in plan.lines if ln.is_discount) == \
            doc.discount_amount
        corrections = [ln.tax_amount - ln.xero_tax for ln in plan.lines
                       if ln.tax_amount is not None]
        assert all(abs(c) <= D("0.02") for c in corrections)
        checked += 1
    assert checked == 25


def test_large_invoice_spreads_cents_over_largest_lines() -> None:
    lines = [("0.33", "33.33", True, True)] * 40 + [("7", "99.99", True, True)]
    doc = make_invoice(lines, discount="7", tax1="17.5", tax2="2.5")
    tax_types = {**TAX_TYPES, "both": "BOTH20"}
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=tax_types)
    element = invoice_element(doc, plan, contact_id="c", status=None)
    assert xero_totals(element, {**RATES, "BOTH20": D(20)}) == plan.expected
    corrected = [i for i, ln in enumerate(plan.lines) if ln.tax_amount is not None]
    assert corrected and corrected[0] == 40  # the 699.93 line first


def test_no_discount_no_tax_sends_lines_as_they_are() -> None:
    doc = make_invoice([("2", "150", False, False), ("1", "20", True, False)], tax1=None)
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    assert [(ln.combo, ln.tax_type, ln.tax_amount) for ln in plan.lines] == [
        ("none", "NONE", None), ("none", "NONE", None)]
    assert plan.expected == XeroFigures(D("320.00"), D("0.00"), D("320.00"))


def test_single_group_discount_line_is_plain() -> None:
    doc = make_invoice([("2", "150", True, False)], discount="10")
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    assert plan.lines[-1].description == "Discount 10%"
    assert plan.lines[-1].line_amount == D("-30.00")


def test_line_xero_cannot_multiply_goes_as_one_at_its_amount() -> None:
    doc = make_invoice([("1234567", "0.000003", True, False), ("1.5", "100", True, False)])
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    first = plan.lines[0]
    assert (first.quantity, first.unit_amount, first.line_amount) == (D(1), D("3.70"),
                                                                      D("3.70"))
    assert first.description == "Work 1 (1234567 x 0.000003)"
    assert (plan.lines[1].quantity, plan.lines[1].unit_amount) == (D("1.5"), D("100"))


def test_jpy_whole_yen_still_equal() -> None:
    doc = make_invoice([("1.5", "3333", True, True), ("0.75", "1111", True, False)],
                       discount="5", tax1="10", tax2="3", currency="JPY")
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200",
                        tax_types={**TAX_TYPES, "tax1": "T10", "both": "T13"})
    element = invoice_element(doc, plan, contact_id="c", status=None)
    assert xero_totals(element, {"T10": D(10), "T13": D(13)}) == plan.expected


def test_kinds_map_to_their_accounts() -> None:
    doc = make_invoice([("1", "10", True, False)] * 3, discount="10",
                       kinds=[LineKind.SERVICE, LineKind.PRODUCT, LineKind.EXPENSE])
    plan = plan_invoice(doc, accounts={"service": "200", "product": "210", "expense": "220"},
                        discount_account="201", tax_types=TAX_TYPES)
    assert [ln.account_code for ln in plan.lines] == ["200", "210", "220", "201"]


def test_inconsistent_document_is_refused() -> None:
    doc = make_invoice([("1", "10", True, False)])
    broken = InvoiceDoc(**{**doc.__dict__, "total": D("12.01")})
    with pytest.raises(KeitoError) as caught:
        plan_invoice(broken, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    assert caught.value.code == "internal_error"


def test_invoice_element_fields() -> None:
    doc = make_invoice([("2", "150", True, False)])
    plan = plan_invoice(doc, accounts=ACCOUNTS, discount_account="200", tax_types=TAX_TYPES)
    element = invoice_element(doc, plan, contact_id="c-1", status="DRAFT")
    assert {k: v for k, v in element.items() if k != "LineItems"} == {
        "Type": "ACCREC", "Contact": {"ContactID": "c-1"}, "InvoiceNumber": "INV-0001",
        "Date": "2025-03-03", "DueDate": "2025-04-02", "CurrencyCode": "GBP",
        "LineAmountTypes": "Exclusive", "Reference": "PO-7", "Status": "DRAFT"}
    no_po = make_invoice([("2", "150", True, False)], purchase_order=None)
    assert "Reference" not in invoice_element(no_po, plan, contact_id="c", status=None)


# -- taxes ------------------------------------------------------------------------------------


def test_combos_and_their_descriptions() -> None:
    doc = make_invoice([("1", "1", True, True), ("1", "1", False, False),
                        ("1", "1", False, True)], tax1="20", tax2="5")
    assert combos_used(doc) == ["none", "tax2", "both"]
    assert combo_description(doc, "tax1") == "tax 1 (VAT 20%)"
    assert combo_description(doc, "both") == \
        "tax 1 and tax 2 on the same line (VAT 20% + Levy 5%)"
    assert combo_rate(doc, "both") == D(25)
    only_one = make_invoice([("1", "1", True, True)], tax1="20", tax2=None)
    assert line_combo(only_one, only_one.lines[0]) == "tax1"


# -- apportioning -------------------------------------------------------------------------------


@pytest.mark.parametrize(("total", "weights", "shares"), [
    ("29.85", ["127.50", "171.03"], ["12.75", "17.10"]),
    ("0.03", ["1", "1", "1"], ["0.01", "0.01", "0.01"]),
    ("0.02", ["1", "1", "1"], ["0.01", "0.01", "0.00"]),
    ("0.01", ["1", "3"], ["0.00", "0.01"]),
    ("10.00", ["0", "0"], ["10.00", "0.00"]),
    ("0.00", ["5", "5"], ["0.00", "0.00"]),
    ("1.00", ["3", "-1"], ["1.50", "-0.50"]),
    ("-1.00", ["1", "1", "1"], ["-0.33", "-0.33", "-0.34"]),
])
def test_apportion(total: str, weights: list[str], shares: list[str]) -> None:
    got = apportion(D(total), [D(w) for w in weights])
    assert got == [D(s) for s in shares]
    assert sum(got, D(0)) == D(total)


def test_apportion_refuses_fractions_of_a_cent() -> None:
    with pytest.raises(ValueError, match="whole number"):
        apportion(D("0.005"), [D(1)])
    with pytest.raises(ValueError):
        apportion(D("1"), [])


# -- wire, numbers, dates -----------------------------------------------------------------------


def test_wire_writes_decimals_exactly() -> None:
    body = wire({"a": D("123.4500"), "b": [D("-0.01"), D("150.000000")], "c": "x"})
    assert json.dumps(body) == '{"a": 123.45, "b": [-0.01, 150], "c": "x"}'
    with pytest.raises(ValueError):
        wire(D("1234567890.1234567890"))


def test_body_fingerprint_is_stable_and_content_sensitive() -> None:
    assert body_fingerprint({"a": D("1.50")}) == body_fingerprint({"a": D("1.5")})
    assert body_fingerprint({"a": 1}) != body_fingerprint({"a": 2})
    assert body_fingerprint(b"pdf") != body_fingerprint(b"pdf", "extra")


@pytest.mark.parametrize(("value", "expected"), [
    (12, D(12)), (D("1.10"), D("1.10")), (0.1, D("0.1")), ("  -3.25 ", D("-3.25")),
])
def test_parse_number(value: object, expected: D) -> None:
    assert parse_number(value) == expected


@pytest.mark.parametrize("value", [None, True, "abc"])
def test_parse_number_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_number(value)


def test_parse_xero_dates() -> None:
    assert parse_datetime("/Date(1573755038314+0000)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert parse_datetime("/Date(1573755038314+1300)/") == datetime(
        2019, 11, 14, 18, 10, 38, 314000, tzinfo=UTC)
    assert parse_datetime("/Date(0)/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_date("/Date(1552262400000+0000)/") == date(2019, 3, 11)
    assert parse_date("2019-03-11T00:00:00") == date(2019, 3, 11)
    assert parse_date("2019-03-11") == date(2019, 3, 11)
    with pytest.raises(ValueError):
        parse_date("/Date(abc)/")


# -- errors -------------------------------------------------------------------------------------


def test_describe_validation_exception() -> None:
    body = {"ErrorNumber": 10, "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": [{"InvoiceNumber": "INV-1", "ValidationErrors": [
                {"Message": "Invoice # must be unique."},
                {"Message": "Account code '999' is not a valid code for this document."}],
                "LineItems": [{"ValidationErrors": [{"Message": "Description cannot be empty"}]}],
            }, {"ValidationErrors": [{"Message": "Invoice # must be unique."}]}]}
    assert describe_error(400, body) == (
        "Xero answered HTTP 400: Invoice # must be unique.; Account code '999' is not a valid "
        "code for this document.; Description cannot be empty")


@pytest.mark.parametrize(("body", "text"), [
    ({"Type": None, "Title": "Unauthorized", "Status": 401, "Detail": "TokenExpired"},
     "Unauthorized: TokenExpired"),
    ({"ErrorNumber": 500, "Type": "UnknownErrorException", "Message": "An error occurred"},
     "An error occurred"),
    ({"Elements": [], "Message": "A validation exception occurred"},
     "A validation exception occurred"),
    ("The resource you're\nlooking for cannot be found", "The resource you're looking for "
     "cannot be found"),
    ("", "no details given"),
    (None, "no details given"),
])
def test_describe_other_bodies(body: object, text: str) -> None:
    assert describe_error(404, body) == f"Xero answered HTTP 404: {text}"


def test_describe_error_is_one_short_line() -> None:
    line = describe_error(500, "x\n" * 1000)
    assert "\n" not in line and len(line) < 450


# -- contacts and payments ------------------------------------------------------------------------


def test_contact_element() -> None:
    assert contact_element(CLIENT) == {
        "Name": "Acme Ltd", "FirstName": "Ada", "LastName": "Lovelace",
        "EmailAddress": "ap@acme.test",
        "Phones": [{"PhoneType": "DEFAULT", "PhoneNumber": "+44 20 7946 0000"}],
        "Addresses": [{"AddressType": "STREET", "AddressLine1": "1 High St", "City": "London",
                       "PostalCode": "EC1A 1AA", "Country": "United Kingdom"}]}
    bare = ClientDoc(id="cli_2", name="  Bare Co ", currency="GBP")
    assert contact_element(bare) == {"Name": "Bare Co"}


def test_matching_contact_by_name_then_email() -> None:
    contacts = [{"ContactID": "1", "Name": "Acme Holdings", "EmailAddress": "AP@acme.test"},
                {"ContactID": "2", "Name": "ACME LTD "},
                {"ContactID": "3", "Name": "Acme Ltd", "ContactStatus": "ARCHIVED"}]
    assert matching_contact(contacts, CLIENT) == contacts[1]
    assert matching_contact(contacts[:1], CLIENT) == contacts[0]
    assert matching_contact(contacts[2:], CLIENT) is None
    no_email = ClientDoc(id="c", name="Other", currency="GBP")
    assert matching_contact(contacts, no_email) is None


def test_payment_element_and_reference() -> None:
    doc = PaymentDoc(id="pay_1", invoice_id="inv_1", amount=D("50.00"),
                     paid_on=date(2025, 3, 10), currency="GBP", transaction_id="ch_ 99")
    assert payment_element(doc, invoice_id="i-1", account_code="090") == {
        "Invoice": {"InvoiceID": "i-1"}, "Account": {"Code": "090"}, "Date": "2025-03-10",
        "Amount": D("50.00"), "Reference": "pay_1 txn ch_ 99"}
    assert is_payment_of({"Reference": "pay_1 txn ch_ 99"}, doc)
    assert is_payment_of({"Reference": "pay_1"}, doc)
    assert not is_payment_of({"Reference": "pay_10"}, doc)
    long = PaymentDoc(id="pay_2", invoice_id="i", amount=D(1), paid_on=date(2025, 1, 1),
                      currency="GBP", transaction_id="x" * 400)
    assert len(payment_reference(long)) == 255
    assert payment_reference(long).startswith("pay_2 txn x")


def test_figures() -> None:
    answer = {"SubTotal": D("268.68"), "TotalTax": D("61.43"), "Total": D("330.11")}
    got = figures_of(answer)
    expected = XeroFigures(D("268.68"), D("61.44"), D("330.12"))
    assert figure_differences(expected, got) == [
        "TotalTax 61.44 in Keito, 61.43 in Xero", "Total 330.12 in Keito, 330.11 in Xero"]
    assert figure_differences(expected, expected) == []
