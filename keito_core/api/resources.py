"""The client's namespaces: time_entries, expenses, projects and users.

Each method converts what callers pass (floats, dates, the reference's names) into what the
services take, runs one unit of work through the client and returns records of
keito_core.api.types built from keito_core.presenters.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keito_core.api.errors import ConflictError, ValidationError
from keito_core.api.types import Expense, Page, Project, TimeEntry, User
from keito_core.errors import KeitoError as CoreKeitoError

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.api.client import Keito
    from keito_core.rules.permissions import Actor

#: The reference's ID of the built-in LLM Usage category; here it names that category.
LLM_USAGE_ALIAS = "cat_llm_usage"
DEFAULT_SOURCE = "api"
_MAX_DURATION_TEXT = 24

# --- conversions from what callers pass to what the services take -----------------------


def number_text(value: Any, field: str) -> str | None:
    """A non-boolean number (or numeric string) as exact decimal text; None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValidationError("validation_error", f"{field} must be a number, not {value!r}",
                              field=field)
    if isinstance(value, str):
        return value
    try:
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError("validation_error", f"{field} must be a number, not {value!r}",
                              field=field) from None
    return format(number, "f")


def hours_text(value: Any) -> str | None:
    """Hours as the duration text the services parse (exact to the second)."""
    text = number_text(value, "hours")
    if text is None or isinstance(value, str):
        return text
    if len(text) > _MAX_DURATION_TEXT:
        text = format(Decimal(text).quantize(Decimal("0.000001")), "f")
    return text


def _is_zero(hours: Any) -> bool:
    """No hours given, or zero (a running timer's starting point)."""
    text = number_text(hours, "hours")
    try:
        return text is None or not text.strip() or Decimal(text) == 0
    except InvalidOperation:
        return False


def day_text(value: str | date | None) -> str | date | None:
    if isinstance(value, datetime):
        return value.date()
    return value


def _alias(value: Any, aliases: dict[str, Any], *names: str) -> Any:
    for name in names:
        if name in aliases:
            given = aliases.pop(name)
            if value is None:
                value = given
    return value


def _no_more(aliases: dict[str, Any], method: str) -> None:
    if aliases:
        raise TypeError(f"{method}() got unexpected keyword arguments: {sorted(aliases)}")


def cursor_offset(kind: str, cursor: str | None) -> int:
    """Where a page starts: the offset an opaque cursor of `kind` holds (0 without one)."""
    if not cursor:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        found, offset = raw.split("|")
        start = int(offset)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        start = -1
        found = ""
    if found != kind or start < 0:
        raise CoreKeitoError("validation_error", "the cursor is not valid", field="cursor",
                             hint="pass the next_cursor of the previous page unchanged")
    return start


def next_cursor(kind: str, offset: int) -> str:
    """The opaque cursor of the page of `kind` that starts at `offset`."""
    return base64.urlsafe_b64encode(f"{kind}|{offset}".encode()).decode().rstrip("=")


def _page(kind: str, items: list[Any], cursor: str | None, limit: int | None) -> Page[Any]:
    """A page of an in-memory list, with an opaque offset cursor."""
    from keito_core.platform.paging import check_limit

    size = check_limit(limit)
    start = cursor_offset(kind, cursor)
    chunk = items[start:start + size]
    has_more = start + size < len(items)
    return Page(data=chunk, next_cursor=next_cursor(kind, start + size) if has_more else None,
                has_more=has_more)


#: How often a timer start is retried when a concurrent start of the same user won the race.
START_ATTEMPTS = 5


def run_start(client: Keito, work: Any) -> Any:
    """Run a timer start; when another start of the same user committed first (the database's
    one-running-timer index refused ours), start again: this time it stops that timer."""
    for attempt in range(START_ATTEMPTS):
        try:
            return client.run(work)
        except ConflictError as exc:
            if exc.code != "conflict" or exc.field != "timer" or attempt == START_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


# --- namespaces ---------------------------------------------------------------------------


def entries_out(session: Session, actor: Actor, entries: list[Any],
                now: datetime) -> list[TimeEntry]:
    """Entries as the API returns them to `actor`, `is_locked` by the rule edits apply."""
    from keito_core import presenters as public

    return [TimeEntry.from_dict(view) for view in _locked_views(
        session, actor, entries, now, partial(public.time_entry, now=now))]


def expenses_out(session: Session, actor: Actor, expenses: list[Any],
                 now: datetime) -> list[Expense]:
    """Expenses as the API returns them to `actor`, `is_locked` by the rule edits apply."""
    return [Expense.from_dict(view) for view in _expense_views(session, actor, expenses, now)]


def _expense_views(session: Session, actor: Actor, expenses: list[Any],
                   now: datetime) -> list[dict[str, Any]]:
    """The public dicts of `expenses_out`, each with its client's currency."""
    from keito_core import presenters as public
    from keito_core.reports.record_views import expense_currencies

    currencies = expense_currencies(session, expenses)
    return [{**view, "currency": currencies.get(view["project_id"])}
            for view in _locked_views(session, actor, expenses, now, public.expense)]


def with_notices(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    """A written record's public dict with what the write warns about: `warnings` (texts,
    such as a future date or the over-budget message) and `budget` (the over-budget warning
    as the command line's JSON has it, or None)."""
    from keito_core.platform.notices import take_budget, take_warnings

    warnings = take_warnings(session)
    budget = take_budget(session)
    if budget is not None:
        warnings = [*warnings, budget["message"]]
    return {**data, "warnings": warnings, "budget": budget}


def written_entry(session: Session, actor: Actor, entry: Any, now: datetime) -> TimeEntry:
    """An entry just written, as `entries_out` returns it, with the write's notices."""
    from keito_core import presenters as public

    view = _locked_views(session, actor, [entry], now, partial(public.time_entry, now=now))[0]
    return TimeEntry.from_dict(with_notices(session, view))


def written_expense(session: Session, actor: Actor, expense: Any, now: datetime) -> Expense:
    """An expense just written, as `expenses_out` returns it, with the write's notices."""
    view = _expense_views(session, actor, [expense], now)[0]
    return Expense.from_dict(with_notices(session, view))


def _locked_views(session: Session, actor: Actor, items: list[Any], now: datetime,
                  shape: Any) -> list[dict[str, Any]]:
    """The public `shape` of each item as `actor` sees it, with the locking decision edits
    would meet."""
    from keito_core.platform.access import lock_flags

    locks = lock_flags(session, items, now=now)
    return [shape(item, viewer=actor, locked=locked)
            for item, locked in zip(items, locks, strict=True)]


class TimeEntries:
    """client.time_entries: create, list, get, update, delete."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def create(self, project_id: str, spent_date: str | date | None = None,
               hours: float | Decimal | str | None = None, task_id: str | None = None,
               notes: str | None = None, is_running: bool = False,
               is_billable: bool | None = None, source: str = DEFAULT_SOURCE,
               metadata: dict[str, Any] | None = None, *, user_id: str | None = None,
               ) -> TimeEntry:
        """Log hours on a day, or start a running timer with `is_running=True`."""
        if is_running:
            if not _is_zero(hours):
                raise ValidationError(
                    "validation_error", "a running timer starts at 0 hours", field="hours",
                    hint="omit hours (or pass 0) with is_running=True")
            return self._start(project_id, task_id=task_id, notes=notes,
                               is_billable=is_billable, source=source, metadata=metadata,
                               user_id=user_id)
        duration = hours_text(hours)

        def work(session: Session, actor: Actor, now: datetime) -> TimeEntry:
            from keito_core import presenters as public
            from keito_core.services.tracking import time_entries as svc

            entry = svc.log_time(
                session, actor=actor, project_ref=project_id, task_ref=task_id,
                duration=duration, spent_date=day_text(spent_date), notes=notes,
                billable=is_billable, source=source, meta=metadata, now=now, user_ref=user_id)
            return TimeEntry.from_dict(with_notices(
                session, public.time_entry(entry, viewer=actor, now=now)))

        return self._client.run(work)

    def _start(self, project_id: str, *, task_id: str | None, notes: str | None,
               is_billable: bool | None, source: str, metadata: dict[str, Any] | None,
               user_id: str | None) -> TimeEntry:
        def work(session: Session, actor: Actor, now: datetime) -> TimeEntry:
            from keito_core import presenters as public
            from keito_core.services.tracking import time_entries as svc

            started = svc.start_timer(
                session, actor=actor, project_ref=project_id, task_ref=task_id, notes=notes,
                billable=is_billable, source=source, meta=metadata, now=now, user_ref=user_id)
            return TimeEntry.from_dict(with_notices(
                session, public.time_entry(started.entry, viewer=actor, now=now)))

        return run_start(self._client, work)

    def list(self, source: str | None = None, project_id: str | None = None,
             user_id: str | None = None, from_date: str | date | None = None,
             to_date: str | date | None = None, is_running: bool | None = None,
             cursor: str | None = None, limit: int = 50, *, task_id: str | None = None,
             is_billable: bool | None = None, **aliases: Any) -> Page[TimeEntry]:
        """Entries newest first, filtered; `from`/`to` (as **{"from": ...}) also work."""
        from_date = _alias(from_date, aliases, "from", "from_")
        to_date = _alias(to_date, aliases, "to", "to_")
        _no_more(aliases, "list")

        def work(session: Session, actor: Actor, now: datetime) -> Page[TimeEntry]:
            from keito_core.services.tracking import time_entries as svc

            page = svc.list_entries(
                session, actor=actor, date_from=day_text(from_date), date_to=day_text(to_date),
                project_ref=project_id, task_ref=task_id, user_ref=user_id, source=source,
                is_running=is_running, billable=is_billable, limit=limit, cursor=cursor,
                now=now)
            return Page(data=entries_out(session, actor, list(page.items), now),
                        next_cursor=page.next_cursor, has_more=page.has_more)

        return self._client.run(work, readonly=True)

    def get(self, id: str) -> TimeEntry:  # noqa: A002 - the reference's parameter name
        def work(session: Session, actor: Actor, now: datetime) -> TimeEntry:
            from keito_core.services.tracking import time_entries as svc

            return entries_out(
                session, actor, [svc.get_entry(session, actor=actor, entry_id=id)], now)[0]

        return self._client.run(work, readonly=True)

    def update(self, id: str, hours: float | Decimal | str | None = None,  # noqa: A002
               notes: str | None = None, is_running: bool | None = None,
               is_billable: bool | None = None, task_id: str | None = None,
               metadata: dict[str, Any] | None = None, *,
               spent_date: str | date | None = None) -> TimeEntry:
        """Change an entry; `is_running=False` stops its timer (with `hours`, sets the total)."""
        if is_running:
            raise ValidationError(
                "validation_error", "an entry cannot be set running again", field="is_running",
                hint="start a new timer with time_entries.create(..., is_running=True)")
        changes: dict[str, Any] = {}
        for key, value in (("duration", hours_text(hours)), ("notes", notes),
                           ("billable", is_billable), ("task_ref", task_id),
                           ("meta", metadata), ("spent_date", day_text(spent_date))):
            if value is not None:
                changes[key] = value
        if is_running is False:
            changes["is_running"] = False

        def work(session: Session, actor: Actor, now: datetime) -> TimeEntry:
            from keito_core.services.tracking import time_entries as svc

            entry = svc.edit_entry(session, actor=actor, entry_id=id, now=now, **changes)
            return written_entry(session, actor, entry, now)

        return self._client.run(work)

    def delete(self, id: str) -> None:  # noqa: A002
        def work(session: Session, actor: Actor, now: datetime) -> None:
            from keito_core.services.tracking import time_entries as svc

            svc.delete_entry(session, actor=actor, entry_id=id, now=now)

        self._client.run(work)


def category_ref(value: str | None) -> str | None:
    """The category reference the services resolve (`cat_llm_usage` is LLM Usage)."""
    from keito_core.models.expenses import LLM_USAGE

    if value is not None and value.strip().lower() == LLM_USAGE_ALIAS:
        return LLM_USAGE
    return value


class Expenses:
    """client.expenses: create, list, get (and update, delete)."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def create(self, project_id: str, expense_category_id: str | None = None,
               spent_date: str | date | None = None,
               total_cost: float | Decimal | str | None = None,
               units: float | Decimal | str | None = None,
               unit_price: float | Decimal | str | None = None, notes: str | None = None,
               source: str = DEFAULT_SOURCE, metadata: dict[str, Any] | None = None, *,
               is_billable: bool | None = None, user_id: str | None = None,
               receipt: str | Path | None = None) -> Expense:
        """Log a cost; the category is an ID, handle or name ("LLM Usage", `cat_llm_usage`)."""
        quantity = number_text(units, "units")
        total = number_text(total_cost, "total_cost")
        price = number_text(unit_price, "unit_price")
        receipt_path = None if receipt is None else Path(receipt)

        def work(session: Session, actor: Actor, now: datetime) -> Expense:
            from keito_core.services.tracking import expenses as svc

            expense = svc.log_expense(
                session, actor=actor, project_ref=project_id,
                category_ref=category_ref(expense_category_id), quantity=quantity, total=total,
                unit_price=price, spent_date=day_text(spent_date), notes=notes,
                billable=is_billable, source=source, meta=metadata, receipt=receipt_path,
                receipts_dir=self._client.receipts_dir, now=now, user_ref=user_id)
            return written_expense(session, actor, expense, now)

        return self._client.run(work)

    def list(self, source: str | None = None, project_id: str | None = None,
             user_id: str | None = None, from_date: str | date | None = None,
             to_date: str | date | None = None, cursor: str | None = None, limit: int = 50,
             *, expense_category_id: str | None = None, is_billable: bool | None = None,
             **aliases: Any) -> Page[Expense]:
        """Expenses newest first, filtered like time entries."""
        from_date = _alias(from_date, aliases, "from", "from_")
        to_date = _alias(to_date, aliases, "to", "to_")
        _no_more(aliases, "list")

        def work(session: Session, actor: Actor, now: datetime) -> Page[Expense]:
            from keito_core.services.tracking import expenses as svc

            page = svc.list_expenses(
                session, actor=actor, date_from=day_text(from_date), date_to=day_text(to_date),
                project_ref=project_id, category_ref=category_ref(expense_category_id),
                user_ref=user_id, source=source, billable=is_billable, limit=limit,
                cursor=cursor, now=now)
            return Page(data=expenses_out(session, actor, list(page.items), now),
                        next_cursor=page.next_cursor, has_more=page.has_more)

        return self._client.run(work, readonly=True)

    def get(self, id: str) -> Expense:  # noqa: A002
        def work(session: Session, actor: Actor, now: datetime) -> Expense:
            from keito_core.services.tracking import expenses as svc

            return expenses_out(
                session, actor, [svc.get_expense(session, actor=actor, expense_id=id)], now)[0]

        return self._client.run(work, readonly=True)

    def update(self, id: str, *, units: float | Decimal | str | None = None,  # noqa: A002
               total_cost: float | Decimal | str | None = None,
               unit_price: float | Decimal | str | None = None, notes: str | None = None,
               is_billable: bool | None = None, expense_category_id: str | None = None,
               spent_date: str | date | None = None,
               metadata: dict[str, Any] | None = None) -> Expense:
        """Change an expense (beyond the reference SDK, which has no expense update)."""
        changes: dict[str, Any] = {key: value for key, value in (
            ("quantity", number_text(units, "units")),
            ("total", number_text(total_cost, "total_cost")),
            ("unit_price", number_text(unit_price, "unit_price")), ("notes", notes),
            ("billable", is_billable), ("category_ref", category_ref(expense_category_id)),
            ("spent_date", day_text(spent_date)), ("meta", metadata)) if value is not None}

        def work(session: Session, actor: Actor, now: datetime) -> Expense:
            from keito_core.services.tracking import expenses as svc

            return written_expense(session, actor, svc.edit_expense(
                session, actor=actor, expense_id=id, now=now, **changes), now)

        return self._client.run(work)

    def delete(self, id: str) -> None:  # noqa: A002
        """Delete an expense (beyond the reference SDK)."""
        def work(session: Session, actor: Actor, now: datetime) -> None:
            from keito_core.services.tracking import expenses as svc

            svc.delete_expense(session, actor=actor, expense_id=id, now=now)

        self._client.run(work)


class Projects:
    """client.projects: list, get (the projects the acting user may see)."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def list(self, cursor: str | None = None, limit: int = 50, *,
             status: str = "active") -> Page[Project]:
        def work(session: Session, actor: Actor, now: datetime) -> Page[Project]:
            from keito_core.services.directory.projects import list_projects

            views = list_projects(session, actor=actor, status=status)
            return _page("projects", [Project.from_dict(v.public()) for v in views], cursor,
                         limit)

        return self._client.run(work, readonly=True)

    def get(self, id: str) -> Project:  # noqa: A002
        """One project (by ID, code, handle or name), with its tasks and team."""
        def work(session: Session, actor: Actor, now: datetime) -> Project:
            from keito_core.services.directory.projects import get_project

            return Project.from_dict(get_project(session, actor=actor, ref=id).public())

        return self._client.run(work, readonly=True)


class Users:
    """client.users: list, get (rates only where the acting user may see them)."""

    def __init__(self, client: Keito) -> None:
        self._client = client

    def list(self, user_type: str | None = None, is_active: bool | None = None,
             cursor: str | None = None, limit: int = 50) -> Page[User]:
        """Users; `is_active=None` means everyone not archived."""
        def work(session: Session, actor: Actor, now: datetime) -> Page[User]:
            from keito_core import presenters as public
            from keito_core.services.directory.users import list_users

            status = None if is_active is None else "all"
            found = list_users(session, actor=actor, user_type=user_type, status=status)
            if is_active is not None:
                found = [u for u in found if (u.status == "active") == is_active]
            rows = [User.from_dict(public.user(u, viewer=actor)) for u in found]
            return _page("users", rows, cursor, limit)

        return self._client.run(work, readonly=True)

    def get(self, id: str) -> User:  # noqa: A002
        """One user by ID, email or name (`me` is the acting user)."""
        def work(session: Session, actor: Actor, now: datetime) -> User:
            from keito_core import presenters as public
            from keito_core.services.directory.users import get_user

            return User.from_dict(public.user(get_user(session, actor=actor, ref=id),
                                              viewer=actor))

        return self._client.run(work, readonly=True)

    def me(self) -> User:
        """The acting user (the API key's owner)."""
        return self.get("me")
