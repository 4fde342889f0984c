"""QuickBooks Online: customers, invoices, payments and time activities through its v3 API.

Every call goes through `SyncHttp` (retries, pacing under 500 requests a minute and 10 a second,
60 s after a 429, one token refresh) to `{api_url}/{realm_id}/{entity}?minorversion=75`; every
write also carries `requestid`, derived from the request's content (`request_id`), so a write
repeated after a timeout is answered with QuickBooks' first answer instead of being done twice.
The bodies and the parsing of answers are pure functions in `quickbooks_payloads`, which also
documents the money: the tax model (Keito's tax as the invoice's TotalTax override) and the
rounding of time (half-up to the minute).

Before a create, what may already exist is looked up: a customer by DisplayName then e-mail, an
invoice by DocNumber, a payment by the Keito payment ID in its PrivateNote, so a crash after
QuickBooks committed (and a lost requestid) still leaves one remote record. A TimeActivity has
no number to look it up by: the outbox (one pending push per entry) and the requestid are its
guard, and its link (the engine's sync record) makes later pushes updates.

Nothing is ever deleted: invoices and payments are voided.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.sync import quickbooks_payloads as qp
from keito_core.sync.documents import ClientDoc, InvoiceDoc, PaymentDoc
from keito_core.sync.http import RemoteRefusal, SyncHttp
from keito_core.sync.provider import (
    Choice,
    Links,
    PullResult,
    Remote,
    idempotency_key,
)

Json = dict[str, Any]

MIN_MINOR_VERSION = 75
#: QuickBooks' largest page of a query, and change data capture's limits.
PAGE_SIZE = 1000
CDC_MAX_OBJECTS = 1000
CDC_LOOKBACK = timedelta(days=30)
#: CDC is asked only for positions comfortably inside its 30 days (clocks differ a little).
CDC_MARGIN = timedelta(hours=1)

#: The settings (SyncConnection.settings) QuickBooks reads, as `keito sync settings` shows them.
SETTINGS: dict[str, str] = {
    "income_account": "Account ID: the default income account (an Income account); required",
    "deposit_account": "Account ID: where payments are deposited (a Bank or Other Current "
                       "Asset account such as Undeposited Funds); required to push payments",
    "items": 'Item IDs by line kind: {"service": ID, "product": ID, "expense": ID}; a line '
             "without a task item is sold as its kind's item",
    "task_items": "Item IDs by Keito task ID: a line whose time entries share a task is sold "
                  "as that task's item (Service or NonInventory items)",
    "employees": "Employee IDs by Keito user ID: required to push that person's time",
    "tax_codes": '{"taxed": TaxCode ID, "untaxed": TaxCode ID}: the code of lines that bear '
                 "tax 1 or tax 2 and of those that bear none; required when an invoice has "
                 "taxes (QuickBooks US: TAX and NON)",
    "sub_customers": "true: a project is a sub-customer under its client's customer, and an "
                     "invoice whose lines share one project is billed to it",
    "sync_on_send": "true: an invoice is pushed when it is sent, not only by `keito sync push`",
}


def request_id(operation: str, entity_id: str, body: Any) -> str:
    """The requestid of a write: derived from what is sent (the same content repeats it), in
    UUID form because QuickBooks takes at most 50 characters."""
    key = idempotency_key(SyncProvider.QUICKBOOKS, operation, entity_id, qp.canonical(body))
    return str(uuid.UUID(key[:32]))


def _refusal_codes(error: KeitoError) -> list[str]:
    return qp.fault_codes(error.body) if isinstance(error, RemoteRefusal) else []


class QuickBooksProvider:
    """provider.Provider for QuickBooks Online (see the module's docstring)."""

    provider = SyncProvider.QUICKBOOKS
    describe_error = staticmethod(qp.describe_fault)

    def __init__(self, http: SyncHttp, *, api_url: str, realm_id: str,
                 settings: Mapping[str, Any], minor_version: int = MIN_MINOR_VERSION) -> None:
        if minor_version < MIN_MINOR_VERSION:
            raise ValueError(f"QuickBooks serves minorversion {MIN_MINOR_VERSION} and later")
        self.http = http
        self.api_url = api_url.rstrip("/")
        self.realm_id = realm_id
        self.settings = settings
        self.minor_version = minor_version
        self._currencies: tuple[str, set[str]] | None = None

    # -- the wire -----------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return f"{self.api_url}/{self.realm_id}/{path}"

    def _get(self, path: str, **params: str) -> Any:
        response = self.http.request(
            "GET", self._url(path), params={**params, "minorversion": str(self.minor_version)},
            headers={"Accept": "application/json"})
        return response.json()

    def _write(self, entity: str, body: Json, *, operation: str, entity_id: str,
               query: Mapping[str, str] | None = None) -> Json:
        """POST one write (with its requestid) and return the entity QuickBooks answered."""
        response = self.http.request(
            "POST", self._url(entity.lower()),
            params={**(query or {}), "minorversion": str(self.minor_version),
                    "requestid": request_id(f"{entity}.{operation}", entity_id, body)},
            json=body, headers={"Accept": "application/json"})
        return qp.entity_of(response.json(), entity)

    def _read(self, entity: str, entity_id: str) -> Json:
        return qp.entity_of(self._get(f"{entity.lower()}/{entity_id}"), entity)

    def _read_if_exists(self, entity: str, entity_id: str) -> Json | None:
        try:
            return self._read(entity, entity_id)
        except KeitoError as error:
            if qp.FAULT_OBJECT_NOT_FOUND in _refusal_codes(error):
                return None
            raise

    def _query(self, entity: str, where: str = "", order: str = "") -> Iterator[Json]:
        """Every row of `select * from entity [where] [orderby]`, a page of 1,000 at a time."""
        start = 1
        while True:
            text = f"select * from {entity}"
            if where:
                text += f" where {where}"
            if order:
                text += f" orderby {order}"
            text += f" startposition {start} maxresults {PAGE_SIZE}"
            rows = qp.query_rows(self._get("query", query=text), entity)
            yield from rows
            if len(rows) < PAGE_SIZE:
                return
            start += PAGE_SIZE

    # -- settings and choices -------------------------------------------------------------------

    def choices(self) -> dict[str, list[Choice]]:
        """Income accounts, deposit accounts, Service/NonInventory items, employees, tax codes."""
        def account(row: Json) -> Choice:
            return Choice(id=str(row["Id"]), name=str(row.get("FullyQualifiedName")
                                                      or row.get("Name")),
                          detail=str(row.get("AccountType", "")),
                          extra={"sub_type": row.get("AccountSubType"),
                                 "currency": qp.ref_value(row, "CurrencyRef")})

        accounts = list(self._query(
            "Account", "AccountType in ('Income', 'Bank', 'Other Current Asset')"))
        return {
            "income_accounts": [account(row) for row in accounts
                                if row.get("AccountType") == "Income"],
            "deposit_accounts": [account(row) for row in accounts
                                 if row.get("AccountType") in ("Bank", "Other Current Asset")],
            "items": [Choice(id=str(row["Id"]), name=str(row.get("FullyQualifiedName")
                                                         or row.get("Name")),
                             detail=str(row.get("Type", "")),
                             extra={"income_account": qp.ref_value(row, "IncomeAccountRef")})
                      for row in self._query("Item", "Type in ('Service', 'NonInventory')")],
            "employees": [Choice(id=str(row["Id"]), name=str(row.get("DisplayName", "")),
                                 extra={"given_name": row.get("GivenName"),
                                        "family_name": row.get("FamilyName")})
                          for row in self._query("Employee")],
            "tax_codes": [Choice(id=str(row["Id"]), name=str(row.get("Name", "")),
                                 detail=str(row.get("Description", "")),
                                 extra={"taxable": row.get("Taxable")})
                          for row in self._query("TaxCode")],
        }

    def missing_settings(self, doc: InvoiceDoc) -> list[str]:
        return qp.missing_invoice_settings(self.settings, doc)

    def _require_settings(self, missing: list[str]) -> None:
        if missing:
            raise KeitoError(
                "config_error", "QuickBooks mapping missing: " + "; ".join(missing),
                field="settings", hint="map it with `keito sync settings`")

    # -- currencies ---------------------------------------------------------------------------

    def _company_currencies(self) -> tuple[str, set[str]]:
        """The home currency and every currency the company has (home and active foreign)."""
        if self._currencies is None:
            preferences = qp.entity_of(self._get("preferences"), "Preferences")
            prefs = preferences.get("CurrencyPrefs") or {}
            home = qp.ref_value(prefs, "HomeCurrency") or ""
            currencies = {home}
            if prefs.get("MultiCurrencyEnabled"):
                currencies |= {str(row.get("Code")) for row in self._query("CompanyCurrency")}
            self._currencies = (home, currencies)
        return self._currencies

    def _check_customer_currency(self, customer: Json, currency: str, what: str) -> None:
        theirs = qp.ref_value(customer, "CurrencyRef")
        if theirs and theirs != currency:
            raise KeitoError(
                "validation_error",
                f"{what} is in {currency} but its QuickBooks customer "
                f"{customer.get('DisplayName')!r} (Id {customer.get('Id')}) is in {theirs}: "
                "QuickBooks bills a customer only in its own currency",
                field="currency",
                hint="bill this client in its QuickBooks currency, or link another customer")

    def _check_company(self, doc: InvoiceDoc) -> None:
        if len(doc.number) > qp.DOC_NUMBER_MAX:
            raise KeitoError("validation_error",
                             f"invoice number {doc.number!r} is longer than QuickBooks' "
                             f"{qp.DOC_NUMBER_MAX} characters", field="number")
        _, currencies = self._company_currencies()
        if doc.currency not in currencies:
            raise KeitoError(
                "validation_error",
                f"invoice {doc.number} is in {doc.currency}, which the QuickBooks company does "
                f"not have (it has {', '.join(sorted(currencies))})", field="currency",
                hint="add the currency in QuickBooks (Settings > Currencies) first")

    def check_invoice(self, doc: InvoiceDoc) -> None:
        """Refuse, before any write, an invoice QuickBooks would take wrongly: a currency the
        company does not have, a customer (found as a push would find it) in another currency,
        a number longer than QuickBooks' 21 characters. A push checks the same, and the
        currency of the customer linked to the client, before it writes anything."""
        self._check_company(doc)
        customer = self._find_customer(doc.client)
        if customer is not None:
            self._check_customer_currency(customer, doc.currency, f"invoice {doc.number}")

    # -- customers ----------------------------------------------------------------------------

    def _find_customer(self, client: ClientDoc, *, name: str | None = None,
                       parent_id: str | None = None) -> Json | None:
        """An existing customer: by DisplayName, else (a client) by its e-mail address."""
        display = qp.display_name(name or client.name)
        for row in self._query("Customer", f"DisplayName = {qp.quote(display)}"):
            return row
        if parent_id is None and client.email:
            for row in self._query("Customer",
                                   f"PrimaryEmailAddr = {qp.quote(client.email)}"):
                if qp.ref_value(row, "ParentRef") is None:
                    return row
        return None

    def _linked_customer(self, links: Links, entity_type: str, entity_id: str,
                         currency: str, what: str) -> Json | None:
        """The linked customer, re-read (it may have been merged or deleted); currency checked."""
        linked = links.get(entity_type, entity_id)
        if linked is None:
            return None
        customer = self._read_if_exists("Customer", linked.id)
        if customer is None or not customer.get("Active", True):
            return None
        self._check_customer_currency(customer, currency, what)
        return customer

    def _customer(self, client: ClientDoc, links: Links, *, currency: str, what: str) -> str:
        """The client's customer ID: linked, else found, else created (and linked at once)."""
        customer = self._linked_customer(links, "client", client.id, currency, what)
        if customer is None:
            customer = self._find_customer(client)
            if customer is not None:
                self._check_customer_currency(customer, currency, what)
            else:
                customer = self._create_customer(qp.customer_body(client), client.id)
            links.save("client", client.id, qp.link_of(customer))
        return str(customer["Id"])

    def _sub_customer(self, client: ClientDoc, parent_id: str, project_id: str,
                      project_name: str | None, links: Links, *, currency: str,
                      what: str) -> str:
        """The project's sub-customer under `parent_id`: linked, found or created."""
        customer = self._linked_customer(links, "project", project_id, currency, what)
        if customer is None:
            name = qp.sub_customer_name(project_name or project_id, client.name)
            customer = self._find_customer(client, name=name, parent_id=parent_id)
            if customer is not None:
                self._check_customer_currency(customer, currency, what)
            else:
                body = qp.customer_body(client, parent_id=parent_id, name=name)
                customer = self._create_customer(body, project_id)
            links.save("project", project_id, qp.link_of(customer))
        return str(customer["Id"])

    def _create_customer(self, body: Json, entity_id: str) -> Json:
        try:
            return self._write("Customer", body, operation="create", entity_id=entity_id)
        except KeitoError as error:
            if qp.FAULT_DUPLICATE_NAME not in _refusal_codes(error):
                raise
        # The name is taken by an inactive customer (queries see only active ones) or by an
        # employee, which shares the list of names: an inactive customer is made active again.
        name = str(body["DisplayName"])
        for row in self._query("Customer", f"DisplayName = {qp.quote(name)} and Active = false"):
            wanted = qp.ref_value(body, "CurrencyRef") or ""
            self._check_customer_currency(row, wanted, f"the customer {name!r} (inactive)")
            return self._write("Customer", {"Id": row["Id"], "SyncToken": row["SyncToken"],
                                            "sparse": True, "Active": True},
                               operation="reactivate", entity_id=entity_id)
        raise KeitoError("conflict", f"QuickBooks already has the name {name!r} (an employee "
                         "or vendor); rename the client or the QuickBooks record",
                         field="client")

    # -- invoices -----------------------------------------------------------------------------

    def _billed_customers(self, doc: InvoiceDoc, links: Links) -> tuple[str, str]:
        """(the client's customer, the customer billed: the project's sub-customer when
        sub-customers are on and every line has the one project, else the client's)."""
        what = f"invoice {doc.number}"
        customer_id = self._customer(doc.client, links, currency=doc.currency, what=what)
        projects = {line.project_id for line in doc.lines}
        if self.settings.get("sub_customers") and len(projects) == 1:
            project_id = projects.pop()
            if project_id is not None:
                names = {getattr(line, "project_name", None) for line in doc.lines}
                name = names.pop() if len(names) == 1 else None
                return customer_id, self._sub_customer(
                    doc.client, customer_id, project_id, name, links,
                    currency=doc.currency, what=what)
        return customer_id, customer_id

    def _find_invoice(self, number: str) -> Json | None:
        for row in self._query("Invoice", f"DocNumber = {qp.quote(number)}"):
            return row
        return None

    def _checked(self, doc: InvoiceDoc, invoice: Json) -> Remote:
        """The Remote of an invoice QuickBooks answered, after comparing its total to Keito's."""
        remote = qp.remote_of(invoice)
        if remote.total != doc.total:
            # Never retried alone: sending the same again would come to the same figures.
            raise RemoteRefusal(
                f"QuickBooks' total of invoice {doc.number} is {remote.total} {doc.currency}, "
                f"Keito's is {doc.total} {doc.currency}", status=200, body=dict(invoice),
                hint="check the tax codes mapped in `keito sync settings`, then "
                     "`keito sync retry`")
        return remote

    def push_invoice(self, doc: InvoiceDoc, links: Links, *, remote: Remote | None,
                     pdf: Callable[[], tuple[str, bytes]] | None = None) -> Remote:
        """Create the invoice (and its customer) or update it; see the module's docstring.

        Without `remote`, an invoice already in QuickBooks under the Keito number (a crash
        after QuickBooks committed) is linked, and updated if its content differs, never
        created twice. With `remote`, a sparse update replaces its content. QuickBooks'
        total is compared with Keito's (a RemoteRefusal naming both if they
        differ). The PDF is not attached in QuickBooks: `pdf` is not used.
        """
        self._require_settings(self.missing_settings(doc))
        self._check_company(doc)
        client_customer, billed = self._billed_customers(doc, links)
        body = qp.invoice_body(doc, self.settings, customer_id=billed)
        if remote is None:
            found = self._find_invoice(doc.number)
            if found is None:
                created = self._write("Invoice", body, operation="create", entity_id=doc.id)
                return self._checked(doc, created)
            if qp.ref_value(found, "CustomerRef") not in (client_customer, billed):
                raise KeitoError(
                    "conflict", f"QuickBooks already has an invoice numbered {doc.number} "
                    f"(Id {found['Id']}) for another customer", field="number",
                    hint="renumber one of them")
            if not qp.invoice_differs(found, body):
                return self._checked(doc, found)
            remote = qp.remote_of(found)
        return self._checked(doc, self._update("Invoice", body, remote, key_id=doc.id))

    def _update(self, entity: str, body: Json, remote: Remote, *, key_id: str) -> Json:
        """A sparse update with the SyncToken known (read first when none is); a stale one
        (fault 5010) is re-read and the update sent once more with the fresh token."""
        token = remote.version
        if token is None:
            token = str(self._read(entity, remote.id)["SyncToken"])
        try:
            return self._write(entity, qp.sparse_update(body, entity_id=remote.id,
                                                        sync_token=token),
                               operation="update", entity_id=key_id)
        except KeitoError as error:
            if qp.FAULT_STALE_OBJECT not in _refusal_codes(error):
                raise
        fresh = self._read(entity, remote.id)
        return self._write(entity, qp.sparse_update(body, entity_id=remote.id,
                                                    sync_token=str(fresh["SyncToken"])),
                           operation="update", entity_id=key_id)

    def void_invoice(self, doc: InvoiceDoc | None, links: Links, *, remote: Remote) -> Remote:
        """Void the invoice (`operation=void`, with the SyncToken read just before).

        QuickBooks voids an invoice that has payments as it is: its amounts become zero and
        each payment stays, its amount now unapplied (a credit on the customer's account),
        for the bookkeeper to refund or apply elsewhere. Keito never deletes it remotely.
        """
        current = self._read_if_exists("Invoice", remote.id)
        if current is None:
            return Remote(id=remote.id, number=doc.number if doc else None, status="Deleted")
        voided = self._write("Invoice", qp.void_body(remote.id, str(current["SyncToken"])),
                             operation="void", entity_id=doc.id if doc else remote.id,
                             query={"operation": "void"})
        return qp.remote_of(voided)

    # -- payments -----------------------------------------------------------------------------

    def _payment_customer(self, invoice: Remote) -> str:
        found = self._read("Invoice", invoice.id)
        customer = qp.ref_value(found, "CustomerRef")
        if customer is None:
            raise KeitoError("remote_error", f"QuickBooks invoice {invoice.id} has no customer")
        return customer

    def push_payment(self, doc: PaymentDoc, links: Links, *, invoice: Remote) -> Remote:
        """Record the payment against the invoice: looked up first among the customer's
        payments by the Keito payment ID in its PrivateNote, created only when absent."""
        deposit = self.settings.get("deposit_account")
        if not deposit:
            self._require_settings(["deposit_account (where payments are deposited)"])
        customer_id = self._payment_customer(invoice)
        for row in self._query("Payment", f"CustomerRef = {qp.quote(customer_id)}"):
            if qp.is_keito_payment(row, doc.id):
                return qp.remote_of(row)
        body = qp.payment_body(doc, customer_id=customer_id, invoice_id=invoice.id,
                               deposit_account=str(deposit))
        return qp.remote_of(self._write("Payment", body, operation="create", entity_id=doc.id))

    def delete_payment(self, links: Links, *, remote: Remote) -> None:
        """Void the payment (a sparse update with `include=void`, the way QuickBooks voids a
        payment): it stays in QuickBooks at zero, "Voided" in its note, and the invoice it paid
        is due again. Never deleted."""
        current = self._read_if_exists("Payment", remote.id)
        if current is None or qp.is_removed(current):
            return
        body = {"Id": remote.id, "SyncToken": str(current["SyncToken"]), "sparse": True}
        self._write("Payment", body, operation="void", entity_id=remote.id,
                    query={"operation": "update", "include": "void"})

    # -- time ---------------------------------------------------------------------------------

    def missing_time_settings(self, entry: qp.TimeDoc) -> list[str]:
        """What pushing the entry needs and the settings do not map."""
        missing = []
        if not (self.settings.get("employees") or {}).get(entry.user_id):
            missing.append(f"employee mapping for {entry.user_name} ({entry.user_id})")
        return missing

    def _time_item(self, entry: qp.TimeDoc) -> str | None:
        if entry.task_id and (self.settings.get("task_items") or {}).get(entry.task_id):
            return str(self.settings["task_items"][entry.task_id])
        service = (self.settings.get("items") or {}).get("service")
        return str(service) if service else None

    def _time_customer(self, entry: qp.TimeDoc, links: Links) -> str:
        what = f"time entry {entry.id}"
        client = ClientDoc(id=entry.client_id, name=entry.client_name or "",
                           currency=entry.currency)
        if entry.client_name:
            customer_id = self._customer(client, links, currency=entry.currency, what=what)
        else:
            linked = links.get("client", entry.client_id)
            if linked is None:
                raise KeitoError(
                    "validation_error", f"client {entry.client_id} has no QuickBooks customer "
                    "yet", hint="push one of its invoices first")
            customer_id = linked.id
        if self.settings.get("sub_customers") and entry.project_id:
            linked_project = links.get("project", entry.project_id)
            if linked_project is not None:
                return linked_project.id
            if entry.client_name:
                return self._sub_customer(client, customer_id, entry.project_id,
                                          entry.project_name, links,
                                          currency=entry.currency, what=what)
        return customer_id

    def push_time_entry(self, entry: qp.TimeDoc, links: Links) -> Remote:
        """The entry as a TimeActivity: created (requestid from its content), or, when it is
        linked already, updated with its SyncToken (5010: re-read, sent once more)."""
        self._require_settings(self.missing_time_settings(entry))
        employee = str(self.settings["employees"][entry.user_id])
        customer_id = self._time_customer(entry, links)
        body = qp.time_activity_body(entry, employee_id=employee, customer_id=customer_id,
                                     item_id=self._time_item(entry))
        linked = links.get("time_entry", entry.id)
        if linked is not None:
            return qp.remote_of(self._update("TimeActivity", body, linked, key_id=entry.id))
        return qp.remote_of(self._write("TimeActivity", body, operation="create",
                                        entity_id=entry.id))

    # -- payments pulled back -----------------------------------------------------------------

    def pull_payments(self, since: datetime | None, now: datetime) -> PullResult:
        """Payments changed in QuickBooks since `since` (change data capture), one
        PulledPayment per invoice each pays; deleted and voided ones flagged `deleted`.

        CDC looks back 30 days at most: an older (or no) position reads Payments by query
        instead (which cannot see deleted ones). CDC answers at most 1,000 objects: a full
        answer is read again from the newest change it held until a short one comes back.
        The position returned is the newest change seen, else `now`.
        """
        rows: dict[str, Json] = {}
        if since is None or now - since > CDC_LOOKBACK - CDC_MARGIN:
            for row in self._payments_updated_after(since):
                rows[str(row["Id"])] = row
        else:
            position = since
            while True:
                body = self._get("cdc", entities="Payment",
                                 changedSince=qp.format_time(position))
                batch = qp.cdc_rows(body, "Payment")
                for row in batch:
                    rows[str(row["Id"])] = row
                if len(batch) < CDC_MAX_OBJECTS:
                    break
                # A full answer may be cut short: ask again from the newest change it held
                # (changedSince is inclusive: that second's changes come again, kept once).
                latest = qp.newest(qp.last_updated(row) for row in batch)
                if latest is None or latest <= position:
                    # 1,000 changes within one second: the query pages through them instead.
                    for row in self._payments_updated_after(position, inclusive=True):
                        rows[str(row["Id"])] = row
                    break
                position = latest
        payments = [pulled for row in rows.values() for pulled in qp.pulled_payments(row)]
        latest = qp.newest(qp.last_updated(row) for row in rows.values())
        position_out = latest.astimezone(UTC) if latest is not None else now
        return PullResult(payments=payments, position=position_out)

    def _payments_updated_after(self, since: datetime | None, *,
                                inclusive: bool = False) -> Iterator[Json]:
        where = ""
        if since is not None:
            operator = ">=" if inclusive else ">"
            where = f"MetaData.LastUpdatedTime {operator} {qp.quote(qp.format_time(since))}"
        return self._query("Payment", where, order="MetaData.LastUpdatedTime")

