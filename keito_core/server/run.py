"""Running the API v2 app on uvicorn (`keito serve`; docs/server.md).

`listen(host, port)` binds the socket first, so `--port 0` gets a free port whose number the
banner can print before any request arrives (connections wait in the socket's backlog until
uvicorn serves them). `serve(runtime, listening, ...)` runs the app on it until SIGINT or
SIGTERM, then stops taking connections, lets requests in flight finish (up to `graceful`
seconds) and returns, so the process exits 0. Logs are JSON lines on stderr: the app's access
log (`keito.access`: method, path, status, milliseconds, user and key prefix, never a secret or
a body), its errors (`keito.server`) and uvicorn's own messages; uvicorn's access log is off.

Nothing here is process-global but the rate limiter inside the app: several `keito serve`
processes on one PostgreSQL database each count their own requests per key.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from keito_core.errors import KeitoError

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime
    from keito_core.server.limits import RateLimit

EXTRA_HINT = 'pip install "keito-tui[serve]"'
#: Seconds the requests in flight get to finish once a stop is asked for.
GRACEFUL_SECONDS = 30
#: The loggers whose lines `configure_logging` writes to stderr.
LOGGERS = ("keito.access", "keito.server", "uvicorn.error")


def require_extra() -> None:
    """config_error naming the extra when Starlette or uvicorn is not installed."""
    for module in ("starlette", "uvicorn"):
        try:
            __import__(module)
        except ModuleNotFoundError:
            raise KeitoError("config_error", f"`keito serve` needs {module}, which is not "
                             "installed", hint=EXTRA_HINT) from None


def is_loopback(host: str) -> bool:
    """Whether `host` only takes connections from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to any interface


@dataclass
class Listening:
    """A bound, listening socket and the URL clients use to reach it."""

    socket: socket.socket
    host: str
    port: int

    @property
    def base_url(self) -> str:
        host = self.host.strip("[]")
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return f"http://{host}:{self.port}"
        if address.is_unspecified:  # every interface: this machine reaches it on loopback
            address = ipaddress.ip_address("::1" if address.version == 6 else "127.0.0.1")
        shown = f"[{address}]" if address.version == 6 else str(address)
        return f"http://{shown}:{self.port}"


def listen(host: str, port: int) -> Listening:
    """Bind and listen on host:port (port 0: a free one); config_error when that fails."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise KeitoError("config_error", f"cannot listen on {host}: {exc}", field="host"
                         ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise KeitoError("config_error", f"cannot listen on {host}:{port}: {exc.strerror}",
                         field="port", hint="choose another --port (0 picks a free one)"
                         ) from None
    sock.set_inheritable(True)
    return Listening(sock, host, sock.getsockname()[1])


class JsonLines(logging.Formatter):
    """One JSON object per record: time, level, logger, then the message's own members when
    it is a JSON object (the access log's lines) or `message` otherwise."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        parsed = None
        if message.startswith("{"):
            with contextlib.suppress(ValueError):
                parsed = json.loads(message)
        if isinstance(parsed, dict):
            line.update(parsed)
        else:
            line["message"] = message
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure_logging(*, access_log: bool = True, stream: Any = None) -> None:
    """The server's logs as JSON lines on stderr (or `stream`); idempotent."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonLines())
    handler.keito_serve = True  # type: ignore[attr-defined]
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, "keito_serve", False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.INFO)
    if not access_log:
        logging.getLogger("keito.access").setLevel(logging.WARNING)


def workspace_of(runtime: Runtime) -> tuple[str, str]:
    """The workspace's ID (what clients send as Keito-Account-Id) and name; opening the
    database here reports a missing or unreachable one before anything listens."""
    from keito_core.platform.identity import get_workspace

    with runtime.session(readonly=True) as session:
        workspace = get_workspace(session)
        return workspace.id, workspace.name


@contextlib.contextmanager
def _stops_before_start(server: Any) -> Iterator[None]:
    """SIGINT and SIGTERM ask `server` to stop, also before uvicorn installs its own handlers
    (which take over while it serves, and hand the signal back to these when it is done)."""

    def stop(_signal: int, _frame: Any) -> None:
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(runtime: Runtime, listening: Listening, *, limit: RateLimit | None = None,
          graceful: float = GRACEFUL_SECONDS, access_log: bool = True,
          ready: Callable[[], None] | None = None) -> None:
    """Serve the API v2 on `listening` until SIGINT or SIGTERM; requests in flight finish.

    `ready` runs once a stop can be asked for (the banner: a client that reads it may stop the
    server at once)."""
    import uvicorn

    from keito_core.server.app import create_app

    configure_logging(access_log=access_log)
    app = create_app(runtime, limit=limit)
    config = uvicorn.Config(
        app, log_config=None, access_log=False, lifespan="off", server_header=False,
        timeout_graceful_shutdown=int(graceful),
    )
    server = uvicorn.Server(config)
    try:
        with _stops_before_start(server):
            if ready is not None:
                ready()
            server.run(sockets=[listening.socket])
    finally:
        listening.socket.close()
        runtime.close()
