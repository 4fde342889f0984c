"""The fake QuickBooks Online acts like Intuit's for what Keito uses and refuses what QBO does."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fakes.quickbooks import FakeQuickBooks, ManualClock, corrected_schemas
from fakes.quickbooks_fixtures import fake_quickbooks

__all__ = ["fake_quickbooks"]

REALM = "9341453000000001"
BASIC = "Basic " + base64.b64encode(b"keito-test-qbo:keito-test-secret").decode()


class Api:
    """A minimal QBO client for these tests: the headers and parameters Intuit asks for."""

    def __init__(self, fake: FakeQuickBooks, token: str) -> None:
        self.fake = fake
        self.http = httpx.Client(transport=fake.transport(), base_url=fake.base_url)
        self.token = token
        self.counter = 0

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def get(self, path: str, **params: Any) -> httpx.Response:
        params.setdefault("minorversion", 75)
        return self.http.get(f"/v3/company/{REALM}/{path}", params=params,
                             headers=self.headers())

    def query(self, sql: str) -> dict[str, Any]:
        response = self.get("query", query=sql)
        assert response.status_code == 200, response.text
        return response.json()["QueryResponse"]

    def post(self, path: str, body: Any, **params: Any) -> httpx.Response:
        self.counter += 1
        params.setdefault("minorversion", 75)
        params.setdefault("requestid", f"req-{self.counter}")
        return self.http.post(f"/v3/company/{REALM}/{path}", params=params, json=body,
                              headers=self.headers())


@pytest.fixture
def clock(fake_quickbooks: FakeQuickBooks) -> ManualClock:
    assert isinstance(fake_quickbooks.clock, ManualClock)
    return fake_quickbooks.clock


@pytest.fixture
def api(fake_quickbooks: FakeQuickBooks) -> Iterator[Api]:
    client = Api(fake_quickbooks, fake_quickbooks.connect()["access_token"])
    yield client
    client.http.close()


def token_call(fake: FakeQuickBooks, **form: str) -> httpx.Response:
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        return http.post("/oauth2/v1/tokens/bearer", data=form,
                         headers={"Authorization": BASIC, "Accept": "application/json"})


def authorize(fake: FakeQuickBooks, **extra: str) -> dict[str, list[str]]:
    params = {"client_id": "keito-test-qbo", "response_type": "code", "state": "xyz",
              "scope": "com.intuit.quickbooks.accounting",
              "redirect_uri": "http://127.0.0.1:8765/callback", **extra}
    with httpx.Client(transport=fake.transport(), base_url=fake.base_url) as http:
        response = http.get("/connect/oauth2", params=params)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert location.netloc == "127.0.0.1:8765"
    return parse_qs(location.query)


# --- OAuth ---------------------------------------------------------------------------------------


def test_code_with_pkce_then_refresh_rotates_and_old_token_keeps_a_24_hour_grace(
        fake_quickbooks: FakeQuickBooks, clock: ManualClock) -> None:
    verifier = "v" * 64
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    redirect = authorize(fake_quickbooks, code_challenge=challenge, code_challenge_method="S256")
    assert redirect["state"] == ["xyz"] and redirect["realmId"] == [REALM]
    code = redirect["code"][0]
    exchange = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": "http://127.0.0.1:8765/callback"}
    assert token_call(fake_quickbooks, **exchange, code_verifier="wrong").json() == {
        "error": "invalid_grant"}
    first = token_call(fake_quickbooks, **exchange, code_verifier=verifier)
    assert first.status_code == 200
    tokens = first.json()
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 3600
    assert tokens["x_refresh_token_expires_in"] == 100 * 86400
    # A code is good once.
    assert token_call(fake_quickbooks, **exchange, code_verifier=verifier).status_code == 400

    api = Api(fake_quickbooks, tokens["access_token"])
    assert api.get(f"companyinfo/{REALM}").status_code == 200
    clock.advance(seconds=3600)
    expired = api.get(f"companyinfo/{REALM}")
    assert expired.status_code == 401
    assert expired.json()["Fault"]["type"] == "AUTHENTICATION"
    assert expired.json()["Fault"]["Error"][0]["code"] == "3200"

    refreshed = token_call(fake_quickbooks, grant_type="refresh_token",
                           refresh_token=tokens["refresh_token"]).json()
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    api.token = refreshed["access_token"]
    assert api.get("preferences").json()["Preferences"]["CurrencyPrefs"] == {
        "MultiCurrencyEnabled": True, "HomeCurrency": {"value": "USD"}}
    # Within 24 h the rotated-out token still refreshes, to the newest refresh token.
    clock.advance(hours=23)
    again = token_call(fake_quickbooks, grant_type="refresh_token",
                       refresh_token=tokens["refresh_token"]).json()
    assert again["refresh_token"] == refreshed["refresh_token"]
    clock.advance(hours=1)
    assert token_call(fake_quickbooks, grant_type="refresh_token",
                      refresh_token=tokens["refresh_token"]).json() == {"error": "invalid_grant"}
    # The newest one lives 100 days unused.
    clock.advance(days=100)
    assert token_call(fake_quickbooks, grant_type="refresh_token",
                      refresh_token=refreshed["refresh_token"]).status_code == 400


def test_wrong_client_secret_and_revoked_grant(fake_quickbooks: FakeQuickBooks,
                                               api: Api) -> None:
    tokens = fake_quickbooks.connect()
    with httpx.Client(transport=fake_quickbooks.transport(),
                      base_url=fake_quickbooks.base_url) as http:
        wrong = http.post("/oauth2/v1/tokens/bearer",
                          data={"grant_type": "refresh_token",
                                "refresh_token": tokens["refresh_token"]},
                          headers={"Authorization": "Basic " + base64.b64encode(
                              b"keito-test-qbo:nope").decode(), "Accept": "application/json"})
        assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
        revoked = http.post("/oauth2/v1/tokens/revoke", json={"token": tokens["refresh_token"]},
                            headers={"Authorization": BASIC, "Accept": "application/json"})
        assert revoked.status_code == 200
    assert token_call(fake_quickbooks, grant_type="refresh_token",
                      refresh_token=tokens["refresh_token"]).json() == {"error": "invalid_grant"}
    fake_quickbooks.revoke_grant()
    assert api.get("preferences").status_code == 401


def test_expire_access_tokens_and_denied_consent(fake_quickbooks: FakeQuickBooks,
                                                 api: Api) -> None:
    fake_quickbooks.expire_access_tokens()
    assert api.get("preferences").status_code == 401
    fake_quickbooks.deny_next_authorization()
    assert authorize(fake_quickbooks)["error"] == ["access_denied"]


def test_authorize_without_the_accounting_scope_is_a_violation(
        fake_quickbooks: FakeQuickBooks) -> None:
    with httpx.Client(transport=fake_quickbooks.transport(),
                      base_url=fake_quickbooks.base_url) as http:
        response = http.get("/connect/oauth2", params={
            "client_id": "keito-test-qbo", "response_type": "code", "scope": "openid",
            "redirect_uri": "http://127.0.0.1:1/cb", "state": "s"})
    assert response.status_code == 400
    assert fake_quickbooks.violations == [
        "GET /connect/oauth2: scope must include com.intuit.quickbooks.accounting"]
    fake_quickbooks.violations.clear()


# --- reads ----------------------------------------------------------------------------------------


def test_company_reads(api: Api) -> None:
    info = api.get(f"companyinfo/{REALM}").json()
    assert info["CompanyInfo"]["CompanyName"] == "Keito Test Company" and "time" in info
    accounts = api.query("select * from Account")["Account"]
    assert {(a["Name"], a["AccountType"]) for a in accounts} >= {
        ("Services", "Income"), ("Checking", "Bank"),
        ("Undeposited Funds", "Other Current Asset")}
    items = api.query("select * from Item where Type = 'Service' orderby Name")
    assert [item["Name"] for item in items["Item"]] == ["Consulting", "Hours"]
    assert items["startPosition"] == 1 and items["maxResults"] == 2
    assert items["Item"][0]["IncomeAccountRef"]["value"] == "1"
    employees = api.query("SELECT * FROM Employee WHERE GivenName = 'emily'")["Employee"]
    assert [e["DisplayName"] for e in employees] == ["Emily Platt"]
    codes = {code["Id"] for code in api.query("select * from TaxCode")["TaxCode"]}
    assert {"TAX", "NON"} <= codes
    assert {c["Code"] for c in api.query("select * from CompanyCurrency")["CompanyCurrency"]} == {
        "GBP", "EUR"}
    assert api.query("select count(*) from Item") == {"totalCount": 2}
    assert api.query("select * from Item where Id in ('2', '9')")["Item"][0]["Name"] == (
        "Consulting")
    assert api.query("select * from Customer") == {}
    single = api.get("item/2").json()
    assert single["Item"]["SyncToken"] == "0" and set(single["Item"]["MetaData"]) == {
        "CreateTime", "LastUpdatedTime"}


def test_old_minorversion_missing_accept_and_bad_query_are_violations(
        fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    old = api.get("preferences", minorversion=65)
    assert old.status_code == 400
    assert old.json()["Fault"]["type"] == "ValidationFault"
    assert old.json()["Fault"]["Error"][0]["element"] == "minorversion"
    no_accept = api.http.get(f"/v3/company/{REALM}/preferences", params={"minorversion": 75},
                             headers={"Authorization": f"Bearer {api.token}"})
    assert no_accept.status_code == 400
    assert api.get("query", query="select * from Customer where Nickname = 'x'").status_code == 400
    assert api.get("query", query="select * from Item maxresults 1001").status_code == 400
    assert api.get("query", query="select * fro Item").json()["Fault"]["Error"][0]["code"] == (
        "4000")
    assert len(fake_quickbooks.violations) == 5
    assert fake_quickbooks.violations[0].startswith(
        f"GET /v3/company/{REALM}/preferences: minorversion '65'")
    fake_quickbooks.violations.clear()


def test_requests_are_logged_without_secrets(fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    api.get("item/1")
    token_call(fake_quickbooks, grant_type="refresh_token", refresh_token="AB11secret")
    logged = fake_quickbooks.requests
    assert logged[0].path == f"/v3/company/{REALM}/item/1"
    assert logged[0].query == {"minorversion": "75"}
    assert logged[1].form == {"grant_type": "refresh_token", "refresh_token": "<redacted>"}
    assert "secret" not in repr(logged) and api.token not in repr(logged)


def test_corrected_schemas_fix_the_readme_defects() -> None:
    import json

    from fakes.quickbooks import specs_dir
    raw = json.loads((specs_dir() / "quickbooks/qbo_create_schemas.json").read_text())
    fixed = corrected_schemas(raw)
    assert "ItemCategoryType" not in fixed["Item"]["required"]
    assert fixed["Customer"]["required"] == ["DisplayName"]
    activity = fixed["TimeActivity"]["properties"]
    assert "Minutes" in activity and "BreakHours BreakMinutes" not in activity
    assert fixed["Customer"]["properties"]["PrimaryEmailAddr"]["additionalProperties"] is False
    assert "additionalProperties" not in raw["Customer"]
