"""The official Keito command-line client's requests, replayed against `keito serve`'s app.

What was read (published source; facts, not code, carried over):

- osodevops/keito-cli, the Rust crate `keito-cli` 0.1.7 (tag v0.1.7, 9914a19, June 2026; its
  src/ is unchanged at the branch head read, 105fda1): src/api/client.rs (every request),
  src/api/models.rs (the bodies it sends and the fields it parses), src/commands/time.rs and
  src/cli/time.rs (each command), src/config/file.rs and src/config/auth.rs (KEITO_API_URL,
  KEITO_API_KEY, KEITO_ACCOUNT_ID), src/types.rs (name resolution), src/api/error.rs (how
  statuses become exit codes), and docs/production-task-plan.md (what is not implemented yet).
- The reference's CLI pages (../shared/reference/keito-docs.md, "CLI: ..."). They name the
  npm package `@keito/cli`; it is not on the npm registry (nor `@keito/sdk`): the client is
  distributed as a Rust binary (Homebrew tap, release installers, cargo), so no test here runs
  it, and this replay stands in for it.

What it sends (base URL: KEITO_API_URL, else https://app.keito.ai). Every request carries
`Authorization: Bearer <KEITO_API_KEY>` and `Keito-Account-Id: <KEITO_ACCOUNT_ID>`; bodies are
JSON (`Content-Type: application/json`), optional fields left out when not given; a 5xx or a
failed connection is retried twice, nothing else is:

- Projects and tasks are named by ID, name or code (case-insensitive), resolved on the client
  from `GET /api/v2/projects?is_active=true&per_page=200` and
  `GET /api/v2/tasks?is_active=true&per_page=200`.
- `time start --project P --task T [--notes N] [--billable B]`:
  `GET /api/v2/time_entries?is_running=true&per_page=200` (any entry: "already running", exit
  3, nothing sent), the two look-ups, then `POST /api/v2/time_entries` with `project_id`,
  `task_id`, `spent_date` (the local date), `notes`, `billable`, `is_running: true`,
  `source: "cli"`. A 409 is a conflict (exit 3).
- `time status` (the client's subcommand is `time running`; the reference calls it status):
  `GET /api/v2/time_entries?is_running=true&per_page=200`; it shows each entry's project and
  task names, `spent_date`, `billable`, `source` and the time since `timer_started_at`.
- `time stop [--notes N] [--discard]`: the same GET; none: "No running timer found" (exit 4).
  Otherwise the first entry listed is stopped with `PATCH /api/v2/time_entries/{id}/stop`,
  body `{"notes": N}` with --notes and no body at all without (the server measures the
  duration), or deleted with `DELETE /api/v2/time_entries/{id}` with --discard. (Only when the
  stop path answers 404 with an HTML page, a server without it, does the client fall back to
  POSTing a finished copy and deleting the timer.)
- `time log --project P --task T --duration 1.5 [--date D] [--notes N] [--billable B]
  [--source S] [--metadata JSON] [--agent-id A] [--session-id S] [--agent-type K] [--skill K]`:
  the two look-ups, then `POST /api/v2/time_entries` with `project_id`, `task_id`,
  `spent_date`, `hours` (decimal; 1:30 is sent as 1.5), `notes`, `billable`,
  `is_running: false`, `started_time`/`ended_time` if given, `source` (default `cli`), and
  `metadata` (the JSON object with the agent flags merged in; at most 4 KB). The reference
  spells the flag `--hours`; the client's is `--duration` (or `--duration-seconds`).
- `time list [--from D] [--to D | --today] [--project P] [--task T] [--source S] [--limit 50]
  [--page 1]`: `GET /api/v2/time_entries?per_page=50&page=1&from=D&to=D&source=S&project_id=..&
  task_id=..` in that order (look-ups first for --project and --task).
- `expense log` and `expense list` are documented by the reference but not in the client yet
  (its plan, docs/production-task-plan.md P1.1, lists them as missing). They are replayed here
  as the reference documents their flags and as the client builds its time requests:
  `expense log --project P --category C --quantity 45 | --total 12.5 [--notes N] [--date D]
  [--source S]` as `POST /api/v2/expenses` with `project_id`, `expense_category_id` (the spec
  has no category list to resolve a name, so an ID), `spent_date`, `units` or `total_cost`,
  `notes`, `source`; `expense list [--project P] [--source S]` as `GET /api/v2/expenses?
  per_page=50&page=1&from=TODAY&to=TODAY[&project_id=..][&source=..]`.

What it reads: the list envelopes by their keys (`time_entries`, `projects`, `tasks`), each
record parsed strictly (serde): a field that is not optional in its model must not be null
(`billable`, `is_running` and the other flags; the `name` of a `{id, name}` reference), dates
are YYYY-MM-DD, instants RFC 3339 with an offset. `CLI_MODELS` below are those shapes, and
every answer here is checked against them as well as against the spec (by tests/serving.py).

The agent runs the client with its own key (the reference's advice for CI); the same session
runs once more with the administrator's key. The app's clock is the test's, so a timer runs
for exactly as long as the test says.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from serving import Api, make_api

NOW = datetime(2026, 3, 6, 9, 15, tzinfo=UTC)  # Europe/London is on UTC in early March
TODAY = date(2026, 3, 6)

#: How the client parses each record: field -> kind. "id"/"str": a string, required;
#: "str?", "num?", "date?", "instant?", "ref?", "obj?": that or null or absent; "bool": absent
#: or a boolean (never null); "count?": a whole number >= 0 or null or absent.
CLI_MODELS: dict[str, dict[str, str]] = {
    "time_entry": {
        "id": "str", "user": "ref?", "project": "ref?", "task": "ref?", "user_id": "str?",
        "project_id": "str?", "task_id": "str?", "spent_date": "date?", "hours": "num?",
        "notes": "str?", "billable": "bool", "is_running": "bool",
        "timer_started_at": "instant?", "started_time": "str?", "ended_time": "str?",
        "is_locked": "bool", "is_closed": "bool", "is_billed": "bool", "budgeted": "bool",
        "billable_rate": "num?", "cost_rate": "num?", "source": "str?", "metadata": "any",
        "created_at": "instant?", "updated_at": "instant?",
    },
    "project": {
        "id": "str", "client": "ref?", "name": "str", "code": "str?", "is_active": "bool",
        "is_billable": "bool", "is_fixed_fee": "bool", "bill_by": "str?",
        "hourly_rate": "num?", "fee": "num?", "budget_by": "str?", "budget": "num?",
        "notes": "str?",
    },
    "task": {
        "id": "str", "name": "str", "is_active": "bool", "billable_by_default": "bool",
        "default_hourly_rate": "num?", "is_default": "bool", "parent_task_id": "str?",
    },
    "envelope": {
        "per_page": "count?", "total_pages": "count?", "total_entries": "count?",
        "page": "count?", "links": "links?",
    },
    "error": {"error": "str?", "error_description": "str?", "message": "str?"},
}


def _kind_holds(kind: str, value: Any) -> bool:
    if kind == "any":
        return True
    optional = kind.endswith("?")
    if value is None:
        return optional
    base = kind.rstrip("?")
    if base == "str":
        return isinstance(value, str)
    if base == "bool":
        return isinstance(value, bool)
    if base == "num":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if base == "count":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0
    if base == "date":
        try:
            date.fromisoformat(value)
        except (TypeError, ValueError):
            return False
        return len(value) == 10
    if base == "instant":
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except (AttributeError, ValueError):
            return False
        return moment.tzinfo is not None and "T" in value
    if base == "ref":
        return (isinstance(value, dict) and isinstance(value.get("id"), str)
                and isinstance(value.get("name"), str))
    if base == "links":
        return (isinstance(value, dict) and isinstance(value.get("first"), str)
                and isinstance(value.get("last"), str)
                and all(value.get(k) is None or isinstance(value[k], str)
                        for k in ("next", "previous")))
    raise AssertionError(f"unknown kind {kind}")


def cli_parses(model: str, record: Any) -> None:
    """Assert that the official client's model `model` parses `record`."""
    assert isinstance(record, dict), f"{model}: not an object: {record!r}"
    for name, kind in CLI_MODELS[model].items():
        if name not in record:
            assert kind != "str", f"{model}: {name} is required by the client"
            continue
        assert _kind_holds(kind, record[name]), (
            f"{model}.{name} = {record[name]!r}: the client reads it as {kind}")


def _listing(answer: Any, key: str, model: str) -> list[dict[str, Any]]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    cli_parses("envelope", body)
    assert isinstance(body.get(key), list), f"no {key} array: {body}"
    for record in body[key]:
        cli_parses(model, record)
    return body[key]


def _resolve(query: str, items: list[tuple[str, str, str | None]]) -> str:
    """A project or task named as the client names it: ID, then name, then code."""
    lowered = query.lower()
    for item_id, _, _ in items:
        if item_id == query:
            return item_id
    for item_id, name, _ in items:
        if name.lower() == lowered:
            return item_id
    for item_id, _, code in items:
        if code is not None and code.lower() == lowered:
            return item_id
    raise AssertionError(f"{query!r} not found among {[name for _, name, _ in items]}")


class OfficialCli:
    """The requests of `keito` (osodevops/keito-cli 0.1.7) for each documented command."""

    RUNNING = "/api/v2/time_entries?is_running=true&per_page=200"

    def __init__(self, api: Api, today: date) -> None:
        self.api = api
        self.today = today

    # -- look-ups ---------------------------------------------------------------------------

    def project_id(self, query: str) -> str:
        projects = _listing(self.api.get("/api/v2/projects?is_active=true&per_page=200"),
                            "projects", "project")
        return _resolve(query, [(p["id"], p["name"], p.get("code")) for p in projects])

    def task_id(self, query: str) -> str:
        tasks = _listing(self.api.get("/api/v2/tasks?is_active=true&per_page=200"),
                         "tasks", "task")
        return _resolve(query, [(t["id"], t["name"], None) for t in tasks])

    # -- time -------------------------------------------------------------------------------

    def time_status(self) -> list[dict[str, Any]]:
        return _listing(self.api.get(self.RUNNING), "time_entries", "time_entry")

    def time_start(self, *, project: str, task: str, notes: str | None = None,
                   billable: bool | None = None) -> Any:
        """The POST's answer, or None when the client's own check finds a running timer."""
        if self.time_status():
            return None
        body: dict[str, Any] = {"project_id": self.project_id(project),
                                "task_id": self.task_id(task),
                                "spent_date": self.today.isoformat()}
        if notes is not None:
            body["notes"] = notes
        if billable is not None:
            body["billable"] = billable
        body.update(is_running=True, source="cli")
        return self.api.post("/api/v2/time_entries", json=body)

    def time_stop(self, *, notes: str | None = None, discard: bool = False) -> Any:
        """The PATCH's (or DELETE's) answer, or None when nothing runs."""
        running = self.time_status()
        if not running:
            return None
        timer = running[0]
        if discard:
            return self.api.delete(f"/api/v2/time_entries/{timer['id']}")
        path = f"/api/v2/time_entries/{timer['id']}/stop"
        if notes is None:
            return self.api.patch(path)
        return self.api.patch(path, json={"notes": notes})

    def time_log(self, *, project: str, task: str, duration: float, day: date | None = None,
                 notes: str | None = None, billable: bool | None = None, source: str = "cli",
                 metadata: dict[str, Any] | None = None, agent_id: str | None = None,
                 session_id: str | None = None) -> Any:
        meta = dict(metadata or {})
        for key, value in (("session_id", session_id), ("agent_id", agent_id)):
            if value:
                meta[key] = value
        body: dict[str, Any] = {"project_id": self.project_id(project),
                                "task_id": self.task_id(task),
                                "spent_date": (day or self.today).isoformat(),
                                "hours": duration}
        if notes is not None:
            body["notes"] = notes
        if billable is not None:
            body["billable"] = billable
        body.update(is_running=False, source=source)
        if meta:
            body["metadata"] = meta
        return self.api.post("/api/v2/time_entries", json=body)

    def time_list(self, *, date_from: date | None = None, date_to: date | None = None,
                  today: bool = False, project: str | None = None, task: str | None = None,
                  source: str | None = None, limit: int = 50, page: int = 1) -> Any:
        params = [f"per_page={limit}", f"page={page}"]
        if today:
            date_from = date_to = self.today
        if date_from is not None:
            params.append(f"from={date_from.isoformat()}")
        if date_to is not None:
            params.append(f"to={date_to.isoformat()}")
        if source is not None:
            params.append(f"source={source}")
        if project is not None:
            params.append(f"project_id={self.project_id(project)}")
        if task is not None:
            params.append(f"task_id={self.task_id(task)}")
        return self.api.get("/api/v2/time_entries?" + "&".join(params))

    # -- expenses (as the reference documents them) -------------------------------------------

    def expense_log(self, *, project: str, category_id: str, quantity: int | None = None,
                    total: float | None = None, notes: str | None = None,
                    day: date | None = None, source: str = "cli") -> Any:
        body: dict[str, Any] = {"project_id": self.project_id(project),
                                "expense_category_id": category_id,
                                "spent_date": (day or self.today).isoformat()}
        if quantity is not None:
            body["units"] = quantity
        if total is not None:
            body["total_cost"] = total
        if notes is not None:
            body["notes"] = notes
        body["source"] = source
        return self.api.post("/api/v2/expenses", json=body)

    def expense_list(self, *, project: str | None = None, source: str | None = None) -> Any:
        params = ["per_page=50", "page=1", f"from={self.today.isoformat()}",
                  f"to={self.today.isoformat()}"]
        if project is not None:
            params.append(f"project_id={self.project_id(project)}")
        if source is not None:
            params.append(f"source={source}")
        return self.api.get("/api/v2/expenses?" + "&".join(params))


# --- the workspace and the client ---------------------------------------------------------


class Clock:
    """The app's clock, moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def team(workspace: Any) -> dict[str, str]:
    """Project Acme Website (code acme, billable, £100/h) with task Development; agent
    review-bot on it; the LLM Usage and Software & Subscriptions categories (the defaults)."""
    from sqlmodel import select

    from keito_core.models import LLM_USAGE, ExpenseCategory
    from keito_core.services.directory import clients, projects, tasks, users
    from keito_core.services.directory.project_team import add_project_task, assign_member

    made = NOW - timedelta(days=3)
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=made)
        project = projects.create_project(s, actor=actor, name="Acme Website",
                                          client_ref="Acme Corp", code="acme", rate="100",
                                          now=made)
        other = projects.create_project(s, actor=actor, name="Internal tools",
                                        client_ref="Acme Corp", code="tools", rate="80",
                                        now=made)
        task = tasks.create_task(s, actor=actor, name="Development", now=made)
        review = tasks.create_task(s, actor=actor, name="Code review", now=made)
        for p in (project, other):
            for t in (task, review):
                add_project_task(s, actor=actor, project_ref=p.id, task_ref=t.id, now=made)
        bot = users.create_user(s, actor=actor, name="review-bot", agent=True, now=made)
        for p in (project, other):
            assign_member(s, actor=actor, project_ref=p.id, user_ref=bot.id, now=made)
        categories = {c.name: c.id for c in s.exec(select(ExpenseCategory)).all()}
    return {"project": project.id, "other": other.id, "task": task.id, "review": review.id,
            "bot": bot.id, "admin": workspace.admin_id, "llm": categories[LLM_USAGE],
            "software": categories["Software & Subscriptions"]}


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


def _client(workspace: Any, user_id: str, clock: Clock) -> Iterator[OfficialCli]:
    api = make_api(workspace, user_id=user_id, clock=clock)
    yield OfficialCli(api, TODAY)
    assert api.violations == [], json.dumps(api.violations, indent=1)


@pytest.fixture(params=["agent", "admin"])
def keito(request: pytest.FixtureRequest, workspace: Any, team: dict[str, str],
          clock: Clock) -> Iterator[OfficialCli]:
    """The official client with the agent's key, then with the administrator's; every
    exchange checked against the spec (as the `api` fixture does)."""
    user = team["bot"] if request.param == "agent" else team["admin"]
    yield from _client(workspace, user, clock)


@pytest.fixture
def bot(workspace: Any, team: dict[str, str], clock: Clock) -> Iterator[OfficialCli]:
    """The official client with the agent's key alone."""
    yield from _client(workspace, team["bot"], clock)


# --- time start, status, stop --------------------------------------------------------------


def test_start_status_stop_as_in_ci(keito: OfficialCli, team: dict[str, str],
                                    clock: Clock) -> None:
    """The reference's CI job: start a timer, work, stop it with notes; status in between."""
    assert keito.time_status() == []

    started = keito.time_start(project="acme", task="development",
                               notes="AI code review for PR #42")
    assert started.status_code == 200, started.text
    entry = started.json()
    cli_parses("time_entry", entry)
    assert entry["is_running"] is True
    assert entry["project"] == {"id": team["project"], "name": "Acme Website"}
    assert entry["task"] == {"id": team["task"], "name": "Development"}
    assert entry["spent_date"] == TODAY.isoformat()
    assert entry["source"] == "cli"
    assert entry["billable"] is True
    assert entry["notes"] == "AI code review for PR #42"
    assert datetime.fromisoformat(entry["timer_started_at"].replace("Z", "+00:00")) == NOW

    clock.advance(minutes=83)
    running = keito.time_status()
    assert [e["id"] for e in running] == [entry["id"]]
    assert running[0]["project"]["name"] == "Acme Website"
    assert running[0]["task"]["name"] == "Development"
    assert running[0]["timer_started_at"] == entry["timer_started_at"]

    stopped = keito.time_stop(notes="Fixed authentication bug")
    assert stopped.status_code == 200, stopped.text
    done = stopped.json()
    cli_parses("time_entry", done)
    assert done["id"] == entry["id"]
    assert done["is_running"] is False
    assert done["notes"] == "Fixed authentication bug"
    assert done["hours"] == pytest.approx(83 / 60, abs=0.01)
    assert done["source"] == "cli"
    assert keito.time_status() == []
    assert keito.time_stop() is None  # "No running timer found": nothing more is sent


def test_stop_without_notes_keeps_the_timers_notes(bot: OfficialCli, clock: Clock) -> None:
    started = bot.time_start(project="Acme Website", task="Code review",
                             notes="reviewing PR #7")
    assert started.status_code == 200, started.text
    clock.advance(minutes=30)
    stopped = bot.time_stop()  # PATCH .../stop with no body at all
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["notes"] == "reviewing PR #7"
    assert stopped.json()["hours"] == pytest.approx(0.5, abs=0.01)
    assert bot.time_status() == []


def test_stop_discard_deletes_the_timer(bot: OfficialCli, clock: Clock) -> None:
    started = bot.time_start(project="acme", task="development")
    assert started.status_code == 200, started.text
    clock.advance(minutes=5)
    discarded = bot.time_stop(discard=True)
    assert discarded.status_code == 204, discarded.text
    assert bot.time_status() == []
    assert _listing(bot.time_list(today=True), "time_entries", "time_entry") == []


def test_start_while_running(bot: OfficialCli, team: dict[str, str], clock: Clock) -> None:
    """The client refuses by itself when status shows a timer; a start racing another gets
    the spec's 409 (the client's conflict, exit 3) and leaves the first timer running."""
    first = bot.time_start(project="acme", task="development")
    assert first.status_code == 200, first.text
    clock.advance(minutes=1)
    assert bot.time_start(project="tools", task="development") is None

    raced = bot.api.post("/api/v2/time_entries", json={
        "project_id": team["other"], "task_id": team["task"],
        "spent_date": TODAY.isoformat(), "is_running": True, "source": "cli"})
    assert raced.status_code == 409, raced.text
    cli_parses("error", raced.json())
    assert raced.json()["error_description"]
    assert [e["id"] for e in bot.time_status()] == [first.json()["id"]]


# --- time log and list ---------------------------------------------------------------------


def test_log_as_a_person_and_as_an_agent(keito: OfficialCli, team: dict[str, str]) -> None:
    logged = keito.time_log(project="acme", task="development", duration=1.5,
                            day=TODAY - timedelta(days=1), notes="Implemented OAuth flow")
    assert logged.status_code == 200, logged.text
    entry = logged.json()
    cli_parses("time_entry", entry)
    assert entry["hours"] == 1.5
    assert entry["spent_date"] == (TODAY - timedelta(days=1)).isoformat()
    assert entry["is_running"] is False
    assert entry["source"] == "cli"
    assert entry["billable"] is True
    assert entry["notes"] == "Implemented OAuth flow"
    assert entry["project"]["name"] == "Acme Website"

    session = str(uuid.uuid4())
    agent = keito.time_log(project="tools", task="code review", duration=0.25,
                           notes="Reviewed 5 pull requests", billable=False, source="agent",
                           metadata={"model": "claude-opus-4-6", "input_tokens": 30000},
                           agent_id="review-bot-01", session_id=session)
    assert agent.status_code == 200, agent.text
    entry = agent.json()
    cli_parses("time_entry", entry)
    assert entry["source"] == "agent"
    assert entry["billable"] is False
    assert entry["hours"] == 0.25
    assert entry["project"] == {"id": team["other"], "name": "Internal tools"}
    assert entry["task"] == {"id": team["review"], "name": "Code review"}
    assert entry["metadata"] == {"model": "claude-opus-4-6", "input_tokens": 30000,
                                 "session_id": session, "agent_id": "review-bot-01"}


def test_list_returns_what_was_logged(keito: OfficialCli, team: dict[str, str]) -> None:
    days = [TODAY - timedelta(days=n) for n in range(4)]  # today and the three days before
    made: dict[str, dict[str, Any]] = {}
    for n, day in enumerate(days):
        for project, source in (("acme", "cli"), ("tools", "agent")):
            answer = keito.time_log(project=project, task="development", duration=0.5 + n,
                                    day=day, notes=f"{project} on {day}", source=source)
            assert answer.status_code == 200, answer.text
            made[answer.json()["id"]] = answer.json()

    def listed(**kwargs: Any) -> set[str]:
        return {e["id"] for e in _listing(keito.time_list(**kwargs), "time_entries",
                                          "time_entry")}

    def logged(where: Any) -> set[str]:
        return {i for i, e in made.items() if where(e)}

    assert listed(date_from=days[2], date_to=days[1]) == logged(
        lambda e: days[2].isoformat() <= e["spent_date"] <= days[1].isoformat())
    assert listed(today=True) == logged(lambda e: e["spent_date"] == TODAY.isoformat())
    assert listed(project="acme") == logged(lambda e: e["project"]["id"] == team["project"])
    assert listed(source="agent") == logged(lambda e: e["source"] == "agent")
    assert listed(task="Development") == set(made)
    assert listed(date_from=days[3], date_to=TODAY, project="Internal tools",
                  source="agent") == logged(lambda e: e["project"]["id"] == team["other"])

    first = keito.time_list(limit=3, page=1)
    body = first.json()
    assert (body["page"], body["per_page"], body["total_entries"], body["total_pages"]) == (
        1, 3, 8, 3)
    pages = [e["id"] for e in _listing(first, "time_entries", "time_entry")]
    for page in (2, 3):
        pages += [e["id"] for e in _listing(keito.time_list(limit=3, page=page),
                                            "time_entries", "time_entry")]
    assert sorted(pages) == sorted(made)
    spent = [made[i]["spent_date"] for i in pages]
    assert spent == sorted(spent, reverse=True)  # "ordered by date descending"


# --- expenses ------------------------------------------------------------------------------


def test_expense_log_and_list(keito: OfficialCli, team: dict[str, str]) -> None:
    tokens = keito.expense_log(project="acme", category_id=team["llm"], quantity=45,
                               notes="claude-opus-4-6: 30k input + 15k output tokens",
                               source="agent")
    assert tokens.status_code == 200, tokens.text
    expense = tokens.json()
    assert expense["units"] == 45
    assert expense["total_cost"] > 0
    assert expense["expense_category"] == {"id": team["llm"], "name": "LLM Usage"}
    assert expense["project"] == {"id": team["project"], "name": "Acme Website"}
    assert expense["source"] == "agent"
    assert expense["spent_date"] == TODAY.isoformat()
    assert expense["notes"] == "claude-opus-4-6: 30k input + 15k output tokens"

    licence = keito.expense_log(project="Internal tools", category_id=team["software"],
                                total=12.5, notes="CI minutes")
    assert licence.status_code == 200, licence.text
    assert licence.json()["total_cost"] == 12.5
    assert licence.json()["source"] == "cli"

    def listed(**kwargs: Any) -> set[str]:
        answer = keito.expense_list(**kwargs)
        assert answer.status_code == 200, answer.text
        cli_parses("envelope", answer.json())
        return {e["id"] for e in answer.json()["expenses"]}

    assert listed() == {expense["id"], licence.json()["id"]}
    assert listed(project="acme") == {expense["id"]}
    assert listed(source="agent") == {expense["id"]}
