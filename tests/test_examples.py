"""The shipped examples work: the Claude Code wrapper runs for real against a fake `claude`, and
the CI workflows parse and use only commands and flags that exist."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer
import yaml
from sqlmodel import select
from typer._click.core import Command  # Typer vendors Click; its version is pinned
from typer.core import TyperGroup

from keito_core.models import Expense, ExpenseCategory, TimeEntry
from keito_core.services.directory import clients, projects, tasks
from keito_core.services.directory.project_team import add_project_task, assign_member

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
WRAPPER = EXAMPLES / "claude-code-wrapper.sh"
BIN = Path(sys.executable).parent

#: A stand-in for Claude Code: records how it was run, writes a transcript with token usage
#: for the directory it runs in (as Claude Code does), and exits with FAKE_CLAUDE_EXIT.
FAKE_CLAUDE = """#!{python}
import json, os, sys, uuid
from datetime import datetime, timezone
with open(os.environ["FAKE_CLAUDE_LOG"], "w") as log:
    json.dump({{"args": sys.argv[1:], "hooks": os.environ.get("KEITO_AGENT_HOOKS"),
               "cwd": os.getcwd()}}, log)
folder = os.path.join(os.environ["HOME"], ".claude", "projects", "-work-repo")
os.makedirs(folder, exist_ok=True)
now = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
with open(os.path.join(folder, str(uuid.uuid4()) + ".jsonl"), "w") as out:
    for n, usage in enumerate([(20000, 5000, 7000), (10000, 10000, 0)]):
        out.write(json.dumps({{"type": "assistant", "cwd": os.getcwd(), "timestamp": now,
            "message": {{"id": f"msg_{{n}}", "model": "claude-opus-4-6", "usage": {{
                "input_tokens": usage[0], "output_tokens": usage[1],
                "cache_read_input_tokens": usage[2]}}}}}}) + "\\n")
sys.exit(int(os.environ.get("FAKE_CLAUDE_EXIT", "0")))
"""


@pytest.fixture
def acme(workspace):
    """Project acme (task development) with the workspace's administrator on its team."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=NOW)
        tasks.create_task(s, actor=actor, name="Development", now=NOW)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="acme", now=NOW)
        add_project_task(s, actor=actor, project_ref="acme", task_ref="development", now=NOW)
        assign_member(s, actor=actor, project_ref="acme", user_ref=workspace.admin_id, now=NOW)
    return workspace


@pytest.fixture
def run_wrapper(acme, tmp_path, keito_home):
    """Run the wrapper in a checkout with a fake `claude` first on PATH."""
    fakes = tmp_path / "fakebin"
    fakes.mkdir()
    claude = fakes / "claude"
    claude.write_text(FAKE_CLAUDE.format(python=sys.executable))
    claude.chmod(0o755)
    checkout = tmp_path / "repo"
    checkout.mkdir()
    home = tmp_path / "userhome"
    home.mkdir()
    log = tmp_path / "claude-run.json"

    def run(*args: str, **env: str) -> tuple[subprocess.CompletedProcess[str], dict]:
        environment = {
            "PATH": os.pathsep.join([str(fakes), str(BIN), "/usr/bin", "/bin"]),
            "HOME": str(home), "KEITO_HOME": os.environ["KEITO_HOME"],
            "KEITO_DATABASE_URL": os.environ["KEITO_DATABASE_URL"],
            "FAKE_CLAUDE_LOG": str(log), **env,
        }
        result = subprocess.run(["bash", str(WRAPPER), *args], cwd=checkout, env=environment,
                                capture_output=True, text=True, timeout=120, check=False)
        return result, json.loads(log.read_text()) if log.exists() else {}

    return run


def saved(ws) -> tuple[list[TimeEntry], list[Expense]]:
    with ws.session() as s:
        return list(s.exec(select(TimeEntry)).all()), list(s.exec(select(Expense)).all())


def test_wrapper_tracks_a_session_and_its_tokens(run_wrapper, acme):
    result, claude = run_wrapper("--project", "acme", "--task", "development", "--",
                                 "--model", "opus", "fix the login bug")
    assert result.returncode == 0, result.stderr
    assert claude["args"] == ["--model", "opus", "fix the login bug"]
    assert claude["hooks"] == "off", "installed hooks must not track the session twice"
    [entry], [expense] = saved(acme)
    assert entry.source == "agent" and not entry.is_running
    assert entry.meta["agent_type"] == "claude-code"
    session_id = entry.meta["session_id"]
    assert re.fullmatch(r"[0-9a-f-]{36}", session_id)
    assert entry.notes == f"Claude Code session {session_id[:8]}"
    assert entry.user_id == acme.admin_id
    # 30k input + 15k output; cache reads are not counted
    assert float(expense.units) == 45.0
    assert expense.notes == "claude-opus-4-6: 30k input + 15k output tokens"
    assert expense.meta["session_id"] == session_id and expense.source == "agent"
    with acme.session() as s:
        assert s.get(ExpenseCategory, expense.category_id).name == "LLM Usage"
    assert "saved entry" in result.stderr


def test_wrapper_uses_the_configured_project(run_wrapper, acme, tmp_path):
    (tmp_path / "repo" / ".keito.toml").write_text('[defaults]\nproject = "acme"\n')
    result, claude = run_wrapper("hello")
    assert result.returncode == 0, result.stderr
    assert claude["args"] == ["hello"]
    [entry], [_] = saved(acme)
    assert entry.task_id is None and not entry.is_running


def test_a_failed_session_keeps_its_time_by_default(run_wrapper, acme):
    result, _ = run_wrapper("--project", "acme", FAKE_CLAUDE_EXIT="3")
    assert result.returncode == 3, "the wrapper exits with claude's status"
    [entry], _ = saved(acme)
    assert not entry.is_running


def test_a_failed_session_is_discarded_when_asked(run_wrapper, acme):
    result, _ = run_wrapper("--project", "acme", FAKE_CLAUDE_EXIT="1",
                            KEITO_DISCARD_ON_FAILURE="1")
    assert result.returncode == 1
    assert saved(acme) == ([], [])
    assert "discarded" in result.stderr


def test_without_a_project_claude_still_runs_untracked(run_wrapper, acme):
    result, claude = run_wrapper("hello")
    assert result.returncode == 0
    assert claude["args"] == ["hello"]
    assert "not tracked" in result.stderr
    assert saved(acme) == ([], [])


def test_a_timer_replaced_meanwhile_is_left_alone(run_wrapper, acme, tmp_path):
    """If the session's timer was stopped and another started, the wrapper stops nothing."""
    claude = tmp_path / "fakebin" / "claude"
    claude.write_text(
        f"#!/bin/sh\n{BIN / 'keito'} time start --project acme --notes other -q >/dev/null\n"
        'echo "{}" > "$FAKE_CLAUDE_LOG"\n')
    result, _ = run_wrapper("--project", "acme")
    assert result.returncode == 0, result.stderr
    entries, _ = saved(acme)
    running = [e for e in entries if e.is_running]
    assert len(entries) == 2 and [e.notes for e in running] == ["other"]


# --- CI workflows ------------------------------------------------------------------------------


ROOT_COMMAND = typer.main.get_command(__import__("keito_tui.cli.main", fromlist=["app"]).app)
GLOBAL_FLAGS = {"--json", "--quiet", "-q", "--help", "-h"}


def keito_calls(script: str) -> list[list[str]]:
    """The words of each `keito ...` (or `"$KEITO" ...`) command in a shell script."""
    calls = []
    text = script.replace("\\\n", " ")
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for match in re.finditer(r'(?:(?<![\w/-])keito|"\$KEITO")\s+([a-z].*)', line):
            rest = re.split(r"\s(?:&&|\|\||\||;|then)\s|\)\s*$|\)\s*;|;", match.group(1))[0]
            rest = re.sub(r"\$\{\{.*?\}\}", "X", rest)
            rest = re.sub(r"\$\{[A-Z_]+\[@\]\+\"\$\{[A-Z_]+\[@\]\}\"\}", "", rest)
            try:
                calls.append(shlex.split(rest))
            except ValueError:
                calls.append(rest.split())
    return calls


def check_call(words: list[str]) -> None:
    """The command path exists and is a leaf, and every --flag is one of its options."""
    command: Command = ROOT_COMMAND
    path = ["keito"]
    rest = list(words)
    while isinstance(command, TyperGroup) and rest and rest[0] in command.commands:
        path.append(rest.pop(0))
        command = command.commands[path[-1]]
    assert not isinstance(command, TyperGroup), f"`{' '.join(path + rest)}` is not a command"
    options = set(GLOBAL_FLAGS)
    for param in command.params:
        options.update(getattr(param, "opts", []))
        options.update(getattr(param, "secondary_opts", []))
    flags = [word.split("=")[0] for word in rest if word.startswith("-")]
    unknown = [flag for flag in flags if flag not in options]
    assert unknown == [], f"`{' '.join(path)}` has no {unknown}"


def workflow_scripts(name: str) -> list[str]:
    data = yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8"))
    scripts: list[str] = []
    if name == "github-actions.yml":
        assert data.get("on", data.get(True)) == ["pull_request"]  # YAML 1.1 reads `on` as True
        for job in data["jobs"].values():
            assert job["runs-on"]
            steps = job["steps"]
            assert any(step.get("if") == "always()" and "time stop" in step.get("run", "")
                       for step in steps), "tracking stops even when the review fails"
            scripts += [step["run"] for step in steps if "run" in step]
            assert "secrets.KEITO_API_KEY" in job["env"]["KEITO_API_KEY"]
            assert "secrets.KEITO_DATABASE_URL" in job["env"]["KEITO_DATABASE_URL"]
    else:
        job = data["ai-review"]
        assert job["stage"] in data["stages"]
        assert any("time stop" in line for line in job["after_script"])
        for key in ("before_script", "script", "after_script"):
            scripts += job[key]
    return scripts


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_workflows_use_only_existing_commands_and_flags(name):
    calls = [c for script in workflow_scripts(name) for c in keito_calls(script)]
    assert [c[:2] for c in calls] == [["time", "start"], ["time", "stop"], ["expense", "log"]]
    for call in calls:
        check_call(call)


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_workflows_say_how_keito_is_installed(name):
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert "not published on PyPI" in text
    assert "pip install" in text and "KEITO_PACKAGE" in text
    assert "npm" not in text, "the reference's npm package is not this tool"


def test_wrapper_uses_only_existing_commands_and_flags():
    calls = keito_calls(WRAPPER.read_text(encoding="utf-8"))
    assert sorted({" ".join(c[:2]) for c in calls}) == [
        "expense log", "time start", "time status", "time stop"]
    for call in calls:
        check_call(call)
    assert os.access(WRAPPER, os.X_OK), "the wrapper is executable"
    assert subprocess.run(["bash", "-n", str(WRAPPER)], check=False).returncode == 0


def test_the_checker_catches_a_wrong_flag_or_command():
    with pytest.raises(AssertionError):
        check_call(["time", "start", "--projet", "acme"])
    with pytest.raises(AssertionError):
        check_call(["time"])
    assert keito_calls('x && keito time stop --discard -q; echo') == [
        ["time", "stop", "--discard", "-q"]]
