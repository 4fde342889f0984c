"""Find records by what people type: an ID, a code, a handle, an email or a name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import KeitoError, not_found, validation
from keito_core.models import Client, ExpenseCategory, Invoice, Project, Task, User
from keito_core.platform.ids import kind_of

T = TypeVar("T")


def _one(
    session: Session, model: type[T], kind: str, ref: str, field: str, columns: list[Any]
) -> T:
    ref = (ref or "").strip()
    if not ref:
        raise KeitoError("validation_error", f"{field} is required", field=field)
    if kind_of(ref) is not None:
        found = session.get(model, ref)
        if found is not None:
            return found
    lowered = ref.lower()
    for column in columns:
        rows = session.exec(select(model).where(sa.func.lower(column) == lowered)).all()
        if len(rows) == 1:
            return rows[0]
        if len(rows) > 1:
            raise _ambiguous(session, kind, ref, field, rows)
    # Last, a unique prefix of the name (the last column): "bob" finds "Bob Smith".
    escaped = lowered.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.exec(
        select(model).where(sa.func.lower(columns[-1]).like(escaped + "%", escape="\\")).limit(6)
    ).all()
    if len(rows) == 1:
        return rows[0]
    if len(rows) > 1:
        raise _ambiguous(session, kind, ref, field, rows)
    raise not_found(kind, ref, field=field)


def _ambiguous(session: Session, kind: str, ref: str, field: str,
               rows: Sequence[Any]) -> KeitoError:
    names = "; ".join(_label(session, row) for row in rows[:5])
    more = "; ..." if len(rows) > 5 else ""
    typed = {"project": "the handle, the code", "user": "the email",
             "client": "the full name"}.get(kind, "the handle")
    return KeitoError(
        "validation_error",
        f"{kind} {ref!r} is ambiguous: it matches {names}{more}",
        field=field,
        hint=f"use {typed} or the ID",
    )


def _label(session: Session, row: Any) -> str:
    """`Support Retainer (Bluebell Health Partners, BHP-SUP, bluebell-support-retainer)`:
    a name with what tells it apart from its namesakes."""
    if isinstance(row, Project):
        client = session.get(Client, row.client_id)
        details = [client.name if client else None, row.code, row.handle]
    elif isinstance(row, User):
        details = [row.email]
    else:
        details = [getattr(row, "handle", None)]
    shown = ", ".join(str(d) for d in details if d)
    name = getattr(row, "name", row.id)
    return f"{name} ({shown})" if shown else str(name)


def find_user(session: Session, ref: str, *, field: str = "user") -> User:
    """A user by ID, email or case-insensitive name."""
    return _one(session, User, "user", ref, field, [User.email, User.name])


def find_client(session: Session, ref: str, *, field: str = "client") -> Client:
    """A client by ID or case-insensitive name."""
    return _one(session, Client, "client", ref, field, [Client.name])


def find_project(session: Session, ref: str, *, field: str = "project") -> Project:
    """A project by ID, code, handle or case-insensitive name."""
    return _one(
        session, Project, "project", ref, field, [Project.code, Project.handle, Project.name]
    )


def find_task(session: Session, ref: str, *, field: str = "task") -> Task:
    """A task by ID, handle or case-insensitive name."""
    return _one(session, Task, "task", ref, field, [Task.handle, Task.name])


def find_category(session: Session, ref: str, *, field: str = "category") -> ExpenseCategory:
    """An expense category by ID, handle or case-insensitive name."""
    return _one(
        session,
        ExpenseCategory,
        "expense category",
        ref,
        field,
        [ExpenseCategory.handle, ExpenseCategory.name],
    )


def unique_handle(session: Session, model: Any, base: str, *, exclude_id: str | None = None) -> str:
    """`base`, or `base-2`, `base-3` ... whichever no other row of `model` uses yet."""
    taken = set(
        session.exec(
            select(model.handle).where(
                sa.or_(model.handle == base, model.handle.like(f"{base}-%")),
                model.id != (exclude_id or ""),
            )
        ).all()
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def find_invoice(session: Session, ref: str, *, field: str = "invoice") -> Invoice:
    """An invoice by ID or number (case-insensitive), else not_found."""
    cleaned = (ref or "").strip()
    if not cleaned:
        raise validation("which invoice? give its number or ID", field=field)
    invoice = session.get(Invoice, cleaned)
    if invoice is None:
        invoice = session.exec(
            select(Invoice).where(sa.func.lower(col(Invoice.number)) == cleaned.lower())
        ).first()
    if invoice is None:
        raise not_found("invoice", cleaned, field=field)
    return invoice
