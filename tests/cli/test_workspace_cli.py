"""`keito init` and `keito settings` through the command line."""

from __future__ import annotations


def test_init_creates_workspace_and_admin(cli):
    result = cli(
        "init",
        "--company",
        "Acme Consulting",
        "--currency",
        "gbp",
        "--timezone",
        "Europe/London",
        "--week-start",
        "Sunday",
        "--name",
        "Ada",
        "--email",
        "Ada@Acme.test",
    )
    assert result.exit_code == 0, result
    data = result.json
    assert data["workspace"]["name"] == "Acme Consulting"
    assert data["workspace"]["currency"] == "GBP"
    assert data["workspace"]["week_start"] == "sunday"
    assert data["user"]["role"] == "admin"
    assert data["user"]["email"] == "ada@acme.test"
    assert cli("settings", "get", "default_user").json["value"] == data["user"]["id"]


def test_init_twice_is_a_conflict(cli, workspace):
    result = cli("init", "--company", "Other", "--currency", "USD", "--timezone", "UTC")
    assert result.exit_code == 3
    assert result.error["code"] == "conflict"
    assert cli("settings", "get", "company").json["value"] == "Acme Consulting"


def test_init_rejects_bad_input_and_writes_nothing(cli, keito_home):
    for args, field in [
        (["--currency", "XYZ", "--timezone", "UTC"], "currency"),
        (["--currency", "GBP", "--timezone", "Mars/Olympus"], "timezone"),
        (["--currency", "GBP", "--timezone", "UTC", "--week-start", "funday"], "week_start"),
        (["--currency", "GBP", "--timezone", "UTC", "--email", "not-an-email"], "email"),
        (["--timezone", "UTC"], "currency"),
    ]:
        result = cli("init", "--company", "Acme", *args)
        assert result.exit_code == 2, (args, result)
        assert result.error["code"] == "validation_error"
        assert result.error["field"] == field
    # Nothing was created: commands still say there is no workspace.
    assert cli("settings", "list").exit_code == 8


def test_commands_before_init_say_how_to_start(cli):
    result = cli("settings", "list")
    assert result.exit_code == 8
    assert result.error["code"] == "config_error"
    assert "keito init" in result.error["hint"]


def test_settings_set_get_and_list(cli, workspace):
    assert cli("settings", "set", "rounding", "15m").json["value"] == 15
    assert cli("settings", "set", "weekly_capacity", "37.5").json["value"] == "37.5"
    assert cli("settings", "set", "features.approvals", "on").json["value"] is True
    assert cli("settings", "set", "lock_after_days", "30").json["value"] == 30
    assert cli("settings", "set", "lock_after_days", "none").json["value"] is None
    assert cli("settings", "set", "tax1.rate", "20%").json["value"] == "20"
    assert cli("settings", "set", "date_format", "dd/mm/yyyy").json["value"] == "dd/mm/yyyy"
    keys = {row["key"]: row["value"] for row in cli("settings", "list").json["data"]}
    assert keys["rounding"] == 15
    assert keys["features.approvals"] is True
    assert keys["invoice_number_pattern"] == "INV-{YYYY}-{####}"


def test_settings_reject_bad_values_and_keep_the_old_one(cli, workspace):
    cases = [
        ("bogus", "1", "key"),
        ("currency", "XYZ", "currency"),
        ("rounding", "7", "rounding"),
        ("timezone", "Nowhere/City", "timezone"),
        ("require_notes", "maybe", "require_notes"),
        ("invoice_number_pattern", "INV-{YYYY}", "invoice_number_pattern"),
        ("invoice.accent_color", "purple", "invoice.accent_color"),
        ("default_user", "nobody@nowhere.test", "default_user"),
    ]
    for key, value, field in cases:
        result = cli("settings", "set", key, value)
        assert result.exit_code in (2, 4), (key, result)
        assert result.error["field"] == field, (key, result.error)
    assert cli("settings", "get", "currency").json["value"] == "GBP"
    assert cli("settings", "get", "rounding").json["value"] == 0


def test_global_flags_work_before_and_after_the_command(cli, workspace):
    before = cli("--json", "settings", "get", "company")
    after = cli("settings", "get", "company", "--json")
    assert before.json == after.json
    quiet = cli("settings", "set", "company", "Acme Ltd", "--quiet")
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.startswith("keito ")


def test_timezones_are_stored_by_their_canonical_name(cli):
    result = cli("init", "--company", "Acme", "--currency", "GBP", "--timezone", "europe/london")
    assert result.exit_code == 0, result
    assert result.json["workspace"]["timezone"] == "Europe/London"
    changed = cli("settings", "set", "timezone", "america/new_york")
    assert changed.json["value"] == "America/New_York"


def test_a_second_init_on_a_terminal_refuses_before_asking(terminal, workspace, monkeypatch):
    from types import SimpleNamespace

    from keito_tui.cli import workspace as init_module

    monkeypatch.setattr(init_module, "sys", SimpleNamespace(stdin=SimpleNamespace(
        isatty=lambda: True)))
    result = terminal("init", input="Other Co\nEUR\nUTC\nmonday\nMe\nme@x.test\n")
    assert result.exit_code == 3, result
    assert result.stdout == ""  # not one question asked
    assert "already has a workspace" in result.stderr


def test_settings_say_off_for_a_feature_turned_off(terminal, workspace):
    assert terminal("settings", "set", "rounding", "off").stdout == "✓ rounding = off\n"
    assert terminal("settings", "set", "rounding", "15m").stdout == "✓ rounding = 15\n"
    assert terminal("settings", "set", "lock_after_days", "none").stdout == (
        "✓ lock_after_days = off\n")
    assert terminal("settings", "get", "lock_after_days").stdout == "off\n"
    assert terminal("settings", "get", "rounding", "--json").json["value"] == 15
    assert terminal("settings", "set", "lock_after_days", "30").stdout == (
        "✓ lock_after_days = 30\n")


def test_init_on_a_terminal_asks_again_at_once_for_a_bad_answer(terminal, keito_home,
                                                                 monkeypatch):
    from types import SimpleNamespace

    from keito_tui.cli import workspace as init_module

    monkeypatch.setattr(init_module, "sys", SimpleNamespace(stdin=SimpleNamespace(
        isatty=lambda: True)))
    answers = "Acme\nPOUNDS\nGBP\nMars/Olympus\nEurope/London\nfunday\nmonday\nAda\nnope\n" \
              "ada@acme.test\n"
    result = terminal("init", input=answers)
    assert result.exit_code == 0, result
    # each bad answer is refused as it is typed, and only that question is asked again
    assert result.stdout.count("Currency (ISO 4217)") == 2
    assert result.stdout.count("Timezone") == 2
    assert result.stdout.count("Week starts on") == 2
    assert result.stdout.count("Your email") == 2
    assert result.stdout.count("Company name") == 1
    assert "POUNDS" in result.stderr and "funday" in result.stderr
    assert "Created workspace Acme (GBP, Europe/London)" in result.stdout
