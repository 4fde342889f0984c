"""Forms for the team: people and agents (role, permissions, rates, capacity) and teammates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from keito_core import presenters
from keito_core.enums import EmploymentType, ManagerPermission, Role, UserType
from keito_core.errors import validation
from keito_core.reports.manage_forms import teammate_choices
from keito_core.services.directory import users
from keito_tui.app.screens.manage_forms import (
    Field,
    FormSpec,
    Values,
    flag,
    hours_text,
    optional,
    text,
)
from keito_tui.app.values import ROLE_NAMES

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules import permissions as policy

PERMISSION_LABELS = {
    ManagerPermission.CREATE_PROJECTS: "Create projects",
    ManagerPermission.VIEW_RATES: "View rates",
    ManagerPermission.DRAFT_INVOICES: "Draft invoices",
    ManagerPermission.SEND_INVOICES: "Send invoices",
    ManagerPermission.MANAGE_CLIENTS_TASKS: "Clients & tasks",
    ManagerPermission.EDIT_TEAM_ENTRIES: "Edit team time",
    ManagerPermission.WITHDRAW_APPROVALS: "Withdraw approvals",
}
_PERMISSION_FIELDS = tuple(
    Field(f"perm_{p.value}", label, kind="bool", aliases=("grant", "revoke") if i == 0 else ())
    for i, (p, label) in enumerate(PERMISSION_LABELS.items())
)
USER_FIELDS = (
    Field("kind", "Human or agent", kind="choice",
          choices=(("Human", UserType.HUMAN.value), ("Agent", UserType.AGENT.value)),
          aliases=("agent",)),
    Field("name", "Name", placeholder="e.g. Grace Hopper"),
    Field("email", "Email", placeholder="agents may leave it empty"),
    Field("role", "Role", kind="choice",
          choices=tuple((label, key) for key, label in ROLE_NAMES.items())),
    *_PERMISSION_FIELDS,
    Field("rate", "Default rate", placeholder="billable, per hour"),
    Field("cost_rate", "Cost rate", placeholder="what an hour costs, per hour"),
    Field("capacity", "Weekly hours", placeholder="empty: the workspace's default"),
    Field("timezone", "Timezone", placeholder="empty: the workspace's, e.g. Europe/Paris"),
    Field("employment", "Employment", kind="choice",
          choices=tuple((e.value.capitalize(), e.value) for e in EmploymentType)),
)
#: The plain edit_user fields among the form's inputs.
_EDITS = ("name", "email", "role", "rate", "cost_rate", "capacity", "timezone", "employment")


def user_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new person or agent, or the user `record_id`."""
    if record_id is None:
        users.check_user_create(actor)
        values: Values = {"kind": UserType.HUMAN.value, "role": Role.MEMBER.value,
                          "employment": EmploymentType.EMPLOYEE.value}
    else:
        user = users.get_user(session, actor=actor, ref=record_id)
        users.check_user_edit(actor, user.id)
        shown = presenters.user(user, viewer=actor)
        values = {
            "kind": text(user.user_type), "name": user.name, "email": user.email,
            "role": text(user.role), "employment": text(user.employment_type),
            "rate": text(shown.get("billable_rate")), "cost_rate": text(shown.get("cost_rate")),
            "capacity": hours_text(user.weekly_capacity_seconds), "timezone": text(user.timezone),
        }
        for p in ManagerPermission:
            values[f"perm_{p.value}"] = p.value in user.manager_permissions

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        grant = [p.value for p in ManagerPermission if flag(values, f"perm_{p.value}")
                 and f"perm_{p.value}" in changed]
        revoke = [p.value for p in ManagerPermission if not flag(values, f"perm_{p.value}")
                  and f"perm_{p.value}" in changed]
        answers = {name: optional(values, name) for name in _EDITS}
        agent = values.get("kind") == UserType.AGENT.value
        if record_id is None:
            user = users.create_user(
                session, actor=actor, name=answers["name"] or "", email=answers["email"],
                agent=agent, role=answers["role"] or Role.MEMBER, rate=answers["rate"],
                cost_rate=answers["cost_rate"], capacity=answers["capacity"],
                timezone=answers["timezone"],
                employment=answers["employment"] or EmploymentType.EMPLOYEE,
                now=now,
            )
            if grant and user.role is Role.MANAGER:
                users.edit_user(session, actor=actor, ref=user.id, grant=grant, now=now)
            return f"Added {'agent' if agent else 'person'} {user.name}"
        changes: dict[str, Any] = {k: v for k, v in answers.items() if k in changed}
        if "kind" in changed:
            changes["agent"] = agent
        user = users.edit_user(session, actor=actor, ref=record_id, grant=grant, revoke=revoke,
                               **changes, now=now)
        return f"Saved {user.name}"

    title = "New person or agent" if record_id is None else f"Edit {values['name']}"
    note = "Manager permissions apply to managers; administrators hold them all."
    return FormSpec(title, USER_FIELDS, values, save, note=note)


def teammate_form(session: Session, actor: policy.Actor, manager_id: str) -> FormSpec:
    """Pick a person or agent for a manager's team."""
    users.check_teammates_change(actor)
    manager = users.get_user(session, actor=actor, ref=manager_id)
    choices = tuple((c.name, c.id) for c in teammate_choices(session, manager_id=manager.id))
    manager_name = manager.name
    fields = (Field("teammate", "Teammate", kind="choice", choices=choices, aliases=("add",)),)

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        chosen = optional(values, "teammate")
        if chosen is None:
            raise validation("choose a teammate", field="teammate")
        users.set_teammates(session, actor=actor, manager_ref=manager_id, add=[chosen], now=now)
        teammate = users.get_user(session, actor=actor, ref=chosen)
        return f"{teammate.name} joins {manager_name}'s team"

    return FormSpec(f"Add to {manager_name}'s team", fields, {}, save)
