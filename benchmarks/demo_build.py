"""Time building demo workspaces (`keito demo`) of 100k and 1M time entries on SQLite.

    .venv/bin/python benchmarks/demo_build.py                      # 100,000 and 1,000,000
    .venv/bin/python benchmarks/demo_build.py --entries 50000 --keep

Prints, per size, the seconds to build and commit, time entries per second, all rows written
per second and the size of the database file. Each workspace is built in a fresh temporary
directory (removed afterwards unless --keep), exactly as `keito demo --path DIR` does.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from keito_core.demo.build import build_demo
from keito_core.platform import db

SIZES = (100_000, 1_000_000)


def build(entries: int, directory: Path) -> dict[str, float]:
    """Build one demo of `entries` entries in `directory`; return its measurements."""
    path = directory / "data" / "keito.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    started = time.perf_counter()
    with db.transaction(engine) as session:
        summary = build_demo(session, entries=entries, now=datetime.now(UTC))
    seconds = time.perf_counter() - started
    engine.dispose()  # the last connection checkpoints the WAL into the file
    counts = summary.counts
    rows = sum(counts[key] for key in ("time_entries", "expenses", "submissions", "invoices"))
    return {"entries": entries, "seconds": seconds, "entries_per_s": entries / seconds,
            "rows_per_s": rows / seconds, "mb": path.stat().st_size / 1e6,
            "expenses": counts["expenses"], "users": counts["users"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, action="append",
                        help="a size to build (repeatable; default 100000 and 1000000)")
    parser.add_argument("--keep", action="store_true", help="keep the built workspaces")
    args = parser.parse_args()
    print(f"{'entries':>10} {'seconds':>8} {'entries/s':>10} {'rows/s':>10} {'file MB':>8}"
          f" {'expenses':>9} {'users':>6}")
    for entries in args.entries or SIZES:
        directory = Path(tempfile.mkdtemp(prefix=f"keito-demo-{entries}-"))
        try:
            m = build(entries, directory)
            print(f"{m['entries']:>10,} {m['seconds']:>8.1f} {m['entries_per_s']:>10,.0f}"
                  f" {m['rows_per_s']:>10,.0f} {m['mb']:>8.0f} {m['expenses']:>9,}"
                  f" {m['users']:>6}", flush=True)
        finally:
            if args.keep:
                print(f"{'':>10} kept: KEITO_HOME={directory} keito")
            else:
                shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
