"""A submission keeps the items it held: after rejection and resubmission the old one still
lists them (with their current status), counts them, and the migration records the items of
submissions made before the history existed."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlmodel import select

from keito_core.enums import Role
from keito_core.models import SubmissionItem
from keito_core.platform import db
from keito_core.reports import approval_queue as queue
from keito_core.services.approvals import workflow
from keito_core.services.tracking import expenses, time_entries

NOW = datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
MON, SUN = date(2026, 3, 2), date(2026, 3, 8)


@pytest.fixture
def world(workspace):
    """Approvals on; project `acme` (GBP) with Mia on it and Pam as its project manager."""
    from keito_core.services.directory import clients, project_team, projects, users
    from keito_core.services.workspace.setup import set_setting

    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Acme Corp", now=NOW)
        acme = projects.create_project(s, actor=admin, name="Acme Website", code="acme",
                                       client_ref="Acme Corp", now=NOW)
        mia = users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test",
                                now=NOW)
        pam = users.create_user(s, actor=admin, name="Pam Projects", email="pam@acme.test",
                                role=Role.MANAGER, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=mia.id, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref=acme.id, user_ref=pam.id,
                                   manager=True, now=NOW)
    return SimpleNamespace(ws=workspace, mia=mia.id, pam=pam.id)


def _as(world, s, who: str):
    return world.ws.actor(s, getattr(world, who) if who != "admin" else None)


def _rejected_then_resubmitted(world) -> SimpleNamespace:
    """Mia logs an entry and an expense, submits, is rejected, corrects and submits again."""
    with world.ws.session() as s:
        mia = _as(world, s, "mia")
        entry = time_entries.log_time(s, actor=mia, project_ref="acme", duration="2",
                                      spent_date=MON, notes="build", source="cli", now=NOW)
        expense = expenses.log_expense(s, actor=mia, project_ref="acme",
                                       category_ref="llm-usage", quantity="10", spent_date=MON,
                                       notes="tokens", source="cli", now=NOW)
        first = workflow.submit_timesheet(s, actor=mia, date_from=MON, date_to=SUN,
                                          now=NOW).submission.id
    with world.ws.session() as s:
        workflow.reject_submissions(s, actor=_as(world, s, "admin"), submission_ids=[first],
                                    reason="split the day", now=NOW)
    with world.ws.session() as s:
        mia = _as(world, s, "mia")
        time_entries.edit_entry(s, actor=mia, entry_id=entry.id, now=NOW, duration="3")
        second = workflow.submit_timesheet(s, actor=mia, date_from=MON, date_to=SUN,
                                           now=NOW).submission.id
    return SimpleNamespace(entry=entry.id, expense=expense.id, first=first, second=second)


def test_the_rejected_submission_still_lists_its_items_with_their_current_status(world) -> None:
    made = _rejected_then_resubmitted(world)
    with world.ws.session(readonly=True) as s:
        old = queue.get_submission(s, actor=_as(world, s, "admin"), submission_id=made.first)
        new = queue.get_submission(s, actor=_as(world, s, "admin"), submission_id=made.second)
    assert old.summary.status == "rejected"
    assert [e.id for e in old.entries] == [made.entry]
    assert [x.id for x in old.expenses] == [made.expense]
    assert [e.approval_status for e in old.entries] == ["submitted"]  # now in the newer one
    assert old.entries[0].duration_seconds == 3 * 3600  # current values
    assert (old.summary.entry_count, old.summary.total_seconds) == (1, 3 * 3600)
    assert old.summary.expense_count == 1 and [d.day for d in old.daily_totals] == [MON]
    assert [e.id for e in new.entries] == [made.entry]


def test_the_queue_counts_and_shows_the_old_submission_to_its_project_manager(world) -> None:
    made = _rejected_then_resubmitted(world)
    with world.ws.session(readonly=True) as s:
        pam = _as(world, s, "pam")
        everything = queue.list_submissions(s, actor=pam, status=None)
        by_source = queue.list_submissions(s, actor=pam, status=None, source="cli")
    assert [(q.id, q.entry_count) for q in everything] == [(made.first, 1), (made.second, 1)]
    assert [q.id for q in by_source] == [made.first, made.second]


def test_submitting_records_the_items_held(world) -> None:
    made = _rejected_then_resubmitted(world)
    with world.ws.session(readonly=True) as s:
        rows = s.exec(select(SubmissionItem.submission_id, SubmissionItem.item_id,
                             SubmissionItem.item_kind)
                      .order_by(SubmissionItem.submission_id, SubmissionItem.item_kind)).all()
    assert [tuple(r) for r in rows] == [
        (made.first, made.expense, "expense"), (made.first, made.entry, "time_entry"),
        (made.second, made.expense, "expense"), (made.second, made.entry, "time_entry")]


def test_a_deleted_item_leaves_the_history_and_the_list(world) -> None:
    made = _rejected_then_resubmitted(world)
    with world.ws.session() as s:
        workflow.reject_submissions(s, actor=_as(world, s, "admin"),
                                    submission_ids=[made.second], reason="drop it", now=NOW)
    with world.ws.session() as s:
        time_entries.delete_entry(s, actor=_as(world, s, "mia"), entry_id=made.entry, now=NOW)
    with world.ws.session(readonly=True) as s:
        old = queue.get_submission(s, actor=_as(world, s, "admin"), submission_id=made.first)
    assert old.entries == () and [x.id for x in old.expenses] == [made.expense]


# --- the migration ----------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _row(conn: sa.Connection, table_name: str, /, **values: object) -> None:
    """Insert a row as stored at 0002, with plain fillers for the NOT NULL columns left out."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    fillers = {str: "x", bool: False, int: 0, datetime: T0, date: MON, dict: {}, list: []}
    for column in table.columns:
        if column.name not in values and not column.nullable:
            values[column.name] = fillers[column.type.python_type]
    conn.execute(table.insert().values(**values))


def _populate_0002(conn: sa.Connection) -> None:
    """Two submissions (one rejected whose entry moved on), their items and a loose entry."""
    _row(conn, "users", id="usr_1", name="Mia", email="mia@x.test", role="member",
         user_type="human", employment_type="employee", status="active",
         manager_permissions=[], created_at=T0, updated_at=T0)
    _row(conn, "clients", id="cli_1", name="Acme", currency="GBP", is_active=True,
         created_at=T0, updated_at=T0)
    _row(conn, "projects", id="prj_1", client_id="cli_1", name="Web", handle="web",
         project_type="time_and_materials", bill_by="project", budget_by="none",
         budget_monthly_reset=False, budget_includes_expenses=False,
         budget_visible_to_team=True, is_active=True, created_at=T0, updated_at=T0)
    _row(conn, "expense_categories", id="cat_1", name="Travel", handle="travel",
         is_builtin=False, is_active=True, is_billable_default=True, created_at=T0,
         updated_at=T0)
    for sid, status in (("sub_old", "rejected"), ("sub_new", "submitted")):
        _row(conn, "submissions", id=sid, user_id="usr_1", period_start=MON, period_end=SUN,
             status=status, submitted_at=T0)
    for eid, sid in (("te_1", "sub_new"), ("te_2", "sub_new"), ("te_3", None)):
        _row(conn, "time_entries", id=eid, user_id="usr_1", project_id="prj_1", spent_date=MON,
             duration_seconds=3600, is_running=False, is_rounded=False, is_billable=True,
             source="cli", approval_status="submitted" if sid else "unsubmitted",
             metadata={}, submission_id=sid, created_at=T0, updated_at=T0)
    _row(conn, "expenses", id="exp_1", user_id="usr_1", project_id="prj_1", category_id="cat_1",
         spent_date=MON, total_cost=12_500_000, is_billable=True, source="cli",
         approval_status="submitted", metadata={}, submission_id="sub_new",
         created_at=T0, updated_at=T0)


def _everything(conn: sa.Connection, columns: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of each table, read through the columns it had before the upgrade (later
    migrations may add columns; the rows must keep every value they held)."""
    return {t: sorted(tuple(map(str, r)) for r in conn.execute(
        sa.text(f"SELECT {', '.join(names)} FROM {t}"))) for t, names in columns.items()}


def test_upgrading_records_the_current_items_and_keeps_every_row(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'keito.db'}")
    try:
        db.upgrade(engine, "0002")
        with engine.begin() as conn:
            _populate_0002(conn)
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = {t: [c["name"] for c in inspector.get_columns(t)]
                      for t in inspector.get_table_names() if t != "alembic_version"}
            before = _everything(conn, tables)
        assert db.ensure_schema(engine) is True
        with engine.connect() as conn:
            assert _everything(conn, tables) == before
            held = conn.execute(sa.text(
                "SELECT submission_id, item_id, item_kind FROM submission_items "
                "ORDER BY item_id")).all()
        assert [tuple(r) for r in held] == [("sub_new", "exp_1", "expense"),
                                            ("sub_new", "te_1", "time_entry"),
                                            ("sub_new", "te_2", "time_entry")]
    finally:
        engine.dispose()
