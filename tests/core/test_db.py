"""The storage engine: SQLite pragmas, transactions, exact column types, concurrent writers."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import select

from keito_core.errors import KeitoError
from keito_core.models import AuditEvent, Client
from keito_core.platform import db
from keito_core.platform.ids import new_id


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'k.db'}")
    db.upgrade(engine)
    yield engine
    engine.dispose()


def test_sqlite_pragmas(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_foreign_keys_are_enforced(engine):
    from keito_core.models import Contact

    with pytest.raises(sa.exc.IntegrityError), db.transaction(engine) as session:
        session.add(Contact(id=new_id("contact"), client_id="cli_missing", first_name="X"))
        session.flush()


def _audit(action: str) -> AuditEvent:
    return AuditEvent(id=new_id("audit_event"), action=action, entity_type="t", entity_id="x")


def test_transaction_commits_on_success_and_rolls_back_on_error(engine):
    with db.transaction(engine) as session:
        session.add(_audit("kept"))
    with pytest.raises(RuntimeError), db.transaction(engine) as session:
        session.add(_audit("dropped"))
        session.flush()
        raise RuntimeError("boom")
    with db.transaction(engine, readonly=True) as session:
        actions = session.exec(select(AuditEvent.action)).all()
    assert actions == ["kept"]


def test_readonly_transaction_never_writes(engine):
    with db.transaction(engine, readonly=True) as session:
        session.add(_audit("ignored"))
        session.flush()
    with db.transaction(engine, readonly=True) as session:
        assert session.exec(select(AuditEvent)).all() == []


def test_money_is_exact_to_a_millionth(engine):
    client = Client(id=new_id("client"), name="C", currency="GBP")
    with db.transaction(engine) as session:
        session.add(client)
    from keito_core.models import Task

    with db.transaction(engine) as session:
        session.add(Task(id=new_id("task"), name="T", handle="t", default_rate=Decimal("0.003")))
        session.add(Task(id=new_id("task"), name="U", handle="u", default_rate=Decimal("0.1")))
        session.add(Task(id=new_id("task"), name="V", handle="v", default_rate=Decimal("0.2")))
    with db.transaction(engine, readonly=True) as session:
        total = session.exec(select(sa.func.sum(Task.__table__.c.default_rate))).one()
        raw = session.exec(sa.text("SELECT sum(default_rate) FROM tasks")).scalar()
        rates = sorted(session.exec(select(Task.default_rate)).all())
    assert raw == 303_000  # stored as integer millionths: SQL sums are exact
    assert total == Decimal("0.303")  # and the typed sum comes back as an exact Decimal
    assert rates == [Decimal("0.003"), Decimal("0.1"), Decimal("0.2")]


def test_more_than_six_decimals_is_refused(engine):
    from keito_core.models import Task

    with pytest.raises(sa.exc.StatementError), db.transaction(engine) as session:
        session.add(
            Task(id=new_id("task"), name="T", handle="t", default_rate=Decimal("0.0000001"))
        )
        session.flush()


def test_datetimes_are_stored_and_returned_in_utc(engine):
    paris = timezone(timedelta(hours=1))
    event = _audit("tz")
    event.created_at = datetime(2026, 3, 6, 15, 30, tzinfo=paris)
    with db.transaction(engine) as session:
        session.add(event)
    with db.transaction(engine, readonly=True) as session:
        stored = session.get(AuditEvent, event.id).created_at
    assert stored == datetime(2026, 3, 6, 14, 30, tzinfo=UTC)
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(engine):
    event = _audit("naive")
    event.created_at = datetime(2026, 3, 6, 15, 30)
    with pytest.raises(sa.exc.StatementError), db.transaction(engine) as session:
        session.add(event)
        session.flush()


def test_bad_url_is_a_config_error():
    with pytest.raises(KeitoError) as caught:
        db.make_engine("not a url")
    assert caught.value.code == "config_error"


def _write_many(args: tuple[str, int, int]) -> int:
    url, worker, count = args
    engine = db.make_engine(url)
    for i in range(count):
        with db.transaction(engine) as session:
            # Read then write in one transaction: the pattern that deadlocks with deferred BEGIN.
            session.exec(select(sa.func.count()).select_from(AuditEvent)).one()
            session.add(_audit(f"w{worker}-{i}"))
    engine.dispose()
    return count


def test_parallel_writer_processes_lose_nothing(sqlite_engine):
    url = str(sqlite_engine.url)
    workers, each = 6, 25
    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        done = pool.map(_write_many, [(url, w, each) for w in range(workers)])
    assert sum(done) == workers * each
    with db.transaction(sqlite_engine, readonly=True) as session:
        actions = set(session.exec(select(AuditEvent.action)).all())
    assert actions == {f"w{w}-{i}" for w in range(workers) for i in range(each)}
