"""The Settings view: every workspace setting and its value (read-only for now)."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer, Header

from keito_core.errors import KeitoError
from keito_core.runtime import Runtime
from keito_tui.app.loaders import ErrorInfo, Listing, Row, settings_rows
from keito_tui.app.screens.base import MainView
from keito_tui.app.widgets.record_view import Column, RecordView

COLUMNS = (
    Column("key", "Setting"),
    Column("value", "Value", max_width=30),
    Column("description", "Description"),
)


class SettingsScreen(MainView):
    """Settings in the registry's order, grouped by their key prefixes."""

    VIEW_NAME = "Settings"

    class Loaded(Message):
        def __init__(self, rows: tuple[Row, ...]) -> None:
            super().__init__()
            self.rows = rows

    def compose(self) -> ComposeResult:
        yield Header()
        yield RecordView(COLUMNS, singular="setting", plural="settings", id="settings")
        yield Footer()

    def reload(self) -> None:
        self.load_data(self.runtime)

    @work(thread=True, exclusive=True, group="settings")
    def load_data(self, runtime: Runtime) -> None:
        try:
            with runtime.session(readonly=True) as session:
                rows = settings_rows(session, actor=runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(rows))

    def on_settings_screen_loaded(self, message: Loaded) -> None:
        self.query_one("#settings", RecordView).listing = Listing(message.rows)
