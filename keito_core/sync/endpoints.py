"""Where each accounting system answers: its authorization, token, revocation and API URLs.

The vendors' real URLs are the defaults. Tests and staging point a provider elsewhere with one
variable naming an origin that serves every path under the vendor's own path names
(`KEITO_XERO_URL=http://127.0.0.1:8799`), or with one variable per URL, which wins over it.

| variable | default |
| --- | --- |
| `KEITO_XERO_AUTHORIZE_URL` | https://login.xero.com/identity/connect/authorize |
| `KEITO_XERO_TOKEN_URL` | https://identity.xero.com/connect/token |
| `KEITO_XERO_REVOKE_URL` | https://identity.xero.com/connect/revocation |
| `KEITO_XERO_IDENTITY_URL` | https://api.xero.com (serves `/connections`) |
| `KEITO_XERO_API_URL` | https://api.xero.com/api.xro/2.0 |
| `KEITO_QUICKBOOKS_AUTHORIZE_URL` | https://appcenter.intuit.com/connect/oauth2 |
| `KEITO_QUICKBOOKS_TOKEN_URL` | https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer |
| `KEITO_QUICKBOOKS_REVOKE_URL` | https://developer.api.intuit.com/v2/oauth2/tokens/revoke |
| `KEITO_QUICKBOOKS_API_URL` | https://quickbooks.api.intuit.com/v3/company (see below) |

`KEITO_QUICKBOOKS_ENVIRONMENT=sandbox` makes the QuickBooks API default Intuit's sandbox,
https://sandbox-quickbooks.api.intuit.com/v3/company.

With `KEITO_XERO_URL=ORIGIN` the defaults become ORIGIN + `/identity/connect/authorize`,
`/connect/token`, `/connect/revocation`, `` (connections at ORIGIN/connections) and
`/api.xro/2.0`; with `KEITO_QUICKBOOKS_URL=ORIGIN`: ORIGIN + `/connect/oauth2`,
`/oauth2/v1/tokens/bearer`, `/oauth2/v1/tokens/revoke` and `/v3/company`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from keito_core.enums import SyncProvider


@dataclass(frozen=True)
class Endpoints:
    provider: SyncProvider
    authorize: str
    token: str
    revoke: str
    #: The API root: Xero's `.../api.xro/2.0`; QuickBooks' `.../v3/company` (the realm follows).
    api: str
    #: Xero only: the origin of `GET /connections` (tenants); None for QuickBooks.
    identity: str | None
    #: QuickBooks production answers only https redirect URIs: the connect must take a pasted
    #: redirect URL there instead of a 127.0.0.1 listener.
    loopback_redirect: bool = True


_XERO = {
    "authorize": ("https://login.xero.com/identity/connect/authorize",
                  "/identity/connect/authorize"),
    "token": ("https://identity.xero.com/connect/token", "/connect/token"),
    "revoke": ("https://identity.xero.com/connect/revocation", "/connect/revocation"),
    "identity": ("https://api.xero.com", ""),
    "api": ("https://api.xero.com/api.xro/2.0", "/api.xro/2.0"),
}
_QUICKBOOKS = {
    "authorize": ("https://appcenter.intuit.com/connect/oauth2", "/connect/oauth2"),
    "token": ("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer",
              "/oauth2/v1/tokens/bearer"),
    "revoke": ("https://developer.api.intuit.com/v2/oauth2/tokens/revoke",
               "/oauth2/v1/tokens/revoke"),
    "api": ("https://quickbooks.api.intuit.com/v3/company", "/v3/company"),
}
QUICKBOOKS_SANDBOX_API = "https://sandbox-quickbooks.api.intuit.com/v3/company"


def _pick(env: Mapping[str, str], prefix: str, table: Mapping[str, tuple[str, str]],
          name: str) -> str:
    explicit = env.get(f"{prefix}_{name.upper()}_URL", "").strip()
    if explicit:
        return explicit.rstrip("/")
    origin = env.get(f"{prefix}_URL", "").strip().rstrip("/")
    default, path = table[name]
    return origin + path if origin else default


def endpoints(provider: SyncProvider | str,
              env: Mapping[str, str] | None = None) -> Endpoints:
    """The URLs of `provider`, from the environment (see the module's table) else the vendor's."""
    env = os.environ if env is None else env
    provider = SyncProvider(provider)
    if provider is SyncProvider.XERO:
        urls = {name: _pick(env, "KEITO_XERO", _XERO, name) for name in _XERO}
        return Endpoints(
            provider=provider, authorize=urls["authorize"], token=urls["token"],
            revoke=urls["revoke"], api=urls["api"], identity=urls["identity"],
        )
    prefix = "KEITO_QUICKBOOKS"
    table = dict(_QUICKBOOKS)
    sandbox = env.get("KEITO_QUICKBOOKS_ENVIRONMENT", "").strip().lower() == "sandbox"
    if sandbox:
        table["api"] = (QUICKBOOKS_SANDBOX_API, "/v3/company")
    overridden = bool(env.get(f"{prefix}_URL") or env.get(f"{prefix}_API_URL"))
    urls = {name: _pick(env, prefix, table, name) for name in table}
    return Endpoints(
        provider=provider, authorize=urls["authorize"], token=urls["token"],
        revoke=urls["revoke"], api=urls["api"], identity=None,
        # Intuit serves plain-http localhost redirects only to sandbox apps; a test server
        # (any overridden URL) is treated like the sandbox.
        loopback_redirect=sandbox or overridden,
    )
