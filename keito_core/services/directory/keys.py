"""API keys: create one (its secret is shown once), list and revoke them."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from keito_core.enums import UserStatus
from keito_core.errors import conflict, forbidden, not_found, validation
from keito_core.models import ApiKey, User
from keito_core.platform import audit, identity
from keito_core.platform.access import require_named, resolve_user
from keito_core.platform.ids import kind_of, new_id
from keito_core.rules import permissions as policy
from keito_core.rules.text import validate_name

Action, Target = policy.Action, policy.Target

DEFAULT_KEY_NAME = "API key"


def create_key(
    session: Session,
    *,
    actor: policy.Actor,
    user_ref: str | None = None,
    name: str | None = None,
    now: datetime,
) -> tuple[ApiKey, str]:
    """A new key for the user (default: the actor). Returns the row and the secret, once."""
    user = resolve_user(session, actor, user_ref)
    policy.require(actor, Action.API_KEY_CREATE, Target(owner_id=user.id, owner_name=user.name))
    if user.status is UserStatus.ARCHIVED:
        raise conflict(f"{user.name} is archived: their keys would not work", field="user",
                       hint=f"reactivate them first: `keito user reactivate {user.id}`")
    secret = identity.generate_secret()
    key = ApiKey(
        id=new_id("api_key"),
        user_id=user.id,
        name=validate_name(name if name is not None else DEFAULT_KEY_NAME, "name"),
        prefix=secret[: identity.SHOWN_PREFIX_LENGTH],
        secret_hash=identity.hash_secret(secret),
        created_by_id=actor.user_id,
        created_at=now,
    )
    session.add(key)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="api_key.create", entity=key,
                 changes={"user_id": user.id, "name": key.name, "prefix": key.prefix}, now=now)
    return key, secret


def list_keys(
    session: Session,
    *,
    actor: policy.Actor,
    user_ref: str | None = None,
    all_users: bool = False,
) -> list[ApiKey]:
    """The keys of one user (default: the actor), or of everyone (administrators)."""
    query = select(ApiKey)
    if all_users:
        if user_ref is not None:
            raise validation("give either a user or all users, not both", field="user")
        policy.require(actor, Action.API_KEY_LIST)
        if policy.Scope.ANY not in policy.scopes_for(actor, Action.API_KEY_LIST):
            raise forbidden("only administrators may list every user's API keys",
                            hint="list your own keys with `keito key list`")
    else:
        user = resolve_user(session, actor, user_ref)
        policy.require(actor, Action.API_KEY_LIST, Target(owner_id=user.id, owner_name=user.name))
        query = query.where(ApiKey.user_id == user.id)
    return list(session.exec(query.order_by(col(ApiKey.created_at), col(ApiKey.id))).all())


def find_key(session: Session, ref: str) -> ApiKey:
    """A key by ID, by its shown prefix (keito_sk_abcd) or by the whole secret."""
    ref = (ref or "").strip()
    if not ref:
        raise validation("key is required", field="key")
    if kind_of(ref) == "api_key":
        key = session.get(ApiKey, ref)
        if key is not None:
            return key
    if ref.startswith(identity.KEY_PREFIX) and len(ref) > identity.SHOWN_PREFIX_LENGTH:
        key = session.exec(
            select(ApiKey).where(ApiKey.secret_hash == identity.hash_secret(ref))
        ).first()
        if key is not None:
            return key
    rows = session.exec(select(ApiKey).where(ApiKey.prefix == ref)).all()
    if len(rows) > 1:
        raise validation(f"key prefix {ref!r} is ambiguous: {len(rows)} match", field="key",
                         hint="use the key's ID instead")
    if not rows:
        raise not_found("API key", ref, field="key")
    return rows[0]


def revoke_key(
    session: Session,
    *,
    actor: policy.Actor,
    key_ref: str,
    now: datetime,
) -> ApiKey:
    """Revoke a key for good: it no longer authenticates."""
    key = find_key(session, key_ref)
    require_named(session, actor, Action.API_KEY_REVOKE, Target(owner_id=key.user_id))
    if key.revoked_at is not None:
        raise conflict(f"API key {key.prefix}… is already revoked", field="key")
    audit.save_changes(session, key, {"revoked_at": now}, actor_id=actor.user_id,
                       action="api_key.revoke", always=True, now=now)
    return key


def key_owners(session: Session, keys: list[ApiKey]) -> dict[str, User]:
    """The users the keys belong to, by ID (for listings)."""
    ids = sorted({k.user_id for k in keys})
    if not ids:
        return {}
    users = session.exec(select(User).where(col(User.id).in_(ids))).all()
    return {u.id: u for u in users}

