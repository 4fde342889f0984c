"""Budget alerts: once per threshold and period, to the project's managers and the
administrators, in the inbox and by email; the over-budget warning left for the interface."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal as D
from typing import Any

import pytest
from budget_team import NOW, make_budget_team
from smtp_sink import SmtpSink
from sqlmodel import select

from keito_core.models import BudgetAlert, Notification
from keito_core.platform.identity import get_workspace
from keito_core.platform.notices import take_budget
from keito_core.services.tracking.expenses import log_expense
from keito_core.services.tracking.time_entries import delete_entry, edit_entry, log_time
from keito_core.services.tracking.timers import start_timer, stop_timer


def _log(workspace: Any, ids: dict[str, str], duration: str, day: date = date(2026, 3, 2), *,
         who: str = "bea", task: str = "design") -> str:
    with workspace.session() as s:
        return log_time(s, actor=workspace.actor(s, ids[who]), project_ref=ids["web"],
                        task_ref=ids[task], duration=duration, spent_date=day, source="cli",
                        now=NOW).id


def _alerts(workspace: Any, ids: dict[str, str]) -> Counter[str]:
    """How many budget alerts each person got, by first name."""
    names = {v: k for k, v in ids.items()}
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "budget_alert")).all()
        return Counter(names[n.user_id] for n in rows)


def _titles(workspace: Any, ids: dict[str, str], who: str = "max") -> list[str]:
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "budget_alert",
                                                 Notification.user_id == ids[who])
                      .order_by(Notification.created_at, Notification.id)).all()
        return [n.title for n in rows]


def test_crossing_the_alert_percent_then_100_gives_two_alerts_each(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    _log(workspace, ids, "7:00")
    assert _alerts(workspace, ids) == Counter()
    _log(workspace, ids, "1:00")                        # 80 %: the alert percent
    assert _alerts(workspace, ids) == Counter(ada=1, max=1)
    _log(workspace, ids, "2:00")                        # exactly 100 %: not over yet
    assert _alerts(workspace, ids) == Counter(ada=1, max=1)
    _log(workspace, ids, "0:30", who="bot")             # 105 %: over
    assert _alerts(workspace, ids) == Counter(ada=2, max=2)
    assert _titles(workspace, ids) == ["Website Redesign reached 80% of its budget",
                                       "Website Redesign went over budget"]
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(BudgetAlert)).all()
        assert sorted((r.threshold, r.period, r.scope_key, r.kind) for r in rows) == [
            ("80", "life", "", "hours"), ("over", "life", "", "hours")]
        body = s.exec(select(Notification).where(Notification.user_id == ids["max"])
                      .order_by(Notification.id.desc())).first()  # type: ignore[union-attr]
        assert body is not None and body.body is not None
        assert "10.5h spent of 10h (105%), -0.5h remaining" in body.body


def test_one_write_crossing_both_thresholds_gives_both(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    _log(workspace, ids, "11:00")
    assert _alerts(workspace, ids) == Counter(ada=2, max=2)


def test_crossing_again_in_the_same_period_gives_nothing(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    entry = _log(workspace, ids, "9:00")
    with workspace.session() as s:
        delete_entry(s, actor=workspace.actor(s, ids["bea"]), entry_id=entry, now=NOW)
    _log(workspace, ids, "8:30")                        # below and above 80 % again
    small = _log(workspace, ids, "0:10")
    with workspace.session() as s:                      # an edit crossing again
        edit_entry(s, actor=workspace.actor(s), entry_id=small, now=NOW, duration="0:20")
    assert _alerts(workspace, ids) == Counter(ada=1, max=1)


def test_monthly_budget_alerts_again_next_month(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="5", monthly=True)
    _log(workspace, ids, "6:00", date(2026, 2, 20))     # February: 80 % and over
    _log(workspace, ids, "4:00", date(2026, 3, 2))      # March: 80 %
    assert _alerts(workspace, ids) == Counter(ada=3, max=3)
    _log(workspace, ids, "4:00", date(2026, 3, 3))      # March: over
    _log(workspace, ids, "4:00", date(2026, 2, 21))     # February again: nothing new
    assert _alerts(workspace, ids) == Counter(ada=4, max=4)
    assert _titles(workspace, ids)[-1] == "Website Redesign went over budget in March 2026"


def test_person_budgets_alert_per_person(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="person", budget=None,
                           person_budgets={"bea": "2", "bot": "10"})
    _log(workspace, ids, "1:00")
    _log(workspace, ids, "3:00", who="bot")
    assert _alerts(workspace, ids) == Counter()
    _log(workspace, ids, "1:00")                        # Bea: 100 %: the 80 % alert only
    assert _titles(workspace, ids) == [
        "Website Redesign (Bea Member) reached 80% of its budget"]
    _log(workspace, ids, "5:00", who="bot")             # Bot: 80 %
    _log(workspace, ids, "9:00", who="max")             # Max has no budget: nothing
    assert len(_titles(workspace, ids)) == 2


def test_task_budgets_alert_per_task_and_expenses_count_for_fees(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="task", budget=None, task_budgets=("4", None),
                           task_fees=(None, "500"))
    _log(workspace, ids, "3:00", task="build")          # £300 of £500
    _log(workspace, ids, "3:30")                        # 3.5 h of 4 h: 87.5 %
    _log(workspace, ids, "1:00", task="build")          # £400: 80 %
    assert _titles(workspace, ids) == ["Website Redesign (Design) reached 80% of its budget",
                                       "Website Redesign (Build) reached 80% of its budget"]


def test_expenses_count_when_the_fee_budget_includes_them(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="total_fees", budget="1000",
                           includes_expenses=True)
    _log(workspace, ids, "7:00")
    with workspace.session() as s:
        log_expense(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                    category_ref="Lodging", total="150", spent_date=date(2026, 3, 3),
                    source="cli", now=NOW)
    assert _titles(workspace, ids) == ["Website Redesign reached 80% of its budget"]


def test_a_stopped_timer_alerts(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="1")
    with workspace.session() as s:
        start_timer(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                    task_ref=ids["design"], source="cli", now=NOW)
    with workspace.session() as s:
        stop_timer(s, actor=workspace.actor(s, ids["bea"]), now=NOW + timedelta(minutes=90))
    assert _alerts(workspace, ids) == Counter(ada=2, max=2)


def test_no_budget_no_alert(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget_by="none", budget=None)
    _log(workspace, ids, "20:00")
    assert _alerts(workspace, ids) == Counter()


# --- the warning left for the interface ---------------------------------------------------


@pytest.mark.parametrize(("visible", "amounts"), [(True, True), (False, False)])
def test_logging_to_an_over_budget_project_leaves_a_warning(workspace: Any, visible: bool,
                                                            amounts: bool) -> None:
    ids = make_budget_team(workspace, budget="10", visible_to_team=visible)
    _log(workspace, ids, "9:00")
    with workspace.session() as s:
        log_time(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                 task_ref=ids["design"], duration="2:12", spent_date=date(2026, 3, 2),
                 source="agent", now=NOW)
        warning = take_budget(s)
        assert take_budget(s) is None
    assert warning is not None
    assert (warning["project"], warning["status"], warning["percent_used"], warning["kind"]) == (
        "Website Redesign", "over", D("112.00"), "hours")
    if amounts:
        assert (warning["spent"], warning["budget"]) == (D("11.2"), D(10))
        assert warning["message"] == "Website Redesign is over budget (112% of 10h used)"
    else:
        assert "spent" not in warning and "budget" not in warning
        assert warning["message"] == "Website Redesign is over budget (112% used)"


def test_no_warning_on_track(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    with workspace.session() as s:
        log_time(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                 task_ref=ids["design"], duration="9:00", spent_date=date(2026, 3, 2),
                 source="cli", now=NOW)
        assert take_budget(s) is None                   # 90 %: a warning status, not over


# --- email ---------------------------------------------------------------------------------


def _smtp(workspace: Any, host: str, port: int) -> None:
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.smtp_host, ws.smtp_port, ws.smtp_from, ws.smtp_starttls = (
            host, port, "keito@acme.test", False)


def test_alerts_are_emailed_after_the_commit(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    with SmtpSink() as sink:
        _smtp(workspace, sink.host, sink.port)
        with workspace.session() as s:
            log_time(s, actor=workspace.actor(s, ids["bea"]), project_ref=ids["web"],
                     task_ref=ids["design"], duration="8:00", spent_date=date(2026, 3, 2),
                     source="cli", now=NOW)
            assert sink.messages == []                  # nothing sent inside the transaction
        received = sorted(sink.messages, key=lambda m: m.recipients[0])
    assert [m.recipients for m in received] == [["ada@acme.test"], ["max@acme.test"]]
    assert received[0].message["Subject"] == "Website Redesign reached 80% of its budget"
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "budget_alert")).all()
        assert len(rows) == 2 and all(n.emailed_at == NOW for n in rows)


def test_a_failed_email_keeps_the_notification(workspace: Any) -> None:
    ids = make_budget_team(workspace, budget="10")
    with SmtpSink() as sink:
        host, port = sink.host, sink.port
    _smtp(workspace, host, port)                          # the server is gone now
    _log(workspace, ids, "8:00")
    with workspace.session(readonly=True) as s:
        rows = s.exec(select(Notification).where(Notification.kind == "budget_alert")).all()
        assert len(rows) == 2 and all(n.emailed_at is None for n in rows)
