"""Approved time entries as QuickBooks TimeActivity documents (keito_core.sync.engine)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import ApprovalStatus
from keito_core.models import Client, Project, Task, TimeEntry, User
from keito_core.sync.quickbooks_payloads import TimeDoc


def time_doc(session: Session, entry_id: str) -> TimeDoc | None:
    """The entry as it would be pushed, or None when it is gone, running or not approved."""
    row = session.execute(
        sa.select(TimeEntry, User.name, Client.id, Client.name, Client.currency,  # type: ignore[call-overload]
                  Project.name, Task.name)
        .join(User, col(User.id) == col(TimeEntry.user_id))
        .join(Project, col(Project.id) == col(TimeEntry.project_id))
        .join(Client, col(Client.id) == col(Project.client_id))
        .outerjoin(Task, col(Task.id) == col(TimeEntry.task_id))
        .where(col(TimeEntry.id) == entry_id)).first()
    if row is None:
        return None
    entry, user_name, client_id, client_name, currency, project_name, task_name = row
    if entry.is_running or entry.approval_status is not ApprovalStatus.APPROVED:
        return None
    return TimeDoc(
        id=entry.id, user_id=entry.user_id, user_name=user_name, client_id=client_id,
        project_id=entry.project_id, task_id=entry.task_id, spent_date=entry.spent_date,
        seconds=int(entry.duration_seconds), notes=entry.notes, billable=entry.is_billable,
        rate=entry.billable_rate if entry.is_billable else None, currency=currency,
        client_name=client_name, project_name=project_name, task_name=task_name)


def approved_unsynced(session: Session, provider: str, *, date_from: date | None,
                      date_to: date | None) -> list[str]:
    """IDs of approved, stopped entries in the range that have no remote copy yet."""
    from keito_core.models import SyncRecord

    linked = sa.select(col(SyncRecord.entity_id)).where(
        col(SyncRecord.provider) == provider, col(SyncRecord.entity_type) == "time_entry",
        col(SyncRecord.remote_id).is_not(None))
    query = sa.select(col(TimeEntry.id)).where(
        col(TimeEntry.approval_status) == ApprovalStatus.APPROVED,
        col(TimeEntry.is_running).is_(False), col(TimeEntry.id).not_in(linked))
    if date_from is not None:
        query = query.where(col(TimeEntry.spent_date) >= date_from)
    if date_to is not None:
        query = query.where(col(TimeEntry.spent_date) <= date_to)
    return list(session.scalars(query.order_by(col(TimeEntry.spent_date), col(TimeEntry.id))))
