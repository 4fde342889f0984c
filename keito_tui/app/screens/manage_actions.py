"""What the Manage view and its sub-lists share: forms and writes run in workers, and a list.

`RecordActions` opens a form once its spec is read, and runs a write in one transaction; a
KeitoError (a refusal by the policy, a conflict) becomes a notification, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.rules import permissions as policy
from keito_tui.app.loaders import Listing
from keito_tui.app.screens.dialogs import ConfirmDialog
from keito_tui.app.screens.manage_forms import FormSpec, RecordForm
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.record_view import Cell, Column, RecordView, plain_cell

if TYPE_CHECKING:
    from sqlmodel import Session

BuildForm = Callable[["Session", policy.Actor], FormSpec]
Write = Callable[["Session", policy.Actor, datetime], str]


def user_type_cell(value: str | bool | None) -> Cell:
    """Agents stand out with a violet label; people are plain."""
    if value == "agent":
        return Text(" Agent ", style="bold #ffffff on #7c3aed")
    return plain_cell("Human" if value == "human" else value)


class RecordActions(Screen[None]):
    """Forms and writes for a screen that shows records and reads them again with `reload`."""

    class FormReady(Message):
        def __init__(self, spec: FormSpec, creating: bool) -> None:
            super().__init__()
            self.spec = spec
            self.creating = creating

    class Done(Message):
        def __init__(self, outcome: str) -> None:
            super().__init__()
            self.outcome = outcome

    class Refused(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    @property
    def app_runtime(self) -> Runtime:
        return self.app.runtime  # type: ignore[attr-defined, no-any-return]

    def reload(self) -> None:
        """Read the records again (after a change)."""
        raise NotImplementedError

    @work(thread=True, group="record-actions")
    def open_form(self, build: BuildForm, *, creating: bool) -> None:
        """Read what the form needs (refused when the actor may not make the change)."""
        runtime = self.app_runtime
        try:
            with runtime.session(readonly=True) as session:
                spec = build(session, runtime.actor(session))
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.FormReady(spec, creating))

    @work(thread=True, group="record-actions")
    def write(self, act: Write) -> None:
        """Make one change in its own transaction."""
        runtime = self.app_runtime
        try:
            with runtime.session() as session:
                outcome = act(session, runtime.actor(session), runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Refused(ErrorInfo.of(exc)))
            return
        self.post_message(self.Done(outcome))

    def confirm_write(self, question: str, act: Write, *, title: str = "Are you sure?") -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.write(act)

        self.app.push_screen(ConfirmDialog(question, title=title), answered)

    def on_record_actions_form_ready(self, message: FormReady) -> None:
        self.app.push_screen(RecordForm(message.spec, creating=message.creating), self.saved)

    def saved(self, outcome: str | None) -> None:
        if outcome:
            self.notify(outcome, markup=False)
            self.reload()

    def on_record_actions_done(self, message: Done) -> None:
        self.saved(message.outcome)

    def on_record_actions_refused(self, message: Refused) -> None:
        error = message.error
        self.notify("\n".join(filter(None, (error.message, error.hint))), title="Not done",
                    severity="error", markup=False)


def selected_id(view: RecordView) -> str | None:
    """The key of the row under the cursor, or None in an empty table."""
    table = view.table
    if table.row_count == 0:
        return None
    return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)


class RecordList(RecordActions, ModalScreen[None]):  # type: ignore[misc]
    """A list under one record (a client's contacts, a project's team...): add, edit, remove."""

    CSS_PATH = "manage.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "add", "Add", id="list.add", tooltip="Add one"),
        Binding("enter", "edit", "Edit", key_display="⏎", priority=True, id="list.edit",
                tooltip="Edit the selected one"),
        Binding("delete", "remove", "Remove", key_display="del", id="list.remove",
                tooltip="Remove the selected one"),
        Binding("escape", "close", "Close", key_display="esc", id="list.close",
                tooltip="Back to the Manage view"),
    ]
    COLUMNS: ClassVar[Sequence[Column]] = ()
    SINGULAR: ClassVar[str] = "record"
    PLURAL: ClassVar[str] = "records"

    class Loaded(Message):
        def __init__(self, listing: Listing) -> None:
            super().__init__()
            self.listing = listing

    def __init__(self, owner_id: str, owner_name: str) -> None:
        super().__init__()
        self.owner_id = owner_id
        self.owner_name = owner_name

    @property
    def heading(self) -> str:
        return self.owner_name

    def compose(self) -> ComposeResult:
        with Vertical(classes="record-list"):
            yield Static(self.heading, classes="record-list--title", markup=False)
            yield RecordView(self.COLUMNS, singular=self.SINGULAR, plural=self.PLURAL,
                             id="sub-list")
        yield KeitoFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.load_rows(self.app_runtime)

    @work(thread=True, exclusive=True, group="record-list")
    def load_rows(self, runtime: Runtime) -> None:
        try:
            with runtime.session(readonly=True) as session:
                listing = self.read(session, runtime.actor(session))
        except KeitoError as exc:
            listing = Listing(refused=exc.message)
        self.post_message(self.Loaded(listing))

    def on_record_list_loaded(self, message: Loaded) -> None:
        self.query_one(RecordView).listing = message.listing

    def read(self, session: Session, actor: policy.Actor) -> Listing:
        """The list's rows."""
        raise NotImplementedError

    def form(self, session: Session, actor: policy.Actor, row_id: str | None) -> FormSpec:
        """The form adding a row (row_id None) or editing one."""
        raise NotImplementedError

    def removal(self, row_id: str) -> tuple[str, Write]:
        """The question to confirm and the write that removes the row."""
        raise NotImplementedError

    @property
    def selected(self) -> str | None:
        return selected_id(self.query_one(RecordView))

    def action_add(self) -> None:
        self.open_form(lambda s, a: self.form(s, a, None), creating=True)

    def action_edit(self) -> None:
        row_id = self.selected
        if row_id is not None:
            self.open_form(lambda s, a: self.form(s, a, row_id), creating=False)

    def action_remove(self) -> None:
        row_id = self.selected
        if row_id is not None:
            question, act = self.removal(row_id)
            self.confirm_write(question, act)

    def action_close(self) -> None:
        self.dismiss(None)
