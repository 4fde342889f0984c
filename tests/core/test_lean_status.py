"""keito_core.fastpath.status takes the facts it shares with the full path from the core.

Its behaviour (the same JSON as the full path, and every case it leaves to the full path) is
tested through the program's entry point in tests/cli/test_launch.py.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from keito_core.fastpath import status as lean_status
from keito_core.models import types
from keito_core.platform import api_keys, identity
from keito_core.rules import money


def test_key_rules_are_the_cores_own() -> None:
    """One definition: the fast path and identity use the same objects, not equal copies."""
    for name in ("KEY_PREFIX", "hash_secret", "use_is_due"):
        assert getattr(lean_status, name) is getattr(api_keys, name)
    for name in ("KEY_PREFIX", "KEY_TOUCH_EVERY", "hash_secret", "generate_secret"):
        assert getattr(identity, name) is getattr(api_keys, name)


def test_money_scale_is_the_rules_own() -> None:
    assert types.MICROS is money.MICROS
    assert lean_status.stored_amount is money.stored_amount
    assert not hasattr(lean_status, "MICROS")


NOW = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(("last_used", "due"), [
    (None, True),
    (NOW - timedelta(minutes=59, seconds=59), False),
    (NOW - timedelta(hours=1), True),
    (NOW, False),
])
def test_a_keys_use_is_recorded_at_most_hourly(last_used: datetime | None, due: bool) -> None:
    assert api_keys.use_is_due(last_used, now=NOW) is due


def test_importing_it_loads_no_orm() -> None:
    code = (
        "import json, sys, keito_core.fastpath.status\n"
        "print(json.dumps([m for m in ('sqlalchemy', 'sqlmodel', 'pydantic', 'keito_core.models')"
        " if m in sys.modules]))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
