"""`keito sync connect|disconnect|credentials` against the fake Xero and QuickBooks.

The Xero connect runs once for real, as a program: the fake served over HTTP, fakes/browser.py
as BROWSER following the consent to the one-shot 127.0.0.1 listener. The other tests run the
command in-process with the fakes' MockTransport as the HTTP client and a stand-in browser.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fakes.http_server import serve
from fakes.quickbooks import FakeQuickBooks, ManualClock
from fakes.xero import FakeXero
from sqlmodel import select

from keito_core.enums import ConnectionStatus
from keito_core.models.sync import SyncConnection
from keito_core.sync import loopback, oauth
from keito_core.sync.credentials import AppCredentials, app_credentials
from keito_core.sync.endpoints import endpoints
from keito_core.sync.tokens import TokenStore

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "fakes" / "browser.py"
PROGRAM = "from keito_tui.cli.launch import run; run()"
QBO_ENV = {"KEITO_QUICKBOOKS_CLIENT_ID": "keito-test-qbo",
           "KEITO_QUICKBOOKS_CLIENT_SECRET": "keito-test-secret"}


pytestmark = pytest.mark.usefixtures("isolated_sync")


def connections(workspace) -> list[SyncConnection]:
    with workspace.session(readonly=True) as s:
        rows = list(s.exec(select(SyncConnection)).all())
        s.expunge_all()  # readable after the read-only unit of work rolls back
        return rows


# -- Xero for real: a program, a served fake and a browser ----------------------------------


def test_connect_xero_as_a_program_through_the_browser_and_the_listener(workspace, keito_home):
    fake = FakeXero()
    second = fake.add_tenant("Second Ltd")
    with serve(fake.handle) as url:
        fake.base_url = url
        env = {**os.environ, "KEITO_XERO_URL": url, "KEITO_XERO_CLIENT_ID": fake.client_id,
               "BROWSER": f"{sys.executable} {BROWSER} %s"}
        done = subprocess.run([sys.executable, "-c", PROGRAM, "sync", "connect", "xero",
                               "--tenant", "second ltd", "--timeout", "60"],
                              capture_output=True, text=True, env=env, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert fake.violations == []
    data = json.loads(done.stdout)
    assert (data["provider"], data["tenant_id"], data["tenant_name"]) == (
        "xero", second, "Second Ltd")
    assert data["reconnected"] is False and data["status"] == "active"
    assert "Open this URL" in done.stderr and "/identity/connect/authorize?" in done.stderr
    (row,) = connections(workspace)
    assert (row.id, row.tenant_id, row.is_active) == (data["id"], second, True)
    store = TokenStore(row.id, config_dir=keito_home)
    tokens = store.load()
    assert tokens is not None
    assert data["tokens_stored"] == store.where() == str(keito_home / "sync" / f"tokens_{row.id}")
    assert stat.S_IMODE(os.stat(data["tokens_stored"]).st_mode) == 0o600
    assert "no OS keyring" in done.stderr
    # The stored tokens are the fake's live ones, and no secret was printed.
    assert fake.identity.access_tokens[tokens.access_token].grant.revoked is False
    assert tokens.refresh_token in fake.identity.refresh_tokens
    for secret in (tokens.access_token, tokens.refresh_token):
        assert secret not in done.stdout and secret not in done.stderr


# -- in-process: the fakes' transports and a stand-in browser -------------------------------


def use_transport(monkeypatch, handler: Callable[[httpx.Request], httpx.Response]) -> None:
    monkeypatch.setattr(oauth, "new_http_client",
                        lambda: httpx.Client(transport=httpx.MockTransport(handler)))


def use_browser(monkeypatch, handler: Callable[[httpx.Request], httpx.Response]) -> list[str]:
    """A browser that consents at the fake and follows the redirect to the real listener."""
    opened: list[str] = []

    def browse(url: str) -> bool:
        opened.append(url)
        consent = handler(httpx.Request("GET", url))
        assert consent.status_code == 302, consent.text
        landing = httpx.get(consent.headers["location"], timeout=10)
        assert landing.status_code == 200 and "close this tab" in landing.text
        return True

    monkeypatch.setattr(loopback, "open_browser", browse)
    monkeypatch.setattr(loopback, "browser_available", lambda: True)
    return opened


def pasted_redirect(monkeypatch, handler, provider: str = "quickbooks",
                    redirect_uri: str = "http://localhost:8749/callback") -> str:
    """What a person pastes: the address a browser ends on after consenting at the fake.

    The command's PKCE pair and state are fixed beforehand, so the authorization URL it will
    print is known to the test, which visits it as the person's browser would.
    """
    pkce, state = oauth.new_pkce(), oauth.new_state()
    monkeypatch.setattr(oauth, "new_pkce", lambda: pkce)
    monkeypatch.setattr(oauth, "new_state", lambda: state)
    credentials = app_credentials(provider, config_dir=Path(os.environ["KEITO_HOME"]),
                                  env={**os.environ, **QBO_ENV})
    request = oauth.authorization_request(provider, client_id=credentials.client_id,
                                          redirect_uri=redirect_uri,
                                          endpoints=endpoints(provider))
    consent = handler(httpx.Request("GET", request.url))
    assert consent.status_code == 302, consent.text
    return consent.headers["location"] + "\n"


@pytest.fixture
def xero(monkeypatch):
    fake = FakeXero()
    monkeypatch.setenv("KEITO_XERO_URL", fake.base_url)
    monkeypatch.setenv("KEITO_XERO_CLIENT_ID", fake.client_id)
    use_transport(monkeypatch, fake.handle)
    yield fake
    assert fake.violations == []


@pytest.fixture
def qbo(monkeypatch):
    fake = FakeQuickBooks(clock=ManualClock())
    for name, value in {**fake.env(), **QBO_ENV}.items():
        monkeypatch.setenv(name, value)
    use_transport(monkeypatch, fake.handle)
    yield fake
    assert fake.violations == []


def test_connect_xero_listens_and_reconnecting_keeps_the_connection(cli, workspace, xero,
                                                                    monkeypatch):
    opened = use_browser(monkeypatch, xero.handle)
    first = cli("sync", "connect", "xero")
    assert first.exit_code == 0, first
    assert first.json["tenant_name"] == "Demo Company (UK)" and first.json["reconnected"] is False
    (url,) = opened
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A" in url and url in first.stderr
    again = cli("sync", "connect", "xero", "--json")
    assert again.exit_code == 0, again
    assert again.json["id"] == first.json["id"] and again.json["reconnected"] is True
    assert len(connections(workspace)) == 1


def test_several_organisations_need_tenant_when_nobody_can_be_asked(cli, workspace, xero,
                                                                    monkeypatch):
    xero.add_tenant("Second Ltd")
    use_browser(monkeypatch, xero.handle)
    result = cli("sync", "connect", "xero")
    assert result.exit_code == 2, result
    assert result.error["code"] == "validation_error" and result.error["field"] == "tenant"
    assert "Second Ltd" in result.error["hint"] and "--tenant" in result.error["hint"]
    assert connections(workspace) == []
    missing = cli("sync", "connect", "xero", "--tenant", "Nope Ltd")
    assert missing.exit_code == 4 and missing.error["code"] == "not_found"


def test_connect_quickbooks_with_a_pasted_redirect(cli, workspace, keito_home, qbo, monkeypatch):
    pasted = pasted_redirect(monkeypatch, qbo.handle)
    result = cli("sync", "connect", "quickbooks", "--paste", input=pasted)
    assert result.exit_code == 0, result
    assert (result.json["provider"], result.json["tenant_id"]) == ("quickbooks", qbo.realm_id)
    # The redirect URI registered with the app, whatever port a listener would have taken.
    assert "redirect_uri=http%3A%2F%2Flocalhost%3A8749%2Fcallback" in result.stderr
    assert "Paste the whole address" in result.stderr
    tokens = TokenStore(result.json["id"], config_dir=keito_home).load()
    assert tokens is not None and tokens.refresh_expires_at is not None


def test_quickbooks_production_takes_the_paste_with_an_https_redirect(cli, workspace, qbo,
                                                                      monkeypatch):
    # Only the OAuth URLs point at the fake: the API is Intuit's production, so no listener.
    monkeypatch.delenv("KEITO_QUICKBOOKS_URL")
    monkeypatch.setenv("KEITO_QUICKBOOKS_AUTHORIZE_URL", qbo.base_url + "/connect/oauth2")
    monkeypatch.setenv("KEITO_QUICKBOOKS_TOKEN_URL", qbo.base_url + "/oauth2/v1/tokens/bearer")
    monkeypatch.setattr(loopback, "LoopbackListener", None)  # must not be used
    playground = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"
    pasted = pasted_redirect(monkeypatch, qbo.handle, redirect_uri=playground)
    result = cli("sync", "connect", "quickbooks", input=pasted)
    assert result.exit_code == 0, result
    assert "redirect_uri=https%3A%2F%2Fdeveloper.intuit.com" in result.stderr
    assert "production sends the authorization to an https address" in result.stderr


def test_access_refused_at_the_vendor_is_a_clear_error(cli, workspace, qbo, monkeypatch):
    qbo.deny_next_authorization()
    pasted = pasted_redirect(monkeypatch, qbo.handle)
    result = cli("sync", "connect", "quickbooks", "--paste", input=pasted)
    assert result.exit_code == 1, result
    assert result.error["code"] == "authentication_error"
    assert "refused" in result.error["message"]
    assert "Traceback" not in result.stderr
    assert connections(workspace) == []


def test_a_pasted_redirect_of_another_request_is_refused(cli, workspace, qbo, monkeypatch):
    forged = "http://localhost:8749/callback?code=x&state=forged&realmId=1\n"
    result = cli("sync", "connect", "quickbooks", "--paste", input=forged)
    assert result.exit_code == 2 and "state does not match" in result.error["message"]
    assert connections(workspace) == []


def test_a_member_may_not_connect(cli, workspace, xero, monkeypatch):
    assert cli("user", "add", "Mia", "--email", "mia@acme.test").exit_code == 0
    key = cli("key", "create", "--user", "Mia").json["secret"]
    monkeypatch.setenv("KEITO_API_KEY", key)
    opened = use_browser(monkeypatch, xero.handle)
    for args in (("connect", "xero"), ("disconnect",), ("credentials", "xero")):
        result = cli("sync", *args)
        assert result.exit_code == 1, result
        assert result.error["code"] == "authorization_error"
    assert opened == [] and xero.requests == []


def test_a_missing_client_id_names_the_variable(cli, workspace, monkeypatch):
    result = cli("sync", "connect", "xero")
    assert result.exit_code == 8
    assert result.error["code"] == "config_error"
    assert "KEITO_XERO_CLIENT_ID" in result.error["hint"]
    assert "keito sync credentials xero" in result.error["hint"]
    monkeypatch.setenv("KEITO_QUICKBOOKS_CLIENT_ID", "Q")
    secretless = cli("sync", "connect", "quickbooks")
    assert secretless.exit_code == 8 and "KEITO_QUICKBOOKS_CLIENT_SECRET" in secretless.error[
        "hint"]


def test_one_integration_at_a_time(cli, workspace, xero, qbo, monkeypatch):
    use_transport(monkeypatch, lambda request: (
        xero.handle(request) if request.url.host == "xero.test" else qbo.handle(request)))
    use_browser(monkeypatch, xero.handle)
    assert cli("sync", "connect", "xero").exit_code == 0
    result = cli("sync", "connect", "quickbooks", "--paste", input="never read\n")
    assert result.exit_code == 3
    assert result.error["code"] == "conflict" and "keito sync disconnect" in result.error["hint"]
    assert qbo.requests == []


def test_disconnect_revokes_and_forgets_the_tokens(cli, workspace, keito_home, qbo, monkeypatch):
    pasted = pasted_redirect(monkeypatch, qbo.handle)
    connected = cli("sync", "connect", "quickbooks", "--paste", input=pasted)
    assert connected.exit_code == 0, connected
    store = TokenStore(connected.json["id"], config_dir=keito_home)
    tokens = store.load()
    assert tokens is not None
    result = cli("sync", "disconnect")
    assert result.exit_code == 0, result
    assert result.json["revoked"] is True and result.json["tokens_deleted"] is True
    assert result.json["status"] == "disconnected" and result.json["is_active"] is False
    assert store.load() is None
    (row,) = connections(workspace)
    assert row.status is ConnectionStatus.DISCONNECTED
    # The grant is gone at Intuit too.
    identity = oauth.OAuthClient(
        credentials=AppCredentials(row.provider, *QBO_ENV.values()),
        endpoints=endpoints("quickbooks"), client=httpx.Client(transport=qbo.transport()),
        clock=qbo.clock)
    with pytest.raises(oauth.GrantLost):
        identity.refresh(tokens.refresh_token)
    nothing = cli("sync", "disconnect")
    assert nothing.exit_code == 4 and nothing.error["code"] == "not_found"


def test_disconnect_when_the_vendor_cannot_be_reached_still_disconnects(cli, workspace, xero,
                                                                       monkeypatch):
    use_browser(monkeypatch, xero.handle)
    assert cli("sync", "connect", "xero").exit_code == 0

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("unreachable", request=request)

    use_transport(monkeypatch, down)
    result = cli("sync", "disconnect")
    assert result.exit_code == 0, result
    assert result.json["revoked"] is False and "cannot reach" in result.json["revoke_error"]
    assert "did not confirm the revocation" in result.stderr
    assert [c.is_active for c in connections(workspace)] == [False]


def test_credentials_are_stored_privately_and_used_by_connect(cli, workspace, keito_home, qbo,
                                                              monkeypatch):
    for name in QBO_ENV:
        monkeypatch.delenv(name)
    stored = cli("sync", "credentials", "quickbooks", "--client-id", "keito-test-qbo",
                 input="keito-test-secret\n")
    assert stored.exit_code == 0, stored
    path = keito_home / "sync" / "quickbooks_client"
    assert stored.json == {"provider": "quickbooks", "client_id": "keito-test-qbo",
                           "client_secret": "set", "source": str(path)}
    assert "keito-test-secret" not in stored.stdout + stored.stderr
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    pasted = pasted_redirect(monkeypatch, qbo.handle)
    assert cli("sync", "connect", "quickbooks", "--paste", input=pasted).exit_code == 0
    forgotten = cli("sync", "credentials", "quickbooks", "--forget")
    assert forgotten.json == {"provider": "quickbooks", "removed": True} and not path.exists()
    assert cli("sync", "credentials", "quickbooks").exit_code == 8
