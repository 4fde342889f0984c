"""Time `keito export` on the 1,000,000-entry demo against the same rows written from a raw cursor.

    .venv/bin/python benchmarks/export.py                      # builds the demo (~1 min)
    .venv/bin/python benchmarks/export.py --home /tmp/bench1m  # a demo already built

Measured in one run (targets from issue 11):

- CSV of every time entry through `reports.exports.export_time` + `io.tabular.write_csv`
  against the standard library's sqlite3 running the same SELECT and its csv module writing
  the rows as they come (target: within 1.5x);
- XLSX of 100,000 entries through `write_xlsx` against openpyxl write-only from the same raw
  cursor (target: within 1.5x);
- peak memory (ru_maxrss) of `keito export time` as a process, CSV and XLSX of all 1,000,000
  entries (target: under 150 MB);
- the 1,000,000-row files read back: every row there, in the CSV and in the XLSX (openpyxl),
  the sum of the amounts equal to the SQL sum of the same per-entry amounts exactly, dates as
  dates and amounts as numbers in the XLSX.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XLSX_ROWS = 100_000


def build(home: Path, entries: int) -> None:
    from keito_core.demo.build import build_demo
    from keito_core.platform import db

    path = home / "data" / "keito.db"
    path.parent.mkdir(parents=True)
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    started = time.perf_counter()
    with db.transaction(engine) as session:
        build_demo(session, entries=entries, now=datetime.now(UTC))
    engine.dispose()
    print(f"built a demo of {entries:,} entries in {time.perf_counter() - started:.0f} s",
          flush=True)


def _admin_export(engine, limit: int | None):  # noqa: ANN001, ANN202
    """Open a read transaction and the administrator's time export (columns, rows, SQL)."""
    from sqlmodel import select

    from keito_core.models import User
    from keito_core.platform import db
    from keito_core.platform.identity import actor_for
    from keito_core.reports.exports import export_time

    context = db.transaction(engine, readonly=True)
    session = context.__enter__()
    admin = session.exec(select(User).where(User.role == "admin")).first()
    found = export_time(session, actor=actor_for(session, admin))
    rows = found.rows if limit is None else islice(found.rows, limit)
    return context, found, rows


def _raw_sql() -> str:
    """The time export's SELECT as plain SQL, for the raw cursor."""
    return ("SELECT te.spent_date, c.name, p.name, t.name, u.name, te.notes, "
            "te.duration_seconds, te.is_billable, te.invoice_id IS NOT NULL, "
            "te.billable_rate, c.currency, te.approval_status, te.source, te.metadata, te.id "
            "FROM time_entries te JOIN projects p ON p.id = te.project_id "
            "JOIN clients c ON c.id = p.client_id JOIN users u ON u.id = te.user_id "
            "LEFT JOIN tasks t ON t.id = te.task_id ORDER BY te.spent_date, te.id")


def keito_csv(engine, path: Path) -> tuple[float, int]:  # noqa: ANN001
    from keito_core.io.tabular import write_csv

    started = time.perf_counter()
    context, found, rows = _admin_export(engine, None)
    with path.open("w", encoding="utf-8", newline="") as handle:
        count = write_csv(handle, found.columns, rows)
    context.__exit__(None, None, None)
    return time.perf_counter() - started, count


def raw_csv(db_path: Path, path: Path, limit: int | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    con = sqlite3.connect(db_path)
    sql = _raw_sql() + (f" LIMIT {limit}" if limit else "")
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Date", "Client", "Project", "Task", "Team Member", "Notes", "Seconds",
                         "Billable", "Billed", "Rate", "Currency", "Approval", "Source",
                         "Metadata", "ID"])
        for row in con.execute(sql):
            writer.writerow(row)
            count += 1
    con.close()
    return time.perf_counter() - started, count


def keito_xlsx(engine, path: Path, limit: int) -> tuple[float, int]:  # noqa: ANN001
    from keito_core.io.tabular import write_xlsx

    started = time.perf_counter()
    context, found, rows = _admin_export(engine, limit)
    count = write_xlsx(path, found.columns, rows)
    context.__exit__(None, None, None)
    return time.perf_counter() - started, count


def raw_xlsx(db_path: Path, path: Path, limit: int) -> tuple[float, int]:
    from openpyxl import Workbook

    started = time.perf_counter()
    con = sqlite3.connect(db_path)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Time")
    count = 0
    for row in con.execute(_raw_sql() + f" LIMIT {limit}"):
        sheet.append(row)
        count += 1
    workbook.save(path)
    con.close()
    return time.perf_counter() - started, count


def process_peak(home: Path, fmt: str, path: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of `keito export time` as a process of its own."""
    code = (
        "import resource, sys\n"
        "from keito_tui.cli.main import run\n"
        f"sys.argv = ['keito', 'export', 'time', '--format', {fmt!r}, '--output', "
        f"{str(path)!r}, '--force', '--json']\n"
        "try:\n    run()\nexcept SystemExit:\n    pass\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n")
    env = {**os.environ, "KEITO_HOME": str(home)}
    env.pop("KEITO_DATABASE_URL", None)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    seconds = time.perf_counter() - started
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def sql_amount_sum(db_path: Path) -> tuple[int, dict[str, Decimal]]:
    """Rows, and per currency the sum of every billable entry's amount rounded half-up to the
    currency's minor unit, computed in SQLite's integer arithmetic (minor units)."""
    from keito_core.rules.money import CURRENCY_EXPONENTS

    con = sqlite3.connect(db_path)
    count = con.execute("SELECT count(*) FROM time_entries").fetchone()[0]
    sums: dict[str, Decimal] = {}
    for currency, in con.execute("SELECT DISTINCT currency FROM clients"):
        scale = 10 ** CURRENCY_EXPONENTS.get(currency, 2)
        minor = con.execute(
            "SELECT coalesce(sum((2 * te.duration_seconds * te.billable_rate * ? + 3600000000)"
            " / 7200000000), 0) FROM time_entries te JOIN projects p ON p.id = te.project_id "
            "JOIN clients c ON c.id = p.client_id WHERE c.currency = ? AND te.is_billable "
            "AND te.billable_rate IS NOT NULL", (scale, currency)).fetchone()[0]
        sums[currency] = Decimal(minor) / scale
    con.close()
    return count, sums


def check_csv(path: Path, count: int, sums: dict[str, Decimal]) -> None:
    seen: dict[str, Decimal] = {}
    rows = 0
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        for row in reader:
            rows += 1
            amount = Decimal(row["Billable Amount"])
            seen[row["Currency"]] = seen.get(row["Currency"], Decimal(0)) + amount
            if rows == 1:
                datetime.strptime(row["Date"], "%Y-%m-%d")
    assert rows == count, (rows, count)
    assert {k: v for k, v in seen.items() if v} == {k: v for k, v in sums.items() if v}, seen
    print(f"  CSV read back: {rows:,} rows; amounts per currency equal SQL's exactly: "
          + ", ".join(f"{c} {v:,}" for c, v in sorted(seen.items())))


def check_xlsx(path: Path, count: int, sums: dict[str, Decimal]) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    rows = 0
    seen: dict[str, Decimal] = {}
    totals: dict[str, Decimal] = {}
    for sheet in workbook.worksheets:
        header = None
        for values in sheet.iter_rows(values_only=True):
            if header is None:
                header = list(values)
                date_at, amount_at = header.index("Date"), header.index("Billable Amount")
                currency_at = header.index("Currency")
                continue
            if values[0] == "Total":
                totals[values[currency_at]] = Decimal(str(values[amount_at]))
                continue
            rows += 1
            assert isinstance(values[date_at], datetime), values
            amount = values[amount_at]
            assert isinstance(amount, int | float), values
            cents = Decimal(str(amount))
            seen[values[currency_at]] = seen.get(values[currency_at], Decimal(0)) + cents
    workbook.close()
    assert rows == count, (rows, count)
    assert {k: v for k, v in seen.items() if v} == {k: v for k, v in sums.items() if v}, seen
    assert {k: v for k, v in totals.items() if v} == {k: v for k, v in sums.items() if v}
    print(f"  XLSX read back: {rows:,} rows over {len(workbook.worksheets)} sheet(s); dates are "
          "dates, amounts numbers; per-currency amounts and totals rows equal SQL's exactly")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, help="KEITO_HOME of a demo (else one is built)")
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=XLSX_ROWS)
    parser.add_argument("--skip-readback", action="store_true",
                        help="skip reading the 1M-row files back (minutes for the XLSX)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from keito_core.platform import db

    work = Path(tempfile.mkdtemp(prefix="keito-export-"))
    home = args.home
    try:
        if home is None:
            home = work / "home"
            build(home, args.entries)
        db_path = home / "data" / "keito.db"
        engine = db.make_engine(f"sqlite:///{db_path}")
        print("CSV, every time entry:", flush=True)
        raw_s, raw_n = raw_csv(db_path, work / "raw.csv")
        ours_s, ours_n = keito_csv(engine, work / "keito.csv")
        raw2_s, _ = raw_csv(db_path, work / "raw.csv")
        raw_best = min(raw_s, raw2_s)
        print(f"  raw cursor + csv: {raw_s:.2f} s, {raw2_s:.2f} s ({raw_n:,} rows)")
        print(f"  keito export:     {ours_s:.2f} s ({ours_n:,} rows)  "
              f"ratio {ours_s / raw_best:.2f} (target <= 1.5)", flush=True)
        print(f"XLSX, {args.xlsx_rows:,} entries:", flush=True)
        raw_x, _ = raw_xlsx(db_path, work / "raw.xlsx", args.xlsx_rows)
        ours_x, ours_xn = keito_xlsx(engine, work / "keito.xlsx", args.xlsx_rows)
        print(f"  raw cursor + openpyxl write-only: {raw_x:.2f} s")
        print(f"  keito export:                     {ours_x:.2f} s ({ours_xn:,} rows)  "
              f"ratio {ours_x / raw_x:.2f} (target <= 1.5)", flush=True)
        engine.dispose()
        print("Peak memory of `keito export time` as a process, every entry:", flush=True)
        for fmt in ("csv", "xlsx"):
            seconds, peak = process_peak(home, fmt, work / f"all.{fmt}")
            print(f"  {fmt}: {seconds:.1f} s, peak RSS {peak:.0f} MB (target < 150 MB)",
                  flush=True)
        if not args.skip_readback:
            count, sums = sql_amount_sum(db_path)
            check_csv(work / "all.csv", count, sums)
            check_xlsx(work / "all.xlsx", count, sums)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
