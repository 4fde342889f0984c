"""`keito sync connect|disconnect|credentials`: connect Keito to Xero or QuickBooks Online.

Administrators only. The app's credentials (registered at Xero or Intuit, docs/accounting.md)
come from KEITO_XERO_CLIENT_ID, KEITO_QUICKBOOKS_CLIENT_ID and KEITO_QUICKBOOKS_CLIENT_SECRET,
or from what `keito sync credentials` stored in the OS keyring (a 0600 file where there is
none). The connect prints the vendor's authorization URL (on stderr: stdout stays data), opens
a browser when there is one and receives the redirect on 127.0.0.1; where that cannot work
(QuickBooks production, no browser here, --paste) it asks for the address the browser ends on.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from keito_core.enums import SyncProvider
from keito_core.errors import KeitoError
from keito_tui.cli.state import cli_state

if TYPE_CHECKING:
    from keito_core.sync.oauth import AuthorizationRequest, Tenant


#: Where Intuit sends a production app's redirect when no listener can take it: Intuit's OAuth
#: Playground page (register it with the app), or KEITO_QUICKBOOKS_REDIRECT_URI.
QUICKBOOKS_PASTE_REDIRECT_URI = "https://developer.intuit.com/v2/OAuth2Playground/RedirectUrl"


def _say(text: str) -> None:
    """Instructions for the person at the terminal: stderr, so stdout stays data."""
    cli_state().output.stderr.write(text + "\n")
    cli_state().output.stderr.flush()


def _read_pasted(prompt: str) -> str:
    if sys.stdin.isatty():
        return typer.prompt(prompt, default="", show_default=False)
    _say(prompt + ":")
    return sys.stdin.readline()


def _paste_redirect_uri(provider: SyncProvider, loopback_allowed: bool) -> str:
    from keito_core.sync.loopback import (
        DEFAULT_REDIRECT_PORT,
        loopback_redirect_uri,
        redirect_port,
    )

    if provider is SyncProvider.QUICKBOOKS and not loopback_allowed:
        return (os.environ.get("KEITO_QUICKBOOKS_REDIRECT_URI", "").strip()
                or QUICKBOOKS_PASTE_REDIRECT_URI)
    return loopback_redirect_uri(redirect_port() or DEFAULT_REDIRECT_PORT)


def _authorize(provider: SyncProvider, *, paste: bool, no_browser: bool,
               timeout: float) -> tuple[AuthorizationRequest, str]:
    """Send the user to the vendor and bring back the redirect URL (listener or paste)."""
    from keito_core.sync import loopback, oauth
    from keito_core.sync.credentials import app_credentials, vendor_name
    from keito_core.sync.endpoints import endpoints

    state = cli_state()
    credentials = app_credentials(provider.value, config_dir=state.runtime.settings.config_dir)
    urls = endpoints(provider.value)
    vendor = vendor_name(provider.value)
    if not paste and not urls.loopback_redirect:
        paste = True
        _say(f"{vendor} production sends the authorization to an https address, not to this "
             "machine: you will paste the address the browser ends on.")
    elif not paste and not loopback.browser_available():
        paste = True
        _say("No browser here: open the URL on any machine and paste back the address the "
             "browser ends on (its page may fail to load; the address is what matters).")
    if paste:
        request = oauth.authorization_request(
            provider.value, client_id=credentials.client_id, endpoints=urls,
            redirect_uri=_paste_redirect_uri(provider, urls.loopback_redirect))
        _say(f"Open this URL to connect Keito to {vendor}:\n\n  {request.url}\n")
        pasted = _read_pasted("Paste the whole address the browser shows after you allow access")
        return request, pasted
    with loopback.LoopbackListener(loopback.redirect_port()) as listener:
        request = oauth.authorization_request(
            provider.value, client_id=credentials.client_id, endpoints=urls,
            redirect_uri=listener.redirect_uri)
        _say(f"Open this URL to connect Keito to {vendor}:\n\n  {request.url}\n")
        opened = False if no_browser else loopback.open_browser(request.url)
        _say(("Opened it in your browser. " if opened else "")
             + f"Waiting for {vendor} to send you back (up to {timeout:.0f} s; Ctrl-C stops)...")
        return request, listener.wait(timeout)


def _choose_tenant(tenants: list[Tenant], wanted: str | None) -> Tenant:
    """The organisation named or numbered by --tenant, the only one, or the one picked."""
    if not tenants:
        raise KeitoError("validation_error",
                         "no Xero organisation was connected on the consent page",
                         field="tenant",
                         hint="run `keito sync connect xero` again and tick an organisation")
    if wanted:
        key = wanted.strip().casefold()
        found = [t for t in tenants if key in (t.tenant_id.casefold(), t.name.casefold())]
        if len(found) != 1:
            names = ", ".join(f"{t.name} ({t.tenant_id})" for t in tenants)
            raise KeitoError("not_found", f"no single organisation {wanted!r} among: {names}",
                             field="tenant", hint="pass --tenant with a name or ID listed")
        return found[0]
    if len(tenants) == 1:
        return tenants[0]
    names = "\n".join(f"  {n}. {t.name} ({t.tenant_id})" for n, t in enumerate(tenants, 1))
    if not sys.stdin.isatty():
        raise KeitoError("validation_error",
                         f"the grant reaches {len(tenants)} organisations; choose one",
                         field="tenant",
                         hint="pass --tenant NAME|ID: " + ", ".join(t.name for t in tenants))
    _say(f"Which organisation should Keito sync with?\n{names}")
    choice = typer.prompt("Number", type=int)
    if not 1 <= choice <= len(tenants):
        raise KeitoError("validation_error", f"no organisation number {choice}", field="tenant")
    return tenants[choice - 1]


def connect(
    provider: Annotated[SyncProvider, typer.Argument(help="The accounting system: xero or "
                                                 "quickbooks.")],
    tenant: Annotated[str | None, typer.Option(
        help="Xero: the organisation (name or tenant ID) when the grant reaches several.",
    )] = None,
    paste: Annotated[bool, typer.Option(
        "--paste", help="Paste the redirect address instead of listening on 127.0.0.1 "
                        "(a browser on another machine).",
    )] = False,
    no_browser: Annotated[bool, typer.Option(
        "--no-browser", help="Print the URL without opening a browser (still listens).",
    )] = False,
    timeout: Annotated[float, typer.Option(
        help="Seconds to wait for the redirect.", min=1,
    )] = 300.0,
) -> None:
    """Connect Keito to Xero or QuickBooks Online (administrators; OAuth with PKCE).

    The app's client ID comes from KEITO_XERO_CLIENT_ID / KEITO_QUICKBOOKS_CLIENT_ID (and
    KEITO_QUICKBOOKS_CLIENT_SECRET), or from `keito sync credentials`. Connecting the system
    already connected reconnects it and keeps its settings; another one must be disconnected
    first. Tokens go to the OS keyring (a 0600 file where there is none). The redirect URI to
    register with the app is http://localhost:8749/callback (KEITO_SYNC_REDIRECT_PORT changes
    the port); QuickBooks production: Intuit's OAuth Playground page, or
    KEITO_QUICKBOOKS_REDIRECT_URI.
    """
    from keito_core.sync import oauth
    from keito_core.sync.connection import begin_connect, complete_connect, connection_data
    from keito_core.sync.credentials import STORED_IN_KEYRING, vendor_name
    from keito_core.sync.tokens import TokenStore

    state = cli_state()
    runtime = state.runtime
    config_dir = runtime.settings.config_dir
    with state.acting(readonly=True) as (session, actor):
        current = begin_connect(session, actor=actor, provider=provider.value)
        reconnect = current is not None
    request, redirect_url = _authorize(provider, paste=paste, no_browser=no_browser,
                                       timeout=timeout)
    redirect = oauth.parse_redirect(redirect_url, expected_state=request.state)
    with oauth.new_http_client() as client:
        identity = oauth.oauth_client(provider.value, config_dir=config_dir, client=client,
                                      clock=runtime.clock)
        tokens = identity.exchange_code(redirect, request=request)
        if provider is SyncProvider.XERO:
            chosen = _choose_tenant(identity.tenants(tokens.access_token), tenant)
            tenant_id, tenant_name = chosen.tenant_id, chosen.name or None
        else:
            if not redirect.realm_id:
                raise KeitoError("validation_error", "the redirect names no QuickBooks company "
                                 "(realmId)", field="redirect_url",
                                 hint="paste the whole address, including realmId")
            if tenant and tenant.strip() != redirect.realm_id:
                raise KeitoError("validation_error", f"you authorized company "
                                 f"{redirect.realm_id}, not {tenant}", field="tenant")
            tenant_id, tenant_name = redirect.realm_id, None
    stored: tuple[TokenStore, Any] | None = None
    try:
        with state.acting() as (session, actor):
            connection = complete_connect(session, actor=actor, provider=provider.value,
                                          tenant_id=tenant_id, tenant_name=tenant_name,
                                          now=runtime.clock())
            store = TokenStore(connection.id, config_dir=config_dir)
            with store.locked():
                stored = (store, store.load())
                where = store.save(tokens)
            data = connection_data(connection)
    except BaseException:
        if stored is not None:  # the row was not committed: put the tokens back as they were
            store, previous = stored
            if previous is None:
                store.delete()
            else:
                store.save(previous)
        raise
    assert data is not None
    data.update(reconnected=reconnect, tokens_stored=where)
    out = state.output
    if where != STORED_IN_KEYRING:
        out.warn(f"no OS keyring is available; the tokens are in {where} (readable only by you)")
    name = tenant_name or tenant_id
    verb = "Reconnected" if reconnect else "Connected"
    if out.json or out.quiet:
        out.record(data)
        return
    out.message(f"{verb} to {vendor_name(provider.value)}: {name}")


def disconnect() -> None:
    """Stop syncing (administrators): revoke Keito's access at the vendor, forget the tokens,
    keep every sync record."""
    from keito_core.sync import oauth
    from keito_core.sync.connection import connection_data
    from keito_core.sync.connection import disconnect as disconnect_service
    from keito_core.sync.credentials import vendor_name
    from keito_core.sync.tokens import TokenStore

    state = cli_state()
    runtime = state.runtime
    config_dir = runtime.settings.config_dir
    with oauth.new_http_client() as client:

        def revoke(connection: Any, refresh_token: str) -> None:
            identity = oauth.oauth_client(connection.provider, config_dir=config_dir,
                                          client=client, clock=runtime.clock)
            identity.revoke(refresh_token)

        with state.acting() as (session, actor):
            result = disconnect_service(
                session, actor=actor, now=runtime.clock(),
                token_store=lambda connection: TokenStore(connection.id, config_dir=config_dir),
                revoke=revoke)
            data = connection_data(result.connection)
    assert data is not None
    data.update(revoked=result.revoked, revoke_error=result.revoke_error,
                tokens_deleted=result.tokens_deleted)
    vendor = vendor_name(result.connection.provider)
    out = state.output
    if not result.revoked:
        out.warn(f"{vendor} did not confirm the revocation ({result.revoke_error}); remove "
                 "Keito from the connected apps there by hand")
    if out.json or out.quiet:
        out.record(data)
        return
    out.message(f"Disconnected from {vendor}"
                + (f" ({result.connection.tenant_name})" if result.connection.tenant_name
                   else "") + "; the sync records are kept")


def _read_secret() -> str:
    if sys.stdin.isatty():
        return typer.prompt("Client secret", hide_input=True, default="", show_default=False)
    return sys.stdin.readline()


def credentials(
    provider: Annotated[SyncProvider, typer.Argument(help="xero or quickbooks.")],
    client_id: Annotated[str | None, typer.Option(
        "--client-id", help="Store this client ID (QuickBooks: the secret is then asked for, "
                            "hidden, or read from stdin).",
    )] = None,
    forget: Annotated[bool, typer.Option("--forget", help="Remove the stored credentials.")]
    = False,
) -> None:
    """Store the app's client ID (and QuickBooks' client secret) in the OS keyring, or show
    where they come from (administrators).

    The environment wins: KEITO_XERO_CLIENT_ID, KEITO_QUICKBOOKS_CLIENT_ID and
    KEITO_QUICKBOOKS_CLIENT_SECRET. Without a keyring they go to a 0600 file. Never the
    database. The secret is never printed.
    """
    from keito_core.rules.permissions import Action, require
    from keito_core.sync.credentials import (
        STORED_IN_KEYRING,
        app_credentials,
        delete_app_credentials,
        store_app_credentials,
    )

    state = cli_state()
    config_dir = state.runtime.settings.config_dir
    with state.acting(readonly=True) as (_session, actor):
        require(actor, Action.INTEGRATIONS_MANAGE)
    out = state.output
    if forget:
        removed = delete_app_credentials(provider.value, config_dir=config_dir)
        out.message("Removed the stored credentials" if removed else "No stored credentials",
                    data={"provider": provider.value, "removed": removed})
        return
    if client_id is not None:
        secret = _read_secret() if provider is SyncProvider.QUICKBOOKS else None
        where = store_app_credentials(provider.value, client_id=client_id,
                                      client_secret=secret, config_dir=config_dir)
        if where != STORED_IN_KEYRING:
            out.warn(f"no OS keyring is available; the credentials are in {where} "
                     "(readable only by you)")
    found = app_credentials(provider.value, config_dir=config_dir)
    data = {"provider": provider.value, "client_id": found.client_id,
            "client_secret": "set" if found.client_secret else None, "source": found.source}
    if out.json or out.quiet:
        out.record(data)
        return
    out.message(f"{provider.value} client ID {found.client_id} (from {found.source})")


def register(app: typer.Typer) -> None:
    """Add connect, disconnect and credentials to the `keito sync` group."""
    app.command("connect")(connect)
    app.command("disconnect")(disconnect)
    app.command("credentials")(credentials)
