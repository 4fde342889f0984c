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
GLOBAL_FLAGS = {"--json": "json", "--quiet": "quiet", "-q": "quiet"}


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


@dataclass
class Output:
    """Renders records, lists and messages for people (tables) or programs (JSON)."""

    json: bool = False
    quiet: bool = False
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
            if isinstance(value, Mapping):
                value = json.dumps(to_jsonable(value), ensure_ascii=False) if value else ""
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
    ) -> None:
        """Many objects: JSON {"data": [...], ...extra}; a table with `columns` on a terminal."""
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
        table = Table(title=title)
        for column in columns:
            if column == "id":  # IDs are there to be copied: never cut or wrapped
                longest = max(len(_cell(row.get(column))) for row in rows)
                table.add_column("id", no_wrap=True, min_width=longest)
            else:
                table.add_column(column.replace("_", " "))
        for row in rows:
            table.add_row(*(_cell(row.get(column)) for column in columns))
        console.print(table)

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
