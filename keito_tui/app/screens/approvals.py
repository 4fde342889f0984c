"""The Approvals view (being built): The approval queue."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from keito_tui.app.screens.base import MainView


class ApprovalsScreen(MainView):
    """A placeholder until the view is built."""

    VIEW_NAME = "Approvals"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("The approval queue", id="approvals-placeholder")
        yield Footer()

    def reload(self) -> None:
        """Nothing to read yet."""
