"""The Manage view's record forms: one modal form, laid out from a list of field specs.

A form is described by a `FormSpec` built in a worker (its values read from the services);
saving calls the spec's `save` in a worker, inside one transaction. A KeitoError goes next to
the field it names, or under the form when it names none of the form's fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Select, Static

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.rules import permissions as policy
from keito_tui.app.values import ErrorInfo
from keito_tui.app.widgets.form_field import FormField

if TYPE_CHECKING:
    from sqlmodel import Session

#: A form's answers: text for inputs and selects, a flag for checkboxes.
Values = dict[str, str | bool]
#: Writes the answers (all of them, and which changed) and says what was done.
Save = Callable[["Session", policy.Actor, Values, frozenset[str], datetime], str]


@dataclass(frozen=True)
class Field:
    """One input of a form; `name` is the field name the services use in their errors."""

    name: str
    label: str
    kind: Literal["text", "bool", "choice"] = "text"
    choices: tuple[tuple[str, str], ...] = ()
    placeholder: str = ""
    #: Other error field names the services report for this input (e.g. client_ref -> client).
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class FormSpec:
    """What a form shows and how it saves."""

    title: str
    fields: tuple[Field, ...]
    values: Values
    save: Save
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def text(value: object) -> str:
    """A stored value as the text an input shows ('' for nothing; Decimals without zeros)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(getattr(value, "value", value))


def optional(values: Values, name: str) -> str | None:
    """An input's text, None when left empty."""
    value = str(values.get(name, "")).strip()
    return value or None


def flag(values: Values, name: str) -> bool:
    return bool(values.get(name, False))


def hours_text(seconds: int | None) -> str:
    return "" if seconds is None else text(Decimal(seconds) / 3600)


class RecordForm(ModalScreen[str | None]):
    """A modal form; dismissed with what was saved (a sentence), or None when cancelled."""

    CSS_PATH = "manage.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="form.cancel", tooltip="Close without saving"),
        Binding("ctrl+s", "save", "Save", id="form.save", tooltip="Save the form"),
    ]

    class Saved(Message):
        def __init__(self, outcome: str) -> None:
            super().__init__()
            self.outcome = outcome

    class Rejected(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, spec: FormSpec, *, creating: bool) -> None:
        super().__init__()
        self.spec = spec
        self.creating = creating

    def compose(self) -> ComposeResult:
        with Vertical(classes="record-form"):
            yield Static(self.spec.title, classes="record-form--title", markup=False)
            with VerticalScroll(classes="record-form--fields"):
                for spec in self.spec.fields:
                    yield FormField(spec.label, self.control(spec), field=spec.name)
            if self.spec.note:
                yield Static(self.spec.note, classes="record-form--note", markup=False)
            yield Static("", id="form-error", classes="record-form--error", markup=False)
            with Horizontal(classes="record-form--buttons"):
                yield Button("Cancel", id="form-cancel", compact=True)
                yield Button("Save", id="form-save", variant="primary", compact=True)

    def control(self, spec: Field) -> Widget:
        value = self.spec.values.get(spec.name, False if spec.kind == "bool" else "")
        if spec.kind == "bool":
            return Checkbox("", bool(value), id=spec.name, compact=True)
        if spec.kind == "choice":
            options = [(label, key) for label, key in spec.choices]
            keys = [key for _, key in options]
            return Select(options, value=value if value in keys else Select.NULL,
                          allow_blank=not keys or value not in keys, id=spec.name, compact=True)
        return Input(str(value), placeholder=spec.placeholder, id=spec.name, compact=True)

    def on_mount(self) -> None:
        for box in self.query(Input):  # the cursor at the end: a first key adds, not replaces
            box.select_on_focus = False
        controls = [self.query_one(f"#{spec.name}") for spec in self.spec.fields]
        if controls:
            controls[0].focus()

    def values(self) -> Values:
        """The answers as they are now."""
        answers: Values = {}
        for spec in self.spec.fields:
            widget = self.query_one(f"#{spec.name}")
            if isinstance(widget, Checkbox):
                answers[spec.name] = widget.value
            elif isinstance(widget, Select):
                answers[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            elif isinstance(widget, Input):
                answers[spec.name] = widget.value
        return answers

    def changed(self, values: Values) -> frozenset[str]:
        """The fields whose answer differs from the one the form opened with."""
        start = self.spec.values
        return frozenset(
            name for name, value in values.items()
            if self.creating or value != start.get(name, False if isinstance(value, bool) else "")
        )

    @on(Input.Submitted)
    @on(Button.Pressed, "#form-save")
    def action_save(self) -> None:
        button = self.query_one("#form-save", Button)
        if button.disabled:
            return
        values = self.values()
        changed = self.changed(values)
        if not self.creating and not changed:  # saving an untouched form writes nothing
            self.app.notify("Nothing changed.", markup=False)
            self.dismiss(None)
            return
        button.disabled = True
        runtime: Runtime = self.app.runtime  # type: ignore[attr-defined]
        self.save_values(runtime, values, changed)

    @on(Button.Pressed, "#form-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="record-form")
    def save_values(self, runtime: Runtime, values: Values, changed: frozenset[str]) -> None:
        try:
            with runtime.session() as session:
                outcome = self.spec.save(session, runtime.actor(session), values, changed,
                                         runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Rejected(ErrorInfo.of(exc)))
            return
        self.post_message(self.Saved(outcome))

    def on_record_form_saved(self, message: Saved) -> None:
        self.dismiss(message.outcome)

    def on_record_form_rejected(self, message: Rejected) -> None:
        self.query_one("#form-save", Button).disabled = False
        self.show_error(message.error)

    def show_error(self, error: ErrorInfo) -> None:
        """Put the message next to its field (or under the form); clear the others."""
        message = "\n".join(filter(None, (error.message, error.hint)))
        names = {spec.name: spec.name for spec in self.spec.fields}
        names.update({alias: spec.name for spec in self.spec.fields for alias in spec.aliases})
        target = names.get(error.field or "")
        for form_field in self.query(FormField):
            form_field.error = message if form_field.field == target else ""
        general = self.query_one("#form-error", Static)
        general.update("" if target else message)
        general.set_class(target is None, "-visible")
        if target is not None:
            self.query_one(f"#{target}").focus()
