"""Plain values the app's workers hand to the UI thread, importable without the ORM.

The app starts on the day view before SQLAlchemy is loaded (see keito_core.fastpath.day), so
what the start-up path imports must stay free of the table classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keito_core.errors import KeitoError

ROLE_NAMES = {"admin": "Administrator", "manager": "Manager", "member": "Member"}


@dataclass(frozen=True)
class ErrorInfo:
    """A KeitoError as plain values, for a message to the UI thread."""

    code: str
    message: str
    field: str | None = None
    hint: str | None = None

    @classmethod
    def of(cls, exc: KeitoError) -> ErrorInfo:
        return cls(exc.code, exc.message, exc.field, exc.hint)


@dataclass(frozen=True)
class WorkspaceSummary:
    """The workspace's name and who acts in it: what the header shows."""

    name: str
    currency: str
    timezone: str
    user_name: str
    user_role: str
    user_type: str

    @property
    def acting(self) -> str:
        role = ROLE_NAMES.get(self.user_role, self.user_role).lower()
        kind = "agent, " if self.user_type == "agent" else ""
        return f"{self.user_name} ({kind}{role})"
