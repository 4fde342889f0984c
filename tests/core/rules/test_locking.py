"""Tests for keito_core.rules.locking."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

import pytest

from keito_core.enums import ApprovalStatus
from keito_core.errors import KeitoError
from keito_core.rules.locking import LOCK_REASONS, ensure_editable, lock_reason

TODAY = date(2024, 5, 20)
A = ApprovalStatus


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "approval_status": A.UNSUBMITTED,
        "invoiced": False,
        "spent_date": TODAY,
        "today": TODAY,
        "lock_after_days": None,
        "admin_unlocked": False,
        "approvals_enabled": True,
    }
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, None),
        ({"approval_status": A.REJECTED}, None),
        ({"approval_status": A.APPROVED}, "approved"),
        ({"approval_status": A.SUBMITTED}, "submitted"),
        ({"approval_status": "approved"}, "approved"),
        ({"invoiced": True}, "invoiced"),
        # invoiced wins over every other reason
        ({"invoiced": True, "approval_status": A.APPROVED}, "invoiced"),
        ({"invoiced": True, "approval_status": A.SUBMITTED}, "invoiced"),
        ({"invoiced": True, "lock_after_days": 1, "spent_date": date(2020, 1, 1)}, "invoiced"),
        # approval wins over age
        (
            {"approval_status": A.APPROVED, "lock_after_days": 1, "spent_date": date(2020, 1, 1)},
            "approved",
        ),
        # admin unlock lifts everything but invoiced
        ({"invoiced": True, "admin_unlocked": True}, "invoiced"),
        ({"approval_status": A.APPROVED, "admin_unlocked": True}, None),
        ({"approval_status": A.SUBMITTED, "admin_unlocked": True}, None),
        ({"lock_after_days": 7, "spent_date": date(2020, 1, 1), "admin_unlocked": True}, None),
        # submitted locks only while approvals are enabled; approved always
        ({"approval_status": A.APPROVED, "approvals_enabled": False}, "approved"),
        ({"approval_status": A.SUBMITTED, "approvals_enabled": False}, None),
        ({"invoiced": True, "approvals_enabled": False}, "invoiced"),
        (
            {
                "approval_status": A.SUBMITTED,
                "approvals_enabled": False,
                "lock_after_days": 7,
                "spent_date": date(2020, 1, 1),
            },
            "auto_locked",
        ),
    ],
)
def test_lock_reason(overrides: dict[str, Any], expected: str | None) -> None:
    assert lock_reason(**state(**overrides)) == expected


@pytest.mark.parametrize(
    ("days_ago", "lock_after_days", "expected"),
    [
        (7, 7, None),  # exactly lock_after_days old is still editable
        (8, 7, "auto_locked"),
        (0, 7, None),
        (1, 1, None),
        (2, 1, "auto_locked"),
        (400, 30, "auto_locked"),
        (400, 0, None),  # 0 turns auto-lock off
        (400, None, None),  # None turns it off too
        (-3, 1, None),  # a future-dated entry never auto-locks
    ],
)
def test_auto_lock_boundary(
    days_ago: int, lock_after_days: int | None, expected: str | None
) -> None:
    spent = TODAY - timedelta(days=days_ago)
    assert lock_reason(**state(spent_date=spent, lock_after_days=lock_after_days)) == expected


def test_negative_lock_after_days_is_rejected() -> None:
    with pytest.raises(KeitoError) as info:
        lock_reason(**state(lock_after_days=-1))
    assert info.value.field == "lock_after_days"


def test_unknown_approval_status_is_an_error() -> None:
    with pytest.raises(ValueError):
        lock_reason(**state(approval_status="pending"))


def test_every_combination_is_consistent() -> None:
    for status, invoiced, old, unlocked, enabled in itertools.product(
        list(A), [False, True], [False, True], [False, True], [False, True]
    ):
        reason = lock_reason(
            **state(
                approval_status=status,
                invoiced=invoiced,
                spent_date=TODAY - timedelta(days=30 if old else 0),
                lock_after_days=7,
                admin_unlocked=unlocked,
                approvals_enabled=enabled,
            )
        )
        assert reason is None or reason in LOCK_REASONS
        assert (reason == "invoiced") == invoiced
        if unlocked and not invoiced:
            assert reason is None
        if reason == "auto_locked":
            assert old


@pytest.mark.parametrize(
    ("overrides", "reason_word", "hint_word"),
    [
        ({"invoiced": True}, "invoice", "remove it from the invoice"),
        ({"approval_status": A.APPROVED}, "approved", "unlock"),
        ({"approval_status": A.SUBMITTED}, "submitted", "ask an approver to reject it"),
        ({"lock_after_days": 7, "spent_date": date(2024, 5, 1)}, "2024-05-01", "unlock"),
    ],
)
def test_ensure_editable_raises_locked_naming_the_reason(
    overrides: dict[str, Any], reason_word: str, hint_word: str
) -> None:
    with pytest.raises(KeitoError) as info:
        ensure_editable(**state(**overrides))
    assert info.value.code == "locked"
    assert reason_word in info.value.message
    assert hint_word in (info.value.hint or "")
    assert "time entry" in info.value.message


def test_ensure_editable_names_the_item() -> None:
    with pytest.raises(KeitoError, match="this expense is on an invoice"):
        ensure_editable(**state(invoiced=True), noun="expense")


def test_ensure_editable_auto_lock_message_names_the_days() -> None:
    with pytest.raises(KeitoError, match="more than 7 days"):
        ensure_editable(**state(lock_after_days=7, spent_date=date(2024, 5, 1)))


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"approval_status": A.REJECTED},
        {"approval_status": A.APPROVED, "admin_unlocked": True},
        {"lock_after_days": 7, "spent_date": TODAY - timedelta(days=7)},
    ],
)
def test_ensure_editable_passes_editable_items(overrides: dict[str, Any]) -> None:
    ensure_editable(**state(**overrides))  # does not raise
    assert lock_reason(**state(**overrides)) is None
