"""An invoice's lines: add, edit, move and remove; the totals follow every change.

A line is quantity x unit price (amount rounded once, by `rules.invoices`), a kind (service,
product or expense), a description, whether each tax applies, and optionally a project.
Removing a line that billed tracked time or expenses releases them (they can be billed
again); a fixed-fee line's removal lets the fee be billed again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import LineKind
from keito_core.errors import not_found, validation
from keito_core.models import Invoice, InvoiceLine
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_project
from keito_core.platform.notices import warn
from keito_core.rules.invoices import line_amount
from keito_core.rules.money import MAX_AMOUNT, parse_money
from keito_core.rules.permissions import Action, Actor
from keito_core.rules.text import clean_text
from keito_core.services.billing.invoices import (
    check_editable,
    find_invoice,
    recompute,
    release_items,
    require_for_client,
    require_invoice,
)

#: Fields `add_line` and `edit_line` accept.
LINE_FIELDS = frozenset({"kind", "description", "quantity", "unit_price", "taxed", "taxed2",
                         "project"})
MAX_DESCRIPTION = 2000
#: The most lines one invoice may hold.
MAX_LINES = 5000


def _kind(value: LineKind | str) -> LineKind:
    if isinstance(value, LineKind):
        return value
    try:
        return LineKind(str(value).strip().lower())
    except ValueError:
        raise validation(f"line kind must be service, product or expense (not {value!r})",
                         field="kind") from None


def _number(value: Any, field: str, *, allow_negative: bool) -> Decimal:
    if isinstance(value, str):
        value = value.strip()
    number = parse_money(value, field=field, thousands_separator="",
                         allow_negative=allow_negative)
    if abs(number) > MAX_AMOUNT:
        raise validation(f"{field} is too large: {value}", field=field)
    return number


def _flag(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("yes", "true", "1", "on"):
        return True
    if word in ("no", "false", "0", "off"):
        return False
    raise validation(f"{field} must be yes or no (not {value!r})", field=field)


def _apply(session: Session, line: InvoiceLine, invoice: Invoice,
           values: Mapping[str, Any]) -> None:
    unknown = set(values) - LINE_FIELDS
    if unknown:
        name = sorted(unknown)[0]
        raise validation(f"unknown line field: {name}", field=name)
    if "kind" in values:
        line.kind = _kind(values["kind"])
    if "description" in values:
        line.description = clean_text(values["description"], limit=MAX_DESCRIPTION,
                                      field="description") or ""
    if "quantity" in values:
        quantity = _number(values["quantity"], "quantity", allow_negative=False)
        if quantity == 0:
            raise validation("quantity must be more than 0", field="quantity",
                             hint="remove the line instead")
        line.quantity = quantity
    if "unit_price" in values:
        # A negative unit price is a credit line (a discount on one item).
        line.unit_price = _number(values["unit_price"], "unit_price", allow_negative=True)
    if "taxed" in values:
        line.taxed1 = _flag(values["taxed"], "taxed")
    if "taxed2" in values:
        line.taxed2 = _flag(values["taxed2"], "taxed2")
    if "project" in values:
        ref = values["project"]
        if ref in (None, ""):
            line.project_id = None
        else:
            project = find_project(session, str(ref))
            if project.client_id != invoice.client_id:
                raise validation(f"project {project.name} is not this invoice's client's",
                                 field="project")
            line.project_id = project.id
    line_amount(line.quantity, line.unit_price, invoice.currency)


def _editable(session: Session, actor: Actor, ref: str) -> Invoice:
    invoice = find_invoice(session, ref)
    require_invoice(session, actor, Action.INVOICE_EDIT, invoice)
    note = check_editable(invoice)
    if note:
        warn(session, note)
    return invoice


def _lines(session: Session, invoice_id: str) -> list[InvoiceLine]:
    return list(session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                             .order_by(col(InvoiceLine.position), col(InvoiceLine.id))))


def find_line(session: Session, invoice: Invoice, ref: str | int) -> InvoiceLine:
    """A line of `invoice` by its ID or its number on the invoice (1 is the first)."""
    lines = _lines(session, invoice.id)
    text = str(ref).strip()
    if text.isdigit():
        index = int(text)
        if 1 <= index <= len(lines):
            return lines[index - 1]
        raise not_found("line", f"{text} of invoice {invoice.number} "
                        f"(it has {len(lines)})", field="line")
    for line in lines:
        if line.id == text:
            return line
    raise not_found("line", f"{text} on invoice {invoice.number}", field="line")


def add_line(session: Session, *, actor: Actor, invoice_ref: str, values: Mapping[str, Any],
             position: int | None = None, now: datetime) -> InvoiceLine:
    """A new line (at the end, or at 1-based `position`); needs a description or unit price."""
    invoice = _editable(session, actor, invoice_ref)
    lines = _lines(session, invoice.id)
    if len(lines) >= MAX_LINES:
        raise validation(f"an invoice holds at most {MAX_LINES} lines", field="line")
    line = InvoiceLine(id=new_id("invoice_line"), invoice_id=invoice.id, kind=LineKind.SERVICE,
                       description="", quantity=Decimal(1), unit_price=Decimal(0),
                       amount=Decimal(0), taxed1=invoice.tax1_rate is not None,
                       taxed2=invoice.tax2_rate is not None, created_at=now)
    _apply(session, line, invoice, values)
    if not line.description and not line.unit_price:
        raise validation("a line needs a description or a unit price", field="description")
    if line.project_id:
        require_for_client(session, actor, Action.INVOICE_EDIT, _client(session, invoice),
                           [line.project_id])
    lines.insert(_slot(position, len(lines)), line)
    _renumber(lines)
    session.add(line)
    recompute(session, invoice, now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.line_add", entity=invoice,
                 changes=_line_changes(line), now=now)
    return line


def _client(session: Session, invoice: Invoice) -> Any:
    from keito_core.models import Client

    return session.get(Client, invoice.client_id)


def _slot(position: int | None, count: int) -> int:
    if position is None:
        return count
    if isinstance(position, bool) or not 1 <= position <= count + 1:
        raise validation(f"position must be between 1 and {count + 1}", field="position")
    return position - 1


def _renumber(lines: list[InvoiceLine]) -> None:
    for index, line in enumerate(lines, start=1):
        line.position = index


def _line_changes(line: InvoiceLine) -> dict[str, Any]:
    return {"line_id": line.id, "kind": line.kind, "description": line.description,
            "quantity": line.quantity, "unit_price": line.unit_price,
            "taxed": line.taxed1, "taxed2": line.taxed2, "project_id": line.project_id}


def edit_line(session: Session, *, actor: Actor, invoice_ref: str, line_ref: str | int,
              values: Mapping[str, Any], now: datetime) -> InvoiceLine:
    """Change a line's fields; the amount and the totals follow."""
    invoice = _editable(session, actor, invoice_ref)
    line = find_line(session, invoice, line_ref)
    if not values:
        raise validation("nothing to change", hint="give at least one field to change")
    before = _line_changes(line)
    _apply(session, line, invoice, values)
    if line.project_id and line.project_id != before["project_id"]:
        require_for_client(session, actor, Action.INVOICE_EDIT, _client(session, invoice),
                           [line.project_id])
    recompute(session, invoice, now=now)
    after = _line_changes(line)
    audit.record(session, actor_id=actor.user_id, action="invoice.line_edit", entity=invoice,
                 changes={"line_id": line.id, **{k: v for k, v in after.items()
                                                 if before[k] != v}}, now=now)
    return line


def move_line(session: Session, *, actor: Actor, invoice_ref: str, line_ref: str | int,
              position: int, now: datetime) -> InvoiceLine:
    """Put a line at 1-based `position`, the others keeping their order."""
    invoice = _editable(session, actor, invoice_ref)
    line = find_line(session, invoice, line_ref)
    lines = [x for x in _lines(session, invoice.id) if x.id != line.id]
    lines.insert(_slot(position, len(lines)), line)
    _renumber(lines)
    invoice.updated_at = now
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="invoice.line_move", entity=invoice,
                 changes={"line_id": line.id, "position": line.position}, now=now)
    return line


def remove_line(session: Session, *, actor: Actor, invoice_ref: str, line_ref: str | int,
                now: datetime) -> tuple[InvoiceLine, int]:
    """Remove a line; the items it billed are released. The line and how many were released."""
    invoice = _editable(session, actor, invoice_ref)
    line = find_line(session, invoice, line_ref)
    released = release_items(session, invoice_id=invoice.id, line_id=line.id, now=now)
    changes = {**_line_changes(line), "released": released}
    session.execute(sa.delete(InvoiceLine).where(col(InvoiceLine.id) == line.id))
    session.expunge(line)
    _renumber(_lines(session, invoice.id))
    recompute(session, invoice, now=now)
    audit.record(session, actor_id=actor.user_id, action="invoice.line_remove", entity=invoice,
                 changes=changes, now=now)
    return line, released
