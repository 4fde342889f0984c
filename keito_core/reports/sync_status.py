"""Where each record stands with the accounting system: not synced, pending, success, failed.

A record is `pending` while a change of it waits in the outbox (or is being sent), else it
has the status of its last send (`sync_records`), else it is `not_synced`. The invoice list,
`keito invoice show`, the Invoices view's badge and `keito sync status` all read it here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.enums import OutboxState, SyncProvider, SyncStatus
from keito_core.models import Invoice, Payment, SyncConnection, SyncOutbox, SyncRecord

_WAITING = (OutboxState.PENDING, OutboxState.RUNNING)


def active_provider(session: Session) -> SyncConnection | None:
    return session.scalars(sa.select(SyncConnection)
                           .where(col(SyncConnection.is_active).is_(True)).limit(1)).first()


def statuses(session: Session, entity_type: str, ids: Iterable[str], *,
             provider: SyncProvider | str | None = None) -> dict[str, dict[str, Any]]:
    """id -> {"status", "error", "remote_id", "synced_at"} for the active (or given) provider;
    empty when no accounting system is connected."""
    ids = list(ids)
    if provider is None:
        connection = active_provider(session)
        if connection is None:
            return {}
        provider = connection.provider
    provider = SyncProvider(provider)
    result = {i: {"status": SyncStatus.NOT_SYNCED.value, "error": None, "remote_id": None,
                  "synced_at": None} for i in ids}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for entity_id, remote_id, status, error, synced_at in session.execute(
                sa.select(col(SyncRecord.entity_id), col(SyncRecord.remote_id),
                          col(SyncRecord.status), col(SyncRecord.error),
                          col(SyncRecord.synced_at))
                .where(col(SyncRecord.provider) == provider,
                       col(SyncRecord.entity_type) == entity_type,
                       col(SyncRecord.entity_id).in_(chunk))):
            result[entity_id] = {"status": SyncStatus(status).value, "error": error,
                                 "remote_id": remote_id, "synced_at": synced_at}
        for (entity_id,) in session.execute(
                sa.select(col(SyncOutbox.entity_id)).distinct()
                .where(col(SyncOutbox.provider) == provider,
                       col(SyncOutbox.entity_type) == entity_type,
                       col(SyncOutbox.entity_id).in_(chunk),
                       col(SyncOutbox.state).in_(_WAITING))):
            result[entity_id]["status"] = SyncStatus.PENDING.value
    return result


def overview(session: Session) -> dict[str, Any]:
    """`keito sync status`: counts by status, what failed and why, what waits."""
    connection = active_provider(session)
    if connection is None:
        return {"connection": None}
    provider = connection.provider
    counts: dict[str, dict[str, int]] = {}
    for entity_type, status, number in session.execute(
            sa.select(col(SyncRecord.entity_type), col(SyncRecord.status), sa.func.count())
            .where(col(SyncRecord.provider) == provider)
            .group_by(col(SyncRecord.entity_type), col(SyncRecord.status))):
        counts.setdefault(entity_type, {})[SyncStatus(status).value] = int(number)
    issued = session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(
        col(Invoice.state) != "draft")) or 0
    linked = sum(counts.get("invoice", {}).values())
    counts.setdefault("invoice", {})["not_synced"] = max(0, int(issued) - linked)
    waiting = session.scalar(sa.select(sa.func.count()).select_from(SyncOutbox).where(
        col(SyncOutbox.provider) == provider, col(SyncOutbox.state).in_(_WAITING))) or 0
    failed_rows = session.execute(
        sa.select(col(SyncRecord.entity_type), col(SyncRecord.entity_id),
                  col(SyncRecord.error), col(SyncRecord.last_attempt_at),
                  col(Invoice.number))
        .outerjoin(Payment, sa.and_(col(SyncRecord.entity_type) == "payment",
                                    col(Payment.id) == col(SyncRecord.entity_id)))
        .outerjoin(Invoice, col(Invoice.id) == sa.case(
            (col(SyncRecord.entity_type) == "invoice", col(SyncRecord.entity_id)),
            else_=col(Payment.invoice_id)))
        .where(col(SyncRecord.provider) == provider,
               col(SyncRecord.status) == SyncStatus.FAILED)
        .order_by(col(SyncRecord.last_attempt_at).desc())
        .limit(50)).all()
    last = session.scalar(sa.select(sa.func.max(col(SyncRecord.synced_at)))
                          .where(col(SyncRecord.provider) == provider))
    return {
        "connection": {
            "id": connection.id, "provider": provider.value,
            "tenant_id": connection.tenant_id, "tenant_name": connection.tenant_name,
            "status": connection.status.value, "last_error": connection.last_error,
            "settings": dict(connection.settings or {}),
            "cdc_position": connection.cdc_position,
        },
        "counts": counts,
        "waiting": int(waiting),
        "last_synced_at": last,
        "failed": [
            {"type": entity_type, "id": entity_id, "invoice": number, "error": error,
             "last_attempt_at": when}
            for entity_type, entity_id, error, when, number in failed_rows
        ],
    }


def payment_ids_of(session: Session, invoice_ids: Iterable[str]) -> list[str]:
    """The payments of these invoices (a push of named invoices takes them along)."""
    ids = list(invoice_ids)
    if not ids:
        return []
    return list(session.scalars(sa.select(col(Payment.id))
                                .where(col(Payment.invoice_id).in_(ids))))


def waiting_for(session: Session, invoice_id: str) -> list[str]:
    """Entity IDs with a change waiting to be sent that concern this invoice: the invoice
    itself and its payments (those still recorded, and those deleted, named in the row)."""
    payment_ids = set(payment_ids_of(session, [invoice_id]))
    rows = session.execute(
        sa.select(col(SyncOutbox.entity_type), col(SyncOutbox.entity_id),
                  col(SyncOutbox.detail))
        .where(col(SyncOutbox.state).in_(_WAITING),
               sa.or_(col(SyncOutbox.entity_id) == invoice_id,
                      col(SyncOutbox.entity_type) == "payment"))).all()
    found = []
    for entity_type, entity_id, detail in rows:
        if entity_id == invoice_id or entity_id in payment_ids or (
                entity_type == "payment" and (detail or {}).get("invoice_id") == invoice_id):
            found.append(entity_id)
    return found
