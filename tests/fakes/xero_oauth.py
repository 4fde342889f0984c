"""Xero's identity service as a desktop app sees it: authorization code with PKCE, no secret.

A grant is one consent: it owns the refresh tokens that rotate from it and the access tokens they
buy. Access tokens live 30 minutes; every refresh returns a fresh pair and retires the refresh
token used, which stays usable for a 30-minute grace; a refresh token not used within 60 days
expires. Revoking (the revocation endpoint or `revoke_all`) ends the grant and every token of it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

ACCESS_TOKEN_LIFETIME = timedelta(seconds=1800)
REFRESH_GRACE = timedelta(minutes=30)
REFRESH_UNUSED_EXPIRY = timedelta(days=60)
CODE_LIFETIME = timedelta(minutes=5)
#: Scopes Xero knows (the broad ones and the granular ones of apps created from March 2026).
KNOWN_SCOPES = frozenset({
    "openid", "profile", "email", "offline_access",
    "accounting.transactions", "accounting.transactions.read",
    "accounting.invoices", "accounting.invoices.read",
    "accounting.payments", "accounting.payments.read",
    "accounting.contacts", "accounting.contacts.read",
    "accounting.settings", "accounting.settings.read",
    "accounting.attachments", "accounting.attachments.read",
    "accounting.reports.read", "accounting.journals.read",
})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


@dataclass
class Grant:
    """One consent of the user to the app: its scopes and whether it still stands."""

    grant_id: str
    client_id: str
    scopes: frozenset[str]
    revoked: bool = False


@dataclass
class RefreshToken:
    grant: Grant
    issued_at: datetime
    #: When a refresh used it; it stays usable for REFRESH_GRACE after that.
    used_at: datetime | None = None


@dataclass
class AccessToken:
    grant: Grant
    expires_at: datetime


@dataclass
class AuthorizationCode:
    client_id: str
    redirect_uri: str
    challenge: str
    scopes: frozenset[str]
    expires_at: datetime
    used: bool = False


class TokenRejected(Exception):
    """A bearer token the API does not accept; `detail` is Xero's Detail text."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class XeroIdentity:
    """Authorization codes, grants and tokens of one app (`client_id`), by the injected clock."""

    client_id: str
    clock: Callable[[], datetime]
    #: Called with protocol mistakes (a missing parameter, a wrong content type).
    report: Callable[[str], None]
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)

    # -- the three endpoints -------------------------------------------------------------------

    def authorize(self, request: httpx.Request) -> httpx.Response:
        """GET /identity/connect/authorize: consent at once, 302 back with a one-time code."""
        params = dict(request.url.params)
        redirect_uri = params.get("redirect_uri", "")
        if request.method != "GET":
            return _page(405, "the authorize endpoint takes GET")
        if params.get("client_id") != self.client_id:
            return _page(400, "unauthorized_client: unknown client_id")
        if not _is_loopback(redirect_uri):
            return _page(400, "invalid redirect_uri: this app allows only http loopback URIs")
        if params.get("response_type") != "code":
            return _redirect(redirect_uri, error="unsupported_response_type",
                             state=params.get("state"))
        if not params.get("code_challenge") or params.get("code_challenge_method") != "S256":
            # An app without a secret must use PKCE with S256.
            return _page(400, "invalid_request: code_challenge with code_challenge_method=S256 "
                              "is required")
        scopes = frozenset(params.get("scope", "").split())
        if not scopes or not scopes <= KNOWN_SCOPES:
            return _redirect(redirect_uri, error="invalid_scope", state=params.get("state"))
        code = secrets.token_urlsafe(24)
        self.codes[code] = AuthorizationCode(
            client_id=self.client_id, redirect_uri=redirect_uri,
            challenge=params["code_challenge"], scopes=scopes,
            expires_at=self.clock() + CODE_LIFETIME)
        return _redirect(redirect_uri, code=code, scope=" ".join(sorted(scopes)),
                         state=params.get("state"))

    def token(self, request: httpx.Request) -> httpx.Response:
        """POST /connect/token: exchange a code (with its PKCE verifier) or a refresh token."""
        form = self._form(request, "/connect/token")
        if form is None:
            return _oauth_error("invalid_request")
        if form.get("client_id") != self.client_id:
            if "client_id" not in form:
                self.report("POST /connect/token: client_id is required for a PKCE app")
            return _oauth_error("invalid_client")
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form)
        self.report(f"POST /connect/token: unsupported grant_type {grant_type!r}")
        return _oauth_error("unsupported_grant_type")

    def revoke(self, request: httpx.Request) -> httpx.Response:
        """POST /connect/revocation: revoke the grant behind a refresh token."""
        form = self._form(request, "/connect/revocation")
        if form is None or "token" not in form:
            if form is not None:
                self.report("POST /connect/revocation: token is required")
            return _oauth_error("invalid_request")
        if form.get("client_id") != self.client_id:
            return _oauth_error("invalid_client")
        held = self.refresh_tokens.get(form["token"])
        if held is not None:
            held.grant.revoked = True
        return httpx.Response(200)

    # -- what the API asks ---------------------------------------------------------------------

    def check_bearer(self, authorization: str | None) -> Grant:
        """The grant behind an `Authorization: Bearer` header, or TokenRejected."""
        if not authorization or not authorization.startswith("Bearer "):
            raise TokenRejected("AuthenticationUnsuccessful")
        held = self.access_tokens.get(authorization.removeprefix("Bearer ").strip())
        if held is None or held.grant.revoked:
            raise TokenRejected("AuthenticationUnsuccessful")
        if self.clock() >= held.expires_at:
            stamp = held.expires_at.strftime("%m/%d/%Y %H:%M:%S")
            raise TokenRejected(f"TokenExpired: token expired at {stamp}")
        return held.grant

    def revoke_all(self) -> None:
        """Every grant ends: the API answers 401 and a refresh answers invalid_grant."""
        for grant in self.grants.values():
            grant.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far has expired now (refresh tokens still work)."""
        now = self.clock()
        for held in self.access_tokens.values():
            held.expires_at = min(held.expires_at, now)

    # -- internals -----------------------------------------------------------------------------

    def _form(self, request: httpx.Request, path: str) -> dict[str, str] | None:
        if request.method != "POST":
            self.report(f"{request.method} {path}: the endpoint takes POST")
            return None
        content_type = request.headers.get("content-type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            self.report(f"POST {path}: body must be application/x-www-form-urlencoded, "
                        f"got {content_type or 'none'}")
            return None
        form = dict(parse_qsl(request.content.decode("utf-8"), keep_blank_values=True))
        basic = request.headers.get("authorization", "")
        if basic.startswith("Basic ") and "client_id" not in form:
            decoded = base64.b64decode(basic.removeprefix("Basic ")).decode("utf-8")
            form["client_id"] = decoded.partition(":")[0]
        return form

    def _exchange_code(self, form: Mapping[str, str]) -> httpx.Response:
        missing = [name for name in ("code", "redirect_uri", "code_verifier") if not form.get(name)]
        if missing:
            self.report(f"POST /connect/token: authorization_code needs {', '.join(missing)}")
            return _oauth_error("invalid_request")
        held = self.codes.get(form["code"])
        if (held is None or held.used or self.clock() >= held.expires_at
                or held.redirect_uri != form["redirect_uri"]
                or _s256(form["code_verifier"]) != held.challenge):
            if held is not None:
                held.used = True  # a code is good for one try, right or wrong
            return _oauth_error("invalid_grant")
        held.used = True
        grant = Grant(grant_id=secrets.token_hex(8), client_id=held.client_id, scopes=held.scopes)
        self.grants[grant.grant_id] = grant
        return self._issue(grant)

    def _refresh(self, form: Mapping[str, str]) -> httpx.Response:
        if not form.get("refresh_token"):
            self.report("POST /connect/token: refresh_token grant needs refresh_token")
            return _oauth_error("invalid_request")
        held = self.refresh_tokens.get(form["refresh_token"])
        now = self.clock()
        if (held is None or held.grant.revoked
                or now >= held.issued_at + REFRESH_UNUSED_EXPIRY
                or (held.used_at is not None and now >= held.used_at + REFRESH_GRACE)):
            return _oauth_error("invalid_grant")
        if held.used_at is None:
            held.used_at = now
        return self._issue(held.grant)

    def _issue(self, grant: Grant) -> httpx.Response:
        now = self.clock()
        access = secrets.token_urlsafe(32)
        self.access_tokens[access] = AccessToken(grant, now + ACCESS_TOKEN_LIFETIME)
        body: dict[str, object] = {
            "access_token": access,
            "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
            "token_type": "Bearer",
            "scope": " ".join(sorted(grant.scopes)),
        }
        if "offline_access" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self.refresh_tokens[refresh] = RefreshToken(grant, issued_at=now)
            body["refresh_token"] = refresh
        if "openid" in grant.scopes:
            body["id_token"] = secrets.token_urlsafe(48)
        return httpx.Response(200, json=body)


def _s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def _redirect(redirect_uri: str, **params: str | None) -> httpx.Response:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    separator = "&" if urlsplit(redirect_uri).query else "?"
    return httpx.Response(302, headers={"Location": f"{redirect_uri}{separator}{query}"})


def _page(status: int, text: str) -> httpx.Response:
    """Xero's login service answers a bad authorize request with an HTML error page."""
    return httpx.Response(status, html=f"<html><body><h1>Error</h1><p>{text}</p></body></html>")


def _oauth_error(error: str) -> httpx.Response:
    return httpx.Response(400, json={"error": error})
