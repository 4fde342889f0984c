"""How the invoice screens write: one transaction per change, in a worker, with the warnings
the services leave (an open invoice edited) and refusals shown where the user is."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.binding import Binding
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from keito_core.errors import KeitoError
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.platform.runtime import Runtime
    from keito_core.rules.permissions import Actor

#: A change: given the session, the actor and the time, do it and say what was done.
Change = Callable[["Session", "Actor", datetime], "Saved"]


@dataclass(frozen=True)
class Saved:
    """What a change did: the words for the user, the services' warnings, and the line (1 is
    the first) the editor's cursor goes to."""

    text: str
    warnings: tuple[str, ...] = ()
    line: int | None = None


def write(runtime: Runtime, change: Change) -> Saved:
    """Run `change` in one transaction; its Saved, with the warnings the services left."""
    from keito_core.platform.notices import take_warnings

    with runtime.session() as session:
        saved = change(session, runtime.actor(session), runtime.clock())
        warnings = tuple(take_warnings(session))
    return Saved(saved.text, warnings, saved.line)


def error_text(error: ErrorInfo) -> str:
    return f"{error.message} ({error.hint})" if error.hint else error.message


class SavingDialog(ModalScreen[Saved | None]):
    """A form that saves one change in a worker; a refusal shows next to its field (or under
    the form) and the form stays open. Dismissed with the Saved, or None when cancelled."""

    CSS_PATH = "invoices.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="invoice_form.save", tooltip="Save"),
        Binding("escape", "cancel", "Cancel", id="invoice_form.cancel",
                tooltip="Close without saving"),
    ]
    #: Service error fields shown next to another field of the form.
    FIELD_OF: ClassVar[dict[str, str]] = {}

    class Done(Message):
        def __init__(self, saved: Saved) -> None:
            super().__init__()
            self.saved = saved

    class Failed(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime

    def change(self) -> Change | None:
        """The change the form asks for (None: a problem is shown already)."""
        raise NotImplementedError

    def action_save(self) -> None:
        button = self.query_one("#form-save", Button)
        if button.disabled:
            return
        self.show_error(None)
        change = self.change()
        if change is None:
            return
        button.disabled = True
        self.saving(change)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "form-save":
            self.action_save()
        elif event.button.id == "form-cancel":
            self.action_cancel()

    @work(thread=True, exclusive=True, group="invoice-dialog")
    def saving(self, change: Change) -> None:
        try:
            saved = write(self.runtime, change)
        except KeitoError as exc:
            self.post_message(self.Failed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Done(saved))

    def on_saving_dialog_done(self, message: Done) -> None:
        self.dismiss(message.saved)

    def on_saving_dialog_failed(self, message: Failed) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.show_error(message.error)

    def show_error(self, error: ErrorInfo | str | None) -> None:
        """Put the message next to its field (or under the form); clear the others."""
        if isinstance(error, str):
            error = ErrorInfo("validation_error", error)
        text = "" if error is None else "\n".join(filter(None, (error.message, error.hint)))
        name = self.FIELD_OF.get(error.field or "", error.field or "") if error else ""
        fields = {field.field: field for field in self.query(FormField)}
        target = fields.get(name) if error else None
        if target is not None and not target.display:
            target = None
        for field in fields.values():
            field.error = text if field is target else ""
        self.query_one("#form-error", Static).update("" if target is not None else text)
        if target is not None:
            target.control.focus()
