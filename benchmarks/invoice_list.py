"""Time the invoice list's first page with aging over 10,000 invoices on SQLite.

    .venv/bin/python benchmarks/invoice_list.py                       # 10,000 invoices
    .venv/bin/python benchmarks/invoice_list.py --invoices 50000 --rounds 40

Target (issue 10): the invoice list with aging over 10,000 invoices under 200 ms.

A fresh workspace (in a temporary directory) gets 40 clients in GBP, USD and EUR and
`--invoices` invoices issued over the last five years, written with executemany INSERTs:
mostly paid (each with its payment), the last two months' mostly open, some old ones still
open (overdue), a few drafts and closed ones; every number recorded in invoice_numbers.

Each round opens a read transaction, as a command does, and reads what `keito invoice list`
shows and the aging under it: `reports.invoices.list_invoices` (the first page, 50 rows,
with the count of all that match) and `reports.invoices.aging` (per client and currency,
by days past due). It is timed three ways: all invoices, the overdue ones, and one client's;
as the administrator (every invoice) and as a manager (the clients of the projects they
manage). The app's Invoices view (`reports.invoice_views.invoice_list_view`: 200 rows,
aging and the client filter's options) is timed too. Prints the first round and the median
and 90th percentile of the rest.
"""

from __future__ import annotations

import argparse
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from keito_core.enums import InvoiceState, ManagerPermission, Role
from keito_core.models import (
    Client,
    Invoice,
    InvoiceNumber,
    Payment,
    Project,
    ProjectMember,
    User,
)
from keito_core.platform import db
from keito_core.platform.identity import actor_for
from keito_core.platform.ids import new_id
from keito_core.reports.invoices import aging, list_invoices
from keito_core.services.workspace.setup import init_workspace

NOW = datetime.now(UTC)
PAGE = 50
TARGET_MS = 200
CURRENCIES = ("GBP", "USD", "EUR")


def _insert(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    """One executemany INSERT per 5,000 rows through the model's typed table."""
    for start in range(0, len(rows), 5000):
        session.connection().execute(sa.insert(model.__table__), rows[start:start + 5000])


def build(url: str, invoices: int, seed: int) -> tuple[str, str, str]:
    """A workspace with `invoices` invoices: (the admin's ID, a manager's ID, a client name)."""
    rng = random.Random(seed)
    engine = db.make_engine(url)
    db.upgrade(engine)
    with db.transaction(engine) as s:
        ws, admin = init_workspace(s, company="Ledger & Co", currency="GBP",
                                   timezone="Europe/London", admin_name="Ada Admin",
                                   admin_email="ada@ledger.example", now=NOW)
        clients = [Client(id=new_id("client"), name=f"Client {n:02d}",
                          currency=CURRENCIES[n % 3]) for n in range(40)]
        s.add_all(clients)
        s.flush()
        projects = [Project(id=new_id("project"), client_id=c.id, name="Retainer",
                            handle=f"retainer-{n}") for n, c in enumerate(clients)]
        manager = User(id=new_id("user"), name="Max Manager", email="max@ledger.example",
                       role=Role.MANAGER,
                       manager_permissions=[ManagerPermission.DRAFT_INVOICES.value,
                                            ManagerPermission.SEND_INVOICES.value])
        s.add_all([*projects, manager])
        s.flush()
        s.add_all(ProjectMember(id=new_id("project_member"), project_id=p.id,
                                user_id=manager.id, is_project_manager=True)
                  for p in projects[:4])
        today = NOW.date()
        rows, payments, numbers = [], [], []
        issued = sorted(today - timedelta(days=rng.randrange(0, 5 * 365))
                        for _ in range(invoices))
        for n, issue in enumerate(issued, start=1):
            client = clients[rng.randrange(len(clients))]
            age = (today - issue).days
            if age < 7 and rng.random() < 0.3:
                state = InvoiceState.DRAFT
            elif age < 60:
                state = InvoiceState.PAID if rng.random() < 0.3 else InvoiceState.OPEN
            else:
                roll = rng.random()
                state = (InvoiceState.OPEN if roll < 0.04 else InvoiceState.CLOSED
                         if roll < 0.07 else InvoiceState.PAID)
            subtotal = Decimal(rng.randrange(50_000, 5_000_000)).scaleb(-2)
            tax = (subtotal * Decimal("0.2")).quantize(Decimal("0.01")) \
                if client.currency == "GBP" else Decimal(0)
            total = subtotal + tax
            paid = total if state is InvoiceState.PAID else (
                (total / 2).quantize(Decimal("0.01")) if state is InvoiceState.OPEN
                and rng.random() < 0.2 else Decimal(0))
            stamp = datetime.combine(issue, day_time(10), UTC)
            invoice_id = new_id("invoice", now_ms=int(stamp.timestamp() * 1000))
            number = f"INV-{issue.year}-{n:05d}"
            rows.append({
                "id": invoice_id, "client_id": client.id, "number": number, "state": state,
                "issue_date": issue, "due_date": issue + timedelta(days=30),
                "subject": f"Services for {issue:%B %Y}", "currency": client.currency,
                "tax1_label": "VAT" if tax else None, "tax1_rate": Decimal(20) if tax else None,
                "subtotal": subtotal, "tax1_amount": tax, "total": total, "amount_paid": paid,
                "portal_token": secrets.token_urlsafe(24), "created_by_id": admin.id,
                "sent_at": None if state is InvoiceState.DRAFT else stamp,
                "created_at": stamp, "updated_at": stamp})
            numbers.append({"number": number, "invoice_id": invoice_id, "created_at": stamp})
            if paid:
                paid_on = min(issue + timedelta(days=rng.randrange(5, 50)), today)
                payments.append({"id": new_id("payment"), "invoice_id": invoice_id,
                                 "amount": paid, "paid_on": paid_on,
                                 "recorded_by_id": admin.id, "created_at": stamp})
        _insert(s, Invoice, rows)
        _insert(s, InvoiceNumber, numbers)
        _insert(s, Payment, payments)
        ws.invoice_next_number = invoices + 1
        s.add(ws)
        ids = admin.id, manager.id, clients[0].name
    engine.dispose()
    return ids


def timed(engine: sa.Engine, user_id: str, read: Callable[[Session, Any], Any],
          rounds: int) -> list[float]:
    """Milliseconds of `read(session, actor)` in a fresh read transaction, `rounds` times."""
    out = []
    for _ in range(rounds):
        started = time.perf_counter()
        with db.transaction(engine, readonly=True) as s:
            read(s, actor_for(s, s.get(User, user_id)))
        out.append((time.perf_counter() - started) * 1000)
    return out


def list_with_aging(state: str | None = None, client: str | None = None
                    ) -> Callable[[Session, Any], Any]:
    def read(session: Session, actor: Any) -> Any:
        found = list_invoices(session, actor=actor, now=NOW, state=state, client_ref=client,
                              limit=PAGE)
        return found, aging(session, actor=actor, now=NOW, client_ref=client)
    return read


def app_view(session: Session, actor: Any) -> Any:
    from keito_core.reports.invoice_views import invoice_list_view

    return invoice_list_view(session, actor=actor, now=NOW)


def report(label: str, values: list[float]) -> None:
    first, rest = values[0], sorted(values[1:])
    median = statistics.median(rest)
    p90 = rest[min(len(rest) - 1, int(len(rest) * 0.9))]
    verdict = "yes" if median < TARGET_MS else "NO"
    print(f"{label:<44} {first:>8.1f} {median:>8.1f} {p90:>8.1f}   {verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the workspace")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="keito-invoices-"))
    url = f"sqlite:///{directory / 'data' / 'keito.db'}"
    (directory / "data").mkdir()
    try:
        started = time.perf_counter()
        admin, manager, client = build(url, args.invoices, args.seed)
        print(f"{args.invoices:,} invoices written in {time.perf_counter() - started:.1f} s")
        engine = db.make_engine(url)
        with db.transaction(engine, readonly=True) as s:
            listed = list_invoices(s, actor=actor_for(s, s.get(User, admin)), now=NOW,
                                   limit=1)
            shown = list_invoices(s, actor=actor_for(s, s.get(User, manager)), now=NOW,
                                  limit=1)
        print(f"the administrator sees {listed.total:,}, the manager {shown.total:,}")
        print(f"{'first page (50 rows) + aging, ms':<44} {'first':>8} {'median':>8} "
              f"{'p90':>8}   under {TARGET_MS} ms")
        cases: list[tuple[str, str, Callable[[Session, Any], Any]]] = [
            ("all, administrator", admin, list_with_aging()),
            ("overdue, administrator", admin, list_with_aging("overdue")),
            (f"one client ({client}), administrator", admin, list_with_aging(client=client)),
            ("all, manager of 4 clients' projects", manager, list_with_aging()),
            ("app view (200 rows, aging, clients), admin", admin, app_view),
        ]
        for label, user, read in cases:
            report(label, timed(engine, user, read, args.rounds + 1))
        engine.dispose()
    finally:
        if args.keep:
            print(f"kept: KEITO_HOME={directory} keito invoice list")
        else:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
