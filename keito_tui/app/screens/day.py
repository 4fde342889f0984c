"""The Day view (being built): Today's entries."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from keito_tui.app.screens.base import MainView


class DayScreen(MainView):
    """A placeholder until the view is built."""

    VIEW_NAME = "Day"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Today's entries", id="day-placeholder")
        yield Footer()

    def reload(self) -> None:
        """Nothing to read yet."""
