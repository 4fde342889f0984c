"""The in-app inbox: notifications about timesheets and other work, one row per recipient."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session

from keito_core.clock import utcnow
from keito_core.ids import new_id
from keito_core.models import Notification


def notify(
    session: Session,
    *,
    user_ids: Iterable[str],
    kind: str,
    title: str,
    body: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    now: datetime | None = None,
) -> list[Notification]:
    """Add one unread notification per distinct recipient, in the caller's transaction."""
    created = now or utcnow()
    rows = [
        Notification(
            id=new_id("notification"),
            user_id=user_id,
            kind=kind,
            title=title[:300],
            body=body,
            subject_type=subject_type,
            subject_id=subject_id,
            created_at=created,
        )
        for user_id in dict.fromkeys(user_ids)
    ]
    session.add_all(rows)
    return rows
