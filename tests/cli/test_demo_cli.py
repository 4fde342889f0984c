"""`keito demo` through the command line: a workspace ready to use, never one overwritten."""

from __future__ import annotations

import sqlite3


def home_env(home) -> dict[str, str | None]:
    """Run a command against the demo in HOME rather than the test's own database."""
    return {"KEITO_HOME": str(home), "KEITO_DATABASE_URL": None}


def workspace_and_entries(home) -> tuple[str, int]:
    with sqlite3.connect(home / "data" / "keito.db") as conn:
        (workspace,) = conn.execute("SELECT id FROM workspace").fetchone()
        (entries,) = conn.execute("SELECT count(*) FROM time_entries").fetchone()
    return workspace, entries


def test_demo_at_a_path_is_ready_to_use_as_keito_home(cli, tmp_path):
    home = tmp_path / "demo"
    result = cli("demo", "--entries", "500", "--path", str(home))
    assert result.exit_code == 0, result
    data = result.json
    assert data["counts"]["time_entries"] == 500
    assert data["counts"]["humans"] == 8 and data["counts"]["agents"] == 4
    assert data["path"] == str(home.resolve())
    assert data["use"] == f"KEITO_HOME={home.resolve()} keito"
    assert (home / "data" / "keito.db").exists()
    assert workspace_and_entries(home) == (data["workspace"]["id"], 500)

    settings = cli("settings", "list", env=home_env(home))
    assert settings.exit_code == 0, settings
    values = {row["key"]: row["value"] for row in settings.json["data"]}
    assert values["company"] == "Harbourline Digital"
    assert values["features.approvals"] is True


def test_an_existing_demo_is_replaced_only_with_force(cli, tmp_path):
    home = tmp_path / "demo"
    first = cli("demo", "--entries", "300", "--path", str(home)).json["workspace"]["id"]

    again = cli("demo", "--entries", "300", "--path", str(home))
    assert again.exit_code == 3, again
    assert (again.error["code"], again.error["field"]) == ("conflict", "path")
    assert workspace_and_entries(home) == (first, 300)

    forced = cli("demo", "--entries", "400", "--seed", "9", "--path", str(home), "--force")
    assert forced.exit_code == 0, forced
    assert workspace_and_entries(home) == (forced.json["workspace"]["id"], 400)
    assert forced.json["workspace"]["id"] != first


def test_demo_without_path_fills_the_configured_database_once(cli):
    result = cli("demo", "--entries", "1,000")
    assert result.exit_code == 0, result
    assert result.json["path"] is None and result.json["use"] == "keito"
    assert result.json["counts"]["time_entries"] == 1000
    assert cli("settings", "get", "company").json["value"] == "Harbourline Digital"

    again = cli("demo", "--entries", "100")
    assert again.exit_code == 3
    assert again.error["code"] == "conflict"


def test_bad_input_builds_nothing(cli, tmp_path):
    home = tmp_path / "demo"
    for args, field in [
        (["--entries", "lots"], "entries"),
        (["--entries", "0"], "entries"),
        (["--entries", "-3"], "entries"),
        (["--force"], "force"),
    ]:
        path = [] if "--force" in args else ["--path", str(home)]
        result = cli("demo", *args, *path)
        assert result.exit_code == 2, (args, result)
        assert (result.error["code"], result.error["field"]) == ("validation_error", field)
    assert not (home / "data" / "keito.db").exists()
    # The configured database was not touched either: it still has no workspace.
    assert cli("settings", "list").exit_code == 8


def test_the_demo_fills_the_inbox_and_the_audit_trail(cli, tmp_path):
    home = tmp_path / "demo"
    result = cli("demo", "--entries", "500", "--path", str(home))
    counts = result.json["counts"]
    assert counts["notifications"] > 0 and counts["audit_events"] > counts["submissions"]
    inbox = cli("notifications", "list", env=home_env(home))  # as Alex Morgan, the admin
    assert inbox.exit_code == 0, inbox
    assert inbox.json["unread"] > 0
    assert all(n["kind"] == "timesheet_submitted" and " submitted a timesheet for " in n["title"]
               for n in inbox.json["data"])
    trail = cli("audit", env=home_env(home))
    assert trail.exit_code == 0, trail
    actions = {event["action"] for event in trail.json["data"]}
    assert {"submission.submit", "submission.approve"} <= actions
