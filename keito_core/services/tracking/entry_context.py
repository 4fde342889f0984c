"""What time entries and expenses share: whose record it is, where it is logged, and the rules.

Helpers for keito_core.services.tracking.time_entries, timers and expenses: resolving the owner (the
acting user, or another user for whom the actor may act), checking the project and task an
item is logged to, the workspace's require-notes and locking rules, and capturing billable
status and rates when an entry is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from keito_core.enums import ApprovalStatus, BillBy, ProjectType, Source
from keito_core.errors import KeitoError, validation
from keito_core.models import (
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
    Workspace,
)
from keito_core.platform import audit, notices
from keito_core.platform.access import Owner, owner_by_id, require_named
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import find_project, find_task
from keito_core.rules import permissions as policy
from keito_core.rules.locking import ensure_editable, lock_reason
from keito_core.rules.periods import check_work_date
from keito_core.rules.rates import resolve_billable, resolve_billable_rate
from keito_core.rules.rounding import parse_increment, round_duration
from keito_core.rules.text import MAX_NOTES_LENGTH, clean_text, counted


def loggable_project(session: Session, ref: str) -> Project:
    """The project `ref` names, refusing archived ones."""
    project = find_project(session, ref)
    if not project.is_active:
        raise validation(f"project {project.name!r} is archived", field="project",
                         hint="restore the project first, or log to an active one")
    return project


def _task_handles(session: Session, project: Project) -> list[str]:
    """Handles of the tasks one may log to on `project`, in order."""
    return list(session.exec(
        select(Task.handle)
        .join(ProjectTask, ProjectTask.task_id == Task.id)  # type: ignore[arg-type]
        .where(ProjectTask.project_id == project.id, ProjectTask.is_active, Task.is_active)
        .order_by(Task.handle)
    ).all())


def bills_by_task(project: Project) -> bool:
    """Whether the project's entries bill at their task's rate, so each needs a task."""
    return not is_non_billable(project) and BillBy(project.bill_by) is BillBy.TASK


def project_task(session: Session, project: Project,
                 task_ref: str | None) -> tuple[Task | None, ProjectTask | None]:
    """The task (and its project assignment) `task_ref` names; it must be active on the project.

    No task is allowed, except on a project that bills by task: its rate is the task's.
    """
    if task_ref is None or not task_ref.strip():
        if bills_by_task(project):
            handles = _task_handles(session, project)
            raise validation(
                f"project {project.name!r} bills by task: give a task", field="task",
                hint=("its tasks: " + ", ".join(handles) + "; set a default with KEITO_TASK "
                      "or `keito config set defaults.task HANDLE`") if handles
                else "it has no active tasks: add one with `keito project task add`")
        return None, None
    task = find_task(session, task_ref)
    assignment = session.exec(select(ProjectTask).where(
        ProjectTask.project_id == project.id, ProjectTask.task_id == task.id)).first()
    if not task.is_active or assignment is None or not assignment.is_active:
        handles = _task_handles(session, project)
        hint = ("its tasks: " + ", ".join(handles)) if handles else "it has no active tasks"
        state = "archived" if not task.is_active else f"not enabled on project {project.name!r}"
        raise validation(f"task {task.name!r} is {state}", field="task", hint=hint)
    return task, assignment


def require_logging(actor: policy.Actor, action: policy.Action, owner: Owner,
                    project: Project) -> None:
    """The actor may create for the owner, and the owner may log to the project."""
    policy.require(actor, action, policy.Target(owner_id=owner.user.id, project_id=project.id,
                                                owner_name=owner.user.name,
                                                project_name=project.name))
    policy.require_project_assignment(owner.actor, project.id, user_name=owner.user.name,
                                      project_name=project.name)


def clean_notes(notes: str | None) -> str | None:
    """Notes with surrounding space removed (empty notes are None), at most 10,000 characters."""
    return clean_text(notes, limit=MAX_NOTES_LENGTH, field="notes")


def check_work_day(session: Session, day: date, owner: Owner) -> None:
    """Refuse a date before 2000 or over a year ahead of the owner's today; warn on the future."""
    warning = check_work_date(day, today=owner.today)
    if warning is not None:
        notices.warn(session, warning)


def check_notes(workspace: Workspace, notes: str | None, *, doing: str = "save",
                hint: str | None = None) -> None:
    """Refuse empty notes when the workspace requires notes."""
    if workspace.require_notes and not notes:
        raise validation("this workspace requires notes on every entry", field="notes",
                         hint=hint or f"give notes to {doing} it, e.g. --notes \"what you did\"")


def refuse_locked_day(workspace: Workspace, day: date, today: date, *, noun: str) -> None:
    """Refuse to put a new (or moved) item on a day the workspace has already locked."""
    reason = lock_reason(approval_status=ApprovalStatus.UNSUBMITTED, invoiced=False,
                         spent_date=day, today=today, lock_after_days=workspace.lock_after_days,
                         admin_unlocked=False, approvals_enabled=workspace.feature_approvals)
    if reason is not None:
        raise KeitoError(
            "locked",
            f"{day.isoformat()} is more than {workspace.lock_after_days} days ago: "
            f"the workspace locks {counted(2, noun)[2:]} that old",
            field="spent_date",
            hint="log it on a later date, or ask an administrator to change lock_after_days",
        )


def check_editable(workspace: Workspace, item: Any, today: date, *, noun: str) -> None:
    """Raise `locked` when the entry or expense is read-only (see keito_core.rules.locking).

    A running timer is still being recorded, so it is never auto-locked by its age.
    """
    if getattr(item, "is_running", False):
        today = item.spent_date
    ensure_editable(approval_status=item.approval_status, invoiced=item.invoice_id is not None,
                    spent_date=item.spent_date, today=today,
                    lock_after_days=workspace.lock_after_days,
                    admin_unlocked=item.unlocked_at is not None,
                    approvals_enabled=workspace.feature_approvals, noun=noun)


@dataclass
class Billing:
    """Billable status and the rates captured when an entry is saved."""

    is_billable: bool
    billable_rate: Decimal | None
    cost_rate: Decimal | None


def capture_billing(session: Session, *, project: Project, task: Task | None,
                    assignment: ProjectTask | None, owner: User,
                    billable: bool | None) -> Billing:
    """Whether the entry bills and at which rates (keito_core.rules.rates decides)."""
    task_billable: bool | None = None
    task_rate: Decimal | None = None
    if task is not None:
        override = assignment.is_billable if assignment is not None else None
        task_billable = task.is_billable_default if override is None else override
        rate_override = assignment.hourly_rate if assignment is not None else None
        task_rate = task.default_rate if rate_override is None else rate_override
    is_billable = resolve_billable(project_type=project.project_type, entry_choice=billable,
                                   task_billable=task_billable)
    rate = None
    if is_billable:
        member = session.exec(select(ProjectMember).where(
            ProjectMember.project_id == project.id, ProjectMember.user_id == owner.id)).first()
        member_rate = member.hourly_rate if member is not None else None
        rate = resolve_billable_rate(project_type=project.project_type, bill_by=project.bill_by,
                                     project_rate=project.hourly_rate, task_rate=task_rate,
                                     member_rate=member_rate,
                                     user_default_rate=owner.default_rate)
    return Billing(is_billable=is_billable, billable_rate=rate, cost_rate=owner.cost_rate)


def round_increment(workspace: Workspace, round_to: int | str | None = None) -> int:
    """The rounding increment in minutes for a save: `round_to` when given, else the workspace's."""
    if round_to is None:
        return workspace.rounding_minutes or 0
    minutes = parse_increment(round_to)
    if minutes == 0:
        raise validation("round to 5, 6, 10, 15 or 30 minutes", field="round",
                         hint="leave --round out to use the workspace's rounding")
    return minutes


def apply_rounding(seconds: int, increment: int) -> tuple[int, bool]:
    """(rounded seconds, whether rounding applied): to the nearest increment, once, on save."""
    if not increment:
        return seconds, False
    return round_duration(seconds, increment, "nearest"), True


def is_non_billable(project: Project) -> bool:
    return ProjectType(project.project_type) is ProjectType.NON_BILLABLE


def load_item(session: Session, model: Any, item_id: str, *, actor: policy.Actor,
              action: policy.Action, noun: str) -> Any:
    """The entry or expense with id `item_id`, once the actor may take `action` on it."""
    item = session.get(model, (item_id or "").strip()) if item_id else None
    if item is None:
        raise KeitoError("not_found", f"{noun} {item_id!r} not found", field="id")
    require_named(session, actor, action,
                  policy.Target(owner_id=item.user_id, project_id=item.project_id))
    return item


@dataclass
class Edit:
    """An entry or expense about to change, with its owner, project and the given changes."""

    item: Any
    owner: Owner
    project: Project
    changes: dict[str, Any]


def open_for_edit(session: Session, model: Any, item_id: str, *, actor: policy.Actor,
                  action: policy.Action, noun: str, now: datetime, changes: dict[str, Any],
                  editable: frozenset[str] | set[str]) -> Edit:
    """Load an item for editing: known changes only (None ones dropped), the actor allowed,
    the item unlocked, and its project left as it is."""
    unknown = set(changes) - set(editable)
    if unknown:
        raise TypeError(f"editing a {noun} got unknown changes: {sorted(unknown)}")
    given = {k: v for k, v in changes.items() if v is not None}
    item = load_item(session, model, item_id, actor=actor, action=action, noun=noun)
    owner = owner_by_id(session, actor, item.user_id, now=now)
    check_editable(owner.workspace, item, owner.today, noun=noun)
    project = session.get(Project, item.project_id)
    assert project is not None
    if "project_ref" in given and find_project(session, given["project_ref"]).id != project.id:
        article = "an" if noun[0] in "aeiou" else "a"
        raise validation(f"{article} {noun}'s project cannot change", field="project",
                         hint=f"delete the {noun} and log it again on the other project")
    return Edit(item=item, owner=owner, project=project, changes=given)


def new_entry(session: Session, *, actor: policy.Actor, owner: Owner, project: Project,
              task: Task | None, billing: Billing, spent_date: date, seconds: int,
              notes: str | None, source: Source, meta: dict[str, Any], now: datetime,
              running: bool = False, started_at: datetime | None = None,
              ended_at: datetime | None = None, rounded: bool = False,
              action: str = "time_entry.create") -> TimeEntry:
    """Add a time entry (flushed, audited); the caller has checked every rule."""
    entry = TimeEntry(
        id=new_id("time_entry"), user_id=owner.user.id, project_id=project.id,
        task_id=task.id if task else None, spent_date=spent_date, duration_seconds=seconds,
        notes=notes, is_running=running, timer_started_at=now if running else None,
        started_at=started_at, ended_at=ended_at, is_rounded=rounded,
        is_billable=billing.is_billable, billable_rate=billing.billable_rate,
        cost_rate=billing.cost_rate, source=source, meta=meta, created_at=now, updated_at=now,
    )
    session.add(entry)
    session.flush()
    audit.record(session, actor_id=actor.user_id, action=action, entity=entry,
                 changes=entry_snapshot(entry), now=now)
    return entry


def entry_snapshot(entry: TimeEntry) -> dict[str, Any]:
    """The audit record of a created or deleted entry."""
    return {"user_id": entry.user_id, "project_id": entry.project_id, "task_id": entry.task_id,
            "spent_date": entry.spent_date, "duration_seconds": entry.duration_seconds,
            "is_running": entry.is_running, "is_billable": entry.is_billable,
            "source": entry.source}


# --- lists ---------------------------------------------------------------------------------


