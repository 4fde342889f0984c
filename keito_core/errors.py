"""The one error type the domain raises, with the reference's stable codes."""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Process exit codes shared by every command (DESIGN.md, Interfaces)."""

    OK = 0
    AUTHENTICATION = 1
    INVALID_INPUT = 2
    CONFLICT = 3
    NOT_FOUND = 4
    RATE_LIMITED = 5
    REMOTE_ERROR = 6
    NETWORK = 7
    CONFIGURATION = 8
    #: A bug: something failed that should never fail. Reported without a traceback.
    INTERNAL = 9


#: Every error code the product uses, with the exit code a command returns for it.
ERROR_CODES: dict[str, ExitCode] = {
    "validation_error": ExitCode.INVALID_INPUT,
    "metadata_too_large": ExitCode.INVALID_INPUT,
    "authentication_error": ExitCode.AUTHENTICATION,
    "authorization_error": ExitCode.AUTHENTICATION,
    "project_not_assigned": ExitCode.AUTHENTICATION,
    "not_found": ExitCode.NOT_FOUND,
    "conflict": ExitCode.CONFLICT,
    "locked": ExitCode.CONFLICT,
    "rate_limit_exceeded": ExitCode.RATE_LIMITED,
    "remote_error": ExitCode.REMOTE_ERROR,
    "network_error": ExitCode.NETWORK,
    "config_error": ExitCode.CONFIGURATION,
    "internal_error": ExitCode.INTERNAL,
}


class KeitoError(Exception):
    """A failure the user can act on: a stable code, a one-line message, the field at fault."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        hint: str | None = None,
    ) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.hint = hint

    @property
    def exit_code(self) -> ExitCode:
        return ERROR_CODES[self.code]

    def to_dict(self) -> dict[str, Any]:
        """The reference API's error body: {"error": {code, message, field, hint}}."""
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "field": self.field,
                "hint": self.hint,
            }
        }

    def __repr__(self) -> str:
        return f"KeitoError({self.code!r}, {self.message!r}, field={self.field!r})"


def validation(message: str, *, field: str | None = None, hint: str | None = None) -> KeitoError:
    return KeitoError("validation_error", message, field=field, hint=hint)


def not_found(kind: str, ref: str, *, field: str | None = None) -> KeitoError:
    return KeitoError("not_found", f"{kind} {ref!r} not found", field=field)


def conflict(message: str, *, field: str | None = None, hint: str | None = None) -> KeitoError:
    return KeitoError("conflict", message, field=field, hint=hint)


def forbidden(message: str, *, hint: str | None = None) -> KeitoError:
    return KeitoError("authorization_error", message, hint=hint)
