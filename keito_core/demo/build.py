"""`keito demo`: a realistic workspace of clients, projects, people, agents and months of work.

For newcomers (something to look at straight away) and for benchmarks (`--entries 1000000`
builds in a minute or two on SQLite). `build_demo` creates the workspace with
`init_workspace`, turns approvals and VAT on, adds the cast through the ORM (tasks, clients and
contacts, projects with their tasks and rates, people and agents, teammates and project
assignments), then hands over to `demo_work.WorkWriter` for the time entries, expenses,
approvals and invoices, written with bulk inserts. Very large demos grow the team (copies of
the cast) rather than stretch the period past about three years.

One seeded generator drives every choice, so a seed gives the same workspace apart from IDs
(random by design) and dates (the work always ends at `now`). Like `init_workspace` this is a
bootstrap use case: it needs an empty database and no acting user, and it never commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from keito_core.demo.data import (
    AGENTS,
    CLIENTS,
    COMPANY,
    COMPANY_ADDRESS,
    COMPANY_PHONE,
    DOMAIN,
    FIRST_NAMES,
    HUMANS,
    LAST_NAMES,
    PROJECT_NAMES,
    TASKS,
    Cast,
    DemoPerson,
    DemoProject,
)
from keito_core.demo.work import WorkWriter
from keito_core.enums import (
    BillBy,
    BudgetBy,
    EmploymentType,
    ManagerPermission,
    ProjectType,
    Role,
    UserType,
)
from keito_core.errors import validation
from keito_core.models import (
    Client,
    Contact,
    ExpenseCategory,
    ManagerTeammate,
    Project,
    ProjectMember,
    ProjectTask,
    Task,
    User,
)
from keito_core.platform.ids import new_id
from keito_core.rules.text import slugify
from keito_core.services.workspace.setup import init_workspace

DEFAULT_ENTRIES = 5_000
DEFAULT_SEED = 2024
MAX_ENTRIES = 10_000_000
#: Working days the work may span (about three years); beyond it the team grows instead.
MAX_WORKING_DAYS = 760
#: Entries one copy of the cast logs on an average working day (7 per human, 14 per agent).
CAST_ENTRIES_PER_DAY = len(HUMANS) * 7 * 0.95 + len(AGENTS) * 14 * 0.97

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoSummary:
    """What was built: the workspace, the period of its work and how many rows of each kind."""

    workspace_id: str
    company: str
    admin_email: str
    first_day: date
    last_day: date
    counts: dict[str, int]


def build_demo(
    session: Session,
    *,
    entries: int = DEFAULT_ENTRIES,
    seed: int = DEFAULT_SEED,
    now: datetime,
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty database with a demo workspace whose `entries` time entries end at `now`.

    `progress(done, total)` is called after each batch of entries.
    """
    if isinstance(entries, bool) or not isinstance(entries, int) or not (
            1 <= entries <= MAX_ENTRIES):
        raise validation(f"entries must be a whole number from 1 to {MAX_ENTRIES:,}",
                         field="entries")
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rng = Random(seed)
    conn = session.connection()
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:  # a bigger page cache for the index updates of a million rows
        conn.exec_driver_sql("PRAGMA cache_size=-131072")
    try:
        cast = _CastBuilder(session, rng, now=now.astimezone(UTC), entries=entries).build()
        writer = WorkWriter(session, cast, rng, entries=entries, progress=progress)
        counts = writer.write()
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
    session.add(cast.workspace)
    session.flush()
    humans = sum(1 for person in cast.people if person.agent is None)
    counts = {"clients": len(cast.clients), "projects": len(cast.projects),
              "users": len(cast.people), "humans": humans,
              "agents": len(cast.people) - humans, **counts}
    admin = cast.people[0].user
    return DemoSummary(cast.workspace.id, cast.workspace.name, admin.email, writer.first_day,
                       cast.today, counts)


class _CastBuilder:
    """The reference rows: a few hundred, through the ORM."""

    def __init__(self, session: Session, rng: Random, *, now: datetime, entries: int) -> None:
        self.session, self.rng, self.now, self.entries = session, rng, now, entries

    def build(self) -> Cast:
        s = self.session
        ws, admin = init_workspace(
            s, company=COMPANY, currency="GBP", timezone="Europe/London",
            admin_name=HUMANS[0][0], admin_email=f"{HUMANS[0][1]}@{DOMAIN}",
            now=self.now,
        )
        ws.feature_approvals = True
        ws.tax1_label, ws.tax1_rate = "VAT", Decimal(20)
        ws.invoice_notes = f"Payment by bank transfer to {COMPANY} Ltd. Thank you!"
        ws.company_address, ws.company_phone = COMPANY_ADDRESS, COMPANY_PHONE
        s.add(ws)
        tz = ZoneInfo(ws.timezone)
        self.today = self.now.astimezone(tz).date()
        self.tasks = [Task(id=new_id("task"), name=name, handle=slugify(name), is_default=True,
                           is_billable_default=billable,
                           default_rate=None if rate is None else Decimal(rate))
                      for name, billable, rate in TASKS]
        s.add_all(self.tasks)
        s.flush()
        self._clients_and_projects()
        self._people(admin)
        self._memberships()
        s.flush()
        categories = {c.name: c for c in s.exec(select(ExpenseCategory)).all()}
        return Cast(ws, tz, self.now, self.today, self.clients, self.projects, self.people,
                    self.tasks, categories)

    def _clients_and_projects(self) -> None:
        rng, s = self.rng, self.session
        self.clients: list[Client] = []
        self.projects: list[DemoProject] = []
        for i, (name, currency, street, city, region, postal, country, phone, contact,
                code) in enumerate(CLIENTS):
            client = Client(id=new_id("client"), name=name, currency=currency, street=street,
                            city=city, region=region, postal_code=postal, country=country,
                            phone=phone)
            self.clients.append(client)
            s.add(client)
            s.flush()
            if contact:
                first, last, title = contact
                email = f"{first}.{last}".lower().replace(" ", "") + f"@{slugify(name)}.example"
                s.add(Contact(id=new_id("contact"), client_id=client.id, first_name=first,
                              last_name=last, title=title, email=email))
            if code == "HBL":
                self._add_project(i, client, "Internal Operations", "HBL-INT",
                                  ProjectType.NON_BILLABLE, BillBy.NONE, None)
                continue
            base = {"GBP": 120, "USD": 160, "EUR": 140}[currency]
            for j in range(3):
                pname, short = PROJECT_NAMES[(i * 3 + j) % len(PROJECT_NAMES)]
                kind = ProjectType.FIXED_FEE if j == 2 and i % 3 == 0 else (
                    ProjectType.TIME_AND_MATERIALS)
                bill_by = [BillBy.PROJECT, BillBy.TASK if i % 2 else BillBy.PERSON,
                           BillBy.PROJECT if i % 2 else BillBy.TASK][j]
                project = self._add_project(i, client, pname, f"{code}-{short}", kind, bill_by,
                                            Decimal(base + 10 * j + 5 * (i % 3)))
                if kind is ProjectType.FIXED_FEE:
                    project.row.fixed_fee = Decimal(rng.randrange(24, 90) * 1000)
                    project.row.budget_by, project.row.budget_amount = (
                        BudgetBy.TOTAL_FEES, project.row.fixed_fee)
                elif j == 0 and i % 2 == 0:
                    project.row.budget_by = BudgetBy.TOTAL_HOURS
                    project.row.budget_hours = Decimal(rng.randrange(30, 120) * 10)
                elif j == 1 and i % 3 == 1:
                    project.row.budget_by = BudgetBy.TOTAL_FEES
                    project.row.budget_amount = Decimal(rng.randrange(40, 150) * 1000)
                    project.row.budget_monthly_reset = True

    def _add_project(self, client_index: int, client: Client, name: str, code: str,
                     kind: ProjectType, bill_by: BillBy, rate: Decimal | None) -> DemoProject:
        short = client.name.split()[0]
        row = Project(id=new_id("project"), client_id=client.id, name=name, code=code,
                      handle=slugify(f"{short} {name}"), project_type=kind, bill_by=bill_by,
                      hourly_rate=rate if bill_by is BillBy.PROJECT else None,
                      starts_on=self.today - timedelta(days=3 * 365))
        project = DemoProject(len(self.projects), row, client_index, client.currency)
        self.projects.append(project)
        self.session.add(row)
        self.session.flush()
        for t, task in enumerate(self.tasks):
            rate_override = None
            if bill_by is BillBy.TASK and task.default_rate is not None:
                rate_override = task.default_rate + (rate or 0) - 120
            billable = False if task.name == "Research" and project.index % 4 == 1 else None
            project.task_rates[t] = rate_override or task.default_rate
            project.task_billable[t] = (task.is_billable_default if billable is None
                                        else billable)
            self.session.add(ProjectTask(id=new_id("project_task"), project_id=row.id,
                                         task_id=task.id, hourly_rate=rate_override,
                                         is_billable=billable))
        return project

    def _people(self, admin: User) -> None:
        rng = self.rng
        self.people: list[DemoPerson] = []
        team = _team_size(self.entries)
        managers: list[User] = []
        for n, (name, local, role, contractor, rate, cost) in enumerate(HUMANS):
            user = admin if n == 0 else User(id=new_id("user"), name=name,
                                             email=f"{local}@{DOMAIN}")
            user.role = Role(role)
            user.employment_type = (EmploymentType.CONTRACTOR if contractor
                                    else EmploymentType.EMPLOYEE)
            user.default_rate, user.cost_rate = Decimal(rate), Decimal(cost)
            if user.role is Role.MANAGER:
                user.manager_permissions = [ManagerPermission.VIEW_RATES.value,
                                            ManagerPermission.DRAFT_INVOICES.value,
                                            ManagerPermission.EDIT_TEAM_ENTRIES.value,
                                            ManagerPermission.CREATE_PROJECTS.value]
                managers.append(user)
            self._add_person(user, None, (5, 9), 0.6 if contractor else 0.95)
        extra = [f"{a} {b}" for a in FIRST_NAMES for b in LAST_NAMES]
        rng.shuffle(extra)
        for k in range((team - 1) * len(HUMANS)):
            name = extra[k % len(extra)]
            suffix = "" if k < len(extra) else str(k // len(extra) + 1)
            local = name.lower().replace(" ", ".") + suffix
            user = User(id=new_id("user"), name=name, email=f"{local}@{DOMAIN}",
                        default_rate=Decimal(rng.randrange(9, 15) * 10),
                        cost_rate=Decimal(rng.randrange(40, 70)))
            self._add_person(user, None, (5, 9), 0.95)
        for copy in range(team):
            for stem, agent_type, model, rate, cost, task_names in AGENTS:
                name = stem if copy == 0 else f"{stem.removesuffix('-01')}-{copy + 1:02d}"
                user = User(id=new_id("user"), name=name, email=f"{name}@agents.{DOMAIN}",
                            user_type=UserType.AGENT, default_rate=Decimal(rate),
                            cost_rate=Decimal(cost))
                self._add_person(user, (agent_type, model, task_names), (8, 20), 0.97)
        self.session.add_all(p.user for p in self.people)
        self.session.flush()
        for p in self.people:
            if p.user.role is Role.MEMBER:
                manager = managers[p.index % len(managers)]
                p.approver_id = manager.id
                self.session.add(ManagerTeammate(manager_id=manager.id, teammate_id=p.user.id))

    def _add_person(self, user: User, agent: Any, per_day: tuple[int, int],
                    attendance: float) -> None:
        approver = self.people[0].user.id if self.people else user.id
        self.people.append(DemoPerson(len(self.people), user, agent, per_day, attendance, approver))

    def _memberships(self) -> None:
        rng = self.rng
        external = [p.index for p in self.projects if p.row.bill_by is not BillBy.NONE]
        internal = [p.index for p in self.projects if p.row.bill_by is BillBy.NONE]
        managers = [p for p in self.people if p.user.role is Role.MANAGER]
        pm_of = {proj: managers[k % len(managers)].index for k, proj in enumerate(external)}
        for person in self.people:
            if person.agent is not None:
                picks = rng.sample(external, min(len(external), rng.randrange(2, 7)))
            elif person.user.role is Role.MANAGER:
                own = [proj for proj, m in pm_of.items() if m == person.index]
                picks = own[:6] + rng.sample(external, 2)
            else:
                contractor = person.user.employment_type is EmploymentType.CONTRACTOR
                picks = rng.sample(external, 2 if contractor else rng.randrange(3, 6))
            picks = list(dict.fromkeys(picks))
            if person.agent is None and person.user.employment_type is EmploymentType.EMPLOYEE:
                picks += internal
            person.projects = picks
            person.weights = [5.0] + [2.0] * (len(picks) - 1)
            if internal and picks[-1] in internal and person.agent is None:
                person.weights[-1] = 0.6
        covered = {proj for person in self.people if person.agent is None
                   for proj in person.projects}
        for proj in external:
            if proj not in covered:
                person = self.people[pm_of[proj]]
                person.projects.append(proj)
                person.weights.append(2.0)
        for person in self.people:
            for proj in person.projects:
                project = self.projects[proj]
                rate = None
                if project.row.bill_by is BillBy.PERSON and person.agent is None:
                    rate = (person.user.default_rate or Decimal(100)) + 10
                project.member_rates[person.index] = rate
                self.session.add(ProjectMember(
                    id=new_id("project_member"), project_id=project.row.id,
                    user_id=person.user.id, hourly_rate=rate,
                    is_project_manager=pm_of.get(proj) == person.index))


def _team_size(entries: int) -> int:
    """Copies of the cast needed to log `entries` within MAX_WORKING_DAYS."""
    return max(1, -(-entries // int(CAST_ENTRIES_PER_DAY * MAX_WORKING_DAYS)))
