"""The Python API's exceptions: the reference SDK's error classes over the domain's KeitoError.

Every class subclasses keito_core.errors.KeitoError, so `except KeitoError` catches them
whichever module the name came from. `status` is the HTTP status the reference's REST API
gives the same error, for code written against the hosted SDK.
"""

from __future__ import annotations

from keito_core.errors import KeitoError as CoreKeitoError

#: The reference's HTTP status of each error code (Error Handling page).
STATUS: dict[str, int] = {
    "validation_error": 400,
    "metadata_too_large": 400,
    "authentication_error": 401,
    "authorization_error": 403,
    "project_not_assigned": 403,
    "not_found": 404,
    "conflict": 409,
    "locked": 422,
    "rate_limit_exceeded": 429,
    "config_error": 500,
    "internal_error": 500,
    "remote_error": 502,
    "network_error": 503,
}


class KeitoError(CoreKeitoError):
    """Base of every error the Python API raises: .code, .message, .field, .hint, .status."""

    @property
    def status(self) -> int:
        return STATUS.get(self.code, 500)


class ValidationError(KeitoError):
    """Bad input: a missing or malformed field (`field` names it), or metadata over 4 KB."""


class AuthenticationError(KeitoError):
    """The API key is missing, malformed, revoked, or names another workspace."""


class PermissionDeniedError(KeitoError):
    """The acting user may not do this, or is not assigned to the project."""


class NotFoundError(KeitoError):
    """No record with that ID (or name, code or handle)."""


class ConflictError(KeitoError):
    """The record's state forbids it: a locked entry, no running timer, a duplicate."""


class RateLimitError(KeitoError):
    """Too many requests (never raised by a local workspace; kept for the reference's API)."""

    retry_after: float | None = None


class ConfigurationError(KeitoError):
    """The workspace cannot be opened: no database, a database without a workspace."""


class APIError(KeitoError):
    """Anything else: a remote or internal failure."""


_CLASSES: dict[str, type[KeitoError]] = {
    "validation_error": ValidationError,
    "metadata_too_large": ValidationError,
    "authentication_error": AuthenticationError,
    "authorization_error": PermissionDeniedError,
    "project_not_assigned": PermissionDeniedError,
    "not_found": NotFoundError,
    "conflict": ConflictError,
    "locked": ConflictError,
    "rate_limit_exceeded": RateLimitError,
    "config_error": ConfigurationError,
}


def translate(exc: CoreKeitoError) -> KeitoError:
    """The API exception for a domain error, keeping its code, message, field and hint."""
    if isinstance(exc, KeitoError):
        return exc
    cls = _CLASSES.get(exc.code, APIError)
    return cls(exc.code, exc.message, field=exc.field, hint=exc.hint)


__all__ = [
    "APIError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "KeitoError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ValidationError",
    "translate",
]
