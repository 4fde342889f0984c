"""Connecting Keito to Xero or QuickBooks, and disconnecting: one integration at a time.

The services take the caller's session, check `Action.INTEGRATIONS_MANAGE` (administrators)
through the policy, write and audit in the caller's transaction, and never read the wall clock.
The OAuth dance itself happens between `begin_connect` (may this actor connect this provider
now?) and `complete_connect` (record the organisation or company chosen), outside any
transaction: a user may take minutes at the vendor's consent page.

- One connection is active at a time (a partial unique index holds it too): connecting
  another provider while one is active is a `conflict`; connecting the same provider again is
  a reconnect that keeps the row, its settings and its records.
- A refused grant (`mark_needs_reconnect`) keeps the row active with status needs_reconnect:
  pushes stop with a message saying to connect again, and the mappings survive.
- `disconnect` revokes the grant at the vendor (best effort: a failure is reported, the local
  disconnect happens anyway), forgets the stored tokens and leaves the row inactive with status
  disconnected. `sync_records` stay, so a later connect to the same organisation finds them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ConnectionStatus, SyncProvider
from keito_core.errors import KeitoError, conflict
from keito_core.models.sync import SyncConnection
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.rules import permissions as policy
from keito_core.sync.credentials import vendor_name
from keito_core.sync.outbox import find_active_connection
from keito_core.sync.tokens import StoredTokens, TokenStore, token_source

if TYPE_CHECKING:
    import httpx

Action = policy.Action


def active_connection(session: Session) -> SyncConnection | None:
    """The active connection (working or needing a reconnect), or None."""
    return find_active_connection(session)


def require_active_connection(session: Session) -> SyncConnection:
    """The active connection in working order, else a KeitoError saying what to run."""
    connection = active_connection(session)
    if connection is None:
        raise KeitoError("not_found", "no accounting system is connected",
                         hint="an administrator runs `keito sync connect xero|quickbooks`")
    if connection.status is ConnectionStatus.NEEDS_RECONNECT:
        raise KeitoError(
            "authentication_error",
            f"the {vendor_name(connection.provider)} connection needs "
            f"`keito sync connect {connection.provider.value}` again"
            + (f" ({connection.last_error})" if connection.last_error else ""),
            hint=f"an administrator runs `keito sync connect {connection.provider.value}`",
        )
    return connection


def _refuse_other_provider(current: SyncConnection | None, provider: SyncProvider) -> None:
    if current is not None and current.provider is not provider:
        raise conflict(
            f"{vendor_name(current.provider)} is connected: Keito syncs with one accounting "
            "system at a time",
            field="provider",
            hint="run `keito sync disconnect` first (the sync records are kept)",
        )


def begin_connect(session: Session, *, actor: policy.Actor,
                  provider: SyncProvider | str) -> SyncConnection | None:
    """Check that `actor` may connect `provider` now, before sending them to the vendor.

    Returns the active connection to the same provider (a reconnect keeps it), or None.
    Raises authorization_error for anyone but an administrator and conflict while another
    provider is connected.
    """
    provider = SyncProvider(provider)
    policy.require(actor, Action.INTEGRATIONS_MANAGE)
    current = active_connection(session)
    _refuse_other_provider(current, provider)
    return current


def complete_connect(
    session: Session,
    *,
    actor: policy.Actor,
    provider: SyncProvider | str,
    tenant_id: str,
    tenant_name: str | None,
    now: datetime,
) -> SyncConnection:
    """Record the organisation (Xero tenant) or company (QuickBooks realm) just authorized.

    A reconnect to the same provider updates the active row and keeps its settings; a new
    connection takes the settings of the last disconnected connection to the same tenant.
    The caller stores the tokens under the returned row's id in the same unit of work.
    """
    provider = SyncProvider(provider)
    policy.require(actor, Action.INTEGRATIONS_MANAGE)
    tenant_id = (tenant_id or "").strip()
    if not tenant_id:
        raise KeitoError("validation_error", "no organisation or company was chosen",
                         field="tenant")
    current = active_connection(session)
    _refuse_other_provider(current, provider)
    if current is not None:
        audit.save_changes(
            session, current,
            {"tenant_id": tenant_id, "tenant_name": tenant_name,
             "status": ConnectionStatus.ACTIVE, "last_error": None,
             "connected_by_id": actor.user_id},
            actor_id=actor.user_id, action="sync_connection.reconnect", always=True, now=now)
        return current
    previous = session.exec(
        select(SyncConnection)
        .where(SyncConnection.provider == provider, SyncConnection.tenant_id == tenant_id)
        .order_by(col(SyncConnection.created_at).desc(), col(SyncConnection.id).desc())
    ).first()
    connection = SyncConnection(
        id=new_id("sync_connection"),
        provider=provider,
        tenant_id=tenant_id,
        tenant_name=tenant_name,
        settings=dict(previous.settings or {}) if previous is not None else {},
        is_active=True,
        status=ConnectionStatus.ACTIVE,
        connected_by_id=actor.user_id,
        created_at=now,
        updated_at=now,
    )
    session.add(connection)
    try:
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError as exc:  # another administrator connected meanwhile
        raise conflict("another accounting system was connected meanwhile",
                       hint="run `keito sync status`, then `keito sync disconnect` first") \
            from exc
    audit.record(session, actor_id=actor.user_id, action="sync_connection.connect",
                 entity=connection,
                 changes={"provider": provider, "tenant_id": tenant_id,
                          "tenant_name": tenant_name,
                          "settings_from": previous.id if previous is not None else None},
                 now=now)
    return connection


def mark_needs_reconnect(session: Session, *, connection_id: str, reason: str,
                         now: datetime, actor: policy.Actor | None = None) -> SyncConnection | None:
    """The vendor refused the grant: the connection waits for `keito sync connect` again.

    No permission is checked: the refusal is a fact any user's push may discover (`actor`,
    when given, is recorded as who found it). Returns the row, or None when it is gone or no
    longer active.
    """
    connection = session.get(SyncConnection, connection_id)
    if connection is None or not connection.is_active:
        return None
    audit.save_changes(
        session, connection,
        {"status": ConnectionStatus.NEEDS_RECONNECT, "last_error": reason[:500]},
        actor_id=actor.user_id if actor is not None else None,
        action="sync_connection.needs_reconnect", now=now)
    return connection


def grant_lost_handler(
    session_factory: Callable[[], AbstractContextManager[Session]],
    connection_id: str,
    *,
    clock: Callable[[], datetime],
) -> Callable[[str], None]:
    """An `on_grant_lost` for StoredTokens: marks the connection in a short transaction of its
    own (`session_factory()`, e.g. `runtime.session`), whatever becomes of the caller's.

    On SQLite the caller must not hold a write transaction while it calls the vendor, or this
    one waits for it (the HTTP calls of a push belong outside write transactions anyway).
    """

    def handle(detail: str) -> None:
        with session_factory() as session:
            mark_needs_reconnect(
                session, connection_id=connection_id,
                reason=f"the vendor refused the authorization ({detail})", now=clock())

    return handle


def tokens_for(
    connection: SyncConnection,
    *,
    config_dir: Path,
    client: httpx.Client,
    clock: Callable[[], datetime],
    session_factory: Callable[[], AbstractContextManager[Session]],
    env: Mapping[str, str] | None = None,
) -> StoredTokens:
    """The `http.TokenSource` of `connection` on this machine: its stored tokens, refreshed
    over `client` with the app's credentials; a refused grant marks the connection through
    `session_factory` (e.g. `runtime.session`). config_error when the credentials are missing.
    """
    return token_source(
        connection.id, connection.provider, config_dir=config_dir, client=client, clock=clock,
        on_grant_lost=grant_lost_handler(session_factory, connection.id, clock=clock), env=env)


@dataclass(frozen=True)
class Disconnection:
    connection: SyncConnection
    #: Whether the vendor confirmed the revocation; `revoke_error` says why not.
    revoked: bool
    revoke_error: str | None
    tokens_deleted: bool


def disconnect(
    session: Session,
    *,
    actor: policy.Actor,
    now: datetime,
    token_store: Callable[[SyncConnection], TokenStore] | None = None,
    revoke: Callable[[SyncConnection, str], None] | None = None,
) -> Disconnection:
    """Stop syncing: revoke the grant (best effort), forget the tokens, keep the records.

    `token_store(connection)` names where its tokens are; `revoke(connection, refresh_token)`
    ends the grant at the vendor. Either may be None (no tokens to forget, nothing to revoke).
    """
    policy.require(actor, Action.INTEGRATIONS_MANAGE)
    connection = active_connection(session)
    if connection is None:
        raise KeitoError("not_found", "no accounting system is connected",
                         hint="`keito sync status` shows the connection")
    store = token_store(connection) if token_store is not None else None
    revoked, revoke_error = False, None
    if store is not None and revoke is not None:
        try:
            tokens = store.load()
            if tokens is None:
                revoke_error = "this machine holds no tokens to revoke"
            else:
                revoke(connection, tokens.refresh_token)
                revoked = True
        except KeitoError as exc:
            revoke_error = exc.message
        except Exception as exc:  # best effort: the local disconnect happens anyway
            revoke_error = f"{exc.__class__.__name__}: {exc}"
    audit.save_changes(
        session, connection,
        {"is_active": False, "status": ConnectionStatus.DISCONNECTED, "disconnected_at": now,
         "last_error": None},
        actor_id=actor.user_id, action="sync_connection.disconnect", always=True, now=now)
    audit.record(session, actor_id=actor.user_id, action="sync_connection.revoke",
                 entity=connection, changes={"revoked": revoked, "error": revoke_error},
                 now=now)
    tokens_deleted = False
    if store is not None:
        with contextlib.suppress(KeitoError, OSError):
            tokens_deleted = store.delete()
    return Disconnection(connection, revoked, revoke_error, tokens_deleted)


def connection_data(connection: SyncConnection | None) -> dict[str, Any] | None:
    """The connection as commands show it (no secrets: the tokens are not in the row)."""
    if connection is None:
        return None
    return {
        "id": connection.id,
        "provider": connection.provider.value,
        "tenant_id": connection.tenant_id,
        "tenant_name": connection.tenant_name,
        "status": connection.status.value,
        "is_active": connection.is_active,
        "connected_by_id": connection.connected_by_id,
        "last_error": connection.last_error,
        "created_at": connection.created_at,
        "updated_at": connection.updated_at,
        "disconnected_at": connection.disconnected_at,
    }
