"""`keito export KIND`: CSV to stdout or a file, XLSX to a file, what each user gets, the
refusals, the summary, and a reader that goes away (`keito export time | head`)."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook


def ok(cli, *args: str, key: str | None = None):
    result = cli(*args, env={"KEITO_API_KEY": key} if key else None)
    assert result.exit_code == 0, (args, result)
    return result


@pytest.fixture
def team(cli, workspace):
    """Acme Corp (GBP) with project acme (rate 150); member Mia and manager Max (Mia's
    teammate, no rate permission) on it; Mia logs 1.5 h and 0.25 h, the admin 2 h."""
    ok(cli, "client", "add", "Acme Corp")
    ok(cli, "project", "add", "Acme Website", "--client", "Acme Corp", "--code", "acme",
       "--rate", "150")
    ok(cli, "user", "add", "Mia", "--email", "mia@acme.test")
    ok(cli, "user", "add", "Max", "--email", "max@acme.test", "--role", "manager")
    ok(cli, "user", "teammates", "max@acme.test", "--add", "mia@acme.test")
    ok(cli, "project", "assign", "acme", "mia@acme.test", "max@acme.test")
    keys = {name: ok(cli, "key", "create", "--user", f"{name}@acme.test").json["secret"]
            for name in ("mia", "max")}
    ok(cli, "time", "log", "--project", "acme", "--hours", "1.5", "--date", "2026-03-02",
       "--notes", "Auth, \"flow\"", key=keys["mia"])
    ok(cli, "time", "log", "--project", "acme", "--hours", "0.25", "--date", "2026-03-03",
       key=keys["mia"])
    ok(cli, "time", "log", "--project", "acme", "--hours", "2", "--date", "2026-03-04")
    return keys


def rows_of(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_csv_to_stdout(cli, team):
    result = ok(cli, "export", "time")
    rows = rows_of(result.stdout)
    assert [r["Hours"] for r in rows] == ["1.50", "0.25", "2.00"]
    assert [r["Billable Amount"] for r in rows] == ["225.00", "37.50", "300.00"]
    assert rows[0]["Notes"] == "Auth, \"flow\"" and rows[0]["Team Member"] == "Mia"
    assert rows[0]["Billable"] == "Yes" and rows[0]["Billed"] == "No"
    assert rows[0]["Date"] == "2026-03-02" and rows[0]["Source"] == "cli"
    assert result.stderr == ""


def test_what_each_user_gets(cli, team):
    mine = rows_of(ok(cli, "export", "time", key=team["mia"]).stdout)
    assert [r["Team Member"] for r in mine] == ["Mia", "Mia"]
    assert "Hourly Rate" not in mine[0] and "Billable Amount" not in mine[0]
    managed = rows_of(ok(cli, "export", "time", key=team["max"]).stdout)
    assert [r["Team Member"] for r in managed] == ["Mia", "Mia"]  # his teammate's
    assert "Billable Amount" not in managed[0]
    refused = cli("export", "clients", env={"KEITO_API_KEY": team["mia"]})
    assert refused.exit_code == 1 and refused.error["code"] == "authorization_error"


def test_filters(cli, team):
    rows = rows_of(ok(cli, "export", "time", "--from", "2026-03-03", "--person", "Mia").stdout)
    assert [r["Hours"] for r in rows] == ["0.25"]
    assert rows_of(ok(cli, "export", "time", "--non-billable").stdout) == []
    assert len(rows_of(ok(cli, "export", "time", "--approval", "unsubmitted").stdout)) == 3
    projects = rows_of(ok(cli, "export", "projects", "--status", "active").stdout)
    assert [p["Name"] for p in projects] == ["Acme Website"]
    bad = cli("export", "time", "--state", "paid")
    assert bad.exit_code == 2 and bad.error["field"] == "states"


def test_xlsx_needs_a_file(cli, team):
    refused = cli("export", "time", "--format", "xlsx")
    assert refused.exit_code == 2
    assert refused.error["code"] == "validation_error" and refused.error["field"] == "output"
    assert "--output" in refused.error["hint"]
    assert cli("export", "time", "--format", "ods").error["field"] == "format"
    assert cli("export", "hours").error["field"] == "kind"


def test_xlsx_file_summary_and_types(cli, team, tmp_path):
    path = tmp_path / "out" / "time.xlsx"
    result = ok(cli, "export", "time", "-f", "xlsx", "-o", str(path))
    assert result.json == {"path": str(path.resolve()), "rows": 3, "format": "xlsx",
                           "kind": "time"}
    assert (path.stat().st_mode & 0o777) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["time.xlsx"]  # no temporary left
    sheet = load_workbook(path).active
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert isinstance(values[0][0], datetime)
    amounts = [Decimal(str(v[10])) for v in values]
    assert amounts == [Decimal("225"), Decimal("37.5"), Decimal("300"), Decimal("562.5")]
    assert values[-1][0] == "Total" and values[-1][11] == "GBP"
    again = cli("export", "time", "-f", "xlsx", "-o", str(path))
    assert again.exit_code == 3 and again.error["code"] == "conflict"
    ok(cli, "export", "time", "-f", "xlsx", "-o", str(path), "--force")


def test_csv_file_and_terminal_summary(team, terminal, tmp_path):
    path = tmp_path / "time.csv"
    result = terminal("export", "time", "-o", str(path))
    assert result.exit_code == 0, result
    assert result.stdout == "" and f"Exported 3 time rows to {path}" in result.stderr
    assert len(rows_of(path.read_text(encoding="utf-8"))) == 3


def test_an_interrupted_export_leaves_no_file(cli, team, tmp_path, monkeypatch):
    import keito_core.io.tabular as tabular

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tabular, "write_csv", broken)
    folder = tmp_path / "exports"
    folder.mkdir()
    result = cli("export", "time", "-o", str(folder / "time.csv"))
    assert result.exit_code != 0 and "Traceback" not in result.stderr
    assert list(folder.iterdir()) == []


def test_piping_to_a_reader_that_stops_early(team, workspace):
    """`keito export time | head`: the reader goes away mid-stream (far more rows than a
    pipe holds); no traceback, exit 0."""
    import sqlalchemy as sa

    from keito_core.models import TimeEntry
    from keito_core.platform.ids import new_id

    with workspace.session() as s:
        entry = s.execute(sa.select(TimeEntry)).scalars().first()
        copies = [{"id": new_id("time_entry"), "user_id": entry.user_id,
                   "project_id": entry.project_id, "spent_date": entry.spent_date,
                   "duration_seconds": 900, "notes": "x" * 100, "billable_rate": Decimal(150),
                   "meta": {}}
                  for _ in range(5000)]
        s.execute(sa.insert(TimeEntry), copies)
    code = ("import sys\nfrom keito_tui.cli.main import run\n"
            "sys.argv = ['keito', 'export', 'time']\nrun()\n")
    reader = subprocess.Popen(["head", "-c", "20"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    writer = subprocess.run([sys.executable, "-c", code], stdout=reader.stdin,
                            stderr=subprocess.PIPE, env=os.environ, check=False,
                            text=True)
    reader.stdin.close()
    head = reader.stdout.read()
    reader.wait()
    assert head.startswith(b"Date,Client")
    assert writer.returncode == 0 and "Traceback" not in writer.stderr


def test_write_table_writes_a_reports_rows(tmp_path):
    from keito_core.reports.analysis.result import Column
    from keito_tui.cli.export import write_table

    columns = [Column("project", "Project"), Column("hours", "Hours", "hours", total=True)]
    rows = [{"project": "Web", "hours": Decimal("1.5"), "_keys": {"project": "prj_1"}}]
    path = Path(tmp_path / "report.xlsx")
    assert write_table(columns, rows, fmt="xlsx", output=path,
                       totals=[{"hours": Decimal("1.5")}]) == 1
    values = list(load_workbook(path).active.iter_rows(values_only=True))
    assert values == [("Project", "Hours"), ("Web", 1.5), ("Total", 1.5)]
