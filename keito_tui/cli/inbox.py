"""`keito notifications`, `keito remind` and `keito audit`: the inbox, reminders and the trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.state import cli_state
from keito_tui.cli.tracking import CursorOpt, LimitOpt, page_extra

if TYPE_CHECKING:
    from keito_core.services.approvals.reminders import ReminderRun

notifications_app = typer.Typer(
    help="Your inbox: timesheet submissions, approvals, rejections, withdrawals and reminders.",
    invoke_without_command=True,
)

_INBOX_COLUMNS = ["new", "created_at", "kind", "title", "note", "id"]
_REMIND_COLUMNS = ["name", "user_type", "time_entries", "hours", "expenses", "rejected", "status"]
#: The action names the record's kind (time_entry.edit), so the table shows only its ID.
_AUDIT_COLUMNS = ["created_at", "actor", "action", "entity_id", "changes", "reason"]
_REASONS = {
    "dry_run": "Dry run: nothing sent.",
    "approvals_off": "Nothing sent: approvals are off "
    "(`keito settings set features.approvals on`).",
    "reminders_off": "Nothing sent: reminders are off "
    "(`keito settings set reminders.enabled on`, or --force).",
}


def register(app: typer.Typer) -> None:
    """Add the inbox group and the root `remind` and `audit` commands to the app."""
    app.add_typer(notifications_app, name="notifications")
    app.command("remind")(remind)
    app.command("audit")(audit)


# --- the inbox ------------------------------------------------------------------------------


def _show_inbox(unread: bool, limit: int, cursor: str | None) -> None:
    from keito_core.services.inbox.notifications import (
        list_notifications,
        notification_view,
        unread_count,
    )

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        page = list_notifications(
            session, actor=actor, unread_only=unread, limit=limit, cursor=cursor
        )
        rows = [notification_view(n) for n in page.items]
        count = unread_count(session, actor=actor)
    out = state.output
    extra = {**page_extra(page), "unread": count}
    if out.json or out.quiet:
        out.listing(rows, columns=_INBOX_COLUMNS, extra=extra)
        return
    table = [{**row, "new": "●" if not row["is_read"] else "", "note": row["body"]}
             for row in rows]
    out.listing(table, columns=_INBOX_COLUMNS, title="Notifications", optional=["kind"])
    out.stdout.write(f"{count} unread.\n")
    if page.has_more:
        out.stdout.write(f"More: --cursor {page.next_cursor}\n")


@notifications_app.callback()
def notifications(ctx: typer.Context) -> None:
    """Your inbox; alone it lists your latest notifications."""
    if ctx.invoked_subcommand is None:
        _show_inbox(False, 50, None)


@notifications_app.command("list")
def list_(
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
) -> None:
    """List your notifications, newest first."""
    _show_inbox(unread, limit, cursor)


@notifications_app.command("read")
def read(
    ids: Annotated[
        list[str] | None, typer.Argument(help="Notification IDs to mark read.", show_default=False)
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Mark every unread notification read.")] = (
        False
    ),
) -> None:
    """Mark notifications read (by ID, or all of them)."""
    from keito_core.services.inbox.notifications import mark_read, unread_count

    state = cli_state()
    with state.acting() as (session, actor):
        changed = mark_read(
            session, actor=actor, notification_ids=ids or [], all=every, now=state.runtime.clock()
        )
        left = unread_count(session, actor=actor)
    marked = [row.id for row in changed]
    noun = "notification" if len(marked) == 1 else "notifications"
    state.output.message(
        f"Marked {len(marked)} {noun} read; {left} unread",
        data={"marked_read": len(marked), "ids": marked, "unread": left},
    )


# --- reminders ------------------------------------------------------------------------------


def _email(run: ReminderRun, everyone: bool) -> dict[str, Any]:
    """Email the reminders just written (and, for administrators, anything else pending)."""
    import os

    from keito_core.errors import KeitoError
    from keito_core.io.email import send_pending, smtp_settings
    from keito_core.platform.identity import get_workspace

    state = cli_state()
    now = state.runtime.clock()
    with state.session() as session:
        workspace = get_workspace(session)
        try:
            smtp = smtp_settings(workspace, env=os.environ)
        except KeitoError as exc:
            return {"configured": True, "sent": 0, "failed": [], "error": exc.message}
        if smtp is None:
            return {"configured": False, "sent": 0, "failed": [], "error": None}
        ids = None if everyone else [m.notification_id for m in run.notified if m.notification_id]
        delivery = send_pending(
            session, smtp=smtp, company=workspace.name, now=now, ids=ids
        )
    return {"configured": True, **delivery.to_dict()}


def _summary(run: ReminderRun, email: dict[str, Any]) -> str:
    if run.reason == "not_due":
        return "Nothing sent: no reminder is due yet this period."
    if run.reason is not None:
        return _REASONS[run.reason]
    kind = "deadline reminder" if run.kind == "timesheet_deadline" else "reminder"
    told = len(run.notified)
    already = sum(1 for m in run.members if m.status == "already_notified")
    text = f"Sent the {kind} to {told} {'person' if told == 1 else 'people'}"
    if already:
        text += f"; {already} had it already"
    if email["configured"]:
        text += f"; emailed {email['sent']}"
    else:
        text += "; in-app only (no SMTP server: `keito settings set smtp.host HOST`)"
    return text + "."


def remind(
    week: Annotated[
        str | None,
        typer.Option(help="Any day of the week to check (default: this week)."),
    ] = None,
    send: Annotated[
        bool,
        typer.Option(
            "--send/--dry-run",
            help="Send the reminder that is due (default), or only list who would get it.",
        ),
    ] = True,
    kind: Annotated[
        str | None,
        typer.Option(help="reminder or deadline (default: whichever is due; the later wins)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Send now even before the due time, when reminders are off, or again."
        ),
    ] = False,
) -> None:
    """Remind people with unsubmitted time or expenses to submit; safe to run from cron."""
    from keito_core.platform.identity import get_workspace
    from keito_core.reports.reminders import remindable_user_ids
    from keito_core.rules.periods import parse_date
    from keito_core.services.approvals.reminders import run_reminders

    state = cli_state()
    now = state.runtime.clock()
    with state.acting() as (session, actor):
        day = None
        if week is not None:
            today = state.runtime.today(get_workspace(session).timezone)
            day = parse_date(week, today=today, field="week")
        run = run_reminders(
            session, actor=actor, now=now, day=day, kind=kind, send=send, force=force
        )
        everyone = remindable_user_ids(actor) is None
    email: dict[str, Any] = {"configured": None, "sent": 0, "failed": [], "error": None}
    if run.sent:
        email = _email(run, everyone)
    data = {**run.to_dict(), "email": email}
    out = state.output
    if email["error"]:
        out.warn(f"email: {email['error']}")
    for failure in email["failed"]:
        if failure["error"] != email["error"]:
            out.warn(f"email of {failure['id']}: {failure['error']}")
    if out.quiet:
        for member in run.notified:
            out.stdout.write(f"{member.notification_id}\n")
        return
    if out.json:
        out.record(data)
        return
    from zoneinfo import ZoneInfo

    s = run.schedule
    tz = ZoneInfo(s.timezone)
    reminder, deadline = s.reminder_at.astimezone(tz), s.deadline_at.astimezone(tz)
    out.stdout.write(
        f"Week {s.period_start} to {s.period_end}: reminder {reminder:%a %Y-%m-%d %H:%M}, "
        f"deadline {deadline:%a %Y-%m-%d %H:%M} ({s.timezone})\n"
    )
    rows = [m.to_dict() for m in run.members]
    out.listing(rows, columns=_REMIND_COLUMNS, title="People with unsubmitted items")
    out.stdout.write(_summary(run, email) + "\n")


# --- the audit trail ------------------------------------------------------------------------


def _change_text(view: dict[str, Any]) -> str:
    parts = [f"{c['field']}: {c['from']} → {c['to']}" for c in view["changes"]]
    parts += [f"{key}={value}" for key, value in view["values"].items()]
    return "; ".join(parts)


def audit(
    entity: Annotated[str | None, typer.Option("--entity", help="Only this record's ID.")] = None,
    entity_type: Annotated[
        str | None, typer.Option("--type", help="Only this kind of record (time_entry, user ...).")
    ] = None,
    actor_ref: Annotated[
        str | None, typer.Option("--actor", help="Only changes made by this user.")
    ] = None,
    action: Annotated[
        str | None,
        typer.Option(help="Only this action (time_entry.edit), or a prefix (time_entry)."),
    ] = None,
    since: Annotated[str | None, typer.Option(help="From this day (local date).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to and including this day.")] = None,
    limit: LimitOpt = 50,
    cursor: CursorOpt = None,
) -> None:
    """Show the audit trail: who changed what, when, from what to what, and why."""
    from keito_core.reports.audit_log import event_views, list_events

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        page = list_events(
            session,
            actor=actor,
            entity_id=entity,
            entity_type=entity_type,
            actor_ref=actor_ref,
            action=action,
            since=since,
            until=until,
            now=state.runtime.clock(),
            limit=limit,
            cursor=cursor,
        )
        views = event_views(session, page.items)
    out = state.output
    if out.json or out.quiet:
        out.listing(views, columns=_AUDIT_COLUMNS, extra=page_extra(page))
        return
    rows = [
        {
            **view,
            "actor": (view["actor"] or {}).get("name") or (view["actor"] or {}).get("id"),
            "changes": _change_text(view),
        }
        for view in views
    ]
    out.listing(rows, columns=_AUDIT_COLUMNS, title="Audit trail", optional=["reason"])
    if page.has_more:
        out.stdout.write(f"More: --cursor {page.next_cursor}\n")
