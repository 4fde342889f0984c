"""Forms for clients, their contacts, tasks and expense categories.

Each builder runs in a worker: it asks the service's own check whether the actor may make
the change (so a refusal shows before the form opens), reads the record's current values and
returns the form's spec.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from keito_core import presenters
from keito_core.platform.identity import get_workspace
from keito_core.services.directory import categories, clients, tasks
from keito_tui.app.screens.manage_forms import Field, FormSpec, Values, flag, optional, text

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules import permissions as policy

CLIENT_FIELDS = (
    Field("name", "Name", placeholder="e.g. Initech"),
    Field("currency", "Currency", placeholder="ISO 4217 code, e.g. GBP"),
    Field("street", "Street"),
    Field("city", "City"),
    Field("region", "Region"),
    Field("postal_code", "Postal code"),
    Field("country", "Country"),
    Field("phone", "Phone"),
)
CONTACT_FIELDS = (
    Field("first_name", "First name"),
    Field("last_name", "Last name"),
    Field("title", "Title"),
    Field("email", "Email"),
    Field("phone_office", "Office phone"),
    Field("phone_mobile", "Mobile phone"),
    Field("fax", "Fax"),
)
TASK_FIELDS = (
    Field("name", "Name", placeholder="e.g. Design"),
    Field("handle", "Handle", placeholder="made from the name when empty"),
    Field("billable", "Billable", kind="bool"),
    Field("rate", "Default rate", placeholder="per hour; empty for none"),
    Field("is_default", "Default task", kind="bool"),
)
CATEGORY_FIELDS = (
    Field("name", "Name", placeholder="e.g. Mileage"),
    Field("unit_name", "Unit name", placeholder="unit-based only, e.g. mile"),
    Field("unit_price", "Unit price", placeholder="unit-based only, e.g. 0.45"),
    Field("billable", "Billable", kind="bool"),
)


def _texts(values: Values, fields: tuple[Field, ...], names: frozenset[str] | None = None,
           ) -> dict[str, str | None]:
    """The text answers of `fields` (only those in `names` when given), None for empty."""
    return {f.name: optional(values, f.name) for f in fields
            if f.kind == "text" and (names is None or f.name in names)}


def client_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new client, or the client `record_id`."""
    clients.check_client_change(actor, creating=record_id is None)
    if record_id is None:
        values: Values = {"currency": get_workspace(session).currency}
    else:
        client, _ = clients.get_client(session, actor=actor, ref=record_id)
        values = {f.name: text(getattr(client, f.name)) for f in CLIENT_FIELDS}

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        answers = _texts(values, CLIENT_FIELDS)
        name = answers.pop("name") or ""
        if record_id is None:
            client = clients.create_client(session, actor=actor, name=name, **answers, now=now)
            return f"Added client {client.name}"
        changes = {k: v for k, v in answers.items() if k in changed}
        if "name" in changed:
            changes["name"] = name
        client = clients.edit_client(session, actor=actor, ref=record_id, **changes, now=now)
        return f"Saved client {client.name}"

    title = "New client" if record_id is None else f"Edit client {values['name']}"
    return FormSpec(title, CLIENT_FIELDS, values, save)


def contact_form(session: Session, actor: policy.Actor, client_id: str,
                 contact_id: str | None) -> FormSpec:
    """A new contact at the client, or the contact `contact_id`."""
    clients.check_contact_change(actor, creating=contact_id is None)
    if contact_id is None:
        values: Values = {}
    else:
        contact = next(c for c in clients.list_contacts(session, actor=actor, client_ref=client_id)
                       if c.id == contact_id)
        values = {f.name: text(getattr(contact, f.name)) for f in CONTACT_FIELDS}

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        answers = _texts(values, CONTACT_FIELDS)
        first = answers.pop("first_name") or ""
        if contact_id is None:
            contact = clients.add_contact(session, actor=actor, client_ref=client_id,
                                          first_name=first, **answers, now=now)
            return f"Added contact {contact.first_name}"
        changes = {k: v for k, v in answers.items() if k in changed}
        if "first_name" in changed:
            changes["first_name"] = first
        contact = clients.edit_contact(session, actor=actor, contact_id=contact_id, **changes,
                                       now=now)
        return f"Saved contact {contact.first_name}"

    title = "New contact" if contact_id is None else f"Edit contact {values['first_name']}"
    return FormSpec(title, CONTACT_FIELDS, values, save)


def task_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new task, or the task `record_id`."""
    tasks.check_task_change(actor, creating=record_id is None)
    if record_id is None:
        values: Values = {"billable": True, "is_default": False}
    else:
        task = presenters.task(tasks.get_task(session, actor=actor, ref=record_id),
                               viewer=actor)
        values = {"name": task["name"], "handle": task["handle"],
                  "rate": text(task.get("default_hourly_rate")),
                  "billable": task["is_billable"], "is_default": task["is_default"]}

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        if record_id is None:
            task = tasks.create_task(
                session, actor=actor, name=str(values["name"]), billable=flag(values, "billable"),
                rate=optional(values, "rate"), is_default=flag(values, "is_default"),
                now=now,
            )
            handle = optional(values, "handle")
            if handle and handle != task.handle:
                tasks.edit_task(session, actor=actor, ref=task.id, handle=handle, now=now)
            return f"Added task {task.name}"
        changes: dict[str, object] = {}
        for name in changed:
            value = values[name]
            changes[name] = value if isinstance(value, bool) or name != "rate" \
                else optional(values, name)
        task = tasks.edit_task(session, actor=actor, ref=record_id, now=now,
                               **changes)  # type: ignore[arg-type]
        return f"Saved task {task.name}"

    title = "New task" if record_id is None else f"Edit task {values['name']}"
    return FormSpec(title, TASK_FIELDS, values, save)


def category_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new expense category, or the category `record_id` (LLM Usage keeps name and unit)."""
    categories.check_category_change(actor)
    note = "Leave the unit empty for a standard category (an amount per expense)."
    if record_id is None:
        values: Values = {"billable": True}
    else:
        category = categories.get_category(session, actor=actor, ref=record_id)
        values = {"name": category.name, "unit_name": text(category.unit_name),
                  "unit_price": text(category.unit_price),
                  "billable": category.is_billable_default}
        if category.is_builtin:
            note = f"{category.name} is built in: only its unit price and billable default change."

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        answers = _texts(values, CATEGORY_FIELDS)
        if record_id is None:
            category = categories.create_category(
                session, actor=actor, name=answers["name"] or "", unit_name=answers["unit_name"],
                unit_price=answers["unit_price"], billable=flag(values, "billable"),
                now=now,
            )
            return f"Added category {category.name}"
        changes: dict[str, object] = {k: v for k, v in answers.items() if k in changed}
        if "name" in changes:
            changes["name"] = changes["name"] or ""
        if "billable" in changed:
            changes["billable"] = flag(values, "billable")
        category = categories.edit_category(session, actor=actor, ref=record_id,
                                            **changes, now=now)  # type: ignore[arg-type]
        return f"Saved category {category.name}"

    title = "New expense category" if record_id is None else f"Edit category {values['name']}"
    return FormSpec(title, CATEGORY_FIELDS, values, save, note=note)
