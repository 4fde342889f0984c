"""A report request: its kind, grouping and filters, as plain values.

The command line, the app and saved reports all build a `ReportQuery`; `to_dict`/`from_dict`
are the saved form (JSON in `saved_reports.filters`). `check` refuses a grouping the kind does
not offer with a `validation_error` naming the choices.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from datetime import date
from typing import Any

from keito_core.errors import validation
from keito_core.rules.periods import NAMED_PERIODS

#: The reports, as `keito report KIND` names them.
KINDS = ("time", "expenses", "budget", "utilization", "agents", "uninvoiced")

#: The groupings each kind offers (the first is the default; None: the kind has one shape).
GROUPINGS: dict[str, tuple[str, ...]] = {
    "time": ("project", "client", "task", "person", "source", "role"),
    "expenses": ("project", "client", "category", "person", "source"),
    "budget": (),
    "utilization": ("person",),
    "agents": ("agent", "project", "model"),
    "uninvoiced": ("project", "client"),
}

#: Kinds with a detailed form (every entry or expense, not a summary).
DETAILED_KINDS = frozenset({"time", "expenses"})

_ENTRY_FILTERS = frozenset({"clients", "projects", "tasks", "people", "roles", "sources",
                            "billable", "invoiced", "approval"})
#: The filters each kind applies; any other set on a query is reported as not used.
FILTERS_USED: dict[str, frozenset[str]] = {
    "time": _ENTRY_FILTERS,
    "expenses": (_ENTRY_FILTERS - {"tasks"}) | {"categories"},
    "budget": frozenset({"clients", "projects", "sources", "budget_status"}),
    "utilization": _ENTRY_FILTERS,
    "agents": _ENTRY_FILTERS,
    "uninvoiced": frozenset({"clients", "projects"}),
}
_FILTER_FIELDS = ("clients", "projects", "tasks", "people", "roles", "categories", "sources",
                  "billable", "invoiced", "approval", "budget_status")

APPROVAL_CHOICES = ("unsubmitted", "submitted", "approved", "rejected")
BUDGET_STATUS_CHOICES = ("on_track", "warning", "over")
SOURCE_CHOICES = ("tui", "web", "cli", "api", "agent")
#: Chart buckets and stacks for the hours chart.
CHART_BUCKETS = ("day", "week", "month")
CHART_STACKS = ("billable", "source")


@dataclass(frozen=True)
class ReportQuery:
    """What to report. References (clients, projects, tasks, people, roles, categories) are
    what a user types: an ID, code, handle, email or name, resolved when the report runs."""

    kind: str = "time"
    group_by: str | None = None
    then_by: str | None = None
    detailed: bool = False
    #: A named period (`this_week`, `last_month`, ...); custom dates override it.
    period: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    clients: tuple[str, ...] = ()
    projects: tuple[str, ...] = ()
    tasks: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    billable: bool | None = None
    invoiced: bool | None = None
    approval: tuple[str, ...] = ()
    #: Budget report only: on_track, warning or over.
    budget_status: tuple[str, ...] = ()

    def check(self) -> ReportQuery:
        """This query with its default grouping, or a validation_error."""
        if self.kind not in KINDS:
            raise validation(f"unknown report {self.kind!r}", field="kind",
                             hint="choose one of " + ", ".join(KINDS))
        choices = GROUPINGS[self.kind]
        group_by = self.group_by or (choices[0] if choices else None)
        for name, value in (("group_by", group_by), ("then_by", self.then_by)):
            if value is not None and value not in choices:
                offered = ", ".join(choices) if choices else "none"
                raise validation(f"the {self.kind} report cannot be grouped by {value!r}",
                                 field=name, hint=f"choose one of: {offered}")
        if self.then_by is not None and self.then_by == group_by:
            raise validation("--then-by must differ from --group-by", field="then_by")
        if self.detailed and self.kind not in DETAILED_KINDS:
            raise validation(f"the {self.kind} report has no detailed form", field="detailed",
                             hint="detailed reports: " + ", ".join(sorted(DETAILED_KINDS)))
        if self.period is not None and self.period not in NAMED_PERIODS:
            raise validation(f"unknown period {self.period!r}", field="period",
                             hint="use " + ", ".join(NAMED_PERIODS))
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise validation(f"the period ends ({self.date_to}) before it starts "
                             f"({self.date_from})", field="to")
        for name, values, allowed in (("source", self.sources, SOURCE_CHOICES),
                                      ("approval", self.approval, APPROVAL_CHOICES),
                                      ("status", self.budget_status, BUDGET_STATUS_CHOICES)):
            for value in values:
                if value not in allowed:
                    raise validation(f"unknown {name} {value!r}", field=name,
                                     hint="choose from " + ", ".join(allowed))
        return replace(self, group_by=group_by)

    def unused_filters(self) -> tuple[str, ...]:
        """The filters set on this query that its kind does not apply (e.g. a person on the
        uninvoiced report), for interfaces to say so rather than imply they narrowed it."""
        used = FILTERS_USED.get(self.kind, frozenset())
        default = ReportQuery()
        return tuple(name for name in _FILTER_FIELDS
                     if name not in used and getattr(self, name) != getattr(default, name))

    def to_dict(self) -> dict[str, Any]:
        """The saved form: only what differs from the defaults, dates as ISO text."""
        out: dict[str, Any] = {}
        default = ReportQuery()
        for item in fields(self):
            value = getattr(self, item.name)
            if value == getattr(default, item.name) and item.name != "kind":
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, tuple):
                value = list(value)
            out[item.name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReportQuery:
        """A query from its saved form (unknown keys ignored, so older saves keep working)."""
        known = {item.name for item in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known:
                continue
            if key in ("date_from", "date_to") and isinstance(value, str):
                value = date.fromisoformat(value)
            elif isinstance(value, list):
                value = tuple(str(v) for v in value)
            values[key] = value
        return cls(**values)

    def describe(self) -> dict[str, Any]:
        """The query as JSON-ready values (for a report's JSON `query` member)."""
        return {k: (v.isoformat() if isinstance(v, date) else list(v) if isinstance(v, tuple)
                    else v) for k, v in asdict(self).items()}
