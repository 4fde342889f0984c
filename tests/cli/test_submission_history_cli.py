"""`keito approvals show` on a rejected submission whose items were submitted again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from keito_core.services.directory import clients, project_team, projects
from keito_core.services.workspace.setup import set_setting

#: Friday 6 March 2026; this week (Monday start) is 2-8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def run(cli, workspace):
    """Approvals on, project `acme` with the administrator on it; commands run at NOW."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        projects.create_project(s, actor=admin, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="acme",
                                   user_ref=workspace.admin_id, now=NOW)

    def go(*args: str):
        with time_machine.travel(NOW, tick=False):
            done = cli(*args)
        assert done.exit_code == 0, done
        return done.json

    return go


def test_show_lists_what_an_old_submission_held_with_its_current_status(run) -> None:
    entry = run("time", "log", "--project", "acme", "--hours", "2", "--date", "2026-03-02",
                "--notes", "build")["id"]
    first = run("timesheet", "submit")["id"]
    run("approvals", "reject", first, "--reason", "split it")
    run("time", "edit", entry, "--hours", "1.5")
    second = run("timesheet", "submit")["id"]

    old = run("approvals", "show", first)
    assert old["status"] == "rejected"
    assert [(e["id"], e["approval_status"], e["hours"]) for e in old["time_entries"]] == [
        (entry, "submitted", 1.5)]
    assert old["entry_count"] == 1 and old["total_hours"] == 1.5
    assert [e["id"] for e in run("approvals", "show", second)["time_entries"]] == [entry]
