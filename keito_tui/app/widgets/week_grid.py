"""The week grid: a DataTable of project/task rows by day with row totals, and under it the
day and week totals (WeekTotals), which stay on screen however far the rows scroll.

A row takes one line (project · task, the client dimmed) where the names column has room for
it, two lines below that. The cursor stays on the day cells (never on the names or the
totals column).
Typing a digit, `.` or `:` on a cell, or Backspace, asks the screen to edit it; Enter or a
click selects it (DataTable.CellSelected). Column widths follow the terminal's width: from 120
columns the day headers show the date in full and the names take all the room that is left.
Showing a report of the same rows and days again (a re-read, a timer's tick) changes only the
cells whose text changed, so the cursor, the scroll position and the drawn lines stay.

Cells are `GridText`, not rich `Text`: every visible cell is drawn again after a week change,
and padding laid-out segments costs a fraction of wrapping and justifying Text (a week change
must be on screen within 100 ms on a million entries).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Input

from keito_core.reports.week import WeekCell, WeekReport, WeekRow
from keito_core.rules.durations import format_duration

TOTAL_ROW = "__total__"
LOCK_MARK = "🔒"
#: The lock mark in NARROW_DAY columns, where 🔒 (two cells) would leave no gap between cells.
NARROW_LOCK_MARK = "⊘"
SEVERAL_MARK = "+"
RUNNING_MARK = "▶"
#: Keys that start editing a cell, with what they type first.
EDIT_KEYS = frozenset("0123456789.:")
#: The terminal width from which day headers show the date in full.
WIDE = 120
#: The width of a day column below WIDE.
NARROW_DAY = 6
#: The narrowest names column that shows a row on one line.
ONE_LINE_LABEL = 24

PLAIN = Style.null()
DIM = Style(dim=True)
BOLD = Style(bold=True)
SEVERAL = Style.parse("bold cyan")
RUNNING = Style.parse("green")
GRAND_TOTAL = Style.parse("bold reverse")


class GridText:
    """A cell: lines of (text, style) parts over a base style, right-justified or else cut
    with an ellipsis, drawn exactly as its rich Text (`as_text`) is drawn.

    Rich wraps and justifies Text on every draw; `laid_out` does no more than pad or cut each
    line, which is what lets the grid redraw fast. It has no `__rich_measure__`: the grid's
    columns have fixed widths, and DataTable measuring every cell after a change is waste.
    """

    __slots__ = ("lines", "style", "right", "plain", "widths", "printable")

    def __init__(self, *lines: tuple[tuple[str, Style], ...], style: Style = PLAIN,
                 right: bool = False) -> None:
        self.lines = lines
        self.style = style
        self.right = right
        self.plain = "\n".join("".join(text for text, _ in line) for line in lines)
        self.widths = tuple(sum(cell_len(text) for text, _ in line) for line in lines)
        self.printable = all(text.isprintable() for line in lines for text, _ in line)

    @classmethod
    def of(cls, text: str, style: Style = PLAIN, *, right: bool = True) -> GridText:
        """One line of text in one style, right-justified unless `right` is False."""
        return cls(((text, PLAIN),), style=style, right=right)

    def __str__(self) -> str:
        return self.plain

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GridText):
            return NotImplemented
        return (self.lines, self.style, self.right) == (other.lines, other.style, other.right)

    def __hash__(self) -> int:
        return hash((self.lines, self.style, self.right))

    def __repr__(self) -> str:
        return f"GridText({self.plain!r})"

    def as_text(self) -> Text:
        """The same cell as rich Text."""
        parts: list[tuple[str, Style] | str] = []
        for index, line in enumerate(self.lines):
            if index:
                parts.append("\n")
            parts.extend(line)
        if self.right:
            return Text.assemble(*parts, style=self.style, justify="right")
        return Text.assemble(*parts, style=self.style, no_wrap=True, overflow="ellipsis")

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.as_text()

    def laid_out(self, width: int, height: int) -> list[list[Segment]] | None:
        """`height` lines of `width` cells in the cell's own styles, as rich lays out
        `as_text`; None when only rich can say (control characters, or a right-justified line
        too wide, which rich folds)."""
        if not self.printable:
            return None
        base = self.style
        lines: list[list[Segment]] = []
        for index in range(height):
            if index >= len(self.lines):
                lines.append([Segment(" " * width)])
                continue
            parts, gap = self.lines[index], width - self.widths[index]
            if gap < 0:
                if self.right:
                    return None
                parts, gap = cut(parts, width), 0
            line = [Segment(" " * gap, base)] if self.right and gap else []
            line.extend(Segment(text, base + style if style else base)
                        for text, style in parts if text)
            if gap and not self.right:
                line.append(Segment(" " * gap))
            lines.append(line)
        return lines


def cut(parts: tuple[tuple[str, Style], ...], width: int) -> tuple[tuple[str, Style], ...]:
    """Parts cut to `width` cells with an ellipsis, as rich's Text.truncate cuts them (the
    ellipsis takes the style of the character it replaces)."""
    kept = set_cell_size("".join(text for text, _ in parts), width - 1) + "…"
    out: list[tuple[str, Style]] = []
    start = 0
    for text, style in parts:
        out.append((kept[start:start + len(text)], style))
        start += len(text)
    return tuple(out)


def styled(lines: list[list[Segment]], pre: Style, post: Style) -> list[list[Segment]]:
    """`lines` with `pre` under their own styles and `post` over them, as Textual's Styled
    applies them."""
    out: list[list[Segment]] = []
    for line in lines:
        segments: list[Segment] = []
        for text, style, _ in line:
            under = pre + style if style else pre
            segments.append(Segment(text, under + post if post else under))
        out.append(segments)
    return out


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
    day = 11 if wide else NARROW_DAY
    total = 8
    label = max(12, width - 7 * day - total - 2 - 1)
    return GridLayout(label=label, day=day, total=total, wide=wide)


def day_header(day: date, *, wide: bool, today: date) -> Text:
    """`Mo 23` (narrow) or `Mon 23 Nov` (wide); today's highlighted."""
    text = f"{day:%a %d %b}" if wide else f"{day:%a}"[:2] + f" {day.day}"
    return Text(text, style="bold reverse" if day == today else "", justify="right")


def cell_text(cell: WeekCell, fmt: str, width: int) -> GridText:
    """A cell's total with a mark (locked, a running timer, or several entries) that leaves
    a blank cell on its left in a column `width` cells wide where it can: narrow columns
    take the narrow lock mark, and a marked `10.50` drops its last 0."""
    value = format_duration(cell.seconds, fmt) if cell.seconds or cell.entries else ""
    if cell.locked:
        mark, value_style, mark_style = (
            LOCK_MARK if width > NARROW_DAY else NARROW_LOCK_MARK), DIM, PLAIN
    elif cell.running:
        mark, value_style, mark_style = RUNNING_MARK, PLAIN, RUNNING
    elif cell.entries > 1:
        mark, value_style, mark_style = SEVERAL_MARK, PLAIN, SEVERAL
    else:
        return GridText.of(value, PLAIN) if value else GridText.of("·", DIM)
    return GridText(((fitted(value, mark, width), value_style), (mark, mark_style)), right=True)


def fitted(value: str, mark: str, width: int) -> str:
    """`value` without its decimals' trailing 0 when, with `mark`, it would leave no blank
    cell in a column `width` wide (`10.50` -> `10.5`; `10.25` and `10:30` stay)."""
    if cell_len(value) + cell_len(mark) < width or "." not in value or not value.endswith("0"):
        return value
    return value[:-1]


def row_label(row: WeekRow, width: int = ONE_LINE_LABEL) -> GridText:
    """`Project · Task  Client` (the client dimmed) on one line in a names column `width`
    wide from ONE_LINE_LABEL; narrower, project and client first and the task below."""
    if width >= ONE_LINE_LABEL:
        return GridText(((" ", PLAIN), (row.project_name, BOLD), (f" · {row.task_name}", PLAIN),
                         (f"  {row.client_name}", DIM)))
    return GridText(((" ", PLAIN), (row.project_name, BOLD), (f" · {row.client_name}", DIM)),
                    (("   " + row.task_name, PLAIN),))


def row_height(layout: GridLayout) -> int:
    """Lines a row takes in `layout`."""
    return 1 if layout.label >= ONE_LINE_LABEL else 2


class WeekGrid(DataTable[GridText]):
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
        """Fill the grid with `rows` of `report`, keeping the cursor on the same row and day;
        the same rows and days as shown already change only the cells that changed."""
        same = (self.report is not None and width == self.layout_width
                and (report.days, report.today) == (self.report.days, self.report.today)
                and [row.key for row in rows] == [row.key for row in self.rows_shown])
        if same:
            self.update_cells(report, rows)
        else:
            self.rebuild(report, rows, width)

    def rebuild(self, report: WeekReport, rows: tuple[WeekRow, ...], width: int) -> None:
        """Lay out the columns for `width` and add every row again."""
        keep = self.selected()
        self.report, self.rows_shown = report, rows
        layout = grid_layout(width)
        self.layout_width = width
        self.clear(columns=True)
        self.add_column(Text(" Project · Task"), width=layout.label, key="label")
        for index, day in enumerate(report.days):
            self.add_column(day_header(day, wide=layout.wide, today=report.today),
                            width=layout.day, key=f"d{index}")
        self.add_column(Text("Total", justify="right"), width=layout.total, key="total")
        for row in rows:
            self.add_row(*self.row_cells(row, report), key=row.key, height=row_height(layout))
        if keep is not None:
            self.select(*keep)
        else:
            self.cursor_coordinate = Coordinate(0, 1)

    def update_cells(self, report: WeekReport, rows: tuple[WeekRow, ...]) -> None:
        """Put in the cells of `rows` whose text changed (the rows and columns stay)."""
        self.report, self.rows_shown = report, rows
        columns = [column.key for column in self.ordered_columns]
        wanted = [(row.key, self.row_cells(row, report)) for row in rows]
        for key, texts in wanted:
            for column, text in zip(columns, texts, strict=True):
                if self.get_cell(key, column) != text:
                    self.update_cell(key, column, text)

    def row_cells(self, row: WeekRow, report: WeekReport) -> list[GridText]:
        """A row's label, its day cells and its total."""
        fmt = str(report.duration_format)
        layout = grid_layout(self.layout_width)
        return [row_label(row, layout.label),
                *(cell_text(cell, fmt, layout.day) for cell in row.cells),
                GridText.of(format_duration(row.seconds, fmt), BOLD)]


    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> list[list[Segment]]:
        """Draw a GridText body cell from its laid-out lines, as DataTable would draw it.

        DataTable renders every cell through rich (Styled, Padding, Text, render_lines), which
        is most of the time a week change takes. This overrides DataTable's private
        `_render_cell` and uses its private caches and `_get_styles_to_render_cell` as Textual
        8.2.8 defines them (Textual is pinned; tests/tui/test_week.py checks the grid draws the
        same either way). The header, and any cell that does not fit, go to DataTable."""
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_index < 0 or row_key is None or column_key is None or self.cell_padding:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        cell = self._data[row_key][column_key]
        row = self.rows[row_key]
        own = (cell.laid_out(width, row.height)
               if isinstance(cell, GridText) and not row.auto_height else None)
        if own is None or row_index < self.fixed_rows or column_index < self.fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = styled(own, pre + component, post)
        self._cell_render_cache[cache_key] = lines
        return lines

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
        """Move `offset` days on (Tab: 1, Shift+Tab: -1), on to the next or previous row; the
        first and last cells of the grid are as far as it goes (no wrapping to the far end)."""
        if not self.rows_shown:
            return
        position = self.cursor_coordinate.row * 7 + self.cursor_coordinate.column - 1 + offset
        position = min(max(position, 0), 7 * len(self.rows_shown) - 1)
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


def total_cells(report: WeekReport, rows: tuple[WeekRow, ...]) -> list[GridText]:
    """The totals row: each day's total, and the week's."""
    fmt = str(report.duration_format)
    totals = [sum(row.cells[i].seconds for row in rows) for i in range(7)]
    return [GridText.of(" Total", BOLD, right=False),
            *(GridText.of(format_duration(s, fmt), BOLD) for s in totals),
            GridText.of(format_duration(sum(totals), fmt), GRAND_TOTAL)]


class WeekTotals(DataTable[GridText]):
    """The day and week totals under the grid, in the grid's columns: one line that does
    not scroll with the rows."""

    can_focus = False

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, show_header=False, show_cursor=False, cursor_type="none",
                         cell_padding=0)
        self.layout_width = 0

    def show(self, report: WeekReport, rows: tuple[WeekRow, ...], width: int) -> None:
        """The totals of `rows`, in columns laid out for `width`."""
        texts = total_cells(report, rows)
        if width != self.layout_width or not self.row_count:
            layout = grid_layout(width)
            self.layout_width = width
            self.clear(columns=True)
            self.add_column("", width=layout.label, key="label")
            for index in range(7):
                self.add_column("", width=layout.day, key=f"d{index}")
            self.add_column("", width=layout.total, key="total")
            self.add_row(*texts, key=TOTAL_ROW)
            return
        for column, text in zip([c.key for c in self.ordered_columns], texts, strict=True):
            if self.get_cell(TOTAL_ROW, column) != text:
                self.update_cell(TOTAL_ROW, column, text)
