"""What the Python API returns: immutable records with the reference SDK's attribute names.

Each record is built from keito_core.presenters's dict of the same thing, so the Python API, the
command line's JSON and the reference REST API agree field by field. Dates and timestamps are
ISO strings as in the reference SDK (`spent_date` "2026-03-06", `created_at`
"2026-03-06T14:30:00Z"). Amounts and hours are `Decimal`, never float, so that sums are exact
(the reference SDK documents floats; `f"{entry.hours:.2f}"`, comparison with numbers and
`sum()` work the same). Fields beyond the reference's (rates, approval status, names ...) are
attributes too, through `extra`; `to_dict()` gives everything.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, Self, TypeVar

T = TypeVar("T")


def plain(value: Any) -> Any:
    """A public-dict value as the reference SDK gives it: ISO strings for dates, enum values."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


@dataclass(frozen=True, kw_only=True)
class Record:
    """A record of the workspace; unknown attribute names fall back to `extra`."""

    extra: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def __getattr__(self, name: str) -> Any:
        if name == "extra" or name.startswith("__"):
            raise AttributeError(name)
        extra = object.__getattribute__(self, "extra")
        if name in extra:
            return extra[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        names = {f.name for f in fields(cls)} - {"extra"}
        known = {name: plain(data.get(name)) for name in names}
        extra = {key: plain(value) for key, value in data.items() if key not in names}
        return cls(**known, extra=extra)

    def to_dict(self) -> dict[str, Any]:
        """Every field, the reference's and the extra ones, as a JSON-ready dict."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out.update(self.extra)
        return out


@dataclass(frozen=True, kw_only=True)
class TimeEntry(Record):
    id: str
    project_id: str
    task_id: str | None
    user_id: str
    spent_date: str
    hours: Decimal
    notes: str | None
    is_running: bool
    is_billable: bool
    source: str
    metadata: dict[str, Any] | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, kw_only=True)
class Expense(Record):
    id: str
    project_id: str
    expense_category_id: str
    user_id: str
    spent_date: str
    units: Decimal | None
    unit_price: Decimal | None
    total_cost: Decimal
    notes: str | None
    is_billable: bool
    source: str
    metadata: dict[str, Any] | None
    created_at: str
    updated_at: str


@dataclass(frozen=True, kw_only=True)
class Project(Record):
    id: str
    name: str
    client_id: str
    billing_type: str
    is_billable: bool
    budget_hours: Decimal | None
    budget_amount: Decimal | None
    is_active: bool
    created_at: str


@dataclass(frozen=True, kw_only=True)
class User(Record):
    id: str
    name: str
    email: str
    user_type: str
    is_active: bool
    billable_rate: Decimal | None
    cost_rate: Decimal | None
    created_at: str


@dataclass(frozen=True, kw_only=True)
class LineItem(Record):
    """An invoice line: quantity x unit_price = amount (rounded once)."""

    id: str
    position: int
    kind: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    taxed: bool
    taxed2: bool
    project_id: str | None


@dataclass(frozen=True, kw_only=True)
class Payment(Record):
    """A payment recorded against an invoice; `balance` is what was due after it."""

    id: str
    amount: Decimal
    paid_date: str
    notes: str | None
    transaction_id: str | None
    balance: Decimal
    created_at: str


@dataclass(frozen=True, kw_only=True)
class InvoiceMessage(Record):
    """An entry of an invoice's history: an email sent, or a state change."""

    id: str
    invoice_id: str
    event_type: str
    sent_by: str | None
    sent_from_email: str | None
    recipients: list[dict[str, str]]
    subject: str | None
    body: str | None
    attach_pdf: bool
    send_me_a_copy: bool
    created_at: str


@dataclass(frozen=True, kw_only=True)
class Invoice(Record):
    """An invoice whole: its figures, line items, payments and message history."""

    id: str
    client_id: str
    number: str
    state: str
    currency: str
    subject: str | None
    purchase_order: str | None
    issue_date: str
    due_date: str
    payment_term: str
    subtotal: Decimal
    discount: Decimal | None
    discount_amount: Decimal
    tax: Decimal | None
    tax_amount: Decimal
    tax2: Decimal | None
    tax2_amount: Decimal
    amount: Decimal
    due_amount: Decimal
    notes: str | None
    line_items: list[LineItem]
    payments: list[Payment]
    messages: list[InvoiceMessage]
    created_at: str
    updated_at: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        nested = {"line_items": [LineItem.from_dict(x) for x in data.get("line_items") or []],
                  "payments": [Payment.from_dict(x) for x in data.get("payments") or []],
                  "messages": [InvoiceMessage.from_dict(x) for x in data.get("messages") or []]}
        record = super().from_dict({k: v for k, v in data.items() if k not in nested})
        for name, value in nested.items():
            object.__setattr__(record, name, value)
        return record

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        for name in ("line_items", "payments", "messages"):
            out[name] = [item.to_dict() for item in out[name]]
        return out


@dataclass(frozen=True, kw_only=True)
class InvoiceSummary(Record):
    """An invoice as lists show it: its figures and aging, without lines."""

    id: str
    client_id: str
    number: str
    state: str
    currency: str
    subject: str | None
    issue_date: str
    due_date: str
    amount: Decimal
    due_amount: Decimal
    is_overdue: bool


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list (the reference's PaginatedResponse); iterate it for its items."""

    data: list[T]
    next_cursor: str | None = None
    has_more: bool = False

    def __iter__(self) -> Iterator[T]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, index: int) -> T:
        return self.data[index]


#: The reference SDK's name for a page.
PaginatedResponse = Page

__all__ = ["Expense", "Invoice", "InvoiceMessage", "InvoiceSummary", "LineItem", "Page",
           "PaginatedResponse", "Payment", "Project", "Record", "TimeEntry", "User"]
