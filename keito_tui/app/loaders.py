"""What the app's views show: the core's read models, formatted as table rows in a worker.

Workers call these functions in a thread; the results cross to the UI thread in messages, so
they hold only strings, booleans and tuples, never ORM objects bound to a session. The reads
are the core's (keito_core.reports.manage, keito_core.reports.workspace, the settings
service); this module only formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from keito_core.reports.manage import (
    CategoryLine,
    ClientLine,
    Lines,
    PersonLine,
    ProjectLine,
    TaskLine,
    manage_lists,
)
from keito_core.reports.workspace import WorkspaceHeader, has_workspace, workspace_header
from keito_core.rules.durations import format_duration, hours_to_seconds
from keito_core.rules.money import format_money
from keito_core.services.workspace.setup import list_settings
from keito_tui.app.values import ROLE_NAMES, WorkspaceSummary

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.platform.runtime import Runtime
    from keito_core.rules import permissions as policy

Line = TypeVar("Line")

#: One table row: column key -> cell value (text, a flag or nothing).
Row = dict[str, str | bool | None]

PROJECT_TYPES = {
    "time_and_materials": "Time & materials",
    "fixed_fee": "Fixed fee",
    "non_billable": "Non-billable",
}
#: What a money cell shows when the acting user may not see it.
HIDDEN = "hidden"


@dataclass(frozen=True)
class Listing:
    """The rows of one table, or why the acting user may not see them."""

    rows: tuple[Row, ...] = ()
    refused: str | None = None


@dataclass(frozen=True)
class ManageData:
    clients: Listing = field(default_factory=Listing)
    projects: Listing = field(default_factory=Listing)
    tasks: Listing = field(default_factory=Listing)
    team: Listing = field(default_factory=Listing)
    categories: Listing = field(default_factory=Listing)


def summary_of(header: WorkspaceHeader) -> WorkspaceSummary:
    """The header's summary from the core's read of it."""
    return WorkspaceSummary(name=header.name, currency=header.currency,
                            timezone=header.timezone, user_name=header.user_name,
                            user_role=header.user_role, user_type=header.user_type)


def find_workspace(runtime: Runtime) -> WorkspaceSummary | None:
    """The workspace and who acts in it, or None when there is no workspace yet.

    Looking never creates a database file: a missing file means "not set up yet".
    """
    if not runtime.database_exists():
        return None
    with runtime.session(readonly=True) as session:
        if not has_workspace(session):
            return None
        return summary_of(workspace_header(session, actor=runtime.actor(session)))


def exact(value: Decimal | None) -> str | None:
    """A Decimal without trailing zeros (unit prices such as 0.003 stay exact)."""
    return None if value is None else format(value.normalize(), "f")


def money(value: Decimal | None, currency: str) -> str | None:
    return None if value is None else format_money(value, currency)


def hours(value: int | Decimal | None, fmt: str) -> str | None:
    """Seconds (an int) or hours (a Decimal) in the workspace's duration format: 40.00 or 40:00."""
    if value is None:
        return None
    seconds = value if isinstance(value, int) else hours_to_seconds(value)
    return format_duration(seconds, fmt)


def listing(lines: Lines[Line], row: Callable[[Line], Row]) -> Listing:
    """A table from a list of the core's lines, formatting each with `row`."""
    if lines.refused:
        return Listing(refused=lines.refused)
    return Listing(tuple(row(line) for line in lines.rows))


def manage_data(session: Session, *, actor: policy.Actor) -> ManageData:
    """Clients, projects, tasks, team and expense categories, as far as the actor may see."""
    lists = manage_lists(session, actor=actor)
    currency = lists.currency

    def client(c: ClientLine) -> Row:
        return {"id": c.id, "name": c.name, "currency": c.currency, "city": c.city,
                "active": c.is_active}

    def project(p: ProjectLine) -> Row:
        return {"id": p.id, "client": p.client_name, "name": p.name, "code": p.code,
                "handle": p.handle, "type": PROJECT_TYPES.get(p.project_type, p.project_type),
                "bill_by": p.bill_by.capitalize(), "active": p.is_active}

    def task(t: TaskLine) -> Row:
        return {"id": t.id, "name": t.name, "handle": t.handle,
                "billable": t.is_billable_default,
                "rate": HIDDEN if "default_hourly_rate" in t.hidden
                else money(t.default_hourly_rate, currency),
                "default": t.is_default, "active": t.is_active}

    def person(u: PersonLine) -> Row:
        return {"id": u.id, "name": u.name, "type": u.user_type,
                "role": ROLE_NAMES.get(u.role, u.role),
                "rate": HIDDEN if "billable_rate" in u.hidden
                else money(u.billable_rate, currency),
                "capacity": hours(u.weekly_capacity_seconds, lists.duration_format),
                "status": u.status.capitalize()}

    def category(c: CategoryLine) -> Row:
        return {"id": c.id, "name": c.name, "unit": c.unit_name,
                "unit_price": HIDDEN if "unit_price" in c.hidden else exact(c.unit_price),
                "billable": c.is_billable_default,
                "builtin": c.is_builtin, "active": c.is_active}

    return ManageData(
        clients=listing(lists.clients, client),
        projects=listing(lists.projects, project),
        tasks=listing(lists.tasks, task),
        team=listing(lists.team, person),
        categories=listing(lists.categories, category),
    )


def settings_rows(session: Session, *, actor: policy.Actor) -> tuple[Row, ...]:
    """Every workspace setting with its current value, in the registry's order."""
    return tuple(
        {"id": s.key, "group": s.group, "key": s.key, "description": s.description,
         "value": "off" if s.key in _OFF_WHEN_EMPTY and s.value in (None, 0)
         else _setting_text(s.value),
         "input": _setting_text(s.value)}
        for s in list_settings(session, actor=actor)
    )


#: Settings whose empty value (none, or 0 minutes) turns the feature off, as the command line
#: says it.
_OFF_WHEN_EMPTY = frozenset({"rounding", "lock_after_days"})


def _setting_text(value: object) -> str | bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return exact(value)
    return str(value)
