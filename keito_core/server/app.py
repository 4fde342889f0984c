"""The Keito API v2 as a Starlette application (`keito serve`; docs/server.md).

`create_app(runtime)` serves every route declared in keito_core.server.routes (see
keito_core.server.call for what a route gets and returns). Starlette is imported here and only
here, so nothing but `keito serve` (and its tests) loads it.

Around each route: the JSON body read and checked (at most `MAX_BODY` bytes, an object), then in
a worker thread one unit of work (on SQLite, this process's writes one after another, in
order: see `Server._sqlite_writer`): the API key resolved to its user, the account ID checked
against the workspace, the key's rate limit counted, the route run, the transaction committed
(read-only for GET). A `KeitoError` becomes the spec's status and flat body; anything else a
500 whose details go to the log, never to the client. Every answer carries
`X-Keito-API-Version: 2`; every request is logged as one JSON line on the `keito.access` logger
(method, path, status, milliseconds, user, the key's public prefix; never a secret or a body).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as StarletteRoute

from keito_core.errors import KeitoError
from keito_core.server import routes as _routes  # noqa: F401 - declares the routes
from keito_core.server.call import ROUTES, Call, Reply, Route
from keito_core.server.errors import error_body, status_for
from keito_core.server.limits import Limiter, RateLimit

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime

#: The largest request body taken (metadata is at most 4 KB; a time entry a few hundred bytes).
MAX_BODY = 256 * 1024
API_VERSION = "2"

access_log = logging.getLogger("keito.access")
error_log = logging.getLogger("keito.server")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} as JSON")


def render(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (or an empty 204) with the API version header."""
    sent = {"X-Keito-API-Version": API_VERSION, **(headers or {})}
    if status == 204 or body is None:
        return Response(status_code=status if body is not None else 204, headers=sent)
    text = json.dumps(body, default=_plain, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json", headers=sent)


def _failure(error: KeitoError, declared: tuple[int, ...] | None = None) -> Response:
    status = status_for(error, declared)
    headers = {}
    retry_after = getattr(error, "retry_after", None)
    if status == 429 and retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return render(status, error_body(error, status), headers)


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise KeitoError("authentication_error", "no API key: send Authorization: Bearer "
                         "keito_sk_...", hint="make a key with `keito key create`")
    return token.strip()


async def _body(request: Request) -> dict[str, Any]:
    if request.method in ("GET", "DELETE"):
        return {}
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise KeitoError("validation_error", f"the request body is over {MAX_BODY} bytes")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY:
            raise KeitoError("validation_error", f"the request body is over {MAX_BODY} bytes")
    if not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise KeitoError("validation_error", f"the request body is not valid JSON: {exc}"
                         ) from None
    if not isinstance(parsed, dict):
        raise KeitoError("validation_error", "the request body must be a JSON object")
    return parsed


class Server:
    """The application's state: the runtime, the clock, the rate limiter."""

    def __init__(self, runtime: Runtime, *, limit: RateLimit | None = None,
                 clock: Callable[[], datetime] | None = None,
                 env: Mapping[str, str] | None = None) -> None:
        self.runtime = runtime
        self.clock = clock or runtime.clock
        self.limiter = Limiter(limit or RateLimit())
        self.env = dict(os.environ if env is None else env)
        #: SQLite takes one writer at a time; its busy handler retries a waiting writer at
        #: random, so under many concurrent writes some wait seconds while later ones pass.
        #: This process's writers queue here instead, in order (reads never wait).
        self._sqlite_writer = (threading.Lock()
                               if runtime.settings.database_url.startswith("sqlite") else None)

    def _writing(self, writes: bool) -> AbstractContextManager[Any]:
        if writes and self._sqlite_writer is not None:
            return self._sqlite_writer
        return nullcontext()

    def execute(self, route: Route, request: Request, secret: str, body: dict[str, Any],
                seen: dict[str, Any]) -> Reply:
        """The route in one unit of work (a worker thread)."""
        from keito_core.platform.identity import actor_for, authenticate, get_workspace

        with self._writing(route.writes), self.runtime.session(
                readonly=not route.writes) as session:
            now = self.clock()
            user = authenticate(session, secret, now=now)
            seen["user"] = user.id
            workspace = get_workspace(session)
            account = request.headers.get("keito-account-id", "").strip()
            if account != workspace.id:
                raise KeitoError(
                    "authentication_error",
                    "Keito-Account-Id is missing" if not account else
                    "Keito-Account-Id does not name this workspace",
                    field="Keito-Account-Id",
                    hint="`keito serve` prints the workspace's account ID")
            self.limiter.admit(secret, now)
            call = Call(session=session, actor=actor_for(session, user), workspace=workspace,
                        now=now, query=dict(request.query_params),
                        path=dict(request.path_params), body=body,
                        url=str(request.url.replace(query="")), raw_query=request.url.query,
                        env=self.env)
            answer = route.handler(call)
            if isinstance(answer, Reply):
                return answer
            if answer is None:
                return Reply(204)
            return Reply(200, answer)

    def endpoint(self, route: Route) -> Callable[[Request], Any]:
        async def answer(request: Request) -> Response:
            started = time.perf_counter()
            seen: dict[str, Any] = {"id": uuid.uuid4().hex[:12]}
            status = 500
            try:
                secret = _bearer(request)
                seen["key"] = secret[:12]
                body = await _body(request)
                reply = await run_in_threadpool(self.execute, route, request, secret, body,
                                                seen)
                response = render(reply.status, reply.body, reply.headers)
            except KeitoError as error:
                response = _failure(error, route.errors)
            except Exception:  # a bug: the details go to the log, not to the client
                error_log.exception("request %s %s %s failed", seen["id"], request.method,
                                    request.url.path)
                response = _failure(KeitoError(
                    "internal_error", f"the server failed; request {seen['id']} is in its "
                    "log"))
            status = response.status_code
            access_log.info(json.dumps({
                "request": seen["id"], "method": request.method, "path": request.url.path,
                "status": status, "ms": round((time.perf_counter() - started) * 1000, 1),
                "user": seen.get("user"), "key": seen.get("key"),
            }))
            return response

        return answer


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return render(405, {"error": "method not allowed", "code": "validation_error",
                            "error_description": f"{request.method} is not served on "
                                                 f"{request.url.path}"})
    return render(404, {"error": "not found", "code": "not_found",
                        "error_description": f"no such path {request.url.path}"})


def create_app(runtime: Runtime, *, limit: RateLimit | None = None,
               clock: Callable[[], datetime] | None = None,
               env: Mapping[str, str] | None = None) -> Starlette:
    server = Server(runtime, limit=limit, clock=clock, env=env)
    paths: dict[str, dict[str, Route]] = {}
    for declared in ROUTES:
        paths.setdefault(declared.path, {})[declared.method] = declared
    routes = []
    for path, methods in paths.items():
        for method, declared in methods.items():
            routes.append(StarletteRoute(path, server.endpoint(declared), methods=[method],
                                         name=f"{method} {path}"))
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_found})
    app.state.server = server
    return app
