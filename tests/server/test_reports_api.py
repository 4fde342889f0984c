"""API v2 team time report: hours per person and currency for from/to, as the time report
grouped by person counts them; what managers and administrators see, members refused, the
billable amount only for those who may see rates, pages, the period's limits; every exchange
checked against openapi-v2.yaml."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.time_entries import log_time

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
PATH = "/api/v2/reports/time/team"
MARCH = {"from": "20260301", "to": "20260331"}


def clock() -> datetime:
    return NOW


@pytest.fixture
def firm(workspace: Any) -> dict[str, str]:
    """WEB (Acme, GBP, £100 an hour) and OPS (Globex, EUR, €80). Max manages WEB, Bea is his
    teammate; Cy, a contractor of 20 hours a week, works on both. March: Bea 2 h billable and
    1 h not on WEB; Cy 3 h on WEB and 1.5 h on OPS; Ada 1 h on OPS; and Bea 4 h in February."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        clients.create_client(s, actor=admin, name="Globex", currency="EUR", now=NOW)
        made = {"ada": workspace.admin_id,
                "web": projects.create_project(s, actor=admin, name="Website", code="WEB",
                                               client_ref="Acme Corp", rate="100", now=NOW).id,
                "ops": projects.create_project(s, actor=admin, name="Ops", code="OPS",
                                               client_ref="Globex", rate="80", now=NOW).id}
        made["max"] = users.create_user(s, actor=admin, name="Max Manager", role="manager",
                                        email="max@acme.test", now=NOW).id
        made["bea"] = users.create_user(s, actor=admin, name="Bea Member",
                                        email="bea@acme.test", now=NOW).id
        made["cy"] = users.create_user(s, actor=admin, name="Cy Contractor", capacity="20",
                                       employment="contractor", email="cy@acme.test",
                                       now=NOW).id
        users.set_teammates(s, actor=admin, manager_ref=made["max"], add=[made["bea"]],
                            now=NOW)
        assign_member(s, actor=admin, project_ref=made["web"], user_ref=made["max"],
                      manager=True, now=NOW)
        for person, project in (("bea", "web"), ("cy", "web"), ("cy", "ops")):
            assign_member(s, actor=admin, project_ref=made[project], user_ref=made[person],
                          now=NOW)
    for who, project, hours, day, billable in (
            ("bea", "web", "2", date(2026, 3, 2), True), ("bea", "web", "1", date(2026, 3, 3),
                                                          False),
            ("cy", "web", "3", date(2026, 3, 4), True), ("cy", "ops", "1.5", date(2026, 3, 5),
                                                         True),
            ("ada", "ops", "1", date(2026, 3, 31), True),
            ("bea", "web", "4", date(2026, 2, 27), True)):
        with workspace.session() as s:
            log_time(s, actor=workspace.actor(s, made[who]), project_ref=made[project],
                     task_ref=None, duration=hours, spent_date=day, billable=billable,
                     source="cli", now=NOW)
    return made


@pytest.fixture
def as_user(api_for: Any, firm: dict[str, str]) -> Any:
    """The API client of one of the firm's people, by name (spec-checked, tests/serving.py)."""
    return lambda name: api_for(firm[name], clock=clock)


def rows(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(r["user_name"], r["currency"], r["total_hours"], r["billable_hours"],
             r.get("billable_amount")) for r in body["results"]]


def test_the_administrator_sees_everyone_per_currency_with_amounts(workspace, firm,
                                                                   as_user) -> None:
    body = as_user("ada").get(PATH, params=MARCH).json()
    assert rows(body) == [
        ("Ada Admin", "EUR", 1, 1, 80),
        ("Bea Member", "GBP", 3, 2, 200),
        ("Cy Contractor", "EUR", 1.5, 1.5, 120),
        ("Cy Contractor", "GBP", 3, 3, 300),
    ]
    cy = body["results"][2]
    assert (cy["user_id"], cy["is_contractor"], cy["weekly_capacity"], cy["avatar_url"]) == (
        firm["cy"], True, 20 * 3600, None)
    bea = body["results"][1]
    assert (bea["is_contractor"], bea["weekly_capacity"]) == (False, 40 * 3600)
    assert body["total_entries"] == 4


def test_a_manager_sees_teammates_and_managed_projects_without_rates(workspace, firm,
                                                                     as_user) -> None:
    body = as_user("max").get(PATH, params=MARCH).json()
    assert rows(body) == [("Bea Member", "GBP", 3, 2, None),
                          ("Cy Contractor", "GBP", 3, 3, None)]
    with workspace.session() as s:
        users.edit_user(s, actor=workspace.actor(s), ref=firm["max"], grant=["view_rates"],
                        now=NOW)
    body = as_user("max").get(PATH, params=MARCH).json()
    assert [r["billable_amount"] for r in body["results"]] == [200, 300]


def test_the_period_bounds_the_hours(workspace, firm, as_user) -> None:
    body = as_user("ada").get(PATH, params={"from": "2026-02-01", "to": "2026-03-03"}).json()
    assert rows(body) == [("Bea Member", "GBP", 7, 6, 600)]
    empty = as_user("ada").get(PATH, params={"from": "20250101", "to": "20250131"}).json()
    assert (empty["results"], empty["total_entries"], empty["total_pages"]) == ([], 0, 1)


def test_pages_of_the_report(workspace, firm, as_user) -> None:
    api = as_user("ada")
    first = api.get(PATH, params={**MARCH, "per_page": 3}).json()
    assert (first["total_entries"], first["total_pages"], first["next_page"]) == (4, 2, 2)
    second = api.get(first["links"]["next"]).json()
    assert rows(second) == [("Cy Contractor", "GBP", 3, 3, 300)]
    assert len(first["results"]) == 3


def test_a_member_is_refused(workspace, firm, as_user) -> None:
    answer = as_user("bea").get(PATH, params=MARCH)
    assert answer.status_code == 403
    assert answer.json()["code"] == "authorization_error"


@pytest.mark.parametrize(("params", "field"), [
    ({"to": "20260331"}, "from"),
    ({"from": "20260301"}, "to"),
    ({"from": "March", "to": "20260331"}, "from"),
    ({"from": "20260231", "to": "20260331"}, "from"),
    ({"from": "20260331", "to": "20260301"}, "to"),
    ({"from": "20250101", "to": "20260102"}, "to"),
])
def test_bad_periods_are_400s(workspace, firm, as_user, params, field) -> None:
    answer = as_user("ada").get(PATH, params=params, check_request=False)
    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_a_whole_year_is_allowed(workspace, firm, as_user) -> None:
    answer = as_user("ada").get(PATH, params={"from": "20260101", "to": "20261231"})
    assert answer.status_code == 200
    assert answer.json()["total_entries"] == 4
