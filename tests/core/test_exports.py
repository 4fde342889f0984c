"""Exports: the writers (CSV text, XLSX types, totals per currency, streaming) and the export
queries (every kind's columns and values against a hand-made workspace, who sees what, the
filters). Runs on PostgreSQL too with KEITO_TEST_DATABASE=postgres."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from openpyxl import load_workbook

from keito_core.enums import (
    ApprovalStatus,
    BudgetBy,
    EmploymentType,
    InvoiceState,
    ManagerPermission,
    ProjectType,
    Role,
    Source,
)
from keito_core.errors import KeitoError
from keito_core.io.tabular import decimal_text, write_csv, write_xlsx
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Invoice,
    ManagerTeammate,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform.ids import new_id
from keito_core.reports.analysis.result import Column
from keito_core.reports.budgets import budget_report
from keito_core.reports.exports import ExportFilter, entry_amount, export_data
from keito_core.rules.money import round_money
from keito_core.rules.rates import billable_amount

D = Decimal


def _id(kind: str) -> str:
    return new_id(kind)


@pytest.fixture
def env(workspace):
    """Acme (GBP) with Website (fee budget 1000 incl. expenses) and archived Internal
    (non-billable); Globex (USD) with App (10-hour budget). Member Mia on both projects;
    member Bob on Website; manager Max (teammate Mia, no rate permission); manager Rae
    (view rates, manages Website). Four entries, two expenses, one invoice."""
    with workspace.session() as s:
        acme = Client(id=_id("client"), name="Acme Corp", currency="GBP", street="1 High St",
                      city="London", postal_code="N1 1AA", country="United Kingdom")
        globex = Client(id=_id("client"), name="Globex", currency="USD", is_active=False)
        s.add_all([acme, globex])
        s.flush()
        web = Project(id=_id("project"), client_id=acme.id, name="Website", handle="web",
                      code="ACME-WEB", hourly_rate=D(150), budget_by=BudgetBy.TOTAL_FEES,
                      budget_amount=D(1000), budget_includes_expenses=True)
        app = Project(id=_id("project"), client_id=globex.id, name="App", handle="app",
                      budget_by=BudgetBy.TOTAL_HOURS, budget_hours=D(10))
        internal = Project(id=_id("project"), client_id=acme.id, name="Internal",
                           handle="internal", project_type=ProjectType.NON_BILLABLE,
                           is_active=False)
        dev = Task(id=_id("task"), name="Development", handle="development")
        mia = User(id=_id("user"), name="Mia", email="mia@acme.test", default_rate=D(80))
        bob = User(id=_id("user"), name="Bob", email="bob@acme.test",
                   employment_type=EmploymentType.CONTRACTOR, weekly_capacity_seconds=72000)
        max_ = User(id=_id("user"), name="Max", email="max@acme.test", role=Role.MANAGER)
        rae = User(id=_id("user"), name="Rae", email="rae@acme.test", role=Role.MANAGER,
                   manager_permissions=[ManagerPermission.VIEW_RATES.value])
        meals = ExpenseCategory(id=_id("expense_category"), name="Meals", handle="meals")
        s.add_all([web, app, internal, dev, mia, bob, max_, rae, meals])
        s.flush()
        for project, user, manager in ((web, mia, False), (app, mia, False),
                                       (web, bob, False), (web, rae, True)):
            s.add(ProjectMember(id=_id("project_member"), project_id=project.id,
                                user_id=user.id, is_project_manager=manager))
        s.add(ManagerTeammate(manager_id=max_.id, teammate_id=mia.id))
        invoice = Invoice(id=_id("invoice"), client_id=acme.id, number="INV-0001",
                          state=InvoiceState.OPEN, issue_date=date(2026, 3, 10),
                          due_date=date(2026, 4, 9), currency="GBP", subtotal=D("225.75"),
                          total=D("225.75"), amount_paid=D("100.10"), portal_token="tok1")
        s.add(invoice)
        s.flush()

        def entry(user, project, day, seconds, rate, **kw):
            row = TimeEntry(id=_id("time_entry"), user_id=user.id, project_id=project.id,
                            spent_date=day, duration_seconds=seconds, billable_rate=rate, **kw)
            s.add(row)
            return row.id

        e1 = entry(mia, web, date(2026, 3, 2), 5418, D(150), task_id=dev.id,
                   notes="Auth, \"quoted\"\nsecond line", invoice_id=invoice.id,
                   approval_status=ApprovalStatus.APPROVED, source=Source.AGENT,
                   meta={"model": "claude", "tokens": 1200})
        e2 = entry(mia, app, date(2026, 3, 3), 1000, D(100), source=Source.CLI)
        e3 = entry(bob, web, date(2026, 3, 4), 3600, D(150), is_billable=False,
                   notes="=SUM(A1:A2)")
        e4 = entry(workspace_admin(s, workspace), web, date(2026, 3, 5), 1800, D("0.01"),
                   approval_status=ApprovalStatus.SUBMITTED)
        x1 = Expense(id=_id("expense"), user_id=mia.id, project_id=web.id,
                     category_id=meals.id, spent_date=date(2026, 3, 2), total_cost=D("12.50"),
                     notes="Lunch", receipt_path="r/1.pdf")
        x2 = Expense(id=_id("expense"), user_id=bob.id, project_id=app.id,
                     category_id=meals.id, spent_date=date(2026, 3, 6), total_cost=D(30),
                     is_billable=False)
        s.add_all([x1, x2])
    return SimpleNamespace(ws=workspace, mia=mia.id, bob=bob.id, max=max_.id, rae=rae.id,
                           admin=workspace.admin_id, e=[e1, e2, e3, e4], x=[x1.id, x2.id],
                           web=web.id, invoice=invoice.id)


def workspace_admin(session, workspace) -> User:
    return session.get(User, workspace.admin_id)


def run(env, kind: str, who: str | None = None, **chosen: Any):
    """The export's columns (keys), count and rows, read inside one unit of work."""
    with env.ws.session(readonly=True) as s:
        found = export_data(s, actor=env.ws.actor(s, who), kind=kind,
                            chosen=ExportFilter(**chosen), today=date(2026, 3, 20))
        rows = list(found.rows)
    assert found.count == len(rows)
    return [c.key for c in found.columns], rows, found.columns


# --- the export queries --------------------------------------------------------------------


def test_time_columns_and_values_for_an_administrator(env):
    keys, rows, columns = run(env, "time")
    assert [c.title for c in columns] == [
        "Date", "Client", "Project", "Task", "Team Member", "Notes", "Hours", "Billable",
        "Billed", "Hourly Rate", "Billable Amount", "Currency", "Approval Status", "Source",
        "Metadata", "ID"]
    assert [r["id"] for r in rows] == env.e  # oldest first
    first = rows[0]
    assert first == {
        "date": date(2026, 3, 2), "client": "Acme Corp", "project": "Website",
        "task": "Development", "person": "Mia", "notes": "Auth, \"quoted\"\nsecond line",
        "hours": D("1.505"), "billable": True, "billed": True, "hourly_rate": D("150.00"),
        "billable_amount": D("225.75"), "currency": "GBP", "approval": "approved",
        "source": "agent", "metadata": '{"model":"claude","tokens":1200}', "id": env.e[0]}
    amounts = [r["billable_amount"] for r in rows]
    # 1000 s at 100 = 27.777.. -> 27.78; non-billable 0; 1800 s at 0.01 = 0.005 -> 0.01 (half-up)
    assert amounts == [D("225.75"), D("27.78"), D("0.00"), D("0.01")]
    assert [r["currency"] for r in rows] == ["GBP", "USD", "GBP", "GBP"]
    assert rows[1]["task"] is None and rows[1]["metadata"] is None


@pytest.mark.parametrize(("seconds", "rate", "currency"), [
    (5418, "150", "GBP"), (1000, "100", "USD"), (1800, "0.01", "GBP"), (1, "0.003", "GBP"),
    (12345, "99.999999", "JPY"), (3601, "0.5", "KWD"), (0, "150", "GBP"), (7, "1e6", "EUR")])
def test_an_entry_amount_is_hours_times_rate_rounded_half_up_once(seconds, rate, currency):
    micros = int(D(rate) * 1_000_000)
    assert entry_amount(seconds, micros, currency) == round_money(
        billable_amount(seconds, D(rate)), currency)


def test_who_sees_which_entries_and_rates(env):
    keys, rows, _ = run(env, "time", env.mia)
    assert [r["id"] for r in rows] == env.e[:2]  # a member: their own
    assert "hourly_rate" not in keys and "billable_amount" not in keys
    assert all("billable_amount" not in r for r in rows)
    keys, rows, _ = run(env, "time", env.max)  # teammate Mia, no rate permission
    assert [r["id"] for r in rows] == env.e[:2]
    assert "hourly_rate" not in keys
    keys, rows, _ = run(env, "time", env.rae)  # manages Website, may view rates
    assert [r["id"] for r in rows] == [env.e[0], env.e[2], env.e[3]]
    assert "billable_amount" in keys
    _, rows, _ = run(env, "time", env.bob)
    assert [r["id"] for r in rows] == [env.e[2]]


def test_time_filters(env):
    ids = lambda **kw: [r["id"] for r in run(env, "time", **kw)[1]]  # noqa: E731
    assert ids(date_from=date(2026, 3, 3), date_to=date(2026, 3, 4)) == env.e[1:3]
    assert ids(clients=("globex",)) == [env.e[1]]
    assert ids(projects=("ACME-WEB",)) == [env.e[0], env.e[2], env.e[3]]
    assert ids(people=("bob@acme.test", "Mia")) == env.e[:3]
    assert ids(billable=False) == [env.e[2]]
    assert ids(approval=("approved", "submitted")) == [env.e[0], env.e[3]]
    with pytest.raises(KeitoError) as refused:
        run(env, "time", states=("paid",))
    assert refused.value.code == "validation_error"
    with pytest.raises(KeitoError) as unknown:
        run(env, "time", projects=("nope",))
    assert unknown.value.code == "not_found"


def test_expenses(env):
    keys, rows, _ = run(env, "expenses")
    assert keys == ["date", "client", "project", "category", "person", "notes", "units",
                    "unit_price", "amount", "billable", "billed", "receipt", "currency",
                    "approval", "source", "metadata", "id"]
    assert [(r["amount"], r["currency"], r["billable"], r["receipt"]) for r in rows] == [
        (D("12.50"), "GBP", True, True), (D(30), "USD", False, False)]
    assert [r["id"] for r in run(env, "expenses", env.mia)[1]] == [env.x[0]]
    assert [r["id"] for r in run(env, "expenses", categories=("meals",),
                                 billable=False)[1]] == [env.x[1]]


def test_projects_budget_spent_and_remaining(env):
    keys, rows, _ = run(env, "projects")
    by_name = {r["name"]: r for r in rows}
    web = by_name["Website"]
    # as the budget report (an invoice's lines): 5,418 s = 1.51 h x 150 = 226.50, 1,800 s =
    # 0.50 h x 0.01 = 0.005 -> 0.01, Bob's non-billable hour nothing, billable expense 12.50
    assert (web["budget"], web["spent"], web["remaining"], web["percent_used"]) == (
        D(1000), D("239.01"), D("760.99"), D("23.90"))
    assert web["project_type"] == "Time & Materials" and web["status"] == "Active"
    app = by_name["App"]
    assert (app["budget_hours"], app["spent_hours"], app["remaining_hours"]) == (
        D(10), D("0.277778"), D("9.722222"))
    assert by_name["Internal"]["status"] == "Archived"
    assert [r["name"] for r in run(env, "projects", budgeted=True)[1]] == ["Website", "App"]
    assert [r["name"] for r in run(env, "projects", status="archived")[1]] == ["Internal"]
    # Mia sees the projects she is on (the budget shows: visible to the team by default)
    assert [r["name"] for r in run(env, "projects", env.mia)[1]] == ["Website", "App"]
    with env.ws.session(readonly=True) as s, pytest.raises(KeitoError) as undated:
        export_data(s, actor=env.ws.actor(s), kind="projects")
    assert (undated.value.code, undated.value.field) == ("validation_error", "today")


@pytest.fixture
def budgets(workspace):
    """Acme (GBP): Fees (fee budget 500, time at two rates), Tasks (Design 5 h; Build 2 h
    and 300 in fees; Admin unbudgeted), People (Ada 1 h, Bo unbudgeted) and Monthly
    (10 h a month). March 2026; "today" is 20 March."""
    with workspace.session() as s:
        acme = Client(id=_id("client"), name="Acme", currency="GBP")
        s.add(acme)
        s.flush()

        def project(name, budget_by, **kw):
            made = Project(id=_id("project"), client_id=acme.id, name=name,
                           handle=name.lower(), budget_by=budget_by, **kw)
            s.add(made)
            return made

        fees = project("Fees", BudgetBy.TOTAL_FEES, budget_amount=D(500))
        by_task = project("Tasks", BudgetBy.TASK)
        by_person = project("People", BudgetBy.PERSON)
        monthly = project("Monthly", BudgetBy.TOTAL_HOURS, budget_hours=D(10),
                          budget_monthly_reset=True)
        design, build, admin_task = (Task(id=_id("task"), name=n, handle=n.lower())
                                     for n in ("Design", "Build", "Admin"))
        bo = User(id=_id("user"), name="Bo", email="bo@acme.test")
        s.add_all([design, build, admin_task, bo])
        s.flush()
        for task, hours, amount in ((design, D(5), None), (build, D(2), D(300)),
                                    (admin_task, None, None)):
            s.add(ProjectTask(id=_id("project_task"), project_id=by_task.id, task_id=task.id,
                              budget_hours=hours, budget_amount=amount))
        for user_id, hours in ((workspace.admin_id, D(1)), (bo.id, None)):
            s.add(ProjectMember(id=_id("project_member"), project_id=by_person.id,
                                user_id=user_id, budget_hours=hours))
        s.flush()

        def entry(project, seconds, rate=D(100), day=date(2026, 3, 2), **kw):
            s.add(TimeEntry(id=_id("time_entry"), user_id=kw.pop("user", workspace.admin_id),
                            project_id=project.id, spent_date=day, duration_seconds=seconds,
                            billable_rate=rate, **kw))

        entry(fees, 1000)
        entry(fees, 1000)
        entry(fees, 1000, D(90))
        entry(by_task, 3600, task_id=design.id)
        entry(by_task, 5400, task_id=build.id)
        entry(by_task, 7200, task_id=admin_task.id)
        entry(by_person, 2700)
        entry(by_person, 3600, user=bo.id)
        entry(monthly, 3600, day=date(2026, 2, 28))
        entry(monthly, 1800, day=date(2026, 3, 10))
        entry(monthly, 900, day=date(2026, 4, 1))
    return SimpleNamespace(ws=workspace)


def test_projects_spent_is_the_budget_reports(budgets):
    """Spent and remaining by hand, and each project's spent equal to the sum of its lines
    in the budget report (per kind), to the penny."""
    _, rows, _ = run(budgets, "projects")
    by_name = {r["name"]: r for r in rows}
    shown = {name: tuple(row.get(k) for k in ("budget_hours", "spent_hours", "remaining_hours",
                                              "budget", "spent", "remaining", "percent_used"))
             for name, row in by_name.items()}
    assert shown == {
        # rate 100: 2,000 s = 0.56 h -> 56.00; rate 90: 1,000 s = 0.28 h -> 25.20 (rounding
        # the whole once would say 80.56)
        "Fees": (None, None, None, D(500), D("81.20"), D("418.80"), D("16.24")),
        # Design 1 h + Build 1.5 h of 5 + 2 h (Admin's 2 h is in no budget); Build's fees
        # 1.50 h x 100; % used of the hours: 2.5 / 7
        "Tasks": (D(7), D("2.50"), D("4.50"), D(300), D("150.00"), D("150.00"), D("35.71")),
        # Ada's 0.75 h of her 1 h (Bo's hour is in no budget)
        "People": (D(1), D("0.75"), D("0.25"), None, None, None, D("75.00")),
        # March only: not 28 February, not 1 April
        "Monthly": (D(10), D("0.50"), D("9.50"), None, None, None, D("5.00")),
    }
    with budgets.ws.session(readonly=True) as s:
        lines = budget_report(s, actor=budgets.ws.actor(s),
                              now=datetime(2026, 3, 20, 12, tzinfo=UTC))
    reported: dict[tuple[str, str], D] = {}
    for line in lines:
        key = (line.project, line.kind)
        reported[key] = reported.get(key, D(0)) + line.spent
    assert len(lines) == 6 and len(reported) == 5
    for (name, kind), spent in reported.items():
        assert by_name[name]["spent_hours" if kind == "hours" else "spent"] == spent


def test_invoices_clients_and_team(env):
    _, rows, _ = run(env, "invoices")
    assert rows == [{"number": "INV-0001", "client": "Acme Corp",
                     "issue_date": date(2026, 3, 10), "due_date": date(2026, 4, 9),
                     "state": "Open", "total": D("225.75"), "balance": D("125.65"),
                     "currency": "GBP", "subject": None, "id": env.invoice}]
    assert run(env, "invoices", states=("paid",))[1] == []
    with pytest.raises(KeitoError) as refused:
        run(env, "invoices", env.mia)
    assert refused.value.code == "authorization_error"
    _, rows, _ = run(env, "clients")
    assert [(r["name"], r["address"], r["status"]) for r in rows] == [
        ("Acme Corp", "1 High St, London, N1 1AA, United Kingdom", "Active"),
        ("Globex", None, "Archived")]
    assert [r["name"] for r in run(env, "clients", status="active")[1]] == ["Acme Corp"]
    keys, rows, _ = run(env, "team")
    assert "hourly_rate" in keys and "cost_rate" in keys
    bob = next(r for r in rows if r["name"] == "Bob")
    assert (bob["capacity"], bob["employment"], bob["role"]) == (D("20.00"), "Contractor",
                                                                 "Member")
    keys, rows, _ = run(env, "team", env.max)  # himself and his teammate, no rates
    assert [r["name"] for r in rows] == ["Max", "Mia"] and "hourly_rate" not in keys
    keys, _, _ = run(env, "team", env.rae)
    assert "hourly_rate" in keys and "cost_rate" not in keys


# --- the writers ---------------------------------------------------------------------------

COLUMNS = [Column("date", "Date", "date"), Column("notes", "Notes"),
           Column("hours", "Hours", "hours", total=True),
           Column("amount", "Amount", "money", total=True), Column("billable", "Billable", "bool"),
           Column("meta", "Metadata", "json"), Column("currency", "Currency")]
ROWS = [
    {"date": date(2026, 3, 2), "notes": "a, \"b\"\nc", "hours": D("1.50"),
     "amount": D("1234567.89"), "billable": True, "meta": {"model": "x"}, "currency": "GBP"},
    {"date": date(2026, 3, 3), "notes": "=HYPERLINK(\"x\")", "hours": D("0.25"),
     "amount": D("0.135"), "billable": False, "meta": None, "currency": "GBP"},
    {"date": date(2026, 3, 4), "notes": None, "hours": D(2), "amount": D(1000),
     "billable": True, "meta": {}, "currency": "JPY", "_keys": {"ignored": 1}},
]


def test_csv_text_is_exact_and_plain():
    buffer = io.StringIO(newline="")
    assert write_csv(buffer, COLUMNS, iter(ROWS)) == 3
    read = list(csv.reader(io.StringIO(buffer.getvalue(), newline="")))
    assert read == [
        ["Date", "Notes", "Hours", "Amount", "Billable", "Metadata", "Currency"],
        ["2026-03-02", "a, \"b\"\nc", "1.50", "1234567.89", "Yes", '{"model":"x"}', "GBP"],
        ["2026-03-03", "=HYPERLINK(\"x\")", "0.25", "0.135", "No", "", "GBP"],
        ["2026-03-04", "", "2", "1000.00", "Yes", "", "JPY"]]


@pytest.mark.parametrize(("value", "text"), [(D("150"), "150.00"), (D("0.135"), "0.135"),
                                              (D(0) / 1_000_000, "0.00"), (D("1E+3"), "1000.00"),
                                              (D("-0"), "0.00"), (D("12.5"), "12.50")])
def test_money_text(value, text):
    assert decimal_text(value, min_places=2) == text


def test_xlsx_types_header_and_totals_per_currency():
    buffer = io.BytesIO()
    assert write_xlsx(buffer, COLUMNS, iter(ROWS)) == 3
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1]) and sheet["A1"].fill.fill_type == "solid"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert isinstance(rows[0][0], datetime) and rows[0][0].date() == date(2026, 3, 2)
    assert sheet["A2"].is_date and sheet["A2"].number_format == "yyyy-mm-dd"
    assert D(str(rows[0][3])) == D("1234567.89") and sheet["D2"].number_format == "#,##0.00"
    assert sheet["D4"].number_format == "#,##0"  # JPY has no minor unit
    assert sheet["C2"].number_format == "0.00" and rows[0][2] == 1.5
    assert rows[1][1] == "=HYPERLINK(\"x\")" and sheet["B3"].data_type == "s"  # not a formula
    assert rows[0][4] == "Yes" and rows[0][5] == '{"model":"x"}'
    totals = rows[3:]
    assert [(t[0], D(str(t[2])), D(str(t[3])), t[6]) for t in totals] == [
        ("Total", D("1.75"), D("1234568.025"), "GBP"), ("Total", D(2), D(1000), "JPY")]
    assert all(sheet.cell(row=r, column=4).font.b for r in (5, 6))
    assert sheet.column_dimensions["B"].width >= len("=HYPERLINK(\"x\")")


def test_xlsx_writes_the_exact_digits_of_large_amounts():
    buffer = io.BytesIO()
    amount = D("98765432109876.54")  # 16 significant digits: beyond a float's exactness
    write_xlsx(buffer, [Column("amount", "Amount", "money")], [{"amount": amount}],
               totals=False)
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml")
    assert b"<v>98765432109876.54</v>" in xml


def test_xlsx_given_totals_and_a_long_title():
    buffer = io.BytesIO()
    write_xlsx(buffer, COLUMNS[2:4], ROWS[:1], totals=[{"hours": D(9), "amount": D(99)}],
               title="Time: by project / person, 2026")
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert list(sheet.iter_rows(min_row=3, values_only=True)) == [(9, 99)]
    assert ":" not in sheet.title and "/" not in sheet.title


def _counting(n: int, log: list[int] | None = None):
    for i in range(n):
        if log is not None:
            log.append(i)
        yield {"date": date(2026, 1, 1), "notes": f"row {i}", "hours": D("1.25"),
               "amount": D("10.00"), "billable": True, "meta": None, "currency": "GBP"}


def test_csv_writes_each_row_as_it_is_pulled():
    pulled: list[int] = []
    seen: list[int] = []

    class Sink(io.StringIO):
        def write(self, text: str) -> int:
            seen.append(len(pulled))
            return super().write(text)

    write_csv(Sink(), COLUMNS, _counting(5000, pulled))
    # the header, then row k written when k rows have been pulled: never read ahead
    assert seen[1:] == list(range(1, 5001))


def _peak(write, n: int) -> int:
    tracemalloc.start()
    write(n)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_memory_stays_flat_from_5k_to_50k_rows():
    class Null(io.StringIO):
        def write(self, text: str) -> int:
            return len(text)

    csv_peak = [_peak(lambda n: write_csv(Null(), COLUMNS, _counting(n)), n)
                for n in (5_000, 50_000)]
    assert csv_peak[1] < csv_peak[0] + 256 * 1024
    xlsx_peak = [_peak(lambda n: write_xlsx(io.BytesIO(), COLUMNS[:4], _counting(n)), n)
                 for n in (2_000, 20_000)]
    # the compressed output grows with the rows (into a BytesIO here); not the working set
    assert xlsx_peak[1] < xlsx_peak[0] + 2 * 1024 * 1024


def test_an_export_streams_rows_from_the_database(env, monkeypatch):
    """The rows come from the cursor in batches: with a batch of 1, the generator has read
    nothing before the first row is asked for."""
    import keito_core.reports.exports as exports

    monkeypatch.setattr(exports, "BATCH", 1)
    with env.ws.session(readonly=True) as s:
        found = export_data(s, actor=env.ws.actor(s), kind="time")
        assert found.count == 4
        first = next(found.rows)
        assert first["id"] == env.e[0]
        assert [r["id"] for r in found.rows] == env.e[1:]
