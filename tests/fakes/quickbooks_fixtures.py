"""The `fake_quickbooks` fixture: a fresh fake QuickBooks Online per test, on a manual clock.

Use it with `from fakes.quickbooks_fixtures import fake_quickbooks` (a fixture imported into a
test module or a conftest is registered there). The test fails at teardown if any request broke
Intuit's rules (`fake.violations`) or hard-deleted a record (`fake.hard_deletes`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakes.quickbooks import FakeQuickBooks, ManualClock


@pytest.fixture
def fake_quickbooks() -> Iterator[FakeQuickBooks]:
    """A FakeQuickBooks whose clock (`fake.clock`, a ManualClock) starts at 2026-03-02 17:00 UTC."""
    fake = FakeQuickBooks(clock=ManualClock())
    yield fake
    assert fake.violations == [], "requests QuickBooks would refuse:\n" + "\n".join(
        fake.violations)
    assert fake.hard_deletes == 0, f"{fake.hard_deletes} hard delete(s); Keito must void instead"
