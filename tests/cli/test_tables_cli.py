"""Tables on an 80-column terminal: short IDs, whole handles and names; JSON and -q whole."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keito_core.services.directory import clients, projects, users
from keito_tui.cli.output import short_ids

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def bluebell(workspace):
    """Projects with long handles and client names, and agents with long names."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        clients.create_client(s, actor=actor, name="Bluebell Health Partners", now=NOW)
        for code, name in (("BHP-API", "API Integration"), ("BHP-CLOUD", "Cloud Migration"),
                           ("BHP-SUP", "Support Retainer")):
            projects.create_project(s, actor=actor, name=name, code=code,
                                    handle="bluebell-" + name.lower().replace(" ", "-"),
                                    client_ref="Bluebell Health Partners", now=NOW)
        for name in ("review-bot-01", "ci-reviewer", "documentation-bot"):
            users.create_user(s, actor=actor, name=name, agent=True, now=NOW)
    return workspace


def _rows(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("│")]


def test_project_handles_show_whole(terminal, bluebell):
    listed = terminal("project", "list")
    assert listed.exit_code == 0, listed
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    for handle in ("bluebell-api-integration", "bluebell-cloud-migration",
                   "bluebell-support-retainer"):
        assert any(handle in line for line in _rows(listed.stdout)), listed.stdout
    assert "…" not in listed.stdout


def test_user_ids_are_short_and_names_whole(terminal, bluebell):
    listed = terminal("user", "list")
    assert listed.exit_code == 0, listed
    text = listed.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    for name in ("review-bot-01", "ci-reviewer", "documentation-bot"):
        assert any(name in line for line in _rows(text)), text
    whole = [u["id"] for u in terminal("user", "list", "--json").json["data"]]
    shown = short_ids(whole)
    assert all(shown[i] in text and i not in text for i in whole)
    assert "--ids shows them whole" in text
    wide = terminal("user", "list", "--ids")
    assert all(i in wide.stdout for i in whole)
    quiet = terminal("user", "list", "-q")
    assert quiet.stdout.split() == whole


def test_short_ids_tell_apart_ids_sharing_a_tail():
    ids = ["usr_01aaaaaaaaaaaaaa123456", "usr_01bbbbbbbbbbbbbb123456", "te_01cccccccccccccc9abcde"]
    short = short_ids(ids)
    assert list(short.values()) == ["te_…c9abcde", "usr_…a123456", "usr_…b123456"]
    assert short_ids(ids[2:]) == {ids[2]: "te_…9abcde"}
