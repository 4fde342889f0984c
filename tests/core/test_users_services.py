"""Users, manager permissions, teammates and business roles through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlmodel import select

from keito_core.enums import EmploymentType, Role, UserStatus, UserType
from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, BusinessRole, ManagerTeammate, User
from keito_core.services.directory import users as svc

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


def add(workspace, **kwargs) -> str:
    """Create a user as the administrator; return its ID."""
    kwargs.setdefault("email", f"{kwargs['name'].lower().replace(' ', '.')}@acme.test")
    with workspace.session() as s:
        return svc.create_user(s, actor=workspace.actor(s), **kwargs, now=NOW).id


def fails(workspace, call, *, user_id: str | None = None, **kwargs) -> KeitoError:
    """Run a service as `user_id` (default: the administrator) expecting a KeitoError."""
    with pytest.raises(KeitoError) as info, workspace.session() as s:
        call(s, actor=workspace.actor(s, user_id), **kwargs)
    return info.value


def load(workspace, user_id: str) -> User:
    with workspace.session(readonly=True) as s:
        user = s.get(User, user_id)
        s.expunge(user)
        return user


# --- create ------------------------------------------------------------------------------


def test_create_human_with_every_field(workspace):
    uid = add(workspace, name="Bob Builder", email="Bob@Acme.test", role="administrator",
              rate="120.50", cost_rate="60", capacity="37.5", employment="contractor",
              timezone="Europe/Paris", status="pending", phone="+44 1234",
              employee_id="E-7", business_roles=["Designer", "developer"])
    with workspace.session(readonly=True) as s:
        user = s.get(User, uid)
        assert user.email == "bob@acme.test"
        assert user.role is Role.ADMIN
        assert user.status is UserStatus.PENDING
        assert user.user_type is UserType.HUMAN
        assert user.employment_type is EmploymentType.CONTRACTOR
        assert user.default_rate == Decimal("120.50")
        assert user.cost_rate == Decimal("60")
        assert user.weekly_capacity_seconds == 37.5 * 3600
        assert user.timezone == "Europe/Paris"
        assert (user.phone, user.employee_id) == ("+44 1234", "E-7")
        assert svc.business_role_names(s, uid) == ["Designer", "developer"]
        events = s.exec(select(AuditEvent).where(AuditEvent.entity_id == uid)).all()
        assert [e.action for e in events] == ["user.create"]


def test_agent_without_email_gets_a_unique_placeholder(workspace):
    first = load(workspace, add(workspace, name="Review Bot", email=None, agent=True, rate="75"))
    second = load(workspace, add(workspace, name="review bot", email=None, agent=True))
    assert first.user_type is UserType.AGENT
    assert first.email == "review-bot@agents.keito.local"
    assert second.email == "review-bot-2@agents.keito.local"
    assert first.default_rate == Decimal("75")


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"email": None}, "validation_error", "email"),
        ({"email": "not-an-email"}, "validation_error", "email"),
        ({"email": "ADA@acme.test"}, "conflict", "email"),
        ({"rate": "-5"}, "validation_error", "rate"),
        ({"cost_rate": "-1"}, "validation_error", "cost_rate"),
        ({"rate": "abc"}, "validation_error", "rate"),
        ({"role": "owner"}, "validation_error", "role"),
        ({"capacity": "169"}, "validation_error", "capacity"),
        ({"capacity": "-1"}, "validation_error", "capacity"),
        ({"capacity": "lots"}, "validation_error", "capacity"),
        ({"employment": "intern"}, "validation_error", "employment"),
        ({"timezone": "Mars/Base"}, "validation_error", "timezone"),
        ({"status": "archived"}, "validation_error", "status"),
        ({"name": "  "}, "validation_error", "name"),
        ({"business_roles": [" "]}, "validation_error", "business_role"),
    ],
)
def test_create_rejects_bad_input_and_writes_nothing(workspace, kwargs, code, field):
    args = {"name": "Carol", "email": "carol@acme.test", **kwargs}
    error = fails(workspace, svc.create_user, **args, now=NOW)
    assert (error.code, error.field) == (code, field)
    with workspace.session(readonly=True) as s:
        assert len(s.exec(select(User)).all()) == 1
        assert s.exec(select(BusinessRole)).all() == []


def test_capacity_bounds_are_inclusive(workspace):
    assert load(workspace, add(workspace, name="Zero", capacity="0")).weekly_capacity_seconds == 0
    full = load(workspace, add(workspace, name="Full", capacity=168))
    assert full.weekly_capacity_seconds == 168 * 3600


def test_only_admins_add_users(workspace):
    member = add(workspace, name="Mem")
    manager = add(workspace, name="Man", role="manager")
    for actor_id in (member, manager):
        error = fails(workspace, svc.create_user, user_id=actor_id, name="X", email="x@acme.test",
                      now=NOW)
        assert error.code == "authorization_error"
    with workspace.session(readonly=True) as s:
        assert s.exec(select(User).where(User.email == "x@acme.test")).first() is None


# --- list and get ------------------------------------------------------------------------


def test_list_filters_by_type_status_and_role(workspace):
    bot = add(workspace, name="Bot", email=None, agent=True)
    pending = add(workspace, name="Pen", status="pending", role="manager")
    gone = add(workspace, name="Gone")
    with workspace.session() as s:
        svc.archive_user(s, actor=workspace.actor(s), ref=gone, now=NOW)
    with workspace.session(readonly=True) as s:
        actor = workspace.actor(s)

        def names(**kw):
            return [u.name for u in svc.list_users(s, actor=actor, **kw)]

        assert names() == ["Ada Admin", "Bot", "Pen"]
        assert names(user_type="agent") == ["Bot"]
        assert names(user_type="human") == ["Ada Admin", "Pen"]
        assert names(status="archived") == ["Gone"]
        assert names(status="pending") == ["Pen"]
        assert names(status="active") == ["Ada Admin", "Bot"]
        assert names(status="all") == ["Ada Admin", "Bot", "Gone", "Pen"]
        assert names(role="manager") == ["Pen"]
        assert names(role="administrator") == ["Ada Admin"]
        for kw, field in (({"status": "x"}, "status"), ({"user_type": "robot"}, "user_type"),
                          ({"role": "boss"}, "role")):
            with pytest.raises(KeitoError) as info:
                names(**kw)
            assert info.value.field == field
    assert bot and pending


def test_members_see_themselves_and_managers_their_teammates(workspace):
    member = add(workspace, name="Mem")
    other = add(workspace, name="Other")
    manager = add(workspace, name="Man", role="manager")
    with workspace.session() as s:
        svc.set_teammates(s, actor=workspace.actor(s), manager_ref=manager, add=[member], now=NOW)
    with workspace.session(readonly=True) as s:
        as_member = workspace.actor(s, member)
        assert [u.id for u in svc.list_users(s, actor=as_member)] == [member]
        as_manager = workspace.actor(s, manager)
        assert {u.id for u in svc.list_users(s, actor=as_manager)} == {member, manager}
        assert svc.get_user(s, actor=as_manager, ref="Mem").id == member
        assert svc.get_user(s, actor=as_member, ref="me").id == member
        with pytest.raises(KeitoError) as info:
            svc.get_user(s, actor=as_manager, ref=other)
        assert info.value.code == "authorization_error"
        with pytest.raises(KeitoError) as info:
            svc.get_user(s, actor=as_member, ref="nobody@acme.test")
        assert info.value.code == "not_found"


# --- edit --------------------------------------------------------------------------------


def test_admin_edits_everything_and_the_change_is_audited(workspace):
    uid = add(workspace, name="Bob", rate="100")
    with workspace.session() as s:
        svc.edit_user(s, actor=workspace.actor(s), ref="bob@acme.test", name="Robert",
                      email="robert@acme.test", role="manager", rate="110", cost_rate=None,
                      capacity="20", employment="contractor", timezone="Asia/Tokyo",
                      phone="123", employee_id="E1", notify_email=False, agent=True,
                      business_roles=["QA"], now=NOW)
    user = load(workspace, uid)
    assert (user.name, user.email, user.role) == ("Robert", "robert@acme.test", Role.MANAGER)
    assert user.default_rate == Decimal("110")
    assert user.weekly_capacity_seconds == 20 * 3600
    assert user.employment_type is EmploymentType.CONTRACTOR
    assert user.user_type is UserType.AGENT
    assert (user.timezone, user.phone, user.employee_id) == ("Asia/Tokyo", "123", "E1")
    assert user.notify_email is False
    with workspace.session(readonly=True) as s:
        assert svc.business_role_names(s, uid) == ["QA"]
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "user.edit")).one()
        assert event.changes["name"] == ["Bob", "Robert"]
        assert [Decimal(v) for v in event.changes["default_rate"]] == [100, 110]
        assert event.changes["business_roles"] == [[], ["QA"]]


def test_edit_clears_optional_fields_and_reuses_business_roles(workspace):
    uid = add(workspace, name="Bob", rate="100", capacity="30", timezone="UTC",
              business_roles=["Designer"])
    other = add(workspace, name="Eve", business_roles=["designer"])
    with workspace.session() as s:
        svc.edit_user(s, actor=workspace.actor(s), ref=uid, rate=None, capacity=None,
                      timezone=None, business_roles=[], now=NOW)
        assert len(s.exec(select(BusinessRole)).all()) == 1
        assert svc.business_role_names(s, other) == ["Designer"]
    user = load(workspace, uid)
    assert (user.default_rate, user.weekly_capacity_seconds, user.timezone) == (None, None, None)


def test_members_edit_only_their_own_profile(workspace):
    member = add(workspace, name="Mem", rate="50")
    other = add(workspace, name="Other")
    with workspace.session() as s:
        svc.edit_user(s, actor=workspace.actor(s, member), ref="me", name="Mem Two",
                      timezone="Europe/Berlin", phone="555", notify_email=False, now=NOW)
    assert load(workspace, member).name == "Mem Two"
    for changes in ({"role": "admin"}, {"rate": "500"}, {"capacity": "10"},
                    {"agent": True}, {"email": "m@acme.test"}, {"grant": ["view_rates"]},
                    {"business_roles": ["Boss"]}):
        error = fails(workspace, svc.edit_user, user_id=member, ref=member, **changes, now=NOW)
        assert error.code == "authorization_error", changes
    error = fails(workspace, svc.edit_user, user_id=member, ref=other, name="Hacked", now=NOW)
    assert error.code == "authorization_error"
    user = load(workspace, member)
    assert (user.role, user.default_rate) == (Role.MEMBER, Decimal("50"))
    assert load(workspace, other).name == "Other"


def test_edit_rejects_bad_values(workspace):
    uid = add(workspace, name="Bob")
    add(workspace, name="Eve")
    for changes, code, field in [
        ({"email": "EVE@acme.test"}, "conflict", "email"),
        ({"email": "bad"}, "validation_error", "email"),
        ({"role": "god"}, "validation_error", "role"),
        ({"rate": "-1"}, "validation_error", "rate"),
        ({"capacity": "200"}, "validation_error", "capacity"),
        ({"colour": "red"}, "validation_error", "colour"),
        ({}, "validation_error", None),
    ]:
        error = fails(workspace, svc.edit_user, ref=uid, **changes, now=NOW)
        assert (error.code, error.field) == (code, field), changes
    assert load(workspace, uid).email == "bob@acme.test"


def test_manager_permissions_grant_and_revoke(workspace):
    uid = add(workspace, name="Man", role="manager")
    with workspace.session() as s:
        user = svc.edit_user(s, actor=workspace.actor(s), ref=uid,
                             grant=["view_rates", "create-projects", "VIEW_RATES"], now=NOW)
        assert user.manager_permissions == ["view_rates", "create_projects"]
    with workspace.session() as s:
        actor = workspace.actor(s, uid)
        assert {p.value for p in actor.permissions} == {"view_rates", "create_projects"}
        user = svc.edit_user(s, actor=workspace.actor(s), ref=uid, revoke=["view_rates"],
                             grant=["draft_invoices"], now=NOW)
    assert load(workspace, uid).manager_permissions == ["create_projects", "draft_invoices"]
    for kwargs, field in (({"grant": ["fly"]}, "grant"), ({"revoke": ["fly"]}, "revoke"),
                          ({"grant": ["view_rates"], "revoke": ["view_rates"]}, "grant")):
        error = fails(workspace, svc.edit_user, ref=uid, **kwargs, now=NOW)
        assert (error.code, error.field) == ("validation_error", field)
    member = add(workspace, name="Mem")
    error = fails(workspace, svc.edit_user, ref=member, grant=["view_rates"], now=NOW)
    assert (error.code, error.field) == ("validation_error", "grant")
    with workspace.session() as s:  # promoting and granting in one edit is fine
        svc.edit_user(s, actor=workspace.actor(s), ref=member, role="manager",
                      grant=["view_rates"], now=NOW)
    assert load(workspace, member).manager_permissions == ["view_rates"]
    error = fails(workspace, svc.edit_user, user_id=uid, ref=uid, grant=["send_invoices"], now=NOW)
    assert error.code == "authorization_error"


def test_the_last_active_administrator_is_protected(workspace):
    error = fails(workspace, svc.edit_user, ref=workspace.admin_id, role="member", now=NOW)
    assert error.code == "conflict"
    second = add(workspace, name="Second", role="admin")
    with workspace.session() as s:
        svc.archive_user(s, actor=workspace.actor(s), ref=second, now=NOW)
    # An archived administrator does not count.
    error = fails(workspace, svc.edit_user, ref=workspace.admin_id, role="manager", now=NOW)
    assert error.code == "conflict"
    with workspace.session() as s:
        svc.reactivate_user(s, actor=workspace.actor(s), ref=second, now=NOW)
        svc.edit_user(s, actor=workspace.actor(s), ref=workspace.admin_id, role="manager", now=NOW)
    assert load(workspace, workspace.admin_id).role is Role.MANAGER
    # Now `second` is the last one: it can be neither demoted nor archived.
    assert fails(workspace, svc.edit_user, user_id=second, ref=second,
                 role="member", now=NOW).code == "conflict"
    error = fails(workspace, svc.archive_user, user_id=second, ref=second, now=NOW)
    assert error.code == "conflict" and "administrator" in error.message


# --- archive -----------------------------------------------------------------------------


def test_archive_and_reactivate(workspace):
    uid = add(workspace, name="Bob")
    with workspace.session() as s:
        user = svc.archive_user(s, actor=workspace.actor(s), ref="Bob", now=NOW)
        assert user.status is UserStatus.ARCHIVED and user.archived_at is not None
    assert fails(workspace, svc.archive_user, ref=uid, now=NOW).code == "conflict"
    with workspace.session() as s:
        user = svc.reactivate_user(s, actor=workspace.actor(s), ref=uid, now=NOW)
        assert user.status is UserStatus.ACTIVE and user.archived_at is None
    assert fails(workspace, svc.reactivate_user, ref=uid, now=NOW).code == "conflict"
    with workspace.session(readonly=True) as s:
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == uid)).all()
        assert actions == ["user.create", "user.archive", "user.reactivate"]


def test_pending_users_can_be_activated(workspace):
    uid = add(workspace, name="Pen", status="pending")
    with workspace.session() as s:
        assert svc.reactivate_user(s, actor=workspace.actor(s), ref=uid, now=NOW).status == "active"


def test_archive_refuses_the_default_user_and_non_admins(workspace):
    add(workspace, name="Second", role="admin")
    error = fails(workspace, svc.archive_user, ref=workspace.admin_id, now=NOW)
    assert error.code == "conflict" and "default_user" in error.hint
    member = add(workspace, name="Mem")
    error = fails(workspace, svc.archive_user, user_id=member, ref="Second", now=NOW)
    assert error.code == "authorization_error"
    assert load(workspace, workspace.admin_id).status is UserStatus.ACTIVE


# --- teammates ---------------------------------------------------------------------------


def test_teammates_add_remove_and_list(workspace):
    manager = add(workspace, name="Man", role="manager")
    a, b = add(workspace, name="Alice"), add(workspace, name="Bea")
    with workspace.session() as s:
        admin = workspace.actor(s)
        team = svc.set_teammates(s, actor=admin, manager_ref="Man", add=["Bea", a, "alice"],
                                 now=NOW)
        assert [u.name for u in team] == ["Alice", "Bea"]
        again = svc.set_teammates(s, actor=admin, manager_ref=manager, add=[a], now=NOW)
        assert [u.id for u in again] == [a, b]
    with workspace.session() as s:
        assert workspace.actor(s, manager).teammate_ids == {a, b}
        team = svc.set_teammates(s, actor=workspace.actor(s), manager_ref=manager,
                                 remove=[b, b], now=NOW)
        assert [u.id for u in team] == [a]
        assert svc.set_teammates(s, actor=workspace.actor(s), manager_ref=manager,
                                 remove=[b], now=NOW) == team
    with workspace.session(readonly=True) as s:
        listed = svc.list_teammates(s, actor=workspace.actor(s, manager), manager_ref="me")
        assert [u.id for u in listed] == [a]
        assert len(s.exec(select(ManagerTeammate)).all()) == 1
        changes = s.exec(select(AuditEvent.changes)
                         .where(AuditEvent.action == "user.teammates")).all()
        assert len(changes) == 2
        assert {"added": [b, a], "removed": []} in changes
        assert {"added": [], "removed": [b]} in changes


def test_teammates_are_checked(workspace):
    manager = add(workspace, name="Man", role="manager")
    member = add(workspace, name="Mem")
    gone = add(workspace, name="Gone")
    with workspace.session() as s:
        svc.archive_user(s, actor=workspace.actor(s), ref=gone, now=NOW)
    cases = [
        ({"manager_ref": member, "add": [manager]}, "validation_error", "manager"),
        ({"manager_ref": manager, "add": [manager]}, "validation_error", "add"),
        ({"manager_ref": manager, "add": [gone]}, "validation_error", "add"),
        ({"manager_ref": manager, "add": ["nobody"]}, "not_found", "add"),
        ({"manager_ref": "nobody", "add": [member]}, "not_found", "manager"),
    ]
    for kwargs, code, field in cases:
        error = fails(workspace, svc.set_teammates, **kwargs, now=NOW)
        assert (error.code, error.field) == (code, field), kwargs
    error = fails(workspace, svc.set_teammates, user_id=manager, manager_ref=manager,
                  add=[member], now=NOW)
    assert error.code == "authorization_error"
    error = fails(workspace, svc.list_teammates, user_id=member, manager_ref=manager)
    assert error.code == "authorization_error"
    with workspace.session(readonly=True) as s:
        assert s.exec(select(ManagerTeammate)).all() == []
    # An administrator may have teammates too.
    with workspace.session() as s:
        team = svc.set_teammates(s, actor=workspace.actor(s), manager_ref=workspace.admin_id,
                                 add=[member], now=NOW)
        assert [u.id for u in team] == [member]
