"""The lists under one record: a client's contacts, a project's team and tasks, teammates."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from keito_core.errors import validation
from keito_core.platform.identity import get_workspace
from keito_core.reports import manage
from keito_core.services.directory import clients, project_team, users
from keito_tui.app.loaders import HIDDEN, Listing, hours, money
from keito_tui.app.screens.manage_actions import RecordList, Write, user_type_cell
from keito_tui.app.screens.manage_forms import FormSpec
from keito_tui.app.screens.manage_projects import member_form, project_task_form
from keito_tui.app.screens.manage_specs import contact_form
from keito_tui.app.screens.manage_team import teammate_form
from keito_tui.app.values import ROLE_NAMES
from keito_tui.app.widgets.record_view import Column

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules import permissions as policy


def _rate(line: manage.MemberLine | manage.ProjectTaskLine, currency: str) -> str | None:
    """The rate billed on the project: hidden, the default (no override), or the override."""
    if "hourly_rate" in line.hidden:
        return HIDDEN
    return "default" if line.uses_default_rate else money(line.hourly_rate, currency)


def _budget(line: manage.MemberLine | manage.ProjectTaskLine, fmt: str) -> str | None:
    """The line's hours budget in the workspace's duration format, or hidden."""
    return HIDDEN if "budget_hours" in line.hidden else hours(line.budget_hours, fmt)


class ContactsList(RecordList):
    """A client's contacts (who receives its invoices)."""

    COLUMNS = (Column("name", "Name", max_width=28), Column("title", "Title", max_width=16),
               Column("email", "Email", max_width=28), Column("phone", "Phone", max_width=16))
    SINGULAR, PLURAL = "contact", "contacts"

    @property
    def heading(self) -> str:
        return f"Contacts of {self.owner_name}"

    def read(self, session: Session, actor: policy.Actor) -> Listing:
        rows = clients.list_contacts(session, actor=actor, client_ref=self.owner_id)
        return Listing(tuple(
            {"id": c.id, "name": " ".join(filter(None, (c.first_name, c.last_name))),
             "title": c.title, "email": c.email, "phone": c.phone_office or c.phone_mobile}
            for c in rows
        ))

    def form(self, session: Session, actor: policy.Actor, row_id: str | None) -> FormSpec:
        return contact_form(session, actor, self.owner_id, row_id)

    def removal(self, row_id: str) -> tuple[str, Write]:
        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            contact = clients.remove_contact(session, actor=actor, contact_id=row_id, now=now)
            return f"Removed contact {contact.first_name}"

        return f"Remove this contact from {self.owner_name}?", act


class ProjectTeamList(RecordList):
    """A project's people and agents, with their rate overrides and project-manager flags."""

    COLUMNS = (Column("name", "Name", max_width=28), Column("type", "Type", render=user_type_cell),
               Column("rate", "Rate"), Column("budget", "Budget"),
               Column("manager", "Project manager"))
    SINGULAR, PLURAL = "member", "members"

    @property
    def heading(self) -> str:
        return f"Team of {self.owner_name}"

    def read(self, session: Session, actor: policy.Actor) -> Listing:
        team = manage.project_team(session, actor=actor, project_ref=self.owner_id)
        return Listing(tuple(
            {"id": m.id, "name": m.name, "type": m.user_type, "rate": _rate(m, team.currency),
             "budget": _budget(m, team.duration_format), "manager": m.is_project_manager}
            for m in team.rows
        ))

    def form(self, session: Session, actor: policy.Actor, row_id: str | None) -> FormSpec:
        return member_form(session, actor, self.owner_id, row_id)

    def removal(self, row_id: str) -> tuple[str, Write]:
        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            user = project_team.unassign_member(session, actor=actor, project_ref=self.owner_id,
                                                user_ref=row_id, now=now)
            return f"{user.name} is off {self.owner_name}"

        return f"Take this member off {self.owner_name}? Their entries stay.", act


class ProjectTasksList(RecordList):
    """A project's tasks, with billable flags and rate overrides."""

    COLUMNS = (Column("name", "Task", max_width=28), Column("billable", "Billable"),
               Column("rate", "Rate"), Column("budget", "Budget"), Column("active", "Active"))
    SINGULAR, PLURAL = "task", "tasks"

    @property
    def heading(self) -> str:
        return f"Tasks of {self.owner_name}"

    def read(self, session: Session, actor: policy.Actor) -> Listing:
        listed = manage.project_tasks(session, actor=actor, project_ref=self.owner_id)
        return Listing(tuple(
            {"id": t.id, "name": t.name, "billable": t.is_billable,
             "rate": _rate(t, listed.currency), "budget": _budget(t, listed.duration_format),
             "active": t.is_active}
            for t in listed.rows
        ))

    def form(self, session: Session, actor: policy.Actor, row_id: str | None) -> FormSpec:
        return project_task_form(session, actor, self.owner_id, row_id)

    def removal(self, row_id: str) -> tuple[str, Write]:
        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            removal = project_team.remove_project_task(
                session, actor=actor, project_ref=self.owner_id, task_ref=row_id, now=now)
            if removal.deactivated:
                return f"{removal.task.name} has time logged: deactivated on {self.owner_name}"
            return f"Removed {removal.task.name} from {self.owner_name}"

        return f"Take this task off {self.owner_name}?", act


class TeammatesList(RecordList):
    """The people and agents a manager looks after (their time, approvals and reports)."""

    COLUMNS = (Column("name", "Name", max_width=28), Column("type", "Type", render=user_type_cell),
               Column("role", "Role"), Column("capacity", "Capacity"), Column("status", "Status"))
    SINGULAR, PLURAL = "teammate", "teammates"

    @property
    def heading(self) -> str:
        return f"{self.owner_name}'s teammates"

    def read(self, session: Session, actor: policy.Actor) -> Listing:
        rows = users.list_teammates(session, actor=actor, manager_ref=self.owner_id)
        workspace = get_workspace(session)
        fmt, default = str(workspace.duration_format), workspace.weekly_capacity_seconds
        return Listing(tuple(
            {"id": u.id, "name": u.name, "type": str(u.user_type),
             "role": ROLE_NAMES.get(str(u.role), str(u.role)),
             "capacity": hours(u.weekly_capacity_seconds
                               if u.weekly_capacity_seconds is not None else default, fmt),
             "status": str(u.status).capitalize()}
            for u in rows
        ))

    def form(self, session: Session, actor: policy.Actor, row_id: str | None) -> FormSpec:
        if row_id is not None:
            raise validation("a teammate has nothing to edit here: edit them in the Team tab")
        return teammate_form(session, actor, self.owner_id)

    def removal(self, row_id: str) -> tuple[str, Write]:
        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            users.set_teammates(session, actor=actor, manager_ref=self.owner_id, remove=[row_id],
                                now=now)
            return f"Removed from {self.owner_name}'s team"

        return f"Take this teammate off {self.owner_name}'s team?", act
