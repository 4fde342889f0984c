"""The week's Add row dialog answers at once: a project's tasks are there the moment it is
chosen, keys typed at once after a choice go where they were aimed, and a second Enter on Add
row after the dialog changed is never swallowed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from settling import finish_workers
from textual import events
from textual.pilot import Pilot
from textual.widgets import Button, Select, Static

from keito_core.models import Client, Project, ProjectTask, Task
from keito_core.platform.ids import new_id
from keito_core.platform.runtime import Runtime, make_runtime
from keito_tui.app.keito_app import KeitoApp
from keito_tui.app.screens.week import WeekScreen
from keito_tui.app.screens.week_dialogs import AddRowDialog
from keito_tui.app.widgets.week_grid import WeekGrid

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def runtime(keito_home: Path) -> Iterator[Runtime]:
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


@pytest.fixture
def env(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Website (tasks Development, Meetings) and Support (task Meetings) for client Acme."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        meet = Task(id=new_id("task"), name="Meetings", handle="meetings")
        s.add_all([client, dev, meet])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Website", handle="web")
        support = Project(id=new_id("project"), client_id=client.id, name="Support",
                          handle="support")
        s.add_all([web, support])
        s.flush()
        for project, task in ((web, dev), (web, meet), (support, meet)):
            s.add(ProjectTask(id=new_id("project_task"), project_id=project.id,
                              task_id=task.id))
    return SimpleNamespace(web=web.id, support=support.id, dev=dev.id, meet=meet.id)


async def settle(pilot: Pilot) -> None:
    app = pilot.app
    for _ in range(20):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def open_add_row(pilot: Pilot) -> AddRowDialog:
    await settle(pilot)
    await pilot.press("w")
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    dialog = pilot.app.screen
    assert isinstance(dialog, AddRowDialog)
    return dialog


def rows(app: KeitoApp) -> list[tuple[str, str]]:
    shown = app.screen.query_one("#week-grid", WeekGrid).rows_shown
    return [(row.project_name, row.task_name) for row in shown]


async def test_a_projects_tasks_are_there_the_moment_it_is_chosen(runtime, env) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_add_row(pilot)
        project = dialog.query_one("#add-project", Select)
        tasks = dialog.query_one("#add-task", Select)
        project.value = env.web  # and, in the same tick, the task:
        assert not tasks.disabled
        tasks.value = env.meet
        project.value = env.support  # another project: its own tasks, its only one chosen
        assert tasks.value == env.meet
        project.value = env.web
        tasks.value = env.dev
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, WeekScreen)
        assert rows(app) == [("Website", "Development")]


async def test_enter_tab_enter_typed_at_once_opens_the_task_list(runtime, env) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_add_row(pilot)
        await pilot.press("enter")  # the project list
        for key in ("down", "enter", "tab", "enter"):  # queued together, as a terminal sends
            app.post_message(events.Key(key, None))
        await settle(pilot)
        assert dialog.query_one("#add-project", Select).value in (env.web, env.support)
        assert dialog.query_one("#add-task", Select).expanded


async def test_a_second_enter_on_add_row_after_a_change_is_not_swallowed(runtime, env) -> None:  # noqa: ANN001
    app = KeitoApp(runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        dialog = await open_add_row(pilot)
        dialog.query_one("#add-project", Select).value = env.web
        save = dialog.query_one("#add-save", Button)
        save.focus()
        await pilot.press("enter")  # no task yet: it says so
        assert "Choose a task." in str(dialog.query_one("#add-error", Static).render())
        dialog.query_one("#add-task", Select).value = env.meet
        await pilot.press("enter")  # well within Textual's 0.2 s press effect
        await settle(pilot)
        assert isinstance(app.screen, WeekScreen)
        assert rows(app) == [("Website", "Meetings")]
