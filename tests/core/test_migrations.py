"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and keep every row.

Tests parametrised over BACKENDS run on SQLite and, when KEITO_TEST_POSTGRES_URL names a reachable
server, on scratch PostgreSQL databases (they skip otherwise).
"""

from __future__ import annotations

import ast
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import create_postgres_database, drop_postgres_database
from sqlalchemy.engine import Connection, Engine

from keito_core.errors import KeitoError
from keito_core.models import (
    Client,
    Expense,
    Project,
    TimeEntry,
    User,
    Workspace,
    metadata,
)
from keito_core.platform import db

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: The tables revision 0001 creates, parents first.
CORE_TABLES = (
    "workspace",
    "users",
    "api_keys",
    "manager_teammates",
    "business_roles",
    "user_business_roles",
    "clients",
    "contacts",
    "tasks",
    "projects",
    "project_tasks",
    "project_members",
    "expense_categories",
    "time_entries",
    "expenses",
)
#: The columns 0002 adds to time_entries and expenses.
LINK_COLUMNS = ("submission_id", "invoice_id")


# --- databases -------------------------------------------------------------------------------


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def make_empty_database(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Engine]]:
    """Makes an engine on a new, empty database: make(backend, name, admin_url)."""
    engines: list[Engine] = []
    postgres: set[tuple[str, str]] = set()

    def make(backend: str, name: str, admin_url: str | None) -> Engine:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'keito.db'}"
        else:
            assert admin_url
            database = f"keito_migrations_{_worker()}_{name}"
            url = create_postgres_database(admin_url, database)
            postgres.add((admin_url, database))
        engine = db.make_engine(url)
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        engine.dispose()
    for admin_url, database in postgres:
        drop_postgres_database(admin_url, database)


def _admin_url(request: pytest.FixtureRequest, backend: str) -> str | None:
    """The PostgreSQL maintenance URL for the postgres backend (skips without a server)."""
    return request.getfixturevalue("postgres_admin_url") if backend == "postgres" else None


@pytest.fixture
def empty_engine(
    request: pytest.FixtureRequest, make_empty_database: Callable[..., Engine]
) -> Iterator[Engine]:
    """An engine on an empty database of the parametrised backend, private to this test."""
    engine = make_empty_database(request.param, "fresh", _admin_url(request, request.param))
    yield engine
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def head_engine(
    request: pytest.FixtureRequest, make_empty_database: Callable[..., Engine]
) -> Engine:
    """A database migrated to head once per backend; read-only for the tests that share it."""
    engine = make_empty_database(request.param, "head", _admin_url(request, request.param))
    db.upgrade(engine)
    return engine


def schema_diff(conn: Connection, target: sa.MetaData) -> list[Any]:
    """Alembic's autogenerate differences between the database and `target`."""
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return compare_metadata(context, target)


# --- the models and the migrations agree ------------------------------------------------------


def test_models_and_migrations_agree(head_engine: Engine) -> None:
    with head_engine.connect() as conn:
        assert schema_diff(conn, metadata) == []


def _copy_of_metadata() -> sa.MetaData:
    copy = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(copy)
    return copy


def _add_column(target: sa.MetaData) -> str:
    target.tables["time_entries"].append_column(sa.Column("throwaway", sa.Integer()))
    return "add_column"


def _change_type(target: sa.MetaData) -> str:
    target.tables["users"].c.email.type = sa.String(100)
    return "modify_type"


def _change_nullability(target: sa.MetaData) -> str:
    target.tables["projects"].c.notes.nullable = False
    return "modify_nullable"


def _drop_index(target: sa.MetaData) -> str:
    table = target.tables["expenses"]
    table.indexes.remove(next(i for i in table.indexes if i.name == "ix_expenses_user_day"))
    return "remove_index"


def _add_table(target: sa.MetaData) -> str:
    sa.Table("throwaway", target, sa.Column("id", sa.Integer(), primary_key=True))
    return "add_table"


@pytest.mark.parametrize(
    "drift", [_add_column, _change_type, _change_nullability, _drop_index, _add_table]
)
def test_the_comparison_detects_drift(head_engine: Engine, drift: Callable[..., str]) -> None:
    """Guards the agreement test: a model that drifts from the migrations is reported."""
    target = _copy_of_metadata()
    kind = drift(target)
    with head_engine.connect() as conn:
        diff = schema_diff(conn, target)
    flattened = [item for entry in diff for item in (entry if isinstance(entry, list) else [entry])]
    assert kind in [item[0] for item in flattened], diff


def _metadata_names() -> set[tuple[str, str, str]]:
    names: set[tuple[str, str, str]] = set()
    for table in metadata.sorted_tables:
        names.add((table.name, "pk", str(table.primary_key.name)))
        for constraint in table.constraints:
            kind = {
                sa.ForeignKeyConstraint: "fk",
                sa.UniqueConstraint: "uq",
                sa.CheckConstraint: "ck",
            }.get(type(constraint))
            if kind:
                names.add((table.name, kind, str(constraint.name)))
        names.update((table.name, "ix", str(index.name)) for index in table.indexes)
    return names


def _database_names(conn: Connection) -> set[tuple[str, str, str]]:
    inspector = sa.inspect(conn)
    names: set[tuple[str, str, str]] = set()
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        names.add((table, "pk", inspector.get_pk_constraint(table)["name"]))
        names.update((table, "fk", fk["name"]) for fk in inspector.get_foreign_keys(table))
        names.update((table, "uq", uq["name"]) for uq in inspector.get_unique_constraints(table))
        names.update((table, "ck", ck["name"]) for ck in inspector.get_check_constraints(table))
        names.update(
            (table, "ix", ix["name"])
            for ix in inspector.get_indexes(table)
            if "duplicates_constraint" not in ix
        )
    return names


def test_every_constraint_and_index_has_the_models_name(head_engine: Engine) -> None:
    """Names matter for later migrations; autogenerate ignores some (PKs, FKs, checks)."""
    with head_engine.connect() as conn:
        assert _database_names(conn) == _metadata_names()


def test_the_running_timer_index_is_partial_and_unique(head_engine: Engine) -> None:
    with head_engine.connect() as conn:
        indexes = {ix["name"]: ix for ix in sa.inspect(conn).get_indexes("time_entries")}
        checks = sa.inspect(conn).get_check_constraints("time_entries")
    running = indexes["uq_time_entries_running_user"]
    assert running["unique"]
    assert running["column_names"] == ["user_id"]
    where = running["dialect_options"][f"{head_engine.dialect.name}_where"]
    assert "is_running" in str(where)
    assert [(ck["name"], ck["sqltext"]) for ck in checks] == [
        ("ck_time_entries_duration_non_negative", "duration_seconds >= 0")
    ]


# --- the revision chain -----------------------------------------------------------------------


def test_head_revision_is_the_scripts_single_head() -> None:
    script = ScriptDirectory(str(db.migrations_dir()))
    assert script.get_heads() == [db.HEAD_REVISION]
    chain = [rev.revision for rev in script.walk_revisions("base", "heads")]
    assert chain == ["0008", "0007", "0006", "0005", "0004", "0003", "0002", "0001"]


def _imported_packages(source: str) -> set[str]:
    packages = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            packages.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            packages.add((node.module or "").split(".")[0])
    return packages


def test_revisions_never_import_keito_core() -> None:
    """A revision is frozen history: it must not change when the models change later."""
    for path in sorted((db.migrations_dir() / "versions").glob("*.py")):
        assert _imported_packages(path.read_text()) <= {"__future__", "alembic", "sqlalchemy"}


def test_autogenerate_renders_plain_sqlalchemy_types(tmp_path: Path) -> None:
    """A new revision spells Micros, UTCDateTime, EnumText and AutoString as plain sa types."""
    from alembic import command

    engine = db.make_engine(f"sqlite:///{tmp_path / 'stamped.db'}")
    cfg = db.alembic_config(engine)
    command.stamp(cfg, "head")  # at head but without a table: every table is "new"
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join([str(db.migrations_dir() / "versions"), str(drafts)])
    )
    command.revision(cfg, "draft", autogenerate=True, rev_id="draft", version_path=str(drafts))
    engine.dispose()

    draft = next(drafts.glob("draft_*.py")).read_text()
    assert _imported_packages(draft) <= {"__future__", "alembic", "sqlalchemy"}
    source = draft.replace("'", '"')
    assert 'sa.Column("total_cost", sa.BigInteger(), nullable=False)' in source
    assert 'sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)' in source
    assert 'sa.Column("approval_status", sa.String(length=32), nullable=False)' in source
    assert 'sa.Column("email", sa.String(length=254), nullable=False)' in source
    assert 'sa.Column("notes", sa.String(), nullable=True)' in source


# --- upgrading keeps every row ----------------------------------------------------------------

T0 = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


def _filler(column: sa.Column) -> Any:
    """A plain value for a NOT NULL column the test does not care about."""
    python_type = column.type.python_type
    if python_type is str:
        return "x"
    if python_type is bool:
        return False
    if python_type is int:
        return 0
    if python_type is datetime:
        return T0
    if python_type is date:
        return T0.date()
    if python_type is dict:
        return {}
    raise AssertionError(f"no filler for {column}")


def _insert(conn: Connection, table: sa.Table, /, **values: Any) -> None:
    """Insert one row as stored (money in millionths), filling the NOT NULL columns left out."""
    for column in table.columns:
        if column.name not in values and not column.nullable:
            values[column.name] = _filler(column)
    conn.execute(table.insert().values(**values))


def _populate_core(conn: Connection) -> None:
    """A realistic small workspace, written against the 0001 schema as reflected."""
    reflected = sa.MetaData()
    reflected.reflect(conn, only=CORE_TABLES)

    def row(table: str, /, **values: Any) -> None:
        _insert(conn, reflected.tables[table], **values)

    # fmt: off

    row("workspace", id="ws_1", name="Acme Studio", timezone="Europe/London", currency="GBP",
        week_start="monday", time_format="24h", duration_format="hh:mm",
        default_entry_mode="timer", reminder_day="friday", deadline_day="friday",
        reminder_time="09:00", deadline_time="17:00", decimal_separator=".",
        thousands_separator=",", date_format="%d/%m/%Y", invoice_accent_color="#5b21b6",
        invoice_number_pattern="INV-{YYYY}-{####}", invoice_next_number=7,
        default_payment_terms="net_30", tax1_label="VAT", tax1_rate=20_000_000,
        weekly_capacity_seconds=144_000, smtp_port=587, smtp_starttls=True,
        email_invoice_subject="Invoice {number}", email_invoice_body="Hello {client}",
        email_reminder_subject="Reminder", email_reminder_body="Overdue",
        email_thanks_subject="Thanks", email_thanks_body="Thank you",
        default_user_id="usr_admin", created_at=T0, updated_at=T0)
    row("users", id="usr_admin", name="Ada Admin", email="ada@example.com", role="admin",
        user_type="human", employment_type="employee", status="active",
        manager_permissions=[], default_rate=150_000_000, created_at=T0, updated_at=T0)
    row("users", id="usr_mia", name="Mía Núñez", email="mia@example.com", role="manager",
        user_type="human", employment_type="contractor", status="active",
        manager_permissions=["view_rates", "draft_invoices"], default_rate=95_500_000,
        cost_rate=40_000_000, timezone="America/New_York",
        created_at=T0, updated_at=T0)
    row("users", id="usr_bot", name="Claude", email="claude@agents.example", role="member",
        user_type="agent", employment_type="employee", status="active",
        manager_permissions=[], created_at=T0, updated_at=T0)
    row("api_keys", id="key_1", user_id="usr_bot", name="ci", prefix="keito_sk_ab12",
        secret_hash="a" * 64, created_by_id="usr_admin", created_at=T0)
    row("manager_teammates", manager_id="usr_mia", teammate_id="usr_bot", created_at=T0)
    row("business_roles", id="brl_dev", name="Developer", created_at=T0)
    row("user_business_roles", user_id="usr_bot", role_id="brl_dev")
    row("clients", id="cli_acme", name="Acme Corp", currency="GBP", city="London",
        is_active=True, created_at=T0, updated_at=T0)
    row("clients", id="cli_old", name="Old Client", currency="EUR", is_active=False,
        archived_at=T0, created_at=T0, updated_at=T0)
    row("contacts", id="con_1", client_id="cli_acme", first_name="Grace", last_name="Hopper",
        email="grace@acme.example", created_at=T0, updated_at=T0)
    row("tasks", id="tsk_dev", name="Development", handle="development", is_active=True,
        is_billable_default=True, default_rate=120_000_000, created_at=T0, updated_at=T0)
    row("tasks", id="tsk_meet", name="Meetings", handle="meetings", is_active=True,
        is_billable_default=False, created_at=T0, updated_at=T0)
    row("projects", id="prj_web", client_id="cli_acme", name="Website", code="ACME-WEB",
        handle="acme-website", project_type="time_and_materials", bill_by="task",
        budget_by="total_hours", budget_hours=120_000_000, hourly_rate=110_000_000, is_active=True,
        starts_on=date(2026, 1, 1), created_at=T0, updated_at=T0)
    row("projects", id="prj_int", client_id="cli_acme", name="Internal", handle="internal",
        project_type="non_billable", bill_by="none", budget_by="none", is_active=True,
        created_at=T0, updated_at=T0)
    row("project_tasks", id="pt_1", project_id="prj_web", task_id="tsk_dev", is_billable=True,
        hourly_rate=125_000_000, is_active=True, created_at=T0)
    row("project_tasks", id="pt_2", project_id="prj_web", task_id="tsk_meet", is_active=True,
        created_at=T0)
    for n, user in enumerate(("usr_admin", "usr_mia", "usr_bot")):
        row("project_members", id=f"pm_{n}", project_id="prj_web", user_id=user,
            is_project_manager=user == "usr_mia", created_at=T0)
    row("expense_categories", id="cat_llm", name="LLM Usage", handle="llm-usage",
        unit_name="1k tokens", unit_price=3_000, is_builtin=True, is_active=True,
        is_billable_default=True, created_at=T0, updated_at=T0)
    row("expense_categories", id="cat_travel", name="Travel", handle="travel", is_active=True,
        is_billable_default=True, created_at=T0, updated_at=T0)

    entries = [
        dict(id="te_1", user_id="usr_mia", project_id="prj_web", task_id="tsk_dev",
             spent_date=date(2026, 3, 2), duration_seconds=5400, notes="Homepage — café menu",
             billable_rate=125_000_000, cost_rate=40_000_000, is_billable=True,
             started_at=T0, ended_at=T0.replace(hour=10, minute=45), source="tui",
             approval_status="approved", metadata={"ticket": "WEB-12"}),
        dict(id="te_2", user_id="usr_mia", project_id="prj_web", task_id="tsk_meet",
             spent_date=date(2026, 3, 2), duration_seconds=0, is_running=True,
             timer_started_at=T0.replace(hour=14), is_billable=False, source="cli",
             approval_status="unsubmitted", metadata={}),
        dict(id="te_3", user_id="usr_bot", project_id="prj_web", task_id="tsk_dev",
             spent_date=date(2026, 3, 1), duration_seconds=7200, notes="23:00-01:00 refactor",
             started_at=datetime(2026, 3, 1, 23, tzinfo=UTC),
             ended_at=datetime(2026, 3, 2, 1, tzinfo=UTC), is_rounded=True, is_billable=True,
             billable_rate=125_000_000, source="agent", approval_status="unsubmitted",
             metadata={"session": "claude-42", "tokens": 18234}),
        dict(id="te_4", user_id="usr_admin", project_id="prj_int", spent_date=date(2026, 2, 27),
             duration_seconds=1800, is_billable=False, source="cli", approval_status="submitted",
             unlocked_at=T0, unlocked_by_id="usr_admin", metadata={}),
    ]
    for entry in entries:
        row("time_entries", created_at=T0, updated_at=T0, **entry)
    expenses = [
        dict(id="exp_1", user_id="usr_bot", project_id="prj_web", category_id="cat_llm",
             spent_date=date(2026, 3, 2), units=1_234_567_000, unit_price=3_000,
             total_cost=3_703_701, is_billable=True, source="agent",
             approval_status="unsubmitted", metadata={"model": "claude"}),
        dict(id="exp_2", user_id="usr_mia", project_id="prj_web", category_id="cat_travel",
             spent_date=date(2026, 2, 28), total_cost=42_500_000, notes="Train to Leeds",
             receipt_path="2026/02/exp_2.pdf", receipt_name="ticket.pdf",
             receipt_content_type="application/pdf", receipt_size=48_213, is_billable=True,
             source="tui", approval_status="approved", metadata={}),
        dict(id="exp_3", user_id="usr_admin", project_id="prj_int", category_id="cat_travel",
             spent_date=date(2026, 3, 1), total_cost=0, is_billable=False, source="cli",
             approval_status="unsubmitted", metadata={}),
    ]
    # fmt: on
    for expense in expenses:
        row("expenses", created_at=T0, updated_at=T0, **expense)


def _snapshot(engine: Engine, columns_of: dict[str, list[str]]) -> dict[str, list[tuple]]:
    """Every row of the core tables, restricted to the columns 0001 made, in primary-key order."""
    with engine.connect() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn, only=CORE_TABLES)
        snapshot = {}
        for name in CORE_TABLES:
            table = reflected.tables[name]
            selected = [table.c[column] for column in columns_of[name]]
            rows = conn.execute(sa.select(*selected).order_by(*table.primary_key.columns))
            snapshot[name] = [tuple(r) for r in rows]
    return snapshot


def _columns_of(engine: Engine) -> dict[str, list[str]]:
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {name: [c["name"] for c in inspector.get_columns(name)] for name in CORE_TABLES}


@pytest.fixture
def populated_at_0001(empty_engine: Engine) -> Engine:
    """A database at revision 0001 holding a small, realistic workspace."""
    db.upgrade(empty_engine, "0001")
    with empty_engine.begin() as conn:
        _populate_core(conn)
    return empty_engine


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_upgrading_keeps_every_row(populated_at_0001: Engine) -> None:
    engine = populated_at_0001
    columns_0001 = _columns_of(engine)
    assert not any(c in columns_0001["time_entries"] for c in LINK_COLUMNS)
    before = _snapshot(engine, columns_0001)

    assert db.ensure_schema(engine) is True

    assert db.current_revision(engine) == db.HEAD_REVISION
    after = _snapshot(engine, columns_0001)
    assert {name: len(rows) for name, rows in after.items()} == {
        name: len(rows) for name, rows in before.items()
    }
    assert after == before
    with engine.connect() as conn:
        for name in ("time_entries", "expenses"):
            links = conn.execute(sa.text(f"SELECT submission_id, invoice_id FROM {name}")).all()
            assert links and all(link == (None, None) for link in links)
        assert schema_diff(conn, metadata) == []


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_upgraded_rows_read_back_through_the_models(populated_at_0001: Engine) -> None:
    db.ensure_schema(populated_at_0001)
    with db.transaction(populated_at_0001, readonly=True) as session:
        workspace = session.get(Workspace, "ws_1")
        assert workspace is not None and workspace.tax1_rate == Decimal("20")
        assert session.get(User, "usr_mia").manager_permissions == ["view_rates", "draft_invoices"]
        assert session.get(User, "usr_mia").default_rate == Decimal("95.5")
        assert session.get(Project, "prj_web").budget_hours == Decimal("120")
        assert session.get(Client, "cli_old").archived_at == T0

        running = session.get(TimeEntry, "te_2")
        assert running.is_running and running.timer_started_at == T0.replace(hour=14)
        overnight = session.get(TimeEntry, "te_3")
        assert overnight.duration_seconds == 7200 and overnight.hours == Decimal("2")
        assert overnight.meta == {"session": "claude-42", "tokens": 18234}
        assert overnight.billable_rate == Decimal("125")
        assert session.get(TimeEntry, "te_1").notes == "Homepage — café menu"
        assert session.get(TimeEntry, "te_4").unlocked_by_id == "usr_admin"

        llm = session.get(Expense, "exp_1")
        assert llm.units == Decimal("1234.567") and llm.unit_price == Decimal("0.003")
        assert llm.total_cost == Decimal("3.703701")
        assert (llm.submission_id, llm.invoice_id) == (None, None)
        assert session.get(Expense, "exp_2").receipt_size == 48_213


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_downgrading_to_0001_keeps_the_core_rows(populated_at_0001: Engine) -> None:
    engine = populated_at_0001
    columns_0001 = _columns_of(engine)
    before = _snapshot(engine, columns_0001)
    db.upgrade(engine)

    from alembic import command

    command.downgrade(db.alembic_config(engine), "0001")

    assert db.current_revision(engine) == "0001"
    assert _columns_of(engine) == columns_0001
    assert _snapshot(engine, columns_0001) == before


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_a_failed_upgrade_leaves_the_old_schema_and_rows(populated_at_0001: Engine) -> None:
    """All pending migrations run in one transaction, on SQLite as on PostgreSQL."""
    engine = populated_at_0001
    columns_0001 = _columns_of(engine)
    before = _snapshot(engine, columns_0001)
    with engine.begin() as conn:  # 0002 creates this table last, after altering nothing yet
        conn.execute(sa.text("CREATE TABLE audit_events (id INTEGER PRIMARY KEY)"))

    with pytest.raises(sa.exc.DatabaseError):
        db.ensure_schema(engine)

    assert db.current_revision(engine) == "0001"
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert tables == set(CORE_TABLES) | {"alembic_version", "audit_events"}
    assert _snapshot(engine, columns_0001) == before


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_a_failed_first_upgrade_leaves_nothing_behind(empty_engine: Engine) -> None:
    """0001 is not committed on its own when 0002 then fails."""
    with empty_engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE audit_events (id INTEGER PRIMARY KEY)"))

    with pytest.raises(sa.exc.DatabaseError):
        db.ensure_schema(empty_engine)

    assert db.current_revision(empty_engine) is None
    with empty_engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["audit_events"]


# --- 0008: the monthly rollup of time entries -------------------------------------------------

ROLLUP_COLUMNS = ("month, project_id, user_id, task_id, source, is_billable, invoiced, "
                  "billable_rate, cost_rate, entry_count, duration_seconds")


def _rollup(conn: Connection) -> list[tuple[Any, ...]]:
    rows = conn.execute(sa.text(f"SELECT {ROLLUP_COLUMNS} FROM time_entry_months")).all()
    return sorted((str(r[0])[:10], *r[1:5], bool(r[5]), bool(r[6]), *r[7:]) for r in rows)


def _entries_per_bucket(conn: Connection) -> list[tuple[Any, ...]]:
    """The rollup as it should be, summed in Python from the stored entries."""
    sums: dict[tuple[Any, ...], list[int]] = {}
    for day, project, user, task, source, billable, invoice, rate, cost, secs in conn.execute(
            sa.text("SELECT spent_date, project_id, user_id, task_id, source, is_billable, "
                    "invoice_id, billable_rate, cost_rate, duration_seconds FROM time_entries")):
        key = (str(day)[:8] + "01", project, user, task or "", source, bool(billable),
               invoice is not None, rate or 0, cost or 0)
        bucket = sums.setdefault(key, [0, 0])
        bucket[0] += 1
        bucket[1] += secs
    return sorted((*key, count, secs) for key, (count, secs) in sums.items())


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_0008_fills_the_rollup_from_the_entries_then_keeps_it(populated_at_0001: Engine) -> None:
    engine = populated_at_0001
    db.upgrade(engine, "0007")
    with engine.begin() as conn:
        reflected = sa.MetaData()
        reflected.reflect(conn, only=("time_entries", "invoices"))
        _insert(conn, reflected.tables["invoices"], id="inv_1", client_id="cli_acme",
                number="INV-1", state="sent", issue_date=date(2026, 4, 1),
                due_date=date(2026, 5, 1), currency="GBP", portal_token="token-1",
                created_at=T0, updated_at=T0)
        # Across month ends, without a task or rates, invoiced or not, two in one bucket.
        for n, (day, task, rate, invoice, secs) in enumerate([
                (date(2026, 3, 31), None, None, None, 600),
                (date(2026, 3, 31), None, None, None, 900),
                (date(2026, 4, 1), "tsk_dev", 125_000_000, "inv_1", 3600),
                (date(2026, 4, 30), "tsk_dev", 125_000_000, None, 0),
                (date(2025, 12, 31), "tsk_meet", 33_333_333, "inv_1", 7)]):
            _insert(conn, reflected.tables["time_entries"], id=f"te_x{n}", user_id="usr_mia",
                    project_id="prj_web", task_id=task, spent_date=day, duration_seconds=secs,
                    is_billable=True, billable_rate=rate, cost_rate=rate, invoice_id=invoice,
                    source="cli", approval_status="unsubmitted", metadata={},
                    created_at=T0, updated_at=T0)

    db.upgrade(engine)

    with engine.connect() as conn:
        filled = _rollup(conn)
        assert filled == _entries_per_bucket(conn)
        assert len(filled) == 8  # te_1..te_4, two in one bucket, four more
        assert ("2026-03-01", "prj_web", "usr_mia", "", "cli", True, False, 0, 0, 2,
                1500) in filled
    with engine.begin() as conn:  # the triggers took over from the backfill
        conn.execute(sa.text("UPDATE time_entries SET spent_date = :day, invoice_id = NULL "
                             "WHERE id = 'te_x2'"), {"day": date(2026, 5, 2)})
        conn.execute(sa.text("DELETE FROM time_entries WHERE id = 'te_x0'"))
    with engine.connect() as conn:
        assert _rollup(conn) == _entries_per_bucket(conn)

    from alembic import command

    command.downgrade(db.alembic_config(engine), "0007")
    with engine.begin() as conn:  # no trigger left behind writing to a dropped table
        assert "time_entry_months" not in sa.inspect(conn).get_table_names()
        conn.execute(sa.text("DELETE FROM time_entries WHERE id = 'te_x1'"))


# --- ensure_schema ----------------------------------------------------------------------------


def test_ensure_schema_on_a_current_database_does_nothing(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.strip().upper())

    def no_upgrade(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("ensure_schema migrated a current database")

    monkeypatch.setattr(db, "upgrade", no_upgrade)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert db.ensure_schema(engine) is False
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)

    writes = ("CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE")
    assert statements and not [s for s in statements if s.startswith(writes)]


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_ensure_schema_on_an_empty_database_builds_everything(empty_engine: Engine) -> None:
    assert db.current_revision(empty_engine) is None

    assert db.ensure_schema(empty_engine) is True

    assert db.current_revision(empty_engine) == db.HEAD_REVISION
    with empty_engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    assert db.ensure_schema(empty_engine) is False


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_a_database_from_a_newer_keito_is_refused(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))

    with pytest.raises(KeitoError) as raised:
        db.ensure_schema(empty_engine)

    assert raised.value.code == "config_error"
    assert "newer Keito" in raised.value.message
    assert db.current_revision(empty_engine) == "9999"


# --- the running-timer index ------------------------------------------------------------------


def _people_and_project(engine: Engine) -> None:
    with db.transaction(engine) as session:
        session.add_all(
            [
                User(id="usr_a", name="A", email="a@example.com"),
                User(id="usr_b", name="B", email="b@example.com"),
                Client(id="cli_1", name="Client", currency="USD"),
            ]
        )
        session.flush()
        session.add(Project(id="prj_1", client_id="cli_1", name="Project", handle="project"))


def _entry(id: str, user_id: str, *, running: bool) -> TimeEntry:
    return TimeEntry(
        id=id,
        user_id=user_id,
        project_id="prj_1",
        spent_date=date(2026, 3, 2),
        is_running=running,
        timer_started_at=T0 if running else None,
        duration_seconds=0 if running else 600,
    )


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_one_running_timer_per_user(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    _people_and_project(empty_engine)
    with db.transaction(empty_engine) as session:
        session.add_all(
            [
                _entry("te_1", "usr_a", running=True),
                _entry("te_2", "usr_a", running=False),
                _entry("te_3", "usr_a", running=False),
                _entry("te_4", "usr_b", running=True),
            ]
        )

    with pytest.raises(sa.exc.IntegrityError), db.transaction(empty_engine) as session:
        session.add(_entry("te_5", "usr_a", running=True))

    with empty_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM time_entries")).scalar() == 4


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_durations_cannot_be_negative(empty_engine: Engine) -> None:
    db.upgrade(empty_engine)
    _people_and_project(empty_engine)
    entry = _entry("te_1", "usr_a", running=False)
    entry.duration_seconds = -1
    with pytest.raises(sa.exc.IntegrityError), db.transaction(empty_engine) as session:
        session.add(entry)


# --- downgrades and SQLite specifics ----------------------------------------------------------


@pytest.mark.parametrize("empty_engine", BACKENDS, indirect=True)
def test_downgrade_to_base_then_upgrade_again(empty_engine: Engine) -> None:
    from alembic import command

    db.upgrade(empty_engine)
    command.downgrade(db.alembic_config(empty_engine), "base")

    with empty_engine.connect() as conn:
        assert sa.inspect(conn).get_table_names() == ["alembic_version"]
    assert db.current_revision(empty_engine) is None

    db.upgrade(empty_engine)
    assert db.current_revision(empty_engine) == db.HEAD_REVISION
    with empty_engine.connect() as conn:
        assert schema_diff(conn, metadata) == []


@pytest.mark.parametrize("empty_engine", ["sqlite"], indirect=True)
def test_sqlite_foreign_keys_are_back_on_after_migrating(empty_engine: Engine) -> None:
    """The migration turns them off on its connection; the pool must not hand that one out."""
    db.upgrade(empty_engine, "0001")
    db.upgrade(empty_engine)
    with empty_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    with pytest.raises(sa.exc.IntegrityError), db.transaction(empty_engine) as session:
        session.add(_entry("te_1", "usr_nobody", running=False))


def test_migrations_ship_as_a_package() -> None:
    """The wheel carries env.py, the template and every revision (pyproject package-data)."""
    root = db.migrations_dir()
    assert (root / "__init__.py").is_file()
    assert (root / "env.py").is_file() and (root / "script.py.mako").is_file()
    assert (root / "versions").is_dir()
