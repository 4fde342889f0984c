"""Clients (the billing entities) and their contacts: create, list, edit, archive, delete."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import conflict, not_found, validation
from keito_core.models import Client, Contact, Invoice, Project
from keito_core.platform import audit
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_client
from keito_core.rules import permissions as policy
from keito_core.rules.money import validate_currency
from keito_core.rules.permissions import Action, Actor, Target
from keito_core.rules.text import validate_email, validate_name

#: The statuses a list can show, for clients, tasks and expense categories alike.
STATUSES = ("active", "archived", "all")

#: Optional client text fields and their longest allowed value (street may span lines).
_CLIENT_TEXT = {
    "street": 500,
    "city": 100,
    "region": 100,
    "postal_code": 20,
    "country": 100,
    "phone": 40,
}
_CLIENT_FIELDS = frozenset({"name", "currency", *_CLIENT_TEXT})
_CONTACT_TEXT = {
    "last_name": 100,
    "title": 100,
    "phone_office": 40,
    "phone_mobile": 40,
    "fax": 40,
}
_CONTACT_FIELDS = frozenset({"first_name", "email", *_CONTACT_TEXT})
_TARGET = Target()


def status_clause(column: Any, status: str) -> Any:
    """The WHERE clause on an `is_active` column for a list's status (active, archived, all)."""
    word = (status or "").strip().lower()
    if word not in STATUSES:
        raise validation(f"status must be one of: {', '.join(STATUSES)}", field="status")
    if word == "all":
        return sa.true()
    return column.is_(word == "active")


def optional_text(value: str | None, field: str, max_length: int, *,
                  multiline: bool = False) -> str | None:
    """A stripped optional text value; empty means none. Only `multiline` fields keep breaks."""
    if value is None:
        return None
    cleaned = "\n".join(line.strip() for line in value.strip().splitlines()) if multiline \
        else value.strip()
    if not cleaned:
        return None
    if len(cleaned) > max_length:
        raise validation(f"{field} is longer than {max_length} characters", field=field)
    allowed = {"\n"} if multiline else set()
    if any(unicodedata.category(c) == "Cc" and c not in allowed for c in cleaned):
        raise validation(f"{field} cannot contain line breaks or control characters", field=field)
    return cleaned


def _check_unique_name(session: Session, name: str, *, exclude_id: str | None = None) -> None:
    query = select(Client.id).where(sa.func.lower(Client.name) == name.lower())
    if exclude_id:
        query = query.where(Client.id != exclude_id)
    if session.exec(query).first() is not None:
        raise conflict(f"a client named {name!r} already exists", field="name",
                       hint="client names are unique (ignoring case)")


def _clean_client(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key == "name":
            cleaned[key] = validate_name(value or "", "name")
        elif key == "currency":
            cleaned[key] = validate_currency(value or "")
        else:
            cleaned[key] = optional_text(value, key, _CLIENT_TEXT[key], multiline=key == "street")
    return cleaned


def check_client_change(actor: Actor, *, creating: bool) -> None:
    """Refuse, as create_client (or edit_client) does, an actor who may not add (or change)
    clients: the pre-check of a form."""
    policy.require(actor, Action.CLIENT_CREATE if creating else Action.CLIENT_EDIT, _TARGET)


def check_contact_change(actor: Actor, *, creating: bool) -> None:
    """Refuse, as add_contact (or edit_contact) does, an actor who may not add (or change)
    contacts: the pre-check of a form."""
    policy.require(actor, Action.CONTACT_CREATE if creating else Action.CONTACT_EDIT, _TARGET)


def create_client(
    session: Session,
    *,
    actor: Actor,
    name: str,
    currency: str | None = None,
    street: str | None = None,
    city: str | None = None,
    region: str | None = None,
    postal_code: str | None = None,
    country: str | None = None,
    phone: str | None = None,
    now: datetime,
) -> Client:
    """A new active client; the currency defaults to the workspace's."""
    check_client_change(actor, creating=True)
    values = _clean_client({
        "name": name,
        "currency": currency if currency is not None else get_workspace(session).currency,
        "street": street, "city": city, "region": region, "postal_code": postal_code,
        "country": country, "phone": phone,
    })
    _check_unique_name(session, values["name"])
    client = Client(id=new_id("client"), created_at=now, updated_at=now, **values)
    session.add(client)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="client.create", entity=client,
                 changes=values, now=now)
    return client


def list_clients(session: Session, *, actor: Actor, status: str = "active") -> list[Client]:
    """Clients by name: the active ones, the archived ones or all."""
    policy.require(actor, Action.CLIENT_VIEW)
    query = select(Client).where(status_clause(Client.is_active, status))
    return list(session.exec(query.order_by(sa.func.lower(Client.name), Client.id)).all())


def get_client(session: Session, *, actor: Actor, ref: str) -> tuple[Client, list[Contact]]:
    """A client by ID or name, with its contacts."""
    policy.require(actor, Action.CLIENT_VIEW, _TARGET)
    client = find_client(session, ref)
    return client, _contacts_of(session, client.id)


def edit_client(session: Session, *, actor: Actor, ref: str,
                now: datetime, **changes: Any) -> Client:
    """Change any of name, currency, street, city, region, postal_code, country, phone.

    A None or empty value clears an optional field. The currency is fixed once the client
    has invoices, since their amounts are in it.
    """
    unknown = set(changes) - _CLIENT_FIELDS
    if unknown:
        raise TypeError(f"unknown client fields: {', '.join(sorted(unknown))}")
    check_client_change(actor, creating=False)
    client = find_client(session, ref)
    values = _clean_client(changes)
    if "name" in values and values["name"] != client.name:
        _check_unique_name(session, values["name"], exclude_id=client.id)
    new_currency = values.get("currency", client.currency)
    if new_currency != client.currency and _has_invoices(session, client):
        raise conflict(
            f"client {client.name!r} has invoices: its currency can no longer change",
            field="currency",
            hint="create a new client for billing in another currency",
        )
    audit.save_changes(session, client, values, actor_id=actor.user_id, action="client.edit",
                       now=now)
    return client


def archive_client(session: Session, *, actor: Actor, ref: str, now: datetime) -> Client:
    """Hide a client from active lists; its projects, time and invoices stay (idempotent)."""
    return _set_active(session, actor, ref, active=False, now=now)


def restore_client(session: Session, *, actor: Actor, ref: str, now: datetime) -> Client:
    """Bring an archived client back to the active list (idempotent)."""
    return _set_active(session, actor, ref, active=True, now=now)


def _set_active(session: Session, actor: Actor, ref: str, *, active: bool, now: datetime) -> Client:
    policy.require(actor, Action.CLIENT_ARCHIVE, _TARGET)
    client = find_client(session, ref)
    return audit.set_active(session, client, active, actor_id=actor.user_id, kind="client", now=now)


def delete_client(session: Session, *, actor: Actor, ref: str, now: datetime) -> Client:
    """Delete a client and its contacts, only when no project or invoice refers to it.

    Time entries and expenses belong to projects, so a client without projects has none.
    """
    policy.require(actor, Action.CLIENT_DELETE, _TARGET)
    client = find_client(session, ref)
    projects = _count(session, Project.id, Project.client_id == client.id)
    invoices = _count(session, Invoice.id, Invoice.client_id == client.id)
    if projects or invoices:
        held = [f"{n} {word}{'' if n == 1 else 's'}"
                for n, word in ((projects, "project"), (invoices, "invoice")) if n]
        raise conflict(
            f"client {client.name!r} cannot be deleted: {' and '.join(held)} "
            f"{'refers' if projects + invoices == 1 else 'refer'} to it",
            hint=f"archive it instead: `keito client archive {client.id}`",
        )
    audit.record(session, actor_id=actor.user_id, action="client.delete", entity=client,
                 changes={"name": client.name}, now=now)
    session.execute(sa.delete(Contact).where(col(Contact.client_id) == client.id))
    session.delete(client)
    session.flush()
    return client


def _count(session: Session, column: Any, condition: Any) -> int:
    return int(session.exec(select(sa.func.count(column)).where(condition)).one())


def _has_invoices(session: Session, client: Client) -> bool:
    query = select(Invoice.id).where(Invoice.client_id == client.id)
    return session.exec(query).first() is not None


def _contacts_of(session: Session, client_id: str) -> list[Contact]:
    query = select(Contact).where(Contact.client_id == client_id)
    order = (col(Contact.first_name), col(Contact.last_name), col(Contact.id))
    return list(session.exec(query.order_by(*order)).all())


# --- contacts -----------------------------------------------------------------------------


def _clean_contact(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in values.items():
        if key == "first_name":
            cleaned[key] = validate_name(value or "", "first_name")
            if len(cleaned[key]) > 100:
                raise validation("first_name is longer than 100 characters", field="first_name")
        elif key == "email":
            cleaned[key] = validate_email(value) if value and value.strip() else None
        else:
            cleaned[key] = optional_text(value, key, _CONTACT_TEXT[key])
    return cleaned


def _find_contact(session: Session, contact_id: str) -> Contact:
    contact = session.get(Contact, (contact_id or "").strip())
    if contact is None:
        raise not_found("contact", contact_id, field="contact")
    return contact


def add_contact(
    session: Session,
    *,
    actor: Actor,
    client_ref: str,
    first_name: str,
    last_name: str | None = None,
    title: str | None = None,
    email: str | None = None,
    phone_office: str | None = None,
    phone_mobile: str | None = None,
    fax: str | None = None,
    now: datetime,
) -> Contact:
    """A new contact at a client (the person who receives its invoices)."""
    check_contact_change(actor, creating=True)
    client = find_client(session, client_ref)
    values = _clean_contact({
        "first_name": first_name, "last_name": last_name, "title": title, "email": email,
        "phone_office": phone_office, "phone_mobile": phone_mobile, "fax": fax,
    })
    contact = Contact(id=new_id("contact"), client_id=client.id, created_at=now, updated_at=now,
                      **values)
    session.add(contact)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="contact.create", entity=contact,
                 changes={"client_id": client.id, **values}, now=now)
    return contact


def list_contacts(session: Session, *, actor: Actor, client_ref: str) -> list[Contact]:
    """A client's contacts by name."""
    policy.require(actor, Action.CONTACT_VIEW, _TARGET)
    return _contacts_of(session, find_client(session, client_ref).id)


def edit_contact(session: Session, *, actor: Actor, contact_id: str,
                 now: datetime, **changes: Any) -> Contact:
    """Change any of first_name, last_name, title, email, phone_office, phone_mobile, fax."""
    unknown = set(changes) - _CONTACT_FIELDS
    if unknown:
        raise TypeError(f"unknown contact fields: {', '.join(sorted(unknown))}")
    check_contact_change(actor, creating=False)
    contact = _find_contact(session, contact_id)
    audit.save_changes(session, contact, _clean_contact(changes), actor_id=actor.user_id,
                       action="contact.edit", now=now)
    return contact


def remove_contact(session: Session, *, actor: Actor, contact_id: str, now: datetime) -> Contact:
    """Delete a contact."""
    policy.require(actor, Action.CONTACT_DELETE, _TARGET)
    contact = _find_contact(session, contact_id)
    audit.record(session, actor_id=actor.user_id, action="contact.delete", entity=contact,
                 changes={"client_id": contact.client_id, "first_name": contact.first_name},
                 now=now)
    session.delete(contact)
    session.flush()
    return contact
