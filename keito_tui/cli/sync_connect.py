"""`keito sync connect` and `keito sync disconnect` (written with the OAuth work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add connect and disconnect to the `keito sync` group."""
