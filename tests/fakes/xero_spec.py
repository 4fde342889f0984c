"""Xero's OpenAPI documents, loaded once per process, and the checks every request must pass.

openapi-core validates parameters and bodies against the vendor's documents in
`../shared/specs/xero/`. On top of them go the rules that `../shared/specs/README.md` lists and the
documents leave out: the fields Xero requires when creating (`missing_required`), dates as
`YYYY-MM-DD`, an `Idempotency-Key` of at most 128 characters, and `Accept: application/json` (the
accounting API answers XML otherwise). The objects Keito writes (Invoice, LineItem, Contact,
Payment, the Account a payment names, and their list wrappers) are closed to properties the
document does not name, so a misspelled field is a violation instead of being silently ignored.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml
from jsonschema_path import SchemaPath
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import (
    V30RequestBodyValidator,
    V30RequestParametersValidator,
)
from werkzeug.datastructures import Headers, ImmutableMultiDict

SPEC_DIR = Path(
    os.environ.get("KEITO_XERO_SPEC_DIR")
    or Path(__file__).resolve().parents[3] / "shared" / "specs" / "xero"
)
#: Where the spec's own servers say the APIs live; requests are validated as if sent there.
ACCOUNTING_ROOT = "/api.xro/2.0"
SPEC_HOST = "https://api.xero.com"

#: Schemas whose property list is closed here (the document leaves them open).
CLOSED_SCHEMAS = (
    "Invoices", "Invoice", "LineItem", "Contacts", "Contact", "Payments", "Payment",
    "PaymentDelete", "Account",
)
#: What Xero requires when creating, which the document does not mark (README).
REQUIRED_ON_CREATE: Mapping[str, tuple[str, ...]] = {
    "Invoice": ("Type", "Contact", "LineItems"),
    "Contact": ("Name",),
    "Payment": ("Invoice", "Account", "Date", "Amount"),
}
DATE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Invoices": ("Date", "DueDate", "ExpectedPaymentDate", "PlannedPaymentDate"),
    "Payments": ("Date",),
}
IDEMPOTENCY_KEY_MAX = 128
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

ApiName = Literal["accounting", "identity"]


@dataclass
class _SpecRequest:
    """The openapi-core request protocol over the parts of an httpx request it reads."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    host_url: str = SPEC_HOST
    parameters: RequestParameters = field(default_factory=RequestParameters)


@dataclass(frozen=True)
class _Validators:
    parameters: V30RequestParametersValidator
    body: V30RequestBodyValidator


def _load_yaml(path: Path) -> dict[str, Any]:
    """The parsed document, through a JSON copy in the temp directory (YAML takes ~1 s)."""
    raw = path.read_bytes()
    cached = Path(tempfile.gettempdir()) / (
        f"keito-fake-{path.stem}-{hashlib.sha256(raw).hexdigest()[:16]}.json"
    )
    try:
        return dict(json.loads(cached.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        pass
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(raw, Loader=loader)  # noqa: S506 - a safe loader
    text = json.dumps(data, default=str)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, cached)
    except OSError:
        pass
    return dict(json.loads(text))


def _close_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of `document` whose `CLOSED_SCHEMAS` reject properties they do not name."""
    document = copy.deepcopy(document)
    schemas = document["components"]["schemas"]
    for name in CLOSED_SCHEMAS:
        schemas[name]["additionalProperties"] = False
    return document


@cache
def validators(api: ApiName) -> _Validators:
    """openapi-core's parameter and body validators for one of Xero's documents (cached)."""
    if api == "accounting":
        document = _close_schemas(_load_yaml(SPEC_DIR / "xero_accounting.yaml"))
    else:
        document = _load_yaml(SPEC_DIR / "xero-identity.yaml")
    spec: SchemaPath = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None)).spec
    return _Validators(V30RequestParametersValidator(spec), V30RequestBodyValidator(spec))


def _describe(error: Exception) -> list[str]:
    """One line per problem in an openapi-core error, with the JSON path of each."""
    head = str(error).split(": Value ", 1)[0]
    schema_errors = getattr(error.__cause__, "schema_errors", None)
    if not schema_errors:
        cause = f" ({error.__cause__})" if error.__cause__ else ""
        return [f"{head}{cause}"]
    return [f"{head}: {e.json_path}: {e.message}" for e in schema_errors]


def spec_problems(api: ApiName, spec_path: str, request: httpx.Request, *,
                  method: str | None = None, check_body: bool = True) -> list[str]:
    """What openapi-core finds wrong with `request` sent to `spec_path` of `api`.

    `spec_path` is the path under the API's root as the document names it (`/Invoices`,
    `/Connections`). `method` replaces the request's own (POST /Payments with the
    `{"Payments": [...]}` wrapper is checked as the PUT that documents it); `check_body=False`
    checks only the parameters (attachments: raw bytes that the document types as base64).
    """
    root = ACCOUNTING_ROOT if api == "accounting" else ""
    headers = Headers(list(request.headers.multi_items()))
    spec_request = _SpecRequest(
        method=(method or request.method).lower(),
        path=root + spec_path,
        body=request.content or None,
        content_type=request.headers.get("content-type", ""),
        parameters=RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=headers,
            cookie=ImmutableMultiDict(),
        ),
    )
    checks = validators(api)
    problems = [line for error in checks.parameters.iter_errors(spec_request)
                for line in _describe(error)]
    if check_body and not any("Path not found" in p or "Operation not found" in p
                              for p in problems):
        problems += [line for error in checks.body.iter_errors(spec_request)
                     for line in _describe(error)]
    return problems


def header_problems(request: httpx.Request, *, accounting: bool) -> list[str]:
    """The README's header rules: Accept JSON, a short Idempotency-Key."""
    problems = []
    if accounting and "application/json" not in request.headers.get("accept", ""):
        problems.append("Accept must name application/json (Xero answers XML otherwise)")
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= IDEMPOTENCY_KEY_MAX:
        problems.append(f"Idempotency-Key must be 1 to {IDEMPOTENCY_KEY_MAX} characters, "
                        f"got {len(key)}")
    return problems


def date_problems(collection: str, elements: Iterable[Mapping[str, Any]]) -> list[str]:
    """Dates in `elements` of `collection` ("Invoices", "Payments") that are not YYYY-MM-DD."""
    problems = []
    for index, element in enumerate(elements):
        if not isinstance(element, Mapping):
            continue
        for name in DATE_FIELDS.get(collection, ()):
            value = element.get(name)
            if value is None:
                continue
            if not (isinstance(value, str) and _DATE.fullmatch(value) and _is_date(value)):
                problems.append(f"$.{collection}[{index}].{name}: {value!r} is not a "
                                "YYYY-MM-DD date")
    return problems


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def missing_required(kind: str, element: Mapping[str, Any], where: str) -> list[str]:
    """The fields Xero requires on creating a `kind` ("Invoice", "Contact", "Payment")."""
    problems = [f"{where}: {kind} requires {name} when created"
                for name in REQUIRED_ON_CREATE[kind] if element.get(name) in (None, "", [])]
    if kind == "Invoice" and isinstance(element.get("Contact"), Mapping):
        contact = element["Contact"]
        if not (contact.get("ContactID") or contact.get("Name")):
            problems.append(f"{where}.Contact: needs ContactID or Name")
    if kind == "Payment":
        invoice, account = element.get("Invoice"), element.get("Account")
        if isinstance(invoice, Mapping) and not (
                invoice.get("InvoiceID") or invoice.get("InvoiceNumber")):
            problems.append(f"{where}.Invoice: needs InvoiceID or InvoiceNumber")
        if isinstance(account, Mapping) and not (account.get("AccountID") or account.get("Code")):
            problems.append(f"{where}.Account: needs AccountID or Code")
    return problems
