"""Company-level tasks: the type of work (Design, Development, Meetings ...)."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Field

from keito_core.models.base import Timestamped, id_field, money


class Task(Timestamped, table=True):
    __tablename__ = "tasks"

    id: str = id_field()
    name: str = Field(max_length=200, unique=True)
    handle: str = Field(max_length=64, unique=True)
    is_billable_default: bool = Field(default=True)
    default_rate: Decimal | None = money()
    #: Added to every new project automatically.
    is_default: bool = Field(default=False)
    is_active: bool = Field(default=True, index=True)
