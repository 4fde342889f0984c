"""People and agents, their API keys, teammate assignments and business roles."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import EmploymentType, Role, UserStatus, UserType
from keito_core.models.base import (
    TableModel,
    Timestamped,
    enum_field,
    fk,
    id_field,
    money,
    timestamp,
)


class User(Timestamped, table=True):
    """A human or agent member of the workspace (reference: Managing Members, Agent Users)."""

    __tablename__ = "users"

    id: str = id_field()
    name: str = Field(max_length=200)
    email: str = Field(max_length=254, unique=True)
    user_type: UserType = enum_field(UserType, UserType.HUMAN, index=True)
    role: Role = enum_field(Role, Role.MEMBER)
    status: UserStatus = enum_field(UserStatus, UserStatus.ACTIVE, index=True)
    employment_type: EmploymentType = enum_field(EmploymentType, EmploymentType.EMPLOYEE)
    #: Granted granular manager permissions (ManagerPermission values).
    manager_permissions: list[str] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON, nullable=False)
    )
    default_rate: Decimal | None = money()
    cost_rate: Decimal | None = money()
    #: None means the workspace's weekly capacity.
    weekly_capacity_seconds: int | None = Field(default=None)
    #: None means the workspace's timezone.
    timezone: str | None = Field(default=None, max_length=64)
    phone: str | None = Field(default=None, max_length=40)
    employee_id: str | None = Field(default=None, max_length=64)
    notify_email: bool = Field(default=True)
    archived_at: datetime | None = timestamp(nullable=True)


class ApiKey(TableModel, table=True):
    """A local API key: only its SHA-256 hash and a short prefix are stored."""

    __tablename__ = "api_keys"

    id: str = id_field()
    user_id: str = fk("users.id", ondelete="CASCADE")
    name: str = Field(max_length=200)
    prefix: str = Field(max_length=16)
    secret_hash: str = Field(max_length=64, unique=True)
    created_by_id: str | None = fk("users.id", nullable=True, index=False)
    created_at: datetime = timestamp()
    last_used_at: datetime | None = timestamp(nullable=True)
    revoked_at: datetime | None = timestamp(nullable=True)


class ManagerTeammate(TableModel, table=True):
    """A teammate assigned to a manager: the manager sees and approves their time."""

    __tablename__ = "manager_teammates"

    manager_id: str = Field(
        sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")],
        primary_key=True,
        max_length=40,
    )
    teammate_id: str = Field(
        sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")],
        primary_key=True,
        max_length=40,
    )
    created_at: datetime = timestamp()


class BusinessRole(TableModel, table=True):
    """An organisational label (Designer, Developer ...) used in reports, not permissions."""

    __tablename__ = "business_roles"

    id: str = id_field()
    name: str = Field(max_length=100, unique=True)
    created_at: datetime = timestamp()


class UserBusinessRole(TableModel, table=True):
    __tablename__ = "user_business_roles"

    user_id: str = Field(
        sa_column_args=[sa.ForeignKey("users.id", ondelete="CASCADE")],
        primary_key=True,
        max_length=40,
    )
    role_id: str = Field(
        sa_column_args=[sa.ForeignKey("business_roles.id", ondelete="CASCADE")],
        primary_key=True,
        max_length=40,
    )
