"""The Week view (being built): The week grid."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from keito_tui.app.screens.base import MainView


class WeekScreen(MainView):
    """A placeholder until the view is built."""

    VIEW_NAME = "Week"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("The week grid", id="week-placeholder")
        yield Footer()

    def reload(self) -> None:
        """Nothing to read yet."""
