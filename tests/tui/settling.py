"""Waiting for the app's workers in Pilot tests."""

from __future__ import annotations

from contextlib import suppress

from textual.app import App
from textual.worker import WorkerCancelled


async def finish_workers(app: App) -> None:
    """Wait for the app's running workers. A view's newer read cancels its older one (the
    workers are exclusive), and a cancelled worker is finished, not an error: one cancelled
    while we wait ends the wait, and the caller's next round sees the rest."""
    with suppress(WorkerCancelled):
        await app.workers.wait_for_complete([w for w in app.workers if not w.is_cancelled])
