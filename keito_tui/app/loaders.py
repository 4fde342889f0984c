"""What the app's views show, read in one session and handed over as plain values.

Workers call these functions in a thread; the results cross to the UI thread in messages, so
they hold only strings, booleans and tuples, never ORM objects bound to a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from keito_core.errors import KeitoError
from keito_core.models import Client, ExpenseCategory, Project, Task, User, Workspace
from keito_core.platform.identity import get_workspace
from keito_core.platform.runtime import Runtime
from keito_core.rules import permissions as policy
from keito_core.rules.money import format_money
from keito_core.services.workspace.setup import list_settings
from keito_tui.app.values import ROLE_NAMES, WorkspaceSummary

#: One table row: column key -> cell value (text, a flag or nothing).
Row = dict[str, str | bool | None]

PROJECT_TYPES = {
    "time_and_materials": "Time & materials",
    "fixed_fee": "Fixed fee",
    "non_billable": "Non-billable",
}


@dataclass(frozen=True)
class Listing:
    """The rows of one table, or why the acting user may not see them."""

    rows: tuple[Row, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class ManageData:
    clients: Listing = field(default_factory=Listing)
    projects: Listing = field(default_factory=Listing)
    tasks: Listing = field(default_factory=Listing)
    team: Listing = field(default_factory=Listing)
    categories: Listing = field(default_factory=Listing)


def summary_of(workspace: Workspace, user: User) -> WorkspaceSummary:
    """The header's summary from the workspace row and the acting user's row."""
    return WorkspaceSummary(
        name=workspace.name,
        currency=workspace.currency,
        timezone=workspace.timezone,
        user_name=user.name,
        user_role=str(user.role),
        user_type=str(user.user_type),
    )


def find_workspace(runtime: Runtime) -> WorkspaceSummary | None:
    """The workspace and who acts in it, or None when there is no workspace yet.

    Looking never creates a database file: a missing file means "not set up yet".
    """
    if not runtime.database_exists():
        return None
    with runtime.session(readonly=True) as session:
        try:
            get_workspace(session)
        except KeitoError as exc:
            if exc.code == "config_error":
                return None
            raise
        return workspace_summary(session, actor=runtime.actor(session))


def workspace_summary(session: Session, *, actor: policy.Actor) -> WorkspaceSummary:
    user = session.get(User, actor.user_id)
    if user is None:  # pragma: no cover - the actor was just built from this row
        raise KeitoError("not_found", f"no user {actor.user_id}")
    return summary_of(get_workspace(session), user)


def manage_data(session: Session, *, actor: policy.Actor) -> ManageData:
    """Clients, projects, tasks, team and expense categories, as far as the actor may see."""
    workspace = get_workspace(session)
    return ManageData(
        clients=_clients(session, actor),
        projects=_projects(session, actor),
        tasks=_tasks(session, actor, workspace.currency),
        team=_team(session, actor, workspace),
        categories=_categories(session),
    )


def settings_rows(session: Session, *, actor: policy.Actor) -> tuple[Row, ...]:
    """Every workspace setting with its current value, in the registry's order."""
    return tuple(
        {"id": s.key, "group": s.group, "key": s.key, "value": _setting_text(s.value),
         "description": s.description}
        for s in list_settings(session, actor=actor)
    )


def _exact(value: Decimal | None) -> str | None:
    """A Decimal without trailing zeros (unit prices such as 0.003 stay exact)."""
    return None if value is None else format(value.normalize(), "f")


def _money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else format_money(value, currency)


def _hours(seconds: int) -> str:
    return f"{_exact(Decimal(seconds) / 3600)}h"


def _setting_text(value: object) -> str | bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return _exact(value)
    return str(value)


def _refusal(actor: policy.Actor, action: policy.Action) -> str | None:
    """Why the actor may not take `action` at all, or None when they may."""
    try:
        policy.require(actor, action)
    except KeitoError as exc:
        return exc.message
    return None


def _clients(session: Session, actor: policy.Actor) -> Listing:
    refused = _refusal(actor, policy.Action.CLIENT_VIEW)
    if refused:
        return Listing(refused=refused)
    query = select(Client).order_by(col(Client.is_active).desc(), func.lower(Client.name))
    return Listing(tuple(
        {"id": c.id, "name": c.name, "currency": c.currency, "city": c.city,
         "active": c.is_active}
        for c in session.exec(query).all()
    ))


def _projects(session: Session, actor: policy.Actor) -> Listing:
    refused = _refusal(actor, policy.Action.PROJECT_VIEW)
    if refused:
        return Listing(refused=refused)
    query = (
        select(Project, Client.name)
        .join(Client, col(Client.id) == col(Project.client_id))
        .order_by(col(Project.is_active).desc(), func.lower(Client.name), func.lower(Project.name))
    )
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        query = query.where(col(Project.id).in_(visible))
    return Listing(tuple(
        {"id": p.id, "client": client_name, "name": p.name, "code": p.code, "handle": p.handle,
         "type": PROJECT_TYPES.get(str(p.project_type), str(p.project_type)),
         "bill_by": str(p.bill_by).capitalize(), "active": p.is_active}
        for p, client_name in session.exec(query).all()
    ))


def _tasks(session: Session, actor: policy.Actor, currency: str) -> Listing:
    show_rates = policy.can(actor, policy.Action.RATES_VIEW)
    query = select(Task).order_by(col(Task.is_active).desc(), func.lower(Task.name))
    return Listing(tuple(
        {"id": t.id, "name": t.name, "handle": t.handle, "billable": t.is_billable_default,
         "rate": _money(t.default_rate, currency) if show_rates else "hidden",
         "default": t.is_default, "active": t.is_active}
        for t in session.exec(query).all()
    ))


_STATUS_ORDER = sa.case({"active": 0, "pending": 1}, value=col(User.status), else_=2)


def _team(session: Session, actor: policy.Actor, workspace: Workspace) -> Listing:
    refused = _refusal(actor, policy.Action.USER_VIEW)
    if refused:
        return Listing(refused=refused)
    query = select(User).order_by(_STATUS_ORDER, func.lower(User.name))
    visible = policy.visible_user_ids(actor)
    if visible is not None:
        query = query.where(col(User.id).in_(visible))
    show_rates = policy.can(actor, policy.Action.RATES_VIEW)
    return Listing(tuple(
        {"id": u.id, "name": u.name, "type": str(u.user_type),
         "role": ROLE_NAMES.get(str(u.role), str(u.role)),
         "rate": _money(u.default_rate, workspace.currency) if show_rates else "hidden",
         "capacity": _hours(workspace.weekly_capacity_seconds if u.weekly_capacity_seconds is None
                            else u.weekly_capacity_seconds),
         "status": str(u.status).capitalize()}
        for u in session.exec(query).all()
    ))


def _categories(session: Session) -> Listing:
    query = select(ExpenseCategory).order_by(
        col(ExpenseCategory.is_active).desc(), func.lower(ExpenseCategory.name)
    )
    return Listing(tuple(
        {"id": c.id, "name": c.name, "unit": c.unit_name, "unit_price": _exact(c.unit_price),
         "billable": c.is_billable_default, "builtin": c.is_builtin, "active": c.is_active}
        for c in session.exec(query).all()
    ))
