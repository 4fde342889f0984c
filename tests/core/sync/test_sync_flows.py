"""Sync flows end to end in process: the engine, the providers and the fake vendors.

A grant revoked in the middle of a push, a partly paid invoice closed in Keito and voided in
Xero, a payment deleted in Keito and taken back, a currency the organisation lacks, approved
time pushed to QuickBooks as TimeActivity, and one invoice pushed by name.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from fakes.quickbooks import FakeQuickBooks
from fakes.xero import FakeXero
from sqlmodel import col
from sync_world import START, Clock, connect, issue_invoices

from keito_core.enums import ApprovalStatus, ConnectionStatus, SyncProvider
from keito_core.errors import KeitoError
from keito_core.models import (
    Invoice,
    Payment,
    Project,
    ProjectMember,
    SyncConnection,
    TimeEntry,
    User,
)
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import make_runtime
from keito_core.services.billing import invoices as svc
from keito_core.services.billing import payments
from keito_core.sync.oauth import TokenSet
from keito_core.sync.runner import open_sync
from keito_core.sync.tokens import TokenStore

XERO_SETTINGS = {"revenue_account": "200", "payment_account": "090",
                 "tax_types": {"tax1": "OUTPUT2", "none": "NONE"}}

pytestmark = pytest.mark.usefixtures("isolated_sync")


@pytest.fixture
def xero(workspace, keito_home):  # noqa: ANN001, ANN201
    clock = Clock()
    fake = FakeXero(clock=clock)
    connect(workspace, keito_home, SyncProvider.XERO, fake.tenant_id, XERO_SETTINGS,
            fake.consent(), clock())
    env = {"KEITO_XERO_URL": fake.base_url, "KEITO_XERO_CLIENT_ID": fake.client_id}
    yield fake, clock, env
    assert fake.violations == []


def run_once(workspace, clock, env, fake, *, invoice_ids=None):  # noqa: ANN001, ANN201
    with open_sync(make_runtime(clock=clock), actor_id=workspace.admin_id, clock=clock,
                   sleep=clock.sleep, transport=fake.transport(), env=env) as run:
        run.engine.enqueue_invoices(invoice_ids)
        return run.engine.run(only=set(invoice_ids) if invoice_ids else None).as_dict()


def test_a_grant_revoked_mid_push_stops_it_and_asks_for_a_reconnect(
        workspace, keito_home, xero) -> None:  # noqa: ANN001
    fake, clock, env = xero
    issue_invoices(workspace, "GBP", 4)
    original = fake.handle
    seen = {"creates": 0}

    def revoke_after_two(request):  # noqa: ANN001, ANN202
        response = original(request)
        if request.method == "PUT" and request.url.path.endswith("/Invoices"):
            seen["creates"] += 1
            if seen["creates"] == 2:
                fake.revoke_grant()
        return response

    fake.handle = revoke_after_two  # type: ignore[method-assign]
    report = run_once(workspace, clock, env, fake)
    # The first invoice went through; the second reached Xero, but its PDF met the revoked
    # grant, so Keito never recorded it; the run stopped there.
    assert report["synced"] == 1 and "connect" in report["stopped"]
    assert len(fake.invoices) == 2
    with workspace.session(readonly=True) as s:
        connection = s.scalars(sa.select(SyncConnection)).one()
        assert connection.status is ConnectionStatus.NEEDS_RECONNECT
        waiting = s.scalar(sa.text(
            "SELECT count(*) FROM sync_outbox WHERE state = 'pending' AND attempts = 0"))
    assert waiting == 4  # three invoices and the first one's payment wait, unspent
    with pytest.raises(KeitoError) as refused:
        run_once(workspace, clock, env, fake)
    assert refused.value.code == "authentication_error"
    assert "keito sync connect xero" in (refused.value.hint or "")
    # Connected again (a new grant): the second invoice is found by its number, not doubled.
    fake.handle = original  # type: ignore[method-assign]
    with workspace.session() as s:
        connection = s.scalars(sa.select(SyncConnection)).one()
        connection.status = ConnectionStatus.ACTIVE
        connection_id = connection.id
    token = fake.consent()
    TokenStore(connection_id, config_dir=keito_home).save(TokenSet(
        access_token=token["access_token"], refresh_token=token["refresh_token"],
        expires_at=clock() + timedelta(minutes=30)))
    report = run_once(workspace, clock, env, fake)
    assert report["failed"] == 0 and len(fake.invoices) == 4


def test_closing_a_partly_paid_invoice_voids_it_in_xero(workspace, xero) -> None:  # noqa: ANN001
    fake, clock, env = xero
    (invoice_id,) = issue_invoices(workspace, "GBP", 1)  # the first has a payment of 5
    with workspace.session() as s:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                                amount="7.50", paid_on="2026-12-01", now=START)
    report = run_once(workspace, clock, env, fake)
    assert report["failed"] == 0
    (remote,) = fake.invoices.values()
    assert fake.invoice_totals(remote.invoice_id)["AmountPaid"] == Decimal("12.50")
    with workspace.session() as s:
        svc.close_invoice(s, actor=workspace.actor(s), ref=invoice_id, now=START)
    report = run_once(workspace, clock, env, fake, invoice_ids=[])
    assert [(i["operation"], i["result"]) for i in report["items"]] == [("void", "synced")]
    assert remote.status == "VOIDED"
    assert {p.status for p in fake.payments.values()} == {"DELETED"}
    assert len(fake.invoices) == 1


def test_a_payment_deleted_in_keito_is_taken_back(workspace, xero) -> None:  # noqa: ANN001
    fake, clock, env = xero
    (invoice_id,) = issue_invoices(workspace, "GBP", 1)
    run_once(workspace, clock, env, fake)
    with workspace.session(readonly=True) as s:
        payment_id = s.scalar(sa.select(col(Payment.id)))
    with workspace.session() as s:
        payments.delete_payment(s, actor=workspace.actor(s), invoice_ref=invoice_id,
                                payment_ref=payment_id, now=START)
    report = run_once(workspace, clock, env, fake, invoice_ids=[])
    assert [(i["operation"], i["result"]) for i in report["items"]] == [("delete", "synced")]
    (payment,) = fake.payments.values()
    assert payment.status == "DELETED"
    (remote,) = fake.invoices.values()
    assert fake.invoice_totals(remote.invoice_id)["AmountPaid"] == 0


def test_a_currency_the_organisation_lacks_is_refused_before_sending(workspace, xero) -> None:  # noqa: ANN001
    fake, clock, env = xero
    issue_invoices(workspace, "JPY", 1, name="Tokyo Trading")
    report = run_once(workspace, clock, env, fake)
    (item,) = report["items"]
    assert item["result"] == "failed" and "JPY" in item["message"]
    assert not [r for r in fake.requests if r.method in ("PUT", "POST") and "api.xro" in r.path]


def test_one_invoice_by_name(workspace, xero) -> None:  # noqa: ANN001
    fake, clock, env = xero
    ids = issue_invoices(workspace, "GBP", 3)
    report = run_once(workspace, clock, env, fake, invoice_ids=[ids[1]])
    assert [i["type"] for i in report["items"]] == ["invoice"]
    with workspace.session(readonly=True) as s:
        number = s.get(Invoice, ids[1]).number
    assert [i.number for i in fake.invoices.values()] == [number]


def test_approved_time_reaches_quickbooks_as_time_activity(workspace, keito_home) -> None:  # noqa: ANN001
    clock = Clock()
    fake = FakeQuickBooks(clock=clock)
    issue_invoices(workspace, "USD", 1)
    employee = next(iter(fake.employees.values()))
    item = next(iter(fake.items.values()))
    with workspace.session() as s:
        client_id = s.scalar(sa.select(col(Invoice.client_id)))
        person = User(id=new_id("user"), name="Sarah Chen", email="sarah@acme.test")
        project = Project(id=new_id("project"), client_id=client_id, name="Web", handle="web")
        s.add_all([person, project])
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                            user_id=person.id))
        for day, seconds, status in ((1, 5430, ApprovalStatus.APPROVED),
                                     (2, 3600, ApprovalStatus.APPROVED),
                                     (3, 1800, ApprovalStatus.SUBMITTED)):
            s.add(TimeEntry(id=new_id("time_entry"), user_id=person.id, project_id=project.id,
                            spent_date=date(2026, 12, day), duration_seconds=seconds,
                            billable_rate=Decimal("150"), approval_status=status,
                            notes=f"day {day}"))
        person_id = person.id
    codes = {row["Name"]: row["Id"] for row in fake.entities["TaxCode"].values()}
    connect(workspace, keito_home, SyncProvider.QUICKBOOKS, fake.realm_id,
            {"income_account": "1", "deposit_account": "1",
             "items": {"service": item["Id"], "product": item["Id"], "expense": item["Id"]},
             "tax_codes": {"taxed": codes["TAX"], "untaxed": codes["NON"]},
             "employees": {person_id: employee["Id"]}},
            fake.connect(), clock())
    env = {"KEITO_QUICKBOOKS_URL": fake.base_url, "KEITO_QUICKBOOKS_CLIENT_ID": fake.client_id,
           "KEITO_QUICKBOOKS_CLIENT_SECRET": fake.client_secret}
    with open_sync(make_runtime(clock=clock), actor_id=workspace.admin_id, clock=clock,
                   sleep=clock.sleep, transport=fake.transport(), env=env) as run:
        queued = run.engine.enqueue_time_entries()
        report = run.engine.run().as_dict()
        assert run.engine.enqueue_time_entries() == []  # pushed entries are not queued again
    assert len(queued) == 2 and report["failed"] == 0, report
    activities = sorted(fake.time_activities.values(), key=lambda a: a["TxnDate"])
    assert [(a["TxnDate"], a["Hours"], a["Minutes"], a["BillableStatus"],
             a["EmployeeRef"]["value"], a["HourlyRate"]) for a in activities] == [
        ("2026-12-01", 1, 31, "Billable", employee["Id"], 150),
        ("2026-12-02", 1, 0, "Billable", employee["Id"], 150),
    ]
    assert fake.violations == []
