"""KeitoError -> the API v2's status and flat error body.

The spec's body is Harvest's: `{"error": "...", "error_description": "..."}`. Keito adds its
own stable `code` and, when it has them, `field` and `hint`, as extra members (the spec's Error
allows them), so a client of the official SDK sees the usual error classes and a Keito-aware
client can act on the code.

Each operation of the spec declares the error statuses it answers; a route passes its own
(`route(..., errors=...)`) and an error whose natural status the operation does not declare
takes the nearest one it does (a `locked` entry on PATCH, which declares no 409, is a 403; a
duplicate name on POST, which declares no 409, is a 400).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keito_core.errors import KeitoError

STATUS: dict[str, int] = {
    "validation_error": 400,
    "metadata_too_large": 400,
    "authentication_error": 401,
    "authorization_error": 403,
    "project_not_assigned": 403,
    "not_found": 404,
    "conflict": 409,
    "locked": 409,
    "rate_limit_exceeded": 429,
    "config_error": 500,
    "remote_error": 502,
    "network_error": 502,
    "internal_error": 500,
}

#: The words of `error`, as Harvest writes them.
WORDS: dict[int, str] = {
    400: "bad request",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    409: "conflict",
    429: "rate limit exceeded",
    500: "internal error",
    502: "bad gateway",
}

#: Where an undeclared status goes instead, in order: a conflict is the request's fault
#: (400) before it is a refusal; a locked record is a refusal (403) before a bad request.
_FALLBACK: dict[str, tuple[int, ...]] = {
    "conflict": (400, 403),
    "locked": (403, 400),
    "not_found": (400,),
    "authorization_error": (400,),
    "project_not_assigned": (400,),
}

#: Answered by every operation whatever it declares: the client could not be served at all.
ALWAYS = frozenset({401, 429, 500, 502})


def status_for(error: KeitoError, declared: Iterable[int] | None = None) -> int:
    """The HTTP status of `error` on an operation that declares `declared` error statuses."""
    status = STATUS.get(error.code, 500)
    if declared is None or status in ALWAYS:
        return status
    allowed = set(declared)
    if status in allowed:
        return status
    for other in _FALLBACK.get(error.code, ()):
        if other in allowed:
            return other
    return status


def error_body(error: KeitoError, status: int) -> dict[str, Any]:
    body: dict[str, Any] = {
        "error": WORDS.get(status, "error"),
        "error_description": error.message,
        "code": error.code,
    }
    if error.field:
        body["field"] = error.field
    if error.hint:
        body["hint"] = error.hint
    return body
