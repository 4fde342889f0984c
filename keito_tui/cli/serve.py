"""`keito serve`: the Keito API v2 over HTTP for the official SDKs, CLI and remote agents.

Starlette and uvicorn (the `serve` extra) load only here, inside the command.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from keito_tui.cli.state import cli_state

AGENT_KEY_STEPS = (
    "keito user add review-bot --agent",
    "keito project assign PROJECT review-bot",
    'keito key create --user review-bot --name "review bot" -q',
)


def sdk_snippet(base_url: str, account_id: str) -> str:
    """The official Python SDK pointed at this server."""
    return (
        "from keito import Keito\n"
        f'client = Keito(api_key="keito_sk_...", account_id="{account_id}",\n'
        f'               base_url="{base_url}")'
    )


def serve(
    host: Annotated[str, typer.Option(
        help="Interface to listen on; anything but loopback needs TLS from a reverse proxy "
             "in front.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(
        help="Port to listen on; 0 picks a free one (the printed URL says which).")] = 8765,
    rate_limit: Annotated[str, typer.Option(
        "--rate-limit", metavar="PER_MINUTE/PER_DAY",
        help="Requests per API key in this process, e.g. 300/50000, or off.")] = "300/50000",
    graceful_timeout: Annotated[float, typer.Option(
        "--graceful-timeout", metavar="SECONDS",
        help="On SIGINT or SIGTERM, how long requests in flight get to finish.")] = 30,
    access_log: Annotated[bool, typer.Option(
        "--access-log/--no-access-log",
        help="One JSON line per request on stderr (never a secret or a body).")] = True,
) -> None:
    """Serve the Keito API v2 over HTTP, for the official SDKs, CLI and remote agents."""
    from keito_core.server.run import require_extra

    require_extra()
    from keito_core.errors import validation
    from keito_core.server.limits import RateLimit
    from keito_core.server.run import is_loopback, listen, workspace_of
    from keito_core.server.run import serve as run_server

    state = cli_state()
    limit = RateLimit.parse(rate_limit)
    if not 0 <= port <= 65535:
        raise validation(f"--port must be between 0 and 65535, not {port}", field="port")
    if graceful_timeout < 0:
        raise validation("--graceful-timeout cannot be negative", field="graceful_timeout")
    runtime = state.runtime
    account_id, company = workspace_of(runtime)
    listening = listen(host, port)
    if not is_loopback(host):
        state.output.warn(
            f"listening on {host}, reachable from other machines over plain HTTP: API keys "
            "cross the network in the clear unless a reverse proxy in front terminates TLS "
            "(docs/server.md)")

    def announce() -> None:
        _announce(company=company, account_id=account_id, base_url=listening.base_url,
                  host=host, port=listening.port, database=runtime.settings.display_url,
                  limit=limit)

    run_server(runtime, listening, limit=limit, graceful=graceful_timeout,
               access_log=access_log, ready=announce)
    if not state.output.json:
        sys.stderr.write("keito serve: stopped\n")


def _announce(*, company: str, account_id: str, base_url: str, host: str, port: int,
              database: str, limit: Any) -> None:
    """What a client needs: JSON on stdout for programs, lines on stderr for people."""
    out = cli_state().output
    data: dict[str, Any] = {
        "base_url": base_url,
        "account_id": account_id,
        "workspace": company,
        "host": host,
        "port": port,
        "database": database,
        "rate_limit": {"per_minute": limit.per_minute or None,
                       "per_day": limit.per_day or None},
        "agent_key": list(AGENT_KEY_STEPS),
        "env": {"KEITO_API_URL": base_url, "KEITO_ACCOUNT_ID": account_id,
                "KEITO_API_KEY": "keito_sk_..."},
        "sdk": sdk_snippet(base_url, account_id),
    }
    if out.json or out.quiet:
        out.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        out.stdout.flush()
        return
    if limit.per_minute or limit.per_day:
        limits = (f"{limit.per_minute or 'no limit'} a minute, {limit.per_day or 'no limit'} "
                  "a day per API key (counted in this process)")
    else:
        limits = "off"
    steps = "\n".join(f"    {step}" for step in AGENT_KEY_STEPS)
    snippet = "\n".join(f"    {line}" for line in sdk_snippet(base_url, account_id).splitlines())
    sys.stderr.write(
        f"Keito API v2 for {company} at {base_url}\n"
        f"  Keito-Account-Id: {account_id}\n"
        f"  database:         {database}\n"
        f"  rate limit:       {limits}\n"
        f"\nAn agent's API key (as an administrator):\n{steps}\n"
        f"\nThe official SDK (pip install keito):\n{snippet}\n"
        f"\nThe official CLI and CI jobs: KEITO_API_URL={base_url} "
        f"KEITO_ACCOUNT_ID={account_id} KEITO_API_KEY=keito_sk_...\n"
        "Ctrl-C stops it (requests in flight finish first); logs follow as JSON lines.\n"
    )
    sys.stderr.flush()


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
