"""Over-budget alerts, exactly once: after a write that changes a project's spending.

After every write that changes spending (time logged, edited, stopped, copied or deleted;
expenses likewise), `check_budgets` sums, in the same transaction, what each affected budget
has spent (the project's own, the entry's task's, the person's) in the affected periods, and
for each threshold reached (the alert percent, and "over" above 100 %) inserts a
`budget_alerts` row with INSERT ... ON CONFLICT DO NOTHING. Only the transaction whose insert
made a new row notifies: the project's managers and the workspace's administrators each get
one in-app notification (kind "budget_alert"), then an email after the commit when the
workspace has an SMTP server.

Why it holds under concurrency: the recorded alerts are the memory of what was crossed, so
no transaction needs to see "before" and "after" itself. On SQLite writers are serialised
(BEGIN IMMEDIATE), so each sum sees every earlier write. On PostgreSQL (READ COMMITTED) the
check first takes the project's row lock (FOR NO KEY UPDATE, which does not conflict with the
key-share locks of the entries' foreign keys), so the sums of two writers to one project run
one after the other and the second sees the first's committed rows; the unique constraint
keeps even two inserts of one alert from both succeeding.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from keito_core.enums import BudgetBy, Role, UserStatus
from keito_core.errors import KeitoError
from keito_core.models import BudgetAlert, Notification, Project, ProjectMember, User
from keito_core.platform.identity import get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.notices import note_budget
from keito_core.reports.budgets import BudgetLine, budget_lines, current_month, may_see_budget
from keito_core.rules import budgets as rule
from keito_core.rules.money import format_money
from keito_core.rules.permissions import Actor
from keito_core.services.inbox.notifications import notify

KIND = "budget_alert"
_PENDING_MAIL = "keito.budget_alert_mail"
_LISTENING = "keito.budget_alert_listening"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Mail:
    """A notification to email once the transaction that wrote it has committed."""

    notification_id: str
    to: str
    to_name: str
    subject: str
    body: str


def check_budgets(session: Session, *, project_id: str, task_id: str | None, user_id: str,
                  spent_dates: Iterable[date], now: datetime, actor: Actor | None = None,
                  warn: bool = True, env: Mapping[str, str] | None = None) -> list[BudgetAlert]:
    """Record and announce the budget thresholds this write's project now stands beyond.

    Call it after the write is flushed. `spent_dates` are the dates whose spending changed
    (they choose the months of a monthly budget). With `actor` and `warn`, a budget that is
    over after the write leaves a warning for the interface (`notices.take_budget`). Returns
    the alerts newly recorded. Projects without a budget cost one primary-key read.
    """
    project = session.get(Project, project_id)
    if project is None or project.budget_by is BudgetBy.NONE:
        return []
    session.flush()
    # Serialise the checks of one project on PostgreSQL (a no-op on SQLite, already serial).
    session.execute(sa.select(col(Project.id)).where(col(Project.id) == project_id)
                    .with_for_update(key_share=True))
    days = sorted(set(spent_dates))
    if project.budget_monthly_reset:
        months = sorted({d.replace(day=1) for d in days}) or [current_month(session, now)]
    else:
        months = [days[0] if days else now.date()]
    lines = [line for month in months
             for line in budget_lines(session, project_ids=[project_id], month=month,
                                      task_id=task_id, user_id=user_id)
             if line.scope == "project"
             or (line.scope == "task" and line.scope_id == task_id)
             or (line.scope == "person" and line.scope_id == user_id)]
    recorded: list[BudgetAlert] = []
    for line in lines:
        for threshold in rule.reached_thresholds(line.spent, line.budget, line.alert_percent):
            alert = _record(session, line, threshold, now=now)
            if alert is not None:
                recorded.append(alert)
                _announce(session, project, line, threshold, now=now, env=env)
    if actor is not None and warn:
        _warn(session, actor, project, lines)
    return recorded


def _record(session: Session, line: BudgetLine, threshold: str, *,
            now: datetime) -> BudgetAlert | None:
    """Insert the alert's row unless it exists; the row when this call inserted it."""
    values = {"id": new_id("budget_alert"), "project_id": line.project_id,
              "scope_key": line.scope_key, "kind": line.kind, "threshold": threshold,
              "period": line.period, "percent_used": int(line.percent_used), "created_at": now}
    table: Any = BudgetAlert.__table__  # type: ignore[attr-defined]
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        statement: Any = pg_insert(table).values(**values).on_conflict_do_nothing()
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        statement = sqlite_insert(table).values(**values).on_conflict_do_nothing()
    inserted = session.execute(statement.returning(table.c.id)).scalar_one_or_none()
    if inserted is None:
        return None
    return session.get(BudgetAlert, inserted)


def recipients(session: Session, project_id: str) -> list[User]:
    """The project's managers and the workspace's administrators who are active."""
    managers = sa.select(col(ProjectMember.user_id)).where(
        col(ProjectMember.project_id) == project_id,
        col(ProjectMember.is_project_manager).is_(True))
    return list(session.exec(
        select(User).where(User.status == UserStatus.ACTIVE,
                           sa.or_(col(User.role) == Role.ADMIN, col(User.id).in_(managers)))
        .order_by(col(User.name), col(User.id))).all())


def _amount(value: Decimal, line: BudgetLine) -> str:
    if line.kind == "fees":
        return format_money(value, line.currency)
    return f"{value.normalize():f}h"


def describe(line: BudgetLine, *, amounts: bool = True) -> str:
    """"Website Redesign is over budget (112% of 40h used)", for titles and warnings."""
    name = line.project if line.scope == "project" else f"{line.project} ({line.scope_name})"
    state = {"over": "is over budget", "warning": "is nearing its budget",
             "on_track": "is within budget"}[line.status]
    month = f" in {line.period_label}" if line.monthly else ""
    percent = f"{line.percent_used.normalize():f}%"
    if amounts:
        return f"{name} {state}{month} ({percent} of {_amount(line.budget, line)} used)"
    return f"{name} {state}{month} ({percent} used)"


def _announce(session: Session, project: Project, line: BudgetLine, threshold: str, *,
              now: datetime, env: Mapping[str, str] | None) -> None:
    """One notification per recipient for a newly recorded alert, emailed after the commit."""
    people = recipients(session, project.id)
    reached = ("went over budget" if threshold == rule.OVER
               else f"reached {rule.threshold_label(threshold)} of its budget")
    name = line.project if line.scope == "project" else f"{line.project} ({line.scope_name})"
    month = f" in {line.period_label}" if line.monthly else ""
    title = f"{name} {reached}{month}"
    body = (f"{title}: {_amount(line.spent, line)} spent of {_amount(line.budget, line)} "
            f"({line.percent_used.normalize():f}%), {_amount(line.remaining, line)} remaining.\n"
            f"Client: {line.client}. See `keito report budget`.")
    rows = notify(session, user_ids=[u.id for u in people], kind=KIND, title=title, body=body,
                  subject_type="project", subject_id=project.id, now=now)
    session.flush()
    _queue_mail(session, rows, now=now, env=os.environ if env is None else env)


def _warn(session: Session, actor: Actor, project: Project, lines: list[BudgetLine]) -> None:
    """Note the most over budget of the lines this write touched, if any is over."""
    over = [line for line in lines if line.status == "over"]
    if not over:
        return
    line = max(over, key=lambda x: x.percent_used)
    shown = may_see_budget(actor, project)
    data: dict[str, Any] = {
        "project": line.project, "project_id": line.project_id, "scope": line.scope,
        "scope_name": line.scope_name, "kind": line.kind, "status": line.status,
        "percent_used": line.percent_used, "period": line.period,
        "message": describe(line, amounts=shown)}
    if shown:
        data.update(spent=line.spent, budget=line.budget, remaining=line.remaining,
                    currency=line.currency if line.kind == "fees" else None)
    note_budget(session, data)


# --- email after the commit -------------------------------------------------------------------


def _queue_mail(session: Session, rows: list[Notification], *, now: datetime,
                env: Mapping[str, str]) -> None:
    """Keep the messages to send once the transaction commits (never while it is open)."""
    from keito_core.io.email import pending_query, smtp_settings

    workspace = get_workspace(session)
    try:
        smtp = smtp_settings(workspace, env=env)
    except KeitoError as exc:
        _log.warning("budget alert not emailed: %s", exc.message)
        return
    if smtp is None or not rows:
        return
    query = pending_query(now=now, max_age=timedelta(days=1),
                          ids=[r.id for r in rows])
    mails = [_Mail(n.id, u.email, u.name, n.title,
                   f"{n.body}\n\n--\n{workspace.name} on Keito. See your inbox with "
                   "`keito notifications`.\n")
             for n, u in session.exec(query).all()]
    if not mails:
        return
    pending = session.info.setdefault(_PENDING_MAIL, {"smtp": smtp, "now": now, "mails": []})
    pending["mails"].extend(mails)
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        sa.event.listen(session, "after_commit", _send_after_commit)
        sa.event.listen(session, "after_rollback", _forget_mail)


def _forget_mail(session: Session) -> None:
    session.info.pop(_PENDING_MAIL, None)


def _send_after_commit(session: Session) -> None:
    """Email the committed alerts; record emailed_at for each one the server accepted.

    A failure loses nothing: the notification stays in the inbox with emailed_at unset, and
    `keito notifications remind`/delivery of pending notifications tries again.
    """
    from keito_core.io.email import Mailer, build_message

    pending = session.info.pop(_PENDING_MAIL, None)
    if not pending:
        return
    smtp, now = pending["smtp"], pending["now"]
    sent: list[str] = []
    try:
        with Mailer(smtp) as mailer:
            for mail in pending["mails"]:
                try:
                    mailer.send(build_message(sender=smtp.sender, to=mail.to,
                                              to_name=mail.to_name, subject=mail.subject,
                                              body=mail.body, now=now))
                except Exception as exc:  # noqa: BLE001 - one refused recipient, go on
                    _log.warning("budget alert to %s not emailed: %s", mail.to, exc)
                    continue
                sent.append(mail.notification_id)
    except Exception as exc:  # noqa: BLE001 - no server: the inbox still has the alert
        _log.warning("budget alerts not emailed: %s", exc)
    if not sent:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with Session(engine) as record, record.begin():
        record.execute(sa.update(Notification).where(
            col(Notification.id).in_(sent), col(Notification.emailed_at).is_(None))
            .values(emailed_at=now))
