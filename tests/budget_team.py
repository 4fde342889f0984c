"""A budgeted project and its team, for the budget report and budget alert tests.

Acme Corp's "Website Redesign" (code WEB, £100 an hour for everyone) with tasks Design and
Build. Ada is the administrator; Max a manager who manages WEB; Mo a manager who does not;
Bea a member on WEB; Bot an agent on WEB. March 2026 (GMT: local dates equal UTC dates).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from keito_core.models import Project
from keito_core.services.directory import clients, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def make_budget_team(workspace: Any, *, budget_by: str = "total_hours", budget: str | None = "10",
                     monthly: bool = False, alert: int | None = 80,
                     includes_expenses: bool = False, visible_to_team: bool = True,
                     task_budgets: tuple[str | None, str | None] = (None, None),
                     task_fees: tuple[str | None, str | None] = (None, None),
                     person_budgets: dict[str, str] | None = None,
                     person_fees: dict[str, str] | None = None) -> dict[str, str]:
    """Make the team; returns IDs by name: ada, max, mo, bea, bot, web, design, build."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        project = projects.create_project(
            s, actor=admin, name="Website Redesign", client_ref="Acme Corp", code="WEB",
            rate="100", bill_by="project", now=NOW)
        project.budget_by = budget_by  # type: ignore[assignment]
        project.budget_hours = None
        project.budget_amount = None
        if budget is not None and budget_by == "total_hours":
            project.budget_hours = budget  # type: ignore[assignment]
        elif budget is not None and budget_by == "total_fees":
            project.budget_amount = budget  # type: ignore[assignment]
        project.budget_monthly_reset = monthly
        project.budget_alert_percent = alert
        project.budget_includes_expenses = includes_expenses
        project.budget_visible_to_team = visible_to_team
        s.add(project)
        made = {
            "ada": workspace.admin_id,
            "max": users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                     role="manager", now=NOW).id,
            "mo": users.create_user(s, actor=admin, name="Mo Other", email="mo@acme.test",
                                    role="manager", now=NOW).id,
            "bea": users.create_user(s, actor=admin, name="Bea Member", email="bea@acme.test",
                                     now=NOW).id,
            "bot": users.create_user(s, actor=admin, name="Bot Agent", agent=True, now=NOW).id,
            "web": project.id,
        }
        hours = person_budgets or {}
        fees = person_fees or {}
        for name in ("max", "bea", "bot"):
            assign_member(s, actor=admin, project_ref=project.id, user_ref=made[name],
                          manager=name == "max", budget=hours.get(name),
                          budget_fees=fees.get(name), now=NOW)
        for (name, hours_budget, fee_budget) in (("Design", task_budgets[0], task_fees[0]),
                                                 ("Build", task_budgets[1], task_fees[1])):
            task = tasks.create_task(s, actor=admin, name=name, now=NOW)
            add_project_task(s, actor=admin, project_ref=project.id, task_ref=task.id,
                             budget=hours_budget, budget_fees=fee_budget, now=NOW)
            made[name.lower()] = task.id
        s.flush()
        assert s.get(Project, project.id) is not None
    return made
