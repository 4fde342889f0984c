"""Save a report's kind, grouping and filters under a name, private or shared with the team,
and delete one. Saving a name the actor already uses replaces that report (the command line's
`--save NAME` run again updates it); only its owner may change or delete a report."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import KeitoError, validation
from keito_core.models import SavedReport, User
from keito_core.platform import audit
from keito_core.platform.ids import new_id
from keito_core.reports.analysis.query import ReportQuery
from keito_core.reports.analysis.saved import STORED_KIND, SavedView, view_of
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action


def _own(session: Session, actor: policy.Actor, name: str) -> SavedReport | None:
    return session.exec(select(SavedReport).where(
        col(SavedReport.owner_id) == actor.user_id,
        sa.func.lower(col(SavedReport.name)) == name.strip().lower())).first()


def save_report(session: Session, *, actor: policy.Actor, name: str, query: ReportQuery,
                shared: bool = False, now: datetime) -> SavedView:
    """Save (or replace) the actor's report `name`."""
    policy.require(actor, Action.REPORT_VIEW)
    clean = " ".join(name.split())
    if not clean:
        raise validation("a saved report needs a name", field="name")
    if len(clean) > 200:
        raise validation("a saved report's name is at most 200 characters", field="name")
    checked = query.check()
    filters = checked.to_dict()
    filters.pop("kind", None)
    row = _own(session, actor, clean)
    if row is None:
        row = SavedReport(id=new_id("saved_report"), owner_id=actor.user_id, name=clean,
                          kind=STORED_KIND[checked.kind], filters=filters, is_shared=shared,
                          created_at=now, updated_at=now)
        session.add(row)
        action = "saved_report.create"
    else:
        row.kind = STORED_KIND[checked.kind]
        row.filters = filters
        row.is_shared = shared
        row.updated_at = now
        action = "saved_report.update"
    session.flush()
    audit.record(session, actor_id=actor.user_id, action=action, entity=row,
                 changes={"name": clean, "kind": checked.kind, "shared": shared}, now=now)
    owner = session.get(User, actor.user_id)
    return view_of(row, owner.name if owner else "", actor)


def delete_saved_report(session: Session, *, actor: policy.Actor, name: str,
                        now: datetime) -> None:
    """Delete the actor's own saved report `name` (others' shared ones are theirs)."""
    policy.require(actor, Action.REPORT_VIEW)
    row = _own(session, actor, name)
    if row is None:
        row = session.get(SavedReport, name.strip())
        if row is not None and row.owner_id != actor.user_id:
            raise KeitoError("authorization_error", "only its owner may delete a saved report",
                             field="name")
    if row is None:
        raise KeitoError("not_found", f"you have no saved report named {name!r}", field="name",
                         hint="`keito report saved` lists them")
    audit.record(session, actor_id=actor.user_id, action="saved_report.delete", entity=row,
                 changes={"name": row.name}, now=now)
    session.delete(row)
    session.flush()
