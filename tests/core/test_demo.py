"""The demo workspace: its numbers add up and it respects every rule of the domain."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from keito_core.demo.build import DemoSummary, build_demo
from keito_core.enums import (
    ApprovalStatus,
    InvoiceState,
    ProjectType,
    Source,
    SubmissionStatus,
    UserType,
)
from keito_core.errors import KeitoError
from keito_core.models import (
    LLM_USAGE,
    Client,
    Contact,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceLine,
    InvoiceNumber,
    Payment,
    Project,
    ProjectMember,
    Submission,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.reports import invoices as invoice_reports
from keito_core.rules.invoices import time_quantity
from keito_core.rules.money import round_money
from keito_core.services.billing import generate

#: A Wednesday afternoon in London (UTC+0 in March, before the clocks change).
NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
ENTRIES = 2_000


@pytest.fixture
def demo(engine) -> DemoSummary:
    with db.transaction(engine) as session:
        return build_demo(session, entries=ENTRIES, seed=7, now=NOW)


def count(session: Session, model, *where) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_counts_match_the_summary_and_the_database(engine, demo):
    with Session(engine) as s:
        users = s.exec(select(User)).all()
        assert count(s, TimeEntry) == ENTRIES == demo.counts["time_entries"]
        assert count(s, Expense) == demo.counts["expenses"] > ENTRIES // 40
        assert count(s, Client) == demo.counts["clients"] == 10
        assert count(s, Project) == demo.counts["projects"] == 28
        assert Counter(u.user_type for u in users) == {UserType.HUMAN: 8, UserType.AGENT: 4}
        assert count(s, Submission) == demo.counts["submissions"] > 0
        assert count(s, Invoice) == demo.counts["invoices"] > 0
        assert count(s, Payment) == demo.counts["payments"] > 0
        ws = s.exec(select(Workspace)).one()
        assert ws.feature_approvals is True
        assert ws.invoice_next_number == demo.counts["invoices"] + 1
        first, last = s.exec(select(func.min(TimeEntry.spent_date),
                                    func.max(TimeEntry.spent_date))).one()
    assert (first, last) == (demo.first_day, demo.last_day) == (first, NOW.date())
    assert last - first >= timedelta(weeks=12)  # small demos still span a quarter


def test_people_log_only_to_their_projects_one_timer_each_at_sane_times(engine, demo):
    london = ZoneInfo("Europe/London")
    with Session(engine) as s:
        for model in (TimeEntry, Expense):
            assigned = sa.exists().where(ProjectMember.user_id == model.user_id,
                                         ProjectMember.project_id == model.project_id)
            assert count(s, model, ~assigned) == 0, model.__name__
        running = s.exec(select(TimeEntry).where(TimeEntry.is_running)).all()
        assert len(running) == 1
        assert running[0].timer_started_at is not None and running[0].timer_started_at < NOW
        entries = s.exec(select(TimeEntry).where(TimeEntry.started_at.is_not(None),
                                                 ~TimeEntry.is_running)).all()
    assert entries
    for entry in entries:
        assert entry.started_at.tzinfo is not None
        assert entry.ended_at - entry.started_at == timedelta(seconds=entry.duration_seconds)
        assert entry.started_at.astimezone(london).date() == entry.spent_date
        assert entry.ended_at < NOW and entry.spent_date.weekday() < 5


def test_approvals_follow_submissions(engine, demo):
    with Session(engine) as s:
        subs = {sub.id: sub for sub in s.exec(select(Submission)).all()}
        entries = s.exec(select(TimeEntry)).all()
    statuses = Counter(entry.approval_status for entry in entries)
    assert statuses[ApprovalStatus.APPROVED] > ENTRIES // 2
    assert statuses[ApprovalStatus.UNSUBMITTED] > 0
    for entry in entries:
        if entry.approval_status is ApprovalStatus.UNSUBMITTED:
            assert entry.submission_id is None
            continue
        sub = subs[entry.submission_id]
        assert sub.status.value == entry.approval_status.value
        assert sub.user_id == entry.user_id
        assert sub.period_start <= entry.spent_date <= sub.period_end
        if sub.status is SubmissionStatus.APPROVED:
            assert sub.decided_by_id is not None and sub.decided_at > sub.submitted_at


def test_invoices_add_up_exactly(engine, demo):
    with Session(engine) as s:
        invoices = s.exec(select(Invoice)).all()
        lines = s.exec(select(InvoiceLine)).all()
        payments = {p.invoice_id: p for p in s.exec(select(Payment)).all()}
        invoiced = s.exec(select(TimeEntry).where(TimeEntry.invoice_id.is_not(None))).all()
        clients = {c.id: c for c in s.exec(select(Client)).all()}
    by_invoice: dict[str, list[InvoiceLine]] = {}
    for line in lines:
        by_invoice.setdefault(line.invoice_id, []).append(line)
    assert {inv.state for inv in invoices} == {InvoiceState.PAID, InvoiceState.OPEN}
    for inv in invoices:
        assert isinstance(inv.total, Decimal) and isinstance(inv.subtotal, Decimal)
        assert inv.currency == clients[inv.client_id].currency
        assert inv.number.startswith(f"INV-{inv.issue_date.year}-")
        own = by_invoice[inv.id]
        assert sum((line.amount for line in own), Decimal(0)) == inv.subtotal
        for line in own:
            assert line.amount == round_money(line.quantity * line.unit_price, inv.currency)
        assert inv.total == inv.subtotal - inv.discount_amount + inv.tax1_amount + inv.tax2_amount
        if inv.currency == "GBP":
            assert inv.tax1_amount == round_money(inv.subtotal * Decimal("0.2"), "GBP")
        if inv.state is InvoiceState.PAID:
            assert payments[inv.id].amount == inv.total == inv.amount_paid
        else:
            assert inv.id not in payments and inv.amount_paid == 0
    assert invoiced
    ids = {inv.id: inv for inv in invoices}
    for entry in invoiced:
        inv = ids[entry.invoice_id]
        assert entry.is_billable and entry.approval_status is ApprovalStatus.APPROVED
        assert inv.period_start <= entry.spent_date <= inv.period_end


def test_every_invoiced_item_points_at_the_line_that_bills_it(engine, demo):
    with Session(engine) as s:
        lines = {line.id: line for line in s.exec(select(InvoiceLine)).all()}
        entries = s.exec(select(TimeEntry, User.user_type).join(User, User.id == TimeEntry.user_id)
                         .where(TimeEntry.invoice_id.is_not(None))).all()
        expenses = s.exec(select(Expense).where(Expense.invoice_id.is_not(None))).all()
        categories = {c.id: c for c in s.exec(select(ExpenseCategory)).all()}
        fixed_fees = {p.id: p.fixed_fee for p in s.exec(select(Project)).all()
                      if p.project_type is ProjectType.FIXED_FEE}
    seconds: dict[str, int] = Counter()
    rates: dict[str, set[Decimal]] = {}
    kinds: dict[str, set[UserType]] = {}
    for entry, user_type in entries:
        line = lines[entry.invoice_line_id]
        assert line.invoice_id == entry.invoice_id and line.project_id == entry.project_id
        seconds[line.id] += entry.duration_seconds
        rates.setdefault(line.id, set()).add(entry.billable_rate)
        kinds.setdefault(line.id, set()).add(user_type)
    assert any(kind == {UserType.AGENT} for kind in kinds.values())
    for line_id, total in seconds.items():
        line = lines[line_id]
        assert (line.quantity, {line.unit_price}) == (time_quantity(total), rates[line_id])
        assert line.is_agent is (kinds[line_id] == {UserType.AGENT})
        assert ("(Agent)" in line.description) is line.is_agent
    spent: dict[str, list[Decimal]] = {}
    for expense in expenses:
        line = lines[expense.invoice_line_id]
        assert line.invoice_id == expense.invoice_id and line.project_id == expense.project_id
        assert expense.is_billable and expense.approval_status is ApprovalStatus.APPROVED
        tally = spent.setdefault(line.id, [Decimal(0), Decimal(0)])
        tally[0] += expense.units or 0
        tally[1] += expense.total_cost
        assert categories[expense.category_id].name in line.description
    assert spent
    for line_id, (units, total) in spent.items():
        line = lines[line_id]
        assert (line.quantity, line.unit_price) in ((units, line.unit_price), (1, total))
        assert not line.is_agent
    billed = set(seconds) | set(spent)
    fees = [line for line in lines.values() if line.id not in billed]
    assert fees and {line.fee_project_id for line in fees} == set(fixed_fees)
    for line in fees:
        assert (line.quantity, line.unit_price) == (1, fixed_fees[line.fee_project_id])


def test_numbers_company_and_contacts_are_what_invoices_need(engine, demo):
    with Session(engine) as s:
        numbers = dict(s.exec(select(InvoiceNumber.number, InvoiceNumber.invoice_id)).all())
        invoices = dict(s.exec(select(Invoice.number, Invoice.id)).all())
        ws = s.exec(select(Workspace)).one()
        contacts = s.exec(select(Client.name, Contact.email)
                          .join(Contact, Contact.client_id == Client.id)).all()
    assert numbers == invoices
    assert ws.company_address and "Leeds" in ws.company_address and ws.company_phone
    assert len(contacts) == 9 and all("@" in email for _, email in contacts)


def test_last_month_waits_to_be_billed_and_reports_agree(engine, demo):
    """Months before last are billed in full; last month's approved work makes an invoice."""
    with db.transaction(engine) as s:
        admin = actor_for(s, s.get(User, s.exec(select(Workspace)).one().default_user_id))
        last_billed = s.exec(select(func.max(Invoice.period_end))).one()
        assert last_billed == date(2026, 1, 31)  # NOW is in March: February waits
        assert invoice_reports.uninvoiced(s, actor=admin, date_to=last_billed) == []
        february = invoice_reports.uninvoiced(s, actor=admin, date_from=date(2026, 2, 1),
                                              date_to=date(2026, 2, 28))
        listed = invoice_reports.list_invoices(s, actor=admin, now=NOW, limit=500)
        aged = invoice_reports.aging(s, actor=admin, now=NOW)
        invoices = s.exec(select(Invoice)).all()
        assert listed.total == len(invoices) == demo.counts["invoices"]
        for currency in {inv.currency for inv in invoices}:
            owed = sum((inv.total for inv in invoices
                        if inv.currency == currency and inv.state is InvoiceState.OPEN),
                       Decimal(0))
            assert aged.totals[currency].outstanding == owed > 0
        northwind = [line for line in february if line.client == "Northwind Traders Ltd"]
        invoice = generate.create_from_tracked(
            s, actor=admin, client_ref="Northwind Traders Ltd", date_from=date(2026, 2, 1),
            date_to=date(2026, 2, 28), now=NOW)
        assert invoice.subtotal == sum((line.amount for line in northwind), Decimal(0)) > 0
        assert invoice.number == f"INV-2026-{demo.counts['invoices'] + 1:04d}"


def test_money_columns_are_decimal_and_rates_are_captured(engine, demo):
    with Session(engine) as s:
        entries = s.exec(select(TimeEntry).limit(300)).all()
        expenses = s.exec(select(Expense).limit(100)).all()
    assert all(isinstance(e.cost_rate, Decimal) for e in entries)
    assert any(e.is_billable for e in entries) and any(not e.is_billable for e in entries)
    for entry in entries:
        assert isinstance(entry.billable_rate, Decimal) is entry.is_billable
    assert all(isinstance(x.total_cost, Decimal) for x in expenses)


def test_agents_log_with_metadata_and_llm_usage_is_units_times_price(engine, demo):
    with Session(engine) as s:
        agents = set(s.exec(select(User.id).where(User.user_type == UserType.AGENT)).all())
        entries = s.exec(select(TimeEntry)).all()
        rows = s.exec(
            select(Expense, Client.currency)
            .join(ExpenseCategory, ExpenseCategory.id == Expense.category_id)
            .join(Project, Project.id == Expense.project_id)
            .join(Client, Client.id == Project.client_id)
            .where(ExpenseCategory.name == LLM_USAGE)
        ).all()
    by_agents = [e for e in entries if e.user_id in agents]
    assert len(by_agents) > ENTRIES // 4
    for entry in entries:
        if entry.user_id in agents:
            assert entry.source is Source.AGENT
            assert entry.meta["agent_type"] and entry.meta["session_id"]
            assert 5 * 60 <= entry.duration_seconds <= 60 * 60
        else:
            assert entry.source in (Source.TUI, Source.CLI) and entry.meta == {}
    assert rows
    for expense, currency in rows:
        assert expense.unit_price == Decimal("0.003")
        assert expense.total_cost == round_money(expense.units * expense.unit_price, currency)
        assert expense.source is Source.AGENT and expense.meta["input_tokens"] > 0


def test_a_seed_always_builds_the_same_work(engine, demo, tmp_path):
    other = db.make_engine(f"sqlite:///{tmp_path / 'again.db'}")
    db.upgrade(other)
    with db.transaction(other) as session:
        again = build_demo(session, entries=ENTRIES, seed=7, now=NOW)
    assert again.counts == demo.counts and again.first_day == demo.first_day

    def signature(eng) -> Counter:
        with Session(eng) as s:
            return Counter(s.exec(select(TimeEntry.spent_date, TimeEntry.duration_seconds,
                                         TimeEntry.notes, TimeEntry.billable_rate)).all())

    assert signature(engine) == signature(other)
    other.dispose()


def test_refuses_a_database_that_has_a_workspace_and_bad_counts(engine, demo):
    with pytest.raises(KeitoError) as refused, db.transaction(engine) as session:
        build_demo(session, entries=100, now=NOW)
    assert refused.value.code == "conflict"
    for bad in (0, -5, 10_000_001):
        with pytest.raises(KeitoError) as invalid, db.transaction(engine) as session:
            build_demo(session, entries=bad, now=NOW)
        assert (invalid.value.code, invalid.value.field) == ("validation_error", "entries")
    with Session(engine) as s:
        assert count(s, TimeEntry) == ENTRIES
