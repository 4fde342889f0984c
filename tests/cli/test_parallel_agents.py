"""Agents logging time at once, each call its own `keito` process: nothing lost or refused.

The issue's check, with smaller numbers than benchmarks/parallel_agents.py (8 x 50).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from keito_core.models import TimeEntry
from keito_core.services.directory import clients, keys, projects, users
from keito_core.services.directory.project_team import assign_member

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

AGENTS, EACH = 4, 4
PROGRAM = "from keito_tui.cli.launch import run; run()"


@pytest.fixture
def agents(workspace):
    """Project `lab` and AGENTS agent users assigned to it, each with its own key."""
    made = []
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Lab", now=NOW)
        projects.create_project(s, actor=actor, name="Agents lab", client_ref="Lab", code="lab",
                                now=NOW)
        for n in range(AGENTS):
            agent = users.create_user(s, actor=actor, name=f"agent-{n}", agent=True, now=NOW)
            assign_member(s, actor=actor, project_ref="lab", user_ref=agent.id, now=NOW)
            _, secret = keys.create_key(s, actor=actor, user_ref=agent.id, name="test", now=NOW)
            made.append((agent.id, secret))
    return made


def _log_many(key: str, n: int) -> list[str]:
    """EACH `keito time log` processes one after the other; the failures."""
    env = {**os.environ, "KEITO_API_KEY": key}
    failures = []
    for i in range(EACH):
        done = subprocess.run(
            [sys.executable, "-c", PROGRAM, "time", "log", "--project", "lab", "--hours", "0.5",
             "--source", "agent", "--notes", f"agent {n} step {i}", "--json"],
            env=env, capture_output=True, text=True, check=False,
        )
        if done.returncode != 0 or done.stderr.strip():
            failures.append(f"agent {n} step {i}: {done.returncode} {done.stderr.strip()}")
    return failures


def test_parallel_agents_lose_nothing(workspace, agents, keito_home):
    with ThreadPoolExecutor(max_workers=AGENTS) as pool:
        failures = [f for found in pool.map(_log_many, [k for _, k in agents], range(AGENTS))
                    for f in found]
    assert failures == []
    with workspace.session(readonly=True) as s:
        entries = [(e.user_id, e.notes, e.source, e.duration_seconds)
                   for e in s.exec(select(TimeEntry)).all()]
    assert len(entries) == AGENTS * EACH
    for n, (agent_id, _) in enumerate(agents):
        notes = sorted(note for user_id, note, _, _ in entries if user_id == agent_id)
        assert notes == [f"agent {n} step {i}" for i in range(EACH)]
    assert {(source, seconds) for _, _, source, seconds in entries} == {("agent", 1800)}
