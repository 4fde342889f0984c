"""pytest fixtures of the Xero fake. Register with `pytest_plugins = ["fakes.fixtures"]`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from .xero import FakeXero

#: Where the fake's clock starts unless a test moves it.
XERO_EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for the fake (and for the code under test, if it takes one)."""

    def __init__(self, start: datetime = XERO_EPOCH) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move forward by `timedelta(**delta)`; returns the new time."""
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def xero_clock() -> Clock:
    return Clock()


@pytest.fixture
def fake_xero(xero_clock: Clock) -> Iterator[FakeXero]:
    """A fresh fake Xero on `xero_clock`; the test fails if any request broke the spec."""
    fake = FakeXero(clock=xero_clock)
    yield fake
    assert fake.violations == [], "requests Xero would refuse:\n" + "\n".join(fake.violations)
