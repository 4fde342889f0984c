"""The shape every accounting provider (Xero, QuickBooks) has for the sync engine.

The engine (keito_core.sync.engine) owns the outbox, the transactions and the sync records;
a provider owns the vendor's API: it turns documents (keito_core.sync.documents) into the
vendor's requests through `SyncHttp`, finds what already exists remotely before creating
anything, and reports what the remote copy is (`Remote`).

A provider keeps the links of the records it creates along the way (a client's contact, a
project's sub-customer) through `Links`, which the engine backs with `sync_records` rows, each
saved in its own short transaction the moment the vendor answered, so a crash later in the same
push never forgets a contact that was created.

Settings (the administrator's mappings, `SyncConnection.settings`) are a plain dict whose keys
each provider documents in `SETTINGS`; `missing_settings` names what an invoice needs and is not
mapped, before anything is sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from keito_core.enums import SyncProvider
from keito_core.sync.documents import InvoiceDoc, PaymentDoc


@dataclass(frozen=True)
class Remote:
    """A record's copy in the accounting system."""

    id: str
    #: QuickBooks' SyncToken (None for Xero).
    version: str | None = None
    number: str | None = None
    #: The remote invoice's total and what is still due there, to compare with Keito's.
    total: Decimal | None = None
    amount_due: Decimal | None = None
    status: str | None = None


@dataclass(frozen=True)
class Choice:
    """One remote option for a mapping: an account, a tax rate, an item, an employee."""

    id: str
    name: str
    #: e.g. the account's type, the tax rate's percentage, the item's type.
    detail: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PulledPayment:
    """A payment recorded in the accounting system, to record in Keito."""

    remote_id: str
    invoice_remote_id: str
    amount: Decimal
    paid_on: Any  # date
    reference: str | None = None
    deleted: bool = False


@dataclass(frozen=True)
class PullResult:
    payments: list[PulledPayment]
    #: Where the next pull starts (the newest change seen, or the time of the read).
    position: datetime


class Links(Protocol):
    """The sync records of related entities, saved at once (see the module's docstring)."""

    def get(self, entity_type: str, entity_id: str) -> Remote | None: ...

    def save(self, entity_type: str, entity_id: str, remote: Remote) -> None: ...


class Provider(Protocol):
    provider: SyncProvider

    def choices(self) -> dict[str, list[Choice]]:
        """The remote options the settings map to: accounts, tax rates, items, employees."""
        ...

    def missing_settings(self, doc: InvoiceDoc) -> list[str]:
        """What this invoice needs and the settings do not map (empty: ready to send)."""
        ...

    def check_invoice(self, doc: InvoiceDoc) -> None:
        """Refuse, before anything is sent, an invoice the vendor would take wrongly
        (a currency the organisation does not have, a tax rate that differs); raises
        KeitoError naming the cause."""
        ...

    def push_invoice(self, doc: InvoiceDoc, links: Links, *, remote: Remote | None,
                     pdf: Callable[[], tuple[str, bytes]] | None = None) -> Remote:
        """Create (after looking it up by number) or update the invoice and its customer;
        the returned Remote's total must equal the invoice's."""
        ...

    def void_invoice(self, doc: InvoiceDoc | None, links: Links, *, remote: Remote) -> Remote:
        """Void the remote invoice (never a hard delete), removing its payments first where the
        vendor requires it; `doc` is None when the invoice was deleted in Keito."""
        ...

    def push_payment(self, doc: PaymentDoc, links: Links, *, invoice: Remote) -> Remote:
        """Record a payment against the remote invoice (after looking for it by reference)."""
        ...

    def delete_payment(self, links: Links, *, remote: Remote) -> None:
        """Take back a payment removed in Keito."""
        ...


def idempotency_key(provider: SyncProvider | str, operation: str, entity_id: str,
                    content: str) -> str:
    """A key derived from what is sent: the same content repeats the same key (the vendor
    answers a retry with the first answer); changed content is a new request. 64 hex chars,
    under Xero's 128-character limit and fine as QuickBooks' requestid."""
    text = f"keito:{provider}:{operation}:{entity_id}:{content}"
    return hashlib.sha256(text.encode()).hexdigest()
