"""API v2 routes: the team time report (hours per person, from `from` to `to`).

It is Keito's time report grouped by person (keito_core.reports.analysis.run_report, the
figures `keito report time --group-by person` shows): SQL sums per person and currency over
the entries the viewer may report on (managers: their teammates' and those on projects they
manage; administrators: all), a row per person and currency. The spec requires a manager or
an administrator: a member, who may report on their own time only, is refused (403). Dates
are YYYYMMDD as the spec says (YYYY-MM-DD is taken too), at most 365 days. The rows are the
team's (a handful per person), so the page is cut from the summed rows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.errors import KeitoError, validation
from keito_core.models import User
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action, Scope
from keito_core.server import shapes
from keito_core.server.call import Call, route
from keito_core.server.paging import envelope, page_of

#: The longest period the report covers, in days (the spec's "cannot exceed 365 days").
MAX_DAYS = 365


def report_day(call: Call, name: str) -> date:
    """A required YYYYMMDD (or YYYY-MM-DD) date parameter."""
    text = call.text(name)
    if text is None:
        raise validation(f"{name} is required (YYYYMMDD)", field=name)
    digits = text.replace("-", "")
    try:
        if len(digits) != 8 or not digits.isdigit():
            raise ValueError(text)
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise validation(f"{name} must be a date as YYYYMMDD, not {text!r}",
                         field=name) from None


def _require_team_reach(call: Call) -> None:
    """Refuse, by the policy's reach of reports, one who may report on their own time only."""
    policy.require(call.actor, Action.REPORT_VIEW)
    if not policy.scopes_for(call.actor, Action.REPORT_VIEW) - {Scope.OWN}:
        raise KeitoError("authorization_error", "the team time report is for managers and "
                         "administrators", hint="`keito report time` shows your own time")


@route("GET", "/api/v2/reports/time/team", errors=(400, 403))
def team_time(call: Call) -> dict[str, Any]:
    from keito_core.reports.analysis import ReportQuery, run_report

    first, last = report_day(call, "from"), report_day(call, "to")
    if last < first:
        raise validation("to is before from", field="to")
    if (last - first).days > MAX_DAYS:
        raise validation(f"the period cannot exceed {MAX_DAYS} days", field="to")
    page = page_of(call)
    _require_team_reach(call)
    result = run_report(call.session, actor=call.actor, now=call.now, query=ReportQuery(
        kind="time", group_by="person", date_from=first, date_to=last))
    rows = result.rows[page.offset:page.offset + page.size]
    ids = sorted({row["_keys"]["people"] for row in rows})
    users = {u.id: u for u in call.session.execute(
        sa.select(User).where(col(User.id).in_(ids))).scalars()} if ids else {}
    default = call.workspace.weekly_capacity_seconds
    items = []
    for row in rows:
        person = users[row["_keys"]["people"]]
        capacity = person.weekly_capacity_seconds
        items.append(shapes.team_result(
            row, user=person, weekly_capacity=default if capacity is None else capacity))
    return envelope(call, page, len(result.rows), "results", items)
