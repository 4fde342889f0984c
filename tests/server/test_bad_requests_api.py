"""Bad requests to the API v2 get the spec's status and flat error body (with Keito's code),
and change nothing: every table keeps its rows, and an entry a bad PATCH names keeps its
values. In process with the `api` fixture (tests/serving.py), which checks every answer
against openapi-v2.yaml; requests that break the spec on purpose say check_request=False.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa

from keito_core.server.app import MAX_BODY

SET_UP_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TIME_ENTRIES = "/api/v2/time_entries"
EXPENSES = "/api/v2/expenses"


@pytest.fixture
def world(workspace) -> SimpleNamespace:
    """Project ACME with the default task Development, the administrator on its team, one
    entry of theirs and a standard expense category."""
    from keito_core.services.directory import categories, clients, projects, tasks
    from keito_core.services.tracking.time_entries import log_time

    with workspace.session() as s:
        admin = workspace.actor(s)
        task = tasks.create_task(s, actor=admin, name="Development", is_default=True,
                                 now=SET_UP_AT)
        client = clients.create_client(s, actor=admin, name="Acme Corp", now=SET_UP_AT)
        project = projects.create_project(s, actor=admin, name="Acme Website", code="ACME",
                                          client_ref=client.id, now=SET_UP_AT)
        category = categories.create_category(s, actor=admin, name="API costs",
                                              now=SET_UP_AT)
        entry = log_time(s, actor=admin, project_ref=project.id, task_ref=task.id,
                         duration="1", spent_date="2026-03-02", notes="kept",
                         meta={"kept": True}, source="cli", now=SET_UP_AT)
        return SimpleNamespace(project=project.id, task=task.id, category=category.id,
                               entry=entry.id)


def snapshot(workspace) -> dict[str, Any]:  # noqa: ANN001
    """Every table's row count, and every time entry's and API key's rows."""
    from keito_core.models import metadata

    with workspace.engine.connect() as conn:
        counts = {table.name: conn.execute(sa.select(sa.func.count()).select_from(table))
                  .scalar_one() for table in metadata.sorted_tables}
        entries = [tuple(row) for row in conn.execute(
            sa.text("SELECT * FROM time_entries ORDER BY id"))]
        keys = [tuple(row) for row in conn.execute(sa.text("SELECT * FROM api_keys ORDER BY id"))]
    return {"counts": counts, "entries": entries, "keys": keys}


def entry_body(world: SimpleNamespace, **changes: Any) -> dict[str, Any]:
    return {"project_id": world.project, "task_id": world.task, "spent_date": "2026-03-05",
            "hours": 1.5, "notes": "review", **changes}


def assert_error(response: Any, status: int, code: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["error_description"], str) and body["error_description"]
    assert body["code"] == code
    if field is not None:
        assert body.get("field") == field, body
    assert response.headers["x-keito-api-version"] == "2"


def test_malformed_json(api, world, workspace) -> None:
    before = snapshot(workspace)
    answer = api.post(TIME_ENTRIES, content=b'{"project_id": "prj_', check_request=False,
                      headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "validation_error")
    assert "JSON" in answer.json()["error_description"]
    expense = api.post(EXPENSES, content=b"{nope}", check_request=False,
                       headers={"Content-Type": "application/json"})
    assert_error(expense, 400, "validation_error")
    assert snapshot(workspace) == before


def test_a_body_that_is_not_an_object(api, world, workspace) -> None:
    before = snapshot(workspace)
    answer = api.post(TIME_ENTRIES, json=[entry_body(world)], check_request=False)
    assert_error(answer, 400, "validation_error")
    assert snapshot(workspace) == before


@pytest.mark.parametrize(("changes", "field"), [
    ({"hours": "lots"}, "hours"),
    ({"billable": "yes please"}, "billable"),
    ({"spent_date": 20260305}, "spent_date"),
    ({"metadata": ["not", "an", "object"]}, "metadata"),
    ({"hours": 25}, "hours"),
])
def test_a_wrong_type_or_value(api, world, workspace, changes, field) -> None:
    before = snapshot(workspace)
    answer = api.post(TIME_ENTRIES, json=entry_body(world, **changes), check_request=False)
    assert_error(answer, 400, "validation_error", field=field)
    assert snapshot(workspace) == before


def test_a_wrong_type_in_a_patch_changes_nothing(api, world, workspace) -> None:
    before = snapshot(workspace)
    answer = api.patch(f"{TIME_ENTRIES}/{world.entry}", json={"hours": "two", "notes": "x"},
                       check_request=False)
    assert_error(answer, 400, "validation_error", field="hours")
    assert snapshot(workspace) == before


def test_an_unknown_project_or_task(api, world, workspace) -> None:
    before = snapshot(workspace)
    answer = api.post(TIME_ENTRIES, json=entry_body(world, project_id="prj_nowhere"))
    assert_error(answer, 404, "not_found")
    assert "prj_nowhere" in answer.json()["error_description"]
    task = api.post(TIME_ENTRIES, json=entry_body(world, task_id="tsk_nowhere"))
    assert_error(task, 404, "not_found")
    expense = api.post(EXPENSES, json={"project_id": "prj_nowhere",
                                       "expense_category_id": world.category,
                                       "spent_date": "2026-03-05", "total_cost": 1})
    assert_error(expense, 404, "not_found")
    assert snapshot(workspace) == before


def _metadata_over(size: int) -> dict[str, str]:
    return {"blob": "x" * size}


def test_metadata_over_4_kb(api, world, workspace) -> None:
    before = snapshot(workspace)
    big = _metadata_over(4096)
    assert len(json.dumps(big).encode()) > 4096
    created = api.post(TIME_ENTRIES, json=entry_body(world, metadata=big))
    assert_error(created, 400, "metadata_too_large", field="metadata")
    patched = api.patch(f"{TIME_ENTRIES}/{world.entry}", json={"metadata": big})
    assert_error(patched, 400, "metadata_too_large", field="metadata")
    expense = api.post(EXPENSES, json={"project_id": world.project,
                                       "expense_category_id": world.category,
                                       "spent_date": "2026-03-05", "total_cost": 1,
                                       "metadata": big})
    assert_error(expense, 400, "metadata_too_large", field="metadata")
    assert snapshot(workspace) == before


def test_merged_metadata_over_4_kb_is_refused_too(api, world, workspace) -> None:
    """Each half fits; merged into what the entry has, they do not."""
    before = snapshot(workspace)
    first = api.patch(f"{TIME_ENTRIES}/{world.entry}", json={"metadata": {"a": "x" * 2500}})
    assert first.status_code == 200, first.text
    after_first = snapshot(workspace)
    second = api.patch(f"{TIME_ENTRIES}/{world.entry}", json={"metadata": {"b": "y" * 2500}})
    assert_error(second, 400, "metadata_too_large", field="metadata")
    assert snapshot(workspace) == after_first != before


def test_a_huge_body(api, world, workspace) -> None:
    before = snapshot(workspace)
    body = json.dumps(entry_body(world, notes="n" * (MAX_BODY + 1))).encode()
    answer = api.post(TIME_ENTRIES, content=body, check_request=False,
                      headers={"Content-Type": "application/json"})
    assert_error(answer, 400, "validation_error")
    assert str(MAX_BODY) in answer.json()["error_description"]

    def chunks():  # no Content-Length: the limit holds while the body streams in
        for _ in range(MAX_BODY // 4096 + 2):
            yield b" " * 4096

    streamed = api.post(TIME_ENTRIES, content=chunks(), check_request=False,
                        headers={"Content-Type": "application/json"})
    assert_error(streamed, 400, "validation_error")
    assert snapshot(workspace) == before


def test_a_missing_or_wrong_account_id(api, world, workspace) -> None:
    before = snapshot(workspace)
    api.headers.pop("Keito-Account-Id")
    missing = api.post(TIME_ENTRIES, json=entry_body(world), check_request=False)
    assert_error(missing, 401, "authentication_error", field="Keito-Account-Id")
    assert "missing" in missing.json()["error_description"]
    wrong = api.post(TIME_ENTRIES, json=entry_body(world), check_request=False,
                     headers={"Keito-Account-Id": "acc_someone_else"})
    assert_error(wrong, 401, "authentication_error", field="Keito-Account-Id")
    listed = api.get(TIME_ENTRIES, headers={"Keito-Account-Id": "acc_someone_else"},
                     check_request=False)
    assert_error(listed, 401, "authentication_error")
    assert snapshot(workspace) == before


def test_a_missing_unknown_or_revoked_key(api, world, workspace) -> None:
    from serving import make_key

    from keito_core.services.directory.keys import revoke_key

    revoked = make_key(workspace)
    with workspace.session() as s:
        revoke_key(s, actor=workspace.actor(s), key_ref=revoked, now=SET_UP_AT)
    before = snapshot(workspace)
    api.headers.pop("Authorization")
    missing = api.post(TIME_ENTRIES, json=entry_body(world), check_request=False)
    assert_error(missing, 401, "authentication_error")
    for key in ("keito_sk_unknown", revoked):
        refused = api.post(TIME_ENTRIES, json=entry_body(world), check_request=False,
                           headers={"Authorization": f"Bearer {key}"})
        assert_error(refused, 401, "authentication_error")
    basic = api.get(TIME_ENTRIES, check_request=False,
                    headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert_error(basic, 401, "authentication_error")
    assert snapshot(workspace) == before
