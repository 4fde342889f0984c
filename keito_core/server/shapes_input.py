"""What API v2 requests carry, read as the services take it: typed members of a JSON body,
the `source` filter, and the filters the time entry and expense lists share.

A member of the wrong JSON type is a `validation_error` naming the member (400), as the spec's
schemas type them: numbers stay exact (a JSON 12.5 is the decimal text "12.5", never a float
sum), dates are YYYY-MM-DD, integers are whole numbers, and `true`/`false` are booleans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from keito_core.errors import KeitoError
from keito_core.models import Expense, Project, TimeEntry
from keito_core.platform.access import visibility_clause
from keito_core.rules.permissions import Action
from keito_core.server.call import Call


def _wrong(name: str, kind: str, value: Any) -> KeitoError:
    return KeitoError("validation_error", f"{name} must be {kind}, not {value!r}", field=name)


class Body:
    """A request's JSON object, read member by member; a missing member and null are None."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return name in self.data

    def required(self, name: str) -> None:
        if self.data.get(name) in (None, ""):
            raise KeitoError("validation_error", f"{name} is required", field=name)

    def text(self, name: str, *, required: bool = False) -> str | None:
        if required:
            self.required(name)
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _wrong(name, "a string", value)
        return value

    def flag(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise _wrong(name, "true or false", value)
        return value

    def number(self, name: str, *, minimum: int | None = None) -> str | None:
        """A JSON number as exact decimal text (what the services parse)."""
        from keito_core.api.resources import number_text

        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _wrong(name, "a number", value)
        if minimum is not None and value < minimum:
            raise KeitoError("validation_error", f"{name} must be at least {minimum}",
                             field=name)
        return number_text(value, name)

    def whole(self, name: str, *, minimum: int | None = None) -> int | None:
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _wrong(name, "a whole number", value)
        if minimum is not None and value < minimum:
            raise KeitoError("validation_error", f"{name} must be at least {minimum}",
                             field=name)
        return value

    def day(self, name: str, *, required: bool = False) -> date | None:
        text = self.text(name, required=required)
        if text is None:
            return None
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _wrong(name, "a date (YYYY-MM-DD)", text) from None

    def choice(self, name: str, choices: Iterable[str]) -> str | None:
        text = self.text(name)
        allowed = tuple(choices)
        if text is not None and text not in allowed:
            raise KeitoError("validation_error", f"{name} must be one of {', '.join(allowed)}",
                             field=name)
        return text

    def object(self, name: str) -> dict[str, Any] | None:
        value = self.data.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise _wrong(name, "a JSON object", value)
        return value

    def items(self, name: str) -> list[Mapping[str, Any]]:
        """An array of objects (none: empty)."""
        value = self.data.get(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _wrong(name, "an array of objects", value)
        return value


#: Keito's sources as API v2 clients know them: the terminal app's `tui` is the spec's `web`.
SOURCE_OUT = {"tui": "web"}


def source_out(source: Any) -> str:
    """A stored source as the spec names it."""
    value = str(getattr(source, "value", source))
    return SOURCE_OUT.get(value, value)


def stored_sources(shown: str) -> list[str]:
    """The stored sources a client sees as `shown` (`web`: the terminal app's `tui` too)."""
    return [shown, *(stored for stored, out in SOURCE_OUT.items() if out == shown)]


def source_filter(text: str | None, allowed: Iterable[str]) -> list[str] | None:
    """The stored sources a `source` query parameter (comma-separated) asks for: `web` takes
    the terminal app's `tui` too; None when not filtered."""
    if text is None:
        return None
    choices = tuple(allowed)
    wanted: set[str] = set()
    for word in (part.strip() for part in text.split(",")):
        if word not in choices:
            raise KeitoError("validation_error", f"source must be one of {', '.join(choices)}"
                             f" (comma-separated), not {word!r}", field="source")
        wanted.update(stored_sources(word))
    return sorted(wanted)


def tracked_filters(call: Call, model: type[TimeEntry] | type[Expense],
                    action: Action) -> list[Any]:
    """The WHERE conditions of a time entry or expense list: the rows the actor may read
    (`action`), then user_id, project_id, client_id, is_billed, from, to and updated_since."""
    where: list[Any] = []
    visible = visibility_clause(call.actor, action, model)
    if visible is not None:
        where.append(visible)
    for name, column in (("user_id", model.user_id), ("project_id", model.project_id)):
        value = call.text(name)
        if value is not None:
            where.append(col(column) == value)
    client_id = call.text("client_id")
    if client_id is not None:
        where.append(col(model.project_id).in_(
            sa.select(col(Project.id)).where(col(Project.client_id) == client_id)))
    billed = call.flag("is_billed")
    if billed is not None:
        invoice = col(model.invoice_id)
        where.append(invoice.is_not(None) if billed else invoice.is_(None))
    first, last = call.day("from"), call.day("to")
    if first is not None:
        where.append(col(model.spent_date) >= first)
    if last is not None:
        where.append(col(model.spent_date) <= last)
    since = call.instant("updated_since")
    if since is not None:
        where.append(col(model.updated_at) >= since)
    return where
