"""The week grid: a DataTable of project/task rows by day, with row, day and week totals.

The cursor stays on the day cells (never on the names, the totals column or the totals row).
Typing a digit, `.` or `:` on a cell, or Backspace, asks the screen to edit it; Enter or a
click selects it (DataTable.CellSelected). Column widths follow the terminal's width.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input

from keito_core.reports.week import WeekCell, WeekReport, WeekRow
from keito_core.rules.durations import format_duration

TOTAL_ROW = "__total__"
LOCK_MARK = "🔒"
SEVERAL_MARK = "+"
RUNNING_MARK = "▶"
#: Keys that start editing a cell, with what they type first.
EDIT_KEYS = frozenset("0123456789.:")
#: The terminal width from which day headers show the date in full.
WIDE = 120


@dataclass(frozen=True)
class GridLayout:
    """Column widths for a terminal width."""

    label: int
    day: int
    total: int
    wide: bool


def grid_layout(width: int) -> GridLayout:
    """Widths that fit `width` columns: no cell padding, right-aligned numbers keep a gap,
    and the names take what is left (less a vertical scrollbar's two columns)."""
    wide = width >= WIDE
    day = 12 if wide else 6
    total = 8
    label = max(12, width - 7 * day - total - 2 - 1)
    return GridLayout(label=label, day=day, total=total, wide=wide)


def day_header(day: date, *, wide: bool, today: date) -> Text:
    """`Mo 23` (narrow) or `Mon 23 Nov` (wide); today's highlighted."""
    text = f"{day:%a %d %b}" if wide else f"{day:%a}"[:2] + f" {day.day}"
    return Text(text, style="bold reverse" if day == today else "", justify="right")


def cell_text(cell: WeekCell, fmt: str) -> Text:
    """A cell's total with a mark: locked, a running timer, or several entries."""
    value = format_duration(cell.seconds, fmt) if cell.seconds or cell.entries else ""
    if cell.locked:
        return Text.assemble((value, "dim"), LOCK_MARK, justify="right")
    if cell.running:
        return Text.assemble(value, (RUNNING_MARK, "green"), justify="right")
    if cell.entries > 1:
        return Text.assemble(value, (SEVERAL_MARK, "bold cyan"), justify="right")
    return Text(value or "·", style="" if value else "dim", justify="right")


def row_label(row: WeekRow) -> Text:
    """Project (and client) on the first line, the task on the second."""
    return Text.assemble(" ", (row.project_name, "bold"), (f" · {row.client_name}", "dim"),
                         "\n", ("   " + row.task_name, ""), no_wrap=True, overflow="ellipsis")


class WeekGrid(DataTable[Text]):
    """The grid itself; the screen fills it with `show(report)`."""

    class EditRequested(Message):
        """The user typed into the selected cell: start editing it with `typed`."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="cell", zebra_stripes=True, cell_padding=0)
        self.report: WeekReport | None = None
        self.rows_shown: tuple[WeekRow, ...] = ()
        self.layout_width = 0
        #: Keys typed since an edit was requested, until the screen takes them (`take_typed`).
        self.typed: str | None = None
        #: The edit line while a cell is edited: keys that still reach the grid go there.
        self.edit_box: Input | None = None

    # --- content ----------------------------------------------------------------------------

    def show(self, report: WeekReport, rows: tuple[WeekRow, ...], width: int) -> None:
        """Fill the grid with `rows` of `report`, keeping the cursor on the same row and day."""
        keep = self.selected()
        self.report, self.rows_shown = report, rows
        layout = grid_layout(width)
        self.layout_width = width
        fmt = str(report.duration_format)
        self.clear(columns=True)
        self.add_column(Text(" Project · Task"), width=layout.label, key="label")
        for index, day in enumerate(report.days):
            self.add_column(day_header(day, wide=layout.wide, today=report.today),
                            width=layout.day, key=f"d{index}")
        self.add_column(Text("Total", justify="right"), width=layout.total, key="total")
        for row in rows:
            self.add_row(row_label(row), *(cell_text(cell, fmt) for cell in row.cells),
                         Text(format_duration(row.seconds, fmt), style="bold", justify="right"),
                         key=row.key, height=2)
        totals = [self.day_total(report, rows, i) for i in range(7)]
        self.add_row(Text(" Total", style="bold"),
                     *(Text(format_duration(s, fmt), style="bold", justify="right")
                       for s in totals),
                     Text(format_duration(sum(totals), fmt), style="bold reverse",
                          justify="right"),
                     key=TOTAL_ROW)
        if keep is not None:
            self.select(*keep)
        else:
            self.cursor_coordinate = Coordinate(0, 1)

    @staticmethod
    def day_total(report: WeekReport, rows: tuple[WeekRow, ...], index: int) -> int:
        return sum(row.cells[index].seconds for row in rows)

    # --- the cursor -------------------------------------------------------------------------

    def validate_cursor_coordinate(self, value: Coordinate) -> Coordinate:
        """Keep the cursor on a day cell of a project/task row."""
        last_row = max(0, len(self.rows_shown) - 1)
        return Coordinate(min(max(value.row, 0), last_row), min(max(value.column, 1), 7))

    def selected(self) -> tuple[str, int] | None:
        """(row key, day index 0-6) under the cursor, or None when there are no rows."""
        if not self.rows_shown or self.row_count == 0:
            return None
        row = min(self.cursor_coordinate.row, len(self.rows_shown) - 1)
        return self.rows_shown[row].key, self.cursor_coordinate.column - 1

    def selected_row(self) -> WeekRow | None:
        chosen = self.selected()
        if chosen is None:
            return None
        return next((row for row in self.rows_shown if row.key == chosen[0]), None)

    def select(self, key: str, day_index: int) -> None:
        """Put the cursor on the row `key` (or the first row) and day `day_index`."""
        index = next((i for i, row in enumerate(self.rows_shown) if row.key == key), 0)
        self.cursor_coordinate = Coordinate(index, min(max(day_index, 0), 6) + 1)

    def step(self, offset: int) -> None:
        """Move `offset` days on (Tab: 1, Shift+Tab: -1), wrapping to the next or previous row."""
        if not self.rows_shown:
            return
        position = self.cursor_coordinate.row * 7 + self.cursor_coordinate.column - 1 + offset
        position %= 7 * len(self.rows_shown)
        self.cursor_coordinate = Coordinate(position // 7, position % 7 + 1)

    # --- keys -------------------------------------------------------------------------------

    def on_key(self, event: events.Key) -> None:
        """Typing starts an edit; keys typed before the edit line has the focus go to it."""
        typing = bool(event.character and event.character in EDIT_KEYS)
        erasing = event.key in ("backspace", "delete")
        if not (typing or erasing):
            return
        event.stop()
        event.prevent_default()
        text = event.character if typing and event.character else ""
        if self.edit_box is not None:
            if typing:
                self.edit_box.insert_text_at_cursor(text)
            else:
                self.edit_box.action_delete_left()
        elif self.typed is not None:
            self.typed = self.typed + text if typing else self.typed[:-1]
        else:
            self.typed = text
            self.post_message(self.EditRequested())

    def take_typed(self) -> str:
        """What was typed for the edit being started (and forget it)."""
        typed, self.typed = self.typed or "", None
        return typed
