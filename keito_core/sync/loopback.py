"""The one-shot listener that receives the vendor's redirect, and the browser that starts it.

`keito sync connect` listens on 127.0.0.1 only (never on every interface) for one request to
`/callback`, answers it with a short "you can close this tab" page and hands its URL back.
The redirect URI says `localhost`, the host Xero documents for desktop apps (its redirect URIs
must be https except for localhost); the browser resolves localhost to this listener.

Xero and Intuit compare the redirect URI with the app's registered ones exactly, port included,
so the port is fixed: `DEFAULT_REDIRECT_PORT`, or `KEITO_SYNC_REDIRECT_PORT` (0 takes any free
port, for tests and servers that ignore the port). Register
`http://localhost:8749/callback` with the app (docs/accounting.md).

Where a listener cannot receive the redirect (QuickBooks production wants an https redirect
URI, a server without a browser, `--paste`), the command asks for the redirect URL instead.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from keito_core.errors import KeitoError

DEFAULT_REDIRECT_PORT = 8749
REDIRECT_PATH = "/callback"
#: How long the listener waits for the user to finish at the vendor's page (seconds).
DEFAULT_TIMEOUT = 300.0
LISTEN_HOST = "127.0.0.1"
URI_HOST = "localhost"
PORT_VARIABLE = "KEITO_SYNC_REDIRECT_PORT"

_DONE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Keito</title></head>
<body style="font-family: sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p></body></html>
"""


def redirect_port(env: Mapping[str, str] | None = None) -> int:
    """The listener's port: KEITO_SYNC_REDIRECT_PORT (0 = any free one), else the default."""
    env = os.environ if env is None else env
    value = env.get(PORT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_REDIRECT_PORT
    try:
        port = int(value)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise KeitoError("config_error", f"{PORT_VARIABLE} is not a port number: {value!r}",
                         hint="give a number from 1 to 65535 (0 for any free port)")
    return port


def loopback_redirect_uri(port: int) -> str:
    return f"http://{URI_HOST}:{port}{REDIRECT_PATH}"


class _Handler(BaseHTTPRequestHandler):
    server: _OneShotServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server protocol
        parts = urlsplit(self.path)
        params = dict(parse_qsl(parts.query))
        if parts.path != REDIRECT_PATH or not ("code" in params or "error" in params):
            self._answer(404, "Not found", "This address only receives Keito's sign-in.")
            return
        if "error" in params:
            self._answer(200, "Keito was not connected",
                         "Access was not granted. You can close this tab; the terminal says "
                         "what to do next.")
        else:
            self._answer(200, "Keito received the authorization",
                         "You can close this tab and go back to the terminal.")
        self.server.received(f"http://{URI_HOST}:{self.server.server_port}{self.path}")

    def _answer(self, status: int, title: str, text: str) -> None:
        body = _DONE_PAGE.format(title=title, text=text).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silent: the query carries the authorization code."""


class _OneShotServer(HTTPServer):
    allow_reuse_address = True

    def __init__(self, port: int) -> None:
        super().__init__((LISTEN_HOST, port), _Handler)
        self.timeout = 0.2
        self.url: str | None = None
        self.done = threading.Event()

    def received(self, url: str) -> None:
        if self.url is None:
            self.url = url
        self.done.set()


class LoopbackListener:
    """Listens on 127.0.0.1:`port` in a thread until one redirect arrives (a context manager)."""

    def __init__(self, port: int = DEFAULT_REDIRECT_PORT) -> None:
        self.requested_port = port
        self._server: _OneShotServer | None = None
        self._thread: threading.Thread | None = None
        self._closing = threading.Event()

    def start(self) -> LoopbackListener:
        try:
            self._server = _OneShotServer(self.requested_port)
        except OSError as exc:
            raise KeitoError(
                "config_error",
                f"cannot listen on {LISTEN_HOST}:{self.requested_port} for the redirect: "
                f"{exc.strerror or exc}",
                hint=f"free the port, set {PORT_VARIABLE} to a port registered with the app, "
                     "or use --paste",
            ) from exc
        self._thread = threading.Thread(target=self._serve, name="keito-oauth-listener",
                                        daemon=True)
        self._thread.start()
        return self

    def _serve(self) -> None:
        server = self._server
        assert server is not None
        while not server.done.is_set() and not self._closing.is_set():
            server.handle_request()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the listener is not started")
        return int(self._server.server_port)

    @property
    def redirect_uri(self) -> str:
        return loopback_redirect_uri(self.port)

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> str:
        """The redirect URL the browser brought, or network_error after `timeout` seconds."""
        if self._server is None:
            raise RuntimeError("the listener is not started")
        if not self._server.done.wait(timeout):
            raise KeitoError(
                "network_error",
                f"no answer from the vendor's page within {timeout:.0f} s",
                hint="run `keito sync connect` again, or use --paste and paste the address "
                     "the browser ends on",
            )
        assert self._server.url is not None
        return self._server.url

    def close(self) -> None:
        self._closing.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._server is not None:
            self._server.server_close()

    def __enter__(self) -> LoopbackListener:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()


def browser_available(env: Mapping[str, str] | None = None,
                      platform: str | None = None) -> bool:
    """Whether a browser can open here: macOS, Windows, a display, or a BROWSER command."""
    env = os.environ if env is None else env
    platform = sys.platform if platform is None else platform
    if platform == "darwin" or platform.startswith("win"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"))


def open_browser(url: str) -> bool:
    """Open `url` in the user's browser; False when none would start."""
    import webbrowser

    try:
        return bool(webbrowser.open(url, new=2))
    except Exception:  # webbrowser.Error, a broken BROWSER command
        return False
