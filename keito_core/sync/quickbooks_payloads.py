"""QuickBooks Online request bodies and answers, as pure functions over plain values.

`keito_core.sync.quickbooks` sends what these build and reads what they parse; nothing here
does I/O, so every figure is tested by hand (tests/core/sync/test_quickbooks_payloads.py).

**Money.** Keito's figures are sent as they are, never recomputed: each line's Qty, UnitPrice
and Amount (quantity x unit price, rounded half-up once: QuickBooks checks that they agree), the
discount as one `DiscountLineDetail` line of the exact discount amount (not a percentage, which
QuickBooks would round its own way), and the tax as described below. JSON numbers are written
from the Decimal's text (`qbo_number`), exact for every amount Keito stores.

**Tax model.** Keito has up to two invoice-level taxes, each on its taxed lines after the
discount, rounded once per invoice (DESIGN.md). QuickBooks taxes by tax code and, in many
regions, computes the tax itself, rounding its own way. So Keito sends its own figure as the
transaction's tax: `TxnTaxDetail.TotalTax` = tax 1 + tax 2, which QuickBooks takes as an
override of what it would compute; each line carries the mapped "taxed" tax code when it bears
tax 1 or tax 2 and the "untaxed" code otherwise, so QuickBooks' tax reports know which sales
were taxable. QuickBooks' total is then the lines' amounts - the discount + TotalTax, which is
Keito's total to the cent (`expected_total`); the provider still compares the answer's TotalAmt
with Keito's total and refuses to call it synced when they differ.

**Time.** A TimeActivity takes whole hours and minutes: the entry's seconds are rounded half-up
to the nearest minute (30 s and over count as a minute), then split (`hours_minutes`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from keito_core.sync.documents import ClientDoc, InvoiceDoc, LineDoc, PaymentDoc
from keito_core.sync.provider import PulledPayment, Remote

Json = dict[str, Any]

#: QuickBooks' limits on a few fields (Intuit's API reference).
DOC_NUMBER_MAX = 21
PAYMENT_REF_MAX = 21
DISPLAY_NAME_MAX = 100
DESCRIPTION_MAX = 4000
PRIVATE_NOTE_MAX = 4000
CUSTOMER_MEMO_MAX = 1000
#: Fault codes the provider reacts to.
FAULT_STALE_OBJECT = "5010"
FAULT_DUPLICATE_NAME = "6240"
FAULT_DUPLICATE_DOC_NUMBER = "6140"
FAULT_OBJECT_NOT_FOUND = "610"
#: What marks a payment (and an invoice) that Keito sent, in its PrivateNote.
KEITO_MARK = "Keito"


@dataclass(frozen=True)
class TimeDoc:
    """An approved time entry to push as a QuickBooks TimeActivity."""

    id: str
    user_id: str
    user_name: str
    client_id: str
    project_id: str | None
    task_id: str | None
    spent_date: date
    seconds: int
    notes: str | None
    billable: bool
    #: The hourly rate billed (None: no rate), in `currency`.
    rate: Decimal | None
    currency: str
    #: Names, when the caller has them: a customer or sub-customer not linked yet is found by
    #: name (and created) only with them.
    client_name: str | None = None
    project_name: str | None = None
    task_name: str | None = None


# --- values ------------------------------------------------------------------------------


def qbo_number(value: Decimal) -> int | float:
    """A Decimal as the JSON number QuickBooks reads: an int when whole, else the float whose
    shortest text is the Decimal's own (exact for amounts of up to 15 significant digits)."""
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} has no exact JSON number")
    return number


def money(value: Any) -> Decimal:
    """A JSON number from QuickBooks as a Decimal, via its shortest text (0.1 stays 0.1)."""
    if value is None:
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc


def ref(value: str, name: str | None = None) -> Json:
    return {"value": value} if name is None else {"value": value, "name": name}


def ref_value(entity: Mapping[str, Any], field: str) -> str | None:
    found = entity.get(field)
    if isinstance(found, Mapping):
        value = found.get("value")
        return str(value) if value is not None else None
    return None


def clip(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    text = text.strip()
    return text[:limit] if text else None


def quote(text: str) -> str:
    """A string literal for QuickBooks' query language: backslashes and quotes escaped."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def format_time(moment: datetime) -> str:
    """An instant as QuickBooks takes it in queries and `changedSince` (UTC, seconds)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """A MetaData time as QuickBooks prints it (with its offset) as an aware datetime."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def last_updated(entity: Mapping[str, Any]) -> datetime | None:
    meta = entity.get("MetaData")
    if isinstance(meta, Mapping) and meta.get("LastUpdatedTime"):
        return parse_time(str(meta["LastUpdatedTime"]))
    return None


def canonical(body: Any) -> str:
    """The text an idempotency key is derived from: the body, keys sorted."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)


# --- settings ---------------------------------------------------------------------------


def line_item(settings: Mapping[str, Any], line: LineDoc) -> str | None:
    """The item a line is sold as: its task's item, else its kind's item."""
    task_items = settings.get("task_items") or {}
    if line.task_id and task_items.get(line.task_id):
        return str(task_items[line.task_id])
    items = settings.get("items") or {}
    kind = str(line.kind)
    return str(items[kind]) if items.get(kind) else None


def has_tax(doc: InvoiceDoc) -> bool:
    return bool(doc.tax1_amount or doc.tax2_amount or doc.tax1_rate or doc.tax2_rate)


def missing_invoice_settings(settings: Mapping[str, Any], doc: InvoiceDoc) -> list[str]:
    """Each setting the invoice needs and the settings do not map, named precisely."""
    missing = []
    if not settings.get("income_account"):
        missing.append("income_account (the default income account)")
    for line in doc.lines:
        if line_item(settings, line) is None:
            what = f"item mapping for line {line.position} {line.description[:40]!r}"
            if line.task_id:
                what += f" (task {line.task_id}, or the {line.kind} item)"
            else:
                what += f" (the {line.kind} item)"
            missing.append(what)
    if has_tax(doc):
        codes = settings.get("tax_codes") or {}
        taxed = any(line.taxed1 or line.taxed2 for line in doc.lines)
        untaxed = any(not (line.taxed1 or line.taxed2) for line in doc.lines)
        if taxed and not codes.get("taxed"):
            missing.append("tax_codes.taxed (the tax code of taxed lines)")
        if untaxed and not codes.get("untaxed"):
            missing.append("tax_codes.untaxed (the tax code of untaxed lines)")
    return missing


def line_tax_code(settings: Mapping[str, Any], line: LineDoc, doc: InvoiceDoc) -> str | None:
    codes = settings.get("tax_codes") or {}
    if not has_tax(doc):
        return str(codes["untaxed"]) if codes.get("untaxed") else None
    key = "taxed" if (line.taxed1 or line.taxed2) else "untaxed"
    return str(codes[key]) if codes.get(key) else None


# --- bodies ------------------------------------------------------------------------------


def display_name(name: str) -> str:
    """A customer's DisplayName: trimmed, at most 100 characters; QuickBooks forbids ':'."""
    return " ".join(name.replace(":", "-").split())[:DISPLAY_NAME_MAX]


def sub_customer_name(project_name: str, client_name: str) -> str:
    """A project's sub-customer DisplayName, unique across clients (DisplayNames are global)."""
    return display_name(f"{project_name} ({client_name})")


def customer_body(client: ClientDoc, *, parent_id: str | None = None,
                  name: str | None = None) -> Json:
    """A Customer create: the client (or, with `parent_id`, a project under it)."""
    body: Json = {"DisplayName": display_name(name or client.name),
                  "CurrencyRef": ref(client.currency)}
    if parent_id is not None:
        body["ParentRef"] = ref(parent_id)
        body["Job"] = True
        body["BillWithParent"] = True
        return body
    body["CompanyName"] = display_name(client.name)
    if client.first_name:
        body["GivenName"] = client.first_name[:100]
    if client.last_name:
        body["FamilyName"] = client.last_name[:100]
    if client.email:
        body["PrimaryEmailAddr"] = {"Address": client.email}
    if client.phone:
        body["PrimaryPhone"] = {"FreeFormNumber": client.phone[:30]}
    address = {key: value for key, value in (
        ("Line1", client.street), ("City", client.city),
        ("CountrySubDivisionCode", client.region), ("PostalCode", client.postal_code),
        ("Country", client.country)) if value}
    if address:
        body["BillAddr"] = address
    return body


def invoice_note(doc: InvoiceDoc) -> str:
    return f"{KEITO_MARK} invoice {doc.id}"


def invoice_body(doc: InvoiceDoc, settings: Mapping[str, Any], *, customer_id: str) -> Json:
    """An Invoice create (and the content of an update): see the module's docstring.

    Raises KeyError naming the line when a line has no item (check `missing_invoice_settings`
    first)."""
    lines: list[Json] = []
    for number, line in enumerate(doc.lines, start=1):
        item = line_item(settings, line)
        if item is None:
            raise KeyError(f"no item for line {line.position}")
        detail: Json = {"ItemRef": ref(item), "Qty": qbo_number(line.quantity),
                        "UnitPrice": qbo_number(line.unit_price)}
        tax_code = line_tax_code(settings, line, doc)
        if tax_code is not None:
            detail["TaxCodeRef"] = ref(tax_code)
        entry: Json = {"DetailType": "SalesItemLineDetail", "LineNum": number,
                       "Amount": qbo_number(line.amount), "SalesItemLineDetail": detail}
        description = clip(line.description, DESCRIPTION_MAX)
        if description:
            entry["Description"] = description
        lines.append(entry)
    if doc.discount_amount:
        discount: Json = {"DetailType": "DiscountLineDetail",
                          "Amount": qbo_number(doc.discount_amount),
                          "DiscountLineDetail": {"PercentBased": False}}
        if doc.discount_percent is not None:
            discount["Description"] = f"Discount {doc.discount_percent.normalize():f}%"
        lines.append(discount)
    body: Json = {
        "DocNumber": doc.number,
        "TxnDate": doc.issue_date.isoformat(),
        "DueDate": doc.due_date.isoformat(),
        "CurrencyRef": ref(doc.currency),
        "CustomerRef": ref(customer_id),
        "Line": lines,
        "PrivateNote": invoice_note(doc),
    }
    if has_tax(doc):
        body["TxnTaxDetail"] = {"TotalTax": qbo_number(doc.tax1_amount + doc.tax2_amount)}
    memo = clip(doc.notes, CUSTOMER_MEMO_MAX)
    if memo:
        body["CustomerMemo"] = {"value": memo}
    return body


def expected_total(body: Mapping[str, Any]) -> Decimal:
    """What QuickBooks will make of an invoice body: the sales lines, less the discount lines,
    plus the overriding TotalTax."""
    total = Decimal(0)
    for line in body.get("Line", []):
        if line.get("DetailType") == "SalesItemLineDetail":
            total += money(line.get("Amount"))
        elif line.get("DetailType") == "DiscountLineDetail":
            total -= money(line.get("Amount"))
    tax = body.get("TxnTaxDetail") or {}
    return total + money(tax.get("TotalTax"))


def _line_key(line: Mapping[str, Any]) -> tuple[Any, ...]:
    detail = line.get(line.get("DetailType", ""), {}) or {}
    return (line.get("DetailType"), money(line.get("Amount")),
            money(detail.get("Qty")) if "Qty" in detail else None,
            money(detail.get("UnitPrice")) if "UnitPrice" in detail else None,
            ref_value(detail, "ItemRef"), ref_value(detail, "TaxCodeRef"),
            (line.get("Description") or "").strip())


def invoice_differs(found: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """Whether a remote invoice holds other content than `body` would send."""
    kinds = ("SalesItemLineDetail", "DiscountLineDetail")
    theirs = [_line_key(line) for line in found.get("Line", [])
              if line.get("DetailType") in kinds]
    ours = [_line_key(line) for line in body.get("Line", [])]
    if theirs != ours:
        return True
    for field in ("TxnDate", "DueDate"):
        if str(found.get(field) or "") != str(body.get(field) or ""):
            return True
    if ref_value(found, "CustomerRef") != ref_value(body, "CustomerRef"):
        return True
    their_tax = money((found.get("TxnTaxDetail") or {}).get("TotalTax"))
    our_tax = money((body.get("TxnTaxDetail") or {}).get("TotalTax"))
    return their_tax != our_tax or money(found.get("TotalAmt")) != expected_total(body)


def sparse_update(body: Mapping[str, Any], *, entity_id: str, sync_token: str) -> Json:
    """A sparse update carrying `body`'s fields (the Line list replaces the remote's)."""
    return {**body, "Id": entity_id, "SyncToken": sync_token, "sparse": True}


def void_body(entity_id: str, sync_token: str) -> Json:
    return {"Id": entity_id, "SyncToken": sync_token}


def payment_note(doc: PaymentDoc) -> str:
    """The PrivateNote that marks a payment Keito sent (its ID is how a retry finds it)."""
    note = f"{KEITO_MARK} payment {doc.id}"
    if doc.transaction_id and len(doc.transaction_id) > PAYMENT_REF_MAX:
        note += f"; transaction {doc.transaction_id}"
    if doc.notes:
        note += f"; {doc.notes}"
    return note[:PRIVATE_NOTE_MAX]


def payment_reference(doc: PaymentDoc) -> str:
    """PaymentRefNum (21 characters at most): the transaction ID, else Keito's payment ID."""
    return (doc.transaction_id or doc.id)[:PAYMENT_REF_MAX]


def payment_body(doc: PaymentDoc, *, customer_id: str, invoice_id: str,
                 deposit_account: str) -> Json:
    amount = qbo_number(doc.amount)
    return {
        "CustomerRef": ref(customer_id),
        "CurrencyRef": ref(doc.currency),
        "TotalAmt": amount,
        "TxnDate": doc.paid_on.isoformat(),
        "PaymentRefNum": payment_reference(doc),
        "PrivateNote": payment_note(doc),
        "DepositToAccountRef": ref(deposit_account),
        "Line": [{"Amount": amount,
                  "LinkedTxn": [{"TxnId": invoice_id, "TxnType": "Invoice"}]}],
    }


def is_keito_payment(payment: Mapping[str, Any], payment_id: str) -> bool:
    """Whether the remote payment is the one Keito sent for `payment_id`."""
    note = str(payment.get("PrivateNote") or "")
    marker = f"{KEITO_MARK} payment {payment_id}"
    return note == marker or note.startswith(marker + ";")


def hours_minutes(seconds: int) -> tuple[int, int]:
    """Whole hours and minutes for `seconds`, rounded half-up to the minute (5,430 s -> 1 h 31;
    5,429 s -> 1 h 30)."""
    if seconds < 0:
        raise ValueError("seconds cannot be negative")
    minutes = int((Decimal(seconds) / 60).quantize(Decimal(1), ROUND_HALF_UP))
    return divmod(minutes, 60)


def time_activity_body(entry: TimeDoc, *, employee_id: str, customer_id: str,
                       item_id: str | None) -> Json:
    hours, minutes = hours_minutes(entry.seconds)
    body: Json = {
        "NameOf": "Employee",
        "EmployeeRef": ref(employee_id, entry.user_name or None),
        "CustomerRef": ref(customer_id),
        "TxnDate": entry.spent_date.isoformat(),
        "Hours": hours,
        "Minutes": minutes,
        "BillableStatus": "Billable" if entry.billable else "NotBillable",
    }
    if item_id is not None:
        body["ItemRef"] = ref(item_id)
    if entry.billable or entry.rate is not None:
        body["HourlyRate"] = qbo_number(entry.rate or Decimal(0))
    description = clip(entry.notes, DESCRIPTION_MAX)
    if description:
        body["Description"] = description
    return body


# --- answers -----------------------------------------------------------------------------


def entity_of(body: Any, entity: str) -> Json:
    """The entity in a read or write answer ({"Invoice": {...}, "time": ...})."""
    if isinstance(body, Mapping) and isinstance(body.get(entity), Mapping):
        return dict(body[entity])
    raise ValueError(f"QuickBooks answered without a {entity}")


def query_rows(body: Any, entity: str) -> list[Json]:
    """The rows of a query answer (QuickBooks answers {"QueryResponse": {}} for none)."""
    response = body.get("QueryResponse") if isinstance(body, Mapping) else None
    if not isinstance(response, Mapping):
        return []
    rows = response.get(entity) or []
    return [dict(row) for row in rows]


def cdc_rows(body: Any, entity: str) -> list[Json]:
    """The changed entities of a change data capture answer."""
    found: list[Json] = []
    responses = body.get("CDCResponse") if isinstance(body, Mapping) else None
    for response in responses or []:
        for part in response.get("QueryResponse") or []:
            found.extend(dict(row) for row in part.get(entity) or [])
    return found


def remote_of(entity: Mapping[str, Any]) -> Remote:
    """The Remote of a Customer, Invoice, Payment or TimeActivity as QuickBooks answered it."""
    total = entity.get("TotalAmt")
    balance = entity.get("Balance")
    return Remote(
        id=str(entity["Id"]),
        version=str(entity["SyncToken"]) if entity.get("SyncToken") is not None else None,
        number=entity.get("DocNumber"),
        total=money(total) if total is not None else None,
        amount_due=money(balance) if balance is not None else None,
        status=entity.get("status") or entity.get("EmailStatus"),
    )


def link_of(entity: Mapping[str, Any]) -> Remote:
    """The Remote of a related record (a customer): its Id and SyncToken only."""
    token = entity.get("SyncToken")
    return Remote(id=str(entity["Id"]), version=str(token) if token is not None else None)


def is_removed(payment: Mapping[str, Any]) -> bool:
    """A payment deleted in QuickBooks (CDC's status "Deleted") or voided (its amount and
    lines cleared, its PrivateNote starting "Voided")."""
    if str(payment.get("status") or "").lower() == "deleted":
        return True
    note = str(payment.get("PrivateNote") or "")
    return money(payment.get("TotalAmt")) == 0 and (
        note.startswith("Voided") or not payment.get("Line"))


def pulled_payments(payment: Mapping[str, Any]) -> list[PulledPayment]:
    """One PulledPayment per invoice a QuickBooks payment pays (one per invoice line);
    a deleted or voided payment gives one with `deleted` set and the invoice unknown ("")
    unless its lines still name one."""
    remote_id = str(payment["Id"])
    paid_on = date.fromisoformat(str(payment["TxnDate"])[:10]) if payment.get("TxnDate") else None
    reference = payment.get("PaymentRefNum")
    removed = is_removed(payment)
    found = []
    for line in payment.get("Line") or []:
        for linked in line.get("LinkedTxn") or []:
            if linked.get("TxnType") == "Invoice":
                found.append(PulledPayment(
                    remote_id=remote_id, invoice_remote_id=str(linked["TxnId"]),
                    amount=money(line.get("Amount")), paid_on=paid_on, reference=reference,
                    deleted=removed))
    if removed and not found:
        found.append(PulledPayment(remote_id=remote_id, invoice_remote_id="",
                                   amount=Decimal(0), paid_on=paid_on, reference=reference,
                                   deleted=True))
    return found


# --- faults ------------------------------------------------------------------------------


def _errors(body: Any) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        return []
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, Mapping):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    return [error for error in errors if isinstance(error, Mapping)]


def _field(error: Mapping[str, Any], name: str) -> str:
    value = error.get(name, error.get(name.lower(), error.get(name[:1].upper() + name[1:])))
    return " ".join(str(value).split()) if value else ""


def fault_codes(body: Any) -> list[str]:
    """The codes of an Intuit fault ("5010", "6240", ...); leading zeros dropped."""
    return [_field(error, "code").lstrip("0") or "0" for error in _errors(body)]


def describe_fault(status: int, body: Any) -> str:
    """Intuit's fault as one line naming each error's code, Message and Detail (and element):
    the `describe_error` of QuickBooks' SyncHttp."""
    parts = []
    for error in _errors(body):
        code = _field(error, "code") or "?"
        message = _field(error, "Message")
        detail = _field(error, "Detail")
        text = f"fault {code}: {message}" if message else f"fault {code}"
        if detail and detail != message:
            text += f" ({detail})"
        element = _field(error, "element")
        if element:
            text += f" [element {element}]"
        parts.append(text)
    if parts:
        return f"QuickBooks refused (HTTP {status}): " + "; ".join(parts)
    if isinstance(body, Mapping) and body.get("error"):
        return f"QuickBooks refused (HTTP {status}): {body.get('error')}"
    text = " ".join(str(body or "").split())[:200]
    return f"QuickBooks answered HTTP {status}" + (f": {text}" if text else "")


def newest(times: Iterable[datetime | None]) -> datetime | None:
    present = [moment for moment in times if moment is not None]
    return max(present) if present else None
