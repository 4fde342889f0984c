"""Prefixed, time-ordered IDs."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine

from keito_core.platform.ids import PREFIXES, kind_of, new_id


@pytest.mark.parametrize("kind", sorted(PREFIXES))
def test_every_kind_has_its_prefix_and_round_trips(kind):
    ref = new_id(kind)
    assert ref.startswith(PREFIXES[kind] + "_")
    assert re.fullmatch(r"[a-z]+_[0-9a-hjkmnp-tv-z]{22}", ref)
    assert kind_of(ref) == kind


def test_reference_prefixes():
    expected = {
        "user": "usr",
        "client": "cli",
        "project": "prj",
        "task": "tsk",
        "time_entry": "te",
        "expense": "exp",
        "expense_category": "cat",
        "invoice": "inv",
        "payment": "pay",
    }
    for kind, prefix in expected.items():
        assert PREFIXES[kind] == prefix


def test_ids_sort_by_creation_time():
    earlier = new_id("time_entry", now_ms=1_700_000_000_000)
    later = new_id("time_entry", now_ms=1_700_000_000_001)
    assert earlier < later


def test_ids_from_a_standing_clock_still_sort_in_the_order_they_were_made():
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=UTC), tick=False):
        made = [new_id("audit_event") for _ in range(1_000)]
    assert made == sorted(made) and len(set(made)) == len(made)
    assert {ref[4:14] for ref in made} <= {made[0][4:14], made[-1][4:14]}


def test_ids_do_not_collide():
    assert len({new_id("time_entry", now_ms=1) for _ in range(10_000)}) == 10_000


@pytest.mark.parametrize("text", ["acme", "te_short", "zzz_0123456789abcdefghjkmn", "", "_x"])
def test_kind_of_rejects_non_ids(text):
    assert kind_of(text) is None
