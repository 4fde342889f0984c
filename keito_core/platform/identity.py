"""API keys and who acts: hashing, authenticating, and building the policy's Actor."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from keito_core.enums import UserStatus
from keito_core.errors import KeitoError
from keito_core.models import ApiKey, ManagerTeammate, ProjectMember, User, Workspace
from keito_core.platform.api_keys import (
    KEY_PREFIX,
    KEY_TOUCH_EVERY,
    SHOWN_PREFIX_LENGTH,
    generate_secret,
    hash_secret,
    use_is_due,
)
from keito_core.rules.permissions import Actor

__all__ = ["KEY_PREFIX", "KEY_TOUCH_EVERY", "SHOWN_PREFIX_LENGTH", "actor_for", "authenticate",
           "generate_secret", "get_workspace", "hash_secret", "resolve_actor", "touch_key"]


def authenticate(session: Session, secret: str, *, now: datetime) -> User:
    """The active user a key belongs to, or authentication_error."""
    if not secret.startswith(KEY_PREFIX):
        raise KeitoError(
            "authentication_error",
            "the API key is malformed",
            hint=f"Keito keys start with {KEY_PREFIX}",
        )
    key = session.exec(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret))).first()
    if key is None or key.revoked_at is not None:
        raise KeitoError("authentication_error", "the API key is invalid or revoked")
    user = session.get(User, key.user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        raise KeitoError("authentication_error", "the API key's user is not active")
    return user


def touch_key(session: Session, secret: str, *, now: datetime) -> bool:
    """Record that a key was used, at most once an hour (so reads rarely write); True if written."""
    key = session.exec(select(ApiKey).where(ApiKey.secret_hash == hash_secret(secret))).first()
    if key is None or not use_is_due(key.last_used_at, now=now):
        return False
    key.last_used_at = now
    session.add(key)
    return True


def get_workspace(session: Session) -> Workspace:
    """The workspace row, or config_error when `keito init` has not run."""
    workspace = session.exec(select(Workspace)).first()
    if workspace is None:
        raise KeitoError(
            "config_error",
            "this database has no workspace yet",
            hint="run `keito init --company NAME --currency CODE --timezone TZ`",
        )
    return workspace


def actor_for(session: Session, user: User) -> Actor:
    """The policy's view of a user: role, permissions, teammates and project assignments."""
    teammates = session.exec(
        select(ManagerTeammate.teammate_id).where(ManagerTeammate.manager_id == user.id)
    ).all()
    memberships = session.exec(
        select(ProjectMember.project_id, ProjectMember.is_project_manager).where(
            ProjectMember.user_id == user.id
        )
    ).all()
    from keito_core.enums import ManagerPermission

    granted = frozenset(
        ManagerPermission(p) for p in user.manager_permissions if p in set(ManagerPermission)
    )
    return Actor(
        user_id=user.id,
        role=user.role,
        user_type=user.user_type,
        status=user.status,
        permissions=granted,
        teammate_ids=frozenset(teammates),
        managed_project_ids=frozenset(pid for pid, is_pm in memberships if is_pm),
        assigned_project_ids=frozenset(pid for pid, _ in memberships),
    )


def resolve_actor(session: Session, *, api_key: str | None, now: datetime) -> Actor:
    """The user of the API key when one is given, else the workspace's default local user."""
    user: User | None
    if api_key:
        user = authenticate(session, api_key, now=now)
    else:
        workspace = get_workspace(session)
        user = session.get(User, workspace.default_user_id) if workspace.default_user_id else None
        if user is None or user.status != UserStatus.ACTIVE:
            raise KeitoError(
                "authentication_error",
                "no active default user in this workspace",
                hint="set KEITO_API_KEY to a user's key, or `keito settings set default_user USER`",
            )
    return actor_for(session, user)
