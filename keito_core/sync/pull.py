"""Payments recorded in the accounting system, brought back into Keito (`keito sync pull`).

QuickBooks is read by change data capture from the connection's stored position (the provider
falls back to a paged query past CDC's 30 days and continues past its 1,000 objects); each
payment is recorded once, through the billing service, with its remote ID linked in the same
transaction that moves the position on. A payment Keito pushed is already linked and skipped;
one deleted there is deleted here. Nothing recorded here is queued to go back (outbox.PULLING).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.enums import SyncStatus
from keito_core.errors import KeitoError
from keito_core.models import Payment, SyncConnection, SyncRecord
from keito_core.sync import outbox
from keito_core.sync.credentials import vendor_name
from keito_core.sync.engine import Engine
from keito_core.sync.provider import Remote


def pull_payments(engine: Engine, *, actor_id: str, now: datetime) -> dict[str, Any]:
    """Payments recorded in the accounting system since the stored position, recorded in Keito
    once each (a payment Keito pushed is already linked and skipped), with the new position, in
    one transaction."""
    from keito_core.models import User
    from keito_core.platform.identity import actor_for
    from keito_core.services.billing import payments as payment_service

    pull = getattr(engine.provider, "pull_payments", None)
    if pull is None:
        raise KeitoError("validation_error",
                         f"{vendor_name(engine.kind)} payments are pushed from Keito; pulling "
                         "reads QuickBooks", hint="record payments in Keito: they are pushed")
    with engine.runtime.session(readonly=True) as session:
        position = engine.connection(session).cdc_position
    result = pull(position, now)
    recorded: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    with engine.runtime.session() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(sa.select(col(SyncConnection.id))
                            .where(col(SyncConnection.id) == engine.connection_id)
                            .with_for_update())
        session.info[outbox.PULLING] = True
        user = session.get(User, actor_id)
        if user is None:
            raise KeitoError("not_found", f"no user {actor_id} to record the payments as")
        actor = actor_for(session, user)
        for pulled in result.payments:
            invoice_id = session.scalar(sa.select(col(SyncRecord.entity_id)).where(
                col(SyncRecord.provider) == engine.kind,
                col(SyncRecord.entity_type) == "invoice",
                col(SyncRecord.remote_id) == pulled.invoice_remote_id))
            item = {"remote_id": pulled.remote_id, "amount": pulled.amount,
                    "paid_on": pulled.paid_on, "invoice_id": invoice_id}
            if pulled.deleted:
                # A deleted payment no longer names its invoice: find it by its own ID.
                found = session.execute(
                    sa.select(SyncRecord, col(Payment.invoice_id))
                    .join(Payment, col(Payment.id) == col(SyncRecord.entity_id))
                    .where(col(SyncRecord.provider) == engine.kind,
                           col(SyncRecord.entity_type) == "payment",
                           col(SyncRecord.remote_id) == pulled.remote_id)).first()
                if found is None:
                    skipped.append({**item, "reason": "deleted, and never recorded in Keito"})
                    continue
                linked_record, paid_invoice = found
                with session.begin_nested():
                    payment_service.delete_payment(
                        session, actor=actor, invoice_ref=paid_invoice,
                        payment_ref=linked_record.entity_id, now=now)
                    session.delete(linked_record)
                recorded.append({**item, "invoice_id": paid_invoice, "action": "deleted"})
                continue
            if invoice_id is None:
                skipped.append({**item, "reason": "not an invoice Keito sent"})
                continue
            linked = session.scalars(
                sa.select(SyncRecord)
                .join(Payment, col(Payment.id) == col(SyncRecord.entity_id))
                .where(col(SyncRecord.provider) == engine.kind,
                       col(SyncRecord.entity_type) == "payment",
                       col(SyncRecord.remote_id) == pulled.remote_id,
                       col(Payment.invoice_id) == invoice_id)).first()
            if linked is not None:
                continue  # recorded already (pulled before, or pushed from Keito)
            try:
                with session.begin_nested():
                    payment = payment_service.record_payment(
                        session, actor=actor, invoice_ref=invoice_id, amount=pulled.amount,
                        paid_on=pulled.paid_on, transaction_id=pulled.remote_id,
                        notes=f"Recorded in {vendor_name(engine.kind)}", now=now)
                    engine.save_record(session, "payment", payment.id, now=now,
                                 status=SyncStatus.SUCCESS,
                                 remote=Remote(id=pulled.remote_id), fingerprint_="pulled")
            except KeitoError as exc:
                skipped.append({**item, "reason": exc.message})
                continue
            recorded.append({**item, "action": "recorded", "payment_id": payment.id})
        connection = engine.connection(session)
        connection.cdc_position = result.position
        connection.updated_at = now
    return {"recorded": recorded, "skipped": skipped, "position": result.position}
