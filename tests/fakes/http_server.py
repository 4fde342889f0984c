"""Serve an `httpx.Request -> httpx.Response` handler over real HTTP on 127.0.0.1.

So a `keito` subprocess (KEITO_XERO_URL pointing here) talks to the same fake the test inspects.
A handler that raises httpx.TimeoutException makes the server drop the connection unanswered;
the client sees a broken connection, as after a timeout.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length",
               "content-encoding"}


def _request_handler(handler: Handler, base_url: Callable[[], str]
                     ) -> type[BaseHTTPRequestHandler]:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = httpx.Request(self.command, base_url() + self.path,
                                    headers=list(self.headers.items()), content=body)
            try:
                response = handler(request)
            except httpx.TimeoutException:
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(2)
                return
            content = response.read()
            self.send_response(response.status_code)
            for name, value in response.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            """Quiet: tests read the fake's own request log."""

    return RequestHandler


@contextlib.contextmanager
def serve(handler: Handler) -> Iterator[str]:
    """Serve `handler` on a free port of 127.0.0.1 in a daemon thread; yields the base URL."""
    holder: dict[str, str] = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 _request_handler(handler, lambda: holder["url"]))
    server.daemon_threads = True
    holder["url"] = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="fake-http", daemon=True)
    thread.start()
    try:
        yield holder["url"]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
