"""Reports on the demo workspace agree with a hand count of the same records, and each viewer
sees what the reference lets them see (members their own, managers their teammates and the
projects they manage, administrators all; rates and costs only with the permission).

The hand counts read the raw rows and add them up in Python, independently of the reports'
SQL; each is compared to the figure the report gives."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlmodel import Session, select

from keito_core.demo.build import build_demo
from keito_core.enums import Role, UserType
from keito_core.errors import KeitoError
from keito_core.models import (
    LLM_USAGE,
    Client,
    Expense,
    ExpenseCategory,
    ManagerTeammate,
    Project,
    ProjectMember,
    TimeEntry,
    User,
)
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.reports.analysis import ReportQuery, drill_down, hours_chart, run_report
from keito_core.reports.analysis.saved import find_saved, list_saved
from keito_core.services.reporting.saved_reports import delete_saved_report, save_report

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)
FEB = (date(2026, 2, 1), date(2026, 2, 28))
H = Decimal(3600)


@pytest.fixture
def demo(engine):  # noqa: ANN001, ANN201
    with db.transaction(engine) as session:
        build_demo(session, entries=1_500, seed=11, now=NOW)
    return engine


def _people(session: Session) -> dict[str, User]:
    return {u.id: u for u in session.exec(select(User)).all()}


def _user(session: Session, role: Role) -> User:
    return session.exec(select(User).where(User.role == role,
                                           User.user_type == UserType.HUMAN)
                        .order_by(User.name)).first()


def _cents(value: Decimal, currency: str = "GBP") -> Decimal:
    places = Decimal("1") if currency == "JPY" else Decimal("0.01")
    return value.quantize(places, ROUND_HALF_UP)


def _entries(session: Session, first: date, last: date) -> list[tuple[TimeEntry, str]]:
    rows = session.exec(select(TimeEntry, Client.currency)
                        .join(Project, Project.id == TimeEntry.project_id)
                        .join(Client, Client.id == Project.client_id)
                        .where(TimeEntry.spent_date >= first,
                               TimeEntry.spent_date <= last)).all()
    return [(entry, currency) for entry, currency in rows]


def _visible(session: Session, viewer: User, entry: TimeEntry | Expense) -> bool:
    """The reference's rule, written out for the hand count."""
    if viewer.role is Role.ADMIN:
        return True
    if entry.user_id == viewer.id:
        return True
    if viewer.role is not Role.MANAGER:
        return False
    mates = {m.teammate_id for m in session.exec(
        select(ManagerTeammate).where(ManagerTeammate.manager_id == viewer.id)).all()}
    managed = {m.project_id for m in session.exec(
        select(ProjectMember).where(ProjectMember.user_id == viewer.id,
                                    ProjectMember.is_project_manager)).all()}
    return entry.user_id in mates or entry.project_id in managed


def _hand_by_project(session: Session, viewer: User) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {"secs": 0, "billable": 0, "amount": Decimal(0), "open": Decimal(0),
                 "cost": Decimal(0)})
    for entry, currency in _entries(session, *FEB):
        if not _visible(session, viewer, entry):
            continue
        slot = out[(entry.project_id, currency)]
        slot["secs"] += entry.duration_seconds
        cost = Decimal(entry.duration_seconds) * (entry.cost_rate or 0) / H
        slot["cost"] += cost
        if entry.is_billable:
            slot["billable"] += entry.duration_seconds
            amount = Decimal(entry.duration_seconds) * (entry.billable_rate or 0) / H
            slot["amount"] += amount
            if entry.invoice_id is None:
                slot["open"] += amount
    return out


def _run(session: Session, viewer: User, **fields: Any) -> Any:
    return run_report(session, actor=actor_for(session, viewer),
                      query=ReportQuery(date_from=FEB[0], date_to=FEB[1], **fields), now=NOW)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.MEMBER])
def test_time_by_project_agrees_with_a_hand_count(demo, role: Role) -> None:
    with Session(demo) as session:
        viewer = _user(session, role)
        hand = _hand_by_project(session, viewer)
        result = _run(session, viewer, kind="time", group_by="project")
        assert hand, "the demo has time in February for every role"
        got = {(r["_keys"]["projects"], r["currency"]): r for r in result.rows}
        assert set(got) == set(hand)
        for key, slot in hand.items():
            row = got[key]
            currency = key[1]
            assert row["total_hours"] == (Decimal(slot["secs"]) / H).quantize(Decimal("1e-6"))
            assert row["billable_hours"] == (Decimal(slot["billable"]) / H).quantize(
                Decimal("1e-6"))
            if role is Role.MEMBER:   # members may not see rates: amounts are left out
                assert row["billable_amount"] is None and row["cost"] is None
                continue
            assert row["billable_amount"] == _cents(slot["amount"], currency)
            assert row["uninvoiced_amount"] == _cents(slot["open"], currency)
            if role is Role.ADMIN:
                assert row["cost"] == _cents(slot["cost"], currency)
                assert row["margin"] == row["billable_amount"] - row["cost"]
            else:   # cost rates are the administrators'
                assert row["cost"] is None and row["margin"] is None
        # The totals are the same entries per currency, counted once.
        for total in result.totals:
            secs = sum(s["secs"] for (_, cur), s in hand.items() if cur == total["currency"])
            assert total["total_hours"] == (Decimal(secs) / H).quantize(Decimal("1e-6"))
        hidden = {"billable_amount", "uninvoiced_amount", "cost", "margin"}
        if role is Role.MEMBER:
            assert hidden <= result.hidden
        elif role is Role.MANAGER:
            assert {"cost", "margin"} <= result.hidden
            assert "billable_amount" not in result.hidden
        else:
            assert not result.hidden & hidden


def test_manager_sees_teammates_and_managed_projects_only(demo) -> None:
    with Session(demo) as session:
        manager = _user(session, Role.MANAGER)
        people = _people(session)
        result = _run(session, manager, kind="time", group_by="person")
        seen = {r["_keys"]["people"] for r in result.rows}
        expected = {entry.user_id for entry, _ in _entries(session, *FEB)
                    if _visible(session, manager, entry)}
        assert seen == expected
        everyone = {entry.user_id for entry, _ in _entries(session, *FEB)}
        assert seen < everyone, "the manager does not see everyone"
        # Naming someone outside their team shows only their time on managed projects:
        # here none.
        stranger = next(uid for uid in sorted(everyone - seen)
                        if people[uid].role is not Role.ADMIN)
        assert _run(session, manager, kind="time", people=(stranger,)).rows == []
        # A member naming anyone but themselves is refused.
        member = _user(session, Role.MEMBER)
        with pytest.raises(KeitoError) as refused:
            _run(session, member, kind="time", people=(stranger,))
        assert refused.value.code == "authorization_error"


def test_member_sees_only_their_own_time(demo) -> None:
    with Session(demo) as session:
        member = _user(session, Role.MEMBER)
        result = _run(session, member, kind="time", group_by="person")
        assert {r["_keys"]["people"] for r in result.rows} == {member.id}
        detailed = _run(session, member, kind="time", detailed=True)
        mine = [e for e, _ in _entries(session, *FEB) if e.user_id == member.id]
        assert sorted(r["id"] for r in detailed.rows) == sorted(e.id for e in mine)
        assert all(r["hourly_rate"] is None and r["billable_amount"] is None
                   for r in detailed.rows)


def test_second_level_and_drill_down_add_up(demo) -> None:
    with Session(demo) as session:
        admin = _user(session, Role.ADMIN)
        actor = actor_for(session, admin)
        by_project = _run(session, admin, kind="time", group_by="project")
        nested = _run(session, admin, kind="time", group_by="project", then_by="person")
        for row in by_project.rows:
            parts = [r for r in nested.rows if r["_keys"]["projects"] == row["_keys"]["projects"]
                     and r["currency"] == row["currency"]]
            assert sum(p["total_hours"] for p in parts) == pytest.approx(row["total_hours"],
                                                                         abs=Decimal("1e-5"))
        row = max(by_project.rows, key=lambda r: r["total_hours"])
        query = drill_down(ReportQuery(kind="time", group_by="project", date_from=FEB[0],
                                       date_to=FEB[1]), row)
        assert query.detailed and query.projects == (row["_keys"]["projects"],)
        detail = run_report(session, actor=actor, query=query, now=NOW)
        assert sum(r["hours"] for r in detail.rows) == pytest.approx(row["total_hours"],
                                                                     abs=Decimal("1e-4"))
        assert {r["project"] for r in detail.rows} == {row["project"]}
        with pytest.raises(KeitoError):
            drill_down(query, detail.rows[0])


def test_expenses_by_category_agree_with_a_hand_count(demo) -> None:
    with Session(demo) as session:
        admin = _user(session, Role.ADMIN)
        hand: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0)] * 2)
        rows = session.exec(select(Expense, Client.currency)
                            .join(Project, Project.id == Expense.project_id)
                            .join(Client, Client.id == Project.client_id)
                            .where(Expense.spent_date >= FEB[0],
                                   Expense.spent_date <= FEB[1])).all()
        for expense, currency in rows:
            hand[(expense.category_id, currency)][0] += expense.total_cost
            if expense.is_billable:
                hand[(expense.category_id, currency)][1] += expense.total_cost
        result = _run(session, admin, kind="expenses", group_by="category")
        got = {(r["_keys"]["categories"], r["currency"]): r for r in result.rows}
        assert set(got) == set(hand) and hand
        for key, (total, billable) in hand.items():
            assert (got[key]["total_amount"], got[key]["billable_amount"]) == (total, billable)
        detail = _run(session, admin, kind="expenses", detailed=True)
        assert len(detail.rows) == len(rows)
        assert {"receipt", "approval"} <= set(detail.rows[0])


def test_utilization_is_tracked_hours_over_capacity_per_week(demo) -> None:
    with Session(demo) as session:
        admin = _user(session, Role.ADMIN)
        result = _run(session, admin, kind="utilization")
        workspace_capacity = Decimal(40)
        people = _people(session)
        secs: dict[tuple[str, date], int] = defaultdict(int)
        for entry, _ in _entries(session, *FEB):
            if people[entry.user_id].user_type is UserType.HUMAN:
                monday = entry.spent_date - timedelta(days=entry.spent_date.weekday())
                secs[(entry.user_id, monday)] += entry.duration_seconds
        checked = 0
        for row in result.rows:
            tracked = Decimal(secs.get((row["_keys"]["people"], row["week"]), 0)) / H
            assert row["tracked_hours"] == tracked.quantize(Decimal("1e-6"))
            person = people[row["_keys"]["people"]]
            capacity = (Decimal(person.weekly_capacity_seconds) / H
                        if person.weekly_capacity_seconds else workspace_capacity)
            assert row["capacity_hours"] == capacity
            expected = (tracked / capacity * 100).quantize(Decimal("0.1"))
            assert row["utilization"] == expected
            checked += tracked > 0
        assert checked > 5
        assert all(people[r["_keys"]["people"]].user_type is UserType.HUMAN for r in result.rows)


def test_agents_report_hours_llm_spend_and_margin(demo) -> None:
    with Session(demo) as session:
        admin = _user(session, Role.ADMIN)
        people = _people(session)
        llm = session.exec(select(ExpenseCategory).where(
            ExpenseCategory.name == LLM_USAGE)).one()
        hours: dict[tuple[str, str], int] = defaultdict(int)
        for entry, currency in _entries(session, *FEB):
            if people[entry.user_id].user_type is UserType.AGENT:
                hours[(entry.user_id, currency)] += entry.duration_seconds
        spend: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for expense, currency in session.exec(
                select(Expense, Client.currency).join(Project, Project.id == Expense.project_id)
                .join(Client, Client.id == Project.client_id)
                .where(Expense.category_id == llm.id, Expense.spent_date >= FEB[0],
                       Expense.spent_date <= FEB[1])).all():
            if people[expense.user_id].user_type is UserType.AGENT:
                spend[(expense.user_id, currency)] += expense.total_cost
        result = _run(session, admin, kind="agents", group_by="agent")
        got = {(r["_keys"]["people"], r["currency"]): r for r in result.rows}
        assert hours and set(hours) <= set(got)
        for key, secs in hours.items():
            row = got[key]
            assert row["agent_hours"] == (Decimal(secs) / H).quantize(Decimal("1e-6"))
            assert row["llm_cost"] == spend.get(key, Decimal(0))
            assert row["margin"] == (row["agent_billable_amount"] - row["agent_cost"]
                                     - row["llm_cost"])
        by_model = _run(session, admin, kind="agents", group_by="model")
        assert any(r["model"] != "(no model)" for r in by_model.rows)
        for currency in {c for _, c in hours}:
            assert sum(r["agent_hours"] for r in by_model.rows if r["currency"] == currency) \
                == pytest.approx(sum(r["agent_hours"] for r in result.rows
                                     if r["currency"] == currency), abs=Decimal("1e-4"))
        by_project = _run(session, admin, kind="agents", group_by="project")
        human = sum(r["human_hours"] for r in by_project.rows)
        human_hand = sum(e.duration_seconds for e, _ in _entries(session, *FEB)
                         if people[e.user_id].user_type is UserType.HUMAN)
        assert human == pytest.approx(Decimal(human_hand) / H, abs=Decimal("1e-3"))


def test_chart_bars_add_up_to_the_report(demo) -> None:
    with Session(demo) as session:
        admin = _user(session, Role.ADMIN)
        actor = actor_for(session, admin)
        query = ReportQuery(kind="time", date_from=FEB[0], date_to=FEB[1])
        totals = sum(t["total_hours"] for t in run_report(session, actor=actor, query=query,
                                                          now=NOW).totals)
        for bucket, count in (("day", 28), ("week", 5), ("month", 1)):
            chart = hours_chart(session, actor=actor, query=query, now=NOW, bucket=bucket)
            assert len(chart.bars) == count
            assert sum(sum(b.values.values()) for b in chart.bars) == pytest.approx(
                totals, abs=Decimal("1e-3"))
        by_source = hours_chart(session, actor=actor, query=query, now=NOW, stack="source")
        assert by_source.series == ("human", "agent")
        assert sum(b.values["agent"] for b in by_source.bars) > 0


def test_saved_reports_private_shared_and_run_by_name(demo) -> None:
    with db.transaction(demo) as session:
        admin = _user(session, Role.ADMIN)
        member = _user(session, Role.MEMBER)
        query = ReportQuery(kind="time", group_by="person", period="last_month")
        save_report(session, actor=actor_for(session, admin), name="Team hours",
                    query=query, shared=True, now=NOW)
        save_report(session, actor=actor_for(session, admin), name="Private one",
                    query=ReportQuery(kind="expenses"), now=NOW)
    with db.transaction(demo) as session:
        member_actor = actor_for(session, _user(session, Role.MEMBER))
        names = [v.name for v in list_saved(session, actor=member_actor)]
        assert names == ["Team hours"]
        shared = find_saved(session, actor=member_actor, name="team HOURS")
        assert shared.query == query and not shared.is_mine
        result = run_report(session, actor=member_actor, query=shared.query, now=NOW)
        assert {r["_keys"]["people"] for r in result.rows} <= {member.id}
        with pytest.raises(KeitoError) as refused:
            delete_saved_report(session, actor=member_actor, name=shared.id, now=NOW)
        assert refused.value.code == "authorization_error"
        with pytest.raises(KeitoError) as missing:
            find_saved(session, actor=member_actor, name="Private one")
        assert missing.value.code == "not_found"


@pytest.mark.parametrize(("fields", "field"), [
    ({"kind": "time", "group_by": "category"}, "group_by"),
    ({"kind": "expenses", "group_by": "task"}, "group_by"),
    ({"kind": "time", "group_by": "project", "then_by": "project"}, "then_by"),
    ({"kind": "budget", "detailed": True}, "detailed"),
    ({"kind": "time", "period": "next_year"}, "period"),
    ({"kind": "time", "sources": ("robot",)}, "source"),
    ({"kind": "nope"}, "kind"),
])
def test_bad_queries_are_validation_errors(fields: dict[str, Any], field: str) -> None:
    with pytest.raises(KeitoError) as refused:
        ReportQuery(**fields).check()
    assert (refused.value.code, refused.value.field) == ("validation_error", field)


def test_saved_form_round_trips() -> None:
    query = ReportQuery(kind="expenses", group_by="category", then_by="person",
                        date_from=date(2026, 1, 1), date_to=date(2026, 1, 31),
                        clients=("Acme",), billable=True, approval=("approved",))
    assert ReportQuery.from_dict(query.to_dict()) == query


def test_by_role_a_person_in_two_roles_counts_in_each_row_and_once_in_the_total(
        workspace) -> None:  # noqa: ANN001
    from budget_team import NOW as MARCH
    from budget_team import make_budget_team

    from keito_core.services.directory.users import edit_user
    from keito_core.services.tracking.time_entries import log_time

    ids = make_budget_team(workspace, budget="1000")
    with workspace.session() as s:
        admin = workspace.actor(s)
        edit_user(s, actor=admin, ref=ids["bea"], business_roles=["Designer", "Developer"],
                  now=MARCH)
        edit_user(s, actor=admin, ref=ids["max"], business_roles=["Developer"], now=MARCH)
    for who, duration in (("bea", "2:00"), ("max", "1:00"), ("bot", "0:30")):
        with workspace.session() as s:
            log_time(s, actor=workspace.actor(s, ids[who]), project_ref=ids["web"],
                     task_ref=ids["design"], duration=duration, spent_date=date(2026, 3, 9),
                     source="cli", now=MARCH)
    with workspace.session(readonly=True) as s:
        result = run_report(s, actor=workspace.actor(s), now=MARCH, query=ReportQuery(
            kind="time", group_by="role", date_from=date(2026, 3, 1),
            date_to=date(2026, 3, 31)))
        only_devs = run_report(s, actor=workspace.actor(s), now=MARCH, query=ReportQuery(
            kind="time", roles=("developer",), date_from=date(2026, 3, 1),
            date_to=date(2026, 3, 31)))
    by_role = {r["role"]: r["total_hours"] for r in result.rows}
    assert by_role == {"Designer": Decimal(2), "Developer": Decimal(3),
                       "(no role)": Decimal("0.5")}
    assert [t["total_hours"] for t in result.totals] == [Decimal("3.5")]
    assert [t["total_hours"] for t in only_devs.totals] == [Decimal(3)]
    assert [t["billable_amount"] for t in result.totals] == [Decimal("350.00")]


@pytest.mark.parametrize(("fields", "unused"), [
    ({"kind": "uninvoiced", "people": ("bea",), "clients": ("Acme",)}, ("people",)),
    ({"kind": "expenses", "tasks": ("Design",), "categories": ("Travel",)}, ("tasks",)),
    ({"kind": "time", "categories": ("Travel",), "billable": True}, ("categories",)),
    ({"kind": "budget", "billable": False, "budget_status": ("over",)}, ("billable",)),
    ({"kind": "agents", "sources": ("agent",)}, ()),
])
def test_filters_a_kind_does_not_apply_are_named(fields: dict[str, Any],
                                                 unused: tuple[str, ...]) -> None:
    assert ReportQuery(**fields).unused_filters() == unused
