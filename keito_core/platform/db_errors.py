"""Database failures people can act on, as KeitoErrors, so interfaces never see the driver's."""

from __future__ import annotations

import sys

from keito_core.errors import KeitoError


def database_error(exc: BaseException) -> KeitoError | None:
    """The KeitoError a database failure means to a user (a conflict, a busy database, a
    broken configuration); None for anything else, which is a bug to report as such."""
    if "sqlalchemy" not in sys.modules:  # nothing has used the database: not one of its errors
        return None
    import sqlalchemy.exc as sa_exc

    if isinstance(exc, sa_exc.IntegrityError):
        return KeitoError(
            "conflict",
            "the change conflicts with existing data",
            hint=str(exc.orig).splitlines()[0] if exc.orig else None,
        )
    if isinstance(exc, sa_exc.OperationalError):
        text = str(exc.orig) if exc.orig else str(exc)
        if "locked" in text or "busy" in text:
            return KeitoError(
                "conflict",
                "the database stayed busy; try again",
                hint="another process held a write lock for too long",
            )
        return KeitoError("config_error", f"database error: {text.splitlines()[0]}")
    return None
