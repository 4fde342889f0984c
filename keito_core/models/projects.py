"""Projects, the tasks enabled on them and the people assigned to them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import BillBy, BudgetBy, ProjectType
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    money,
    timestamp,
)


class Project(Timestamped, table=True):
    """A piece of client work (reference: Creating Projects, Budgets & Tracking)."""

    __tablename__ = "projects"
    __table_args__ = (sa.UniqueConstraint("client_id", "name"),)

    id: str = id_field()
    client_id: str = fk("clients.id")
    name: str = Field(max_length=200)
    #: A short identifier chosen by people (e.g. "ACME-WEB"); unique when set.
    code: str | None = Field(default=None, max_length=64, unique=True)
    #: The command-line handle (e.g. "acme-website"); always set and unique.
    handle: str = Field(max_length=64, unique=True)
    starts_on: date | None = Field(default=None)
    ends_on: date | None = Field(default=None)
    notes: str | None = Field(default=None)
    project_type: ProjectType = enum_field(ProjectType, ProjectType.TIME_AND_MATERIALS)
    bill_by: BillBy = enum_field(BillBy, BillBy.PROJECT)
    hourly_rate: Decimal | None = money()
    fixed_fee: Decimal | None = money()
    budget_by: BudgetBy = enum_field(BudgetBy, BudgetBy.NONE)
    #: Hours for hour budgets (exact Decimal hours).
    budget_hours: Decimal | None = money()
    #: Money for fee budgets, in the client's currency.
    budget_amount: Decimal | None = money()
    budget_monthly_reset: bool = Field(default=False)
    budget_alert_percent: int | None = Field(default=80)
    budget_includes_expenses: bool = Field(default=False)
    budget_visible_to_team: bool = Field(default=True)
    is_active: bool = Field(default=True, index=True)
    archived_at: datetime | None = timestamp(nullable=True)


class ProjectTask(TableModel, table=True):
    """A task enabled on a project, with optional billable, rate and budget overrides."""

    __tablename__ = "project_tasks"
    __table_args__ = (sa.UniqueConstraint("project_id", "task_id"),)

    id: str = id_field()
    project_id: str = fk("projects.id", ondelete="CASCADE")
    task_id: str = fk("tasks.id")
    #: None means the task's billable default.
    is_billable: bool | None = Field(default=None)
    #: None means the task's default rate.
    hourly_rate: Decimal | None = money()
    budget_hours: Decimal | None = money()
    budget_amount: Decimal | None = money()
    is_active: bool = Field(default=True)
    created_at: datetime = timestamp()


class ProjectMember(TableModel, table=True):
    """A user assigned to a project: only members may log to it."""

    __tablename__ = "project_members"
    __table_args__ = (sa.UniqueConstraint("project_id", "user_id"),)

    id: str = id_field()
    project_id: str = fk("projects.id", ondelete="CASCADE")
    user_id: str = fk("users.id")
    #: None means the user's default rate.
    hourly_rate: Decimal | None = money()
    budget_hours: Decimal | None = money()
    budget_amount: Decimal | None = money()
    is_project_manager: bool = Field(default=False)
    created_at: datetime = timestamp()
