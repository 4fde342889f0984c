"""`keito report`: the command line gives the figures the reports give, saves and runs
reports by name, writes CSV, fits an 80-column terminal and refuses bad input with codes."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import time_machine
from sqlmodel import Session, select

from keito_core.demo.build import build_demo
from keito_core.enums import Role
from keito_core.models import User
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.reports.analysis import ReportQuery, run_report

NOW = datetime(2026, 3, 18, 15, 30, tzinfo=UTC)


@pytest.fixture
def demo(engine, keito_home):  # noqa: ANN001, ANN201
    with db.transaction(engine) as session:
        build_demo(session, entries=800, seed=5, now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield engine


def _admin_result(engine, query: ReportQuery):  # noqa: ANN001, ANN202
    with Session(engine) as session:
        admin = session.exec(select(User).where(User.role == Role.ADMIN)).first()
        return run_report(session, actor=actor_for(session, admin), query=query, now=NOW)


def test_json_gives_the_reports_figures(cli, demo) -> None:  # noqa: ANN001
    out = cli("report", "time", "--period", "last_month", "--group-by", "client",
              "--then-by", "person")
    assert out.exit_code == 0, out.stderr
    body = out.json
    expected = _admin_result(demo, ReportQuery(kind="time", period="last_month",
                                               group_by="client", then_by="person"))
    assert body["from"] == "2026-02-01" and body["to"] == "2026-02-28"
    assert len(body["data"]) == len(expected.rows) > 0
    for row, want in zip(body["data"], expected.rows, strict=True):
        assert row["client"] == want["client"] and row["person"] == want["person"]
        assert Decimal(str(row["billable_amount"])) == want["billable_amount"]
        assert "_keys" not in row
    assert [c["key"] for c in body["columns"]][:3] == ["client", "person", "currency"]
    assert {t["currency"] for t in body["totals"]} == {r["currency"] for r in expected.rows}


def test_save_list_run_and_delete(cli, demo) -> None:  # noqa: ANN001
    saved = cli("report", "expenses", "--period", "last_month", "--group-by", "category",
                "--billable", "--save", "Billable expenses", "--shared")
    assert saved.exit_code == 0, saved.stderr
    assert saved.json["saved"] == "Billable expenses"
    listed = cli("report", "saved").json["data"]
    assert [(r["name"], r["kind"], r["shared"]) for r in listed] == [
        ("Billable expenses", "expenses", True)]
    assert listed[0]["filters"] == {"group_by": "category", "period": "last_month",
                                    "billable": True}
    again = cli("report", "run", "billable EXPENSES")
    assert again.exit_code == 0
    assert again.json["data"] == saved.json["data"] and again.json["title"] == \
        "Expenses by category"
    assert cli("report", "delete", "Billable expenses").exit_code == 0
    gone = cli("report", "run", "Billable expenses")
    assert gone.exit_code == 4 and gone.error["code"] == "not_found"


def test_csv_output_and_stdout(cli, demo, tmp_path) -> None:  # noqa: ANN001
    target = tmp_path / "by-project.csv"
    written = cli("report", "time", "--period", "last_month", "--output", str(target))
    assert written.exit_code == 0, written.stderr
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    expected = _admin_result(demo, ReportQuery(kind="time", period="last_month"))
    assert [r["Project"] for r in rows] == [r["project"] for r in expected.rows]
    assert [Decimal(r["Billable amount"]) for r in rows] == [
        r["billable_amount"] for r in expected.rows]
    piped = cli("report", "time", "--period", "last_month", "--format", "csv")
    assert piped.exit_code == 0
    assert list(csv.DictReader(io.StringIO(piped.stdout))) == rows


def test_terminal_table_fits_80_columns(terminal, demo) -> None:  # noqa: ANN001
    out = terminal("report", "time", "--period", "last_month", "--group-by", "project")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].startswith("Time by project (2026-02-01 to 2026-02-28)")
    assert "Total" in out.stdout and "Left out to fit:" in out.stdout


@pytest.mark.parametrize(("args", "code", "exit_code"), [
    (("report", "time", "--group-by", "category"), "validation_error", 2),
    (("report", "time", "--period", "someday"), "validation_error", 2),
    (("report", "time", "--client", "No Such Client"), "not_found", 4),
    (("report", "budget", "--month", "2026-13"), "validation_error", 2),
    (("report", "run", "nothing saved"), "not_found", 4),
    (("report", "agents", "--group-by", "task"), "validation_error", 2),
])
def test_bad_input_is_a_coded_error(cli, demo, args, code, exit_code) -> None:  # noqa: ANN001
    out = cli(*args)
    assert (out.exit_code, out.error["code"]) == (exit_code, code)
    assert "Traceback" not in out.stderr


def test_member_reports_hide_money(cli, demo) -> None:  # noqa: ANN001
    from keito_core.services.directory.keys import create_key

    with db.transaction(demo) as write:
        member = write.exec(select(User).where(User.role == Role.MEMBER)).first()
        _, secret = create_key(write, actor=actor_for(write, member), name="t", now=NOW)
    out = cli("report", "time", "--period", "last_month", env={"KEITO_API_KEY": secret})
    assert out.exit_code == 0, out.stderr
    keys = [c["key"] for c in out.json["columns"]]
    assert "billable_amount" not in keys and "cost" not in keys
    assert all("billable_amount" not in row for row in out.json["data"])


def test_a_filter_the_report_does_not_use_is_said(terminal, demo) -> None:  # noqa: ANN001
    """A report saved in the app with a person on the uninvoiced report: running it says the
    person was not used rather than implying the figures are that person's."""
    from keito_core.services.reporting.saved_reports import save_report

    with db.transaction(demo) as session:
        admin = session.exec(select(User).where(User.role == Role.ADMIN)).first()
        member = session.exec(select(User).where(User.role == Role.MEMBER)).first()
        save_report(session, actor=actor_for(session, admin), name="Ready, one person",
                    query=ReportQuery(kind="uninvoiced", people=(member.id,)), now=NOW)
    out = terminal("report", "run", "Ready, one person", "--json")
    assert out.exit_code == 0, out.stderr
    assert out.json["ignored_filters"] == ["people"]
    shown = terminal("report", "run", "Ready, one person")
    assert "note: the uninvoiced report does not use --person" in shown.stderr
    plain = terminal("report", "uninvoiced", "--client", "Northwind Traders Ltd", "--json")
    assert plain.exit_code == 0 and "ignored_filters" not in plain.json
