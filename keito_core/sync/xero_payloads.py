"""Xero's request bodies built from Keito's documents, and Xero's answers read back: pure functions.

**Totals to the cent.** Keito rounds each tax once per invoice, after the discount
(rules/invoices.py); Xero computes each line's tax on its own, rounded to the cent, and adds the
lines up. Sent naively the two can differ by a cent or more. `plan_invoice` sends the invoice so
that Xero's SubTotal, TotalTax and Total equal Keito's exactly:

1. Every line goes as Keito has it: Quantity x UnitAmount = LineAmount (Keito's amount, rounded
   once). A line Xero cannot reproduce (more than 4 decimals, whose product rounds differently)
   goes as quantity 1 at its amount, with the quantity and price in its description.
2. The lines are grouped by the taxes they bear ("none", "tax1", "tax2", "both": a line with both
   of Keito's taxes maps to one Xero tax rate with both components). The discount becomes one
   negative line per group, the groups' shares in proportion to their amounts, apportioned by
   largest remainder so that they add up exactly to Keito's `discount_amount`. So Xero's SubTotal
   is Keito's subtotal less the discount.
3. Keito's tax 1 is apportioned the same way over the groups it applies to ("tax1", "both"), and
   tax 2 over "tax2" and "both": each group's target is its share, and the targets add up to
   Keito's tax1_amount + tax2_amount. Where the sum of Xero's own per-line taxes in a group
   (LineAmount x the rate, rounded) misses the target, the difference goes cent by cent onto the
   group's largest lines as an explicit `TaxAmount`; every other line is left to Xero.

The provider checks Xero's answer against `InvoicePlan.expected` after every write.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from keito_core.errors import KeitoError
from keito_core.sync.documents import ClientDoc, InvoiceDoc, LineDoc, PaymentDoc

CENT = Decimal("0.01")
#: Unit amounts and quantities keep 4 decimals in Xero (with `unitdp=4` on the request).
XERO_PLACES = 4
#: The combinations of Keito's two taxes a line can bear, in the order they are sent.
COMBOS = ("none", "tax1", "tax2", "both")
#: Xero's length limits on the text Keito sends.
DESCRIPTION_MAX = 4000
NAME_MAX = 255
REFERENCE_MAX = 255
_ZERO = Decimal("0.00")


# -- numbers, dates and the wire -----------------------------------------------------------------


def round_cent(amount: Decimal) -> Decimal:
    """Half away from zero to the cent, as Xero rounds."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def decimal_places(value: Decimal) -> int:
    """How many decimals `value` really has (1.500000 has 1)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def number_text(value: Decimal) -> str:
    """A percentage or quantity without trailing zeros: 20.000000 -> "20"."""
    return f"{value.normalize():f}"


def parse_number(value: Any) -> Decimal:
    """A number of Xero's JSON (int, float, Decimal or text) as an exact Decimal."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not a number: {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | float):
        return Decimal(str(value))
    try:
        return Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a number: {value!r}") from None


_MS_DATE = re.compile(r"/Date\((?P<ms>-?\d+)(?P<offset>[+-]\d{4})?\)/")


def parse_datetime(value: str) -> datetime:
    """Xero's `/Date(1573755038314+0000)/` (UTC milliseconds; the offset is only a display
    hint) or an ISO 8601 text, as an aware datetime in UTC."""
    text = value.strip()
    match = _MS_DATE.fullmatch(text)
    if match:
        return datetime.fromtimestamp(int(match["ms"]) / 1000, UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not a Xero date: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_date(value: str) -> date:
    """A date field of Xero's (`/Date(1573689600000+0000)/`, `2019-11-14T00:00:00`)."""
    return parse_datetime(value).date()


def wire(value: Any) -> Any:
    """`value` ready for JSON: Decimals become numbers that print exactly as the Decimal."""
    if isinstance(value, Decimal):
        normal = value.normalize()
        if normal == normal.to_integral_value():
            return int(normal)
        number = float(normal)
        if Decimal(repr(number)) != normal:
            raise ValueError(f"{value} cannot be sent exactly as a JSON number")
        return number
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [wire(item) for item in value]
    return value


def body_fingerprint(body: Any, *extra: Any) -> str:
    """A digest of what a request sends (its JSON or its bytes), for its idempotency key."""
    if isinstance(body, bytes):
        text = hashlib.sha256(body).hexdigest()
    else:
        text = json.dumps(wire(body), sort_keys=True, separators=(",", ":"))
    extra_text = json.dumps([str(item) for item in extra])
    return hashlib.sha256(f"{text}|{extra_text}".encode()).hexdigest()


# -- error bodies -----------------------------------------------------------------------------


def _validation_messages(node: Any, found: list[str]) -> None:
    """Every ValidationErrors[].Message under `node`, depth first, each once."""
    if isinstance(node, Mapping):
        for error in node.get("ValidationErrors") or ():
            message = error.get("Message") if isinstance(error, Mapping) else None
            if message and str(message) not in found:
                found.append(str(message))
        for key, item in node.items():
            if key != "ValidationErrors":
                _validation_messages(item, found)
    elif isinstance(node, list):
        for item in node:
            _validation_messages(item, found)


def describe_error(status: int, body: Any) -> str:
    """One line saying what Xero refused: the ValidationException's messages (every
    Elements[].ValidationErrors[].Message), else the body's Detail, Message or text."""
    text = ""
    if isinstance(body, Mapping):
        messages: list[str] = []
        _validation_messages(body.get("Elements") or [], messages)
        if messages:
            text = "; ".join(messages)
        else:
            parts = [str(body[key]) for key in ("Title", "Detail", "Message", "error",
                                                 "error_description", "oauth_problem_advice")
                     if body.get(key)]
            text = ": ".join(dict.fromkeys(parts))
    elif isinstance(body, str):
        text = " ".join(body.split())
    text = text or "no details given"
    if len(text) > 400:
        text = text[:397] + "..."
    return f"Xero answered HTTP {status}: {text}"


# -- taxes ------------------------------------------------------------------------------------


def tax_active(doc: InvoiceDoc, which: int) -> bool:
    """Whether the invoice has tax 1 (or 2) at all: a rate is set, even 0 %."""
    return (doc.tax1_rate if which == 1 else doc.tax2_rate) is not None


def line_combo(doc: InvoiceDoc, line: LineDoc) -> str:
    """The Keito taxes `line` bears: "none", "tax1", "tax2" or "both"."""
    one = line.taxed1 and tax_active(doc, 1)
    two = line.taxed2 and tax_active(doc, 2)
    return "both" if one and two else "tax1" if one else "tax2" if two else "none"


def combos_used(doc: InvoiceDoc) -> list[str]:
    """The combinations the invoice's lines bear, in `COMBOS` order."""
    used = {line_combo(doc, line) for line in doc.lines}
    return [combo for combo in COMBOS if combo in used]


def combo_rate(doc: InvoiceDoc, combo: str) -> Decimal:
    """Keito's rate in percent for a combination (both: the two rates added, never compounded)."""
    one = doc.tax1_rate or Decimal(0)
    two = doc.tax2_rate or Decimal(0)
    return {"none": Decimal(0), "tax1": one, "tax2": two, "both": one + two}[combo]


def _tax_text(label: str | None, rate: Decimal | None) -> str:
    return " ".join(part for part in (label, f"{number_text(rate or Decimal(0))}%") if part)


def combo_description(doc: InvoiceDoc, combo: str) -> str:
    """What a combination means, for messages: "tax 1 (VAT 20%)"."""
    one = _tax_text(doc.tax1_label, doc.tax1_rate)
    two = _tax_text(doc.tax2_label, doc.tax2_rate)
    return {
        "none": "untaxed lines",
        "tax1": f"tax 1 ({one})",
        "tax2": f"tax 2 ({two})",
        "both": f"tax 1 and tax 2 on the same line ({one} + {two})",
    }[combo]


# -- apportioning -------------------------------------------------------------------------------


def apportion(total: Decimal, weights: Sequence[Decimal], unit: Decimal = CENT) -> list[Decimal]:
    """`total` split in proportion to `weights`, in whole `unit`s that add up to it exactly
    (largest remainder; ties go to the larger weight, then the earlier one). With weights that
    add up to nothing, the largest weight takes it all."""
    if not weights:
        if total:
            raise ValueError(f"nothing to apportion {total} over")
        return []
    units = Fraction(total) / Fraction(unit)
    if units.denominator != 1:
        raise ValueError(f"{total} is not a whole number of {unit}")
    whole = int(units)
    weight_sum = sum((Fraction(w) for w in weights), Fraction(0))
    order = sorted(range(len(weights)), key=lambda i: (-abs(weights[i]), i))
    if weight_sum == 0:
        shares = [0] * len(weights)
        shares[order[0]] = whole
    else:
        exact = [whole * Fraction(w) / weight_sum for w in weights]
        shares = [math.floor(e) for e in exact]
        left = whole - sum(shares)
        by_remainder = sorted(range(len(weights)),
                              key=lambda i: (-(exact[i] - shares[i]), -abs(weights[i]), i))
        for i in by_remainder[:left]:
            shares[i] += 1
    return [unit * share for share in shares]


# -- the invoice ------------------------------------------------------------------------------


@dataclass(frozen=True)
class XeroLine:
    """One LineItem as it will be sent, with the tax Xero will book on it."""

    description: str
    quantity: Decimal
    unit_amount: Decimal
    line_amount: Decimal
    account_code: str
    tax_type: str
    combo: str
    #: What Xero computes by itself: LineAmount x the rate, rounded to the cent.
    xero_tax: Decimal
    #: Sent as TaxAmount only where it differs from `xero_tax` (the rounding correction).
    tax_amount: Decimal | None = None
    is_discount: bool = False

    @property
    def tax(self) -> Decimal:
        return self.xero_tax if self.tax_amount is None else self.tax_amount

    def element(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "Description": self.description, "Quantity": self.quantity,
            "UnitAmount": self.unit_amount, "AccountCode": self.account_code,
            "TaxType": self.tax_type, "LineAmount": self.line_amount,
        }
        if self.tax_amount is not None:
            out["TaxAmount"] = self.tax_amount
        return out


@dataclass(frozen=True)
class XeroFigures:
    """An invoice's totals as Xero shows them."""

    sub_total: Decimal
    total_tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class InvoicePlan:
    lines: tuple[XeroLine, ...]
    #: Keito's figures, which Xero's answer must show: the subtotal less the discount, the two
    #: taxes added, the total.
    expected: XeroFigures

    @property
    def computed(self) -> XeroFigures:
        """The totals Xero will compute from `lines`."""
        sub_total = sum((ln.line_amount for ln in self.lines), _ZERO)
        total_tax = sum((ln.tax for ln in self.lines), _ZERO)
        return XeroFigures(sub_total, total_tax, sub_total + total_tax)


def xero_line_tax(amount: Decimal, rate: Decimal) -> Decimal:
    """The tax Xero books on a tax-exclusive line of `amount` at `rate` percent."""
    return round_cent(amount * rate / 100)


def _quantity_and_price(line: LineDoc) -> tuple[Decimal, Decimal, str]:
    """Quantity, unit amount and a description suffix that Xero multiplies out to the amount."""
    quantity, price = line.quantity, line.unit_price
    if (decimal_places(quantity) <= XERO_PLACES and decimal_places(price) <= XERO_PLACES
            and round_cent(quantity * price) == line.amount):
        return quantity.normalize(), price.normalize(), ""
    return Decimal(1), line.amount, f" ({number_text(quantity)} x {number_text(price)})"


def _description(text: str, suffix: str, fallback: str) -> str:
    body = " ".join(text.split()) or fallback
    return body[:DESCRIPTION_MAX - len(suffix)] + suffix


def _discount_text(doc: InvoiceDoc, combo: str, groups: int) -> str:
    percent = f" {number_text(doc.discount_percent)}%" if doc.discount_percent else ""
    if groups == 1:
        return f"Discount{percent}"
    if combo == "none":
        return f"Discount{percent} (untaxed lines)"
    taxes = {"tax1": [(doc.tax1_label, doc.tax1_rate)], "tax2": [(doc.tax2_label, doc.tax2_rate)],
             "both": [(doc.tax1_label, doc.tax1_rate), (doc.tax2_label, doc.tax2_rate)]}[combo]
    return f"Discount{percent} (lines with {' + '.join(_tax_text(*t) for t in taxes)})"


def plan_invoice(doc: InvoiceDoc, *, accounts: Mapping[str, str], discount_account: str,
                 tax_types: Mapping[str, str]) -> InvoicePlan:
    """The LineItems that make Xero's totals equal Keito's (see the module's docstring).

    `accounts` maps a line kind ("service", "product", "expense") to an account code,
    `tax_types` a combination ("none", "tax1", "tax2", "both") to a Xero TaxType; both must
    cover what the invoice uses (the provider's `missing_settings` says so first)."""
    lines: list[XeroLine] = []
    bases = {combo: _ZERO for combo in COMBOS}
    for line in doc.lines:
        combo = line_combo(doc, line)
        quantity, price, suffix = _quantity_and_price(line)
        kind = str(line.kind)
        lines.append(XeroLine(
            description=_description(line.description, suffix, kind.capitalize()),
            quantity=quantity, unit_amount=price, line_amount=line.amount,
            account_code=accounts[kind], tax_type=tax_types[combo], combo=combo,
            xero_tax=xero_line_tax(line.amount, combo_rate(doc, combo))))
        bases[combo] += line.amount
    groups = [combo for combo in COMBOS if any(ln.combo == combo for ln in lines)]

    if doc.discount_amount:
        shares = apportion(doc.discount_amount, [bases[g] for g in groups])
        for combo, share in zip(groups, shares, strict=True):
            if share:
                lines.append(XeroLine(
                    description=_discount_text(doc, combo, len(groups)), quantity=Decimal(1),
                    unit_amount=-share, line_amount=-share, account_code=discount_account,
                    tax_type=tax_types[combo], combo=combo,
                    xero_tax=xero_line_tax(-share, combo_rate(doc, combo)), is_discount=True))

    targets = {combo: _ZERO for combo in COMBOS}
    for amount, bearing, name in ((doc.tax1_amount, ("tax1", "both"), "tax 1"),
                                  (doc.tax2_amount, ("tax2", "both"), "tax 2")):
        taxed = [g for g in groups if g in bearing]
        if not taxed:
            if amount:
                raise KeitoError("internal_error", f"invoice {doc.number} has {name} of "
                                 f"{amount} but no line bears it")
            continue
        for combo, share in zip(taxed, apportion(amount, [bases[g] for g in taxed]),
                                strict=True):
            targets[combo] += share
    lines = _correct_taxes(lines, targets)

    plan = InvoicePlan(tuple(lines), XeroFigures(
        sub_total=doc.subtotal - doc.discount_amount,
        total_tax=doc.tax1_amount + doc.tax2_amount, total=doc.total))
    if plan.computed != plan.expected:
        raise KeitoError(
            "internal_error",
            f"invoice {doc.number}'s figures do not add up (lines give {plan.computed}, the "
            f"invoice says {plan.expected})",
            hint="recompute the invoice in Keito before syncing it")
    return plan


def _correct_taxes(lines: list[XeroLine], targets: Mapping[str, Decimal]) -> list[XeroLine]:
    """Explicit TaxAmounts, a cent at a time on each group's largest lines, so that each
    group's tax adds up to its target."""
    adjusted = list(lines)
    for combo in COMBOS:
        members = [i for i, ln in enumerate(lines) if ln.combo == combo]
        if not members:
            continue
        missing = targets[combo] - sum((lines[i].xero_tax for i in members), _ZERO)
        if not missing:
            continue
        candidates = sorted((i for i in members if not lines[i].is_discount),
                            key=lambda i: (-abs(lines[i].line_amount), i)) or members
        cents = int(abs(missing) / CENT)
        step = CENT if missing > 0 else -CENT
        extra = dict.fromkeys(candidates, _ZERO)
        for n in range(cents):
            extra[candidates[n % len(candidates)]] += step
        for i, add in extra.items():
            if add:
                adjusted[i] = replace(lines[i], tax_amount=lines[i].xero_tax + add)
    return adjusted


def invoice_element(doc: InvoiceDoc, plan: InvoicePlan, *, contact_id: str,
                    status: str | None) -> dict[str, Any]:
    """The Invoice element that creates or rewrites `doc` in Xero (Decimal amounts)."""
    element: dict[str, Any] = {
        "Type": "ACCREC",
        "Contact": {"ContactID": contact_id},
        "InvoiceNumber": doc.number,
        "Date": doc.issue_date.isoformat(),
        "DueDate": doc.due_date.isoformat(),
        "CurrencyCode": doc.currency,
        "LineAmountTypes": "Exclusive",
        "LineItems": [line.element() for line in plan.lines],
    }
    if doc.purchase_order:
        element["Reference"] = doc.purchase_order[:REFERENCE_MAX]
    if status is not None:
        element["Status"] = status
    return element


def figures_of(invoice: Mapping[str, Any]) -> XeroFigures:
    """SubTotal, TotalTax and Total of an invoice Xero answered."""
    return XeroFigures(parse_number(invoice.get("SubTotal", 0)),
                       parse_number(invoice.get("TotalTax", 0)),
                       parse_number(invoice.get("Total", 0)))


def figure_differences(expected: XeroFigures, got: XeroFigures) -> list[str]:
    """Each total that differs, as "Total 120.00 in Keito, 120.01 in Xero"."""
    return [f"{name} {want} in Keito, {have} in Xero"
            for name, want, have in (("SubTotal", expected.sub_total, got.sub_total),
                                     ("TotalTax", expected.total_tax, got.total_tax),
                                     ("Total", expected.total, got.total))
            if want != have]


# -- contacts and payments ------------------------------------------------------------------------


def contact_element(client: ClientDoc) -> dict[str, Any]:
    """A new Xero contact for a Keito client: its name, person, email, phone and address."""
    element: dict[str, Any] = {"Name": client.name.strip()[:NAME_MAX]}
    for key, value in (("FirstName", client.first_name), ("LastName", client.last_name),
                       ("EmailAddress", client.email)):
        if value:
            element[key] = value.strip()[:NAME_MAX]
    if client.phone:
        element["Phones"] = [{"PhoneType": "DEFAULT", "PhoneNumber": client.phone[:50]}]
    address = {key: value[:limit] for key, value, limit in (
        ("AddressLine1", client.street, 500), ("City", client.city, 255),
        ("Region", client.region, 255), ("PostalCode", client.postal_code, 50),
        ("Country", client.country, 50)) if value}
    if address:
        element["Addresses"] = [{"AddressType": "STREET", **address}]
    return element


def matching_contact(contacts: Iterable[Mapping[str, Any]],
                     client: ClientDoc) -> Mapping[str, Any] | None:
    """The active contact named as the client (case-insensitively), else the one with its
    email address."""
    live = [c for c in contacts if c.get("ContactStatus", "ACTIVE") == "ACTIVE"]
    name = client.name.strip().casefold()
    for contact in live:
        if str(contact.get("Name") or "").strip().casefold() == name:
            return contact
    email = (client.email or "").strip().casefold()
    if email:
        for contact in live:
            if str(contact.get("EmailAddress") or "").strip().casefold() == email:
                return contact
    return None


def payment_reference(doc: PaymentDoc) -> str:
    """The payment's Reference in Xero: Keito's payment ID first (how a retry finds it), then
    the transaction ID when there is one."""
    reference = doc.id
    if doc.transaction_id:
        reference += f" txn {' '.join(doc.transaction_id.split())}"
    return reference[:REFERENCE_MAX]


def payment_element(doc: PaymentDoc, *, invoice_id: str, account_code: str) -> dict[str, Any]:
    """The Payment that records `doc` against a Xero invoice."""
    return {
        "Invoice": {"InvoiceID": invoice_id},
        "Account": {"Code": account_code},
        "Date": doc.paid_on.isoformat(),
        "Amount": doc.amount,
        "Reference": payment_reference(doc),
    }


def is_payment_of(payment: Mapping[str, Any], doc: PaymentDoc) -> bool:
    """Whether a Xero payment records this Keito payment (its Reference starts with the ID)."""
    reference = str(payment.get("Reference") or "")
    return reference == doc.id or reference.startswith(doc.id + " ")
