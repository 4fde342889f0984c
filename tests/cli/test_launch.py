"""The `keito` program's entry: the lean `time status` prints what the full CLI prints.

keito_tui.cli.launch answers `keito time status` with keito_core.fastpath.status (plain sqlite3)
when it can, and hands everything else to the full CLI. These tests run both paths on the same
states and compare their output, and check every case the lean path must leave to the full one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from keito_core.enums import Source
from keito_core.services.directory import clients, keys, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member
from keito_core.services.tracking.timers import start_timer, stop_timer
from keito_tui.cli import launch

T0 = datetime(2026, 3, 6, 9, 15, 30, 123456, tzinfo=UTC)
LATER = T0 + timedelta(minutes=47, seconds=11)

sqlite_only = pytest.mark.skipif(
    os.environ.get("KEITO_TEST_DATABASE", "sqlite") != "sqlite",
    reason="the lean path reads SQLite files only; on PostgreSQL the full CLI answers",
)


@pytest.fixture
def team(workspace):
    """Project `acme` with task `development`; member Bea with a key; the admin's key."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=T0)
        tasks.create_task(s, actor=actor, name="Development", rate="120", now=T0)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", rate="150.25", now=T0)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="development", now=T0)
        bea = users.create_user(s, actor=actor, name="Bea Member", email="bea@acme.test", now=T0)
        assign_member(s, actor=actor, project_ref="acme", user_ref=bea.id, now=T0)
        _, workspace.bea_key = keys.create_key(s, actor=actor, user_ref=bea.id, name="bea", now=T0)
        _, workspace.admin_key = keys.create_key(s, actor=actor, name="admin", now=T0)
    workspace.bea_id = bea.id
    return workspace


def _start(ws, *, user_id=None, task="development", notes="Fixing the login form",
           meta=None) -> str:
    with ws.session() as s:
        result = start_timer(s, actor=ws.actor(s), project_ref="acme", task_ref=task,
                             notes=notes, source=Source.AGENT, meta=meta, now=T0,
                             user_ref=user_id)
    return result.entry.id


def _lean(capsys, *flags: str) -> tuple[int | None, str]:
    capsys.readouterr()
    code = launch.quick_time_status(["time", "status", *flags])
    return code, capsys.readouterr().out


def _both(cli, capsys, *flags: str) -> tuple[str, str]:
    """The full CLI's and the lean path's stdout for `keito time status FLAGS`, at LATER."""
    with time_machine.travel(LATER, tick=False):
        full = cli("time", "status", *flags)
        assert full.exit_code == 0, full
        code, lean = _lean(capsys, *flags)
    assert code == 0, "the lean path declined"
    return full.stdout, lean


@sqlite_only
def test_no_timer_running(cli, team, capsys):
    full, lean = _both(cli, capsys)
    assert lean == full
    assert json.loads(lean) == {"running": False, "entry": None}
    _start(team)
    with team.session() as s:
        stop_timer(s, actor=team.actor(s), now=T0 + timedelta(minutes=5))
    full, lean = _both(cli, capsys)  # a stopped entry is not a running timer
    assert lean == full
    assert json.loads(lean) == {"running": False, "entry": None}


@sqlite_only
def test_a_running_timer_prints_the_same_json(cli, team, capsys):
    entry_id = _start(team, meta={"session_id": "abc", "tokens": [1, 2.5], "ok": True})
    full, lean = _both(cli, capsys)
    assert lean == full
    data = json.loads(lean)
    assert data["running"] is True and data["elapsed_hours"] == 0.7864
    entry = data["entry"]
    assert (entry["hours"], entry["duration_seconds"]) == (0.786389, 2831)  # the time so far
    assert entry["id"] == entry_id
    assert entry["project"]["name"] == "Acme Website"
    assert entry["task"]["name"] == "Development"
    assert entry["metadata"] == {"session_id": "abc", "tokens": [1, 2.5], "ok": True}
    assert entry["billable_rate"] == 150.25
    assert entry["timer_started_at"] == "2026-03-06T09:15:30.123456Z"
    assert entry["source"] == "agent"


@sqlite_only
def test_a_timer_without_task_or_notes_and_quiet_output(cli, team, capsys):
    entry_id = _start(team, task=None, notes=None)
    full, lean = _both(cli, capsys)
    assert lean == full
    assert json.loads(lean)["entry"]["task"] is None
    full, lean = _both(cli, capsys, "--quiet")
    assert lean == full
    assert entry_id in lean


@sqlite_only
def test_another_users_timer_is_not_the_actors(cli, team, capsys):
    _start(team, user_id=team.bea_id)
    full, lean = _both(cli, capsys, "--json")
    assert lean == full
    assert json.loads(lean)["running"] is False


@sqlite_only
def test_acting_with_an_api_key(cli, team, capsys, monkeypatch):
    bea_entry = _start(team, user_id=team.bea_id)
    _start(team)  # the administrator's, which Bea must not see
    monkeypatch.setenv("KEITO_API_KEY", team.bea_key)
    with time_machine.travel(LATER, tick=False):
        # The key's first use must be recorded (a write): the lean path leaves it to the CLI.
        assert _lean(capsys) == (None, "")
        first = cli("time", "status")
    assert first.exit_code == 0, first
    full, lean = _both(cli, capsys)
    assert lean == full
    assert json.loads(lean)["entry"]["id"] == bea_entry
    assert json.loads(lean)["entry"]["user"]["name"] == "Bea Member"
    assert not {"billable_rate", "cost_rate"} & set(json.loads(lean)["entry"])  # Bea: a member
    # An hour on, the use is due to be recorded again.
    with time_machine.travel(LATER + timedelta(hours=1), tick=False):
        assert _lean(capsys) == (None, "")


@sqlite_only
@pytest.mark.parametrize("key", ["keito_sk_not-a-real-key", "sk_live_wrong_prefix"])
def test_a_bad_key_is_left_to_the_full_path(cli, team, capsys, monkeypatch, key):
    monkeypatch.setenv("KEITO_API_KEY", key)
    assert _lean(capsys) == (None, "")
    refused = cli("time", "status")
    assert refused.exit_code == 1
    assert refused.error["code"] == "authentication_error"


@sqlite_only
def test_a_revoked_key_or_an_archived_user_is_left_to_the_full_path(cli, team, capsys,
                                                                     monkeypatch):
    monkeypatch.setenv("KEITO_API_KEY", team.bea_key)
    assert cli("time", "status").exit_code == 0  # records the key's use
    assert _lean(capsys)[0] == 0
    with team.session() as s:
        users.archive_user(s, actor=team.actor(s), ref=team.bea_id, now=T0)
    assert _lean(capsys) == (None, "")
    assert cli("time", "status").error["code"] == "authentication_error"


def test_only_time_status_is_handled(team, capsys):
    for argv in (["time", "status", "--user", "bea"], ["time", "status", "--help"],
                 ["time", "stop"], ["status"], ["time", "status", "extra"]):
        assert launch.quick_time_status(argv) is None
    assert capsys.readouterr().out == ""


@sqlite_only
def test_on_a_terminal_the_text_is_the_full_clis(terminal, team, capsys):
    """Shell prompts call `keito time status` on every command: the fast path prints the text."""
    full, lean = _both(terminal, capsys)
    assert lean == full == "✓ No timer running\n"
    _start(team)
    full, lean = _both(terminal, capsys)
    assert lean == full
    assert full == ("⏱ Timer running: 47m\n  Project: Acme Website\n  Task: Development\n"
                    "  Started: 2026-03-06 09:15\n  Notes: Fixing the login form\n")
    with team.session() as s:
        stop_timer(s, actor=team.actor(s), now=T0 + timedelta(minutes=5))
    _start(team, task=None, notes=None)
    full, lean = _both(terminal, capsys)
    assert lean == full and "Task: \n" in full and "Notes" not in full


def test_other_databases_and_missing_files_are_left_to_the_full_path(team, capsys, monkeypatch,
                                                                     tmp_path):
    monkeypatch.setenv("KEITO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    assert _lean(capsys) == (None, "")
    monkeypatch.setenv("KEITO_DATABASE_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    assert _lean(capsys) == (None, "")
    assert not (tmp_path / "missing.db").exists()


@sqlite_only
def test_a_database_behind_the_code_is_left_to_the_full_path(team, capsys):
    import sqlalchemy as sa

    assert _lean(capsys)[0] == 0
    with team.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    assert _lean(capsys) == (None, "")


@sqlite_only
@pytest.mark.parametrize("terminal", [False, True], ids=["json", "text"])
def test_the_program_answers_status_without_typer_or_the_orm(team, keito_home, terminal):
    """Run the real entry point in a fresh interpreter and look at what it loaded."""
    _start(team)
    code = (
        "import json, sys\n"
        "from keito_tui.cli import launch\n"
        f"sys.argv = {['keito', 'time', 'status'] + ([] if terminal else ['--json'])!r}\n"
        f"sys.stdout.isatty = lambda: {terminal}\n"
        "try:\n"
        "    launch.run()\n"
        "finally:\n"
        "    heavy = ('typer', 'sqlalchemy', 'sqlmodel', 'pydantic', 'rich')\n"
        "    print(json.dumps([m for m in heavy if m in sys.modules]), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=os.environ, check=False)
    assert result.returncode == 0, result.stderr
    if terminal:
        assert result.stdout.startswith("⏱ Timer running: ")
    else:
        assert json.loads(result.stdout)["running"] is True
    assert json.loads(result.stderr.strip().splitlines()[-1]) == []


# --- the full CLI builds only the group it runs ------------------------------------------------


@pytest.fixture
def whole_app(monkeypatch):
    """keito_tui.cli.main.app, restored after the test; no shell completion in progress."""
    from keito_tui.cli.main import app

    monkeypatch.setattr(app, "registered_groups", list(app.registered_groups))
    monkeypatch.setattr(app, "registered_commands", list(app.registered_commands))
    for name in [n for n in os.environ if n.startswith("_") and n.endswith("_COMPLETE")]:
        monkeypatch.delenv(name)
    return app


def _tree(app) -> tuple[list[str | None], list[str | None]]:
    return ([g.name for g in app.registered_groups], [c.name for c in app.registered_commands])


def test_a_command_builds_only_its_group(whole_app):
    from keito_tui.cli.main import build_only_the_invoked_command

    build_only_the_invoked_command(["--json", "time", "status", "--user", "settings"])
    assert _tree(whole_app) == (["time"], [])


def test_a_root_command_builds_only_itself(whole_app):
    from keito_tui.cli.main import build_only_the_invoked_command

    build_only_the_invoked_command(["whoami", "--json"])
    assert _tree(whole_app) == ([], ["whoami"])


@pytest.mark.parametrize("argv", [[], ["--help"], ["--version"], ["-q"], ["settingz", "get"]])
def test_help_and_unknown_commands_keep_the_whole_tree(whole_app, argv):
    from keito_tui.cli.main import build_only_the_invoked_command

    before = _tree(whole_app)
    assert len(before[0]) > 5
    build_only_the_invoked_command(argv)
    assert _tree(whole_app) == before


def test_shell_completion_keeps_the_whole_tree(whole_app, monkeypatch):
    from keito_tui.cli.main import build_only_the_invoked_command

    before = _tree(whole_app)
    monkeypatch.setenv("_KEITO_COMPLETE", "bash_complete")
    build_only_the_invoked_command(["time", "start"])
    assert _tree(whole_app) == before


def test_the_built_group_runs_as_before(cli, workspace, whole_app):
    from keito_tui.cli.main import build_only_the_invoked_command

    build_only_the_invoked_command(["settings", "get", "company"])
    result = cli("settings", "get", "company")
    assert result.exit_code == 0, result
    assert result.json["value"] == "Acme Consulting"
    assert cli("time", "status").exit_code == 2  # the other groups are gone from this process


def test_keito_alone_on_a_terminal_opens_the_app_without_the_command_line(monkeypatch):
    opened = []
    monkeypatch.setattr("keito_tui.app.main.run_app", lambda: opened.append("app"))
    monkeypatch.setattr(launch, "quick_time_status", lambda argv: pytest.fail("not the CLI"))
    monkeypatch.setattr(sys, "argv", ["keito"])
    for stream in ("stdin", "stdout"):
        monkeypatch.setattr(getattr(sys, stream), "isatty", lambda: True, raising=False)
    launch.run()
    assert opened == ["app"]


def test_keito_alone_without_a_terminal_goes_to_the_command_line(monkeypatch):
    asked = []
    monkeypatch.setattr("keito_tui.app.main.run_app", lambda: pytest.fail("no terminal"))
    monkeypatch.setattr(launch, "quick_time_status", lambda argv: asked.append(argv) or 0)
    monkeypatch.setattr(sys, "argv", ["keito"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    with pytest.raises(SystemExit) as done:
        launch.run()
    assert asked == [[]] and done.value.code == 0
