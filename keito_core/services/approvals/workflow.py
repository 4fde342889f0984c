"""The approval workflow: submit a period, approve, reject or withdraw submissions, unlock items.

The states and transitions are keito_core.rules.approval_flow's; who may act is the policy's
(keito_core.rules.permissions); the read side (queue, detail, status) is
keito_core.reports.approval_queue. Decisions where the reference leaves room:

- Approvals off (`features.approvals` false): every workflow step is a `validation_error`
  naming the setting; entries are final when saved. Unlocking works either way.
- A submission takes ALL of the user's unsubmitted and rejected time entries and expenses
  dated in the period; later items form a new submission. A running timer is left out (it is
  still being recorded, and its owner must be able to stop it); it stays unsubmitted for the
  next batch, and `SubmitResult.left_running` names it. What a submission held is recorded
  (SubmissionItem), so a rejected one still lists its items after they are resubmitted.
- Decisions take several submissions at once, all or nothing: every submission is checked
  (the policy for each (owner, project) pair of its items, then its state, so that someone
  who may not decide learns nothing of the state) before any changes. `check_decision` runs
  the same checks without writing, for an interface to ask before it asks for a note.
- Every transition clears an administrator's unlock of the items it moves: an unlock is an
  exception to the state it was given in, not to the next one.
- Submitted items are read-only for everyone, approvers included: an approver rejects with a
  reason (the owner corrects and resubmits), or an administrator unlocks the item and edits
  it. Approved items refuse every edit until an administrator unlocks them, and invoiced
  items even then.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ApprovalAction, Role, SubmissionStatus, UserStatus
from keito_core.errors import KeitoError, conflict, not_found, validation
from keito_core.models import (
    ApprovalEvent,
    Expense,
    ManagerTeammate,
    ProjectMember,
    Submission,
    SubmissionItem,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform import audit
from keito_core.platform.access import owner_by_id, owner_of, require_named
from keito_core.platform.identity import actor_for, get_workspace
from keito_core.platform.ids import new_id
from keito_core.rules import permissions as policy
from keito_core.rules.approval_flow import (
    SUBMITTABLE,
    Decision,
    decide,
    item_status,
    may_decide,
    past_tense,
    period_bounds,
)
from keito_core.rules.durations import format_duration_unit
from keito_core.rules.locking import item_lock_reason
from keito_core.rules.permissions import Action, Target
from keito_core.rules.text import MAX_REASON_LENGTH, clean_text, counted
from keito_core.services.inbox.notifications import notify
from keito_core.services.tracking.entry_context import load_item

_ITEM_MODELS: tuple[Any, ...] = (TimeEntry, Expense)
_KINDS = {"time_entries": "time_entry", "expenses": "expense"}
_DECISION_ACTIONS = {
    Decision.APPROVE: Action.TIMESHEET_APPROVE,
    Decision.REJECT: Action.TIMESHEET_REJECT,
    Decision.WITHDRAW: Action.APPROVAL_WITHDRAW,
}
_EVENT_ACTIONS = {
    Decision.APPROVE: ApprovalAction.APPROVE,
    Decision.REJECT: ApprovalAction.REJECT,
    Decision.WITHDRAW: ApprovalAction.WITHDRAW,
}


@dataclass(frozen=True)
class SubmitResult:
    """A new submission, how many items (and seconds of time) it took, and running timers left
    out of it."""

    submission: Submission
    entry_count: int
    expense_count: int
    left_running: tuple[str, ...]
    entry_seconds: int


def require_approvals(workspace: Workspace) -> None:
    """Refuse workflow steps while the Approvals feature is off."""
    if not workspace.feature_approvals:
        raise validation(
            "approvals are turned off in this workspace: entries are final when saved",
            field="features.approvals",
            hint="an administrator can turn them on: `keito settings set features.approvals true`",
        )


def period_text(first: date, last: date) -> str:
    """2026-03-02 to 2026-03-08, or a single day."""
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def _kind(item: Any) -> str:
    """time_entry or expense: the prefix of an item's audit actions."""
    return _KINDS[item.__tablename__]


def _set_status(session: Session, item: Any, status: Any, *, submission_id: str | None,
                actor_id: str, now: datetime, action: str, reason: str | None = None) -> None:
    """Move one item to `status` (clearing any unlock), audited with the decision's reason."""
    values = {"approval_status": status, "submission_id": submission_id,
              "unlocked_at": None, "unlocked_by_id": None}
    diff = audit.apply_changes(item, values)
    if diff:
        item.updated_at = now
        session.add(item)
        if reason is not None:
            diff["reason"] = reason
        audit.record(session, actor_id=actor_id, action=action, entity=item, changes=diff, now=now)


def submission_items(session: Session, submission_id: str) -> tuple[list[TimeEntry], list[Expense]]:
    """The time entries and expenses that belong to a submission now: those a decision moves.

    What a submission held when submitted (kept after its items move on to a newer one) is
    in SubmissionItem; for a submission that can still be decided the two are the same.
    """
    entries = session.exec(select(TimeEntry).where(TimeEntry.submission_id == submission_id)
                           .order_by(col(TimeEntry.spent_date), col(TimeEntry.id))).all()
    expenses = session.exec(select(Expense).where(Expense.submission_id == submission_id)
                            .order_by(col(Expense.spent_date), col(Expense.id))).all()
    return list(entries), list(expenses)


def _pairs(items: Iterable[Any]) -> set[tuple[str, str]]:
    return {(item.user_id, item.project_id) for item in items}


def _require_pairs(session: Session, actor: policy.Actor, action: Action, owner_id: str,
                   pairs: set[tuple[str, str]]) -> None:
    targets = [Target(owner_id=o, project_id=p) for o, p in sorted(pairs)]
    for target in targets or [Target(owner_id=owner_id)]:
        require_named(session, actor, action, target)


def approvers_for(session: Session, owner_id: str, pairs: set[tuple[str, str]]) -> list[str]:
    """Active users other than the owner who may approve all of these items."""
    projects = sorted({project for _, project in pairs})
    managers_of_owner = select(ManagerTeammate.manager_id).where(
        ManagerTeammate.teammate_id == owner_id)
    project_managers = select(ProjectMember.user_id).where(
        col(ProjectMember.project_id).in_(projects), col(ProjectMember.is_project_manager))
    candidates = session.exec(select(User).where(
        col(User.status) == UserStatus.ACTIVE, col(User.id) != owner_id,
        sa.or_(col(User.role) == Role.ADMIN,
               sa.and_(col(User.role) == Role.MANAGER,
                       sa.or_(col(User.id).in_(managers_of_owner),
                              col(User.id).in_(project_managers)))),
    ).order_by(col(User.id))).all()
    return [user.id for user in candidates
            if may_decide(actor_for(session, user), Action.TIMESHEET_APPROVE, owner_id, pairs)]


def submit_timesheet(session: Session, *, actor: policy.Actor, date_from: date | str,
                     date_to: date | str, now: datetime,
                     user_ref: str | None = None) -> SubmitResult:
    """Bundle the user's unsubmitted and rejected items dated in the period into a submission."""
    owner = owner_of(session, actor, user_ref, now=now)
    policy.require(actor, Action.TIMESHEET_SUBMIT,
                   Target(owner_id=owner.user.id, owner_name=owner.user.name))
    require_approvals(owner.workspace)
    first, last = period_bounds(date_from, date_to, today=owner.today)
    found: list[Any] = []
    for model in _ITEM_MODELS:
        found += session.exec(select(model).where(
            model.user_id == owner.user.id, model.spent_date >= first, model.spent_date <= last,
            col(model.approval_status).in_(sorted(SUBMITTABLE)),
        ).order_by(col(model.spent_date), col(model.id))).all()
    running = tuple(item.id for item in found if getattr(item, "is_running", False))
    items = [item for item in found if not getattr(item, "is_running", False)]
    if not items:
        hint = ("stop the running timer first (`keito time stop`), then submit" if running
                else "log time or expenses in the period first")
        raise validation(f"nothing to submit for {period_text(first, last)}: no unsubmitted or "
                         "rejected time entries or expenses", field="date_from", hint=hint)
    submission = Submission(id=new_id("submission"), user_id=owner.user.id, period_start=first,
                            period_end=last, status=SubmissionStatus.SUBMITTED,
                            submitted_at=now)
    session.add(submission)
    session.flush()
    for item in items:
        _set_status(session, item, item_status(SubmissionStatus.SUBMITTED),
                    submission_id=submission.id, actor_id=actor.user_id, now=now,
                    action=f"{_kind(item)}.submit")
        session.add(SubmissionItem(submission_id=submission.id, item_id=item.id,
                                   item_kind=_kind(item)))
    entries = sum(isinstance(item, TimeEntry) for item in items)
    expenses = len(items) - entries
    session.add(ApprovalEvent(id=new_id("approval_event"), submission_id=submission.id,
                              actor_id=actor.user_id, action=ApprovalAction.SUBMIT,
                              item_count=len(items), created_at=now))
    audit.record(session, actor_id=actor.user_id, action="submission.submit", entity=submission,
                 changes={"status": [None, SubmissionStatus.SUBMITTED.value],
                          "period": [first.isoformat(), last.isoformat()],
                          "time_entries": entries, "expenses": expenses}, now=now)
    seconds = sum(i.duration_seconds for i in items if isinstance(i, TimeEntry))
    hours = format_duration_unit(seconds, owner.workspace.duration_format)
    notify(session, user_ids=approvers_for(session, owner.user.id, _pairs(items)),
           kind="timesheet_submitted",
           title=f"{owner.user.name} submitted a timesheet for {period_text(first, last)}",
           body=f"{hours} in {counted(entries, 'time entry')}, "
                f"{counted(expenses, 'expense')}",
           subject_type="submission", subject_id=submission.id, now=now)
    session.flush()
    return SubmitResult(submission=submission, entry_count=entries, expense_count=expenses,
                        left_running=running, entry_seconds=seconds)


def _load_submissions(session: Session, submission_ids: Sequence[str]) -> list[Submission]:
    ids = list(dict.fromkeys(i.strip() for i in submission_ids if i and i.strip()))
    if not ids:
        raise validation("give at least one submission ID", field="id")
    found = []
    for submission_id in ids:
        submission = session.get(Submission, submission_id)
        if submission is None:
            raise not_found("submission", submission_id, field="id")
        found.append(submission)
    return found


@dataclass(frozen=True)
class _Planned:
    """One submission a decision may take, with its new status and its items."""

    submission: Submission
    new_status: SubmissionStatus
    entries: list[TimeEntry]
    expenses: list[Expense]


def _plan(session: Session, *, actor: policy.Actor, submission_ids: Sequence[str],
          decision: Decision) -> list[_Planned]:
    """Every check of a decision, in order, writing nothing: approvals on, the submissions
    exist, then for each one who may act before its state."""
    require_approvals(get_workspace(session))
    submissions = _load_submissions(session, submission_ids)
    action = _DECISION_ACTIONS[decision]
    planned = []
    for submission in submissions:
        # Who may act comes first: someone who may not decide learns nothing of the state.
        entries, expenses = submission_items(session, submission.id)
        _require_pairs(session, actor, action, submission.user_id, _pairs([*entries, *expenses]))
        new_status = decide(submission.status, decision, label=f"submission {submission.id}")
        planned.append(_Planned(submission, new_status, entries, expenses))
    return planned


def check_decision(session: Session, *, actor: policy.Actor, kind: Decision | str,
                   submission_ids: Sequence[str]) -> None:
    """Raise what approving, rejecting or withdrawing (`kind`) these submissions would raise
    (except a rejection's missing reason), without writing: the interfaces' pre-check."""
    try:
        decision = Decision(kind)
    except ValueError:
        raise validation(f"unknown decision {kind!r}: approve, reject or withdraw",
                         field="kind") from None
    _plan(session, actor=actor, submission_ids=submission_ids, decision=decision)


def _decide(session: Session, *, actor: policy.Actor, submission_ids: Sequence[str],
            decision: Decision, note: str | None, now: datetime) -> list[Submission]:
    """Take `decision` on every submission, or on none: all are checked before any changes."""
    planned = _plan(session, actor=actor, submission_ids=submission_ids, decision=decision)
    for p in planned:
        _apply(session, actor=actor, submission=p.submission, new_status=p.new_status,
               items=[*p.entries, *p.expenses], decision=decision, note=note, now=now)
        _notify_owner(session, actor=actor, submission=p.submission, decision=decision,
                      note=note, now=now)
    session.flush()
    return [p.submission for p in planned]


def _apply(session: Session, *, actor: policy.Actor, submission: Submission,
           new_status: SubmissionStatus, items: list[Any], decision: Decision,
           note: str | None, now: datetime) -> None:
    old_status = SubmissionStatus(submission.status)
    for item in items:
        _set_status(session, item, item_status(new_status), submission_id=submission.id,
                    actor_id=actor.user_id, now=now,
                    action=f"{_kind(item)}.{decision.value}", reason=note)
    deciding = decision is not Decision.WITHDRAW
    submission.status = new_status
    submission.decided_at = now if deciding else None
    submission.decided_by_id = actor.user_id if deciding else None
    submission.reason = note if deciding else None
    session.add(submission)
    session.add(ApprovalEvent(id=new_id("approval_event"), submission_id=submission.id,
                              actor_id=actor.user_id, action=_EVENT_ACTIONS[decision],
                              reason=note, item_count=len(items), created_at=now))
    entries = sum(isinstance(item, TimeEntry) for item in items)
    audit.record(session, actor_id=actor.user_id, action=f"submission.{decision.value}",
                 entity=submission,
                 changes={"status": [old_status.value, new_status.value], "reason": note,
                          "time_entries": entries, "expenses": len(items) - entries}, now=now)


def _notify_owner(session: Session, *, actor: policy.Actor, submission: Submission,
                  decision: Decision, note: str | None, now: datetime) -> None:
    if submission.user_id == actor.user_id:
        return
    decider = session.get(User, actor.user_id)
    who = decider.name if decider is not None else actor.user_id
    period = period_text(submission.period_start, submission.period_end)
    title = f"Your timesheet for {period} was {past_tense(decision)} by {who}"
    if decision is Decision.WITHDRAW:
        title = f"{who} withdrew the approval of your timesheet for {period}"
    notify(session, user_ids=[submission.user_id], kind=f"timesheet_{past_tense(decision)}",
           title=title, body=note, subject_type="submission", subject_id=submission.id, now=now)


def _clean_note(note: str | None) -> str | None:
    """A decision's reason or note, stripped (empty is None), at most 2,000 characters."""
    return clean_text(note, limit=MAX_REASON_LENGTH, field="reason")


def approve_submissions(session: Session, *, actor: policy.Actor, submission_ids: Sequence[str],
                        note: str | None = None, now: datetime) -> list[Submission]:
    """Approve submitted timesheets: their items lock and become available for invoicing."""
    return _decide(session, actor=actor, submission_ids=submission_ids,
                   decision=Decision.APPROVE, note=_clean_note(note), now=now)


def reject_submissions(session: Session, *, actor: policy.Actor, submission_ids: Sequence[str],
                       reason: str, now: datetime) -> list[Submission]:
    """Send submitted timesheets back with a reason: their items become editable again."""
    cleaned = _clean_note(reason)
    if cleaned is None:
        raise validation("a rejection needs a reason", field="reason",
                         hint='say what to correct, e.g. --reason "split the Friday entry"')
    return _decide(session, actor=actor, submission_ids=submission_ids,
                   decision=Decision.REJECT, note=cleaned, now=now)


def withdraw_approvals(session: Session, *, actor: policy.Actor, submission_ids: Sequence[str],
                       note: str | None = None, now: datetime) -> list[Submission]:
    """Undo approvals: the submissions and their items return to submitted."""
    return _decide(session, actor=actor, submission_ids=submission_ids,
                   decision=Decision.WITHDRAW, note=_clean_note(note), now=now)


def _unlock(session: Session, *, actor: policy.Actor, model: Any, item_id: str, action: Action,
            noun: str, now: datetime) -> Any:
    item = load_item(session, model, item_id, actor=actor, action=action, noun=noun)
    if item.invoice_id is not None:
        raise KeitoError("locked", f"this {noun} is on an invoice and cannot be unlocked",
                         field="id", hint="remove it from the invoice first")
    if item.unlocked_at is not None:
        raise conflict(f"this {noun} is already unlocked", field="id")
    owner = owner_by_id(session, actor, item.user_id, now=now)
    reason = item_lock_reason(owner.workspace, item, owner.today)
    if reason is None:
        raise conflict(f"this {noun} is not locked: there is nothing to unlock", field="id")
    item.unlocked_at, item.unlocked_by_id, item.updated_at = now, actor.user_id, now
    session.add(item)
    audit.record(session, actor_id=actor.user_id, action=f"{_kind(item)}.unlock", entity=item,
                 changes={"unlocked_at": [None, now.isoformat()], "lock_reason": reason,
                          "unlocked_by_id": [None, actor.user_id]}, now=now)
    session.flush()
    return item


def unlock_entry(session: Session, *, actor: policy.Actor, entry_id: str,
                 now: datetime) -> TimeEntry:
    """Let an approved, submitted or auto-locked time entry be edited (administrators only)."""
    entry: TimeEntry = _unlock(session, actor=actor, model=TimeEntry, item_id=entry_id,
                               action=Action.TIME_ENTRY_UNLOCK, noun="time entry", now=now)
    return entry


def unlock_expense(session: Session, *, actor: policy.Actor, expense_id: str,
                   now: datetime) -> Expense:
    """Let an approved, submitted or auto-locked expense be edited (administrators only)."""
    expense: Expense = _unlock(session, actor=actor, model=Expense, item_id=expense_id,
                               action=Action.EXPENSE_UNLOCK, noun="expense", now=now)
    return expense


__all__ = ["SubmitResult", "approve_submissions", "approvers_for", "check_decision",
           "reject_submissions", "submission_items",
           "submit_timesheet", "unlock_entry", "unlock_expense", "withdraw_approvals"]
