"""Errors name people and projects as people know them, not by their IDs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keito_core.services.directory import clients, keys, projects, users
from keito_core.services.directory.project_team import assign_member

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)


@pytest.fixture
def acme(workspace):
    """Two clients with a Support Retainer each; an agent assigned to one of them only."""
    with workspace.session() as s:
        actor = workspace.actor(s)
        for client, code in (("Bluebell Health Partners", "BHP"), ("Cobalt Freight", "CBF")):
            clients.create_client(s, actor=actor, name=client, now=NOW)
            projects.create_project(s, actor=actor, name="Support Retainer", client_ref=client,
                                    code=f"{code}-SUP", now=NOW)
        projects.create_project(s, actor=actor, name="Internal", client_ref="Cobalt Freight",
                                code="internal", now=NOW)
        bot = users.create_user(s, actor=actor, name="review-bot-01", agent=True, now=NOW)
        assign_member(s, actor=actor, project_ref="BHP-SUP", user_ref=bot.id, now=NOW)
        _, secret = keys.create_key(s, actor=actor, user_ref=bot.id, name="bot", now=NOW)
    workspace.bot = {"KEITO_API_KEY": secret}
    return workspace


def _no_ids(message: str) -> None:
    assert "usr_" not in message and "prj_" not in message, message


def test_not_assigned_names_the_user_and_the_project(cli, acme):
    refused = cli("time", "log", "--project", "internal", "--hours", "1", env=acme.bot)
    assert (refused.exit_code, refused.error["code"]) == (1, "project_not_assigned")
    assert refused.error["message"] == "review-bot-01 is not assigned to Internal"


def test_a_members_refusal_names_whose_records(cli, acme):
    mine = cli("time", "log", "--project", "internal", "--hours", "1").json
    refused = cli("time", "list", "--user", "Ada Admin", env=acme.bot)
    assert refused.error["code"] == "authorization_error"
    assert "Ada Admin" in refused.error["message"]
    _no_ids(refused.error["message"])
    shown = cli("time", "show", mine["id"], env=acme.bot)
    assert shown.error["code"] == "authorization_error"
    assert "Ada Admin" in shown.error["message"] and "Internal" in shown.error["message"]
    _no_ids(shown.error["message"])


def test_an_ambiguous_project_tells_the_namesakes_apart(cli, acme):
    refused = cli("time", "log", "--project", "Support Retainer", "--hours", "1")
    assert refused.exit_code == 2
    message = refused.error["message"]
    assert "Bluebell Health Partners" in message and "Cobalt Freight" in message
    assert "BHP-SUP" in message and "CBF-SUP" in message
    assert "code" in refused.error["hint"]


def test_a_members_look_at_someone_else_names_them(cli, acme):
    for args in (("user", "show", "Ada Admin"), ("time", "status", "--user", "Ada Admin"),
                 ("time", "stop", "--user", "Ada Admin")):
        refused = cli(*args, env=acme.bot)
        assert refused.error["code"] == "authorization_error", (args, refused)
        assert "Ada Admin" in refused.error["message"], (args, refused)
        _no_ids(refused.error["message"])
