"""`keito sync` from the demo workspace to the fake Xero and QuickBooks, as programs.

The fakes are served over real HTTP on 127.0.0.1 and every `keito` command runs as its own
process with only the documented variables pointing it there (docs/accounting.md, Testing):
connect through a browser stand-in, map, push every issued invoice, read the status. The fakes
validate every request against the vendors' specifications; a violation fails the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fakes.http_server import serve
from fakes.quickbooks import FakeQuickBooks
from fakes.xero import FakeXero
from sqlmodel import col, select

from keito_core.demo.build import build_demo
from keito_core.enums import InvoiceState
from keito_core.models import Client, Invoice, Payment
from keito_core.platform import db

ROOT = Path(__file__).resolve().parents[2]
BROWSER = ROOT / "tests" / "fakes" / "browser.py"
PROGRAM = "from keito_tui.cli.launch import run; run()"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


pytestmark = pytest.mark.usefixtures("isolated_sync")


@pytest.fixture
def demo(engine, keito_home) -> None:  # noqa: ANN001
    with db.transaction(engine) as session:
        build_demo(session, entries=300, seed=7, now=NOW)


def keito(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    done = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True,
                          text=True, env={**os.environ, **env}, timeout=300, cwd=ROOT,
                          input=stdin)
    assert done.returncode == 0, f"keito {' '.join(args)}: {done.returncode}\n{done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


def issued(engine) -> list[Invoice]:  # noqa: ANN001
    with db.transaction(engine, readonly=True) as session:
        rows = list(session.exec(select(Invoice).where(
            col(Invoice.state).in_([InvoiceState.OPEN, InvoiceState.PAID]))
            .order_by(col(Invoice.number))).all())
        session.expunge_all()
        return rows


class FastClock:
    """The fake vendor's clock: two seconds pass with every call, so its minute limit
    renews as it would over a long push (the client paces by what the vendor says is left)."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=2)
        return self.now


def test_demo_to_xero_every_invoice_once_with_equal_totals(engine, demo) -> None:  # noqa: ANN001
    fake = FakeXero(clock=FastClock())
    with serve(fake.handle) as url:
        fake.base_url = url
        env = {"KEITO_XERO_URL": url, "KEITO_XERO_CLIENT_ID": fake.client_id,
               "BROWSER": f"{sys.executable} {BROWSER} %s"}
        connected = keito(env, "sync", "connect", "xero", "--json")
        assert connected["tenant_name"] == "Demo Company (UK)"
        # A push before the mappings stops before anything is sent, naming what is missing.
        done = subprocess.run([sys.executable, "-c", PROGRAM, "sync", "push", "--json"],
                              capture_output=True, text=True, env={**os.environ, **env},
                              timeout=300, cwd=ROOT)
        assert done.returncode == 6, done.stderr
        refused = json.loads(done.stdout)
        assert refused["synced"] == 0 and refused["failed"] == len(issued(engine))
        assert "revenue account" in refused["items"][0]["message"]
        assert not [r for r in fake.requests
                    if r.method in ("PUT", "POST") and "api.xro" in r.path]

        mapped = keito(env, "sync", "settings", "--json", "--set", "revenue_account=200",
                       "--set", "payment_account=090", "--set", "tax_types.tax1=OUTPUT2",
                       "--set", "tax_types.none=NONE")
        assert mapped["settings"]["tax_types"] == {"tax1": "OUTPUT2", "none": "NONE"}
        pushed = keito(env, "sync", "retry", "--json")
        calls_before = len(fake.requests)
        again = keito(env, "sync", "push", "--json")
        calls_again = [r for r in fake.requests[calls_before:] if "api.xro" in r.path]
        status = keito(env, "sync", "status", "--json")

    invoices = issued(engine)
    assert pushed["failed"] == 0 and pushed["stopped"] is None
    assert Counter(i["type"] for i in pushed["items"] if i["result"] == "synced") == {
        "invoice": len(invoices),
        "payment": sum(1 for _ in _payments(engine)),
    }
    # Each invoice once, with Keito's total to the penny; each client one contact.
    remote = {i.number: i for i in fake.invoices.values()}
    assert sorted(remote) == [i.number for i in invoices]
    for invoice in invoices:
        totals = fake.invoice_totals(remote[invoice.number].invoice_id)
        assert totals["Total"] == invoice.total, invoice.number
        assert remote[invoice.number].currency_code == invoice.currency
    with db.transaction(engine, readonly=True) as session:
        clients = {c.id for c in session.exec(select(Client)).all()}
    billed = {i.client_id for i in invoices}
    assert len(fake.contacts) == len(billed) <= len(clients)
    # Payments recorded in Keito are there too, and the paid invoices are paid in Xero.
    for invoice in invoices:
        if invoice.state is InvoiceState.PAID:
            assert fake.invoice_totals(remote[invoice.number].invoice_id)["AmountDue"] == 0
    # A second push finds every copy up to date: it queues nothing and sends nothing.
    assert again["items"] == [] and again["synced"] == again["failed"] == 0
    assert calls_again == []
    assert len(fake.invoices) == len(invoices)
    assert status["counts"]["invoice"]["success"] == len(invoices)
    assert status["failed"] == [] and status["waiting"] == 0
    assert fake.violations == []
    # Each invoice carries its PDF.
    attached = Counter(a.invoice_id for a in fake.attachments.values())
    assert attached == {i.invoice_id: 1 for i in fake.invoices.values()}
    assert all(a.content.startswith(b"%PDF") for a in fake.attachments.values())


def _payments(engine) -> list[Payment]:  # noqa: ANN001
    with db.transaction(engine, readonly=True) as session:
        rows = list(session.exec(select(Payment)).all())
        session.expunge_all()
        return rows


def test_demo_to_quickbooks_with_payments_pulled_back(engine, demo) -> None:  # noqa: ANN001
    fake = FakeQuickBooks()
    fake.requests_per_second = None  # a frozen clock would throttle the 11th call
    with serve(fake.handle) as url:
        fake.base_url = url
        env = {"KEITO_QUICKBOOKS_URL": url, "KEITO_QUICKBOOKS_CLIENT_ID": fake.client_id,
               "KEITO_QUICKBOOKS_CLIENT_SECRET": fake.client_secret,
               "BROWSER": f"{sys.executable} {BROWSER} %s"}
        keito(env, "sync", "connect", "quickbooks", "--json")
        settings = keito(env, "sync", "settings", "--json")
        income = next(c["id"] for c in settings["choices"]["income_accounts"])
        deposit = next(c["id"] for c in settings["choices"]["deposit_accounts"])
        item = next(c["id"] for c in settings["choices"]["items"])
        taxed = next(c["id"] for c in settings["choices"]["tax_codes"] if c["name"] == "TAX")
        untaxed = next(c["id"] for c in settings["choices"]["tax_codes"] if c["name"] == "NON")
        keito(env, "sync", "settings", "--json", "--set", f"income_account={income}",
              "--set", f"deposit_account={deposit}", "--set", f"items.service={item}",
              "--set", f"items.product={item}", "--set", f"items.expense={item}",
              "--set", f"tax_codes.taxed={taxed}", "--set", f"tax_codes.untaxed={untaxed}")
        pushed = keito(env, "sync", "push", "--json")
        invoices = issued(engine)
        assert pushed["failed"] == 0, pushed
        remote = {i["DocNumber"]: i for i in fake.invoices.values()}
        assert sorted(remote) == [i.number for i in invoices]
        for invoice in invoices:
            assert Decimal(str(remote[invoice.number]["TotalAmt"])) == invoice.total
        # The bookkeeper records a payment in QuickBooks; Keito pulls it back once.
        open_one = next(i for i in invoices if i.state is InvoiceState.OPEN)
        fake.record_remote_payment(remote[open_one.number]["Id"], Decimal("10.00"))
        first = keito(env, "sync", "pull", "--json")
        second = keito(env, "sync", "pull", "--json")
    assert [r["action"] for r in first["recorded"]] == ["recorded"]
    assert second["recorded"] == []
    with db.transaction(engine, readonly=True) as session:
        paid = session.exec(select(Payment).where(
            col(Payment.invoice_id) == open_one.id)).all()
        assert [p.amount for p in paid] == [Decimal("10.00")]
    assert fake.violations == [] and fake.hard_deletes == 0
