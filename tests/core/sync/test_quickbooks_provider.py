"""QuickBooksProvider against the fake QuickBooks Online (tests/fakes/quickbooks.py).

Every request goes through SyncHttp and the fake's MockTransport, which validates it against
Intuit's schemas; the `fake_quickbooks` fixture fails a test that sent anything QuickBooks
would refuse. The clock is the fake's; the sleep records each wait and moves that clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fakes.quickbooks import FakeQuickBooks, ManualClock

from keito_core.enums import LineKind, SyncProvider
from keito_core.errors import KeitoError
from keito_core.rules import invoices as rules
from keito_core.sync.documents import ClientDoc, InvoiceDoc, LineDoc, PaymentDoc
from keito_core.sync.endpoints import endpoints
from keito_core.sync.http import QUICKBOOKS_LIMITS, SyncHttp
from keito_core.sync.provider import Provider, Remote
from keito_core.sync.quickbooks import QuickBooksProvider
from keito_core.sync.quickbooks_payloads import TimeDoc, describe_fault

pytest_plugins = ["fakes.quickbooks_fixtures"]

D = Decimal
SETTINGS: dict[str, Any] = {
    "income_account": "1",
    "deposit_account": "2",
    "items": {"service": "1", "product": "2", "expense": "2"},
    "task_items": {"tsk_design": "2"},
    "employees": {"usr_emily": "1"},
    "tax_codes": {"taxed": "TAX", "untaxed": "NON"},
    "sub_customers": False,
    "sync_on_send": True,
}
CLIENT = ClientDoc(id="cli_galaxy", name="Galaxy Corp", currency="USD",
                   email="ap@galaxy.example", first_name="Ada", last_name="Byron")


class FakeTokens:
    """A TokenSource holding an access token the fake issued (`fake.connect()`), and a new one
    when the fake refuses it (its tokens last an hour of the fake's clock)."""

    def __init__(self, fake: FakeQuickBooks) -> None:
        self.fake = fake
        self.token = fake.connect()["access_token"]
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refreshed(self, rejected: str) -> str:
        self.refreshes += 1
        self.token = self.fake.connect()["access_token"]
        return self.token


class MemoryLinks:
    """Links kept in a dict, as the engine keeps them in sync_records."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], Remote] = {}

    def get(self, entity_type: str, entity_id: str) -> Remote | None:
        return self.saved.get((entity_type, entity_id))

    def save(self, entity_type: str, entity_id: str, remote: Remote) -> None:
        self.saved[(entity_type, entity_id)] = remote


class Waits(list[float]):
    """The no-op sleep: records each wait and moves the fake's clock by it."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self.clock = clock

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.clock.advance(seconds=seconds)


@pytest.fixture
def waits(quickbooks_clock: ManualClock) -> Waits:
    return Waits(quickbooks_clock)


def make_provider(fake: FakeQuickBooks, waits: Waits,
                  settings: dict[str, Any] | None = None) -> QuickBooksProvider:
    http = SyncHttp(client=httpx.Client(transport=fake.transport()), tokens=FakeTokens(fake),
                    limits=QUICKBOOKS_LIMITS, clock=waits.clock, sleep=waits,
                    describe_error=describe_fault)
    return QuickBooksProvider(http, api_url=endpoints(SyncProvider.QUICKBOOKS, fake.env()).api,
                              realm_id=fake.realm_id,
                              settings=SETTINGS if settings is None else settings)


@pytest.fixture
def qbo(fake_quickbooks: FakeQuickBooks, waits: Waits) -> QuickBooksProvider:
    return make_provider(fake_quickbooks, waits)


def line(position: int, quantity: str, unit_price: str, *, kind: LineKind = LineKind.SERVICE,
         taxed1: bool = True, taxed2: bool = False, task_id: str | None = None,
         project_id: str | None = "prj_web") -> LineDoc:
    return LineDoc(id=f"il_{position}", position=position, kind=kind,
                   description=f"Line {position}", quantity=D(quantity),
                   unit_price=D(unit_price),
                   amount=rules.line_amount(D(quantity), D(unit_price), "USD"), taxed1=taxed1,
                   taxed2=taxed2, project_id=project_id, task_id=task_id)


def invoice(lines: list[LineDoc] | None = None, *, number: str = "INV-0001",
            inv_id: str = "inv_1", discount: str | None = None, tax1: str | None = None,
            tax2: str | None = None, currency: str = "USD",
            client: ClientDoc = CLIENT) -> InvoiceDoc:
    """An InvoiceDoc whose figures come from Keito's rule (rules.invoices)."""
    lines = lines or [line(1, "10", "150")]
    totals = rules.invoice_totals(
        [rules.LineInput(item.quantity, item.unit_price, item.taxed1, item.taxed2)
         for item in lines], currency=currency, discount=D(discount) if discount else None,
        tax=D(tax1) if tax1 else None, tax2=D(tax2) if tax2 else None)
    return InvoiceDoc(
        id=inv_id, number=number, state="open", client=client, issue_date=date(2026, 3, 2),
        due_date=date(2026, 4, 1), currency=currency, subject=None, purchase_order=None,
        notes=None, discount_percent=D(discount) if discount else None,
        discount_amount=totals.discount_amount, tax1_label="Tax" if tax1 else None,
        tax1_rate=D(tax1) if tax1 else None, tax1_amount=totals.tax_amount,
        tax2_label="Tax 2" if tax2 else None, tax2_rate=D(tax2) if tax2 else None,
        tax2_amount=totals.tax2_amount, subtotal=totals.subtotal, total=totals.amount,
        amount_paid=D(0), lines=tuple(lines))


def writes(fake: FakeQuickBooks, entity: str | None = None) -> list[Any]:
    """The fake's recorded writes (POSTs other than queries), of `entity` when named."""
    return [request for request in fake.requests
            if request.method == "POST" and not request.path.endswith("/query")
            and (entity is None or request.path.endswith("/" + entity.lower()))]


def test_the_provider_is_a_provider(qbo: QuickBooksProvider) -> None:
    provider: Provider = qbo
    assert provider.provider is SyncProvider.QUICKBOOKS


def test_every_request_carries_minorversion_and_writes_a_requestid(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    qbo.push_invoice(invoice(), MemoryLinks(), remote=None)
    assert fake_quickbooks.requests
    for request in fake_quickbooks.requests:
        assert request.query["minorversion"] == "75"
    for request in writes(fake_quickbooks):
        assert 0 < len(request.query["requestid"]) <= 50


# --- choices and settings ---------------------------------------------------------------


def test_choices_list_what_the_settings_map_to(qbo: QuickBooksProvider) -> None:
    choices = qbo.choices()
    assert [(c.id, c.name) for c in choices["income_accounts"]] == [
        ("1", "Services"), ("5", "Discounts given")]
    assert [(c.name, c.detail) for c in choices["deposit_accounts"]] == [
        ("Checking", "Bank"), ("Undeposited Funds", "Other Current Asset")]
    assert [(c.id, c.name, c.detail) for c in choices["items"]] == [
        ("1", "Hours", "Service"), ("2", "Consulting", "Service")]
    assert [c.name for c in choices["employees"]] == ["Emily Platt", "Sam Carter"]
    assert {c.id for c in choices["tax_codes"]} >= {"TAX", "NON"}


def test_choices_page_through_more_than_1000(fake_quickbooks: FakeQuickBooks,
                                             qbo: QuickBooksProvider) -> None:
    for number in range(1, 1006):
        fake_quickbooks.create_remotely("Employee", {"DisplayName": f"Worker {number}",
                                                     "GivenName": f"Worker{number}"})
    assert len(qbo.choices()["employees"]) == 1007
    queries = [r.query["query"] for r in fake_quickbooks.requests
               if "from Employee" in r.query.get("query", "")]
    assert [q.split("startposition ")[1] for q in queries] == [
        "1 maxresults 1000", "1001 maxresults 1000"]


def test_a_missing_mapping_stops_before_any_request(fake_quickbooks: FakeQuickBooks,
                                                    waits: Waits) -> None:
    qbo = make_provider(fake_quickbooks, waits, {**SETTINGS, "items": {}, "task_items": {}})
    doc = invoice([line(1, "1", "100", task_id="tsk_research")])
    assert qbo.missing_settings(doc) == [
        "item mapping for line 1 'Line 1' (task tsk_research, or the service item)"]
    with pytest.raises(KeitoError) as raised:
        qbo.push_invoice(doc, MemoryLinks(), remote=None)
    assert raised.value.code == "config_error"
    assert "task tsk_research" in raised.value.message
    assert fake_quickbooks.requests == []


# --- customers ---------------------------------------------------------------------------


def test_customer_matched_by_name_before_create(fake_quickbooks: FakeQuickBooks,
                                                qbo: QuickBooksProvider) -> None:
    existing = fake_quickbooks.create_remotely("Customer", {"DisplayName": "Galaxy Corp"})
    links = MemoryLinks()
    qbo.push_invoice(invoice(), links, remote=None)
    assert writes(fake_quickbooks, "Customer") == []
    assert links.get("client", CLIENT.id) == Remote(id=existing["Id"], version="0")
    (created,) = fake_quickbooks.invoices.values()
    assert created["CustomerRef"]["value"] == existing["Id"]


def test_customer_matched_by_email_and_quotes_escaped(fake_quickbooks: FakeQuickBooks,
                                                      qbo: QuickBooksProvider) -> None:
    existing = fake_quickbooks.create_remotely("Customer", {
        "DisplayName": "Galaxy Corporation Ltd",
        "PrimaryEmailAddr": {"Address": "ap@galaxy.example"}})
    client = replace(CLIENT, name="O'Brien & Sons")
    links = MemoryLinks()
    qbo.push_invoice(invoice(client=client), links, remote=None)
    assert writes(fake_quickbooks, "Customer") == []
    assert links.get("client", CLIENT.id).id == existing["Id"]  # type: ignore[union-attr]


def test_customer_created_once_and_linked_at_once(fake_quickbooks: FakeQuickBooks,
                                                  qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    qbo.push_invoice(invoice(), links, remote=None)
    qbo.push_invoice(invoice(number="INV-0002", inv_id="inv_2"), links, remote=None)
    (customer,) = fake_quickbooks.customers.values()
    assert customer["DisplayName"] == "Galaxy Corp"
    assert customer["PrimaryEmailAddr"] == {"Address": "ap@galaxy.example"}
    assert len(writes(fake_quickbooks, "Customer")) == 1
    assert links.get("client", CLIENT.id).id == customer["Id"]  # type: ignore[union-attr]
    assert len(fake_quickbooks.invoices) == 2


def test_an_inactive_customer_of_the_name_is_made_active(fake_quickbooks: FakeQuickBooks,
                                                         qbo: QuickBooksProvider) -> None:
    hidden = fake_quickbooks.create_remotely("Customer", {"DisplayName": "Galaxy Corp",
                                                          "Active": False})
    links = MemoryLinks()
    qbo.push_invoice(invoice(), links, remote=None)
    assert len(fake_quickbooks.customers) == 1
    assert fake_quickbooks.customers[hidden["Id"]]["Active"] is True
    assert links.get("client", CLIENT.id).id == hidden["Id"]  # type: ignore[union-attr]


def test_projects_as_sub_customers(fake_quickbooks: FakeQuickBooks, waits: Waits) -> None:
    qbo = make_provider(fake_quickbooks, waits, {**SETTINGS, "sub_customers": True})
    links = MemoryLinks()
    qbo.push_invoice(invoice(), links, remote=None)
    parent = links.get("client", CLIENT.id)
    job = links.get("project", "prj_web")
    assert parent is not None and job is not None
    sub = fake_quickbooks.customers[job.id]
    assert sub["ParentRef"]["value"] == parent.id and sub["Job"] is True
    (created,) = fake_quickbooks.invoices.values()
    assert created["CustomerRef"]["value"] == job.id
    # Two projects on one invoice: billed to the client's customer.
    qbo.push_invoice(invoice([line(1, "1", "10"), line(2, "1", "10", project_id="prj_app")],
                             number="INV-0002", inv_id="inv_2"), links, remote=None)
    second = next(i for i in fake_quickbooks.invoices.values() if i["DocNumber"] == "INV-0002")
    assert second["CustomerRef"]["value"] == parent.id


# --- invoices ----------------------------------------------------------------------------


def test_totals_equal_to_the_cent_with_discount_and_two_taxes(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    doc = invoice([line(1, "1.51", "150", taxed2=True),
                   line(2, "3", "19.99", kind=LineKind.PRODUCT),
                   line(3, "1", "42.105", kind=LineKind.EXPENSE, taxed1=False)],
                  discount="10", tax1="8.25", tax2="5")
    remote = qbo.push_invoice(doc, MemoryLinks(), remote=None)
    stored = fake_quickbooks.invoices[remote.id]
    assert doc.total == D("327.18")
    assert remote.total == D(str(stored["TotalAmt"])) == doc.total
    assert remote.amount_due == doc.total
    assert remote.number == "INV-0001" and remote.version == "0"
    assert D(str(stored["TxnTaxDetail"]["TotalTax"])) == doc.tax1_amount + doc.tax2_amount


def test_one_cent_rounding_difference_is_keitos_figure(fake_quickbooks: FakeQuickBooks,
                                                       qbo: QuickBooksProvider) -> None:
    """Per line, 7.5 % of 10.05 three times is 0.75 x 3 = 2.25; Keito rounds once per invoice
    (2.26), and QuickBooks' total is Keito's: 32.41."""
    doc = invoice([line(1, "1", "10.05"), line(2, "1", "10.05"), line(3, "1", "10.05")],
                  tax1="7.5")
    remote = qbo.push_invoice(doc, MemoryLinks(), remote=None)
    assert remote.total == D("32.41") == doc.total


def test_a_total_quickbooks_disagrees_with_is_refused(fake_quickbooks: FakeQuickBooks,
                                                      qbo: QuickBooksProvider) -> None:
    doc = replace(invoice(), total=D("1500.01"))
    with pytest.raises(KeitoError) as raised:
        qbo.push_invoice(doc, MemoryLinks(), remote=None)
    assert raised.value.code == "remote_error"
    assert "1500 USD" in raised.value.message and "1500.01 USD" in raised.value.message


def test_invoice_created_once_through_commit_then_timeout(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider, waits: Waits) -> None:
    fake_quickbooks.fail_next("commit_then_timeout", method="POST", path_contains="/invoice")
    remote = qbo.push_invoice(invoice(), MemoryLinks(), remote=None)
    assert len(fake_quickbooks.invoices) == 1
    assert remote.id in fake_quickbooks.invoices
    posts = writes(fake_quickbooks, "Invoice")
    assert len(posts) == 2 and posts[0].query["requestid"] == posts[1].query["requestid"]
    assert waits  # the retry backed off


def test_a_crash_after_the_commit_links_the_invoice_found_by_number(
        fake_quickbooks: FakeQuickBooks, waits: Waits) -> None:
    fake_quickbooks.fail_next("commit_then_timeout", times=6, method="POST",
                              path_contains="/invoice")
    links = MemoryLinks()
    with pytest.raises(KeitoError) as raised:
        make_provider(fake_quickbooks, waits).push_invoice(invoice(), links, remote=None)
    assert raised.value.code == "network_error"
    assert len(fake_quickbooks.invoices) == 1
    before = len(writes(fake_quickbooks, "Invoice"))

    remote = make_provider(fake_quickbooks, waits).push_invoice(invoice(), links, remote=None)

    assert len(fake_quickbooks.invoices) == 1
    assert remote.id in fake_quickbooks.invoices and remote.total == D("1500")
    assert len(writes(fake_quickbooks, "Invoice")) == before


def test_an_invoice_found_by_number_with_other_content_is_updated(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    first = qbo.push_invoice(invoice(), links, remote=None)
    changed = invoice([line(1, "12", "150")])
    remote = qbo.push_invoice(changed, links, remote=None)
    assert remote.id == first.id and remote.total == D("1800")
    assert len(fake_quickbooks.invoices) == 1


def test_update_with_a_stale_sync_token_rereads_and_retries_once(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    first = qbo.push_invoice(invoice(), links, remote=None)
    fake_quickbooks.update_remotely("Invoice", first.id, PrivateNote="edited in QuickBooks")
    changed = invoice([line(1, "10", "150"), line(2, "2", "50")])

    remote = qbo.push_invoice(changed, links, remote=first)

    assert remote.id == first.id and remote.total == D("1600") == changed.total
    assert remote.version == "2"
    updates = [r.json for r in writes(fake_quickbooks, "Invoice") if "Id" in (r.json or {})]
    assert [u["SyncToken"] for u in updates] == ["0", "1"]
    assert all(u["sparse"] is True for u in updates)
    assert len(fake_quickbooks.invoices) == 1


def test_429_waits_60_seconds_without_failing(fake_quickbooks: FakeQuickBooks,
                                              qbo: QuickBooksProvider, waits: Waits) -> None:
    fake_quickbooks.fail_next("429", method="POST", path_contains="/invoice")
    remote = qbo.push_invoice(invoice(), MemoryLinks(), remote=None)
    assert 60.0 in waits
    assert remote.total == D("1500") and len(fake_quickbooks.invoices) == 1


def test_a_currency_the_company_lacks_is_blocked_before_sending(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    doc = invoice(currency="JPY", client=replace(CLIENT, currency="JPY"))
    with pytest.raises(KeitoError) as raised:
        qbo.push_invoice(doc, MemoryLinks(), remote=None)
    assert raised.value.code == "validation_error"
    assert "JPY" in raised.value.message
    assert writes(fake_quickbooks) == []


def test_a_customer_in_another_currency_is_blocked_before_sending(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    qbo.push_invoice(invoice(), links, remote=None)
    sent = len(writes(fake_quickbooks))
    doc = invoice(number="INV-0002", inv_id="inv_2", currency="GBP")
    with pytest.raises(KeitoError) as raised:
        qbo.check_invoice(doc)
    assert raised.value.code == "validation_error"
    assert "GBP" in raised.value.message and "USD" in raised.value.message
    with pytest.raises(KeitoError, match="in GBP but its QuickBooks customer"):
        qbo.push_invoice(doc, links, remote=None)
    assert len(writes(fake_quickbooks)) == sent


def test_a_number_taken_by_another_customer_is_a_conflict(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider) -> None:
    other = fake_quickbooks.create_remotely("Customer", {"DisplayName": "Someone Else"})
    fake_quickbooks.create_remotely("Invoice", {
        "DocNumber": "INV-0001", "CustomerRef": {"value": other["Id"]},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    with pytest.raises(KeitoError) as raised:
        qbo.push_invoice(invoice(), MemoryLinks(), remote=None)
    assert raised.value.code == "conflict"
    assert len(fake_quickbooks.invoices) == 1


def test_void_an_invoice_with_a_payment(fake_quickbooks: FakeQuickBooks,
                                        qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    doc = invoice()
    remote = qbo.push_invoice(doc, links, remote=None)
    payment = fake_quickbooks.record_remote_payment(remote.id, "400")

    voided = qbo.void_invoice(doc, links, remote=remote)

    stored = fake_quickbooks.invoices[remote.id]
    assert voided.id == remote.id and voided.total == 0
    assert stored["TotalAmt"] == 0 and stored["PrivateNote"] == "Voided"
    assert fake_quickbooks.payments[payment["Id"]]["UnappliedAmt"] == 400
    (void,) = [r for r in writes(fake_quickbooks, "Invoice")
               if r.query.get("operation") == "void"]
    # The payment moved the invoice's SyncToken on: the void sent the one read just before.
    assert remote.version == "0" and void.json["SyncToken"] == "1"
    assert fake_quickbooks.hard_deletes == 0


# --- payments ----------------------------------------------------------------------------


def pay(amount: str, pay_id: str = "pay_01jq3v9x7k2m4n6p8r0s2t") -> PaymentDoc:
    return PaymentDoc(id=pay_id, invoice_id="inv_1", amount=D(amount),
                      paid_on=date(2026, 3, 5), currency="USD", notes="wire")


def test_payment_pushed_once_and_found_by_its_keito_id(fake_quickbooks: FakeQuickBooks,
                                                       qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    invoice_remote = qbo.push_invoice(invoice(), links, remote=None)
    remote = qbo.push_payment(pay("500.25"), links, invoice=invoice_remote)
    stored = fake_quickbooks.payments[remote.id]
    assert stored["TotalAmt"] == 500.25
    assert stored["DepositToAccountRef"]["value"] == "2"
    assert stored["PaymentRefNum"] == "pay_01jq3v9x7k2m4n6p8"
    assert "pay_01jq3v9x7k2m4n6p8r0s2t" in stored["PrivateNote"]
    assert fake_quickbooks.invoices[invoice_remote.id]["Balance"] == 999.75

    again = make_provider(fake_quickbooks, Waits(fake_quickbooks.clock))  # type: ignore[arg-type]
    assert again.push_payment(pay("500.25"), links, invoice=invoice_remote).id == remote.id
    assert len(fake_quickbooks.payments) == 1


def test_payment_needs_the_deposit_account(fake_quickbooks: FakeQuickBooks,
                                           waits: Waits) -> None:
    qbo = make_provider(fake_quickbooks, waits,
                        {k: v for k, v in SETTINGS.items() if k != "deposit_account"})
    with pytest.raises(KeitoError, match="deposit_account"):
        qbo.push_payment(pay("1"), MemoryLinks(), invoice=Remote(id="1"))
    assert fake_quickbooks.requests == []


def test_delete_payment_voids_it_never_deletes(fake_quickbooks: FakeQuickBooks,
                                               qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    invoice_remote = qbo.push_invoice(invoice(), links, remote=None)
    remote = qbo.push_payment(pay("100"), links, invoice=invoice_remote)
    qbo.delete_payment(links, remote=remote)
    (void,) = [r for r in writes(fake_quickbooks, "Payment") if "Id" in (r.json or {})]
    assert void.query["operation"] == "update" and void.query["include"] == "void"
    assert void.json == {"Id": remote.id, "SyncToken": "0", "sparse": True}
    assert fake_quickbooks.hard_deletes == 0
    assert remote.id in fake_quickbooks.payments


def test_a_voided_payment_frees_the_invoice(fake_quickbooks: FakeQuickBooks,
                                            qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    invoice_remote = qbo.push_invoice(invoice(), links, remote=None)
    remote = qbo.push_payment(pay("100"), links, invoice=invoice_remote)
    qbo.delete_payment(links, remote=remote)
    assert fake_quickbooks.payments[remote.id]["TotalAmt"] == 0
    assert fake_quickbooks.invoices[invoice_remote.id]["Balance"] == 1500


# --- payments pulled back ----------------------------------------------------------------


def test_payments_pulled_back_by_cdc(fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider,
                                     quickbooks_clock: ManualClock) -> None:
    links = MemoryLinks()
    invoice_remote = qbo.push_invoice(invoice(), links, remote=None)
    since = quickbooks_clock()
    quickbooks_clock.advance(hours=1)
    ours = qbo.push_payment(pay("100"), links, invoice=invoice_remote)
    quickbooks_clock.advance(hours=1)
    theirs = fake_quickbooks.record_remote_payment(invoice_remote.id, "250.50",
                                                   txn_date=date(2026, 3, 3))
    quickbooks_clock.advance(hours=1)

    result = qbo.pull_payments(since, quickbooks_clock())

    assert [(p.remote_id, p.invoice_remote_id, p.amount, p.deleted) for p in result.payments] == [
        (ours.id, invoice_remote.id, D(100), False),
        (theirs["Id"], invoice_remote.id, D("250.50"), False)]
    assert result.payments[1].paid_on == date(2026, 3, 3)
    assert result.position == since + timedelta(hours=2)
    cdc = [r for r in fake_quickbooks.requests if r.path.endswith("/cdc")]
    # One read (sent twice: the token had expired in the three hours, and was refreshed).
    assert {(r.query["entities"], r.query["changedSince"]) for r in cdc} == {
        ("Payment", "2026-03-02T17:00:00+00:00")}

    quickbooks_clock.advance(hours=1)
    fake_quickbooks.delete_remotely("Payment", theirs["Id"])
    later = qbo.pull_payments(result.position, quickbooks_clock())
    deleted = [p for p in later.payments if p.remote_id == theirs["Id"]]
    assert [p.deleted for p in deleted] == [True]


def test_nothing_changed_moves_the_position_to_now(qbo: QuickBooksProvider,
                                                   quickbooks_clock: ManualClock) -> None:
    since = quickbooks_clock() - timedelta(days=1)
    result = qbo.pull_payments(since, quickbooks_clock())
    assert result.payments == [] and result.position == quickbooks_clock()


def _many_remote_payments(fake: FakeQuickBooks, clock: ManualClock, count: int,
                          step: float) -> str:
    client = fake.create_remotely("Customer", {"DisplayName": "Busy Client"})
    invoice_id = fake.create_remotely("Invoice", {
        "DocNumber": "BIG-1", "CustomerRef": {"value": client["Id"]},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 100000,
                  "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1,
                                          "UnitPrice": 100000}}]})["Id"]
    clock.advance(seconds=1)
    for _ in range(count):
        fake.record_remote_payment(invoice_id, "1")
        clock.advance(seconds=step)
    return invoice_id


def test_cdc_at_its_1000_object_cap_reads_on(fake_quickbooks: FakeQuickBooks,
                                             qbo: QuickBooksProvider,
                                             quickbooks_clock: ManualClock) -> None:
    since = quickbooks_clock()
    _many_remote_payments(fake_quickbooks, quickbooks_clock, 1200, 0.5)
    result = qbo.pull_payments(since, quickbooks_clock())
    assert len({p.remote_id for p in result.payments}) == 1200
    assert len(result.payments) == 1200
    cdc = [r for r in fake_quickbooks.requests if r.path.endswith("/cdc")]
    assert len(cdc) == 2
    newest = max(datetime.fromisoformat(p["MetaData"]["LastUpdatedTime"])
                 for p in fake_quickbooks.payments.values())
    assert result.position == newest


def test_cdc_cap_within_one_second_falls_back_to_the_query(
        fake_quickbooks: FakeQuickBooks, qbo: QuickBooksProvider,
        quickbooks_clock: ManualClock) -> None:
    since = quickbooks_clock()
    _many_remote_payments(fake_quickbooks, quickbooks_clock, 1100, 0)
    result = qbo.pull_payments(since, quickbooks_clock())
    assert len({p.remote_id for p in result.payments}) == 1100
    queries = [r for r in fake_quickbooks.requests if "from Payment" in r.query.get("query", "")]
    assert len(queries) == 2  # two pages of the query


def test_a_position_older_than_30_days_reads_by_query(fake_quickbooks: FakeQuickBooks,
                                                      qbo: QuickBooksProvider,
                                                      quickbooks_clock: ManualClock) -> None:
    links = MemoryLinks()
    invoice_remote = qbo.push_invoice(invoice(), links, remote=None)
    since = quickbooks_clock()
    quickbooks_clock.advance(days=40)
    theirs = fake_quickbooks.record_remote_payment(invoice_remote.id, "10")
    result = qbo.pull_payments(since, quickbooks_clock())
    assert [p.remote_id for p in result.payments] == [theirs["Id"]]
    assert not [r for r in fake_quickbooks.requests if r.path.endswith("/cdc")]
    assert result.position == quickbooks_clock()
    # No position at all: every payment, by query.
    assert [p.remote_id for p in qbo.pull_payments(None, quickbooks_clock()).payments] == [
        theirs["Id"]]


# --- time --------------------------------------------------------------------------------


def entry(**changes: Any) -> TimeDoc:
    base = TimeDoc(id="te_1", user_id="usr_emily", user_name="Emily Platt",
                   client_id=CLIENT.id, project_id="prj_web", task_id="tsk_design",
                   spent_date=date(2026, 3, 2), seconds=5430, notes="Wireframes",
                   billable=True, rate=D("150"), currency="USD", client_name=CLIENT.name,
                   project_name="Website")
    return replace(base, **changes)


def test_time_entry_pushed_as_a_time_activity(fake_quickbooks: FakeQuickBooks,
                                              qbo: QuickBooksProvider) -> None:
    links = MemoryLinks()
    remote = qbo.push_time_entry(entry(), links)
    stored = fake_quickbooks.time_activities[remote.id]
    assert (stored["Hours"], stored["Minutes"]) == (1, 31)
    assert stored["EmployeeRef"]["value"] == "1" and stored["ItemRef"]["value"] == "2"
    assert stored["BillableStatus"] == "Billable" and stored["HourlyRate"] == 150
    assert stored["CustomerRef"]["value"] == links.get("client", CLIENT.id).id  # type: ignore[union-attr]
    assert stored["TxnDate"] == "2026-03-02" and stored["Description"] == "Wireframes"

    links.save("time_entry", "te_1", remote)
    updated = qbo.push_time_entry(entry(seconds=7200, billable=False), links)
    assert updated.id == remote.id and updated.version == "1"
    stored = fake_quickbooks.time_activities[remote.id]
    assert (stored["Hours"], stored["Minutes"], stored["BillableStatus"]) == (
        2, 0, "NotBillable")
    assert len(fake_quickbooks.time_activities) == 1


def test_time_entry_create_repeated_by_requestid(fake_quickbooks: FakeQuickBooks,
                                                 qbo: QuickBooksProvider) -> None:
    fake_quickbooks.fail_next("commit_then_timeout", method="POST",
                              path_contains="/timeactivity")
    qbo.push_time_entry(entry(), MemoryLinks())
    assert len(fake_quickbooks.time_activities) == 1


def test_time_entry_needs_the_employee_mapping(fake_quickbooks: FakeQuickBooks,
                                               qbo: QuickBooksProvider) -> None:
    with pytest.raises(KeitoError) as raised:
        qbo.push_time_entry(entry(user_id="usr_sam", user_name="Sam Carter"), MemoryLinks())
    assert raised.value.code == "config_error"
    assert "employee mapping for Sam Carter (usr_sam)" in raised.value.message
    assert fake_quickbooks.requests == []


def test_time_entry_of_an_unknown_client_without_its_name(fake_quickbooks: FakeQuickBooks,
                                                          qbo: QuickBooksProvider) -> None:
    with pytest.raises(KeitoError, match="push one of its invoices|no QuickBooks customer"):
        qbo.push_time_entry(entry(client_name=None), MemoryLinks())
    assert writes(fake_quickbooks) == []
