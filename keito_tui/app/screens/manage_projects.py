"""Forms for projects (billing and budget settings) and for a project's team and tasks."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from keito_core import presenters
from keito_core.enums import BillBy, BudgetBy, ProjectType, UserType
from keito_core.reports import manage
from keito_core.reports.manage_forms import addable_tasks, assignable_people, client_choices
from keito_core.services.directory import project_team, projects
from keito_core.services.directory.projects import DEFAULT_RATE
from keito_tui.app.loaders import PROJECT_TYPES
from keito_tui.app.screens.manage_forms import Field, FormSpec, Values, flag, optional, text

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.rules import permissions as policy

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


def project_form(session: Session, actor: policy.Actor, record_id: str | None) -> FormSpec:
    """A new project, or the project `record_id` with its billing and budget settings."""
    if record_id is None:
        projects.check_project_create(actor)
        values: Values = {"project_type": ProjectType.TIME_AND_MATERIALS.value,
                          "bill_by": BillBy.PROJECT.value, "budget_by": BudgetBy.NONE.value,
                          "alert": "80", "budget_visible": True}
        keep = None
    else:
        detail = projects.get_project(session, actor=actor, ref=record_id)
        projects.check_project_edit(session, actor=actor, ref=detail.project.id)
        p = presenters.project(detail.project, viewer=actor)
        hours = p.get("budget_by") == BudgetBy.TOTAL_HOURS.value
        values = {
            "client": p["client_id"], "name": p["name"], "code": text(p["code"]),
            "project_type": text(p["billing_type"]), "bill_by": text(p["bill_by"]),
            "rate": text(p.get("hourly_rate")), "fixed_fee": text(p.get("fixed_fee")),
            "budget_by": text(p.get("budget_by")),
            "budget": text(p.get("budget_hours" if hours else "budget_amount")),
            "alert": text(p.get("budget_alert_percent")),
            "monthly_reset": bool(p.get("budget_monthly_reset")),
            "include_expenses": bool(p.get("budget_includes_expenses")),
            "budget_visible": bool(p.get("budget_visible_to_team")),
            "starts_on": text(p["starts_on"]), "ends_on": text(p["ends_on"]),
            "notes": text(p["notes"]),
        }
        keep = p["client_id"]
    fields = _project_fields(tuple((c.name, c.id)
                                   for c in client_choices(session, keep=keep)))

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
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
                                              **settings, now=now)  # type: ignore[arg-type]
            return f"Added project {project.name}"
        if "name" in settings:
            settings["name"] = settings["name"] or ""
        project = projects.edit_project(session, actor=actor, ref=record_id, **settings, now=now)
        return f"Saved project {project.name}"

    title = "New project" if record_id is None else f"Edit project {values['name']}"
    note = "Per-task and per-person rates and budgets are set on the project's tasks and team."
    return FormSpec(title, fields, values, save, note=note)


# --- the project's team ------------------------------------------------------------------


def _user_label(name: str, *, agent: bool) -> str:
    return f"{name} (agent)" if agent else name


def member_form(session: Session, actor: policy.Actor, project_id: str,
                user_id: str | None) -> FormSpec:
    """Assign a person or agent to the project, or change a member's rate and manager flag."""
    project = project_team.check_team_change(session, actor=actor, project_ref=project_id)
    project_name = project.name
    if user_id is None:
        choices = tuple((_user_label(c.name, agent=c.is_agent), c.id)
                        for c in assignable_people(session, project_id=project.id))
        values: Values = {"manager": False}
    else:
        member = manage.team_member(session, actor=actor, project_ref=project.id,
                                    user_id=user_id)
        agent = member.user_type == UserType.AGENT.value
        choices = ((_user_label(member.name, agent=agent), member.id),)
        values = {"user": member.id,
                  "rate": "" if member.uses_default_rate else text(member.hourly_rate),
                  "budget": text(member.budget_hours), "manager": member.is_project_manager}
    fields = (
        Field("user", "Person or agent", kind="choice", choices=choices),
        Field("rate", "Rate override", placeholder="empty: their default rate"),
        Field("budget", "Budget hours", placeholder="per-person budgets only"),
        Field("manager", "Project manager", kind="bool"),
    )

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        rate = optional(values, "rate")
        if rate is None and "rate" in changed and user_id is not None:
            rate = DEFAULT_RATE
        _, user = project_team.assign_member(
            session, actor=actor, project_ref=project_id, user_ref=str(values.get("user") or ""),
            rate=rate if "rate" in changed else None,
            budget=optional(values, "budget") if "budget" in changed else None,
            manager=flag(values, "manager"),
            now=now,
        )
        return f"{user.name} is on {project_name}" if user_id is None else f"Saved {user.name}"

    title = f"Assign to {project_name}" if user_id is None else f"Team member of {project_name}"
    return FormSpec(title, fields, values, save)


def project_task_form(session: Session, actor: policy.Actor, project_id: str,
                      task_id: str | None) -> FormSpec:
    """Add a task to the project, or change its billable flag and rate override there."""
    project = project_team.check_tasks_change(session, actor=actor, project_ref=project_id)
    project_name = project.name
    if task_id is None:
        choices = tuple((c.name, c.id) for c in addable_tasks(session, project_id=project.id))
        values: Values = {"billable": True}
    else:
        line = manage.project_task(session, actor=actor, project_ref=project.id,
                                   task_id=task_id)
        choices = ((line.name, line.id),)
        values = {"task": line.id, "billable": line.billable,
                  "rate": "" if line.uses_default_rate else text(line.hourly_rate),
                  "budget": text(line.budget_hours)}
    fields = (
        Field("task", "Task", kind="choice", choices=choices),
        Field("billable", "Billable", kind="bool"),
        Field("rate", "Rate override", placeholder="empty: the task's default rate"),
        Field("budget", "Budget hours", placeholder="per-task budgets only"),
    )

    def save(session: Session, actor: policy.Actor, values: Values, changed: frozenset[str],
             now: datetime) -> str:
        rate = optional(values, "rate")
        if rate is None and "rate" in changed and task_id is not None:
            rate = DEFAULT_RATE
        _, task = project_team.add_project_task(
            session, actor=actor, project_ref=project_id, task_ref=str(values.get("task") or ""),
            billable=flag(values, "billable") if "billable" in changed else None,
            rate=rate if "rate" in changed else None,
            budget=optional(values, "budget") if "budget" in changed else None,
            now=now,
        )
        return f"{task.name} is on {project_name}" if task_id is None else f"Saved {task.name}"

    title = f"Add a task to {project_name}" if task_id is None else f"Task on {project_name}"
    return FormSpec(title, fields, values, save)
