"""API v2 routes: expenses (list and create).

The list is the expenses the acting user may see (the policy: members their own, managers
their teammates' and those on projects they manage, administrators all), filtered by exact
IDs (an ID nobody has matches nothing), newest spent_date first, one COUNT and one page.
A create logs the expense as `keito expense log` does, for the acting user, with the spec's
`source` (default `api`) and metadata.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.errors import KeitoError
from keito_core.models import Expense
from keito_core.rules.permissions import Action
from keito_core.server import shapes
from keito_core.server.call import Call, route
from keito_core.server.paging import envelope, page_of, page_rows
from keito_core.server.shapes_input import Body, source_filter, tracked_filters

PATH = "/api/v2/expenses"
SOURCES = ("web", "cli", "api", "agent")


def expense_shapes(call: Call, expenses: list[Expense]) -> list[dict[str, Any]]:
    """The spec's Expense of each expense, as the acting user sees it."""
    from keito_core.reports.record_views import expense_views

    return [shapes.expense(view) for view in expense_views(
        call.session, viewer=call.actor, expenses=expenses, now=call.now)]


def _filters(call: Call) -> list[Any]:
    where = tracked_filters(call, Expense, Action.EXPENSE_VIEW)
    sources = source_filter(call.text("source"), SOURCES)
    if sources is not None:
        where.append(col(Expense.source).in_(sources))
    return where


@route("GET", PATH, errors=(401,))
def list_expenses(call: Call) -> dict[str, Any]:
    page = page_of(call)
    query = (sa.select(Expense).where(*_filters(call))
             .order_by(col(Expense.spent_date).desc(), col(Expense.created_at).desc(),
                       col(Expense.id).desc()))
    total, rows = page_rows(call.session, query, page)
    return envelope(call, page, total, "expenses",
                    expense_shapes(call, [row[0] for row in rows]))


@route("POST", PATH, errors=(400, 401, 404))
def create_expense(call: Call) -> dict[str, Any]:
    """ExpenseCreate -> the logged Expense (`units` is the quantity of a unit-based
    category such as Mileage or LLM Usage; `total_cost` the amount of any other)."""
    from keito_core.api.resources import DEFAULT_SOURCE, category_ref
    from keito_core.services.tracking.expenses import log_expense

    body = Body(call.body)
    project_id = body.text("project_id", required=True)
    category_id = body.text("expense_category_id", required=True)
    spent_date = body.day("spent_date", required=True)
    total = body.number("total_cost", minimum=0)
    units = body.whole("units", minimum=1)
    if total is None and units is None:
        raise KeitoError("validation_error", "give total_cost or units", field="total_cost",
                         hint="units for a unit-based category (Mileage, LLM Usage), "
                              "total_cost for any other")
    assert project_id is not None
    expense = log_expense(
        call.session, actor=call.actor, project_ref=project_id,
        category_ref=category_ref(category_id), quantity=None if units is None else str(units),
        total=total, spent_date=spent_date, notes=body.text("notes"),
        billable=body.flag("billable"), source=body.choice("source", SOURCES) or DEFAULT_SOURCE,
        meta=body.object("metadata"), now=call.now)
    return expense_shapes(call, [expense])[0]

