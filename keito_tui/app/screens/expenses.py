"""The Expenses view (being built): Expenses."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from keito_tui.app.screens.base import MainView


class ExpensesScreen(MainView):
    """A placeholder until the view is built."""

    VIEW_NAME = "Expenses"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Expenses", id="expenses-placeholder")
        yield Footer()

    def reload(self) -> None:
        """Nothing to read yet."""
