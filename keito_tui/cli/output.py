"""One place that renders results: tables on a terminal, JSON otherwise, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TextIO

from keito_core.errors import KeitoError

#: Flags accepted anywhere on the command line, before or after the command.
GLOBAL_FLAGS = {"--json": "json", "--quiet": "quiet", "-q": "quiet", "--ids": "ids"}
#: Table columns whose values people type into the next command: never cut or wrapped.
TYPED_COLUMNS = frozenset({"handle", "code", "prefix", "email", "number"})
#: Short values read at a glance (dates, amounts): never cut or wrapped either.
WHOLE_COLUMNS = frozenset({"spent_date", "hours", "total", "total_hours", "created_at",
                           "action"})
#: Names, typed too (`--user review-bot-01`, `--category "LLM Usage"`): wrapped between words,
#: cut only when a single word cannot fit.
NAME_COLUMNS = frozenset({"name", "user", "project", "task", "category", "client", "client_name",
                          "period"})
#: Characters of an ID's random tail kept in a short ID (more when two rows would share one).
SHORT_ID_TAIL = 6
#: Table headings shorter than their keys, so narrow columns of flags and rates fit.
HEADINGS = {"default_hourly_rate": "rate", "billable_rate": "rate", "client_name": "client",
            "user_type": "type", "unit_name": "unit"}


def heading(column: str) -> str:
    """A column's heading: `is_active` -> `active`, `client_name` -> `client`."""
    return HEADINGS.get(column, column.removeprefix("is_")).replace("_", " ")


def _is_id(column: str) -> bool:
    return column == "id" or column.endswith("_id")


def short_ids(ids: Iterable[str]) -> dict[str, str]:
    """`te_…k4f7qz` for each ID: its prefix and enough of its random tail to tell them apart."""
    whole = sorted({value for value in ids if value})
    for tail in range(SHORT_ID_TAIL, 40):
        short = {}
        for value in whole:
            prefix, sep, rest = value.partition("_")
            short[value] = (f"{prefix}_…{rest[-tail:]}" if sep and len(rest) > tail + 1
                            else value)
        if len(set(short.values())) == len(short):
            return short
    return {value: value for value in whole}  # pragma: no cover - distinct IDs end apart


def to_jsonable(value: Any) -> Any:
    """Plain JSON values: Decimal -> number, datetimes -> ISO 8601 (UTC with Z)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    return value


def hours_text(hours: Any) -> str:
    """1.5 -> "1h 30m"."""
    minutes = round(float(hours) * 60)
    h, m = divmod(minutes, 60)
    return f"{h}h {m:02d}m" if h else f"{m}m"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def _floor(column: str, values: list[str], natural: int, tier: int = 0,
           whole: frozenset[str] = frozenset()) -> int:
    """The narrowest a column may get: IDs, typed values, dates and amounts whole; at tier 0
    names cut only between words (`--user review-bot-01` is typed too) and notes kept
    readable; at tier 1 notes, at tier 2 names too, down to a few characters."""
    if _is_id(column) or column in TYPED_COLUMNS or column in WHOLE_COLUMNS or column in whole:
        return natural
    if column in NAME_COLUMNS and tier < 2:
        return max([len(word) for value in values for word in value.split()] or [1])
    return min(natural, 16 if column in ("notes", "title", "note") and tier < 1 else 4)


def _fit(natural: list[int], floors: list[int], room: int) -> list[int]:
    """Column widths within `room`: each column gets its floor, then the spare room goes to
    the columns that need least first (they show whole), the rest shared evenly."""
    widths = list(floors)
    spare = room - sum(floors)
    wanting = sorted((i for i in range(len(widths)) if natural[i] > widths[i]),
                     key=lambda i: natural[i] - widths[i])
    while wanting and spare > 0:
        share = spare // len(wanting)
        first = wanting[0]
        if natural[first] - widths[first] <= share:
            spare -= natural[first] - widths[first]
            widths[first] = natural[first]
            wanting.pop(0)
            continue
        for rank, i in enumerate(wanting):
            widths[i] += share + (1 if rank < spare - share * len(wanting) else 0)
        break
    return widths


@dataclass
class Output:
    """Renders records, lists and messages for people (tables) or programs (JSON)."""

    json: bool = False
    quiet: bool = False
    #: --ids: tables show IDs whole even where they would be shortened to fit.
    whole_ids: bool = False
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)

    @classmethod
    def detect(cls, *, json_flag: bool, quiet: bool) -> Output:
        """JSON when asked for, or when stdout is not a terminal."""
        return cls(json=json_flag or not sys.stdout.isatty(), quiet=quiet)

    def _emit_json(self, payload: Any) -> None:
        self.stdout.write(json.dumps(to_jsonable(payload), ensure_ascii=False) + "\n")

    def record(
        self, data: Mapping[str, Any], *, title: str | None = None, message: str | None = None
    ) -> None:
        """One object: JSON as-is; on a terminal a two-column table (or just the ID with -q)."""
        if self.quiet:
            if "id" in data:
                self.stdout.write(f"{data['id']}\n")
            return
        if self.json:
            self._emit_json(data)
            return
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.stdout)
        if message:
            console.print(f"[green]✓[/] {message}")
        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold cyan")
        table.add_column()
        for key, value in data.items():
            if key == "hours" and value is not None and not isinstance(value, bool):
                value = hours_text(value)  # as every other hours on a terminal: 1h 30m
            elif isinstance(value, Mapping):
                value = ", ".join(f"{k}={_cell(v)}" for k, v in value.items()
                                  if v not in (None, ""))
            elif isinstance(value, list) and value and isinstance(value[0], Mapping):
                value = "\n".join(
                    ", ".join(f"{k}={_cell(v)}" for k, v in item.items() if v not in (None, ""))
                    for item in value
                )
            table.add_row(key, _cell(value))
        console.print(table)

    def listing(
        self,
        rows: Sequence[Mapping[str, Any]],
        *,
        columns: Iterable[str],
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        optional: Sequence[str] = (),
        whole: Iterable[str] = (),
    ) -> None:
        """Many objects: JSON {"data": [...], ...extra}; a table with `columns` on a terminal.

        On a narrow terminal IDs are shortened (not with --ids), and the `optional` columns
        (those of them listed) are left out, last first, while the table cannot show every
        value whole. The `whole` columns (amounts, dates) are never cut, like WHOLE_COLUMNS.
        """
        if self.quiet:
            for row in rows:
                self.stdout.write(f"{row.get('id', '')}\n")
            return
        if self.json:
            self._emit_json({"data": list(rows), **(extra or {})})
            return
        from rich.console import Console
        from rich.table import Table

        console = Console(file=self.stdout)
        if not rows:
            console.print(f"[dim]No {title.lower() if title else 'results'}.[/]")
            return
        columns = list(columns)
        for column in reversed([c for c in optional if c in columns]):
            if self._natural_width(rows, columns) <= console.width:
                break
            columns.remove(column)
        cells = [[_cell(row.get(column)) for column in columns] for row in rows]
        widths = [max(len(heading(column)), *(len(line[i]) for line in cells))
                  for i, column in enumerate(columns)]
        ids = [i for i, column in enumerate(columns) if _is_id(column)]
        shorten = (ids and not self.whole_ids
                   and sum(widths) + 3 * len(columns) + 1 > console.width)
        if shorten:
            short = short_ids(line[i] for line in cells for i in ids)
            for line in cells:
                for i in ids:
                    line[i] = short.get(line[i], line[i])
        natural = [max(len(heading(column)), *(len(line[i]) for line in cells))
                   for i, column in enumerate(columns)]
        room = console.width - 3 * len(columns) - 1  # one space each side and the rules
        kept = frozenset(whole)
        for tier in range(3):
            floors = [_floor(column, [line[i] for line in cells], natural[i], tier, kept)
                      for i, column in enumerate(columns)]
            if sum(floors) <= room:
                break
        fitted = _fit(natural, floors, room) if sum(natural) > room else None
        table = Table(title=title, caption="IDs shortened to fit: --ids shows them whole, "
                      "--json or -q prints them" if shorten else None)
        for i, column in enumerate(columns):
            typed = (_is_id(column) or column in TYPED_COLUMNS or column in WHOLE_COLUMNS
                     or column in kept)
            table.add_column(heading(column), no_wrap=typed,
                             width=fitted[i] if fitted else None)
        for line in cells:
            table.add_row(*line)
        console.print(table)

    def _natural_width(self, rows: Sequence[Mapping[str, Any]], columns: list[str]) -> int:
        """The width of a table of `columns` with every value whole (IDs shortened unless
        --ids), rules included."""
        width = 3 * len(columns) + 1
        for column in columns:
            values = [_cell(row.get(column)) for row in rows]
            if _is_id(column) and not self.whole_ids:
                values = list(short_ids(values).values()) or [""]
            width += max(len(heading(column)), *(len(value) for value in values))
        return width

    def message(self, text: str, *, data: Mapping[str, Any] | None = None) -> None:
        """A confirmation: JSON `data` (or {"message": text}) for programs, a line for people."""
        if self.quiet:
            if data and "id" in data:
                self.stdout.write(f"{data['id']}\n")
            return
        if self.json:
            self._emit_json(data if data is not None else {"message": text})
            return
        self.stdout.write(f"✓ {text}\n")

    def warn(self, text: str) -> None:
        """A diagnostic for people; always on stderr so stdout stays data."""
        if not self.quiet:
            self.stderr.write(f"warning: {text}\n")

    def error(self, error: KeitoError) -> None:
        if self.json:
            self.stderr.write(json.dumps(error.to_dict(), ensure_ascii=False) + "\n")
            return
        line = f"error: {error.message}"
        if error.field:
            line += f" ({error.field})"
        self.stderr.write(line + "\n")
        if error.hint:
            self.stderr.write(f"hint: {error.hint}\n")
