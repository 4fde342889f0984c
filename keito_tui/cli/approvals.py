"""`keito timesheet` and `keito approvals`: submit a period, review and decide submissions."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import CliState, cli_state
from keito_tui.cli.tracking import FromOpt, OnlySourceOpt, OnlyUserOpt, ToOpt, hours_text

if TYPE_CHECKING:
    from sqlmodel import Session

timesheet_app = typer.Typer(
    help="Submit your time and expenses for approval and see where they stand.",
    no_args_is_help=True,
)
approvals_app = typer.Typer(
    help="Review submitted timesheets: list, show, approve, reject, withdraw.",
    no_args_is_help=True,
)

WeekOpt = Annotated[
    str | None,
    typer.Option(help="A day of the week to cover (YYYY-MM-DD, today, -7; default: this week)."),
]
SubmissionArgs = Annotated[list[str], typer.Argument(help="Submission IDs (one or more).")]
NoteOpt = Annotated[str | None, typer.Option(help="A note for the team member.")]

#: Left out on a narrow terminal, last first.
_QUEUE_OPTIONAL = ["status", "billable_hours"]
_QUEUE_COLUMNS = ["id", "user", "period", "status", "total_hours", "billable_hours",
                  "expenses", "flags"]


def resolve_period(session: Session, *, week: str | None, date_from: str | None,
                   date_to: str | None, today: date) -> tuple[date, date]:
    """The period a command covers: --week DAY, or --from and --to, else the current week."""
    from keito_core.errors import validation
    from keito_core.platform.identity import get_workspace
    from keito_core.rules.periods import parse_date, week_bounds

    if week is not None and (date_from is not None or date_to is not None):
        raise validation("give either --week or --from/--to, not both", field="week")
    if date_from is not None or date_to is not None:
        if date_from is None or date_to is None:
            raise validation("give both --from and --to", field="from" if date_from is None
                             else "to", hint="or --week DAY for a whole week")
        return (parse_date(date_from, today=today, field="from"),
                parse_date(date_to, today=today, field="to"))
    day = parse_date(week, today=today, field="week") if week is not None else today
    return week_bounds(day, get_workspace(session).week_start)


def _today(state: CliState, session: Session, actor: Any, user: str | None) -> date:
    from keito_core.platform.access import owner_of

    return owner_of(session, actor, user, now=state.runtime.clock()).today


def _queue_row(view: dict[str, Any]) -> dict[str, Any]:
    """A flat row of the queue for tables."""
    money = "; ".join(f"{t['count']} ({t['total_cost']} {t['currency']})"
                      for t in view["expense_totals"])
    return {
        **view,
        "user": view["user"]["name"] + (" (agent)" if view["user"]["user_type"] == "agent" else ""),
        "period": f"{view['period_start']} – {view['period_end']}",
        "total_hours": hours_text(view["total_hours"]),
        "billable_hours": hours_text(view["billable_hours"]),
        "expenses": money or "0",
        "flags": ", ".join(view["flags"]),
    }


@timesheet_app.command("submit")
def submit(
    week: WeekOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    user: Annotated[str | None, typer.Option("--user", help="Whose timesheet (default: yours).")]
    = None,
) -> None:
    """Submit every unsubmitted or rejected entry and expense of a period for approval."""
    from keito_core import presenters as public
    from keito_core.reports.approval_queue import summarize
    from keito_core.rules.text import counted
    from keito_core.services.approvals.workflow import period_text, submit_timesheet

    state = cli_state()
    with state.acting() as (session, actor):
        first, last = resolve_period(session, week=week, date_from=date_from, date_to=date_to,
                                     today=_today(state, session, actor, user))
        result = submit_timesheet(session, actor=actor, date_from=first, date_to=last,
                                  now=state.runtime.clock(), user_ref=user)
        summary = summarize(session, actor, [result.submission])[0]
        view = public.submission_public(summary, viewer=actor)
    out = state.output
    if result.left_running and not out.json:
        out.warn("a running timer was left out; stop it and submit again to include it")
    counts = f"{counted(result.entry_count, 'time entry')} ({hours_text(view['total_hours'])})"
    if result.expense_count:
        counts += f" and {counted(result.expense_count, 'expense')}"
    out.message(f"Submitted {counts} for {period_text(first, last)} as {view['id']}",
                data={**view, "left_running": list(result.left_running)})


@timesheet_app.command("status")
def status(
    week: WeekOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    user: OnlyUserOpt = None,
) -> None:
    """Show a period's entries per approval status and the submissions that cover it."""
    from keito_core import presenters as public
    from keito_core.reports.approval_queue import timesheet_status

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        first, last = resolve_period(session, week=week, date_from=date_from, date_to=date_to,
                                     today=_today(state, session, actor, user))
        found = timesheet_status(session, actor=actor, date_from=first, date_to=last,
                                 user_ref=user, now=state.runtime.clock())
        view = public.timesheet_status_public(found, viewer=actor)
    out = state.output
    if out.json or out.quiet:
        if out.quiet:
            out.listing(view["submissions"], columns=["id"])
        else:
            out.record(view)
        return
    rows = [{"status": name, "time_entries": s["entry_count"], "hours": hours_text(s["hours"]),
             "expenses": s["expense_count"]} for name, s in view["statuses"].items()]
    title = f"{view['user']['name']}: {first} – {last}"
    out.listing(rows, columns=["status", "time_entries", "hours", "expenses"], title=title)
    if not view["approvals_enabled"]:
        out.warn("approvals are turned off: entries are final when saved")
    elif view["to_submit"]:
        out.stdout.write(f"{view['to_submit']} items to submit: `keito timesheet submit`\n")
    if view["running_timer"]:
        out.stdout.write("A timer is running in this period.\n")
    out.listing([_queue_row(s) for s in view["submissions"]], columns=_QUEUE_COLUMNS,
                title="Submissions", optional=_QUEUE_OPTIONAL)


@approvals_app.command("list")
def list_(
    status: Annotated[
        str | None,
        typer.Option(help="submitted (awaiting a decision; the default), approved or rejected."),
    ] = None,
    user: OnlyUserOpt = None,
    source: OnlySourceOpt = None,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    every_status: Annotated[
        bool, typer.Option("--all", help="Every status, not just those awaiting a decision.")
    ] = False,
) -> None:
    """List the submissions you may review, oldest first (awaiting a decision by default)."""
    from keito_core import presenters as public
    from keito_core.errors import validation
    from keito_core.reports.approval_queue import list_submissions

    if every_status and status is not None:
        raise validation("give --status or --all, not both", field="status",
                         hint="--all lists every status")
    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        rows = list_submissions(session, actor=actor,
                                status=None if every_status else status or "submitted",
                                user_ref=user, source=source, date_from=date_from,
                                date_to=date_to, now=state.runtime.clock())
    views = [public.submission_public(r, viewer=actor) for r in rows]
    out = state.output
    out.listing(views if out.json else [_queue_row(v) for v in views], columns=_QUEUE_COLUMNS,
                title="Submissions", optional=_QUEUE_OPTIONAL)


@approvals_app.command("show")
def show(submission: Annotated[str, typer.Argument(help="Submission ID.")]) -> None:
    """Show a submission: its totals, flags, entries, expenses and daily totals."""
    from keito_core import presenters as public
    from keito_core.reports.approval_queue import get_submission

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        view = public.submission_detail_public(
            get_submission(session, actor=actor, submission_id=submission), viewer=actor)
    out = state.output
    if out.json or out.quiet:
        out.record(view)
        return
    row = _queue_row(view)
    out.record({key: row[key] for key in ("id", "user", "period", "status", "total_hours",
                                          "billable_hours", "expenses", "flags", "reason")},
               title=f"Submission {view['id']}")
    out.listing([{**e, "hours": hours_text(e["hours"]), "flags": ", ".join(e["flags"])}
                 for e in view["time_entries"]],
                columns=["spent_date", "client", "project", "task", "hours", "is_billable",
                         "source", "notes", "flags"], title="Time entries")
    if view["expenses"]:
        out.listing([{**x, "flags": ", ".join(x["flags"])} for x in view["expenses"]],
                    columns=["spent_date", "project", "expense_category", "total_cost",
                             "currency", "notes", "flags"], title="Expenses")
    out.listing([{**d, "hours": hours_text(d["hours"]), "flags": ", ".join(d["flags"])}
                 for d in view["daily_totals"]], columns=["date", "hours", "flags"],
                title="Daily totals")


def _decided(state: CliState, verb: str, fn: Any, ids: list[str], **kwargs: Any) -> None:
    """Run a decision on every ID in one transaction and report the submissions."""
    from keito_core import presenters as public
    from keito_core.reports.approval_queue import summarize

    with state.acting() as (session, actor):
        done = fn(session, actor=actor, submission_ids=ids, now=state.runtime.clock(), **kwargs)
        views = [public.submission_public(s, viewer=actor)
                 for s in summarize(session, actor, done)]
    out = state.output
    if out.quiet or out.json:
        out.listing(views, columns=["id"])
        return
    noun = "submission" if len(views) == 1 else "submissions"
    out.message(f"{verb} {len(views)} {noun}: " + ", ".join(v["id"] for v in views))


@approvals_app.command("approve")
def approve(ids: SubmissionArgs, note: NoteOpt = None) -> None:
    """Approve submissions: their entries and expenses lock and can be invoiced."""
    from keito_core.services.approvals.workflow import approve_submissions

    _decided(cli_state(), "Approved", approve_submissions, ids, note=note)


@approvals_app.command("reject")
def reject(
    ids: SubmissionArgs,
    reason: Annotated[
        str | None, typer.Option("--reason", "--note", help="Why, for the team member (required).")
    ] = None,
) -> None:
    """Send submissions back with a reason: their items become editable again."""
    from keito_core.services.approvals.workflow import reject_submissions

    _decided(cli_state(), "Rejected", reject_submissions, ids, reason=reason or "")


@approvals_app.command("withdraw")
def withdraw(ids: SubmissionArgs, note: NoteOpt = None) -> None:
    """Undo approvals: the submissions return to awaiting a decision."""
    from keito_core.services.approvals.workflow import withdraw_approvals

    _decided(cli_state(), "Withdrew the approval of", withdraw_approvals, ids, note=note)
