"""Parallel agents logging time into one SQLite file: nothing lost, nothing refused.

    .venv/bin/python benchmarks/parallel_agents.py                       # 8 agents x 50 entries
    .venv/bin/python benchmarks/parallel_agents.py --agents 16 --entries 20

Creates a workspace in a temporary KEITO_HOME with one project and one agent user per process,
each with its own API key and assigned to the project. Then the agents run at once, each
calling `keito time log --project P --hours 0.25 --source agent` in a loop (every call its own
process, as an agent wrapper does). Asserts that every call exited 0 with nothing on stderr and
that the database holds exactly agents x entries entries, each agent's own; prints the time
taken and the latency of one call.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

SCRUBBED = ("KEITO_", "CLAUDE_SESSION_ID", "CODEX_SESSION_ID", "OPENCLAW_AGENT_ID",
            "CURSOR_AGENT")


def set_up(home: Path, agents: int) -> tuple[str, list[tuple[str, str]]]:
    """A workspace with project `agents-lab` and `agents` agent users; their (id, key)."""
    from datetime import UTC, datetime

    from keito_core.platform import db
    from keito_core.platform.identity import actor_for
    from keito_core.services.directory import clients, keys, projects, users
    from keito_core.services.directory.project_team import assign_member
    from keito_core.services.workspace.setup import init_workspace

    path = home / "data" / "keito.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    made = []
    now = datetime.now(UTC)
    with db.transaction(engine) as session:
        _, admin = init_workspace(session, company="Parallel Ltd", currency="GBP",
                                  timezone="UTC", admin_name="Ada", admin_email="ada@p.test",
                                  now=now)
        actor = actor_for(session, admin)
        clients.create_client(session, actor=actor, name="Lab", now=now)
        projects.create_project(session, actor=actor, name="Agents lab", client_ref="Lab",
                                code="agents-lab", rate="100", now=now)
        for n in range(agents):
            agent = users.create_user(session, actor=actor, name=f"agent-{n:02d}", agent=True,
                                      now=now)
            assign_member(session, actor=actor, project_ref="agents-lab", user_ref=agent.id,
                          now=now)
            _, secret = keys.create_key(session, actor=actor, user_ref=agent.id, name="bench",
                                        now=now)
            made.append((agent.id, secret))
    engine.dispose()
    print(f"workspace {home} ready ({datetime.now(UTC):%H:%M:%S} UTC)", flush=True)
    return str(path), made


def agent_loop(keito: str, home: Path, agent: int, key: str, entries: int) -> dict:
    """One agent: `entries` calls of `keito time log`, one after the other."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    env.update(KEITO_HOME=str(home), KEITO_API_KEY=key)
    latencies, errors = [], []
    for i in range(entries):
        cmd = [keito, "time", "log", "--project", "agents-lab", "--hours", "0.25",
               "--source", "agent", "--notes", f"agent {agent} step {i}", "--json"]
        started = time.perf_counter()
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        latencies.append(time.perf_counter() - started)
        if done.returncode != 0 or done.stderr.strip():
            errors.append(f"agent {agent} step {i}: exit {done.returncode}: {done.stderr.strip()}")
    return {"latencies": latencies, "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=8, help="parallel processes (default 8)")
    parser.add_argument("--entries", type=int, default=50, help="entries each (default 50)")
    parser.add_argument("--keito", default=str(Path(sys.executable).with_name("keito")),
                        help="the keito program (default: next to this Python)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="keito-parallel-"))
    try:
        database, agents = set_up(home, args.agents)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.agents) as pool:
            results = list(pool.map(
                lambda pair: agent_loop(args.keito, home, pair[0], pair[1][1], args.entries),
                enumerate(agents),
            ))
        seconds = time.perf_counter() - started

        errors = [e for r in results for e in r["errors"]]
        latencies = sorted(x for r in results for x in r["latencies"])
        with sqlite3.connect(database) as conn:
            per_agent = dict(conn.execute(
                "SELECT user_id, count(*) FROM time_entries WHERE source = 'agent' "
                "GROUP BY user_id").fetchall())
            total = conn.execute("SELECT count(*) FROM time_entries").fetchone()[0]
        expected = args.agents * args.entries
        print(f"{args.agents} agents x {args.entries} `keito time log` calls in {seconds:.1f} s "
              f"({expected / seconds:.1f} entries/s on {os.cpu_count()} CPUs)")
        print(f"one call: median {statistics.median(latencies) * 1000:.0f} ms, "
              f"p90 {latencies[math.ceil(0.9 * len(latencies)) - 1] * 1000:.0f} ms, "
              f"max {latencies[-1] * 1000:.0f} ms")
        print(f"entries in the database: {total} (expected {expected}); errors: {len(errors)}")
        for line in errors[:10]:
            print(f"  {line}")
        assert not errors, f"{len(errors)} calls failed"
        assert total == expected, f"{total} entries, expected {expected}"
        assert all(per_agent.get(agent_id) == args.entries for agent_id, _ in agents), per_agent
        print("OK: every entry landed, none was refused")
    finally:
        if args.keep:
            print(f"kept: KEITO_HOME={home}")
        else:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
