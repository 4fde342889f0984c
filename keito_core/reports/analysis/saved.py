"""Saved reports: a report's kind, grouping and filters under a name, private to its owner or
shared with the team. Anyone may run a report shared with them; what it shows is always what
the person running it may see (a saved report stores filters, never results)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ReportKind
from keito_core.errors import KeitoError
from keito_core.models import SavedReport, User
from keito_core.reports.analysis.query import ReportQuery
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action

#: The stored kind of each report (older saves name the expense report `expense`).
STORED_KIND = {"time": ReportKind.TIME, "expenses": ReportKind.EXPENSE,
               "budget": ReportKind.BUDGET, "uninvoiced": ReportKind.UNINVOICED,
               "utilization": ReportKind.UTILIZATION, "agents": ReportKind.AGENTS}
_KIND_OF = {stored: kind for kind, stored in STORED_KIND.items()}


@dataclass(frozen=True)
class SavedView:
    """A saved report as lists and the app show it."""

    id: str
    name: str
    kind: str
    owner_name: str
    is_shared: bool
    is_mine: bool
    query: ReportQuery


def view_of(row: SavedReport, owner_name: str, actor: policy.Actor) -> SavedView:
    kind = _KIND_OF.get(ReportKind(row.kind), "time")
    query = ReportQuery.from_dict({**(row.filters or {}), "kind": kind})
    return SavedView(id=row.id, name=row.name, kind=kind, owner_name=owner_name,
                     is_shared=row.is_shared, is_mine=row.owner_id == actor.user_id,
                     query=query)


def list_saved(session: Session, *, actor: policy.Actor) -> list[SavedView]:
    """The actor's own saved reports and those others share, by name."""
    policy.require(actor, Action.REPORT_VIEW)
    rows = session.execute(
        select(SavedReport, User.name).join(User, col(User.id) == col(SavedReport.owner_id))
        .where(sa.or_(col(SavedReport.owner_id) == actor.user_id,
                      col(SavedReport.is_shared).is_(True)))
        .order_by(sa.func.lower(col(SavedReport.name)), col(User.name))).all()
    return [view_of(row, owner, actor) for row, owner in rows]


def find_saved(session: Session, *, actor: policy.Actor, name: str) -> SavedView:
    """A saved report by name (case-insensitive) or ID: the actor's own first, else one
    shared with them; several shared ones of that name must be told apart by ID."""
    wanted = name.strip().lower()
    found = [view for view in list_saved(session, actor=actor)
             if view.id == name.strip() or view.name.lower() == wanted]
    mine = [view for view in found if view.is_mine]
    if mine:
        return mine[0]
    if len(found) == 1:
        return found[0]
    if not found:
        raise KeitoError("not_found", f"no saved report named {name!r}", field="name",
                         hint="`keito report saved` lists them")
    owners = ", ".join(f"{view.id} ({view.owner_name})" for view in found)
    raise KeitoError("validation_error", f"several shared reports are named {name!r}",
                     field="name", hint=f"name one by ID: {owners}")
