"""The Settings view's accounting panel: the connection to Xero or QuickBooks, what waits, what
failed, and the words for a push's or a retry's outcome.

Plain values and functions: the Settings screen reads the panel in its worker
(`read_sync_panel`, over keito_core.reports.sync_status.overview) and runs a push or a retry in
another (`run_sync`, through keito_core.sync.runner.open_sync, as `keito sync push` and
`keito sync retry` do); this module words what they bring back.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from rich.text import Text

if TYPE_CHECKING:
    from sqlmodel import Session

    from keito_core.platform.runtime import Runtime
    from keito_core.rules.permissions import Actor

PROVIDER_NAMES = {"xero": "Xero", "quickbooks": "QuickBooks"}
NOT_CONNECTED = "not connected — run `keito sync connect xero|quickbooks`"


@dataclass(frozen=True)
class SyncPanel:
    """The accounting connection as the Settings view shows it."""

    #: xero or quickbooks; None when no accounting system is connected.
    provider: str | None = None
    organisation: str | None = None
    #: active or needs_reconnect
    status: str | None = None
    last_error: str | None = None
    #: Changes waiting in the outbox, and records whose last send failed (None: hidden from
    #: someone the policy does not let sync).
    waiting: int | None = None
    failed: int | None = None
    #: The last successful send, in the workspace's timezone.
    last_synced: datetime | None = None
    #: The policy lets the acting user push and retry (`invoice.sync`).
    may_sync: bool = False

    @property
    def connected(self) -> bool:
        return self.provider is not None

    @property
    def name(self) -> str:
        return PROVIDER_NAMES.get(self.provider or "", self.provider or "")


def read_sync_panel(session: Session, *, actor: Actor) -> SyncPanel:
    """The connection, its waiting and failed counts and the last sync, in one read."""
    from keito_core.platform.identity import get_workspace
    from keito_core.reports.sync_status import overview
    from keito_core.rules import permissions as policy

    may_sync = policy.can(actor, policy.Action.INVOICE_SYNC)
    view = overview(session)
    connection = view["connection"]
    if connection is None:
        return SyncPanel(may_sync=may_sync)
    organisation = connection["tenant_name"] or connection["tenant_id"]
    if not may_sync:
        return SyncPanel(connection["provider"], organisation, connection["status"])
    last = view["last_synced_at"]
    if last is not None:
        zone = ZoneInfo(get_workspace(session).timezone)
        last = (last if last.tzinfo else last.replace(tzinfo=UTC)).astimezone(zone)
    failed = sum(counts.get("failed", 0) for counts in view["counts"].values())
    return SyncPanel(connection["provider"], organisation, connection["status"],
                     connection["last_error"], int(view["waiting"]), int(failed), last,
                     may_sync=True)


def panel_text(panel: SyncPanel | None, status: Text | str | None = None) -> Text:
    """`Accounting: Xero · Org · connected`, then the counts, then `status` (a push's
    progress or outcome)."""
    text = Text()
    text.append("Accounting: ", style="bold")
    if panel is None:
        text.append("…", style="dim")
    elif not panel.connected:
        text.append(NOT_CONNECTED, style="dim")
    else:
        text.append(panel.name, style="bold")
        if panel.organisation:
            text.append(f" · {panel.organisation}")
        if panel.status == "needs_reconnect":
            text.append(" · needs connecting again", style="bold red")
            text.append(f": run `keito sync connect {panel.provider}`", style="red")
        else:
            text.append(" · connected", style="green")
        if panel.waiting is not None:
            text.append("\n")
            text.append(f"{panel.waiting} waiting", style="yellow" if panel.waiting else "")
            text.append(" · ")
            text.append(f"{panel.failed} failed", style="bold red" if panel.failed else "")
            text.append(" · last synced ")
            text.append(f"{panel.last_synced:%d %b %Y %H:%M}" if panel.last_synced
                        else "never")
    if status:
        text.append("\n")
        text.append_text(status if isinstance(status, Text) else Text(status))
    return text


def run_summary(report: Mapping[str, Any], *, provider: str, retried: int | None = None,
                ) -> tuple[str, str]:
    """A push's (or a retry's, with how many failures it put back in line) outcome in a
    sentence, and its severity: counts, why it stopped, the first failure and its reason."""
    name = PROVIDER_NAMES.get(provider, provider)
    counts = ", ".join(f"{report[key]} {key}" for key in
                       ("synced", "unchanged", "skipped", "waiting", "failed") if report[key])
    if retried is not None:
        head = (f"Retried {retried} failure{'s' if retried != 1 else ''} in {name}"
                if retried else f"Nothing had failed in {name}")
    else:
        head = f"Pushed to {name}"
    text = f"{head}: {counts}" if counts else (
        f"{head}: nothing to send" if retried is None or retried else head)
    first = next((item for item in report["items"] if item["result"] == "failed"), None)
    if first is not None:
        text += f". First failure: {first['label']}: {first['message'] or 'no reason given'}"
    if report.get("stopped"):
        text += f". Stopped: {report['stopped']}"
    severity = "error" if report.get("stopped") or report["failed"] else "information"
    return text, severity


def run_sync(runtime: Runtime, *, retry: bool,
             progress: Callable[[int, int, str], None] | None = None,
             on_wait: Callable[[str, float], None] | None = None,
             ) -> tuple[str, dict[str, Any], int | None]:
    """Push every issued invoice not synced, failed or changed (or, with `retry`, put the
    failures back in line first), then send what waits: (provider, report, failures put back
    or None). Raises KeitoError as the command line's push does (no connection, the grant
    gone, the policy refusing)."""
    from keito_core.rules import permissions as policy
    from keito_core.sync import runner

    with runtime.session(readonly=True) as session:
        actor = runtime.actor(session)
        policy.require(actor, policy.Action.INVOICE_SYNC)
    with runner.open_sync(runtime, actor_id=actor.user_id, progress=progress,
                          on_wait=on_wait) as run:
        retried = None
        if retry:
            retried = run.engine.retry(None)
        else:
            run.engine.enqueue_invoices(None)
        report = run.engine.run().as_dict()
        kind = getattr(run, "provider_name", None)
        provider = str(getattr(kind, "value", kind) or "")
    return provider, report, retried
