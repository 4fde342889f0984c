"""Lists at 80 columns keep whole what people type next (emails, handles, short IDs) and the
names they read; less important columns are left out instead, and come back when wide."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from keito_core.enums import Role
from keito_core.services.directory import categories, clients, keys, tasks, users
from keito_core.services.tracking.time_entries import log_time, start_timer

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
EMAILS = ("alex.morgan@harbourline.example", "review-bot-01@agents.harbourline.example",
          "ci-reviewer@agents.harbourline.example")
CONTACT_EMAIL = "daniel.price@bluebell-health-partners.example"
SHORT_ID = re.compile(r"\b[a-z]+_…[0-9a-z]{6,}")


@pytest.fixture
def harbourline(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """People and agents with long emails, a manager, a contact, keys, tasks and a unit-priced
    category (the built-in ones have long names too)."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        alex = users.create_user(s, actor=admin, name="Alex Morgan", email=EMAILS[0],
                                 role=Role.MANAGER, rate="150", now=NOW)
        bots = [users.create_user(s, actor=admin, name=email.split("@")[0], email=email,
                                  agent=True, now=NOW) for email in EMAILS[1:]]
        users.set_teammates(s, actor=admin, manager_ref=alex.id, add=[b.id for b in bots],
                            now=NOW)
        for name, city, country in (("Bluebell Health Partners", "Manchester", "United Kingdom"),
                                    ("Pacific Tide Analytics", "San Francisco", "United States"),
                                    ("Harbourline Digital (internal)", "Leeds", "Netherlands")):
            clients.create_client(s, actor=admin, name=name, city=city, country=country,
                                  now=NOW)
        clients.add_contact(s, actor=admin, client_ref="Bluebell Health Partners",
                            first_name="Daniel", last_name="Price", title="CTO",
                            email=CONTACT_EMAIL, now=NOW)
        for name in ("laptop", "ci runner key for the reviewer"):
            keys.create_key(s, actor=admin, user_ref=alex.id, name=name, now=NOW)
        for name in ("Project Management", "Code Review"):
            tasks.create_task(s, actor=admin, name=name, rate="115", now=NOW)
        categories.create_category(s, actor=admin, name="Cloud Compute Credits",
                                   unit_name="1k tokens", unit_price="0.003", now=NOW)
    return workspace


def rows(text: str) -> str:
    """The table's body lines (and its heading), without the borders' lines."""
    return "\n".join(line for line in text.splitlines() if line.startswith(("│", "┃")))


def assert_fits_with_nothing_cut(text: str) -> None:
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert "…" not in SHORT_ID.sub("", rows(text)), text


@pytest.mark.parametrize("args", [("user", "list"), ("user", "teammates", "Alex Morgan")])
def test_emails_show_whole_at_80_columns(terminal, harbourline, monkeypatch, args) -> None:  # noqa: ANN001
    listed = terminal(*args)
    assert listed.exit_code == 0, listed
    assert_fits_with_nothing_cut(listed.stdout)
    for email in EMAILS if args[1] == "list" else EMAILS[1:]:
        assert email in rows(listed.stdout), listed.stdout
    monkeypatch.setenv("COLUMNS", "140")
    wide = rows(terminal(*args).stdout)
    assert all(word in wide for word in ("role", "status", "type"))
    assert "usr_…" not in wide


def test_a_clients_contacts_show_their_email_whole(terminal, harbourline) -> None:  # noqa: ANN001
    listed = terminal("client", "contact", "list", "Bluebell Health Partners")
    assert listed.exit_code == 0, listed
    assert_fits_with_nothing_cut(listed.stdout)
    assert CONTACT_EMAIL in listed.stdout and "Daniel Price" in listed.stdout
    as_json = terminal("client", "contact", "list", "Bluebell Health Partners", "--json").json
    assert as_json["data"][0]["first_name"] == "Daniel" and "name" not in as_json["data"][0]


@pytest.mark.parametrize("args", [("key", "list", "--all"), ("task", "list"),
                                  ("category", "list"), ("client", "list")])
def test_lists_cut_no_value_at_80_columns(terminal, harbourline, args) -> None:  # noqa: ANN001
    listed = terminal(*args)
    assert listed.exit_code == 0, listed
    assert_fits_with_nothing_cut(listed.stdout)


def test_time_list_shows_hours_as_the_command_line_says_them(terminal, harbourline) -> None:  # noqa: ANN001
    with harbourline.session() as s:
        admin = harbourline.actor(s)
        clients.create_client(s, actor=admin, name="Acme", now=NOW)
        from keito_core.services.directory import projects

        projects.create_project(s, actor=admin, name="Website", client_ref="Acme", code="web",
                                now=NOW)
        log_time(s, actor=admin, project_ref="web", duration="1:30", spent_date="2026-03-06",
                 source="cli", now=NOW)
        start_timer(s, actor=admin, project_ref="web", source="cli", now=NOW)
    listed = terminal("time", "list", "--date", "2026-03-06")
    assert listed.exit_code == 0, listed
    assert "1h 30m" in rows(listed.stdout)
    assert "▶ " in rows(listed.stdout)


def test_the_audit_trail_shows_whole_short_ids(terminal, harbourline) -> None:  # noqa: ANN001
    listed = terminal("audit", "--type", "api_key")
    assert listed.exit_code == 0, listed
    assert len(SHORT_ID.findall(rows(listed.stdout))) == 2, listed.stdout


def test_a_record_reads_its_address_as_fields_not_json(terminal, harbourline) -> None:  # noqa: ANN001
    shown = terminal("client", "show", "Pacific Tide Analytics").stdout
    assert "city=San Francisco, country=United States" in shown
    assert "null" not in shown and "{" not in shown


def test_time_show_says_hours_as_the_lists_do(terminal, cli, harbourline) -> None:  # noqa: ANN001
    with harbourline.session() as s:
        admin = harbourline.actor(s)
        clients.create_client(s, actor=admin, name="Acme", now=NOW)
        from keito_core.services.directory import projects

        projects.create_project(s, actor=admin, name="Website", client_ref="Acme", code="web",
                                now=NOW)
        entry = log_time(s, actor=admin, project_ref="web", duration="0:56",
                         spent_date="2026-03-06", source="cli", now=NOW)
        entry_id = entry.id
    shown = terminal("time", "show", entry_id)
    assert shown.exit_code == 0, shown
    assert re.search(r"hours\s+56m", shown.stdout), shown.stdout
    assert terminal("time", "show", entry_id, "--json").json["hours"] in ("0.933333", 0.933333)
