"""OAuth 2.0 authorization code with PKCE, as Xero and Intuit speak it.

- **PKCE** (RFC 7636): a random verifier of 64 URL-safe characters and its S256 challenge; a
  random `state` that the redirect must bring back unchanged.
- **The authorization URL** asks Xero for `offline_access` (a refresh token) and the granular
  accounting scopes that apps created from March 2026 must use (`XERO_SCOPES`: invoices,
  payments, contacts, attachments for the invoice PDF, settings read for accounts and tax
  rates); an older app still on the broad scopes sets `KEITO_XERO_SCOPES` (space-separated).
  No `openid profile email`: Keito does not sign anyone in, it needs no identity token.
  Intuit is asked for `com.intuit.quickbooks.accounting`.
- **The token endpoint**: Xero's desktop apps have no secret, so `client_id` goes in the form;
  Intuit takes HTTP Basic with the client ID and secret. Both answer the code exchange and a
  refresh with a new access token and refresh token (which replaces the old one: store it).
- **Revocation** ends the grant at the vendor (`keito sync disconnect`).

The pasted redirect URL (`parse_redirect`) is checked like the listener's: its `state` must be
the one sent, `error=access_denied` means the user said no.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.sync.credentials import AppCredentials, vendor_name
from keito_core.sync.endpoints import Endpoints

if TYPE_CHECKING:
    import httpx

XERO_SCOPES = (
    "offline_access",
    "accounting.invoices",
    "accounting.payments",
    "accounting.contacts",
    "accounting.attachments",
    "accounting.settings.read",
)
QUICKBOOKS_SCOPES = ("com.intuit.quickbooks.accounting",)
#: What a token answer's `expires_in` is taken to be when it is missing.
DEFAULT_ACCESS_LIFETIME = timedelta(minutes=30)
VERIFIER_BYTES = 48  # 64 characters of base64url, within RFC 7636's 43..128
#: How long a call to the identity service may take.
OAUTH_TIMEOUT = 30.0


# -- PKCE and state -------------------------------------------------------------------------


def s256(verifier: str) -> str:
    """The S256 code challenge of `verifier`: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str
    method: str = "S256"


def new_pkce() -> Pkce:
    """A fresh verifier (64 unreserved characters) and its S256 challenge."""
    verifier = secrets.token_urlsafe(VERIFIER_BYTES)
    return Pkce(verifier=verifier, challenge=s256(verifier))


def new_state() -> str:
    """An unguessable `state` for one authorization request."""
    return secrets.token_urlsafe(24)


def scopes_for(provider: SyncProvider | str,
               env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The scopes Keito asks `provider` for (`KEITO_XERO_SCOPES` replaces Xero's)."""
    provider = SyncProvider(provider)
    if provider is SyncProvider.QUICKBOOKS:
        return QUICKBOOKS_SCOPES
    env = os.environ if env is None else env
    override = env.get("KEITO_XERO_SCOPES", "").split()
    if override and "offline_access" not in override:
        override.insert(0, "offline_access")  # without it there is no refresh token
    return tuple(override) or XERO_SCOPES


# -- the authorization request and its redirect ---------------------------------------------


@dataclass(frozen=True)
class AuthorizationRequest:
    """One authorization request: the URL to open and what the redirect is checked against."""

    provider: SyncProvider
    url: str
    redirect_uri: str
    state: str
    verifier: str

    def __repr__(self) -> str:  # the verifier stays out of logs
        return f"AuthorizationRequest(provider={self.provider.value!r}, url={self.url!r})"


def authorization_request(
    provider: SyncProvider | str,
    *,
    client_id: str,
    redirect_uri: str,
    endpoints: Endpoints,
    scopes: tuple[str, ...] | None = None,
    pkce: Pkce | None = None,
    state: str | None = None,
) -> AuthorizationRequest:
    """The authorization URL for `provider` with PKCE and state (fresh ones unless given)."""
    provider = SyncProvider(provider)
    pkce = pkce or new_pkce()
    state = state or new_state()
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(scopes or scopes_for(provider)),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
    }
    separator = "&" if urlsplit(endpoints.authorize).query else "?"
    url = endpoints.authorize + separator + urlencode(query)
    return AuthorizationRequest(provider, url, redirect_uri, state, pkce.verifier)


@dataclass(frozen=True)
class Redirect:
    """What the vendor sent back: the one-time code and, from Intuit, the company's realm ID."""

    code: str
    state: str
    realm_id: str | None = None

    def __repr__(self) -> str:
        return f"Redirect(realm_id={self.realm_id!r})"


def parse_redirect(url: str, *, expected_state: str) -> Redirect:
    """The code (and realmId) of a redirect URL, or its query string alone.

    Raises `authentication_error` when the user refused or the vendor reports an error, and
    `validation_error` when the text is not a redirect of this request (no code, another state).
    """
    text = (url or "").strip()
    if not text:
        raise KeitoError("validation_error", "no redirect URL was given", field="redirect_url",
                         hint="paste the whole address the browser shows after you allow access")
    parts = urlsplit(text)
    query = parts.query if (parts.scheme or parts.query) else text.lstrip("?")
    params = dict(parse_qsl(query, keep_blank_values=True))
    error = params.get("error")
    if error:
        if error == "access_denied":
            raise KeitoError("authentication_error", "access was refused at the vendor's page",
                             hint="run `keito sync connect` again and choose Allow access")
        description = params.get("error_description", "").strip()
        raise KeitoError("authentication_error",
                         f"the vendor refused the authorization: {error}"
                         + (f" ({description})" if description else ""),
                         hint="check the app's redirect URI and scopes at the vendor")
    state = params.get("state", "")
    if not secrets.compare_digest(state, expected_state):
        raise KeitoError(
            "validation_error",
            "the redirect URL is not the answer to this connect (its state does not match)",
            field="redirect_url",
            hint="open the URL this command printed and paste the address it leads to",
        )
    code = params.get("code", "")
    if not code:
        raise KeitoError("validation_error", "the redirect URL has no authorization code",
                         field="redirect_url",
                         hint="paste the whole address, including everything after `?`")
    return Redirect(code=code, state=state, realm_id=params.get("realmId") or None)


# -- what the token endpoint gives ----------------------------------------------------------


@dataclass(frozen=True)
class TokenSet:
    """An access token, when it expires, and the refresh token that buys the next one."""

    access_token: str
    expires_at: datetime
    refresh_token: str
    #: Intuit says when the refresh token expires (`x_refresh_token_expires_in`); Xero not.
    refresh_expires_at: datetime | None = None

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at.isoformat()})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "expires_at": self.expires_at.isoformat(),
            "refresh_token": self.refresh_token,
            "refresh_expires_at": (self.refresh_expires_at.isoformat()
                                   if self.refresh_expires_at else None),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        refresh_expires = data.get("refresh_expires_at")
        return cls(
            access_token=str(data["access_token"]),
            expires_at=datetime.fromisoformat(str(data["expires_at"])),
            refresh_token=str(data["refresh_token"]),
            refresh_expires_at=datetime.fromisoformat(refresh_expires) if refresh_expires else None,
        )


class GrantLost(KeitoError):
    """The vendor no longer honours the grant (`invalid_grant`): connect again."""

    def __init__(self, provider: SyncProvider, detail: str = "invalid_grant") -> None:
        super().__init__(
            "authentication_error",
            f"{vendor_name(provider)} no longer accepts Keito's authorization ({detail}): "
            f"the connection needs `keito sync connect {provider.value}` again",
            hint=f"an administrator runs `keito sync connect {provider.value}`",
        )
        self.provider = provider
        self.detail = detail


@dataclass(frozen=True)
class Tenant:
    """A Xero organisation the grant reaches (one row of GET /connections)."""

    tenant_id: str
    name: str
    tenant_type: str = "ORGANISATION"
    connection_id: str | None = None


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class OAuthClient:
    """The identity service of one vendor for the app `credentials`, over `client`."""

    def __init__(self, *, credentials: AppCredentials, endpoints: Endpoints,
                 client: httpx.Client, clock: Callable[[], datetime]) -> None:
        self.credentials = credentials
        self.endpoints = endpoints
        self.client = client
        self.clock = clock
        self.provider = SyncProvider(endpoints.provider)

    # -- requests ---------------------------------------------------------------------------

    def _auth(self, form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """The form and headers that name the app: Intuit Basic, Xero client_id in the form."""
        headers = {"Accept": "application/json"}
        if self.credentials.client_secret:
            pair = f"{self.credentials.client_id}:{self.credentials.client_secret}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form = {**form, "client_id": self.credentials.client_id}
        return form, headers

    def _post(self, url: str, form: dict[str, str], what: str) -> httpx.Response:
        import httpx

        form, headers = self._auth(form)
        try:
            return self.client.post(url, data=form, headers=headers, timeout=OAUTH_TIMEOUT)
        except httpx.TimeoutException as exc:
            raise KeitoError("network_error", f"{what}: {vendor_name(self.provider)} did not "
                             "answer in time", hint="check the network and try again") from exc
        except httpx.TransportError as exc:
            raise KeitoError("network_error", f"{what}: cannot reach "
                             f"{httpx.URL(url).host}: {exc.__class__.__name__}",
                             hint="check the network and try again") from exc

    def _tokens(self, response: httpx.Response, what: str, *,
                previous_refresh: str | None = None) -> TokenSet:
        body = _json(response)
        if response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if error == "invalid_grant":
                raise GrantLost(self.provider)
            if error in ("invalid_client", "unauthorized_client"):
                raise KeitoError(
                    "config_error",
                    f"{what}: {vendor_name(self.provider)} does not know the app's "
                    f"credentials ({error})",
                    hint="check the client ID (and QuickBooks' client secret): "
                         "`keito sync credentials " + self.provider.value + "`",
                )
            code = "remote_error" if response.status_code >= 500 or not error else \
                "authentication_error"
            raise KeitoError(code, f"{what}: {vendor_name(self.provider)} answered HTTP "
                             f"{response.status_code}" + (f" ({error})" if error else ""),
                             hint="try again; if it persists, connect again")
        if not isinstance(body, dict) or not body.get("access_token"):
            raise KeitoError("remote_error", f"{what}: the answer has no access token")
        refresh = body.get("refresh_token") or previous_refresh
        if not refresh:
            raise KeitoError("remote_error", f"{what}: the answer has no refresh token",
                             hint="the app must be granted offline_access")
        now = self.clock()
        lifetime = _seconds(body.get("expires_in"))
        refresh_lifetime = _seconds(body.get("x_refresh_token_expires_in"))
        return TokenSet(
            access_token=str(body["access_token"]),
            expires_at=now + (timedelta(seconds=lifetime) if lifetime is not None
                              else DEFAULT_ACCESS_LIFETIME),
            refresh_token=str(refresh),
            refresh_expires_at=(now + timedelta(seconds=refresh_lifetime)
                                if refresh_lifetime is not None else None),
        )

    # -- the grant --------------------------------------------------------------------------

    def exchange_code(self, redirect: Redirect, *, request: AuthorizationRequest) -> TokenSet:
        """Trade the redirect's one-time code (with the PKCE verifier) for the first tokens."""
        response = self._post(self.endpoints.token, {
            "grant_type": "authorization_code",
            "code": redirect.code,
            "redirect_uri": request.redirect_uri,
            "code_verifier": request.verifier,
        }, "the code exchange")
        try:
            return self._tokens(response, "the code exchange")
        except GrantLost as exc:
            raise KeitoError(
                "authentication_error",
                f"{vendor_name(self.provider)} refused the authorization code (expired, "
                "used already, or issued for another redirect URI)",
                hint="run `keito sync connect` again and finish within a few minutes",
            ) from exc

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens for `refresh_token`; `GrantLost` when the vendor answers invalid_grant."""
        response = self._post(self.endpoints.token, {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
        }, "refreshing the token")
        return self._tokens(response, "refreshing the token", previous_refresh=refresh_token)

    def revoke(self, refresh_token: str) -> None:
        """End the grant at the vendor; raises KeitoError when the vendor did not confirm."""
        import httpx

        if self.provider is SyncProvider.QUICKBOOKS:
            form, headers = self._auth({})
            try:
                response = self.client.post(self.endpoints.revoke,
                                            json={"token": refresh_token},
                                            headers=headers, timeout=OAUTH_TIMEOUT)
            except httpx.HTTPError as exc:
                raise KeitoError("network_error", f"revoking the grant: {exc.__class__.__name__}",
                                 hint="revoke Keito's access in QuickBooks' Apps page") from exc
        else:
            response = self._post(self.endpoints.revoke, {"token": refresh_token},
                                  "revoking the grant")
        if response.status_code >= 400:
            raise KeitoError(
                "remote_error",
                f"{vendor_name(self.provider)} did not revoke the grant (HTTP "
                f"{response.status_code})",
                hint="remove Keito from the connected apps at the vendor by hand",
            )

    def tenants(self, access_token: str) -> list[Tenant]:
        """The Xero organisations the grant reaches (GET {identity}/connections)."""
        import httpx

        if self.endpoints.identity is None:
            return []
        url = self.endpoints.identity.rstrip("/") + "/connections"
        try:
            response = self.client.get(url, headers={"Authorization": f"Bearer {access_token}",
                                                     "Accept": "application/json"},
                                       timeout=OAUTH_TIMEOUT)
        except httpx.HTTPError as exc:
            raise KeitoError("network_error", f"listing the organisations: cannot reach "
                             f"{httpx.URL(url).host}: {exc.__class__.__name__}",
                             hint="check the network and try again") from exc
        body = _json(response)
        if response.status_code >= 400 or not isinstance(body, list):
            raise KeitoError("remote_error", "Xero did not list the connected organisations "
                             f"(HTTP {response.status_code})", hint="try again")
        return [
            Tenant(tenant_id=str(row["tenantId"]), name=str(row.get("tenantName") or ""),
                   tenant_type=str(row.get("tenantType") or "ORGANISATION"),
                   connection_id=str(row["id"]) if row.get("id") else None)
            for row in body
            if isinstance(row, dict) and row.get("tenantId")
            and (row.get("tenantType") or "ORGANISATION") == "ORGANISATION"
        ]


def _seconds(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def oauth_client(provider: SyncProvider | str, *, config_dir: Any, client: httpx.Client,
                 clock: Callable[[], datetime],
                 env: Mapping[str, str] | None = None) -> OAuthClient:
    """The OAuth client of `provider` with the app's credentials and endpoints from `env`."""
    from keito_core.sync.credentials import app_credentials
    from keito_core.sync.endpoints import endpoints as endpoints_for

    provider = SyncProvider(provider)
    return OAuthClient(credentials=app_credentials(provider, config_dir=config_dir, env=env),
                       endpoints=endpoints_for(provider, env), client=client, clock=clock)


def new_http_client() -> httpx.Client:
    """An httpx client for the identity services and the APIs (the caller closes it)."""
    import httpx

    from keito_core import __version__

    return httpx.Client(timeout=httpx.Timeout(OAUTH_TIMEOUT, connect=10.0),
                        headers={"User-Agent": f"keito-tui/{__version__}"},
                        follow_redirects=False)
