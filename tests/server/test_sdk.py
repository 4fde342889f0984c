"""The official `keito` SDK (0.2.0 from PyPI), unmodified but for `base_url`, against a real
`keito serve` started on a free 127.0.0.1 port (tests/server/live.py).

It runs the SDK README's quick start as written, the agent session pattern (a running entry
with AgentMetadata, stopped by setting its hours; outcomes as zero-hour entries), LLM costs as
expenses, paging over several pages, and each of its error classes; and what it wrote shows in
`keito time list`, `keito expense list` and the app's day view with its source and metadata.
With KEITO_TEST_DATABASE=postgres the same tests run on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from keito import (
    AgentMetadata,
    Keito,
    KeitoApiError,
    KeitoAuthError,
    KeitoConflictError,
    KeitoForbiddenError,
    KeitoNotFoundError,
    KeitoRateLimitError,
    OutcomeTypes,
)
from keito.types import Source, UserType
from live import LiveServer, live_server
from serving import spec_violations

SET_UP_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
#: The SDK README's day.
TODAY = "2026-03-05"


@pytest.fixture
def world(workspace) -> SimpleNamespace:
    """Project Acme Website (ACME; tasks Development, Research) with member Milton and agent
    review-bot on its team; member Mary on no project; a manager; a key for each; a plain
    expense category and the built-in LLM Usage one."""
    from sqlmodel import select

    from keito_core.models import LLM_USAGE, ExpenseCategory
    from keito_core.services.directory import (
        categories,
        clients,
        keys,
        project_team,
        projects,
        tasks,
        users,
    )

    made: dict[str, Any] = {"workspace": workspace.workspace_id, "admin": workspace.admin_id}
    with workspace.session() as s:
        admin = workspace.actor(s)
        dev = tasks.create_task(s, actor=admin, name="Development", is_default=True,
                                now=SET_UP_AT)
        tasks.create_task(s, actor=admin, name="Research", is_default=True, now=SET_UP_AT)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=SET_UP_AT)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=client.id, rate="100", now=SET_UP_AT)
        people = {
            "milton": users.create_user(s, actor=admin, name="Milton Member",
                                        email="milton@acme.test", now=SET_UP_AT),
            "mary": users.create_user(s, actor=admin, name="Mary Member",
                                      email="mary@acme.test", now=SET_UP_AT),
            "bot": users.create_user(s, actor=admin, name="review-bot", agent=True,
                                     now=SET_UP_AT),
        }
        for name in ("milton", "bot"):
            project_team.assign_member(s, actor=admin, project_ref=acme.id,
                                       user_ref=people[name].id, now=SET_UP_AT)
        for name, user in people.items():
            made[name] = user.id
            made[f"{name}_key"] = keys.create_key(s, actor=admin, user_ref=user.id,
                                                  name=name, now=SET_UP_AT)[1]
        made["admin_key"] = keys.create_key(s, actor=admin, name="admin", now=SET_UP_AT)[1]
        costs = categories.create_category(s, actor=admin, name="API costs", now=SET_UP_AT)
        llm = s.exec(select(ExpenseCategory).where(ExpenseCategory.name == LLM_USAGE)).one()
        made.update(project=acme.id, task=dev.id, client=client.id, costs=costs.id,
                    llm=llm.id)
    return SimpleNamespace(**made)


@pytest.fixture(autouse=True)
def spec_checked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every API v2 exchange the official SDK makes in a test, checked against the spec (the
    SDK untouched: its httpx client's send is watched from outside)."""
    found: list[str] = []
    original = httpx.Client.send

    def send(self: httpx.Client, request: httpx.Request, **options: Any) -> httpx.Response:
        response = original(self, request, **options)
        if "/api/v2/" in request.url.path:
            response.read()
            found.extend(spec_violations(response))
        return response

    monkeypatch.setattr(httpx.Client, "send", send)
    yield found
    assert found == [], "\n".join(found)


@pytest.fixture
def server(workspace) -> Iterator[LiveServer]:
    with live_server(rate_limit="off") as running:
        yield running


def sdk(server: LiveServer, key: str, **options: Any) -> Keito:
    """The official client as its README makes it, pointed at `server`."""
    return Keito(api_key=key, account_id=server.account_id, base_url=server.base_url,
                 **options)


def body(raised: pytest.ExceptionInfo[KeitoApiError]) -> dict[str, Any]:
    """The error body the SDK kept."""
    assert raised.value.body is not None
    return raised.value.body


def time_list(cli, *args: str) -> dict[str, dict[str, Any]]:  # noqa: ANN001
    """`keito time list --all` over March 2026, as the administrator: entries by ID."""
    result = cli("time", "list", "--all", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--json", *args)
    assert result.exit_code == 0, result
    return {row["id"]: row for row in result.json["data"]}


# --- the README's quick start ---------------------------------------------------------------


def test_quick_start_as_written(world, server, cli, monkeypatch) -> None:
    monkeypatch.setenv("KEITO_API_KEY", world.milton_key)
    monkeypatch.setenv("KEITO_ACCOUNT_ID", server.account_id)
    printed: list[str] = []

    # Reads KEITO_API_KEY and KEITO_ACCOUNT_ID from env
    client = Keito(base_url=server.base_url)

    # Create a time entry
    entry = client.time_entries.create(
        project_id=world.project,
        task_id=world.task,
        spent_date=TODAY,
        hours=1.5,
        notes="Code review for PR #842",
    )

    # List all time entries (auto-paginates)
    for entry in client.time_entries.list(project_id=world.project):  # noqa: B007
        printed.append(f"{entry.spent_date}: {entry.hours}h — {entry.notes}")
    client.close()

    assert printed == ["2026-03-05: 1.5h — Code review for PR #842"]
    assert entry.user_id == world.milton and entry.user.name == "Milton Member"
    assert entry.project.name == "Acme Website" and entry.task.name == "Development"
    assert entry.source is Source.API and not entry.is_running and entry.billable

    listed = time_list(cli)[entry.id]
    assert listed["source"] == "api"
    assert listed["hours"] == 1.5 and listed["notes"] == "Code review for PR #842"
    assert listed["user"]["id"] == world.milton


# --- an agent's session ---------------------------------------------------------------------


def test_agent_session_start_stop_and_outcomes(world, server, cli) -> None:
    client = sdk(server, world.bot_key)
    me = client.users.me()
    assert me.user_type is UserType.AGENT and me.id == world.bot

    started = client.time_entries.create(
        project_id=world.project, task_id=world.task, spent_date=TODAY, is_running=True,
        notes="Automated code review for PR #842", source=Source.AGENT, billable=True,
        metadata=AgentMetadata.build(agent_id="code-reviewer-v2", framework="langchain",
                                     model_provider="anthropic", model_name="claude-4-sonnet",
                                     run_id="run_abc123"),
    )
    assert started.is_running and started.timer_started_at is not None
    assert started.source is Source.AGENT
    running = list(client.time_entries.list(is_running=True))
    assert [entry.id for entry in running] == [started.id]

    # A second timer is a conflict (the SDK has no replace_running).
    with pytest.raises(KeitoConflictError) as second:
        client.time_entries.create(project_id=world.project, task_id=world.task,
                                   spent_date=TODAY, is_running=True, source=Source.AGENT)
    assert second.value.status_code == 409 and body(second)["code"] == "conflict"

    # Setting the hours stops it; the metadata sent is merged into what it had, section by
    # section (a JSON Merge Patch).
    stopped = client.time_entries.update(
        started.id, hours=0.75,
        metadata=AgentMetadata.build(tokens_in=12500, tokens_out=32700, cost_usd=0.18,
                                     confidence=0.94))
    assert not stopped.is_running and stopped.hours == 0.75
    assert stopped.metadata is not None
    assert stopped.metadata["agent"] == {"id": "code-reviewer-v2", "framework": "langchain"}
    assert stopped.metadata["run"] == {"id": "run_abc123"}
    assert stopped.metadata["quality"] == {"confidence": 0.94}
    assert stopped.metadata["model"] == {"provider": "anthropic", "name": "claude-4-sonnet",
                                         "tokens_in": 12500, "tokens_out": 32700,
                                         "cost_usd": 0.18}

    outcome = client.outcomes.log(
        project_id=world.project, task_id=world.task, spent_date=TODAY,
        outcome_type=OutcomeTypes.TICKET_RESOLVED, description="Resolved billing inquiry #4821",
        unit_price=0.99, quantity=1, success=True,
        evidence={"ticket_id": "TKT-4821", "resolution_time_seconds": 45},
    )
    assert outcome.hours == 0 and outcome.source is Source.AGENT and not outcome.is_running
    assert outcome.metadata is not None
    assert outcome.metadata["outcome_type"] == "ticket_resolved"
    assert outcome.metadata["outcome_evidence"]["ticket_id"] == "TKT-4821"

    agents = list(client.time_entries.list(source=Source.AGENT, from_date=TODAY,
                                           to_date=TODAY))
    assert {entry.id for entry in agents} == {started.id, outcome.id}
    client.close()

    listed = time_list(cli)
    assert listed[started.id]["source"] == "agent" and listed[outcome.id]["source"] == "agent"
    assert listed[started.id]["is_running"] is False and listed[started.id]["hours"] == 0.75
    assert listed[started.id]["metadata"] == stopped.metadata
    assert listed[outcome.id]["hours"] == 0
    assert listed[outcome.id]["metadata"]["outcome_unit_price"] == 0.99
    only_agents = time_list(cli, "--source", "agent")
    assert set(only_agents) == {started.id, outcome.id}


# --- LLM costs as expenses ------------------------------------------------------------------


def test_llm_costs_as_expenses(world, server, cli) -> None:
    client = sdk(server, world.bot_key)
    expense = client.expenses.create(
        project_id=world.project, expense_category_id=world.costs, spent_date=TODAY,
        total_cost=0.18, notes="Claude 4 Sonnet — PR review (12.5k in, 32.7k out)",
        billable=True, source=Source.AGENT,
        metadata={"model": "claude-4-sonnet", "tokens_in": 12500, "tokens_out": 32700,
                  "provider": "anthropic"},
    )
    assert expense.total_cost == 0.18 and expense.source is Source.AGENT and expense.billable
    assert expense.expense_category.name == "API costs"
    tokens = client.expenses.create(
        project_id=world.project, expense_category_id=world.llm, spent_date=TODAY, units=45,
        notes="45k tokens", source=Source.AGENT)
    assert tokens.units == 45 and tokens.total_cost == 0.135  # 45 x 0.003 per 1k tokens
    listed = {e.id for e in client.expenses.list(source=Source.AGENT, from_date=TODAY)}
    assert listed == {expense.id, tokens.id}
    client.close()

    result = cli("expense", "list", "--all", "--from", "2026-03-01", "--to", "2026-03-31",
                 "--json")
    assert result.exit_code == 0, result
    rows = {row["id"]: row for row in result.json["data"]}
    assert rows[expense.id]["source"] == "agent"
    assert rows[expense.id]["metadata"]["tokens_out"] == 32700
    assert rows[tokens.id]["units"] == 45


# --- paging ---------------------------------------------------------------------------------


def test_paging_over_several_pages(world, server) -> None:
    client = sdk(server, world.milton_key)
    made = [
        client.time_entries.create(project_id=world.project, task_id=world.task,
                                   spent_date=f"2026-03-{day:02d}", hours=0.25,
                                   notes=f"entry {day}").id
        for day in range(1, 13)
    ]
    pages = client.time_entries.list(per_page=5)
    seen = [entry.id for entry in pages]
    assert sorted(seen) == sorted(made) and len(set(seen)) == 12
    assert (pages.total_entries, pages.total_pages, pages.per_page) == (12, 3, 5)
    first = client.time_entries.list(per_page=5)
    next(first)  # the README: pagination metadata after the first item
    assert (first.page, len(first.items), first.total_pages) == (1, 5, 3)
    client.close()


# --- the error classes ----------------------------------------------------------------------


def test_a_bad_key_or_account_is_an_auth_error(world, server) -> None:
    with pytest.raises(KeitoAuthError) as bad_key:
        sdk(server, "keito_sk_not_a_key").users.me()
    assert body(bad_key)["code"] == "authentication_error"
    wrong = Keito(api_key=world.milton_key, account_id="acc_someone_else",
                  base_url=server.base_url)
    with pytest.raises(KeitoAuthError) as wrong_account:
        wrong.time_entries.create(project_id=world.project, task_id=world.task,
                                  spent_date=TODAY, hours=1)
    assert body(wrong_account).get("field") == "Keito-Account-Id"


def test_what_the_policy_forbids_is_forbidden(world, server, workspace) -> None:
    milton = sdk(server, world.milton_key)
    mary = sdk(server, world.mary_key)
    with pytest.raises(KeitoForbiddenError) as manager_only:
        mary.clients.create(name="Initech")
    assert body(manager_only)["code"] == "authorization_error"
    with pytest.raises(KeitoForbiddenError) as unassigned:
        mary.time_entries.create(project_id=world.project, task_id=world.task,
                                 spent_date=TODAY, hours=1)
    assert body(unassigned)["code"] == "project_not_assigned"
    entry = milton.time_entries.create(project_id=world.project, task_id=world.task,
                                       spent_date=TODAY, hours=1, notes="mine")
    with pytest.raises((KeitoForbiddenError, KeitoNotFoundError)) as others:
        mary.time_entries.update(entry.id, notes="not yours")
    assert others.value.status_code in (403, 404)
    assert [e.notes for e in milton.time_entries.list()] == ["mine"]


def test_what_does_not_exist_is_not_found(world, server) -> None:
    admin = sdk(server, world.admin_key)
    with pytest.raises(KeitoNotFoundError) as client:
        admin.clients.get("cli_does_not_exist")
    assert body(client)["code"] == "not_found"
    with pytest.raises(KeitoNotFoundError):
        admin.time_entries.update("te_does_not_exist", notes="nothing")
    with pytest.raises(KeitoNotFoundError):
        admin.time_entries.delete("te_does_not_exist")


def test_over_the_rate_limit_is_rate_limited(world, workspace) -> None:
    with live_server(rate_limit="3/1000") as server:
        client = sdk(server, world.milton_key, max_retries=0)
        for _ in range(3):
            client.users.me()
        with pytest.raises(KeitoRateLimitError) as limited:
            client.users.me()
        assert limited.value.retry_after is not None and 0 < limited.value.retry_after <= 60
        assert body(limited)["code"] == "rate_limit_exceeded"
        # Per key: another key still gets in.
        assert sdk(server, world.mary_key, max_retries=0).users.me().id == world.mary


# --- what the SDK wrote, in the app ---------------------------------------------------------


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_the_app_shows_what_the_sdk_wrote(world, server) -> None:
    """The day view of the agent, on the day it logged, badges the entries Agent."""
    import anyio
    from textual.worker import WorkerCancelled

    from keito_core.platform.runtime import make_runtime
    from keito_tui.app.keito_app import KeitoApp
    from keito_tui.app.screens.day import DayScreen, DayTable

    client = sdk(server, world.bot_key)
    logged = await anyio.to_thread.run_sync(lambda: client.time_entries.create(
        project_id=world.project, task_id=world.task, spent_date=TODAY, hours=2,
        notes="triage batch", source=Source.AGENT,
        metadata=AgentMetadata.build(agent_id="support-triage-v2")))
    typed = await anyio.to_thread.run_sync(lambda: client.time_entries.create(
        project_id=world.project, task_id=world.task, spent_date=TODAY, hours=1,
        notes="through the API"))
    client.close()

    runtime = make_runtime({**os.environ, "KEITO_API_KEY": world.bot_key},
                           clock=lambda: datetime(2026, 3, 5, 17, 0, tzinfo=UTC))
    app = KeitoApp(runtime)
    try:
        async with app.run_test(size=(120, 30)) as pilot:
            for _ in range(200):
                with contextlib.suppress(WorkerCancelled):
                    await app.workers.wait_for_complete()
                await pilot.pause()
                screen = app.screen
                if isinstance(screen, DayScreen) and screen.report is not None:
                    break
            screen = app.screen
            assert isinstance(screen, DayScreen) and screen.report is not None
            assert screen.report.day == date(2026, 3, 5)
            sources = {entry.id: entry.source for entry in screen.report.entries}
            assert sources == {logged.id: "agent", typed.id: "api"}
            table = screen.query_one(DayTable)
            cells = [" ".join(str(cell) for cell in table.get_row(key)) for key in table.rows]
            assert any("Agent" in row and "triage batch" in row for row in cells)
            assert any("API" in row and "through the API" in row for row in cells)
    finally:
        runtime.close()
