"""Waiting for the app's workers in Pilot tests."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from textual.app import App
from textual.pilot import Pilot
from textual.worker import WorkerCancelled


async def finish_workers(app: App) -> None:
    """Wait for the app's running workers. A view's newer read cancels its older one (the
    workers are exclusive), and a cancelled worker is finished, not an error: one cancelled
    while we wait ends the wait, and the caller's next round sees the rest."""
    with suppress(WorkerCancelled):
        await app.workers.wait_for_complete([w for w in app.workers if not w.is_cancelled])


async def settle(pilot: Pilot) -> None:
    """Let every worker finish and every message it posted be handled."""
    app = pilot.app
    for _ in range(30):
        await finish_workers(app)
        await pilot.pause()
        if all(worker.is_finished for worker in app.workers):
            return
    raise AssertionError("workers did not settle")


async def until(pilot: Pilot, condition: Callable[[], object], what: str) -> None:
    """Settle until `condition()` holds (about four seconds at most)."""
    for _ in range(200):
        await settle(pilot)
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"never happened: {what}")
