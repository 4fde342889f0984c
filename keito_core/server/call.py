"""One API request as a route sees it, and how a route is declared.

A route is a plain function `(call: Call) -> Reply | dict | None`, declared with `@route(
"GET", "/api/v2/time_entries")` in a module of `keito_core.server.routes`. The application
(keito_core.server.app) does everything around it, the same for every route:

- who acts: `Authorization: Bearer keito_sk_...` resolved to the user (revoked, unknown or
  inactive: 401), `Keito-Account-Id` equal to the workspace's ID (401 otherwise), the key's
  rate limit (429 with `Retry-After`);
- one transaction per request (a read-only one for GET), run in a worker thread;
- the body parsed as a JSON object (malformed, not an object or over the size limit: 400);
- errors: a `KeitoError` becomes the spec's flat body with its status (keito_core.server.errors);
- the answer: `Reply(status, body)`, a dict (200), or None (204); Decimals become JSON numbers.

Routes never commit, never read the wall clock (`call.now`), and check permissions through the
services and the policy like every other interface.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from keito_core.errors import KeitoError

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.models import Workspace
    from keito_core.rules.permissions import Actor


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Call:
    """What a route gets: the unit of work, who acts, and the request's parts."""

    session: Session
    actor: Actor
    workspace: Workspace
    now: datetime
    #: Query parameters (the last value of a repeated one).
    query: Mapping[str, str]
    path: Mapping[str, str]
    #: The JSON object sent (empty when there was no body).
    body: dict[str, Any]
    #: The request's URL without its query, for pagination links.
    url: str
    #: The query string as sent, for pagination links.
    raw_query: str = ""
    #: The server process's environment (SMTP password, ...), read once at start-up.
    env: Mapping[str, str] = field(default_factory=dict)

    # -- typed query parameters -----------------------------------------------------------

    def text(self, name: str) -> str | None:
        value = self.query.get(name)
        return value if value not in (None, "") else None

    def flag(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None:
            return None
        lowered = value.lower()
        if lowered in ("true", "1", "yes"):
            return True
        if lowered in ("false", "0", "no"):
            return False
        raise KeitoError("validation_error", f"{name} must be true or false, not {value!r}",
                         field=name)

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise KeitoError("validation_error", f"{name} must be a date (YYYY-MM-DD), not "
                             f"{value!r}", field=name) from None

    def instant(self, name: str) -> datetime | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise KeitoError("validation_error", f"{name} must be an ISO 8601 date-time, not "
                             f"{value!r}", field=name) from None
        if moment.tzinfo is None:
            raise KeitoError("validation_error", f"{name} needs a timezone (e.g. Z)",
                             field=name)
        return moment

    def number(self, name: str, *, minimum: int | None = None,
               maximum: int | None = None) -> int | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise KeitoError("validation_error", f"{name} must be a whole number, not "
                             f"{value!r}", field=name) from None
        if (minimum is not None and number < minimum) or (
                maximum is not None and number > maximum):
            raise KeitoError("validation_error", f"{name} must be between {minimum} and "
                             f"{maximum}", field=name)
        return number


Handler = Callable[[Call], "Reply | dict[str, Any] | None"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    #: GET runs in a read-only transaction; everything else in a write transaction.
    writes: bool
    #: The error statuses the spec declares for the operation (server.errors.status_for).
    errors: tuple[int, ...]


ROUTES: list[Route] = []


def route(method: str, path: str, *, errors: tuple[int, ...] = (400, 401, 403, 404),
          ) -> Callable[[Handler], Handler]:
    """Declare `handler` as the answer to `method path` (Starlette path syntax: {id}), with
    the error statuses the spec declares for it."""

    def register(handler: Handler) -> Handler:
        ROUTES.append(Route(method.upper(), path, handler, writes=method.upper() != "GET",
                            errors=errors))
        return handler

    return register
