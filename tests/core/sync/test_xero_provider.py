"""XeroProvider against the fake Xero: every request valid, each record once, totals equal."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from decimal import Decimal as D
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fakes.xero import FakeXero
from test_xero_payloads import WORKED, make_invoice

from keito_core.errors import KeitoError
from keito_core.sync.documents import ClientDoc, InvoiceDoc, PaymentDoc
from keito_core.sync.endpoints import endpoints
from keito_core.sync.provider import Provider, Remote
from keito_core.sync.xero import XeroProvider, xero_http

if TYPE_CHECKING:
    from fakes.fixtures import Clock

pytest_plugins = ["fakes.fixtures"]

SETTINGS: dict[str, Any] = {
    "revenue_account": "200",
    "payment_account": "090",
    "tax_types": {"none": "NONE", "tax1": "OUTPUT2", "tax2": "RROUTPUT", "both": "TAX003"},
    "invoice_status": "AUTHORISED",
    "sync_on_send": True,
}
PDF = ("INV-0001.pdf", b"%PDF-1.4 keito invoice\n%%EOF\n")


class FakeTokens:
    """Tokens minted by the fake's own PKCE flow; a refresh goes through its token endpoint."""

    def __init__(self, fake: FakeXero, client: httpx.Client) -> None:
        self.fake, self.client = fake, client
        answer = fake.consent()
        self.access, self.refresh = answer["access_token"], answer["refresh_token"]
        self.refreshes = 0

    def access_token(self) -> str:
        return self.access

    def refreshed(self, rejected: str) -> str:
        answer = self.client.post(endpoints("xero", {"KEITO_XERO_URL": self.fake.base_url}).token,
                                  data={"grant_type": "refresh_token",
                                        "refresh_token": self.refresh,
                                        "client_id": self.fake.client_id}).json()
        self.access, self.refresh = answer["access_token"], answer["refresh_token"]
        self.refreshes += 1
        return self.access


class MemoryLinks:
    """The engine's sync records, in a dict."""

    def __init__(self) -> None:
        self.saved: dict[tuple[str, str], Remote] = {}

    def get(self, entity_type: str, entity_id: str) -> Remote | None:
        return self.saved.get((entity_type, entity_id))

    def save(self, entity_type: str, entity_id: str, remote: Remote) -> None:
        self.saved[(entity_type, entity_id)] = remote


class Harness:
    def __init__(self, fake: FakeXero, clock: Clock) -> None:
        self.fake, self.clock = fake, clock
        self.waits: list[tuple[str, float]] = []
        self.client = httpx.Client(transport=fake.transport())
        self.tokens = FakeTokens(fake, self.client)
        self.http = xero_http(client=self.client, tokens=self.tokens, clock=clock,
                              sleep=self._sleep, rng=random.Random(1),
                              on_wait=lambda reason, s: self.waits.append((reason, s)))
        self.links = MemoryLinks()
        self.api = endpoints("xero", {"KEITO_XERO_URL": fake.base_url}).api

    def _sleep(self, seconds: float) -> None:
        self.clock.advance(seconds=seconds)

    def provider(self, **settings: Any) -> XeroProvider:
        return XeroProvider(self.http, api_url=self.api, tenant_id=self.fake.tenant_id,
                            settings={**SETTINGS, **settings})

    def writes(self, path_part: str = "") -> list[str]:
        return [f"{r.method} {r.path}" for r in self.fake.requests
                if r.method in ("PUT", "POST") and path_part in r.path
                and "/connect/" not in r.path and "/identity/" not in r.path]


@pytest.fixture
def xero(fake_xero: FakeXero, xero_clock: Clock) -> Iterator[Harness]:
    harness = Harness(fake_xero, xero_clock)
    yield harness
    harness.client.close()


def invoice(**overrides: Any) -> InvoiceDoc:
    lines = overrides.pop("lines", [("2", "150", True, False), ("1.5", "85", True, False)])
    return make_invoice(lines, **overrides)


def payment(pid: str, amount: str, *, transaction: str | None = None) -> PaymentDoc:
    return PaymentDoc(id=pid, invoice_id="inv_1", amount=D(amount), paid_on=date(2025, 3, 20),
                      currency="GBP", transaction_id=transaction)


def xero_invoice(fake: FakeXero, remote: Remote) -> Any:
    return fake.invoices[remote.id]


# -- settings ---------------------------------------------------------------------------------


def test_is_a_provider(xero: Harness) -> None:
    provider: Provider = xero.provider()
    assert provider.provider == "xero"


def test_choices(xero: Harness) -> None:
    choices = xero.provider().choices()
    assert [(c.id, c.name) for c in choices["revenue_account"]] == [
        ("200", "Sales"), ("260", "Other Revenue")]
    assert [c.id for c in choices["payment_account"]] == ["090"]
    rates = {c.id: c for c in choices["tax_types"]}
    assert rates["OUTPUT2"].detail == "20%"
    assert rates["TAX003"].extra["effective_rate"] == D(25)
    assert [c["name"] for c in rates["TAX003"].extra["components"]] == ["VAT", "Levy"]
    assert [c.id for c in choices["currencies"]] == ["GBP", "USD", "EUR"]
    assert xero.fake.violations == []


def test_missing_settings_named_precisely(xero: Harness) -> None:
    doc = invoice(lines=[("1", "10", True, False), ("1", "10", True, True),
                         ("1", "10", False, False)], tax1="20", tax2="5")
    assert xero.provider(tax_types={}, revenue_account=None).missing_settings(doc) == [
        "revenue account", "tax rate for untaxed lines", "tax rate for tax 1 (VAT 20%)",
        "tax rate for tax 1 and tax 2 on the same line (VAT 20% + Levy 5%)"]
    partial = xero.provider(revenue_account=None, line_accounts={"service": "200"},
                            tax_types={"tax1": "OUTPUT2", "both": "TAX003", "none": "NONE"},
                            invoice_status="PAID")
    assert partial.missing_settings(doc) == ["invoice status DRAFT or AUTHORISED (not 'PAID')"]
    assert xero.provider().missing_settings(doc) == []
    with pytest.raises(KeitoError) as caught:
        xero.provider(tax_types={"tax1": "OUTPUT2"}).push_invoice(doc, xero.links, remote=None)
    assert caught.value.code == "config_error"
    assert "tax rate for untaxed lines" in caught.value.message
    assert xero.fake.requests == [] or xero.writes() == []
    assert xero.fake.violations == []


def test_currency_mismatch_blocked_before_any_write(xero: Harness) -> None:
    doc = invoice(currency="JPY", lines=[("2", "15000", True, False)])
    provider = xero.provider()
    with pytest.raises(KeitoError) as caught:
        provider.push_invoice(doc, xero.links, remote=None)
    assert caught.value.code == "validation_error"
    assert "JPY" in caught.value.message and "GBP, USD, EUR" in caught.value.message
    assert xero.writes() == [] and xero.fake.invoices == {} and xero.fake.contacts == {}
    provider.check_invoice(invoice())  # currencies read once per provider
    assert sum(r.path.endswith("/Currencies") for r in xero.fake.requests) == 1
    assert xero.fake.violations == []


def test_tax_rate_mismatch_names_both_rates(xero: Harness) -> None:
    provider = xero.provider(tax_types={"tax1": "OUTPUT"})  # 17.5 % in Xero
    with pytest.raises(KeitoError) as caught:
        provider.push_invoice(invoice(), xero.links, remote=None)
    assert caught.value.code == "validation_error"
    assert "Keito charges 20%" in caught.value.message
    assert "OUTPUT (17.5% (VAT on Income)) is 17.5%" in caught.value.message
    assert xero.writes() == []
    assert xero.fake.violations == []


# -- contacts ---------------------------------------------------------------------------------


def test_contact_matched_by_name_before_create(xero: Harness, xero_clock: Clock) -> None:
    existing = xero.fake.books().create_contact({"Name": "ACME LTD"}, now=xero_clock())
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert xero.writes("/Contacts") == []
    assert xero.links.get("client", "cli_acme") == Remote(id=existing.contact_id,
                                                          status="ACTIVE")
    assert xero.fake.invoices[remote.id].contact_id == existing.contact_id
    assert xero.fake.violations == []


def test_contact_matched_by_email_before_create(xero: Harness, xero_clock: Clock) -> None:
    existing = xero.fake.books().create_contact(
        {"Name": "Acme Holdings plc", "EmailAddress": "AP@acme.test"}, now=xero_clock())
    xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert xero.writes("/Contacts") == []
    assert xero.links.get("client", "cli_acme").id == existing.contact_id  # type: ignore[union-attr]
    assert len(xero.fake.contacts) == 1
    assert xero.fake.violations == []


def test_contact_created_once_and_linked_at_once(xero: Harness) -> None:
    provider = xero.provider()
    provider.push_invoice(invoice(), xero.links, remote=None)
    [contact] = xero.fake.contacts.values()
    assert contact.name == "Acme Ltd"
    assert contact.fields["EmailAddress"] == "ap@acme.test"
    assert xero.links.get("client", "cli_acme").id == contact.contact_id  # type: ignore[union-attr]
    searches = sum(r.path.endswith("/Contacts") and r.method == "GET"
                   for r in xero.fake.requests)
    provider.push_invoice(invoice(number="INV-0002", invoice_id="inv_2"), xero.links,
                          remote=None)
    assert sum(r.path.endswith("/Contacts") and r.method == "GET"
               for r in xero.fake.requests) == searches  # the link, no search
    assert len(xero.fake.contacts) == 1 and len(xero.fake.invoices) == 2
    assert xero.fake.violations == []


def test_contact_created_even_when_the_put_times_out_after_commit(xero: Harness) -> None:
    xero.fake.fail_next("commit_then_timeout", method="PUT", path_contains="/Contacts")
    xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert len(xero.fake.contacts) == 1
    assert xero.fake.violations == []


# -- invoices ---------------------------------------------------------------------------------


def test_invoice_created_with_every_field(xero: Harness) -> None:
    doc = invoice()
    remote = xero.provider().push_invoice(doc, xero.links, remote=None)
    sent = next(r for r in xero.fake.requests if r.method == "PUT"
                and r.path.endswith("/Invoices"))
    assert sent.headers["xero-tenant-id"] == xero.fake.tenant_id
    assert sent.headers["accept"] == "application/json"
    assert len(sent.headers["idempotency-key"]) == 64
    element = sent.json["Invoices"][0]
    assert {k: element[k] for k in ("Type", "InvoiceNumber", "Reference", "Date", "DueDate",
                                    "CurrencyCode", "Status", "LineAmountTypes")} == {
        "Type": "ACCREC", "InvoiceNumber": "INV-0001", "Reference": "PO-7",
        "Date": "2025-03-03", "DueDate": "2025-04-02", "CurrencyCode": "GBP",
        "Status": "AUTHORISED", "LineAmountTypes": "Exclusive"}
    assert element["LineItems"][0] == {"Description": "Work 1", "Quantity": 2,
                                       "UnitAmount": 150, "AccountCode": "200",
                                       "TaxType": "OUTPUT2", "LineAmount": 300}
    assert remote == Remote(id=remote.id, number="INV-0001", total=doc.total,
                            amount_due=doc.total, status="AUTHORISED")
    assert xero.fake.invoice_totals(remote.id)["Total"] == doc.total == D("513.00")
    assert xero.fake.violations == []


def test_invoice_created_once_through_commit_then_timeout(xero: Harness) -> None:
    xero.fake.fail_next("commit_then_timeout", method="PUT", path_contains="/Invoices")
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert len(xero.fake.invoices) == 1 and remote.id in xero.fake.invoices
    assert [w for w, _ in xero.waits] == ["timeout"]
    assert xero.fake.violations == []


def test_crash_after_commit_links_the_invoice_instead_of_a_second(xero: Harness) -> None:
    first = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    # The engine crashed before recording `first`: the next run knows no remote.
    again = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert again.id == first.id and len(xero.fake.invoices) == 1
    assert xero.writes("/Invoices") == ["PUT /api.xro/2.0/Invoices"]
    assert xero.fake.violations == []


def test_voided_number_is_an_error_for_the_admin(xero: Harness) -> None:
    provider = xero.provider()
    doc = invoice()
    remote = provider.push_invoice(doc, xero.links, remote=None)
    provider.void_invoice(doc, xero.links, remote=remote)
    with pytest.raises(KeitoError) as caught:
        provider.push_invoice(doc, xero.links, remote=None)
    assert caught.value.code == "conflict"
    assert "INV-0001, VOIDED" in caught.value.message and caught.value.hint
    assert xero.fake.violations == []


def test_429_waits_for_retry_after_and_succeeds(xero: Harness, xero_clock: Clock) -> None:
    xero.fake.fail_next("429", method="PUT", path_contains="/Invoices", retry_after=17)
    start = xero_clock()
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert ("throttled", 17.0) in xero.waits
    assert (xero_clock() - start).total_seconds() >= 17
    assert remote.id in xero.fake.invoices and xero.http.throttled == 1
    assert xero.fake.violations == []


def test_500s_are_retried(xero: Harness) -> None:
    xero.fake.fail_next("500", times=2, method="PUT", path_contains="/Invoices")
    xero.fake.fail_next("500", method="GET", path_contains="/Contacts")
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert remote.id in xero.fake.invoices and len(xero.fake.invoices) == 1
    assert xero.http.retried == 3
    assert [w for w, _ in xero.waits] == ["server"] * 3
    assert xero.fake.violations == []


def test_validation_error_surfaces_xeros_message(xero: Harness) -> None:
    with pytest.raises(KeitoError) as caught:
        xero.provider(revenue_account="999").push_invoice(invoice(), xero.links, remote=None)
    assert caught.value.code == "remote_error"
    assert caught.value.message == ("Xero answered HTTP 400: Account code '999' is not a "
                                    "valid code for this document.")
    assert xero.fake.invoices == {}
    assert xero.fake.violations == []


def test_expired_token_is_refreshed_once(xero: Harness) -> None:
    xero.fake.expire_access_tokens()
    xero.provider().push_invoice(invoice(), xero.links, remote=None)
    assert xero.tokens.refreshes == 1
    assert xero.fake.violations == []


def test_one_cent_rounding_difference_corrected(xero: Harness) -> None:
    """The worked example of test_xero_payloads: Xero alone says TotalTax 61.43, Keito 61.44."""
    doc = make_invoice(WORKED, discount="10", tax1="20", tax2="5")
    remote = xero.provider().push_invoice(doc, xero.links, remote=None)
    totals = xero.fake.invoice_totals(remote.id)
    assert (totals["SubTotal"], totals["TotalTax"], totals["Total"]) == (
        doc.subtotal - doc.discount_amount, doc.tax1_amount + doc.tax2_amount, doc.total)
    assert totals["Total"] == D("330.12") and remote.total == D("330.12")
    lines = xero.fake.invoices[remote.id].lines
    assert [ln.tax_amount for ln in lines] == [D("17.76"), D("25.01"), D("25.50"),
                                               D("-2.55"), D("-4.28")]
    # Sent without the explicit TaxAmount, Xero would have taxed one cent less.
    assert sum(ln.line_amount * {"OUTPUT2": 20, "TAX003": 25}[str(ln.tax_type)] / 100
               for ln in lines) != totals["TotalTax"]
    assert xero.fake.violations == []


def test_draft_status_setting(xero: Harness) -> None:
    remote = xero.provider(invoice_status="DRAFT").push_invoice(invoice(), xero.links,
                                                                remote=None)
    assert remote.status == "DRAFT"
    assert xero.fake.violations == []


def test_update_when_content_changed(xero: Harness) -> None:
    provider = xero.provider(invoice_status="DRAFT")
    remote = provider.push_invoice(invoice(), xero.links, remote=None)
    changed = invoice(lines=[("3", "150", True, False)], discount="5")
    updated = xero.provider().push_invoice(changed, xero.links, remote=remote)
    assert updated.id == remote.id and len(xero.fake.invoices) == 1
    assert updated.total == changed.total == D("513.00")
    assert updated.status == "AUTHORISED"  # DRAFT -> AUTHORISED per the settings
    # AUTHORISED in Xero stays so, even when the settings now say DRAFT.
    again = provider.push_invoice(invoice(), xero.links, remote=updated)
    assert again.status == "AUTHORISED" and again.total == invoice().total
    assert xero.writes("/Invoices") == ["PUT /api.xro/2.0/Invoices",
                                        f"POST /api.xro/2.0/Invoices/{remote.id}",
                                        f"POST /api.xro/2.0/Invoices/{remote.id}"]
    assert xero.fake.violations == []


def test_linked_invoice_gone_from_xero_is_looked_up_by_number(xero: Harness) -> None:
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    again = xero.provider().push_invoice(
        invoice(), xero.links, remote=Remote(id="0b5d3c1e-5a4f-4c39-9a43-1d2b3c4d5e6f"))
    assert again.id == remote.id and len(xero.fake.invoices) == 1
    assert xero.fake.violations == []


def test_paid_invoice_cannot_change(xero: Harness) -> None:
    provider = xero.provider()
    doc = invoice()
    remote = provider.push_invoice(doc, xero.links, remote=None)
    provider.push_payment(payment("pay_1", "100.00"), xero.links, invoice=remote)
    # Same totals (a payment was recorded in Keito): nothing to write.
    same = provider.push_invoice(doc, xero.links, remote=remote)
    assert same.amount_due == doc.total - D("100.00")
    with pytest.raises(KeitoError) as caught:
        provider.push_invoice(invoice(lines=[("1", "10", True, False)]), xero.links,
                              remote=remote)
    assert caught.value.code == "conflict" and "payments" in caught.value.message
    assert xero.fake.violations == []


def test_pdf_attached(xero: Harness) -> None:
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None, pdf=lambda: PDF)
    [attachment] = xero.fake.attachments.values()
    assert (attachment.invoice_id, attachment.file_name, attachment.mime_type,
            attachment.content, attachment.include_online) == (
        remote.id, "INV-0001.pdf", "application/pdf", PDF[1], True)
    assert xero.fake.invoices[remote.id].has_attachments
    assert xero.fake.violations == []


# -- payments and voids -------------------------------------------------------------------------


def test_partial_payments(xero: Harness) -> None:
    provider = xero.provider()
    doc = invoice()
    remote = provider.push_invoice(doc, xero.links, remote=None)
    first = provider.push_payment(payment("pay_1", "200.00", transaction="ch_123"), xero.links,
                                  invoice=remote)
    second = provider.push_payment(payment("pay_2", "13.00"), xero.links, invoice=remote)
    assert xero.fake.invoice_totals(remote.id)["AmountDue"] == D("300.00")
    assert xero.fake.payments[first.id].reference == "pay_1 txn ch_123"
    assert xero.fake.payments[first.id].amount == D("200.00")
    assert first.total == D("200.00") and second.status == "AUTHORISED"
    # Pushed again (a retry after a crash): found by its reference, not paid twice.
    again = provider.push_payment(payment("pay_1", "200.00", transaction="ch_123"), xero.links,
                                  invoice=remote)
    assert again.id == first.id and len(xero.fake.payments) == 2
    rest = provider.push_payment(payment("pay_3", "300.00"), xero.links, invoice=remote)
    assert xero.fake.invoices[remote.id].status == "PAID"
    provider.delete_payment(xero.links, remote=rest)
    assert xero.fake.payments[rest.id].status == "DELETED"
    assert xero.fake.invoices[remote.id].status == "AUTHORISED"
    provider.delete_payment(xero.links, remote=rest)  # already gone: fine
    assert xero.fake.violations == []


def test_payment_created_once_through_commit_then_timeout(xero: Harness) -> None:
    provider = xero.provider()
    remote = provider.push_invoice(invoice(), xero.links, remote=None)
    xero.fake.fail_next("commit_then_timeout", method="PUT", path_contains="/Payments")
    provider.push_payment(payment("pay_1", "50.00"), xero.links, invoice=remote)
    assert len(xero.fake.payments) == 1
    assert xero.fake.violations == []


def test_payment_deleted_then_pushed_again_is_a_new_payment(xero: Harness) -> None:
    provider = xero.provider()
    remote = provider.push_invoice(invoice(), xero.links, remote=None)
    first = provider.push_payment(payment("pay_1", "50.00"), xero.links, invoice=remote)
    provider.delete_payment(xero.links, remote=first)
    second = provider.push_payment(payment("pay_1", "50.00"), xero.links, invoice=remote)
    assert second.id != first.id and xero.fake.payments[second.id].status == "AUTHORISED"
    assert xero.fake.violations == []


def test_payment_needs_the_payment_account(xero: Harness) -> None:
    remote = xero.provider().push_invoice(invoice(), xero.links, remote=None)
    with pytest.raises(KeitoError) as caught:
        xero.provider(payment_account=None).push_payment(payment("pay_1", "5.00"), xero.links,
                                                         invoice=remote)
    assert caught.value.code == "config_error" and "payment account" in caught.value.message
    assert xero.fake.payments == {}
    assert xero.fake.violations == []


def test_void_with_payments(xero: Harness) -> None:
    provider = xero.provider()
    doc = invoice()
    remote = provider.push_invoice(doc, xero.links, remote=None)
    paid = [provider.push_payment(payment(f"pay_{n}", amount), xero.links, invoice=remote)
            for n, amount in ((1, "100.00"), (2, "413.00"))]
    assert xero.fake.invoices[remote.id].status == "PAID"
    voided = provider.void_invoice(doc, xero.links, remote=remote)
    assert voided.status == "VOIDED" and voided.id == remote.id
    assert [xero.fake.payments[p.id].status for p in paid] == ["DELETED", "DELETED"]
    assert set(xero.fake.payments) == {p.id for p in paid}  # kept, never hard-deleted
    assert provider.void_invoice(doc, xero.links, remote=remote).status == "VOIDED"
    assert xero.fake.violations == []


def test_void_of_an_invoice_gone_from_keito(xero: Harness) -> None:
    provider = xero.provider()
    remote = provider.push_invoice(invoice(), xero.links, remote=None)
    provider.push_payment(payment("pay_1", "13.00"), xero.links, invoice=remote)
    assert provider.void_invoice(None, xero.links, remote=Remote(id=remote.id)).status == \
        "VOIDED"
    assert xero.fake.violations == []


def test_void_of_a_draft_deletes_it(xero: Harness) -> None:
    provider = xero.provider(invoice_status="DRAFT")
    doc = invoice()
    remote = provider.push_invoice(doc, xero.links, remote=None)
    deleted = provider.void_invoice(doc, xero.links, remote=remote)
    assert deleted.status == "DELETED"
    # Reopened in Keito and pushed again: a new invoice (the number is free again).
    again = provider.push_invoice(doc, xero.links, remote=deleted)
    assert again.id != remote.id and again.status == "DRAFT"
    assert xero.fake.invoices[again.id].number == "INV-0001"
    assert xero.fake.violations == []


def test_many_invoices_through_random_faults(xero: Harness) -> None:
    xero.fake.fail_randomly(0.2, seed=11)
    provider = xero.provider()
    clients = [ClientDoc(id=f"cli_{n}", name=f"Client {n}", currency="GBP") for n in range(5)]
    for n in range(30):
        doc = make_invoice(WORKED, discount="10", tax1="20", tax2="5", number=f"INV-{n:04d}",
                           invoice_id=f"inv_{n}", client=clients[n % 5])
        for _ in range(5):  # the engine's retries
            try:
                remote = provider.push_invoice(doc, xero.links, remote=None)
                break
            except KeitoError:
                continue
        assert remote.total == doc.total
    xero.fake.fail_randomly(0, seed=0)
    assert len(xero.fake.invoices) == 30 and len(xero.fake.contacts) == 5
    assert xero.fake.limit_hits == []  # paced under 60 a minute by the client itself
    assert any(reason == "limit" for reason, _ in xero.waits)
    assert sorted(i.number for i in xero.fake.invoices.values()) == [
        f"INV-{n:04d}" for n in range(30)]
    assert xero.fake.violations == []

