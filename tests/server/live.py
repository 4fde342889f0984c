"""A real `keito serve` process for tests and benchmarks.

`live_server()` starts `keito serve --port 0 --json` as a subprocess on the test's workspace
(the environment's KEITO_HOME and KEITO_DATABASE_URL, which the `keito_home` fixture sets),
reads the base URL and account ID it prints, yields them, and stops it with SIGTERM, asserting
a clean exit (0, within the graceful timeout). The server's stderr (its JSON log lines) goes to
a file the test can read.

    from live import live_server

    def test_something(workspace):
        with live_server(rate_limit="off") as server:
            httpx.get(f"{server.base_url}/api/v2/users/me", headers=server.headers(key))

From a benchmark or a script outside pytest: put tests/server on sys.path, set KEITO_HOME /
KEITO_DATABASE_URL (or pass the whole environment as `env=`), and use the same context
manager.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds the server gets to print its address, and to stop once asked.
START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0
#: Runs the `keito` program from this interpreter (no installed script needed).
PROGRAM = [sys.executable, "-c", "from keito_tui.cli.launch import run; run()"]


@dataclass
class LiveServer:
    """A running `keito serve`: where it listens and what it printed."""

    base_url: str
    account_id: str
    info: dict[str, Any]
    process: subprocess.Popen[bytes]
    log_path: Path
    stderr_before: str = field(default="", repr=False)

    def headers(self, key: str) -> dict[str, str]:
        """The headers the official clients send with `key`."""
        return {"Authorization": f"Bearer {key}", "Keito-Account-Id": self.account_id}

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        """The server's stderr as JSON objects (lines that are not JSON are skipped)."""
        lines = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                try:
                    lines.append(json.loads(line))
                except ValueError:
                    continue
        return lines

    def access_log(self) -> list[dict[str, Any]]:
        return [line for line in self.log_lines() if line.get("logger") == "keito.access"]


def _read_line(process: subprocess.Popen[bytes], deadline: float) -> bytes:
    """The first line the process prints on stdout, or b"" when it exits or times out."""
    assert process.stdout is not None
    fd = process.stdout.fileno()
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            return b""
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            if process.poll() is not None:
                return b""
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return b""
        buffer += chunk
    return buffer.split(b"\n", 1)[0]


@contextmanager
def live_server(*, rate_limit: str = "off", args: Sequence[str] = (),
                env: Mapping[str, str] | None = None, host: str = "127.0.0.1",
                log_dir: Path | None = None, graceful_timeout: float = 10,
                check_exit: bool = True) -> Iterator[LiveServer]:
    """`keito serve --host HOST --port 0 --rate-limit RATE_LIMIT ARGS...` while the block runs.

    `env` is the server's whole environment, as Popen's (default: os.environ, where the
    keito_home fixture has set KEITO_HOME and KEITO_DATABASE_URL); KEITO_API_KEY is never
    passed on (each request carries its own key). The log goes to LOG_DIR/serve.log (default:
    a new temporary directory)."""
    environment = {k: v for k, v in (os.environ if env is None else env).items()
                   if k != "KEITO_API_KEY"}
    environment["PYTHONUNBUFFERED"] = "1"
    directory = Path(log_dir or tempfile.mkdtemp(prefix="keito-serve-"))
    log_path = directory / "serve.log"
    command = [*PROGRAM, "serve", "--json", "--host", host, "--port", "0", "--rate-limit",
               rate_limit, "--graceful-timeout", str(graceful_timeout), *args]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=environment, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=log)
    try:
        line = _read_line(process, time.monotonic() + START_TIMEOUT)
        if not line:
            process.kill()
            process.wait()
            raise AssertionError(f"keito serve printed no address (exit {process.returncode}):"
                                 f"\n{log_path.read_text(errors='replace')}")
        info = json.loads(line)
        server = LiveServer(base_url=info["base_url"], account_id=info["account_id"],
                            info=info, process=process, log_path=log_path)
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise
    failed = False
    try:
        yield server
    except BaseException:
        failed = True
        raise
    finally:
        code = stop(process)
        if check_exit and not failed:
            assert code == 0, (f"keito serve exited {code} on SIGTERM:\n"
                               f"{log_path.read_text(errors='replace')[-4000:]}")


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then wait (SIGKILL after STOP_TIMEOUT); the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()
    return process.returncode


def start_timers_at_once(urls: Sequence[str], headers: Mapping[str, str],
                         ids: Mapping[str, str], clients: int,
                         ) -> tuple[dict[int, tuple[int, dict[str, Any]]], list[BaseException]]:
    """`clients` threads, each connected first (client n to urls[n % len(urls)]), then behind
    one barrier POSTing `is_running: true` for the same user and project: ({n: (status,
    body)}, what failed)."""
    import threading

    import httpx

    barrier = threading.Barrier(clients)
    answers: dict[int, tuple[int, dict[str, Any]]] = {}
    failures: list[BaseException] = []

    def start(n: int) -> None:
        try:
            with httpx.Client(base_url=urls[n % len(urls)], headers=dict(headers),
                              timeout=60) as client:
                client.get("/api/v2/time_entries", params={"per_page": 1})  # connect first
                barrier.wait(timeout=60)
                answer = client.post("/api/v2/time_entries", json={
                    "project_id": ids["project"], "task_id": ids["task"],
                    "spent_date": "2026-03-06", "is_running": True, "notes": f"client {n}",
                    "source": "agent"})
                answers[n] = (answer.status_code, answer.json())
        except BaseException as exc:  # noqa: BLE001 - returned to the test
            failures.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers, failures
