"""The help dialog: every key binding, from the app's action registry."""

from __future__ import annotations

from collections.abc import Sequence

from rich.table import Table
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from keito_tui.app.widgets.footer import KeitoFooter

#: (key as shown, what it does, a longer description)
HelpRow = tuple[str, str, str]


class HelpScreen(ModalScreen[None]):
    """Lists the keys it is given; any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close",
                tooltip="Close the help dialog", key_display="esc"),
    ]

    def __init__(self, rows: Sequence[HelpRow]) -> None:
        super().__init__()
        self.rows = tuple(rows)

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Static("Keys", id="help-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.keys_table(), id="help-keys")
            yield Static("↑ ↓ PgUp PgDn scroll · Esc closes this dialog.", id="help-note",
                         markup=False)
        yield KeitoFooter()

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()  # the arrows scroll the keys

    def keys_table(self) -> Table:
        table = Table(box=None, expand=True, show_edge=False, header_style="bold")
        table.add_column("Key", no_wrap=True)
        table.add_column("Action", no_wrap=True)
        table.add_column("Description", ratio=1)
        for key, description, help_text in self.rows:
            table.add_row(key, description, help_text)
        return table
