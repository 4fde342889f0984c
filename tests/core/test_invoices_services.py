"""Billing services: invoices from tracked time and expenses, free-form invoices and their lines,
numbering, states, payments, permissions and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import col, select

from keito_core.enums import (
    ApprovalStatus,
    InvoiceState,
    ManagerPermission,
    ProjectType,
    Role,
    UserType,
)
from keito_core.errors import KeitoError
from keito_core.models import (
    LLM_USAGE,
    AuditEvent,
    Client,
    Expense,
    ExpenseCategory,
    Invoice,
    InvoiceLine,
    InvoiceNumber,
    Project,
    ProjectMember,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.services.billing import generate, lines, payments
from keito_core.services.billing import invoices as svc
from keito_core.services.billing.invoices import Header

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


@pytest.fixture
def firm(workspace):
    """Client Globex (USD) with a T&M project `web`, a fixed-fee `audit` (5,000) and a
    non-billable `internal`; Sarah (150/h), agent review-bot (75/h), manager Max (manages web,
    may draft), member Mia; November's entries and LLM expenses."""
    ids: dict[str, str] = {}
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Globex", currency="USD")
        other = Client(id=new_id("client"), name="Initech", currency="EUR")
        s.add_all([client, other])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Globex Web",
                      handle="web", code="GLX-WEB")
        fee = Project(id=new_id("project"), client_id=client.id, name="Globex Audit",
                      handle="audit", project_type=ProjectType.FIXED_FEE,
                      fixed_fee=Decimal("5000"))
        internal = Project(id=new_id("project"), client_id=client.id, name="Globex Internal",
                           handle="internal", project_type=ProjectType.NON_BILLABLE)
        initech = Project(id=new_id("project"), client_id=other.id, name="Initech Site",
                          handle="initech")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        review = Task(id=new_id("task"), name="Code review", handle="code-review")
        sarah = User(id=new_id("user"), name="Sarah Chen", email="sarah@acme.test",
                     role=Role.MEMBER)
        bot = User(id=new_id("user"), name="review-bot-01", email="bot@agents.keito.local",
                   role=Role.MEMBER, user_type=UserType.AGENT)
        max_ = User(id=new_id("user"), name="Max Manager", email="max@acme.test",
                    role=Role.MANAGER,
                    manager_permissions=[ManagerPermission.DRAFT_INVOICES.value])
        mia = User(id=new_id("user"), name="Mia Member", email="mia@acme.test", role=Role.MEMBER)
        s.add_all([web, fee, internal, initech, dev, review, sarah, bot, max_, mia])
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=web.id, user_id=max_.id,
                            is_project_manager=True))
        llm = s.exec(select(ExpenseCategory).where(ExpenseCategory.name == LLM_USAGE)).one()
        travel = ExpenseCategory(id=new_id("expense_category"), name="Travel", handle="travel")
        s.add(travel)
        s.flush()

        def entry(user, project, task, day, seconds, rate, **kw):
            s.add(TimeEntry(id=new_id("time_entry"), user_id=user.id, project_id=project.id,
                            task_id=task.id if task else None, spent_date=day,
                            duration_seconds=seconds, billable_rate=rate, **kw))

        entry(sarah, web, dev, date(2026, 11, 3), 5 * 3600, Decimal(150), notes="Login page")
        entry(sarah, web, dev, date(2026, 11, 4), 7 * 3600, Decimal(150))
        entry(bot, web, review, date(2026, 11, 4), 6 * 3600, Decimal(75), notes="PR reviews")
        entry(sarah, web, dev, date(2026, 11, 5), 5418, Decimal(150))  # 1.505 h -> 1.51
        entry(sarah, web, dev, date(2026, 11, 6), 3600, Decimal(150), is_billable=False)
        entry(sarah, web, dev, date(2026, 12, 1), 3600, Decimal(150))  # outside the period
        entry(sarah, fee, dev, date(2026, 11, 6), 4 * 3600, Decimal(150))
        entry(sarah, internal, dev, date(2026, 11, 6), 2 * 3600, Decimal(150))
        entry(sarah, initech, dev, date(2026, 11, 6), 2 * 3600, Decimal(100))
        for units, model in ((Decimal(100), "claude-opus-4-6"), (Decimal(80), "gpt-5")):
            s.add(Expense(id=new_id("expense"), user_id=bot.id, project_id=web.id,
                          category_id=llm.id, spent_date=date(2026, 11, 10), units=units,
                          unit_price=Decimal("0.003"), total_cost=units * Decimal("0.003"),
                          meta={"model": model}))
        s.add(Expense(id=new_id("expense"), user_id=sarah.id, project_id=web.id,
                      category_id=travel.id, spent_date=date(2026, 11, 12),
                      total_cost=Decimal("42.50"), receipt_name="train.pdf"))
        for name, row in (("client", client), ("other", other), ("web", web), ("fee", fee),
                          ("internal", internal), ("sarah", sarah), ("bot", bot),
                          ("max", max_), ("mia", mia), ("dev", dev)):
            ids[name] = row.id
    return ids


def _create(workspace, actor=None, **kw):
    args = {"client_ref": "Globex", "date_from": NOV[0], "date_to": NOV[1], "now": NOW} | kw
    with workspace.session() as s:
        invoice = generate.create_from_tracked(s, actor=actor or workspace.actor(s), **args)
        return invoice.id


def _lines(workspace, invoice_id):
    with workspace.session() as s:
        rows = s.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id)
                      .order_by(col(InvoiceLine.position))).all()
        return [(r.description, r.quantity, r.unit_price, r.amount, r.is_agent) for r in rows]


def _invoice(workspace, invoice_id) -> Invoice:
    with workspace.session() as s:
        invoice = s.get(Invoice, invoice_id)
        s.expunge(invoice)
        return invoice


def test_by_project_bills_each_rate_once_and_the_fixed_fee(workspace, firm):
    invoice_id = _create(workspace, expenses="none")
    got = _lines(workspace, invoice_id)
    assert got == [
        ("Globex Web", Decimal("13.51"), Decimal(150), Decimal("2026.50"), False),
        ("Globex Web (Agent)", Decimal("6.00"), Decimal(75), Decimal("450.00"), True),
        ("Globex Audit (fixed fee)", Decimal(1), Decimal(5000), Decimal("5000.00"), False),
    ]
    invoice = _invoice(workspace, invoice_id)
    assert invoice.number == "INV-2026-0001"
    assert invoice.currency == "USD"
    assert invoice.state is InvoiceState.DRAFT
    assert (invoice.period_start, invoice.period_end) == NOV
    assert invoice.subtotal == invoice.total == Decimal("7476.50")
    with workspace.session() as s:
        billed = s.exec(select(TimeEntry).where(TimeEntry.invoice_id == invoice_id)).all()
        assert len(billed) == 4  # web's billable November entries; never fee, internal, Dec
        assert all(e.invoice_line_id for e in billed)


def test_by_person_labels_agents_and_detailed_lists_every_entry(workspace, firm):
    invoice_id = _create(workspace, group_by="person", expenses="none")
    assert [(d, q, a) for d, q, _, a, _ in _lines(workspace, invoice_id)] == [
        ("Sarah Chen · Globex Web", Decimal("13.51"), Decimal("2026.50")),
        ("review-bot-01 (Agent) · Globex Web", Decimal("6.00"), Decimal("450.00")),
        ("Globex Audit (fixed fee)", Decimal(1), Decimal("5000.00")),
    ]
    with workspace.session() as s:
        svc.delete_invoice(s, actor=workspace.actor(s), ref=invoice_id, now=NOW)
    detailed = _create(workspace, group_by="detailed", expenses="detailed")
    descriptions = [d for d, *_ in _lines(workspace, detailed)]
    assert descriptions[0] == "2026-11-03 · Sarah Chen · Development · Login page"
    assert "2026-11-04 · review-bot-01 (Agent) · Code review · PR reviews" in descriptions
    assert any("Travel" in d and "receipt: train.pdf" in d for d in descriptions)
    assert sum(1 for d in descriptions if d.startswith("2026-11")) == 4 + 3
    with workspace.session() as s:  # each entry and expense points at a line of its own
        for model in (TimeEntry, Expense):
            items = s.exec(select(model).where(model.invoice_id == detailed)).all()
            assert items and all(item.invoice_line_id for item in items)
            assert len({item.invoice_line_id for item in items}) == len(items)
            for item in items:
                line = s.get(InvoiceLine, item.invoice_line_id)
                assert line is not None and line.invoice_id == detailed
                assert line.description.startswith(item.spent_date.isoformat())


def test_llm_usage_line_names_models_and_tokens(workspace, firm):
    invoice_id = _create(workspace)
    llm = [row for row in _lines(workspace, invoice_id) if row[0].startswith(LLM_USAGE)]
    assert llm == [(f"{LLM_USAGE} · claude-opus-4-6, gpt-5 tokens (180k tokens)",
                    Decimal(180), Decimal("0.003"), Decimal("0.54"), False)]
    travel = [row for row in _lines(workspace, invoice_id) if row[0] == "Travel"]
    assert travel == [("Travel", Decimal(1), Decimal("42.50"), Decimal("42.50"), False)]


def test_nothing_twice_and_releasing(workspace, firm):
    first = _create(workspace)
    with pytest.raises(KeitoError) as nothing:
        _create(workspace)
    assert nothing.value.code == "validation_error"
    assert "nothing to bill for Globex" in nothing.value.message
    with workspace.session() as s:
        assert s.exec(select(sa.func.count()).select_from(Invoice)).one() == 1
        # the refused creation took no number
        assert s.exec(select(Workspace)).one().invoice_next_number == 2
    with workspace.session() as s:
        removed, released = lines.remove_line(s, actor=workspace.actor(s), invoice_ref=first,
                                              line_ref=1, now=NOW)
    assert released == 3
    second = _create(workspace, expenses="none")
    assert [d for d, *_ in _lines(workspace, second)] == ["Globex Web"]
    with workspace.session() as s:
        svc.delete_invoice(s, actor=workspace.actor(s), ref=first, now=NOW)
        assert s.exec(select(sa.func.count()).select_from(TimeEntry)
                      .where(col(TimeEntry.invoice_id).is_not(None))).one() == 3
    third = _create(workspace)
    # the deleted INV-2026-0001 is never given again, nor is the fee billed twice
    assert _invoice(workspace, third).number == "INV-2026-0003"
    assert ("Globex Audit (fixed fee)", Decimal(1), Decimal(5000), Decimal("5000.00"),
            False) in _lines(workspace, third)


def test_approvals_on_bill_only_approved_work(workspace, firm):
    with workspace.session() as s:
        s.exec(select(Workspace)).one().feature_approvals = True
        entry = s.exec(select(TimeEntry).where(TimeEntry.notes == "Login page")).one()
        entry.approval_status = ApprovalStatus.APPROVED
    invoice_id = _create(workspace, expenses="none", project_refs=["web"])
    assert _lines(workspace, invoice_id) == [
        ("Globex Web", Decimal("5.00"), Decimal(150), Decimal("750.00"), False)]


def test_bad_requests_change_nothing(workspace, firm):
    cases = [
        ({"date_from": NOV[1], "date_to": NOV[0]}, "before it starts"),
        ({"client_ref": "Nobody"}, "client"),
        ({"group_by": "month"}, "group_by must be one of"),
        ({"project_refs": ["initech"]}, "is not Globex's"),
    ]
    for kw, text in cases:
        with pytest.raises(KeitoError) as refused:
            _create(workspace, **kw)
        assert text in refused.value.message
    with workspace.session() as s:
        assert s.exec(select(sa.func.count()).select_from(Invoice)).one() == 0
        assert s.exec(select(sa.func.count()).select_from(InvoiceNumber)).one() == 0


def test_free_form_lines_edit_move_and_totals(workspace, firm):
    with workspace.session() as s:
        actor = workspace.actor(s)
        invoice = svc.new_invoice(s, actor=actor, client_ref="Globex", now=NOW,
                                  header=Header(discount="10", tax="5", tax2="2",
                                                tax_label="GST", payment_terms="net_15"))
        ref = invoice.number
        assert invoice.due_date == date(2026, 12, 17)
        lines.add_line(s, actor=actor, invoice_ref=ref, now=NOW,
                       values={"description": "Workshop", "quantity": "2",
                               "unit_price": "100"})
        lines.add_line(s, actor=actor, invoice_ref=ref, now=NOW,
                       values={"description": "Licence", "kind": "product",
                               "unit_price": "100"})
        lines.move_line(s, actor=actor, invoice_ref=ref, line_ref=2, position=1, now=NOW)
    got = _invoice(workspace, invoice.id)
    # Harvest's worked example: 300.00, 10 % off, 5 % and 2 % tax -> 288.90
    assert (got.subtotal, got.discount_amount, got.tax1_amount, got.tax2_amount, got.total) == (
        Decimal("300.00"), Decimal("30.00"), Decimal("13.50"), Decimal("5.40"),
        Decimal("288.90"))
    assert [d for d, *_ in _lines(workspace, invoice.id)] == ["Licence", "Workshop"]
    bad = [({"quantity": "-1"}, "negative"), ({"quantity": "0"}, "more than 0"),
           ({"kind": "gift"}, "service, product or expense"), ({"colour": "red"}, "unknown")]
    for values, text in bad:
        with workspace.session() as s, pytest.raises(KeitoError) as refused:
            lines.edit_line(s, actor=workspace.actor(s), invoice_ref=ref, line_ref=1,
                            values=values, now=NOW)
        assert text in refused.value.message
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        svc.edit_invoice(s, actor=workspace.actor(s), ref=ref, changes={"discount": "101"},
                         now=NOW)
    assert "between 0 and 100" in refused.value.message
    assert _invoice(workspace, invoice.id).total == Decimal("288.90")


def test_states_payments_and_locking(workspace, firm):
    with workspace.session() as s:
        actor = workspace.actor(s)
        invoice = svc.new_invoice(s, actor=actor, client_ref="Globex", now=NOW)
        ref = invoice.number
        lines.add_line(s, actor=actor, invoice_ref=ref, now=NOW,
                       values={"description": "Work", "quantity": "3", "unit_price": "100"})
    with workspace.session() as s, pytest.raises(KeitoError) as draft:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=ref, amount="10",
                                now=NOW)
    assert draft.value.code == "conflict"
    with workspace.session() as s:
        svc.mark_sent(s, actor=workspace.actor(s), ref=ref, now=NOW)
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=ref, amount="100",
                                paid_on="2026-12-01", transaction_id="TX-1", now=NOW)
    assert _invoice(workspace, invoice.id).state is InvoiceState.OPEN
    with workspace.session() as s, pytest.raises(KeitoError) as over:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=ref,
                                amount="200.01", now=NOW)
    assert "more than the $200.00 due" in over.value.message
    with workspace.session() as s:
        payments.record_payment(s, actor=workspace.actor(s), invoice_ref=ref, amount="200",
                                now=NOW)
    paid = _invoice(workspace, invoice.id)
    assert (paid.state, paid.amount_paid, paid.paid_at) == (InvoiceState.PAID,
                                                            Decimal("300.00"), NOW)
    with workspace.session() as s, pytest.raises(KeitoError) as locked:
        lines.add_line(s, actor=workspace.actor(s), invoice_ref=ref, now=NOW,
                       values={"description": "More"})
    assert locked.value.code == "locked"
    with workspace.session() as s:
        payments.delete_payment(s, actor=workspace.actor(s), invoice_ref=ref, payment_ref="2",
                                now=NOW)
    reopened = _invoice(workspace, invoice.id)
    assert (reopened.state, reopened.amount_paid) == (InvoiceState.OPEN, Decimal("100.00"))
    with workspace.session() as s:
        svc.close_invoice(s, actor=workspace.actor(s), ref=ref, now=NOW)
    assert _invoice(workspace, invoice.id).state is InvoiceState.CLOSED
    with workspace.session() as s:
        svc.reopen_invoice(s, actor=workspace.actor(s), ref=ref, now=NOW)
        events = s.exec(select(AuditEvent.action).where(AuditEvent.entity_id == invoice.id)
                        .order_by(col(AuditEvent.created_at), col(AuditEvent.id))).all()
    assert _invoice(workspace, invoice.id).state is InvoiceState.OPEN
    assert events == ["invoice.create", "invoice.line_add", "invoice.issue", "invoice.payment",
                      "invoice.payment", "invoice.payment_delete", "invoice.close",
                      "invoice.reopen"]


def test_who_may_draft_and_send(workspace, firm):
    with workspace.session() as s:
        mia = workspace.actor(s, firm["mia"])
        with pytest.raises(KeitoError) as member:
            svc.new_invoice(s, actor=mia, client_ref="Globex", now=NOW)
        assert member.value.code == "authorization_error"
        manager = workspace.actor(s, firm["max"])
        with pytest.raises(KeitoError) as unmanaged:  # the audit project is not Max's
            generate.create_from_tracked(s, actor=manager, client_ref="Globex",
                                         date_from=NOV[0], date_to=NOV[1], now=NOW)
        assert "Globex Audit" in unmanaged.value.message
    invoice_id = _create(workspace, actor=None, project_refs=["web"], expenses="none")
    with workspace.session() as s:
        manager = workspace.actor(s, firm["max"])
        with pytest.raises(KeitoError) as send:
            svc.mark_sent(s, actor=manager, ref=invoice_id, now=NOW)
        assert "Send/edit invoices" in (send.value.hint or "") or "send" in send.value.message
    with workspace.session() as s:
        manager = workspace.actor(s, firm["max"])
        draft = generate.create_from_tracked(s, actor=manager, client_ref="Globex",
                                             project_refs=["web"], date_from="2026-12-01",
                                             date_to="2026-12-01", now=NOW)
        assert draft.number == "INV-2026-0002"


def test_numbers_skip_taken_ones(workspace, firm):
    with workspace.session() as s:
        s.exec(select(Workspace)).one().invoice_number_pattern = "G-{YY}{MM}-{###}"
    with workspace.session() as s:
        first = svc.new_invoice(s, actor=workspace.actor(s), client_ref="Globex", now=NOW)
        assert first.number == "G-2612-001"
        s.exec(select(Workspace)).one().invoice_next_number = 1  # set back by mistake
    with workspace.session() as s:
        second = svc.new_invoice(s, actor=workspace.actor(s), client_ref="Globex", now=NOW)
        assert second.number == "G-2612-002"


# ── read models ──────────────────────────────────────────────────────────────────────────

from keito_core import presenters  # noqa: E402
from keito_core.reports import invoices as reports  # noqa: E402


def test_uninvoiced_agrees_with_the_invoice_it_becomes(workspace, firm):
    with workspace.session() as s:
        ready = reports.uninvoiced(s, actor=workspace.actor(s), client_ref="Globex",
                                   date_from=NOV[0], date_to=NOV[1])
    by_project = {u.project: u for u in ready}
    assert set(by_project) == {"Globex Web", "Globex Audit"}
    web = by_project["Globex Web"]
    assert (web.hours, web.time_amount, web.expense_amount) == (
        Decimal("19.51"), Decimal("2476.50"), Decimal("43.04"))
    assert by_project["Globex Audit"].fee == Decimal(5000)
    invoice_id = _create(workspace)
    assert _invoice(workspace, invoice_id).total == sum(u.amount for u in ready)
    with workspace.session() as s:
        assert reports.uninvoiced(s, actor=workspace.actor(s), client_ref="Globex",
                                  date_from=NOV[0], date_to=NOV[1]) == []


def test_list_aging_detail_explain_and_document_agree(workspace, firm):
    invoice_id = _create(workspace)
    with workspace.session() as s:
        actor = workspace.actor(s)
        svc.edit_invoice(s, actor=actor, ref=invoice_id, now=NOW,
                         changes={"tax": "5", "tax_label": "GST", "discount": "10"})
        # A tax turned on taxes every line; only the two time lines keep it.
        taxed = s.exec(select(InvoiceLine.taxed1)
                       .where(InvoiceLine.invoice_id == invoice_id)).all()
        assert taxed and all(taxed)
        for n in range(3, len(taxed) + 1):
            lines.edit_line(s, actor=actor, invoice_ref=invoice_id, line_ref=n,
                            values={"taxed": False}, now=NOW)
        svc.mark_sent(s, actor=actor, ref=invoice_id, now=NOW)
        payments.record_payment(s, actor=actor, invoice_ref=invoice_id, amount="1000",
                                paid_on="2026-12-01", now=NOW)
    later = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)  # due 2027-01-01: 19 days late
    with workspace.session() as s:
        actor = workspace.actor(s)
        detail = reports.invoice_detail(s, actor=actor, ref=invoice_id, now=later)
        listed = reports.list_invoices(s, actor=actor, now=later, state="overdue")
        owed = reports.aging(s, actor=actor, now=later)
        document = reports.invoice_document(s, actor=actor, ref=invoice_id, now=later)
        shape = presenters.invoice(detail, viewer=actor)
        steps = reports.explain(detail)
    inv = detail.invoice
    # 7,519.54 subtotal, 751.95 off, GST 5 % on the two time lines after the discount
    assert (inv.subtotal, inv.discount_amount, inv.tax1_amount, inv.total) == (
        Decimal("7519.54"), Decimal("751.95"), Decimal("111.44"), Decimal("6879.03"))
    assert [r.number for r in listed.rows] == [inv.number] and listed.rows[0].overdue
    assert listed.rows[0].due_amount == Decimal("5879.03") == shape["due_amount"]
    line = owed.lines[0]
    assert (line.client, line.currency, line.outstanding, line.buckets["1_30"]) == (
        "Globex", "USD", Decimal("5879.03"), Decimal("5879.03"))
    assert owed.totals["USD"].overdue == Decimal("5879.03")
    assert (document.amount, document.due_amount, document.tax_label) == (
        inv.total, Decimal("5879.03"), "GST")
    assert [d.amount for d in document.lines] == [x["amount"] for x in shape["line_items"]]
    assert steps[0] == ("line 1 hours: 48,618 s / 3600 = 13.505000 h, rounded half-up to "
                        "13.51")
    assert "GST = 2476.50 (taxed lines) x (1 - 10 %) x 5 % = 111.4425 -> 111.44" in steps
    assert steps[-2] == "amount = 7519.54 - 751.95 + 111.44 + 0.00 = 6879.03 USD"
    assert steps[-1] == "due = 6879.03 - payments 1000.00 = 5879.03 USD"


def test_an_edit_never_leaves_payments_above_the_amount(workspace, firm):
    with workspace.session() as s:
        actor = workspace.actor(s)
        invoice = svc.new_invoice(s, actor=actor, client_ref="Globex", now=NOW)
        ref = invoice.number
        lines.add_line(s, actor=actor, invoice_ref=ref, now=NOW,
                       values={"description": "Work", "quantity": "2", "unit_price": "100"})
        svc.mark_sent(s, actor=actor, ref=ref, now=NOW)
        payments.record_payment(s, actor=actor, invoice_ref=ref, amount="150", now=NOW)
    with workspace.session() as s, pytest.raises(KeitoError) as refused:
        lines.edit_line(s, actor=workspace.actor(s), invoice_ref=ref, line_ref=1,
                        values={"quantity": "1"}, now=NOW)
    assert "would come to $100.00, less than the $150.00 already paid" in refused.value.message
    assert _invoice(workspace, invoice.id).total == Decimal("200.00")


@pytest.mark.parametrize(("group_by", "expenses"), [
    ("project", "category"), ("task", "project"), ("person", "detailed"),
    ("detailed", "category"), ("detailed", "detailed")])
def test_every_view_of_an_invoice_gives_the_same_figures(workspace, firm, group_by, expenses):
    """The JSON, explain, the document the PDF and HTML print, the PDF's and the HTML's text
    and the app's editor agree to the cent, whatever the grouping."""
    import io

    from pypdf import PdfReader

    from keito_core.io.invoice_html import render_html
    from keito_core.io.invoice_pdf import render_pdf
    from keito_core.reports.invoice_views import invoice_editor_view
    from keito_core.rules.money import format_money

    invoice_id = _create(workspace, group_by=group_by, expenses=expenses)
    with workspace.session() as s:
        actor = workspace.actor(s)
        svc.edit_invoice(s, actor=actor, ref=invoice_id, now=NOW,
                         changes={"tax": "8.875", "tax2": "2", "discount": "7.5"})
        lines.edit_line(s, actor=actor, invoice_ref=invoice_id, line_ref=1,
                        values={"taxed2": False}, now=NOW)
    with workspace.session() as s:
        actor = workspace.actor(s)
        detail = reports.invoice_detail(s, actor=actor, ref=invoice_id, now=NOW)
        shape = presenters.invoice(detail, viewer=actor)
        steps = reports.explain(detail)
        document = reports.invoice_document(s, actor=actor, ref=invoice_id, now=NOW)
        editor = invoice_editor_view(s, actor=actor, ref=invoice_id, now=NOW)
    inv = detail.invoice
    figures = (inv.subtotal, inv.discount_amount, inv.tax1_amount, inv.tax2_amount, inv.total)
    assert inv.subtotal - inv.discount_amount + inv.tax1_amount + inv.tax2_amount == inv.total
    assert tuple(Decimal(str(shape[k])) for k in (
        "subtotal", "discount_amount", "tax_amount", "tax2_amount", "amount")) == figures
    assert (editor.subtotal, editor.discount_amount, editor.tax_amount, editor.tax2_amount,
            editor.amount) == figures
    assert document.amount == inv.total
    amounts = [Decimal(str(x["amount"])) for x in shape["line_items"]]
    assert [d.amount for d in document.lines] == amounts == [x.amount for x in editor.lines]
    assert sum(amounts) == inv.subtotal
    assert steps[-2].endswith(f"= {inv.total:.2f} {inv.currency}")
    shown = format_money(inv.total, inv.currency)
    pdf = " ".join(" ".join(page.extract_text().split())
                   for page in PdfReader(io.BytesIO(render_pdf(document))).pages)
    html = render_html(document)
    for figure in figures:
        assert format_money(figure, inv.currency) in pdf
        assert format_money(figure, inv.currency) in html
    assert shown in pdf and shown in html
