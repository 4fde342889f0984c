"""Sync on send: the invoice commands send what they queued for the accounting system at once.

`keito invoice issue`, `pay`, `unpay` and `close` run in-process with the fake Xero as the HTTP
client. A change that cannot go now (a mapping missing) stays queued and a note says so; the
command itself succeeds.
"""

from __future__ import annotations

import httpx
import pytest
from fakes.xero import FakeXero
from sync_world import Clock, connect

from keito_core.enums import SyncProvider
from keito_core.models import Client
from keito_core.platform.ids import new_id
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import lines
from keito_core.services.billing.invoices import Header
from keito_core.sync import oauth

SETTINGS = {"revenue_account": "200", "payment_account": "090",
            "tax_types": {"none": "NONE"}}

pytestmark = pytest.mark.usefixtures("isolated_sync")


@pytest.fixture
def xero(workspace, keito_home, monkeypatch):  # noqa: ANN001, ANN201
    fake = FakeXero(clock=Clock())
    monkeypatch.setattr(oauth, "new_http_client",
                        lambda: httpx.Client(transport=fake.transport()))
    monkeypatch.setenv("KEITO_XERO_URL", fake.base_url)
    monkeypatch.setenv("KEITO_XERO_CLIENT_ID", fake.client_id)
    yield fake
    assert fake.violations == []


def draft(workspace, amount: str = "120") -> str:  # noqa: ANN001
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Initech", currency="GBP")
        s.add(client)
        s.flush()
        actor = workspace.actor(s)
        invoice = svc.new_invoice(s, actor=actor, client_ref=client.id, header=Header(),
                                  now=now)
        lines.add_line(s, actor=actor, invoice_ref=invoice.id,
                       values={"description": "Audit", "unit_price": amount}, now=now)
        return invoice.number


def test_issue_pay_unpay_and_close_reach_xero_at_once(cli, workspace, keito_home,  # noqa: ANN001
                                                      xero) -> None:
    connect(workspace, keito_home, SyncProvider.XERO, xero.tenant_id, SETTINGS,
            xero.consent(), Clock()())
    number = draft(workspace)
    issued = cli("invoice", "issue", number)
    assert issued.exit_code == 0, issued
    (remote,) = xero.invoices.values()
    assert remote.number == number and remote.status == "AUTHORISED"

    paid = cli("invoice", "pay", number, "--amount", "20")
    assert paid.exit_code == 0, paid
    (payment,) = xero.payments.values()
    assert payment.status != "DELETED"
    assert xero.invoice_totals(remote.invoice_id)["AmountDue"] == 100

    unpaid = cli("invoice", "unpay", number, "1")
    assert unpaid.exit_code == 0, unpaid
    assert payment.status == "DELETED"

    closed = cli("invoice", "close", number)
    assert closed.exit_code == 0, closed
    assert remote.status == "VOIDED" and len(xero.invoices) == 1


def test_people_are_told_where_it_went(terminal, workspace, keito_home, xero) -> None:  # noqa: ANN001
    connect(workspace, keito_home, SyncProvider.XERO, xero.tenant_id, SETTINGS,
            xero.consent(), Clock()())
    number = draft(workspace)
    issued = terminal("invoice", "issue", number)
    assert issued.exit_code == 0, issued
    assert f"invoice {number}: sent to Xero" in issued.stderr


def test_a_change_that_cannot_go_now_waits_and_says_so(cli, workspace, keito_home,  # noqa: ANN001
                                                       xero) -> None:
    connect(workspace, keito_home, SyncProvider.XERO, xero.tenant_id, {}, xero.consent(),
            Clock()())
    number = draft(workspace)
    issued = cli("invoice", "issue", number)
    assert issued.exit_code == 0, issued
    assert issued.json["state"] == "open"
    assert f"invoice {number} is not in Xero yet" in issued.stderr
    assert "revenue account" in issued.stderr
    assert xero.invoices == {}
    status = cli("sync", "status", "--json")
    assert status.json["failed"][0]["invoice"] == number


def test_nothing_is_sent_when_nothing_is_connected(cli, workspace, xero) -> None:  # noqa: ANN001
    number = draft(workspace)
    issued = cli("invoice", "issue", number)
    assert issued.exit_code == 0 and "Xero" not in issued.stderr
    assert xero.requests == []
