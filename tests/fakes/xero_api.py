"""The accounting endpoints Keito uses, over one organisation's Books.

`answer` takes a request already checked against the specification and authorised for the
tenant, and returns Xero's answer. Batches behave as Xero's default `summarizeErrors=true`: one
rejected element rejects the request and nothing of it is kept; `summarizeErrors=false` keeps the
good elements and answers 200 with the bad ones carrying their ValidationErrors.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from . import xero_spec as spec
from .xero_books import Books, attachment_json
from .xero_errors import NotFound, NotModelled, Rejected, Violation
from .xero_invoices import create_invoice, invoice_json, update_invoice
from .xero_query import page_of, where_filter
from .xero_wire import envelope, json_response, not_found, validation_error, with_errors

_UUID = r"[0-9a-fA-F-]{36}"
Handler = Callable[["Call", re.Match[str]], httpx.Response]


@dataclasses.dataclass
class Call:
    """One accounting request with what its handler needs."""

    books: Books
    request: httpx.Request
    now: datetime
    #: The API root as the client sees it (for attachment URLs).
    api_url: str

    @property
    def query(self) -> httpx.QueryParams:
        return self.request.url.params

    def body(self) -> Any:
        return json.loads(self.request.content or b"null")

    def int_param(self, name: str) -> int | None:
        value = self.query.get(name)
        return int(value) if value not in (None, "") else None

    @property
    def unitdp(self) -> int:
        return self.int_param("unitdp") or 2

    @property
    def summarize(self) -> bool:
        return self.query.get("summarizeErrors", "true").lower() != "false"


def answer(call: Call, path: str) -> httpx.Response:
    """Xero's answer to `call` on `path` (under the API root, in the spec's spelling)."""
    for method, pattern, handler in ROUTES:
        match = re.fullmatch(pattern, path)
        if match and call.request.method == method:
            try:
                return handler(call, match)
            except NotFound:
                return not_found()
            except Rejected as error:
                return validation_error([with_errors({}, error.messages)])
    raise NotModelled(f"{call.request.method} {path}")


# -- settings ----------------------------------------------------------------------------------


def _list(call: Call, collection: str, records: Sequence[Mapping[str, Any]]) -> httpx.Response:
    keep = where_filter(call.query.get("where"))
    chosen = [r for r in records if keep(r)]
    page, pagination = page_of(chosen, call.int_param("page"), call.int_param("pageSize"))
    extra = {"pagination": pagination} if pagination else {}
    return json_response(200, envelope(collection, page, call.now, **extra))


def get_organisation(call: Call, _: re.Match[str]) -> httpx.Response:
    return _list(call, "Organisations", [call.books.organisation_json()])


def get_currencies(call: Call, _: re.Match[str]) -> httpx.Response:
    return _list(call, "Currencies", call.books.currencies_json())


def get_accounts(call: Call, _: re.Match[str]) -> httpx.Response:
    return _list(call, "Accounts", [a.json() for a in call.books.accounts])


def get_tax_rates(call: Call, _: re.Match[str]) -> httpx.Response:
    return _list(call, "TaxRates", [t.json() for t in call.books.tax_rates.values()])


# -- batches -----------------------------------------------------------------------------------


def _batch(call: Call, collection: str, elements: Sequence[Mapping[str, Any]],
           act: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> httpx.Response:
    """Apply `act` to every element, all or nothing unless summarizeErrors=false."""
    books = call.books
    snapshot = copy.deepcopy(books) if call.summarize and len(elements) > 1 else None
    done: list[Mapping[str, Any]] = []
    rejected: list[dict[str, Any]] = []
    for element in elements:
        try:
            done.append(act(element))
        except Rejected as error:
            bad = with_errors(element, error.messages)
            rejected.append(bad)
            done.append({**bad, "HasErrors": True})
    if rejected and call.summarize:
        if snapshot is not None:
            for f in dataclasses.fields(books):
                setattr(books, f.name, getattr(snapshot, f.name))
        return validation_error(rejected)
    return json_response(200, envelope(collection, done, call.now))


def _elements(call: Call, collection: str) -> list[Mapping[str, Any]]:
    body = call.body()
    elements = body.get(collection) if isinstance(body, Mapping) else None
    if not isinstance(elements, list) or not elements:
        raise Violation(f"body must be {{\"{collection}\": [...]}} with at least one element")
    problems = spec.date_problems(collection, elements)
    if problems:
        raise Violation(*problems)
    return elements


def _require(kind: str, collection: str, elements: Sequence[Mapping[str, Any]],
             creating: Callable[[Mapping[str, Any]], bool]) -> None:
    problems = [p for i, el in enumerate(elements) if creating(el)
                for p in spec.missing_required(kind, el, f"$.{collection}[{i}]")]
    if problems:
        raise Violation(*problems)


# -- contacts ----------------------------------------------------------------------------------


def get_contacts(call: Call, _: re.Match[str]) -> httpx.Response:
    contacts = sorted(call.books.contacts.values(), key=lambda c: c.name.casefold())
    ids = {i.lower() for i in call.query.get("IDs", "").split(",") if i}
    term = call.query.get("searchTerm", "").casefold()
    records = [c.json() for c in contacts if not ids or c.contact_id in ids]
    if term:
        records = [r for r in records if any(
            term in str(r.get(k) or "").casefold()
            for k in ("Name", "FirstName", "LastName", "EmailAddress", "ContactNumber"))]
    return _list(call, "Contacts", records)


def get_contact(call: Call, match: re.Match[str]) -> httpx.Response:
    contact = call.books.contacts.get(match["id"].lower())
    if contact is None:
        raise NotFound(match["id"])
    return json_response(200, envelope("Contacts", [contact.json()], call.now))


def save_contacts(call: Call, match: re.Match[str]) -> httpx.Response:
    elements = _elements(call, "Contacts")
    path_id = match.groupdict().get("id")
    _require("Contact", "Contacts", elements,
             lambda el: not (path_id or el.get("ContactID")))

    def act(element: Mapping[str, Any]) -> Mapping[str, Any]:
        contact_id = (path_id or element.get("ContactID") or "").lower()
        if not contact_id:
            return call.books.create_contact(element, now=call.now).json()
        contact = call.books.contacts.get(contact_id)
        if contact is None:
            raise Rejected(f"The ContactID {contact_id} does not exist")
        return call.books.update_contact(contact, element, now=call.now).json()

    return _batch(call, "Contacts", elements, act)


# -- invoices ----------------------------------------------------------------------------------


def get_invoices(call: Call, _: re.Match[str]) -> httpx.Response:
    books = call.books
    invoices = [i for i in books.invoices.values() if i.status != "DELETED"]
    filters = {
        "IDs": lambda i: i.invoice_id,
        "InvoiceNumbers": lambda i: i.number,
        "ContactIDs": lambda i: i.contact_id,
        "Statuses": lambda i: i.status,
    }
    for name, key in filters.items():
        wanted = [v for v in call.query.get(name, "").split(",") if v]
        if wanted:
            lowered = {w.lower() if name != "InvoiceNumbers" else w for w in wanted}
            invoices = [i for i in invoices if key(i) in lowered]
    term = call.query.get("searchTerm", "").casefold()
    if term:
        invoices = [i for i in invoices
                    if term in i.number.casefold() or term in (i.reference or "").casefold()]
    return _list(call, "Invoices", [invoice_json(books, i) for i in invoices])


def get_invoice(call: Call, match: re.Match[str]) -> httpx.Response:
    invoice = call.books.invoices.get(match["id"].lower())
    if invoice is None:
        raise NotFound(match["id"])
    return json_response(200, envelope("Invoices", [invoice_json(call.books, invoice)],
                                       call.now))


def save_invoices(call: Call, match: re.Match[str]) -> httpx.Response:
    books = call.books
    elements = _elements(call, "Invoices")
    path_id = match.groupdict().get("id")

    def existing(element: Mapping[str, Any]) -> str | None:
        invoice_id = path_id or element.get("InvoiceID")
        if invoice_id:
            return str(invoice_id).lower()
        if call.request.method == "POST" and element.get("InvoiceNumber"):
            found = books.invoice_by_number(element["InvoiceNumber"])
            return found.invoice_id if found else None
        return None

    _require("Invoice", "Invoices", elements, lambda el: existing(el) is None)

    def act(element: Mapping[str, Any]) -> Mapping[str, Any]:
        invoice_id = existing(element)
        if invoice_id is None:
            invoice = create_invoice(books, element, unitdp=call.unitdp, now=call.now)
        else:
            if invoice_id not in books.invoices:
                raise NotFound(invoice_id) if path_id else Rejected(
                    f"The InvoiceID {invoice_id} does not exist")
            invoice = update_invoice(books, books.invoices[invoice_id], element,
                                     unitdp=call.unitdp, now=call.now)
        return invoice_json(books, invoice)

    return _batch(call, "Invoices", elements, act)


def get_attachments(call: Call, match: re.Match[str]) -> httpx.Response:
    invoice_id = match["id"].lower()
    if invoice_id not in call.books.invoices:
        raise NotFound(invoice_id)
    records = [attachment_json(a, call.api_url) for a in call.books.attachments_of(invoice_id)]
    return json_response(200, envelope("Attachments", records, call.now))


def put_attachment(call: Call, match: re.Match[str]) -> httpx.Response:
    content_type = call.request.headers.get("content-type", "application/octet-stream")
    name = match["name"]
    mime = content_type.split(";")[0].strip()
    if mime == "application/octet-stream" and name.lower().endswith(".pdf"):
        mime = "application/pdf"
    attachment = call.books.attach(
        match["id"].lower(), name, call.request.content, mime_type=mime,
        include_online=call.query.get("IncludeOnline", "false").lower() == "true")
    return json_response(200, envelope("Attachments", [attachment_json(attachment, call.api_url)],
                                       call.now))


# -- payments ----------------------------------------------------------------------------------


def get_payments(call: Call, _: re.Match[str]) -> httpx.Response:
    books = call.books
    return _list(call, "Payments", [books.payment_json(p) for p in books.payments.values()])


def get_payment(call: Call, match: re.Match[str]) -> httpx.Response:
    payment = call.books.payments.get(match["id"].lower())
    if payment is None:
        raise NotFound(match["id"])
    return json_response(200, envelope("Payments", [call.books.payment_json(payment)],
                                       call.now))


def create_payments(call: Call, _: re.Match[str]) -> httpx.Response:
    body = call.body()
    if call.request.method == "POST" and isinstance(body, Mapping) and "Payments" not in body:
        # POST /Payments takes one bare Payment as well as the {"Payments": [...]} wrapper.
        body = {"Payments": [body]}
        if spec.date_problems("Payments", body["Payments"]):
            raise Violation(*spec.date_problems("Payments", body["Payments"]))
        elements = body["Payments"]
    else:
        elements = _elements(call, "Payments")
    _require("Payment", "Payments", elements, lambda _el: True)
    books = call.books
    return _batch(call, "Payments", elements,
                  lambda el: books.payment_json(books.create_payment(el, now=call.now)))


def delete_payment(call: Call, match: re.Match[str]) -> httpx.Response:
    body = call.body()
    element = body["Payments"][0] if isinstance(body, Mapping) and "Payments" in body else body
    if not isinstance(element, Mapping) or element.get("Status") != "DELETED":
        raise Rejected("A payment can only be updated to Status DELETED")
    payment = call.books.delete_payment(match["id"].lower(), now=call.now)
    return json_response(200, envelope("Payments", [call.books.payment_json(payment)],
                                       call.now))


ROUTES: Sequence[tuple[str, str, Handler]] = (
    ("GET", r"/Organisation", get_organisation),
    ("GET", r"/Currencies", get_currencies),
    ("GET", r"/Accounts", get_accounts),
    ("GET", r"/TaxRates", get_tax_rates),
    ("GET", r"/Contacts", get_contacts),
    ("PUT", r"/Contacts", save_contacts),
    ("POST", r"/Contacts", save_contacts),
    ("GET", rf"/Contacts/(?P<id>{_UUID})", get_contact),
    ("POST", rf"/Contacts/(?P<id>{_UUID})", save_contacts),
    ("GET", r"/Invoices", get_invoices),
    ("PUT", r"/Invoices", save_invoices),
    ("POST", r"/Invoices", save_invoices),
    ("GET", rf"/Invoices/(?P<id>{_UUID})", get_invoice),
    ("POST", rf"/Invoices/(?P<id>{_UUID})", save_invoices),
    ("GET", rf"/Invoices/(?P<id>{_UUID})/Attachments", get_attachments),
    ("PUT", rf"/Invoices/(?P<id>{_UUID})/Attachments/(?P<name>[^/]+)", put_attachment),
    ("POST", rf"/Invoices/(?P<id>{_UUID})/Attachments/(?P<name>[^/]+)", put_attachment),
    ("GET", r"/Payments", get_payments),
    ("PUT", r"/Payments", create_payments),
    ("POST", r"/Payments", create_payments),
    ("GET", rf"/Payments/(?P<id>{_UUID})", get_payment),
    ("POST", rf"/Payments/(?P<id>{_UUID})", delete_payment),
)
