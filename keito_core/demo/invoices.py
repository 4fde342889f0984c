"""The demo's invoices: one a month per client, billed from what the generator tallied.

Invoice rows are written first (entries and expenses point at them), with their states and
dates; the generator then reports each invoiced entry and expense to `InvoiceBook`, which keeps
one running total per invoice, project and rate. `finish` turns those into lines and totals by
the invoice rule (keito_core.rules.invoices; VAT on GBP invoices), numbers in issue order and
payments, and drops the invoices that got no work.
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
from keito_core.models import LLM_USAGE, Invoice, InvoiceLine, Payment
from keito_core.platform.ids import new_id
from keito_core.rules.invoices import LineInput, expense_line, invoice_totals, time_line
from keito_core.rules.numbering import format_invoice_number
from keito_core.rules.periods import month_bounds

VAT = Decimal(20)


class InvoiceBook:
    """Monthly invoices for every month that ended before `approved_before`."""

    def __init__(self, session: Session, cast: Cast, rng: Random, *, first_day: date,
                 approved_before: date) -> None:
        self.session, self.cast = session, cast
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_month: dict[tuple[int, int], list[str | None]] = {}
        self.time: dict[tuple[str, int, int, Decimal], int] = defaultdict(int)
        self.expenses: dict[tuple[str, int, str], list[Decimal]] = {}
        billed = {p.client_index for p in cast.projects
                  if p.row.project_type is ProjectType.TIME_AND_MATERIALS}
        month = month_bounds(first_day)[0]
        while month_bounds(month)[1] < approved_before:
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
                 seconds: int) -> None:
        self.time[(invoice_id, project, label, rate)] += seconds

    def add_expense(self, invoice_id: str, project: int, category: str, units: Decimal | None,
                    total: Decimal) -> None:
        tally = self.expenses.setdefault((invoice_id, project, category),
                                         [Decimal(0), Decimal(0)])
        tally[0] += units or 0
        tally[1] += total

    def finish(self) -> tuple[int, int]:
        """Write lines, totals, numbers and payments; return (invoices, payments) kept."""
        cast, ws = self.cast, self.cast.workspace
        lines: dict[str, list[tuple[dict[str, Any], LineInput]]] = defaultdict(list)
        for (invoice_id, proj, label, rate), seconds in sorted(
                self.time.items(), key=lambda item: item[0][:3]):
            project = cast.projects[proj]
            what = (cast.tasks[label].name if project.row.bill_by is BillBy.TASK
                    else cast.people[label].user.name if label >= 0 else "Professional services")
            lines[invoice_id].append(self._line(invoice_id, proj, LineKind.SERVICE, what,
                                                time_line(seconds, rate)))
        for (invoice_id, proj, name), (units, total) in sorted(self.expenses.items()):
            price = cast.categories[name].unit_price if name == LLM_USAGE else None
            lines[invoice_id].append(self._line(invoice_id, proj, LineKind.EXPENSE, name,
                                                expense_line(total, units=units,
                                                             unit_price=price)))
        names = {client.id: client.name for client in cast.clients}
        kept = sorted((row for row in self.rows.values() if row["id"] in lines),
                      key=lambda row: (row["issue_date"], names[row["client_id"]]))
        updates, payments = [], []
        for number, row in enumerate(kept, start=ws.invoice_next_number):
            own = lines[row["id"]]
            totals = invoice_totals([line for _, line in own], currency=row["currency"],
                                    tax=row["tax1_rate"])
            for position, ((line, _), amount) in enumerate(zip(own, totals.line_amounts,
                                                                strict=True)):
                line["position"], line["amount"] = position, amount
            paid = row["state"] is InvoiceState.PAID
            updates.append({"b_id": row["id"], "b_subtotal": totals.subtotal,
                            "b_tax1": totals.tax_amount, "b_total": totals.amount,
                            "b_paid": totals.amount if paid else Decimal(0),
                            "b_number": format_invoice_number(ws.invoice_number_pattern,
                                                              number=number,
                                                              issue_date=row["issue_date"])})
            if paid:
                payments.append({"id": new_id("payment", now_ms=epoch_ms(row["paid_at"])),
                                 "invoice_id": row["id"], "amount": totals.amount,
                                 "paid_on": row["paid_at"].date(),
                                 "transaction_id": f"BACS-{secrets.token_hex(4).upper()}",
                                 "recorded_by_id": ws.default_user_id,
                                 "created_at": row["paid_at"]})
        insert_rows(self.session, InvoiceLine,
                    [line for row in kept for line, _ in lines[row["id"]]])
        insert_rows(self.session, Payment, payments)
        self._update(updates, [key for key in self.rows if key not in lines])
        ws.invoice_next_number += len(kept)
        return len(kept), len(payments)

    def _line(self, invoice_id: str, proj: int, kind: LineKind, what: str,
              line: LineInput) -> tuple[dict[str, Any], LineInput]:
        """The row of one line (its amount and position set by `finish`) and the rule's input."""
        project, created = self.cast.projects[proj], self.rows[invoice_id]["created_at"]
        return {"id": new_id("invoice_line", now_ms=epoch_ms(created)), "invoice_id": invoice_id,
                "kind": kind, "description": f"{project.row.name}: {what}",
                "quantity": line.quantity, "unit_price": line.unit_price,
                "project_id": project.row.id, "created_at": created}, line

    def _update(self, updates: list[dict[str, Any]], empty: list[str]) -> None:
        """Set-based: one executemany UPDATE for the totals, DELETEs for the empty invoices."""
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
