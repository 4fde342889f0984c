"""The acting user's running timer, read with the standard library's sqlite3.

`keito time status` is the command agents poll most. Through the ORM it pays for importing
SQLAlchemy, SQLModel and every table class (about half a second) to run one indexed query.
This module answers the common case with the same queries in plain SQL against the same tables
and the same public shape (keito_core.presenters.time_entry), in a few milliseconds.

It only reads, and it only answers when it can answer exactly as the full path would
(keito_core.services.tracking.timers.running_timer + the CLI's entry view): a SQLite file
at the head schema, the acting user found and active, the API key's use already recorded within
the hour (recording it is a write, left to the full path), and the policy allowing the read. In
every other case it raises NotHandled and the caller runs the full path, which decides and reports
errors. tests/cli/test_time_status_lean.py checks that both print the same JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from keito_core import presenters as public
from keito_core.enums import ApprovalStatus, ManagerPermission, Role, Source, UserStatus, UserType
from keito_core.errors import KeitoError
from keito_core.platform.api_keys import KEY_PREFIX, hash_secret, use_is_due
from keito_core.platform.config import secure_workspace_dirs
from keito_core.platform.private_files import secure_database_file
from keito_core.platform.runtime import Runtime
from keito_core.platform.schema_version import HEAD_REVISION
from keito_core.rules import permissions as policy
from keito_core.rules.money import stored_amount

if TYPE_CHECKING:
    from keito_core.models import TimeEntry

#: Seconds to wait on a locked database (a reader in WAL mode rarely waits at all).
BUSY_TIMEOUT = 30.0


class NotHandled(Exception):
    """This case needs the full path (a write, another database, an error to report...)."""


def running_timer_view(runtime: Runtime, *, now: datetime) -> dict[str, Any] | None:
    """The public view of the acting user's running timer, or None when none runs.

    `now` is the runtime clock's instant of the command. Raises NotHandled when the full path
    must answer instead.
    """
    with snapshot(runtime) as (connection, api_key):
        return _running_timer_view(connection, api_key=api_key, now=now)


@contextmanager
def snapshot(runtime: Runtime) -> Iterator[tuple[sqlite3.Connection, str | None]]:
    """A read-only snapshot of the workspace's SQLite file at the head schema, and the acting
    API key (None: the default user). NotHandled when the file, the schema or the credentials
    need the full path; sqlite3 errors inside the block become NotHandled too."""
    settings = runtime.settings
    path = settings.sqlite_path
    if path is None or "?" in settings.database_url or not path.is_file():
        raise NotHandled("not a SQLite file")
    secure_workspace_dirs(settings)  # a few stat calls: the workspace stays private
    secure_database_file(path)
    try:
        api_key, _origin = runtime.credentials()
    except KeitoError as exc:
        raise NotHandled(exc.message) from exc
    try:
        connection = sqlite3.connect(path, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error as exc:
        raise NotHandled(str(exc)) from exc
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("BEGIN")  # one snapshot for every query; closing rolls it back
        revision = one(connection, "SELECT version_num FROM alembic_version")
        if revision is None or revision[0] != HEAD_REVISION:
            raise NotHandled("the schema is not at the head revision")
        yield connection, api_key
    except sqlite3.Error as exc:
        raise NotHandled(str(exc)) from exc
    finally:
        connection.close()


def _running_timer_view(
    connection: sqlite3.Connection, *, api_key: str | None, now: datetime
) -> dict[str, Any] | None:
    user = acting_user(connection, api_key=api_key, now=now)
    actor = actor_of(user)
    entry = one(
        connection, "SELECT * FROM time_entries WHERE user_id = ? AND is_running = 1", user["id"]
    )
    try:
        policy.require(
            actor,
            policy.Action.TIME_ENTRY_VIEW,
            policy.Target(owner_id=user["id"], project_id=entry["project_id"] if entry else None),
        )
    except KeitoError as exc:
        raise NotHandled(exc.message) from exc
    if entry is None:
        return None
    project = one(connection, "SELECT id, name FROM projects WHERE id = ?", entry["project_id"])
    task = (
        one(connection, "SELECT id, name FROM tasks WHERE id = ?", entry["task_id"])
        if entry["task_id"]
        else None
    )
    return public.time_entry(
        cast("TimeEntry", entry_values(entry)),  # the shape only reads the model's attributes
        viewer=actor,
        project=dict(project) if project else None,
        task=dict(task) if task else None,
        user={"id": user["id"], "name": user["name"]},
        now=now,
    )


def acting_user(connection: sqlite3.Connection, *, api_key: str | None, now: datetime) -> Any:
    """keito_core.platform.identity.resolve_actor's user, when no write is due."""
    if api_key:
        if not api_key.startswith(KEY_PREFIX):
            raise NotHandled("a malformed API key")
        key = one(
            connection,
            "SELECT user_id, last_used_at, revoked_at FROM api_keys WHERE secret_hash = ?",
            hash_secret(api_key),
        )
        if key is None or key["revoked_at"] is not None:
            raise NotHandled("an unknown or revoked API key")
        if use_is_due(instant(key["last_used_at"]), now=now):
            raise NotHandled("the key's use is due to be recorded")
        user_id = key["user_id"]
    else:
        workspace = one(connection, "SELECT default_user_id FROM workspace")
        if workspace is None or not workspace["default_user_id"]:
            raise NotHandled("no workspace or no default user")
        user_id = workspace["default_user_id"]
    user = one(
        connection,
        "SELECT id, name, role, user_type, status, manager_permissions FROM users WHERE id = ?",
        user_id,
    )
    if user is None or user["status"] != UserStatus.ACTIVE:
        raise NotHandled("the acting user is not active")
    return user


def actor_of(user: Any) -> policy.Actor:
    """The policy's Actor without teammates or projects: enough for one's own records.

    Missing facts can only make the policy refuse, and a refusal goes to the full path.
    """
    granted = json.loads(user["manager_permissions"] or "[]")
    return policy.Actor(
        user_id=user["id"],
        role=Role(user["role"]),
        user_type=UserType(user["user_type"]),
        status=UserStatus(user["status"]),
        permissions=frozenset(
            ManagerPermission(p) for p in granted if p in set(ManagerPermission)
        ),
    )


def one(connection: sqlite3.Connection, sql: str, *params: Any) -> Any:
    return connection.execute(sql, params).fetchone()


def instant(value: str | None) -> datetime | None:
    """A stored UTC instant (SQLite keeps it as naive ISO text)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _money(value: int | None) -> Decimal | None:
    return None if value is None else stored_amount(value)


#: How a stored time_entries value becomes the model's Python value; others are kept as read.
_DECODE: dict[str, Any] = {
    "spent_date": date.fromisoformat,
    "is_running": bool,
    "is_rounded": bool,
    "is_billable": bool,
    "billable_rate": _money,
    "cost_rate": _money,
    "approval_status": ApprovalStatus,
    "source": Source,
    "created_at": instant,
    "updated_at": instant,
    "timer_started_at": instant,
    "started_at": instant,
    "ended_at": instant,
    "unlocked_at": instant,
}


def entry_values(row: sqlite3.Row) -> SimpleNamespace:
    """A time_entries row with the attribute names and value types of the TimeEntry model
    (other columns, such as joined names, are kept as read)."""
    values: dict[str, Any] = {}
    for column in row.keys():  # noqa: SIM118 - sqlite3.Row is not a mapping
        value = row[column]
        if column == "metadata":
            values["meta"] = json.loads(value) if value is not None else None
        elif value is not None and column in _DECODE:
            values[column] = _DECODE[column](value)
        else:
            values[column] = value
    return SimpleNamespace(**values)
