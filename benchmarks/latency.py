"""Time one-shot `keito time` commands against Watson doing the same work, in the same run.

    .venv/bin/python benchmarks/latency.py                     # 100,000 entries, 20 rounds
    .venv/bin/python benchmarks/latency.py --repeat 40 --watson /path/to/watson

Builds a throwaway demo workspace (`keito demo --entries N`, acting as its administrator, who
may log to any project) and a Watson (td-watson, installed in a temporary virtualenv unless
--watson names one) whose frames file holds as many frames. Each round then runs, alternating
which tool goes first: start, status (with the timer running), stop, and log / `watson add`,
each command as its own process, timed by the wall clock. Prints the median and 90th
percentile of each, the ratios keito/watson of the medians and whether the targets hold:
status no slower than Watson's, start + stop and log within 2x. For information it also times
`keito time status` through the full CLI (what a terminal, or any case the lean path leaves
to the CLI, gets).

Keito's bytecode is compiled first, as installing a wheel does (pip also compiles Watson's).
Run it on an otherwise idle machine: both tools share the noise, but the ratios move with it.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import json
import math
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

#: Variables that would change who acts or where entries go; removed from the children's env.
SCRUBBED = ("KEITO_", "CLAUDE_SESSION_ID", "CODEX_SESSION_ID", "OPENCLAW_AGENT_ID",
            "CURSOR_AGENT", "WATSON_DIR")
#: Ratio keito/watson each comparison must stay at or under.
TARGETS = {"status": 1.0, "start + stop": 2.0, "log / add": 2.0}


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SCRUBBED)}
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str]) -> float:
    """Run one command; its wall-clock seconds. A failure stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr}")
    return seconds


def compile_keito() -> None:
    """Write keito's .pyc files, as `pip install` does for a wheel."""
    for package in ("keito_core", "keito_tui", "migrations"):
        spec = importlib.util.find_spec(package)
        for location in spec.submodule_search_locations or []:
            compileall.compile_dir(location, quiet=1)


def build_keito(home: Path, keito: str, entries: int) -> tuple[dict[str, str], str]:
    """A demo workspace of `entries` entries; the env to use it and a project to log to."""
    home.mkdir()
    env = child_env(KEITO_HOME=str(home))
    built = subprocess.run([keito, "demo", "--entries", str(entries), "--path", str(home)],
                           env=env, capture_output=True, text=True, check=True)
    print(f"keito demo: {json.loads(built.stdout)['counts']['time_entries']:,} time entries "
          f"in {home}", flush=True)
    listed = subprocess.run([keito, "project", "list", "--json"], env=env, capture_output=True,
                            text=True, check=True)
    project = json.loads(listed.stdout)["data"][0]
    subprocess.run([keito, "time", "stop", "--discard"], env=env, capture_output=True,
                   check=False)  # exit 3 when nothing runs, as expected
    return env, project["code"] or project["id"]


def install_watson(directory: Path) -> str:
    """td-watson in a fresh virtualenv (not a project dependency); its `watson` program."""
    print("installing td-watson in a temporary virtualenv ...", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(directory)], check=True)
    subprocess.run([str(directory / "bin" / "pip"), "install", "-q", "td-watson"], check=True)
    return str(directory / "bin" / "watson")


def build_watson(directory: Path, frames: int) -> tuple[dict[str, str], str]:
    """A WATSON_DIR whose frames file holds `frames` frames, in Watson's own JSON format."""
    directory.mkdir()
    rng = random.Random(2024)
    projects = [f"project-{i:02d}" for i in range(28)]
    now = int(time.time())
    first = now - frames * 3600
    rows = []
    for i in range(frames):
        start = first + i * 3600
        stop = start + rng.randint(600, 3300)
        tags = rng.sample(["dev", "review", "meeting", "agent"], rng.randint(0, 2))
        rows.append([start, stop, rng.choice(projects), uuid.UUID(int=rng.getrandbits(128)).hex,
                     tags, stop])
    with (directory / "frames").open("w", encoding="utf-8") as handle:
        json.dump(rows, handle, indent=1, ensure_ascii=False)  # as Watson writes it
    print(f"watson: {frames:,} frames in {directory}", flush=True)
    return child_env(WATSON_DIR=str(directory)), projects[0]


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000,
                        help="time entries in keito's workspace and frames in Watson's")
    parser.add_argument("--repeat", type=int, default=20, help="rounds (default 20)")
    parser.add_argument("--keito", default=str(Path(sys.executable).with_name("keito")),
                        help="the keito program (default: next to this Python)")
    parser.add_argument("--watson", help="a watson program to use instead of installing one")
    parser.add_argument("--no-full-status", action="store_true",
                        help="skip timing `keito time status` through the full CLI")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="keito-latency-"))
    try:
        compile_keito()
        keito_env, project = build_keito(work / "keito", args.keito, args.entries)
        watson = args.watson or install_watson(work / "watson-venv")
        watson_env, watson_project = build_watson(work / "watson", args.entries)
        day = (datetime.now() - timedelta(days=1)).strftime("%Y-%m-%d")
        full_cli = [sys.executable, "-c", "from keito_tui.cli.main import run; run()"]

        keito = {
            "start": [args.keito, "time", "start", "--project", project],
            "status": [args.keito, "time", "status"],
            "stop": [args.keito, "time", "stop"],
            "log / add": [args.keito, "time", "log", "--project", project, "--hours", "1"],
        }
        watson_cmds = {
            "start": [watson, "start", watson_project],
            "status": [watson, "status"],
            "stop": [watson, "stop"],
            "log / add": [watson, "add", "--from", f"{day} 10:00", "--to", f"{day} 11:00",
                          watson_project],
        }
        times: dict[tuple[str, str], list[float]] = {}
        load_before = os.getloadavg()[0]
        print(f"{args.repeat} rounds ...", flush=True)
        for round_no in range(args.repeat):
            for step in ("start", "status", "stop", "log / add"):
                order = [("keito", keito[step], keito_env), ("watson", watson_cmds[step],
                                                             watson_env)]
                if round_no % 2:
                    order.reverse()
                for tool, cmd, env in order:
                    times.setdefault((tool, step), []).append(run(cmd, env))
                if step == "status" and not args.no_full_status:
                    times.setdefault(("keito", "status, full CLI"), []).append(
                        run([*full_cli, "time", "status"], keito_env))
        for tool in ("keito", "watson"):
            times[(tool, "start + stop")] = [
                a + b for a, b in zip(times[(tool, "start")], times[(tool, "stop")], strict=True)
            ]
        load_after = os.getloadavg()[0]

        print(f"\n{'command':<24}{'keito median':>13}{'p90':>8}{'watson median':>15}{'p90':>8}"
              f"{'ratio':>8}{'target':>9}  holds")
        for step in ("status", "start + stop", "start", "stop", "log / add"):
            k, w = times[("keito", step)], times[("watson", step)]
            ratio = statistics.median(k) / statistics.median(w)
            target = TARGETS.get(step)
            verdict = ("yes" if ratio <= target else "NO") if target else ""
            print(f"{step:<24}{statistics.median(k) * 1000:>10.0f} ms{p90(k) * 1000:>8.0f}"
                  f"{statistics.median(w) * 1000:>12.0f} ms{p90(w) * 1000:>8.0f}{ratio:>8.2f}"
                  f"{f'<= {target:.1f}' if target else '':>9}  {verdict}")
        if ("keito", "status, full CLI") in times:
            full = times[("keito", "status, full CLI")]
            print(f"{'status, full CLI (info)':<24}{statistics.median(full) * 1000:>10.0f} ms"
                  f"{p90(full) * 1000:>8.0f}")
        print(f"\n{args.entries:,} entries / frames, {args.repeat} rounds, "
              f"load average {load_before:.1f} -> {load_after:.1f} on {os.cpu_count()} CPUs")
    finally:
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
