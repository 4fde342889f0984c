"""Small dialogs the views share: a yes/no confirmation and a date prompt."""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from keito_core.errors import KeitoError
from keito_core.rules.periods import parse_date
from keito_tui.app.values import app_hint

DIALOG_CSS = """
ConfirmDialog, DateDialog {
    align: center middle;
}
.dialog {
    width: 60;
    max-width: 100%;
    height: auto;
    border: round $accent;
    background: $surface;
    padding: 0 1;
}
.dialog--title {
    text-style: bold;
    color: $accent;
    margin-bottom: 1;
}
.dialog--buttons {
    height: auto;
    margin-top: 1;
    align-horizontal: right;
}
.dialog--buttons Button {
    margin-left: 1;
}
.dialog--error {
    color: $error;
    height: auto;
}
.dialog--note {
    color: $text-muted;
}
"""


class ConfirmDialog(ModalScreen[bool]):
    """Asks a yes/no question; dismissed with True (y, or Enter on the confirm button)."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes", tooltip="Confirm"),
        Binding("n,escape", "answer(False)", "No", id="dialog.no", key_display="n/esc",
                tooltip="Cancel"),
    ]

    def __init__(self, message: str, *, title: str = "Are you sure?",
                 confirm_label: str = "Yes") -> None:
        super().__init__()
        self.message = message
        self.title_text = title
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="confirm-dialog"):
            yield Static(self.title_text, classes="dialog--title", markup=False)
            yield Static(self.message, id="confirm-message", markup=False)
            with Horizontal(classes="dialog--buttons"):
                yield Button("No", id="confirm-no", compact=True)
                yield Button(self.confirm_label, id="confirm-yes", variant="error", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-yes", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#confirm-yes")
    def confirmed(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#confirm-no")
    def cancelled(self) -> None:
        self.dismiss(False)


class DateDialog(ModalScreen[date | None]):
    """Asks for a date: YYYY-MM-DD, today, yesterday, a weekday name or -N; None when cancelled.

    `today` anchors the relative words; without it the app's runtime clock and workspace
    timezone are used (falling back to `initial`).
    """

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog.cancel", tooltip="Close without a date"),
    ]

    def __init__(self, initial: date, *, today: date | None = None,
                 title: str = "Go to date") -> None:
        super().__init__()
        self.initial = initial
        self.today = today
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="date-dialog"):
            yield Static(self.title_text, classes="dialog--title", markup=False)
            yield Input(self.initial.isoformat(), placeholder="YYYY-MM-DD", id="date-input",
                        compact=True)
            yield Static("", classes="dialog--error", id="date-error", markup=False)
            yield Static("YYYY-MM-DD, today, yesterday, a weekday name or -N. Enter accepts.",
                         classes="dialog--note", markup=False)

    def on_mount(self) -> None:
        box = self.query_one("#date-input", Input)
        box.focus()
        box.select_all()

    def reference_day(self) -> date:
        """The date relative words count from."""
        if self.today is not None:
            return self.today
        runtime = getattr(self.app, "runtime", None)
        summary = getattr(self.app, "summary", None)
        if runtime is not None and summary is not None:
            return runtime.today(summary.timezone)  # type: ignore[no-any-return]
        return self.initial

    @on(Input.Submitted, "#date-input")
    def submitted(self, event: Input.Submitted) -> None:
        try:
            chosen = parse_date(event.value or "today", today=self.reference_day())
        except KeitoError as exc:
            hint = app_hint(exc.hint)
            text = exc.message if not hint else f"{exc.message} ({hint})"
            self.query_one("#date-error", Static).update(text)
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
