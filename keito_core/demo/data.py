"""The cast and vocabulary of the demo workspace (see keito_core.demo.build)."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.models import Client, ExpenseCategory, Project, Task, User, Workspace

COMPANY = "Harbourline Digital"
DOMAIN = "harbourline.example"
#: What the company's invoices print under its name.
COMPANY_ADDRESS = "3 Canal Wharf\nLeeds LS11 5PS\nUnited Kingdom"
COMPANY_PHONE = "+44 113 496 0410"

#: name, currency, street, city, region, postal code, country, phone, contact, project code.
#: The last one is the company's own internal client (code HBL).
CLIENTS = (
    ("Northwind Traders Ltd", "GBP", "14 Clerkenwell Road", "London", None, "EC1M 5PQ",
     "United Kingdom", "+44 20 7946 0321", ("Olivia", "Hart", "Head of Digital"), "NWT"),
    ("Bluebell Health Partners", "GBP", "2 Piccadilly Place", "Manchester", None, "M1 3BN",
     "United Kingdom", "+44 161 496 0782", ("Daniel", "Price", "CTO"), "BHP"),
    ("Lumen Energy Inc.", "USD", "600 Congress Avenue, Suite 1400", "Austin", "TX", "78701",
     "United States", "+1 512 555 0148", ("Megan", "Torres", "VP Product"), "LUM"),
    ("Cobalt Freight GmbH", "EUR", "Am Sandtorkai 38", "Hamburg", None, "20457", "Germany",
     "+49 40 5555 0127", ("Jonas", "Weber", "IT-Leiter"), "CBF"),
    ("Fenwick & Hale LLP", "GBP", "41 George Street", "Edinburgh", None, "EH2 2HT",
     "United Kingdom", "+44 131 496 0155", ("Fiona", "McLeod", "Operations Director"), "FNH"),
    ("Pacific Tide Analytics", "USD", "1 Market Street, Floor 9", "San Francisco", "CA",
     "94105", "United States", "+1 415 555 0193", ("Kenji", "Watanabe", "Head of Data"), "PTA"),
    ("Verdant Agritech BV", "EUR", "Wilhelminakade 91", "Rotterdam", None, "3072 AP",
     "Netherlands", "+31 10 555 0164", ("Sanne", "de Vries", "Product Owner"), "VAG"),
    ("Kestrel Aerospace Ltd", "GBP", "Pride Park, Unit 7", "Derby", None, "DE24 8HX",
     "United Kingdom", "+44 1332 960 442", ("Ravi", "Mehta", "Engineering Manager"), "KAE"),
    ("Orchard Lane Retail", "GBP", "Temple Gate House", "Bristol", None, "BS1 6PL",
     "United Kingdom", "+44 117 496 0870", ("Hugh", "Bennett", "E-commerce Lead"), "OLR"),
    ("Harbourline Digital (internal)", "GBP", "3 Canal Wharf", "Leeds", None, "LS11 5PS",
     "United Kingdom", None, None, "HBL"),
)

#: Project names with the short part of their code; each client takes three in turn.
PROJECT_NAMES = (
    ("Website Redesign", "WEB"), ("Mobile App", "APP"), ("Data Platform", "DATA"),
    ("API Integration", "API"), ("Support Retainer", "SUP"), ("Cloud Migration", "CLOUD"),
    ("Analytics Dashboard", "DASH"), ("Security Audit", "SEC"), ("Customer Portal", "PORTAL"),
    ("Checkout Revamp", "SHOP"), ("ML Pipeline", "ML"), ("Design System", "DS"),
)

#: Company tasks: name, billable by default, default hourly rate.
TASKS = (
    ("Development", True, "130"), ("Design", True, "110"), ("Code Review", True, "120"),
    ("Testing", True, "100"), ("Project Management", True, "115"), ("Meetings", False, None),
    ("Research", True, "105"), ("Documentation", True, "90"),
)

#: name, email local part, role, contractor?, billable rate, cost rate. The first is the admin.
HUMANS = (
    ("Alex Morgan", "alex.morgan", "admin", False, "150", "72"),
    ("Priya Shah", "priya.shah", "manager", False, "140", "65"),
    ("Tom Becker", "tom.becker", "manager", False, "135", "62"),
    ("Sarah Chen", "sarah.chen", "member", False, "120", "55"),
    ("Marcus Reed", "marcus.reed", "member", False, "110", "50"),
    ("Elena Rossi", "elena.rossi", "member", False, "115", "52"),
    ("James Okafor", "james.okafor", "member", False, "95", "45"),
    ("Lena Novak", "lena.novak", "member", True, "105", "85"),
)

#: name, agent_type, model, billable rate, cost rate, the tasks it logs to.
AGENTS = (
    ("review-bot-01", "claude-code", "claude-sonnet-4-5", "75", "9", ("Code Review",)),
    ("code-agent", "codex", "gpt-5-codex", "85", "12", ("Development", "Testing")),
    ("docs-bot", "custom", "claude-haiku-4-5", "45", "4", ("Documentation",)),
    ("ci-reviewer", "claude-code", "claude-sonnet-4-5", "50", "6", ("Testing", "Code Review")),
)

#: Names for the extra people of very large demos.
FIRST_NAMES = ("Aisha", "Ben", "Chloe", "Daniel", "Emma", "Farah", "George", "Hannah", "Ivan",
               "Jade", "Kofi", "Laura", "Mateo", "Nina", "Oliver", "Ruth", "Sam", "Tara", "Umar",
               "Zoe")
LAST_NAMES = ("Adams", "Baker", "Clarke", "Dunn", "Evans", "Foster", "Grant", "Hughes", "Iqbal",
              "Jones", "Khan", "Lewis", "Mills", "Nash", "Owen", "Patel", "Quinn", "Shaw",
              "Turner", "Walsh")

TASK_NOTES = {
    "Development": ("Implemented the order history endpoint", "Refactored the auth middleware",
                    "Fixed pagination bug in search results", "Wired up the payments webhook",
                    "Built the CSV import", "Database migration for invoices",
                    "Added retry logic to the sync worker", "Feature flag clean-up"),
    "Design": ("Wireframes for the onboarding flow", "Updated the component library",
               "Mobile layouts for the dashboard", "Design review with the client",
               "Iterated on the pricing page", "Accessibility pass on forms"),
    "Code Review": ("Reviewed pull request", "Security review of the login changes",
                    "Reviewed database migration", "Second pass on API changes",
                    "Review comments on the test suite"),
    "Testing": ("Regression tests for checkout", "Load testing the API",
                "Fixed flaky integration tests", "Exploratory testing on staging",
                "Wrote end-to-end tests for sign-up"),
    "Project Management": ("Sprint planning", "Updated the project plan",
                           "Status report for the client", "Backlog grooming",
                           "Budget review", "Risk log update"),
    "Meetings": ("Daily stand-up", "Weekly client call", "Retrospective", "Team sync",
                 "Kick-off meeting", "Architecture discussion"),
    "Research": ("Evaluated charting libraries", "Spike on event streaming",
                 "Investigated slow queries", "Compared hosting options",
                 "Read up on the new privacy rules"),
    "Documentation": ("Updated the API reference", "Wrote the deployment runbook",
                      "Documented the data model", "README and setup guide",
                      "Release notes"),
}

#: Human expense categories with notes ({city} is the client's city).
EXPENSE_NOTES = {
    "Meals & Entertainment": ("Lunch with the client team in {city}", "Workshop catering",
                              "Team dinner after the launch"),
    "Mileage": ("Drive to the client office in {city}", "Site visit, {city}"),
    "Transportation": ("Train to {city} for the workshop", "Taxi from the station in {city}"),
    "Software & Subscriptions": ("Design tool seat", "Test device cloud, monthly plan",
                                 "Monitoring service add-on"),
}


# --- the cast as built, shared by the demo modules ------------------------------------------


@dataclass
class DemoPerson:
    """A user of the demo with how they work; the plain copies feed the generator's hot loop."""

    index: int
    user: User
    agent: tuple[str, str, tuple[str, ...]] | None  # (agent_type, model, task names)
    per_day: tuple[int, int]
    attendance: float
    approver_id: str
    projects: list[int] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)
    user_id: str = ""
    cost_micros: int | None = None
    cum: list[float] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)


@dataclass
class DemoProject:
    """A project of the demo with its resolved task and member rates."""

    index: int
    row: Project
    client_index: int
    currency: str
    task_rates: dict[int, Decimal | None] = field(default_factory=dict)
    task_billable: dict[int, bool | None] = field(default_factory=dict)
    member_rates: dict[int, Decimal | None] = field(default_factory=dict)
    row_id: str = ""


@dataclass
class Cast:
    """Everything the work generator needs to know about the workspace it fills."""

    workspace: Workspace
    tz: ZoneInfo
    now: datetime
    today: date
    clients: list[Client]
    projects: list[DemoProject]
    people: list[DemoPerson]
    tasks: list[Task]
    categories: dict[str, ExpenseCategory]

    @property
    def task_index(self) -> dict[str, int]:
        return {task.name: i for i, task in enumerate(self.tasks)}


def epoch_ms(instant: datetime) -> int:
    """Milliseconds since the epoch, for time-ordered IDs (keito_core.platform.ids.new_id)."""
    return int(instant.timestamp() * 1000)


def insert_rows(session: Session, model: Any, rows: list[dict[str, Any]], *,
                encoded: bool = False) -> None:
    """One executemany INSERT of column dicts.

    Through the model's typed table (Micros, UTC datetimes and enums convert as usual), or,
    for rows whose values are already what the columns store (see demo_work.Encoder), as the
    driver's own SQL, which converts nothing and hands the rows to the driver as they are
    (tuples for a positional driver): per-row and per-value processing would otherwise be
    most of the cost of a million rows.
    """
    if not rows:
        return
    conn = session.connection()
    if not encoded:
        conn.execute(sa.insert(model.__table__), rows)
        return
    names = list(rows[0])
    quote = conn.dialect.identifier_preparer.quote
    params: Any = rows
    style = conn.dialect.paramstyle
    if style in ("qmark", "format"):
        marks = ", ".join(["?" if style == "qmark" else "%s"] * len(names))
        params = list(map(operator.itemgetter(*names), rows))
    else:
        marks = ", ".join((f":{n}" if style == "named" else f"%({n})s") for n in names)
    conn.exec_driver_sql(f"INSERT INTO {quote(model.__tablename__)} "
                         f"({', '.join(quote(n) for n in names)}) VALUES ({marks})", params)
