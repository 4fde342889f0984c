"""The Reports view's words and cells, as plain functions of a report's values (easy to test).

Hidden columns (`ReportResult.hidden`, the policy's decision) are never shown: every function
here works from `visible_columns`. Money is shown in each row's own currency, and totals one
line per currency, never added across currencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from rich.text import Text

from keito_core.reports.analysis.query import GROUPINGS, ReportQuery
from keito_core.reports.analysis.result import Column, ReportResult
from keito_core.rules.money import format_money
from keito_tui.app.widgets.badges import source_badge

KIND_LABELS = {"time": "Time", "expenses": "Expenses", "budget": "Budget",
               "utilization": "Utilization", "agents": "Agents", "uninvoiced": "Uninvoiced"}
PERIOD_LABELS = {"this_week": "This week", "last_week": "Last week",
                 "this_month": "This month", "last_month": "Last month",
                 "this_quarter": "This quarter", "last_quarter": "Last quarter",
                 "this_year": "This year", "last_year": "Last year"}
#: The period select's value for a range typed by hand.
CUSTOM = "custom"
GROUP_LABELS = {"project": "Project", "client": "Client", "task": "Task", "person": "Person",
                "source": "Source", "role": "Role", "category": "Category", "agent": "Agent",
                "model": "Model"}
#: The then-by select's value for no second level.
NO_THEN = ""
#: Kinds whose hours the chart draws (an expense, budget or billing report has no hours of
#: its own to chart).
CHARTED = frozenset({"time", "utilization", "agents"})
#: The longest text a cell shows (the table scrolls sideways for the rest).
MAX_TEXT = 32
#: The most rows the table lists (a detailed year can hold hundreds of thousands; export
#: writes them all).
MAX_ROWS = 2000


@dataclass(frozen=True)
class Labels:
    """Names for the ids a query's filters hold (from report_choices), by filter."""

    names: dict[str, dict[str, str]]

    def name(self, filter_name: str, value: str) -> str:
        return self.names.get(filter_name, {}).get(value, value)


def hours_text(value: Decimal) -> str:
    """`1,234.50`: hours to two places."""
    return f"{value:,.2f}"


def cell(column: Column, row: dict[str, Any]) -> Text:
    """One cell: money in the row's currency, hours to two places, dates in ISO form."""
    value = row.get(column.key)
    right = column.kind in ("hours", "money", "number", "percent")
    if value is None:
        return Text("", justify="right" if right else "left")
    if column.kind == "money":
        currency = row.get("currency")
        text = (format_money(Decimal(value), currency) if currency
                else f"{Decimal(value):,.2f}")
    elif column.kind == "hours":
        text = hours_text(Decimal(value))
    elif column.kind == "percent":
        text = f"{Decimal(value):,.1f}%"
    elif column.kind == "number":
        text = f"{int(value):,}"
    elif column.kind == "bool":
        text = "yes" if value else "no"
    elif column.kind == "date":
        text = value.isoformat() if isinstance(value, date) else str(value)
    elif column.key == "source" and source_badge(str(value)).plain:
        return source_badge(str(value))
    else:
        text = " ".join(str(value).split())
    out = Text(text, justify="right" if right else "left")
    if not right:
        out.truncate(MAX_TEXT, overflow="ellipsis")
    return out


def table_columns(result: ReportResult) -> list[Column]:
    """The columns the table shows: the visible ones (each key once: client then project
    both name the client), less the currency when money columns already carry it, and less
    the IDs of a detailed report's rows."""
    first: dict[str, Column] = {}
    for column in result.visible_columns:
        first.setdefault(column.key, column)
    columns = list(first.values())
    money = any(c.kind == "money" for c in columns)
    return [c for c in columns if not (c.key == "currency" and money) and c.key != "id"]


def total_cells(columns: list[Column], total: dict[str, Any], label: str) -> list[Text]:
    """A totals row for the table: `label` in the first column, each summed column's total
    (in the total's currency), the rest empty."""
    out = []
    for index, column in enumerate(columns):
        if index == 0:
            out.append(Text(label, style="bold"))
        elif column.total or column.key == "currency":
            shown = cell(column, total)
            shown.stylize("bold")
            out.append(shown)
        else:
            out.append(Text(""))
    return out


def total_labels(result: ReportResult) -> list[str]:
    """`Total`, or `Total GBP`, `Total USD` when the report has several currencies."""
    several = len(result.totals) > 1
    return [f"Total {t.get('currency')}" if several and t.get("currency") else "Total"
            for t in result.totals]


def count_text(result: ReportResult) -> str:
    """`42 rows`, `1 entry`, or `first 2,000 entries` when the view read one more than it
    lists (export writes them all)."""
    count = len(result.rows)
    if count > MAX_ROWS:
        return f"first {MAX_ROWS:,} entries"
    if result.detailed:
        return f"{count:,} {'entry' if count == 1 else 'entries'}"
    return f"{count:,} {'row' if count == 1 else 'rows'}"


def period_text(result: ReportResult) -> str:
    """`01 Mar – 31 Mar 2026`, or `all dates`."""
    first, last = result.date_from, result.date_to
    if first is None and last is None:
        return "all dates"
    if first is None:
        return f"until {last:%d %b %Y}"
    if last is None:
        return f"from {first:%d %b %Y}"
    start = f"{first:%d %b}" if first.year == last.year else f"{first:%d %b %Y}"
    return f"{start} – {last:%d %b %Y}"


def heading(query: ReportQuery, result: ReportResult | None, trail: list[str]) -> str:
    """`Time by project › person · 01 Mar – 31 Mar 2026`, and the rows drilled into."""
    parts = [KIND_LABELS.get(query.kind, query.kind)]
    if query.detailed:
        parts[0] += ": entries" if query.kind == "time" else ": detailed"
    elif query.group_by or GROUPINGS.get(query.kind):
        group = query.group_by or GROUPINGS[query.kind][0]
        parts[0] += f" by {group}" + (f" › {query.then_by}" if query.then_by else "")
    if trail:
        parts[0] += " of " + " › ".join(trail)
    if result is not None:
        parts.append(period_text(result))
    return " · ".join(parts)


FILTER_NAMES = (("clients", "client"), ("projects", "project"), ("tasks", "task"),
                ("people", "person"), ("roles", "role"), ("categories", "category"),
                ("sources", "source"), ("approval", "approval"),
                ("budget_status", "status"))


def filters_text(query: ReportQuery, labels: Labels) -> str:
    """`Filters: client Globex · billable · not invoiced`, or how to add one."""
    parts = []
    for member, word in FILTER_NAMES:
        values = getattr(query, member)
        if values:
            parts.append(f"{word} " + ", ".join(labels.name(member, v) for v in values))
    if query.billable is not None:
        parts.append("billable" if query.billable else "not billable")
    if query.invoiced is not None:
        parts.append("invoiced" if query.invoiced else "not invoiced")
    if not parts:
        return "No filters · f filters, ⏎ opens a row's entries"
    return "Filters: " + " · ".join(parts)

