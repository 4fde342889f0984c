"""`keito time` and `keito expense` through the command line, with the reference's examples."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import time_machine

from keito_core.services.directory import clients, keys, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

AGENT_ENV = ("CLAUDE_SESSION_ID", "CODEX_SESSION_ID", "OPENCLAW_AGENT_ID", "CURSOR_AGENT")


@pytest.fixture
def acme(workspace, monkeypatch):
    """Client Acme, project `acme` with task `development`; an agent and a stranger."""
    for name in AGENT_ENV:
        monkeypatch.delenv(name, raising=False)
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=NOW)
        tasks.create_task(s, actor=actor, name="Development", rate="120", now=NOW)
        tasks.create_task(s, actor=actor, name="Code Review", now=NOW)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", rate="150", now=NOW)
        projects.create_project(s, actor=actor, name="Internal", client_ref="Acme Corp",
                                code="internal", now=NOW)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="development", now=NOW)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="code-review", now=NOW)
        bot = users.create_user(s, actor=actor, name="review-bot-01", agent=True, rate="75",
                                now=NOW)
        users.create_user(s, actor=actor, name="Stranger", email="s@acme.test", now=NOW)
        assign_member(s, actor=actor, project_ref="acme", user_ref=bot.id, now=NOW)
        _, secret = keys.create_key(s, actor=actor, user_ref=bot.id, name="bot", now=NOW)
    workspace.bot_key = secret
    return workspace


def test_quick_start_of_the_reference(cli, acme):
    with time_machine.travel(datetime(2026, 3, 6, 9, 15, tzinfo=UTC), tick=False):
        started = cli("time", "start", "--project", "acme", "--task", "development")
    assert started.exit_code == 0, started
    assert started.json["is_running"] is True
    with time_machine.travel(datetime(2026, 3, 6, 10, 45, tzinfo=UTC), tick=False):
        stopped = cli("time", "stop", "--notes", "Fixed authentication bug")
    assert stopped.exit_code == 0, stopped
    assert stopped.json["hours"] == 1.5
    assert stopped.json["notes"] == "Fixed authentication bug"
    assert stopped.json["is_running"] is False
    assert stopped.json["source"] == "cli"
    logged = cli("time", "log", "--project", "acme", "--task", "development",
                 "--hours", "1.5", "--notes", "Implemented OAuth flow")
    assert logged.exit_code == 0, logged
    assert logged.json["hours"] == 1.5
    assert logged.json["billable_rate"] == 150
    expense = cli("expense", "log", "--project", "acme", "--quantity", "45",
                  "--notes", "claude-opus-4-6: 30k input + 15k output tokens")
    assert expense.exit_code == 0, expense
    assert expense.json["units"] == 45
    assert expense.json["unit_price"] == 0.003
    assert expense.json["total_cost"] == 0.135


def test_tracking_time_page_examples(cli, acme):
    assert cli("time", "start", "--project", "acme", "--task", "development").exit_code == 0
    status = cli("time", "status")
    assert status.json["running"] is True
    assert status.json["entry"]["project"]["name"] == "Acme Website"
    assert cli("time", "stop", "--notes", "Completed code review for PR #42").exit_code == 0
    assert cli("time", "status").json["running"] is False
    logged = cli("time", "log", "--project", "acme", "--task", "development", "--hours", "1.5",
                 "--date", "2026-03-06", "--notes", "Implemented OAuth flow")
    assert logged.json["spent_date"] == "2026-03-06"
    on_day = cli("time", "list", "--date", "2026-03-06").json
    assert [e["id"] for e in on_day["data"]] == [logged.json["id"]]
    assert on_day["has_more"] is False and on_day["next_cursor"] is None
    assert len(cli("time", "list", "--project", "acme").json["data"]) >= 1
    assert len(cli("time", "list").json["data"]) == 1  # today's: the stopped timer


def test_starting_a_timer_stops_and_saves_the_running_one(cli, acme):
    first = cli("time", "start", "--project", "acme", "--task", "development").json
    second = cli("time", "start", "--project", "acme", "--task", "code-review")
    assert second.exit_code == 0
    assert second.json["stopped"]["id"] == first["id"]
    assert second.json["stopped"]["is_running"] is False
    running = cli("time", "list", "--running").json["data"]
    assert [e["id"] for e in running] == [second.json["id"]]


def test_agent_mode_from_the_environment(cli, acme):
    env = {"CLAUDE_SESSION_ID": "sess-123", "KEITO_API_KEY": acme.bot_key}
    started = cli("time", "start", "--project", "acme", "--task", "development", env=env)
    assert started.exit_code == 0, started
    assert started.json["source"] == "agent"
    assert started.json["metadata"]["agent_type"] == "claude-code"
    assert started.json["metadata"]["session_id"] == "sess-123"
    assert cli("time", "stop", "--notes", "Reviewed 5 pull requests", env=env).exit_code == 0
    expense = cli("expense", "log", "--project", "acme", "--quantity", "62",
                  "--notes", "claude-opus-4-6: 42k input + 20k output tokens", env=env)
    assert expense.exit_code == 0, expense
    assert expense.json["source"] == "agent"
    assert expense.json["expense_category"]["name"] == "LLM Usage"
    listed = cli("expense", "list", "--source", "agent", env=env).json["data"]
    assert [x["id"] for x in listed] == [expense.json["id"]]


def test_explicit_agent_flags_and_discard(cli, acme):
    started = cli("time", "start", "--project", "acme", "--task", "development",
                  "--source", "agent", "--agent-id", "my-custom-bot", "--session-id", "abc-1",
                  env={"KEITO_API_KEY": acme.bot_key})
    assert started.json["metadata"]["agent_id"] == "my-custom-bot"
    assert started.json["metadata"]["session_id"] == "abc-1"
    discarded = cli("time", "stop", "--discard", env={"KEITO_API_KEY": acme.bot_key})
    assert discarded.exit_code == 0, discarded
    shown = cli("time", "show", started.json["id"])
    assert shown.exit_code == 4


def test_expense_examples(cli, acme):
    result = cli("expense", "log", "--project", "acme", "--category", "LLM Usage",
                 "--quantity", "45", "--notes", "claude-opus-4-6: 30k input + 15k output tokens")
    assert result.exit_code == 0, result
    assert cli("expense", "list").json["data"][0]["id"] == result.json["id"]
    assert len(cli("expense", "list", "--project", "acme").json["data"]) == 1
    assert cli("expense", "list", "--source", "agent").json["data"] == []


def test_edit_restart_copy_delete(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--task", "development", "--hours", "1:30",
                 "--date", "2026-03-06").json
    edited = cli("time", "edit", logged["id"], "--hours", "2", "--notes", "More work")
    assert edited.exit_code == 0, edited
    assert edited.json["hours"] == 2 and edited.json["notes"] == "More work"
    copied = cli("time", "copy", logged["id"], "--date", "2026-03-07")
    assert copied.json["spent_date"] == "2026-03-07" and copied.json["hours"] == 2
    restarted = cli("time", "restart", logged["id"])
    assert restarted.json["is_running"] is True
    assert restarted.json["task_id"] == logged["task_id"]
    assert cli("time", "delete", copied.json["id"]).exit_code == 0
    assert cli("time", "show", copied.json["id"]).exit_code == 4


def test_start_and_end_across_midnight(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--task", "development",
                 "--start", "23:00", "--end", "01:00", "--date", "2026-03-06")
    assert logged.exit_code == 0, logged
    assert logged.json["hours"] == 2
    assert logged.json["spent_date"] == "2026-03-06"


def test_metadata_flag(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--hours", "1",
                 "--metadata", json.dumps({"pr": 42, "model": "claude-opus-4-6"}))
    assert logged.json["metadata"] == {"pr": 42, "model": "claude-opus-4-6"}


def _count(cli) -> int:
    page = cli("time", "list", "--from", "2000-01-01", "--to", "2100-01-01", "--limit", "200")
    return len(page.json["data"])


@pytest.mark.parametrize(
    ("args", "exit_code", "code"),
    [
        (["time", "log", "--project", "internal", "--hours", "1"], 1, "project_not_assigned"),
        (["time", "log", "--project", "acme", "--hours", "abc"], 2, "validation_error"),
        (["time", "log", "--project", "acme", "--hours", "-1"], 2, "validation_error"),
        (["time", "log", "--project", "acme", "--hours", "25"], 2, "validation_error"),
        (["time", "log", "--project", "acme", "--hours", "1", "--metadata", "{bad"], 2,
         "validation_error"),
        (["time", "log", "--project", "acme", "--hours", "1", "--metadata",
          json.dumps({"blob": "x" * 5000})], 2, "metadata_too_large"),
        (["time", "log", "--project", "nope", "--hours", "1"], 4, "not_found"),
        (["time", "stop"], 3, "conflict"),
        (["expense", "log", "--project", "acme", "--category", "Nope", "--quantity", "1"], 4,
         "not_found"),
    ],
)
def test_bad_input_has_its_code_and_changes_nothing(cli, acme, args, exit_code, code):
    env = {"KEITO_API_KEY": acme.bot_key}  # the agent is assigned to acme only
    before = _count(cli)
    result = cli(*args, env=env)
    assert result.exit_code == exit_code, result
    assert result.error["code"] == code
    assert _count(cli) == before


def test_a_locked_entry_cannot_change(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--hours", "1", "--date", "2026-01-05").json
    assert cli("settings", "set", "lock_after_days", "30").exit_code == 0
    result = cli("time", "edit", logged["id"], "--hours", "3")
    assert result.exit_code == 3
    assert result.error["code"] == "locked"
    assert cli("time", "show", logged["id"]).json["hours"] == 1


def test_pagination_with_a_cursor(cli, acme):
    for day in range(1, 6):
        cli("time", "log", "--project", "acme", "--hours", "1", "--date", f"2026-03-0{day}")
    first = cli("time", "list", "--from", "2026-03-01", "--to", "2026-03-31", "--limit", "2").json
    assert len(first["data"]) == 2 and first["has_more"] is True
    second = cli("time", "list", "--from", "2026-03-01", "--to", "2026-03-31", "--limit", "2",
                 "--cursor", first["next_cursor"]).json
    third = cli("time", "list", "--from", "2026-03-01", "--to", "2026-03-31", "--limit", "2",
                "--cursor", second["next_cursor"]).json
    seen = [e["spent_date"] for page in (first, second, third) for e in page["data"]]
    assert seen == [f"2026-03-0{d}" for d in (5, 4, 3, 2, 1)]
    assert third["has_more"] is False


def test_quiet_prints_only_the_id(cli, acme):
    result = cli("time", "log", "--project", "acme", "--hours", "1", "--quiet")
    assert result.stdout.strip().startswith("te_")
    assert "\n" not in result.stdout.strip()


def test_expense_with_a_receipt(cli, acme, tmp_path, keito_home):
    receipt = tmp_path / "lunch.pdf"
    receipt.write_bytes(b"%PDF-1.4\n% a receipt\n")
    result = cli("expense", "log", "--project", "acme", "--category", "Meals & Entertainment",
                 "--total", "23.50", "--receipt", str(receipt))
    assert result.exit_code == 0, result
    assert result.json["total_cost"] == 23.5
    assert result.json["receipt"]["name"] == "lunch.pdf"
    stored = list((keito_home / "data" / "receipts").rglob("*.pdf"))
    assert len(stored) == 1 and stored[0].read_bytes() == receipt.read_bytes()


def test_a_receipt_of_the_wrong_kind_is_refused(cli, acme, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("not a receipt")
    result = cli("expense", "log", "--project", "acme", "--category", "Meals & Entertainment",
                 "--total", "5", "--receipt", str(bad))
    assert result.exit_code == 2
    assert result.error["field"] == "receipt"
    assert cli("expense", "list").json["data"] == []


def test_copy_takes_new_metadata(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--hours", "1",
                 "--metadata", '{"pr": 1}').json
    kept = cli("time", "copy", logged["id"]).json
    replaced = cli("time", "copy", logged["id"], "--metadata", '{"pr": 2}').json
    assert kept["metadata"] == {"pr": 1}
    assert replaced["metadata"] == {"pr": 2}


def test_discarded_timer_is_reported_stopped(cli, acme):
    cli("time", "start", "--project", "acme")
    discarded = cli("time", "stop", "--discard").json
    assert discarded["discarded"] is True and discarded["is_running"] is False
    assert cli("time", "status").json["running"] is False


def test_lists_show_your_own_records_unless_asked(cli, acme):
    bot = {"KEITO_API_KEY": acme.bot_key}
    theirs = cli("time", "log", "--project", "acme", "--hours", "1", env=bot).json
    mine = cli("time", "log", "--project", "acme", "--hours", "2").json
    cli("expense", "log", "--project", "acme", "--quantity", "10", env=bot)
    assert [e["id"] for e in cli("time", "list").json["data"]] == [mine["id"]]
    everyone = {e["id"] for e in cli("time", "list", "--all").json["data"]}
    assert everyone == {mine["id"], theirs["id"]}
    assert [e["id"] for e in cli("time", "list", "--user", "review-bot-01").json["data"]] == [
        theirs["id"]
    ]
    assert cli("expense", "list").json["data"] == []
    assert len(cli("expense", "list", "--all").json["data"]) == 1
    refused = cli("time", "list", "--user", "Ada Admin", env=bot)  # a member, about an admin
    assert refused.exit_code == 1
    assert refused.error["code"] == "authorization_error"


def test_a_reader_that_goes_away_ends_the_command_quietly(cli, acme, monkeypatch):
    from keito_tui.cli.output import Output

    def closed_pipe(self, payload):
        raise BrokenPipeError(32, "Broken pipe")

    with monkeypatch.context() as patched:
        patched.setattr(Output, "_emit_json", closed_pipe)
        result = cli("time", "log", "--project", "acme", "--hours", "1")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert len(cli("time", "list").json["data"]) == 1  # the entry was saved before the write


def test_a_running_timer_shows_its_time_so_far(cli, acme):
    """docs/tracking.md: a running entry's hours are the time so far, as in the reference API."""
    with time_machine.travel(datetime(2026, 3, 6, 9, 0, tzinfo=UTC), tick=False):
        started = cli("time", "start", "--project", "acme").json
    with time_machine.travel(datetime(2026, 3, 6, 10, 30, tzinfo=UTC), tick=False):
        status = cli("time", "status").json
        [listed] = cli("time", "list", "--running", "--date", "2026-03-06").json["data"]
        shown = cli("time", "show", started["id"]).json
    assert status["elapsed_hours"] == 1.5 and status["entry"]["hours"] == 1.5
    assert (listed["hours"], listed["duration_seconds"]) == (1.5, 5400)
    assert shown["hours"] == 1.5


def test_edit_without_a_change_says_so(cli, acme):
    logged = cli("time", "log", "--project", "acme", "--hours", "1").json
    result = cli("time", "edit", logged["id"])
    assert (result.exit_code, result.error["message"]) == (2, "nothing to change")
    assert cli("time", "show", logged["id"]).json["updated_at"] == logged["updated_at"]
