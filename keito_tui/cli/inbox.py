"""`keito notifications`, `keito remind` and `keito audit`: the inbox, reminders and the trail."""

from __future__ import annotations

import typer

notifications_app = typer.Typer(
    help="Your inbox: timesheet submissions, approvals, rejections and withdrawals.",
    invoke_without_command=True,
)


def register(app: typer.Typer) -> None:
    """Add the inbox group and the root `remind` and `audit` commands to the app."""
    app.add_typer(notifications_app, name="notifications")
