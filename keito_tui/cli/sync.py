"""`keito sync`: connect Keito to Xero or QuickBooks Online and push invoices, contacts and
payments to it (docs/accounting.md).

The commands live in two modules registered here: sync_connect (connect, disconnect) and
sync_push (status, settings, push, pull, retry).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Sync invoices, contacts and payments with Xero or QuickBooks Online.",
    no_args_is_help=True,
)


def _register() -> None:
    from keito_tui.cli import sync_connect, sync_push

    sync_connect.register(app)
    sync_push.register(app)


_register()
