"""The week grid: one user's hours for one week by project, task and day, in one GROUP BY.

The query reads the week and the week before it through ix_time_entries_user_day
(user_id, spent_date): this week's groups fill the cells; last week's project/task pairs
become empty rows, so a new week starts with the usual rows. Whether a cell is locked is
worked out in SQL with the rules of keito_core.rules.locking (a rank per entry, the highest
reason wins); an empty cell is locked when its day is auto-locked for new entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core.enums import ApprovalStatus, DurationFormat, WeekDay
from keito_core.models import Client, Project, Task, TimeEntry
from keito_core.platform.access import filter_user, owner_by_id, visibility_clause
from keito_core.reports.day import weekly_capacity
from keito_core.rules import permissions as policy
from keito_core.rules.locking import lock_reason
from keito_core.rules.periods import week_days
from keito_core.rules.permissions import Action

#: Lock reasons by precedence (see keito_core.rules.locking); index 0 means editable.
LOCK_RANKS: tuple[str | None, ...] = (None, "auto_locked", "submitted", "approved", "invoiced")


@dataclass(frozen=True)
class WeekCell:
    """One project/task on one day: its total, how many entries make it, and any lock."""

    day: date
    seconds: int = 0
    entries: int = 0
    lock: str | None = None
    running: bool = False

    @property
    def locked(self) -> bool:
        return self.lock is not None


@dataclass(frozen=True)
class WeekRow:
    """A project and task (task_id None: no task) with a cell per day of the week."""

    project_id: str
    project_name: str
    client_name: str
    task_id: str | None
    task_name: str
    cells: tuple[WeekCell, ...]

    @property
    def key(self) -> str:
        return row_key(self.project_id, self.task_id)

    @property
    def seconds(self) -> int:
        return sum(cell.seconds for cell in self.cells)


@dataclass(frozen=True)
class WeekReport:
    """One user's week: the rows, the daily and weekly totals and the weekly capacity."""

    user_id: str
    user_name: str
    days: tuple[date, ...]
    today: date
    rows: tuple[WeekRow, ...]
    day_locks: tuple[str | None, ...]
    capacity_seconds: int
    duration_format: DurationFormat
    week_start: WeekDay

    @property
    def first_day(self) -> date:
        return self.days[0]

    @property
    def day_totals(self) -> tuple[int, ...]:
        return tuple(sum(row.cells[i].seconds for row in self.rows) for i in range(7))

    @property
    def total_seconds(self) -> int:
        return sum(self.day_totals)

    @property
    def capacity_percent(self) -> int:
        """The week's total as a whole percentage of capacity (0 without a capacity)."""
        if self.capacity_seconds <= 0:
            return 0
        return self.total_seconds * 100 // self.capacity_seconds

    def row(self, key: str) -> WeekRow | None:
        return next((row for row in self.rows if row.key == key), None)


#: What a lock reason means for a cell, for the `locked` message.
LOCK_WORDS: dict[str, str] = {
    "invoiced": "its time is on an invoice",
    "approved": "its time has been approved",
    "submitted": "its time is submitted for approval",
    "auto_locked": "the workspace locks time this old",
}


def cell_lock_message(reason: str, day: date) -> str:
    """The `locked` message for a cell locked for `reason` on `day`."""
    return f"{day:%a %d %b} is locked for this row: {LOCK_WORDS.get(reason, reason)}"


def row_key(project_id: str, task_id: str | None) -> str:
    """A stable key for a project/task pair (the grid's row key)."""
    return f"{project_id}/{task_id or ''}"


def lock_rank_expression(*, approvals_enabled: bool, lock_after_days: int | None,
                         today: date) -> sa.ColumnElement[int]:
    """SQL giving each entry the index of its lock reason in LOCK_RANKS (0: editable)."""
    whens: list[tuple[sa.ColumnElement[bool], int]] = [
        (col(TimeEntry.invoice_id).is_not(None), LOCK_RANKS.index("invoiced")),
        (col(TimeEntry.unlocked_at).is_not(None), 0),
    ]
    whens.append((col(TimeEntry.approval_status) == ApprovalStatus.APPROVED,
                  LOCK_RANKS.index("approved")))
    if approvals_enabled:
        whens.append((col(TimeEntry.approval_status) == ApprovalStatus.SUBMITTED,
                      LOCK_RANKS.index("submitted")))
    if lock_after_days:
        cutoff = today - timedelta(days=lock_after_days)
        whens.append((sa.and_(sa.not_(col(TimeEntry.is_running)),
                              col(TimeEntry.spent_date) < cutoff),
                      LOCK_RANKS.index("auto_locked")))
    return sa.case(*whens, else_=0)


def week_report(session: Session, *, actor: policy.Actor, day: date | None, now: datetime,
                user_ref: str | None = None) -> WeekReport:
    """The week holding `day` (None: the user's today; weeks begin on the workspace's
    week_start) for the actor, or for `user_ref` when the actor may see that user's time."""
    user_id = actor.user_id if user_ref is None else filter_user(
        session, actor, Action.TIME_ENTRY_VIEW, user_ref)
    owner = owner_by_id(session, actor, user_id, now=now)
    day = owner.today if day is None else day
    workspace = owner.workspace
    days = tuple(week_days(day, workspace.week_start))
    previous_first = days[0] - timedelta(days=7)
    rank = lock_rank_expression(approvals_enabled=workspace.feature_approvals,
                                lock_after_days=workspace.lock_after_days, today=owner.today)
    query = (
        select(  # type: ignore[call-overload]
            TimeEntry.project_id, TimeEntry.task_id, TimeEntry.spent_date,
            sa.func.sum(TimeEntry.duration_seconds), sa.func.count(),
            sa.func.max(rank),
            sa.func.max(sa.case((col(TimeEntry.is_running), 1), else_=0)),
        )
        .where(TimeEntry.user_id == user_id, col(TimeEntry.spent_date) >= previous_first,
               col(TimeEntry.spent_date) <= days[-1])
        .group_by(TimeEntry.project_id, TimeEntry.task_id, TimeEntry.spent_date)
    )
    visible = visibility_clause(actor, Action.TIME_ENTRY_VIEW, TimeEntry)
    if visible is not None:
        query = query.where(visible)
    groups = session.exec(query).all()

    cells: dict[tuple[str, str | None], dict[date, WeekCell]] = {}
    carried: set[tuple[str, str | None]] = set()
    for project_id, task_id, spent, seconds, count, lock, running in groups:
        pair = (project_id, task_id)
        if spent < days[0]:
            carried.add(pair)
            continue
        cells.setdefault(pair, {})[spent] = WeekCell(
            day=spent, seconds=int(seconds or 0), entries=int(count),
            lock=LOCK_RANKS[int(lock or 0)], running=bool(running))
    if any(cell.running for by_day in cells.values() for cell in by_day.values()):
        cells = _with_running_time(session, cells, user_id, now)

    day_locks = tuple(
        lock_reason(approval_status=ApprovalStatus.UNSUBMITTED, invoiced=False, spent_date=d,
                    today=owner.today, lock_after_days=workspace.lock_after_days,
                    admin_unlocked=False, approvals_enabled=workspace.feature_approvals)
        for d in days)
    rows = _rows(session, cells, carried, days, day_locks)
    user = owner.user
    return WeekReport(
        user_id=user.id, user_name=user.name, days=days, today=owner.today, rows=rows,
        day_locks=day_locks,
        capacity_seconds=weekly_capacity(workspace, user),
        duration_format=DurationFormat(workspace.duration_format),
        week_start=WeekDay(workspace.week_start),
    )


def _with_running_time(session: Session, cells: dict[tuple[str, str | None], dict[date, WeekCell]],
                       user_id: str, now: datetime,
                       ) -> dict[tuple[str, str | None], dict[date, WeekCell]]:
    """Cells with the running timer's elapsed time added (at most one timer per user)."""
    timer = session.exec(select(TimeEntry).where(TimeEntry.user_id == user_id,
                                                 col(TimeEntry.is_running))).first()
    if timer is None or timer.timer_started_at is None:
        return cells
    by_day = cells.get((timer.project_id, timer.task_id), {})
    cell = by_day.get(timer.spent_date)
    if cell is None:
        return cells
    elapsed = max(0, int((now - timer.timer_started_at).total_seconds()))
    by_day[timer.spent_date] = WeekCell(day=cell.day, seconds=cell.seconds + elapsed,
                                        entries=cell.entries, lock=cell.lock, running=True)
    return cells


def _rows(session: Session, cells: dict[tuple[str, str | None], dict[date, WeekCell]],
          carried: set[tuple[str, str | None]], days: tuple[date, ...],
          day_locks: tuple[str | None, ...]) -> tuple[WeekRow, ...]:
    """The grid's rows, sorted by client, project and task, with empty cells filled in."""
    pairs = set(cells) | carried
    project_ids = {project_id for project_id, _ in pairs}
    task_ids = {task_id for _, task_id in pairs if task_id is not None}
    projects = {
        project.id: (project, client_name)
        for project, client_name in session.exec(
            select(Project, Client.name).join(Client, Client.id == Project.client_id)  # type: ignore[arg-type]
            .where(col(Project.id).in_(sorted(project_ids)))
        ).all()
    } if project_ids else {}
    tasks = {
        task.id: task
        for task in session.exec(select(Task).where(col(Task.id).in_(sorted(task_ids)))).all()
    } if task_ids else {}
    rows: list[WeekRow] = []
    for project_id, task_id in pairs:
        found = projects.get(project_id)
        task = tasks.get(task_id) if task_id else None
        by_day = cells.get((project_id, task_id), {})
        if found is None:  # pragma: no cover - entries reference existing projects
            continue
        project, client_name = found
        if not by_day and (not project.is_active or (task is not None and not task.is_active)):
            continue  # last week's row on a project or task archived since
        rows.append(WeekRow(
            project_id=project_id, project_name=project.name, client_name=client_name,
            task_id=task_id, task_name=task.name if task else "(no task)",
            cells=tuple(by_day.get(d) or WeekCell(day=d, lock=day_locks[i])
                        for i, d in enumerate(days)),
        ))
    rows.sort(key=lambda r: (r.client_name.lower(), r.project_name.lower(), r.task_name.lower()))
    return tuple(rows)
