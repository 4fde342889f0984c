"""AsyncKeito: the same calls awaited, concurrent calls on one workspace, async sessions."""

from __future__ import annotations

import asyncio
import inspect
from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from keito_core.api import AsyncKeito, Keito, NotFoundError, Page, PermissionDeniedError
from keito_core.models import Expense, TimeEntry

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def world(workspace):
    """Project ACME with agent batch-processor (and a key) on its team; project SECRET."""
    from keito_core.services.directory import clients, keys, project_team, projects, tasks, users

    with workspace.session() as s:
        admin = workspace.actor(s)
        tasks.create_task(s, actor=admin, name="Development", is_default=True, now=NOW)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                       client_ref=client.id, now=NOW)
        secret = projects.create_project(s, actor=admin, name="Secret", client_ref=client.id,
                                         now=NOW)
        agent = users.create_user(s, actor=admin, name="batch-processor", agent=True, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=agent.id, now=NOW)
        _, key = keys.create_key(s, actor=admin, user_ref=agent.id, name="bot", now=NOW)
    return SimpleNamespace(acme=acme.id, secret=secret.id, agent=agent.id, key=key)


@pytest.fixture
def aclient(world) -> AsyncKeito:
    return AsyncKeito(api_key=world.key, _clock=lambda: NOW)


def rows(workspace, model) -> list:
    with workspace.session(readonly=True) as s:
        found = list(s.exec(select(model)).all())
        for row in found:
            s.expunge(row)
        return found


def test_every_sync_method_has_an_async_twin() -> None:
    sync = Keito(env={})
    client = AsyncKeito(env={})
    for space in ("time_entries", "expenses", "projects", "users"):
        sync_names = {n for n in dir(getattr(sync, space)) if not n.startswith("_")}
        async_space = getattr(client, space)
        for name in sync_names:
            assert inspect.iscoroutinefunction(getattr(async_space, name)), (space, name)


def test_create_list_get_update_delete(world, aclient) -> None:
    async def main() -> None:
        entry = await aclient.time_entries.create(
            project_id="ACME", task_id="development", spent_date="2026-03-06", hours=1.5,
            notes="Async agent work", source="agent")
        entries = await aclient.time_entries.list(source="agent", project_id=world.acme)
        assert isinstance(entries, Page) and [e.id for e in entries.data] == [entry.id]
        assert (await aclient.time_entries.get(entry.id)).hours == Decimal("1.50")
        changed = await aclient.time_entries.update(entry.id, notes="Edited")
        assert changed.notes == "Edited"
        expense = await aclient.expenses.create(project_id="ACME",
                                                expense_category_id="cat_llm_usage", units=2)
        assert (await aclient.expenses.get(expense.id)).total_cost == Decimal("0.006")
        assert [p.name for p in await aclient.projects.list()] == ["Acme Website"]
        assert (await aclient.users.me()).id == world.agent
        await aclient.time_entries.delete(entry.id)
        with pytest.raises(NotFoundError):
            await aclient.time_entries.get(entry.id)
        await aclient.close()

    asyncio.run(main())


def test_errors_come_through_await(world, aclient, workspace) -> None:
    async def main() -> None:
        with pytest.raises(PermissionDeniedError):
            await aclient.time_entries.create(project_id=world.secret, hours=1)

    asyncio.run(main())
    assert rows(workspace, TimeEntry) == []


def test_concurrent_creates_all_land(world, aclient, workspace) -> None:
    async def main() -> list:
        return await asyncio.gather(*[
            aclient.time_entries.create(project_id="ACME", hours=Decimal(n) / 4 + 1,
                                        notes=f"item {n}")
            for n in range(12)])

    created = asyncio.run(main())
    assert len({e.id for e in created}) == 12
    assert sorted(r.notes for r in rows(workspace, TimeEntry)) == sorted(
        f"item {n}" for n in range(12))


def test_async_with_tracks_a_session(world, aclient, workspace) -> None:
    async def main():  # noqa: ANN202
        async with aclient.track_agent_work(project_id="ACME", agent_id="batch-processor",
                                            model="claude-sonnet-4-6") as session:
            results = await asyncio.gather(*[asyncio.sleep(0, result=n) for n in range(3)])
            session.report_tokens(input=sum(results) * 1000, output=500)
        return session

    session = asyncio.run(main())
    [entry] = rows(workspace, TimeEntry)
    assert (entry.is_running, entry.source, entry.meta["session_id"]) == (
        False, "agent", session.session_id)
    [expense] = rows(workspace, Expense)
    assert (expense.units, expense.meta["model"]) == (Decimal("3.5"), "claude-sonnet-4-6")


def test_parallel_sessions_of_one_agent_each_log_their_entry_and_cost(world, aclient,
                                                                      workspace) -> None:
    async def process_pr(client: AsyncKeito, pr_url: str) -> str:
        async with client.track_agent_work(project_id="ACME", agent_id="review-bot",
                                           model="claude-sonnet-4-6") as session:
            await asyncio.sleep(0)
            session.report_tokens(input=1000, output=1000)
            session.set_notes(f"Reviewed {pr_url}")
        return session.session_id

    async def main() -> list[str]:
        return await asyncio.gather(*[process_pr(aclient, f"pr/{n}") for n in range(5)])

    sessions = asyncio.run(main())
    entries = rows(workspace, TimeEntry)
    assert len(entries) == 5 and not any(e.is_running for e in entries)
    assert sorted(e.notes for e in entries) == [f"Reviewed pr/{n}" for n in range(5)]
    assert {e.meta["session_id"] for e in entries} == set(sessions)
    expenses = rows(workspace, Expense)
    assert {x.meta["session_id"] for x in expenses} == set(sessions)
    assert all(x.units == Decimal(2) for x in expenses)


def test_an_exception_in_async_with_discards(world, aclient, workspace) -> None:
    async def main() -> None:
        async with aclient.track_agent_work(project_id="ACME") as session:
            session.report_tokens(input=10, output=10)
            raise TimeoutError("model timed out")

    with pytest.raises(TimeoutError):
        asyncio.run(main())
    assert rows(workspace, TimeEntry) == [] and rows(workspace, Expense) == []


def test_a_cancelled_task_discards(world, aclient, workspace) -> None:
    started = asyncio.Event

    async def main() -> None:
        ready = started()

        async def tracked() -> None:
            async with aclient.track_agent_work(project_id="ACME"):
                ready.set()
                await asyncio.Event().wait()  # until cancelled

        task = asyncio.create_task(tracked())
        await ready.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert rows(workspace, TimeEntry) == []
