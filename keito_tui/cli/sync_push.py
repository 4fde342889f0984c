"""`keito sync status|settings|push|pull|retry`: what is synced, the mappings, and sending."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add status, settings, push, pull and retry to the `keito sync` group."""
