"""The sync engine: works the outbox off against one provider, exactly once.

A push (`keito sync push`, `retry`, or a push after a send) goes row by row:

1. **claim** a due row in a short write transaction: `running` with a lease (another process
   skips it; a crashed worker's row is claimed again once the lease ends), never two rows of
   the same record at once (the claim looks for a running one, and on PostgreSQL locks the
   connection row so two claims cannot interleave);
2. **read** what to send (keito_core.sync.documents) in a read transaction;
3. **send** with no transaction open: the provider looks the record up by its number or
   reference before it creates anything, so a crash after the vendor committed and before
   Keito did leaves one remote record, which the next run finds and links;
4. **finish** in a write transaction: the sync record (remote ID, version, fingerprint,
   status) and the row's end: done; failed with the vendor's reason (a refusal, a missing
   mapping: retried only when asked); or pending again after a backoff (the network, the
   vendor failing, its rate limit).

An expired or revoked grant stops the whole run and leaves the rows waiting for
`keito sync connect`. Links of related records (a client's contact) are saved the moment the
vendor answers, each in its own transaction.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from keito_core.enums import InvoiceState, OutboxState, SyncProvider, SyncStatus
from keito_core.errors import KeitoError
from keito_core.models import Invoice, Payment, SyncConnection, SyncOutbox, SyncRecord
from keito_core.platform.ids import new_id
from keito_core.rules.money import format_money
from keito_core.sync import outbox
from keito_core.sync.credentials import vendor_name
from keito_core.sync.documents import (
    InvoiceDoc,
    fingerprint,
    invoice_doc,
    payment_doc,
)
from keito_core.sync.http import RemoteRefusal
from keito_core.sync.provider import Provider, Remote

#: How long a claimed row is held before another process may take it over.
LEASE = timedelta(minutes=10)
#: Transient failures (network, 5xx after the call's own retries, rate limits) before a row
#: is marked failed.
MAX_ATTEMPTS = 8
#: The first and the longest wait between two runs' attempts of a row.
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)

#: KeitoError codes that mean "the vendor or Keito refuses this": retried only when asked.
_PERMANENT = {"validation_error", "config_error", "conflict", "not_found", "locked",
              "authorization_error"}


class Sessions(Protocol):
    """What the engine needs of the runtime: a unit of work (commit on success)."""

    def session(self, *, readonly: bool = False,
                create: bool = False) -> AbstractContextManager[Session]: ...


@dataclass
class Outcome:
    entity_type: str
    entity_id: str
    operation: str
    label: str
    result: str  # "synced", "unchanged", "skipped", "failed", "waiting"
    message: str | None = None
    remote_id: str | None = None


@dataclass
class RunReport:
    outcomes: list[Outcome] = field(default_factory=list)
    stopped: str | None = None  # why the run stopped early (the grant is gone)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    def as_dict(self) -> dict[str, Any]:
        return {
            "synced": self.count("synced"),
            "unchanged": self.count("unchanged"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "waiting": self.count("waiting"),
            "stopped": self.stopped,
            "items": [
                {"type": o.entity_type, "id": o.entity_id, "operation": o.operation,
                 "label": o.label, "result": o.result, "message": o.message,
                 "remote_id": o.remote_id}
                for o in self.outcomes
            ],
        }


_Doc = TypeVar("_Doc")


def _settings_fingerprint(settings: dict[str, Any]) -> str:
    return repr(sorted((k, repr(v)) for k, v in settings.items() if k != "sync_on_send"))


class Engine:
    """Sends one connection's outbox through `provider` (see the module's docstring)."""

    def __init__(
        self,
        runtime: Sessions,
        *,
        connection_id: str,
        provider: Provider,
        clock: Callable[[], datetime],
        actor_id: str | None = None,
        pdf: Callable[[str], tuple[str, bytes]] | None = None,
        rng: random.Random | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> None:
        self.runtime = runtime
        self.connection_id = connection_id
        self.provider = provider
        self.clock = clock
        self.actor_id = actor_id
        self.pdf = pdf
        self.rng = rng or random.Random()
        self.progress = progress
        with runtime.session(readonly=True) as session:
            connection = self.connection(session)
            self.kind = SyncProvider(connection.provider)
            self.tenant_id = connection.tenant_id
            self.settings = dict(connection.settings or {})

    # -- records ------------------------------------------------------------------------------

    def connection(self, session: Session) -> SyncConnection:
        connection = session.get(SyncConnection, self.connection_id)
        if connection is None or not connection.is_active:
            raise KeitoError("config_error", "no accounting system is connected",
                             hint="run `keito sync connect xero` or `... quickbooks`")
        return connection

    def _record(self, session: Session, entity_type: str, entity_id: str) -> SyncRecord | None:
        return outbox.remote_record(session, self.kind, entity_type, entity_id)

    def _remote(self, record: SyncRecord | None) -> Remote | None:
        if record is None or not record.remote_id:
            return None
        if self.tenant_id and record.tenant_id and record.tenant_id != self.tenant_id:
            return None
        return Remote(id=record.remote_id, version=record.remote_version)

    def save_record(self, session: Session, entity_type: str, entity_id: str, *, now: datetime,
              status: SyncStatus, remote: Remote | None = None, error: str | None = None,
              fingerprint_: str | None = None, attempted: bool = True) -> None:
        record = self._record(session, entity_type, entity_id)
        if record is None:
            record = SyncRecord(id=new_id("sync_record"), provider=self.kind,
                                entity_type=entity_type, entity_id=entity_id)
            session.add(record)
        elif (remote is not None and self.tenant_id and record.tenant_id
              and record.tenant_id != self.tenant_id):
            record.fingerprint = None
        record.status = status
        record.error = error
        if attempted:
            record.attempts = (record.attempts or 0) + 1
            record.last_attempt_at = now
        if remote is not None:
            record.remote_id = remote.id
            record.remote_version = remote.version
            record.tenant_id = self.tenant_id
        if status is SyncStatus.SUCCESS:
            record.synced_at = now
            record.fingerprint = fingerprint_
        session.flush()

    # the Links protocol: related records saved at once, each in its own transaction
    def get(self, entity_type: str, entity_id: str) -> Remote | None:
        with self.runtime.session(readonly=True) as session:
            return self._remote(self._record(session, entity_type, entity_id))

    def save(self, entity_type: str, entity_id: str, remote: Remote) -> None:
        with self.runtime.session() as session:
            self.save_record(session, entity_type, entity_id, now=self.clock(),
                       status=SyncStatus.SUCCESS,
                       remote=remote, attempted=False)

    # -- queueing -----------------------------------------------------------------------------

    def enqueue_invoices(self, invoice_ids: list[str] | None = None) -> int:
        """Queue invoices to push: the given ones, else every issued invoice (open or paid)
        whose copy is missing, failed, or older than the invoice's last change. Returns how
        many were queued."""
        now = self.clock()
        with self.runtime.session() as session:
            connection = self.connection(session)
            query = sa.select(col(Invoice.id), col(Invoice.state), col(Invoice.number))
            if invoice_ids is not None:
                query = query.where(col(Invoice.id).in_(invoice_ids))
            else:
                # Not those whose copy is up to date: synced since the invoice last changed
                # (a push of thousands of invoices reads them in one query, sends the few).
                current = sa.exists().where(
                    col(SyncRecord.provider) == self.kind,
                    col(SyncRecord.entity_type) == "invoice",
                    col(SyncRecord.entity_id) == col(Invoice.id),
                    col(SyncRecord.status) == SyncStatus.SUCCESS,
                    col(SyncRecord.synced_at) >= col(Invoice.updated_at),
                    sa.or_(col(SyncRecord.tenant_id).is_(None),
                           col(SyncRecord.tenant_id) == self.tenant_id))
                query = query.where(col(Invoice.state).in_([InvoiceState.OPEN,
                                                            InvoiceState.PAID]), ~current)
            rows = session.execute(query.order_by(col(Invoice.issue_date),
                                                  col(Invoice.number))).all()
            queued = 0
            for invoice_id, state, number in rows:
                if state is InvoiceState.DRAFT or state == InvoiceState.DRAFT.value:
                    raise KeitoError(
                        "conflict", f"invoice {number} is a draft: it is not sent to "
                        "accounting", hint="send it or mark it as sent first")
                operation = "void" if state in (InvoiceState.CLOSED,
                                                InvoiceState.CLOSED.value) else "push"
                if operation == "void":
                    record = self._record(session, "invoice", invoice_id)
                    if self._remote(record) is None:
                        continue
                    outbox.enqueue(session, connection, entity_type="invoice",
                                   entity_id=invoice_id, operation="void", now=now,
                                   actor_id=self.actor_id,
                                   detail={"remote_id": record.remote_id if record else None})
                else:
                    outbox.enqueue(session, connection, entity_type="invoice",
                                   entity_id=invoice_id, operation="push", now=now,
                                   actor_id=self.actor_id)
                queued += 1
            return queued

    def enqueue_time_entries(self, *, date_from: Any = None, date_to: Any = None) -> list[str]:
        """Queue approved time entries not in the accounting system yet (QuickBooks'
        TimeActivity); returns their IDs."""
        from keito_core.sync.time_documents import approved_unsynced

        if getattr(self.provider, "push_time_entry", None) is None:
            raise KeitoError("validation_error",
                             f"{vendor_name(self.kind)} takes no time entries: they go to "
                             "QuickBooks", field="time")
        now = self.clock()
        with self.runtime.session() as session:
            connection = self.connection(session)
            ids = approved_unsynced(session, self.kind.value, date_from=date_from,
                                    date_to=date_to)
            for entry_id in ids:
                outbox.enqueue(session, connection, entity_type="time_entry",
                               entity_id=entry_id, operation="push", now=now,
                               actor_id=self.actor_id)
            return ids

    def retry(self, entity_id: str | None = None) -> int:
        """Failed rows (all, or those of one record) wait again, due now. Returns how many."""
        now = self.clock()
        with self.runtime.session() as session:
            conditions = [col(SyncOutbox.provider) == self.kind,
                          col(SyncOutbox.state) == OutboxState.FAILED]
            if entity_id is not None:
                conditions.append(sa.or_(col(SyncOutbox.entity_id) == entity_id,
                                         col(SyncOutbox.id) == entity_id))
            failed = session.scalars(sa.select(SyncOutbox).where(*conditions)
                                     .order_by(col(SyncOutbox.created_at))).all()
            revived = 0
            for row in failed:
                # A newer pending row of the same change supersedes this one.
                newer = session.scalar(sa.select(sa.func.count()).select_from(SyncOutbox).where(
                    col(SyncOutbox.provider) == row.provider,
                    col(SyncOutbox.entity_type) == row.entity_type,
                    col(SyncOutbox.entity_id) == row.entity_id,
                    col(SyncOutbox.operation) == row.operation,
                    col(SyncOutbox.state) == OutboxState.PENDING))
                if newer:
                    row.state = OutboxState.DONE
                    row.done_at = now
                    continue
                row.state, row.attempts = OutboxState.PENDING, 0
                row.available_at, row.lease_until = now, None
                revived += 1
            session.flush()
            return revived

    # -- the run ------------------------------------------------------------------------------

    def due(self) -> int:
        with self.runtime.session(readonly=True) as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(SyncOutbox).where(
                col(SyncOutbox.provider) == self.kind,
                col(SyncOutbox.state).in_([OutboxState.PENDING, OutboxState.RUNNING]),
                col(SyncOutbox.available_at) <= self.clock())) or 0)

    def _claim(self, only: set[str] | None) -> SyncOutbox | None:
        now = self.clock()
        with self.runtime.session() as session:
            if session.get_bind().dialect.name == "postgresql":
                session.execute(sa.select(col(SyncConnection.id))
                                .where(col(SyncConnection.id) == self.connection_id)
                                .with_for_update())
            other = aliased(SyncOutbox)
            busy = sa.exists().where(
                col(other.state) == OutboxState.RUNNING, col(other.lease_until) >= now,
                col(other.provider) == col(SyncOutbox.provider),
                col(other.entity_type) == col(SyncOutbox.entity_type),
                col(other.entity_id) == col(SyncOutbox.entity_id))
            query = (
                sa.select(SyncOutbox)
                .where(col(SyncOutbox.provider) == self.kind,
                       col(SyncOutbox.available_at) <= now,
                       sa.or_(col(SyncOutbox.state) == OutboxState.PENDING,
                              sa.and_(col(SyncOutbox.state) == OutboxState.RUNNING,
                                      col(SyncOutbox.lease_until) < now)),
                       ~busy)
                .order_by(col(SyncOutbox.created_at), col(SyncOutbox.id))
            )
            if only is not None:
                query = query.where(col(SyncOutbox.entity_id).in_(only))
            for row in session.scalars(query.limit(20)).all():
                claimed = session.execute(
                    sa.update(SyncOutbox)
                    .where(col(SyncOutbox.id) == row.id,
                           sa.or_(col(SyncOutbox.state) == OutboxState.PENDING,
                                  col(SyncOutbox.lease_until) < now))
                    .values(state=OutboxState.RUNNING, lease_until=now + LEASE,
                            attempts=col(SyncOutbox.attempts) + 1)
                    .execution_options(synchronize_session=False))
                if getattr(claimed, "rowcount", 0) == 1:
                    session.refresh(row)
                    session.expunge(row)
                    return row
            return None

    def _mark_done(self, session: Session, row: SyncOutbox) -> None:
        """The row is sent: done, in the transaction that records what it became."""
        session.execute(sa.update(SyncOutbox).where(col(SyncOutbox.id) == row.id)
                        .values(state=OutboxState.DONE, lease_until=None,
                                done_at=self.clock(), last_error=None)
                        .execution_options(synchronize_session=False))

    def _finish(self, row: SyncOutbox, outcome: Outcome, *, state: OutboxState,
                available_at: datetime | None = None) -> None:
        now = self.clock()
        with self.runtime.session() as session:
            values: dict[str, Any] = {"state": state, "lease_until": None,
                                      "last_error": outcome.message
                                      if outcome.result in ("failed", "waiting") else None}
            if state in (OutboxState.DONE, OutboxState.FAILED):
                values["done_at"] = now
            if available_at is not None:
                values["available_at"] = available_at
            session.execute(sa.update(SyncOutbox).where(col(SyncOutbox.id) == row.id)
                            .values(**values).execution_options(synchronize_session=False))
            if outcome.result in ("failed", "waiting") and row.operation != "delete":
                self.save_record(session, row.entity_type, row.entity_id, now=now,
                           status=SyncStatus.FAILED if outcome.result == "failed"
                           else SyncStatus.PENDING, error=outcome.message)

    def run(self, *, only: set[str] | None = None, limit: int | None = None) -> RunReport:
        """Send every due row (or those of the `only` records); see the module's docstring."""
        report = RunReport()
        total = self.due()
        done = 0
        while limit is None or done < limit:
            row = self._claim(only)
            if row is None:
                break
            done += 1
            if self.progress is not None:
                self.progress(done, max(total, done), self._label(row))
            try:
                outcome = self._process(row)
            except KeitoError as exc:
                if exc.code == "authentication_error":
                    # The grant is gone: the row waits, unspent, for a reconnect.
                    with self.runtime.session() as session:
                        session.execute(sa.update(SyncOutbox)
                                        .where(col(SyncOutbox.id) == row.id)
                                        .values(state=OutboxState.PENDING, lease_until=None,
                                                attempts=col(SyncOutbox.attempts) - 1,
                                                last_error=exc.message)
                                        .execution_options(synchronize_session=False))
                    report.stopped = exc.message
                    break
                outcome = self._failure(row, exc)
            report.outcomes.append(outcome)
        return report

    def _label(self, row: SyncOutbox) -> str:
        """'invoice INV-2026-0001', 'payment pay_... on INV-2026-0001': what a person knows."""
        with self.runtime.session(readonly=True) as session:
            if row.entity_type == "invoice":
                number = session.scalar(sa.select(col(Invoice.number))
                                        .where(col(Invoice.id) == row.entity_id))
                return f"invoice {number or row.entity_id}"
            if row.entity_type == "payment":
                found = session.execute(
                    sa.select(col(Invoice.number), col(Payment.amount), col(Invoice.currency))
                    .join(Payment, col(Payment.invoice_id) == col(Invoice.id))
                    .where(col(Payment.id) == row.entity_id)).first()
                if found is None:
                    return f"payment {row.entity_id}"
                number, amount, currency = found
                return f"payment of {format_money(amount, currency)} on {number}"
        return f"{row.entity_type.replace('_', ' ')} {row.entity_id}"

    def _failure(self, row: SyncOutbox, exc: KeitoError) -> Outcome:
        label = self._label(row)
        message = exc.message
        if exc.hint and not isinstance(exc, RemoteRefusal):
            message = f"{message} ({exc.hint})"
        permanent = isinstance(exc, RemoteRefusal) or exc.code in _PERMANENT
        if permanent or row.attempts >= MAX_ATTEMPTS:
            outcome = Outcome(row.entity_type, row.entity_id, row.operation, label, "failed",
                              message)
            self._finish(row, outcome, state=OutboxState.FAILED)
            return outcome
        wait = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, row.attempts - 1)))
        wait = timedelta(seconds=self.rng.uniform(wait.total_seconds() / 2,
                                                  wait.total_seconds()))
        outcome = Outcome(row.entity_type, row.entity_id, row.operation, label, "waiting",
                          message)
        self._finish(row, outcome, state=OutboxState.PENDING,
                     available_at=self.clock() + wait)
        return outcome

    # -- one row ------------------------------------------------------------------------------

    def _ended(self, row: SyncOutbox, label: str, result: str, message: str | None = None,
               remote_id: str | None = None) -> Outcome:
        """The row needs nothing sent (skipped, or its copy is already there): done."""
        outcome = Outcome(row.entity_type, row.entity_id, row.operation, label, result,
                          message, remote_id)
        self._finish(row, outcome, state=OutboxState.DONE)
        return outcome

    def _sent(self, row: SyncOutbox, label: str, remote: Remote, fingerprint_: str, *,
              message: str | None = None,
              also: Callable[[Session], None] | None = None) -> Outcome:
        """The vendor took the row's change: the record and the row's end, in one transaction
        (with `also`, anything else that belongs in it)."""
        with self.runtime.session() as session:
            self.save_record(session, row.entity_type, row.entity_id, now=self.clock(),
                       status=SyncStatus.SUCCESS, remote=remote, fingerprint_=fingerprint_)
            self._mark_done(session, row)
            if also is not None:
                also(session)
        return Outcome(row.entity_type, row.entity_id, row.operation, label, "synced",
                       message, remote.id)

    def _process(self, row: SyncOutbox) -> Outcome:
        if row.entity_type == "invoice" and row.operation == "push":
            return self._push_invoice(row)
        if row.entity_type == "invoice" and row.operation == "void":
            return self._void_invoice(row)
        if row.entity_type == "payment" and row.operation == "push":
            return self._push_payment_row(row)
        if row.entity_type == "payment" and row.operation == "delete":
            return self._delete_payment(row)
        if row.entity_type == "time_entry" and row.operation == "push":
            return self._push_time_entry(row)
        return self._ended(row, f"{row.entity_type} {row.entity_id}", "skipped",
                           f"nothing sends {row.operation} of a {row.entity_type}")

    def _pdf(self, invoice_id: str) -> Callable[[], tuple[str, bytes]] | None:
        if self.pdf is None:
            return None
        render = self.pdf
        return lambda: render(invoice_id)

    def _push_invoice(self, row: SyncOutbox) -> Outcome:
        with self.runtime.session(readonly=True) as session:
            doc = _read(invoice_doc, session, row.entity_id)
            record = self._record(session, "invoice", row.entity_id)
            remote = self._remote(record)
            stored = record.fingerprint if record is not None else None
            synced = record is not None and record.status is SyncStatus.SUCCESS
        if doc is None:
            return self._ended(row, row.entity_id, "skipped",
                               "the invoice was deleted before it was sent")
        label = f"invoice {doc.number}"
        if doc.state == InvoiceState.DRAFT.value:
            return self._ended(row, label, "skipped", "a draft is not sent to accounting")
        if doc.state == InvoiceState.CLOSED.value and remote is None:
            return self._ended(row, label, "skipped",
                               "a closed invoice that was never sent is not sent now")
        missing = self.provider.missing_settings(doc)
        if missing:
            raise KeitoError(
                "config_error",
                f"{label} needs a mapping first: " + "; ".join(missing),
                hint="set it with `keito sync settings`, then `keito sync retry`")
        self.provider.check_invoice(doc)
        digest = fingerprint(doc, _settings_fingerprint(self.settings))
        if remote is not None and synced and stored == digest:
            outcome = Outcome("invoice", doc.id, "push", label, "unchanged", None, remote.id)
            result = remote
            with self.runtime.session() as session:
                self.save_record(session, "invoice", doc.id, now=self.clock(),
                           status=SyncStatus.SUCCESS, remote=result, fingerprint_=digest)
                self._mark_done(session, row)
        else:
            result = self.provider.push_invoice(doc, self, remote=remote,
                                                pdf=self._pdf(doc.id) if remote is None
                                                else None)
            mismatch = self._mismatch(doc, result)
            if mismatch is not None:
                # Linked all the same: a retry after fixing the mappings updates this copy.
                with self.runtime.session() as session:
                    self.save_record(session, "invoice", doc.id, now=self.clock(),
                               status=SyncStatus.FAILED, remote=result,
                               error=mismatch.message)
                raise mismatch
            outcome = self._sent(row, label, result, digest)
        self._push_payments_of(doc, result)
        return outcome

    def _mismatch(self, doc: InvoiceDoc, remote: Remote) -> KeitoError | None:
        """The refusal to record a copy whose total is not Keito's (never retried alone)."""
        if remote.total is None or Decimal(remote.total) == doc.total:
            return None
        theirs = format_money(Decimal(remote.total), doc.currency)
        ours = format_money(doc.total, doc.currency)
        return RemoteRefusal(
            f"invoice {doc.number} came to {theirs} in {vendor_name(self.kind)}, "
            f"not Keito's {ours}",
            status=200, body=None,
            hint="check the tax and account mappings, then `keito sync retry`")

    def _push_payments_of(self, doc: InvoiceDoc, invoice: Remote) -> None:
        """Payments of the invoice that are not there yet (recorded before its first push)."""
        with self.runtime.session() as session:
            ids = session.scalars(sa.select(col(Payment.id))
                                  .where(col(Payment.invoice_id) == doc.id)
                                  .order_by(col(Payment.paid_on), col(Payment.id))).all()
            connection = self.connection(session)
            for payment_id in ids:
                if self._remote(self._record(session, "payment", payment_id)) is None:
                    outbox.enqueue(session, connection, entity_type="payment",
                                   entity_id=payment_id, operation="push", now=self.clock(),
                                   actor_id=self.actor_id, detail={"invoice_id": doc.id})

    def _void_invoice(self, row: SyncOutbox) -> Outcome:
        detail = dict(row.detail or {})
        with self.runtime.session(readonly=True) as session:
            doc = _read(invoice_doc, session, row.entity_id)
            remote = self._remote(self._record(session, "invoice", row.entity_id))
        if remote is None and detail.get("remote_id"):
            remote = Remote(id=str(detail["remote_id"]), version=detail.get("remote_version"))
        label = f"invoice {doc.number}" if doc else f"invoice {row.entity_id}"
        if remote is None:
            return self._ended(row, label, "skipped", "it was never in accounting")
        if doc is not None and doc.state != InvoiceState.CLOSED.value:
            return self._ended(row, label, "skipped", "reopened before the void was sent")
        result = self.provider.void_invoice(doc, self, remote=remote)
        return self._sent(row, label, result, "voided", message="voided")

    def _push_payment_row(self, row: SyncOutbox) -> Outcome:
        label = self._label(row)
        with self.runtime.session(readonly=True) as session:
            doc = _read(payment_doc, session, row.entity_id)
            already = self._remote(self._record(session, "payment", row.entity_id))
            invoice = (self._remote(self._record(session, "invoice", doc.invoice_id))
                       if doc is not None else None)
        if doc is None:
            return self._ended(row, label, "skipped",
                               "the payment was deleted before it was sent")
        if already is not None:
            return self._ended(row, label, "unchanged", remote_id=already.id)
        if invoice is None:
            return self._ended(row, label, "skipped",
                               "its invoice is not in accounting yet: it goes with the invoice")
        result = self.provider.push_payment(doc, self, invoice=invoice)

        def taken_back_if_deleted(session: Session) -> None:
            # Deleted in Keito while it was on its way: take it back too.
            if session.get(Payment, doc.id) is None:
                outbox.enqueue(session, self.connection(session), entity_type="payment",
                               entity_id=doc.id, operation="delete", now=self.clock(),
                               actor_id=self.actor_id,
                               detail={"remote_id": result.id, "invoice_id": doc.invoice_id})

        return self._sent(row, label, result, fingerprint(doc), also=taken_back_if_deleted)

    def _delete_payment(self, row: SyncOutbox) -> Outcome:
        detail = dict(row.detail or {})
        label = f"payment {row.entity_id}"
        if not detail.get("remote_id"):
            return self._ended(row, label, "skipped", "it was never in accounting")
        remote = Remote(id=str(detail["remote_id"]), version=detail.get("remote_version"))
        self.provider.delete_payment(self, remote=remote)
        return self._sent(row, label, remote, "deleted", message="taken back")

    def _push_time_entry(self, row: SyncOutbox) -> Outcome:
        push = getattr(self.provider, "push_time_entry", None)
        label = f"time entry {row.entity_id}"
        if push is None:
            return self._ended(row, label, "skipped", f"{self.kind.value} takes no time entries")
        from keito_core.sync.time_documents import time_doc

        with self.runtime.session(readonly=True) as session:
            doc = time_doc(session, row.entity_id)
            already = self._remote(self._record(session, "time_entry", row.entity_id))
        if doc is None:
            return self._ended(row, label, "skipped",
                               "the entry was deleted or is no longer approved")
        if already is not None:
            return self._ended(row, label, "unchanged", remote_id=already.id)
        return self._sent(row, label, push(doc, self), "pushed")


def _read(reader: Callable[[Session, str], _Doc], session: Session, entity_id: str) -> _Doc | None:
    """The document of a record, or None when it was deleted meanwhile."""
    try:
        return reader(session, entity_id)
    except LookupError:
        return None
