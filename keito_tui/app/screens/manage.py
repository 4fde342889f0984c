"""The Manage view: clients, projects, tasks, the team and expense categories, and their forms."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Header, TabbedContent, TabPane

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.rules import permissions as policy
from keito_core.services.directory import categories, clients, projects, tasks, users
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.loaders import ManageData, Row, manage_data
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.manage_actions import RecordActions, selected_id, user_type_cell
from keito_tui.app.screens.manage_budget import ProjectBudget
from keito_tui.app.screens.manage_forms import FormSpec
from keito_tui.app.screens.manage_lists import (
    ContactsList,
    ProjectTasksList,
    ProjectTeamList,
    TeammatesList,
)
from keito_tui.app.screens.manage_projects import project_form
from keito_tui.app.screens.manage_specs import category_form, client_form, task_form
from keito_tui.app.screens.manage_team import user_form
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.record_view import Column, RecordView

if TYPE_CHECKING:
    from sqlmodel import Session

__all__ = ["TABLES", "ManageScreen", "user_type_cell"]

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
        Column("rate", "Rate"), Column("default", "Default"), Column("active", "Active"),
    )),
    ("team", "Team", "person", "people", (
        Column("name", "Name", max_width=28), Column("type", "Type", render=user_type_cell),
        Column("role", "Role"), Column("rate", "Rate"), Column("capacity", "Capacity"),
        Column("status", "Status"),
    )),
    ("categories", "Categories", "category", "categories", (
        Column("name", "Name", max_width=28), Column("unit", "Unit", max_width=14),
        Column("unit_price", "Unit price"),
        Column("billable", "Billable"), Column("builtin", "Built-in"), Column("active", "Active"),
    )),
)
TAB_KEYS = tuple(key for key, *_ in TABLES)

#: The form of each tab's records: (session, actor, record id or None for a new one).
FORMS: dict[str, Callable[[Session, policy.Actor, str | None], FormSpec]] = {
    "clients": client_form, "projects": project_form, "tasks": task_form, "team": user_form,
    "categories": category_form,
}
#: Archive and restore, per tab.
ARCHIVE: dict[str, tuple[Callable[..., object], Callable[..., object]]] = {
    "clients": (clients.archive_client, clients.restore_client),
    "projects": (projects.archive_project, projects.restore_project),
    "tasks": (tasks.archive_task, tasks.restore_task),
    "team": (users.archive_user, users.reactivate_user),
    "categories": (categories.archive_category, categories.restore_category),
}
#: Actions that only make sense on some tabs (hidden from the footer elsewhere).
TAB_ONLY = {"delete": ("clients",), "contacts": ("clients",), "tasks": ("projects",),
            "team": ("projects", "team"), "budget": ("projects",)}
#: On the Projects tab, t and k share one footer label so the footer fits 80 columns.
PROJECT_LISTS = Binding.Group("Lists", compact=True)


def _tab_action(number: int, key: str, label: str) -> KeitoAction:
    return KeitoAction(f"manage.tab_{key}", str(number), f"show_tab('{key}')", label,
                       f"Show the {label} tab", show=False)


class ManageScreen(RecordActions, MainView):
    """One tab per kind of record; each shows a RecordView filled from one read."""

    CSS_PATH = "manage.tcss"
    VIEW_NAME = "Manage"
    VIEW_ACTIONS = (
        KeitoAction("manage.new", "n", "new", "New", "Add a record in the current tab"),
        KeitoAction("manage.edit", "enter", "edit", "Edit", "Edit the selected record",
                    key_display="⏎", priority=True, show=False),
        KeitoAction("manage.archive", "x", "archive", "Archive",
                    "Archive the selected record, or restore it when archived"),
        KeitoAction("manage.delete", "delete", "delete", "Delete",
                    "Delete the selected client (only when no project or invoice refers to it)",
                    key_display="del", show=False),
        KeitoAction("manage.contacts", "c", "contacts", "Contacts",
                    "The selected client's contacts"),
        KeitoAction("manage.team", "t", "team", "Team",
                    "The selected project's team, or the selected manager's teammates",
                    group=PROJECT_LISTS),
        KeitoAction("manage.tasks", "k", "tasks", "Tasks", "The selected project's tasks",
                    group=PROJECT_LISTS),
        KeitoAction("manage.budget", "b", "budget", "Budget",
                    "The selected project's budget: spent, remaining and % used",
                    group=PROJECT_LISTS),
        KeitoAction("manage.previous_tab", "left_square_bracket", "cycle_tab(-1)", "Previous tab",
                    "Show the tab to the left", key_display="[", show=False),
        KeitoAction("manage.next_tab", "right_square_bracket", "cycle_tab(1)", "Next tab",
                    "Show the tab to the right", key_display="]", show=False),
        *(_tab_action(n, key, label) for n, (key, label, *_) in enumerate(TABLES, start=1)),
    )
    #: Declared here too: Textual merges a class's bindings before MainView sets BINDINGS.
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        def __init__(self, data: ManageData) -> None:
            super().__init__()
            self.data = data

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="manage-tabs"):
            for number, (key, label, singular, plural, columns) in enumerate(TABLES, start=1):
                with TabPane(f"{number} {label}", id=f"tab-{key}"):
                    yield RecordView(columns, singular=singular, plural=plural, id=key)
        yield KeitoFooter(compact=True)

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
        for key in TAB_KEYS:
            self.query_one(f"#{key}", RecordView).listing = getattr(message.data, key)

    # --- where the cursor is -------------------------------------------------------------

    @property
    def tab(self) -> str:
        """The current tab's key (clients, projects, tasks, team or categories)."""
        return (self.query_one(TabbedContent).active or "tab-clients").removeprefix("tab-")

    def selected(self) -> tuple[str, Row] | None:
        """The selected record's id and row in the current tab."""
        view = self.query_one(f"#{self.tab}", RecordView)
        row_id = selected_id(view)
        listing = view.listing
        if row_id is None or listing is None:
            return None
        row = next((r for r in listing.rows if str(r["id"]) == row_id), None)
        return None if row is None else (row_id, row)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tabs = TAB_ONLY.get(action)
        return tabs is None or not self.is_mounted or self.tab in tabs

    @on(TabbedContent.TabActivated)
    def tab_changed(self) -> None:
        self.refresh_bindings()
        self.query_one(f"#{self.tab}", RecordView).table.focus()

    # --- actions -------------------------------------------------------------------------

    def action_show_tab(self, key: str) -> None:
        self.query_one(TabbedContent).active = f"tab-{key}"

    def action_cycle_tab(self, step: int) -> None:
        index = (TAB_KEYS.index(self.tab) + step) % len(TAB_KEYS)
        self.action_show_tab(TAB_KEYS[index])

    def action_new(self) -> None:
        build = FORMS[self.tab]
        self.open_form(lambda session, actor: build(session, actor, None), creating=True)

    def action_edit(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            build, row_id = FORMS[self.tab], chosen[0]
            self.open_form(lambda session, actor: build(session, actor, row_id), creating=False)

    def action_archive(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        row_id, row = chosen
        archived = row.get("status") == "Archived" if self.tab == "team" else not row["active"]
        archive, restore = ARCHIVE[self.tab]
        change, done = (restore, "Restored") if archived else (archive, "Archived")

        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            change(session, actor=actor, ref=row_id, now=now)
            return f"{done} {row['name']}"

        self.write(act)

    def action_delete(self) -> None:
        chosen = self.selected()
        if chosen is None or self.tab != "clients":
            return
        row_id, row = chosen

        def act(session: Session, actor: policy.Actor, now: datetime) -> str:
            client = clients.delete_client(session, actor=actor, ref=row_id, now=now)
            return f"Deleted client {client.name}"

        self.confirm_write(f"Delete the client {row['name']} and its contacts?", act,
                           title="Delete client")

    def action_contacts(self) -> None:
        chosen = self.selected()
        if chosen is not None and self.tab == "clients":
            self.app.push_screen(ContactsList(chosen[0], str(chosen[1]["name"])))

    def action_team(self) -> None:
        chosen = self.selected()
        if chosen is None:
            return
        row_id, row = chosen
        if self.tab == "projects":
            self.app.push_screen(ProjectTeamList(row_id, str(row["name"])), self.closed)
        elif self.tab == "team":
            if row.get("role") not in ("Manager", "Administrator"):
                self.notify(f"{row['name']} is not a manager: only managers have teammates",
                            severity="warning", markup=False)
                return
            self.app.push_screen(TeammatesList(row_id, str(row["name"])), self.closed)

    def action_tasks(self) -> None:
        chosen = self.selected()
        if chosen is not None and self.tab == "projects":
            self.app.push_screen(ProjectTasksList(chosen[0], str(chosen[1]["name"])),
                                 self.closed)

    def action_budget(self) -> None:
        chosen = self.selected()
        if chosen is not None and self.tab == "projects":
            self.app.push_screen(ProjectBudget(chosen[0], str(chosen[1]["name"])))

    def closed(self, _result: None) -> None:
        self.reload()

