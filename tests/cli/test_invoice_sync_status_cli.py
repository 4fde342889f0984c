"""`keito invoice list` and `keito invoice show` say where each invoice stands with the connected
accounting system (synced, waiting in the outbox, failed and why, not synced), read for the
whole page at once; with no accounting system connected they say nothing about syncing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sync_world import REASON, connect_xero, issue_globex

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def issued(workspace):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Four issued invoices for Globex, oldest first: numbers and IDs."""
    return issue_globex(workspace, now=NOW)


def by_number(listing: dict) -> dict[str, dict]:
    return {row["number"]: row for row in listing["data"]}


def test_without_a_connection_invoices_carry_no_sync_status(cli, workspace, issued):  # noqa: ANN001
    rows = by_number(cli("invoice", "list").json)
    assert len(rows) == 4 and all(row["sync"] is None for row in rows.values())
    assert cli("invoice", "show", issued[0].number).json["sync"] is None


def test_without_a_connection_the_tables_have_no_sync_column_or_line(
        terminal, workspace, issued, monkeypatch):  # noqa: ANN001
    monkeypatch.setenv("COLUMNS", "160")
    table = terminal("invoice", "list").stdout
    assert "sync" not in table.lower() and "INV-" in table
    assert "sync" not in terminal("invoice", "show", issued[0].number).stdout.lower()


def test_the_list_says_synced_pending_failed_and_not_synced(cli, workspace, issued):  # noqa: ANN001
    connect_xero(workspace, issued, now=NOW)
    rows = by_number(cli("invoice", "list").json)
    synced, waiting, failed, never = (rows[i.number]["sync"] for i in issued)
    assert synced == {"provider": "xero", "status": "success", "error": None,
                      "remote_id": "X-1", "synced_at": "2026-12-01T17:45:00Z"}
    assert (waiting["status"], waiting["error"]) == ("pending", None)
    assert (failed["status"], failed["error"], failed["remote_id"]) == ("failed", REASON, None)
    assert (never["provider"], never["status"], never["synced_at"]) == ("xero", "not_synced",
                                                                        None)


def test_show_says_it_with_the_failure_reason(terminal, workspace, issued):  # noqa: ANN001
    connect_xero(workspace, issued, now=NOW)
    shown = terminal("--json", "invoice", "show", issued[2].number).json
    assert shown["sync"]["status"] == "failed" and shown["sync"]["error"] == REASON
    assert terminal("--json", "invoice", "show",
                    issued[0].number).json["sync"]["remote_id"] == "X-1"
    texts = {i.number: " ".join(terminal("invoice", "show", i.number).stdout.split())
             for i in issued}
    assert "sync synced to Xero 2026-12-01 17:45 UTC (remote ID X-1)" in texts[issued[0].number]
    assert "sync waiting to be sent to Xero" in texts[issued[1].number]
    assert (f"sync failed in Xero: {REASON} (`keito sync retry {issued[2].number}` sends it "
            "again)") in texts[issued[2].number]
    assert "sync not synced to Xero" in texts[issued[3].number]


def test_the_table_has_a_sync_column_when_wide_and_drops_it_first_when_narrow(
        terminal, workspace, issued, monkeypatch):  # noqa: ANN001
    connect_xero(workspace, issued, now=NOW)
    monkeypatch.setenv("COLUMNS", "160")
    wide = terminal("invoice", "list").stdout
    assert "sync" in wide.lower()
    cells = {line.split("│")[1].strip(): line.split("│")[-2].strip()
             for line in wide.splitlines() if "INV-" in line}
    assert [cells[i.number] for i in issued] == ["synced", "pending", "failed", "—"]
    monkeypatch.setenv("COLUMNS", "60")
    narrow = terminal("invoice", "list").stdout
    assert "sync" not in narrow.lower() and "pending" not in narrow
    assert "INV-" in narrow and "due amount" in narrow  # the other columns stay


def test_the_page_reads_its_statuses_in_a_few_queries_not_one_per_row(
        cli, workspace, issued):  # noqa: ANN001
    """Two invoices or four: the same number of statements (no query per row)."""
    connect_xero(workspace, issued, now=NOW)
    counts = []
    for limit in ("2", "4"):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # noqa: ANN001, ANN202
            _seen.append(statement)

        event.listen(sa.engine.Engine, "before_cursor_execute", count)
        try:
            assert len(cli("invoice", "list", "--limit", limit).json["data"]) == int(limit)
        finally:
            event.remove(sa.engine.Engine, "before_cursor_execute", count)
        counts.append(len([s for s in statements if "sync_" in s]))
    assert 0 < counts[0] == counts[1] <= 3
