"""The footer of every view: Textual's, redrawn only when the keys it shows change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

if TYPE_CHECKING:
    from textual.screen import Screen

#: What the footer shows of one binding: key, label, action, group, enabled, tooltip.
Shown = tuple[tuple[object, ...], ...]


class KeitoFooter(Footer):
    """Textual's Footer recomposes (a widget per key, each styled anew) on every change of
    focus or bindings, several times while a view opens. This one coalesces those signals
    into one check after the next refresh and recomposes only when the shown keys differ:
    the same footer, a fraction of the start-up work."""

    def __init__(self, *, compact: bool = False, show_command_palette: bool = True) -> None:
        super().__init__(compact=compact, show_command_palette=show_command_palette)
        self._check_pending = False
        self._shown: Shown | None = None

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    def shown_keys(self) -> Shown:
        """The bindings the footer shows, as it would draw them."""
        return tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, binding.group, enabled, tooltip)
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self.shown_keys()
        if shown != self._shown:
            self._shown = shown
            await self.recompose()
