"""The monthly rollup `time_entry_months`: its triggers keep it equal to the entries summed per
bucket whatever writes them, and time reports read through it give exactly what reading
every entry gives (rows, totals, for every grouping, filter, period and viewer).

Random workspaces from seeded generators; the suite's backend decides SQLite or PostgreSQL
(KEITO_TEST_DATABASE=postgres).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import Workspace
from sqlmodel import Session

from keito_core.errors import KeitoError
from keito_core.models import (
    BusinessRole,
    Client,
    Invoice,
    ManagerTeammate,
    Project,
    ProjectMember,
    Task,
    TimeEntry,
    User,
    UserBusinessRole,
)
from keito_core.models.time_entries import TimeEntryMonth
from keito_core.reports.analysis import months, time_report
from keito_core.reports.analysis.query import GROUPINGS, ReportQuery
from keito_core.reports.analysis.scope import resolve

FIRST_DAY = date(2025, 12, 20)
LAST_DAY = date(2026, 5, 12)
RATES = (None, Decimal(0), Decimal("95.5"), Decimal(125), Decimal("33.333333"),
         Decimal("0.000001"))
SOURCES = ("tui", "web", "cli", "api", "agent")
APPROVALS = ("unsubmitted", "submitted", "approved", "rejected")
NOW = datetime(2026, 5, 12, 12, tzinfo=UTC)
T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


# --- the rollup as it should be ---------------------------------------------------------------


def expected_buckets(session: Session) -> Counter[tuple[Any, ...]]:
    """time_entries summed per bucket in Python: (key) -> (entries, seconds)."""
    found: Counter[tuple[Any, ...]] = Counter()
    rows = session.execute(sa.select(
        TimeEntry.spent_date, TimeEntry.project_id, TimeEntry.user_id, TimeEntry.task_id,
        TimeEntry.source, TimeEntry.is_billable, TimeEntry.invoice_id,
        TimeEntry.billable_rate, TimeEntry.cost_rate, TimeEntry.duration_seconds)).all()
    out: dict[tuple[Any, ...], list[int]] = {}
    for day, project, user, task, source, billable, invoice, rate, cost, secs in rows:
        key = (day.replace(day=1), project, user, task or "", str(source), bool(billable),
               invoice is not None, rate or Decimal(0), cost or Decimal(0))
        sums = out.setdefault(key, [0, 0])
        sums[0] += 1
        sums[1] += secs
    found.update({key: tuple(v) for key, v in out.items()})  # type: ignore[misc]
    return found


def stored_buckets(session: Session) -> Counter[tuple[Any, ...]]:
    rows = session.execute(sa.select(
        TimeEntryMonth.month, TimeEntryMonth.project_id, TimeEntryMonth.user_id,
        TimeEntryMonth.task_id, TimeEntryMonth.source, TimeEntryMonth.is_billable,
        TimeEntryMonth.invoiced, TimeEntryMonth.billable_rate, TimeEntryMonth.cost_rate,
        TimeEntryMonth.entry_count, TimeEntryMonth.duration_seconds)).all()
    found: Counter[tuple[Any, ...]] = Counter()
    for *key, count, secs in rows:
        key[5], key[6] = bool(key[5]), bool(key[6])
        found[tuple(key)] = (count, secs)  # type: ignore[assignment]
    return found


def assert_rollup_right(workspace: Workspace) -> None:
    with workspace.session(readonly=True) as session:
        stored = stored_buckets(session)
        assert stored == expected_buckets(session)
        assert all(count > 0 for count, _ in stored.values())


# --- a random workspace -----------------------------------------------------------------------


class World:
    """Ids of a random workspace's people, projects, tasks, invoices and entries."""

    def __init__(self, admin_id: str) -> None:
        self.admin_id = admin_id
        self.users: list[str] = [admin_id]
        self.projects: list[str] = []
        self.clients: list[str] = []
        self.tasks: list[str] = []
        self.invoices: list[str] = []
        self.roles: list[str] = []
        self.entries: list[str] = []


def random_day(rng: random.Random) -> date:
    return FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days + 1))


def random_entry(rng: random.Random, world: World, n: int) -> TimeEntry:
    return TimeEntry(
        id=f"te_{n}", user_id=rng.choice(world.users), project_id=rng.choice(world.projects),
        task_id=rng.choice([None, *world.tasks]), spent_date=random_day(rng),
        duration_seconds=rng.choice([0, 60, 900, 3600, rng.randrange(1, 36_000)]),
        is_billable=rng.random() < 0.7, billable_rate=rng.choice(RATES),
        cost_rate=rng.choice(RATES), source=rng.choice(SOURCES),
        approval_status=rng.choice(APPROVALS),
        invoice_id=rng.choice(world.invoices) if rng.random() < 0.2 else None)


def build_world(workspace: Workspace, rng: random.Random, entries: int) -> World:
    """People (managers with teammates, a project manager, members, an agent), clients in two
    currencies, projects, tasks, business roles (someone holds two, some none), invoices, and
    `entries` random entries across several month boundaries."""
    world = World(workspace.admin_id)
    with workspace.session() as session:
        people = [
            User(id="usr_m1", name="Maud Manager", email="m1@x.test", role="manager",
                 manager_permissions=["view_rates"]),
            User(id="usr_m2", name="Milo Manager", email="m2@x.test", role="manager"),
            User(id="usr_a", name="Ann", email="a@x.test"),
            User(id="usr_b", name="Bo", email="b@x.test"),
            User(id="usr_c", name="Cy", email="c@x.test"),
            User(id="usr_bot", name="Bot", email="bot@x.test", user_type="agent"),
        ]
        session.add_all(people)
        world.users += [u.id for u in people]
        clients = [Client(id="cli_1", name="Alpha", currency="GBP"),
                   Client(id="cli_2", name="Beta", currency="USD"),
                   Client(id="cli_3", name="Gamma", currency="GBP")]
        session.add_all(clients)
        world.clients = [c.id for c in clients]
        session.flush()
        for n in range(5):
            session.add(Project(id=f"prj_{n}", client_id=world.clients[n % 3],
                                name=f"Project {n}", handle=f"project-{n}"))
            world.projects.append(f"prj_{n}")
        for n, name in enumerate(("Design", "Build", "Review")):
            session.add(Task(id=f"tsk_{n}", name=name, handle=name.lower()))
            world.tasks.append(f"tsk_{n}")
        session.add_all([BusinessRole(id="brl_dev", name="Developer"),
                         BusinessRole(id="brl_pm", name="Planner")])
        world.roles = ["Developer", "Planner"]
        for n in range(2):
            session.add(Invoice(id=f"inv_{n}", client_id=world.clients[n], number=f"INV-{n}",
                                issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1),
                                currency="GBP", portal_token=f"token-{n}"))
            world.invoices.append(f"inv_{n}")
        session.flush()
        session.add_all([
            ManagerTeammate(manager_id="usr_m1", teammate_id="usr_a"),
            ManagerTeammate(manager_id="usr_m1", teammate_id="usr_bot"),
            ProjectMember(id="pm_1", project_id="prj_3", user_id="usr_m2",
                          is_project_manager=True),
            ProjectMember(id="pm_2", project_id="prj_1", user_id="usr_a"),
            UserBusinessRole(user_id="usr_a", role_id="brl_dev"),
            UserBusinessRole(user_id="usr_a", role_id="brl_pm"),
            UserBusinessRole(user_id="usr_b", role_id="brl_dev"),
            UserBusinessRole(user_id="usr_bot", role_id="brl_pm"),
        ])
        for n in range(entries):
            session.add(random_entry(rng, world, n))
            world.entries.append(f"te_{n}")
        session.flush()
        # One running timer: the report counts it as it stands, so does the rollup.
        running = session.get(TimeEntry, world.entries[0])
        assert running is not None
        running.is_running, running.timer_started_at = True, T0
    return world


def edit_world(workspace: Workspace, rng: random.Random, world: World, edits: int) -> None:
    """Random writes, each its own transaction: entries moved between months, projects,
    people and tasks, re-rated, made (non-)billable, lengthened, linked to and released from
    invoices one by one and in bulk, deleted, and new ones added."""
    added = len(world.entries) + 1000
    for _ in range(edits):
        with workspace.session() as session:
            what = rng.randrange(10)
            entry = session.get(TimeEntry, rng.choice(world.entries))
            assert entry is not None
            if what == 0:
                entry.spent_date = rng.choice(
                    [random_day(rng), (entry.spent_date.replace(day=1) - timedelta(days=1)),
                     entry.spent_date.replace(day=28) + timedelta(days=4)])
            elif what == 1:
                entry.project_id = rng.choice(world.projects)
                entry.user_id = rng.choice(world.users)
            elif what == 2:
                entry.task_id = rng.choice([None, *world.tasks])
            elif what == 3:
                entry.billable_rate = rng.choice(RATES)
                entry.cost_rate = rng.choice(RATES)
            elif what == 4:
                entry.is_billable = not entry.is_billable
                entry.duration_seconds = rng.randrange(0, 20_000)
            elif what == 5:
                entry.invoice_id = rng.choice([None, *world.invoices])
            elif what == 6:  # invoice linking as billing does it: one UPDATE for many
                session.execute(
                    sa.update(TimeEntry)
                    .where(TimeEntry.project_id == rng.choice(world.projects),
                           TimeEntry.spent_date <= random_day(rng),
                           TimeEntry.invoice_id.is_(None))  # type: ignore[union-attr]
                    .values(invoice_id=rng.choice(world.invoices)))
            elif what == 7:
                session.execute(
                    sa.update(TimeEntry)
                    .where(TimeEntry.invoice_id == rng.choice(world.invoices))
                    .values(invoice_id=None))
            elif what == 8 and len(world.entries) > 20:
                session.delete(entry)
                world.entries.remove(entry.id)
            else:
                entry.notes = "only the notes: no bucket changes"
                session.add(random_entry(rng, world, added))
                world.entries.append(f"te_{added}")
                added += 1


# --- the triggers -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2])
def test_the_triggers_keep_the_rollup_equal_to_the_entries(
        workspace: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    world = build_world(workspace, rng, 150)
    assert_rollup_right(workspace)
    edit_world(workspace, rng, world, 150)
    assert_rollup_right(workspace)
    with workspace.session() as session:  # a bulk delete, then every entry
        session.execute(sa.delete(TimeEntry).where(TimeEntry.project_id == "prj_0"))
    assert_rollup_right(workspace)
    with workspace.session() as session:
        session.execute(sa.delete(TimeEntry))
    with workspace.session(readonly=True) as session:
        assert session.execute(sa.select(sa.func.count()).select_from(TimeEntryMonth)
                               ).scalar() == 0


def test_an_update_of_other_columns_leaves_the_rollup_alone(workspace: Workspace) -> None:
    rng = random.Random(3)
    build_world(workspace, rng, 30)
    with workspace.session(readonly=True) as session:
        before = stored_buckets(session)
    with workspace.session() as session:
        session.execute(sa.update(TimeEntry).values(notes="x", approval_status="approved"))
        # the same values written again change nothing either
        session.execute(sa.update(TimeEntry).values(project_id=TimeEntry.project_id,
                                                    spent_date=TimeEntry.spent_date))
    with workspace.session(readonly=True) as session:
        assert stored_buckets(session) == before


def test_a_rolled_back_write_leaves_the_rollup_as_it_was(workspace: Workspace) -> None:
    rng = random.Random(4)
    world = build_world(workspace, rng, 30)
    with workspace.session(readonly=True) as session:
        before = stored_buckets(session)
    with pytest.raises(RuntimeError), workspace.session() as session:
        session.add(random_entry(rng, world, 999))
        session.execute(sa.delete(TimeEntry).where(TimeEntry.id == world.entries[1]))
        session.flush()
        raise RuntimeError("undo")
    with workspace.session(readonly=True) as session:
        assert stored_buckets(session) == before


# --- the reports through the rollup equal the reports over every entry ------------------------

MONTH_EDGES = [date(2026, m, 1) for m in range(1, 6)] + [
    date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31),
    date(2026, 4, 30), date(2026, 2, 1) - timedelta(days=2), date(2026, 3, 2)]


def random_bounds(rng: random.Random) -> dict[str, Any]:
    choice = rng.randrange(6)
    if choice == 0:
        return {"period": rng.choice(["this_year", "this_quarter", "last_quarter",
                                      "last_month", "this_month", "last_week"])}
    pick = (lambda: rng.choice(MONTH_EDGES)) if rng.random() < 0.6 else (
        lambda: random_day(rng))
    first, last = pick(), pick()
    if last < first:
        first, last = last, first
    if choice == 1:
        return {"date_from": first}
    if choice == 2:
        return {"date_to": last}
    return {"date_from": first, "date_to": last}


def random_query(rng: random.Random, world: World) -> ReportQuery:
    groupings = GROUPINGS["time"]
    group_by = rng.choice(groupings)
    then_by = rng.choice([None, *[g for g in groupings if g != group_by]])
    filters: dict[str, Any] = {}
    if rng.random() < 0.5:
        which = rng.randrange(9)
        if which == 0:
            filters["clients"] = tuple(rng.sample(world.clients, rng.randint(1, 2)))
        elif which == 1:
            filters["projects"] = tuple(rng.sample(world.projects, rng.randint(1, 3)))
        elif which == 2:
            filters["tasks"] = tuple(rng.sample(world.tasks, rng.randint(1, 2)))
        elif which == 3:
            filters["people"] = tuple(rng.sample(world.users, rng.randint(1, 3)))
        elif which == 4:
            filters["roles"] = (rng.choice(world.roles),)
        elif which == 5:
            filters["sources"] = tuple(rng.sample(SOURCES, rng.randint(1, 3)))
        elif which == 6:
            filters["billable"] = rng.choice([True, False])
        elif which == 7:
            filters["invoiced"] = rng.choice([True, False])
        else:
            filters["approval"] = (rng.choice(APPROVALS),)
    return ReportQuery(kind="time", group_by=group_by, then_by=then_by,
                       **random_bounds(rng), **filters)


def compare_reports(workspace: Workspace, rng: random.Random, world: World,
                    cases: int) -> int:
    """Run `cases` random summaries both ways; the number that read the rollup."""
    through_rollup = 0
    with workspace.session(readonly=True) as session:
        actors = {user: workspace.actor(session, user) for user in world.users}
        for _ in range(cases):
            query = random_query(rng, world)
            actor = actors[rng.choice(world.users)]
            try:
                scope = resolve(session, actor=actor, query=query, now=NOW)
            except KeitoError:  # a person this viewer may not see: refused both ways
                continue
            if months.plan_for(scope) is not None:
                through_rollup += 1
            old = time_report.summary(session, scope, actor, rollup=False)
            new = time_report.summary(session, scope, actor, rollup=True)
            assert new.rows == old.rows, (query, actor.user_id)
            assert new.totals == old.totals, (query, actor.user_id)
            old_totals = time_report.totals(session, scope, actor, old.hidden, rollup=False)
            assert time_report.totals(session, scope, actor, old.hidden) == old_totals
    return through_rollup


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_reports_through_the_rollup_equal_reports_over_every_entry(
        workspace: Workspace, seed: int) -> None:
    rng = random.Random(seed)
    world = build_world(workspace, rng, 400)
    edit_world(workspace, rng, world, 120)
    assert_rollup_right(workspace)
    assert compare_reports(workspace, rng, world, 120) >= 40


def test_the_plan_reads_whole_months_and_the_days_around_them() -> None:
    def plan(first: date | None, last: date | None) -> months.MonthPlan | None:
        scope: Any = type("S", (), {"query": ReportQuery(), "date_from": first,
                                    "date_to": last})()
        return months.plan_for(scope)

    assert plan(date(2026, 1, 1), date(2026, 12, 31)) == months.MonthPlan(
        date(2026, 1, 1), date(2027, 1, 1), ())
    assert plan(date(2026, 1, 15), date(2026, 3, 10)) == months.MonthPlan(
        date(2026, 2, 1), date(2026, 3, 1),
        ((date(2026, 1, 15), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 10))))
    assert plan(date(2026, 2, 2), date(2026, 2, 28)) is None  # no whole month
    assert plan(date(2026, 1, 31), date(2026, 3, 30)) == months.MonthPlan(
        date(2026, 2, 1), date(2026, 3, 1),
        ((date(2026, 1, 31), date(2026, 1, 31)), (date(2026, 3, 1), date(2026, 3, 30))))
    assert plan(date(2026, 1, 31), date(2026, 3, 31)) == months.MonthPlan(
        date(2026, 2, 1), date(2026, 4, 1), ((date(2026, 1, 31), date(2026, 1, 31)),))
    assert plan(None, date(2026, 2, 27)) == months.MonthPlan(
        None, date(2026, 2, 1), ((date(2026, 2, 1), date(2026, 2, 27)),))
    assert plan(date(2026, 2, 27), None) == months.MonthPlan(
        date(2026, 3, 1), None, ((date(2026, 2, 27), date(2026, 2, 28)),))
    assert plan(None, None) == months.MonthPlan(None, None, ())
