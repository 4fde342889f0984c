"""API v2 projects, clients, contacts, tasks and users/me: the spec's shapes with the values
in the database, what each role may see and change, filters, pages, the declared errors, and
refusals that change nothing; every exchange checked against openapi-v2.yaml."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import func, select

from keito_core.models import Client, Contact, Project, Task
from keito_core.services.directory import clients, projects, tasks, users
from keito_core.services.directory.project_team import assign_member

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def clock() -> datetime:
    return NOW


@pytest.fixture
def firm(workspace: Any) -> dict[str, str]:
    """Acme Corp (GBP; contact Gina) and Globex (EUR, archived); projects WEB (Acme, £100,
    a 40-hour budget hidden from the team) and OPS (Globex, fixed fee £5,000), OLD (archived);
    tasks Design (£90) and Legacy (archived). Max: manager of WEB who may manage clients and
    tasks; Mo: a manager who may not; Bea: a member on WEB, a Designer, 30 hours a week;
    Bot: an agent. Each made a minute after the one before."""
    at = iter(NOW - timedelta(minutes=60 - n) for n in range(60))
    with workspace.session() as s:
        admin = workspace.actor(s)
        made = {"ada": workspace.admin_id}
        made["acme"] = clients.create_client(s, actor=admin, name="Acme Corp", street="1 High St",
                                             city="London", now=next(at)).id
        made["globex"] = clients.create_client(s, actor=admin, name="Globex", currency="EUR",
                                               now=next(at)).id
        made["gina"] = clients.add_contact(s, actor=admin, client_ref=made["acme"],
                                           first_name="Gina", last_name="Green",
                                           email="gina@acme.test", now=next(at)).id
        made["web"] = projects.create_project(
            s, actor=admin, name="Website", client_ref="Acme Corp", code="WEB", rate="100",
            budget_by="total_hours", budget="40", budget_visible_to_team=False,
            now=next(at)).id
        made["ops"] = projects.create_project(
            s, actor=admin, name="Ops", client_ref="Globex", code="OPS",
            project_type="fixed_fee", fixed_fee="5000", now=next(at)).id
        made["old"] = projects.create_project(s, actor=admin, name="Old", client_ref="Acme Corp",
                                              now=next(at)).id
        projects.archive_project(s, actor=admin, ref=made["old"], now=next(at))
        made["design"] = tasks.create_task(s, actor=admin, name="Design", rate="90",
                                           now=next(at)).id
        made["legacy"] = tasks.create_task(s, actor=admin, name="Legacy", now=next(at)).id
        tasks.archive_task(s, actor=admin, ref=made["legacy"], now=next(at))
        made["max"] = users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                        role="manager", now=next(at)).id
        users.edit_user(s, actor=admin, ref=made["max"], grant=["manage_clients_tasks"],
                        now=next(at))
        made["mo"] = users.create_user(s, actor=admin, name="Mo", email="mo@acme.test",
                                       role="manager", now=next(at)).id
        made["bea"] = users.create_user(
            s, actor=admin, name="Bea van Member", email="bea@acme.test", capacity="30",
            employment="contractor", business_roles=["Designer"], phone="+44 20 1234",
            rate="75", now=next(at)).id
        made["bot"] = users.create_user(s, actor=admin, name="Bot", agent=True, now=next(at)).id
        assign_member(s, actor=admin, project_ref=made["web"], user_ref=made["max"],
                      manager=True, now=next(at))
        assign_member(s, actor=admin, project_ref=made["web"], user_ref=made["bea"],
                      now=next(at))
        clients.archive_client(s, actor=admin, ref=made["globex"], now=next(at))
    return made


@pytest.fixture
def as_user(api_for: Any, firm: dict[str, str]) -> Any:
    """The API client of one of the firm's people, by name (spec-checked, tests/serving.py)."""
    return lambda name: api_for(firm[name], clock=clock)


def count(workspace: Any, model: Any) -> int:
    with workspace.session(readonly=True) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def unchecked(api: Any, method: str, path: str, **kwargs: Any) -> Any:
    """A request whose answer's status the spec does not declare (a refused list): sent
    without the spec check, its body checked here to be the flat error."""
    answer = api.client.request(method, path, headers=api.headers, **kwargs)
    assert {"error", "error_description", "code"} <= set(answer.json())
    return answer


# --- projects ------------------------------------------------------------------------------


def test_projects_are_the_spec_shape_with_rates_and_budgets_as_the_viewer_may_see(
        workspace, firm, as_user) -> None:
    body = as_user("ada").get("/api/v2/projects").json()
    assert [p["id"] for p in body["projects"]] == [firm["ops"], firm["web"]]  # active, newest
    ops, web = body["projects"]
    assert web["client"] == {"id": firm["acme"], "name": "Acme Corp"}
    assert (web["name"], web["code"], web["is_active"], web["is_billable"]) == (
        "Website", "WEB", True, True)
    assert (web["hourly_rate"], web["is_fixed_fee"], web["bill_by"]) == (100, False, "Project")
    assert (web["budget_by"], web["budget"], web["cost_budget"]) == ("project", 40, None)
    assert (web["show_budget_to_all"], web["notify_when_over_budget"],
            web["over_budget_notification_percentage"]) == (False, True, 80)
    assert (ops["is_fixed_fee"], ops["fee"], ops["client"]["name"]) == (True, 5000, "Globex")
    with workspace.session(readonly=True) as s:
        row = s.get(Project, firm["web"])
        assert row is not None and row.budget_hours == Decimal(40)
    # Bea: only her project, without its rate or its budget (hidden from the team).
    seen = as_user("bea").get("/api/v2/projects").json()["projects"]
    assert [p["id"] for p in seen] == [firm["web"]]
    assert not {"hourly_rate", "fee", "budget", "budget_by", "cost_budget"} & set(seen[0])
    # Max manages WEB: its budget shows; rates need the view-rates permission.
    managed = as_user("max").get("/api/v2/projects").json()["projects"][0]
    assert managed["budget"] == 40 and "hourly_rate" not in managed


def test_projects_filter_by_activity_client_and_update_time(workspace, firm, as_user) -> None:
    api = as_user("ada")

    def ids(**params: Any) -> list[str]:
        return [p["id"] for p in api.get("/api/v2/projects", params=params).json()["projects"]]

    assert ids(is_active="false") == [firm["old"]]
    assert ids(client_id=firm["acme"]) == [firm["web"]]
    assert ids(client_id=firm["acme"], is_active="false") == [firm["old"]]
    assert ids(updated_since="2026-03-10T11:03:00Z") == [firm["ops"], firm["web"]]
    assert ids(updated_since="2026-03-10T11:03:30Z") == [firm["ops"]]
    assert ids(updated_since="2026-03-10T12:00:01Z") == []
    page = api.get("/api/v2/projects", params={"per_page": 1, "page": 2}).json()
    assert [p["id"] for p in page["projects"]] == [firm["web"]]
    assert (page["total_entries"], page["total_pages"], page["next_page"]) == (2, 2, None)


# --- clients -------------------------------------------------------------------------------


def test_clients_list_and_get_in_the_spec_shape(workspace, firm, as_user) -> None:
    api = as_user("max")
    body = api.get("/api/v2/clients").json()
    assert [c["id"] for c in body["clients"]] == [firm["globex"], firm["acme"]]
    acme = api.get(f"/api/v2/clients/{firm['acme']}").json()
    assert acme == body["clients"][1]
    assert (acme["name"], acme["currency"], acme["is_active"]) == ("Acme Corp", "GBP", True)
    assert acme["address"] == "1 High St\nLondon"
    assert (acme["payment_terms"], acme["payment_days"], acme["discount"]) == (
        "net_30", None, None)
    active = api.get("/api/v2/clients", params={"is_active": "true"}).json()
    assert [c["id"] for c in active["clients"]] == [firm["acme"]]
    archived = api.get("/api/v2/clients", params={"is_active": "false"}).json()
    assert [c["id"] for c in archived["clients"]] == [firm["globex"]]
    missing = api.get("/api/v2/clients/cli_nobody")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    # A member may not see clients at all (the spec declares no 403 on lists).
    refused = unchecked(as_user("bea"), "GET", "/api/v2/clients")
    assert refused.status_code == 403
    assert unchecked(as_user("bea"), "GET", f"/api/v2/clients/{firm['acme']}"
                     ).status_code == 403


def test_creating_a_client_writes_it_and_answers_it(workspace, firm, as_user) -> None:
    answer = as_user("max").post("/api/v2/clients", json={
        "name": "Initech", "currency": "USD", "address": "4120 Freidrich Ln\nAustin",
        "payment_terms": "net_15", "is_active": False})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    with workspace.session(readonly=True) as s:
        row = s.get(Client, body["id"])
        assert row is not None
        assert (row.name, row.currency, row.street, row.is_active) == (
            "Initech", "USD", "4120 Freidrich Ln\nAustin", False)
    assert (body["name"], body["currency"], body["is_active"]) == ("Initech", "USD", False)
    assert body["address"] == "4120 Freidrich Ln\nAustin"


@pytest.mark.parametrize(("who", "sent", "status", "field"), [
    ("mo", {"name": "Initech"}, 403, None),
    ("bea", {"name": "Initech"}, 403, None),
    ("ada", {"currency": "USD"}, 400, "name"),
    ("ada", {"name": "Initech", "currency": "usd dollars"}, 400, "currency"),
    ("ada", {"name": "Initech", "tax": "20"}, 400, "tax"),
    ("ada", {"name": "acme corp"}, 400, "name"),  # a conflict: the spec declares no 409
])
def test_refused_client_creates_change_nothing(workspace, firm, as_user, who, sent, status,
                                               field) -> None:
    answer = as_user(who).post("/api/v2/clients", json=sent, check_request=False)
    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert count(workspace, Client) == 2


def test_updating_a_client_changes_what_is_given(workspace, firm, as_user) -> None:
    api = as_user("ada")
    answer = api.patch(f"/api/v2/clients/{firm['globex']}",
                       json={"name": "Globex Corporation", "is_active": True})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["name"], answer.json()["is_active"]) == ("Globex Corporation", True)
    with workspace.session(readonly=True) as s:
        row = s.get(Client, firm["globex"])
        assert row is not None
        assert (row.name, row.is_active, row.currency) == ("Globex Corporation", True, "EUR")
    assert api.patch("/api/v2/clients/cli_nobody", json={"name": "X"}).status_code == 404


def test_a_refused_client_update_changes_nothing(workspace, firm, as_user) -> None:
    answer = as_user("mo").patch(f"/api/v2/clients/{firm['acme']}",
                                 json={"name": "Renamed", "is_active": False})
    assert answer.status_code == 403
    with workspace.session(readonly=True) as s:
        row = s.get(Client, firm["acme"])
        assert row is not None and (row.name, row.is_active) == ("Acme Corp", True)


# --- contacts ------------------------------------------------------------------------------


def test_contacts_list_filter_and_create(workspace, firm, as_user) -> None:
    api = as_user("max")
    body = api.get("/api/v2/contacts").json()
    assert body["total_entries"] == 1
    gina = body["contacts"][0]
    assert gina["client"] == {"id": firm["acme"], "name": "Acme Corp"}
    assert (gina["first_name"], gina["last_name"], gina["email"]) == (
        "Gina", "Green", "gina@acme.test")
    created = api.post("/api/v2/contacts", json={
        "client_id": firm["globex"], "first_name": "Hank", "title": "CFO",
        "phone_mobile": "+1 555 0100"})
    assert created.status_code == 200, created.text
    with workspace.session(readonly=True) as s:
        row = s.get(Contact, created.json()["id"])
        assert row is not None
        assert (row.client_id, row.first_name, row.title, row.phone_mobile) == (
            firm["globex"], "Hank", "CFO", "+1 555 0100")
    assert created.json()["client"] == {"id": firm["globex"], "name": "Globex"}
    listed = api.get("/api/v2/contacts", params={"client_id": firm["globex"]}).json()
    assert [c["id"] for c in listed["contacts"]] == [created.json()["id"]]
    assert api.get("/api/v2/contacts", params={
        "updated_since": "2026-03-10T11:59:00Z"}).json()["total_entries"] == 1


@pytest.mark.parametrize(("who", "sent", "status", "field"), [
    ("mo", {"client_id": "Acme Corp", "first_name": "Ivy"}, 403, None),
    ("ada", {"client_id": "cli_nobody", "first_name": "Ivy"}, 400, "client"),  # 404 -> 400
    ("ada", {"client_id": "Acme Corp"}, 400, "first_name"),
    ("ada", {"client_id": "Acme Corp", "first_name": "Ivy", "email": "not-mail"}, 400,
     "email"),
])
def test_refused_contact_creates_change_nothing(workspace, firm, as_user, who, sent, status,
                                                field) -> None:
    answer = as_user(who).post("/api/v2/contacts", json=sent, check_request=False)
    assert answer.status_code == status, answer.text
    assert answer.json().get("field") == field
    assert count(workspace, Contact) == 1


def test_a_member_may_not_list_contacts(workspace, firm, as_user) -> None:
    assert unchecked(as_user("bea"), "GET", "/api/v2/contacts").status_code == 403


# --- tasks ---------------------------------------------------------------------------------


def test_tasks_with_their_rate_as_the_viewer_may_see(workspace, firm, as_user) -> None:
    body = as_user("ada").get("/api/v2/tasks", params={"is_active": "true"}).json()
    with workspace.session(readonly=True) as s:
        active = s.exec(select(func.count()).select_from(Task).where(Task.is_active)).one()
    assert body["total_entries"] == active
    design = body["tasks"][0]
    assert design["id"] == firm["design"]
    assert (design["name"], design["default_hourly_rate"], design["billable_by_default"],
            design["is_active"], design["parent_task_id"]) == ("Design", 90, True, True, None)
    archived = as_user("bea").get("/api/v2/tasks", params={"is_active": "false"}).json()
    assert [t["id"] for t in archived["tasks"]] == [firm["legacy"]]
    seen = as_user("bea").get("/api/v2/tasks").json()["tasks"]
    assert len(seen) == active + 1 and all("default_hourly_rate" not in t for t in seen)


# --- users/me ------------------------------------------------------------------------------


def test_me_is_the_keys_owner_in_the_spec_shape(workspace, firm, as_user) -> None:
    bea = as_user("bea").get("/api/v2/users/me").json()
    assert (bea["id"], bea["first_name"], bea["last_name"], bea["email"]) == (
        firm["bea"], "Bea", "van Member", "bea@acme.test")
    assert bea["weekly_capacity"] == 30 * 3600
    assert (bea["is_contractor"], bea["is_active"], bea["user_type"]) == (True, True, "human")
    assert (bea["roles"], bea["access_roles"]) == (["Designer"], ["member"])
    assert (bea["telephone"], bea["timezone"], bea["currency"]) == (
        "+44 20 1234", "Europe/London", "GBP")
    assert bea["company"] == {"id": workspace.workspace_id, "name": "Acme Consulting"}
    assert bea["has_access_to_all_future_projects"] is False
    assert "default_hourly_rate" not in bea and "cost_rate" not in bea  # hers, hidden from her
    ada = as_user("ada").get("/api/v2/users/me").json()
    assert (ada["first_name"], ada["last_name"], ada["access_roles"]) == (
        "Ada", "Admin", ["administrator"])
    assert ada["weekly_capacity"] == 144000  # the workspace's 40 hours
    assert ada["has_access_to_all_future_projects"] is True
    assert "default_hourly_rate" in ada and "cost_rate" in ada
    bot = as_user("bot").get("/api/v2/users/me").json()
    assert (bot["user_type"], bot["first_name"], bot["last_name"]) == ("agent", "Bot", None)
