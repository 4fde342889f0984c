"""Exactly once through faults: 200 invoices pushed while the vendor fails one call in five.

The whole path runs: the outbox, the engine, the provider, the HTTP call with its retries and
pacing, the stored tokens refreshed as they expire, against the in-process fake vendors with
an injected clock (every wait advances it), so hours of backoff take seconds. The fakes fail
a fifth of the API calls at random with a 500, a 429, a timeout, or a timeout after they acted;
every request is still checked against the vendor's specification.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fakes.quickbooks import FakeQuickBooks
from fakes.xero import FakeXero
from sqlmodel import col
from sync_world import Clock, connect, issue_invoices, push_until_done

from keito_core.enums import SyncProvider
from keito_core.models import Invoice, SyncRecord

INVOICES = 200

pytestmark = pytest.mark.usefixtures("isolated_sync")


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
    issue_invoices(workspace, "GBP", INVOICES)
    connect(workspace, keito_home, SyncProvider.XERO, fake.tenant_id,
             {"revenue_account": "200", "payment_account": "090",
              "tax_types": {"tax1": "OUTPUT2"}}, fake.consent(), clock())
    fake.fail_randomly(0.2, seed=12, kinds=("500", "429", "timeout", "commit_then_timeout"))
    env = {"KEITO_XERO_URL": fake.base_url, "KEITO_XERO_CLIENT_ID": fake.client_id}
    reports = push_until_done(workspace, clock, env, fake.transport())

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
    issue_invoices(workspace, "USD", INVOICES)
    items = {row["Name"]: row["Id"] for row in fake.items.values()}
    codes = {row["Name"]: row["Id"] for row in fake.entities["TaxCode"].values()}
    accounts = {row["Name"]: row["Id"] for row in fake.accounts.values()}
    item = next(iter(items.values()))
    token = fake.connect()
    connect(workspace, keito_home, SyncProvider.QUICKBOOKS, fake.realm_id,
             {"income_account": next(i for n, i in accounts.items() if "Services" in n),
              "deposit_account": next(i for n, i in accounts.items() if "Checking" in n),
              "items": {"service": item, "product": item, "expense": item},
              "tax_codes": {"taxed": codes["TAX"], "untaxed": codes["NON"]}},
             token, clock())
    fake.fail_randomly(0.2, seed=12, kinds=("500", "429", "timeout", "commit_then_timeout"))
    env = {"KEITO_QUICKBOOKS_URL": fake.base_url, "KEITO_QUICKBOOKS_CLIENT_ID": fake.client_id,
           "KEITO_QUICKBOOKS_CLIENT_SECRET": fake.client_secret}
    reports = push_until_done(workspace, clock, env, fake.transport())

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
