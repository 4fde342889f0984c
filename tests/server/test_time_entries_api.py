"""API v2 time entries over HTTP (keito_core/server/routes/time_entries.py): the v2 shape,
logging by hours, by clock times and as a timer, a second timer (409 or replace_running),
zero-hour outcomes, metadata (4 KB, merge, clear), sources (tui as web, calendar and desktop
kept), PATCH that stops, stop, restart of the same entry, delete, locking, every filter,
pagination, visibility and hidden rates by role, and every error's status and body, with
nothing changed by a refused request. Every exchange is checked against openapi-v2.yaml."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from serving import Api, make_api
from sqlmodel import func, select

from keito_core.enums import ApprovalStatus, BudgetBy, ManagerPermission, ProjectType, Role
from keito_core.errors import KeitoError
from keito_core.models import (
    AuditEvent,
    Client,
    Invoice,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.models.users import ManagerTeammate
from keito_core.platform.ids import new_id

#: A Friday; Europe/London is on GMT (UTC+0) until 29 March 2026.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
TODAY = date(2026, 3, 6)
PATH = "/api/v2/time_entries"


class Clock:
    """The server's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _user(s: Any, name: str, role: Role = Role.MEMBER, **kw: Any) -> User:
    user = User(id=new_id("user"), name=name, email=f"{name.split()[0].lower()}@acme.test",
                role=role, **kw)
    s.add(user)
    s.flush()
    return user


@pytest.fixture
def team(workspace: Any, clock: Clock) -> SimpleNamespace:
    """Clients Acme and Globex; project `acme` (rate 100, an hours budget, tasks development
    and meetings) and `globex` (no budget); admin Ada on both; member Mia (rates 80/40, on
    both), Olly (on acme), Nia in New York (on acme); manager Max, Mia's manager, with no
    permission to edit team entries; the admin's API client on the test's clock."""
    with workspace.session() as s:
        acme_client = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        globex_client = Client(id=new_id("client"), name="Globex", currency="GBP")
        s.add_all([acme_client, globex_client])
        dev = Task(id=new_id("task"), name="Development", handle="development")
        meet = Task(id=new_id("task"), name="Meetings", handle="meetings")
        s.add_all([dev, meet])
        s.flush()
        acme = Project(id=new_id("project"), client_id=acme_client.id, name="Acme Website",
                       handle="acme", hourly_rate=Decimal("100"),
                       budget_by=BudgetBy.TOTAL_HOURS, budget_hours=Decimal("100"))
        globex = Project(id=new_id("project"), client_id=globex_client.id, name="Globex App",
                         handle="globex", hourly_rate=Decimal("90"))
        s.add_all([acme, globex])
        s.flush()
        for project in (acme, globex):
            for task in (dev, meet):
                s.add(ProjectTask(id=new_id("project_task"), project_id=project.id,
                                  task_id=task.id))
        mia = _user(s, "Mia Member", default_rate=Decimal("80"), cost_rate=Decimal("40"))
        olly = _user(s, "Olly Other")
        nia = _user(s, "Nia York", timezone="America/New_York")
        max_ = _user(s, "Max Manager", Role.MANAGER)
        for project, people in ((acme, (workspace.admin_id, mia.id, olly.id, nia.id)),
                                (globex, (workspace.admin_id, mia.id))):
            for person in people:
                s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                                    user_id=person))
        s.add(ManagerTeammate(manager_id=max_.id, teammate_id=mia.id))
        ids = SimpleNamespace(acme=acme.id, globex=globex.id, acme_client=acme_client.id,
                              globex_client=globex_client.id, dev=dev.id, meet=meet.id,
                              mia=mia.id, olly=olly.id, nia=nia.id, max=max_.id,
                              admin=workspace.admin_id)
    ids.ws = workspace
    ids.clock = clock
    return ids


@pytest.fixture
def admin(team: SimpleNamespace) -> Any:
    client = make_api(team.ws, clock=team.clock)
    yield client
    assert client.violations == [], client.violations


def _as(team: SimpleNamespace, user_id: str) -> Api:
    return make_api(team.ws, user_id=user_id, clock=team.clock)


def _log(api: Api, team: SimpleNamespace, **body: Any) -> dict[str, Any]:
    sent = {"project_id": team.acme, "task_id": team.dev, "spent_date": "2026-03-06",
            "hours": 1, **body}
    answer = api.post(PATH, json={k: v for k, v in sent.items() if v is not None})
    assert answer.status_code == 200, answer.text
    return answer.json()


def _row(team: SimpleNamespace, entry_id: str) -> TimeEntry | None:
    with team.ws.session(readonly=True) as s:
        entry = s.get(TimeEntry, entry_id)
        if entry is not None:
            s.expunge(entry)
        return entry


def _state(team: SimpleNamespace) -> list[tuple[Any, ...]]:
    """Every entry's stored values and the number of audit events: what a refusal leaves."""
    with team.ws.session(readonly=True) as s:
        rows = [(e.id, e.duration_seconds, e.is_running, e.notes, e.source, e.meta,
                 e.updated_at, e.timer_started_at)
                for e in s.exec(select(TimeEntry).order_by(TimeEntry.id)).all()]
        events = s.exec(select(func.count()).select_from(AuditEvent)).one()
    return [*rows, ("audit", events)]


def _error(answer: Any, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["code"] == code, body
    assert body["error"] and body["error_description"]
    if field is not None:
        assert body.get("field") == field, body
    return body


# --- the shape -----------------------------------------------------------------------------


def test_logging_hours_answers_the_v2_shape_and_saves_it(admin: Api, team: Any) -> None:
    entry = _log(admin, team, hours=1.5, notes="Code review", source="agent",
                 metadata={"agent_id": "review-bot", "tokens": 1200})
    assert entry == {
        "id": entry["id"], "user_id": team.admin, "project_id": team.acme,
        "task_id": team.dev, "user": {"id": team.admin, "name": "Ada Admin"},
        "project": {"id": team.acme, "name": "Acme Website"},
        "task": {"id": team.dev, "name": "Development"}, "spent_date": "2026-03-06",
        "hours": 1.5, "notes": "Code review", "is_running": False, "timer_started_at": None,
        "started_time": None, "ended_time": None, "is_locked": False, "is_closed": False,
        "is_billed": False, "billable": True, "budgeted": True, "billable_rate": 100,
        "cost_rate": None, "source": "agent",
        "metadata": {"agent_id": "review-bot", "tokens": 1200},
        "created_at": "2026-03-06T14:30:00Z", "updated_at": "2026-03-06T14:30:00Z",
    }
    assert entry["id"].startswith("te_")
    row = _row(team, entry["id"])
    assert row is not None
    assert (row.user_id, row.project_id, row.task_id, row.spent_date) == (
        team.admin, team.acme, team.dev, TODAY)
    assert (row.duration_seconds, row.is_billable, row.billable_rate, row.source) == (
        5400, True, Decimal("100"), "agent")
    assert row.meta == {"agent_id": "review-bot", "tokens": 1200}


def test_a_project_without_a_budget_is_not_budgeted_and_fractions_stay_exact(
        admin: Api, team: Any) -> None:
    entry = _log(admin, team, project_id=team.globex, hours=1.333333, billable=False)
    assert (entry["budgeted"], entry["billable"], entry["billable_rate"]) == (False, False, None)
    assert entry["hours"] == 1.333333
    row = _row(team, entry["id"])
    assert row is not None and row.duration_seconds == 4800 and row.is_billable is False


def test_clock_times_read_in_the_owners_timezone(admin: Api, team: Any) -> None:
    mine = _log(admin, team, hours=None, started_time="09:00", ended_time="10:30")
    assert (mine["hours"], mine["started_time"], mine["ended_time"]) == (1.5, "09:00", "10:30")
    theirs = _log(admin, team, hours=None, user_id=team.nia, started_time="23:00",
                  ended_time="01:00")
    assert (theirs["hours"], theirs["started_time"], theirs["ended_time"]) == (
        2, "23:00", "01:00")
    assert theirs["user"] == {"id": team.nia, "name": "Nia York"}
    row = _row(team, theirs["id"])
    assert row is not None
    # 23:00 in New York (EST, UTC-5) is 04:00 UTC the next day; the entry lasts 2 hours.
    assert row.started_at == datetime(2026, 3, 7, 4, 0, tzinfo=UTC)
    assert row.ended_at == datetime(2026, 3, 7, 6, 0, tzinfo=UTC)
    assert row.duration_seconds == 7200 and row.user_id == team.nia


def test_zero_hour_outcome_entries_are_logged_for_api_callers_only(
        admin: Api, team: Any) -> None:
    outcome = _log(admin, team, hours=0, source="agent", notes="ticket resolved",
                   metadata={"outcome_type": "ticket_resolved", "outcome_quantity": 1})
    assert (outcome["hours"], outcome["is_running"]) == (0, False)
    row = _row(team, outcome["id"])
    assert row is not None and row.duration_seconds == 0 and not row.is_running
    # The command line's rule is unchanged: no zero durations there.
    from keito_core.services.tracking.time_entries import log_time

    with team.ws.session() as s, pytest.raises(KeitoError, match="more than zero"):
        log_time(s, actor=team.ws.actor(s), project_ref=team.acme, task_ref=team.dev,
                 duration="0", source="cli", now=NOW)


# --- timers --------------------------------------------------------------------------------


def test_a_timer_runs_and_reads_its_hours_so_far(admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=None, is_running=True, notes="pairing")
    assert timer["is_running"] is True
    assert (timer["hours"], timer["timer_started_at"]) == (0, "2026-03-06T14:30:00Z")
    assert (timer["started_time"], timer["ended_time"]) == ("14:30", None)
    team.clock.advance(minutes=45)
    listed = admin.get(PATH, params={"is_running": "true"}).json()["time_entries"]
    assert [(e["id"], e["hours"]) for e in listed] == [(timer["id"], 0.75)]
    row = _row(team, timer["id"])
    assert row is not None and row.is_running and row.duration_seconds == 0


def test_a_timer_may_start_with_hours_zero_and_on_the_given_day(
        admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=0, is_running=True, spent_date="2026-03-05")
    assert (timer["is_running"], timer["spent_date"]) == (True, "2026-03-05")
    row = _row(team, timer["id"])
    assert row is not None and row.spent_date == date(2026, 3, 5)


def test_a_second_timer_is_refused_and_changes_nothing(admin: Api, team: Any) -> None:
    first = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(minutes=20)
    before = _state(team)
    answer = admin.post(PATH, json={"project_id": team.globex, "task_id": team.meet,
                                    "spent_date": "2026-03-06", "is_running": True})
    body = _error(answer, 409, "conflict", "timer")
    assert body["error"] == "conflict"
    assert body["error_description"] == "a timer is already running"
    assert "replace_running" in body["hint"]
    assert _state(team) == before
    row = _row(team, first["id"])
    assert row is not None and row.is_running


def test_replace_running_stops_the_running_timer_first(admin: Api, team: Any) -> None:
    first = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(minutes=30)
    second = _log(admin, team, hours=None, project_id=team.globex, is_running=True,
                  replace_running=True)
    assert second["is_running"] is True and second["id"] != first["id"]
    stopped = _row(team, first["id"])
    assert stopped is not None
    assert (stopped.is_running, stopped.duration_seconds) == (False, 1800)
    assert stopped.ended_at == NOW + timedelta(minutes=30)
    with team.ws.session(readonly=True) as s:
        running = s.exec(select(TimeEntry.id).where(TimeEntry.user_id == team.admin,
                                                    TimeEntry.is_running)).all()
    assert running == [second["id"]]


def test_stop_measures_the_time_and_takes_notes(admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(minutes=90)
    answer = admin.patch(f"{PATH}/{timer['id']}/stop", json={"notes": "Reviewed PR"})
    assert answer.status_code == 200, answer.text
    stopped = answer.json()
    assert (stopped["is_running"], stopped["hours"], stopped["notes"]) == (
        False, 1.5, "Reviewed PR")
    assert (stopped["started_time"], stopped["ended_time"]) == ("14:30", "16:00")
    row = _row(team, timer["id"])
    assert row is not None
    assert (row.is_running, row.duration_seconds, row.notes) == (False, 5400, "Reviewed PR")
    # A body is optional; an entry that is not running is a 400 that changes nothing.
    before = _state(team)
    again = admin.patch(f"{PATH}/{timer['id']}/stop")
    _error(again, 400, "validation_error", "id")
    assert _state(team) == before


def test_restart_resumes_the_same_entry_with_its_hours(admin: Api, team: Any) -> None:
    entry = _log(admin, team, hours=1)
    team.clock.advance(hours=1)
    answer = admin.patch(f"{PATH}/{entry['id']}/restart")
    assert answer.status_code == 200, answer.text
    resumed = answer.json()
    assert (resumed["id"], resumed["is_running"], resumed["hours"]) == (entry["id"], True, 1)
    team.clock.advance(minutes=30)
    assert admin.get(PATH).json()["time_entries"][0]["hours"] == 1.5
    stopped = admin.patch(f"{PATH}/{entry['id']}/stop").json()
    assert (stopped["is_running"], stopped["hours"]) == (False, 1.5)
    with team.ws.session(readonly=True) as s:
        assert s.exec(select(func.count()).select_from(TimeEntry)).one() == 1
        row = s.get(TimeEntry, entry["id"])
        assert row is not None and row.duration_seconds == 5400 and not row.is_running


def test_restart_while_another_timer_runs_needs_replace_running(
        admin: Api, team: Any) -> None:
    done = _log(admin, team, hours=2)
    timer = _log(admin, team, hours=None, project_id=team.globex, is_running=True)
    team.clock.advance(minutes=15)
    before = _state(team)
    refused = admin.patch(f"{PATH}/{done['id']}/restart", json={})
    _error(refused, 409, "conflict", "timer")
    assert _state(team) == before
    answer = admin.patch(f"{PATH}/{done['id']}/restart", json={"replace_running": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["is_running"] is True
    other = _row(team, timer["id"])
    assert other is not None and not other.is_running and other.duration_seconds == 900
    # Restarting the running entry itself is a conflict too.
    _error(admin.patch(f"{PATH}/{done['id']}/restart"), 409, "conflict")


# --- PATCH ---------------------------------------------------------------------------------


def test_patch_changes_only_what_it_is_given(admin: Api, team: Any) -> None:
    entry = _log(admin, team, hours=1, notes="first", metadata={"a": 1})
    team.clock.advance(minutes=5)
    answer = admin.patch(f"{PATH}/{entry['id']}", json={"notes": "second",
                                                        "task_id": team.meet})
    assert answer.status_code == 200, answer.text
    changed = answer.json()
    assert (changed["notes"], changed["task"], changed["hours"], changed["metadata"]) == (
        "second", {"id": team.meet, "name": "Meetings"}, 1, {"a": 1})
    assert changed["updated_at"] == "2026-03-06T14:35:00Z"
    row = _row(team, entry["id"])
    assert row is not None and (row.notes, row.task_id, row.duration_seconds) == (
        "second", team.meet, 3600)
    cleared = admin.patch(f"{PATH}/{entry['id']}", json={"notes": None, "hours": 0.25,
                                                         "spent_date": "2026-03-04"}).json()
    assert (cleared["notes"], cleared["hours"], cleared["spent_date"]) == (
        None, 0.25, "2026-03-04")


def test_patch_merges_metadata_and_null_clears_it(admin: Api, team: Any) -> None:
    entry = _log(admin, team, metadata={"agent_id": "bot", "run": 1, "tmp": True,
                                        "model": {"provider": "anthropic", "name": "opus"}})
    merged = admin.patch(f"{PATH}/{entry['id']}", json={"metadata": {
        "run": 2, "tmp": None, "model": {"tokens_out": 300, "name": "sonnet"},
        "quality": {"confidence": 0.9}}}).json()
    expected = {"agent_id": "bot", "run": 2, "quality": {"confidence": 0.9},
                "model": {"provider": "anthropic", "name": "sonnet", "tokens_out": 300}}
    assert merged["metadata"] == expected
    row = _row(team, entry["id"])
    assert row is not None and row.meta == expected
    replaced = admin.patch(f"{PATH}/{entry['id']}", json={"metadata": {"model": "opus"}})
    assert replaced.json()["metadata"]["model"] == "opus"
    cleared = admin.patch(f"{PATH}/{entry['id']}", json={"metadata": None}).json()
    assert cleared["metadata"] is None
    row = _row(team, entry["id"])
    assert row is not None and row.meta == {}


def test_patch_hours_on_a_running_entry_stops_it_with_that_total(
        admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(minutes=10)
    stopped = admin.patch(f"{PATH}/{timer['id']}", json={"hours": 1.5, "notes": "done"}).json()
    assert (stopped["is_running"], stopped["hours"], stopped["notes"]) == (False, 1.5, "done")
    row = _row(team, timer["id"])
    assert row is not None and (row.is_running, row.duration_seconds) == (False, 5400)


def test_patch_ended_time_on_a_running_entry_stops_it_then(admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(hours=2)
    stopped = admin.patch(f"{PATH}/{timer['id']}", json={"ended_time": "15:15"}).json()
    assert (stopped["is_running"], stopped["hours"], stopped["ended_time"]) == (
        False, 0.75, "15:15")
    row = _row(team, timer["id"])
    assert row is not None and row.duration_seconds == 2700
    assert row.ended_at == datetime(2026, 3, 6, 15, 15, tzinfo=UTC)


def test_patch_is_running_false_stops_and_true_points_at_restart(
        admin: Api, team: Any) -> None:
    timer = _log(admin, team, hours=None, is_running=True)
    team.clock.advance(minutes=6)
    stopped = admin.patch(f"{PATH}/{timer['id']}", json={"is_running": False}).json()
    assert (stopped["is_running"], stopped["hours"]) == (False, 0.1)
    body = _error(admin.patch(f"{PATH}/{timer['id']}", json={"is_running": True}), 400,
                  "validation_error", "is_running")
    assert "restart" in body["hint"]


def test_source_never_changes(admin: Api, team: Any) -> None:
    entry = _log(admin, team, source="cli")
    before = _state(team)
    body = _error(admin.patch(f"{PATH}/{entry['id']}", json={"source": "agent", "notes": "x"}),
                  400, "validation_error", "source")
    assert "cannot change" in body["error_description"]
    assert _state(team) == before
    same = admin.patch(f"{PATH}/{entry['id']}", json={"source": "cli", "notes": "x"})
    assert same.status_code == 200 and same.json()["source"] == "cli"


# --- sources -------------------------------------------------------------------------------


def test_tui_reads_as_web_and_calendar_and_desktop_are_kept(admin: Api, team: Any) -> None:
    from keito_core.services.tracking.time_entries import log_time

    with team.ws.session() as s:
        tui_id = log_time(s, actor=team.ws.actor(s), project_ref=team.acme, task_ref=team.dev,
                          duration="1", source="tui", now=NOW).id
    calendar = _log(admin, team, source="calendar", metadata={"event": "standup"})
    desktop = _log(admin, team, source="desktop")
    api = _log(admin, team)
    web = _log(admin, team, source="web")
    assert (calendar["source"], calendar["metadata"]) == ("calendar", {"event": "standup"})
    assert (desktop["source"], desktop["metadata"]) == ("desktop", None)
    assert api["source"] == "api"
    row = _row(team, calendar["id"])
    assert row is not None
    assert (row.source, row.meta) == ("api", {"event": "standup", "api_source": "calendar"})

    def ids(source: str) -> set[str]:
        answer = admin.get(PATH, params={"source": source}, check_request="," not in source)
        assert answer.status_code == 200
        return {e["id"] for e in answer.json()["time_entries"]}

    assert ids("web") == {tui_id, web["id"]}
    assert ids("calendar") == {calendar["id"]}
    assert ids("desktop") == {desktop["id"]}
    assert ids("api") == {api["id"]}
    assert ids("calendar,desktop") == {calendar["id"], desktop["id"]}
    listed = {e["id"]: e["source"] for e in admin.get(PATH).json()["time_entries"]}
    assert listed[tui_id] == "web"

    # The marker survives a metadata merge and a clear; clients may not set it themselves.
    merged = admin.patch(f"{PATH}/{calendar['id']}", json={"metadata": {"b": 2}}).json()
    assert (merged["source"], merged["metadata"]) == ("calendar", {"event": "standup", "b": 2})
    cleared = admin.patch(f"{PATH}/{calendar['id']}", json={"metadata": None}).json()
    assert (cleared["source"], cleared["metadata"]) == ("calendar", None)
    row = _row(team, calendar["id"])
    assert row is not None and row.meta == {"api_source": "calendar"}
    _error(admin.post(PATH, json={"project_id": team.acme, "task_id": team.dev,
                                  "spent_date": "2026-03-06", "hours": 1,
                                  "metadata": {"api_source": "desktop"}}),
           400, "validation_error", "metadata")


# --- delete and locking --------------------------------------------------------------------


def test_delete_answers_204_and_removes_the_entry(admin: Api, team: Any) -> None:
    entry = _log(admin, team)
    answer = admin.delete(f"{PATH}/{entry['id']}")
    assert answer.status_code == 204 and answer.content == b""
    assert _row(team, entry["id"]) is None
    _error(admin.delete(f"{PATH}/{entry['id']}"), 404, "not_found", "id")


def _approve(team: Any, entry_id: str) -> None:
    with team.ws.session() as s:
        row = s.get(TimeEntry, entry_id)
        assert row is not None
        row.approval_status = ApprovalStatus.APPROVED
        s.add(row)


def test_approved_entries_are_closed_locked_and_kept(admin: Api, team: Any) -> None:
    entry = _log(admin, team, notes="approved work")
    _approve(team, entry["id"])
    shown = admin.get(PATH).json()["time_entries"][0]
    assert (shown["is_locked"], shown["is_closed"], shown["is_billed"]) == (True, True, False)
    before = _state(team)
    body = _error(admin.delete(f"{PATH}/{entry['id']}"), 409, "locked")
    assert "approved" in body["error_description"]
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"notes": "changed"}), 403, "locked")
    _error(admin.patch(f"{PATH}/{entry['id']}/restart"), 409, "locked")
    assert _state(team) == before


def test_submitted_entries_are_closed_while_approvals_are_on(admin: Api, team: Any) -> None:
    entry = _log(admin, team)
    with team.ws.session() as s:
        row = s.get(TimeEntry, entry["id"])
        assert row is not None
        row.approval_status = ApprovalStatus.SUBMITTED
        workspace = s.exec(select(Workspace)).one()
        workspace.feature_approvals = True
        s.add_all([row, workspace])
    shown = admin.get(PATH).json()["time_entries"][0]
    assert (shown["is_locked"], shown["is_closed"]) == (True, True)


def _invoice(team: Any, entry_id: str) -> None:
    with team.ws.session() as s:
        invoice = Invoice(id=new_id("invoice"), client_id=team.acme_client, number="INV-1",
                          issue_date=TODAY, due_date=TODAY, currency="GBP",
                          portal_token=new_id("invoice"))
        s.add(invoice)
        s.flush()
        row = s.get(TimeEntry, entry_id)
        assert row is not None
        row.invoice_id = invoice.id
        s.add(row)


# --- errors --------------------------------------------------------------------------------


#: A body member the case leaves out.
DROP = object()


@pytest.mark.parametrize(("body", "field"), [
    ({"hours": "1.5"}, "hours"),
    ({"hours": True}, "hours"),
    ({"hours": 25}, "hours"),
    ({"hours": -1}, "hours"),
    ({"billable": "yes"}, "billable"),
    ({"is_running": 1}, "is_running"),
    ({"replace_running": "true"}, "replace_running"),
    ({"notes": 5}, "notes"),
    ({"user_id": 7}, "user_id"),
    ({"spent_date": "06/03/2026"}, "spent_date"),
    ({"spent_date": DROP}, "spent_date"),
    ({"project_id": DROP}, "project_id"),
    ({"project_id": 12}, "project_id"),
    ({"task_id": DROP}, "task_id"),
    ({"metadata": ["a"]}, "metadata"),
    ({"metadata": "{}"}, "metadata"),
    ({"source": "tui"}, "source"),
    ({"started_time": "09:00", "ended_time": "25:00", "hours": DROP}, "ended_time"),
    ({"started_time": "09:00", "hours": DROP}, "ended_time"),
    ({"started_time": "09:00", "ended_time": "10:00"}, "hours"),
    ({"hours": DROP}, "hours"),
    ({"hours": 1, "is_running": True}, "hours"),
    ({"hours": DROP, "is_running": True, "started_time": "09:00"}, "started_time"),
])
def test_bad_requests_are_400_with_the_field_and_change_nothing(
        team: Any, body: dict[str, Any], field: str) -> None:
    api = make_api(team.ws, clock=team.clock)
    before = _state(team)
    sent = {"project_id": team.acme, "task_id": team.dev, "spent_date": "2026-03-06",
            "hours": 1, **body}
    answer = api.post(PATH, json={k: v for k, v in sent.items() if v is not DROP},
                      check_request=False)
    _error(answer, 400, "validation_error", field)
    assert _state(team) == before


def test_metadata_over_4_kb_is_refused(admin: Api, team: Any) -> None:
    before = _state(team)
    answer = admin.post(PATH, json={"project_id": team.acme, "task_id": team.dev,
                                    "spent_date": "2026-03-06", "hours": 1,
                                    "metadata": {"blob": "x" * 4100}})
    body = _error(answer, 400, "metadata_too_large", "metadata")
    assert body["error"] == "bad request" and "4096" in body["error_description"]
    assert _state(team) == before
    entry = _log(admin, team)
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"metadata": {"blob": "x" * 4100}}),
           400, "metadata_too_large", "metadata")


def test_unknown_project_task_user_and_entry_are_404(admin: Api, team: Any) -> None:
    before = _state(team)
    base = {"project_id": team.acme, "task_id": team.dev, "spent_date": "2026-03-06",
            "hours": 1}
    _error(admin.post(PATH, json={**base, "project_id": "prj_nope"}), 404, "not_found",
           "project_id")
    _error(admin.post(PATH, json={**base, "task_id": "tsk_nope"}), 404, "not_found", "task_id")
    _error(admin.post(PATH, json={**base, "user_id": "usr_nope"}), 404, "not_found", "user_id")
    for method, suffix in (("PATCH", ""), ("DELETE", ""), ("PATCH", "/stop"),
                           ("PATCH", "/restart")):
        answer = admin.request(method, f"{PATH}/te_nope{suffix}",
                               **({"json": {}} if method == "PATCH" else {}))
        _error(answer, 404, "not_found", "id")
    assert _state(team) == before


def test_a_task_not_on_the_project_is_400(admin: Api, team: Any) -> None:
    with team.ws.session() as s:
        other = Task(id=new_id("task"), name="Research", handle="research")
        s.add(other)
        other_id = other.id
    _error(admin.post(PATH, json={"project_id": team.acme, "task_id": other_id,
                                  "spent_date": "2026-03-06", "hours": 1}),
           400, "validation_error", "task_id")


# --- roles ---------------------------------------------------------------------------------


def test_members_see_and_write_only_their_own(admin: Api, team: Any) -> None:
    ada = _log(admin, team)
    olly = _log(admin, team, user_id=team.olly)
    mia = _as(team, team.mia)
    mine = _log(mia, team, hours=2)
    assert mine["user"] == {"id": team.mia, "name": "Mia Member"}
    # A member sees no rates, not even their own entry's.
    assert (mine["billable_rate"], mine["cost_rate"]) == (None, None)
    row = _row(team, mine["id"])
    assert row is not None and (row.billable_rate, row.cost_rate) == (Decimal("100"),
                                                                      Decimal("40"))
    page = mia.get(PATH).json()
    assert [e["id"] for e in page["time_entries"]] == [mine["id"]]
    assert page["total_entries"] == 1
    assert mia.get(PATH, params={"user_id": team.admin}).json()["time_entries"] == []
    before = _state(team)
    for entry in (ada, olly):
        _error(mia.patch(f"{PATH}/{entry['id']}", json={"notes": "mine now"}), 404,
               "not_found", "id")
        _error(mia.delete(f"{PATH}/{entry['id']}"), 404, "not_found", "id")
        _error(mia.patch(f"{PATH}/{entry['id']}/stop"), 404, "not_found", "id")
        _error(mia.patch(f"{PATH}/{entry['id']}/restart"), 404, "not_found", "id")
    _error(mia.post(PATH, json={"project_id": team.acme, "task_id": team.dev,
                                "spent_date": "2026-03-06", "hours": 1,
                                "user_id": team.olly}), 403, "authorization_error")
    assert _state(team) == before
    assert mia.violations == []
    # The administrator sees every entry, with the rates.
    everyone = admin.get(PATH).json()
    assert everyone["total_entries"] == 3
    assert {e["id"]: e["cost_rate"] for e in everyone["time_entries"]}[mine["id"]] == 40


def test_managers_see_teammates_and_need_permission_to_edit_them(
        admin: Api, team: Any) -> None:
    mias = _log(admin, team, user_id=team.mia)
    ollys = _log(admin, team, user_id=team.olly)
    max_ = _as(team, team.max)
    seen = {e["id"] for e in max_.get(PATH).json()["time_entries"]}
    assert seen == {mias["id"]}
    before = _state(team)
    _error(max_.patch(f"{PATH}/{mias['id']}", json={"notes": "x"}), 403,
           "authorization_error")
    _error(max_.delete(f"{PATH}/{mias['id']}"), 403, "authorization_error")
    _error(max_.patch(f"{PATH}/{ollys['id']}", json={"notes": "x"}), 404, "not_found")
    _error(max_.post(PATH, json={"project_id": team.acme, "task_id": team.dev,
                                 "spent_date": "2026-03-06", "hours": 1,
                                 "user_id": team.mia}), 403, "authorization_error")
    assert _state(team) == before
    with team.ws.session() as s:
        manager = s.get(User, team.max)
        assert manager is not None
        manager.manager_permissions = [ManagerPermission.EDIT_TEAM_ENTRIES.value]
        s.add(manager)
    max_ = _as(team, team.max)
    edited = max_.patch(f"{PATH}/{mias['id']}", json={"notes": "fixed"})
    assert edited.status_code == 200 and edited.json()["notes"] == "fixed"
    made = _log(max_, team, user_id=team.mia, hours=0.5)
    assert made["user_id"] == team.mia
    assert max_.delete(f"{PATH}/{made['id']}").status_code == 204
    assert max_.violations == []


def test_managers_see_the_entries_of_projects_they_manage(admin: Api, team: Any) -> None:
    ollys = _log(admin, team, user_id=team.olly)
    with team.ws.session() as s:
        s.add(ProjectMember(id=new_id("project_member"), project_id=team.acme,
                            user_id=team.max, is_project_manager=True))
    max_ = _as(team, team.max)
    assert {e["id"] for e in max_.get(PATH).json()["time_entries"]} == {ollys["id"]}


# --- lists ---------------------------------------------------------------------------------


def test_pages_walk_every_entry_newest_first_with_links(admin: Api, team: Any) -> None:
    made = []
    for n, day in enumerate(["2026-03-02", "2026-03-05", "2026-03-03", "2026-03-05",
                             "2026-03-04", "2026-03-01", "2026-03-05"]):
        made.append((day, n, _log(admin, team, spent_date=day, notes=f"n{n}")["id"]))
        team.clock.advance(seconds=1)
    expected = [entry for _, _, entry in sorted(made, key=lambda m: (m[0], m[1]),
                                                reverse=True)]
    seen: list[str] = []
    for number in (1, 2, 3):
        answer = admin.get(PATH, params={"per_page": 3, "page": number, "project_id":
                                         team.acme})
        assert answer.status_code == 200
        page = answer.json()
        assert (page["per_page"], page["total_pages"], page["total_entries"], page["page"]) == (
            3, 3, 7, number)
        assert page["next_page"] == (number + 1 if number < 3 else None)
        assert page["previous_page"] == (number - 1 if number > 1 else None)
        links = page["links"]
        base = f"http://localhost:3000{PATH}?per_page=3&project_id={team.acme}"
        assert links["first"] == f"{base}&page=1"
        assert links["last"] == f"{base}&page=3"
        assert links["next"] == (f"{base}&page={number + 1}" if number < 3 else None)
        assert links["previous"] == (f"{base}&page={number - 1}" if number > 1 else None)
        seen.extend(e["id"] for e in page["time_entries"])
    assert seen == expected
    beyond = admin.get(PATH, params={"per_page": 3, "page": 4}).json()
    assert (beyond["time_entries"], beyond["total_entries"]) == ([], 7)
    default = admin.get(PATH).json()
    assert (default["per_page"], default["total_pages"], len(default["time_entries"])) == (
        100, 1, 7)


def test_every_filter(admin: Api, team: Any) -> None:
    a = _log(admin, team, spent_date="2026-03-02")
    b = _log(admin, team, spent_date="2026-03-04", task_id=team.meet, source="agent")
    team.clock.advance(hours=1)
    c = _log(admin, team, spent_date="2026-03-05", project_id=team.globex, user_id=team.mia,
             source="cli")
    d = _log(admin, team, hours=None, is_running=True, user_id=team.olly)
    _invoice(team, a["id"])

    def ids(**params: Any) -> set[str]:
        answer = admin.get(PATH, params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["total_entries"] == len(body["time_entries"])
        return {e["id"] for e in body["time_entries"]}

    assert ids() == {a["id"], b["id"], c["id"], d["id"]}
    assert ids(user_id=team.mia) == {c["id"]}
    assert ids(user_id=team.admin) == {a["id"], b["id"]}
    assert ids(client_id=team.globex_client) == {c["id"]}
    assert ids(client_id=team.acme_client) == {a["id"], b["id"], d["id"]}
    assert ids(project_id=team.globex) == {c["id"]}
    assert ids(task_id=team.meet) == {b["id"]}
    assert ids(is_billed="true") == {a["id"]}
    assert ids(is_billed="false") == {b["id"], c["id"], d["id"]}
    assert ids(is_running="true") == {d["id"]}
    assert ids(is_running="false") == {a["id"], b["id"], c["id"]}
    assert ids(**{"from": "2026-03-04"}) == {b["id"], c["id"], d["id"]}
    assert ids(to="2026-03-04") == {a["id"], b["id"]}
    assert ids(**{"from": "2026-03-03", "to": "2026-03-05"}) == {b["id"], c["id"]}
    assert ids(updated_since="2026-03-06T15:00:00Z") == {c["id"], d["id"]}
    assert ids(source="agent") == {b["id"]}
    assert ids(source="cli", user_id=team.mia) == {c["id"]}
    assert ids(project_id="prj_nope") == set()
    both = admin.get(PATH, params={"source": "agent,cli"}, check_request=False).json()
    assert {e["id"] for e in both["time_entries"]} == {b["id"], c["id"]}
    billed = admin.get(PATH, params={"is_billed": "true"}).json()["time_entries"][0]
    assert (billed["is_billed"], billed["is_locked"], billed["is_closed"]) == (True, True, False)


def test_bad_filters_are_400(team: Any) -> None:
    api = make_api(team.ws, clock=team.clock)
    for params, field in (({"from": "yesterday"}, "from"), ({"is_running": "maybe"},
                                                            "is_running"),
                          ({"updated_since": "2026-03-06"}, "updated_since"),
                          ({"source": "tui"}, "source"), ({"per_page": "0"}, "per_page"),
                          ({"page": "x"}, "page")):
        answer = api.get(PATH, params=params, check_request=False)
        _error(answer, 400, "validation_error", field)


def test_a_non_billable_project_logs_non_billable_time(admin: Api, team: Any) -> None:
    with team.ws.session() as s:
        internal = Project(id=new_id("project"), client_id=team.acme_client, name="Internal",
                           handle="internal", project_type=ProjectType.NON_BILLABLE)
        s.add(internal)
        s.flush()
        s.add(ProjectTask(id=new_id("project_task"), project_id=internal.id, task_id=team.dev))
        s.add(ProjectMember(id=new_id("project_member"), project_id=internal.id,
                            user_id=team.admin))
        internal_id = internal.id
    entry = _log(admin, team, project_id=internal_id, billable=True)
    assert (entry["billable"], entry["billable_rate"]) == (False, None)


def test_an_entry_without_a_task_reads_an_empty_task(admin: Api, team: Any) -> None:
    from keito_core.services.tracking.time_entries import log_time

    with team.ws.session() as s:
        entry_id = log_time(s, actor=team.ws.actor(s), project_ref=team.acme, duration="1",
                            source="cli", now=NOW).id
    shown = admin.get(PATH).json()["time_entries"][0]
    assert (shown["id"], shown["task_id"], shown["task"]) == (
        entry_id, "", {"id": "", "name": None})
    given = admin.patch(f"{PATH}/{entry_id}", json={"task_id": team.meet}).json()
    assert given["task"] == {"id": team.meet, "name": "Meetings"}
    removed = admin.patch(f"{PATH}/{entry_id}", json={"task_id": ""}).json()
    assert removed["task_id"] == ""
    row = _row(team, entry_id)
    assert row is not None and row.task_id is None


def test_patch_refuses_what_an_entry_cannot_take(admin: Api, team: Any) -> None:
    entry = _log(admin, team)
    timer = _log(admin, team, hours=None, is_running=True)
    before = _state(team)
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"project_id": team.globex}), 400,
           "validation_error", "project_id")
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"hours": "2"}, check_request=False),
           400, "validation_error", "hours")
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"spent_date": "tomorrow"},
                       check_request=False), 400, "validation_error", "spent_date")
    _error(admin.patch(f"{PATH}/{entry['id']}", json={"task_id": "tsk_nope"}), 404,
           "not_found", "task_id")
    _error(admin.patch(f"{PATH}/{timer['id']}", json={"started_time": "09:00"}), 400,
           "validation_error", "started_time")
    _error(admin.patch(f"{PATH}/{timer['id']}", json={"hours": 1, "ended_time": "15:00"}),
           400, "validation_error", "hours")
    assert _state(team) == before
    # The same project is no change.
    same = admin.patch(f"{PATH}/{entry['id']}", json={"project_id": team.acme})
    assert same.status_code == 200
