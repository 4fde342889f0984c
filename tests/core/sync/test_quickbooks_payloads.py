"""QuickBooks request bodies and answers (keito_core.sync.quickbooks_payloads), by hand.

The money examples are computed by hand and checked against keito_core.rules.invoices: the
invoice QuickBooks receives must total Keito's figure to the cent.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from keito_core.enums import LineKind
from keito_core.rules import invoices as rules
from keito_core.sync import quickbooks_payloads as qp
from keito_core.sync.documents import ClientDoc, InvoiceDoc, LineDoc, PaymentDoc
from keito_core.sync.provider import PulledPayment

D = Decimal
SETTINGS = {
    "income_account": "1",
    "deposit_account": "3",
    "items": {"service": "1", "product": "2", "expense": "2"},
    "task_items": {"tsk_design": "2"},
    "tax_codes": {"taxed": "TAX", "untaxed": "NON"},
}
CLIENT = ClientDoc(id="cli_1", name="Galaxy Corp", currency="USD", email="ap@galaxy.example",
                   first_name="Ada", last_name="Byron", phone="+1 555 0100",
                   street="1 Main St", city="Springfield", region="IL", postal_code="62701",
                   country="US")


def line(position: int, quantity: str, unit_price: str, *, kind: LineKind = LineKind.SERVICE,
         taxed1: bool = True, taxed2: bool = False, task_id: str | None = None,
         project_id: str | None = "prj_1", description: str | None = None) -> LineDoc:
    amount = rules.line_amount(D(quantity), D(unit_price), "USD")
    return LineDoc(id=f"il_{position}", position=position, kind=kind,
                   description=description or f"Line {position}", quantity=D(quantity),
                   unit_price=D(unit_price), amount=amount, taxed1=taxed1, taxed2=taxed2,
                   project_id=project_id, task_id=task_id)


def invoice(lines: list[LineDoc], *, discount: str | None = None, tax1: str | None = None,
            tax2: str | None = None, number: str = "INV-0001", currency: str = "USD",
            notes: str | None = None) -> InvoiceDoc:
    """An InvoiceDoc whose figures come from Keito's own rule (rules.invoices)."""
    totals = rules.invoice_totals(
        [rules.LineInput(item.quantity, item.unit_price, item.taxed1, item.taxed2)
         for item in lines],
        currency=currency, discount=D(discount) if discount else None,
        tax=D(tax1) if tax1 else None, tax2=D(tax2) if tax2 else None)
    return InvoiceDoc(
        id="inv_1", number=number, state="open", client=CLIENT, issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1), currency=currency, subject=None, purchase_order=None,
        notes=notes, discount_percent=D(discount) if discount else None,
        discount_amount=totals.discount_amount,
        tax1_label="Sales tax" if tax1 else None, tax1_rate=D(tax1) if tax1 else None,
        tax1_amount=totals.tax_amount,
        tax2_label="City tax" if tax2 else None, tax2_rate=D(tax2) if tax2 else None,
        tax2_amount=totals.tax2_amount, subtotal=totals.subtotal, total=totals.amount,
        amount_paid=D(0), lines=tuple(lines))


def sales_lines(body: dict) -> list[dict]:
    return [item for item in body["Line"] if item["DetailType"] == "SalesItemLineDetail"]


# --- money --------------------------------------------------------------------------------


def test_discount_and_two_taxes_worked_example() -> None:
    """1.51 h x 150 = 226.50 (both taxes), 3 x 19.99 = 59.97 (tax 1), 1 x 42.105 = 42.11
    (none): subtotal 328.58; 10 % off = 32.86; tax 1 8.25 % of (226.50 + 59.97) x 0.9 =
    21.2703975 -> 21.27; tax 2 5 % of 226.50 x 0.9 = 10.1925 -> 10.19; total 327.18."""
    doc = invoice([line(1, "1.51", "150", taxed2=True),
                   line(2, "3", "19.99", kind=LineKind.PRODUCT),
                   line(3, "1", "42.105", kind=LineKind.EXPENSE, taxed1=False)],
                  discount="10", tax1="8.25", tax2="5")
    assert (doc.subtotal, doc.discount_amount, doc.tax1_amount, doc.tax2_amount, doc.total) == (
        D("328.58"), D("32.86"), D("21.27"), D("10.19"), D("327.18"))

    body = qp.invoice_body(doc, SETTINGS, customer_id="58")

    assert [(item["Amount"], item["SalesItemLineDetail"]["Qty"],
             item["SalesItemLineDetail"]["UnitPrice"],
             item["SalesItemLineDetail"]["ItemRef"]["value"],
             item["SalesItemLineDetail"]["TaxCodeRef"]["value"])
            for item in sales_lines(body)] == [
        (226.5, 1.51, 150, "1", "TAX"), (59.97, 3, 19.99, "2", "TAX"),
        (42.11, 1, 42.105, "2", "NON")]
    discount = body["Line"][-1]
    assert discount == {"DetailType": "DiscountLineDetail", "Amount": 32.86,
                        "DiscountLineDetail": {"PercentBased": False},
                        "Description": "Discount 10%"}
    assert body["TxnTaxDetail"] == {"TotalTax": 31.46}
    assert qp.expected_total(body) == D("327.18") == doc.total


def test_tax_rounded_once_per_invoice_not_per_line() -> None:
    """Three lines of 10.05 at 7.5 %: per line 0.75375 -> 0.75 each (2.25 in all), once per
    invoice 30.15 x 0.075 = 2.26125 -> 2.26. QuickBooks is sent 2.26: total 32.41."""
    doc = invoice([line(1, "1", "10.05"), line(2, "1", "10.05"), line(3, "1", "10.05")],
                  tax1="7.5")
    assert doc.tax1_amount == D("2.26")
    body = qp.invoice_body(doc, SETTINGS, customer_id="58")
    assert body["TxnTaxDetail"]["TotalTax"] == 2.26
    assert qp.expected_total(body) == D("32.41") == doc.total


def test_line_amount_rounds_half_up_once() -> None:
    """0.33 h x 101.50 = 33.495 -> 33.50 (half-up), sent as Qty, UnitPrice and Amount."""
    doc = invoice([line(1, "0.33", "101.50")])
    (sent,) = sales_lines(qp.invoice_body(doc, SETTINGS, customer_id="58"))
    assert sent["Amount"] == 33.5
    assert sent["SalesItemLineDetail"]["Qty"] == 0.33
    assert sent["SalesItemLineDetail"]["UnitPrice"] == 101.5


def test_untaxed_invoice_sends_no_tax_detail() -> None:
    doc = invoice([line(1, "2", "100", taxed1=False)])
    body = qp.invoice_body(doc, SETTINGS, customer_id="58")
    assert "TxnTaxDetail" not in body
    assert sales_lines(body)[0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert [item["DetailType"] for item in body["Line"]] == ["SalesItemLineDetail"]
    assert qp.expected_total(body) == D("200") == doc.total


def test_invoice_header_fields() -> None:
    doc = invoice([line(1, "1", "5")], notes="Thank you")
    body = qp.invoice_body(doc, SETTINGS, customer_id="58")
    assert body["DocNumber"] == "INV-0001"
    assert body["TxnDate"] == "2026-03-02" and body["DueDate"] == "2026-04-01"
    assert body["CurrencyRef"] == {"value": "USD"}
    assert body["CustomerRef"] == {"value": "58"}
    assert body["CustomerMemo"] == {"value": "Thank you"}
    assert body["PrivateNote"] == "Keito invoice inv_1"


@pytest.mark.parametrize(("value", "number"), [
    (D("226.50"), 226.5), (D("150"), 150), (D("150.00"), 150), (D("0.003"), 0.003),
    (D("42.105"), 42.105), (D("-12.30"), -12.3), (D("999999999999.99"), 999999999999.99),
    (D("0.000001"), 1e-06),
])
def test_numbers_are_exact_in_json(value: Decimal, number: float) -> None:
    sent = qp.qbo_number(value)
    assert sent == number
    assert Decimal(json.dumps(sent)) == value


@pytest.mark.parametrize(("raw", "value"), [
    (0.1, D("0.1")), (327.18, D("327.18")), (5, D("5")), ("12.50", D("12.50")), (None, D(0))])
def test_money_from_json(raw: object, value: Decimal) -> None:
    assert qp.money(raw) == value


# --- settings -----------------------------------------------------------------------------


def test_line_item_prefers_the_task_item_then_the_kind() -> None:
    assert qp.line_item(SETTINGS, line(1, "1", "1", task_id="tsk_design")) == "2"
    assert qp.line_item(SETTINGS, line(1, "1", "1", task_id="tsk_other")) == "1"
    assert qp.line_item({"items": {}}, line(1, "1", "1")) is None


def test_missing_settings_name_each_line_and_task() -> None:
    doc = invoice([line(1, "1", "10", task_id="tsk_design", description="Design work"),
                   line(2, "1", "10", kind=LineKind.PRODUCT, taxed1=False,
                        description="Licence")],
                  tax1="10")
    missing = qp.missing_invoice_settings({}, doc)
    assert missing == [
        "income_account (the default income account)",
        "item mapping for line 1 'Design work' (task tsk_design, or the service item)",
        "item mapping for line 2 'Licence' (the product item)",
        "tax_codes.taxed (the tax code of taxed lines)",
        "tax_codes.untaxed (the tax code of untaxed lines)",
    ]
    assert qp.missing_invoice_settings(SETTINGS, doc) == []


def test_tax_codes_needed_only_with_taxes() -> None:
    doc = invoice([line(1, "1", "10", taxed1=False)])
    settings = {key: value for key, value in SETTINGS.items() if key != "tax_codes"}
    assert qp.missing_invoice_settings(settings, doc) == []
    body = qp.invoice_body(doc, settings, customer_id="58")
    assert "TaxCodeRef" not in sales_lines(body)[0]["SalesItemLineDetail"]


def test_a_line_without_item_cannot_be_built() -> None:
    with pytest.raises(KeyError, match="line 1"):
        qp.invoice_body(invoice([line(1, "1", "10")]), {"items": {}}, customer_id="58")


# --- customers ---------------------------------------------------------------------------


def test_customer_body() -> None:
    assert qp.customer_body(CLIENT) == {
        "DisplayName": "Galaxy Corp", "CurrencyRef": {"value": "USD"},
        "CompanyName": "Galaxy Corp", "GivenName": "Ada", "FamilyName": "Byron",
        "PrimaryEmailAddr": {"Address": "ap@galaxy.example"},
        "PrimaryPhone": {"FreeFormNumber": "+1 555 0100"},
        "BillAddr": {"Line1": "1 Main St", "City": "Springfield",
                     "CountrySubDivisionCode": "IL", "PostalCode": "62701", "Country": "US"},
    }


def test_sub_customer_body() -> None:
    name = qp.sub_customer_name("Website: relaunch", "Galaxy Corp")
    assert name == "Website- relaunch (Galaxy Corp)"
    assert qp.customer_body(CLIENT, parent_id="58", name=name) == {
        "DisplayName": name, "CurrencyRef": {"value": "USD"}, "ParentRef": {"value": "58"},
        "Job": True, "BillWithParent": True}


@pytest.mark.parametrize(("text", "literal"), [
    ("Galaxy Corp", "'Galaxy Corp'"), ("O'Brien & Sons", r"'O\'Brien & Sons'"),
    (r"back\slash", r"'back\\slash'")])
def test_query_strings_are_escaped(text: str, literal: str) -> None:
    assert qp.quote(text) == literal


# --- payments ----------------------------------------------------------------------------


def test_payment_body() -> None:
    doc = PaymentDoc(id="pay_01jq3v9x7k2m4n6p8r0s2t", invoice_id="inv_1", amount=D("100.25"),
                     paid_on=date(2026, 3, 5), currency="USD", notes="wire",
                     transaction_id=None)
    body = qp.payment_body(doc, customer_id="58", invoice_id="130", deposit_account="35")
    assert body == {
        "CustomerRef": {"value": "58"}, "CurrencyRef": {"value": "USD"}, "TotalAmt": 100.25,
        "TxnDate": "2026-03-05", "PaymentRefNum": "pay_01jq3v9x7k2m4n6p8",
        "PrivateNote": "Keito payment pay_01jq3v9x7k2m4n6p8r0s2t; wire",
        "DepositToAccountRef": {"value": "35"},
        "Line": [{"Amount": 100.25, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]}],
    }
    assert len(body["PaymentRefNum"]) == 21
    assert qp.is_keito_payment(body, doc.id)
    assert not qp.is_keito_payment(body, "pay_01jq3v9x7k2m4n6p8r0s2")


def test_payment_reference_is_the_transaction_id_when_given() -> None:
    doc = PaymentDoc(id="pay_1", invoice_id="inv_1", amount=D(1), paid_on=date(2026, 3, 5),
                     currency="USD", transaction_id="ch_3PqLongStripeChargeId0001")
    assert qp.payment_reference(doc) == "ch_3PqLongStripeCharg"
    assert qp.payment_note(doc) == ("Keito payment pay_1; transaction "
                                    "ch_3PqLongStripeChargeId0001")


def _payment(**fields: object) -> dict:
    return {"Id": "7", "TxnDate": "2026-03-05", "TotalAmt": 150, "PaymentRefNum": "1001",
            "MetaData": {"LastUpdatedTime": "2026-03-05T10:00:00-08:00"}, **fields}


def test_pulled_payment_one_per_invoice_line() -> None:
    payment = _payment(Line=[
        {"Amount": 100, "LinkedTxn": [{"TxnId": "130", "TxnType": "Invoice"}]},
        {"Amount": 50.5, "LinkedTxn": [{"TxnId": "131", "TxnType": "Invoice"}]},
        {"Amount": 10, "LinkedTxn": [{"TxnId": "9", "TxnType": "CreditMemo"}]}])
    assert qp.pulled_payments(payment) == [
        PulledPayment("7", "130", D(100), date(2026, 3, 5), "1001"),
        PulledPayment("7", "131", D("50.5"), date(2026, 3, 5), "1001")]


def test_pulled_deleted_and_voided_payments() -> None:
    deleted = {"Id": "8", "status": "Deleted",
               "MetaData": {"LastUpdatedTime": "2026-03-06T10:00:00-08:00"}}
    assert qp.pulled_payments(deleted) == [
        PulledPayment("8", "", D(0), None, None, deleted=True)]
    voided = _payment(TotalAmt=0, PrivateNote="Voided", Line=[])
    assert qp.pulled_payments(voided) == [
        PulledPayment("7", "", D(0), date(2026, 3, 5), "1001", deleted=True)]


def test_times() -> None:
    moment = qp.parse_time("2026-03-05T10:00:00-08:00")
    assert moment == datetime(2026, 3, 5, 18, 0, tzinfo=UTC)
    assert qp.format_time(moment.astimezone(timezone(timedelta(hours=2)))) == (
        "2026-03-05T18:00:00+00:00")
    assert qp.last_updated(_payment()) == moment
    assert qp.newest([None, moment, moment - timedelta(days=1)]) == moment
    assert qp.newest([]) is None


# --- time --------------------------------------------------------------------------------


@pytest.mark.parametrize(("seconds", "hours_minutes"), [
    (0, (0, 0)), (29, (0, 0)), (30, (0, 1)), (5429, (1, 30)), (5430, (1, 31)),
    (3600, (1, 0)), (3599, (1, 0)), (36_000 + 59 * 60 + 29, (10, 59)),
])
def test_time_rounds_half_up_to_the_minute(seconds: int, hours_minutes: tuple[int, int]) -> None:
    assert qp.hours_minutes(seconds) == hours_minutes


def test_time_activity_body() -> None:
    entry = qp.TimeDoc(id="te_1", user_id="usr_1", user_name="Emily Platt", client_id="cli_1",
                       project_id="prj_1", task_id="tsk_design", spent_date=date(2026, 3, 2),
                       seconds=5430, notes="Wireframes", billable=True, rate=D("150.00"),
                       currency="USD")
    assert qp.time_activity_body(entry, employee_id="1", customer_id="58", item_id="2") == {
        "NameOf": "Employee", "EmployeeRef": {"value": "1", "name": "Emily Platt"},
        "CustomerRef": {"value": "58"}, "TxnDate": "2026-03-02", "Hours": 1, "Minutes": 31,
        "BillableStatus": "Billable", "ItemRef": {"value": "2"}, "HourlyRate": 150,
        "Description": "Wireframes"}
    unbilled = qp.time_activity_body(
        qp.TimeDoc(id="te_2", user_id="usr_1", user_name="", client_id="cli_1",
                   project_id=None, task_id=None, spent_date=date(2026, 3, 2), seconds=60,
                   notes=None, billable=False, rate=None, currency="USD"),
        employee_id="1", customer_id="58", item_id=None)
    assert unbilled == {"NameOf": "Employee", "EmployeeRef": {"value": "1"},
                        "CustomerRef": {"value": "58"}, "TxnDate": "2026-03-02", "Hours": 0,
                        "Minutes": 1, "BillableStatus": "NotBillable"}


# --- answers and faults ------------------------------------------------------------------


def test_remote_of_an_invoice() -> None:
    remote = qp.remote_of({"Id": "130", "SyncToken": "2", "DocNumber": "INV-0001",
                           "TotalAmt": 327.18, "Balance": 227.18})
    assert (remote.id, remote.version, remote.number, remote.total, remote.amount_due) == (
        "130", "2", "INV-0001", D("327.18"), D("227.18"))


def test_invoice_differs() -> None:
    doc = invoice([line(1, "1.51", "150", taxed2=True)], discount="10", tax1="8.25", tax2="5")
    body = qp.invoice_body(doc, SETTINGS, customer_id="58")
    stored = {**json.loads(json.dumps(body)), "Id": "130", "TotalAmt": float(doc.total),
              "Line": [*body["Line"], {"DetailType": "SubTotalLineDetail", "Amount": 226.5,
                                       "SubTotalLineDetail": {}}]}
    assert not qp.invoice_differs(stored, body)
    changed = qp.invoice_body(
        invoice([line(1, "1.52", "150", taxed2=True)], discount="10", tax1="8.25", tax2="5"),
        SETTINGS, customer_id="58")
    assert qp.invoice_differs(stored, changed)
    assert qp.invoice_differs(stored, {**body, "CustomerRef": {"value": "59"}})


def test_query_and_cdc_rows() -> None:
    assert qp.query_rows({"QueryResponse": {}}, "Customer") == []
    assert qp.query_rows({"QueryResponse": {"Customer": [{"Id": "1"}]}}, "Customer") == [
        {"Id": "1"}]
    cdc = {"CDCResponse": [{"QueryResponse": [{"Payment": [{"Id": "1"}, {"Id": "2"}]},
                                              {"Invoice": [{"Id": "9"}]}]}]}
    assert qp.cdc_rows(cdc, "Payment") == [{"Id": "1"}, {"Id": "2"}]
    assert qp.cdc_rows({"CDCResponse": [{"QueryResponse": [{}]}]}, "Payment") == []
    with pytest.raises(ValueError, match="Invoice"):
        qp.entity_of({"Fault": {}}, "Invoice")


def test_describe_fault_names_code_message_and_detail() -> None:
    body = {"Fault": {"Error": [{
        "Message": "Stale Object Error",
        "Detail": "Stale Object Error : You and someone else were working on Invoice Id=130",
        "code": "5010", "element": ""}], "type": "ValidationFault"}, "time": "..."}
    assert qp.describe_fault(400, body) == (
        "QuickBooks refused (HTTP 400): fault 5010: Stale Object Error (Stale Object Error : "
        "You and someone else were working on Invoice Id=130)")
    assert qp.fault_codes(body) == ["5010"]
    two = {"Fault": {"Error": [
        {"Message": "Duplicate Name Exists Error", "Detail": "The name supplied already "
         "exists.\n : Id=58", "code": "6240", "element": "DisplayName"},
        {"Message": "Invalid Reference Id", "Detail": "Invalid Reference Id",
         "code": "2500"}]}}
    assert qp.describe_fault(400, two) == (
        "QuickBooks refused (HTTP 400): fault 6240: Duplicate Name Exists Error (The name "
        "supplied already exists. : Id=58) [element DisplayName]; fault 2500: Invalid "
        "Reference Id")


def test_describe_fault_of_other_answers() -> None:
    lower = {"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200",
                                  "detail": "Token expired", "code": "3200"}],
                       "type": "AUTHENTICATION"}}
    assert qp.describe_fault(401, lower) == (
        "QuickBooks refused (HTTP 401): fault 3200: message=AuthenticationFailed; "
        "errorCode=003200 (Token expired)")
    assert qp.fault_codes({"Fault": {"Error": [{"code": "003001"}]}}) == ["3001"]
    assert qp.describe_fault(502, "<html>Bad gateway</html>") == (
        "QuickBooks answered HTTP 502: <html>Bad gateway</html>")
    assert qp.describe_fault(500, None) == "QuickBooks answered HTTP 500"
    assert qp.describe_fault(400, {"error": "invalid_grant"}) == (
        "QuickBooks refused (HTTP 400): invalid_grant")
