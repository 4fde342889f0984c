"""Reading the audit trail: filters, paging, the from/to view, and who may see what."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import TimeEntry
from keito_core.platform import audit
from keito_core.reports.audit_log import event_views, list_events, parse_entity_type
from keito_core.services.directory import users

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def trail(workspace):
    """Ada adds Bea on 2 March and edits her on 5 March; Bea edits herself on 9 March."""
    at = time_machine.travel
    added, edited, noted = (datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
                            datetime(2026, 3, 5, 23, 30, tzinfo=UTC),
                            datetime(2026, 3, 9, 9, 0, tzinfo=UTC))
    with at(added, tick=False), workspace.session() as s:
        admin = workspace.actor(s)
        bea = users.create_user(s, actor=admin, name="Bea", email="b@acme.test", now=added).id
        cy = users.create_user(s, actor=admin, name="Cy", email="c@acme.test", now=added).id
    with at(edited, tick=False), workspace.session() as s:
        users.edit_user(s, actor=workspace.actor(s), ref=bea, phone="123", now=edited)
    with at(noted, tick=False), workspace.session() as s:
        row = users.edit_user(s, actor=workspace.actor(s, bea), ref=bea, phone="456", now=noted)
        audit.record(s, actor_id=workspace.admin_id, action="user.note", entity=row,
                     changes={"reason": "checked the number", "phone": ["456", "456"]},
                     now=noted)
    workspace.bea, workspace.cy = bea, cy
    return workspace


def _page(workspace, user_id=None, **filters):
    with workspace.session(readonly=True) as s:
        page = list_events(s, actor=workspace.actor(s, user_id), now=NOW, **filters)
        return page, event_views(s, page.items)


def test_the_whole_trail_newest_first_for_administrators(trail):
    _, views = _page(trail)
    actions = [v["action"] for v in views if v["action"] != "workspace.create"]
    # (the workspace was made on 1 March, before the travelled dates)
    assert actions == ["user.note", "user.edit", "user.edit", "user.create", "user.create"]
    assert "workspace.create" in {v["action"] for v in views}


def test_diffs_read_from_to_with_the_actor_and_reason(trail):
    _, views = _page(trail, action="user.edit", actor_ref="Ada Admin")
    (edit,) = views
    assert edit["actor"] == {"id": trail.admin_id, "name": "Ada Admin"}
    assert edit["changes"] == [{"field": "phone", "from": None, "to": "123"}]
    assert edit["reason"] is None
    (note,) = _page(trail, action="user.note")[1]
    assert note["reason"] == "checked the number"
    assert note["changes"] == [{"field": "phone", "from": "456", "to": "456"}]
    (created,) = _page(trail, action="user.create", entity_id=trail.bea)[1]
    assert created["values"]["role"] == "member" and created["changes"] == []


def test_filters_by_entity_type_action_prefix_and_local_days(trail):
    assert {v["entity_id"] for v in _page(trail, entity_id=trail.cy)[1]} == {trail.cy}
    assert {v["entity_type"] for v in _page(trail, entity_type="user")[1]} == {"users"}
    assert len(_page(trail, action="user")[1]) == 5
    # 23:30 UTC on 5 March is 23:30 in London (GMT): that day, not the 6th.
    on_fifth = _page(trail, since="2026-03-05", until=date(2026, 3, 5))[1]
    assert [v["action"] for v in on_fifth] == ["user.edit"]
    assert _page(trail, since="2026-03-06", until="2026-03-08")[1] == []


def test_paging_walks_the_trail_once(trail):
    _, everything = _page(trail)
    seen, cursor = [], None
    while True:
        page, views = _page(trail, limit=2, cursor=cursor)
        seen += [v["id"] for v in views]
        if not page.has_more:
            break
        cursor = page.next_cursor
    assert seen == [v["id"] for v in everything]


def test_others_see_what_they_did_and_what_was_done_to_their_records(trail):
    bea_sees = {v["action"] for v in _page(trail, trail.bea)[1]}
    assert bea_sees == {"user.create", "user.edit", "user.note"}
    assert all(v["entity_id"] == trail.bea for v in _page(trail, trail.bea)[1])
    assert [v["action"] for v in _page(trail, trail.cy)[1]] == ["user.create"]


def test_others_see_audits_of_their_own_entries_and_expenses_only(workspace):
    from reminder_team import make_team

    ids = make_team(workspace)
    with workspace.session(readonly=True) as s:
        bea_entries = set(s.exec(select(TimeEntry.id).where(TimeEntry.user_id == ids["bea"])))
    seen = _page(workspace, ids["bea"], action="time_entry")[1]
    assert {v["entity_id"] for v in seen} == bea_entries and len(bea_entries) == 3
    (expense,) = _page(workspace, ids["bea"], entity_type="expense")[1]
    assert expense["action"] == "expense.create"
    assert len(_page(workspace, ids["dan"], entity_type="expense")[1]) == 0
    assert len(_page(workspace, action="time_entry")[1]) == 5  # the administrator sees all


def test_entity_type_names_and_bad_input(trail):
    assert parse_entity_type("time-entry") == "time_entries"
    assert parse_entity_type("Expense_Categories") == "expense_categories"
    with pytest.raises(KeitoError) as caught:
        parse_entity_type("widgets")
    assert caught.value.field == "type"
    with pytest.raises(KeitoError):
        _page(trail, since="someday")
    with pytest.raises(KeitoError) as nobody:
        _page(trail, actor_ref="Nobody At All")
    assert nobody.value.code == "not_found"
