"""Expense categories (standard or unit-based, with the built-in LLM Usage) and expenses."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from keito_core.enums import ApprovalStatus, Source
from keito_core.models.base import (
    Timestamped,
    enum_field,
    fk,
    id_field,
    json_column,
    money,
    timestamp,
)

LLM_USAGE = "LLM Usage"


class ExpenseCategory(Timestamped, table=True):
    """A kind of expense; unit-based when it has a unit name and price."""

    __tablename__ = "expense_categories"

    id: str = id_field()
    name: str = Field(max_length=200, unique=True)
    handle: str = Field(max_length=64, unique=True)
    unit_name: str | None = Field(default=None, max_length=40)
    unit_price: Decimal | None = money()
    is_billable_default: bool = Field(default=True)
    is_active: bool = Field(default=True)
    #: Built-in categories (LLM Usage) cannot be renamed away or deleted.
    is_builtin: bool = Field(default=False)

    @property
    def is_unit_based(self) -> bool:
        return self.unit_price is not None


class Expense(Timestamped, table=True):
    """A cost against a project (reference: Expenses API)."""

    __tablename__ = "expenses"
    __table_args__ = (
        sa.Index("ix_expenses_user_day", "user_id", "spent_date"),
        sa.Index("ix_expenses_project_day", "project_id", "spent_date"),
    )

    id: str = id_field()
    user_id: str = fk("users.id", index=False)
    project_id: str = fk("projects.id", index=False)
    category_id: str = fk("expense_categories.id")
    spent_date: date = Field(index=True)
    #: Quantity for unit-based categories (thousands of tokens for LLM Usage).
    units: Decimal | None = money()
    unit_price: Decimal | None = money()
    total_cost: Decimal = money(nullable=False, default=Decimal(0))
    notes: str | None = Field(default=None)
    #: Path of the receipt file, relative to the data directory's receipts folder.
    receipt_path: str | None = Field(default=None, max_length=500)
    receipt_name: str | None = Field(default=None, max_length=255)
    receipt_content_type: str | None = Field(default=None, max_length=100)
    receipt_size: int | None = Field(default=None)
    is_billable: bool = Field(default=True)
    approval_status: ApprovalStatus = enum_field(ApprovalStatus, ApprovalStatus.UNSUBMITTED)
    submission_id: str | None = fk("submissions.id", nullable=True)
    invoice_id: str | None = fk("invoices.id", nullable=True)
    #: The invoice line that bills it (removing the line releases it).
    invoice_line_id: str | None = fk("invoice_lines.id", nullable=True)
    unlocked_at: datetime | None = timestamp(nullable=True)
    unlocked_by_id: str | None = fk("users.id", nullable=True, index=False)
    source: Source = enum_field(Source, Source.CLI, index=True)
    meta: dict[str, Any] = json_column("metadata")
