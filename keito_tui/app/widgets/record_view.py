"""A read-only table of records given as plain rows, with a caption that counts them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import DataTable, Static

from keito_tui.app.loaders import Listing, Row

Cell = str | Text


def plain_cell(value: str | bool | None) -> Cell:
    """Flags as yes/no, nothing as a dash, text as it is."""
    if value is None:
        return Text("–", style="dim")
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value.replace("\n", " ⏎ ")


@dataclass(frozen=True)
class Column:
    """A table column: the row key it shows, its heading and how a value is drawn."""

    key: str
    label: str
    #: Longer values are cut with an ellipsis, so one long name cannot push the rest away.
    max_width: int | None = None
    render: Callable[[str | bool | None], Cell] = plain_cell

    def cell(self, value: str | bool | None) -> Cell:
        cell = self.render(value)
        if self.max_width is None or cell_len(str(cell)) <= self.max_width:
            return cell
        text = cell.copy() if isinstance(cell, Text) else Text(cell)
        text.truncate(self.max_width, overflow="ellipsis")
        return text


class RecordTable(DataTable[Cell]):
    """A DataTable whose columns are fixed at creation and whose rows are plain dicts."""

    def __init__(self, columns: Sequence[Column], *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.record_columns = tuple(columns)

    def on_mount(self) -> None:
        self._add_columns()

    def _add_columns(self) -> None:
        if not self.columns:
            for column in self.record_columns:
                self.add_column(column.label, key=column.key)

    def show_rows(self, rows: Sequence[Row]) -> None:
        """Replace the rows, keeping the cursor where it was when it can."""
        self._add_columns()
        cursor = self.cursor_row
        self.clear()
        for row in rows:
            cells = [column.cell(row.get(column.key)) for column in self.record_columns]
            self.add_row(*cells, key=str(row["id"]))
        if rows:
            self.move_cursor(row=min(cursor, len(rows) - 1))


class RecordView(Vertical):
    """A RecordTable and a caption; the parent sets `listing`."""

    DEFAULT_CSS = """
    RecordView { height: 1fr; }
    RecordView > RecordTable { height: 1fr; }
    RecordView > .record-view--caption { height: 1; padding: 0 1; color: $text-muted; }
    RecordView.-refused > .record-view--caption { color: $warning; }
    """

    listing: reactive[Listing | None] = reactive(None, init=False, always_update=True)

    def __init__(
        self, columns: Sequence[Column], *, singular: str, plural: str, id: str | None = None
    ) -> None:
        super().__init__(id=id)
        self.columns = tuple(columns)
        self.singular = singular
        self.plural = plural

    def compose(self) -> ComposeResult:
        yield RecordTable(self.columns)
        yield Static("Loading…", classes="record-view--caption", markup=False)

    @property
    def table(self) -> RecordTable:
        return self.query_one(RecordTable)

    def watch_listing(self, listing: Listing | None) -> None:
        if listing is None:
            return
        self.table.show_rows(listing.rows)
        self.set_class(listing.refused is not None, "-refused")
        self.query_one(".record-view--caption", Static).update(self.caption(listing))

    def caption(self, listing: Listing) -> str:
        if listing.refused:
            return f"Not shown: {listing.refused}."
        count = len(listing.rows)
        if count == 0:
            return f"No {self.plural} yet."
        return f"{count} {self.singular if count == 1 else self.plural}"
