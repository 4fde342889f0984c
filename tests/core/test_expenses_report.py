"""The expenses report: one user's lines with names and lock state, SQL totals per currency,
the filters (period, project, category, source, billable) and the form's choices."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from keito_core.enums import ApprovalStatus, ProjectType, Role
from keito_core.errors import KeitoError
from keito_core.models import (
    LLM_USAGE,
    Client,
    Expense,
    ExpenseCategory,
    Project,
    ProjectMember,
    User,
    Workspace,
)
from keito_core.platform.ids import new_id
from keito_core.reports.expenses import (
    ExpenseFilter,
    expense_report,
    period_bounds,
    shift_period,
)
from keito_core.services.tracking.expenses import log_expense

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # a Friday


@pytest.fixture
def env(workspace):
    """Clients in GBP and USD with a project each, member Mia on both, and a Meals category."""
    with workspace.session() as s:
        acme = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        globex = Client(id=new_id("client"), name="Globex", currency="USD")
        s.add_all([acme, globex])
        s.flush()
        web = Project(id=new_id("project"), client_id=acme.id, name="Website", handle="web")
        app = Project(id=new_id("project"), client_id=globex.id, name="App", handle="app")
        free = Project(id=new_id("project"), client_id=acme.id, name="Internal",
                       handle="internal", project_type=ProjectType.NON_BILLABLE)
        mia = User(id=new_id("user"), name="Mia", email="mia@acme.test", role=Role.MEMBER)
        meals = ExpenseCategory(id=new_id("expense_category"), name="Meals", handle="meals")
        s.add_all([web, app, free, mia, meals])
        s.flush()
        for project in (web, app):
            s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                user_id=mia.id))
    return SimpleNamespace(ws=workspace, mia=mia.id, web=web.id, app=app.id, free=free.id,
                           meals=meals.id)


def log(env, who=None, **kw) -> str:
    kw.setdefault("project_ref", "web")
    kw.setdefault("category_ref", LLM_USAGE)
    kw.setdefault("source", "tui")
    kw.setdefault("spent_date", "2026-03-05")
    if "total" not in kw and "quantity" not in kw:
        kw["quantity"] = "45"
    with env.ws.session() as s:
        return log_expense(s, actor=env.ws.actor(s, who or env.mia), now=NOW, **kw).id


def report(env, who=None, **chosen):
    with env.ws.session(readonly=True) as s:
        return expense_report(s, actor=env.ws.actor(s, who or env.mia),
                              chosen=ExpenseFilter(**chosen), now=NOW)


def test_lines_carry_names_amounts_and_totals_per_currency(env):
    llm = log(env, notes="45k tokens")
    log(env, category_ref="meals", total="12.50", billable=False, spent_date="2026-03-02")
    log(env, project_ref="app", category_ref="meals", total="30", source="cli")
    log(env, who=env.ws.admin_id, project_ref="web", category_ref="meals", total="99")  # not Mia's
    result = report(env)
    assert result.enabled and result.date_from == date(2026, 3, 1)
    first = next(line for line in result.lines if line.id == llm)
    assert (first.client, first.project, first.category, first.unit_name) == (
        "Acme Corp", "Website", "LLM Usage", "1k tokens")
    assert (first.units, first.unit_price, first.total, first.currency) == (
        Decimal(45), Decimal("0.003"), Decimal("0.135"), "GBP")
    assert [line.spent_date for line in result.lines] == [
        date(2026, 3, 5), date(2026, 3, 5), date(2026, 3, 2)]
    gbp, usd = result.totals
    assert (gbp.currency, gbp.total, gbp.billable, gbp.count) == (
        "GBP", Decimal("12.635"), Decimal("0.135"), 2)
    assert (usd.currency, usd.total, usd.count) == ("USD", Decimal(30), 1)
    assert [p.label for p in result.projects] == ["Acme Corp › Website", "Globex › App"]
    assert {c.name for c in result.categories} >= {"LLM Usage", "Meals"}


def test_filters_apply_to_lines_and_totals(env):
    log(env, source="agent")
    log(env, category_ref="meals", total="10", source="cli", billable=False)
    log(env, project_ref="app", category_ref="meals", total="20", spent_date="2026-02-27")
    assert [line.source for line in report(env, source_filter="agent").lines] == ["agent"]
    assert [line.source for line in report(env, source_filter="human").lines] == []
    billable = report(env, billable=True)
    assert [line.category for line in billable.lines] == ["LLM Usage"]
    assert billable.totals[0].total == Decimal("0.135")
    assert len(report(env, category_id=env.meals).lines) == 1
    assert report(env, project_id=env.app).lines == ()  # February's is outside March
    february = report(env, project_id=env.app, anchor=date(2026, 2, 10))
    assert [t.total for t in february.totals] == [Decimal(20)]
    assert len(report(env, period="all").lines) == 3
    week = report(env, period="week")  # Monday 2 – Sunday 8 March
    assert (week.date_from, week.date_to) == (date(2026, 3, 2), date(2026, 3, 8))
    assert len(week.lines) == 2
    with pytest.raises(KeitoError):
        report(env, source_filter="robots")


def test_locked_lines_say_why(env):
    locked = log(env)
    with env.ws.session() as s:
        ws = s.exec(select(Workspace)).one()
        ws.feature_approvals = True
        s.get(Expense, locked).approval_status = ApprovalStatus.APPROVED
    line = report(env).lines[0]
    assert line.lock_reason == "approved"
    assert "approved and is locked" in (line.lock_message or "")


def test_the_feature_toggle_and_limit(env):
    for _ in range(3):
        log(env)
    with env.ws.session(readonly=True) as s:
        page = expense_report(s, actor=env.ws.actor(s, env.mia), chosen=ExpenseFilter(),
                              now=NOW, limit=2)
    assert len(page.lines) == 2 and page.has_more and page.totals[0].count == 3
    with env.ws.session() as s:
        s.exec(select(Workspace)).one().feature_expenses = False
    off = report(env)
    assert not off.enabled and off.lines == () and off.totals == ()


@pytest.mark.parametrize(("kind", "anchor", "steps", "moved", "bounds"), [
    ("week", date(2026, 3, 6), -1, date(2026, 2, 27), (date(2026, 3, 2), date(2026, 3, 8))),
    ("month", date(2026, 1, 31), -1, date(2025, 12, 1), (date(2026, 1, 1), date(2026, 1, 31))),
    ("month", date(2026, 12, 5), 1, date(2027, 1, 1), (date(2026, 12, 1), date(2026, 12, 31))),
    ("all", date(2026, 3, 6), 1, date(2026, 3, 6), (None, None)),
])
def test_periods(kind, anchor, steps, moved, bounds):
    assert shift_period(kind, anchor, steps) == moved
    assert period_bounds(kind, anchor, "monday") == bounds
