"""Projects: creating and editing them, their budgets, their tasks and their team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from keito_core import presenters as public
from keito_core.enums import BillBy, BudgetBy, ProjectType, Role
from keito_core.errors import conflict, validation
from keito_core.models import (
    Client,
    Expense,
    InvoiceLine,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    TimeEntry,
    User,
)
from keito_core.platform import audit
from keito_core.platform.identity import actor_for, get_workspace
from keito_core.platform.ids import new_id
from keito_core.platform.lookup import (
    find_client,
    find_project,
    unique_handle,
)
from keito_core.rules import permissions as policy
from keito_core.rules.money import parse_money
from keito_core.rules.periods import parse_date
from keito_core.rules.permissions import Action, Target
from keito_core.rules.text import slugify, validate_name

Money = str | int | Decimal | None
#: Passed as a member's or a project task's rate, clears the override (use the default rate).
DEFAULT_RATE = "default"
_ALIASES = {"hours": "total_hours", "fees": "total_fees", "t&m": "time_and_materials",
            "tm": "time_and_materials", "fixed": "fixed_fee", "non": "non_billable"}
_SETTINGS = ("name", "client_ref", "code", "handle", "project_type", "bill_by", "rate",
             "fixed_fee", "starts_on", "ends_on", "notes", "budget_by", "budget",
             "budget_monthly_reset", "budget_alert_percent", "budget_includes_expenses",
             "budget_visible_to_team")


@dataclass
class ProjectDetail:
    """A project as `viewer` sees it; the presenters decide what its rates and budgets show."""

    project: Project
    client: Client
    viewer: policy.Actor
    tasks: list[tuple[ProjectTask, Task]] | None = None
    members: list[tuple[ProjectMember, User]] | None = None

    def task_rows(self) -> list[dict[str, Any]]:
        return [public.project_task(pt, t, viewer=self.viewer, project=self.project)
                for pt, t in self.tasks or []]

    def member_rows(self) -> list[dict[str, Any]]:
        return [public.project_member(pm, u, viewer=self.viewer, project=self.project)
                for pm, u in self.members or []]

    def public(self) -> dict[str, Any]:
        return public.project(self.project, viewer=self.viewer, client_name=self.client.name,
                              tasks=self.tasks, members=self.members)


# --- parsing and validation --------------------------------------------------------------


def _choice(enum: type[Any], value: Any, fld: str) -> Any:
    word = str(getattr(value, "value", value)).strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return enum(_ALIASES.get(word, word))
    except ValueError:
        names = ", ".join(e.value.replace("_", "-") for e in enum)
        raise validation(f"unknown {fld.replace('_', ' ')}: {value!r}", field=fld,
                         hint=f"use one of {names}") from None


def optional_money(value: Money, fld: str) -> Decimal | None:
    return None if value is None else parse_money(value, field=fld)


def _date(session: Session, value: date | str | None, fld: str, *, now: datetime) -> date | None:
    if value is None or isinstance(value, date):
        return value
    today = now.astimezone(ZoneInfo(get_workspace(session).timezone)).date()
    return parse_date(value, today=today, field=fld)


def _alert(value: int | str | None) -> int | None:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("off", "none")):
        return None
    text = str(value).strip().removesuffix("%")
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise validation(f"budget alert must be a whole percentage from 1 to 100: {value!r}",
                         field="budget_alert_percent")
    return int(text)


def _code(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    code = validate_name(value, "code")
    if len(code) > 64 or any(c.isspace() for c in code):
        raise validation(f"a project code is one word of at most 64 characters: {code!r}",
                         field="code")
    return code


def _active_client(session: Session, ref: str) -> Client:
    client = find_client(session, ref)
    if not client.is_active:
        raise validation(f"client {client.name!r} is archived", field="client",
                         hint="restore the client first")
    return client


def _check_unique(session: Session, p: Project) -> None:
    others = [Project.id != p.id]
    if p.code and session.exec(select(Project.id).where(
            sa.func.lower(Project.code) == p.code.lower(), *others)).first():
        raise conflict(f"project code {p.code!r} is already used", field="code")
    if session.exec(select(Project.id).where(Project.handle == p.handle, *others)).first():
        raise conflict(f"project handle {p.handle!r} is already used", field="handle")
    if session.exec(select(Project.id).where(
            Project.client_id == p.client_id, sa.func.lower(Project.name) == p.name.lower(),
            *others)).first():
        raise conflict(f"the client already has a project named {p.name!r}", field="name")


def _apply(session: Session, p: Project, given: dict[str, Any], *,
           now: datetime) -> dict[str, Any]:
    """Validate `given` settings against the project's current ones; return column values."""
    out: dict[str, Any] = {}
    if "name" in given:
        out["name"] = validate_name(given["name"])
    if "client_ref" in given:
        out["client_id"] = _active_client(session, given["client_ref"]).id
    if "code" in given:
        out["code"] = _code(given["code"])
    if given.get("handle") is not None:
        out["handle"] = slugify(given["handle"], fallback="project")
    if "notes" in given:
        out["notes"] = (given["notes"] or "").strip() or None
    for key in ("starts_on", "ends_on"):
        if key in given:
            out[key] = _date(session, given[key], key, now=now)
    for key in ("budget_monthly_reset", "budget_includes_expenses", "budget_visible_to_team"):
        if key in given:
            out[key] = bool(given[key])
    if "budget_alert_percent" in given:
        out["budget_alert_percent"] = _alert(given["budget_alert_percent"])

    starts, ends = out.get("starts_on", p.starts_on), out.get("ends_on", p.ends_on)
    if starts and ends and ends < starts:
        raise validation(f"the project ends ({ends}) before it starts ({starts})", field="ends_on")
    _billing(p, given, out)
    _budget(p, given, out)
    return out


def _billing(p: Project, given: dict[str, Any], out: dict[str, Any]) -> None:
    """Type, bill-by, rate and fee: a fixed fee only on fixed-fee projects, no rate if unbilled."""

    def now(key: str) -> Any:
        return out.get(key, getattr(p, key))

    kind = _choice(ProjectType, given["project_type"], "project_type") \
        if "project_type" in given else p.project_type
    out["project_type"] = kind
    if kind is ProjectType.NON_BILLABLE:
        out["bill_by"] = BillBy.NONE
    elif "bill_by" in given:
        out["bill_by"] = _choice(BillBy, given["bill_by"], "bill_by")
    elif p.bill_by is BillBy.NONE and p.project_type is ProjectType.NON_BILLABLE:
        out["bill_by"] = BillBy.PROJECT
    if "rate" in given:
        out["hourly_rate"] = optional_money(given["rate"], "rate")
    if kind is ProjectType.NON_BILLABLE and now("hourly_rate") is not None:
        if given.get("rate") is not None:
            raise validation("non-billable projects have no rate", field="rate")
        out["hourly_rate"] = None
    if "fixed_fee" in given:
        out["fixed_fee"] = optional_money(given["fixed_fee"], "fixed_fee")
    if kind is ProjectType.FIXED_FEE and now("fixed_fee") is None:
        raise validation("a fixed-fee project needs its fee", field="fixed_fee",
                         hint="give the total fee, e.g. --fee 12000")
    if kind is not ProjectType.FIXED_FEE and now("fixed_fee") is not None:
        if given.get("fixed_fee") is not None:
            raise validation("only fixed-fee projects have a fixed fee", field="fixed_fee")
        out["fixed_fee"] = None


def _budget(p: Project, given: dict[str, Any], out: dict[str, Any]) -> None:
    """The budget type and its total: hours or money in the matching column, the other cleared."""

    def now(key: str) -> Any:
        return out.get(key, getattr(p, key))

    budget_by = _choice(BudgetBy, given["budget_by"], "budget_by") \
        if "budget_by" in given else p.budget_by
    out["budget_by"] = budget_by
    budget = optional_money(given.get("budget"), "budget")
    column = {BudgetBy.TOTAL_HOURS: "budget_hours", BudgetBy.TOTAL_FEES: "budget_amount"}
    if budget is not None and budget_by not in column:
        raise validation(f"a {budget_by.value.replace('_', ' ')} budget takes no project total",
                         field="budget",
                         hint="set --budget-by hours or fees; per-task and per-person budgets "
                              "are set with `keito project task add` and `keito project assign`")
    for by, name in column.items():
        out[name] = (budget if budget is not None else now(name)) if by is budget_by else None
    if budget_by in column and out[column[budget_by]] is None:
        raise validation(f"a {budget_by.value.replace('_', ' ')} budget needs an amount",
                         field="budget")
    if now("budget_includes_expenses") and budget_by in (BudgetBy.NONE, BudgetBy.TOTAL_HOURS):
        if given.get("budget_includes_expenses"):
            raise validation("only fee budgets can include expenses",
                             field="budget_includes_expenses")
        out["budget_includes_expenses"] = False


def _check_rate_permission(actor: policy.Actor, given: dict[str, Any],
                           target: Target | None) -> None:
    if given.get("rate") is not None or given.get("fixed_fee") is not None:
        policy.require(actor, Action.PROJECT_RATES_EDIT, target)


# --- projects ----------------------------------------------------------------------------


def check_project_create(actor: policy.Actor) -> None:
    """Refuse, as create_project does, an actor who may not add projects: the pre-check of a
    form."""
    policy.require(actor, Action.PROJECT_CREATE)


def check_project_edit(session: Session, *, actor: policy.Actor, ref: str) -> Project:
    """The project, once the actor may change it, as edit_project asks first: the pre-check of
    a form."""
    project = find_project(session, ref)
    policy.require(actor, Action.PROJECT_EDIT,
                   Target(project_id=project.id, project_name=project.name))
    return project


def create_project(
    session: Session, *, actor: policy.Actor, name: str, client_ref: str,
    code: str | None = None, handle: str | None = None,
    project_type: ProjectType | str = ProjectType.TIME_AND_MATERIALS,
    bill_by: BillBy | str | None = None, rate: Money = None, fixed_fee: Money = None,
    starts_on: date | str | None = None, ends_on: date | str | None = None,
    notes: str | None = None, budget_by: BudgetBy | str = BudgetBy.NONE, budget: Money = None,
    budget_monthly_reset: bool = False, budget_alert_percent: int | str | None = 80,
    budget_includes_expenses: bool = False, budget_visible_to_team: bool = True,
    now: datetime,
) -> Project:
    """A new active project with the default tasks, its creator on the team."""
    check_project_create(actor)
    given = {k: v for k, v in locals().items() if k in _SETTINGS}
    if bill_by is None:
        given.pop("bill_by")
    _check_rate_permission(actor, given, None)
    project = Project(id=new_id("project"), client_id="", name="", handle="",
                      created_at=now, updated_at=now)
    values = _apply(session, project, given, now=now)
    audit.apply_changes(project, values)
    if not project.handle:
        project.handle = unique_handle(session, Project, slugify(project.code or project.name,
                                                                 fallback="project"))
    _check_unique(session, project)
    session.add(project)
    session.flush()
    for task in session.exec(select(Task).where(Task.is_default, Task.is_active)).all():
        session.add(ProjectTask(id=new_id("project_task"), project_id=project.id, task_id=task.id,
                                created_at=now))
    session.add(ProjectMember(id=new_id("project_member"), project_id=project.id,
                              user_id=actor.user_id, is_project_manager=actor.role is Role.MANAGER,
                              created_at=now))
    session.flush()
    audit.record(session, actor_id=actor.user_id, action="project.create", entity=project,
                 changes={k: v for k, v in values.items() if v is not None}, now=now)
    return project


def edit_project(session: Session, *, actor: policy.Actor, ref: str,
                 now: datetime, **changes: Any) -> Project:
    """Change a project's settings; only the given ones change (None clears optional ones)."""
    unknown = set(changes) - set(_SETTINGS)
    if unknown:
        raise TypeError(f"edit_project got unknown settings: {sorted(unknown)}")
    project = check_project_edit(session, actor=actor, ref=ref)
    target = Target(project_id=project.id, project_name=project.name)
    _check_rate_permission(actor, {k: True for k in ("rate", "fixed_fee") if k in changes}, target)
    values = _apply(session, project, changes, now=now)
    if values.get("client_id", project.client_id) != project.client_id and _invoiced(session,
                                                                                    project.id):
        raise conflict("the project has invoiced work, so its client cannot change",
                       field="client")
    diff = audit.apply_changes(project, values)
    if diff:
        _check_unique(session, project)  # on the changed values, before they are flushed
        project.updated_at = now
        session.add(project)
        session.flush()
        audit.record(session, actor_id=actor.user_id, action="project.edit", entity=project,
                     changes=diff, now=now)
    return project


def _invoiced(session: Session, project_id: str) -> bool:
    checks = [
        select(TimeEntry.id).where(TimeEntry.project_id == project_id,
                                   TimeEntry.invoice_id.is_not(None)),  # type: ignore[union-attr]
        select(Expense.id).where(Expense.project_id == project_id,
                                 Expense.invoice_id.is_not(None)),  # type: ignore[union-attr]
        select(InvoiceLine.id).where(InvoiceLine.project_id == project_id),
    ]
    return any(session.exec(query.limit(1)).first() for query in checks)


def _set_active(session: Session, actor: policy.Actor, ref: str, active: bool, *,
                now: datetime) -> Project:
    project = find_project(session, ref)
    policy.require(actor, Action.PROJECT_ARCHIVE,
                   Target(project_id=project.id, project_name=project.name))
    return audit.set_active(session, project, active, actor_id=actor.user_id, kind="project",
                            now=now)


def archive_project(session: Session, *, actor: policy.Actor, ref: str, now: datetime) -> Project:
    """Hide a finished project from active lists; its history stays."""
    return _set_active(session, actor, ref, False, now=now)


def restore_project(session: Session, *, actor: policy.Actor, ref: str, now: datetime) -> Project:
    return _set_active(session, actor, ref, True, now=now)


def _current(session: Session, actor: policy.Actor) -> policy.Actor:
    """The actor with memberships made in this transaction (e.g. the creator's own project)."""
    user = session.get(User, actor.user_id)
    return actor_for(session, user) if user is not None else actor


def describe_project(session: Session, *, actor: policy.Actor, project: Project,
                     detail: bool = True) -> ProjectDetail:
    """What `actor` may see of `project` (with its tasks and team when `detail`)."""
    return _describe(session, _current(session, actor), project, detail)


def _describe(session: Session, actor: policy.Actor, project: Project,
              detail: bool) -> ProjectDetail:
    client = session.get(Client, project.client_id)
    assert client is not None
    view = ProjectDetail(project=project, client=client, viewer=actor)
    if detail:
        view.tasks = list(session.exec(
            select(ProjectTask, Task).join(Task, col(Task.id) == ProjectTask.task_id)
            .where(ProjectTask.project_id == project.id).order_by(sa.func.lower(Task.name))).all())
        view.members = list(session.exec(
            select(ProjectMember, User).join(User, col(User.id) == ProjectMember.user_id)
            .where(ProjectMember.project_id == project.id)
            .order_by(sa.func.lower(User.name))).all())
    return view


def get_project(session: Session, *, actor: policy.Actor, ref: str) -> ProjectDetail:
    """One project with its tasks and team."""
    project = find_project(session, ref)
    policy.require(actor, Action.PROJECT_VIEW,
                   Target(project_id=project.id, project_name=project.name))
    return describe_project(session, actor=actor, project=project)


def list_projects(session: Session, *, actor: policy.Actor, status: str = "active",
                  client_ref: str | None = None) -> list[ProjectDetail]:
    """The projects the actor may see, ordered by client then name."""
    if status not in ("active", "archived", "all"):
        raise validation(f"unknown status {status!r}", field="status",
                         hint="use active, archived or all")
    query = select(Project).join(Client, col(Client.id) == Project.client_id)
    visible = policy.visible_project_ids(actor)
    if visible is not None:
        query = query.where(Project.id.in_(sorted(visible)))  # type: ignore[attr-defined]
    if status != "all":
        query = query.where(Project.is_active == (status == "active"))
    if client_ref:
        query = query.where(Project.client_id == find_client(session, client_ref).id)
    query = query.order_by(sa.func.lower(Client.name), sa.func.lower(Project.name))
    current = _current(session, actor)
    return [_describe(session, current, p, False) for p in session.exec(query).all()]
