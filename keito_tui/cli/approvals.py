"""`keito timesheet` and `keito approvals`: submit a period, review and decide submissions."""

from __future__ import annotations

import typer

timesheet_app = typer.Typer(
    help="Submit your time and expenses for approval and see where they stand.",
    no_args_is_help=True,
)
approvals_app = typer.Typer(
    help="Review submitted timesheets: list, show, approve, reject, withdraw.",
    no_args_is_help=True,
)
