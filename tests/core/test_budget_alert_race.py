"""Budget alerts exactly once, with real processes racing on a real database: eight agents,
each with their own user, log time to one budgeted project at the same moment (behind a
barrier), on SQLite and on PostgreSQL. Together they cross the 80 % threshold and go over
budget; the project's manager and the administrator each get exactly one notification per
threshold."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

import races
from sqlmodel import select

from keito_core.models import BudgetAlert, Notification
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import init_workspace

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
PROCESSES = races.PROCESSES
#: The fixture: an empty database at the head schema, on SQLite and on PostgreSQL.
race_url = races.race_url


def _budgeted_project(url: str) -> tuple[str, str, str, list[str]]:
    """Project Race with a 10-hour budget (alert at 80 %), managed by Max, with eight agents
    on its team; 6 hours already logged. Returns (Ada's ID, Max's, the project's, agents')."""
    engine = db.make_engine(url)
    with db.transaction(engine) as s:
        _, admin_user = init_workspace(s, company="Acme", currency="GBP",
                                       timezone="Europe/London", admin_name="Ada Admin",
                                       admin_email="ada@acme.test", now=NOW)
        admin = actor_for(s, admin_user)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        project = projects.create_project(s, actor=admin, name="Race", client_ref="Acme Corp",
                                          code="race", budget_by="total_hours", budget="10",
                                          now=NOW)
        manager = users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                    role="manager", now=NOW)
        assign_member(s, actor=admin, project_ref=project.id, user_ref=manager.id,
                      manager=True, now=NOW)
        agents = []
        for n in range(PROCESSES):
            agent = users.create_user(s, actor=admin, name=f"agent-{n}", agent=True, now=NOW)
            assign_member(s, actor=admin, project_ref=project.id, user_ref=agent.id, now=NOW)
            agents.append(agent.id)
        log_time(s, actor=actor_for(s, manager), project_ref=project.id, duration="6:00",
                 spent_date=date(2026, 3, 2), source="cli", now=NOW)
        ids = admin_user.id, manager.id, project.id, agents
    engine.dispose()  # no connection of the parent's crosses the fork
    return ids


def test_agents_crossing_a_budget_together_alert_each_recipient_once(race_url: str) -> None:
    admin_id, manager_id, project_id, agents = _budgeted_project(race_url)

    def log(s: Any, n: int) -> str:
        """Agent n logs 45 minutes."""
        return log_time(s, actor=races.acting(s, agents[n]), project_ref=project_id,
                        duration="0:45", spent_date=date(2026, 3, 6), notes=f"agent {n}",
                        source="agent", now=NOW).id

    outcomes = races.race(race_url, log)
    assert all(o[0] == "done" for o in outcomes.values()), outcomes

    # 6 h + 8 x 0.75 h = 12 h of 10: 80 % (8 h) and over (10 h) crossed by the racing writes.
    engine = db.make_engine(race_url)
    with db.transaction(engine, readonly=True) as s:
        notified = Counter(n.user_id for n in s.exec(
            select(Notification).where(Notification.kind == "budget_alert")).all())
        alerts = sorted(a.threshold for a in s.exec(select(BudgetAlert)).all())
    engine.dispose()
    assert alerts == ["80", "over"]
    assert notified == Counter({admin_id: 2, manager_id: 2})
