"""Loose input refused or flagged: dates far out of range, the future, overlong notes and
reasons, zero-cost expenses and totals finer than the currency's minor unit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import Client, Project, ProjectTask, Task, Workspace
from keito_core.platform.ids import new_id
from keito_core.platform.notices import take_warnings
from keito_core.rules.text import MAX_NOTES_LENGTH, MAX_REASON_LENGTH
from keito_core.services.approvals import workflow
from keito_core.services.tracking import expenses, time_entries

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)  # Friday 6 March 2026 in London
TODAY = date(2026, 3, 6)


@pytest.fixture
def env(workspace):
    """Project `web` (client in GBP) with task `development`; Ada the administrator logs."""
    with workspace.session() as s:
        client = Client(id=new_id("client"), name="Acme", currency="GBP")
        dev = Task(id=new_id("task"), name="Development", handle="development")
        s.add_all([client, dev])
        s.flush()
        web = Project(id=new_id("project"), client_id=client.id, name="Website", handle="web")
        s.add(web)
        s.flush()
        s.add(ProjectTask(id=new_id("project_task"), project_id=web.id, task_id=dev.id))
    return SimpleNamespace(ws=workspace)


def _log(env, **kw):
    """log_time on `web`; returns (entry, the warnings the session holds)."""
    kw.setdefault("duration", "1")
    with env.ws.session() as s:
        entry = time_entries.log_time(s, actor=env.ws.actor(s), project_ref="web",
                                      source="cli", now=NOW, **kw)
        return entry, take_warnings(s)


def _expense(env, **kw):
    kw.setdefault("category_ref", "transportation")
    with env.ws.session() as s:
        expense = expenses.log_expense(s, actor=env.ws.actor(s), project_ref="web",
                                       source="cli", now=NOW, **kw)
        return expense, take_warnings(s)


# --- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["1900-01-01", "1999-12-31", "2027-03-07", "2030-01-01"])
def test_dates_far_out_of_range_are_refused(env, day: str) -> None:
    with pytest.raises(KeitoError) as info:
        _log(env, spent_date=day)
    assert (info.value.code, info.value.field) == ("validation_error", "spent_date")
    with pytest.raises(KeitoError) as info:
        _expense(env, spent_date=day, total="12.50")
    assert info.value.field == "spent_date"


@pytest.mark.parametrize("day", ["2000-01-01", "2026-03-06", "2025-11-30"])
def test_past_dates_in_range_are_taken_without_a_word(env, day: str) -> None:
    entry, warnings = _log(env, spent_date=day)
    assert entry.spent_date == date.fromisoformat(day)
    assert warnings == []


@pytest.mark.parametrize("day", ["tomorrow", "2026-12-25", "2027-03-06"])
def test_a_future_date_is_saved_with_a_warning(env, day: str) -> None:
    entry, warnings = _log(env, spent_date=day)
    assert entry.spent_date > TODAY
    assert len(warnings) == 1 and "in the future" in warnings[0]
    assert entry.spent_date.isoformat() in warnings[0]
    _, warnings = _expense(env, spent_date=day, total="12.50")
    assert len(warnings) == 1 and "in the future" in warnings[0]


def test_moving_an_entry_is_checked_like_logging_it(env) -> None:
    entry, _ = _log(env)
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        time_entries.edit_entry(s, actor=env.ws.actor(s), entry_id=entry.id, now=NOW,
                                spent_date="1900-01-01")
    assert info.value.field == "spent_date"
    with env.ws.session() as s:
        time_entries.edit_entry(s, actor=env.ws.actor(s), entry_id=entry.id, now=NOW,
                                spent_date="2026-03-09")
        assert ["in the future" in w for w in take_warnings(s)] == [True]
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        time_entries.copy_entry(s, actor=env.ws.actor(s), entry_id=entry.id,
                                spent_date="2030-01-01", source="cli", now=NOW)
    assert info.value.field == "spent_date"


# --- notes and reasons --------------------------------------------------------------------


def test_notes_longer_than_the_limit_are_refused(env) -> None:
    longest = "x" * MAX_NOTES_LENGTH
    assert _log(env, notes=longest)[0].notes == longest
    assert _expense(env, total="5", notes=longest)[0].notes == longest
    with pytest.raises(KeitoError) as info:
        _log(env, notes="x" * 100_000)
    assert (info.value.code, info.value.field) == ("validation_error", "notes")
    assert "10,000" in info.value.message
    with pytest.raises(KeitoError) as info:
        _expense(env, total="5", notes=longest + "x")
    assert info.value.field == "notes"


def test_timer_notes_are_limited_too(env) -> None:
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        time_entries.start_timer(s, actor=env.ws.actor(s), project_ref="web", source="cli",
                                 notes="x" * (MAX_NOTES_LENGTH + 1), now=NOW)
    assert info.value.field == "notes"


def _submitted(env) -> str:
    with env.ws.session() as s:
        s.exec(select(Workspace)).one().feature_approvals = True
    _log(env, spent_date="2026-03-02")
    with env.ws.session() as s:
        result = workflow.submit_timesheet(s, actor=env.ws.actor(s), date_from="2026-03-02",
                                           date_to="2026-03-08", now=NOW)
        return result.submission.id


def test_a_rejection_reason_longer_than_the_limit_is_refused(env) -> None:
    submission = _submitted(env)
    with env.ws.session() as s, pytest.raises(KeitoError) as info:
        workflow.reject_submissions(s, actor=env.ws.actor(s), submission_ids=[submission],
                                    reason="x" * (MAX_REASON_LENGTH + 1), now=NOW)
    assert (info.value.code, info.value.field) == ("validation_error", "reason")
    with env.ws.session() as s:
        done = workflow.reject_submissions(s, actor=env.ws.actor(s),
                                           submission_ids=[submission],
                                           reason="y" * MAX_REASON_LENGTH, now=NOW)
        assert len(done[0].reason or "") == MAX_REASON_LENGTH


# --- expense amounts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"total": "0"}, "total"),
        ({"total": "0.00"}, "total"),
        ({"category_ref": "mileage", "quantity": "0"}, "quantity"),
        ({"category_ref": "mileage", "quantity": "5", "unit_price": "0"}, "unit_price"),
        ({"category_ref": "mileage", "quantity": "5", "total": "0"}, "total"),
    ],
)
def test_an_expense_of_nothing_is_refused(env, kw: dict[str, str], field: str) -> None:
    with pytest.raises(KeitoError) as info:
        _expense(env, **kw)
    assert (info.value.code, info.value.field) == ("validation_error", field)


def test_a_total_finer_than_a_penny_is_refused(env) -> None:
    with pytest.raises(KeitoError) as info:
        _expense(env, total="1.234")
    assert (info.value.code, info.value.field) == ("validation_error", "total")
    assert "GBP" in info.value.message
    assert _expense(env, total="1.23")[0].total_cost == Decimal("1.23")


def test_unit_based_totals_keep_their_exact_value(env) -> None:
    expense, _ = _expense(env, category_ref="llm-usage", quantity="45")
    assert expense.total_cost == Decimal("0.135")


def test_an_edited_total_is_checked_too(env) -> None:
    expense, _ = _expense(env, total="12.50")
    for total in ("0", "1.234"):
        with env.ws.session() as s, pytest.raises(KeitoError) as info:
            expenses.edit_expense(s, actor=env.ws.actor(s), expense_id=expense.id, now=NOW,
                                  total=total)
        assert info.value.field == "total"
