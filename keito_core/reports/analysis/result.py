"""What every report returns: typed columns, rows of plain values, totals per currency.

The same shape feeds the command line's tables and JSON, the app's Reports view and the CSV and
XLSX writers, so a report is computed once and shown everywhere with the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

#: How a column's values are typed: text (str), date (datetime.date), hours and money
#: (Decimal: hours exact to the second, money exact in its currency), number (int), percent
#: (Decimal, 45.5 means 45.5 %), bool, json (a dict, written as JSON text).
ColumnKind = Literal["text", "date", "hours", "money", "number", "percent", "bool", "json"]


@dataclass(frozen=True)
class Column:
    """One column of a report or export: its key in each row, its heading and its type.

    `total` marks the columns summed in a totals row (hours and money; money per currency).
    """

    key: str
    title: str
    kind: ColumnKind = "text"
    total: bool = False


@dataclass
class ReportResult:
    """A report's answer.

    - `rows`: one dict per row with a value for each column key (None for a hidden or empty
      one), plus private keys starting with `_` that interfaces do not show: `_keys` holds the
      filter values a summary row stands for (used to drill into its entries);
    - `totals`: one dict per currency (or a single one where no money is involved), with the
      `total` columns summed by SQL;
    - `hidden`: the money column keys the viewer may not see (the policy's decision), which
      every row leaves None and every interface leaves out.
    """

    kind: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    totals: list[dict[str, Any]] = field(default_factory=list)
    date_from: date | None = None
    date_to: date | None = None
    hidden: frozenset[str] = frozenset()
    group_by: str | None = None
    then_by: str | None = None
    detailed: bool = False
    #: Filters set on the query that this kind of report does not apply.
    ignored: tuple[str, ...] = ()

    @property
    def visible_columns(self) -> list[Column]:
        """The columns the viewer may see, in order."""
        return [c for c in self.columns if c.key not in self.hidden]


@dataclass(frozen=True)
class ChartBar:
    """One bar of the hours chart: a day, week or month, its hours per series."""

    label: str
    start: date
    values: dict[str, Any]


@dataclass(frozen=True)
class Chart:
    """Hours per day, week or month, stacked by billable/non-billable or human/agent.

    `series` names the stacks in drawing order (`billable`, `non_billable` or `human`,
    `agent`); each bar's `values` maps them to Decimal hours. Every bucket of the period is
    present, empty ones with zero hours.
    """

    bucket: str
    stack: str
    series: tuple[str, ...]
    bars: list[ChartBar]
