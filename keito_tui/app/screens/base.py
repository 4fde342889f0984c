"""What the main views (the app's modes) have in common."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual.message import Message
from textual.screen import Screen

from keito_tui.app.bindings import KeitoAction, view_bindings
from keito_tui.app.values import ErrorInfo

if TYPE_CHECKING:
    from keito_core.platform.runtime import Runtime


class MainView(Screen[None]):
    """A mode's base screen: reads its data in a worker and shows it; `ctrl+r` reads it again."""

    class LoadFailed(Message):
        """The worker could not read the view's data."""

        def __init__(self, error: ErrorInfo) -> None:
            super().__init__()
            self.error = error

    @property
    def runtime(self) -> Runtime:
        """The app's runtime (modes are built by Textual, so they cannot take it as an argument)."""
        return cast("Runtime", self.app.runtime)  # type: ignore[attr-defined]

    #: The view's name in the header, after the workspace's.
    VIEW_NAME: ClassVar[str] = ""
    #: The view's own actions: its bindings, help rows and palette entries come from these.
    VIEW_ACTIONS: ClassVar[tuple[KeitoAction, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Before Textual's own hook, which merges the class's BINDINGS as it creates the class.
        if "VIEW_ACTIONS" in cls.__dict__ and "BINDINGS" not in cls.__dict__:
            cls.BINDINGS = view_bindings(cls.VIEW_ACTIONS)
        super().__init_subclass__(**kwargs)

    #: Whether the view was ever covered or left (it reads again when it comes back).
    was_suspended = False
    #: How many reads the view has started. A worker thread cancelled by a newer read still
    #: runs to its end, so a result is shown only if it comes from the last read started.
    reads_started = 0

    def start_read(self) -> int:
        """Number a new read (see is_last_read)."""
        self.reads_started += 1
        return self.reads_started

    def is_last_read(self, read: int) -> bool:
        return read == self.reads_started

    def on_mount(self) -> None:
        self.watch(self.app, "title", self.show_title)
        self.reload()

    def on_screen_suspend(self) -> None:
        self.was_suspended = True

    def on_screen_resume(self) -> None:
        """Back on this view (from another view or a dialog): read again, since the command
        line, an agent or another view may have changed what it shows."""
        if self.was_suspended:
            self.reload()

    def show_title(self, workspace_name: str) -> None:
        self.title = f"{workspace_name} · {self.VIEW_NAME}"

    def reload(self) -> None:
        """Start reading the view's data again."""
        raise NotImplementedError

    def on_main_view_load_failed(self, message: LoadFailed) -> None:
        error = message.error
        self.notify(
            f"{error.message}\n{error.hint or ''}".strip(),
            title="Could not load",
            severity="error",
            markup=False,
        )
