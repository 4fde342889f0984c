"""The approval workflow as a state machine over plain values (no database, no I/O).

A submission bundles one user's items (time entries and expenses) for a period:

    submit:    (new)     -> submitted    items: unsubmitted | rejected -> submitted
    approve:   submitted -> approved     items: submitted -> approved
    reject:    submitted -> rejected     items: submitted -> rejected
    withdraw:  approved  -> submitted    items: approved  -> submitted

Items always carry the status of the submission they belong to (an item that was never
submitted is `unsubmitted` and belongs to none). A rejected item keeps pointing at its rejected
submission until it is submitted again, when it joins the new submission. Anything else is an
invalid transition: a `conflict` that names the state the submission is in.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

from keito_core.enums import ApprovalStatus, SubmissionStatus
from keito_core.errors import conflict, validation
from keito_core.rules import permissions as policy
from keito_core.rules.inputs import parse_day
from keito_core.rules.permissions import Action, Target


class Decision(StrEnum):
    """A reviewer's step on an existing submission."""

    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"


#: Where each decision may start and where it leads.
DECISIONS: dict[Decision, tuple[SubmissionStatus, SubmissionStatus]] = {
    Decision.APPROVE: (SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED),
    Decision.REJECT: (SubmissionStatus.SUBMITTED, SubmissionStatus.REJECTED),
    Decision.WITHDRAW: (SubmissionStatus.APPROVED, SubmissionStatus.SUBMITTED),
}

#: Item statuses that a new submission picks up.
SUBMITTABLE: frozenset[ApprovalStatus] = frozenset(
    {ApprovalStatus.UNSUBMITTED, ApprovalStatus.REJECTED}
)

_PAST = {Decision.APPROVE: "approved", Decision.REJECT: "rejected", Decision.WITHDRAW: "withdrawn"}

_WHY_NOT = {
    (Decision.APPROVE, SubmissionStatus.APPROVED): "it is already approved",
    (Decision.APPROVE, SubmissionStatus.REJECTED): "it was rejected; the user submits again",
    (Decision.REJECT, SubmissionStatus.APPROVED): "it is approved; withdraw the approval first",
    (Decision.REJECT, SubmissionStatus.REJECTED): "it is already rejected",
    (Decision.WITHDRAW, SubmissionStatus.SUBMITTED): "it is not approved (it awaits a decision)",
    (Decision.WITHDRAW, SubmissionStatus.REJECTED): "it was rejected, not approved",
}


def past_tense(decision: Decision | str) -> str:
    """approve -> approved, reject -> rejected, withdraw -> withdrawn."""
    return _PAST[Decision(decision)]


def can_decide(status: SubmissionStatus | str, decision: Decision | str) -> bool:
    """Whether `decision` may be taken on a submission in `status`."""
    return DECISIONS[Decision(decision)][0] is SubmissionStatus(status)


def decide(status: SubmissionStatus | str, decision: Decision | str, *,
           label: str = "this submission") -> SubmissionStatus:
    """The status after `decision`, or a conflict naming the current state."""
    step, current = Decision(decision), SubmissionStatus(status)
    start, end = DECISIONS[step]
    if current is not start:
        reason = _WHY_NOT[(step, current)]
        raise conflict(f"{label} cannot be {past_tense(step)}: {reason}", field="status",
                       hint=f"{label} is {current.value}")
    return end


def item_status(status: SubmissionStatus | str) -> ApprovalStatus:
    """The approval status of the items of a submission in `status`."""
    return ApprovalStatus(SubmissionStatus(status).value)


def is_submittable(status: ApprovalStatus | str) -> bool:
    """Whether an item in `status` is picked up by the next submission."""
    return ApprovalStatus(status) in SUBMITTABLE


def is_consistent(item: ApprovalStatus | str, submission: SubmissionStatus | str | None) -> bool:
    """Whether an item's status agrees with the submission it belongs to (None: to none)."""
    if submission is None:
        return ApprovalStatus(item) is ApprovalStatus.UNSUBMITTED
    return ApprovalStatus(item) is item_status(submission)


def is_invoiceable(status: ApprovalStatus | str, *, approvals_enabled: bool,
                   invoiced: bool) -> bool:
    """Whether an item may go on an invoice: with approvals on, only once approved; with them
    off, as soon as it is saved (entries are final then); never when already invoiced."""
    if invoiced:
        return False
    return not approvals_enabled or ApprovalStatus(status) is ApprovalStatus.APPROVED


#: The longest period one submission may cover.
MAX_PERIOD_DAYS = 366


def may_decide(actor: policy.Actor, action: Action, owner_id: str,
               pairs: Iterable[tuple[str, str]]) -> bool:
    """Whether the policy allows `action` on every (owner, project) pair of a submission."""
    targets = [Target(owner_id=o, project_id=p) for o, p in pairs]
    return all(policy.can(actor, action, t) for t in targets or [Target(owner_id=owner_id)])


def period_bounds(date_from: date | str, date_to: date | str, *, today: date) -> tuple[date, date]:
    """The inclusive period [first, last] of a submission or status, checked."""
    first = parse_day(date_from, today=today, field="date_from")
    last = parse_day(date_to, today=today, field="date_to")
    if first > last:
        raise validation(f"the start date {first} is after the end date {last}", field="date_from")
    if (last - first).days >= MAX_PERIOD_DAYS:
        raise validation(f"a period covers at most {MAX_PERIOD_DAYS} days", field="date_to")
    return first, last

