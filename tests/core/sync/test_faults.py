"""Exactly once through faults: 200 invoices pushed while the vendor fails one call in five.

The whole path runs: the outbox, the engine, the provider, the HTTP call with its retries and
pacing, the stored tokens refreshed as they expire, against the in-process fake vendors with
an injected clock (every wait advances it), so hours of backoff take seconds. The fakes fail
a fifth of the API calls at random with a 500, a 429, a timeout, or a timeout after they acted;
every request is still checked against the vendor's specification.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from fakes.quickbooks import FakeQuickBooks
from fakes.xero import FakeXero
from sqlmodel import col

from keito_core.enums import SyncProvider
from keito_core.models import Client, Invoice, SyncConnection, SyncRecord
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import make_runtime
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import lines, payments
from keito_core.services.billing.invoices import Header
from keito_core.sync.oauth import TokenSet
from keito_core.sync.runner import open_sync
from keito_core.sync.tokens import TokenStore

START = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
INVOICES = 200


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


def _invoices(workspace, currency: str, count: int) -> list[str]:  # noqa: ANN001
    """`count` issued invoices of one client, amounts varied, taxed at 20 %."""
    ids = []
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Globex Corporation", currency=currency)
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


def _connect(workspace, keito_home, provider: SyncProvider, tenant: str,  # noqa: ANN001
             settings: dict[str, Any], token: dict[str, Any], now: datetime) -> None:
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


def _push_until_done(workspace, clock: Clock, env: dict[str, str],  # noqa: ANN001
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


def _records(workspace, entity_type: str) -> Counter[str]:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        return Counter(str(status) for status in s.scalars(
            sa.select(col(SyncRecord.status)).where(col(SyncRecord.entity_type) == entity_type)))


def _totals(workspace) -> dict[str, Decimal]:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        return {number: total for number, total in
                s.execute(sa.select(col(Invoice.number), col(Invoice.total)))}


def test_200_invoices_reach_xero_once_each_through_random_faults(
        workspace, keito_home) -> None:  # noqa: ANN001
    clock = Clock()
    fake = FakeXero(clock=clock)
    _invoices(workspace, "GBP", INVOICES)
    _connect(workspace, keito_home, SyncProvider.XERO, fake.tenant_id,
             {"revenue_account": "200", "payment_account": "090",
              "tax_types": {"tax1": "OUTPUT2"}}, fake.consent(), clock())
    fake.fail_randomly(0.2, seed=12, kinds=("500", "429", "timeout", "commit_then_timeout"))
    env = {"KEITO_XERO_URL": fake.base_url, "KEITO_XERO_CLIENT_ID": fake.client_id}
    reports = _push_until_done(workspace, clock, env, fake.transport())

    injected = Counter(kind for kind, *_ in fake.faults.injected)
    assert set(injected) == {"500", "429", "timeout", "commit_then_timeout"}
    numbers = Counter(invoice.number for invoice in fake.invoices.values())
    assert len(numbers) == INVOICES and set(numbers.values()) == {1}  # no duplicate
    totals = _totals(workspace)
    for invoice in fake.invoices.values():
        assert fake.invoice_totals(invoice.invoice_id)["Total"] == totals[invoice.number]
    assert _records(workspace, "invoice") == {"success": INVOICES}
    # Twenty invoices had a payment; each is in Xero once.
    live = [p for p in fake.payments.values() if p.status != "DELETED"]
    assert len(live) == INVOICES // 10
    assert _records(workspace, "payment") == {"success": INVOICES // 10}
    assert fake.limit_hits == []  # paced under 60 a minute, whatever the faults
    refreshes = [r for r in fake.requests if r.path.endswith("/connect/token")]
    assert refreshes and all(r.method == "POST" for r in refreshes)
    assert sum(r["failed"] for r in reports) == 0


def test_200_invoices_reach_quickbooks_once_each_through_random_faults(
        workspace, keito_home) -> None:  # noqa: ANN001
    clock = Clock()
    fake = FakeQuickBooks(clock=clock)
    _invoices(workspace, "USD", INVOICES)
    items = {row["Name"]: row["Id"] for row in fake.items.values()}
    codes = {row["Name"]: row["Id"] for row in fake.entities["TaxCode"].values()}
    accounts = {row["Name"]: row["Id"] for row in fake.accounts.values()}
    item = next(iter(items.values()))
    token = fake.connect()
    _connect(workspace, keito_home, SyncProvider.QUICKBOOKS, fake.realm_id,
             {"income_account": next(i for n, i in accounts.items() if "Services" in n),
              "deposit_account": next(i for n, i in accounts.items() if "Checking" in n),
              "items": {"service": item, "product": item, "expense": item},
              "tax_codes": {"taxed": codes["TAX"], "untaxed": codes["NON"]}},
             token, clock())
    fake.fail_randomly(0.2, seed=12, kinds=("500", "429", "timeout", "commit_then_timeout"))
    env = {"KEITO_QUICKBOOKS_URL": fake.base_url, "KEITO_QUICKBOOKS_CLIENT_ID": fake.client_id,
           "KEITO_QUICKBOOKS_CLIENT_SECRET": fake.client_secret}
    reports = _push_until_done(workspace, clock, env, fake.transport())

    assert {kind for kind, *_ in fake.injected} == {"500", "429", "timeout",
                                                    "commit_then_timeout"}
    numbers = Counter(str(invoice["DocNumber"]) for invoice in fake.invoices.values())
    assert len(numbers) == INVOICES and set(numbers.values()) == {1}
    totals = _totals(workspace)
    for invoice in fake.invoices.values():
        assert Decimal(str(invoice["TotalAmt"])) == totals[invoice["DocNumber"]]
    assert len(fake.customers) == 1
    assert _records(workspace, "invoice") == {"success": INVOICES}
    assert len(fake.payments) == INVOICES // 10
    assert fake.limit_hits == 0
    assert any(r.path.endswith("/tokens/bearer") for r in fake.requests)
    assert sum(r["failed"] for r in reports) == 0
