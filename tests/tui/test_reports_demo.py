"""The Reports view on the `keito demo` workspace: this month's time by project, as the table
shows it, agrees with a hand count of the demo's entries (the issue's "done when")."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from sqlmodel import Session, select
from test_reports_view import open_reports, table_rows

from keito_core.demo.build import build_demo
from keito_core.models import Client, Project, TimeEntry
from keito_core.platform import db
from keito_core.platform.runtime import Runtime, make_runtime
from keito_core.rules.money import format_money
from keito_tui.app.keito_app import KeitoApp

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 3, 18, 10, 0, tzinfo=UTC)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def demo_runtime(keito_home: Path, engine) -> Iterator[Runtime]:  # noqa: ANN001
    with db.transaction(engine) as session:
        build_demo(session, entries=1_200, seed=3, now=NOW)
    rt = make_runtime(clock=lambda: NOW)
    yield rt
    rt.close()


async def test_this_months_time_by_project_agrees_with_a_hand_count(
        demo_runtime: Runtime, engine) -> None:  # noqa: ANN001
    hours: dict[str, int] = defaultdict(int)
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    with Session(engine) as session:
        for entry, currency in session.exec(
                select(TimeEntry, Client.currency)
                .join(Project, Project.id == TimeEntry.project_id)
                .join(Client, Client.id == Project.client_id)
                .where(TimeEntry.spent_date >= date(2026, 3, 1),
                       TimeEntry.spent_date <= date(2026, 3, 31))).all():
            hours[currency] += entry.duration_seconds
            if entry.is_billable:
                amounts[currency] += (Decimal(entry.duration_seconds)
                                      * (entry.billable_rate or 0) / 3600)
    assert len(hours) >= 2, "the demo's March has work in several currencies"
    app = KeitoApp(demo_runtime)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_reports(pilot)
        rows = table_rows(screen)
    totals = {row["client"].removeprefix("Total "): row for row in rows
              if row["client"].startswith("Total ")}
    assert set(totals) == set(hours)
    for currency, seconds in hours.items():
        expected_hours = (Decimal(seconds) / 3600).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert totals[currency]["total_hours"] == f"{expected_hours:,.2f}"
        amount = amounts[currency].quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert totals[currency]["billable_amount"] == format_money(amount, currency)
    projects = [row for row in rows if not row["client"].startswith("Total ")]
    assert len(projects) > 5
