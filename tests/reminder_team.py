"""A team with open and submitted work in the week of Monday 2 March 2026, for reminder tests."""

from __future__ import annotations

from datetime import UTC, datetime

from keito_core.enums import ApprovalStatus
from keito_core.models import TimeEntry
from keito_core.platform.identity import get_workspace
from keito_core.services.directory import clients, projects, users
from keito_core.services.directory.project_team import assign_member
from keito_core.services.tracking.expenses import log_expense
from keito_core.services.tracking.time_entries import log_time

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
#: Europe/London is on GMT in early March: local times equal UTC.
REMINDER_AT = datetime(2026, 3, 6, 9, 0, tzinfo=UTC)
DEADLINE_AT = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


def make_team(workspace, *, approvals: bool = True, reminders: bool = True) -> dict[str, str]:
    """Bea: 2 open entries (one rejected) and an expense; Dan: only submitted time; Cy: none;
    an agent with one open entry; Max manages Bea. Returns everyone's user ID by first name."""
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.feature_approvals, ws.reminders_enabled = approvals, reminders
        admin = workspace.actor(s)
        clients.create_client(s, actor=admin, name="Acme Corp", now=MONDAY)
        projects.create_project(s, actor=admin, name="Website", client_ref="Acme Corp",
                                code="web", now=MONDAY)
        made = {
            "bea": users.create_user(s, actor=admin, name="Bea Member", email="bea@acme.test",
                                     now=MONDAY),
            "cy": users.create_user(s, actor=admin, name="Cy Idle", email="cy@acme.test",
                                    now=MONDAY),
            "dan": users.create_user(s, actor=admin, name="Dan Done", email="dan@acme.test",
                                     now=MONDAY),
            "max": users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                     role="manager", now=MONDAY),
            "bot": users.create_user(s, actor=admin, name="build-bot", agent=True, now=MONDAY),
        }
        ids = {name: user.id for name, user in made.items()}
        for name in ("bea", "dan", "bot"):
            assign_member(s, actor=admin, project_ref="web", user_ref=ids[name], now=MONDAY)
        users.set_teammates(s, actor=admin, manager_ref=ids["max"], add=[ids["bea"]], now=MONDAY)

        def log(name: str, hours: str, day: str) -> TimeEntry:
            return log_time(s, actor=admin, project_ref="web", duration=hours, spent_date=day,
                            source="cli", now=MONDAY, user_ref=ids[name])

        log("bea", "2", "2026-03-03")
        log("bea", "1.5", "2026-03-04").approval_status = ApprovalStatus.REJECTED
        log("bea", "3", "2026-02-27")  # the week before: not this period
        log_expense(s, actor=admin, project_ref="web", category_ref="LLM Usage", quantity="10",
                    spent_date="2026-03-03", source="cli", now=MONDAY, user_ref=ids["bea"])
        log("dan", "4", "2026-03-03").approval_status = ApprovalStatus.SUBMITTED
        log("bot", "0.5", "2026-03-05")
    ids["ada"] = workspace.admin_id
    return ids
