"""The Manage view: clients, projects, tasks, the team and expense categories (read-only)."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Footer, Header, TabbedContent, TabPane

from keito_core.errors import KeitoError
from keito_core.runtime import Runtime
from keito_tui.app.loaders import ErrorInfo, ManageData, manage_data
from keito_tui.app.screens.base import MainView
from keito_tui.app.widgets.record_view import Cell, Column, RecordView, plain_cell


def user_type_cell(value: str | bool | None) -> Cell:
    """Agents stand out with a violet label; people are plain."""
    if value == "agent":
        return Text(" Agent ", style="bold #ffffff on #7c3aed")
    return plain_cell("Human" if value == "human" else value)


#: (id, tab label, singular, plural, columns) for each table.
TABLES: tuple[tuple[str, str, str, str, tuple[Column, ...]], ...] = (
    ("clients", "Clients", "client", "clients", (
        Column("name", "Name", max_width=32), Column("currency", "Currency"),
        Column("city", "City", max_width=20),
        Column("active", "Active"),
    )),
    ("projects", "Projects", "project", "projects", (
        Column("client", "Client", max_width=20), Column("name", "Name", max_width=24),
        Column("code", "Code", max_width=12), Column("handle", "Handle", max_width=20),
        Column("type", "Type"), Column("bill_by", "Bill by"),
        Column("active", "Active"),
    )),
    ("tasks", "Tasks", "task", "tasks", (
        Column("name", "Name", max_width=32), Column("handle", "Handle", max_width=20),
        Column("billable", "Billable"),
        Column("rate", "Rate"), Column("default", "Default"),
    )),
    ("team", "Team", "person", "people", (
        Column("name", "Name", max_width=28), Column("type", "Type", render=user_type_cell),
        Column("role", "Role"), Column("rate", "Rate"), Column("capacity", "Capacity"),
        Column("status", "Status"),
    )),
    ("categories", "Categories", "category", "categories", (
        Column("name", "Name", max_width=28), Column("unit", "Unit", max_width=14),
        Column("unit_price", "Unit price"),
        Column("billable", "Billable"), Column("builtin", "Built-in"),
    )),
)


class ManageScreen(MainView):
    """One tab per kind of record; each shows a RecordView filled from one read."""

    VIEW_NAME = "Manage"

    class Loaded(Message):
        def __init__(self, data: ManageData) -> None:
            super().__init__()
            self.data = data

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="manage-tabs"):
            for key, label, singular, plural, columns in TABLES:
                with TabPane(label, id=f"tab-{key}"):
                    yield RecordView(columns, singular=singular, plural=plural, id=key)
        yield Footer()

    def reload(self) -> None:
        self.load_data(self.runtime)

    @work(thread=True, exclusive=True, group="manage")
    def load_data(self, runtime: Runtime) -> None:
        try:
            with runtime.session(readonly=True) as session:
                data = manage_data(session, actor=runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(data))

    def on_manage_screen_loaded(self, message: Loaded) -> None:
        for key, *_ in TABLES:
            self.query_one(f"#{key}", RecordView).listing = getattr(message.data, key)
