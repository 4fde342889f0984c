"""Whose record it is and which rows an actor may read: owners, visibility clauses, lock flags.

Shared by the services (which write) and the reports (which read), so neither reaches into the
other: the policy (keito_core.rules.permissions) decides, these helpers apply it to SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import KeitoError
from keito_core.models import Invoice, Project, User, Workspace
from keito_core.platform.identity import actor_for, get_workspace
from keito_core.platform.lookup import find_user
from keito_core.rules import permissions as policy
from keito_core.rules.locking import item_lock_reason
from keito_core.rules.periods import local_date, parse_timezone
from keito_core.rules.permissions import Action, Scope, Target


def resolve_user(session: Session, actor: policy.Actor, ref: str | None, *,
                 field: str = "user") -> User:
    """A user by ID, email or name; `me` (or no reference) is the acting user."""
    if ref is None or ref.strip().lower() == "me":
        user = session.get(User, actor.user_id)
        assert user is not None
        return user
    return find_user(session, ref, field=field)



@dataclass
class Owner:
    """The user a record belongs to, their policy Actor, the workspace and their local day."""

    user: User
    actor: policy.Actor
    workspace: Workspace
    tz: ZoneInfo
    today: date


def owner_of(session: Session, actor: policy.Actor, user_ref: str | None, *,
             now: datetime) -> Owner:
    """The acting user, or the user `user_ref` names (`me` is the actor)."""
    user = resolve_user(session, actor, user_ref)
    return owner_by_id(session, actor, user, now=now)


def owner_by_id(session: Session, actor: policy.Actor, user: User | str, *,
                now: datetime) -> Owner:
    """The Owner context of a user row (or user id)."""
    if isinstance(user, str):
        found = session.get(User, user)
        if found is None:  # pragma: no cover - entries reference existing users
            raise KeitoError("not_found", f"user {user!r} not found", field="user")
        user = found
    workspace = get_workspace(session)
    tz = parse_timezone(user.timezone or workspace.timezone)
    owner_actor = actor if user.id == actor.user_id else actor_for(session, user)
    return Owner(user=user, actor=owner_actor, workspace=workspace, tz=tz,
                 today=local_date(now, tz))


def visibility_clause(actor: policy.Actor, action: Action, model: Any) -> Any:
    """The SQL condition selecting the rows of `model` the actor may see (None: all)."""
    policy.require(actor, action)
    scopes = policy.scopes_for(actor, action)
    if Scope.ANY in scopes:
        return None
    conditions = []
    if Scope.OWN in scopes:
        conditions.append(model.user_id == actor.user_id)
    if Scope.TEAM in scopes and actor.teammate_ids:
        conditions.append(col(model.user_id).in_(sorted(actor.teammate_ids)))
    if Scope.MANAGED in scopes and actor.managed_project_ids:
        conditions.append(col(model.project_id).in_(sorted(actor.managed_project_ids)))
    return sa.or_(*conditions) if conditions else sa.false()


def filter_user(session: Session, actor: policy.Actor, action: Action, user_ref: str) -> str:
    """The id of the user a list is filtered to, refusing users the actor may not see."""
    user = resolve_user(session, actor, user_ref)
    if user.id != actor.user_id and Scope.MANAGED not in policy.scopes_for(actor, action):
        policy.require(actor, action, Target(owner_id=user.id, owner_name=user.name))
    return user.id


def require_named(session: Session, actor: policy.Actor, action: Action,
                  target: Target) -> None:
    """policy.require, whose refusal names the target's owner and project (read only then)
    rather than their IDs."""
    if policy.can(actor, action, target):
        return
    owner = (session.get(User, target.owner_id)
             if target.owner_id and not target.owner_name else None)
    project = (session.get(Project, target.project_id)
               if target.project_id and not target.project_name else None)
    policy.require(actor, action, Target(
        owner_id=target.owner_id, project_id=target.project_id,
        owner_name=target.owner_name or (owner.name if owner else None),
        project_name=target.project_name or (project.name if project else None)))


def lock_flags(session: Session, items: list[Any], *, now: datetime) -> list[bool]:
    """Whether each time entry or expense is read-only at `now`, by the rule edits apply
    (each owner's local day for the lock-after days), for `is_locked` in public views."""
    if not items:
        return []
    workspace = get_workspace(session)
    owners = {item.user_id for item in items}
    zones = dict(session.exec(select(User.id, User.timezone)
                              .where(col(User.id).in_(sorted(owners)))).all())
    today: dict[str, date] = {}
    for user_id in owners:
        today[user_id] = local_date(now, parse_timezone(zones.get(user_id) or workspace.timezone))
    return [item_lock_reason(workspace, item, today[item.user_id]) is not None for item in items]


def invoice_clause(actor: policy.Actor) -> Any:
    """A WHERE clause on Invoice: the invoices `actor` may view (None: all)."""
    scopes = policy.scopes_for(actor, Action.INVOICE_VIEW)
    if not scopes:
        return sa.false()
    if Scope.ANY in scopes:
        return sa.true()
    managed = sorted(actor.managed_project_ids)
    return col(Invoice.client_id).in_(
        select(Project.client_id).where(col(Project.id).in_(managed)).scalar_subquery())
