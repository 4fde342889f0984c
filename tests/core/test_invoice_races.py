"""Money is never counted twice, with real processes racing on a real database (SQLite and
PostgreSQL), each released at once behind a barrier:

- several processes create an invoice for the same client and period: every entry and expense
  is billed by exactly one invoice, the lines add up to the work once, and no number is given
  twice;
- several processes record a payment of a quarter of the same invoice: exactly four are
  recorded, the rest are refused, what the invoice says was paid is what its payments sum to,
  and it is paid.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import races
from sqlmodel import select

from keito_core.enums import ApprovalStatus, InvoiceState
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceLine,
    Payment,
    Project,
    TimeEntry,
    User,
)
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.platform.ids import new_id
from keito_core.services.billing import generate, invoices, payments
from keito_core.services.workspace.setup import init_workspace

NOW = datetime(2026, 12, 6, 10, 0, tzinfo=UTC)
#: The fixture: an empty database at the head schema, on SQLite and on PostgreSQL.
race_url = races.race_url
PROCESSES = races.PROCESSES
ENTRIES = 40  # 40 entries of 1 h 30 at 150: 60 h, 9,000.00
EXPENSES = 5  # 5 expenses of 10.00


def _billable_month(url: str) -> str:
    """A workspace whose client Globex has November's approved time and expenses to bill;
    returns the administrator's user ID."""
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        _, admin = init_workspace(s, company="Acme", currency="GBP", timezone="Europe/London",
                                  admin_name="Ada Admin", admin_email="ada@acme.test", now=NOW)
        client = Client(id=new_id("client"), name="Globex", currency="GBP")
        s.add(client)
        s.flush()
        project = Project(id=new_id("project"), client_id=client.id, name="Website",
                          handle="web")
        category = s.exec(select(ExpenseCategory)).first()
        s.add(project)
        s.flush()
        assert category is not None
        for n in range(ENTRIES):
            s.add(TimeEntry(id=new_id("time_entry"), user_id=admin.id, project_id=project.id,
                            spent_date=date(2026, 11, 1 + n % 28), duration_seconds=5400,
                            billable_rate=Decimal(150),
                            approval_status=ApprovalStatus.APPROVED))
        for n in range(EXPENSES):
            s.add(Expense(id=new_id("expense"), user_id=admin.id, project_id=project.id,
                          category_id=category.id, spent_date=date(2026, 11, 2 + n),
                          total_cost=Decimal("10.00"),
                          approval_status=ApprovalStatus.APPROVED))
        admin_id = admin.id
    engine.dispose()  # no connection of the parent's crosses the fork
    return admin_id


def _race(url: str, user_id: str, work: Callable[[Any, Any, int], str]) -> dict[int, tuple]:
    """`work(session, actor, n)` raced by PROCESSES processes, each acting as `user_id`."""
    return races.race(url, lambda s, n: work(s, races.acting(s, user_id), n))


def _create(s: Any, actor: Any, n: int) -> str:
    return generate.create_from_tracked(
        s, actor=actor, client_ref="Globex", date_from=date(2026, 11, 1),
        date_to=date(2026, 11, 30), group_by="detailed" if n % 2 else "project",
        expenses="detailed" if n % 2 else "category", now=NOW).id


def test_invoices_created_at_once_from_one_period_bill_each_item_once(race_url: str) -> None:
    admin_id = _billable_month(race_url)
    outcomes = _race(race_url, admin_id, _create)
    made = {o[1] for o in outcomes.values() if o[0] == "done"}
    refused = [o[1:] for o in outcomes.values() if o[0] == "refused"]
    assert made
    # The others found nothing left to bill (or, on PostgreSQL, lost a write to the winner).
    assert all(code in ("validation_error", "conflict") for code, _ in refused), refused
    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        rows = s.exec(select(Invoice)).all()
        lines = s.exec(select(InvoiceLine)).all()
        entries = s.exec(select(TimeEntry)).all()
        expenses = s.exec(select(Expense)).all()
        invoice_of_line = {line.id: line.invoice_id for line in lines}
        assert {row.id for row in rows} == made  # a refused creation left nothing behind
        assert len({row.number for row in rows}) == len(rows)
        for item in (*entries, *expenses):
            assert item.invoice_id in made and item.invoice_line_id is not None
            assert invoice_of_line[item.invoice_line_id] == item.invoice_id
        # The lines bill the month once: 60 h at 150 and 5 x 10.00.
        assert sum(line.amount for line in lines) == Decimal("9050.00")
        assert sum(row.total for row in rows) == Decimal("9050.00")
    engine.dispose()


def test_payments_recorded_at_once_never_pay_more_than_the_amount(race_url: str) -> None:
    admin_id = _billable_month(race_url)
    engine = db.make_engine(race_url)
    with db.transaction(engine) as s:
        actor = actor_for(s, s.get(User, admin_id))
        invoice = generate.create_from_tracked(s, actor=actor, client_ref="Globex",
                                               date_from=date(2026, 11, 1),
                                               date_to=date(2026, 11, 30), now=NOW)
        invoices.mark_sent(s, actor=actor, ref=invoice.id, now=NOW)
        invoice_id, quarter = invoice.id, invoice.total / 4
    engine.dispose()
    assert quarter == Decimal("2262.50")  # 9,050.00 / 4

    def pay(s: Any, actor: Any, n: int) -> str:
        return payments.record_payment(s, actor=actor, invoice_ref=invoice_id,
                                       amount=quarter, notes=f"process {n}", now=NOW).id

    outcomes = _race(race_url, admin_id, pay)
    done = [o for o in outcomes.values() if o[0] == "done"]
    refused = [o[1:] for o in outcomes.values() if o[0] == "refused"]
    assert all(code in ("validation_error", "conflict") for code, _ in refused), refused
    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        invoice = s.get(Invoice, invoice_id)
        paid = s.exec(select(Payment.amount).where(Payment.invoice_id == invoice_id)).all()
        assert invoice is not None and len(paid) == len(done)
        assert invoice.amount_paid == sum(paid) <= invoice.total
        # Four quarters fit, never a fifth; the invoice is paid.
        assert len(done) == 4 and len(refused) == PROCESSES - 4
        assert invoice.amount_paid == invoice.total
        assert invoice.state is InvoiceState.PAID
    engine.dispose()
