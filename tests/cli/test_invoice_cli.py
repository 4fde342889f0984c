"""`keito invoice` end to end: a month of a client's approved work becomes an invoice, is
edited, explained, written as PDF and HTML, issued and paid in two parts; aging and
uninvoiced agree with it; bad input is refused with its code and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from keito_core.enums import Role
from keito_core.models import Invoice, InvoiceLine, Payment, TimeEntry
from keito_core.platform import runtime
from keito_core.platform.identity import get_workspace
from keito_core.services.approvals.workflow import approve_submissions, submit_timesheet
from keito_core.services.directory import clients, keys, project_team, projects, users
from keito_core.services.tracking.expenses import log_expense
from keito_core.services.tracking.time_entries import log_time
from keito_core.services.workspace.setup import set_setting

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
NOVEMBER = ("--from", "2026-11-01", "--to", "2026-11-30")


@pytest.fixture
def clock(monkeypatch):
    """Every runtime the command line makes reads NOW."""
    real = runtime.make_runtime

    def make(env=None, *, clock=None):  # noqa: ANN001, ANN202 - the same signature
        return real(env, clock=clock or (lambda: NOW))

    monkeypatch.setattr(runtime, "make_runtime", make)


@pytest.fixture
def firm(workspace, clock):  # noqa: ANN001, ANN201 - the conftest Workspace
    """Globex (USD) with project GLX-WEB at 150/h: Mia's approved November (10.75 h and
    45.5k LLM tokens at 0.003), an unapproved October entry; Initech with nothing to bill;
    Mia has an API key."""
    with workspace.session() as s:
        admin = workspace.actor(s)
        set_setting(s, actor=admin, key="features.approvals", value="true", now=NOW)
        clients.create_client(s, actor=admin, name="Globex", currency="USD", now=NOW)
        clients.create_client(s, actor=admin, name="Initech", currency="USD", now=NOW)
        projects.create_project(s, actor=admin, name="Globex Web", client_ref="Globex",
                                code="GLX-WEB", bill_by="project", rate="150", now=NOW)
        projects.create_project(s, actor=admin, name="Initech Site", client_ref="Initech",
                                code="INI", bill_by="project", rate="100", now=NOW)
        mia = users.create_user(s, actor=admin, name="Mia Member", email="mia@acme.test",
                                role=Role.MEMBER, now=NOW)
        project_team.assign_member(s, actor=admin, project_ref="GLX-WEB", user_ref=mia.id,
                                   now=NOW)
        env = {"KEITO_API_KEY": keys.create_key(s, actor=admin, user_ref=mia.id, name="mia",
                                                now=NOW)[1]}
        me = workspace.actor(s, mia.id)
        for day, hours in (("2026-11-03", "5"), ("2026-11-04", "3.5"), ("2026-11-10", "2:15"),
                           ("2026-10-28", "4")):
            log_time(s, actor=me, project_ref="GLX-WEB", duration=hours, spent_date=day,
                     notes=f"Work on {day}", source="cli", now=NOW)
        log_expense(s, actor=me, project_ref="GLX-WEB", category_ref="LLM Usage",
                    quantity="45.5", unit_price="0.003", spent_date="2026-11-10",
                    source="cli", now=NOW)
        submitted = [submit_timesheet(s, actor=me, date_from=first, date_to=last,
                                      now=NOW).submission.id
                     for first, last in (("2026-11-02", "2026-11-08"),
                                         ("2026-11-09", "2026-11-15"))]
        approve_submissions(s, actor=admin, submission_ids=submitted, now=NOW)
    return SimpleNamespace(member=env)


def ok(cli, *args: str, env: dict[str, str] | None = None) -> dict:  # noqa: ANN001
    result = cli(*args, env=env)
    assert result.exit_code == 0, (args, result)
    return result.json


def refused(cli, code: str, exit_code: int, *args: str, env=None) -> dict:  # noqa: ANN001
    result = cli(*args, env=env)
    assert (result.exit_code, result.error["code"]) == (exit_code, code), (args, result)
    assert result.stdout == ""
    return result.error


def _rows(workspace, model) -> int:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        return s.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()


def _next_number(workspace) -> int:  # noqa: ANN001
    with workspace.session(readonly=True) as s:
        return get_workspace(s).invoice_next_number


def _money(value: float | int) -> Decimal:
    return Decimal(str(value))


def test_a_month_of_approved_work_is_invoiced_edited_written_issued_and_paid(
        cli, workspace, firm, tmp_path):  # noqa: ANN001
    ready = ok(cli, "invoice", "uninvoiced", "--client", "Globex", *NOVEMBER)
    [web] = ready["data"]
    assert (web["project"]["name"], _money(web["hours"]), _money(web["amount"])) == (
        "Globex Web", Decimal("10.75"), Decimal("1612.64"))
    assert _money(ready["totals"]["USD"]["amount"]) == Decimal("1612.64")

    created = ok(cli, "invoice", "create", "--client", "Globex", *NOVEMBER,
                 "--subject", "November", "--po", "PO-7", "--tax", "20", "--tax-label", "VAT")
    number = created["number"]
    assert (created["state"], created["currency"], created["subject"],
            created["purchase_order"]) == ("draft", "USD", "November", "PO-7")
    assert [(x["kind"], _money(x["quantity"]), _money(x["amount"]), x["taxed"])
            for x in created["line_items"]] == [
        ("service", Decimal("10.75"), Decimal("1612.50"), True),
        ("expense", Decimal("45.5"), Decimal("0.14"), True)]
    assert _money(created["subtotal"]) == _money(web["amount"])
    assert ok(cli, "invoice", "uninvoiced", "--client", "Globex", *NOVEMBER)["data"] == []

    edited = ok(cli, "invoice", "edit", number, "--discount", "10", "--terms", "net_15",
                "--notes", "Thanks")
    assert (_money(edited["discount_amount"]), _money(edited["tax_amount"]),
            _money(edited["amount"]), edited["due_date"], edited["payment_term"]) == (
        Decimal("161.26"), Decimal("290.28"), Decimal("1741.66"), "2026-12-17", "net_15")

    added = ok(cli, "invoice", "line", "add", number, "--description", "Hosting",
               "--kind", "product", "--quantity", "2", "--unit-price", "25", "--position", "1")
    assert (added["line"]["position"], _money(added["line"]["amount"])) == (1, Decimal("50"))
    changed = ok(cli, "invoice", "line", "edit", number, "1", "--quantity", "3", "--no-taxed")
    assert (_money(changed["line"]["amount"]), changed["line"]["taxed"]) == (Decimal("75"), False)
    moved = ok(cli, "invoice", "line", "move", number, "1", "--to", "3")
    assert [x["description"] for x in moved["line_items"]][2] == "Hosting"
    removed = ok(cli, "invoice", "line", "remove", number, "3")
    assert (removed["removed_line"]["description"], removed["released"]) == ("Hosting", 0)
    assert _money(removed["amount"]) == Decimal("1741.66")

    explained = ok(cli, "invoice", "explain", number)
    assert explained["steps"][0].startswith("line 1 hours: 38,700 s / 3600")
    assert explained["steps"][-2].endswith("= 1741.66 USD")

    pdf = ok(cli, "invoice", "pdf", number, "-o", str(tmp_path / "out.pdf"))
    html = ok(cli, "invoice", "html", number, "-o", str(tmp_path))
    assert (tmp_path / "out.pdf").read_bytes().startswith(b"%PDF")
    page = tmp_path / f"{number}.html"
    assert html["path"] == str(page) and pdf["bytes"] == (tmp_path / "out.pdf").stat().st_size
    assert page.read_text(encoding="utf-8").lower().startswith("<!doctype html>")
    assert "1,741.66" in page.read_text(encoding="utf-8")

    issued = ok(cli, "invoice", "issue", number)
    assert (issued["state"], issued["messages"][-1]["event_type"]) == ("open", "mark_sent")
    aging = ok(cli, "invoice", "aging")
    assert [(a["client"]["name"], _money(a["outstanding"])) for a in aging["data"]] == [
        ("Globex", Decimal("1741.66"))]
    assert _money(aging["totals"]["USD"]["buckets"]["current"]) == Decimal("1741.66")

    first = ok(cli, "invoice", "pay", number, "--amount", "1000", "--date", "2026-12-01",
               "--notes", "Part 1", "--transaction-id", "T-1")
    assert (_money(first["balance"]), first["invoice"]["state"]) == (Decimal("741.66"), "open")
    second = ok(cli, "invoice", "pay", number, "--amount", "741.66")
    assert (_money(second["balance"]), second["invoice"]["state"]) == (Decimal(0), "paid")
    history = ok(cli, "invoice", "payments", number)
    assert [(p["notes"], _money(p["balance"])) for p in history["data"]] == [
        ("Part 1", Decimal("741.66")), (None, Decimal(0))]
    assert ok(cli, "invoice", "aging")["data"] == []
    listed = ok(cli, "invoice", "list", "--state", "paid")
    assert [(r["number"], _money(r["due_amount"])) for r in listed["data"]] == [(number, 0)]
    assert ok(cli, "invoice", "show", number)["state"] == "paid"


def test_the_default_file_is_the_number_in_the_current_directory_and_never_overwritten(
        cli, workspace, firm, tmp_path, monkeypatch):  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    number = ok(cli, "invoice", "create", "--client", "Globex", *NOVEMBER)["number"]
    written = ok(cli, "invoice", "pdf", number)
    assert written["path"] == str(tmp_path / f"{number}.pdf")
    before = (tmp_path / f"{number}.pdf").read_bytes()
    error = refused(cli, "conflict", 3, "invoice", "pdf", number)
    assert "--force" in error["hint"]
    ok(cli, "invoice", "edit", number, "--subject", "Changed")
    ok(cli, "invoice", "pdf", number, "--force")
    assert (tmp_path / f"{number}.pdf").read_bytes() != before
    quiet = cli("invoice", "html", number, "-q")
    assert (quiet.exit_code, quiet.stdout) == (0, f"{tmp_path / number}.html\n")


def test_bad_input_gets_its_code_and_changes_nothing(cli, workspace, firm):  # noqa: ANN001
    number_before = _next_number(workspace)
    refused(cli, "validation_error", 2, "invoice", "create", "--client", "Initech", *NOVEMBER)
    refused(cli, "validation_error", 2, "invoice", "create", "--client", "Globex",
            "--from", "2026-11-30", "--to", "2026-11-01")
    assert (_rows(workspace, Invoice), _next_number(workspace)) == (0, number_before)

    invoice = ok(cli, "invoice", "create", "--client", "Globex", *NOVEMBER)
    number = invoice["number"]
    error = refused(cli, "validation_error", 2, "invoice", "line", "add", number,
                    "--description", "Refund", "--quantity", "-1", "--unit-price", "10")
    assert error["field"] == "quantity"
    error = refused(cli, "validation_error", 2, "invoice", "edit", number, "--discount", "101")
    assert error["field"] == "discount"
    refused(cli, "not_found", 4, "invoice", "line", "remove", number, "9")
    assert ok(cli, "invoice", "show", number) == {**invoice, "messages": []}

    ok(cli, "invoice", "issue", number)
    refused(cli, "validation_error", 2, "invoice", "pay", number, "--amount", "1612.65")
    assert _rows(workspace, Payment) == 0
    ok(cli, "invoice", "pay", number, "--amount", "1612.64")
    paid = ok(cli, "invoice", "show", number)
    refused(cli, "locked", 3, "invoice", "edit", number, "--subject", "Too late")
    refused(cli, "locked", 3, "invoice", "line", "edit", number, "1", "--quantity", "1")
    assert ok(cli, "invoice", "show", number) == paid

    for args in (("show", "INV-1999-9999"), ("pay", "nope", "--amount", "1"),
                 ("payments", "INV-1999-9999"), ("unpay", number, "7")):
        refused(cli, "not_found", 4, "invoice", *args)
    assert ok(cli, "invoice", "show", number) == paid


def test_a_member_is_refused_and_nothing_is_billed(cli, workspace, firm):  # noqa: ANN001
    for args in (("list",), ("aging",), ("uninvoiced",),
                 ("create", "--client", "Globex", *NOVEMBER),
                 ("new", "--client", "Globex")):
        refused(cli, "authorization_error", 1, "invoice", *args, env=firm.member)
    assert _rows(workspace, Invoice) == 0
    with workspace.session(readonly=True) as s:
        billed = s.execute(sa.select(sa.func.count()).select_from(TimeEntry)
                           .where(TimeEntry.invoice_id.is_not(None))).scalar_one()
    assert billed == 0


def test_free_form_invoice_lines_by_number_and_deleting_a_draft(cli, workspace, firm):  # noqa: ANN001
    new = ok(cli, "invoice", "new", "--client", "Initech", "--terms", "custom", "--days", "10",
             "--subject", "Workshop")
    number = new["number"]
    assert (new["line_items"], new["payment_term"], new["due_date"]) == (
        [], "custom", "2026-12-12")
    refused(cli, "validation_error", 2, "invoice", "issue", number)
    line_id = cli("invoice", "line", "add", number, "--description", "Workshop day",
                  "--unit-price", "1200", "-q").stdout.strip()
    assert line_id.startswith("il_")
    ok(cli, "invoice", "line", "add", number, "--description", "Travel", "--kind", "expense",
       "--unit-price", "80.5")
    shown = ok(cli, "invoice", "show", number)
    assert [(x["id"] == line_id, x["kind"]) for x in shown["line_items"]] == [
        (True, "service"), (False, "expense")]
    assert _money(shown["amount"]) == Decimal("1280.50")
    deleted = ok(cli, "invoice", "delete", number, "--yes")
    assert deleted == {"id": new["id"], "number": number, "deleted": True}
    assert (_rows(workspace, Invoice), _rows(workspace, InvoiceLine)) == (0, 0)
    refused(cli, "not_found", 4, "invoice", "show", number)
    following = ok(cli, "invoice", "new", "--client", "Initech")["number"]
    assert following != number


def test_close_reopen_unpay_and_the_warnings(cli, workspace, firm):  # noqa: ANN001
    number = ok(cli, "invoice", "create", "--client", "Globex", *NOVEMBER)["number"]
    late_tax = ok(cli, "invoice", "edit", number, "--tax", "8", "--tax-label", "Sales tax")
    assert "warnings" not in late_tax  # a tax turned on taxes every line
    assert [line["taxed"] for line in late_tax["line_items"]] == [True] * len(
        late_tax["line_items"])
    for position in range(1, len(late_tax["line_items"]) + 1):
        ok(cli, "invoice", "line", "edit", number, str(position), "--no-taxed")
    untaxed = cli("invoice", "edit", number, "--tax-label", "State tax")
    assert untaxed.json["warnings"] == [
        f"State tax is 8% but no line is taxed: `keito invoice line edit {number} LINE "
        "--taxed` taxes a line"]
    assert "warning: State tax is 8%" in untaxed.stderr
    for position in range(1, len(late_tax["line_items"]) + 1):
        assert "warnings" not in ok(cli, "invoice", "line", "edit", number, str(position),
                                    "--taxed")
    ok(cli, "invoice", "issue", number)
    result = cli("invoice", "edit", number, "--po", "PO-9")
    assert result.exit_code == 0 and "already sent" in result.json["warnings"][0]
    assert "warning: invoice" in result.stderr
    assert _money(result.json["amount"]) == Decimal("1741.65")  # 8% of 1,612.64 is 129.01
    ok(cli, "invoice", "pay", number, "--amount", "1741.65")
    assert ok(cli, "invoice", "close", number)["state"] == "closed"
    refused(cli, "conflict", 3, "invoice", "unpay", number, "1")
    assert ok(cli, "invoice", "reopen", number)["state"] == "paid"
    undone = ok(cli, "invoice", "unpay", number, "1")
    assert (undone["deleted"], undone["invoice"]["state"]) == (True, "open")
    assert _money(undone["invoice"]["due_amount"]) == Decimal("1741.65")


def test_tables_at_80_columns_keep_numbers_and_amounts_whole(terminal, workspace, firm):  # noqa: ANN001
    with workspace.session() as s:
        ws = get_workspace(s)
        ws.decimal_separator, ws.thousands_separator = ",", "."
    created = terminal("invoice", "create", "--client", "Globex", *NOVEMBER, "--json").json
    number = created["number"]
    terminal("invoice", "line", "add", number, "--description",
             "A long description of the consulting work done for the client in November "
             "that wraps over lines", "--unit-price", "1234.5")
    terminal("invoice", "issue", number)
    terminal("invoice", "pay", number, "--amount", "100")
    outputs = {args: terminal("invoice", *args) for args in (
        ("show", number), ("list",), ("aging",), ("uninvoiced",), ("payments", number),
        ("explain", number))}
    for args, result in outputs.items():
        assert result.exit_code == 0, (args, result)
        assert all(len(line) <= 80 for line in result.stdout.splitlines()), (args, result.stdout)
    show = outputs[("show", number)].stdout
    assert number in show and "$1.234,50" not in show  # amounts in the table have no symbol
    for text in ("1.234,50", "1.612,50", "$2.847,14", "$2.747,14", "open"):
        assert text in show, text
    listing = outputs[("list",)].stdout
    assert number in listing and "$2.747,14" in listing
    assert "$2.747,14" not in outputs[("aging",)].stdout and "2.747,14" in outputs[
        ("aging",)].stdout
    assert "Nothing is ready to bill" in outputs[("uninvoiced",)].stdout


def test_whole_columns_are_never_cut_on_a_narrow_terminal(monkeypatch):  # noqa: ANN001
    import io

    from keito_tui.cli.output import Output

    monkeypatch.setenv("COLUMNS", "40")
    rows = [{"description": "Consulting on the new website design", "price": "1,234,567.89",
             "owed": "9,876,543.21"}]

    def table(**kwargs: object) -> str:
        out = Output(stdout=io.StringIO())
        out.listing(rows, columns=["description", "price", "owed"], **kwargs)
        return out.stdout.getvalue()

    assert "1,234,567.89" not in table() and "9,876,543.21" not in table()
    whole = table(whole=["price", "owed"])
    assert "1,234,567.89" in whole and "9,876,543.21" in whole
