"""The sync engine and the outbox, against an in-memory accounting system.

The double keeps invoices by number and payments by reference like the vendors do, so these
tests prove the engine's own promises: a change is recorded with the Keito change or not at all,
each record reaches the remote system once (through crashes between the send and the commit),
refusals and missing mappings stop with their reason, transient failures wait and come back,
and a lost grant stops the run without spending the row.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import col

from keito_core.enums import SyncProvider, SyncStatus
from keito_core.errors import KeitoError
from keito_core.models import Client, SyncConnection, SyncOutbox, SyncRecord
from keito_core.platform.ids import new_id
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import lines, payments
from keito_core.services.billing.invoices import Header
from keito_core.sync.documents import InvoiceDoc, PaymentDoc
from keito_core.sync.engine import LEASE, MAX_ATTEMPTS, Engine
from keito_core.sync.http import RemoteRefusal
from keito_core.sync.provider import Links, Remote

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


class Crash(BaseException):
    """The process dies: nothing after the send runs (not an Exception the engine catches)."""


@dataclass
class Double:
    """An accounting system in memory, with Xero's habits: numbers unique, payments by
    reference, voids never deletes."""

    provider: SyncProvider = SyncProvider.XERO
    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)  # by number
    contacts: dict[str, str] = field(default_factory=dict)  # name -> id
    payments: dict[str, dict[str, Any]] = field(default_factory=dict)  # by Keito id
    creates: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    fail: list[BaseException] = field(default_factory=list)  # raised before acting
    crash_after_create: bool = False
    total_offset: Decimal = Decimal(0)
    ids: Any = field(default_factory=lambda: itertools.count(1))

    def choices(self) -> dict[str, list[Any]]:
        return {}

    def missing_settings(self, doc: InvoiceDoc) -> list[str]:
        return list(self.missing)

    def check_invoice(self, doc: InvoiceDoc) -> None:
        if doc.currency == "JPY":
            raise KeitoError("validation_error", "the organisation has no JPY")

    def _maybe_fail(self) -> None:
        if self.fail:
            raise self.fail.pop(0)

    def push_invoice(self, doc: InvoiceDoc, links: Links, *, remote: Remote | None,
                     pdf: Callable[[], tuple[str, bytes]] | None = None) -> Remote:
        self._maybe_fail()
        contact = links.get("client", doc.client.id)
        if contact is None:
            contact_id = self.contacts.get(doc.client.name)
            if contact_id is None:
                contact_id = f"c{next(self.ids)}"
                self.contacts[doc.client.name] = contact_id
                self.creates.append(f"contact {doc.client.name}")
            contact = Remote(id=contact_id)
            links.save("client", doc.client.id, contact)
        existing = self.invoices.get(doc.number)
        if remote is None and existing is not None:
            return self._remote(existing)
        if existing is None:
            existing = {"id": f"i{next(self.ids)}", "number": doc.number, "payments": [],
                        "status": "AUTHORISED"}
            self.invoices[doc.number] = existing
            self.creates.append(f"invoice {doc.number}")
        existing["total"] = doc.total + self.total_offset
        existing["contact"] = contact.id
        existing["pdf"] = pdf()[0] if pdf else existing.get("pdf")
        if self.crash_after_create:
            self.crash_after_create = False
            raise Crash()
        return self._remote(existing)

    def _remote(self, invoice: dict[str, Any]) -> Remote:
        return Remote(id=invoice["id"], number=invoice["number"], total=invoice["total"],
                      status=invoice["status"])

    def void_invoice(self, doc: InvoiceDoc, links: Links, *, remote: Remote) -> Remote:
        self._maybe_fail()
        invoice = next(i for i in self.invoices.values() if i["id"] == remote.id)
        invoice["status"] = "VOIDED"
        return self._remote(invoice)

    def push_payment(self, doc: PaymentDoc, links: Links, *, invoice: Remote) -> Remote:
        self._maybe_fail()
        if doc.id not in self.payments:
            self.payments[doc.id] = {"id": f"p{next(self.ids)}", "amount": doc.amount,
                                     "invoice": invoice.id, "status": "AUTHORISED"}
            self.creates.append(f"payment {doc.amount}")
        return Remote(id=self.payments[doc.id]["id"])

    def delete_payment(self, links: Links, *, remote: Remote) -> None:
        self._maybe_fail()
        for payment in self.payments.values():
            if payment["id"] == remote.id:
                payment["status"] = "DELETED"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


class Runtime:
    """The engine's view of the runtime: sessions on the test's database."""

    def __init__(self, workspace) -> None:  # noqa: ANN001
        self.workspace = workspace

    def session(self, *, readonly: bool = False, create: bool = False):  # noqa: ANN201
        return self.workspace.session(readonly=readonly)


@pytest.fixture
def client_id(workspace) -> str:  # noqa: ANN001
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Globex", currency="GBP")
        s.add(client)
        return client.id


def connect(workspace, **settings: Any) -> str:  # noqa: ANN001
    with workspace.session() as s:
        connection = SyncConnection(id=new_id("sync_connection"), provider=SyncProvider.XERO,
                                    tenant_id="tenant-1", tenant_name="Demo",
                                    settings=settings, connected_by_id=workspace.admin_id)
        s.add(connection)
        return connection.id


def issue(workspace, client_id: str, *, amounts: tuple[str, ...] = ("100",),  # noqa: ANN001
          sent: bool = True, at: datetime = NOW) -> str:
    with workspace.session() as s:
        actor = workspace.actor(s)
        invoice = svc.new_invoice(s, actor=actor, client_ref=client_id, header=Header(), now=at)
        for amount in amounts:
            lines.add_line(s, actor=actor, invoice_ref=invoice.id,
                           values={"description": "Work", "unit_price": amount}, now=at)
        if sent:
            svc.mark_sent(s, actor=actor, ref=invoice.id, now=at)
        return invoice.id


def outbox_rows(workspace) -> list[tuple[str, str, str]]:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        return [(r.entity_type, r.operation, str(r.state)) for r in s.scalars(
            sa.select(SyncOutbox).order_by(col(SyncOutbox.created_at), col(SyncOutbox.id)))]


def record(workspace, entity_type: str, entity_id: str) -> SyncRecord | None:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        found = s.scalars(sa.select(SyncRecord).where(
            col(SyncRecord.entity_type) == entity_type,
            col(SyncRecord.entity_id) == entity_id)).first()
        if found is not None:
            s.expunge(found)
        return found


def engine_for(workspace, connection_id: str, double: Double, clock: Clock,  # noqa: ANN001
               **kwargs: Any) -> Engine:
    return Engine(Runtime(workspace), connection_id=connection_id, provider=double,
                  clock=clock, actor_id=workspace.admin_id, rng=random.Random(7), **kwargs)


# -- recording -------------------------------------------------------------------------------


def test_nothing_is_recorded_without_a_connection(workspace, client_id) -> None:  # noqa: ANN001
    issue(workspace, client_id)
    assert outbox_rows(workspace) == []


def test_an_issued_invoice_is_recorded_once_and_pushed_once(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    assert outbox_rows(workspace) == [("invoice", "push", "pending")]
    double, clock = Double(), Clock()
    report = engine_for(workspace, connection_id, double, clock).run()
    assert [o.result for o in report.outcomes] == ["synced"]
    assert double.creates == ["contact Globex", "invoice INV-2026-0001"]
    assert len(double.invoices) == 1
    (remote,) = double.invoices.values()
    assert remote["total"] == Decimal("100.00")
    saved = record(workspace, "invoice", invoice_id)
    assert saved is not None and saved.status is SyncStatus.SUCCESS
    assert saved.remote_id == remote["id"] and saved.tenant_id == "tenant-1"
    assert record(workspace, "client", client_id).remote_id == remote["contact"]
    # Nothing changed: a second push queues nothing; named, it is found unchanged.
    assert engine_for(workspace, connection_id, double, clock).enqueue_invoices() == 0
    engine = engine_for(workspace, connection_id, double, clock)
    assert engine.enqueue_invoices([invoice_id]) == 1
    assert [o.result for o in engine.run().outcomes] == ["unchanged"]
    assert len(double.creates) == 2
    # Changed after its push (a line added): queued again and sent as an update.
    with workspace.session() as s:
        lines.add_line(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                       values={"description": "More", "unit_price": "5"},
                       now=NOW + timedelta(minutes=1))
    clock.now = NOW + timedelta(minutes=2)
    engine = engine_for(workspace, connection_id, double, clock)
    engine.run()  # the edit's own outbox row
    assert engine.enqueue_invoices() == 0
    assert double.invoices["INV-2026-0001"]["total"] == Decimal("105.00")


def test_a_rolled_back_change_records_nothing(workspace, client_id) -> None:  # noqa: ANN001
    connect(workspace)
    invoice_id = issue(workspace, client_id, sent=False)
    with pytest.raises(RuntimeError), workspace.session() as s:
        svc.mark_sent(s, actor=workspace.actor(s), ref=invoice_id, now=NOW)
        raise RuntimeError("the command failed after the send")
    assert outbox_rows(workspace) == []


def test_manual_sync_records_nothing_on_send_and_push_queues_issued_invoices(
        workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace, sync_on_send=False)
    first = issue(workspace, client_id)
    issue(workspace, client_id, sent=False)  # a draft is never queued
    assert outbox_rows(workspace) == []
    double, clock = Double(), Clock()
    engine = engine_for(workspace, connection_id, double, clock)
    assert engine.enqueue_invoices() == 1
    engine.run()
    assert list(double.invoices) == ["INV-2026-0001"]
    assert record(workspace, "invoice", first).status is SyncStatus.SUCCESS


def test_edits_payments_and_closing_follow_a_synced_invoice(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id, amounts=("100", "50"))
    double, clock = Double(), Clock()
    engine_for(workspace, connection_id, double, clock).run()
    with workspace.session() as s:
        payment = payments.record_payment(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                                          amount="40", paid_on="2026-12-01", now=NOW)
        payment_id = payment.id
    assert outbox_rows(workspace)[-1] == ("payment", "push", "pending")
    engine_for(workspace, connection_id, double, clock).run()
    assert double.payments[payment_id]["amount"] == Decimal("40.00")
    assert record(workspace, "payment", payment_id).status is SyncStatus.SUCCESS

    with workspace.session() as s:
        payments.delete_payment(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                                payment_ref=payment_id, now=NOW)
    engine_for(workspace, connection_id, double, clock).run()
    assert double.payments[payment_id]["status"] == "DELETED"

    with workspace.session() as s:
        svc.close_invoice(s, actor=workspace.actor(s), ref=invoice_id, now=NOW)
    report = engine_for(workspace, connection_id, double, clock).run()
    assert [(o.operation, o.result) for o in report.outcomes] == [("void", "synced")]
    assert double.invoices["INV-2026-0001"]["status"] == "VOIDED"
    assert double.creates.count("invoice INV-2026-0001") == 1


def test_payments_recorded_before_the_first_push_go_with_the_invoice(
        workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace, sync_on_send=False)
    invoice_id = issue(workspace, client_id)
    with workspace.session() as s:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                                amount="25", paid_on="2026-12-01", now=NOW)
    assert outbox_rows(workspace) == []  # the invoice is not there: nothing to follow yet
    double, clock = Double(), Clock()
    engine = engine_for(workspace, connection_id, double, clock)
    engine.enqueue_invoices()
    report = engine.run()
    assert [(o.entity_type, o.result) for o in report.outcomes] == [
        ("invoice", "synced"), ("payment", "synced")]
    assert [p["amount"] for p in double.payments.values()] == [Decimal("25.00")]


# -- exactly once ------------------------------------------------------------------------------


def test_a_crash_between_the_send_and_the_commit_leaves_one_remote_invoice(
        workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    double, clock = Double(crash_after_create=True), Clock()
    with pytest.raises(Crash):
        engine_for(workspace, connection_id, double, clock).run()
    assert len(double.invoices) == 1
    assert record(workspace, "invoice", invoice_id) is None  # Keito never heard back
    assert outbox_rows(workspace) == [("invoice", "push", "running")]
    # Another run while the lease holds leaves the row alone...
    assert engine_for(workspace, connection_id, double, clock).run().outcomes == []
    # ...and after it, finds the invoice by its number instead of creating a second.
    clock.now += LEASE + timedelta(seconds=1)
    report = engine_for(workspace, connection_id, double, clock).run()
    assert [o.result for o in report.outcomes] == ["synced"]
    assert double.creates.count("invoice INV-2026-0001") == 1
    linked = record(workspace, "invoice", invoice_id)
    assert linked.remote_id == double.invoices["INV-2026-0001"]["id"]


def test_a_burst_of_changes_is_one_pending_row(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    double, clock = Double(), Clock()
    engine_for(workspace, connection_id, double, clock).run()
    for amount in ("10", "20", "30"):
        with workspace.session() as s:
            lines.add_line(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                           values={"description": "More", "unit_price": amount}, now=NOW)
    assert outbox_rows(workspace).count(("invoice", "push", "pending")) == 1
    engine_for(workspace, connection_id, double, clock).run()
    assert double.invoices["INV-2026-0001"]["total"] == Decimal("160.00")


# -- failures --------------------------------------------------------------------------------


def test_a_missing_mapping_stops_before_sending_and_retry_sends_it(
        workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    double, clock = Double(missing=["revenue account (revenue_account)"]), Clock()
    report = engine_for(workspace, connection_id, double, clock).run()
    (outcome,) = report.outcomes
    assert outcome.result == "failed"
    assert "revenue account (revenue_account)" in (outcome.message or "")
    assert double.creates == []
    saved = record(workspace, "invoice", invoice_id)
    assert saved.status is SyncStatus.FAILED and "revenue_account" in saved.error
    # Failed rows wait for a retry, not for the next push.
    assert engine_for(workspace, connection_id, double, clock).run().outcomes == []
    double.missing = []
    engine = engine_for(workspace, connection_id, double, clock)
    assert engine.retry(invoice_id) == 1
    assert [o.result for o in engine.run().outcomes] == ["synced"]
    assert record(workspace, "invoice", invoice_id).status is SyncStatus.SUCCESS


def test_a_refusal_is_failed_with_the_vendors_words(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    issue(workspace, client_id)
    double = Double(fail=[RemoteRefusal("Invoice # must be unique.", status=400, body={})])
    report = engine_for(workspace, connection_id, double, Clock()).run()
    assert [(o.result, o.message) for o in report.outcomes] == [
        ("failed", "Invoice # must be unique.")]


def test_transient_failures_wait_with_backoff_then_give_up(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    outage = [KeitoError("network_error", "cannot reach api.xero.com")
              for _ in range(MAX_ATTEMPTS)]
    double, clock = Double(fail=list(outage)), Clock()
    report = engine_for(workspace, connection_id, double, clock).run()
    assert [o.result for o in report.outcomes] == ["waiting"]
    assert record(workspace, "invoice", invoice_id).status is SyncStatus.PENDING
    # Not due yet: nothing happens.
    assert engine_for(workspace, connection_id, double, clock).run().outcomes == []
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        with workspace.session(readonly=True) as s:
            due = s.scalar(sa.select(col(SyncOutbox.available_at)))
        waits.append(due - clock.now)
        clock.now = due
        engine_for(workspace, connection_id, double, clock).run()
    assert all(later >= earlier / 2 for earlier, later in itertools.pairwise(waits))
    assert waits[-1] > waits[0]
    assert outbox_rows(workspace) == [("invoice", "push", "failed")]
    assert record(workspace, "invoice", invoice_id).status is SyncStatus.FAILED
    assert double.creates == []


def test_a_lost_grant_stops_the_run_and_keeps_the_row(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    issue(workspace, client_id)
    issue(workspace, client_id)
    double = Double(fail=[KeitoError("authentication_error", "Xero needs connecting again")])
    report = engine_for(workspace, connection_id, double, Clock()).run()
    assert report.stopped == "Xero needs connecting again"
    assert report.outcomes == []
    assert outbox_rows(workspace) == [("invoice", "push", "pending")] * 2
    with workspace.session(readonly=True) as s:
        assert {r.attempts for r in s.scalars(sa.select(SyncOutbox))} == {0}
    assert len(engine_for(workspace, connection_id, double, Clock()).run().outcomes) == 2


def test_a_total_that_differs_is_failed_and_linked(workspace, client_id) -> None:  # noqa: ANN001
    connection_id = connect(workspace)
    invoice_id = issue(workspace, client_id)
    double = Double(total_offset=Decimal("0.01"))
    (outcome,) = engine_for(workspace, connection_id, double, Clock()).run().outcomes
    assert outcome.result == "failed"
    assert outcome.label == "invoice INV-2026-0001"
    assert outcome.message == "invoice INV-2026-0001 came to £100.01 in Xero, not Keito's £100.00"
    saved = record(workspace, "invoice", invoice_id)
    assert saved.status is SyncStatus.FAILED and saved.remote_id == \
        double.invoices["INV-2026-0001"]["id"]


def test_only_one_connection_is_active(workspace) -> None:  # noqa: ANN001
    connect(workspace)
    with pytest.raises(sa.exc.IntegrityError), workspace.session() as s:
        s.add(SyncConnection(id=new_id("sync_connection"), provider=SyncProvider.QUICKBOOKS,
                             settings={}))
        s.flush()

