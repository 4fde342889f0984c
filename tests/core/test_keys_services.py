"""API keys through the services: created hashed, shown once, listed and revoked."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import ApiKey, AuditEvent
from keito_core.platform import identity
from keito_core.services.directory import keys as svc
from keito_core.services.directory.users import archive_user, create_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_user(workspace, name: str, role: str = "member") -> str:
    with workspace.session() as s:
        return create_user(s, actor=workspace.actor(s), name=name,
                           email=f"{name.lower()}@acme.test", role=role, now=NOW).id


def make_key(workspace, *, as_user: str | None = None, **kwargs) -> tuple[str, str]:
    with workspace.session() as s:
        key, secret = svc.create_key(s, actor=workspace.actor(s, as_user), **kwargs, now=NOW)
        return key.id, secret


def fails(workspace, call, *, user_id: str | None = None, **kwargs) -> KeitoError:
    with pytest.raises(KeitoError) as info, workspace.session() as s:
        call(s, actor=workspace.actor(s, user_id), **kwargs)
    return info.value


def test_create_stores_only_the_hash_and_a_prefix(workspace):
    key_id, secret = make_key(workspace, name="CI pipeline")
    assert secret.startswith("keito_sk_") and len(secret) == len("keito_sk_") + 40
    with workspace.session(readonly=True) as s:
        key = s.get(ApiKey, key_id)
        assert key.user_id == workspace.admin_id
        assert key.created_by_id == workspace.admin_id
        assert key.name == "CI pipeline"
        assert key.prefix == secret[: identity.SHOWN_PREFIX_LENGTH]
        assert key.secret_hash == identity.hash_secret(secret)
        row = s.connection().exec_driver_sql("SELECT * FROM api_keys").one()
        assert all(secret not in str(value) for value in row)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "api_key.create")).one()
        assert secret not in str(event.changes)


def test_a_created_key_authenticates_until_revoked(workspace):
    key_id, secret = make_key(workspace)
    with workspace.session() as s:
        assert identity.authenticate(s, secret, now=NOW).id == workspace.admin_id
        assert identity.touch_key(s, secret, now=NOW) is True
        assert s.get(ApiKey, key_id).last_used_at == NOW
        assert identity.touch_key(s, secret, now=NOW) is False  # at most once an hour
    with workspace.session() as s:
        revoked = svc.revoke_key(s, actor=workspace.actor(s), key_ref=key_id, now=NOW)
        assert revoked.revoked_at == NOW
    with pytest.raises(KeitoError) as info, workspace.session() as s:
        identity.authenticate(s, secret, now=NOW)
    assert info.value.code == "authentication_error"
    assert fails(workspace, svc.revoke_key, key_ref=key_id, now=NOW).code == "conflict"


def test_keys_are_found_by_id_prefix_or_secret(workspace):
    key_id, secret = make_key(workspace)
    with workspace.session(readonly=True) as s:
        for ref in (key_id, secret[: identity.SHOWN_PREFIX_LENGTH], secret):
            assert svc.find_key(s, ref).id == key_id
        for ref, code in (("keito_sk_zzzz", "not_found"), ("", "validation_error"),
                          ("keito_sk_" + "x" * 40, "not_found")):
            with pytest.raises(KeitoError) as info:
                svc.find_key(s, ref)
            assert (info.value.code, info.value.field) == (code, "key")


def test_an_ambiguous_prefix_asks_for_the_id(workspace):
    first, _ = make_key(workspace)
    second, _ = make_key(workspace)
    with workspace.session() as s:
        s.get(ApiKey, second).prefix = s.get(ApiKey, first).prefix
    with workspace.session(readonly=True) as s, pytest.raises(KeitoError) as info:
        svc.find_key(s, s.get(ApiKey, first).prefix)
    assert info.value.code == "validation_error"


def test_members_manage_their_own_keys_only(workspace):
    member = add_user(workspace, "Mem")
    other = add_user(workspace, "Other")
    mine, _ = make_key(workspace, as_user=member, name="laptop")
    theirs, _ = make_key(workspace, user_ref=other)  # an administrator creates it for them
    error = fails(workspace, svc.create_key, user_id=member, user_ref=other, now=NOW)
    assert error.code == "authorization_error"
    assert fails(workspace, svc.list_keys, user_id=member, user_ref=other).code == (
        "authorization_error")
    assert fails(workspace, svc.list_keys, user_id=member, all_users=True).code == (
        "authorization_error")
    assert fails(workspace, svc.revoke_key, user_id=member, key_ref=theirs, now=NOW).code == (
        "authorization_error")
    with workspace.session() as s:
        as_member = workspace.actor(s, member)
        assert [k.id for k in svc.list_keys(s, actor=as_member)] == [mine]
        svc.revoke_key(s, actor=as_member, key_ref=mine, now=NOW)
    with workspace.session(readonly=True) as s:
        admin = workspace.actor(s)
        assert s.get(ApiKey, theirs).revoked_at is None
        assert {k.id for k in svc.list_keys(s, actor=admin, all_users=True)} == {mine, theirs}
        assert [k.id for k in svc.list_keys(s, actor=admin, user_ref="Other")] == [theirs]
        assert svc.list_keys(s, actor=admin) == []
        with pytest.raises(KeitoError) as info:
            svc.list_keys(s, actor=admin, user_ref=other, all_users=True)
        assert info.value.field == "user"


def test_managers_cannot_make_keys_for_teammates(workspace):
    from keito_core.services.directory.users import set_teammates

    manager = add_user(workspace, "Man", role="manager")
    member = add_user(workspace, "Mem")
    with workspace.session() as s:
        set_teammates(s, actor=workspace.actor(s), manager_ref=manager, add=[member], now=NOW)
    error = fails(workspace, svc.create_key, user_id=manager, user_ref=member, now=NOW)
    assert error.code == "authorization_error"


def test_archived_users_get_no_keys_and_their_keys_stop_working(workspace):
    member = add_user(workspace, "Mem")
    _, secret = make_key(workspace, user_ref=member)
    with workspace.session() as s:
        archive_user(s, actor=workspace.actor(s), ref=member, now=NOW)
    with pytest.raises(KeitoError) as info, workspace.session() as s:
        identity.authenticate(s, secret, now=NOW)
    assert info.value.code == "authentication_error"
    error = fails(workspace, svc.create_key, user_ref=member, now=NOW)
    assert (error.code, error.field) == ("conflict", "user")
    with workspace.session(readonly=True) as s:
        assert len(s.exec(select(ApiKey)).all()) == 1


def test_key_name_is_validated_and_defaulted(workspace):
    assert fails(workspace, svc.create_key, name="  ", now=NOW).field == "name"
    key_id, _ = make_key(workspace)
    with workspace.session(readonly=True) as s:
        assert s.get(ApiKey, key_id).name == svc.DEFAULT_KEY_NAME
