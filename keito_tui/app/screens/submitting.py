"""Submitting your own week for approval, from any view that offers it (Day, Week, Approvals).

`SubmitsWeek` asks for a day (Enter: the week shown), submits the week holding it with
keito_core.services.approvals.workflow.submit_timesheet in a worker, and says what was
submitted in the workspace's duration format.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from textual import work

from keito_core.errors import KeitoError
from keito_tui.app.screens.dialogs import DateDialog
from keito_tui.app.values import ErrorInfo

if TYPE_CHECKING:
    from keito_tui.app.screens.base import MainView


@dataclass(frozen=True)
class Submitted:
    """A submit that went through: what to tell the user."""

    text: str
    warning: str | None


def submitted_text(*, entries: int, seconds: int, expenses: int, period: str,
                   duration_format: str) -> str:
    """`Submitted 2 time entries (3.50 h) and 1 expense for 2026-03-02 to 2026-03-08.`"""
    from keito_core.rules.durations import format_duration_unit

    what = "1 time entry" if entries == 1 else f"{entries} time entries"
    hours = format_duration_unit(seconds, duration_format)
    extra = (f" and {expenses} expense{'' if expenses == 1 else 's'}" if expenses else "")
    return f"Submitted {what} ({hours}){extra} for {period}."


class SubmitsWeek:
    """A view's `submit_week` action (mixed into a MainView)."""

    def submit_week_day(self) -> date | None:
        """The day the dialog offers: a day of the week shown (None: today)."""
        return None

    def submit_week_today(self) -> date | None:
        """The user's today, as the view last read it (None: not read yet)."""
        return None

    def submitted_week(self) -> None:
        """After a submit: read the view again."""
        view: MainView = self  # type: ignore[assignment]
        view.reload()

    def action_submit_week(self) -> None:
        view: MainView = self  # type: ignore[assignment]
        today = self.submit_week_today()

        def chosen(day: date | None) -> None:
            if day is not None:
                self.submit_week_of(day)

        view.app.push_screen(
            DateDialog(self.submit_week_day() or today or date.today(), today=today,
                       title="Submit the week holding (Enter: this one)"),
            chosen)

    @work(thread=True, exclusive=True, group="submit-week")
    def submit_week_of(self, day: date) -> None:
        from keito_core.platform.identity import get_workspace
        from keito_core.rules.periods import week_bounds
        from keito_core.services.approvals.workflow import period_text, submit_timesheet

        view: MainView = self  # type: ignore[assignment]
        try:
            with view.runtime.session() as session:
                actor = view.runtime.actor(session)
                workspace = get_workspace(session)
                first, last = week_bounds(day, workspace.week_start)
                result = submit_timesheet(session, actor=actor, date_from=first, date_to=last,
                                          now=view.runtime.clock())
                fmt = str(workspace.duration_format)
        except KeitoError as exc:
            view.app.call_from_thread(self.submit_refused, ErrorInfo.of(exc))
            return
        text = submitted_text(entries=result.entry_count, seconds=result.entry_seconds,
                              expenses=result.expense_count, period=period_text(first, last),
                              duration_format=fmt)
        warning = ("A running timer was left out: stop it and submit again to include it."
                   if result.left_running else None)
        view.app.call_from_thread(self.submit_done, Submitted(text, warning))

    def submit_refused(self, error: ErrorInfo) -> None:
        """Say why nothing was submitted."""
        view: MainView = self  # type: ignore[assignment]
        title = {"authorization_error": "Not allowed", "conflict": "Not now"}.get(
            error.code, "Not submitted")
        text = f"{error.message} ({error.hint})" if error.hint else error.message
        view.notify(text, title=title, severity="warning", markup=False)

    def submit_done(self, result: Submitted) -> None:
        view: MainView = self  # type: ignore[assignment]
        view.notify(result.text, title="Submitted", markup=False)
        if result.warning:
            view.notify(result.warning, severity="warning", markup=False)
        self.submitted_week()
