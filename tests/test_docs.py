"""The documentation keeps up with the code: every command has help and appears in the docs,
and CI runs exactly the test command the README gives."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer._click.core import Command  # Typer vendors Click; its version is pinned
from typer.core import TyperGroup

from keito_tui.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
#: The marker in README.md in front of the test command that .ci/run extracts and runs.
TEST_COMMAND_MARKER = "<!-- ci: test-command -->"


def walk(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Command]]:
    """Every command under `command` (itself included) with its full `keito ...` path."""
    yield " ".join(("keito", *path)), command
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from walk(sub, (*path, name))


def leaves(command: Command) -> list[str]:
    """The paths of the commands that do something (groups with commands are not leaves)."""
    return [
        path for path, cmd in walk(command)
        if path != "keito" and not (isinstance(cmd, TyperGroup) and cmd.commands)
    ]


ROOT_COMMAND = typer.main.get_command(app)
COMMANDS = dict(walk(ROOT_COMMAND))


def docs_text() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(page.read_text(encoding="utf-8") for page in pages)


def mentioned(path: str, text: str) -> bool:
    """`keito client add` is in the text as a whole command, not as part of a longer word."""
    return re.search(re.escape(path) + r"(?![\w-])", text) is not None


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_command_has_help(path: str) -> None:
    command = COMMANDS[path]
    assert (command.help or command.short_help or "").strip(), f"`{path}` has no help text"


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_every_option_and_argument_has_help(path: str) -> None:
    missing = [
        param.name for param in COMMANDS[path].params
        if not getattr(param, "hidden", False) and not (getattr(param, "help", None) or "").strip()
    ]
    assert missing == [], f"`{path}`: no help for {missing}"


def test_every_command_is_in_the_docs() -> None:
    text = docs_text()
    missing = [path for path in leaves(ROOT_COMMAND) if not mentioned(path, text)]
    assert missing == [], f"not mentioned in README.md or docs/*.md: {missing}"


def test_walk_finds_the_nested_commands() -> None:
    assert "keito settings get" in COMMANDS
    assert "keito init" in leaves(ROOT_COMMAND)
    assert "keito settings" not in leaves(ROOT_COMMAND)
    assert not mentioned("keito settings", "run keito settings-ish")


def shell_block_after(marker: str) -> str:
    """The first fenced shell block after `marker` in README.md (as .ci/run reads it)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.count(marker) == 1, f"{marker!r} must be in README.md once"
    block = re.search(r"```(?:sh|bash|shell)\n(.*?)\n```", readme.split(marker, 1)[1], re.DOTALL)
    assert block is not None, f"no shell block after {marker!r}"
    return block.group(1)


def test_ci_runs_the_readme_test_command() -> None:
    lines = [line for line in shell_block_after(TEST_COMMAND_MARKER).splitlines() if line.strip()]
    assert len(lines) == 1, "the test command is one line"
    # .ci/run reruns the last step, pytest from the venv the first steps built, on PostgreSQL.
    assert "pip install" in lines[0]
    assert lines[0].split("&&")[-1].strip().startswith(".venv/bin/pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert TEST_COMMAND_MARKER in ci, ".ci/run must take its test command from the README"


def expand(word: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: variables[m.group(1)], word)


def test_readme_quick_start_works(cli) -> None:  # noqa: ANN001 - the conftest fixture
    """The README's quick start, line by line, on a fresh database (in-process, so it is quick).

    Understands what the quick start uses: comments, `\\` continuations, `VAR=$(keito ...)`,
    `VAR=value keito ...` and `$VAR`.
    """
    script = shell_block_after("\n## Quick start\n").replace("\\\n", " ")
    variables: dict[str, str] = {}
    last = None
    for line in script.splitlines():
        capture = re.fullmatch(r"(\w+)=\$\((.*)\)", line.strip())
        words = shlex.split(capture.group(2) if capture else line, comments=True)
        words = [expand(word, variables) for word in words]
        env: dict[str, str] = {}
        while words and re.fullmatch(r"\w+=.*", words[0]):
            name, value = words.pop(0).split("=", 1)
            env[name] = value
        if not words:
            continue
        assert words[0] == "keito", line
        last = cli(*words[1:], env=env)
        assert last.exit_code == 0, (line, last)
        if capture:
            variables[capture.group(1)] = last.stdout.strip()
    # The last command ran as the agent, with its new key, and saw the project it is on.
    assert last is not None and variables["KEY"].startswith("keito_sk_")
    assert [p["code"] for p in last.json["data"]] == ["GLX-WEB"]


def test_settings_page_lists_every_setting() -> None:
    from keito_core.services.workspace.settings_registry import SETTINGS

    page = (ROOT / "docs" / "workspace.md").read_text(encoding="utf-8")
    missing = [spec.key for spec in SETTINGS if f"`{spec.key}`" not in page]
    assert missing == [], f"docs/workspace.md does not list {missing}"


def test_errors_page_lists_every_error_code_and_exit_code() -> None:
    from keito_core.errors import ERROR_CODES, ExitCode

    page = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert [code for code in ERROR_CODES if f"`{code}`" not in page] == []
    assert [int(c) for c in ExitCode if not re.search(rf"^\| {int(c)} \|", page, re.M)] == []
