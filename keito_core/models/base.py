"""The shared metadata (with its naming convention) and field helpers for every table."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel
from sqlmodel.main import SQLModelConfig

from keito_core.models.types import EnumText, Micros, UTCDateTime, utcnow

#: Constraint names are deterministic, so migrations can alter them on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


def id_field() -> Any:
    """A prefixed string primary key (see keito_core.platform.ids)."""
    return Field(primary_key=True, max_length=40)


def fk(
    target: str, *, nullable: bool = False, index: bool = True, ondelete: str | None = None
) -> Any:
    """A foreign key to `table.id`."""
    return Field(
        default=None,
        sa_column_args=[sa.ForeignKey(target, ondelete=ondelete)],
        sa_type=sa.String(40),
        nullable=nullable,
        index=index,
    )


def money(*, nullable: bool = True, default: Decimal | None = None) -> Any:
    """An exact Decimal stored as millionths (money, rates, quantities, percentages)."""
    return Field(default=default, sa_type=Micros, nullable=nullable)


def enum_field(
    enum_cls: type[StrEnum], default: StrEnum | None, *, nullable: bool = False, index: bool = False
) -> Any:
    """A StrEnum stored as its string value."""
    return Field(default=default, sa_type=EnumText(enum_cls), nullable=nullable, index=index)


def timestamp(*, nullable: bool = False) -> Any:
    """A timezone-aware UTC instant; set to now when not nullable."""
    if nullable:
        return Field(default=None, sa_type=UTCDateTime, nullable=True)
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def json_column(name: str) -> Any:
    """A JSON object column; `name` lets a field avoid clashing with SQLModel attributes."""
    return Field(default_factory=dict, sa_column=sa.Column(name, sa.JSON, nullable=False))


class TableModel(SQLModel):
    """The base of every table: its pydantic validator is built on first use, not at import.

    Rows are read and written through SQLAlchemy, so most commands never validate a table
    model; building the validators of every table at start-up cost about 20 ms per command.
    """

    model_config = SQLModelConfig(defer_build=True)


class Timestamped(TableModel):
    """created_at and updated_at, timezone-aware UTC."""

    created_at: datetime = timestamp()
    updated_at: datetime = timestamp()
