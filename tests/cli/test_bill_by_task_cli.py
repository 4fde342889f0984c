"""`keito time` on a project that bills by task: the default task fills in, or a clear refusal."""

from __future__ import annotations

from decimal import Decimal

import pytest

from keito_core.enums import BillBy
from keito_core.models import Client, Project, ProjectMember, ProjectTask, Task
from keito_core.platform.ids import new_id


@pytest.fixture
def by_task(workspace):
    """Project `acme` bills by task; Development (120) and Design are enabled on it."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme Corp", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development",
                   default_rate=Decimal("120"))
        design = Task(id=new_id("task"), name="Design", handle="design")
        s.add_all([client, dev, design])
        s.flush()
        acme = Project(id=new_id("project"), client_id=client.id, name="Acme Website",
                       handle="acme", bill_by=BillBy.TASK)
        s.add(acme)
        s.flush()
        for task in (dev, design):
            s.add(ProjectTask(id=new_id("project_task"), project_id=acme.id, task_id=task.id))
        s.add(ProjectMember(id=new_id("project_member"), project_id=acme.id,
                            user_id=workspace.admin_id))
    return workspace


def test_no_task_is_refused_with_the_projects_tasks(cli, by_task) -> None:
    refused = cli("time", "log", "--project", "acme", "--hours", "1")
    assert refused.exit_code == 2, refused
    assert refused.error["code"] == "validation_error"
    assert refused.error["field"] == "task"
    assert "development" in refused.error["hint"] and "design" in refused.error["hint"]


def test_the_default_task_is_used(cli, by_task) -> None:
    logged = cli("time", "log", "--project", "acme", "--hours", "1",
                 env={"KEITO_TASK": "development"})
    assert logged.exit_code == 0, logged
    assert logged.json["task"]["name"] == "Development"
    assert logged.json["billable_rate"] == 120
