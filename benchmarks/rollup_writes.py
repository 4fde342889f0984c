"""What the triggers keeping `time_entry_months` cost a write: entries logged through the
service with them and without them, alternately, in the same run.

    .venv/bin/python benchmarks/rollup_writes.py                    # 10,000 entries
    .venv/bin/python benchmarks/rollup_writes.py --entries 2000 --batch 250 --backend URL

A fresh workspace (SQLite in a temporary directory unless `--backend` names a database to
use, which is then emptied) with one client and ten projects the administrator is
assigned to. `services.tracking.time_entries.log_time` logs each entry in its own
transaction, as `keito time log` does, on a day among the last 60, to a project chosen at
random. Batches alternate between the schema as migrated (the triggers on) and the
same schema with the three triggers dropped (as before migration 0008); the figures are the
medians of the batches' per-entry times. The rollup is checked against the entries at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent


def migration_0008() -> Any:
    path = ROOT / "migrations" / "versions" / "0008_time_entry_months.py"
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def set_triggers(engine: sa.Engine, on: bool) -> None:
    dialect = engine.dialect.name
    migration = migration_0008()
    with engine.begin() as conn:
        for name in ("insert", "update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS time_entry_months_on_{name}"
                                 + (" ON time_entries" if dialect == "postgresql" else ""))
        if on:
            statements = migration.create_triggers(dialect)
            if dialect == "postgresql":  # the function stays; only the triggers come back
                statements = statements[1:]
            for statement in statements:
                conn.exec_driver_sql(statement)
        # the rollup as the triggers would have kept it
        conn.exec_driver_sql("DELETE FROM time_entry_months")
        conn.exec_driver_sql(migration.backfill(dialect))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--backend", help="a database URL to empty and use (else SQLite)")
    args = parser.parse_args()

    from keito_core.models import Client, Project, ProjectMember, TimeEntry
    from keito_core.models.time_entries import TimeEntryMonth
    from keito_core.platform import db
    from keito_core.platform.identity import actor_for
    from keito_core.services.tracking.time_entries import log_time
    from keito_core.services.workspace.setup import init_workspace

    with tempfile.TemporaryDirectory(prefix="keito-rollup-writes-") as scratch:
        url = args.backend or f"sqlite:///{Path(scratch) / 'keito.db'}"
        engine = db.make_engine(url)
        if args.backend:
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        db.upgrade(engine)
        now = datetime.now(UTC)
        with db.transaction(engine) as session:
            _, admin = init_workspace(session, company="Bench", currency="GBP",
                                      timezone="UTC", admin_name="Ada",
                                      admin_email="ada@bench.test", now=now)
            session.add(Client(id="cli_b", name="Client", currency="GBP"))
            session.flush()
            for n in range(10):
                session.add(Project(id=f"prj_{n}", client_id="cli_b", name=f"P{n}",
                                    handle=f"p{n}", hourly_rate=100 + n))
                session.add(ProjectMember(id=f"pm_{n}", project_id=f"prj_{n}",
                                          user_id=admin.id))
            admin_id = admin.id
        rng = random.Random(7)
        per_entry: dict[bool, list[float]] = {True: [], False: []}
        on = True
        done = 0
        while done < args.entries:
            set_triggers(engine, on)
            count = min(args.batch, args.entries - done)
            started = time.perf_counter()
            for _ in range(count):
                with db.transaction(engine) as session:
                    actor = actor_for(session, session.get(type(admin), admin_id))
                    log_time(session, actor=actor, project_ref=f"p{rng.randrange(10)}",
                             duration=f"{rng.randrange(1, 480)}m",
                             spent_date=(now - timedelta(days=rng.randrange(60))).date(),
                             source="cli", now=now)
            per_entry[on].append((time.perf_counter() - started) * 1000 / count)
            done += count
            on = not on
        set_triggers(engine, True)
        with db.transaction(engine, readonly=True) as session:
            buckets = session.execute(sa.select(
                sa.func.count(), sa.func.sum(TimeEntryMonth.entry_count),
                sa.func.sum(TimeEntryMonth.duration_seconds))).one()
            entries = session.execute(sa.select(
                sa.func.count(), sa.func.sum(TimeEntry.duration_seconds))).one()
        assert (buckets[1], buckets[2]) == tuple(entries), (buckets, entries)
        engine.dispose()
    with_triggers = statistics.median(per_entry[True])
    without = statistics.median(per_entry[False])
    print(f"{engine.dialect.name}: {done:,} entries logged through log_time, one transaction "
          f"each, in batches of {args.batch} alternating")
    print(f"per entry, median of batches: with the triggers {with_triggers:.2f} ms "
          f"({len(per_entry[True])} batches), without {without:.2f} ms "
          f"({len(per_entry[False])} batches): {with_triggers - without:+.2f} ms "
          f"({(with_triggers / without - 1) * 100:+.1f}%)")
    print(f"rollup rows {buckets[0]:,} hold {buckets[1]:,} entries, as the table does")


if __name__ == "__main__":
    main()
