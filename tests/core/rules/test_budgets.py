"""Budget arithmetic: percent used, remaining, status, thresholds and periods."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from keito_core.rules.budgets import (
    budget_period,
    budget_status,
    crossed_thresholds,
    has_budget,
    month_bounds,
    percent_used,
    period_label,
    reached_thresholds,
    remaining,
    threshold_label,
)


@pytest.mark.parametrize(("spent", "budget", "expected"), [
    (D(0), D(40), D("0.00")),
    (D(10), D(40), D("25.00")),
    (D(32), D(40), D("80.00")),
    (D(40), D(40), D("100.00")),
    (D("44.8"), D(40), D("112.00")),
    (D(1), D(3), D("33.33")),
    (D(2), D(3), D("66.67")),
    (D("0.005"), D(1), D("0.50")),
    (D("0.00005"), D(1), D("0.01")),  # half-up at the second decimal
    (D(5), None, None),
    (D(5), D(0), None),
])
def test_percent_used(spent: D, budget: D | None, expected: D | None) -> None:
    assert percent_used(spent, budget) == expected


@pytest.mark.parametrize(("spent", "budget", "expected"), [
    (D(10), D(40), D(30)),
    (D(40), D(40), D(0)),
    (D("44.5"), D(40), D("-4.5")),
    (D("1234.56"), D("5000.00"), D("3765.44")),
    (D(1), None, None),
])
def test_remaining(spent: D, budget: D | None, expected: D | None) -> None:
    assert remaining(spent, budget) == expected


@pytest.mark.parametrize(("spent", "budget", "alert", "expected"), [
    (D(0), D(40), 80, "on_track"),
    (D("31.99"), D(40), 80, "on_track"),
    (D(32), D(40), 80, "warning"),           # exactly the alert percent: warning
    (D("39.999999"), D(40), 80, "warning"),
    (D(40), D(40), 80, "warning"),           # exactly 100 %: used up, not over
    (D("40.000001"), D(40), 80, "over"),     # a millionth more: over
    (D(50), D(40), 80, "over"),
    (D(20), D(40), 50, "warning"),
    (D(19), D(40), 50, "on_track"),
    (D(39), D(40), None, "on_track"),        # no alert percent: on track up to 100 %
    (D(40), D(40), None, "warning"),
    (D(41), D(40), None, "over"),
    (D(40), D(40), 100, "warning"),
    (D(5), None, 80, "on_track"),
    (D(0), D(0), 80, "on_track"),
    (D(1), D(0), 80, "over"),
    # The exact comparison: 33.33 % rounded is not 33.333.. %.
    (D(1), D(3), 33, "warning"),
    (D("0.98"), D(3), 33, "on_track"),
])
def test_status(spent: D, budget: D | None, alert: int | None, expected: str) -> None:
    assert budget_status(spent, budget, alert) == expected


@pytest.mark.parametrize(("spent", "budget", "alert", "expected"), [
    (D(0), D(40), 80, ()),
    (D(31), D(40), 80, ()),
    (D(32), D(40), 80, ("80",)),
    (D(40), D(40), 80, ("80",)),
    (D(41), D(40), 80, ("80", "over")),
    (D(41), D(40), None, ("over",)),
    (D(40), D(40), 100, ("100",)),
    (D(41), D(40), 100, ("100", "over")),
    (D(41), None, 80, ()),
    (D(41), D(0), 80, ()),
])
def test_reached_thresholds(spent: D, budget: D | None, alert: int | None,
                            expected: tuple[str, ...]) -> None:
    assert reached_thresholds(spent, budget, alert) == expected


@pytest.mark.parametrize(("before", "after", "expected"), [
    (D(0), D(10), ()),
    (D(0), D(32), ("80",)),
    (D(31), D(32), ("80",)),
    (D(32), D(35), ()),                 # already past 80 %: nothing new
    (D(35), D(41), ("over",)),
    (D(0), D(41), ("80", "over")),      # one write crossing both
    (D(40), D(41), ("over",)),
    (D(39), D(40), ()),                 # reaching exactly 100 % is not over
    (D(41), D(30), ()),                 # spending going down crosses nothing
    (D(41), D(45), ()),
])
def test_crossed_thresholds(before: D, after: D, expected: tuple[str, ...]) -> None:
    assert crossed_thresholds(before, after, D(40), 80) == expected


@pytest.mark.parametrize(("day", "monthly", "expected"), [
    (date(2026, 3, 31), False, "life"),
    (date(2026, 3, 31), True, "2026-03"),
    (date(2026, 12, 1), True, "2026-12"),
    (date(999, 1, 5), True, "0999-01"),
])
def test_period(day: date, monthly: bool, expected: str) -> None:
    assert budget_period(day, monthly_reset=monthly) == expected


@pytest.mark.parametrize(("month", "expected"), [
    (date(2026, 3, 15), (date(2026, 3, 1), date(2026, 4, 1))),
    (date(2026, 12, 31), (date(2026, 12, 1), date(2027, 1, 1))),
    (date(2024, 2, 29), (date(2024, 2, 1), date(2024, 3, 1))),
])
def test_month_bounds(month: date, expected: tuple[date, date]) -> None:
    assert month_bounds(month) == expected


def test_labels_and_has_budget() -> None:
    assert period_label(date(2026, 3, 1)) == "March 2026"
    assert period_label(None) == "Project life"
    assert threshold_label("80") == "80%"
    assert threshold_label("over") == "100%"
    assert has_budget(D(1)) and not has_budget(D(0)) and not has_budget(None)
