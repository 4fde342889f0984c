"""keito_core.fastpath.status keeps the few facts it repeats equal to the modules that own them.

Its behaviour (the same JSON as the full path, and every case it leaves to the full path) is
tested through the program's entry point in tests/cli/test_launch.py.
"""

from __future__ import annotations

import subprocess
import sys

from keito_core.fastpath import status as lean_status
from keito_core.models.types import MICROS
from keito_core.platform import identity


def test_key_rules_match_identity() -> None:
    assert lean_status.KEY_PREFIX == identity.KEY_PREFIX
    assert lean_status.KEY_TOUCH_EVERY == identity.KEY_TOUCH_EVERY
    secret = identity.generate_secret()
    assert lean_status.hash_secret(secret) == identity.hash_secret(secret)


def test_money_scale_matches_the_column_type() -> None:
    assert lean_status.MICROS == MICROS


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
