"""Source badges: a violet Agent label and an amber CLI label on entries and expenses."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text

AGENT_COLOUR = "#7c3aed"
CLI_COLOUR = "#f59e0b"

#: source -> (label, style). Entries typed by people (tui, web) carry no badge.
BADGES: dict[str, tuple[str, Style]] = {
    "agent": (" Agent ", Style(color="white", bgcolor=AGENT_COLOUR, bold=True)),
    "cli": (" CLI ", Style(color="black", bgcolor=CLI_COLOUR, bold=True)),
    "api": (" API ", Style(color="white", bgcolor="#475569")),
}


def source_badge(source: str | None) -> Text:
    """The badge for an entry's source (`agent`, `cli`, `api`); empty text for the others."""
    badge = BADGES.get(str(source or "").lower())
    if badge is None:
        return Text("")
    label, style = badge
    return Text(label, style=style)


def badge_width(source: str | None) -> int:
    """How many cells the source's badge takes (0 without a badge)."""
    return source_badge(source).cell_len
