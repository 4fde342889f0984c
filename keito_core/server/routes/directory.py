"""API v2 routes: projects, clients, contacts, tasks and the acting user (users/me).

Lists are newest first (created_at, as Harvest's), one COUNT and one page, of what the policy
lets the acting user see: projects they are on or manage (administrators all); clients and
contacts for managers who may manage clients and tasks or create projects, and
administrators (others are refused, 403); tasks for everyone. Writes go through the directory
services, with their checks: creating and changing clients and contacts needs the managers'
"manage clients and tasks" permission or an administrator.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core import presenters
from keito_core.models import Client, Contact, Project, Task, User
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action
from keito_core.server import shapes
from keito_core.server.call import Call, route
from keito_core.server.paging import envelope, page_of, page_rows
from keito_core.server.shapes_input import Body


def _newest_first(model: Any) -> tuple[Any, Any]:
    return col(model.created_at).desc(), col(model.id).desc()


def _since(call: Call, model: Any) -> list[Any]:
    since = call.instant("updated_since")
    return [] if since is None else [col(model.updated_at) >= since]


def _active(call: Call, model: Any, *, default: bool | None = None) -> list[Any]:
    active = call.flag("is_active")
    if active is None:
        active = default
    return [] if active is None else [col(model.is_active).is_(active)]


# ── projects ─────────────────────────────────────────────────────────────────────────────


@route("GET", "/api/v2/projects", errors=(401,))
def list_projects(call: Call) -> dict[str, Any]:
    """Projects the acting user may see; active ones unless `is_active=false`."""
    page = page_of(call)
    where = [*_active(call, Project, default=True), *_since(call, Project)]
    visible = policy.visible_project_ids(call.actor)
    if visible is not None:
        where.append(col(Project.id).in_(sorted(visible)))
    client_id = call.text("client_id")
    if client_id is not None:
        where.append(col(Project.client_id) == client_id)
    query = (sa.select(Project, col(Client.name))
             .join(Client, col(Client.id) == col(Project.client_id))
             .where(*where).order_by(*_newest_first(Project)))
    total, rows = page_rows(call.session, query, page)
    items = [shapes.project(presenters.project(p, viewer=call.actor), client_name=name)
             for p, name in rows]
    return envelope(call, page, total, "projects", items)


# ── clients ──────────────────────────────────────────────────────────────────────────────


def _client_shape(call: Call, client: Client) -> dict[str, Any]:
    return shapes.client(presenters.client(client, viewer=call.actor), workspace=call.workspace)


def _client_values(body: Body) -> dict[str, Any]:
    """ClientCreate's members the client service keeps: the name, the currency, and the
    address (one text, kept as its street lines). payment_terms, payment_days, tax, tax2 and
    discount are checked but not kept: a Keito invoice takes the workspace's."""
    for name in ("tax", "tax2", "discount"):
        body.number(name, minimum=0)
    body.whole("payment_days", minimum=0)
    body.choice("payment_terms", ("upon_receipt", "net_15", "net_30", "net_45", "net_60",
                                  "custom"))
    values: dict[str, Any] = {}
    for name, field in (("name", "name"), ("currency", "currency"), ("address", "street")):
        if body.has(name):
            values[field] = body.text(name)
    return values


@route("GET", "/api/v2/clients", errors=(401,))
def list_clients(call: Call) -> dict[str, Any]:
    policy.require(call.actor, Action.CLIENT_VIEW)
    page = page_of(call)
    query = (sa.select(Client).where(*_active(call, Client), *_since(call, Client))
             .order_by(*_newest_first(Client)))
    total, rows = page_rows(call.session, query, page)
    return envelope(call, page, total, "clients", [_client_shape(call, r[0]) for r in rows])


@route("POST", "/api/v2/clients", errors=(400, 401, 403))
def create_client(call: Call) -> dict[str, Any]:
    from keito_core.services.directory import clients

    body = Body(call.body)
    body.required("name")
    values = _client_values(body)
    client = clients.create_client(call.session, actor=call.actor, now=call.now, **values)
    if body.flag("is_active") is False:
        client = clients.archive_client(call.session, actor=call.actor, ref=client.id,
                                        now=call.now)
    return _client_shape(call, client)


@route("GET", "/api/v2/clients/{id}", errors=(404,))
def get_client(call: Call) -> dict[str, Any]:
    from keito_core.services.directory import clients

    policy.require(call.actor, Action.CLIENT_VIEW)
    client, _ = clients.get_client(call.session, actor=call.actor, ref=_client_id(call))
    return _client_shape(call, client)


@route("PATCH", "/api/v2/clients/{id}", errors=(403, 404))
def update_client(call: Call) -> dict[str, Any]:
    """Change what is given (the spec's ClientCreate, every member optional); `is_active`
    archives or restores the client."""
    from keito_core.services.directory import clients

    body = Body(call.body)
    values = _client_values(body)
    active = body.flag("is_active")
    clients.check_client_change(call.actor, creating=False)
    client, _ = clients.get_client(call.session, actor=call.actor, ref=_client_id(call))
    if values:
        client = clients.edit_client(call.session, actor=call.actor, ref=client.id,
                                     now=call.now, **values)
    if active is not None and active != client.is_active:
        change = clients.restore_client if active else clients.archive_client
        client = change(call.session, actor=call.actor, ref=client.id, now=call.now)
    return _client_shape(call, client)


def _client_id(call: Call) -> str:
    """The path's client ID; only an ID names a client here (not a name)."""
    from keito_core.errors import not_found

    ref = call.path["id"]
    if call.session.get(Client, ref) is None:
        raise not_found("client", ref, field="id")
    return ref


# ── contacts ─────────────────────────────────────────────────────────────────────────────


@route("GET", "/api/v2/contacts", errors=(401,))
def list_contacts(call: Call) -> dict[str, Any]:
    policy.require(call.actor, Action.CONTACT_VIEW)
    page = page_of(call)
    where = _since(call, Contact)
    client_id = call.text("client_id")
    if client_id is not None:
        where.append(col(Contact.client_id) == client_id)
    query = (sa.select(Contact, col(Client.name))
             .join(Client, col(Client.id) == col(Contact.client_id))
             .where(*where).order_by(*_newest_first(Contact)))
    total, rows = page_rows(call.session, query, page)
    items = [shapes.contact(presenters.contact(c, viewer=call.actor), client_name=name, row=c)
             for c, name in rows]
    return envelope(call, page, total, "contacts", items)


@route("POST", "/api/v2/contacts", errors=(400, 403))
def create_contact(call: Call) -> dict[str, Any]:
    from keito_core.services.directory import clients

    body = Body(call.body)
    client_id = body.text("client_id", required=True)
    first_name = body.text("first_name", required=True)
    assert client_id is not None and first_name is not None
    contact = clients.add_contact(
        call.session, actor=call.actor, client_ref=client_id, first_name=first_name,
        now=call.now, **{name: body.text(name) for name in (
            "last_name", "title", "email", "phone_office", "phone_mobile", "fax")})
    client = call.session.get(Client, contact.client_id)
    return shapes.contact(presenters.contact(contact, viewer=call.actor),
                          client_name=client.name if client else None, row=contact)


# ── tasks ────────────────────────────────────────────────────────────────────────────────


@route("GET", "/api/v2/tasks", errors=(401,))
def list_tasks(call: Call) -> dict[str, Any]:
    policy.require(call.actor, Action.TASK_VIEW)
    page = page_of(call)
    query = (sa.select(Task).where(*_active(call, Task), *_since(call, Task))
             .order_by(*_newest_first(Task)))
    total, rows = page_rows(call.session, query, page)
    items = [shapes.task(presenters.task(r[0], viewer=call.actor)) for r in rows]
    return envelope(call, page, total, "tasks", items)


# ── users/me ─────────────────────────────────────────────────────────────────────────────


@route("GET", "/api/v2/users/me", errors=(401,))
def current_user(call: Call) -> dict[str, Any]:
    """The API key's owner, with their rates as they may see them."""
    from keito_core.services.directory.users import business_role_names

    me = call.session.get(User, call.actor.user_id)
    assert me is not None  # the key was just resolved to this user
    return shapes.user(presenters.user(me, viewer=call.actor), row=me,
                       workspace=call.workspace,
                       business_roles=business_role_names(call.session, me.id))
