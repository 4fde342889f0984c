"""Entry point of the full-screen app: build the runtime, run the app, close the runtime."""

from __future__ import annotations


def run_app() -> None:
    """Open Keito full-screen on the workspace the environment names (`keito` alone)."""
    from keito_core.platform.runtime import make_runtime
    from keito_tui.app.keito_app import KeitoApp

    runtime = make_runtime()
    try:
        KeitoApp(runtime).run()
    finally:
        runtime.close()
