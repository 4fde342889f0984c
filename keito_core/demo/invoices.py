"""The demo's invoices: one a month per client, billed from what the generator tallied.

Every month that ended before last month, once its work is approved, is invoiced; last
month's and this month's work waits to be billed (`keito invoice create`). Invoice rows are
written first, with their states and dates. The generator reports each invoiced entry and
expense to `InvoiceBook`, which keeps one running total per line (invoice, project, the
project's billing label and rate; per category for expenses) and gives the item its line's
ID; the line rows are written before the items that point at them (`write_lines`). `finish`
then sets each line's quantity, price, amount and position by the invoice rule
(keito_core.rules.invoices; VAT on GBP invoices), bills each fixed-fee project's fee once on
its client's first invoice, numbers the invoices in issue order (recorded in
invoice_numbers), records payments, and drops the invoices that got no work.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from random import Random
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.demo.data import Cast, epoch_ms, insert_rows
from keito_core.enums import BillBy, InvoiceState, LineKind, ProjectType
from keito_core.models import LLM_USAGE, Invoice, InvoiceLine, InvoiceNumber, Payment
from keito_core.platform.ids import new_id
from keito_core.rules.invoices import LineInput, expense_line, invoice_totals, time_line
from keito_core.rules.numbering import format_invoice_number
from keito_core.rules.periods import month_bounds

VAT = Decimal(20)
_ONE = Decimal(1)


class InvoiceBook:
    """Monthly invoices for every month before last month that ended before `approved_before`."""

    def __init__(self, session: Session, cast: Cast, rng: Random, *, first_day: date,
                 approved_before: date) -> None:
        self.session, self.cast = session, cast
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_month: dict[tuple[int, int], list[str | None]] = {}
        #: Per time line: [seconds, line ID, only agents' time so far].
        self.time: dict[tuple[str, int, int, Decimal], list[Any]] = {}
        #: Per expense line: [units, total, line ID, the LLM models named].
        self.expenses: dict[tuple[str, int, str], list[Any]] = {}
        self.lines: dict[str, dict[str, Any]] = {}
        self.unwritten: list[dict[str, Any]] = []
        billed = {p.client_index for p in cast.projects
                  if p.row.project_type is ProjectType.TIME_AND_MATERIALS}
        last_month = month_bounds(month_bounds(cast.today)[0] - timedelta(days=1))[0]
        month = month_bounds(first_day)[0]
        while month < last_month and month_bounds(month)[1] < approved_before:
            end = month_bounds(month)[1]
            issue = end + timedelta(days=1)
            while issue.weekday() >= 5:
                issue += timedelta(days=1)
            ids: list[str | None] = [None] * len(cast.clients)
            for c in sorted(billed):
                ids[c] = self._header(c, month, end, issue, rng)
            self.by_month[(month.year, month.month)] = ids
            month = end + timedelta(days=1)
        insert_rows(session, Invoice, list(self.rows.values()))

    def _header(self, c: int, month: date, end: date, issue: date, rng: Random) -> str:
        client, today = self.cast.clients[c], self.cast.today
        issued_at = datetime.combine(issue, time(10), UTC)
        paid = issue + timedelta(45) < today and rng.random() < 0.9
        paid_on = min(issue + timedelta(rng.randrange(7, 40)), today)
        gbp = client.currency == "GBP"
        invoice_id = new_id("invoice", now_ms=epoch_ms(issued_at))
        row: dict[str, Any] = {
            "id": invoice_id, "client_id": client.id, "number": invoice_id,  # numbered later
            "state": InvoiceState.PAID if paid else InvoiceState.OPEN, "issue_date": issue,
            "due_date": issue + timedelta(30), "subject": f"Services for {month:%B %Y}",
            "currency": client.currency, "period_start": month, "period_end": end,
            "tax1_label": "VAT" if gbp else None, "tax1_rate": VAT if gbp else None,
            "portal_token": secrets.token_urlsafe(24),
            "created_by_id": self.cast.workspace.default_user_id, "sent_at": issued_at,
            "paid_at": datetime.combine(paid_on, time(12), UTC) if paid else None,
            "created_at": issued_at, "updated_at": issued_at}
        self.rows[invoice_id] = row
        return invoice_id

    def for_day(self, day: date) -> list[str | None]:
        """The invoice of each client (by index) for the month of `day`, or Nones."""
        return self.by_month.get((day.year, day.month)) or [None] * len(self.cast.clients)

    def add_time(self, invoice_id: str, project: int, label: int, rate: Decimal,
                 seconds: int, agent: bool) -> str:
        """Bill `seconds` of an entry; the ID of the line that bills it."""
        key = (invoice_id, project, label, rate)
        tally = self.time.get(key)
        if tally is None:
            tally = self.time[key] = [0, self._new_line(invoice_id, project, LineKind.SERVICE),
                                      True]
        tally[0] += seconds
        if not agent:
            tally[2] = False
        line_id: str = tally[1]
        return line_id

    def add_expense(self, invoice_id: str, project: int, category: str, units: Decimal | None,
                    total: Decimal, model: str | None) -> str:
        """Bill an expense; the ID of the line that bills it."""
        key = (invoice_id, project, category)
        tally = self.expenses.get(key)
        if tally is None:
            tally = self.expenses[key] = [Decimal(0), Decimal(0),
                                          self._new_line(invoice_id, project, LineKind.EXPENSE),
                                          set()]
        tally[0] += units or 0
        tally[1] += total
        if model:
            tally[3].add(model)
        line_id: str = tally[2]
        return line_id

    def _new_line(self, invoice_id: str, proj: int, kind: LineKind,
                  fee: Decimal | None = None) -> str:
        """A line's row, its figures and position set by `finish`; written by `write_lines`."""
        invoice = self.rows[invoice_id]
        project, created = self.cast.projects[proj], invoice["created_at"]
        line_id = new_id("invoice_line", now_ms=epoch_ms(created))
        row = {"id": line_id, "invoice_id": invoice_id, "position": 0, "kind": kind,
               "description": "", "quantity": _ONE, "unit_price": fee or Decimal(0),
               "amount": Decimal(0), "taxed1": invoice["tax1_rate"] is not None,
               "taxed2": False, "project_id": project.row.id, "is_agent": False,
               "fee_project_id": project.row.id if fee is not None else None,
               "created_at": created}
        self.lines[line_id] = row
        self.unwritten.append(row)
        return line_id

    def write_lines(self) -> None:
        """Insert the lines made since the last call (before the items that point at them)."""
        insert_rows(self.session, InvoiceLine, self.unwritten)
        self.unwritten = []

    def finish(self) -> tuple[int, int]:
        """Write lines, totals, numbers and payments; return (invoices, payments) kept."""
        cast, ws = self.cast, self.cast.workspace
        lines: dict[str, list[tuple[str, LineInput]]] = defaultdict(list)
        for (invoice_id, proj, label, rate), (seconds, line_id, agents) in sorted(
                self.time.items(), key=lambda item: item[0][:3]):
            self._describe(line_id, self._time_text(proj, label, agents), is_agent=agents)
            lines[invoice_id].append((line_id, time_line(seconds, rate)))
        self._fees(lines)
        for (invoice_id, proj, name), (units, total, line_id, models) in sorted(
                self.expenses.items(), key=lambda item: item[0]):
            price = cast.categories[name].unit_price
            unit_based = bool(price) and units > 0
            self._describe(line_id, self._expense_text(proj, name, units if unit_based else None,
                                                       models))
            line = expense_line(total, units=units if unit_based else None, unit_price=price)
            lines[invoice_id].append((line_id, line))
        self.write_lines()
        names = {client.id: client.name for client in cast.clients}
        kept = sorted((row for row in self.rows.values() if row["id"] in lines),
                      key=lambda row: (row["issue_date"], names[row["client_id"]]))
        updates, figures, numbers, payments = [], [], [], []
        for number, row in enumerate(kept, start=ws.invoice_next_number):
            own = lines[row["id"]]
            totals = invoice_totals([line for _, line in own], currency=row["currency"],
                                    tax=row["tax1_rate"])
            for position, ((line_id, line), amount) in enumerate(
                    zip(own, totals.line_amounts, strict=True), start=1):
                described = self.lines[line_id]
                figures.append({"b_id": line_id, "b_position": position,
                                "b_quantity": line.quantity, "b_price": line.unit_price,
                                "b_amount": amount, "b_description": described["description"],
                                "b_agent": described["is_agent"]})
            paid = row["state"] is InvoiceState.PAID
            text = format_invoice_number(ws.invoice_number_pattern, number=number,
                                         issue_date=row["issue_date"])
            updates.append({"b_id": row["id"], "b_subtotal": totals.subtotal,
                            "b_tax1": totals.tax_amount, "b_total": totals.amount,
                            "b_paid": totals.amount if paid else Decimal(0), "b_number": text})
            numbers.append({"number": text, "invoice_id": row["id"],
                            "created_at": row["created_at"]})
            if paid:
                payments.append({"id": new_id("payment", now_ms=epoch_ms(row["paid_at"])),
                                 "invoice_id": row["id"], "amount": totals.amount,
                                 "paid_on": row["paid_at"].date(),
                                 "transaction_id": f"BACS-{secrets.token_hex(4).upper()}",
                                 "recorded_by_id": ws.default_user_id,
                                 "created_at": row["paid_at"]})
        insert_rows(self.session, Payment, payments)
        insert_rows(self.session, InvoiceNumber, numbers)
        self._update(updates, figures, [key for key in self.rows if key not in lines])
        ws.invoice_next_number += len(kept)
        return len(kept), len(payments)

    def _fees(self, lines: dict[str, list[tuple[str, LineInput]]]) -> None:
        """Each fixed-fee project's fee, once, on its client's first invoice."""
        first: dict[str, dict[str, Any]] = {}
        for invoice_id in lines:
            row = self.rows[invoice_id]
            if (row["client_id"] not in first
                    or row["issue_date"] < first[row["client_id"]]["issue_date"]):
                first[row["client_id"]] = row
        for project in self.cast.projects:
            fee, invoice = project.row.fixed_fee, first.get(project.row.client_id)
            if project.row.project_type is ProjectType.FIXED_FEE and fee and invoice:
                line_id = self._new_line(invoice["id"], project.index, LineKind.SERVICE, fee)
                self._describe(line_id, f"{project.row.name} (fixed fee)")
                lines[invoice["id"]].append((line_id, LineInput(
                    _ONE, fee, invoice["tax1_rate"] is not None, False)))

    def _describe(self, line_id: str, text: str, *, is_agent: bool = False) -> None:
        self.lines[line_id].update(description=text, is_agent=is_agent)

    def _time_text(self, proj: int, label: int, agents: bool) -> str:
        """As a by-project invoice of services.billing.generate words its lines."""
        project = self.cast.projects[proj]
        name, agent = project.row.name, " (Agent)" if agents else ""
        if project.row.bill_by is BillBy.TASK:
            return f"{self.cast.tasks[label].name} · {name}{agent}"
        if label >= 0:
            return f"{self.cast.people[label].user.name}{agent} · {name}"
        return f"{name}{agent}"

    def _expense_text(self, proj: int, name: str, units: Decimal | None,
                      models: set[str]) -> str:
        """`Project · Category`, with the models and tokens or units a unit-based line bills."""
        text = f"{self.cast.projects[proj].row.name} · {name}"
        if units is None:
            return text
        if models or name == LLM_USAGE:
            text += f" · {', '.join(sorted(models))} tokens" if models else ""
        unit = self.cast.categories[name].unit_name
        shown = f"{units.normalize():f}"
        return text + (f" ({shown}k tokens)" if unit in (None, "", "1k tokens", "k tokens")
                       else f" ({shown} {unit})")

    def _update(self, updates: list[dict[str, Any]], figures: list[dict[str, Any]],
                empty: list[str]) -> None:
        """Set-based: executemany UPDATEs for the totals and the lines' figures, DELETEs for
        the empty invoices."""
        table: sa.Table = Invoice.__table__  # type: ignore[attr-defined]
        col, conn = table.c, self.session.connection()
        for start in range(0, len(empty), 500):
            conn.execute(sa.delete(table).where(col.id.in_(empty[start:start + 500])))
        if updates:
            conn.execute(sa.update(table).where(col.id == sa.bindparam("b_id")).values(
                number=sa.bindparam("b_number"),
                subtotal=sa.bindparam("b_subtotal", type_=col.subtotal.type),
                tax1_amount=sa.bindparam("b_tax1", type_=col.tax1_amount.type),
                total=sa.bindparam("b_total", type_=col.total.type),
                amount_paid=sa.bindparam("b_paid", type_=col.amount_paid.type)), updates)
        lines: sa.Table = InvoiceLine.__table__  # type: ignore[attr-defined]
        line = lines.c
        if figures:
            conn.execute(sa.update(lines).where(line.id == sa.bindparam("b_id")).values(
                position=sa.bindparam("b_position"),
                quantity=sa.bindparam("b_quantity", type_=line.quantity.type),
                unit_price=sa.bindparam("b_price", type_=line.unit_price.type),
                amount=sa.bindparam("b_amount", type_=line.amount.type),
                description=sa.bindparam("b_description"),
                is_agent=sa.bindparam("b_agent", type_=line.is_agent.type)), figures)
