"""An in-process fake of QuickBooks Online (accounting API v3 and Intuit's OAuth 2.0) for tests.

Keito's QuickBooks client is tested against this fake through `httpx.MockTransport`
(`fake.transport()`), or over real HTTP when a test serves `fake.handle` and points
`KEITO_QUICKBOOKS_URL` at it. It behaves like QBO for what Keito uses and validates every request:

- API requests (`/v3/company/{realmId}/...`) must carry `minorversion` >= 75, `Accept:
  application/json` and `Authorization: Bearer ...`; writes (every POST but a query) must carry a
  `requestid` query parameter and `Content-Type: application/json`.
- Create and update bodies are checked against Intuit's create schemas
  (`../shared/specs/quickbooks/qbo_create_schemas.json`) with the corrections that the specs'
  README lists (see `create_validators`), then against QBO's business rules (references exist,
  line amounts equal Qty x UnitPrice, the invoice currency is the customer's, ...).

A request that breaks a rule a correct client never breaks is a *violation*: it is appended to
`fake.violations` ("METHOD /path: problem") and answered with Intuit's fault (400, or 401/403
for a missing or foreign bearer). Faults a correct client meets in normal life (a stale
SyncToken, a duplicate name, an expired token, throttling, an old CDC position, a payment over
the balance) are answered the same way but are not violations.

Not modelled: vendors, bills, estimates, credit memos, journal entries, classes, departments,
attachments, invoice PDFs and e-mail, group and inventory items, automated sales tax (tax is the
client's `TxnTaxDetail.TotalTax`, else a TaxCode's single rate), exchange-rate tables (1.0 unless
the client gives `ExchangeRate`), daylight saving time (the company's clock is UTC-08:00),
batch requests, webhooks, and `select` of named columns (only `*` and `count(*)`).
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import json
import os
import random
import re
import secrets
import threading
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import jsonschema

Json = dict[str, Any]

REALM_ID = "9341453000000001"
COMPANY_NAME = "Keito Test Company"
HOME_CURRENCY = "USD"
CURRENCIES = {"USD": "United States Dollar", "GBP": "British Pound Sterling", "EUR": "Euro"}
SCOPE = "com.intuit.quickbooks.accounting"
MIN_MINOR_VERSION = 75
ACCESS_TOKEN_LIFETIME = timedelta(hours=1)
REFRESH_TOKEN_LIFETIME = timedelta(days=100)
#: Intuit keeps a rotated-out refresh token usable this long after its successor was issued.
REFRESH_TOKEN_GRACE = timedelta(hours=24)
AUTHORIZATION_CODE_LIFETIME = timedelta(minutes=5)
CDC_LOOKBACK = timedelta(days=30)
CDC_MAX_OBJECTS = 1000
CDC_ENTITIES = ("Account", "Customer", "Employee", "Invoice", "Item", "Payment", "TaxCode",
                "TaxRate", "TimeActivity")
QUERY_MAX_RESULTS = 1000
QUERY_DEFAULT_RESULTS = 100
#: The company's clock (Pacific standard time, no daylight saving): MetaData times and TxnDate.
COMPANY_TZ = timezone(timedelta(hours=-8))

#: Path segment (lower case) -> Intuit's entity name.
ENTITY_NAMES = {name.lower(): name for name in (
    "Account", "Item", "Employee", "TaxCode", "TaxRate", "Customer", "Invoice", "Payment",
    "TimeActivity", "CompanyCurrency", "CompanyInfo", "Preferences",
)}
#: The entities Keito may create and update.
WRITABLE = ("Customer", "Invoice", "Payment", "TimeActivity", "Item", "Employee")
#: Name-list entities: a query without a condition on Active returns only the active ones.
NAME_LISTS = ("Customer", "Employee", "Item", "Account", "TaxCode", "TaxRate")
#: Fields QBO fills in on reads; a full update that sends them back has them ignored.
READ_ONLY = ("Id", "SyncToken", "MetaData", "domain", "sparse", "status", "FullyQualifiedName",
             "Level", "Balance", "BalanceWithJobs", "HomeTotalAmt", "UnappliedAmt",
             "LinkedTxn", "HomeBalance")


def specs_dir() -> Path:
    """The shared vendor specs: `KEITO_SPECS_DIR`, else `../shared/specs` beside the checkout."""
    configured = os.environ.get("KEITO_SPECS_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[3] / "shared/specs"


# --- the create schemas, corrected ------------------------------------------------------------


def _close_objects(schema: Any) -> None:
    """Set additionalProperties false on every object schema that lists its properties."""
    if isinstance(schema, dict):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False
        for value in schema.values():
            _close_objects(value)
    elif isinstance(schema, list):
        for value in schema:
            _close_objects(value)


def corrected_schemas(raw: Json) -> Json:
    """Intuit's create schemas with the defects named in the specs' README corrected.

    - Item.required loses ItemCategoryType (France only): a US service item needs only Name.
    - Customer requires DisplayName; Employee requires DisplayName and GivenName or FamilyName.
    - TimeActivity loses the bogus "BreakHours BreakMinutes" property and gains Intuit's Minutes
      (with BreakHours and BreakMinutes as the two separate fields Intuit documents).
    - Every object schema gets additionalProperties false, so a misspelled field fails.
    Two more, found while writing the fake: every entity also admits `domain` and `sparse`
    (QBO returns them on reads, and a read-modify-write sends them back), and the sub-total
    line admits Intuit's JSON key `SubTotalLineDetail` beside the spec's `SubtotalLineDetail`.
    """
    schemas = copy.deepcopy(raw)
    item = schemas["Item"]
    item["required"] = [name for name in item.get("required", []) if name != "ItemCategoryType"]
    schemas["Customer"]["required"] = ["DisplayName"]
    employee = schemas["Employee"]
    employee["required"] = ["DisplayName"]
    employee["anyOf"] = [{"required": ["GivenName"]}, {"required": ["FamilyName"]}]
    activity = schemas["TimeActivity"]["properties"]
    activity.pop("BreakHours BreakMinutes", None)
    for name in ("Minutes", "BreakHours", "BreakMinutes"):
        activity[name] = {"type": "integer", "minimum": 0}
    activity["Minutes"]["maximum"] = 59
    activity["Hours"] = {"type": "integer", "minimum": 0}
    for schema in schemas.values():
        schema["properties"].setdefault("domain", {"type": "string"})
        schema["properties"].setdefault("sparse", {"type": "boolean"})
    for line in schemas["Invoice"]["properties"]["Line"]["items"]["anyOf"]:
        if "SubtotalLineDetail" in line["properties"]:
            detail = line["properties"]["SubtotalLineDetail"]
            line["properties"]["SubTotalLineDetail"] = detail
            line["required"] = [n for n in line["required"] if n != "SubtotalLineDetail"]
            line["anyOf"] = [{"required": ["SubTotalLineDetail"]},
                             {"required": ["SubtotalLineDetail"]}]
    _close_objects(schemas)
    return schemas


def _sparse_schema(schema: Json) -> Json:
    """The schema of a sparse update: nested rules stay, the entity's own required lists go."""
    sparse = copy.deepcopy(schema)
    for key in ("required", "allOf", "anyOf"):
        sparse.pop(key, None)
    sparse["required"] = ["Id", "SyncToken"]
    return sparse


@cache
def create_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """Validators by (entity, "create" | "update" | "sparse"), built once per process."""
    raw = json.loads((specs_dir() / "quickbooks/qbo_create_schemas.json").read_text())
    validators: dict[tuple[str, str], jsonschema.protocols.Validator] = {}
    for name, schema in corrected_schemas(raw).items():
        update = copy.deepcopy(schema)
        update["required"] = sorted({*update.get("required", []), "Id", "SyncToken"})
        for kind, variant in (("create", schema), ("update", update),
                              ("sparse", _sparse_schema(schema))):
            cls = jsonschema.validators.validator_for(variant, jsonschema.Draft202012Validator)
            validators[(name, kind)] = cls(variant)
    return validators


def _most_relevant(error: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Descend into anyOf branches, choosing the branch the instance meant (its DetailType)."""
    while error.context:
        branches: dict[Any, list[jsonschema.ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        meant = [errors for errors in branches.values()
                 if not any(sub.validator == "const" for sub in errors)]
        error = min(meant or list(branches.values()), key=len)[0]
    return error


def schema_problems(entity: str, kind: str, body: Json) -> list[tuple[str, str, str]]:
    """(code, element, message) for each way `body` breaks the corrected schema."""
    validator = create_validators()[(entity, kind)]
    problems = []
    for error in sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.path))):
        error = _most_relevant(error)
        element = ".".join(str(part) for part in error.absolute_path)
        code = "2010" if error.validator == "additionalProperties" else "2020"
        problems.append((code, element, error.message))
    return problems


# --- small helpers ----------------------------------------------------------------------------


def money(value: Any) -> Decimal:
    """A JSON number as Decimal (via its shortest text, so 0.1 stays 0.1)."""
    return Decimal(str(value))


def cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def number(value: Decimal) -> float | int:
    """A Decimal as the JSON number QBO would print."""
    return int(value) if value == value.to_integral_value() else float(value)


def stamp(moment: datetime) -> str:
    """A MetaData time as QBO prints it: seconds, in the company's offset."""
    return moment.astimezone(COMPANY_TZ).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """An ISO date or datetime; without an offset it is the company's local time."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=COMPANY_TZ)


def ref(value: str, name: str | None = None) -> Json:
    return {"value": value, "name": name} if name is not None else {"value": value}


class Invalid(Exception):
    """A business rule refused a write: a violation (a client bug) or a fault (normal life)."""

    def __init__(self, detail: str, *, code: str = "2020", element: str = "",
                 message: str | None = None, violation: bool = True) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code
        self.element = element
        self.message = message
        self.violation = violation


class Answered(Exception):
    """Raised inside the fake to answer the request at once with `response`."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass
class ManualClock:
    """A clock that moves only when told: `clock()` is now, `clock.advance(seconds=...)`."""

    now: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 17, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it (never its Authorization header nor OAuth secrets)."""

    method: str
    path: str
    query: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None


@dataclass
class _Grant:
    """One company's consent to the app: revoked as a whole."""

    realm_id: str
    scope: str
    revoked: bool = False
    latest_refresh: str = ""


@dataclass
class _Code:
    grant: _Grant
    redirect_uri: str
    issued: datetime
    challenge: str | None
    challenge_method: str
    used: bool = False


@dataclass
class _RefreshToken:
    grant: _Grant
    issued: datetime
    superseded_at: datetime | None = None


@dataclass
class _AccessToken:
    grant: _Grant
    expires: datetime


@dataclass
class _FaultRule:
    kind: str
    remaining: int
    method: str | None
    path_contains: str | None

    def matches(self, request: httpx.Request) -> bool:
        return ((self.method is None or request.method == self.method.upper())
                and (self.path_contains is None or self.path_contains in request.url.path))


FAULT_KINDS = ("500", "503", "429", "timeout", "commit_then_timeout")

_QUERY_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<number>-?\d+(?:\.\d+)?)(?![\w.])"
    r"|(?P<op><=|>=|!=|<>|=|<|>)|(?P<punct>[(),*])|(?P<word>[A-Za-z_][\w.]*))"
)


@dataclass
class _Query:
    entity: str
    count: bool
    conditions: list[tuple[str, str, Any]]
    order: tuple[str, bool] | None
    start: int
    max_results: int


class FakeQuickBooks:
    """QuickBooks Online for one company, in process; see the module's docstring.

    Drive it: `transport()` for httpx, or serve `handle` and use `env()`; `connect()` for tokens
    without a browser; `revoke_grant()`, `expire_access_tokens()`, `deny_next_authorization()`;
    `fail_next(...)`, `fail_randomly(...)`; the bookkeeper's side: `record_remote_payment`,
    `create_remotely`, `update_remotely`, `void_remotely`, `delete_remotely`. Limits
    (`requests_per_minute`, `requests_per_second`) and `reject_duplicate_doc_numbers` are
    attributes a test may change.

    Introspection: `requests` (every request, oldest first), `violations`, `hard_deletes`
    (calls of `operation=delete`, which Keito must never make), `limit_hits` (429s from the
    limits), `injected` (faults injected: (kind, method, path)), and the entities by type and
    Id in `entities` (`customers`, `invoices`, `payments`, ... for short). A repeated
    `requestid` replays the first 200 answer; faults are not recorded, so a retry acts.
    """

    def __init__(self, *, clock: Callable[[], datetime] | None = None,
                 client_id: str = "keito-test-qbo", client_secret: str = "keito-test-secret",
                 base_url: str = "https://quickbooks.test") -> None:
        self.clock: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
        self.client_id = client_id
        self.client_secret = client_secret
        self.base_url = base_url
        self.realm_id = REALM_ID
        #: Limits per company: None switches one off.
        self.requests_per_minute: int | None = 500
        self.requests_per_second: int | None = 10
        #: QBO's "warn on duplicate document numbers" preference: a repeated DocNumber -> 6140.
        self.reject_duplicate_doc_numbers = True
        self.requests: list[RecordedRequest] = []
        self.violations: list[str] = []
        self.hard_deletes = 0
        self.limit_hits = 0
        self.injected: list[tuple[str, str, str]] = []
        self.entities: dict[str, dict[str, Json]] = {name: {} for name in ENTITY_NAMES.values()}
        self._deleted: dict[str, dict[str, datetime]] = defaultdict(dict)
        self._order: dict[tuple[str, str], int] = {}
        self._sequence = itertools.count()
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._codes: dict[str, _Code] = {}
        self._refresh_tokens: dict[str, _RefreshToken] = {}
        self._access_tokens: dict[str, _AccessToken] = {}
        self._deny_next_authorization = False
        self._replies: dict[tuple[str, str], tuple[int, Json]] = {}
        self._recent: dict[str, deque[datetime]] = defaultdict(deque)
        self._fault_rules: list[_FaultRule] = []
        self._random_faults: tuple[float, random.Random, tuple[str, ...], str | None] | None = None
        self._lock = threading.RLock()
        self._seed_company()

    # --- public helpers -----------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def env(self) -> dict[str, str]:
        """The environment that points Keito at this fake (`KEITO_QUICKBOOKS_URL`)."""
        return {"KEITO_QUICKBOOKS_URL": self.base_url.rstrip("/")}

    @property
    def now(self) -> datetime:
        moment = self.clock()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    @property
    def customers(self) -> dict[str, Json]:
        return self.entities["Customer"]

    @property
    def invoices(self) -> dict[str, Json]:
        return self.entities["Invoice"]

    @property
    def payments(self) -> dict[str, Json]:
        return self.entities["Payment"]

    @property
    def time_activities(self) -> dict[str, Json]:
        return self.entities["TimeActivity"]

    @property
    def items(self) -> dict[str, Json]:
        return self.entities["Item"]

    @property
    def employees(self) -> dict[str, Json]:
        return self.entities["Employee"]

    @property
    def accounts(self) -> dict[str, Json]:
        return self.entities["Account"]

    def connect(self, *, scope: str = SCOPE) -> Json:
        """Tokens for a test that skips the browser: Intuit's token response plus realmId."""
        with self._lock:
            grant = _Grant(realm_id=self.realm_id, scope=scope)
            return {**self._issue_tokens(grant), "realmId": self.realm_id}

    def revoke_grant(self) -> None:
        """The company disconnects the app: every token is dead, refreshes get invalid_grant."""
        with self._lock:
            holders: list[_Code | _RefreshToken | _AccessToken] = [
                *self._codes.values(), *self._refresh_tokens.values(),
                *self._access_tokens.values()]
            for holder in holders:
                holder.grant.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far expires now (refresh tokens still work)."""
        with self._lock:
            for token in self._access_tokens.values():
                token.expires = min(token.expires, self.now - timedelta(seconds=1))

    def deny_next_authorization(self) -> None:
        """The next authorization request is refused by the user (error=access_denied)."""
        self._deny_next_authorization = True

    def fail_next(self, kind: str, *, times: int = 1, method: str | None = None,
                  path_contains: str | None = None) -> None:
        """Answer the next `times` matching requests with a fault instead of QBO's answer.

        "500" / "503" / "429" answer with that status and Intuit's body; "timeout" raises
        httpx.ReadTimeout before acting; "commit_then_timeout" acts, then raises it.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        self._fault_rules.append(_FaultRule(kind, times, method, path_contains))

    def fail_randomly(self, rate: float, *, seed: int, kinds: Iterable[str] = FAULT_KINDS,
                      path_contains: str | None = "/v3/company/") -> None:
        """Fail each matching request with probability `rate`, the kind drawn from `kinds`.

        Only API requests by default; `rate=0` stops it. Reproducible by `seed`.
        """
        chosen = tuple(kinds)
        if not set(chosen) <= set(FAULT_KINDS):
            raise ValueError(f"unknown fault kinds in {chosen}")
        self._random_faults = (rate, random.Random(seed), chosen, path_contains) if rate else None

    def record_remote_payment(self, invoice_id: str, amount: Decimal | float | str, *,
                              txn_date: date | None = None) -> Json:
        """The bookkeeper records a payment of an invoice in QuickBooks (Keito pulls it by CDC)."""
        invoice = self.invoices[invoice_id]
        body: Json = {"CustomerRef": {"value": invoice["CustomerRef"]["value"]},
                      "TotalAmt": number(money(amount)),
                      "Line": [{"Amount": number(money(amount)),
                                "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}]}
        if txn_date is not None:
            body["TxnDate"] = txn_date.isoformat()
        return self.create_remotely("Payment", body)

    def create_remotely(self, entity: str, body: Json) -> Json:
        """Someone creates a record in QuickBooks itself; ValueError if QBO would refuse it."""
        with self._lock:
            def act() -> Json:
                self._check_schema(entity, "create", body)
                return self._create(entity, body)

            return copy.deepcopy(self._remotely(act))

    def update_remotely(self, entity: str, entity_id: str, **changes: Any) -> Json:
        """Someone edits a record in QuickBooks (a sparse update): its SyncToken moves on."""
        with self._lock:
            current = self.entities[entity][entity_id]
            body = {**changes, "Id": entity_id, "SyncToken": current["SyncToken"]}
            return copy.deepcopy(self._remotely(lambda: self._update(entity, body, sparse=True)))

    def void_remotely(self, invoice_id: str) -> Json:
        """Someone voids an invoice in QuickBooks."""
        with self._lock:
            current = self.invoices[invoice_id]
            body = {"Id": invoice_id, "SyncToken": current["SyncToken"]}
            return copy.deepcopy(self._remotely(lambda: self._void(body)))

    def delete_remotely(self, entity: str, entity_id: str) -> None:
        """Someone deletes a transaction in QuickBooks (not counted in `hard_deletes`)."""
        with self._lock:
            self._remove(entity, self.entities[entity][entity_id])

    @staticmethod
    def _remotely(act: Callable[[], Json]) -> Json:
        try:
            return act()
        except Invalid as invalid:
            raise ValueError(f"QuickBooks refuses: {invalid.detail}") from None

    # --- the handler --------------------------------------------------------------------------

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request as QuickBooks Online would (the MockTransport handler)."""
        with self._lock:
            self._record(request)
            try:
                return self._route(request)
            except Answered as answered:
                return answered.response

    def _record(self, request: httpx.Request) -> None:
        body: Any = None
        form: dict[str, str] | None = None
        content_type = request.headers.get("content-type", "")
        if request.content and "json" in content_type:
            try:
                body = json.loads(request.content)
            except ValueError:
                body = request.content.decode(errors="replace")
        elif request.content and "x-www-form-urlencoded" in content_type:
            secret = {"code", "refresh_token", "code_verifier", "client_secret", "token"}
            form = {key: "<redacted>" if key in secret else value
                    for key, value in parse_qsl(request.content.decode())}
        elif request.content:
            body = request.content.decode(errors="replace")
        query = {key: value for key, value in request.url.params.multi_items()}
        self.requests.append(RecordedRequest(request.method, request.url.path, query, body, form))

    def _route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/connect/oauth2":
            return self._inject_around(request, lambda: self._authorize(request))
        if path == "/oauth2/v1/tokens/bearer":
            return self._inject_around(request, lambda: self._token(request))
        if path == "/oauth2/v1/tokens/revoke":
            return self._inject_around(request, lambda: self._revoke(request))
        match = re.fullmatch(r"/v3/company/([^/]+)/(.+)", path)
        if not match:
            self._violate(request, f"no such QuickBooks endpoint {path}", status=404)
        realm, rest = match.groups()
        self._check_api_protocol(request)
        return self._inject_around(request, lambda: self._api(request, realm, rest))

    def _inject_around(self, request: httpx.Request,
                       act: Callable[[], httpx.Response]) -> httpx.Response:
        """Apply an injected fault, if one is due for this request, around `act`."""
        kind = self._due_fault(request)
        if kind is None:
            return act()
        self.injected.append((kind, request.method, request.url.path))
        if kind == "timeout":
            raise httpx.ReadTimeout("injected timeout before QuickBooks acted", request=request)
        if kind == "commit_then_timeout":
            with contextlib.suppress(Answered):
                act()
            raise httpx.ReadTimeout("injected timeout after QuickBooks acted", request=request)
        if kind == "429":
            return self._throttle_fault()
        message, code, fault_type = {
            "500": ("An application error has occurred while processing your request",
                    "10000", "SystemFault"),
            "503": ("Service Unavailable", "10001", "SERVICE"),
        }[kind]
        return self._fault_response(int(kind), code, message, message, fault_type=fault_type)

    def _due_fault(self, request: httpx.Request) -> str | None:
        for rule in self._fault_rules:
            if rule.matches(request):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._fault_rules.remove(rule)
                return rule.kind
        if self._random_faults:
            rate, rng, kinds, path_contains = self._random_faults
            if (path_contains is None or path_contains in request.url.path) and rng.random() < rate:
                return rng.choice(kinds)
        return None

    # --- answers ------------------------------------------------------------------------------

    def _time(self) -> str:
        return self.now.astimezone(COMPANY_TZ).isoformat(timespec="milliseconds")

    def _json(self, status: int, body: Json) -> httpx.Response:
        return httpx.Response(status, json=body, headers={"intuit_tid": secrets.token_hex(12)})

    def _fault_response(self, status: int, code: str, message: str, detail: str, *,
                        element: str = "", fault_type: str = "ValidationFault") -> httpx.Response:
        error = {"Message": message, "Detail": detail, "code": code, "element": element}
        return self._json(status, {"Fault": {"Error": [error], "type": fault_type},
                                   "time": self._time()})

    def _fault(self, code: str, message: str, detail: str, *, element: str = "",
               status: int = 400, fault_type: str = "ValidationFault") -> NoReturn:
        """Answer with a fault a correct client can meet (not a violation)."""
        raise Answered(self._fault_response(status, code, message, detail, element=element,
                                            fault_type=fault_type))

    def _violate(self, request: httpx.Request, problem: str, *, code: str = "2020",
                 element: str = "", status: int = 400, message: str | None = None,
                 fault_type: str = "ValidationFault") -> NoReturn:
        """Record a request a correct client never sends, and answer with Intuit's fault."""
        self.violations.append(f"{request.method} {request.url.path}: {problem}")
        message = message or {
            "2010": "Request has invalid or unsupported property",
            "2020": "Required param missing, need to supply the required value for the API",
            "2500": "Invalid Reference Id",
            "4000": "Error parsing query",
        }.get(code, "A business validation error has occurred while processing your request")
        raise Answered(self._fault_response(status, code, message, problem, element=element,
                                            fault_type=fault_type))

    def _throttle_fault(self) -> httpx.Response:
        return self._fault_response(
            429, "003001", "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.", fault_type="SERVICE")

    def _entity_response(self, entity: str, body: Json) -> httpx.Response:
        return self._json(200, {entity: copy.deepcopy(body), "time": self._time()})

    # --- OAuth 2.0 ----------------------------------------------------------------------------

    def _authorize(self, request: httpx.Request) -> httpx.Response:
        """GET /connect/oauth2: the user signs in, picks this company and consents at once."""
        params = dict(request.url.params)
        redirect_uri = params.get("redirect_uri", "")
        problems = []
        if params.get("client_id") != self.client_id:
            problems.append(f"client_id {params.get('client_id')!r} is not the app's")
        if params.get("response_type") != "code":
            problems.append("response_type must be 'code'")
        if SCOPE not in params.get("scope", "").split():
            problems.append(f"scope must include {SCOPE}")
        if urlsplit(redirect_uri).scheme not in ("http", "https"):
            problems.append(f"redirect_uri {redirect_uri!r} is not an http(s) URL")
        if not params.get("state"):
            problems.append("state is required")
        method = params.get("code_challenge_method", "plain")
        if "code_challenge" in params and method not in ("S256", "plain"):
            problems.append(f"code_challenge_method {method!r} is not S256 or plain")
        if problems:
            self.violations.append(f"GET /connect/oauth2: {'; '.join(problems)}")
            return httpx.Response(400, text="; ".join(problems))
        if self._deny_next_authorization:
            self._deny_next_authorization = False
            return self._redirect(redirect_uri, error="access_denied", state=params["state"])
        code = "AB11" + secrets.token_hex(20)
        self._codes[code] = _Code(
            grant=_Grant(realm_id=self.realm_id, scope=params["scope"]),
            redirect_uri=redirect_uri, issued=self.now,
            challenge=params.get("code_challenge"), challenge_method=method)
        return self._redirect(redirect_uri, code=code, state=params["state"],
                              realmId=self.realm_id)

    @staticmethod
    def _redirect(redirect_uri: str, **params: str) -> httpx.Response:
        parts = urlsplit(redirect_uri)
        query = "&".join(filter(None, [parts.query, urlencode(params)]))
        return httpx.Response(302, headers={"Location": urlunsplit(parts._replace(query=query))})

    def _check_client(self, request: httpx.Request, content_type: str) -> None:
        """Intuit's token and revocation calls: HTTP Basic client credentials, JSON back."""
        problems = []
        if "application/json" not in request.headers.get("accept", ""):
            problems.append("Accept: application/json is required")
        if content_type not in request.headers.get("content-type", ""):
            problems.append(f"Content-Type: {content_type} is required")
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Basic "):
            problems.append("HTTP Basic client authentication is required")
        if problems:
            self.violations.append(f"{request.method} {request.url.path}: {'; '.join(problems)}")
            raise Answered(httpx.Response(400, json={"error": "invalid_request"}))
        try:
            client_id, _, secret = base64.b64decode(authorization[6:]).decode().partition(":")
        except ValueError:
            client_id = secret = ""
        if (client_id, secret) != (self.client_id, self.client_secret):
            raise Answered(httpx.Response(401, json={"error": "invalid_client"}))

    def _token(self, request: httpx.Request) -> httpx.Response:
        """POST /oauth2/v1/tokens/bearer: exchange a code, or refresh (rotating the token)."""
        if request.method != "POST":
            self._violate(request, "the token endpoint takes POST", status=405)
        self._check_client(request, "application/x-www-form-urlencoded")
        form = dict(parse_qsl(request.content.decode()))
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            return self._json(200, self._exchange_code(form))
        if grant_type == "refresh_token":
            return self._json(200, self._refresh(form.get("refresh_token", "")))
        self.violations.append(f"POST {request.url.path}: grant_type {grant_type!r}")
        return httpx.Response(400, json={"error": "unsupported_grant_type"})

    def _invalid_grant(self) -> NoReturn:
        raise Answered(httpx.Response(400, json={"error": "invalid_grant"}))

    def _exchange_code(self, form: dict[str, str]) -> Json:
        issued = self._codes.get(form.get("code", ""))
        if (issued is None or issued.used or issued.grant.revoked
                or self.now - issued.issued > AUTHORIZATION_CODE_LIFETIME
                or form.get("redirect_uri") != issued.redirect_uri):
            self._invalid_grant()
        if issued.challenge is not None:
            verifier = form.get("code_verifier", "")
            if issued.challenge_method == "S256":
                digest = hashlib.sha256(verifier.encode()).digest()
                verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
            if not secrets.compare_digest(verifier, issued.challenge):
                self._invalid_grant()
        issued.used = True
        return self._issue_tokens(issued.grant)

    def _refresh(self, token: str) -> Json:
        """Rotate on every refresh; a rotated-out token still works for 24 h (Intuit's grace)."""
        held = self._refresh_tokens.get(token)
        now = self.now
        if (held is None or held.grant.revoked or now >= held.issued + REFRESH_TOKEN_LIFETIME
                or (held.superseded_at is not None
                    and now >= held.superseded_at + REFRESH_TOKEN_GRACE)):
            self._invalid_grant()
        grant = held.grant
        if held.superseded_at is not None:
            latest = self._refresh_tokens[grant.latest_refresh]
            return self._token_body(grant, grant.latest_refresh, latest)
        held.superseded_at = now
        return self._issue_tokens(grant)

    def _issue_tokens(self, grant: _Grant) -> Json:
        refresh = "AB11" + secrets.token_urlsafe(36)
        held = _RefreshToken(grant=grant, issued=self.now)
        self._refresh_tokens[refresh] = held
        grant.latest_refresh = refresh
        return self._token_body(grant, refresh, held)

    def _token_body(self, grant: _Grant, refresh: str, held: _RefreshToken) -> Json:
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        self._access_tokens[access] = _AccessToken(grant, self.now + ACCESS_TOKEN_LIFETIME)
        left = held.issued + REFRESH_TOKEN_LIFETIME - self.now
        return {"token_type": "bearer", "access_token": access, "refresh_token": refresh,
                "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                "x_refresh_token_expires_in": int(left.total_seconds())}

    def _revoke(self, request: httpx.Request) -> httpx.Response:
        """POST /oauth2/v1/tokens/revoke {"token": access or refresh}: the whole grant ends."""
        self._check_client(request, "application/json")
        try:
            token = json.loads(request.content).get("token", "")
        except (ValueError, AttributeError):
            token = ""
        if not token:
            self._violate(request, 'the body must be {"token": ...}')
        held = self._refresh_tokens.get(token) or self._access_tokens.get(token)
        if held is not None:
            held.grant.revoked = True
        return httpx.Response(200)

    def _bearer_grant(self, request: httpx.Request, realm: str) -> _Grant:
        """The grant behind the request's bearer token; 401 (Intuit's body) when it is dead."""
        authorization = request.headers.get("authorization", "")
        if not authorization.startswith("Bearer "):
            self._violate(request, "Authorization: Bearer <access token> is required",
                          code="3200", status=401, fault_type="AUTHENTICATION",
                          message="message=AuthenticationFailed; errorCode=003200; statusCode=401")
        held = self._access_tokens.get(authorization[7:].strip())
        if held is None or held.grant.revoked or self.now >= held.expires:
            self._fault("3200", "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                        "Token expired or revoked", status=401, fault_type="AUTHENTICATION")
        if held.grant.realm_id != realm:
            self._violate(request, f"the token is not authorized for company {realm}",
                          code="003100", status=403, fault_type="AUTHORIZATION",
                          message="message=ApplicationAuthorizationFailed; errorCode=003100; "
                                  "statusCode=403")
        return held.grant

    # --- the accounting API -------------------------------------------------------------------

    @staticmethod
    def _is_write(request: httpx.Request, rest: str) -> bool:
        return request.method == "POST" and rest != "query"

    def _check_api_protocol(self, request: httpx.Request) -> None:
        """minorversion >= 75, Accept JSON, and on writes requestid and a JSON body."""
        rest = request.url.path.split("/", 4)[-1]
        version = request.url.params.get("minorversion")
        if version is None or not version.isdigit() or int(version) < MIN_MINOR_VERSION:
            self._violate(request, f"minorversion {version!r}: {MIN_MINOR_VERSION} or later is "
                          "required", element="minorversion",
                          message=f"Unsupported minorversion; use {MIN_MINOR_VERSION} or later")
        if "application/json" not in request.headers.get("accept", ""):
            self._violate(request, "Accept: application/json is required (QBO answers XML)")
        if self._is_write(request, rest):
            if not request.url.params.get("requestid"):
                self._violate(request, "a write must carry a requestid query parameter",
                              element="requestid")
            if "application/json" not in request.headers.get("content-type", ""):
                self._violate(request, "a write must send Content-Type: application/json")

    def _throttle(self, realm: str) -> None:
        """500 requests a minute and 10 a second per company, by the clock; 429 beyond."""
        now = self.now
        recent = self._recent[realm]
        while recent and now - recent[0] >= timedelta(minutes=1):
            recent.popleft()
        last_second = sum(1 for moment in recent if now - moment < timedelta(seconds=1))
        if ((self.requests_per_minute is not None and len(recent) >= self.requests_per_minute)
                or (self.requests_per_second is not None
                    and last_second >= self.requests_per_second)):
            self.limit_hits += 1
            raise Answered(self._throttle_fault())
        recent.append(now)

    def _api(self, request: httpx.Request, realm: str, rest: str) -> httpx.Response:
        self._bearer_grant(request, realm)
        self._throttle(realm)
        if not self._is_write(request, rest):
            return self._read(request, rest)
        key = (realm, request.url.params["requestid"])
        if key in self._replies:
            status, body = self._replies[key]
            return self._json(status, copy.deepcopy(body))
        response = self._write(request, rest)
        if response.status_code == 200:
            self._replies[key] = (200, response.json())
        return response

    def _read(self, request: httpx.Request, rest: str) -> httpx.Response:
        parts = rest.split("/")
        if request.method == "POST" and rest == "query":
            if "application/text" not in request.headers.get("content-type", ""):
                self._violate(request, "a POSTed query must send Content-Type: application/text")
            return self._query(request, request.content.decode())
        if request.method != "GET":
            self._violate(request, f"{request.method} is not served here", status=405)
        if rest == "query":
            return self._query(request, request.url.params.get("query", ""))
        if rest == "cdc":
            return self._cdc(request)
        if rest == "preferences":
            return self._entity_response("Preferences", self.entities["Preferences"]["1"])
        if parts[0] == "companyinfo" and len(parts) == 2:
            if parts[1] != self.realm_id:
                self._violate(request, f"companyinfo/{parts[1]} is not this company's realm")
            return self._entity_response("CompanyInfo", self.entities["CompanyInfo"]["1"])
        entity = ENTITY_NAMES.get(parts[0])
        if entity is None or len(parts) != 2:
            self._violate(request, f"no such QuickBooks endpoint {rest}", status=404)
        found = self.entities[entity].get(parts[1])
        if found is None:
            self._fault("610", "Object Not Found",
                        f"Object Not Found : Something you're trying to use has been made "
                        f"inactive or deleted. {entity} Id={parts[1]}", status=400)
        return self._entity_response(entity, found)

    def _cdc(self, request: httpx.Request) -> httpx.Response:
        """GET /cdc?entities=Invoice,Payment&changedSince=<ISO datetime>: changes, oldest first.

        changedSince must lie within the last 30 days: older is a fault (not a violation; the
        client then reads everything by query). changedSince is inclusive, at MetaData's
        one-second precision. At most 1,000 objects come back in all, the oldest changes
        first: a client notices truncation when an answer holds 1,000 objects, and asks again
        from the newest LastUpdatedTime it received (skipping what it already holds, by Id and
        SyncToken). A deleted record comes as {"domain", "status": "Deleted", "Id", "MetaData":
        {"LastUpdatedTime"}}. Each requested entity has one element in the QueryResponse list;
        the entity's key is left out when nothing of it changed, as in a query.
        """
        params = request.url.params
        names = [name.strip() for name in params.get("entities", "").split(",") if name.strip()]
        entities = [ENTITY_NAMES.get(name.lower(), name) for name in names]
        unknown = [name for name in entities if name not in CDC_ENTITIES]
        if not names or unknown:
            self._violate(request, f"entities={params.get('entities')!r}: a comma-separated list "
                          f"of {', '.join(CDC_ENTITIES)}", element="entities")
        try:
            since = parse_time(params["changedSince"])
        except (KeyError, ValueError):
            self._violate(request, f"changedSince={params.get('changedSince')!r} is not an ISO "
                          "date or datetime", element="changedSince")
        if since < self.now - CDC_LOOKBACK:
            self._fault("10000", "Invalid changedSince",
                        "changedSince cannot be more than 30 days in the past",
                        element="changedSince")
        changes: list[tuple[datetime, int, str, Json]] = []
        for entity in entities:
            for record in self.entities[entity].values():
                changed = parse_time(record["MetaData"]["LastUpdatedTime"])
                if changed >= since:
                    changes.append((changed, self._order[(entity, record["Id"])], entity,
                                    copy.deepcopy(record)))
            for entity_id, when in self._deleted[entity].items():
                changed = parse_time(stamp(when))
                if changed >= since and entity_id not in self.entities[entity]:
                    gone = {"domain": "QBO", "status": "Deleted", "Id": entity_id,
                            "MetaData": {"LastUpdatedTime": stamp(when)}}
                    changes.append((changed, self._order[(entity, entity_id)], entity, gone))
        changes.sort(key=lambda change: change[:2])
        by_entity: dict[str, list[Json]] = defaultdict(list)
        for _, _, entity, record in changes[:CDC_MAX_OBJECTS]:
            by_entity[entity].append(record)
        answers = []
        for entity in dict.fromkeys(entities):
            found = by_entity.get(entity, [])
            answer: Json = {entity: found} if found else {}
            answers.append({**answer, "startPosition": 1, "maxResults": len(found),
                            "totalCount": len(found)})
        return self._json(200, {"CDCResponse": [{"QueryResponse": answers}],
                                "time": self._time()})

    # --- query --------------------------------------------------------------------------------

    def _query(self, request: httpx.Request, text: str) -> httpx.Response:
        """`select * | count(*) from E [where ...] [orderby F [asc|desc]] [startposition N]
        [maxresults M]`; conditions joined by `and`, with =, <, >, <=, >=, !=, like, in (...).

        Name lists answer only active records unless the query names Active, as QBO does; string
        comparisons ignore case. No rows answer {"QueryResponse": {}}, as QBO does.
        """
        try:
            query = self._parse_query(text)
        except ValueError as error:
            self._violate(request, f"query {text!r}: {error}", code="4000")
        if query.max_results > QUERY_MAX_RESULTS:
            self._violate(request, f"maxresults {query.max_results} is over {QUERY_MAX_RESULTS}",
                          code="4001", message="Invalid query")
        rows = list(self.entities[query.entity].values())
        known = self._known_fields(query.entity, rows)
        for name, _, _ in query.conditions + ([(query.order[0], "", None)] if query.order else []):
            if name.split(".")[0] not in known:
                self._violate(request, f"property {name} is not queryable on {query.entity}",
                              code="4001", message="Invalid query")
        if query.entity in NAME_LISTS and not any(c[0] == "Active" for c in query.conditions):
            rows = [row for row in rows if row.get("Active", True)]
        rows = [row for row in rows if all(self._holds(row, *c) for c in query.conditions)]
        if query.count:
            return self._json(200, {"QueryResponse": {"totalCount": len(rows)},
                                    "time": self._time()})
        if query.order:
            name, descending = query.order
            rows.sort(key=lambda row: self._sort_key(self._field(row, name)), reverse=descending)
        else:
            rows.sort(key=lambda row: self._sort_key(row.get("Id")))
        page = rows[query.start - 1: query.start - 1 + query.max_results]
        body: Json = {}
        if page:
            body = {query.entity: copy.deepcopy(page), "startPosition": query.start,
                    "maxResults": len(page)}
        return self._json(200, {"QueryResponse": body, "time": self._time()})

    @staticmethod
    def _parse_query(text: str) -> _Query:
        tokens: list[tuple[str, str]] = []
        position = 0
        text = text.strip()
        while position < len(text):
            match = _QUERY_TOKEN.match(text, position)
            if not match or match.end() == position:
                raise ValueError(f"unexpected text at {text[position:position + 20]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            position = match.end()
        stream = deque(tokens)

        def word(*expected: str) -> str:
            kind, value = stream.popleft() if stream else ("end", "")
            if expected and value.lower() not in expected:
                raise ValueError(f"expected {' or '.join(expected)}, found {value or 'the end'!r}")
            return value

        def peek() -> str:
            return stream[0][1].lower() if stream else ""

        def literal() -> Any:
            kind, value = stream.popleft() if stream else ("end", "")
            if kind == "string":
                return re.sub(r"\\(.)", r"\1", value[1:-1])
            if kind == "number":
                return Decimal(value)
            if value.lower() in ("true", "false"):
                return value.lower() == "true"
            raise ValueError(f"expected a value, found {value or 'the end'!r}")

        word("select")
        count = False
        if peek() == "*":
            word("*")
        else:
            word("count")
            word("(")
            word("*")
            word(")")
            count = True
        word("from")
        entity = ENTITY_NAMES.get(word().lower())
        if entity is None:
            raise ValueError("unknown entity")
        conditions: list[tuple[str, str, Any]] = []
        if peek() == "where":
            word("where")
            while True:
                name = word()
                if peek() == "in":
                    word("in")
                    word("(")
                    values = [literal()]
                    while peek() == ",":
                        word(",")
                        values.append(literal())
                    word(")")
                    conditions.append((name, "in", values))
                else:
                    operator = word("=", "<", ">", "<=", ">=", "!=", "<>", "like").lower()
                    conditions.append((name, operator, literal()))
                if peek() != "and":
                    break
                word("and")
        order = None
        if peek() in ("orderby", "order"):
            if word().lower() == "order":
                word("by")
            name = word()
            descending = False
            if peek() in ("asc", "desc"):
                descending = word().lower() == "desc"
            order = (name, descending)
        start, max_results = 1, QUERY_DEFAULT_RESULTS
        while peek() in ("startposition", "maxresults"):
            clause = word().lower()
            value = literal()
            if not isinstance(value, Decimal) or value < 1:
                raise ValueError(f"{clause} takes a positive number")
            if clause == "startposition":
                start = int(value)
            else:
                max_results = int(value)
        if stream:
            raise ValueError(f"unexpected {stream[0][1]!r}")
        return _Query(entity, count, conditions, order, start, max_results)

    def _known_fields(self, entity: str, rows: list[Json]) -> set[str]:
        names = {"Id", "MetaData", "Active"}
        for row in rows:
            names.update(row)
        schema = create_validators().get((entity, "create"))
        if schema is not None:
            names.update(schema.schema.get("properties", {}))
        return names - {"Line"}

    @staticmethod
    def _field(row: Json, name: str) -> Any:
        value: Any = row
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict):
            value = value.get("value", value.get("Address"))
        return value

    @staticmethod
    def _sort_key(value: Any) -> tuple[int, Any]:
        if isinstance(value, str) and value.isdigit():
            return (0, int(value))
        if isinstance(value, bool | int | float | Decimal):
            return (0, Decimal(str(value)))
        return (1, str(value or "").casefold())

    def _holds(self, row: Json, name: str, operator: str, wanted: Any) -> bool:
        value = self._field(row, name)
        if operator == "in":
            return any(self._compare(value, "=", option) for option in wanted)
        return self._compare(value, operator, wanted)

    @staticmethod
    def _compare(value: Any, operator: str, wanted: Any) -> bool:
        if value is None:
            return False
        left: Any
        right: Any
        if isinstance(wanted, bool) or isinstance(value, bool):
            left, right = bool(value), wanted
        elif isinstance(wanted, Decimal):
            try:
                left, right = Decimal(str(value)), wanted
            except InvalidOperation:
                return False
        elif operator == "like":
            pattern = "".join(".*" if ch == "%" else re.escape(ch) for ch in str(wanted))
            return re.fullmatch(pattern, str(value), re.IGNORECASE | re.DOTALL) is not None
        elif re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", str(wanted)):
            left, right = parse_time(str(value)), parse_time(str(wanted))
        else:
            left, right = str(value).casefold(), str(wanted).casefold()
        return {"=": left == right, "!=": left != right, "<>": left != right,
                "<": left < right, ">": left > right, "<=": left <= right,
                ">=": left >= right}[operator]

    # --- storage ------------------------------------------------------------------------------

    def _new_id(self, entity: str) -> str:
        while str(self._next_id[entity]) in self.entities[entity]:
            self._next_id[entity] += 1
        self._next_id[entity] += 1
        return str(self._next_id[entity] - 1)

    def _store(self, entity: str, body: Json, *, entity_id: str | None = None) -> Json:
        """Save a new record: Id, SyncToken "0", MetaData by the clock."""
        entity_id = entity_id or self._new_id(entity)
        moment = stamp(self.now)
        record = {"domain": "QBO", "sparse": False, **body, "Id": entity_id, "SyncToken": "0",
                  "MetaData": {"CreateTime": moment, "LastUpdatedTime": moment}}
        self.entities[entity][entity_id] = record
        self._note_change(entity, entity_id)
        return record

    def _touch(self, entity: str, record: Json) -> None:
        """A change to a stored record: SyncToken + 1, LastUpdatedTime now."""
        record["SyncToken"] = str(int(record["SyncToken"]) + 1)
        record["MetaData"] = {**record["MetaData"], "LastUpdatedTime": stamp(self.now)}
        self._note_change(entity, record["Id"])

    def _note_change(self, entity: str, entity_id: str) -> None:
        """Order changes made within one second (MetaData's precision) for CDC."""
        self._order[(entity, entity_id)] = next(self._sequence)

    def _seed_company(self) -> None:
        """The company Keito connects to: accounts, items, employees, tax codes, currencies."""
        self._store("CompanyInfo", {
            "CompanyName": COMPANY_NAME, "LegalName": COMPANY_NAME + " LLC", "Country": "US",
            "CompanyAddr": {"Line1": "2600 Marine Way", "City": "Mountain View",
                            "CountrySubDivisionCode": "CA", "PostalCode": "94043"},
            "Email": {"Address": "books@keito-test.example"}, "FiscalYearStartMonth": "January",
            "SupportedLanguages": "en", "CompanyStartDate": "2024-01-01",
        })
        self._store("Preferences", {
            "CurrencyPrefs": {"MultiCurrencyEnabled": True,
                              "HomeCurrency": ref(HOME_CURRENCY)},
            "SalesFormsPrefs": {"CustomTxnNumbers": True, "AllowDiscount": True,
                                "AllowDeposit": False, "AllowServiceDate": True,
                                "DefaultTerms": ref("3")},
            "TaxPrefs": {"UsingSalesTax": True, "PartnerTaxEnabled": True},
            "TimeTrackingPrefs": {"UseServices": True, "BillCustomers": True,
                                  "ShowBillRateToAll": False, "WorkWeekStartDate": "Monday",
                                  "MarkTimeEntriesBillable": True},
        })
        for code, name in CURRENCIES.items():
            if code != HOME_CURRENCY:
                self._store("CompanyCurrency", {"Code": code, "Name": name, "Active": True})
        for name, kind, sub_type, classification in (
            ("Services", "Income", "ServiceFeeIncome", "Revenue"),
            ("Checking", "Bank", "Checking", "Asset"),
            ("Undeposited Funds", "Other Current Asset", "UndepositedFunds", "Asset"),
            ("Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable", "Asset"),
            ("Discounts given", "Income", "DiscountsRefundsGiven", "Revenue"),
        ):
            self._store("Account", {
                "Name": name, "FullyQualifiedName": name, "AccountType": kind,
                "AccountSubType": sub_type, "Classification": classification, "Active": True,
                "SubAccount": False, "CurrentBalance": 0, "CurrencyRef": ref("USD")})
        for name, price in (("Hours", 0), ("Consulting", 150)):
            self._store("Item", {
                "Name": name, "FullyQualifiedName": name, "Type": "Service", "Active": True,
                "Taxable": True, "UnitPrice": price, "IncomeAccountRef": ref("1", "Services"),
                "TrackQtyOnHand": False})
        for given, family in (("Emily", "Platt"), ("Sam", "Carter")):
            self._store("Employee", {
                "GivenName": given, "FamilyName": family, "DisplayName": f"{given} {family}",
                "PrintOnCheckName": f"{given} {family}", "Active": True, "BillableTime": True})
        self._store("TaxRate", {"Name": "California", "RateValue": 8.25, "Active": True,
                                "AgencyRef": ref("1"), "SpecialTaxType": "NONE",
                                "DisplayType": "ReadOnly"})
        for code, name, taxable in (("TAX", "TAX", True), ("NON", "NON", False)):
            self._store("TaxCode", {"Name": name, "Description": name, "Taxable": taxable,
                                    "Active": True, "TaxGroup": False}, entity_id=code)
        self._store("TaxCode", {
            "Name": "California", "Description": "California sales tax", "Taxable": True,
            "TaxGroup": True, "Active": True,
            "SalesTaxRateList": {"TaxRateDetail": [{"TaxRateRef": ref("1", "California"),
                                                     "TaxTypeApplicable": "TaxOnAmount",
                                                     "TaxOrder": 0}]},
            "PurchaseTaxRateList": {"TaxRateDetail": []}}, entity_id="2")

    # --- writes: dispatch ---------------------------------------------------------------------

    def _write(self, request: httpx.Request, rest: str) -> httpx.Response:
        """POST /{entity}: create, update (Id + SyncToken), ?operation=void or ?operation=delete."""
        entity = ENTITY_NAMES.get(rest)
        if entity is None:
            self._violate(request, f"no such QuickBooks endpoint {rest}", status=404)
        if entity not in WRITABLE:
            self._violate(request, f"Keito does not write {entity} (the fake does not model it)")
        try:
            body = json.loads(request.content)
        except ValueError:
            self._violate(request, "the body is not JSON", code="2010")
        if not isinstance(body, dict):
            self._violate(request, "the body must be a JSON object", code="2010")
        operation = request.url.params.get("operation", "update" if "Id" in body else "create")
        allow_duplicates = "allowduplicatedocnum" in request.url.params.get("include", "")
        try:
            if operation in ("void", "delete"):
                self._check_schema(entity, "sparse", body)
                if operation == "delete":
                    self.hard_deletes += 1
                    return self._json(200, {entity: self._delete(entity, body),
                                            "time": self._time()})
                if entity != "Invoice":
                    raise Invalid(f"the fake voids invoices only, not {entity}")
                return self._entity_response(entity, self._void(body))
            include = request.url.params.get("include", "")
            if entity == "Payment" and operation == "update" and "void" in include.split(","):
                self._check_schema(entity, "sparse", body)
                return self._entity_response(entity, self._void_payment(body))
            if operation == "create" and "Id" not in body:
                self._check_schema(entity, "create", body)
                record = self._create(entity, body, allow_duplicates=allow_duplicates)
            elif operation in ("update", "create"):
                kind = "sparse" if body.get("sparse") is True else "update"
                self._check_schema(entity, kind, body)
                record = self._update(entity, body, sparse=kind == "sparse",
                                      allow_duplicates=allow_duplicates)
            else:
                raise Invalid(f"operation={operation} is not one QBO serves on {entity}")
        except Invalid as invalid:
            if invalid.violation:
                self._violate(request, invalid.detail, code=invalid.code,
                              element=invalid.element, message=invalid.message)
            self._fault(invalid.code, invalid.message or invalid.detail, invalid.detail,
                        element=invalid.element)
        return self._entity_response(entity, record)

    @staticmethod
    def _check_schema(entity: str, kind: str, body: Json) -> None:
        problems = schema_problems(entity, kind, body)
        if problems:
            code, element, _ = problems[0]
            detail = "; ".join(f"{where or entity}: {message}" for _, where, message in problems)
            raise Invalid(f"{entity} {kind}: {detail}", code=code, element=element)

    def _create(self, entity: str, body: Json, *, allow_duplicates: bool = False) -> Json:
        given = {key: value for key, value in body.items() if key not in READ_ONLY}
        fields = self._build(entity, given, None, allow_duplicates=allow_duplicates)
        record = self._store(entity, fields)
        self._after_save(entity, None, record)
        return record

    def _update(self, entity: str, body: Json, *, sparse: bool,
                allow_duplicates: bool = False) -> Json:
        """A full update replaces every writable field; a sparse one only those it sends."""
        previous = self._current(entity, body)
        given = {key: value for key, value in body.items() if key not in READ_ONLY}
        if sparse:
            kept = {key: value for key, value in previous.items() if key not in READ_ONLY}
            given = {**kept, **given}
        fields = self._build(entity, given, previous, allow_duplicates=allow_duplicates)
        before = copy.deepcopy(previous)
        record = {"domain": "QBO", "sparse": False, **fields, "Id": previous["Id"],
                  "SyncToken": previous["SyncToken"], "MetaData": previous["MetaData"]}
        self._touch(entity, record)
        self.entities[entity][record["Id"]] = record
        self._after_save(entity, before, record)
        return record

    def _current(self, entity: str, body: Json) -> Json:
        """The stored record a body names by Id, if its SyncToken is the latest (else 5010)."""
        entity_id = str(body.get("Id", ""))
        if "SyncToken" not in body:
            raise Invalid(f"{entity} {entity_id}: SyncToken is required", element="SyncToken")
        record = self.entities[entity].get(entity_id)
        if record is None:
            raise Invalid(f"Object Not Found : {entity} Id={entity_id} does not exist or was "
                          "deleted", code="610", message="Object Not Found",
                          violation=entity_id not in self._deleted[entity])
        if str(body["SyncToken"]) != record["SyncToken"]:
            raise Invalid(
                f"Stale Object Error : You and someone else were working on {entity} "
                f"Id={entity_id} at the same time; SyncToken {body['SyncToken']} is not the "
                f"latest ({record['SyncToken']})",
                code="5010", message="Stale Object Error", violation=False)
        return record

    def _build(self, entity: str, body: Json, previous: Json | None, *,
               allow_duplicates: bool) -> Json:
        """The stored fields of a create or update, after QBO's business rules."""
        if entity == "Invoice":
            return self._build_invoice(body, previous, allow_duplicates=allow_duplicates)
        builder = {"Customer": self._build_customer, "Employee": self._build_employee,
                   "Item": self._build_item, "Payment": self._build_payment,
                   "TimeActivity": self._build_time_activity}[entity]
        return builder(body, previous)

    def _after_save(self, entity: str, before: Json | None, after: Json | None) -> None:
        """Keep invoices' balances and links, and customers' balances, true to the payments."""
        if entity == "Payment":
            touched = {line_id for record in (before, after) if record
                       for line_id in self._linked_invoices(record)}
            self._settle_invoices(touched)
        if entity in ("Payment", "Invoice", "Customer"):
            self._refresh_customer_balances()

    # --- writes: name lists -------------------------------------------------------------------

    def _referenced(self, entity: str, reference: Any, element: str) -> Json:
        """The record a `{"value": Id}` reference names; a reference to nothing is a violation."""
        entity_id = str(reference.get("value", "")) if isinstance(reference, dict) else ""
        record = self.entities[entity].get(entity_id)
        if record is None:
            raise Invalid(f"Invalid Reference Id : {element} {entity} Id={entity_id!r} does not "
                          "exist", code="2500", element=element,
                          violation=entity_id not in self._deleted[entity])
        return record

    def _unique_name(self, name: str, entity: str, previous: Json | None) -> None:
        """Customers and employees share one list of names; items have their own."""
        lists = ("Customer", "Employee") if entity in ("Customer", "Employee") else (entity,)
        field_name = "Name" if entity == "Item" else "DisplayName"
        for other_entity in lists:
            for record in self.entities[other_entity].values():
                same = previous is not None and record is previous
                if not same and str(record.get(field_name, "")).casefold() == name.casefold():
                    raise Invalid(f"The name supplied already exists. : Id={record['Id']}",
                                  code="6240", message="Duplicate Name Exists Error",
                                  element=field_name, violation=False)

    def _build_customer(self, body: Json, previous: Json | None) -> Json:
        name = body["DisplayName"].strip()
        if ":" in name:
            raise Invalid("DisplayName cannot contain a colon", element="DisplayName")
        self._unique_name(name, "Customer", previous)
        parent = self._referenced("Customer", body["ParentRef"], "ParentRef") if (
            "ParentRef" in body) else None
        if body.get("Job") and parent is None:
            raise Invalid("a sub-customer (Job true) needs a ParentRef", element="ParentRef")
        default = parent["CurrencyRef"]["value"] if parent else HOME_CURRENCY
        currency = self._currency(body, default)
        if parent is not None and currency != parent["CurrencyRef"]["value"]:
            raise Invalid("a sub-customer takes its parent's currency", element="CurrencyRef")
        if previous is not None and currency != previous["CurrencyRef"]["value"]:
            raise Invalid("a customer's currency cannot change", element="CurrencyRef")
        record = {
            "Taxable": True, "BillWithParent": False, "PreferredDeliveryMethod": "Print",
            "PrintOnCheckName": name, "Active": True, "IsProject": False, **body,
            "DisplayName": name, "Job": parent is not None, "FullyQualifiedName": name,
            "CurrencyRef": ref(currency, CURRENCIES[currency]), "Balance": 0,
            "BalanceWithJobs": 0,
        }
        if parent is not None:
            record["ParentRef"] = ref(parent["Id"], parent["DisplayName"])
            record["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{name}"
            record["Level"] = parent.get("Level", 0) + 1
        return record

    @staticmethod
    def _currency(body: Json, default: str) -> str:
        currency = body.get("CurrencyRef", {}).get("value", default)
        if currency not in CURRENCIES:
            raise Invalid(f"currency {currency} is not enabled in this company (it has "
                          f"{', '.join(CURRENCIES)})", element="CurrencyRef")
        return currency

    def _build_employee(self, body: Json, previous: Json | None) -> Json:
        name = body["DisplayName"].strip()
        self._unique_name(name, "Employee", previous)
        return {"Active": True, "BillableTime": False, "PrintOnCheckName": name, **body,
                "DisplayName": name}

    def _build_item(self, body: Json, previous: Json | None) -> Json:
        name = body["Name"].strip()
        self._unique_name(name, "Item", previous)
        kind = body.get("Type", "Service")
        if kind not in ("Service", "NonInventory"):
            raise Invalid(f"the fake models Service and NonInventory items, not {kind}",
                          element="Type")
        if "IncomeAccountRef" not in body:
            raise Invalid(f"a {kind} item needs an IncomeAccountRef", element="IncomeAccountRef")
        account = self._referenced("Account", body["IncomeAccountRef"], "IncomeAccountRef")
        return {"Active": True, "Taxable": False, "UnitPrice": 0, "TrackQtyOnHand": False,
                **body, "Name": name, "FullyQualifiedName": name, "Type": kind,
                "IncomeAccountRef": ref(account["Id"], account["Name"])}

    def _build_time_activity(self, body: Json, previous: Json | None) -> Json:
        if body["NameOf"] != "Employee":
            raise Invalid(f"the fake models employees' time, not NameOf {body['NameOf']}",
                          element="NameOf")
        record = {"BillableStatus": "NotBillable", "Taxable": False,
                  "TxnDate": self._today().isoformat(), **body}
        for entity, element in (("Employee", "EmployeeRef"), ("Customer", "CustomerRef"),
                                ("Item", "ItemRef")):
            if element in body:
                found = self._referenced(entity, body[element], element)
                record[element] = ref(found["Id"], found.get("DisplayName", found.get("Name")))
        self._valid_date(record, "TxnDate")
        return record

    def _today(self) -> date:
        return self.now.astimezone(COMPANY_TZ).date()

    @staticmethod
    def _valid_date(record: Json, element: str) -> date:
        try:
            return date.fromisoformat(str(record[element])[:10])
        except ValueError:
            raise Invalid(f"{element} {record[element]!r} is not a date",
                          element=element) from None

    # --- writes: invoices and payments --------------------------------------------------------

    def _build_invoice(self, body: Json, previous: Json | None, *,
                       allow_duplicates: bool) -> Json:
        """Lines checked and numbered, QBO's sub-total line added, totals and balance computed.

        Tax: the client's TxnTaxDetail.TotalTax is the invoice's tax; without it, a
        TxnTaxCodeRef's rate applies to the lines coded TAX (after a discount only with
        ApplyTaxAfterDiscount); without either, no tax. Lines are coded TAX or NON (a US company).
        A missing ItemRef is QBO's default item "1"; a missing DueDate is TxnDate + 30 days.
        """
        customer = self._referenced("Customer", body["CustomerRef"], "CustomerRef")
        currency = self._currency(body, customer["CurrencyRef"]["value"])
        if currency != customer["CurrencyRef"]["value"]:
            raise Invalid(f"Business Validation Error: the invoice's currency {currency} is not "
                          f"the customer's ({customer['CurrencyRef']['value']})",
                          code="6000", element="CurrencyRef")
        doc_number = body.get("DocNumber")
        if doc_number is not None:
            self._check_doc_number(str(doc_number), previous, allow_duplicates)
        lines, subtotal, taxable, discount = self._invoice_lines(body["Line"])
        tax = self._invoice_tax(body, subtotal, taxable, discount)
        total = subtotal - discount + tax
        if total < 0:
            raise Invalid("the invoice's total is negative (a discount larger than its lines)",
                          element="Line")
        applied = self._applied_to(previous["Id"]) if previous else Decimal(0)
        if total < applied:
            raise Invalid(f"Business Validation Error: the total {total} is less than the "
                          f"{applied} already paid", code="6000", element="Line",
                          violation=False)
        record = {"PrintStatus": "NotSet", "EmailStatus": "NotSet",
                  "ApplyTaxAfterDiscount": False, "TxnDate": self._today().isoformat(), **body}
        txn_date = self._valid_date(record, "TxnDate")
        record.setdefault("DueDate", (txn_date + timedelta(days=30)).isoformat())
        self._valid_date(record, "DueDate")
        rate = money(body.get("ExchangeRate", 1))
        record.update({
            "CustomerRef": ref(customer["Id"], customer["DisplayName"]),
            "CurrencyRef": ref(currency, CURRENCIES[currency]), "ExchangeRate": number(rate),
            "Line": lines, "TxnTaxDetail": {**body.get("TxnTaxDetail", {}),
                                            "TotalTax": number(tax)},
            "TotalAmt": number(total), "HomeTotalAmt": number(cents(total * rate)),
            "Balance": number(total - applied),
            "LinkedTxn": previous.get("LinkedTxn", []) if previous else [],
        })
        return record

    def _check_doc_number(self, doc_number: str, previous: Json | None,
                          allow_duplicates: bool) -> None:
        if len(doc_number) > 21:
            raise Invalid(f"DocNumber {doc_number!r} is longer than 21 characters",
                          element="DocNumber")
        if not self.reject_duplicate_doc_numbers or allow_duplicates:
            return
        for other in self.invoices.values():
            if other.get("DocNumber") == doc_number and other is not previous:
                raise Invalid(
                    "Duplicate Document Number Error : You must specify a different number. "
                    f"This number has already been used. DocNumber={doc_number} is assigned to "
                    f"TxnType=Invoice with TxnId={other['Id']}",
                    code="6140", message="Duplicate Document Number Error",
                    element="DocNumber", violation=False)

    def _invoice_lines(self, given: list[Json]) -> tuple[list[Json], Decimal, Decimal, Decimal]:
        """(stored lines, sub-total, taxable part, discount) of an invoice's Line array."""
        lines: list[Json] = []
        subtotal = taxable = Decimal(0)
        discount_line: Json | None = None
        for index, line in enumerate(given):
            element = f"Line.{index}"
            kind = line["DetailType"]
            stored = copy.deepcopy(line)
            if kind == "SalesItemLineDetail":
                amount, is_taxable = self._sales_line(stored, element)
                subtotal += amount
                taxable += amount if is_taxable else 0
            elif kind == "DiscountLineDetail":
                if discount_line is not None:
                    raise Invalid("an invoice takes one discount line", element=element)
                discount_line = stored
            elif kind == "SubTotalLineDetail":
                continue
            elif kind != "DescriptionOnly":
                raise Invalid(f"the fake does not model {kind} lines", element=element)
            lines.append(stored)
        discount = Decimal(0)
        if discount_line is not None:
            detail = discount_line["DiscountLineDetail"]
            if detail.get("PercentBased"):
                if "DiscountPercent" not in detail:
                    raise Invalid("a percent-based discount needs DiscountPercent",
                                  element="DiscountLineDetail.DiscountPercent")
                discount = cents(subtotal * money(detail["DiscountPercent"]) / 100)
            else:
                discount = cents(money(discount_line["Amount"]))
            discount_line["Amount"] = number(discount)
        for number_, line in enumerate(lines, start=1):
            line["Id"] = str(number_)
            line["LineNum"] = number_
        lines.append({"Amount": number(subtotal), "DetailType": "SubTotalLineDetail",
                      "SubTotalLineDetail": {}})
        return lines, subtotal, taxable, discount

    def _sales_line(self, line: Json, element: str) -> tuple[Decimal, bool]:
        """Check one sales line in place: its item, its tax code, Amount = Qty x UnitPrice."""
        detail = line["SalesItemLineDetail"]
        item = self._referenced("Item", detail.get("ItemRef", ref("1")), f"{element}.ItemRef")
        detail["ItemRef"] = ref(item["Id"], item["Name"])
        code = detail.get("TaxCodeRef", ref("NON"))["value"]
        if code not in ("TAX", "NON"):
            raise Invalid(f"TaxCodeRef {code!r}: a US company's lines are coded TAX or NON",
                          element=f"{element}.TaxCodeRef")
        detail["TaxCodeRef"] = ref(code)
        amount = money(line["Amount"])
        if "Qty" in detail and "UnitPrice" in detail:
            expected = cents(money(detail["Qty"]) * money(detail["UnitPrice"]))
            if abs(amount - expected) > Decimal("0.01"):
                raise Invalid(f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount} "
                              f"(Qty x UnitPrice = {expected})", code="6070",
                              element=f"{element}.Amount")
        return amount, code == "TAX"

    def _invoice_tax(self, body: Json, subtotal: Decimal, taxable: Decimal,
                     discount: Decimal) -> Decimal:
        detail = body.get("TxnTaxDetail", {})
        if "TotalTax" in detail:
            return money(detail["TotalTax"])
        if "TxnTaxCodeRef" not in detail:
            return Decimal(0)
        code = self._referenced("TaxCode", detail["TxnTaxCodeRef"], "TxnTaxDetail.TxnTaxCodeRef")
        if code["Id"] in ("TAX", "NON"):
            raise Invalid("TxnTaxCodeRef names a tax code such as California, not TAX or NON",
                          element="TxnTaxDetail.TxnTaxCodeRef")
        rate = sum((money(self.entities["TaxRate"][d["TaxRateRef"]["value"]]["RateValue"])
                    for d in code["SalesTaxRateList"]["TaxRateDetail"]), Decimal(0))
        base = taxable
        if body.get("ApplyTaxAfterDiscount") and subtotal:
            base = taxable - discount * taxable / subtotal
        return cents(base * rate / 100)

    def _build_payment(self, body: Json, previous: Json | None) -> Json:
        """A received payment applied to invoices of its customer (or of the customer's jobs)."""
        customer = self._referenced("Customer", body["CustomerRef"], "CustomerRef")
        currency = self._currency(body, customer["CurrencyRef"]["value"])
        if currency != customer["CurrencyRef"]["value"]:
            raise Invalid(f"Business Validation Error: the payment's currency {currency} is not "
                          f"the customer's ({customer['CurrencyRef']['value']})",
                          code="6000", element="CurrencyRef")
        total = money(body["TotalAmt"])
        if total < 0:
            raise Invalid("TotalAmt is negative", element="TotalAmt")
        account = self._referenced("Account", body.get("DepositToAccountRef", ref("3")),
                                   "DepositToAccountRef")
        if account["AccountType"] not in ("Bank", "Other Current Asset"):
            raise Invalid(f"DepositToAccountRef {account['Name']} is not a bank or other current "
                          "asset account", element="DepositToAccountRef")
        lines, applied, available = [], Decimal(0), Decimal(0)
        for index, line in enumerate(body.get("Line", [])):
            element = f"Line.{index}"
            if len(line["LinkedTxn"]) != 1 or line["LinkedTxn"][0]["TxnType"] != "Invoice":
                raise Invalid("the fake applies a payment line to exactly one Invoice",
                              element=f"{element}.LinkedTxn")
            invoice = self._referenced("Invoice", ref(line["LinkedTxn"][0]["TxnId"]),
                                       f"{element}.LinkedTxn")
            if not self._is_within(invoice["CustomerRef"]["value"], customer["Id"]):
                raise Invalid(f"invoice {invoice['Id']} is not {customer['DisplayName']}'s",
                              element=f"{element}.LinkedTxn")
            amount = money(line["Amount"])
            if amount <= 0:
                raise Invalid("a payment line's Amount must be positive",
                              element=f"{element}.Amount")
            open_balance = money(invoice["Balance"]) + (
                self._applied_by(previous, invoice["Id"]) if previous else 0)
            if amount > open_balance:
                raise Invalid(f"Business Validation Error: {amount} is more than invoice "
                              f"{invoice['Id']}'s open balance {open_balance}", code="6000",
                              element=f"{element}.Amount", violation=False)
            applied += amount
            available += open_balance
            lines.append({"Amount": number(amount), "LinkedTxn": [
                {"TxnId": invoice["Id"], "TxnType": "Invoice"}]})
        if applied > total:
            raise Invalid(f"the lines apply {applied}, more than TotalAmt {total}",
                          element="Line")
        if lines and total > available:
            raise Invalid(f"Business Validation Error: TotalAmt {total} is more than the open "
                          f"balance {available} of the invoices it pays", code="6000",
                          element="TotalAmt", violation=False)
        record = {"TxnDate": self._today().isoformat(), **body,
                  "CustomerRef": ref(customer["Id"], customer["DisplayName"]),
                  "CurrencyRef": ref(currency, CURRENCIES[currency]),
                  "ExchangeRate": number(money(body.get("ExchangeRate", 1))),
                  "DepositToAccountRef": ref(account["Id"], account["Name"]),
                  "TotalAmt": number(total), "UnappliedAmt": number(total - applied),
                  "Line": lines}
        self._valid_date(record, "TxnDate")
        return record

    def _is_within(self, customer_id: str, ancestor_id: str) -> bool:
        """Whether a customer is `ancestor_id` or one of its sub-customers."""
        while customer_id:
            if customer_id == ancestor_id:
                return True
            customer_id = self.customers.get(customer_id, {}).get("ParentRef", {}).get("value", "")
        return False

    @staticmethod
    def _linked_invoices(payment: Json) -> list[str]:
        return [linked["TxnId"] for line in payment.get("Line", [])
                for linked in line["LinkedTxn"] if linked["TxnType"] == "Invoice"]

    @staticmethod
    def _applied_by(payment: Json, invoice_id: str) -> Decimal:
        return sum((money(line["Amount"]) for line in payment.get("Line", [])
                    if any(linked["TxnId"] == invoice_id for linked in line["LinkedTxn"])),
                   Decimal(0))

    def _applied_to(self, invoice_id: str) -> Decimal:
        return sum((self._applied_by(payment, invoice_id) for payment in self.payments.values()),
                   Decimal(0))

    def _settle_invoices(self, invoice_ids: Iterable[str]) -> None:
        """Each invoice's Balance and LinkedTxn from the payments; a change bumps its SyncToken."""
        for invoice_id in invoice_ids:
            invoice = self.invoices.get(invoice_id)
            if invoice is None:
                continue
            paying = [payment["Id"] for payment in self.payments.values()
                      if invoice_id in self._linked_invoices(payment)]
            balance = number(money(invoice["TotalAmt"]) - self._applied_to(invoice_id))
            linked = [{"TxnId": payment_id, "TxnType": "Payment"} for payment_id in paying]
            if (balance, linked) != (invoice["Balance"], invoice.get("LinkedTxn", [])):
                invoice.update(Balance=balance, LinkedTxn=linked)
                self._touch("Invoice", invoice)

    def _refresh_customer_balances(self) -> None:
        """Customers' Balance (their open invoices) and BalanceWithJobs (with sub-customers')."""
        own: dict[str, Decimal] = defaultdict(Decimal)
        for invoice in self.invoices.values():
            own[invoice["CustomerRef"]["value"]] += money(invoice["Balance"])
        with_jobs: dict[str, Decimal] = defaultdict(Decimal)
        for customer_id, amount in own.items():
            while customer_id:
                with_jobs[customer_id] += amount
                customer_id = self.customers.get(customer_id, {}).get(
                    "ParentRef", {}).get("value", "")
        for customer in self.customers.values():
            customer["Balance"] = number(own[customer["Id"]])
            customer["BalanceWithJobs"] = number(with_jobs[customer["Id"]])

    def _void(self, body: Json) -> Json:
        """Void an invoice: amounts zeroed, PrivateNote "Voided", its payments left unapplied."""
        invoice = self._current("Invoice", body)
        for payment in list(self.payments.values()):
            if invoice["Id"] in self._linked_invoices(payment):
                self._unlink(payment, invoice["Id"])
        for line in invoice["Line"]:
            line["Amount"] = 0
        invoice.update(TotalAmt=0, HomeTotalAmt=0, Balance=0, LinkedTxn=[],
                       PrivateNote="Voided")
        invoice["TxnTaxDetail"] = {**invoice.get("TxnTaxDetail", {}), "TotalTax": 0}
        self._touch("Invoice", invoice)
        self._refresh_customer_balances()
        return invoice

    def _void_payment(self, body: Json) -> Json:
        """Void a payment (`operation=update&include=void`, Intuit's documented payment void):
        its amount becomes zero, its lines go, the invoices it paid are owed again."""
        payment = self._current("Payment", body)
        paid = [linked["TxnId"] for line in payment["Line"] for linked in line["LinkedTxn"]
                if linked.get("TxnType") == "Invoice"]
        note = payment.get("PrivateNote")
        payment.update(TotalAmt=0, Line=[], UnappliedAmt=0,
                       PrivateNote=f"Voided{': ' + note if note else ''}")
        self._touch("Payment", payment)
        self._settle_invoices(paid)
        self._refresh_customer_balances()
        return payment

    def _unlink(self, payment: Json, invoice_id: str) -> None:
        """Take `invoice_id` off a payment: what it applied there becomes unapplied credit."""
        freed = self._applied_by(payment, invoice_id)
        payment["Line"] = [line for line in payment["Line"]
                           if all(linked["TxnId"] != invoice_id for linked in line["LinkedTxn"])]
        payment["UnappliedAmt"] = number(money(payment["UnappliedAmt"]) + freed)
        self._touch("Payment", payment)

    def _delete(self, entity: str, body: Json) -> Json:
        """A hard delete (?operation=delete): the record goes; CDC reports it as Deleted."""
        if entity in NAME_LISTS:
            raise Invalid(f"a {entity} cannot be deleted in QBO; make it inactive (Active false)")
        record = self._current(entity, body)
        self._remove(entity, record)
        return {"domain": "QBO", "status": "Deleted", "Id": record["Id"]}

    def _remove(self, entity: str, record: Json) -> None:
        del self.entities[entity][record["Id"]]
        self._deleted[entity][record["Id"]] = self.now
        self._note_change(entity, record["Id"])
        if entity == "Invoice":
            for payment in list(self.payments.values()):
                if record["Id"] in self._linked_invoices(payment):
                    self._unlink(payment, record["Id"])
        self._after_save(entity, record, None)
