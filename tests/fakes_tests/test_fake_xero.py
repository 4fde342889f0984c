"""The fake Xero itself: it must take what Xero takes, refuse what Xero refuses, and say so."""

from __future__ import annotations

import base64
import hashlib
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fakes.http_server import serve
from fakes.xero import DEFAULT_SCOPES, FakeXero

if TYPE_CHECKING:
    from fakes.fixtures import Clock

pytest_plugins = ["fakes.fixtures"]

API = "/api.xro/2.0"
REDIRECT = "http://127.0.0.1:8765/callback"


@pytest.fixture
def client(fake_xero: FakeXero) -> Iterator[httpx.Client]:
    with httpx.Client(transport=fake_xero.transport(), base_url=fake_xero.base_url) as c:
        yield c


def api_headers(fake: FakeXero, tokens: dict[str, Any], **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}", "Accept": "application/json",
            "xero-tenant-id": fake.tenant_id, **extra}


@pytest.fixture
def headers(fake_xero: FakeXero) -> dict[str, str]:
    return api_headers(fake_xero, fake_xero.consent())


def invoice(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Type": "ACCREC", "Contact": {"Name": "Acme Ltd"}, "InvoiceNumber": "KT-0001",
        "Date": "2026-03-01", "DueDate": "2026-03-31", "Status": "AUTHORISED",
        "LineItems": [{"Description": "Design", "Quantity": 1, "UnitAmount": 100,
                       "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }
    body.update(overrides)
    return {"Invoices": [body]}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def authorize(client: httpx.Client, challenge: str, **overrides: str) -> httpx.Response:
    params = {"response_type": "code", "client_id": "keito-test-xero", "redirect_uri": REDIRECT,
              "scope": DEFAULT_SCOPES, "state": "st4te", "code_challenge": challenge,
              "code_challenge_method": "S256", **overrides}
    return client.get("/identity/connect/authorize", params=params)


def exchange(client: httpx.Client, code: str, verifier: str) -> httpx.Response:
    return client.post("/connect/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
        "code_verifier": verifier, "client_id": "keito-test-xero"})


def refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": token, "client_id": "keito-test-xero"})


# -- OAuth and connections ---------------------------------------------------------------------


def test_pkce_code_flow_and_connections(client: httpx.Client, fake_xero: FakeXero) -> None:
    verifier, challenge = pkce()
    redirected = authorize(client, challenge)
    assert redirected.status_code == 302
    location = httpx.URL(redirected.headers["location"])
    assert str(location).startswith(REDIRECT) and location.params["state"] == "st4te"
    tokens = exchange(client, location.params["code"], verifier).json()
    assert tokens["expires_in"] == 1800 and tokens["token_type"] == "Bearer"
    assert tokens["refresh_token"]

    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    connections = client.get("/connections", headers=auth).json()
    assert [(c["tenantId"], c["tenantName"], c["tenantType"]) for c in connections] == [
        (fake_xero.tenant_id, "Demo Company (UK)", "ORGANISATION")]

    organisation = client.get(f"{API}/Organisation",
                              headers=api_headers(fake_xero, tokens)).json()
    assert organisation["Organisations"][0]["BaseCurrency"] == "GBP"
    assert client.delete(f"/connections/{connections[0]['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/Organisation",
                      headers=api_headers(fake_xero, tokens)).status_code == 403


def test_pkce_wrong_verifier_is_refused_and_a_code_works_once(client: httpx.Client) -> None:
    verifier, challenge = pkce()
    code = httpx.URL(authorize(client, challenge).headers["location"]).params["code"]
    wrong = exchange(client, code, pkce()[0])
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    assert exchange(client, code, verifier).json() == {"error": "invalid_grant"}

    verifier, challenge = pkce()
    code = httpx.URL(authorize(client, challenge).headers["location"]).params["code"]
    assert exchange(client, code, verifier).status_code == 200
    assert exchange(client, code, verifier).json() == {"error": "invalid_grant"}


@pytest.mark.parametrize("overrides", [{"client_id": "someone-else"}, {"code_challenge": ""},
                                       {"code_challenge_method": "plain"}])
def test_authorize_refuses_unknown_clients_and_missing_pkce(
        client: httpx.Client, overrides: dict[str, str]) -> None:
    assert authorize(client, pkce()[1], **overrides).status_code == 400


def test_refresh_rotates_with_a_grace_and_expires_unused(
        client: httpx.Client, fake_xero: FakeXero, xero_clock: Clock) -> None:
    first = fake_xero.consent()
    second = refresh(client, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]

    xero_clock.advance(minutes=29)
    in_grace = refresh(client, first["refresh_token"])
    assert in_grace.status_code == 200
    assert in_grace.json()["refresh_token"] not in (first["refresh_token"],
                                                    second["refresh_token"])
    xero_clock.advance(minutes=2)
    assert refresh(client, first["refresh_token"]).json() == {"error": "invalid_grant"}
    assert refresh(client, second["refresh_token"]).status_code == 200

    unused = fake_xero.consent()["refresh_token"]
    xero_clock.advance(days=59, hours=23)
    assert refresh(client, unused).status_code == 200
    unused = fake_xero.consent()["refresh_token"]
    xero_clock.advance(days=60)
    assert refresh(client, unused).json() == {"error": "invalid_grant"}


def test_access_tokens_expire_after_30_minutes_and_on_demand(
        client: httpx.Client, fake_xero: FakeXero, xero_clock: Clock) -> None:
    tokens = fake_xero.consent()
    assert client.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens)).is_success
    xero_clock.advance(seconds=1800)
    expired = client.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens))
    assert expired.status_code == 401
    assert expired.json()["Detail"].startswith("TokenExpired: token expired at")

    tokens = refresh(client, tokens["refresh_token"]).json()
    assert client.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens)).is_success
    fake_xero.expire_access_tokens()
    assert client.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens)).status_code == 401


def test_revoked_grant_ends_every_token(client: httpx.Client, fake_xero: FakeXero) -> None:
    tokens = fake_xero.consent()
    fake_xero.revoke_grant()
    answer = client.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens))
    assert answer.status_code == 401 and answer.json()["Title"] == "Unauthorized"
    assert refresh(client, tokens["refresh_token"]).json() == {"error": "invalid_grant"}

    tokens = fake_xero.consent()
    assert client.post("/connect/revocation", data={
        "token": tokens["refresh_token"], "client_id": "keito-test-xero"}).status_code == 200
    assert refresh(client, tokens["refresh_token"]).json() == {"error": "invalid_grant"}


# -- settings ----------------------------------------------------------------------------------


def test_settings_reads(client: httpx.Client, headers: dict[str, str]) -> None:
    rates = {r["TaxType"]: r for r in client.get(f"{API}/TaxRates", headers=headers)
             .json()["TaxRates"]}
    assert rates["OUTPUT2"]["EffectiveRate"] == 20
    assert rates["TAX003"]["EffectiveRate"] == 25
    assert len(rates["TAX003"]["TaxComponents"]) == 2
    accounts = {a["Code"]: a for a in client.get(f"{API}/Accounts", headers=headers)
                .json()["Accounts"]}
    assert accounts["090"]["Type"] == "BANK" and accounts["090"]["EnablePaymentsToAccount"]
    currencies = client.get(f"{API}/Currencies", headers=headers).json()["Currencies"]
    assert [c["Code"] for c in currencies] == ["GBP", "USD", "EUR"]


# -- invoices ----------------------------------------------------------------------------------


def test_invoice_totals_are_taxed_per_line(client: httpx.Client, fake_xero: FakeXero,
                                           headers: dict[str, str]) -> None:
    """Three lines of 10.03 at 20%: each line's tax 2.006 rounds to 2.01, so Xero's TotalTax
    is 6.03, one cent more than 20% of the 30.09 subtotal (6.018 -> 6.02)."""
    line = {"Description": "Hour", "Quantity": 1, "UnitAmount": 10.03, "AccountCode": "200",
            "TaxType": "OUTPUT2"}
    created = client.put(f"{API}/Invoices", headers=headers,
                         json=invoice(LineItems=[line, line, line]))
    assert created.status_code == 200, created.text
    answered = created.json()["Invoices"][0]
    assert (answered["SubTotal"], answered["TotalTax"], answered["Total"]) == (30.09, 6.03, 36.12)
    assert [ln["TaxAmount"] for ln in answered["LineItems"]] == [2.01, 2.01, 2.01]
    assert answered["Date"].startswith("/Date(") and answered["DateString"].startswith("2026-03-01")
    assert fake_xero.invoice_totals(answered["InvoiceID"])["Total"] == Decimal("36.12")

    # A given TaxAmount per line is kept: that is how a client corrects Xero's rounding.
    corrected = [{**line, "TaxAmount": 2.01}, {**line, "TaxAmount": 2.01},
                 {**line, "TaxAmount": 2.00}]
    fixed = client.put(f"{API}/Invoices", headers=headers,
                       json=invoice(InvoiceNumber="KT-0002", LineItems=corrected)).json()
    assert fixed["Invoices"][0]["TotalTax"] == 6.02


def test_line_amounts_discounts_and_the_line_total_check(
        client: httpx.Client, headers: dict[str, str]) -> None:
    lines = [{"Description": "Discounted", "Quantity": 3, "UnitAmount": 33.33,
              "DiscountRate": 10, "AccountCode": "200", "TaxType": "NONE"},
             {"Description": "Given", "Quantity": 1, "UnitAmount": 10, "LineAmount": 10.01,
              "AccountCode": "200", "TaxType": "NONE"}]
    answered = client.put(f"{API}/Invoices", headers=headers,
                          json=invoice(LineItems=lines)).json()["Invoices"][0]
    assert [ln["LineAmount"] for ln in answered["LineItems"]] == [89.99, 10.01]

    off = [{**lines[1], "LineAmount": 10.02}]
    refused = client.put(f"{API}/Invoices", headers=headers,
                         json=invoice(InvoiceNumber="KT-0002", LineItems=off))
    assert refused.status_code == 400
    assert "does not match" in refused.json()["Elements"][0]["ValidationErrors"][0]["Message"]


@pytest.mark.parametrize("overrides, message", [
    ({"CurrencyCode": "JPY"}, "Organisation is not subscribed to currency JPY"),
    ({"Contact": {"ContactID": "00000000-0000-0000-0000-000000000001"}}, "Contact could not"),
    ({"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "999"}]},
     "Account code '999'"),
    ({"LineItems": [{"Description": "x", "UnitAmount": 1, "AccountCode": "200",
                     "TaxType": "NOPE"}]}, "The TaxType code 'NOPE'"),
])
def test_invoice_validation_errors_in_xeros_shape(
        client: httpx.Client, headers: dict[str, str], overrides: dict[str, Any],
        message: str) -> None:
    refused = client.put(f"{API}/Invoices", headers=headers, json=invoice(**overrides))
    assert refused.status_code == 400
    body = refused.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert message in body["Elements"][0]["ValidationErrors"][0]["Message"]


def test_invoice_numbers_are_unique_and_lookups_by_number(
        client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str]) -> None:
    assert client.put(f"{API}/Invoices", headers=headers, json=invoice()).is_success
    again = client.put(f"{API}/Invoices", headers=headers, json=invoice())
    assert again.status_code == 400
    assert again.json()["Elements"][0]["ValidationErrors"] == [
        {"Message": "Invoice # must be unique."}]
    found = client.get(f"{API}/Invoices", headers=headers,
                       params={"InvoiceNumbers": "KT-0001,KT-9999", "page": 1}).json()
    assert [i["InvoiceNumber"] for i in found["Invoices"]] == ["KT-0001"]
    assert found["pagination"]["itemCount"] == 1
    assert len(fake_xero.invoices) == 1 and len(fake_xero.contacts) == 1


def test_void_delete_and_payments(client: httpx.Client, fake_xero: FakeXero,
                                  headers: dict[str, str]) -> None:
    invoice_id = client.put(f"{API}/Invoices", headers=headers,
                            json=invoice()).json()["Invoices"][0]["InvoiceID"]

    def pay(amount: float) -> httpx.Response:
        return client.put(f"{API}/Payments", headers=headers, json={"Payments": [{
            "Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"},
            "Date": "2026-03-05", "Amount": amount, "Reference": "KT pay"}]})

    too_much = pay(120.01)
    assert too_much.status_code == 400
    assert too_much.json()["Elements"][0]["ValidationErrors"][0]["Message"] == (
        "Payment amount exceeds the amount outstanding on this document")
    payment_id = pay(20).json()["Payments"][0]["PaymentID"]
    assert fake_xero.invoice_totals(invoice_id)["AmountDue"] == Decimal("100.00")

    void = client.post(f"{API}/Invoices/{invoice_id}", headers=headers,
                       json={"Invoices": [{"Status": "VOIDED"}]})
    assert void.status_code == 400
    assert "payment" in void.json()["Elements"][0]["ValidationErrors"][0]["Message"]

    found = client.get(f"{API}/Payments", headers=headers,
                       params={"where": 'Reference=="KT pay"'}).json()["Payments"]
    assert [p["PaymentID"] for p in found] == [payment_id]
    assert client.post(f"{API}/Payments/{payment_id}", headers=headers,
                       json={"Status": "DELETED"}).is_success
    assert client.post(f"{API}/Invoices/{invoice_id}", headers=headers,
                       json={"Invoices": [{"Status": "VOIDED"}]}).is_success
    assert fake_xero.invoices[invoice_id].status == "VOIDED"

    paid_id = client.put(f"{API}/Invoices", headers=headers, json=invoice(
        InvoiceNumber="KT-0002")).json()["Invoices"][0]["InvoiceID"]
    invoice_id = paid_id
    assert pay(120).is_success
    assert fake_xero.invoices[paid_id].status == "PAID"

    draft = client.put(f"{API}/Invoices", headers=headers, json=invoice(
        InvoiceNumber="KT-0003", Status="DRAFT")).json()["Invoices"][0]["InvoiceID"]
    assert client.post(f"{API}/Invoices/{draft}", headers=headers,
                       json={"Invoices": [{"Status": "DELETED"}]}).is_success


def test_contacts_search_and_unique_names(client: httpx.Client, headers: dict[str, str]) -> None:
    created = client.put(f"{API}/Contacts", headers=headers, json={"Contacts": [
        {"Name": "Acme Ltd", "EmailAddress": "billing@acme.test"}]})
    assert created.status_code == 200
    contact_id = created.json()["Contacts"][0]["ContactID"]
    again = client.put(f"{API}/Contacts", headers=headers,
                       json={"Contacts": [{"Name": "Acme Ltd"}]})
    assert "already assigned to another contact" in (
        again.json()["Elements"][0]["ValidationErrors"][0]["Message"])
    for term in ("acme", "BILLING@"):
        found = client.get(f"{API}/Contacts", headers=headers,
                           params={"searchTerm": term}).json()["Contacts"]
        assert [c["ContactID"] for c in found] == [contact_id]
    by_where = client.get(f"{API}/Contacts", headers=headers,
                          params={"where": 'Name=="Acme Ltd"'}).json()["Contacts"]
    assert [c["ContactID"] for c in by_where] == [contact_id]


def test_attachments(client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str]) -> None:
    invoice_id = client.put(f"{API}/Invoices", headers=headers,
                            json=invoice()).json()["Invoices"][0]["InvoiceID"]
    put = client.put(f"{API}/Invoices/{invoice_id}/Attachments/KT-0001.pdf",
                     params={"IncludeOnline": "true"}, content=b"%PDF-1.7 ...",
                     headers={**headers, "Content-Type": "application/pdf"})
    assert put.status_code == 200, put.text
    listed = client.get(f"{API}/Invoices/{invoice_id}/Attachments",
                        headers=headers).json()["Attachments"]
    assert [(a["FileName"], a["MimeType"], a["IncludeOnline"]) for a in listed] == [
        ("KT-0001.pdf", "application/pdf", True)]
    assert [a.content for a in fake_xero.attachments.values()] == [b"%PDF-1.7 ..."]


# -- violations --------------------------------------------------------------------------------


@pytest.mark.parametrize("body, expected", [
    (invoice(Refrence="typo"), "'Refrence' was unexpected"),
    (invoice(LineItems=[{"Description": "x", "Quantity": 1, "UnitAmout": 5}]),
     "'UnitAmout' was unexpected"),
    ({"Invoices": [{"Type": "ACCREC", "LineItems": [{"Description": "x"}]}]},
     "Invoice requires Contact"),
    ({"Invoices": [{"Type": "ACCREC", "Contact": {"EmailAddress": "a@b.test"},
                    "LineItems": [{"Description": "x"}]}]}, "needs ContactID or Name"),
    (invoice(Date="01/03/2026"), "is not a YYYY-MM-DD date"),
    (invoice(Type="INVOICE"), "is not one of"),
    ({"invoices": []}, "'invoices' was unexpected"),
])
def test_requests_xero_would_refuse_are_violations(
        client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str],
        body: dict[str, Any], expected: str) -> None:
    refused = client.put(f"{API}/Invoices", headers=headers, json=body)
    assert refused.status_code == 400
    assert any(expected in v for v in fake_xero.violations), fake_xero.violations
    assert all(v.startswith("PUT /api.xro/2.0/Invoices: ") for v in fake_xero.violations)
    assert fake_xero.invoices == {}
    fake_xero.violations.clear()


@pytest.mark.parametrize("drop, extra, expected", [
    ("xero-tenant-id", {}, "xero-tenant-id"),
    ("Accept", {}, "Accept must name application/json"),
    (None, {"Idempotency-Key": "k" * 129}, "Idempotency-Key must be 1 to 128"),
])
def test_header_violations(client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str],
                           drop: str | None, extra: dict[str, str], expected: str) -> None:
    sent = {k: v for k, v in headers.items() if k != drop} | extra
    if drop == "Accept":
        sent["Accept"] = "*/*"
    assert client.put(f"{API}/Invoices", headers=sent, json=invoice()).status_code == 400
    assert any(expected in v for v in fake_xero.violations), fake_xero.violations
    fake_xero.violations.clear()


def test_payment_without_account_is_a_violation(
        client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str]) -> None:
    invoice_id = client.put(f"{API}/Invoices", headers=headers,
                            json=invoice()).json()["Invoices"][0]["InvoiceID"]
    refused = client.put(f"{API}/Payments", headers=headers, json={"Payments": [
        {"Invoice": {"InvoiceID": invoice_id}, "Date": "2026-03-05", "Amount": 5}]})
    assert refused.status_code == 400
    assert fake_xero.violations == [
        "PUT /api.xro/2.0/Payments: $.Payments[0]: Payment requires Account when created"]
    fake_xero.violations.clear()


# -- idempotency, faults and limits ------------------------------------------------------------


def test_idempotency_key_replays_the_first_answer(
        client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str]) -> None:
    keyed = {**headers, "Idempotency-Key": "invoice-KT-0001-abc"}
    first = client.put(f"{API}/Invoices", headers=keyed, json=invoice())
    second = client.put(f"{API}/Invoices", headers=keyed, json=invoice())
    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["Invoices"][0]["InvoiceID"] == second.json()["Invoices"][0]["InvoiceID"]
    assert len(fake_xero.invoices) == 1


def test_faults(client: httpx.Client, fake_xero: FakeXero, headers: dict[str, str]) -> None:
    fake_xero.fail_next("500", method="PUT")
    assert client.put(f"{API}/Invoices", headers=headers, json=invoice()).status_code == 500
    fake_xero.fail_next("429", retry_after=7)
    limited = client.put(f"{API}/Invoices", headers=headers, json=invoice())
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    fake_xero.fail_next("timeout")
    with pytest.raises(httpx.ReadTimeout):
        client.put(f"{API}/Invoices", headers=headers, json=invoice())
    assert fake_xero.invoices == {}

    fake_xero.fail_next("commit_then_timeout", path_contains="/Invoices")
    with pytest.raises(httpx.ReadTimeout):
        client.put(f"{API}/Invoices", headers=headers, json=invoice())
    assert len(fake_xero.invoices) == 1
    assert [k for k, _, _ in fake_xero.faults.injected] == [
        "500", "429", "timeout", "commit_then_timeout"]
    assert fake_xero.limit_hits == []


def test_random_faults_hit_that_fraction(fake_xero: FakeXero, client: httpx.Client,
                                         headers: dict[str, str], xero_clock: Clock) -> None:
    fake_xero.fail_randomly(0.2, seed=7, kinds=("500", "503"))
    statuses = []
    for _ in range(200):
        xero_clock.advance(seconds=1.5)
        statuses.append(client.get(f"{API}/Accounts", headers=headers).status_code)
    failed = sum(s >= 500 for s in statuses)
    assert 25 <= failed <= 55
    fake_xero.fail_randomly(0, seed=0)
    assert client.get(f"{API}/Accounts", headers=headers).status_code == 200


def test_minute_and_day_limits(client: httpx.Client, fake_xero: FakeXero,
                               headers: dict[str, str], xero_clock: Clock) -> None:
    for _ in range(60):
        assert client.get(f"{API}/Accounts", headers=headers).status_code == 200
    over = client.get(f"{API}/Accounts", headers=headers)
    assert over.status_code == 429
    assert over.headers["X-Rate-Limit-Problem"] == "minute"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert fake_xero.limit_hits == ["minute"]
    xero_clock.advance(seconds=61)
    assert client.get(f"{API}/Accounts", headers=headers).status_code == 200

    calls = fake_xero.limits.calls[fake_xero.tenant_id]
    while len(calls) < 5000:
        calls.appendleft(calls[0])
    xero_clock.advance(seconds=61)
    day = client.get(f"{API}/Accounts", headers=headers)
    assert (day.status_code, day.headers["X-Rate-Limit-Problem"]) == (429, "day")
    fake_xero.limit_hits.clear()


def test_served_over_http_with_the_concurrency_limit(fake_xero: FakeXero) -> None:
    tokens = fake_xero.consent()
    fake_xero.latency = 0.3
    with serve(fake_xero.handle) as url:
        fake_xero.base_url = url
        statuses: list[int] = []

        def call() -> None:
            with httpx.Client(base_url=url) as c:
                statuses.append(c.get(f"{API}/Accounts",
                                      headers=api_headers(fake_xero, tokens)).status_code)

        threads = [threading.Thread(target=call) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200] * 5 + [429] * 3
        assert fake_xero.limit_hits == ["concurrent"] * 3
        fake_xero.limit_hits.clear()

        fake_xero.latency = 0
        fake_xero.fail_next("timeout")
        with httpx.Client(base_url=url) as c, pytest.raises(httpx.TransportError):
            c.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens))
        with httpx.Client(base_url=url) as c:
            answered = c.get(f"{API}/Accounts", headers=api_headers(fake_xero, tokens))
            assert answered.status_code == 200 and answered.json()["Accounts"]


def test_browser_follows_the_consent_to_the_loopback_listener(fake_xero: FakeXero) -> None:
    """fakes/browser.py as BROWSER: authorize URL -> 302 -> the 127.0.0.1 callback."""
    landed: list[httpx.URL] = []

    def listener(request: httpx.Request) -> httpx.Response:
        landed.append(request.url)
        return httpx.Response(200, text="You may close this window.")

    browser = Path(__file__).resolve().parents[1] / "fakes" / "browser.py"
    with serve(fake_xero.handle) as xero_url, serve(listener) as callback_url:
        fake_xero.base_url = xero_url
        url = httpx.URL(f"{xero_url}/identity/connect/authorize", params={
            "response_type": "code", "client_id": "keito-test-xero",
            "redirect_uri": f"{callback_url}/callback", "scope": DEFAULT_SCOPES,
            "state": "st4te", "code_challenge": pkce()[1], "code_challenge_method": "S256"})
        done = subprocess.run([sys.executable, str(browser), str(url)], timeout=60)
    assert done.returncode == 0
    assert [u.path for u in landed] == ["/callback"] and landed[0].params["state"] == "st4te"
