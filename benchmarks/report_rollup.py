"""The time report's summary through the monthly rollup against the same summary over every
entry, alternately in one process, with the rows and totals compared each time.

    .venv/bin/python benchmarks/report_rollup.py --home DIR [--rounds 7]

DIR is a KEITO_HOME holding a demo at schema 0008 or later (`keito demo --path DIR --entries
1000000`). For each case (this year by each grouping, then a month and a week) it times
`time_report.summary` with `rollup=False` (today's entries-only path, kept for queries the
rollup cannot answer) and `rollup=True` (whole months from `time_entry_months`, the days
around them from the entries), as the workspace's default user (the demo's administrator).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

CASES = [("this_year", g) for g in ("project", "client", "task", "person", "source", "role")]
CASES += [("last_month", "person"), ("this_month", "person"), ("this_week", "person")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--home", required=True)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    os.environ["KEITO_HOME"] = args.home
    from keito_core.platform.runtime import make_runtime
    from keito_core.reports.analysis import months, time_report
    from keito_core.reports.analysis.query import ReportQuery
    from keito_core.reports.analysis.scope import resolve

    runtime = make_runtime()
    print(f"{'period':<11} {'grouping':<8} {'rows':>5} {'entries ms':>10} {'rollup ms':>9} "
          "whole months  identical")
    with runtime.session(readonly=True) as session:
        actor = runtime.actor(session)
        for period, grouping in CASES:
            query = ReportQuery(kind="time", period=period, group_by=grouping)
            scope = resolve(session, actor=actor, query=query, now=runtime.clock())
            times: dict[bool, list[float]] = {False: [], True: []}
            results = {}
            for _ in range(args.rounds):
                for rollup in (False, True):
                    started = time.perf_counter()
                    results[rollup] = time_report.summary(session, scope, actor, rollup=rollup)
                    times[rollup].append((time.perf_counter() - started) * 1000)
            same = (results[True].rows == results[False].rows
                    and results[True].totals == results[False].totals)
            plan = months.plan_for(scope)
            whole = "-" if plan is None else f"{plan.first} to {plan.end}"
            print(f"{period:<11} {grouping:<8} {len(results[True].rows):>5} "
                  f"{statistics.median(times[False]):>10.0f} "
                  f"{statistics.median(times[True]):>9.0f} {whole}  {'yes' if same else 'NO'}")
    runtime.close()


if __name__ == "__main__":
    main()
