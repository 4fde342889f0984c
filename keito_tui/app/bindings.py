"""The app's one registry of actions: it feeds the footer, the help screen and the palette.

Each action has a stable id, so users can remap its key with `App.set_keymap({id: key})`.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeitoAction:
    """One thing the user can do from anywhere in the app."""

    id: str
    key: str
    action: str
    description: str
    help: str
    key_display: str | None = None
    #: Offered in the command palette (Quit already is, as a Textual system command).
    in_palette: bool = True

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.description,
            id=self.id,
            tooltip=self.help,
            key_display=self.key_display,
        )


ACTIONS: tuple[KeitoAction, ...] = (
    KeitoAction(
        "manage", "m", "show_mode('manage')", "Manage",
        "Clients, projects, tasks, the team and expense categories",
    ),
    KeitoAction("settings", "s", "show_mode('settings')", "Settings", "Every workspace setting"),
    KeitoAction("refresh", "r", "refresh", "Refresh", "Read the current view again"),
    KeitoAction(
        "help", "question_mark", "help", "Help", "List every key binding", key_display="?"
    ),
    KeitoAction("quit", "ctrl+q", "quit", "Quit", "Quit Keito", in_palette=False),
)

#: Actions that need an open workspace (hidden during onboarding and start-up).
WORKSPACE_ACTIONS = frozenset({"show_mode", "refresh"})


def app_bindings() -> list[BindingType]:
    return [action.binding() for action in ACTIONS]
