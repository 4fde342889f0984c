"""The Reports view's table fills and draws past DataTable's private methods, to redraw fast:
what it holds, measures and draws must be exactly what DataTable holds, measures and draws."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from unittest.mock import patch

import pytest
from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from keito_core.reports.analysis.result import Column, ReportResult
from keito_tui.app.screens.reports_text import cell, table_columns, total_cells, total_labels
from keito_tui.app.widgets.report_table import ReportTable

pytestmark = pytest.mark.anyio

COLUMNS = [Column("person", "Team member"), Column("client", "Client"),
           Column("source", "Source"), Column("date", "Date", "date"),
           Column("currency", "Cur"), Column("total_hours", "Hours", "hours", True),
           Column("billable_amount", "Billable amount", "money", True),
           Column("cost", "Cost", "money", True)]
NAMES = ["Ada", "Zoë Ångström-Núñez", "東京 office, phase two of the rebuild of everything",
         "", "A very long name that the view cuts with an ellipsis at thirty-two cells"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def result_of(count: int) -> ReportResult:
    rows = []
    for n in range(count):
        rows.append({
            "person": NAMES[n % len(NAMES)] + (f" {n}" if n % 3 else ""),
            "client": None if n % 7 == 0 else f"Client {n % 5}",
            "source": ["agent", "cli", "tui", "api", "web"][n % 5],
            "date": date(2026, 1, 1 + n % 28), "currency": "GBP" if n % 4 else "JPY",
            "total_hours": Decimal(n * 37) / 4,
            "billable_amount": None if n % 11 == 0 else Decimal(n * 12345) / 100,
            "cost": Decimal(-n),
        })
    totals = [{"currency": "GBP", "total_hours": Decimal(12), "billable_amount": Decimal(1),
               "cost": Decimal(2)},
              {"currency": "JPY", "total_hours": Decimal(3), "billable_amount": Decimal(4),
               "cost": Decimal(5)}]
    return ReportResult(kind="time", title="t", columns=COLUMNS, rows=rows, totals=totals)


def fill(table: DataTable[Any], result: ReportResult) -> None:
    """As the Reports view fills its table."""
    columns = table_columns(result)
    table.clear(columns=True)
    table.fixed_columns = 1
    for column in columns:
        right = column.kind in ("hours", "money", "number", "percent")
        table.add_column(Text(column.title, justify="right" if right else "left"),
                         key=column.key)
    table.add_rows(total_cells(columns, total, label)
                   for total, label in zip(result.totals, total_labels(result), strict=True))
    table.fixed_rows = len(result.totals)
    table.add_rows([cell(c, row) for c in columns] for row in result.rows)
    table.move_cursor(row=len(result.totals) + 3)


class Tables(App[None]):
    CSS = "DataTable { height: 1fr; }"

    def compose(self) -> ComposeResult:
        yield ReportTable(id="fast", cursor_type="row", zebra_stripes=True)
        yield DataTable(id="plain", cursor_type="row", zebra_stripes=True)


def drawn(table: DataTable[Any]) -> list[list[Segment]]:
    """The table's lines, each as its simplest segments (how a line is cut into segments
    draws nothing different)."""
    table.notify_style_update()  # forget every line drawn so far
    return [list(Segment.simplify(strip))
            for strip in table.render_lines(Region(0, 0, *table.size))]


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_the_table_holds_measures_and_draws_as_data_table_does(size: tuple[int, int],
                                                                       ) -> None:
    result = result_of(340)
    app = Tables()
    async with app.run_test(size=size) as pilot:
        fast, plain = app.query_one(ReportTable), app.query_one("#plain", DataTable)
        for _ in range(2):  # a second fill over the first, as a new grouping does
            fill(fast, result)
            fill(plain, result)
            await pilot.pause()
        assert fast.row_count == plain.row_count == 342
        assert [list(map(str, fast.get_row_at(i))) for i in range(342)] == [
            list(map(str, plain.get_row_at(i))) for i in range(342)]
        assert [c.content_width for c in fast.ordered_columns] == [
            c.content_width for c in plain.ordered_columns]
        assert fast.virtual_size == plain.virtual_size
        assert fast.cursor_coordinate == plain.cursor_coordinate

        handed_on: list[tuple[int, int]] = []
        own_render = DataTable._render_cell

        def counted(table: DataTable[Any], row: int, column: int, *args: Any,
                    **kwargs: Any) -> Any:
            handed_on.append((row, column))
            return own_render(table, row, column, *args, **kwargs)

        fast.scroll_to(y=5, animate=False, immediate=True)
        await pilot.pause()
        with patch.object(DataTable, "_render_cell", counted):
            quick = drawn(fast)
        # only the header, the totals and the first (fixed) column go to DataTable
        assert {row for row, column in handed_on if column > 0} <= {-1, 0, 1}
        with patch.object(ReportTable, "_render_cell", own_render):
            assert drawn(fast) == quick
