"""Column types: exact fixed-point numbers, UTC datetimes and string enums."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

from keito_core.platform.clock import utcnow
from keito_core.rules.money import MICROS, stored_amount

__all__ = ["MICROS", "EnumText", "Micros", "UTCDateTime", "utcnow"]


class Micros(TypeDecorator[Decimal]):
    """A Decimal stored as an integer count of millionths, so SQL sums stay exact.

    Used for money, rates, quantities and percentages: 0.003 per 1k tokens survives.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        scaled = Decimal(value) * MICROS
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than 6 decimal places")
        return int(scaled)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return stored_amount(value)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime, always stored and returned in UTC."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass a timezone-aware value")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class EnumText(TypeDecorator[StrEnum]):
    """A StrEnum member stored as its plain string value (no native database enum)."""

    impl = sa.String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[StrEnum], length: int = 32) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> StrEnum | None:
        if value is None:
            return None
        return self.enum_cls(value)

    def copy(self, **kw: Any) -> EnumText:
        return EnumText(self.enum_cls, self.impl.length or 32)
