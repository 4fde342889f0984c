"""When a time entry or expense is read-only, and why.

Reasons, in order of precedence:

- ``invoiced``: on an invoice. Always locks, even after an administrator's unlock: the item
  must be removed from the invoice first, so an invoice never disagrees with its entries.
- ``approved``: approved. It stays locked when the workspace later turns approvals off: an
  approval is a fact about the item, and turning the feature off must not reopen approved time.
- ``submitted``: submitted for approval (only while approvals are enabled, since no one could
  decide it otherwise); read-only for its owner. Whether an approver may still edit it is the
  permission policy's decision.
- ``auto_locked``: dated before ``today - lock_after_days`` (0 or None turns this off).

An administrator's unlock lifts every reason except ``invoiced``. Rejected and unsubmitted
items are editable.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from keito_core.enums import ApprovalStatus
from keito_core.errors import KeitoError, validation

LOCK_REASONS: tuple[str, ...] = ("invoiced", "approved", "submitted", "auto_locked")


def lock_reason(
    *,
    approval_status: ApprovalStatus | str,
    invoiced: bool,
    spent_date: date,
    today: date,
    lock_after_days: int | None,
    admin_unlocked: bool,
    approvals_enabled: bool,
) -> str | None:
    """The reason an item is read-only (one of LOCK_REASONS), or None when it is editable."""
    if lock_after_days is not None and lock_after_days < 0:
        raise validation("lock-after days cannot be negative", field="lock_after_days")
    if invoiced:
        return "invoiced"
    if admin_unlocked:
        return None
    status = ApprovalStatus(approval_status)
    if status is ApprovalStatus.APPROVED:
        return "approved"
    if approvals_enabled and status is ApprovalStatus.SUBMITTED:
        return "submitted"
    if lock_after_days and spent_date < today - timedelta(days=lock_after_days):
        return "auto_locked"
    return None


def ensure_editable(
    *,
    approval_status: ApprovalStatus | str,
    invoiced: bool,
    spent_date: date,
    today: date,
    lock_after_days: int | None,
    admin_unlocked: bool,
    approvals_enabled: bool,
    noun: str = "time entry",
) -> None:
    """Raise KeitoError("locked") naming the reason when the item is read-only."""
    reason = lock_reason(
        approval_status=approval_status,
        invoiced=invoiced,
        spent_date=spent_date,
        today=today,
        lock_after_days=lock_after_days,
        admin_unlocked=admin_unlocked,
        approvals_enabled=approvals_enabled,
    )
    if reason is not None:
        raise locked_error(reason, noun=noun, spent_date=spent_date,
                           lock_after_days=lock_after_days)


def locked_error(reason: str, *, noun: str, spent_date: date,
                 lock_after_days: int | None) -> KeitoError:
    """The `locked` error for an item read-only for `reason` (one of LOCK_REASONS)."""
    message, hint = {
        "invoiced": (
            f"this {noun} is on an invoice and cannot be changed",
            "remove it from the invoice first",
        ),
        "approved": (
            f"this {noun} has been approved and is locked",
            "ask a manager to withdraw the approval or an administrator to unlock it",
        ),
        "submitted": (
            f"this {noun} is submitted for approval and is locked",
            "ask an approver to reject it, or an administrator to unlock it",
        ),
        "auto_locked": (
            f"this {noun} is dated {spent_date.isoformat()}, more than {lock_after_days} days "
            "ago, and is locked",
            "ask an administrator to unlock it",
        ),
    }[reason]
    return KeitoError("locked", message, hint=hint)


def item_lock_reason(workspace: Any, item: Any, today: date) -> str | None:
    """Why an entry or expense is read-only today, or None (for `is_locked` in views)."""
    return lock_reason(approval_status=item.approval_status,
                       invoiced=item.invoice_id is not None, spent_date=item.spent_date,
                       today=item.spent_date if getattr(item, "is_running", False) else today,
                       lock_after_days=workspace.lock_after_days,
                       admin_unlocked=item.unlocked_at is not None,
                       approvals_enabled=workspace.feature_approvals)

