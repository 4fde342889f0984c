"""OAuth 2.0 with PKCE: the verifier and challenge, the authorization URL, the pasted redirect,
and the token calls (Xero's client_id in the form, Intuit's HTTP Basic) against fakes."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, parse_qsl, urlsplit

import httpx
import pytest
from fakes.quickbooks import FakeQuickBooks, ManualClock

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.sync import oauth
from keito_core.sync.credentials import AppCredentials
from keito_core.sync.endpoints import endpoints

T0 = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
XERO_ENV = {"KEITO_XERO_URL": "https://xero.test"}


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


# -- PKCE and state -------------------------------------------------------------------------


def test_s256_matches_rfc_7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert oauth.s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_a_new_verifier_is_long_unreserved_and_fresh_with_its_challenge():
    first, second = oauth.new_pkce(), oauth.new_pkce()
    assert first.verifier != second.verifier
    for pkce in (first, second):
        assert 43 <= len(pkce.verifier) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", pkce.verifier)
        assert pkce.challenge == oauth.s256(pkce.verifier)
        assert pkce.method == "S256"
    assert oauth.new_state() != oauth.new_state()
    assert len(oauth.new_state()) >= 32


# -- the authorization URL ------------------------------------------------------------------


def test_the_xero_url_asks_for_granular_scopes_with_pkce_and_state():
    pkce = oauth.new_pkce()
    request = oauth.authorization_request(
        "xero", client_id="CID", redirect_uri="http://localhost:8749/callback",
        endpoints=endpoints("xero", XERO_ENV), pkce=pkce, state="s-1")
    assert request.url.startswith("https://xero.test/identity/connect/authorize?")
    assert query_of(request.url) == {
        "response_type": "code",
        "client_id": "CID",
        "redirect_uri": "http://localhost:8749/callback",
        "scope": "offline_access accounting.invoices accounting.payments accounting.contacts "
                 "accounting.attachments accounting.settings.read",
        "state": "s-1",
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
    }
    assert request.verifier == pkce.verifier and request.state == "s-1"
    assert pkce.verifier not in request.url and pkce.verifier not in repr(request)


def test_the_quickbooks_url_asks_for_accounting():
    request = oauth.authorization_request(
        "quickbooks", client_id="QID", redirect_uri="https://example.test/cb",
        endpoints=endpoints("quickbooks", {}))
    assert request.url.startswith("https://appcenter.intuit.com/connect/oauth2?")
    params = query_of(request.url)
    assert params["scope"] == "com.intuit.quickbooks.accounting"
    assert params["code_challenge"] == oauth.s256(request.verifier)
    assert params["state"] == request.state


def test_an_older_xero_app_may_ask_for_broad_scopes_and_keeps_offline_access():
    assert oauth.scopes_for("xero", {"KEITO_XERO_SCOPES": "accounting.transactions "
                                                          "accounting.contacts"}) == (
        "offline_access", "accounting.transactions", "accounting.contacts")
    assert oauth.scopes_for("xero", {}) == oauth.XERO_SCOPES


# -- the pasted redirect --------------------------------------------------------------------


def test_a_pasted_redirect_gives_its_code_and_realm():
    got = oauth.parse_redirect(
        "  https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl?code=AB11x&state=s-1"
        "&realmId=9130\n", expected_state="s-1")
    assert (got.code, got.state, got.realm_id) == ("AB11x", "s-1", "9130")
    assert oauth.parse_redirect("?code=c&state=s-1", expected_state="s-1").code == "c"
    assert oauth.parse_redirect("code=c&state=s-1", expected_state="s-1").realm_id is None


@pytest.mark.parametrize(("text", "code", "words"), [
    ("http://localhost:8749/callback?code=c&state=OTHER", "validation_error", "state"),
    ("http://localhost:8749/callback?code=c", "validation_error", "state"),
    ("http://localhost:8749/callback?state=s-1", "validation_error", "no authorization code"),
    ("", "validation_error", "no redirect URL"),
    ("http://localhost:8749/callback?error=access_denied&state=s-1", "authentication_error",
     "refused"),
    ("http://localhost:8749/callback?error=invalid_scope&error_description=bad&state=s-1",
     "authentication_error", "invalid_scope (bad)"),
])
def test_a_wrong_redirect_is_a_clear_error(text, code, words):
    with pytest.raises(KeitoError) as caught:
        oauth.parse_redirect(text, expected_state="s-1")
    assert caught.value.code == code
    assert words in caught.value.message


# -- the token endpoint: Xero (client_id in the form) ---------------------------------------


class XeroTokenEndpoint:
    """Xero's token, revocation and connections endpoints as a PKCE app meets them."""

    def __init__(self) -> None:
        self.forms: list[dict[str, str]] = []
        self.headers: list[httpx.Headers] = []
        self.answer: httpx.Response | None = None

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connections":
            assert request.headers["authorization"] == "Bearer at-1"
            return httpx.Response(200, json=[
                {"id": "c1", "tenantId": "t-1", "tenantType": "ORGANISATION",
                 "tenantName": "Demo Company (UK)"},
                {"id": "c2", "tenantId": "p-1", "tenantType": "PRACTICEMANAGER",
                 "tenantName": "A practice"},
                {"id": "c3", "tenantId": "t-2", "tenantType": "ORGANISATION",
                 "tenantName": "Second Ltd"},
            ])
        assert request.headers["content-type"] == "application/x-www-form-urlencoded"
        self.forms.append(dict(parse_qsl(request.content.decode())))
        self.headers.append(request.headers)
        if self.answer is not None:
            return self.answer
        if request.url.path == "/connect/revocation":
            return httpx.Response(200)
        return httpx.Response(200, json={"access_token": "at-1", "refresh_token": "rt-1",
                                         "expires_in": 1800, "token_type": "Bearer"})


@pytest.fixture
def xero():
    endpoint = XeroTokenEndpoint()
    client = httpx.Client(transport=httpx.MockTransport(endpoint))
    identity = oauth.OAuthClient(
        credentials=AppCredentials(SyncProvider.XERO, "CID"),
        endpoints=endpoints("xero", XERO_ENV), client=client, clock=lambda: T0)
    yield identity, endpoint
    client.close()


def test_xero_code_exchange_sends_the_verifier_and_client_id_without_a_secret(xero):
    identity, endpoint = xero
    request = oauth.authorization_request("xero", client_id="CID",
                                          redirect_uri="http://localhost:8749/callback",
                                          endpoints=identity.endpoints)
    tokens = identity.exchange_code(oauth.Redirect("the-code", request.state), request=request)
    assert endpoint.forms == [{"grant_type": "authorization_code", "code": "the-code",
                               "redirect_uri": "http://localhost:8749/callback",
                               "code_verifier": request.verifier, "client_id": "CID"}]
    assert "authorization" not in endpoint.headers[0]
    assert (tokens.access_token, tokens.refresh_token) == ("at-1", "rt-1")
    assert tokens.expires_at == T0 + timedelta(seconds=1800)
    assert "at-1" not in repr(tokens) and "rt-1" not in repr(tokens)


def test_xero_refresh_and_revocation_name_the_app_in_the_form(xero):
    identity, endpoint = xero
    identity.refresh("rt-0")
    identity.revoke("rt-1")
    assert endpoint.forms == [
        {"grant_type": "refresh_token", "refresh_token": "rt-0", "client_id": "CID"},
        {"token": "rt-1", "client_id": "CID"},
    ]


def test_xero_tenants_are_the_organisations_of_the_grant(xero):
    identity, _ = xero
    assert [(t.tenant_id, t.name) for t in identity.tenants("at-1")] == [
        ("t-1", "Demo Company (UK)"), ("t-2", "Second Ltd")]


@pytest.mark.parametrize(("answer", "code"), [
    (httpx.Response(400, json={"error": "invalid_grant"}), "authentication_error"),
    (httpx.Response(400, json={"error": "invalid_client"}), "config_error"),
    (httpx.Response(503, text="down"), "remote_error"),
    (httpx.Response(200, json={"token_type": "Bearer"}), "remote_error"),
])
def test_refusals_of_a_refresh_have_codes(xero, answer, code):
    identity, endpoint = xero
    endpoint.answer = answer
    with pytest.raises(KeitoError) as caught:
        identity.refresh("rt-0")
    assert caught.value.code == code
    if answer.status_code == 400 and b"invalid_grant" in answer.content:
        assert isinstance(caught.value, oauth.GrantLost)
        assert "`keito sync connect xero`" in caught.value.message


def test_a_refresh_answer_without_a_new_refresh_token_keeps_the_old_one(xero):
    identity, endpoint = xero
    endpoint.answer = httpx.Response(200, json={"access_token": "at-2", "expires_in": 60})
    assert identity.refresh("rt-0").refresh_token == "rt-0"


def test_a_network_failure_is_a_network_error():
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(down)) as client:
        identity = oauth.OAuthClient(credentials=AppCredentials(SyncProvider.XERO, "CID"),
                                     endpoints=endpoints("xero", XERO_ENV), client=client,
                                     clock=lambda: T0)
        with pytest.raises(KeitoError) as caught:
            identity.refresh("rt")
    assert caught.value.code == "network_error"


# -- QuickBooks against the fake (HTTP Basic, rotation, revocation) -------------------------


@pytest.fixture
def qbo():
    fake = FakeQuickBooks(clock=ManualClock())
    client = httpx.Client(transport=fake.transport())
    identity = oauth.OAuthClient(
        credentials=AppCredentials(SyncProvider.QUICKBOOKS, fake.client_id, fake.client_secret),
        endpoints=endpoints("quickbooks", fake.env()), client=client, clock=fake.clock)
    yield fake, identity
    client.close()
    assert fake.violations == []


def authorize_at(client: httpx.Client, url: str) -> str:
    """What a browser does: GET the authorization URL, follow nothing, read the Location."""
    response = client.get(url)
    assert response.status_code == 302, response.text
    return response.headers["location"]


def test_quickbooks_connects_refreshes_with_rotation_and_revokes(qbo):
    fake, identity = qbo
    request = oauth.authorization_request(
        "quickbooks", client_id=fake.client_id, endpoints=identity.endpoints,
        redirect_uri="http://localhost:8749/callback")
    location = authorize_at(identity.client, request.url)
    redirect = oauth.parse_redirect(location, expected_state=request.state)
    assert redirect.realm_id == fake.realm_id
    first = identity.exchange_code(redirect, request=request)
    assert first.refresh_expires_at is not None and first.expires_at > fake.clock()
    second = identity.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    # The fake records a violation (checked at teardown) for a call without HTTP Basic.
    assert [r.path for r in fake.requests if r.path.endswith("/tokens/bearer")] == [
        "/oauth2/v1/tokens/bearer"] * 2
    identity.revoke(second.refresh_token)
    with pytest.raises(oauth.GrantLost):
        identity.refresh(second.refresh_token)


def test_a_code_with_the_wrong_verifier_is_refused(qbo):
    fake, identity = qbo
    request = oauth.authorization_request(
        "quickbooks", client_id=fake.client_id, endpoints=identity.endpoints,
        redirect_uri="http://localhost:8749/callback")
    redirect = oauth.parse_redirect(authorize_at(identity.client, request.url),
                                    expected_state=request.state)
    forged = oauth.AuthorizationRequest(request.provider, request.url, request.redirect_uri,
                                        request.state, oauth.new_pkce().verifier)
    with pytest.raises(KeitoError) as caught:
        identity.exchange_code(redirect, request=forged)
    assert caught.value.code == "authentication_error"
    assert "authorization code" in caught.value.message


def test_quickbooks_with_a_wrong_secret_is_a_config_error(qbo):
    fake, identity = qbo
    wrong = oauth.OAuthClient(
        credentials=AppCredentials(SyncProvider.QUICKBOOKS, fake.client_id, "nope"),
        endpoints=identity.endpoints, client=identity.client, clock=fake.clock)
    with pytest.raises(KeitoError) as caught:
        wrong.refresh("AB11-whatever")
    assert caught.value.code == "config_error"
    assert base64.b64encode(b"nope").decode() not in caught.value.message
