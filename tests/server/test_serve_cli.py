"""`keito serve` as a program: what it prints, what it refuses, its logs, and how it stops.

The banner and the refusals run in process (the server itself replaced where it would block);
the rest start the real command with tests/server/live.py.
"""

from __future__ import annotations

import json
import signal
import socket
import sys
import time
from typing import Any

import httpx
import pytest
from live import live_server

from keito_core.server.limits import RateLimit


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """`keito serve` does everything but serve: each run's arguments are recorded."""
    import keito_core.server.run as run

    runs: list[dict[str, Any]] = []

    def record(runtime: Any, listening: Any, **kwargs: Any) -> None:
        kwargs.pop("ready")()
        runs.append({"port": listening.port, "base_url": listening.base_url, **kwargs})
        listening.socket.close()

    monkeypatch.setattr(run, "serve", record)
    return runs


def test_the_banner_says_where_and_how_to_connect(workspace, terminal, no_server) -> None:
    result = terminal("serve", "--port", "0")
    assert result.exit_code == 0, result
    [run] = no_server
    assert run["port"] != 0
    assert run["limit"] == RateLimit(300, 50_000)
    text = result.stderr
    assert f"http://127.0.0.1:{run['port']}" in text
    assert f"Keito-Account-Id: {workspace.workspace_id}" in text
    assert "keito user add review-bot --agent" in text
    assert "keito key create --user review-bot" in text
    assert "from keito import Keito" in text
    assert f'base_url="http://127.0.0.1:{run["port"]}"' in text
    assert "warning" not in text


def test_json_for_programs(workspace, cli, no_server) -> None:
    result = cli("serve", "--port", "0", "--rate-limit", "5/100", "--json")
    assert result.exit_code == 0, result
    data = json.loads(result.stdout.splitlines()[0])
    [run] = no_server
    assert data["base_url"] == run["base_url"] == f"http://127.0.0.1:{run['port']}"
    assert data["account_id"] == workspace.workspace_id
    assert data["rate_limit"] == {"per_minute": 5, "per_day": 100}
    assert data["env"]["KEITO_API_URL"] == data["base_url"]
    assert any(step.startswith("keito key create --user") for step in data["agent_key"])
    assert run["limit"] == RateLimit(5, 100)


def test_off_turns_the_rate_limit_off(workspace, cli, no_server) -> None:
    result = cli("serve", "--port", "0", "--rate-limit", "off")
    assert result.exit_code == 0, result
    assert no_server[0]["limit"] == RateLimit(0, 0)
    assert json.loads(result.stdout)["rate_limit"] == {"per_minute": None, "per_day": None}


def test_any_other_host_than_loopback_warns_about_tls(workspace, terminal, no_server) -> None:
    result = terminal("serve", "--host", "0.0.0.0", "--port", "0")
    assert result.exit_code == 0, result
    assert "warning:" in result.stderr and "reverse proxy" in result.stderr
    assert "TLS" in result.stderr
    # Clients on this machine reach every interface on loopback.
    assert no_server[0]["base_url"].startswith("http://127.0.0.1:")


@pytest.mark.parametrize("args", [("--rate-limit", "lots"), ("--port", "70000"),
                                  ("--graceful-timeout", "-1")])
def test_bad_options_are_invalid_input(workspace, cli, no_server, args) -> None:
    result = cli("serve", *args)
    assert result.exit_code == 2, result
    assert result.error["code"] == "validation_error"
    assert no_server == []


def test_a_port_in_use_is_a_configuration_error(workspace, cli, no_server) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = cli("serve", "--port", str(taken.getsockname()[1]))
    assert result.exit_code == 8, result
    assert result.error["code"] == "config_error"
    assert "--port" in result.error["hint"]


def test_no_workspace_yet_is_a_configuration_error(keito_home, cli, no_server) -> None:
    result = cli("serve", "--port", "0")
    assert result.exit_code == 8, result
    assert "keito init" in result.error["hint"]
    assert no_server == []


def test_without_the_extra_it_names_the_pip_command(workspace, cli, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # `import uvicorn` now fails
    result = cli("serve", "--port", "0")
    assert result.exit_code == 8, result
    assert result.error["code"] == "config_error"
    assert 'pip install "keito-tui[serve]"' in result.error["hint"]


# --- the real process -----------------------------------------------------------------------


def _key(workspace) -> str:
    from serving import make_key

    return make_key(workspace)


def test_it_serves_logs_json_lines_without_secrets_and_stops_cleanly(workspace) -> None:
    key = _key(workspace)
    with live_server() as server:
        assert server.account_id == workspace.workspace_id
        port = int(server.base_url.rsplit(":", 1)[1])
        assert port == server.info["port"] != 0
        answer = httpx.get(f"{server.base_url}/api/v2/users/me", headers=server.headers(key))
        assert answer.headers["x-keito-api-version"] == "2"
        refused = httpx.get(f"{server.base_url}/api/v2/time_entries",
                            headers=server.headers("keito_sk_wrong"))
        assert refused.status_code == 401
        assert refused.json()["code"] == "authentication_error"
    assert server.process.returncode == 0
    log = server.log_text()
    assert key not in log and key[12:] not in log  # only the key's public prefix
    lines = server.access_log()
    assert [(line["method"], line["status"]) for line in lines][-1] == ("GET", 401)
    assert all({"path", "ms", "request"} <= set(line) for line in lines)
    assert any(line.get("message") == f"Finished server process [{server.process.pid}]"
               for line in server.log_lines())


def test_no_access_log(workspace) -> None:
    with live_server(args=["--no-access-log"]) as server:
        httpx.get(f"{server.base_url}/api/v2/time_entries", headers=server.headers("nope"))
    assert server.access_log() == []


def test_sigint_stops_it_cleanly_too(workspace) -> None:
    with live_server(check_exit=False) as server:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=30) == 0


def test_a_request_in_flight_when_asked_to_stop_is_answered(workspace) -> None:
    """SIGTERM while a request's body is still arriving: the server finishes it (with its
    answer) before it exits, and exits 0."""
    key = _key(workspace)
    with live_server(check_exit=False) as server:
        host, port = server.base_url.removeprefix("http://").rsplit(":", 1)
        body = json.dumps({"project_id": "prj_none", "task_id": "tsk_none",
                           "spent_date": "2026-03-02", "hours": 1}).encode()
        head = (f"POST /api/v2/time_entries HTTP/1.1\r\nHost: {host}\r\n"
                f"Authorization: Bearer {key}\r\nKeito-Account-Id: {server.account_id}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        with socket.create_connection((host, int(port)), timeout=30) as conn:
            conn.sendall(head.encode() + body[:10])
            time.sleep(0.5)  # the request is in the app, waiting for the rest of its body
            server.process.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            assert server.process.poll() is None  # still finishing the request
            conn.sendall(body[10:])
            answer = b""
            while chunk := conn.recv(65536):
                answer += chunk
        status_line, _, rest = answer.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 ")
        assert int(status_line.split()[1]) in (400, 403, 404)  # a real answer, not a 5xx
        assert b"x-keito-api-version: 2" in rest.lower()
        assert json.loads(rest.partition(b"\r\n\r\n")[2])["error_description"]
        assert server.process.wait(timeout=30) == 0  # the SIGTERM above, once served
