"""`keito time stop --round`: the rule its help states is the rule it applies."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
import typer

from keito_core.rules.rounding import parse_increment, round_duration
from keito_core.services.directory import clients, projects
from keito_core.services.directory.project_team import assign_member
from keito_tui.cli.main import app

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

START = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)


def _round_help() -> str:
    command = typer.main.get_command(app)
    stop = command.commands["time"].commands["stop"]  # type: ignore[attr-defined]
    option = next(p for p in stop.params if "--round" in getattr(p, "opts", ()))
    return str(option.help)


def test_round_help_states_the_rule_with_examples_that_hold() -> None:
    text = _round_help()
    assert "nearest" in text and "halfway rounds up" in text
    assert "under one increment becomes one" in text
    increment = re.search(r"With (\d+m):", text)
    assert increment is not None
    examples = re.findall(r"(\d+)m -> (\d+)m", text)
    assert len(examples) >= 3
    for worked, saved in examples:
        rounded = round_duration(int(worked) * 60, parse_increment(increment.group(1)))
        assert rounded == int(saved) * 60, (worked, saved)


@pytest.fixture
def acme(workspace):
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=NOW)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        assign_member(s, actor=actor, project_ref="acme", user_ref=workspace.admin_id, now=NOW)
    return workspace


@pytest.mark.parametrize(("minutes", "hours"), [(1, 0.25), (22, 0.25), (23, 0.5), (52, 0.75)])
def test_stop_rounds_to_the_nearest_and_never_to_zero(cli, acme, minutes: int,
                                                      hours: float) -> None:
    with time_machine.travel(START, tick=False):
        assert cli("time", "start", "--project", "acme").exit_code == 0
    with time_machine.travel(START + timedelta(minutes=minutes), tick=False):
        stopped = cli("time", "stop", "--round", "15m")
    assert stopped.exit_code == 0, stopped
    assert stopped.json["hours"] == hours
    assert stopped.json["is_rounded"] is True
