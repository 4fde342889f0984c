"""`keito sync status|settings|push|pull|retry`: what is synced, the mappings, and sending.

`push` sends what waits in the outbox (changes recorded as invoices and payments changed) and,
without `--invoice`, queues every issued invoice whose copy is missing, failed or out of date;
`--time` queues approved time entries (QuickBooks). `retry` puts failed records back in line.
`pull` records payments made in QuickBooks. Every command prints JSON with `--json` or when
piped; a push shows a progress bar on a terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

import typer

from keito_core.errors import KeitoError
from keito_tui.cli.state import cli_state


def _begin(action_name: str) -> tuple[Any, str]:
    """The CLI state and the acting user's ID once the policy allows `action_name`."""
    return cli_state(), _require(action_name)


def _require(action_name: str) -> str:
    """The acting user's ID once the policy allows `action_name`."""
    from keito_core.rules import permissions as policy

    state = cli_state()
    with state.acting(readonly=True) as (_, actor):
        policy.require(actor, policy.Action(action_name))
        return actor.user_id


#: The progress bar of the push under way, so that a wait shows in it (None: no bar).
_BAR: dict[str, Any] = {}


@contextmanager
def _progress(enabled: bool) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal: (done, total, label) callback."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress("{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=Console(file=sys.stderr),
                  transient=True) as bar:
        task = bar.add_task("Syncing", total=None)

        def step(done: int, total: int, label: str) -> None:
            _BAR["label"] = f"Sending {label}"
            bar.update(task, completed=done - 1, total=total, description=_BAR["label"])

        _BAR.update(bar=bar, task=task, label="Syncing")
        try:
            yield step
        finally:
            _BAR.clear()


def _waiting(reason: str, seconds: float) -> None:
    """Say why a push stands still (the vendor's rate limit) where people look."""
    if reason not in ("throttled", "limit") or seconds < 2:
        return
    text = f"waiting {seconds:.0f} s for the accounting system's rate limit"
    if _BAR:
        _BAR["bar"].update(_BAR["task"], description=f"{_BAR['label']} ({text})")
    elif sys.stderr.isatty():
        cli_state().output.stderr.write(text + "\n")


def _print_run(report: Mapping[str, Any], *, title: str) -> None:
    output = cli_state().output
    if output.json:
        output.record(report)
        return
    items = report["items"]
    rows = [{"item": item["label"], "result": item["result"],
             "detail": item["message"] or item["remote_id"] or ""} for item in items]
    if rows:
        output.listing(rows, columns=["item", "result", "detail"], title=title)
    counts = ", ".join(f"{report[key]} {key}" for key in
                       ("synced", "unchanged", "skipped", "waiting", "failed") if report[key])
    output.message(counts or "nothing to send")
    if report.get("stopped"):
        output.warn(str(report["stopped"]))


def _finish(report: Mapping[str, Any]) -> None:
    """Exit status: 1 when the grant is gone, 6 when something failed, else 0."""
    if report.get("stopped"):
        raise typer.Exit(1)
    if report["failed"]:
        raise typer.Exit(6)


def push(
    invoice: Annotated[list[str] | None, typer.Option(
        "--invoice", help="Push this invoice (number or ID); repeatable. Default: every issued "
        "invoice not synced, failed or changed.")] = None,
    time: Annotated[bool, typer.Option(
        "--time", help="Also push approved time entries (QuickBooks TimeActivity).")] = False,
    date_from: Annotated[str | None, typer.Option(
        "--from", help="With --time: entries from this day (YYYY-MM-DD).")] = None,
    date_to: Annotated[str | None, typer.Option(
        "--to", help="With --time: entries up to this day (YYYY-MM-DD).")] = None,
) -> None:
    """Send invoices, their contacts and payments (and approved time) to the accounting system."""
    from keito_core.platform.lookup import find_invoice
    from keito_core.rules.periods import parse_date
    from keito_core.sync.runner import open_sync

    state, actor_id = _begin("invoice.sync")
    only: set[str] | None = None
    ids: list[str] | None = None
    if invoice:
        with state.session(readonly=True) as session:
            ids = [find_invoice(session, ref).id for ref in invoice]
    with _progress(not state.output.json) as step, open_sync(
            state.runtime, actor_id=actor_id, progress=step, on_wait=_waiting) as run:
        run.engine.enqueue_invoices(ids)
        if ids is not None:
            only = set(ids) | _payment_ids(ids)
        if time:
            today = state.runtime.clock().date()
            entries = run.engine.enqueue_time_entries(
                date_from=parse_date(date_from, today=today, field="from") if date_from
                else None,
                date_to=parse_date(date_to, today=today, field="to") if date_to else None)
            if only is not None:
                only |= set(entries)
        report = run.engine.run(only=only).as_dict()
        if only is not None:
            # Payments queued by the invoices' first push follow in the same run (`only`
            # already names them).
            _merge(report, run.engine.run(only=only).as_dict())
    _print_run(report, title="Sync")
    _finish(report)


def _merge(report: dict[str, Any], more: Mapping[str, Any]) -> None:
    for key in ("synced", "unchanged", "skipped", "failed", "waiting"):
        report[key] += more[key]
    report["items"] += more["items"]
    report["stopped"] = report["stopped"] or more["stopped"]


def _payment_ids(invoice_ids: list[str]) -> set[str]:
    from keito_core.reports.sync_status import payment_ids_of

    with cli_state().session(readonly=True) as session:
        return set(payment_ids_of(session, invoice_ids))


def retry(
    record: Annotated[str | None, typer.Argument(
        help="Invoice number or ID (or an outbox row ID) to retry; default: every failure.")]
    = None,
) -> None:
    """Send again what failed (after fixing a mapping, or once the vendor is back)."""
    from keito_core.platform.lookup import find_invoice
    from keito_core.sync.runner import open_sync

    state, actor_id = _begin("invoice.sync")
    target = None
    if record:
        with state.session(readonly=True) as session:
            try:
                target = find_invoice(session, record).id
            except KeitoError:
                target = record.strip()
    with _progress(not state.output.json) as step, open_sync(
            state.runtime, actor_id=actor_id, progress=step, on_wait=_waiting) as run:
        revived = run.engine.retry(target)
        if target is not None and not revived:
            raise KeitoError("not_found", f"nothing failed for {record}",
                             hint="`keito sync status` lists what failed")
        report = run.engine.run().as_dict()
    _print_run(report, title="Retry")
    _finish(report)


def pull() -> None:
    """Record in Keito the payments made in QuickBooks since the last pull."""
    from keito_core.sync.pull import pull_payments
    from keito_core.sync.runner import open_sync

    state, actor_id = _begin("invoice.record_payment")
    with open_sync(state.runtime, actor_id=actor_id, on_wait=_waiting) as run:
        result = pull_payments(run.engine, actor_id=actor_id, now=state.runtime.clock())
    output = state.output
    if output.json:
        output.record(result)
        return
    rows = [{"payment": r["remote_id"], "amount": r["amount"], "paid_on": r["paid_on"],
             "result": r.get("action") or r.get("reason")}
            for r in [*result["recorded"], *result["skipped"]]]
    if rows:
        output.listing(rows, columns=["payment", "amount", "paid_on", "result"],
                       title="Payments from QuickBooks")
    output.message(f"{len(result['recorded'])} recorded, {len(result['skipped'])} skipped; "
                   f"next pull from {result['position']:%Y-%m-%d %H:%M} UTC")


def status() -> None:
    """The connection, what is synced, what waits, and what failed and why."""
    from keito_core.reports.sync_status import overview

    state, _ = _begin("invoice.sync")
    with state.session(readonly=True) as session:
        view = overview(session)
    output = state.output
    if output.json:
        output.record(view)
        return
    connection = view["connection"]
    if connection is None:
        output.message("No accounting system is connected: `keito sync connect xero` or "
                       "`keito sync connect quickbooks`.")
        return
    where = connection["tenant_name"] or connection["tenant_id"] or ""
    output.record({
        "provider": connection["provider"], "organisation": where,
        "connection": connection["status"].replace("_", " "),
        "last error": connection["last_error"],
        "waiting": view["waiting"],
        "last synced": view["last_synced_at"],
        **{f"{kind}s": ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(c.items()))
           for kind, c in sorted(view["counts"].items())},
    }, title="Accounting sync")
    if view["failed"]:
        output.listing([{"record": f"{f['type']} {f['invoice'] or f['id']}",
                         "error": f["error"]} for f in view["failed"]],
                       columns=["record", "error"], title="Failed")


def settings(
    assignments: Annotated[list[str] | None, typer.Option(
        "--set", help="KEY=VALUE or KEY.SUB=VALUE (e.g. revenue_account=200, "
        "tax_types.tax1=OUTPUT2, employees.sarah@acme.test=55); repeatable.")] = None,
    unset: Annotated[list[str] | None, typer.Option(
        "--unset", help="Remove a setting or one mapped key; repeatable.")] = None,
    auto_match: Annotated[bool, typer.Option(
        "--auto-match-employees", help="QuickBooks: map each person to the employee of the "
        "same name.")] = False,
    offline: Annotated[bool, typer.Option(
        "--offline", help="Show the stored settings without reading the accounting "
        "system's accounts, tax rates, items and employees.")] = False,
) -> None:
    """Read the accounting system's accounts, tax rates (items, employees) and map Keito's."""
    from keito_core.sync import settings as sync_settings
    from keito_core.sync.runner import connection_for_sync, open_sync

    state, actor_id = _begin("integrations.manage")
    connection = connection_for_sync(state.runtime)
    changing = bool(assignments or unset or auto_match)
    choices: dict[str, Any] = {}
    if not offline or changing:
        with open_sync(state.runtime, actor_id=actor_id, on_wait=_waiting) as run:
            choices = run.provider.choices()
    matched: list[str] = []
    current = dict(connection.settings or {})
    if changing:
        with state.acting() as (session, actor):
            new = sync_settings.apply_changes(
                session, connection.provider, current, assignments=assignments or (),
                unset=unset or (), choices=choices)
            if auto_match:
                new, matched = sync_settings.auto_match_employees(
                    session, new, choices.get("employees", []))
            sync_settings.save_settings(session, actor=actor, connection_id=connection.id,
                                        settings=new, now=state.runtime.clock())
            current = new
    docs = sync_settings.describe(connection.provider)
    data = {
        "provider": connection.provider.value,
        "settings": current,
        "documentation": docs,
        "choices": {key: [{"id": c.id, "name": c.name, "detail": c.detail} for c in items]
                    for key, items in choices.items()},
        "auto_matched": matched,
    }
    output = state.output
    if output.json:
        output.record(data)
        return
    from keito_core.sync.credentials import vendor_name

    output.listing([{"setting": key, "value": _text(current.get(key)), "meaning": docs[key]}
                    for key in docs], columns=["setting", "value", "meaning"],
                   title=f"{vendor_name(connection.provider)} settings")
    for key, items in choices.items():
        output.listing([{"id": c.id, "name": c.name, "detail": c.detail} for c in items],
                       columns=["id", "name", "detail"], title=key.replace("_", " ").title())
    if matched:
        output.message("Matched " + ", ".join(matched))
    elif changing:
        output.message("Settings saved")


def _text(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "—"
    return str(value).lower() if isinstance(value, bool) else str(value)


def push_after(invoice_id: str) -> None:
    """After a command changed an invoice (sent, issued, closed, paid ...): send at once what it
    queued for the accounting system, best effort. Whatever cannot go now stays in the outbox
    for `keito sync push`; a note on stderr says so. Nothing happens when nothing waits."""
    from keito_core.reports.sync_status import waiting_for
    from keito_core.rules import permissions as policy

    state = cli_state()
    with state.acting(readonly=True) as (session, actor):
        waiting = waiting_for(session, invoice_id)
        if not waiting or not policy.can(actor, policy.Action.INVOICE_SYNC):
            return
        actor_id = actor.user_id
    from keito_core.sync.credentials import vendor_name
    from keito_core.sync.runner import open_sync

    output = state.output
    try:
        with open_sync(state.runtime, actor_id=actor_id) as run:
            name = vendor_name(run.provider_name)
            report = run.engine.run(only=set(waiting)).as_dict()
            # A first push queues the invoice's payments: they follow in the same breath.
            with state.session(readonly=True) as session:
                more = set(waiting_for(session, invoice_id)) - set(waiting)
            if more:
                _merge(report, run.engine.run(only=more).as_dict())
    except KeitoError as exc:
        output.warn(f"not sent to accounting yet: {exc.message} (it waits for "
                    "`keito sync push`)")
        return
    for item in report["items"]:
        if item["result"] == "synced" and not output.json and not output.quiet:
            output.stderr.write(f"{item['label']}: sent to {name}\n")
        elif item["result"] in ("failed", "waiting"):
            output.warn(f"{item['label']} is not in {name} yet: {item['message']} "
                        "(`keito sync status`; `keito sync retry` sends it again)")
    if report.get("stopped"):
        output.warn(str(report["stopped"]))


def register(app: typer.Typer) -> None:
    """Add status, settings, push, pull and retry to the `keito sync` group."""
    app.command("status")(status)
    app.command("settings")(settings)
    app.command("push")(push)
    app.command("pull")(pull)
    app.command("retry")(retry)
