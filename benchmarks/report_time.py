"""The time report by project over a year of a 1,000,000-entry demo, against the same
aggregation in raw SQL through the standard library's sqlite3, in the same run.

Target (issue 11): within 2x of raw SQL. The report's figure includes everything a command
pays for once it has a session: resolving the query, the visibility clause, the grouped
SELECT, the totals per currency and turning sums into Decimal hours and money.

    .venv/bin/python benchmarks/report_time.py --home DIR [--rounds 7]

DIR is a KEITO_HOME holding a demo (`keito demo --path DIR --entries 1000000`).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from datetime import UTC, datetime, timedelta

RAW = """
SELECT p.id, c.currency, sum(t.duration_seconds),
       sum(CASE WHEN t.is_billable THEN t.duration_seconds ELSE 0 END),
       sum(CASE WHEN t.is_billable THEN t.duration_seconds * coalesce(t.billable_rate, 0)
                ELSE 0 END),
       sum(CASE WHEN t.is_billable AND t.invoice_id IS NULL
                THEN t.duration_seconds * coalesce(t.billable_rate, 0) ELSE 0 END),
       sum(t.duration_seconds * coalesce(t.cost_rate, 0))
FROM time_entries t JOIN projects p ON p.id = t.project_id JOIN clients c ON c.id = p.client_id
WHERE t.spent_date >= ? AND t.spent_date <= ?
GROUP BY p.id, c.currency
"""
#: The same figures summed per project first, then joined (the report's own shape).
RAW_TWO_PASS = """
SELECT p.id, c.currency, s.a, s.b, s.c, s.d, s.e FROM (
  SELECT t.project_id AS pid, sum(t.duration_seconds) AS a,
         sum(CASE WHEN t.is_billable THEN t.duration_seconds ELSE 0 END) AS b,
         sum(CASE WHEN t.is_billable THEN t.duration_seconds * coalesce(t.billable_rate, 0)
                  ELSE 0 END) AS c,
         sum(CASE WHEN t.is_billable AND t.invoice_id IS NULL
                  THEN t.duration_seconds * coalesce(t.billable_rate, 0) ELSE 0 END) AS d,
         sum(t.duration_seconds * coalesce(t.cost_rate, 0)) AS e
  FROM time_entries t WHERE t.spent_date >= ? AND t.spent_date <= ? GROUP BY t.project_id
) s JOIN projects p ON p.id = s.pid JOIN clients c ON c.id = p.client_id
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--home", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    os.environ["KEITO_HOME"] = args.home
    from keito_core.platform.runtime import make_runtime
    from keito_core.reports.analysis import ReportQuery, run_report

    runtime = make_runtime()
    now = datetime.now(UTC)
    with runtime.session(readonly=True) as session:
        actor = runtime.actor(session)
        last = runtime.today("UTC")
        first = last - timedelta(days=364)
        query = ReportQuery(kind="time", group_by="project", date_from=first, date_to=last)
        count = session.connection().exec_driver_sql(
            "SELECT count(*) FROM time_entries WHERE spent_date >= ? AND spent_date <= ?",
            (first.isoformat(), last.isoformat())).scalar() or 0
        report_times, rows = [], 0
        for _ in range(args.rounds):
            start = time.perf_counter()
            result = run_report(session, actor=actor, query=query, now=now)
            report_times.append(time.perf_counter() - start)
            rows = len(result.rows)
    path = runtime.settings.database_url.removeprefix("sqlite:///")
    raw_times, two_pass_times = [], []
    with sqlite3.connect(path) as raw:
        for _ in range(args.rounds):
            start = time.perf_counter()
            raw_rows = raw.execute(RAW, (first.isoformat(), last.isoformat())).fetchall()
            raw_times.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw.execute(RAW_TWO_PASS, (first.isoformat(), last.isoformat())).fetchall()
            two_pass_times.append(time.perf_counter() - start)
    report, baseline = statistics.median(report_times), statistics.median(raw_times)
    two_pass = statistics.median(two_pass_times)
    print(f"entries in the year: {count:,}; rows: report {rows}, raw {len(raw_rows)}")
    print(f"report median {report * 1000:.0f} ms (min {min(report_times) * 1000:.0f}, "
          f"max {max(report_times) * 1000:.0f}); raw SQL median {baseline * 1000:.0f} ms "
          f"(min {min(raw_times) * 1000:.0f}); ratio {report / baseline:.2f}x "
          f"(target within 2x: {'yes' if report <= 2 * baseline else 'no'})")
    print(f"raw SQL summed per project first, then joined: median {two_pass * 1000:.0f} ms; "
          f"ratio {report / two_pass:.2f}x")


if __name__ == "__main__":
    main()
