"""Refusals name the people and projects involved, as people know them, never by raw IDs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine

from keito_core.enums import Role
from keito_core.services.approvals.workflow import submit_timesheet
from keito_core.services.directory import clients, keys, project_team, projects, users
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.tracking.timers import start_timer
from keito_core.services.workspace.setup import set_setting

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 6 March 2026
RAW_ID = re.compile(r"\b(usr|prj|cli|key|sub)_[0-9a-z]{6,}")


@pytest.fixture
def acme(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Mia (member) on Acme Website, her week submitted; Nora manages nobody; Ada (admin) has
    a key and a timer running on Internal."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        for name, code in (("Acme Website", "acme"), ("Internal", "internal")):
            projects.create_project(s, actor=admin, name=name, client_ref="Acme Corp",
                                    code=code, now=NOW)
        mia = users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test",
                                now=NOW)
        nora = users.create_user(s, actor=admin, name="Nora Manager", email="nora@acme.test",
                                 role=Role.MANAGER, now=NOW)
        max_ = users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                 role=Role.MANAGER, now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=max_.id, add=[mia.id], now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="acme", user_ref=mia.id, now=NOW)
        env = {who: {"KEITO_API_KEY": keys.create_key(s, actor=admin, user_ref=u.id, name=who,
                                                      now=NOW)[1]}
               for who, u in (("mia", mia), ("nora", nora))}
        ada_key, _ = keys.create_key(s, actor=admin, name="laptop", now=NOW)
        mia_actor = workspace.actor(s, mia.id)
        log_time(s, actor=mia_actor, project_ref="acme", duration="2", spent_date="2026-03-03",
                 source="cli", now=NOW)
        submission = submit_timesheet(s, actor=mia_actor, date_from="2026-03-02",
                                      date_to="2026-03-08", now=NOW).submission
        start_timer(s, actor=admin, project_ref="internal", source="cli", now=NOW)
        return SimpleNamespace(env=env, submission=submission.id, ada_key=ada_key.prefix)


def refused_by_name(cli, env: dict[str, str], *args: str, names: tuple[str, ...]) -> str:  # noqa: ANN001
    with time_machine.travel(NOW, tick=False):
        result = cli(*args, env=env)
    assert result.exit_code == 1 and result.error["code"] == "authorization_error", result
    message = result.error["message"]
    assert not RAW_ID.search(message), message
    assert all(name in message for name in names), message
    return message


def test_someone_elses_running_timer_names_its_project(cli, acme) -> None:  # noqa: ANN001
    refused_by_name(cli, acme.env["mia"], "time", "status", "--user", "Ada Admin",
                    names=("Ada Admin", "Internal"))


def test_a_project_not_on_names_the_project(cli, acme) -> None:  # noqa: ANN001
    refused_by_name(cli, acme.env["mia"], "project", "show", "internal", names=("Internal",))
    refused_by_name(cli, acme.env["nora"], "project", "edit", "acme", "--name", "Website",
                    names=("Acme Website",))


def test_someone_elses_keys_and_teammates_name_them(cli, acme) -> None:  # noqa: ANN001
    refused_by_name(cli, acme.env["mia"], "key", "revoke", acme.ada_key, names=("Ada Admin",))
    refused_by_name(cli, acme.env["mia"], "key", "list", "--user", "Ada Admin",
                    names=("Ada Admin",))
    refused_by_name(cli, acme.env["mia"], "user", "teammates", "Max Manager",
                    names=("Max Manager",))


def test_a_submission_one_may_not_see_or_decide_names_whose_it_is(cli, acme) -> None:  # noqa: ANN001
    refused_by_name(cli, acme.env["nora"], "approvals", "show", acme.submission,
                    names=("Mia Member",))
    refused_by_name(cli, acme.env["nora"], "approvals", "approve", acme.submission,
                    names=("Mia Member", "Acme Website"))
    refused_by_name(cli, acme.env["mia"], "timesheet", "submit", "--user", "Ada Admin",
                    names=("Ada Admin",))
