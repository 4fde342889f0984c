"""`keito timesheet` and `keito approvals`, and `time/expense unlock`, through the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import time_machine

from keito_core.enums import ManagerPermission, Role
from keito_core.models import User
from keito_core.services.directory import clients, keys, project_team, projects, users
from keito_core.services.workspace.setup import set_setting

#: Friday 6 March 2026; this week (Monday start) is 2-8 March.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def team(workspace):
    """Approvals on; project `acme`; Mia (member) and Bot (agent) on it; Max manages both and
    may withdraw approvals; Nora manages nobody. Each has an API key."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        projects.create_project(s, actor=admin, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        made = {
            "mia": users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test",
                                     now=NOW),
            "bot": users.create_user(s, actor=admin, name="review-bot", agent=True, now=NOW),
            "max": users.create_user(s, actor=admin, name="Max Manager", email="max@acme.test",
                                     role=Role.MANAGER, now=NOW),
            "nora": users.create_user(s, actor=admin, name="Nora Manager",
                                      email="nora@acme.test", role=Role.MANAGER, now=NOW),
        }
        for who in ("mia", "bot"):
            project_team.assign_member(s, actor=admin, project_ref="acme", user_ref=made[who].id,
                                       now=NOW)
        users.set_teammates(s, actor=admin, manager_ref=made["max"].id,
                            add=[made["mia"].id, made["bot"].id], now=NOW)
        s.get(User, made["max"].id).manager_permissions = [
            ManagerPermission.WITHDRAW_APPROVALS.value]
        env = {who: {"KEITO_API_KEY": keys.create_key(s, actor=admin, user_ref=u.id,
                                                      name=who, now=NOW)[1]}
               for who, u in made.items()}
    return SimpleNamespace(env=env, **{who: u.id for who, u in made.items()})


@pytest.fixture
def as_(cli, team):
    """Run a command as one of the team (by API key), or as the administrator, at NOW."""
    def go(who, *args):
        with time_machine.travel(NOW, tick=False):
            return cli(*args, env=None if who == "admin" else team.env[who])

    return go


def test_submit_review_approve_reject_and_resubmit(as_, team) -> None:
    assert as_("mia", "time", "log", "--project", "acme", "--hours", "3", "--date", "2026-03-02",
               "--notes", "build").exit_code == 0
    assert as_("bot", "time", "log", "--project", "acme", "--hours", "2", "--date",
               "2026-03-03", "--notes", "review", "--source", "agent").exit_code == 0
    mia = as_("mia", "timesheet", "submit")
    assert mia.exit_code == 0, mia
    assert (mia.json["period_start"], mia.json["period_end"]) == ("2026-03-02", "2026-03-08")
    assert mia.json["total_hours"] == 3 and mia.json["status"] == "submitted"
    bot = as_("bot", "timesheet", "submit", "--week", "2026-03-04")
    assert bot.exit_code == 0, bot

    queue = as_("max", "approvals", "list")
    assert queue.exit_code == 0, queue
    assert {r["id"] for r in queue.json["data"]} == {mia.json["id"], bot.json["id"]}
    agent_only = as_("max", "approvals", "list", "--source", "agent")
    assert [r["user"]["user_type"] for r in agent_only.json["data"]] == ["agent"]
    shown = as_("max", "approvals", "show", bot.json["id"])
    assert shown.json["time_entries"][0]["notes"] == "review"
    assert "agent_time" in shown.json["flags"]

    approved = as_("max", "approvals", "approve", mia.json["id"], "--note", "thanks")
    assert approved.exit_code == 0, approved
    assert approved.json["data"][0]["status"] == "approved"
    no_reason = as_("max", "approvals", "reject", bot.json["id"])
    assert (no_reason.exit_code, no_reason.error["field"]) == (2, "reason")
    rejected = as_("max", "approvals", "reject", bot.json["id"], "--reason", "add detail")
    assert rejected.json["data"][0]["reason"] == "add detail"

    entry = shown.json["time_entries"][0]["id"]
    assert as_("bot", "time", "edit", entry, "--notes", "review of PR 12").exit_code == 0
    again = as_("bot", "timesheet", "submit")
    assert again.exit_code == 0 and again.json["id"] != bot.json["id"]

    status = as_("mia", "timesheet", "status")
    assert status.json["statuses"]["approved"]["entry_count"] == 1
    assert [s["id"] for s in status.json["submissions"]] == [mia.json["id"]]
    everything = as_("max", "approvals", "list", "--all")
    assert len(everything.json["data"]) == 3


def test_approved_entries_refuse_edits_with_locked_until_an_admin_unlocks(as_, team) -> None:
    logged = as_("mia", "time", "log", "--project", "acme", "--hours", "1", "--notes", "x")
    sub = as_("mia", "timesheet", "submit")
    as_("max", "approvals", "approve", sub.json["id"])
    for who in ("mia", "admin"):
        refused = as_(who, "time", "edit", logged.json["id"], "--notes", "y")
        assert (refused.exit_code, refused.error["code"]) == (3, "locked")
    deleted = as_("mia", "time", "delete", logged.json["id"], "--yes")
    assert deleted.error["code"] == "locked"
    assert as_("max", "time", "unlock", logged.json["id"]).error["code"] == "authorization_error"
    unlocked = as_("admin", "time", "unlock", logged.json["id"])
    assert unlocked.exit_code == 0, unlocked
    assert as_("mia", "time", "edit", logged.json["id"], "--notes", "y").exit_code == 0
    assert as_("admin", "time", "unlock", logged.json["id"]).error["code"] == "conflict"


def test_expense_unlock_and_quiet_ids(as_, team) -> None:
    logged = as_("mia", "expense", "log", "--project", "acme", "--quantity", "10")
    assert logged.exit_code == 0, logged
    sub = as_("mia", "--quiet", "timesheet", "submit")
    sub_id = sub.stdout.strip()
    assert sub_id.startswith("sub_")
    assert as_("max", "-q", "approvals", "approve", sub_id).stdout.strip() == sub_id
    unlocked = as_("admin", "expense", "unlock", logged.json["id"])
    assert unlocked.exit_code == 0 and unlocked.json["data"][0]["id"] == logged.json["id"]


def test_a_manager_not_assigned_sees_nothing_and_may_not_decide(as_, team) -> None:
    as_("mia", "time", "log", "--project", "acme", "--hours", "1")
    sub = as_("mia", "timesheet", "submit")
    assert as_("nora", "approvals", "list", "--all").json["data"] == []
    assert as_("nora", "approvals", "show", sub.json["id"]).exit_code == 1
    refused = as_("nora", "approvals", "approve", sub.json["id"])
    assert (refused.exit_code, refused.error["code"]) == (1, "authorization_error")


def test_a_project_manager_may_not_decide_their_own_timesheet(as_, team) -> None:
    """Max manages the project and may withdraw approvals, so only the self-approval rule
    refuses him his own timesheet; an administrator approves it, and may approve their own."""
    assigned = as_("admin", "project", "assign", "acme", "max@acme.test", "--manager")
    assert assigned.exit_code == 0, assigned
    assert as_("max", "time", "log", "--project", "acme", "--hours", "1").exit_code == 0
    sub = as_("max", "timesheet", "submit")
    assert sub.exit_code == 0, sub
    for verb, label, extra in (("approve", "approve timesheets", ()),
                               ("reject", "reject timesheets", ("--reason", "mine"))):
        refused = as_("max", "approvals", verb, sub.json["id"], *extra)
        assert refused.exit_code == 1, refused
        assert (refused.error["code"], refused.error["message"]) == (
            "authorization_error", f"manager may not {label} for themselves")
    assert as_("admin", "approvals", "approve", sub.json["id"]).exit_code == 0
    refused = as_("max", "approvals", "withdraw", sub.json["id"])
    assert refused.exit_code == 1, refused
    assert refused.error["message"] == "manager may not withdraw approvals for themselves"
    assert as_("admin", "time", "log", "--project", "acme", "--hours", "1").exit_code == 0
    own = as_("admin", "timesheet", "submit")
    approved = as_("admin", "approvals", "approve", own.json["id"])
    assert approved.json["data"][0]["status"] == "approved", approved


def test_errors_have_stable_codes(as_, team) -> None:
    nothing = as_("mia", "timesheet", "submit", "--from", "2026-03-02", "--to", "2026-03-03")
    assert (nothing.exit_code, nothing.error["code"]) == (2, "validation_error")
    both = as_("mia", "timesheet", "submit", "--week", "today", "--from", "2026-03-02")
    assert both.error["field"] == "week"
    half = as_("mia", "timesheet", "status", "--from", "2026-03-02")
    assert half.error["field"] == "to"
    missing = as_("max", "approvals", "approve", "sub_nope")
    assert (missing.exit_code, missing.error["code"]) == (4, "not_found")
    as_("mia", "time", "log", "--project", "acme", "--hours", "1")
    sub = as_("mia", "timesheet", "submit")
    as_("max", "approvals", "approve", sub.json["id"])
    twice = as_("max", "approvals", "approve", sub.json["id"])
    assert (twice.exit_code, twice.error["code"]) == (3, "conflict")
    withdrawn = as_("max", "approvals", "withdraw", sub.json["id"], "--note", "oops")
    assert withdrawn.json["data"][0]["status"] == "submitted"
    bad_status = as_("max", "approvals", "list", "--status", "pending")
    assert bad_status.error["code"] == "validation_error"


def test_approvals_off_is_a_validation_error(as_, team, workspace) -> None:
    with workspace.session() as s:
        set_setting(s, actor=workspace.actor(s), key="features.approvals", value="false", now=NOW)
    as_("mia", "time", "log", "--project", "acme", "--hours", "1")
    off = as_("mia", "timesheet", "submit")
    assert (off.exit_code, off.error["field"]) == (2, "features.approvals")


def test_is_locked_says_what_an_edit_would_meet(as_, team, workspace) -> None:
    """`is_locked` in `time show` is true exactly when `time edit` is refused with `locked`:
    submitted, approved (even once approvals are off), and older than the lock-after days."""
    def locked_and_refused(entry_id: str) -> tuple[bool, bool]:
        shown = as_("mia", "time", "show", entry_id)
        edit = as_("mia", "time", "edit", entry_id, "--notes", "changed")
        assert shown.exit_code == 0, shown
        return shown.json["is_locked"], edit.exit_code == 3 and edit.error["code"] == "locked"

    old = as_("mia", "time", "log", "--project", "acme", "--hours", "1", "--date", "2026-03-02")
    assert locked_and_refused(old.json["id"]) == (False, False)
    sub = as_("mia", "timesheet", "submit")
    assert locked_and_refused(old.json["id"]) == (True, True)
    as_("max", "approvals", "approve", sub.json["id"])
    assert locked_and_refused(old.json["id"]) == (True, True)
    as_("admin", "settings", "set", "features.approvals", "false")
    assert locked_and_refused(old.json["id"]) == (True, True)  # approval outlives the toggle
    new = as_("mia", "time", "log", "--project", "acme", "--hours", "1")
    wednesday = as_("mia", "time", "log", "--project", "acme", "--hours", "1", "--date",
                    "2026-03-04")
    assert locked_and_refused(wednesday.json["id"]) == (False, False)
    as_("admin", "settings", "set", "lock_after_days", "1")
    assert locked_and_refused(wednesday.json["id"]) == (True, True)  # before 5 March
    assert locked_and_refused(new.json["id"]) == (False, False)  # today's entry
    listed = as_("mia", "time", "list", "--from", "2026-03-01")
    assert {e["id"]: e["is_locked"] for e in listed.json["data"]} == {
        old.json["id"]: True, wednesday.json["id"]: True, new.json["id"]: False}


def test_status_and_all_together_are_refused(as_, team) -> None:
    both = as_("max", "approvals", "list", "--status", "approved", "--all")
    assert (both.exit_code, both.error["code"], both.error["field"]) == (
        2, "validation_error", "status")
    assert as_("max", "approvals", "list", "--status", "approved").exit_code == 0


def test_tables_on_a_terminal_keep_ids_whole_with_ids(team, workspace, monkeypatch) -> None:
    """With --ids a narrow terminal wraps names, never the IDs people copy into the next
    command (without it they are shortened: tests/cli/test_tables_cli.py)."""
    import io

    from keito_tui.cli import state as state_module
    from keito_tui.cli.output import Output

    captured: list[Output] = []

    def detect(*, json_flag: bool, quiet: bool) -> Output:
        out = Output(json=json_flag, quiet=quiet, stdout=io.StringIO())
        captured.append(out)
        return out

    monkeypatch.setattr(state_module.Output, "detect", staticmethod(detect))
    monkeypatch.setenv("COLUMNS", "80")
    with time_machine.travel(NOW, tick=False):
        from typer.testing import CliRunner

        from keito_tui.cli.main import app

        runner = CliRunner()
        env = team.env["mia"]
        runner.invoke(app, ["time", "log", "--project", "acme", "--hours", "1"], env=env)
        runner.invoke(app, ["timesheet", "submit"], env=env)
        listed = runner.invoke(app, ["approvals", "list", "--ids"], env=team.env["max"])
    assert listed.exit_code == 0, listed.output
    text = captured[-1].stdout.getvalue()
    ids = [line for line in text.splitlines() if "sub_" in line]
    assert ids and all(len(token) == 26 for line in ids for token in line.split()
                       if token.startswith("sub_"))
