"""Plain values the app's workers hand to the UI thread, importable without the ORM.

The app starts on the day view before SQLAlchemy is loaded (see keito_core.fastpath.day), so
what the start-up path imports must stay free of the table classes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from keito_core.errors import KeitoError

ROLE_NAMES = {"admin": "Administrator", "manager": "Manager", "member": "Member"}

#: A hint that tells the user to run a command or pass an option: no use in the app.
COMMAND_HINT = re.compile(r"(^|\s)--[a-z]|`keito ")

#: The app's own words for the command-line hints whose action the app offers.
APP_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"`keito client archive "), "archive it instead: x in Manage › Clients"),
    (re.compile(r"`keito settings set (\S+) true`"),
     r"an administrator can turn them on in Settings (\1)"),
    (re.compile(r"--budget-by"), "choose Total hours or Total fees as the budget; per-task "
     "and per-person budgets are set in the project's tasks (k) and team (t)"),
    (re.compile(r"`keito settings set smtp\.host "), "an administrator sets the mail server in "
     "Settings (smtp.host, smtp.port, smtp.username, smtp.from); the password goes in "
     "KEITO_SMTP_PASSWORD or the keyring"),
)


def app_hint(hint: str | None) -> str | None:
    """`hint` as the app gives it: in the app's words where the app offers the action, and
    none where it only tells the user to run a command."""
    if not hint or not COMMAND_HINT.search(hint):
        return hint
    for pattern, words in APP_HINTS:
        found = pattern.search(hint)
        if found:
            return found.expand(words)
    return None


@dataclass(frozen=True)
class ErrorInfo:
    """A KeitoError as plain values, for a message to the UI thread."""

    code: str
    message: str
    field: str | None = None
    hint: str | None = None

    @classmethod
    def of(cls, exc: KeitoError) -> ErrorInfo:
        """The error, its hint as the app gives it (app_hint)."""
        return cls(exc.code, exc.message, exc.field, app_hint(exc.hint))


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
