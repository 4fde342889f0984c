"""Completion of --project, --task and --category: the functions, then a real shell request."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keito_core.services.directory import clients, keys, projects, tasks, users
from keito_core.services.directory.project_team import add_project_task, assign_member
from keito_tui.cli import completion

#: The instant this module's writes are stamped with.
NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)

KEITO = Path(sys.executable).with_name("keito")


@pytest.fixture
def acme(workspace):
    """Projects acme-website (code ACME) and internal, an archived one; tasks; an agent.

    The workspace has the default expense categories (Mileage, LLM Usage ...).
    """
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Acme Corp", now=NOW)
        for name in ("Development", "Design", "Code Review"):
            tasks.create_task(s, actor=actor, name=name, now=NOW)
        projects.create_project(s, actor=actor, name="Acme Website", client_ref="Acme Corp",
                                code="ACME", handle="acme-website", now=NOW)
        projects.create_project(s, actor=actor, name="Globex", client_ref="Acme Corp",
                                code="GLX", now=NOW)
        projects.create_project(s, actor=actor, name="Internal", client_ref="Acme Corp", now=NOW)
        projects.create_project(s, actor=actor, name="Old Site", client_ref="Acme Corp", now=NOW)
        projects.archive_project(s, actor=actor, ref="Old Site", now=NOW)
        add_project_task(s, actor=actor, project_ref="ACME", task_ref="development", now=NOW)
        add_project_task(s, actor=actor, project_ref="ACME", task_ref="code-review", now=NOW)
        bot = users.create_user(s, actor=actor, name="review-bot", agent=True, now=NOW)
        assign_member(s, actor=actor, project_ref="internal", user_ref=bot.id, now=NOW)
        _, secret = keys.create_key(s, actor=actor, user_ref=bot.id, name="bot", now=NOW)
    workspace.bot_key = secret
    return workspace


def values(found):
    return [value for value, _ in found]


def test_projects_complete_by_handle_and_code_of_active_projects(acme):
    assert values(completion.complete_project("")) == ["acme-website", "ACME", "glx", "internal"]
    assert values(completion.complete_project("ac")) == ["acme-website", "ACME"]
    assert values(completion.complete_project("INT")) == ["internal"]
    assert completion.complete_project("acme-w") == [("acme-website", "Acme Website (ACME)")]
    assert completion.complete_project("old") == [], "archived projects are not offered"
    # A code that only differs from the handle by case is offered once.
    assert completion.complete_project("g") == [("glx", "Globex (GLX)")]


def test_projects_complete_only_what_the_acting_user_may_see(acme, monkeypatch):
    monkeypatch.setenv("KEITO_API_KEY", acme.bot_key)
    assert values(completion.complete_project("")) == ["internal"]


def test_tasks_complete_from_the_typed_project(acme):
    class Ctx:
        params = {"project": "ACME"}

    assert values(completion.complete_task(Ctx(), "")) == ["code-review", "development"]
    assert values(completion.complete_task(Ctx(), "dev")) == ["development"]
    Ctx.params = {"project": None}
    assert values(completion.complete_task(Ctx(), "")) == ["code-review", "design", "development"]
    Ctx.params = {"project": "no-such-project"}
    assert values(completion.complete_task(Ctx(), "de")) == ["design", "development"]


def test_tasks_complete_from_the_default_project(acme, monkeypatch):
    class Ctx:
        params: dict = {}

    monkeypatch.setenv("KEITO_PROJECT", "acme-website")
    assert values(completion.complete_task(Ctx(), "")) == ["code-review", "development"]


def test_categories_complete_by_handle(acme):
    found = completion.complete_category("")
    assert ("llm-usage", "LLM Usage") in found and ("mileage", "Mileage") in found
    assert values(completion.complete_category("mil")) == ["mileage"]
    assert values(completion.complete_category("LLM")) == ["llm-usage"]


def test_no_workspace_completes_nothing_silently(keito_home, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KEITO_DATABASE_URL", f"sqlite:///{tmp_path / 'none' / 'keito.db'}")
    assert completion.complete_project("") == []
    assert completion.complete_category("") == []
    monkeypatch.setenv("KEITO_API_KEY", "keito_sk_wrong")
    assert completion.complete_project("") == []
    assert capsys.readouterr() == ("", "")


def test_a_bad_key_completes_nothing(acme, monkeypatch):
    monkeypatch.setenv("KEITO_API_KEY", "keito_sk_not_a_key")
    assert completion.complete_project("") == []


def shell_complete(words: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """What bash gets when the user presses TAB after `words` (the last word is the prefix)."""
    split = words.split(" ")
    return subprocess.run(
        [str(KEITO)],
        env={**env, "_KEITO_COMPLETE": "complete_bash", "COMP_WORDS": words,
             "COMP_CWORD": str(len(split) - 1)},
        capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.mark.parametrize("words, expected", [
    ("keito time start --project a", ["acme-website"]),
    ("keito time start --project A", ["ACME"]),  # the shell keeps what matches, case and all
    ("keito time log --project ACME --task ", ["code-review", "development"]),
    ("keito expense log --category mil", ["mileage"]),
    ("keito expense log --project i", ["internal"]),
])
def test_bash_completion_through_the_real_program(acme, words, expected):
    result = shell_complete(words, dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected
    assert "Traceback" not in result.stderr


def test_bash_completion_without_a_workspace_is_empty_and_quiet(keito_home, tmp_path):
    env = {**os.environ, "KEITO_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}"}
    result = shell_complete("keito time start --project ", env)
    assert result.returncode == 0
    assert result.stdout.strip() == "" and result.stderr == ""
