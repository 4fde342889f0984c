"""`keito serve` under 16 agents creating time entries at once: requests per second, latency.

    .venv/bin/python benchmarks/serve.py                                   # SQLite, 3 runs of 10 s
    .venv/bin/python benchmarks/serve.py --database-url postgresql://postgres:postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/serve.py --clients 16 --seconds 20 --runs 5 --no-in-process

Builds a fresh workspace (a temporary KEITO_HOME; on PostgreSQL a throwaway database made on the
server that --database-url names, dropped afterwards) with one client, one project, one task
on it, and one agent user per client, each assigned to the project with its own API key. Then
it starts `keito serve --port 0` as a subprocess (tests/server/live.py: 127.0.0.1, the access
log on as deployed, the rate limit off, since this measures the server and not the limiter,
which would hold each key to 300 a minute) and runs the clients at once: each a thread with
its own httpx connection pool (one keep-alive connection), each POSTing /api/v2/time_entries
back to back as an agent does (hours, notes, source agent, metadata with the agent, session,
model and token counts).

A warm-up (not counted) comes first; then `--runs` measured runs of `--seconds` each (or of
`--requests` in all). Each run prints the requests answered, requests per second, p50, p90,
p99 and max latency and the errors (any answer but 200, or a failed connection: every one is
printed, and the script fails when there is one). At the end the database must hold exactly
one time entry per 200 answer. As a reference, the same clients then do the same work in
process, without HTTP: each call one transaction that resolves the key to its user and logs
the entry through the time entry service, as the route does.

Requests are bounded in count and time and go to 127.0.0.1 only; the server is stopped at the
end (SIGTERM: requests in flight finish; it must exit 0) even when a run fails.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SCRUBBED = ("KEITO_", "CLAUDE_SESSION_ID", "CODEX_SESSION_ID", "OPENCLAW_AGENT_ID",
            "CURSOR_AGENT")
#: No run sends more than this many requests, whatever --seconds says.
HARD_CAP = 200_000


@dataclass
class Workspace:
    url: str
    account_id: str
    project_id: str
    task_id: str
    #: (agent user ID, API key) per client.
    agents: list[tuple[str, str]]
    today: date


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ok: int = 0


# --- the workspace ------------------------------------------------------------------------


def throwaway_postgres(admin_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on the server `admin_url` names; its URL and how to drop it."""
    import psycopg
    import sqlalchemy as sa

    name = f"keito_bench_serve_{os.getpid()}"
    server = sa.engine.make_url(admin_url)
    conninfo = server.set(drivername="postgresql").render_as_string(hide_password=False)

    def run(statement: str) -> None:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(statement)

    run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    run(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    return url, lambda: run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def set_up(url: str, clients: int) -> Workspace:
    """Workspace Bench Ltd: project `serve-bench` with task Development, `clients` agents."""
    from keito_core.platform import db
    from keito_core.platform.identity import actor_for
    from keito_core.services.directory import clients as client_svc
    from keito_core.services.directory import keys, projects, tasks, users
    from keito_core.services.directory.project_team import add_project_task, assign_member
    from keito_core.services.workspace.setup import init_workspace

    engine = db.make_engine(url)
    db.upgrade(engine)
    now = datetime.now(UTC)
    agents = []
    with db.transaction(engine) as session:
        ws, admin = init_workspace(session, company="Bench Ltd", currency="GBP", timezone="UTC",
                                   admin_name="Ada Admin", admin_email="ada@bench.test", now=now)
        actor = actor_for(session, admin)
        client_svc.create_client(session, actor=actor, name="Lab", now=now)
        project = projects.create_project(session, actor=actor, name="Serve bench",
                                          client_ref="Lab", code="serve-bench", rate="100",
                                          now=now)
        task = tasks.create_task(session, actor=actor, name="Development", now=now)
        add_project_task(session, actor=actor, project_ref=project.id, task_ref=task.id, now=now)
        for n in range(clients):
            agent = users.create_user(session, actor=actor, name=f"agent-{n:02d}", agent=True,
                                      now=now)
            assign_member(session, actor=actor, project_ref=project.id, user_ref=agent.id,
                          now=now)
            _, secret = keys.create_key(session, actor=actor, user_ref=agent.id, name="bench",
                                        now=now)
            agents.append((agent.id, secret))
        workspace = Workspace(url=url, account_id=ws.id, project_id=project.id,
                              task_id=task.id, agents=agents, today=now.date())
    engine.dispose()
    return workspace


def count_entries(url: str) -> int:
    import sqlalchemy as sa

    from keito_core.platform import db

    engine = db.make_engine(url)
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM time_entries")).scalar_one()
    engine.dispose()
    return int(total)


# --- the server ---------------------------------------------------------------------------


def live_server(home: Path, url: str, extra: list[str]) -> Any:
    """`keito serve --port 0 --rate-limit off` on the workspace (tests/server/live.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "server"))
    from live import live_server as serving

    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    env.update(KEITO_HOME=str(home), KEITO_DATABASE_URL=url)
    return serving(rate_limit="off", args=extra, env=env, log_dir=home)


# --- the load -----------------------------------------------------------------------------


def entry_body(ws: Workspace, agent: int, step: int, session_id: str) -> dict[str, Any]:
    """What an agent logs: a quarter hour with its notes, source and session metadata."""
    return {
        "project_id": ws.project_id,
        "task_id": ws.task_id,
        "spent_date": ws.today.isoformat(),
        "hours": 0.25,
        "notes": f"agent {agent:02d} step {step}: reviewed a pull request",
        "source": "agent",
        "metadata": {"agent_id": f"agent-{agent:02d}", "agent_type": "claude-code",
                     "session_id": session_id, "model": "claude-opus-4-6",
                     "input_tokens": 30_000 + step, "output_tokens": 15_000},
    }


Call = Callable[[int, int], str | None]
"""(agent, step) -> None when the entry was created, else what went wrong."""


def http_caller(base: str, ws: Workspace, agent: int) -> tuple[Call, Callable[[], None]]:
    import httpx

    secret = ws.agents[agent][1]
    client = httpx.Client(
        base_url=base, timeout=30,
        limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        headers={"Authorization": f"Bearer {secret}", "Keito-Account-Id": ws.account_id})
    session_id = str(uuid.uuid4())

    def call(agent_n: int, step: int) -> str | None:
        try:
            answer = client.post("/api/v2/time_entries",
                                 json=entry_body(ws, agent_n, step, session_id))
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}: {exc}"
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}: {answer.text[:300]}"
        return None

    return call, client.close


def service_caller(engine: Any, ws: Workspace, agent: int) -> tuple[Call, Callable[[], None]]:
    """The route's work without HTTP: the key resolved to its user, the entry logged, in one
    transaction."""
    from keito_core.errors import KeitoError
    from keito_core.platform import db
    from keito_core.platform.identity import actor_for, authenticate
    from keito_core.services.tracking.time_entries import log_time

    secret = ws.agents[agent][1]
    session_id = str(uuid.uuid4())

    def call(agent_n: int, step: int) -> str | None:
        body = entry_body(ws, agent_n, step, session_id)
        try:
            with db.transaction(engine) as session:
                now = datetime.now(UTC)
                actor = actor_for(session, authenticate(session, secret, now=now))
                log_time(session, actor=actor, project_ref=body["project_id"],
                         task_ref=body["task_id"], duration=str(body["hours"]),
                         spent_date=body["spent_date"], notes=body["notes"],
                         source=body["source"], meta=body["metadata"], now=now)
        except KeitoError as exc:
            return f"{exc.code}: {exc}"
        return None

    return call, lambda: None


def run_load(callers: list[Call], *, seconds: float, requests: int | None) -> tuple[Tally, float]:
    """Every caller in its own thread, back to back until the time (or the count) is spent."""
    tallies = [Tally() for _ in callers]
    budget = threading.Semaphore(min(requests or HARD_CAP, HARD_CAP))
    start = threading.Barrier(len(callers) + 1)
    deadline = [0.0]

    def loop(n: int) -> None:
        tally, call = tallies[n], callers[n]
        start.wait()
        step = 0
        while time.perf_counter() < deadline[0] and budget.acquire(blocking=False):
            began = time.perf_counter()
            problem = call(n, step)
            tally.latencies.append(time.perf_counter() - began)
            if problem is None:
                tally.ok += 1
            else:
                tally.errors.append(f"client {n} request {step}: {problem}")
            step += 1

    threads = [threading.Thread(target=loop, args=(n,), daemon=True) for n in range(len(callers))]
    for thread in threads:
        thread.start()
    wall = seconds if requests is None else max(seconds, 600.0)
    deadline[0] = time.perf_counter() + wall
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    total = Tally()
    for tally in tallies:
        total.latencies.extend(tally.latencies)
        total.errors.extend(tally.errors)
        total.ok += tally.ok
    return total, elapsed


def percentile(ordered: list[float], fraction: float) -> float:
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def report(label: str, tally: Tally, elapsed: float) -> dict[str, float]:
    ordered = sorted(tally.latencies)
    done = len(ordered)
    row = {"requests": done, "rps": done / elapsed if elapsed else 0.0,
           "p50": percentile(ordered, 0.5) * 1000 if ordered else math.nan,
           "p90": percentile(ordered, 0.9) * 1000 if ordered else math.nan,
           "p99": percentile(ordered, 0.99) * 1000 if ordered else math.nan,
           "max": ordered[-1] * 1000 if ordered else math.nan,
           "errors": len(tally.errors)}
    print(f"{label:<22} {row['requests']:>8,} {elapsed:>7.1f} {row['rps']:>8.1f} "
          f"{row['p50']:>8.1f} {row['p90']:>8.1f} {row['p99']:>8.1f} {row['max']:>8.1f} "
          f"{row['errors']:>6}", flush=True)
    for problem in tally.errors:
        print(f"    ERROR {problem}", flush=True)
    return row


def header() -> None:
    print(f"{'run':<22} {'requests':>8} {'s':>7} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} "
          f"{'p99 ms':>8} {'max ms':>8} {'errors':>6}", flush=True)


def summary(label: str, rows: list[dict[str, float]]) -> None:
    if not rows:
        return
    each = ", ".join(f"{row['rps']:.1f}" for row in rows)
    print(f"{label}: req/s median {statistics.median(r['rps'] for r in rows):.1f} "
          f"(runs {each}); p99 median {statistics.median(r['p99'] for r in rows):.1f} ms; "
          f"errors {sum(int(r['errors']) for r in rows)}", flush=True)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# --- the whole measurement ----------------------------------------------------------------


def run_series(label: str, callers: list[Call],
               args: argparse.Namespace) -> tuple[list[dict[str, float]], int, int]:
    """A warm-up (reported, not kept), then the measured runs: (their rows, created answers,
    errors) over all of them."""
    rows: list[dict[str, float]] = []
    ok = errors = 0
    if args.warmup > 0:
        tally, elapsed = run_load(callers, seconds=args.warmup, requests=None)
        ok, errors = tally.ok, len(tally.errors)
        report(f"{label} warm-up", tally, elapsed)
    for n in range(args.runs):
        tally, elapsed = run_load(callers, seconds=args.seconds, requests=args.requests)
        ok += tally.ok
        errors += len(tally.errors)
        rows.append(report(f"{label} run {n + 1}", tally, elapsed))
    return rows, ok, errors


def measure(args: argparse.Namespace, home: Path, url: str) -> int:
    from keito_core.platform import db

    ws = set_up(url, args.clients)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(f"{backend} workspace ready: {args.clients} agents, project serve-bench; "
          f"{os.cpu_count()} CPUs, load average {load_average()}", flush=True)
    failures = 0
    answered_ok = 0
    rows: list[dict[str, float]] = []
    with live_server(home, url, args.serve_arg) as server:
        print(f"keito serve at {server.base_url} (log: {server.log_path})", flush=True)
        pairs = [http_caller(server.base_url, ws, n) for n in range(args.clients)]
        callers = [call for call, _ in pairs]
        try:
            header()
            rows, ok, errors = run_series("HTTP", callers, args)
            answered_ok += ok
            failures += errors
        finally:
            for _, close in pairs:
                close()

    reference: list[dict[str, float]] = []
    if args.in_process:
        engine = db.make_engine(url)
        try:
            pairs = [service_caller(engine, ws, n) for n in range(args.clients)]
            callers = [call for call, _ in pairs]
            reference, ok, errors = run_series("in-process", callers, args)
            answered_ok += ok
            failures += errors
        finally:
            engine.dispose()

    stored = count_entries(url)
    print(f"\n{backend}, {args.clients} clients, load average now {load_average()}")
    summary("HTTP (keito serve)", rows)
    summary("in process (no HTTP)", reference)
    print(f"time entries in the database: {stored:,}; created answers: {answered_ok:,}")
    if stored != answered_ok:
        print("MISMATCH: the database does not hold one entry per created answer")
        failures += 1
    if failures:
        print(f"FAILED: {failures} errors")
        return 1
    print("OK: no errors")
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server's maintenance URL: a throwaway database is made "
                             "there (default: SQLite in a temporary KEITO_HOME)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of a run (10)")
    parser.add_argument("--requests", type=int, default=None,
                        help="requests per run, in all, instead of --seconds")
    parser.add_argument("--runs", type=int, default=3, help="measured runs (3)")
    parser.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds (3)")
    parser.add_argument("--no-in-process", dest="in_process", action="store_false",
                        help="skip the in-process reference (the service without HTTP)")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="one more argument for `keito serve`, repeatable: "
                             "--serve-arg=--no-access-log")
    parser.add_argument("--keep", action="store_true", help="keep the temporary KEITO_HOME")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="keito-serve-bench-"))
    drop: Callable[[], None] | None = None
    try:
        if args.database_url and args.database_url.startswith("postgresql"):
            url, drop = throwaway_postgres(args.database_url)
        elif args.database_url:
            raise SystemExit("--database-url takes a postgresql:// URL; SQLite is the default")
        else:
            (home / "data").mkdir()
            url = f"sqlite:///{home / 'data' / 'keito.db'}"
        code = measure(args, home, url)
    finally:
        if drop is not None:
            drop()
        if args.keep:
            print(f"kept: KEITO_HOME={home}")
        else:
            shutil.rmtree(home, ignore_errors=True)
    sys.exit(code)


if __name__ == "__main__":
    main()
