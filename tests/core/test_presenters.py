"""Who sees which money field: every role x every record kind x every rate, cost or amount.

The expectations are the reference's (Roles & Permissions, Managing Members, Budgets & Tracking,
Project Team): billable rates and fees show to managers holding "View/edit billable rates" and
to administrators; cost rates to administrators only; a project's budgets to everyone on it when
it shows them to the team, else to its managers and administrators; what a record cost (an
expense, a category's unit price) to whoever may see the record. Agents follow their role.
A field a viewer may not see is absent from the shape.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from keito_core import presenters
from keito_core.enums import ManagerPermission, Role, UserStatus, UserType
from keito_core.models import (
    Client,
    Expense,
    ExpenseCategory,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
)
from keito_core.reports.approval_queue import (
    CurrencyTotal,
    SubmissionDetail,
    SubmissionExpense,
    SubmissionSummary,
)
from keito_core.rules.permissions import Actor, Money, field_visibility

PRJ = "prj_acme"
OTHER = "prj_other"
WHEN = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
DAY = date(2026, 3, 6)
EVERY_PERMISSION = frozenset(ManagerPermission)


def _actor(role: Role, *, agent: bool = False, manages: bool = False,
           permissions: frozenset[ManagerPermission] = frozenset()) -> Actor:
    return Actor(user_id=f"usr_{role}_{'agent' if agent else 'human'}", role=role,
                 user_type=UserType.AGENT if agent else UserType.HUMAN,
                 status=UserStatus.ACTIVE, permissions=permissions,
                 managed_project_ids=frozenset({PRJ}) if manages else frozenset(),
                 assigned_project_ids=frozenset({PRJ}))


#: The viewers walked: every role, managers with and without the rate permission (the one
#: without holds every other permission, so none of them lets rates through), a manager on the
#: project's team who does not manage it, and agents.
VIEWERS: dict[str, Actor] = {
    "member": _actor(Role.MEMBER),
    "manager": _actor(Role.MANAGER, manages=True,
                      permissions=EVERY_PERMISSION - {ManagerPermission.VIEW_RATES}),
    "manager_with_rates": _actor(Role.MANAGER, manages=True,
                                 permissions=frozenset({ManagerPermission.VIEW_RATES})),
    "manager_on_the_team": _actor(Role.MANAGER),
    "administrator": _actor(Role.ADMIN),
    "agent": _actor(Role.MEMBER, agent=True),
    "agent_administrator": _actor(Role.ADMIN, agent=True),
}

RATES = {"manager_with_rates", "administrator", "agent_administrator"}
COSTS = {"administrator", "agent_administrator"}
PROJECT_MANAGERS = {"manager", "manager_with_rates", "administrator", "agent_administrator"}
EVERYONE = set(VIEWERS)


# --- the records, every money field set --------------------------------------------------


def _project(*, budget_visible_to_team: bool) -> Project:
    return Project(id=PRJ, client_id="cli_acme", name="Acme Website", code="ACME", handle="acme",
                   hourly_rate=Decimal("150"), fixed_fee=Decimal("9000"), budget_by="total_fees",
                   budget_hours=Decimal("200"), budget_amount=Decimal("30000"),
                   budget_visible_to_team=budget_visible_to_team, created_at=WHEN,
                   updated_at=WHEN)


def _user() -> User:
    return User(id="usr_mia", name="Mia", email="mia@acme.test", default_rate=Decimal("80"),
                cost_rate=Decimal("40"), manager_permissions=[], created_at=WHEN,
                updated_at=WHEN)


def _task() -> Task:
    return Task(id="tsk_dev", name="Development", handle="development",
                default_rate=Decimal("120"), created_at=WHEN, updated_at=WHEN)


def _project_task() -> ProjectTask:
    return ProjectTask(id="pt_1", project_id=PRJ, task_id="tsk_dev", hourly_rate=Decimal("130"),
                       budget_hours=Decimal("50"), budget_amount=Decimal("6500"),
                       created_at=WHEN)


def _project_member() -> ProjectMember:
    return ProjectMember(id="pm_1", project_id=PRJ, user_id="usr_mia",
                         hourly_rate=Decimal("90"), budget_hours=Decimal("40"),
                         budget_amount=Decimal("3600"), created_at=WHEN)


def _time_entry() -> TimeEntry:
    return TimeEntry(id="te_1", project_id=PRJ, task_id="tsk_dev", user_id="usr_mia",
                     spent_date=DAY, duration_seconds=5400, billable_rate=Decimal("150"),
                     cost_rate=Decimal("40"), source="cli", approval_status="unsubmitted",
                     created_at=WHEN, updated_at=WHEN)


def _expense() -> Expense:
    return Expense(id="exp_1", project_id=PRJ, category_id="cat_llm", user_id="usr_mia",
                   spent_date=DAY, units=Decimal("45"), unit_price=Decimal("0.003"),
                   total_cost=Decimal("0.135"), source="agent", approval_status="unsubmitted",
                   created_at=WHEN, updated_at=WHEN)


def _category() -> ExpenseCategory:
    return ExpenseCategory(id="cat_llm", name="LLM Usage", handle="llm-usage",
                           unit_name="1k tokens", unit_price=Decimal("0.003"),
                           created_at=WHEN, updated_at=WHEN)


def _client() -> Client:
    return Client(id="cli_acme", name="Acme Corp", currency="GBP", created_at=WHEN,
                  updated_at=WHEN)


def _summary() -> SubmissionSummary:
    return SubmissionSummary(
        id="sub_1", user_id="usr_mia", user_name="Mia", user_type="human", period_start=DAY,
        period_end=DAY, status="submitted", submitted_at=WHEN, decided_at=None,
        decided_by_id=None, decided_by_name=None, reason=None, entry_count=1,
        total_seconds=5400, billable_seconds=5400, non_billable_seconds=0,
        seconds_by_source={"cli": 5400}, expense_count=1,
        expense_totals=(CurrencyTotal("GBP", 1, Decimal("0.135")),), period_seconds=5400,
        capacity_seconds=0, longest_day_seconds=5400, missing_notes=0, agent_seconds=0,
        running_timer=False, flags=(), can_approve=True, can_withdraw=False)


def _detail() -> SubmissionDetail:
    expense = SubmissionExpense(
        id="exp_1", spent_date=DAY, client_name="Acme Corp", project_id=PRJ,
        project_name="Acme Website", category_name="LLM Usage", notes=None,
        units=Decimal("45"), unit_price=Decimal("0.003"), total_cost=Decimal("0.135"),
        currency="GBP", is_billable=True, source="agent", metadata={},
        approval_status="submitted", has_receipt=False, flags=())
    return SubmissionDetail(summary=_summary(), entries=(), expenses=(expense,), daily_totals=())


Shape = Callable[[Actor], dict[str, Any]]

#: Each record kind's shape as a viewer sees it (budgets hidden from the team where a project
#: is involved; `visible` kinds show them).
KINDS: dict[str, Shape] = {
    "time_entry": lambda v: presenters.time_entry(_time_entry(), viewer=v, now=WHEN),
    "expense": lambda v: presenters.expense(_expense(), viewer=v),
    "project": lambda v: presenters.project(_project(budget_visible_to_team=False), viewer=v),
    "project_visible_budget": lambda v: presenters.project(
        _project(budget_visible_to_team=True), viewer=v),
    "project_member": lambda v: presenters.project_member(
        _project_member(), _user(), viewer=v, project=_project(budget_visible_to_team=False)),
    "project_member_visible_budget": lambda v: presenters.project_member(
        _project_member(), _user(), viewer=v, project=_project(budget_visible_to_team=True)),
    "project_task": lambda v: presenters.project_task(
        _project_task(), _task(), viewer=v, project=_project(budget_visible_to_team=False)),
    "project_task_visible_budget": lambda v: presenters.project_task(
        _project_task(), _task(), viewer=v, project=_project(budget_visible_to_team=True)),
    "project_with_team": lambda v: presenters.project(
        _project(budget_visible_to_team=False), viewer=v,
        tasks=[(_project_task(), _task())], members=[(_project_member(), _user())]),
    "task": lambda v: presenters.task(_task(), viewer=v),
    "user": lambda v: presenters.user(_user(), viewer=v),
    "category": lambda v: presenters.category(_category(), viewer=v),
    "client": lambda v: presenters.client(_client(), viewer=v, contacts=[]),
    "submission": lambda v: presenters.submission_public(_summary(), viewer=v),
    "submission_detail": lambda v: presenters.submission_detail_public(_detail(), viewer=v),
}

#: Every rate, cost or amount field of each kind (a path into the shape) and who sees it.
FIELDS: dict[str, dict[tuple[Any, ...], set[str]]] = {
    "time_entry": {("billable_rate",): RATES, ("cost_rate",): COSTS},
    "expense": {("units",): EVERYONE, ("unit_price",): EVERYONE, ("total_cost",): EVERYONE},
    "project": {("hourly_rate",): RATES, ("fixed_fee",): RATES,
                ("budget_hours",): PROJECT_MANAGERS, ("budget_amount",): PROJECT_MANAGERS},
    "project_visible_budget": {("hourly_rate",): RATES, ("fixed_fee",): RATES,
                               ("budget_hours",): EVERYONE, ("budget_amount",): EVERYONE},
    "project_member": {("hourly_rate",): RATES, ("budget_hours",): PROJECT_MANAGERS,
                       ("budget_amount",): PROJECT_MANAGERS},
    "project_member_visible_budget": {("hourly_rate",): RATES, ("budget_hours",): EVERYONE,
                                      ("budget_amount",): EVERYONE},
    "project_task": {("hourly_rate",): RATES, ("budget_hours",): PROJECT_MANAGERS,
                     ("budget_amount",): PROJECT_MANAGERS},
    "project_task_visible_budget": {("hourly_rate",): RATES, ("budget_hours",): EVERYONE,
                                    ("budget_amount",): EVERYONE},
    "project_with_team": {
        ("hourly_rate",): RATES, ("fixed_fee",): RATES, ("budget_hours",): PROJECT_MANAGERS,
        ("budget_amount",): PROJECT_MANAGERS,
        ("tasks", 0, "hourly_rate"): RATES, ("tasks", 0, "budget_hours"): PROJECT_MANAGERS,
        ("tasks", 0, "budget_amount"): PROJECT_MANAGERS,
        ("members", 0, "hourly_rate"): RATES, ("members", 0, "budget_hours"): PROJECT_MANAGERS,
        ("members", 0, "budget_amount"): PROJECT_MANAGERS},
    "task": {("default_hourly_rate",): RATES},
    "user": {("billable_rate",): RATES, ("cost_rate",): COSTS},
    "category": {("unit_price",): EVERYONE},
    "client": {},
    "submission": {("expense_totals", 0, "total_cost"): EVERYONE},
    "submission_detail": {("expense_totals", 0, "total_cost"): EVERYONE,
                          ("expenses", 0, "units"): EVERYONE,
                          ("expenses", 0, "unit_price"): EVERYONE,
                          ("expenses", 0, "total_cost"): EVERYONE},
}

#: Decimal values that count time, not money.
HOURS = {"hours", "total_hours", "billable_hours", "non_billable_hours", "period_hours",
         "capacity_hours", "longest_day_hours", "agent_hours", "hours_by_source"}


def _lookup(data: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
    """(present, value) of `path` in a shape."""
    for step in path:
        if isinstance(data, dict):
            if step not in data:
                return False, None
        elif not isinstance(data, list) or step >= len(data):
            return False, None
        data = data[step]
    return True, data


def _cases() -> list[Any]:
    return [pytest.param(viewer, kind, path, id=f"{viewer}-{kind}-{'.'.join(map(str, path))}")
            for viewer in VIEWERS for kind, fields in FIELDS.items() for path in fields]


@pytest.mark.parametrize(("viewer", "kind", "path"), _cases())
def test_each_role_sees_each_money_field_as_the_reference_says(viewer: str, kind: str,
                                                               path: tuple[Any, ...]) -> None:
    present, value = _lookup(KINDS[kind](VIEWERS[viewer]), path)
    assert present == (viewer in FIELDS[kind][path])
    if present:
        assert isinstance(value, Decimal)  # shown as it is, never masked


def _money_paths(data: Any, path: tuple[Any, ...] = ()) -> set[tuple[Any, ...]]:
    """Paths of every Decimal in a shape that is not a count of hours."""
    if isinstance(data, dict):
        return {found for key, value in data.items() if key not in HOURS
                for found in _money_paths(value, (*path, key))}
    if isinstance(data, list):
        return {found for i, value in enumerate(data) for found in _money_paths(value, (*path, i))}
    return {path} if isinstance(data, Decimal) else set()


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_money_field_of_every_kind_is_walked(kind: str) -> None:
    """An administrator sees every field: each Decimal they see has a row in FIELDS, so a new
    rate or amount cannot reach a shape without a decision on who sees it."""
    assert _money_paths(KINDS[kind](VIEWERS["administrator"])) == set(FIELDS[kind])


@pytest.mark.parametrize("kind", list(KINDS))
def test_hidden_fields_are_absent_for_every_kind(kind: str) -> None:
    """A member's shape holds no None where the administrator's holds a value: hidden means
    absent, the same for every kind."""
    member = KINDS[kind](VIEWERS["member"])
    admin = KINDS[kind](VIEWERS["administrator"])
    assert set(member) <= set(admin)
    for key in member:
        assert (member[key] is None) == (admin[key] is None), key


def test_uses_default_rate_goes_with_the_rate():
    """Whether a member has a custom project rate tells something of the rate: rates only."""
    project = _project(budget_visible_to_team=True)
    for name, actor in VIEWERS.items():
        row = presenters.project_member(_project_member(), _user(), viewer=actor, project=project)
        assert ("uses_default_rate" in row) == (name in RATES), name


def test_the_budget_settings_go_with_the_budget():
    hidden = presenters.project(_project(budget_visible_to_team=False), viewer=VIEWERS["member"])
    assert not [key for key in hidden if key.startswith("budget_")]
    shown = presenters.project(_project(budget_visible_to_team=False),
                               viewer=VIEWERS["manager"])
    assert shown["budget_by"] == "total_fees" and shown["budget_visible_to_team"] is False


def test_the_presenters_declare_what_the_test_walks():
    """presenters.MONEY_FIELDS (what the shapes may hide) covers every top-level field here."""
    declared = {kind: set(fields) for kind, fields in presenters.MONEY_FIELDS.items()}
    for kind in ("time_entry", "expense", "project", "project_member", "project_task", "task",
                 "user", "category"):
        assert {path[0] for path in FIELDS[kind]} <= declared[kind]


# --- the policy's answer ---------------------------------------------------------------------


def test_field_visibility_by_role():
    assert field_visibility(VIEWERS["member"]) == {Money.AMOUNT}
    assert field_visibility(VIEWERS["agent"]) == {Money.AMOUNT}
    assert field_visibility(VIEWERS["manager"]) == {Money.AMOUNT}
    assert field_visibility(VIEWERS["manager_with_rates"]) == {Money.AMOUNT, Money.RATE}
    assert field_visibility(VIEWERS["administrator"]) == {Money.AMOUNT, Money.RATE, Money.COST}


def test_field_visibility_of_a_budget_depends_on_the_project():
    manager, member = VIEWERS["manager"], VIEWERS["member"]
    assert Money.BUDGET in field_visibility(manager, project_id=PRJ)
    assert Money.BUDGET not in field_visibility(manager, project_id=OTHER)
    assert Money.BUDGET not in field_visibility(member, project_id=PRJ)
    assert Money.BUDGET in field_visibility(member, project_id=PRJ, budget_visible_to_team=True)
    assert Money.BUDGET not in field_visibility(VIEWERS["administrator"])  # no project named


@pytest.mark.parametrize("status", [UserStatus.PENDING, UserStatus.ARCHIVED])
def test_inactive_users_see_no_money(status: UserStatus):
    admin = Actor(user_id="usr_gone", role=Role.ADMIN, user_type=UserType.HUMAN, status=status)
    assert field_visibility(admin, project_id=PRJ, budget_visible_to_team=True) == frozenset()
