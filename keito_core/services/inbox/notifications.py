"""The in-app inbox: notifications about timesheets and other work, one row per recipient.

Marking a notification read is the recipient's own bookkeeping, not a change to business
records, so it is not written to the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.errors import not_found, validation
from keito_core.models import Notification
from keito_core.platform.ids import new_id
from keito_core.platform.instant_paging import paginate_newest
from keito_core.platform.paging import Page
from keito_core.rules import permissions as policy
from keito_core.rules.permissions import Action

#: Kinds the product writes (others may be added; the inbox shows any kind).
KINDS = (
    "timesheet_submitted",
    "timesheet_approved",
    "timesheet_rejected",
    "timesheet_withdrawn",
    "timesheet_reminder",
    "timesheet_deadline",
    "budget_alert",
)


def notify(
    session: Session,
    *,
    user_ids: Iterable[str],
    kind: str,
    title: str,
    body: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    now: datetime,
) -> list[Notification]:
    """Add one unread notification per distinct recipient, in the caller's transaction."""
    rows = [
        Notification(
            id=new_id("notification"),
            user_id=user_id,
            kind=kind,
            title=title[:300],
            body=body,
            subject_type=subject_type,
            subject_id=subject_id,
            created_at=now,
        )
        for user_id in dict.fromkeys(user_ids)
    ]
    session.add_all(rows)
    return rows


def notification_view(row: Notification) -> dict[str, Any]:
    """The public shape of a notification (CLI JSON, the inbox view)."""
    return {
        "id": row.id,
        "kind": row.kind,
        "title": row.title,
        "body": row.body,
        "subject_type": row.subject_type,
        "subject_id": row.subject_id,
        "is_read": row.read_at is not None,
        "read_at": row.read_at,
        "emailed_at": row.emailed_at,
        "created_at": row.created_at,
    }


def list_notifications(
    session: Session,
    *,
    actor: policy.Actor,
    unread_only: bool = False,
    limit: int | str | None = None,
    cursor: str | None = None,
) -> Page:
    """The actor's own notifications, newest first, one page (see `instant_paging`)."""
    policy.require(actor, Action.NOTIFICATION_READ)
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if unread_only:
        query = query.where(col(Notification.read_at).is_(None))
    return paginate_newest(
        session,
        query,
        kind="notification",
        time_column=Notification.created_at,
        id_column=Notification.id,
        limit=limit,
        cursor=cursor,
    )


def unread_count(session: Session, *, actor: policy.Actor) -> int:
    """How many of the actor's notifications are unread."""
    policy.require(actor, Action.NOTIFICATION_READ)
    query = select(sa.func.count()).where(
        Notification.user_id == actor.user_id, col(Notification.read_at).is_(None)
    )
    return int(session.exec(query).one())


def mark_read(
    session: Session,
    *,
    actor: policy.Actor,
    notification_ids: Iterable[str] | None = None,
    all: bool = False,  # noqa: A002 - the natural name of "every unread notification"
    now: datetime,
) -> list[Notification]:
    """Mark the given (or, with `all`, every unread) notification of the actor read.

    Returns the notifications that were unread and now are read (in the order given, or
    newest first with `all`); already-read ones are left as they were. An ID that is not
    one of the actor's notifications is not_found.
    """
    policy.require(actor, Action.NOTIFICATION_READ)
    wanted = list(dict.fromkeys(i.strip() for i in (notification_ids or []) if i.strip()))
    if all == bool(wanted):
        raise validation(
            "pass notification IDs or all, not both" if all else "no notification given",
            field="notification_ids",
            hint="`keito notifications read ID...` or `keito notifications read --all`",
        )
    query = select(Notification).where(Notification.user_id == actor.user_id)
    if all:
        query = query.where(col(Notification.read_at).is_(None))
    else:
        query = query.where(col(Notification.id).in_(wanted))
    newest_first = (col(Notification.created_at).desc(), col(Notification.id).desc())
    rows = list(session.exec(query.order_by(*newest_first)).all())
    if not all:
        found = {row.id: row for row in rows}
        missing = [i for i in wanted if i not in found]
        if missing:
            raise not_found("notification", missing[0], field="notification_ids")
        rows = [found[i] for i in wanted]
    changed = [row for row in rows if row.read_at is None]
    for row in changed:
        row.read_at = now
        session.add(row)
    session.flush()
    return changed
