"""A world for sync tests: a shared clock, issued invoices, a connection with stored tokens
holding a fake vendor's grant, and a push repeated until the outbox is empty (tests/core/sync);
four invoices with every sync status, for the invoice list's and the app's sync badges."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from keito_core.enums import OutboxState, SyncProvider, SyncStatus
from keito_core.models import Client, SyncConnection, SyncOutbox, SyncRecord
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import make_runtime
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import lines, payments
from keito_core.services.billing.invoices import Header
from keito_core.services.directory import clients
from keito_core.sync.oauth import TokenSet
from keito_core.sync.runner import open_sync
from keito_core.sync.tokens import TokenStore

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
#: The synced invoice's last send, and Xero's reason for the failed one (connect_xero).
SYNCED_AT = datetime(2026, 12, 1, 17, 45, tzinfo=UTC)
REASON = "Account code '200' is not a valid code for this document"


class Clock:
    """Shared by Keito and the fake; waiting moves it on."""

    def __init__(self) -> None:
        self.now = START
        self.waited = 0.0

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waited += seconds
        self.now += timedelta(seconds=seconds)


def issue_invoices(workspace, currency: str, count: int, *,  # noqa: ANN001
                   name: str = "Globex Corporation") -> list[str]:
    """`count` issued invoices of one client, amounts varied, taxed at 20 %; every tenth
    with a payment of 5."""
    ids = []
    with workspace.session() as s:
        client = Client(id=new_id("client"), name=name, currency=currency)
        s.add(client)
        s.flush()
        actor = workspace.actor(s)
        for n in range(count):
            invoice = svc.new_invoice(s, actor=actor, client_ref=client.id,
                                      header=Header(tax="20", tax_label="VAT"), now=START)
            for k in range(1 + n % 3):
                lines.add_line(s, actor=actor, invoice_ref=invoice.id,
                               values={"description": f"Work {k}", "quantity": "3",
                                       "unit_price": f"{10 + (n * 7 + k) % 50}.03"},
                               now=START)
            svc.mark_sent(s, actor=actor, ref=invoice.id, now=START)
            if n % 10 == 0:
                payments.record_payment(s, actor=actor, invoice_ref=invoice.id, amount="5",
                                        paid_on="2026-12-01", now=START)
            ids.append(invoice.id)
    return ids


def connect(workspace, keito_home, provider: SyncProvider, tenant: str,  # noqa: ANN001
            settings: dict[str, Any], token: dict[str, Any], now: datetime) -> str:
    with workspace.session() as s:
        connection = SyncConnection(id=new_id("sync_connection"), provider=provider,
                                    tenant_id=tenant, tenant_name="Fake", settings=settings,
                                    connected_by_id=workspace.admin_id)
        s.add(connection)
        connection_id = connection.id
    # Held as if it expired in five minutes: the push refreshes (and rotates) on the way.
    TokenStore(connection_id, config_dir=keito_home).save(TokenSet(
        access_token=token["access_token"], refresh_token=token["refresh_token"],
        expires_at=now + min(timedelta(seconds=int(token["expires_in"])),
                             timedelta(minutes=5))))
    return connection_id


def push_until_done(workspace, clock: Clock, env: dict[str, str],  # noqa: ANN001
                    transport: Any) -> list[dict[str, Any]]:
    """`keito sync push`, then again whenever rows wait for their backoff, as cron would."""
    runtime = make_runtime(clock=clock)
    reports = []
    with open_sync(runtime, actor_id=workspace.admin_id, clock=clock, sleep=clock.sleep,
                   transport=transport, env=env) as run:
        run.engine.enqueue_invoices()
        for _ in range(40):
            report = run.engine.run().as_dict()
            reports.append(report)
            assert report["stopped"] is None
            with workspace.session(readonly=True) as s:
                due = s.scalar(sa.text(
                    "SELECT min(available_at) FROM sync_outbox "
                    "WHERE state IN ('pending', 'running')"))
            if due is None:
                break
            due_at = datetime.fromisoformat(str(due)) if isinstance(due, str) else due
            if due_at.tzinfo is None:
                due_at = due_at.replace(tzinfo=UTC)
            clock.now = max(clock.now, due_at) + timedelta(seconds=1)
        else:
            pytest.fail("the outbox never emptied")
    return reports


def issue_globex(workspace, *, now: datetime) -> list[SimpleNamespace]:  # noqa: ANN001
    """Four issued invoices for Globex, oldest first: their IDs and numbers."""
    made = []
    with workspace.session() as s:
        admin = workspace.actor(s)
        clients.create_client(s, actor=admin, name="Globex", currency="GBP", now=now)
        for n in range(4):
            invoice = svc.new_invoice(s, actor=admin, client_ref="Globex", now=now)
            lines.add_line(s, actor=admin, invoice_ref=invoice.id,
                           values={"description": f"Work {n}", "quantity": "1",
                                   "unit_price": "100"}, now=now)
            svc.mark_sent(s, actor=admin, ref=invoice.id, now=now)
            made.append(SimpleNamespace(id=invoice.id, number=invoice.number))
    return made


def connect_xero(workspace, issued: list[SimpleNamespace], *,  # noqa: ANN001
                 now: datetime) -> None:
    """Xero connected: the first invoice synced, the second waiting in the outbox, the third
    failed with Xero's reason, the fourth never sent."""
    synced, waiting, failed, _ = issued
    with workspace.session() as s:
        s.add(SyncConnection(id=new_id("sync_connection"), provider=SyncProvider.XERO,
                             tenant_id="t-1", tenant_name="Acme (Xero)", settings={},
                             created_at=now, updated_at=now))
        s.add(SyncRecord(id=new_id("sync_record"), provider=SyncProvider.XERO,
                         entity_type="invoice", entity_id=synced.id, remote_id="X-1",
                         status=SyncStatus.SUCCESS, synced_at=SYNCED_AT, tenant_id="t-1",
                         created_at=now, updated_at=now))
        s.add(SyncOutbox(id=new_id("sync_outbox"), provider=SyncProvider.XERO,
                         entity_type="invoice", entity_id=waiting.id, operation="push",
                         state=OutboxState.PENDING, available_at=now, created_at=now,
                         detail={}))
        s.add(SyncRecord(id=new_id("sync_record"), provider=SyncProvider.XERO,
                         entity_type="invoice", entity_id=failed.id, status=SyncStatus.FAILED,
                         error=REASON, attempts=1, last_attempt_at=now, tenant_id="t-1",
                         created_at=now, updated_at=now))
