"""The Keito app: opens the workspace (or onboards), then shows the main views as modes."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable
from functools import partial
from importlib import import_module
from pathlib import PurePath
from typing import ClassVar

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header, Static

from keito_core.errors import KeitoError
from keito_core.platform.runtime import Runtime
from keito_tui.app.bindings import ACTIONS, WORKSPACE_ACTIONS, KeitoAction, app_bindings
from keito_tui.app.screens.base import MainView
from keito_tui.app.screens.day import DayScreen
from keito_tui.app.screens.help import HelpRow, HelpScreen
from keito_tui.app.screens.onboarding import OnboardingScreen, onboarding_defaults
from keito_tui.app.values import ErrorInfo, WorkspaceSummary
from keito_tui.app.widgets.footer import KeitoFooter

#: Seconds after start-up before the [keys] ids are checked (it imports every view).
KEYMAP_CHECK_DELAY = 1.0


class _view:  # noqa: N801 - used like a function in MODES
    """A mode's screen, imported when the mode is first opened (start-up loads only the day)."""

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def view_class(self) -> type[MainView]:
        view: type[MainView] = getattr(
            import_module(f"keito_tui.app.screens.{self.module}"), self.name)
        return view

    def __call__(self) -> Screen:
        return self.view_class()()


def _mode_of(action: KeitoAction) -> str | None:
    """The mode a `show_mode('…')` action opens (None for any other action)."""
    name, _, rest = action.action.partition("(")
    return rest.strip("')\"") if name == "show_mode" else None


class KeitoApp(App[None]):
    """Built from a Runtime (the composition root); never opens a database by itself."""

    TITLE = "Keito"
    #: The day view's styles load with the app's: a screen's own CSS_PATH, read when the
    #: screen first opens, makes Textual parse every style sheet again.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["keito.tcss", "screens/day.tcss"]
    MODES: ClassVar[dict[str, str | Callable[[], Screen]]] = {
        "day": DayScreen,
        "week": _view("week", "WeekScreen"),
        "expenses": _view("expenses", "ExpensesScreen"),
        "approvals": _view("approvals", "ApprovalsScreen"),
        "inbox": _view("inbox", "InboxScreen"),
        "invoices": _view("invoices", "InvoicesScreen"),
        "reports": _view("reports", "ReportsScreen"),
        "manage": _view("manage", "ManageScreen"),
        "settings": _view("settings", "SettingsScreen"),
    }
    #: The view the app opens on.
    HOME_MODE = "day"
    #: Modes offered only when the workspace and the user's role allow them.
    GATED_MODES = frozenset({"invoices"})
    BINDINGS = app_bindings()

    class WorkspaceRead(Message):
        """The start-up check: a summary, None for no workspace yet, or an error."""

        def __init__(self, summary: WorkspaceSummary | None, error: ErrorInfo | None) -> None:
            super().__init__()
            self.summary = summary
            self.error = error

    def __init__(self, runtime: Runtime) -> None:
        super().__init__()
        self.runtime = runtime
        self.summary: WorkspaceSummary | None = None
        self._heap_frozen = False
        #: Whether the Invoices view is offered (invoicing on, invoices visible to the user);
        #: read once start-up is over, again on `ctrl+r` and on every change of view.
        self.invoicing = False

    def compose(self) -> ComposeResult:
        """The start-up screen, shown while the workspace opens (or when it cannot)."""
        yield Header()
        yield Static("Opening the workspace…", id="startup", markup=False)
        yield KeitoFooter()

    def on_mount(self) -> None:
        self.apply_keymap()
        self.check_workspace(self.runtime, lean=True)

    def freeze_startup_heap(self) -> None:
        """Once the first full read has loaded the ORM: keep what start-up made out of the
        garbage collector's full collections, which otherwise cost about 0.1 s now and then,
        in the middle of a key press."""
        if not self._heap_frozen:
            self._heap_frozen = True
            gc.freeze()
            self.check_invoicing()

    def on_unmount(self) -> None:
        """The app is closing: hand its objects back to the collector (an embedding process,
        such as a test run, goes on after the app)."""
        if self._heap_frozen:
            gc.unfreeze()

    # --- your own keys -------------------------------------------------------------------------

    def apply_keymap(self) -> None:
        """Bind the keys of config.toml's [keys] table (keito_tui.app.keymap); a malformed
        entry is reported at once, an id naming no action a moment later."""
        from keito_tui.app.keymap import read_keymap

        keymap, problems = read_keymap(self.runtime.settings.config_file)
        for problem in problems:
            self.notify(problem, title="Keys", severity="warning", markup=False)
        if keymap:
            self.set_keymap(keymap)
            # Checking the ids imports every view: after the first screen is drawn.
            self.set_timer(KEYMAP_CHECK_DELAY, partial(self.check_keymap, keymap))

    @work(thread=True, group="keymap")
    def check_keymap(self, keymap: dict[str, str]) -> None:
        from keito_tui.app.keymap import clashes, unknown_ids

        title = f"[keys] in {self.runtime.settings.config_file}"
        unknown = unknown_ids(keymap)
        if unknown:
            self.call_from_thread(
                self.notify,
                f"No action has the id {', '.join(unknown)}: press ? for the keys, and see "
                "docs/app.md for every id.",
                title=title, severity="warning", markup=False,
            )
        shared = clashes(keymap)
        if shared:
            self.call_from_thread(
                self.notify,
                "Two actions of one view share a key, so only one of them runs: "
                + "; ".join(shared),
                title=title, severity="warning", markup=False,
            )

    @work(thread=True, exclusive=True, group="workspace")
    def check_workspace(self, runtime: Runtime, *, lean: bool = False) -> None:
        """Read the header's summary; `lean` first tries plain sqlite3 (keito_core.fastpath.day),
        so the app starts without waiting for the ORM to load."""
        if lean:
            from keito_core.fastpath.day import NotHandled, workspace_summary

            try:
                values = workspace_summary(runtime, now=runtime.clock())
            except NotHandled:
                pass  # the full read below decides, and reports any error
            else:
                found = WorkspaceSummary(**values) if values is not None else None
                self.post_message(self.WorkspaceRead(found, None))
                return
        from keito_tui.app.loaders import find_workspace

        try:
            summary = find_workspace(runtime)
        except KeitoError as exc:
            self.post_message(self.WorkspaceRead(None, ErrorInfo.of(exc)))
            return
        self.post_message(self.WorkspaceRead(summary, None))

    class InvoicingRead(Message):
        """Whether the Invoices view is offered to the acting user."""

        def __init__(self, shown: bool) -> None:
            super().__init__()
            self.shown = shown

    @work(thread=True, exclusive=True, group="invoicing")
    def check_invoicing(self) -> None:
        """Read whether invoicing is on and the user may view invoices (hides the `v` key)."""
        from keito_core.reports.invoice_views import invoicing_access

        try:
            with self.runtime.session(readonly=True) as session:
                shown = invoicing_access(session, actor=self.runtime.actor(session)).shown
        except KeitoError:
            shown = False
        self.post_message(self.InvoicingRead(shown))

    def on_keito_app_invoicing_read(self, message: InvoicingRead) -> None:
        if message.shown != self.invoicing:
            self.invoicing = message.shown
            if self.screen_stack:  # none while the app closes (or before its first screen)
                self.refresh_bindings()

    def on_keito_app_workspace_read(self, message: WorkspaceRead) -> None:
        starting = self.current_mode == "_default"
        if message.error is not None:
            self.show_failure(message.error, starting=starting)
        elif message.summary is not None:
            self.open_workspace(message.summary)
        elif starting:
            self.push_screen(
                OnboardingScreen(self.runtime, onboarding_defaults()), self.open_workspace
            )

    def open_workspace(self, summary: WorkspaceSummary | None) -> None:
        if summary is None:
            return
        self.summary = summary
        self.title = summary.name
        self.sub_title = summary.acting
        if self.current_mode == "_default":
            self.switch_mode(self.HOME_MODE)
        self.refresh_bindings()

    def show_failure(self, error: ErrorInfo, *, starting: bool) -> None:
        text = " ".join(filter(None, (error.message, error.hint)))
        if starting:
            self.query_one("#startup", Static).update(
                f"Keito cannot open the workspace: {text}\n\nPress Ctrl+Q to quit."
            )
        else:
            self.notify(text, title="Could not read the workspace", severity="error",
                        markup=False)

    # --- actions -----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WORKSPACE_ACTIONS:
            if self.summary is None or self.screen.is_modal:
                return False
            if action == "show_mode" and parameters and parameters[0] == self.current_mode:
                return None  # shown dimmed: the view you are on
            if action == "show_mode" and parameters and parameters[0] in self.GATED_MODES:
                return self.invoicing
        return True

    def action_show_mode(self, mode: str) -> None:
        self.switch_mode(mode)
        if self._heap_frozen:
            self.check_invoicing()

    def action_refresh(self) -> None:
        self.check_workspace(self.runtime)
        self.check_invoicing()
        if isinstance(self.screen, MainView):
            self.screen.reload()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.help_rows()))

    def help_rows(self) -> list[HelpRow]:
        """Every registered action with the key it has now (after any keymap)."""
        keys: dict[str, str] = {}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.id and binding.id not in keys:
                keys[binding.id] = self.get_key_display(binding)
        actions = (*ACTIONS, *self.view_actions(self.screen))
        rows = [(keys.get(a.id, a.key_display or a.key), a.description, a.help) for a in actions]
        rows.append((self.get_key_display(Binding(self.COMMAND_PALETTE_BINDING, "")),
                     "Commands", "Search every command (the command palette)"))
        return rows

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.summary is None:
            return
        for action in ACTIONS:
            if action.in_palette and (self.invoicing or _mode_of(action) not in self.GATED_MODES):
                yield SystemCommand(
                    action.description, action.help, partial(self.run_action, action.action)
                )
        for action in self.view_actions(screen):
            if action.in_palette:
                yield SystemCommand(
                    action.description, action.help,
                    partial(self.run_action, action.action, screen),
                )
        yield from self.other_view_commands(screen)

    def other_view_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The actions of the views not on screen, as `Week: Add row`: each opens its view
        and runs there once the view has read its data. Found by searching (an empty
        palette lists only this view's)."""
        mode_here = self.current_mode if isinstance(screen, MainView) else None
        for mode, make in self.MODES.items():
            if mode == mode_here or (mode in self.GATED_MODES and not self.invoicing):
                continue
            view = make.view_class() if isinstance(make, _view) else make
            if not isinstance(view, type) or not issubclass(view, MainView):
                continue
            for action in view.VIEW_ACTIONS:
                if action.in_palette:
                    yield SystemCommand(
                        f"{view.VIEW_NAME}: {action.description}", action.help,
                        partial(self.run_in_view, mode, action.action), discover=False)

    async def run_in_view(self, mode: str, action: str) -> None:
        """Open the view of `mode` and run its `action` once the view's reads are shown."""
        if self.current_mode != mode:
            await self.switch_mode(mode)
        screen = self.screen
        reading = [w for w in self.workers
                   if w.node is screen and not (w.is_finished or w.is_cancelled)]
        if reading:
            await self.workers.wait_for_complete(reading)
        # After the messages the reads posted to the view, which are handled first.
        screen.call_later(self.run_action, action, screen)

    @staticmethod
    def view_actions(screen: Screen) -> tuple[KeitoAction, ...]:
        """The actions of the view on `screen` (none for dialogs and start-up)."""
        return screen.VIEW_ACTIONS if isinstance(screen, MainView) else ()
