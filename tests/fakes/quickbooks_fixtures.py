"""pytest fixtures of the QuickBooks fake. Register with
`pytest_plugins = ["fakes.quickbooks_fixtures"]`.

`fake_quickbooks` fails its test at teardown if any request broke Intuit's rules
(`fake.violations`) or hard-deleted a record (`fake.hard_deletes`; Keito voids instead).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .quickbooks import FakeQuickBooks, ManualClock


@pytest.fixture
def quickbooks_clock() -> ManualClock:
    """The fake's clock: 2026-03-02 17:00 UTC until a test moves it (`advance(minutes=5)`)."""
    return ManualClock()


@pytest.fixture
def fake_quickbooks(quickbooks_clock: ManualClock) -> Iterator[FakeQuickBooks]:
    """A fresh fake QuickBooks Online company on `quickbooks_clock`."""
    fake = FakeQuickBooks(clock=quickbooks_clock)
    yield fake
    assert fake.violations == [], "requests QuickBooks would refuse:\n" + "\n".join(
        fake.violations)
    assert fake.hard_deletes == 0, f"{fake.hard_deletes} hard delete(s); Keito must void instead"
