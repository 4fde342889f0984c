"""Xero as an accounting provider: contacts, sales invoices (ACCREC), their PDF and payments.

Every call goes through `SyncHttp` (waits, retries, token refresh) with the organisation's
`xero-tenant-id` and `Accept: application/json`; every PUT and POST carries an `Idempotency-Key`
derived from what it sends, so a retry of the same content is answered with Xero's first answer.

Exactly once: before creating anything the provider looks for it. A client is its linked contact,
else a contact of the same name (case-insensitively) or email, else a new one, linked at once.
An invoice is looked up by its number (unique in Xero) before it is created, so a push that
crashed after Xero committed links the invoice it left instead of sending a second one. A payment
is looked up by its Reference, which starts with Keito's payment ID.

Totals to the cent: `xero_payloads.plan_invoice` sends the discount as negative lines and puts an
explicit TaxAmount where Xero's per-line rounding would drift; after each write the answer's
SubTotal, TotalTax and Total must equal Keito's, else a refusal (not retried alone) names both
figures.

Voiding: Xero refuses to void an invoice that has payments, so `void_invoice` first deletes each
of its payments (a status change to DELETED, which Xero keeps in its history, not a hard delete),
then voids the invoice (AUTHORISED) or deletes it (DRAFT or SUBMITTED, which Xero cannot void).
The payments disappear from the invoice and from the bank account's reconciliation in Xero;
Keito keeps its own records of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.sync.documents import ClientDoc, InvoiceDoc, PaymentDoc
from keito_core.sync.http import XERO_LIMITS, RemoteRefusal, SyncHttp, TokenSource
from keito_core.sync.provider import Choice, Links, Remote, idempotency_key
from keito_core.sync.xero_payloads import (
    InvoicePlan,
    body_fingerprint,
    combo_description,
    combo_rate,
    combos_used,
    contact_element,
    describe_error,
    figure_differences,
    figures_of,
    invoice_element,
    is_payment_of,
    matching_contact,
    number_text,
    parse_number,
    payment_element,
    plan_invoice,
    wire,
)

if TYPE_CHECKING:
    from datetime import datetime

    import httpx

#: The settings a Xero connection keeps (`SyncConnection.settings`), by key.
SETTINGS: Mapping[str, str] = {
    "revenue_account": "Account code for invoice lines (and the discount lines): a revenue "
                       "account from choices()['revenue_account'].",
    "line_accounts": 'Optional {"service"|"product"|"expense": account code}: the account for '
                     "lines of that kind instead of revenue_account.",
    "payment_account": "Code (or AccountID) of the bank account, or an account with payments "
                       "enabled, where payments are recorded; needed only to push payments.",
    "tax_types": '{"none"|"tax1"|"tax2"|"both": Xero TaxType}: the tax rate for untaxed lines, '
                 "lines with tax 1 only, tax 2 only, and both (a Xero rate with both "
                 "components). Needed for each combination an invoice uses; its rate must "
                 "equal Keito's.",
    "invoice_status": '"DRAFT" or "AUTHORISED" (the default): the status invoices are created '
                      "with. An invoice already further along in Xero keeps its status.",
    "sync_on_send": "true to push an invoice when it is sent in Keito; false to push only with "
                    "`keito sync push`.",
}
INVOICE_STATUSES = ("DRAFT", "AUTHORISED")
_STATUS_ORDER = {"DRAFT": 0, "SUBMITTED": 1, "AUTHORISED": 2, "PAID": 3}
_ENDED = ("VOIDED", "DELETED")
#: Xero's account types of the REVENUE class.
_REVENUE_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SETTINGS_HINT = "map it with `keito sync settings`"


def xero_http(*, client: httpx.Client, tokens: TokenSource, clock: Callable[[], datetime],
              sleep: Callable[[float], None], **options: Any) -> SyncHttp:
    """A `SyncHttp` for Xero: its limits (60 a minute, 5,000 a day) and its error bodies."""
    return SyncHttp(client=client, tokens=tokens, limits=XERO_LIMITS, clock=clock, sleep=sleep,
                    describe_error=describe_error, **options)


def _remote(invoice: Mapping[str, Any]) -> Remote:
    return Remote(
        id=str(invoice["InvoiceID"]), number=invoice.get("InvoiceNumber"),
        total=parse_number(invoice.get("Total", 0)),
        amount_due=parse_number(invoice.get("AmountDue", 0)), status=invoice.get("Status"))


def _payment_remote(payment: Mapping[str, Any]) -> Remote:
    return Remote(id=str(payment["PaymentID"]), total=parse_number(payment.get("Amount", 0)),
                  status=payment.get("Status"))


class XeroProvider:
    """The Provider (keito_core.sync.provider) for one Xero organisation."""

    provider = SyncProvider.XERO

    def __init__(self, http: SyncHttp, *, api_url: str, tenant_id: str,
                 settings: Mapping[str, Any]) -> None:
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.tenant_id = tenant_id
        self.settings = settings
        self._currencies: list[str] | None = None
        self._tax_rates: dict[str, Mapping[str, Any]] | None = None

    # -- calls --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        return {"xero-tenant-id": self.tenant_id, "Accept": "application/json"}

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        if not response.content:
            return {}
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            raise KeitoError("remote_error", "Xero answered something other than JSON: "
                             f"{response.text[:200]!r}") from None

    def _get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        response = self.http.request("GET", self.api_url + path, params=params,
                                     headers=self._headers())
        return self._json(response)

    def _write(self, method: str, path: str, *, operation: str, entity_id: str,
               body: Any = None, content: bytes | None = None, content_type: str | None = None,
               params: Mapping[str, Any] | None = None, extra: Iterable[Any] = ()) -> Any:
        """A PUT or POST with its idempotency key over what it sends (and `extra`)."""
        sent = content if content is not None else body
        headers = self._headers()
        headers["Idempotency-Key"] = idempotency_key(
            self.provider, operation, entity_id, body_fingerprint(sent, path, *extra))
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = self.http.request(
            method, self.api_url + path, params=params, headers=headers,
            json=wire(body) if content is None else None, content=content)
        return self._json(response)

    # -- settings -----------------------------------------------------------------------------

    def choices(self) -> dict[str, list[Choice]]:
        """The options the settings map to, by setting: `revenue_account` (active revenue
        accounts; also for `line_accounts`), `payment_account` (bank accounts and accounts with
        payments enabled), `tax_types` (active tax rates for revenue, with their effective rate
        and components) and `currencies` (those enabled in the organisation)."""
        accounts = self._get("/Accounts").get("Accounts") or []
        live = [a for a in accounts if a.get("Status", "ACTIVE") == "ACTIVE"]
        revenue = [Choice(id=str(a["Code"]), name=str(a.get("Name") or a["Code"]),
                          detail=str(a.get("Type") or ""),
                          extra={"account_id": a.get("AccountID"), "tax_type": a.get("TaxType")})
                   for a in live if a.get("Code") and a.get("Type") in _REVENUE_TYPES]
        paying = [Choice(id=str(a.get("Code") or a["AccountID"]),
                         name=str(a.get("Name") or a.get("Code")),
                         detail=str(a.get("Type") or ""),
                         extra={"account_id": a.get("AccountID"),
                                "currency": a.get("CurrencyCode")})
                  for a in live if a.get("Type") == "BANK" or a.get("EnablePaymentsToAccount")]
        rates = [
            Choice(id=tax_type, name=str(rate.get("Name") or tax_type),
                   detail=f"{number_text(parse_number(rate.get('EffectiveRate', 0)))}%",
                   extra={"effective_rate": parse_number(rate.get("EffectiveRate", 0)),
                          "components": [
                              {"name": c.get("Name"), "rate": parse_number(c.get("Rate", 0)),
                               "compound": bool(c.get("IsCompound"))}
                              for c in rate.get("TaxComponents") or []]})
            for tax_type, rate in self._tax_rate_table().items()
            if rate.get("CanApplyToRevenue", True)
        ]
        currencies = [Choice(id=code, name=code) for code in self._currency_codes()]
        return {"revenue_account": revenue, "payment_account": paying, "tax_types": rates,
                "currencies": currencies}

    def _currency_codes(self) -> list[str]:
        if self._currencies is None:
            rows = self._get("/Currencies").get("Currencies") or []
            self._currencies = [str(row["Code"]) for row in rows if row.get("Code")]
        return self._currencies

    def _tax_rate_table(self) -> dict[str, Mapping[str, Any]]:
        """Active tax rates by TaxType, read once per provider."""
        if self._tax_rates is None:
            rows = self._get("/TaxRates").get("TaxRates") or []
            self._tax_rates = {str(r["TaxType"]): r for r in rows
                               if r.get("TaxType") and r.get("Status", "ACTIVE") == "ACTIVE"}
        return self._tax_rates

    def _mapping(self, key: str) -> Mapping[str, Any]:
        value = self.settings.get(key)
        return value if isinstance(value, Mapping) else {}

    def _account_for(self, kind: str) -> str | None:
        return (self._mapping("line_accounts").get(kind) or self.settings.get("revenue_account")
                or None)

    def _status(self) -> str:
        return str(self.settings.get("invoice_status") or "AUTHORISED").upper()

    def missing_settings(self, doc: InvoiceDoc) -> list[str]:
        """What the invoice needs and the settings do not map, each named for a person."""
        missing = []
        kinds = sorted({str(line.kind) for line in doc.lines})
        unmapped = [kind for kind in kinds if not self._account_for(kind)]
        if unmapped or (doc.discount_amount and not self._discount_account(doc)):
            missing.append("revenue account" + (f" for {', '.join(unmapped)} lines"
                                                 if unmapped and unmapped != kinds else ""))
        tax_types = self._mapping("tax_types")
        missing += [f"tax rate for {combo_description(doc, combo)}"
                    for combo in combos_used(doc) if not tax_types.get(combo)]
        if self._status() not in INVOICE_STATUSES:
            missing.append(f"invoice status DRAFT or AUTHORISED (not {self._status()!r})")
        return missing

    def _discount_account(self, doc: InvoiceDoc) -> str | None:
        """The revenue account, else the account of the invoice's first line."""
        revenue = self.settings.get("revenue_account")
        if revenue:
            return str(revenue)
        return next((self._account_for(str(line.kind)) for line in doc.lines
                     if self._account_for(str(line.kind))), None)

    def _require_settings(self, doc: InvoiceDoc) -> None:
        missing = self.missing_settings(doc)
        if missing:
            raise KeitoError("config_error", f"invoice {doc.number} cannot go to Xero: "
                             f"missing {'; '.join(missing)}", hint=_SETTINGS_HINT)

    def check_invoice(self, doc: InvoiceDoc) -> None:
        """Refuse before any write: a currency the organisation lacks, a mapped tax rate whose
        EffectiveRate differs from Keito's, a negative total (a credit note in Xero)."""
        codes = self._currency_codes()
        if doc.currency not in codes:
            raise KeitoError(
                "validation_error",
                f"invoice {doc.number} is in {doc.currency} but the Xero organisation has only "
                f"{', '.join(codes) or 'no currencies'}", field="currency",
                hint=f"add {doc.currency} in Xero (Settings > Currencies) or bill the client in "
                     "one of those currencies")
        if doc.total < 0:
            raise KeitoError("validation_error", f"invoice {doc.number} totals {doc.total}: "
                             "Xero takes a negative invoice only as a credit note",
                             field="total")
        rates = self._tax_rate_table()
        tax_types = self._mapping("tax_types")
        for combo in combos_used(doc):
            tax_type = tax_types.get(combo)
            if not tax_type:
                continue
            what = combo_description(doc, combo)
            rate = rates.get(str(tax_type))
            if rate is None:
                raise KeitoError("validation_error",
                                 f"the Xero tax rate {tax_type} mapped for {what} is not an "
                                 "active tax rate of the organisation", hint=_SETTINGS_HINT)
            theirs = parse_number(rate.get("EffectiveRate", 0))
            ours = combo_rate(doc, combo)
            if theirs != ours:
                raise KeitoError(
                    "validation_error",
                    f"tax rate mismatch on invoice {doc.number} for {what}: Keito charges "
                    f"{number_text(ours)}%, the Xero tax rate {tax_type} "
                    f"({rate.get('Name') or tax_type}) is {number_text(theirs)}%",
                    hint=f"map tax_types.{combo} to a Xero rate of {number_text(ours)}% "
                         "with `keito sync settings`")

    def _plan(self, doc: InvoiceDoc) -> InvoicePlan:
        accounts = {kind: str(self._account_for(kind)) for kind in
                    {str(line.kind) for line in doc.lines}}
        return plan_invoice(doc, accounts=accounts,
                            discount_account=str(self._discount_account(doc)),
                            tax_types={k: str(v) for k, v in self._mapping("tax_types").items()})

    # -- contacts -----------------------------------------------------------------------------

    def _find_contact(self, client: ClientDoc) -> Mapping[str, Any] | None:
        """A contact of the client's name, else one with its email (Xero's searchTerm)."""
        terms = [client.name.strip()] + ([client.email.strip()] if client.email else [])
        for term in terms:
            contacts = self._get("/Contacts", {"searchTerm": term}).get("Contacts") or []
            found = matching_contact(contacts, client)
            if found is not None:
                return found
        return None

    def _contact_id(self, client: ClientDoc, links: Links) -> str:
        """The client's contact: linked, found, or created; linked at once."""
        linked = links.get("client", client.id)
        if linked is not None:
            return linked.id
        found = self._find_contact(client)
        if found is None:
            body = {"Contacts": [contact_element(client)]}
            try:
                found = self._write("PUT", "/Contacts", body=body, operation="create_contact",
                                    entity_id=client.id)["Contacts"][0]
            except RemoteRefusal:
                found = self._find_contact(client)
                if found is None:
                    raise
        assert found is not None
        remote = Remote(id=str(found["ContactID"]), status=found.get("ContactStatus"))
        links.save("client", client.id, remote)
        return remote.id

    # -- invoices -----------------------------------------------------------------------------

    def _invoice_by_number(self, number: str) -> Mapping[str, Any] | None:
        """The sales invoice numbered `number`, preferring a live one to a voided one."""
        rows = self._get("/Invoices", {"InvoiceNumbers": number, "unitdp": 4}
                         ).get("Invoices") or []
        same = [r for r in rows if r.get("InvoiceNumber") == number
                and r.get("Type", "ACCREC") == "ACCREC"]
        same.sort(key=lambda r: r.get("Status") in _ENDED)
        return same[0] if same else None

    def _get_invoice(self, invoice_id: str) -> Mapping[str, Any]:
        rows = self._get(f"/Invoices/{invoice_id}", {"unitdp": 4}).get("Invoices") or []
        if not rows:
            raise KeitoError("remote_error", f"Xero has no invoice {invoice_id}")
        return dict(rows[0])

    def _linked_invoice(self, remote: Remote) -> Mapping[str, Any] | None:
        """The linked invoice, or None when Xero no longer has it (then it is looked up by
        number like a new one)."""
        try:
            return self._get_invoice(remote.id)
        except RemoteRefusal as refusal:
            if refusal.status == 404:
                return None
            raise

    def push_invoice(self, doc: InvoiceDoc, links: Links, *, remote: Remote | None,
                     pdf: Callable[[], tuple[str, bytes]] | None = None) -> Remote:
        """Create (after looking it up by number) or update the invoice, its contact first;
        attach the PDF when given. The answer's totals must equal Keito's."""
        self._require_settings(doc)
        self.check_invoice(doc)
        plan = self._plan(doc)
        contact_id = self._contact_id(doc.client, links)
        current = self._linked_invoice(remote) if remote is not None else None
        replaced = None
        if current is not None and current.get("Status") == "DELETED":
            # A deleted draft frees its number in Xero: the invoice is created anew.
            replaced, current = str(current["InvoiceID"]), None
        if current is not None:
            invoice = self._update(doc, plan, contact_id, current)
        else:
            found = self._invoice_by_number(doc.number)
            invoice = (self._create(doc, plan, contact_id, replaced) if found is None
                       else self._adopt(doc, plan, contact_id, found))
        self._verify(doc, plan, invoice)
        if pdf is not None:
            self._attach(doc, str(invoice["InvoiceID"]), pdf)
        return _remote(invoice)

    def _create(self, doc: InvoiceDoc, plan: InvoicePlan, contact_id: str,
                replaced: str | None = None) -> Mapping[str, Any]:
        """PUT the invoice; `replaced` (a deleted copy's ID) keeps the key from replaying the
        answer that created that copy."""
        body = {"Invoices": [invoice_element(doc, plan, contact_id=contact_id,
                                             status=self._status())]}
        try:
            return dict(self._write("PUT", "/Invoices", body=body, params={"unitdp": 4},
                                    operation="create_invoice", entity_id=doc.id,
                                    extra=(replaced,) if replaced else ())["Invoices"][0])
        except RemoteRefusal:
            # An earlier attempt may have committed (its key forgotten): link it, never twice.
            found = self._invoice_by_number(doc.number)
            if found is None:
                raise
            return self._adopt(doc, plan, contact_id, found)

    def _adopt(self, doc: InvoiceDoc, plan: InvoicePlan, contact_id: str,
               found: Mapping[str, Any]) -> Mapping[str, Any]:
        """The invoice Xero already has under this number: Keito's own (a push that crashed
        after Xero committed) is linked, and brought up to date when it differs."""
        status = found.get("Status")
        if status in _ENDED:
            raise KeitoError(
                "conflict",
                f"Xero already has invoice {doc.number}, {status}: Xero keeps the number of a "
                "voided or deleted invoice, so Keito cannot create it again",
                hint="give the invoice a new number in Keito, then `keito sync retry`")
        owner = (found.get("Contact") or {}).get("ContactID")
        if owner and str(owner).lower() != contact_id.lower():
            raise KeitoError(
                "conflict",
                f"Xero already has invoice {doc.number} for another contact "
                f"({(found.get('Contact') or {}).get('Name') or owner}), not "
                f"{doc.client.name}",
                hint="give the invoice a new number in Keito (or renumber the one in Xero), "
                     "then `keito sync retry`")
        if not figure_differences(plan.expected, figures_of(found)):
            return found
        return self._update(doc, plan, contact_id, found)

    def _update(self, doc: InvoiceDoc, plan: InvoicePlan, contact_id: str,
                current: Mapping[str, Any]) -> Mapping[str, Any]:
        """Rewrite the invoice Xero has (DRAFT, SUBMITTED or AUTHORISED without payments)."""
        invoice_id = str(current["InvoiceID"])
        status = str(current.get("Status"))
        if status in _ENDED:
            raise KeitoError("conflict", f"invoice {doc.number} is {status} in Xero and cannot "
                             "be changed there", hint="create a new invoice in Keito")
        paid = (parse_number(current.get("AmountPaid", 0))
                + parse_number(current.get("AmountCredited", 0)))
        if status == "PAID" or paid:
            if not figure_differences(plan.expected, figures_of(current)):
                return current
            raise KeitoError(
                "conflict",
                f"invoice {doc.number} has {paid} {doc.currency} paid in Xero, and Xero does "
                "not let an invoice with payments change; its totals differ from Keito's: "
                + "; ".join(figure_differences(plan.expected, figures_of(current))),
                hint="remove the payments in Xero, then `keito sync retry`")
        wanted = self._status()
        element = invoice_element(
            doc, plan, contact_id=contact_id,
            status=wanted if _STATUS_ORDER[wanted] > _STATUS_ORDER.get(status, 0) else None)
        element["InvoiceID"] = invoice_id
        answer = self._write("POST", f"/Invoices/{invoice_id}", body={"Invoices": [element]},
                             params={"unitdp": 4}, operation="update_invoice", entity_id=doc.id,
                             extra=(current.get("UpdatedDateUTC"),))
        return dict(answer["Invoices"][0])

    def _verify(self, doc: InvoiceDoc, plan: InvoicePlan, invoice: Mapping[str, Any]) -> None:
        differences = figure_differences(plan.expected, figures_of(invoice))
        if differences:
            # Never retried alone: sending the same again would come to the same figures.
            raise RemoteRefusal(
                f"Xero's totals for invoice {doc.number} differ from Keito's: "
                + "; ".join(differences), status=200, body=dict(invoice),
                hint="check the tax rate mappings (`keito sync settings`) and the invoice in "
                     "Xero, then `keito sync retry`")

    def _attach(self, doc: InvoiceDoc, invoice_id: str,
                pdf: Callable[[], tuple[str, bytes]]) -> None:
        """The invoice's PDF attached and shown on Xero's online invoice (a file of the same
        name is replaced)."""
        name, data = pdf()
        name = re.sub(r"[\\/:*?\"<>|]+", "-", name.rsplit("/", 1)[-1]).strip() or doc.number
        if not name.lower().endswith(".pdf"):
            name += ".pdf"
        self._write("PUT", f"/Invoices/{invoice_id}/Attachments/{quote(name, safe='')}",
                    content=data, content_type="application/pdf",
                    params={"IncludeOnline": "true"}, operation="attach_pdf",
                    entity_id=doc.id, extra=(invoice_id, name))

    # -- voiding ------------------------------------------------------------------------------

    def void_invoice(self, doc: InvoiceDoc | None, links: Links, *, remote: Remote) -> Remote:
        """Delete the invoice's payments in Xero (status DELETED), then void it, or delete it
        when it is a DRAFT or SUBMITTED one; an ended invoice is left as it is. `doc` is None
        when the invoice is gone from Keito (the engine voids by the remote ID alone)."""
        current = self._get_invoice(remote.id)
        if current.get("Status") in _ENDED:
            return _remote(current)
        number = doc.number if doc else current.get("InvoiceNumber") or remote.id
        if any(current.get(kind) for kind in ("CreditNotes", "Prepayments", "Overpayments")):
            raise KeitoError(
                "conflict", f"invoice {number} has credit notes or prepayments allocated in "
                "Xero, which Keito does not remove", hint="remove the allocations in Xero, then "
                "`keito sync retry`")
        for payment in current.get("Payments") or []:
            if payment.get("Status", "AUTHORISED") != "DELETED":
                self._delete_payment(str(payment["PaymentID"]))
        status = str(current.get("Status"))
        target = "DELETED" if status in ("DRAFT", "SUBMITTED") else "VOIDED"
        answer = self._write(
            "POST", f"/Invoices/{remote.id}",
            body={"Invoices": [{"InvoiceID": remote.id, "Status": target}]},
            operation="void_invoice", entity_id=doc.id if doc else remote.id,
            extra=(current.get("UpdatedDateUTC"),))
        return _remote(answer["Invoices"][0])

    # -- payments -----------------------------------------------------------------------------

    def _payments_of(self, invoice_id: str, doc: PaymentDoc) -> list[Mapping[str, Any]]:
        """The Xero payments on the invoice whose Reference names this Keito payment."""
        where = f'Invoice.InvoiceID==guid("{invoice_id}")'
        rows = self._get("/Payments", {"where": where}).get("Payments") or []
        return [row for row in rows if is_payment_of(row, doc)]

    def push_payment(self, doc: PaymentDoc, links: Links, *, invoice: Remote) -> Remote:
        """Record the payment (a part or all of what is due) against the Xero invoice, unless a
        payment with its reference is already there."""
        account = self.settings.get("payment_account")
        if not account:
            raise KeitoError("config_error", "payments cannot go to Xero: missing payment "
                             "account", hint=_SETTINGS_HINT)
        existing = self._payments_of(invoice.id, doc)
        live = [p for p in existing if p.get("Status") != "DELETED"]
        if live:
            return _payment_remote(live[0])
        element = payment_element(doc, invoice_id=invoice.id, account_code=str(account))
        if _UUID.fullmatch(str(account)):
            element["Account"] = {"AccountID": str(account)}
        # A payment deleted in Xero and pushed again is a new request, not the old answer.
        deleted = sorted(str(p.get("PaymentID")) for p in existing)
        try:
            answer = self._write("PUT", "/Payments", body={"Payments": [element]},
                                 operation="create_payment", entity_id=doc.id, extra=deleted)
        except RemoteRefusal:
            again = [p for p in self._payments_of(invoice.id, doc)
                     if p.get("Status") != "DELETED"]
            if not again:
                raise
            return _payment_remote(again[0])
        return _payment_remote(answer["Payments"][0])

    def _delete_payment(self, payment_id: str) -> None:
        """Set the payment's status to DELETED (Xero's only way to take one back)."""
        try:
            self._write("POST", f"/Payments/{payment_id}", body={"Status": "DELETED"},
                        operation="delete_payment", entity_id=payment_id)
        except RemoteRefusal as refusal:
            if refusal.status == 404:
                return
            rows = self._get(f"/Payments/{payment_id}").get("Payments") or []
            if rows and rows[0].get("Status") == "DELETED":
                return
            raise

    def delete_payment(self, links: Links, *, remote: Remote) -> None:
        """Take back a payment removed in Keito (its Xero status becomes DELETED)."""
        self._delete_payment(remote.id)


if TYPE_CHECKING:
    from keito_core.sync.provider import Provider

    def _is_a_provider(xero: XeroProvider) -> Provider:
        return xero
