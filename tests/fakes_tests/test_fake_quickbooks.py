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

pytest_plugins = ["fakes.quickbooks_fixtures"]

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
def clock(quickbooks_clock: ManualClock) -> ManualClock:
    return quickbooks_clock


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


# --- writes ---------------------------------------------------------------------------------------


def create(api: Api, entity: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post(entity.lower(), body)
    assert response.status_code == 200, response.text
    return response.json()[entity]


def invoice_body(customer_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "CustomerRef": {"value": customer_id}, "DocNumber": "INV-0001",
        "TxnDate": "2026-03-02", "DueDate": "2026-04-01",
        "Line": [
            {"DetailType": "SalesItemLineDetail", "Amount": 1237.5, "Description": "Design",
             "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 8.25, "UnitPrice": 150,
                                     "TaxCodeRef": {"value": "TAX"}}},
            {"DetailType": "SalesItemLineDetail", "Amount": 100,
             "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1, "UnitPrice": 100,
                                     "TaxCodeRef": {"value": "NON"}}},
            {"DetailType": "DiscountLineDetail", "Amount": 133.75,
             "DiscountLineDetail": {"PercentBased": True, "DiscountPercent": 10}},
        ],
        "TxnTaxDetail": {"TotalTax": 102.09},
        "PrivateNote": "Keito invoice 1", "CustomerMemo": {"value": "Thank you"}, **extra}


def test_customer_invoice_payment_and_time_activity_are_accepted_with_true_balances(
        fake_quickbooks: FakeQuickBooks, api: Api, clock: ManualClock) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme Ltd",
                                        "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    assert customer["Id"] and customer["SyncToken"] == "0"
    assert customer["CurrencyRef"]["value"] == "USD"
    found = api.query("select * from Customer where PrimaryEmailAddr = 'AP@acme.example'")
    assert [c["Id"] for c in found["Customer"]] == [customer["Id"]]
    project = create(api, "Customer", {"DisplayName": "Acme Ltd - Website", "Job": True,
                                       "ParentRef": {"value": customer["Id"]}})
    assert project["FullyQualifiedName"] == "Acme Ltd:Acme Ltd - Website"
    assert project["Level"] == 1

    invoice = create(api, "Invoice", invoice_body(project["Id"]))
    # 1237.50 + 100 = 1337.50; 10 % off = 133.75; tax as given: 102.09.
    assert invoice["TotalAmt"] == 1305.84 and invoice["Balance"] == 1305.84
    assert invoice["Line"][-1] == {"Amount": 1337.5, "DetailType": "SubTotalLineDetail",
                                   "SubTotalLineDetail": {}}
    assert invoice["CurrencyRef"] == {"value": "USD", "name": "United States Dollar"}
    assert api.query("select * from Invoice where DocNumber = 'INV-0001'")["Invoice"][0][
        "Id"] == invoice["Id"]

    clock.advance(minutes=5)
    payment = create(api, "Payment", {
        "CustomerRef": {"value": customer["Id"]}, "TotalAmt": 300, "TxnDate": "2026-03-05",
        "PaymentRefNum": "KEITO-P1", "DepositToAccountRef": {"value": "2"},
        "Line": [{"Amount": 300, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    })
    assert payment["UnappliedAmt"] == 0
    stored = api.get(f"invoice/{invoice['Id']}").json()["Invoice"]
    assert stored["Balance"] == 1005.84 and stored["SyncToken"] == "1"
    assert stored["LinkedTxn"] == [{"TxnId": payment["Id"], "TxnType": "Payment"}]
    assert fake_quickbooks.customers[customer["Id"]]["BalanceWithJobs"] == 1005.84
    over = api.post("payment", {
        "CustomerRef": {"value": customer["Id"]}, "TotalAmt": 2000,
        "Line": [{"Amount": 2000, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}],
    })
    assert over.status_code == 400 and over.json()["Fault"]["type"] == "ValidationFault"

    activity = create(api, "TimeActivity", {
        "NameOf": "Employee", "EmployeeRef": {"value": "1"},
        "CustomerRef": {"value": project["Id"]}, "ItemRef": {"value": "1"},
        "BillableStatus": "Billable", "HourlyRate": 150, "Hours": 1,
        "Minutes": 30, "TxnDate": "2026-03-02", "Description": "Design review"})
    assert activity["EmployeeRef"] == {"value": "1", "name": "Emily Platt"}
    assert fake_quickbooks.violations == []


def test_item_without_item_category_type_is_accepted(api: Api) -> None:
    item = create(api, "Item", {"Name": "Expenses", "Type": "Service",
                                "IncomeAccountRef": {"value": "1"}})
    assert item["Type"] == "Service" and item["IncomeAccountRef"]["name"] == "Services"


@pytest.mark.parametrize(("entity", "body", "element"), [
    ("customer", {"DisplayName": "Acme", "PrimaryEmail": {"Address": "a@b.example"}}, ""),
    ("invoice", {"Line": [{"DetailType": "SalesItemLineDetail", "Amount": 1,
                           "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]}, ""),
    ("invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 1,
         "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 1, "UnitPrise": 1}}]},
     "Line.0.SalesItemLineDetail"),
    ("employee", {"DisplayName": "Robot"}, ""),
    ("timeactivity", {"NameOf": "Employee", "EmployeeRef": {"value": "1"}, "Hours": 1,
                      "BreakHours BreakMinutes": 0}, ""),
])
def test_bodies_that_break_the_corrected_schema_are_violations(
        fake_quickbooks: FakeQuickBooks, api: Api, entity: str, body: dict[str, Any],
        element: str) -> None:
    if entity == "invoice" and "CustomerRef" in body:
        create(api, "Customer", {"DisplayName": "Acme"})
    response = api.post(entity, body)
    assert response.status_code == 400
    error = response.json()["Fault"]["Error"][0]
    assert response.json()["Fault"]["type"] == "ValidationFault"
    assert error["code"] in ("2010", "2020") and error["element"] == element
    assert len(fake_quickbooks.violations) == 1
    assert fake_quickbooks.violations[0].startswith(f"POST /v3/company/{REALM}/{entity}:")
    fake_quickbooks.violations.clear()


def test_business_rule_violations(fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    customer = create(api, "Customer", {"DisplayName": "Euro GmbH",
                                        "CurrencyRef": {"value": "EUR"}})
    wrong_currency = api.post("invoice",
                              invoice_body(customer["Id"], CurrencyRef={"value": "USD"}))
    assert wrong_currency.json()["Fault"]["Error"][0]["element"] == "CurrencyRef"
    body = invoice_body(customer["Id"], DocNumber="INV-2")
    body["Line"][0]["Amount"] = 1237.52
    assert api.post("invoice", body).json()["Fault"]["Error"][0]["code"] == "6070"
    assert api.post("invoice", invoice_body("999")).json()["Fault"]["Error"][0]["code"] == "2500"
    no_request_id = api.http.post(f"/v3/company/{REALM}/customer",
                                  params={"minorversion": 75}, json={"DisplayName": "X"},
                                  headers=api.headers())
    assert no_request_id.status_code == 400
    assert len(fake_quickbooks.violations) == 4
    assert "requestid" in fake_quickbooks.violations[-1]
    assert fake_quickbooks.customers.keys() == {customer["Id"]}
    fake_quickbooks.violations.clear()


def test_duplicate_names_and_document_numbers_are_faults_not_violations(
        fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme"})
    duplicate = api.post("customer", {"DisplayName": "ACME"}).json()["Fault"]["Error"][0]
    assert duplicate["code"] == "6240" and duplicate["Message"] == "Duplicate Name Exists Error"
    assert api.post("customer", {"DisplayName": "Emily Platt"}).status_code == 400
    create(api, "Invoice", invoice_body(customer["Id"]))
    again = api.post("invoice", invoice_body(customer["Id"])).json()["Fault"]["Error"][0]
    assert again["code"] == "6140"
    assert fake_quickbooks.violations == []
    assert len(fake_quickbooks.invoices) == 1


def test_sparse_update_and_stale_sync_token(fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme"})
    updated = create(api, "Customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                       "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    assert updated["SyncToken"] == "1" and updated["DisplayName"] == "Acme"
    stale = api.post("customer", {"Id": customer["Id"], "SyncToken": "0", "sparse": True,
                                  "Notes": "x"})
    assert stale.status_code == 400
    assert stale.json()["Fault"]["Error"][0]["code"] == "5010"
    assert stale.json()["Fault"]["Error"][0]["Message"] == "Stale Object Error"
    fake_quickbooks.update_remotely("Customer", customer["Id"], Notes="edited in QBO")
    assert api.post("customer", {"Id": customer["Id"], "SyncToken": "1", "sparse": True,
                                 "Notes": "y"}).json()["Fault"]["Error"][0]["code"] == "5010"
    assert fake_quickbooks.violations == []


def test_void_zeroes_the_invoice_and_unapplies_its_payments(
        fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme"})
    invoice = create(api, "Invoice", invoice_body(customer["Id"]))
    payment = fake_quickbooks.record_remote_payment(invoice["Id"], "100.00")
    current = fake_quickbooks.invoices[invoice["Id"]]
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": current["SyncToken"]},
                        operation="void")
    voided = response.json()["Invoice"]
    assert (voided["TotalAmt"], voided["Balance"], voided["PrivateNote"]) == (0, 0, "Voided")
    assert fake_quickbooks.payments[payment["Id"]]["UnappliedAmt"] == 100
    assert fake_quickbooks.customers[customer["Id"]]["Balance"] == 0
    assert fake_quickbooks.hard_deletes == 0


def test_hard_delete_is_counted(fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme"})
    invoice = create(api, "Invoice", invoice_body(customer["Id"]))
    response = api.post("invoice", {"Id": invoice["Id"], "SyncToken": "0"}, operation="delete")
    assert response.json()["Invoice"] == {"domain": "QBO", "status": "Deleted",
                                          "Id": invoice["Id"]}
    assert fake_quickbooks.hard_deletes == 1 and invoice["Id"] not in fake_quickbooks.invoices
    fake_quickbooks.hard_deletes = 0


def test_a_repeated_requestid_replays_the_first_answer(fake_quickbooks: FakeQuickBooks,
                                                       api: Api, clock: ManualClock) -> None:
    first = api.post("customer", {"DisplayName": "Acme"}, requestid="same")
    clock.advance(seconds=5)
    second = api.post("customer", {"DisplayName": "Acme"}, requestid="same")
    assert second.status_code == 200 and second.json() == first.json()
    assert len(fake_quickbooks.customers) == 1


# --- change data capture --------------------------------------------------------------------------


def cdc(api: Api, since: str, entities: str = "Invoice,Payment") -> dict[str, list[Any]]:
    response = api.get("cdc", entities=entities, changedSince=since)
    assert response.status_code == 200, response.text
    answers = response.json()["CDCResponse"][0]["QueryResponse"]
    return {name: answer.get(name, []) for name, answer in zip(entities.split(","), answers,
                                                                 strict=True)}


def test_cdc_returns_remote_payments_and_deletions_since_a_position(
        fake_quickbooks: FakeQuickBooks, api: Api, clock: ManualClock) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme"})
    invoice = create(api, "Invoice", invoice_body(customer["Id"]))
    clock.advance(minutes=30)
    position = "2026-03-02T09:30:00-08:00"  # 17:30 UTC, after the invoice
    payment = fake_quickbooks.record_remote_payment(invoice["Id"], 500)
    changed = cdc(api, position)
    assert [p["Id"] for p in changed["Payment"]] == [payment["Id"]]
    assert changed["Invoice"][0]["Balance"] == 805.84  # the payment moved the invoice too
    clock.advance(minutes=1)
    fake_quickbooks.delete_remotely("Payment", payment["Id"])
    later = cdc(api, "2026-03-02T17:31:00Z")
    assert later["Payment"] == [{"domain": "QBO", "status": "Deleted", "Id": payment["Id"],
                                 "MetaData": {"LastUpdatedTime": "2026-03-02T09:31:00-08:00"}}]
    assert later["Invoice"][0]["Balance"] == 1305.84
    assert api.query("select * from Invoice where MetaData.LastUpdatedTime > "
                     "'2026-03-02T09:30:30-08:00'")["Invoice"][0]["Id"] == invoice["Id"]


def test_cdc_refuses_positions_older_than_30_days(fake_quickbooks: FakeQuickBooks,
                                                  api: Api) -> None:
    assert cdc(api, "2026-01-31T17:00:00Z") == {"Invoice": [], "Payment": []}
    old = api.get("cdc", entities="Invoice,Payment", changedSince="2026-01-31T16:59:59Z")
    assert old.status_code == 400 and old.json()["Fault"]["type"] == "ValidationFault"
    assert fake_quickbooks.violations == []


def test_cdc_returns_the_1000_oldest_changes_and_the_rest_from_the_newest_time(
        fake_quickbooks: FakeQuickBooks, api: Api, clock: ManualClock) -> None:
    fake_quickbooks.requests_per_minute = fake_quickbooks.requests_per_second = None
    customer = fake_quickbooks.create_remotely("Customer", {"DisplayName": "Acme"})
    for index in range(1203):
        clock.advance(seconds=1)
        fake_quickbooks.create_remotely("Invoice", {
            "CustomerRef": {"value": customer["Id"]}, "DocNumber": f"N{index}",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                      "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]})
    first = cdc(api, "2026-03-02T17:00:00Z", "Invoice")["Invoice"]
    assert len(first) == 1000
    assert [row["DocNumber"] for row in first[:2]] == ["N0", "N1"]
    newest = first[-1]["MetaData"]["LastUpdatedTime"]
    rest = cdc(api, newest, "Invoice")["Invoice"]
    assert [row["DocNumber"] for row in rest][:2] == ["N999", "N1000"]
    assert len(rest) == 204


# --- faults and limits ----------------------------------------------------------------------------


def test_injected_faults(fake_quickbooks: FakeQuickBooks, api: Api) -> None:
    fake_quickbooks.fail_next("500", path_contains="/customer")
    fake_quickbooks.fail_next("503", method="GET")
    fake_quickbooks.fail_next("429")
    assert api.post("customer", {"DisplayName": "A"}).status_code == 500
    assert api.get("item/1").status_code == 503
    throttled = api.get("item/1")
    assert throttled.status_code == 429
    assert throttled.json()["Fault"]["Error"][0]["code"] == "003001"
    fake_quickbooks.fail_next("timeout", times=2)
    for _ in range(2):
        with pytest.raises(httpx.ReadTimeout):
            api.post("customer", {"DisplayName": "B"}, requestid="b")
    assert fake_quickbooks.customers == {}
    fake_quickbooks.fail_next("commit_then_timeout")
    with pytest.raises(httpx.ReadTimeout):
        api.post("customer", {"DisplayName": "C"}, requestid="c")
    assert [c["DisplayName"] for c in fake_quickbooks.customers.values()] == ["C"]
    retried = api.post("customer", {"DisplayName": "C"}, requestid="c")
    assert retried.status_code == 200 and len(fake_quickbooks.customers) == 1
    assert [kind for kind, _, _ in fake_quickbooks.injected] == [
        "500", "503", "429", "timeout", "timeout", "commit_then_timeout"]
    assert fake_quickbooks.limit_hits == 0


def test_random_faults_are_reproducible_by_seed(fake_quickbooks: FakeQuickBooks,
                                                clock: ManualClock) -> None:
    outcomes = []
    for _ in range(2):
        fake = FakeQuickBooks(clock=clock)
        fake.fail_randomly(0.2, seed=7)
        api = Api(fake, fake.connect()["access_token"])
        run = []
        for _ in range(50):
            clock.advance(seconds=1)
            try:
                run.append(api.get("item/1").status_code)
            except httpx.ReadTimeout:
                run.append(0)
        outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert 3 <= sum(code != 200 for code in outcomes[0]) <= 20


def test_throttling_by_the_clock(fake_quickbooks: FakeQuickBooks, api: Api,
                                 clock: ManualClock) -> None:
    assert [api.get("item/1").status_code for _ in range(11)] == [200] * 10 + [429]
    assert fake_quickbooks.limit_hits == 1
    clock.advance(seconds=1)
    assert api.get("item/1").status_code == 200
    for _ in range(48):  # 49 seconds at 10 a second: 490 requests in the minute
        clock.advance(seconds=1)
        for _ in range(10):
            assert api.get("item/1").status_code == 200
    clock.advance(seconds=1)
    statuses = [api.get("item/1").status_code for _ in range(10)]
    assert statuses.count(200) == 9 and statuses[-1] == 429  # the 501st in a minute
    assert fake_quickbooks.limit_hits == 2
    clock.advance(seconds=60)
    assert api.get("item/1").status_code == 200


def test_served_over_http_base_url(fake_quickbooks: FakeQuickBooks) -> None:
    fake_quickbooks.base_url = "http://127.0.0.1:9"
    assert fake_quickbooks.env() == {"KEITO_QUICKBOOKS_URL": "http://127.0.0.1:9"}


def test_what_qbo_answers_can_be_sent_back_as_a_full_update(
        fake_quickbooks: FakeQuickBooks, api: Api, clock: ManualClock) -> None:
    customer = create(api, "Customer", {"DisplayName": "Acme",
                                        "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    job = create(api, "Customer", {"DisplayName": "Acme job", "Job": True,
                                   "ParentRef": {"value": customer["Id"]}})
    invoice = create(api, "Invoice", invoice_body(job["Id"]))
    payment = create(api, "Payment", {
        "CustomerRef": {"value": customer["Id"]}, "TotalAmt": 5,
        "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": invoice["Id"], "TxnType": "Invoice"}]}]})
    activity = create(api, "TimeActivity", {"NameOf": "Employee", "EmployeeRef": {"value": "2"},
                                            "Hours": 2, "Minutes": 0})
    for entity, record in (("Customer", job), ("Invoice", invoice), ("Payment", payment),
                           ("TimeActivity", activity), ("Item", fake_quickbooks.items["1"]),
                           ("Employee", fake_quickbooks.employees["1"])):
        clock.advance(seconds=1)
        current = api.get(f"{entity.lower()}/{record['Id']}").json()[entity]
        current["PrivateNote" if entity in ("Invoice", "Payment") else "Description"
                if entity in ("TimeActivity", "Item") else "Title" if entity == "Employee"
                else "Notes"] = "changed"
        updated = create(api, entity, current)
        assert int(updated["SyncToken"]) == int(current["SyncToken"]) + 1, entity
    assert fake_quickbooks.invoices[invoice["Id"]]["Balance"] == 1300.84


def test_query_pages_orders_and_finds_inactive_records(fake_quickbooks: FakeQuickBooks,
                                                       api: Api) -> None:
    for name in ("Carol", "alice", "Bob"):
        create(api, "Customer", {"DisplayName": name})
    page = api.query("select * from Customer orderby DisplayName desc startposition 2 "
                     "maxresults 1")
    assert [c["DisplayName"] for c in page["Customer"]] == ["Bob"]
    assert page["startPosition"] == 2 and page["maxResults"] == 1
    fake_quickbooks.update_remotely("Customer", "2", Active=False)
    assert api.query("select * from Customer where DisplayName = 'alice'") == {}
    inactive = api.query("select * from Customer where DisplayName = 'alice' and Active = false")
    assert inactive["Customer"][0]["Id"] == "2"
    assert api.query("select * from Customer where DisplayName like 'b%'")["Customer"][0][
        "DisplayName"] == "Bob"
