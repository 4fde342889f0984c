"""Client and contact services: validation, uniqueness, archive, delete guards, permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from keito_core.enums import ManagerPermission, Role
from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, Client, Contact, Invoice, Project, User
from keito_core.platform.ids import new_id
from keito_core.services.directory import clients as svc

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


def _user(workspace, role: Role, permissions: tuple[ManagerPermission, ...] = ()) -> str:
    with workspace.session() as s:
        user = User(id=new_id("user"), name=f"{role} {new_id('user')[-6:]}",
                    email=f"{new_id('user')[-8:]}@acme.test", role=role,
                    manager_permissions=[p.value for p in permissions])
        s.add(user)
    return user.id


def _client(workspace, name: str = "Globex", **kwargs) -> Client:
    with workspace.session() as s:
        return svc.create_client(s, actor=workspace.actor(s), name=name, **kwargs, now=NOW)


def test_create_client_defaults_to_workspace_currency_and_records_audit(workspace):
    client = _client(workspace, street="1 High St\n  Flat 2 ", city=" London ", phone="")
    assert client.id.startswith("cli_")
    assert client.currency == "GBP"
    assert client.street == "1 High St\nFlat 2"
    assert client.city == "London"
    assert client.phone is None
    with workspace.session() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_id == client.id)).all()
        assert [e.action for e in events] == ["client.create"]


def test_create_client_validates_currency_and_name(workspace):
    for kwargs, field in [({"name": "X", "currency": "ABC"}, "currency"),
                          ({"name": "  "}, "name"),
                          ({"name": "X", "city": "c" * 101}, "city"),
                          ({"name": "X", "phone": "1\n2"}, "phone")]:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            svc.create_client(s, actor=workspace.actor(s), **kwargs, now=NOW)
        assert (err.value.code, err.value.field) == ("validation_error", field)
    with workspace.session() as s:
        assert s.exec(select(Client)).all() == []


def test_client_names_are_unique_ignoring_case(workspace):
    _client(workspace, "Globex", currency="eur")
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.create_client(s, actor=workspace.actor(s), name="GLOBEX", now=NOW)
    assert (err.value.code, err.value.field) == ("conflict", "name")
    other = _client(workspace, "Initech")
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.edit_client(s, actor=workspace.actor(s), ref=other.id, name="globex", now=NOW)
    assert err.value.field == "name"


def test_list_filters_by_status_and_sorts_by_name(workspace):
    _client(workspace, "beta")
    _client(workspace, "Alpha")
    gamma = _client(workspace, "Gamma")
    with workspace.session() as s:
        svc.archive_client(s, actor=workspace.actor(s), ref="gamma", now=NOW)
    with workspace.session() as s:
        actor = workspace.actor(s)
        assert [c.name for c in svc.list_clients(s, actor=actor)] == ["Alpha", "beta"]
        assert [c.id for c in svc.list_clients(s, actor=actor, status="archived")] == [gamma.id]
        assert len(svc.list_clients(s, actor=actor, status="all")) == 3
        with pytest.raises(KeitoError) as err:
            svc.list_clients(s, actor=actor, status="gone")
        assert err.value.field == "status"


def test_archive_and_restore(workspace):
    client = _client(workspace)
    with workspace.session() as s:
        archived = svc.archive_client(s, actor=workspace.actor(s), ref="globex", now=NOW)
        assert not archived.is_active and archived.archived_at is not None
    with workspace.session() as s:
        restored = svc.restore_client(s, actor=workspace.actor(s), ref=client.id, now=NOW)
        assert restored.is_active and restored.archived_at is None
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == client.id)).all()
        assert sorted(actions) == ["client.archive", "client.create", "client.restore"]


def test_edit_client_changes_and_clears_fields(workspace):
    client = _client(workspace, city="London", country="UK")
    with workspace.session() as s:
        edited = svc.edit_client(s, actor=workspace.actor(s), ref=client.id, name="Globex Ltd",
                                 currency="usd", city="", postal_code="SW1", now=NOW)
        assert (edited.name, edited.currency, edited.city, edited.postal_code) == (
            "Globex Ltd", "USD", None, "SW1")
        assert edited.country == "UK"


def _invoice(s, client_id: str) -> None:
    s.add(Invoice(id=new_id("invoice"), client_id=client_id, number="INV-1",
                  issue_date=date(2025, 1, 1), due_date=date(2025, 1, 31), currency="GBP",
                  portal_token=new_id("invoice")))


def test_currency_is_fixed_once_the_client_has_invoices(workspace):
    client = _client(workspace)
    with workspace.session() as s:
        _invoice(s, client.id)
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.edit_client(s, actor=workspace.actor(s), ref=client.id, currency="EUR", now=NOW)
    assert (err.value.code, err.value.field) == ("conflict", "currency")
    with workspace.session() as s:
        # Other fields, and the same currency, still edit.
        svc.edit_client(s, actor=workspace.actor(s), ref=client.id, currency="gbp", city="Leeds",
                        now=NOW)
        assert s.get(Client, client.id).currency == "GBP"


def test_delete_refused_while_a_project_or_invoice_refers_to_the_client(workspace):
    client = _client(workspace)
    with workspace.session() as s:
        s.add(Project(id=new_id("project"), client_id=client.id, name="Website",
                      handle="website"))
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.delete_client(s, actor=workspace.actor(s), ref=client.id, now=NOW)
    assert err.value.code == "conflict"
    assert "1 project" in err.value.message
    assert "archive" in err.value.hint
    other = _client(workspace, "Initech")
    with workspace.session() as s:
        _invoice(s, other.id)
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.delete_client(s, actor=workspace.actor(s), ref="initech", now=NOW)
    assert "1 invoice" in err.value.message
    with workspace.session() as s:
        assert len(s.exec(select(Client)).all()) == 2


def test_delete_removes_the_client_and_its_contacts(workspace):
    client = _client(workspace)
    with workspace.session() as s:
        svc.add_contact(s, actor=workspace.actor(s), client_ref=client.id, first_name="Jo", now=NOW)
    with workspace.session() as s:
        svc.delete_client(s, actor=workspace.actor(s), ref="Globex", now=NOW)
    with workspace.session() as s:
        assert s.get(Client, client.id) is None
        assert s.exec(select(Contact)).all() == []
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "client.delete")).one()


def test_contacts_add_list_edit_remove(workspace):
    client = _client(workspace)
    with workspace.session() as s:
        actor = workspace.actor(s)
        jo = svc.add_contact(s, actor=actor, client_ref="globex", first_name=" Jo ",
                             last_name="Bloggs", email="Jo@Globex.TEST", phone_mobile="07700",
                             now=NOW)
        svc.add_contact(s, actor=actor, client_ref=client.id, first_name="Al", now=NOW)
    assert (jo.first_name, jo.email, jo.client_id) == ("Jo", "jo@globex.test", client.id)
    with workspace.session() as s:
        actor = workspace.actor(s)
        assert [c.first_name for c in svc.list_contacts(s, actor=actor, client_ref="Globex")] == [
            "Al", "Jo"]
        edited = svc.edit_contact(s, actor=actor, contact_id=jo.id, title="CFO", email="",
                                  phone_mobile=None, now=NOW)
        assert (edited.title, edited.email, edited.phone_mobile) == ("CFO", None, None)
    with workspace.session() as s:
        svc.remove_contact(s, actor=workspace.actor(s), contact_id=jo.id, now=NOW)
    with workspace.session() as s:
        _, contacts = svc.get_client(s, actor=workspace.actor(s), ref=client.id)
        assert [c.first_name for c in contacts] == ["Al"]


def test_contact_validation_and_unknown_ids(workspace):
    _client(workspace)
    for kwargs, field in [({"first_name": ""}, "first_name"),
                          ({"first_name": "Jo", "email": "not-an-email"}, "email")]:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            svc.add_contact(s, actor=workspace.actor(s), client_ref="Globex", **kwargs, now=NOW)
        assert (err.value.code, err.value.field) == ("validation_error", field)
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.add_contact(s, actor=workspace.actor(s), client_ref="nope", first_name="Jo", now=NOW)
    assert (err.value.code, err.value.field) == ("not_found", "client")
    with workspace.session() as s, pytest.raises(KeitoError) as err:
        svc.edit_contact(s, actor=workspace.actor(s), contact_id="con_missing", title="x", now=NOW)
    assert (err.value.code, err.value.field) == ("not_found", "contact")
    with workspace.session() as s:
        assert s.exec(select(Contact)).all() == []


def test_members_may_not_see_or_change_clients(workspace):
    client = _client(workspace)
    member = _user(workspace, Role.MEMBER)
    calls = [
        lambda s, a: svc.create_client(s, actor=a, name="Umbrella", now=NOW),
        lambda s, a: svc.list_clients(s, actor=a),
        lambda s, a: svc.get_client(s, actor=a, ref=client.id),
        lambda s, a: svc.edit_client(s, actor=a, ref=client.id, name="Hacked", now=NOW),
        lambda s, a: svc.archive_client(s, actor=a, ref=client.id, now=NOW),
        lambda s, a: svc.delete_client(s, actor=a, ref=client.id, now=NOW),
        lambda s, a: svc.add_contact(s, actor=a, client_ref=client.id, first_name="Jo", now=NOW),
    ]
    for call in calls:
        with workspace.session() as s, pytest.raises(KeitoError) as err:
            call(s, workspace.actor(s, member))
        assert err.value.code == "authorization_error"
    with workspace.session() as s:
        assert [c.name for c in s.exec(select(Client)).all()] == ["Globex"]
        assert s.get(Client, client.id).is_active


def test_managers_need_the_clients_permission(workspace):
    plain = _user(workspace, Role.MANAGER)
    granted = _user(workspace, Role.MANAGER, (ManagerPermission.MANAGE_CLIENTS_TASKS,))
    with workspace.session() as s, pytest.raises(KeitoError):
        svc.create_client(s, actor=workspace.actor(s, plain), name="Umbrella", now=NOW)
    with workspace.session() as s:
        created = svc.create_client(s, actor=workspace.actor(s, granted), name="Umbrella", now=NOW)
    assert created.name == "Umbrella"
