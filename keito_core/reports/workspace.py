"""The workspace's name, currency and timezone and who acts in it: what an interface's header
shows (keito_core.fastpath.day answers the same without the ORM)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from keito_core.errors import KeitoError, not_found
from keito_core.models import User, Workspace
from keito_core.platform.identity import get_workspace
from keito_core.rules import permissions as policy


@dataclass(frozen=True)
class WorkspaceHeader:
    name: str
    currency: str
    timezone: str
    user_name: str
    user_role: str
    user_type: str


def header_of(workspace: Workspace, user: User) -> WorkspaceHeader:
    """The header of a workspace row and the acting user's row."""
    return WorkspaceHeader(name=workspace.name, currency=workspace.currency,
                           timezone=workspace.timezone, user_name=user.name,
                           user_role=str(user.role), user_type=str(user.user_type))


def has_workspace(session: Session) -> bool:
    """Whether `keito init` has made the workspace in this database."""
    try:
        get_workspace(session)
    except KeitoError as exc:
        if exc.code == "config_error":
            return False
        raise
    return True


def workspace_header(session: Session, *, actor: policy.Actor) -> WorkspaceHeader:
    """The workspace and the acting user (a config_error when there is no workspace)."""
    workspace = get_workspace(session)
    user = session.get(User, actor.user_id)
    if user is None:  # pragma: no cover - the actor was just built from this row
        raise not_found("user", actor.user_id)
    return header_of(workspace, user)
