"""The Inbox view (being built): Notifications."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from keito_tui.app.screens.base import MainView


class InboxScreen(MainView):
    """A placeholder until the view is built."""

    VIEW_NAME = "Inbox"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Notifications", id="inbox-placeholder")
        yield Footer()

    def reload(self) -> None:
        """Nothing to read yet."""
