"""The demo's inbox and audit trail: what the timesheets it wrote would have left behind.

Every submission has its audit events (`submission.submit`, and `submission.approve` for the
approved ones) at the instants the submission records. Approvers find the timesheets still
waiting for them in their inbox, unread; submitters the approval of their latest approved
week, unread, and of the week before, read. The titles are the workflow's own.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from keito_core.demo.data import Cast, epoch_ms, insert_rows
from keito_core.enums import SubmissionStatus
from keito_core.models import AuditEvent, Notification
from keito_core.platform.ids import new_id
from keito_core.rules.text import counted


def _period(first: date, last: date) -> str:
    """As services.approvals.workflow.period_text words it."""
    return f"{first.isoformat()} to {last.isoformat()}"


def write_activity(session: Session, cast: Cast, submissions: list[dict[str, Any]],
                   items: dict[str, int]) -> dict[str, int]:
    """Insert the notifications and audit events of `submissions` (their rows as written,
    with the number of items each holds); return how many of each."""
    names = {person.user.id: person.user.name for person in cast.people}
    approved_weeks = sorted({row["period_start"] for row in submissions
                             if row["status"] is SubmissionStatus.APPROVED})
    notified = set(approved_weeks[-2:])
    unread = set(approved_weeks[-1:])
    notes: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    for row in submissions:
        period = _period(row["period_start"], row["period_end"])
        held = items.get(row["id"], 0)
        submitted = row["submitted_at"]
        events.append(_event(row, row["user_id"], "submission.submit", submitted,
                             {"status": [None, "submitted"],
                              "period": [row["period_start"].isoformat(),
                                         row["period_end"].isoformat()],
                              "items": held}))
        if row["status"] is SubmissionStatus.SUBMITTED:
            approver = next(p.approver_id for p in cast.people if p.user.id == row["user_id"])
            if approver == row["user_id"]:  # the workflow tells approvers of others' work
                continue
            notes.append(_note(row, approver, "timesheet_submitted",
                               f"{names[row['user_id']]} submitted a timesheet for {period}",
                               f"{counted(held, 'item')} to review", submitted, read=None))
            continue
        decided, decider = row["decided_at"], row["decided_by_id"]
        events.append(_event(row, decider, "submission.approve", decided,
                             {"status": ["submitted", "approved"], "reason": None,
                              "items": held}))
        if row["period_start"] in notified and decider != row["user_id"]:
            notes.append(_note(row, row["user_id"], "timesheet_approved",
                               f"Your timesheet for {period} was approved by "
                               f"{names.get(decider, 'an approver')}", None, decided,
                               read=None if row["period_start"] in unread
                               else min(decided + timedelta(hours=3), cast.now)))
    insert_rows(session, Notification, notes)
    insert_rows(session, AuditEvent, events)
    return {"notifications": len(notes), "audit_events": len(events)}


def _event(row: dict[str, Any], actor_id: str | None, action: str, at: Any,
           changes: dict[str, Any]) -> dict[str, Any]:
    return {"id": new_id("audit_event", now_ms=epoch_ms(at)), "actor_id": actor_id,
            "action": action, "entity_type": "submissions", "entity_id": row["id"],
            "changes": changes, "created_at": at}


def _note(row: dict[str, Any], user_id: str, kind: str, title: str, body: str | None, at: Any,
          *, read: Any) -> dict[str, Any]:
    return {"id": new_id("notification", now_ms=epoch_ms(at)), "user_id": user_id,
            "kind": kind, "title": title, "body": body, "subject_type": "submission",
            "subject_id": row["id"], "read_at": read,
            "emailed_at": None, "created_at": at}
