"""The demo's tracked work: the schedule, time entries, expenses and timesheet approvals.

The schedule is planned first, newest day first, until the requested number of entries is
placed: humans log about 7 entries a working day, agents about 14 short ones. Small demos are
thinned over at least `MIN_WORKING_DAYS`, so that approvals and invoices still show. Weeks
older than three weeks are approved, the two before the current one partly submitted.

Entries and expenses are then generated day by day and written with executemany INSERTs of
`BATCH_SIZE` rows whose values are already what the columns store (`Encoder`), each with its
submission, invoice and invoice line assigned as it is made (the lines a batch points at are
written just before it): nothing is updated row by row afterwards, and memory stays bounded
whatever the size.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col

from keito_core.demo.activity import write_activity
from keito_core.demo.data import (
    EXPENSE_NOTES,
    TASK_NOTES,
    Cast,
    DemoPerson,
    DemoProject,
    epoch_ms,
    insert_rows,
)
from keito_core.demo.invoices import InvoiceBook
from keito_core.enums import (
    ApprovalAction,
    ApprovalStatus,
    BillBy,
    ProjectType,
    Role,
    Source,
    SubmissionStatus,
)
from keito_core.models import (
    LLM_USAGE,
    ApprovalEvent,
    Expense,
    Submission,
    SubmissionItem,
    TimeEntry,
)
from keito_core.platform.ids import new_id
from keito_core.rules.money import round_money, to_micros
from keito_core.rules.periods import week_bounds
from keito_core.rules.rates import resolve_billable, resolve_billable_rate

Progress = Callable[[int, int], None]
Plan = list[tuple[date, list[tuple[int, int]]]]

BATCH_SIZE = 10_000
#: The work spans at least this many working days (thinner for small demos).
MIN_WORKING_DAYS = 65
#: Chance that an entry comes with an expense (about 1 in 20).
EXPENSE_RATE = 0.05
_HUMAN_MINUTES = (15, 30, 45, 60, 90, 120, 180, 240)
_HUMAN_WEIGHTS = (10, 20, 15, 20, 15, 10, 6, 4)
_TASK_CUM = list(accumulate((30, 12, 10, 10, 8, 14, 6, 10)))
_TASKS_BY_ROLE = {
    Role.MEMBER: ("Development", "Design", "Code Review", "Testing", "Project Management",
                  "Meetings", "Research", "Documentation"),
    Role.MANAGER: ("Project Management", "Meetings", "Code Review", "Design", "Development",
                   "Research", "Testing", "Documentation"),
    Role.ADMIN: ("Meetings", "Project Management", "Research", "Design", "Development",
                 "Code Review", "Documentation", "Testing"),
}
_EXPENSE_KINDS = tuple(EXPENSE_NOTES)
_UNSUBMITTED: tuple[str | None, ApprovalStatus] = (None, ApprovalStatus.UNSUBMITTED)
#: (invoice, invoice line) of an item no demo invoice bills.
_UNBILLED: tuple[str | None, str | None] = (None, None)


class WorkWriter:
    """Plans and writes `entries` time entries (and their expenses) for the cast."""

    def __init__(self, session: Session, cast: Cast, rng: Random, *, entries: int,
                 progress: Progress | None = None) -> None:
        self.session, self.cast, self.rng = session, cast, rng
        self.entries, self.progress = entries, progress
        self.counts: dict[str, int] = defaultdict(int)
        self.enc = Encoder(session.connection().dialect.name)
        self.week_start = cast.workspace.week_start

    def write(self) -> dict[str, int]:
        """Write everything; return the counts of what was written."""
        plan = self.plan()
        current = week_bounds(self.cast.today, self.week_start)[0]
        approved_before = current - timedelta(days=14)
        self._submissions(plan, current, approved_before)
        self.book = InvoiceBook(self.session, self.cast, self.rng, first_day=plan[-1][0],
                                approved_before=approved_before)
        self._generate(plan)
        self.counts["invoices"], self.counts["payments"] = self.book.finish()
        self._approval_events()
        self._submission_items()
        self.counts["submissions"] = len(self.sub_rows)
        self.counts.update(write_activity(self.session, self.cast, self.sub_rows,
                                          self.sub_items))
        self.first_day = plan[-1][0]
        return dict(self.counts)

    def plan(self) -> Plan:
        """Per day, newest first: (person index, entry count), until `entries` are placed."""
        rng, cast = self.rng, self.cast
        people = cast.people
        capacity = sum((p.per_day[0] + p.per_day[1]) / 2 * p.attendance for p in people)
        thin = min(1.0, self.entries / (capacity * MIN_WORKING_DAYS))
        remaining = self.entries - 1  # one slot is the running timer
        plan: Plan = [(cast.today, [])]
        local_now = cast.now.astimezone(cast.tz)
        minutes_today = local_now.hour * 60 + local_now.minute - 40
        day = cast.today
        while remaining > 0:
            if day.weekday() < 5:
                if plan[-1][0] != day:
                    plan.append((day, []))
                for person in people:
                    if rng.random() > person.attendance:
                        continue
                    wanted = rng.randint(*person.per_day) * thin
                    count = int(wanted) + (rng.random() < wanted % 1)
                    if day == cast.today:  # only what fits before now
                        start = 420 if person.agent else 510
                        count = min(count, max(0, (minutes_today - start) // 70))
                    count = min(count, remaining)
                    if count:
                        plan[-1][1].append((person.index, count))
                        remaining -= count
            day -= timedelta(days=1)
        return plan

    def _submissions(self, plan: Plan, current: date, approved_before: date) -> None:
        rng, now = self.rng, self.cast.now
        keys = {(person, week_bounds(day, self.week_start)[0])
                for day, slots in plan for person, _ in slots}
        self.submissions: dict[tuple[int, date], tuple[str | None, ApprovalStatus]] = {}
        self.sub_rows: list[dict[str, Any]] = []
        self.sub_items: dict[str, int] = defaultdict(int)
        for person_index, week in sorted(keys, key=lambda key: (key[1], key[0])):
            if week < approved_before:
                status = SubmissionStatus.APPROVED
            elif week < current and rng.random() < 0.6:
                status = SubmissionStatus.SUBMITTED
            else:
                continue
            person = self.cast.people[person_index]
            submitted = datetime.combine(week + timedelta(4), time(16), UTC) + timedelta(
                minutes=rng.randrange(0, 2880))
            submitted = min(submitted, now - timedelta(hours=1))
            decided = submitted + timedelta(hours=rng.randrange(2, 60))
            approved = status is SubmissionStatus.APPROVED
            submission_id = new_id("submission", now_ms=epoch_ms(submitted))
            row = {"id": submission_id, "user_id": person.user.id, "period_start": week,
                   "period_end": week + timedelta(6), "status": status, "submitted_at": submitted,
                   "decided_at": decided if approved else None,
                   "decided_by_id": person.approver_id if approved else None}
            self.sub_rows.append(row)
            self.submissions[(person_index, week)] = (submission_id, ApprovalStatus(status.value))
        insert_rows(self.session, Submission, self.sub_rows)

    def _approval_events(self) -> None:
        events = []
        for row in self.sub_rows:
            items = self.sub_items.get(row["id"], 0)
            events.append({"id": new_id("approval_event", now_ms=epoch_ms(row["submitted_at"])),
                           "submission_id": row["id"], "actor_id": row["user_id"],
                           "action": ApprovalAction.SUBMIT, "item_count": items,
                           "created_at": row["submitted_at"]})
            if row["decided_at"] is not None:
                events.append({"id": new_id("approval_event",
                                            now_ms=epoch_ms(row["decided_at"])),
                               "submission_id": row["id"], "actor_id": row["decided_by_id"],
                               "action": ApprovalAction.APPROVE, "item_count": items,
                               "created_at": row["decided_at"]})
        insert_rows(self.session, ApprovalEvent, events)

    def _submission_items(self) -> None:
        """Record what each submission holds, in one INSERT ... SELECT per item table."""
        for model, kind in ((TimeEntry, "time_entry"), (Expense, "expense")):
            self.session.execute(sa.insert(SubmissionItem).from_select(
                ["submission_id", "item_id", "item_kind"],
                sa.select(col(model.submission_id), col(model.id), sa.literal(kind))
                .where(col(model.submission_id).is_not(None))))

    # --- entries and expenses ---------------------------------------------------------------

    def _generate(self, plan: Plan) -> None:
        """Entries and expenses, day by day, in batches; the hot loop sees plain values only."""
        cast, enc = self.cast, self.enc
        self.entry_rows: list[dict[str, Any]] = []
        self.expense_rows: list[dict[str, Any]] = []
        self.billing: dict[tuple[int, int, int], tuple[Decimal | None, int | None, int]] = {}
        self.task_ids = [task.id for task in cast.tasks]
        self.task_notes = [TASK_NOTES[task.name] for task in cast.tasks]
        task_index = cast.task_index
        for person in cast.people:
            person.user_id = person.user.id
            person.cost_micros = enc.micros(person.user.cost_rate)
            person.cum = list(accumulate(person.weights))
            names = person.agent[2] if person.agent else _TASKS_BY_ROLE[person.user.role]
            person.tasks = [task_index[name] for name in names]
        for project in cast.projects:
            project.row_id = project.row.id
        self._running_timer()
        for day, slots in plan:
            enc.start_day(day, cast.tz)
            week = week_bounds(day, self.week_start)[0]
            invoices = self.book.for_day(day)
            for person_index, count in slots:
                self._day_of_work(cast.people[person_index], week, invoices, count)
        self._flush(final=True)

    def _running_timer(self) -> None:
        """One member's timer, started 38 minutes ago and still running."""
        cast = self.cast
        person = next(p for p in cast.people if p.user.role is Role.MEMBER and p.agent is None)
        started = cast.now - timedelta(minutes=38)
        project, task = cast.projects[person.projects[0]], cast.task_index["Development"]
        _, rate_micros, _ = self._billing(person, project, task)
        stamp = self.enc.instant(started)
        row = self._entry_row(new_id("time_entry", now_ms=epoch_ms(started)), person, project,
                              task, self.enc.day(cast.today), 0,
                              "Fixing the checkout flow regression", stamp, None, rate_micros,
                              _UNSUBMITTED, _UNBILLED, Source.TUI, "{}", stamp)
        row.update(is_running=True, timer_started_at=stamp)
        self.entry_rows.append(row)
        self.counts["time_entries"] += 1

    def _day_of_work(self, person: DemoPerson, week: date, invoices: list[str | None],
                     count: int) -> None:
        """`count` back-to-back entries of one person on the current day."""
        rng, enc, agent, book = self.rng, self.enc, person.agent, self.book
        start = (60 if agent else 150) + rng.randint(0, 30)  # minutes after 06:00 local
        window = 900 if agent else 630
        if enc.current_day == self.cast.today:
            local = self.cast.now.astimezone(self.cast.tz)
            window = min(window, local.hour * 60 + local.minute - 400 - start)
        if agent:
            sources = [Source.AGENT] * count
            durations = [rng.randint(5, 60) for _ in range(count)]
        else:
            sources = [Source.TUI if rng.random() < 0.75 else Source.CLI for _ in range(count)]
            durations = [m + rng.randint(-7, 7) if src is Source.TUI else m for m, src in
                         zip(rng.choices(_HUMAN_MINUTES, _HUMAN_WEIGHTS, k=count), sources,
                             strict=True)]
        gaps = [rng.randint(0, 40 if agent else 15) for _ in range(count)]
        total = sum(durations) + sum(gaps)
        if total > window:  # a long day is squeezed into the working window
            scale = window / total
            durations = [max(5, int(d * scale)) for d in durations]
            gaps = [int(g * scale) for g in gaps]
        approval = self.submissions.get((person.index, week), _UNSUBMITTED)
        if approval[0]:
            self.sub_items[approval[0]] += count
        meta: dict[str, Any] = {}
        minute, meta_json, projects = start, "{}", self.cast.projects
        for n in range(count):
            project = projects[rng.choices(person.projects, cum_weights=person.cum)[0]]
            notes: str | None = None
            if agent:
                task = rng.choice(person.tasks)
                if not meta or rng.random() < 0.4:  # a new agent session
                    meta = {"agent_id": person.user.name, "agent_type": agent[0],
                            "session_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            "model": agent[1]}
                    meta_json = enc.json(meta)
                notes = f"{rng.choice(self.task_notes[task])} (#{rng.randint(120, 4800)})"
            else:
                task = rng.choices(person.tasks, cum_weights=_TASK_CUM)[0]
                if rng.random() > 0.08:
                    notes = rng.choice(self.task_notes[task])
            end = minute + durations[n]
            rate, rate_micros, label = self._billing(person, project, task)
            invoice_id = invoices[project.client_index] if rate is not None and (
                project.row.project_type is ProjectType.TIME_AND_MATERIALS) else None
            billed = _UNBILLED
            if invoice_id and rate is not None:
                billed = invoice_id, book.add_time(invoice_id, project.index, label, rate,
                                                   durations[n] * 60, agent is not None)
            timed = sources[n] is not Source.CLI
            stamp = enc.at(end)
            self.entry_rows.append(self._entry_row(
                new_id("time_entry", now_ms=enc.origin_ms + end * 60_000), person, project,
                task, enc.day_value, durations[n] * 60, notes,
                enc.at(minute) if timed else None, stamp if timed else None, rate_micros,
                approval, billed, sources[n], meta_json, stamp))
            minute = end + gaps[n]
            if rng.random() < EXPENSE_RATE:
                self._add_expense(person, project, invoices, end, sources[n], meta, approval)
        self.counts["time_entries"] += count
        if len(self.entry_rows) >= BATCH_SIZE:
            self._flush()

    def _entry_row(self, entry_id: str, person: DemoPerson, project: DemoProject, task: int,
                   day: Any, seconds: int, notes: str | None, begin: Any, end: Any,
                   rate_micros: int | None, approval: tuple[str | None, ApprovalStatus],
                   billed: tuple[str | None, str | None], source: Source, meta_json: str,
                   stamp: Any) -> dict[str, Any]:
        return {"id": entry_id, "user_id": person.user_id, "project_id": project.row_id,
                "task_id": self.task_ids[task], "spent_date": day, "duration_seconds": seconds,
                "notes": notes, "is_running": False, "timer_started_at": None,
                "started_at": begin, "ended_at": end, "is_rounded": False,
                "is_billable": rate_micros is not None, "billable_rate": rate_micros,
                "cost_rate": person.cost_micros, "approval_status": approval[1].value,
                "submission_id": approval[0], "invoice_id": billed[0],
                "invoice_line_id": billed[1], "source": source.value,
                "metadata": meta_json, "created_at": stamp, "updated_at": stamp}

    def _billing(self, person: DemoPerson, project: DemoProject, task: int
                 ) -> tuple[Decimal | None, int | None, int]:
        """(rate, rate in micros, invoice-line label) of an entry; no rate: not billable."""
        key = (person.index, project.index, task)
        if key not in self.billing:
            row = project.row
            billable = resolve_billable(project_type=row.project_type, entry_choice=None,
                                        task_billable=project.task_billable[task])
            rate = resolve_billable_rate(
                project_type=row.project_type, bill_by=row.bill_by, project_rate=row.hourly_rate,
                task_rate=project.task_rates[task],
                member_rate=project.member_rates.get(person.index),
                user_default_rate=person.user.default_rate) if billable else None
            label = {BillBy.TASK: task, BillBy.PERSON: person.index}.get(row.bill_by, -1)
            self.billing[key] = (rate, self.enc.micros(rate), label)
        return self.billing[key]

    def _add_expense(self, person: DemoPerson, project: DemoProject,
                     invoices: list[str | None], minute: int, source: Source,
                     meta: dict[str, Any], approval: tuple[str | None, ApprovalStatus]) -> None:
        """An expense logged with the entry ending at `minute`: LLM tokens for agents."""
        rng, enc, cast = self.rng, self.enc, self.cast
        units = unit_price = None
        if person.agent:
            name = LLM_USAGE
            tokens_in, tokens_out = rng.randrange(60, 1800), rng.randrange(8, 300)
            units = Decimal(tokens_in + tokens_out)
            notes = f"{person.agent[1]}: {tokens_in}k input + {tokens_out}k output tokens"
            meta = {**meta, "input_tokens": tokens_in * 1000, "output_tokens": tokens_out * 1000}
        else:
            name = rng.choices(_EXPENSE_KINDS, (3, 4, 2, 2))[0]
            city = cast.clients[project.client_index].city
            notes = rng.choice(EXPENSE_NOTES[name]).format(city=city)
            if name == "Mileage":
                units = Decimal(rng.randrange(6, 140))
        category = cast.categories[name]
        if units is not None:
            unit_price = category.unit_price or Decimal(0)
            total = round_money(units * unit_price, project.currency)
        else:
            total = Decimal(rng.randrange(350, 9000)).scaleb(-2)
        kind = project.row.project_type
        billable = kind is not ProjectType.NON_BILLABLE and rng.random() < 0.85
        if approval[0]:
            self.sub_items[approval[0]] += 1
        invoice_id = invoices[project.client_index] if billable else None  # fixed fees' too
        line_id = None
        if invoice_id:
            line_id = self.book.add_expense(invoice_id, project.index, name, units, total,
                                            person.agent[1] if person.agent else None)
        created = enc.origin + timedelta(minutes=minute, seconds=1)
        stamp = enc.instant(created)
        self.expense_rows.append({
            "id": new_id("expense", now_ms=epoch_ms(created)), "user_id": person.user_id,
            "project_id": project.row_id, "category_id": category.id,
            "spent_date": enc.day_value, "units": enc.micros(units),
            "unit_price": enc.micros(unit_price), "total_cost": enc.micros(total),
            "notes": notes, "is_billable": billable, "approval_status": approval[1].value,
            "submission_id": approval[0], "invoice_id": invoice_id,
            "invoice_line_id": line_id, "source": source.value, "metadata": enc.json(meta),
            "created_at": stamp, "updated_at": stamp})
        self.counts["expenses"] += 1

    def _flush(self, final: bool = False) -> None:
        self.book.write_lines()  # the lines the new items point at
        insert_rows(self.session, TimeEntry, self.entry_rows, encoded=True)
        self.entry_rows = []
        if final or len(self.expense_rows) >= BATCH_SIZE:
            insert_rows(self.session, Expense, self.expense_rows, encoded=True)
            self.expense_rows = []
        if self.progress:
            self.progress(self.counts["time_entries"], self.entries)


class Encoder:
    """Values as the columns store them, so no per-value type conversion runs on big tables.

    What the model types would produce: money as integer millionths (`Micros`), instants in
    UTC (on SQLite the naive `YYYY-MM-DD HH:MM:SS.ffffff` text SQLAlchemy itself writes),
    dates as ISO text on SQLite, enums as their values, JSON as text.
    """

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self._days: dict[date, Any] = {}
        self._stamps: dict[int, Any] = {}
        self.current_day: date | None = None
        self.origin = datetime.now(UTC)
        self.origin_ms = 0
        self.day_value: Any = None

    def start_day(self, day: date, tz: ZoneInfo) -> None:
        """Make `day` current: `at(minute)` then means minutes after 06:00 local that day."""
        self.current_day, self.day_value = day, self.day(day)
        self.origin = datetime.combine(day, time(6), tz).astimezone(UTC)
        self.origin_ms = epoch_ms(self.origin)
        self._stamps = {}

    def at(self, minute: int) -> Any:
        stamp = self._stamps.get(minute)
        if stamp is None:
            stamp = self._stamps[minute] = self.instant(self.origin + timedelta(minutes=minute))
        return stamp

    def instant(self, value: datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]

    def day(self, value: date) -> Any:
        if value not in self._days:
            self._days[value] = value.isoformat() if self.sqlite else value
        return self._days[value]

    @staticmethod
    def micros(value: Decimal | None) -> int | None:
        return None if value is None else to_micros(value)

    @staticmethod
    def json(value: dict[str, Any]) -> str:
        return json.dumps(value, separators=(",", ":")) if value else "{}"
