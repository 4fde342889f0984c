"""The Settings view: every workspace setting and its value; Enter changes the selected one.

Above them, the accounting connection (keito_tui.app.screens.settings_sync): Xero or
QuickBooks, what waits and what failed; `p` pushes and `R` retries the failures in a worker,
for those the policy lets sync invoices.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button, Header, Input, Select, Static, Switch

from keito_core.enums import DurationFormat, EntryMode, PaymentTerms, TimeFormat, WeekDay
from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_core.services.workspace.settings_registry import DATE_FORMATS
from keito_core.services.workspace.setup import check_setting_change
from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.loaders import Listing, Row, settings_rows
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.manage_actions import selected_id
from keito_tui.app.screens.settings_sync import (
    SyncPanel,
    panel_text,
    read_sync_panel,
    run_summary,
    run_sync,
)
from keito_tui.app.values import ErrorInfo, app_hint
from keito_tui.app.widgets.footer import KeitoFooter
from keito_tui.app.widgets.record_view import Column, RecordView

COLUMNS = (
    Column("key", "Setting"),
    Column("value", "Value", max_width=30),
    Column("description", "Description"),
)

Choices = tuple[tuple[str, str], ...]


def _words(*values: str) -> Choices:
    return tuple((value.replace("_", " ").capitalize(), value) for value in values)


_DAYS = _words(*(day.value for day in WeekDay))
#: The settings answered from a list: (label, the value set_setting accepts).
SETTING_CHOICES: dict[str, Choices] = {
    "week_start": _DAYS,
    "reminders.day": _DAYS,
    "reminders.deadline_day": _DAYS,
    "time_format": _words(*(f.value for f in TimeFormat)),
    "duration_format": _words(*(f.value for f in DurationFormat)),
    "default_entry_mode": _words(*(m.value for m in EntryMode)),
    "default_payment_terms": _words(*(t.value for t in PaymentTerms)),
    "date_format": tuple((name, name) for name in DATE_FORMATS),
    "decimal_separator": (("Dot (.)", "dot"), ("Comma (,)", "comma")),
    "thousands_separator": (("Comma (,)", "comma"), ("Dot (.)", "dot"), ("Space", "space"),
                            ("Apostrophe (')", "apostrophe"), ("None", "none")),
    "rounding": (("Off", "0"), *((f"{n} minutes", str(n)) for n in (5, 6, 10, 15, 30))),
}
#: Stored separators as the words the list offers.
_SEPARATOR_WORDS = {".": "dot", ",": "comma", " ": "space", "'": "apostrophe", "": "none"}


@dataclass(frozen=True)
class SettingInput:
    """One setting as the dialog edits it: its kind, current answer and choices."""

    key: str
    description: str
    kind: str  # bool, choice or text
    value: str | bool
    choices: Choices = ()

    @classmethod
    def of(cls, row: Row) -> SettingInput:
        key, value = str(row["key"]), row.get("input", row["value"])
        description = str(row.get("description") or "")
        if isinstance(value, bool):
            return cls(key, description, "bool", value)
        choices = SETTING_CHOICES.get(key)
        text = "" if value is None else str(value)
        if choices is None:
            return cls(key, description, "text", text)
        if key.endswith("_separator"):
            text = _SEPARATOR_WORDS.get(text, text)
        return cls(key, description, "choice", text, choices)

    def answer_of(self, control: Widget) -> str:
        """What set_setting is given for the control's value."""
        if isinstance(control, Switch):
            return "true" if control.value else "false"
        if isinstance(control, Select):
            return "" if control.value is Select.NULL else str(control.value)
        assert isinstance(control, Input)
        return control.value


class SettingDialog(ModalScreen[str | None]):
    """Changes one setting; dismissed with what changed, or None when cancelled."""

    CSS_PATH = "manage.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="setting.cancel", tooltip="Keep the value"),
        Binding("ctrl+s", "save", "Save", id="setting.save", tooltip="Store the new value"),
    ]

    class Saved(Message):
        def __init__(self, outcome: str) -> None:
            super().__init__()
            self.outcome = outcome

    class Rejected(Message):
        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    def __init__(self, setting: SettingInput) -> None:
        super().__init__()
        self.setting = setting

    def compose(self) -> ComposeResult:
        setting = self.setting
        with Vertical(classes="record-form", id="setting-dialog"):
            yield Static(setting.key, classes="record-form--title", markup=False)
            yield Static(setting.description, classes="record-form--note", markup=False)
            yield self.control()
            yield Static("", id="setting-error", classes="record-form--error", markup=False)
            with Horizontal(classes="record-form--buttons"):
                yield Button("Cancel", id="setting-cancel", compact=True)
                yield Button("Save", id="setting-save", variant="primary", compact=True)

    def control(self) -> Widget:
        setting = self.setting
        if setting.kind == "bool":
            return Switch(bool(setting.value), id="setting-value")
        if setting.kind == "choice":
            keys = [key for _, key in setting.choices]
            return Select(setting.choices, allow_blank=setting.value not in keys,
                          value=setting.value if setting.value in keys else Select.NULL,
                          id="setting-value", compact=True)
        return Input(str(setting.value), id="setting-value", compact=True)

    def on_mount(self) -> None:
        self.query_one("#setting-value").focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#setting-save")
    def action_save(self) -> None:
        answer = self.setting.answer_of(self.query_one("#setting-value"))
        self.store(self.app.runtime, answer)  # type: ignore[attr-defined]

    @on(Button.Pressed, "#setting-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="setting")
    def store(self, runtime: Runtime, answer: str) -> None:
        from keito_core.services.workspace.setup import set_setting

        try:
            with runtime.session() as session:
                stored = set_setting(session, actor=runtime.actor(session),
                                     key=self.setting.key, value=answer, now=runtime.clock())
        except KeitoError as exc:
            self.post_message(self.Rejected(ErrorInfo.of(exc)))
            return
        shown = "none" if stored.value is None else stored.value
        if isinstance(shown, bool):
            shown = "yes" if shown else "no"
        self.post_message(self.Saved(f"{stored.key} is now {shown}"))

    def on_setting_dialog_saved(self, message: Saved) -> None:
        self.dismiss(message.outcome)

    def on_setting_dialog_rejected(self, message: Rejected) -> None:
        error = message.error
        box = self.query_one("#setting-error", Static)
        box.update("\n".join(filter(None, (error.message, error.hint))))
        box.add_class("-visible")
        self.query_one("#setting-value").focus()


class SettingsScreen(MainView):
    """Settings in the registry's order, grouped by their key prefixes; the accounting
    connection above them."""

    CSS_PATH = ["manage.tcss", "settings.tcss"]
    VIEW_NAME = "Settings"
    VIEW_ACTIONS = (
        KeitoAction("settings.edit", "enter", "edit", "Edit", "Change the selected setting",
                    key_display="⏎", priority=True),
        KeitoAction("settings.push", "p", "push", "Push",
                    "Send every issued invoice not synced, failed or changed (with its contact "
                    "and payments) to the connected accounting system"),
        KeitoAction("settings.retry", "R", "retry", "Retry",
                    "Send again what failed to reach the accounting system"),
    )
    #: Declared here too: Textual merges a class's bindings before MainView sets BINDINGS.
    BINDINGS = view_bindings(VIEW_ACTIONS)

    class Loaded(Message):
        def __init__(self, rows: tuple[Row, ...], refused: str | None,
                     sync: SyncPanel | None = None) -> None:
            super().__init__()
            self.rows = rows
            self.refused = refused
            self.sync = sync

    class SyncProgress(Message):
        """A push's progress: `status` for the panel's last line."""

        def __init__(self, status: str) -> None:
            super().__init__()
            self.status = status

    class SyncDone(Message):
        """A push or a retry ended: its outcome in words, and how grave it is."""

        def __init__(self, text: str, severity: str) -> None:
            super().__init__()
            self.text = text
            self.severity = severity

    refused: str | None = None
    #: The accounting connection (None until read).
    sync: SyncPanel | None = None
    #: A push or a retry is running (another waits for it to end).
    syncing = False
    #: The last push's progress or outcome, under the connection.
    sync_status: Text | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(panel_text(None), id="sync-panel")
        yield RecordView(COLUMNS, singular="setting", plural="settings", id="settings")
        yield KeitoFooter(compact=True)

    def reload(self) -> None:
        self.load_data(self.runtime)

    @work(thread=True, exclusive=True, group="settings")
    def load_data(self, runtime: Runtime) -> None:
        try:
            with runtime.session(readonly=True) as session:
                actor = runtime.actor(session)
                rows = settings_rows(session, actor=actor)
                sync = read_sync_panel(session, actor=actor)
                refused = None
                try:
                    check_setting_change(actor)
                except KeitoError as exc:
                    refused = "\n".join(filter(None, (exc.message, app_hint(exc.hint))))
        except KeitoError as exc:
            self.post_message(self.LoadFailed(ErrorInfo.of(exc)))
            return
        self.post_message(self.Loaded(rows, refused, sync))

    def on_settings_screen_loaded(self, message: Loaded) -> None:
        self.refused = message.refused
        self.sync = message.sync
        self.show_sync()
        self.refresh_bindings()
        self.query_one("#settings", RecordView).listing = Listing(message.rows)

    # --- the accounting connection ------------------------------------------------------------

    def show_sync(self) -> None:
        self.query_one("#sync-panel", Static).update(panel_text(self.sync, self.sync_status))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("push", "retry"):
            return self.sync is not None and self.sync.may_sync
        return True

    def action_push(self) -> None:
        self.start_sync(retry=False)

    def action_retry(self) -> None:
        self.start_sync(retry=True)

    def start_sync(self, *, retry: bool) -> None:
        if self.syncing:
            self.notify("A push is already running: its outcome shows here when it ends.",
                        title="Sync", severity="warning", markup=False)
            return
        self.syncing = True
        name = self.sync.name if self.sync is not None and self.sync.connected else "accounting"
        self.sync_status = Text(f"{'Retrying' if retry else 'Pushing'} to {name}…",
                                style="italic")
        self.show_sync()
        self.sync_now(self.runtime, retry)

    @work(thread=True, exclusive=True, group="settings-sync")
    def sync_now(self, runtime: Runtime, retry: bool) -> None:
        def progress(done: int, total: int, label: str) -> None:
            self.post_message(self.SyncProgress(f"Sending {done} of {total}: {label}"))

        def waiting(reason: str, seconds: float) -> None:
            if seconds >= 2:
                self.post_message(self.SyncProgress(
                    f"Waiting {seconds:.0f} s for the accounting system's rate limit"))

        try:
            provider, report, retried = run_sync(runtime, retry=retry, progress=progress,
                                                 on_wait=waiting)
        except KeitoError as exc:
            # The hint names the command to run: the app has no connect of its own.
            text = "\n".join(filter(None, (exc.message, exc.hint)))
            self.post_message(self.SyncDone(f"Not done: {text}", "error"))
            return
        except Exception as exc:  # noqa: BLE001 - a network failure is a message, not a crash
            self.post_message(self.SyncDone(
                f"Not done: could not reach the accounting system ({type(exc).__name__}: "
                f"{exc}). Try again later.", "error"))
            return
        if not provider and self.sync is not None:
            provider = self.sync.provider or ""
        text, severity = run_summary(report, provider=provider, retried=retried)
        self.post_message(self.SyncDone(text, severity))

    def on_settings_screen_sync_progress(self, message: SyncProgress) -> None:
        if self.syncing:
            self.sync_status = Text(message.status, style="italic")
            self.show_sync()

    def on_settings_screen_sync_done(self, message: SyncDone) -> None:
        self.syncing = False
        style = {"error": "bold red", "warning": "yellow"}.get(message.severity, "green")
        # The panel keeps the first line; the notification says it all (hint included).
        self.sync_status = Text(message.text.splitlines()[0], style=style)
        self.show_sync()
        self.notify(message.text, title="Sync", severity=message.severity,  # type: ignore[arg-type]
                    markup=False)
        self.reload()

    def action_edit(self) -> None:
        view = self.query_one("#settings", RecordView)
        key = selected_id(view)
        row = next((r for r in (view.listing.rows if view.listing else ())
                    if str(r["id"]) == key), None)
        if row is None:
            return
        if self.refused:
            self.notify(self.refused, title="Not done", severity="error", markup=False)
            return
        self.app.push_screen(SettingDialog(SettingInput.of(row)), self.changed)

    def changed(self, outcome: str | None) -> None:
        if outcome:
            self.notify(outcome, markup=False)
            self.app.action_refresh()  # type: ignore[attr-defined]  # the title may change too
