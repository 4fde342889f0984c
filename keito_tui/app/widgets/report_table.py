"""The Reports view's table: a DataTable of one-line rich Text cells that fills and draws fast.

A year by person is some 340 rows of nine cells. DataTable adds a row at a time (moving the
cursor and asking for an idle pass each time), then measures every cell through rich, then
draws each visible cell through rich's wrapping, justifying and padding: together about 80 ms
of the view's redraw. Every cell here is one line of Text (the view makes them), so:

- `add_rows` adds them all at once, with one cursor check and one idle request;
- `_update_dimensions` takes a cell's width from `Text.cell_len` (what rich measures for one
  printable line);
- `_render_cell` lays a body cell's line out itself: the text's own segments, padded to the
  column (right-justified text on the left), between the cell padding, in the row's styles.

The last two override DataTable's private methods and use its private fields as Textual
8.2.8 defines them (Textual is pinned); tests/tui/test_report_table.py checks that the table
measures and draws exactly as DataTable does. Anything else (a header, a fixed row or column,
several lines, control characters, a cell too wide for its column) goes to DataTable.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import zip_longest
from typing import Any, cast

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets._data_table import CellType, Row, RowKey

from keito_tui.app.widgets.week_grid import styled


def one_line(cell: object) -> Text | None:
    """`cell` when it is one printable line of rich Text (the cells this table lays out)."""
    if isinstance(cell, Text) and cell.plain.isprintable():
        return cell
    return None


class ReportTable(DataTable[Text], inherit_bindings=False):
    """The report's rows: the vertical keys and sideways scrolling; enter is the view's."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("left", "cursor_left", "Scroll left", show=False),
        Binding("right", "cursor_right", "Scroll right", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "scroll_top", "First", show=False),
        Binding("end", "scroll_bottom", "Last", show=False),
    ]

    def add_rows(self, rows: Iterable[Iterable[CellType]]) -> list[RowKey]:
        """Add one-line rows at the bottom, all at once (DataTable.add_row's bookkeeping, the
        cursor checked and an idle pass asked for once)."""
        columns = self.ordered_columns
        was_empty = self.row_count == 0
        keys: list[RowKey] = []
        for cells in rows:
            values = list(cells)
            if len(values) > len(columns):
                raise ValueError("More values provided than there are columns.")
            key = RowKey(None)
            self._row_locations[key] = self.row_count
            self._data[key] = {column.key: cast(Text, value)
                               for column, value in zip_longest(columns, values)}
            self.rows[key] = Row(key, 1, None, False)
            self._new_rows.add(key)
            keys.append(key)
        if not keys:
            return keys
        self._require_update_dimensions = True
        self.cursor_coordinate = self.cursor_coordinate
        if was_empty and columns and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self._update_count += 1
        self.check_idle()
        return keys

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        """Column widths from the new rows' cells, as DataTable measures them."""
        new = [key for key in new_rows if key in self._row_locations]
        if any(self.rows[key].label is not None or self.rows[key].auto_height
               for key in new):
            super()._update_dimensions(new)
            return
        columns = self.ordered_columns
        widths = [column.content_width for column in columns]
        for key in new:
            data = self._data[key]
            for index, column in enumerate(columns):
                value = data.get(column.key)
                if value is None:
                    continue
                text = one_line(value)
                if text is None:
                    super()._update_dimensions(new)
                    return
                widths[index] = max(widths[index], text.cell_len)
        for column, width in zip(columns, widths, strict=True):
            column.content_width = width
        total_width = (sum(column.get_render_width(self) for column in self.columns.values())
                       + self._row_label_column_width)
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(total_width, self._total_row_height + header_height)

    def _render_cell(self, row_index: int, column_index: int, base_style: Style, width: int,
                     cursor: bool = False, hover: bool = False) -> Any:
        """Draw a one-line Text body cell as DataTable would, without rich's layout."""
        row_key = self._row_locations.get_key(row_index) if row_index >= 0 else None
        column_key = self._column_locations.get_key(column_index)
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        if row_key is None or column_key is None or fixed or column_index < 0:
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        cache_key = (row_key, column_key, base_style, cursor, hover, self._show_hover_cursor,
                     self._update_count, self._pseudo_class_state)
        lines = self._cell_render_cache.get(cache_key)
        if lines is not None:
            return lines
        text = one_line(self._data[row_key].get(column_key))
        pad = self.cell_padding
        inner = width - 2 * pad
        if (text is None or self.rows[row_key].height != 1 or inner < 0
                or text.cell_len > inner):
            return super()._render_cell(row_index, column_index, base_style, width, cursor,
                                        hover)
        component, post = self._get_styles_to_render_cell(
            False, False, False, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css")
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index})
        lines = styled([_laid_out(text, inner, pad, self.app.console)], pre + component, post)
        self._cell_render_cache[cache_key] = lines
        return lines


def _laid_out(text: Text, inner: int, pad: int, console: Any) -> list[Segment]:
    """One line of `text` in `inner` cells between `pad` blank cells, as rich's Padding of
    the Text lays it out: right-justified text gets its gap on the left in the text's style,
    other text its gap on the right as blank padding."""
    gap = inner - text.cell_len
    line: list[Segment] = [Segment(" " * pad)] if pad else []
    base = console.get_style(text.style) if text.style else Style.null()
    if text.justify == "right" and gap:
        line.append(Segment(" " * gap, base))
    if text.spans:  # the text's own style under its spans', as rich renders a line
        line.extend(segment for segment in text.render(console, end="") if segment.text)
    elif text.plain:
        line.append(Segment(text.plain, base if text.style else None))
    if text.justify == "left" and gap:
        line.append(Segment(" " * gap, base))
    elif text.justify != "right" and gap:
        line.append(Segment(" " * gap))
    if pad:
        line.append(Segment(" " * pad))
    return line

