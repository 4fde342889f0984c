"""Connecting and disconnecting: administrators only, one integration at a time, a reconnect
keeps the settings, a refused grant marks the connection, a disconnect keeps the records."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from sqlmodel import select

from keito_core.enums import ConnectionStatus, SyncProvider, SyncStatus
from keito_core.errors import KeitoError
from keito_core.models import AuditEvent
from keito_core.models.sync import SyncConnection, SyncRecord
from keito_core.platform import db
from keito_core.platform.ids import new_id
from keito_core.services.directory import users
from keito_core.sync import connection as sync
from keito_core.sync.oauth import GrantLost, TokenSet
from keito_core.sync.tokens import StoredTokens, TokenStore

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_keyring():
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def member_id(workspace):
    with workspace.session() as s:
        return users.create_user(s, actor=workspace.actor(s), name="Mia Member",
                                 email="mia@acme.test", now=T0).id


def connect(workspace, provider="xero", tenant="t-1", name="Demo Ltd", user_id=None):
    with workspace.session() as s:
        actor = workspace.actor(s, user_id)
        sync.begin_connect(s, actor=actor, provider=provider)
        return sync.complete_connect(s, actor=actor, provider=provider, tenant_id=tenant,
                                     tenant_name=name, now=T0)


def test_an_administrator_connects_and_it_is_audited(workspace):
    made = connect(workspace)
    with workspace.session(readonly=True) as s:
        active = sync.active_connection(s)
        assert active is not None and active.id == made.id
        assert (active.provider, active.tenant_id, active.tenant_name, active.status) == (
            SyncProvider.XERO, "t-1", "Demo Ltd", ConnectionStatus.ACTIVE)
        assert active.connected_by_id == workspace.admin_id
        assert sync.require_active_connection(s).id == made.id
        actions = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == made.id)).all()
    assert list(actions) == ["sync_connection.connect"]


def test_a_member_may_not_connect_or_disconnect(workspace, member_id):
    with workspace.session() as s:
        member = workspace.actor(s, member_id)
        for attempt in (
            lambda: sync.begin_connect(s, actor=member, provider="xero"),
            lambda: sync.complete_connect(s, actor=member, provider="xero", tenant_id="t",
                                          tenant_name=None, now=T0),
            lambda: sync.disconnect(s, actor=member, now=T0),
        ):
            with pytest.raises(KeitoError) as caught:
                attempt()
            assert caught.value.code == "authorization_error"
            assert "manage integrations" in caught.value.message
        assert sync.active_connection(s) is None


def test_one_integration_at_a_time(workspace):
    connect(workspace, "xero")
    with workspace.session() as s:
        admin = workspace.actor(s)
        with pytest.raises(KeitoError) as caught:
            sync.begin_connect(s, actor=admin, provider="quickbooks")
        assert caught.value.code == "conflict"
        assert "Xero is connected" in caught.value.message
        assert "keito sync disconnect" in (caught.value.hint or "")
        with pytest.raises(KeitoError) as again:
            sync.complete_connect(s, actor=admin, provider="quickbooks", tenant_id="9130",
                                  tenant_name=None, now=T0)
        assert again.value.code == "conflict"


def test_the_database_holds_one_active_connection_too(workspace):
    connect(workspace, "xero")
    with pytest.raises(Exception) as caught, workspace.session() as s:
        s.add(SyncConnection(id=new_id("sync_connection"), provider=SyncProvider.QUICKBOOKS,
                             tenant_id="9130", settings={}, created_at=T0, updated_at=T0))
        s.flush()
    assert "unique" in str(caught.value).lower()


def test_connecting_the_same_provider_again_reconnects_and_keeps_settings(workspace):
    first = connect(workspace)
    with workspace.session() as s:
        row = s.get(SyncConnection, first.id)
        row.settings = {"revenue_account": "200"}
        sync.mark_needs_reconnect(s, connection_id=first.id, reason="refused", now=T0)
    with workspace.session(readonly=True) as s, pytest.raises(KeitoError) as caught:
        sync.require_active_connection(s)
    assert caught.value.code == "authentication_error"
    assert "keito sync connect xero" in caught.value.message
    again = connect(workspace, tenant="t-1", name="Demo Ltd (renamed)")
    assert again.id == first.id
    with workspace.session(readonly=True) as s:
        row = s.get(SyncConnection, first.id)
        assert row.status is ConnectionStatus.ACTIVE and row.last_error is None
        assert row.settings == {"revenue_account": "200"}
        assert row.tenant_name == "Demo Ltd (renamed)"
        assert len(s.exec(select(SyncConnection)).all()) == 1


def save_tokens(workspace, connection_id):
    """Tokens for the connection in the test's KEITO_HOME (the `workspace` fixture's)."""
    store = TokenStore(connection_id, config_dir=Path(os.environ["KEITO_HOME"]))
    store.save(TokenSet("at-1", T0 + timedelta(minutes=30), "rt-1"))
    return store


def add_record(workspace, provider=SyncProvider.XERO):
    with workspace.session() as s:
        record = SyncRecord(id=new_id("sync_record"), provider=provider, entity_type="invoice",
                            entity_id="inv_x", remote_id="R-1", status=SyncStatus.SUCCESS,
                            tenant_id="t-1", created_at=T0, updated_at=T0)
        s.add(record)
        return record.id


def test_disconnect_revokes_forgets_the_tokens_and_keeps_the_records(workspace):
    made = connect(workspace)
    store = save_tokens(workspace, made.id)
    record_id = add_record(workspace)
    revoked: list[tuple[str, str]] = []
    with workspace.session() as s:
        result = sync.disconnect(
            s, actor=workspace.actor(s), now=T0 + timedelta(days=1),
            token_store=lambda c: TokenStore(c.id, config_dir=store.config_dir),
            revoke=lambda c, token: revoked.append((c.id, token)))
    assert revoked == [(made.id, "rt-1")]
    assert result.revoked and result.revoke_error is None and result.tokens_deleted
    assert store.load() is None
    with workspace.session(readonly=True) as s:
        row = s.get(SyncConnection, made.id)
        assert (row.is_active, row.status) == (False, ConnectionStatus.DISCONNECTED)
        assert row.disconnected_at == T0 + timedelta(days=1)
        assert sync.active_connection(s) is None
        assert s.get(SyncRecord, record_id).remote_id == "R-1"
        actions = set(s.exec(select(AuditEvent.action)
                             .where(AuditEvent.entity_id == made.id)).all())
    assert {"sync_connection.disconnect", "sync_connection.revoke"} <= actions
    # Another provider may connect now.
    assert connect(workspace, "quickbooks", tenant="9130").provider is SyncProvider.QUICKBOOKS


def test_a_failed_revocation_is_reported_and_the_disconnect_still_happens(workspace):
    made = connect(workspace)
    store = save_tokens(workspace, made.id)

    def refuse(connection, token):
        raise KeitoError("network_error", "cannot reach identity.xero.com")

    with workspace.session() as s:
        result = sync.disconnect(s, actor=workspace.actor(s), now=T0,
                                 token_store=lambda c: store, revoke=refuse)
    assert not result.revoked and result.revoke_error == "cannot reach identity.xero.com"
    assert store.load() is None
    with workspace.session(readonly=True) as s:
        assert sync.active_connection(s) is None


def test_disconnect_without_a_connection_is_not_found(workspace):
    with workspace.session() as s, pytest.raises(KeitoError) as caught:
        sync.disconnect(s, actor=workspace.actor(s), now=T0)
    assert caught.value.code == "not_found"


def test_a_new_connection_to_the_same_organisation_takes_the_last_settings(workspace):
    first = connect(workspace)
    with workspace.session() as s:
        s.get(SyncConnection, first.id).settings = {"tax_1": "OUTPUT2"}
    with workspace.session() as s:
        sync.disconnect(s, actor=workspace.actor(s), now=T0)
    second = connect(workspace)
    assert second.id != first.id and second.settings == {"tax_1": "OUTPUT2"}


def test_a_refused_grant_marks_the_connection_in_its_own_transaction(workspace):
    made = connect(workspace)
    store = save_tokens(workspace, made.id)
    clock = lambda: T0 + timedelta(hours=1)  # noqa: E731 - the access token has expired

    def refuse(refresh_token: str) -> TokenSet:
        raise GrantLost(SyncProvider.XERO)

    source = StoredTokens(
        store=store, provider="xero", refresh=refuse, clock=clock,
        on_grant_lost=sync.grant_lost_handler(
            lambda: db.transaction(workspace.engine), made.id, clock=clock))
    with pytest.raises(KeitoError) as caught:
        source.access_token()
    assert caught.value.code == "authentication_error"
    with workspace.session(readonly=True) as s:
        row = s.get(SyncConnection, made.id)
        assert row.status is ConnectionStatus.NEEDS_RECONNECT and row.is_active
        assert "invalid_grant" in (row.last_error or "")
        event = s.exec(select(AuditEvent).where(
            AuditEvent.action == "sync_connection.needs_reconnect")).one()
        assert event.actor_id is None and event.created_at == T0 + timedelta(hours=1)


def test_tokens_for_a_connection_refresh_at_the_vendor_and_mark_a_lost_grant(workspace,
                                                                           monkeypatch):
    import httpx

    made = connect(workspace)
    store = save_tokens(workspace, made.id)
    answers = [httpx.Response(200, json={"access_token": "at-2", "refresh_token": "rt-2",
                                         "expires_in": 1800}),
               httpx.Response(400, json={"error": "invalid_grant"})]
    forms: list[bytes] = []

    def vendor(request: httpx.Request) -> httpx.Response:
        forms.append(request.content)
        return answers.pop(0)

    clock = lambda: T0 + timedelta(hours=1)  # noqa: E731
    env = {"KEITO_XERO_CLIENT_ID": "CID", "KEITO_XERO_URL": "https://xero.test"}
    with httpx.Client(transport=httpx.MockTransport(vendor)) as client:
        source = sync.tokens_for(made, config_dir=store.config_dir, client=client, clock=clock,
                                 session_factory=lambda: db.transaction(workspace.engine),
                                 env=env)
        assert source.access_token() == "at-2"
        assert store.load().refresh_token == "rt-2"
        with pytest.raises(GrantLost):
            source.refreshed("at-2")
    assert b"refresh_token=rt-1" in forms[0] and b"refresh_token=rt-2" in forms[1]
    with workspace.session(readonly=True) as s:
        assert s.get(SyncConnection, made.id).status is ConnectionStatus.NEEDS_RECONNECT
