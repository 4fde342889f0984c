"""Forms for projects (billing and budget settings) and for a project's team and tasks."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import BillBy, BudgetBy, ProjectType, UserStatus, UserType
from keito_core.models import Client, ProjectMember, ProjectTask, Task, User
from keito_core.platform.lookup import find_project
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Target
from keito_core.services.directory import project_team, projects
from keito_core.services.directory.projects import DEFAULT_RATE
from keito_tui.app.loaders import PROJECT_TYPES
from keito_tui.app.screens.manage_forms import Field, FormSpec, Values, flag, optional, text

BILL_BY = (("Project rate", BillBy.PROJECT.value), ("Task rates", BillBy.TASK.value),
           ("Per-person rates", BillBy.PERSON.value), ("Not billed", BillBy.NONE.value))
BUDGET_BY = (("No budget", BudgetBy.NONE.value), ("Total hours", BudgetBy.TOTAL_HOURS.value),
             ("Total fees", BudgetBy.TOTAL_FEES.value), ("Per task", BudgetBy.TASK.value),
             ("Per person", BudgetBy.PERSON.value))
#: Project form inputs in service terms: the input name -> the service's setting name.
_SETTING = {"client": "client_ref", "alert": "budget_alert_percent",
            "monthly_reset": "budget_monthly_reset", "include_expenses": "budget_includes_expenses",
            "budget_visible": "budget_visible_to_team"}


def _project_fields(client_choices: tuple[tuple[str, str], ...]) -> tuple[Field, ...]:
    return (
        Field("client", "Client", kind="choice", choices=client_choices, aliases=("client_ref",)),
        Field("name", "Name", placeholder="e.g. Website redesign"),
        Field("code", "Code", placeholder="e.g. ACME-WEB"),
        Field("project_type", "Type", kind="choice",
              choices=tuple((label, key) for key, label in PROJECT_TYPES.items())),
        Field("bill_by", "Bill by", kind="choice", choices=BILL_BY),
        Field("rate", "Project rate", placeholder="per hour, when billed by project"),
        Field("fixed_fee", "Fixed fee", placeholder="the total, for fixed-fee projects"),
        Field("budget_by", "Budget by", kind="choice", choices=BUDGET_BY),
        Field("budget", "Budget", placeholder="hours or money, for total budgets"),
        Field("alert", "Alert at %", placeholder="e.g. 80; empty for no alert",
              aliases=("budget_alert_percent",)),
        Field("monthly_reset", "Monthly reset", kind="bool", aliases=("budget_monthly_reset",)),
        Field("include_expenses", "With expenses", kind="bool",
              aliases=("budget_includes_expenses",)),
        Field("budget_visible", "Budget public", kind="bool",
              aliases=("budget_visible_to_team",)),
        Field("starts_on", "Starts on", placeholder="YYYY-MM-DD"),
        Field("ends_on", "Ends on", placeholder="YYYY-MM-DD"),
        Field("notes", "Notes"),
    )


def _client_choices(session: Session, keep: str | None) -> tuple[tuple[str, str], ...]:
    query = select(Client).where(sa.or_(col(Client.is_active), col(Client.id) == keep))
    rows = session.exec(query.order_by(sa.func.lower(Client.name))).all()
    return tuple((c.name, c.id) for c in rows)


def project_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new project, or the project `record_id` with its billing and budget settings."""
    if record_id is None:
        policy.require(actor, Action.PROJECT_CREATE)
        values: Values = {"project_type": ProjectType.TIME_AND_MATERIALS.value,
                          "bill_by": BillBy.PROJECT.value, "budget_by": BudgetBy.NONE.value,
                          "alert": "80", "budget_visible": True}
        keep = None
    else:
        detail = projects.get_project(session, actor=actor, ref=record_id)
        policy.require(actor, Action.PROJECT_EDIT, Target(project_id=detail.project.id))
        p = detail.project
        budget = p.budget_hours if p.budget_by is BudgetBy.TOTAL_HOURS else p.budget_amount
        values = {
            "client": p.client_id, "name": p.name, "code": text(p.code),
            "project_type": text(p.project_type), "bill_by": text(p.bill_by),
            "rate": text(p.hourly_rate) if detail.show_rates else "",
            "fixed_fee": text(p.fixed_fee) if detail.show_rates else "",
            "budget_by": text(p.budget_by), "budget": text(budget) if detail.show_budget else "",
            "alert": text(p.budget_alert_percent), "monthly_reset": p.budget_monthly_reset,
            "include_expenses": p.budget_includes_expenses,
            "budget_visible": p.budget_visible_to_team,
            "starts_on": text(p.starts_on), "ends_on": text(p.ends_on), "notes": text(p.notes),
        }
        keep = p.client_id
    fields = _project_fields(_client_choices(session, keep))

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str]
             ) -> str:
        settings: dict[str, object] = {}
        for spec in fields:
            if spec.name not in changed:
                continue
            value = values[spec.name]
            key = _SETTING.get(spec.name, spec.name)
            settings[key] = value if isinstance(value, bool) else optional(values, spec.name)
        if record_id is None:
            name, client = settings.pop("name", None) or "", settings.pop("client_ref", None)
            project = projects.create_project(session, actor=actor, name=str(name),
                                              client_ref=str(client or ""),
                                              **settings)  # type: ignore[arg-type]
            return f"Added project {project.name}"
        if "name" in settings:
            settings["name"] = settings["name"] or ""
        project = projects.edit_project(session, actor=actor, ref=record_id, **settings)
        return f"Saved project {project.name}"

    title = "New project" if record_id is None else f"Edit project {values['name']}"
    note = "Per-task and per-person rates and budgets are set on the project's tasks and team."
    return FormSpec(title, fields, values, save, note=note)


# --- the project's team ------------------------------------------------------------------


def _user_label(user: User) -> str:
    return f"{user.name} (agent)" if user.user_type is UserType.AGENT else user.name


def member_form(session: Session, actor: policy.Actor, project_id: str,
                user_id: str | None) -> FormSpec:
    """Assign a person or agent to the project, or change a member's rate and manager flag."""
    project = find_project(session, project_id)
    project_name = project.name
    policy.require(actor, Action.PROJECT_ASSIGN_MEMBERS, Target(project_id=project.id))
    show_rates = policy.can(actor, Action.RATES_VIEW)
    on_team = set(session.exec(select(ProjectMember.user_id).where(
        ProjectMember.project_id == project.id)).all())
    if user_id is None:
        users = session.exec(select(User).where(User.status != UserStatus.ARCHIVED)
                             .order_by(sa.func.lower(User.name))).all()
        choices = tuple((_user_label(u), u.id) for u in users if u.id not in on_team)
        values: Values = {"manager": False}
    else:
        member, user = session.exec(
            select(ProjectMember, User).join(User, col(User.id) == ProjectMember.user_id)
            .where(ProjectMember.project_id == project.id, ProjectMember.user_id == user_id)
        ).one()
        choices = ((_user_label(user), user.id),)
        values = {"user": user.id, "rate": text(member.hourly_rate) if show_rates else "",
                  "budget": text(member.budget_hours), "manager": member.is_project_manager}
    fields = (
        Field("user", "Person or agent", kind="choice", choices=choices),
        Field("rate", "Rate override", placeholder="empty: their default rate"),
        Field("budget", "Budget hours", placeholder="per-person budgets only"),
        Field("manager", "Project manager", kind="bool"),
    )

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str]
             ) -> str:
        rate = optional(values, "rate")
        if rate is None and "rate" in changed and user_id is not None:
            rate = DEFAULT_RATE
        _, user = project_team.assign_member(
            session, actor=actor, project_ref=project_id, user_ref=str(values.get("user") or ""),
            rate=rate if "rate" in changed else None,
            budget=optional(values, "budget") if "budget" in changed else None,
            manager=flag(values, "manager"),
        )
        return f"{user.name} is on {project_name}" if user_id is None else f"Saved {user.name}"

    title = f"Assign to {project_name}" if user_id is None else f"Team member of {project_name}"
    return FormSpec(title, fields, values, save)


def project_task_form(session: Session, actor: policy.Actor, project_id: str,
                      task_id: str | None) -> FormSpec:
    """Add a task to the project, or change its billable flag and rate override there."""
    project = find_project(session, project_id)
    project_name = project.name
    policy.require(actor, Action.PROJECT_MANAGE_TASKS, Target(project_id=project.id))
    show_rates = policy.can(actor, Action.RATES_VIEW)
    if task_id is None:
        enabled = set(session.exec(select(ProjectTask.task_id).where(
            ProjectTask.project_id == project.id, col(ProjectTask.is_active))).all())
        rows = session.exec(select(Task).where(col(Task.is_active))
                            .order_by(sa.func.lower(Task.name))).all()
        choices = tuple((t.name, t.id) for t in rows if t.id not in enabled)
        values: Values = {"billable": True}
    else:
        pt, task = session.exec(
            select(ProjectTask, Task).join(Task, col(Task.id) == ProjectTask.task_id)
            .where(ProjectTask.project_id == project.id, ProjectTask.task_id == task_id)
        ).one()
        choices = ((task.name, task.id),)
        billable = task.is_billable_default if pt.is_billable is None else pt.is_billable
        values = {"task": task.id, "billable": billable,
                  "rate": text(pt.hourly_rate) if show_rates else "",
                  "budget": text(pt.budget_hours)}
    fields = (
        Field("task", "Task", kind="choice", choices=choices),
        Field("billable", "Billable", kind="bool"),
        Field("rate", "Rate override", placeholder="empty: the task's default rate"),
        Field("budget", "Budget hours", placeholder="per-task budgets only"),
    )

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str]
             ) -> str:
        rate = optional(values, "rate")
        if rate is None and "rate" in changed and task_id is not None:
            rate = DEFAULT_RATE
        _, task = project_team.add_project_task(
            session, actor=actor, project_ref=project_id, task_ref=str(values.get("task") or ""),
            billable=flag(values, "billable") if "billable" in changed else None,
            rate=rate if "rate" in changed else None,
            budget=optional(values, "budget") if "budget" in changed else None,
        )
        return f"{task.name} is on {project_name}" if task_id is None else f"Saved {task.name}"

    title = f"Add a task to {project_name}" if task_id is None else f"Task on {project_name}"
    return FormSpec(title, fields, values, save)
