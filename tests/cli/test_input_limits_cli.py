"""Loose input on the command line: out-of-range dates refused, the future warned of on stderr
and in the JSON, overlong notes and zero or sub-penny expense totals refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from keito_core.models import Client, Project, ProjectMember
from keito_core.platform.ids import new_id

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def web(workspace):
    """Project `web` of a GBP client, with the administrator on its team."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        s.add(client)
        s.flush()
        project = Project(id=new_id("project"), client_id=client.id, name="Website",
                          handle="web")
        s.add(project)
        s.flush()
        s.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                            user_id=workspace.admin_id))
    with time_machine.travel(NOW, tick=False):
        yield workspace


@pytest.mark.parametrize("command", [
    ("time", "log", "--project", "web", "--hours", "1"),
    ("expense", "log", "--project", "web", "--category", "transportation", "--total", "9.50"),
])
def test_a_future_date_is_saved_with_a_warning_on_stderr_and_in_json(cli, web, command) -> None:
    saved = cli(*command, "--date", "2026-03-20")
    assert saved.exit_code == 0, saved
    assert saved.json["spent_date"] == "2026-03-20"
    assert len(saved.json["warnings"]) == 1
    assert "2026-03-20 is in the future" in saved.json["warnings"][0]
    assert "warning: 2026-03-20 is in the future" in saved.stderr


def test_today_has_no_warnings(cli, web) -> None:
    saved = cli("time", "log", "--project", "web", "--hours", "1")
    assert saved.exit_code == 0, saved
    assert "warnings" not in saved.json and saved.stderr == ""


@pytest.mark.parametrize("day", ["1900-01-01", "2030-01-01"])
def test_dates_far_out_of_range_are_refused(cli, web, day: str) -> None:
    refused = cli("time", "log", "--project", "web", "--hours", "1", "--date", day)
    assert refused.exit_code == 2, refused
    assert (refused.error["code"], refused.error["field"]) == ("validation_error", "spent_date")


def test_overlong_notes_are_refused(cli, web) -> None:
    refused = cli("time", "log", "--project", "web", "--hours", "1", "--notes", "x" * 100_000)
    assert refused.exit_code == 2, refused
    assert refused.error["field"] == "notes"
    assert "10,000" in refused.error["message"]


@pytest.mark.parametrize("total", ["0", "1.234"])
def test_a_zero_or_sub_penny_total_is_refused(cli, web, total: str) -> None:
    refused = cli("expense", "log", "--project", "web", "--category", "transportation",
                  "--total", total)
    assert refused.exit_code == 2, refused
    assert (refused.error["code"], refused.error["field"]) == ("validation_error", "total")
