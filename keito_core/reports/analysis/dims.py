"""The dimensions a summary groups by: the columns each shows, the key a row stands for, and
the joins it needs. Time entries and expenses share them (expenses add the category)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.models import (
    BusinessRole,
    Client,
    ExpenseCategory,
    Project,
    Task,
    User,
    UserBusinessRole,
)
from keito_core.reports.analysis.result import Column

NO_TASK = "(no task)"
NO_ROLE = "(no role)"


def _text(value: str) -> Any:
    """A constant as SQL text: PostgreSQL matches GROUP BY expressions by their text, and a
    bound parameter would be named differently in the SELECT and the GROUP BY."""
    return sa.literal_column("'" + value.replace("'", "''") + "'")


@dataclass(frozen=True)
class Dim:
    """One grouping: `key` selects the row's identity, `labels` its shown columns, `filter`
    names the ReportQuery member a drill-down fills with the key."""

    name: str
    key: Any
    labels: tuple[tuple[Column, Any], ...]
    filter: str
    #: Joins beyond records -> projects -> clients -> users (task, category, roles).
    needs: frozenset[str] = frozenset()


def dim(name: str, model: Any) -> Dim:
    """The dimension `name` over the records table `model` (TimeEntry or Expense), or over
    the columns of a summary's first pass (`sums.c`: its task_id and source)."""
    if name == "project":
        return Dim(name, col(Project.id), (
            (Column("client", "Client"), col(Client.name)),
            (Column("project", "Project"), col(Project.name))), "projects")
    if name == "client":
        return Dim(name, col(Client.id), ((Column("client", "Client"), col(Client.name)),),
                   "clients")
    if name == "task":
        return Dim(name, col(model.task_id),
                   ((Column("task", "Task"), sa.func.coalesce(col(Task.name), _text(NO_TASK))),),
                   "tasks", frozenset({"task"}))
    if name in ("person", "agent"):
        title = "Agent" if name == "agent" else "Team member"
        return Dim(name, col(User.id), ((Column(name, title), col(User.name)),), "people")
    if name == "source":
        return Dim(name, col(model.source), ((Column("source", "Source"), col(model.source)),),
                   "sources")
    if name == "role":
        return Dim(name, col(BusinessRole.name), (
            (Column("role", "Role"), sa.func.coalesce(col(BusinessRole.name), _text(NO_ROLE))),),
            "roles", frozenset({"role"}))
    if name == "category":
        return Dim(name, col(ExpenseCategory.id),
                   ((Column("category", "Category"), col(ExpenseCategory.name)),),
                   "categories", frozenset({"category"}))
    raise ValueError(name)  # pragma: no cover - ReportQuery.check offers only the above


def base_from(model: Any, needs: frozenset[str]) -> Any:
    """records JOIN projects JOIN clients JOIN users, plus the joins `needs` names."""
    joined = (sa.select(model).select_from(model)  # only for its FROM clause
              .join(Project, col(Project.id) == col(model.project_id))
              .join(Client, col(Client.id) == col(Project.client_id))
              .join(User, col(User.id) == col(model.user_id)))
    if "task" in needs:
        joined = joined.outerjoin(Task, col(Task.id) == col(model.task_id))
    if "category" in needs:
        joined = joined.join(ExpenseCategory,
                             col(ExpenseCategory.id) == col(model.category_id))
    if "role" in needs:
        joined = (joined.outerjoin(UserBusinessRole,
                                   col(UserBusinessRole.user_id) == col(model.user_id))
                  .outerjoin(BusinessRole,
                             col(BusinessRole.id) == col(UserBusinessRole.role_id)))
    return joined.get_final_froms()[0]
