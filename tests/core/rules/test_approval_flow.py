"""The approval state machine: transitions, property-based sequences of submit / approve /
reject / withdraw / edit checked against a model with its own table of statuses, and who may
take each step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keito_core.enums import (
    ApprovalStatus,
    ManagerPermission,
    Role,
    SubmissionStatus,
    UserStatus,
    UserType,
)
from keito_core.errors import KeitoError
from keito_core.rules import approval_flow as flow
from keito_core.rules import permissions as policy
from keito_core.rules.locking import lock_reason
from keito_core.rules.permissions import Action, Target

S, A, R = SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED, SubmissionStatus.REJECTED
TODAY = date(2026, 3, 6)


@pytest.mark.parametrize(("status", "decision", "after"), [
    (S, "approve", A), (S, "reject", R), (A, "withdraw", S),
])
def test_allowed_transitions(status, decision, after) -> None:
    assert flow.can_decide(status, decision)
    assert flow.decide(status, decision) is after


@pytest.mark.parametrize(("status", "decision", "words"), [
    (A, "approve", "already approved"), (R, "approve", "rejected"),
    (A, "reject", "withdraw the approval first"), (R, "reject", "already rejected"),
    (S, "withdraw", "not approved"), (R, "withdraw", "rejected, not approved"),
])
def test_invalid_transitions_are_conflicts_naming_the_state(status, decision, words) -> None:
    assert not flow.can_decide(status, decision)
    with pytest.raises(KeitoError) as caught:
        flow.decide(status, decision, label="submission sub_1")
    assert caught.value.code == "conflict" and words in caught.value.message
    assert caught.value.hint == f"submission sub_1 is {status.value}"


def test_item_status_follows_the_submission() -> None:
    assert [flow.item_status(s) for s in (S, A, R)] == [
        ApprovalStatus.SUBMITTED, ApprovalStatus.APPROVED, ApprovalStatus.REJECTED]
    assert flow.is_submittable("unsubmitted") and flow.is_submittable("rejected")
    assert not flow.is_submittable("submitted") and not flow.is_submittable("approved")
    assert flow.is_consistent("unsubmitted", None) and not flow.is_consistent("rejected", None)
    assert flow.past_tense("withdraw") == "withdrawn"


# --- property-based: sequences of steps on a model of items and submissions ------------------


#: The model's own table, written from the workflow's description rather than read from the
#: module: the status a decision starts from, the submission's status after it, and its items'.
EXPECTED = {
    "approve": (S, A, ApprovalStatus.APPROVED),
    "reject": (S, R, ApprovalStatus.REJECTED),
    "withdraw": (A, S, ApprovalStatus.SUBMITTED),
}
#: Item statuses that the next submission picks up and that their owner may still edit.
OPEN = {ApprovalStatus.UNSUBMITTED, ApprovalStatus.REJECTED}


@dataclass
class Item:
    status: ApprovalStatus = ApprovalStatus.UNSUBMITTED
    submission: int | None = None
    edits: int = 0


@dataclass
class Ledger:
    """Items and submissions moved by the model's table; each step checks approval_flow's
    answer (and the lock rule's) against the model's."""

    items: list[Item] = field(default_factory=lambda: [Item(), Item()])
    submissions: list[SubmissionStatus] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def editable(self, item: Item) -> bool:
        return lock_reason(approval_status=item.status, invoiced=False, spent_date=TODAY,
                           today=TODAY, lock_after_days=None, admin_unlocked=False,
                           approvals_enabled=True) is None

    def step(self, op: str, n: int) -> None:
        if op == "log":
            self.items.append(Item())
        elif op == "submit":
            picked = [i for i in self.items if i.status in OPEN]
            assert [flow.is_submittable(i.status) for i in self.items] == [
                i.status in OPEN for i in self.items]
            if picked:
                self.submissions.append(S)
                self.sizes.append(len(picked))
                assert flow.item_status(S) is ApprovalStatus.SUBMITTED
                for item in picked:
                    item.status, item.submission = ApprovalStatus.SUBMITTED, len(self.sizes) - 1
        elif op == "edit":
            item = self.items[n % len(self.items)]
            assert self.editable(item) is (item.status in OPEN)
            if item.status in OPEN:
                item.edits += 1
        elif self.submissions:
            index = n % len(self.submissions)
            current = self.submissions[index]
            start, after, items_after = EXPECTED[op]
            assert flow.can_decide(current, op) is (current is start)
            if current is not start:
                with pytest.raises(KeitoError) as caught:
                    flow.decide(current, op)
                assert caught.value.code == "conflict"
                return
            assert flow.decide(current, op) is after
            assert flow.item_status(after) is items_after
            self.submissions[index] = after
            for item in self.items:
                if item.submission == index:
                    item.status = items_after


steps = st.lists(st.tuples(st.sampled_from(["log", "submit", "approve", "reject", "withdraw",
                                            "edit"]), st.integers(0, 20)), max_size=60)


@settings(max_examples=300)
@given(steps)
def test_sequences_keep_the_invariants(sequence) -> None:
    ledger = Ledger()
    for op, n in sequence:
        before = [(i.status, i.edits) for i in ledger.items]
        ledger.step(op, n)
        # An approved or submitted item is never edited.
        for (status, edits), item in zip(before, ledger.items, strict=False):
            if status in (ApprovalStatus.APPROVED, ApprovalStatus.SUBMITTED):
                assert item.edits == edits
        for item in ledger.items:
            owner = ledger.submissions[item.submission] if item.submission is not None else None
            assert flow.is_consistent(item.status, owner)
            if owner is not None:  # a wrong status never passes for the right one
                others = set(ApprovalStatus) - {item.status}
                assert not any(flow.is_consistent(other, owner) for other in others)
            if item.status is ApprovalStatus.APPROVED:
                assert not ledger.editable(item)
            # Only approved time is invoiced while approvals are on.
            assert flow.is_invoiceable(item.status, approvals_enabled=True, invoiced=False) is (
                item.status is ApprovalStatus.APPROVED)
        # Counts are conserved: a submission keeps every item it took, unless it was rejected
        # and those items moved on to a later submission.
        held = [sum(i.submission == k for i in ledger.items)
                for k in range(len(ledger.submissions))]
        for k, status in enumerate(ledger.submissions):
            assert held[k] <= ledger.sizes[k]
            if status is not SubmissionStatus.REJECTED:
                assert held[k] == ledger.sizes[k]
        assert sum(held) + sum(i.submission is None for i in ledger.items) == len(ledger.items)


@settings(max_examples=200)
@given(st.sampled_from(list(SubmissionStatus)),
       st.lists(st.sampled_from(list(flow.Decision)), max_size=12))
def test_every_decision_is_either_a_transition_or_a_conflict(start, decisions) -> None:
    status = start
    for decision in decisions:
        if flow.can_decide(status, decision):
            status = flow.decide(status, decision)
        else:
            with pytest.raises(KeitoError) as caught:
                flow.decide(status, decision)
            assert caught.value.code == "conflict" and status.value in (caught.value.hint or "")
        assert status in SubmissionStatus


@pytest.mark.parametrize("status", list(ApprovalStatus))
def test_invoiceable_once_approved_or_at_once_with_approvals_off(status) -> None:
    approved = status is ApprovalStatus.APPROVED
    assert flow.is_invoiceable(status, approvals_enabled=True, invoiced=False) is approved
    assert flow.is_invoiceable(status, approvals_enabled=False, invoiced=False)
    assert not flow.is_invoiceable(status, approvals_enabled=False, invoiced=True)
    assert not flow.is_invoiceable(status, approvals_enabled=True, invoiced=True)


# --- who may take each step -----------------------------------------------------------------

OWNER, PROJECT = "user_mia", "project_acme"


def _actor(user_id: str, role: Role, *, agent: bool = False, teammates: tuple[str, ...] = (),
           managed: tuple[str, ...] = (),
           permissions: tuple[ManagerPermission, ...] = ()) -> policy.Actor:
    return policy.Actor(user_id=user_id, role=role,
                        user_type=UserType.AGENT if agent else UserType.HUMAN,
                        status=UserStatus.ACTIVE, permissions=frozenset(permissions),
                        teammate_ids=frozenset(teammates), managed_project_ids=frozenset(managed),
                        assigned_project_ids=frozenset(managed))


WITHDRAW = (ManagerPermission.WITHDRAW_APPROVALS,)
ACTORS = {
    "admin": _actor("user_admin", Role.ADMIN),
    "manager_assigned": _actor("user_max", Role.MANAGER, teammates=(OWNER,)),
    "manager_not_assigned": _actor("user_nora", Role.MANAGER),
    "manager_with_withdraw": _actor("user_wes", Role.MANAGER, teammates=(OWNER,),
                                    permissions=WITHDRAW),
    "project_manager": _actor("user_pam", Role.MANAGER, managed=(PROJECT,)),
    "member": _actor("user_other", Role.MEMBER),
    "agent_manager": _actor("user_bot", Role.MANAGER, agent=True, teammates=(OWNER,)),
    "self_member": _actor(OWNER, Role.MEMBER),
    "self_manager": _actor(OWNER, Role.MANAGER, teammates=(OWNER,), managed=(PROJECT,),
                           permissions=WITHDRAW),
    "self_admin": _actor(OWNER, Role.ADMIN),
}
STEPS = {
    "submit": Action.TIMESHEET_SUBMIT, "approve": Action.TIMESHEET_APPROVE,
    "reject": Action.TIMESHEET_REJECT, "withdraw": Action.APPROVAL_WITHDRAW,
    "unlock_entry": Action.TIME_ENTRY_UNLOCK, "unlock_expense": Action.EXPENSE_UNLOCK,
}
#: Who may take each step on Mia's items on project Acme.
MATRIX = {
    "submit": {"self_member", "self_manager", "self_admin"},
    "approve": {"admin", "manager_assigned", "manager_with_withdraw", "project_manager",
                "agent_manager", "self_admin"},
    "reject": {"admin", "manager_assigned", "manager_with_withdraw", "project_manager",
               "agent_manager", "self_admin"},
    "withdraw": {"admin", "manager_with_withdraw", "self_admin"},
    "unlock_entry": {"admin", "self_admin"},
    "unlock_expense": {"admin", "self_admin"},
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize("who", list(ACTORS))
def test_permission_matrix(who, step) -> None:
    allowed = policy.can(ACTORS[who], STEPS[step], Target(owner_id=OWNER, project_id=PROJECT))
    assert allowed is (who in MATRIX[step])
