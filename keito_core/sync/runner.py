"""Building a sync run for the active connection: HTTP client, tokens, provider, engine.

Everything a command or the app needs to push, pull or read the remote choices comes from
`open_sync(runtime, actor_id=...)`; tests pass a `transport` (the in-process fake vendors) and
an injected clock and sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_core.models import SyncConnection
from keito_core.sync.engine import Engine
from keito_core.sync.http import QUICKBOOKS_LIMITS, XERO_LIMITS, SyncHttp

if TYPE_CHECKING:
    import httpx

    from keito_core.platform.runtime import Runtime
    from keito_core.sync.provider import Provider

#: Seconds an HTTP call may take before it counts as a timeout (then retried).
TIMEOUT = 30.0


@dataclass
class SyncRun:
    connection_id: str
    provider_name: SyncProvider
    tenant_name: str | None
    http: SyncHttp
    provider: Provider
    engine: Engine


def connection_for_sync(runtime: Runtime) -> SyncConnection:
    """The active connection in working order (detached), refused with what to do when there
    is none or it needs connecting again."""
    from keito_core.sync.connection import require_active_connection

    with runtime.session(readonly=True) as session:
        connection = require_active_connection(session)
        session.expunge(connection)
    return connection


def _pdf_renderer(runtime: Runtime, actor_id: str | None,
                  clock: Callable[[], datetime]) -> Callable[[str], tuple[str, bytes]]:
    def render(invoice_id: str) -> tuple[str, bytes]:
        from keito_core.io.invoice_pdf import render_pdf
        from keito_core.models import User
        from keito_core.platform.identity import actor_for
        from keito_core.reports.invoices import invoice_document
        from keito_core.services.billing.sending import file_stem

        with runtime.session(readonly=True) as session:
            user = session.get(User, actor_id) if actor_id else None
            if user is None:
                raise KeitoError("config_error", "no user to render the invoice PDF as")
            doc = invoice_document(session, actor=actor_for(session, user), ref=invoice_id,
                                   now=clock())
        return f"{file_stem(doc.number)}.pdf", render_pdf(doc)

    return render


@contextmanager
def open_sync(
    runtime: Runtime,
    *,
    actor_id: str | None,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] | None = None,
    transport: httpx.BaseTransport | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    on_wait: Callable[[str, float], None] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[SyncRun]:
    """A ready sync run for the active connection; its HTTP client closes on exit."""
    import httpx

    from keito_core.sync.connection import grant_lost_handler
    from keito_core.sync.endpoints import endpoints
    from keito_core.sync.tokens import token_source

    clock = clock or runtime.clock
    connection = connection_for_sync(runtime)
    kind = SyncProvider(connection.provider)
    urls = endpoints(kind, env)
    from keito_core.sync.oauth import new_http_client

    client = (new_http_client() if transport is None
              else httpx.Client(transport=transport, timeout=TIMEOUT))
    try:
        tokens = token_source(
            connection.id, kind, config_dir=runtime.settings.config_dir, client=client,
            clock=clock, env=env,
            on_grant_lost=grant_lost_handler(runtime.session, connection.id, clock=clock))
        settings: dict[str, Any] = dict(connection.settings or {})
        provider: Provider
        if kind is SyncProvider.XERO:
            from keito_core.sync.xero import XeroProvider
            from keito_core.sync.xero_payloads import describe_error

            http = SyncHttp(client=client, tokens=tokens, limits=XERO_LIMITS, clock=clock,
                            sleep=sleep or time.sleep, describe_error=describe_error,
                            on_wait=on_wait)
            provider = XeroProvider(http, api_url=urls.api, tenant_id=connection.tenant_id or "",
                                    settings=settings)
        else:
            from keito_core.sync.quickbooks import QuickBooksProvider
            from keito_core.sync.quickbooks_payloads import describe_fault

            http = SyncHttp(client=client, tokens=tokens, limits=QUICKBOOKS_LIMITS,
                            clock=clock, sleep=sleep or time.sleep,
                            describe_error=describe_fault, on_wait=on_wait)
            provider = QuickBooksProvider(http, api_url=urls.api,
                                          realm_id=connection.tenant_id or "",
                                          settings=settings)
        engine = Engine(runtime, connection_id=connection.id, provider=provider, clock=clock,
                        actor_id=actor_id,
                        pdf=_pdf_renderer(runtime, actor_id, clock)
                        if kind is SyncProvider.XERO else None,
                        progress=progress)
        yield SyncRun(connection_id=connection.id, provider_name=kind,
                      tenant_name=connection.tenant_name, http=http, provider=provider,
                      engine=engine)
    finally:
        client.close()
