"""A labelled form control with room for its validation message."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Label, Static


class FormField(Horizontal):
    """A label, the control and its error; the form sets `error` after validation."""

    DEFAULT_CSS = """
    FormField { height: auto; margin-bottom: 1; }
    FormField > .form-field--label { width: 16; padding-right: 1; }
    FormField > Vertical { height: auto; width: 1fr; }
    FormField .form-field--error { display: none; color: $error; }
    FormField.-invalid .form-field--error { display: block; }
    FormField.-invalid .form-field--label { color: $error; text-style: bold; }
    """

    error: reactive[str] = reactive("", init=False)

    def __init__(self, label: str, control: Widget, *, field: str) -> None:
        super().__init__(id=f"field-{field}")
        self.label = label
        self.control = control
        self.field = field

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="form-field--label")
        with Vertical():
            yield self.control
            yield Static("", classes="form-field--error", markup=False)

    def watch_error(self, error: str) -> None:
        self.set_class(bool(error), "-invalid")
        self.query_one(".form-field--error", Static).update(error)
