"""The Reports view driven with the keyboard through Textual's pilot on a small workspace whose
figures are counted by hand here: totals and rows, kinds, groupings, presets, drilling into a
row and back, saving and opening a report, exporting CSV, what a member sees, the chart's
bars, and the layout at 80x24 and 160x50."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from settling import settle, until
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input
from textual.widgets._footer import FooterKey

from keito_core.enums import Role, Source, UserType
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Project,
    ProjectMember,
    Task,
    TimeEntry,
    User,
)
from keito_core.models import Workspace as WorkspaceRow
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.reports.analysis.result import Chart, ChartBar
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.reports import VIEW_ACTIONS, ReportsScreen, ReportTable
from keito_tui.app.screens.reports_dialogs import (
    ExportDialog,
    FilterDialog,
    SavedDialog,
    SaveDialog,
)
from keito_tui.app.screens.reports_text import KIND_LABELS
from keito_tui.app.widgets.bar_chart import BarChart, draw

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)  # Wednesday 18 March 2026
SIZE = (120, 40)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Work:
    """One time entry as the fixture makes it (the test's own record for hand counts)."""

    person: str
    project: str
    task: str
    day: date
    hours: Decimal
    billable: bool
    rate: Decimal
    source: str


WORK = [
    Work("admin", "Website", "Design", date(2026, 3, 2), Decimal("2"), True, Decimal(100), "tui"),
    Work("admin", "Website", "Review", date(2026, 3, 3), Decimal("1.5"), False, Decimal(100),
         "tui"),
    Work("member", "Website", "Design", date(2026, 3, 2), Decimal("3"), True, Decimal(100),
         "tui"),
    Work("agent", "Audit", "Review", date(2026, 3, 4), Decimal("4"), True, Decimal(50),
         "agent"),
    Work("member", "Audit", "Design", date(2026, 3, 4), Decimal("0.75"), True, Decimal(50),
         "cli"),
    Work("member", "Audit", "Design", date(2026, 2, 20), Decimal("5"), True, Decimal(50),
         "tui"),
]
#: (person, project, day, amount, billable)
SPENT = [("admin", "Website", date(2026, 3, 5), Decimal("120.00"), True),
         ("member", "Audit", date(2026, 3, 6), Decimal("30.50"), False)]
CURRENCY = {"Website": "GBP", "Audit": "EUR"}
CLIENT = {"Website": "Globex", "Audit": "Initech"}
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


def in_march(day: date) -> bool:
    return MARCH[0] <= day <= MARCH[1]


@pytest.fixture
def firm(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Globex (GBP) with Website, Initech (EUR) with Audit; Ada (admin), Milton (member) and
    an agent; the entries of WORK and the expenses of SPENT."""
    ids = {"admin": workspace.admin_id}
    with workspace.session() as s:
        clients = {name: Client(id=new_id("client"), name=name, currency=cur)
                   for name, cur in (("Globex", "GBP"), ("Initech", "EUR"))}
        s.add_all(clients.values())
        s.flush()
        projects = {name: Project(id=new_id("project"), client_id=clients[CLIENT[name]].id,
                                  name=name, handle=name.lower()) for name in CLIENT}
        tasks = {name: Task(id=new_id("task"), name=name, handle=name.lower())
                 for name in ("Design", "Review")}
        member = User(id=new_id("user"), name="Milton Member", email="milton@acme.test",
                      role=Role.MEMBER)
        agent = User(id=new_id("user"), name="Claude Reviewer",
                     email="claude@agents.keito.local", role=Role.MEMBER,
                     user_type=UserType.AGENT)
        s.add_all([*projects.values(), *tasks.values(), member, agent])
        s.flush()
        ids.update(member=member.id, agent=agent.id)
        for project in projects.values():
            for person in (member, agent):
                s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                    user_id=person.id))
        for work in WORK:
            s.add(TimeEntry(id=new_id("time_entry"), user_id=ids[work.person],
                            project_id=projects[work.project].id,
                            task_id=tasks[work.task].id, spent_date=work.day,
                            duration_seconds=int(work.hours * 3600),
                            is_billable=work.billable, billable_rate=work.rate,
                            source=Source(work.source)))
        category = ExpenseCategory(id=new_id("expense_category"), name="Rail fares",
                                   handle="rail")
        s.add(category)
        s.flush()
        for person, project, day, amount, billable in SPENT:
            s.add(Expense(id=new_id("expense"), user_id=ids[person],
                          project_id=projects[project].id, category_id=category.id,
                          spent_date=day, total_cost=amount, is_billable=billable,
                          source=Source.TUI))
    return SimpleNamespace(ws=workspace, ids=ids)


@pytest.fixture
def runtime(keito_home: Path, firm) -> Iterator[Runtime]:  # noqa: ANN001
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


async def open_reports(pilot: Pilot) -> ReportsScreen:
    app = pilot.app
    await until(pilot, lambda: app.summary is not None
                and getattr(app.screen, "report", None) is not None, "the day view is read")
    await pilot.press("r")
    await until(pilot, lambda: isinstance(app.screen, ReportsScreen)
                and app.screen.result is not None, "the report is read")
    screen = app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


async def shown(pilot: Pilot, screen: ReportsScreen, check, what: str) -> None:  # noqa: ANN001
    """Wait until the result on screen passes `check`."""
    await until(pilot, lambda: screen.result is not None and check(screen.result), what)


def table_rows(screen: ReportsScreen) -> list[dict[str, str]]:
    """The table's rows (totals first) as {column key: the text shown}."""
    table = screen.query_one(ReportTable)
    keys = [str(column.key.value) for column in table.ordered_columns]
    return [dict(zip(keys, (str(c) for c in table.get_row_at(i)), strict=True))
            for i in range(table.row_count)]


def money(amount: Decimal, currency: str) -> str:
    return f"{'£' if currency == 'GBP' else '€'}{amount:,.2f}"


# --- totals and rows agree with a hand count ------------------------------------------------------


async def test_time_by_project_agrees_with_a_hand_count(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        rows = table_rows(screen)
        march = [w for w in WORK if in_march(w.day)]
        # One totals row per currency (EUR before GBP), then Globex/Website and Initech/Audit
        # in client order.
        totals, body = rows[:2], rows[2:]
        assert [r["client"] for r in totals] == ["Total EUR", "Total GBP"]
        assert [(r["client"], r["project"]) for r in body] == [("Globex", "Website"),
                                                                ("Initech", "Audit")]
        for row in [*body, *totals]:
            project = row["project"] or ("Audit" if row["client"] == "Total EUR" else "Website")
            mine = [w for w in march if w.project == project]
            hours = sum((w.hours for w in mine), Decimal(0))
            billable = sum((w.hours for w in mine if w.billable), Decimal(0))
            amount = sum((w.hours * w.rate for w in mine if w.billable), Decimal(0))
            assert row["total_hours"] == f"{hours:,.2f}"
            assert row["billable_hours"] == f"{billable:,.2f}"
            assert row["non_billable_hours"] == f"{hours - billable:,.2f}"
            assert row["billable_amount"] == money(amount, CURRENCY[project])
        assert "currency" not in rows[0]  # money carries its currency
        assert "01 Mar – 31 Mar 2026" in str(screen.query_one("#report-status").render())


async def test_kinds_groupings_and_presets(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("g")  # by project -> by client
        await shown(pilot, screen, lambda r: r.group_by == "client", "grouped by client")
        assert [r["client"] for r in table_rows(screen)[2:]] == ["Globex", "Initech"]
        await pilot.press("t")  # then by project
        await shown(pilot, screen, lambda r: r.then_by == "project", "then by project")
        await pilot.press("g", "g")  # client -> task -> person (then by project kept)
        await shown(pilot, screen, lambda r: r.group_by == "person", "grouped by person")
        body = table_rows(screen)[2:]
        names = {"admin": "Ada Admin", "member": "Milton Member", "agent": "Claude Reviewer"}
        for key, name in names.items():
            for project in CLIENT:
                hours = sum((w.hours for w in WORK if in_march(w.day) and w.person == key
                             and w.project == project), Decimal(0))
                found = [r for r in body if r["person"] == name and r["project"] == project]
                assert [r["total_hours"] for r in found] == ([f"{hours:,.2f}"] if hours else [])
        # The preset: this month -> last month: only Milton's February entry.
        await pilot.press("p")
        await shown(pilot, screen, lambda r: r.date_from == date(2026, 2, 1), "February")
        body = table_rows(screen)[2:] if len(table_rows(screen)) > 2 else table_rows(screen)[1:]
        assert [(r["person"], r["total_hours"]) for r in body] == [("Milton Member", "5.00")]
        # Another kind: expenses by project, in March.
        await pilot.press("p", "p", "p", "p", "p", "p", "p")  # round to this month
        await shown(pilot, screen, lambda r: r.date_from == MARCH[0], "March again")
        await pilot.press("k")
        await shown(pilot, screen, lambda r: r.kind == "expenses", "the expense report")
        assert screen.query_one("#report-kind").value == "expenses"
        body = {r["project"]: r for r in table_rows(screen) if r["project"]}
        for _person, project, _day, amount, billable in SPENT:
            assert body[project]["total_amount"] == money(amount, CURRENCY[project])
            assert body[project]["billable_amount"] == money(
                amount if billable else Decimal(0), CURRENCY[project])
        assert screen.query_one(BarChart).chart is None  # expenses have no hours to chart
        for _ in range(len(KIND_LABELS) - 1):  # every other kind reads without an error
            await pilot.press("k")
            await settle(pilot)
        await shown(pilot, screen, lambda r: r.kind == "time", "back to time")
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_drill_into_a_row_and_back(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        table = screen.query_one(ReportTable)
        assert table.cursor_row == 2  # on the first row, below the totals
        await pilot.press("down")  # Initech › Audit
        await pilot.press("enter")
        await shown(pilot, screen, lambda r: r.detailed, "Audit's entries")
        audit = sorted((w for w in WORK if w.project == "Audit" and in_march(w.day)),
                       key=lambda w: w.day)
        body = table_rows(screen)[1:]
        assert [(r["date"], r["hours"]) for r in body] == [
            (w.day.isoformat(), f"{w.hours:,.2f}") for w in audit]
        status = str(screen.query_one("#report-status").render())
        assert "Initech › Audit" in status and "esc" in status
        keys = {key.key_display for key in screen.query(FooterKey)}
        assert "esc" in keys
        await pilot.press("enter")  # an entry opens nothing further
        await pilot.press("escape")
        await shown(pilot, screen, lambda r: not r.detailed, "the summary again")
        assert table.cursor_row == 3  # back on Audit's row
        assert not screen.trail


async def test_save_then_open_a_saved_report(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("g")
        await shown(pilot, screen, lambda r: r.group_by == "client", "by client")
        await pilot.press("S")
        await until(pilot, lambda: isinstance(app.screen, SaveDialog), "the save dialog")
        app.screen.query_one("#save-name", Input).value = "Clients this month"
        app.screen.query_one("#save-shared", Checkbox).value = True
        await pilot.press("enter")
        await until(pilot, lambda: any("Saved 'Clients this month'" in n.message
                                       for n in app._notifications), "saved")
        await pilot.press("g", "p")  # by task, last month
        await shown(pilot, screen, lambda r: r.group_by == "task"
                    and r.date_from == date(2026, 2, 1), "changed")
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, SavedDialog), "the saved list")
        listed = app.screen.views
        assert [(v.name, v.is_shared, v.is_mine) for v in listed] == [
            ("Clients this month", True, True)]
        await pilot.press("enter")
        await shown(pilot, screen, lambda r: r.group_by == "client"
                    and r.date_from == MARCH[0], "the saved report")
        assert screen.base.period == "this_month"
        assert [r["client"] for r in table_rows(screen)[2:]] == ["Globex", "Initech"]


async def test_export_csv_writes_the_report(runtime: Runtime, tmp_path: Path) -> None:
    target = tmp_path / "march.csv"
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        app.screen.query_one("#export-path", Input).value = str(target)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any("Wrote 2 rows" in n.message
                                       for n in app._notifications), "exported")
        assert str(target) in next(n.message for n in app._notifications
                                   if "Wrote" in n.message)
    with target.open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    march = [w for w in WORK if in_march(w.day)]
    expected = [(CLIENT[p], p, sum((w.hours for w in march if w.project == p), Decimal(0)),
                 sum((w.hours * w.rate for w in march if w.project == p and w.billable),
                     Decimal(0))) for p in ("Website", "Audit")]
    assert [(r["Client"], r["Project"], Decimal(r["Hours"]), Decimal(r["Billable amount"]))
            for r in rows] == expected
    assert "Cur" in rows[0] and [r["Cur"] for r in rows] == ["GBP", "EUR"]


async def test_export_to_a_folder_that_does_not_exist_says_so(
        runtime: Runtime, tmp_path: Path) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("x")
        await until(pilot, lambda: isinstance(app.screen, ExportDialog), "the export dialog")
        app.screen.query_one("#export-path", Input).value = str(tmp_path / "no" / "r.csv")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: any(n.severity == "error" for n in app._notifications),
                    "the error")
        error = next(n for n in app._notifications if n.severity == "error")
        assert error.title == "Not exported" and "Cannot write" in error.message


async def test_filters_narrow_the_report(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FilterDialog), "the filter dialog")
        app.screen.query_one("#filter-sources").value = "agent"
        await pilot.press("ctrl+s")
        await shown(pilot, screen, lambda r: screen.base.sources == ("agent",), "agents only")
        body = table_rows(screen)
        agent_hours = sum((w.hours for w in WORK if w.source == "agent"), Decimal(0))
        assert [(r["project"], r["total_hours"]) for r in body[1:]] == [
            ("Audit", f"{agent_hours:,.2f}")]
        assert "source agent" in str(screen.query_one("#report-status").render())


async def test_a_member_sees_only_their_own_rows(runtime: Runtime, firm) -> None:  # noqa: ANN001
    with firm.ws.session() as s:
        ws = s.get(WorkspaceRow, firm.ws.workspace_id)
        ws.default_user_id = firm.ids["member"]
        s.add(ws)
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("g", "g", "g")  # by person
        await shown(pilot, screen, lambda r: r.group_by == "person", "by person")
        body = [r for r in table_rows(screen) if not r["person"].startswith("Total")]
        assert {r["person"] for r in body} == {"Milton Member"}
        mine = sum((w.hours for w in WORK if w.person == "member" and in_march(w.day)),
                   Decimal(0))
        assert sum(Decimal(r["total_hours"]) for r in body) == mine


async def test_an_older_read_arriving_late_is_not_shown(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        before = screen.result
        await pilot.press("g")
        await shown(pilot, screen, lambda r: r.group_by == "client", "by client")
        assert before is not None
        screen.post_message(ReportsScreen.Loaded(screen.base, before, screen.reads_started - 1))
        await settle(pilot)
        assert screen.result is not None and screen.result.group_by == "client"


async def test_a_new_grouping_keeps_the_chart_and_a_new_period_reads_it(
        runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        chart = screen.query_one(BarChart)
        assert chart.chart is not None and chart.chart.bucket == "day"
        march = [w for w in WORK if in_march(w.day)]
        by_day = {bar.start: bar.values for bar in chart.chart.bars}
        assert len(by_day) == 31
        for day in {w.day for w in march}:
            assert by_day[day]["billable"] == sum((w.hours for w in march
                                                   if w.day == day and w.billable), Decimal(0))
        reads = screen.chart_reads
        await pilot.press("g")
        await shown(pilot, screen, lambda r: r.group_by == "client", "by client")
        assert screen.chart_reads == reads and chart.chart is not None
        await pilot.press("c")  # people and agents
        await until(pilot, lambda: chart.chart is not None and chart.chart.stack == "source",
                    "the chart stacked by source")
        agents = sum((w.hours for w in march if w.person == "agent"), Decimal(0))
        assert sum(bar.values["agent"] for bar in chart.chart.bars) == agents
        await pilot.press("p")
        await until(pilot, lambda: chart.chart is not None
                    and chart.chart.bars[0].start == date(2026, 2, 1), "February's chart")


# --- the chart ------------------------------------------------------------------------------------


def test_the_chart_draws_stacked_bars_of_a_known_height() -> None:
    chart = Chart(bucket="day", stack="billable", series=("billable", "non_billable"), bars=[
        ChartBar("Mon 02", date(2026, 3, 2), {"billable": Decimal(4), "non_billable": Decimal(2)}),
        ChartBar("Tue 03", date(2026, 3, 3), {"billable": Decimal(1), "non_billable": Decimal(0)}),
        ChartBar("Wed 04", date(2026, 3, 4), {"billable": Decimal(0),
                                             "non_billable": Decimal("0.25")}),
    ])
    lines = [line.plain for line in draw(chart, 44, 7)]
    assert lines == [
        "6h ┤▒▒▒▒▒▒",
        "   │██████",
        "   │██████",
        "   │██████ ██████ ▁▁▁▁▁▁",
        "0h └────────────────────",
        "    02     03     04",
        "█ billable 5h  ▒ non-billable 2.3h  by day",
    ]


def test_the_chart_keeps_to_the_width_with_many_bars() -> None:
    bars = [ChartBar("", date(2026, 1, 1).replace(day=1 + i % 28),
                     {"human": Decimal(i % 5), "agent": Decimal(1)}) for i in range(100)]
    chart = Chart(bucket="day", stack="source", series=("human", "agent"), bars=bars)
    lines = draw(chart, 76, 8)
    assert all(line.cell_len <= 76 for line in lines)
    assert "earlier not shown" in lines[-1].plain
    assert lines[-1].plain.startswith("█ people 200h  ▒ agents 100h")


# --- layout ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_layout_the_footer_and_the_table_fit(runtime: Runtime,
                                                   size: tuple[int, int]) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=size) as pilot:
        screen = await open_reports(pilot)
        await until(pilot, lambda: (keys := list(screen.query(FooterKey)))
                    and all(key.region.width > 0 for key in keys), "the footer is laid out")
        footer = screen.query_one("KeitoFooter")
        for key in screen.query(FooterKey):
            assert key.region.right <= size[0] and key.region.y == footer.region.y
        keys = {key.key_display for key in screen.query(FooterKey)}
        expected = {a.key_display or a.key for a in VIEW_ACTIONS
                    if a.show and a.id != "reports.back"}
        assert expected <= keys and {"?", "^q", "^r", "r"} <= keys
        table = screen.query_one(ReportTable)
        chart = screen.query_one(BarChart)
        assert table.region.height >= 8 and table.region.bottom <= footer.region.y
        assert chart.region.height >= 8 and chart.region.bottom <= table.region.y
        text = app.export_screenshot().replace("&#160;", " ")
        assert "Website" in text and "by day" in text


async def test_every_action_is_in_help_and_the_palette(runtime: Runtime) -> None:
    app = KeitoApp(runtime)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        described = {row[1] for row in app.help_rows()}
        assert {a.description for a in VIEW_ACTIONS} <= described
        commands = {c.title for c in app.get_system_commands(screen)}
        assert {a.description for a in VIEW_ACTIONS if a.in_palette} <= commands
