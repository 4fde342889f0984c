"""Streaming CSV and XLSX writers over typed columns (keito_core.reports.analysis.result.Column).

Every export and every report is written by these two functions, so a figure reads the same in
a spreadsheet as on screen. Both take `rows` as an iterable of dicts keyed by the columns'
`key` (extra keys, such as a report's private `_keys`, are ignored; a missing key is empty),
consumed once, one row at a time: memory stays flat however many rows there are.

How each column kind is written:

| kind    | CSV                                  | XLSX                                        |
|---------|--------------------------------------|---------------------------------------------|
| text    | as is                                | a string (never a formula)                  |
| date    | ISO 8601 (2026-03-05)                | a date, `yyyy-mm-dd`                        |
| hours   | the Decimal's own digits (1.50)      | a number, `0.00`                            |
| money   | the Decimal's own digits, at least 2 | a number, `#,##0.00` (the currency's minor  |
|         | places (150.00, 0.003), never float  | unit when the row has a `currency`)         |
| number  | the integer                          | a number, `0`                               |
| percent | the Decimal (45.5 means 45.5 %)      | a percentage, `0.0%`                        |
| bool    | Yes / No                             | Yes / No (the reference's wording)          |
| json    | compact JSON text; empty for {}      | the same text                               |

Numbers go into the XLSX file as the Decimal's exact digits: openpyxl would format them with
"%.16g" through a float, exact to 15 or 16 significant digits only.

CSV carries no totals row (it is data for other tools); XLSX ends with one totals row per
currency, summed while the rows stream by (`totals=True`), or with the totals given (a
report's, summed by SQL).
"""

from __future__ import annotations

import csv
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from itertools import chain, islice
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from keito_core.rules.money import CURRENCY_EXPONENTS

if TYPE_CHECKING:
    from keito_core.reports.analysis.result import Column

Row = Mapping[str, Any]
#: Called with the number of rows written so far, every PROGRESS_EVERY rows and at the end.
OnRow = Callable[[int], None]

PROGRESS_EVERY = 1000
#: Rows an XLSX sheet holds (Excel's limit, header included); more continue on a new sheet.
XLSX_MAX_ROWS = 1_048_576
#: Excel's limit on the characters of one cell.
XLSX_MAX_CELL = 32_767
#: Rows looked at to size the XLSX columns (read ahead, so memory stays bounded).
WIDTH_SAMPLE = 200

MONEY_FORMATS = {0: "#,##0", 1: "#,##0.0", 2: "#,##0.00", 3: "#,##0.000"}
HOURS_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
PERCENT_FORMAT = "0.0%"
NUMBER_FORMAT = "0"
_TWO_PLACES = Decimal("0.01")
_HUNDRED = Decimal(100)


def json_text(value: Any) -> str:
    """Compact JSON (`{"model":"claude"}`), empty for None and {}."""
    if value is None or value == {}:
        return ""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def decimal_text(value: Decimal | int, *, min_places: int = 0) -> str:
    """The number's exact digits in plain notation (never `1E+1`), with at least
    `min_places` decimals: `decimal_text(Decimal("150"), min_places=2)` is `150.00`."""
    number = Decimal(value)
    if not number:
        number = Decimal(0)  # 0E-6 and -0 read as 0
    text = format(number, "f")
    if min_places:
        dot = text.find(".")
        places = 0 if dot < 0 else len(text) - dot - 1
        if places < min_places:
            text += ("" if dot >= 0 else ".") + "0" * (min_places - places)
    return text


def _text(value: Any) -> str:
    return value.value if isinstance(value, Enum) else str(value)


def _money_text(value: Decimal) -> str:
    """Money as CSV shows it: the exact digits, at least 2 decimal places."""
    text = str(value)
    dot = text.find(".")
    if dot < 0 or len(text) - dot < 3 or "E" in text:
        return decimal_text(value, min_places=2)
    return text


def _number_text(value: Decimal | int) -> str:
    text = str(value)
    return decimal_text(value) if "E" in text else text


def _json_cell(value: Any) -> str:
    """JSON values: a dict or list as compact JSON; a str is JSON text already."""
    return value if isinstance(value, str) else json_text(value)


#: Per kind, how a (non-empty) value becomes CSV text; None: as it is.
_CSV_TEXT: dict[str, Callable[[Any], Any] | None] = {
    "text": _text, "date": date.isoformat, "hours": _number_text, "money": _money_text,
    "number": _number_text, "percent": _number_text,
    "bool": lambda value: "Yes" if value else "No", "json": _json_cell,
}


def _csv_cell(kind: str, value: Any) -> Any:
    """One value as CSV text."""
    if value is None:
        return ""
    convert = _CSV_TEXT[kind]
    return convert(value) if convert is not None else value


def _progress(on_row: OnRow | None, count: int) -> None:
    if on_row is not None and count % PROGRESS_EVERY == 0:
        on_row(count)


def _picker(keys: list[str]) -> Callable[[Row], list[Any]]:
    """The row's values in column order (None for a missing key): one C call per row when
    every key is there (the usual case), key by key otherwise."""
    if not keys:
        return lambda row: []
    getter = operator.itemgetter(*keys)
    single = len(keys) == 1

    def pick(row: Row) -> list[Any]:
        try:
            found = getter(row)
        except KeyError:
            return [row.get(key) for key in keys]
        return [found] if single else list(found)

    return pick


def write_csv(stream: TextIO, columns: Sequence[Column], rows: Iterable[Row], *,
              on_row: OnRow | None = None, header: bool = True) -> int:
    """Write `rows` to `stream` as CSV (a heading row of the columns' titles first); the
    number of rows written. `stream` should be opened with `newline=""`."""
    writer = csv.writer(stream)
    if header:
        writer.writerow([c.title for c in columns])
    keys = [c.key for c in columns]
    # Text goes to the csv module as it is: it writes None as empty, a StrEnum as its value.
    converted = [(i, _CSV_TEXT[c.kind]) for i, c in enumerate(columns) if c.kind != "text"]
    pick = _picker(keys)
    count = 0
    writerow = writer.writerow
    for row in rows:
        values = pick(row)
        for i, convert in converted:
            value = values[i]
            if value is not None:
                values[i] = convert(value)  # type: ignore[misc]
        writerow(values)
        count += 1
        if on_row is not None and count % PROGRESS_EVERY == 0:
            on_row(count)
    if on_row is not None:
        on_row(count)
    return count


# --- XLSX ---------------------------------------------------------------------------------


class _Totals:
    """Running sums of the `total` columns, per currency (None: no currency column)."""

    def __init__(self, columns: Sequence[Column], currency_key: str | None) -> None:
        self.keys = [c.key for c in columns if c.total and c.kind in ("hours", "money",
                                                                        "number")]
        self.currency_key = currency_key
        self.sums: dict[str | None, dict[str, Decimal]] = {}

    def add(self, row: Row) -> None:
        if not self.keys:
            return
        currency = row.get(self.currency_key) if self.currency_key else None
        sums = self.sums.get(currency)
        if sums is None:
            sums = self.sums[currency] = dict.fromkeys(self.keys, Decimal(0))
        for key in self.keys:
            value = row.get(key)
            if value is not None:
                sums[key] += value

    def rows(self) -> list[dict[str, Any]]:
        ordered = sorted(self.sums.items(), key=lambda item: item[0] or "")
        out = []
        for currency, sums in ordered:
            total: dict[str, Any] = dict(sums)
            if self.currency_key:
                total[self.currency_key] = currency
            out.append(total)
        return out


def _width(kind: str, title: str, sample: Sequence[Row], key: str) -> float:
    """A column's width in characters: its title, its kind, the widest sampled value."""
    floor = {"date": 11, "hours": 8, "money": 12, "bool": 5, "number": 8, "percent": 8,
             "json": 12, "text": 8}[kind]
    longest = max((len(_csv_cell(kind, row.get(key))) for row in sample), default=0)
    if kind == "money":
        longest += longest // 3  # thousands separators
    return float(min(max(floor, len(title) + 2, longest + 2), 60))


class _Sheets:
    """The workbook's sheets: a new one (with the header) when one is full."""

    def __init__(self, workbook: Any, columns: Sequence[Column], title: str,
                 sample: Sequence[Row]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter

        self.workbook, self.columns, self.title = workbook, columns, title
        self.widths = [(get_column_letter(i), _width(c.kind, c.title, sample, c.key))
                       for i, c in enumerate(columns, 1)]
        self.cell_type = WriteOnlyCell
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", start_color="FFD9E1F2", end_color="FFD9E1F2")
        self.header_alignment = Alignment(vertical="center")
        self.count = 0
        self.rows_in_sheet = 0
        self.sheet: Any = None
        self.new_sheet()

    def new_sheet(self) -> None:
        self.count += 1
        name = self.title if self.count == 1 else f"{self.title} ({self.count})"
        sheet = self.workbook.create_sheet(name[:31])
        sheet.freeze_panes = "A2"
        for letter, width in self.widths:
            sheet.column_dimensions[letter].width = width
        header = []
        for column in self.columns:
            cell = self.cell_type(sheet, value=column.title)
            cell.font = self.header_font
            cell.fill = self.header_fill
            cell.alignment = self.header_alignment
            header.append(cell)
        sheet.append(header)
        self.sheet, self.rows_in_sheet = sheet, 1

    def append(self, values: list[Any]) -> None:
        if self.rows_in_sheet >= XLSX_MAX_ROWS:
            self.new_sheet()
        self.sheet.append(values)
        self.rows_in_sheet += 1


class _CellMaker:
    """Typed cells: one reusable styled cell per (column, format), its value set per row
    (write-only sheets write a row as soon as it is appended, so reuse is safe)."""

    def __init__(self, sheets: _Sheets) -> None:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self.sheets = sheets
        self.illegal = ILLEGAL_CHARACTERS_RE
        self.styled: dict[tuple[int, str, bool], Any] = {}

    def _cell(self, index: int, number_format: str, bold: bool = False) -> Any:
        key = (index, number_format, bold)
        cell = self.styled.get(key)
        if cell is None or cell.parent is not self.sheets.sheet:
            cell = self.sheets.cell_type(self.sheets.sheet)
            cell.number_format = number_format
            if bold:
                cell.font = self.sheets.header_font
            self.styled[key] = cell
        return cell

    def number(self, index: int, text: str, number_format: str, bold: bool) -> Any:
        cell = self._cell(index, number_format, bold)
        cell.value = text
        cell.data_type = "n"  # the exact digits, not openpyxl's float rendering
        return cell

    def string(self, index: int, value: str, bold: bool = False) -> Any:
        if self.illegal.search(value):
            value = self.illegal.sub("", value)
        value = value[:XLSX_MAX_CELL]
        if not bold and not value.startswith("="):
            return value
        cell = self._cell(index, "General", bold)
        cell.value = value
        cell.data_type = "s"  # text typed by a person is never a formula
        return cell

    def row(self, columns: Sequence[Column], row: Row, currency_key: str | None,
            bold: bool = False) -> list[Any]:
        places = 2
        if currency_key is not None:
            places = CURRENCY_EXPONENTS.get(row.get(currency_key) or "", 2)
        out: list[Any] = []
        for index, column in enumerate(columns):
            value = row.get(column.key)
            kind = column.kind
            if value is None:
                out.append(None)
            elif isinstance(value, str) and kind != "text":
                out.append(self.string(index, value, bold))  # a totals row's label
            elif kind == "money":
                out.append(self.number(index, decimal_text(value), MONEY_FORMATS[places], bold))
            elif kind == "hours":
                out.append(self.number(index, decimal_text(value), HOURS_FORMAT, bold))
            elif kind == "number":
                out.append(self.number(index, decimal_text(value), NUMBER_FORMAT, bold))
            elif kind == "percent":
                out.append(self.number(index, decimal_text(Decimal(value) / _HUNDRED),
                                       PERCENT_FORMAT, bold))
            elif kind == "date":
                cell = self._cell(index, DATE_FORMAT, bold)
                cell.value = value
                out.append(cell)
            elif kind == "bool":
                out.append(self.string(index, "Yes" if value else "No", bold))
            elif kind == "json":
                out.append(self.string(index, json_text(value), bold))
            else:
                out.append(self.string(index, _text(value), bold))
        return out


def _sheet_title(title: str) -> str:
    """`title` as a sheet may be named: no []:*?/\\ and at most 25 characters (room for
    a continuation sheet's ` (2)`)."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip(" '")
    return cleaned[:25].strip() or "Export"


def _currency_key(columns: Sequence[Column]) -> str | None:
    return "currency" if any(c.key == "currency" for c in columns) else None


def write_xlsx(target: str | Path | IO[bytes], columns: Sequence[Column],
               rows: Iterable[Row], *,
               totals: bool | Sequence[Row] = True, on_row: OnRow | None = None,
               title: str = "Export") -> int:
    """Write `rows` to an XLSX workbook at `target` (a path or a binary stream); the number
    of data rows written.

    A bold, filled header row frozen in place, columns sized from the first rows, typed
    cells (see the module's table), then the totals: `True` sums the `total` columns while
    streaming, one row per currency when the columns include `currency` (amounts in
    different currencies are never added together); a sequence of rows writes those (a
    report's totals, summed by SQL); `False` writes none. A sheet holds 1,048,576 rows;
    more continue on a second sheet with the same header.
    """
    from openpyxl import Workbook

    stream: Iterator[Row] = iter(rows)
    sample = list(islice(stream, WIDTH_SAMPLE))
    workbook = Workbook(write_only=True)
    sheets = _Sheets(workbook, columns, _sheet_title(title), sample)
    cells = _CellMaker(sheets)
    currency_key = _currency_key(columns)
    running = _Totals(columns, currency_key) if totals is True else None
    count = 0
    for row in chain(sample, stream):
        sheets.append(cells.row(columns, row, currency_key))
        if running is not None:
            running.add(row)
        count += 1
        _progress(on_row, count)
    total_rows: Sequence[Row] = (running.rows() if running is not None
                                 else () if totals is False else totals)  # type: ignore[assignment]
    for total in total_rows:
        labelled = dict(total)
        first = columns[0].key if columns else None
        if first is not None and labelled.get(first) is None:
            labelled[first] = "Total"
        sheets.append(cells.row(columns, labelled, currency_key, bold=True))
    if on_row is not None:
        on_row(count)
    workbook.save(target)
    return count
