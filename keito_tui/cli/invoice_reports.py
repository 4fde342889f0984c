"""`keito invoice uninvoiced` and `aging`: what is ready to bill, and what clients owe by how
late it is. Totals are per currency: amounts in different currencies are never added."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_tui.cli.invoice_render import right
from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from datetime import date

    from keito_core.io.money_text import DocumentText

ClientOpt = Annotated[str | None, typer.Option("--client", help="Only this client.")]
#: Aging's buckets as table columns: days past due.
BUCKETS = (("current", "current"), ("1_30", "1-30"), ("31_60", "31-60"), ("61_90", "61-90"),
           ("over_90", "over 90"))
_UNINVOICED_SUMS = ("hours", "time_amount", "expense_amount", "fee", "amount")


def _period(state: Any, session: Any, date_from: str | None,
            date_to: str | None) -> tuple[date | None, date | None]:
    from keito_core.errors import validation
    from keito_core.platform.identity import get_workspace
    from keito_core.rules.periods import parse_date

    today = state.runtime.today(get_workspace(session).timezone)
    start = parse_date(date_from, today=today, field="from") if date_from else None
    end = parse_date(date_to, today=today, field="to") if date_to else None
    if start and end and end < start:
        raise validation(f"the period ends ({end}) before it starts ({start})", field="to")
    return start, end


def per_currency(rows: Iterable[Mapping[str, Any]], keys: Iterable[str]) -> dict[str, Any]:
    """`keys` summed per currency: {"GBP": {"hours": ..., ...}, "USD": {...}}."""
    names = list(keys)
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        into = totals.setdefault(row["currency"], {"currency": row["currency"],
                                                   **dict.fromkeys(names, Decimal(0))})
        for name in names:
            into[name] += row.get(name) or 0
    return dict(sorted(totals.items()))


def uninvoiced(
    client: ClientOpt = None,
    date_from: Annotated[str | None, typer.Option("--from", help="First day.")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Last day.")] = None,
) -> None:
    """What is ready to bill per client and project: billable, approved, uninvoiced hours,
    expenses and fixed fees, as an invoice by project would bill them now."""
    from keito_core import presenters
    from keito_core.reports.invoices import uninvoiced as ready
    from keito_tui.cli.invoice_render import separators

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        start, end = _period(state, session, date_from, date_to)
        views = [presenters.uninvoiced_line(u, viewer=actor)
                 for u in ready(session, actor=actor, client_ref=client, date_from=start,
                                date_to=end)]
        seps = separators(session)
    totals = per_currency(views, _UNINVOICED_SUMS)
    out = state.output
    if out.json or out.quiet:
        out.listing(views, columns=["id"], extra={"totals": totals})
        return
    if not views:
        out.stdout.write("Nothing is ready to bill.\n")
        return
    money = {"time_amount": "time", "expense_amount": "expenses", "fee": "fee",
             "amount": "amount"}
    for currency, total in totals.items():
        rows = [{"client": v["client"]["name"], "project": v["project"]["name"],
                 "hours": v.get("hours"), **{label: v.get(key) for key, label in money.items()}}
                for v in views if v["currency"] == currency]
        rows.append({"client": "Total", "project": "", "hours": total["hours"],
                     **{label: total[key] for key, label in money.items()}})
        columns = ["client", "project", "hours", *money.values()]
        if not total["fee"]:
            columns.remove("fee")
        _print_by_currency(out, rows, seps.text(currency), title=f"Ready to bill, {currency}",
                           columns=columns, amounts=["hours", *money.values()],
                           optional=["expenses", "time"])


def _print_by_currency(out: Any, rows: list[dict[str, Any]], fmt: DocumentText, *,
                       title: str, columns: list[str], amounts: list[str],
                       optional: list[str]) -> None:
    """One currency's table: amounts without the currency (the title names it), lined up on
    the decimal point; zeros blank except in the last row, the total."""
    for key in amounts:
        texts = []
        for n, row in enumerate(rows, start=1):
            value = row.get(key)
            if value is None or (not value and n < len(rows)):
                texts.append("")
                continue
            texts.append(fmt.quantity(value) if key == "hours" else fmt.amount(value))
        for row, text in zip(rows, right(texts, key, fmt.decimal_separator), strict=True):
            row[key] = text
    out.listing(rows, columns=columns, title=title, optional=optional, whole=amounts)


def aging(client: ClientOpt = None) -> None:
    """What clients owe on open invoices, per currency, by days past due (current, 1-30,
    31-60, 61-90, over 90), with totals per currency."""
    from keito_core import presenters
    from keito_core.reports.invoices import aging as aging_report
    from keito_tui.cli.invoice_render import separators

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        report = aging_report(session, actor=actor, now=state.runtime.clock(),
                              client_ref=client)
        seps = separators(session)
    views = [presenters.aging_line(line) for line in report.lines]
    totals = {currency: presenters.aging_line(line)
              for currency, line in sorted(report.totals.items())}
    out = state.output
    if out.json or out.quiet:
        out.listing(views, columns=["id"], extra={"totals": totals})
        return
    if not views:
        out.stdout.write("No open invoices: nothing is owed.\n")
        return
    labels = [label for _, label in BUCKETS]
    for currency, total in totals.items():
        rows = [{"client": v["client"]["name"] if v["client"] else "Total",
                 "invoices": v["invoices"], "outstanding": v["outstanding"],
                 **{label: v["buckets"][key] for key, label in BUCKETS}}
                for v in [*(v for v in views if v["currency"] == currency), total]]
        _print_by_currency(out, rows, seps.text(currency), title=f"Owed in {currency}, by "
                           "days past due", columns=["client", "invoices", "outstanding",
                                                     *labels],
                           amounts=["outstanding", *labels], optional=["invoices"])


def register(app: typer.Typer) -> None:
    """Add the reports to the `invoice` group."""
    app.command("uninvoiced")(uninvoiced)
    app.command("aging")(aging)
