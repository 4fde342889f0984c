"""A fake Xero, in process: identity (OAuth 2.0 with PKCE), connections and the accounting API.

Every request is checked against Xero's OpenAPI documents plus the README's rules (see `spec`);
a failed check is appended to `violations` and answered 400 in Xero's error shape, so a test
fixture that asserts `violations == []` at teardown catches any request Xero would not take.

Paths follow `keito_core.sync.endpoints` with `KEITO_XERO_URL=base_url`:
`/identity/connect/authorize`, `/connect/token`, `/connect/revocation`, `/connections` and
`/api.xro/2.0/...`. Time comes from the injected clock (token lifetimes, rate limits).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

from . import xero_spec as spec
from .xero_api import Call, answer
from .xero_books import Attachment, Books, Contact, Payment, TaxRate
from .xero_errors import NotModelled, Violation
from .xero_invoices import Invoice
from .xero_oauth import TokenRejected, XeroIdentity
from .xero_traffic import (
    FAULT_KINDS,
    RANDOM_KINDS,
    Fault,
    Faults,
    IdempotencyKeys,
    RateLimits,
    fault_response,
    too_many,
)
from .xero_wire import json_response, not_found, problem, validation_error, with_errors

AUTHORIZE_PATH = "/identity/connect/authorize"
TOKEN_PATH = "/connect/token"
REVOKE_PATH = "/connect/revocation"
CONNECTIONS_PATH = "/connections"
#: What Keito asks for (granular scopes, README) plus attachments for the invoice PDF.
DEFAULT_SCOPES = ("offline_access accounting.invoices accounting.payments accounting.contacts "
                  "accounting.settings.read accounting.attachments")
#: Xero's URLs ignore case; the specification spells each resource one way.
_SPELLING = {name.lower(): name for name in (
    "Invoices", "Contacts", "Payments", "Accounts", "TaxRates", "Currencies", "Organisation",
    "Attachments", "History", "OnlineInvoice", "Email")}
#: Which scopes let a token reach each resource (a broad scope or a granular one).
_SCOPES = {
    "Invoices": ("accounting.transactions", "accounting.invoices"),
    "Payments": ("accounting.transactions", "accounting.payments"),
    "Contacts": ("accounting.contacts",),
    "Accounts": ("accounting.settings",), "TaxRates": ("accounting.settings",),
    "Currencies": ("accounting.settings",), "Organisation": ("accounting.settings",),
}


@dataclass(frozen=True)
class LoggedRequest:
    """A request as the fake received it (Authorization left out)."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any


@dataclass
class Connection:
    connection_id: str
    tenant_id: str
    auth_event_id: str
    created_at: datetime


class FakeXero:
    """Xero for Keito's sync tests. See the module docstring and tests/fakes_tests."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None,
                 client_id: str = "keito-test-xero", base_url: str = "https://xero.test") -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.client_id = client_id
        #: The origin every path is served under; set it to the URL of `http_server.serve`.
        self.base_url = base_url.rstrip("/")
        self.violations: list[str] = []
        #: The rate limits the client ran into: "minute", "day" or "concurrent", one per 429.
        self.limit_hits: list[str] = []
        self.requests: list[LoggedRequest] = []
        #: Seconds each API call takes in real time (only to test the concurrency limit).
        self.latency = 0.0
        self.identity = XeroIdentity(client_id, self._now, self._violation)
        self.tenants: dict[str, Books] = {}
        self.connections: dict[str, Connection] = {}
        self.limits = RateLimits()
        self.faults = Faults()
        self.idempotency = IdempotencyKeys()
        self._lock = threading.RLock()
        self.tenant_id = self.add_tenant("Demo Company (UK)")

    # -- set-up and inspection -----------------------------------------------------------------

    def add_tenant(self, name: str) -> str:
        """Another organisation; connected at the next consent (or now, if one stands)."""
        books = Books(str(uuid.uuid4()), name, self._now())
        self.tenants[books.tenant_id] = books
        if any(not g.revoked for g in self.identity.grants.values()):
            self._connect(books.tenant_id, str(uuid.uuid4()))
        return books.tenant_id

    def books(self, tenant_id: str | None = None) -> Books:
        return self.tenants[tenant_id or self.tenant_id]

    def add_tax_rate(self, tax_type: str, name: str, components: Sequence[tuple[str, Decimal]],
                     *, tenant_id: str | None = None) -> TaxRate:
        """A tax rate of simple components [(name, percent)]: EffectiveRate is their sum."""
        rate = TaxRate(tax_type, name, [(n, Decimal(r), False) for n, r in components])
        self.books(tenant_id).tax_rates[tax_type] = rate
        return rate

    @property
    def contacts(self) -> dict[str, Contact]:
        return self.books().contacts

    @property
    def invoices(self) -> dict[str, Invoice]:
        return self.books().invoices

    @property
    def payments(self) -> dict[str, Payment]:
        return self.books().payments

    @property
    def attachments(self) -> dict[str, Attachment]:
        return self.books().attachments

    def invoice_totals(self, invoice_id: str) -> dict[str, Decimal]:
        """SubTotal, TotalTax, Total, AmountPaid and AmountDue of an invoice, as Xero has them."""
        books = self.books()
        invoice = books.invoices[invoice_id]
        paid = books.amount_paid(invoice)
        return {"SubTotal": invoice.sub_total, "TotalTax": invoice.total_tax,
                "Total": invoice.total, "AmountPaid": paid, "AmountDue": invoice.total - paid}

    def revoke_grant(self) -> None:
        """The user revoked the app: every token is dead; the API answers 401."""
        self.identity.revoke_all()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now; refresh tokens still work."""
        self.identity.expire_access_tokens()

    def fail_next(self, kind: str, *, times: int = 1, method: str | None = None,
                  path_contains: str | None = None, retry_after: int = 5,
                  include_oauth: bool = False) -> None:
        """The next `times` matching API calls fail with `kind` (see FAULT_KINDS):
        "500"/"503"/"429" answer so without acting, "timeout" raises httpx.ReadTimeout before
        acting, "commit_then_timeout" acts and then raises it. OAuth calls only if asked."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {FAULT_KINDS}")
        self.faults.queued.append(
            Fault(kind, times, method, path_contains, retry_after, include_oauth))

    def fail_randomly(self, rate: float, *, seed: int, kinds: Sequence[str] = RANDOM_KINDS,
                      include_oauth: bool = False) -> None:
        """Fail that fraction of API calls with one of `kinds` (rate 0 stops it)."""
        unknown = set(kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}")
        self.faults.rate, self.faults.kinds = rate, tuple(kinds)
        self.faults.include_oauth = include_oauth
        self.faults.rng.seed(seed)

    def consent(self, scopes: str = DEFAULT_SCOPES,
                redirect_uri: str = "http://127.0.0.1:8765/callback") -> dict[str, Any]:
        """Run the whole PKCE flow at once; the token answer (access_token, refresh_token...).

        For tests of the API client that start from stored tokens instead of `sync connect`."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        authorized = self.handle(httpx.Request("GET", self.base_url + AUTHORIZE_PATH, params={
            "response_type": "code", "client_id": self.client_id, "redirect_uri": redirect_uri,
            "scope": scopes, "state": "consent", "code_challenge": challenge,
            "code_challenge_method": "S256"}))
        code = httpx.URL(authorized.headers["location"]).params["code"]
        token = self.handle(httpx.Request("POST", self.base_url + TOKEN_PATH, data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "code_verifier": verifier, "client_id": self.client_id}))
        return dict(token.json())

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- dispatch ------------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Xero's answer to one request (or an httpx.TimeoutException, for injected faults)."""
        path = self._local_path(request)
        with self._lock:
            self._log(request, path)
            if path in (AUTHORIZE_PATH, TOKEN_PATH, REVOKE_PATH):
                return self._oauth(request, path)
        lowered = path.lower()
        if lowered == CONNECTIONS_PATH or lowered.startswith(CONNECTIONS_PATH + "/"):
            return self._api(request, path, identity=True)
        if lowered.startswith(spec.ACCOUNTING_ROOT.lower() + "/"):
            return self._api(request, path, identity=False)
        self._violation(f"{request.method} {path}: no such Xero endpoint")
        return not_found()

    def _oauth(self, request: httpx.Request, path: str) -> httpx.Response:
        fault = self.faults.pick(request.method, path, oauth=True)
        if fault is not None and fault.kind != "commit_then_timeout":
            return fault_response(fault, request)
        if path == AUTHORIZE_PATH:
            response = self.identity.authorize(request)
        elif path == REVOKE_PATH:
            response = self.identity.revoke(request)
        else:
            grants_before = len(self.identity.grants)
            response = self.identity.token(request)
            if len(self.identity.grants) > grants_before:
                self._connect_all()
        if fault is not None:
            raise httpx.ReadTimeout("injected timeout after the server acted", request=request)
        return response

    def _api(self, request: httpx.Request, path: str, *, identity: bool) -> httpx.Response:
        with self._lock:
            rejected, tenant_id = self._admit(request, path, identity=identity)
            if rejected is not None:
                return rejected
        try:
            if self.latency:
                time.sleep(self.latency)
            with self._lock:
                return self._act(request, path, tenant_id, identity=identity)
        finally:
            if tenant_id is not None:
                with self._lock:
                    self.limits.done(tenant_id)

    def _admit(self, request: httpx.Request, path: str, *, identity: bool
               ) -> tuple[httpx.Response | None, str | None]:
        """Checks before acting: specification, token, scope, tenant, rate limits."""
        spec_path = self._spec_path(path, identity=identity)
        problems = self._problems(request, spec_path, identity=identity)
        if problems:
            for p in problems:
                self._violation(f"{request.method} {path}: {p}")
            return validation_error([with_errors({}, problems)]), None
        try:
            grant = self.identity.check_bearer(request.headers.get("authorization"))
        except TokenRejected as rejected:
            return problem(401, "Unauthorized", rejected.detail), None
        resource = spec_path.split("/")[1] if not identity else ""
        needed = _SCOPES.get(resource)
        if needed and not any(s in grant.scopes or f"{s}.read" in grant.scopes and
                              request.method == "GET" for s in needed):
            held = " ".join(sorted(grant.scopes))
            self._violation(f"{request.method} {path}: the grant lacks a scope for {resource} "
                            f"(one of {', '.join(needed)}); it has {held}")
            return problem(401, "Unauthorized", "AuthorizationUnsuccessful"), None
        if identity:
            return None, None
        tenant_id = request.headers.get("xero-tenant-id", "")
        if not any(c.tenant_id == tenant_id for c in self.connections.values()):
            return problem(403, "Forbidden", "AuthenticationUnsuccessful"), None
        limited = self.limits.admit(tenant_id, self._now())
        if limited is not None:
            self.limit_hits.append(limited[0])
            return too_many(*limited), None
        return None, tenant_id

    def _act(self, request: httpx.Request, path: str, tenant_id: str | None, *,
             identity: bool) -> httpx.Response:
        fault = self.faults.pick(request.method, path, oauth=False)
        if fault is not None and fault.kind != "commit_then_timeout":
            return fault_response(fault, request)
        key = request.headers.get("idempotency-key")
        scope = tenant_id or "identity"
        if key and request.method in ("PUT", "POST"):
            recorded = self.idempotency.lookup(scope, key, self._now())
            if recorded is not None:
                if recorded.fingerprint != self.idempotency.fingerprint(request):
                    self._violation(f"{request.method} {path}: Idempotency-Key {key!r} reused "
                                    "for a different request")
                response = recorded.replay()
                if fault is not None:
                    raise httpx.ReadTimeout("injected timeout after the server acted",
                                            request=request)
                return response
        response = self._answer(request, path, tenant_id, identity=identity)
        if key and request.method in ("PUT", "POST") and response.status_code < 500:
            self.idempotency.record(scope, key, request, response, self._now())
        if tenant_id is not None:
            response.headers.update(self.limits.remaining(tenant_id, self._now()))
        if fault is not None:
            raise httpx.ReadTimeout("injected timeout after the server acted", request=request)
        return response

    def _answer(self, request: httpx.Request, path: str, tenant_id: str | None, *,
                identity: bool) -> httpx.Response:
        try:
            if identity:
                return self._connections(request, path)
            assert tenant_id is not None
            call = Call(self.tenants[tenant_id], request, self._now(),
                        self.base_url + spec.ACCOUNTING_ROOT)
            return answer(call, self._spec_path(path, identity=False))
        except Violation as violation:
            for p in violation.problems:
                self._violation(f"{request.method} {path}: {p}")
            return validation_error([with_errors({}, list(violation.problems))])
        except NotModelled as gap:
            self._violation(f"{request.method} {path}: the fake does not model {gap}")
            return httpx.Response(501, text=f"not modelled by the fake: {gap}")

    # -- connections ---------------------------------------------------------------------------

    def _connections(self, request: httpx.Request, path: str) -> httpx.Response:
        parts = path.strip("/").split("/")
        if request.method == "GET" and len(parts) == 1:
            return json_response(200, [self._connection_json(c)
                                       for c in self.connections.values()])
        if request.method == "DELETE" and len(parts) == 2:
            if self.connections.pop(parts[1], None) is None:
                return not_found()
            return httpx.Response(204)
        raise NotModelled(f"{request.method} {path}")

    def _connection_json(self, connection: Connection) -> dict[str, Any]:
        stamp = connection.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f0")
        return {"id": connection.connection_id, "authEventId": connection.auth_event_id,
                "tenantId": connection.tenant_id, "tenantType": "ORGANISATION",
                "tenantName": self.tenants[connection.tenant_id].name,
                "createdDateUtc": stamp, "updatedDateUtc": stamp}

    def _connect_all(self) -> None:
        auth_event = str(uuid.uuid4())
        connected = {c.tenant_id for c in self.connections.values()}
        for tenant_id in self.tenants:
            if tenant_id not in connected:
                self._connect(tenant_id, auth_event)

    def _connect(self, tenant_id: str, auth_event_id: str) -> None:
        connection = Connection(str(uuid.uuid4()), tenant_id, auth_event_id, self._now())
        self.connections[connection.connection_id] = connection

    # -- helpers -------------------------------------------------------------------------------

    def _problems(self, request: httpx.Request, spec_path: str, *, identity: bool) -> list[str]:
        api: spec.ApiName = "identity" if identity else "accounting"
        method = None
        if request.method == "POST" and spec_path == "/Payments" and _has_key(request,
                                                                               "Payments"):
            method = "PUT"  # POST /Payments takes the PUT's {"Payments": [...]} as well
        binary = "/Attachments/" in spec_path
        problems = spec.spec_problems(api, spec_path, request, method=method,
                                      check_body=not binary)
        if binary and request.method in ("PUT", "POST") and not request.content:
            problems.append("the attachment body is empty")
        return problems + spec.header_problems(request, accounting=not identity)

    @staticmethod
    def _spec_path(path: str, *, identity: bool) -> str:
        if identity:
            return "/Connections" + path[len(CONNECTIONS_PATH):]
        below = path[len(spec.ACCOUNTING_ROOT):]
        return "/".join(_SPELLING.get(part.lower(), part) for part in below.split("/"))

    def _local_path(self, request: httpx.Request) -> str:
        prefix = httpx.URL(self.base_url).path.rstrip("/")
        path = request.url.path
        return path[len(prefix):] if prefix and path.startswith(prefix) else path

    def _log(self, request: httpx.Request, path: str) -> None:
        body: Any = None
        if "json" in request.headers.get("content-type", ""):
            try:
                body = json.loads(request.content)
            except ValueError:
                body = None
        self.requests.append(LoggedRequest(
            request.method, path, dict(request.url.params),
            {k: v for k, v in request.headers.items() if k.lower() != "authorization"}, body))

    def _violation(self, text: str) -> None:
        self.violations.append(text)

    def _now(self) -> datetime:
        return self.clock()


def _has_key(request: httpx.Request, key: str) -> bool:
    try:
        body = json.loads(request.content)
    except ValueError:
        return False
    return isinstance(body, dict) and key in body

