"""One HTTP call to an accounting system, made to survive what the vendors do to it.

`SyncHttp.request` sends one request and returns the vendor's 2xx answer, or raises a
`KeitoError` that says what went wrong in the vendor's own words:

- **429** waits as long as the vendor asks (Xero's `Retry-After`; QuickBooks says nothing and
  wants 60 s) and sends again; waiting is not a failed attempt, but more than
  `max_throttle_wait` seconds of it in one call gives up with `rate_limit_exceeded`;
- **5xx and network failures** (a timeout, a refused or broken connection) are retried with
  exponential backoff and full jitter, at most `max_attempts` times in all; a write is safe to
  repeat because every write carries its idempotency key (Xero's `Idempotency-Key` header,
  QuickBooks' `requestid`), which the caller derives from what it sends;
- **401** takes a fresh access token once (`TokenSource.refreshed`) and repeats; a second 401,
  or a refresh the vendor refuses, is `authentication_error` (the grant needs `connect` again);
- **other 4xx** is the vendor refusing what was sent: `remote_error` with the parsed message,
  never retried.

The client also keeps itself under the vendor's limits (`Limits`: per second, minute and day)
by waiting before a call that would exceed them, so a bulk push does not meet 429 at all when
it is the only client of the organisation. The limits are counted in this process, except where
the vendor says on each answer what is left (Xero's `X-MinLimit-Remaining` and
`X-DayLimit-Remaining`, which count every process and app): then its word decides, and the wait
comes only when it says nothing is left. Several processes pushing at once still obey 429.

The clock and the sleep are injected, so tests run hours of backoff in no time.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from keito_core.errors import KeitoError

if TYPE_CHECKING:
    import httpx


class TokenSource(Protocol):
    """Where the bearer token comes from (keito_core.sync.tokens)."""

    def access_token(self) -> str:
        """A token valid now (refreshed first when it is about to expire)."""
        ...

    def refreshed(self, rejected: str) -> str:
        """A new token after the vendor rejected `rejected` (unless another process already
        replaced it); raises KeitoError("authentication_error") when the grant is gone."""
        ...


@dataclass(frozen=True)
class Limits:
    """A vendor's request limits for one organisation or company."""

    per_second: int | None = None
    per_minute: int | None = None
    per_day: int | None = None
    #: Wait this long after a 429 that names no Retry-After.
    throttle_wait: float = 60.0


#: Xero: 60 calls a minute and 5,000 a day per tenant (and 5 at once: this client sends one).
XERO_LIMITS = Limits(per_minute=60, per_day=5000, throttle_wait=60.0)
#: QuickBooks: 500 requests a minute per company and 10 a second; 60 s after a 429.
QUICKBOOKS_LIMITS = Limits(per_second=10, per_minute=500, throttle_wait=60.0)


class RemoteRefusal(KeitoError):
    """The vendor refused the request (a 4xx other than 401 and 429): never retried."""

    def __init__(self, message: str, *, status: int, body: Any, hint: str | None = None,
                 field: str | None = None) -> None:
        super().__init__("remote_error", message, hint=hint, field=field)
        self.status = status
        self.body = body


class _Window:
    """Send times within one window: how long to wait before one more fits under `limit`."""

    def __init__(self, limit: int, span: timedelta) -> None:
        self.limit = limit
        self.span = span
        self.times: deque[datetime] = deque()

    def wait(self, now: datetime) -> float:
        while self.times and now - self.times[0] >= self.span:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return (self.times[0] + self.span - now).total_seconds()

    def add(self, now: datetime) -> None:
        self.times.append(now)


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        return default


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class SyncHttp:
    """Sends requests for one connection; see the module's docstring for what it survives."""

    def __init__(
        self,
        *,
        client: httpx.Client,
        tokens: TokenSource,
        limits: Limits,
        clock: Callable[[], datetime],
        sleep: Callable[[float], None],
        describe_error: Callable[[int, Any], str],
        headers: Mapping[str, str] | None = None,
        max_attempts: int = 6,
        max_throttle_wait: float = 3600.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        rng: random.Random | None = None,
        on_wait: Callable[[str, float], None] | None = None,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.limits = limits
        self.clock = clock
        self.sleep = sleep
        self.describe_error = describe_error
        self.headers = dict(headers or {})
        self.max_attempts = max_attempts
        self.max_throttle_wait = max_throttle_wait
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.rng = rng or random.Random()
        self.on_wait = on_wait
        self._windows = [
            _Window(count, span)
            for count, span in (
                (limits.per_second, timedelta(seconds=1)),
                (limits.per_minute, timedelta(minutes=1)),
                (limits.per_day, timedelta(days=1)),
            )
            if count
        ]
        #: What the vendor last said is left of its minute and day limits (Xero's headers).
        self._vendor_remaining: int | None = None
        #: Calls sent and waits taken, for the progress line and the tests.
        self.calls = 0
        self.throttled = 0
        self.retried = 0

    # -- pacing -------------------------------------------------------------------------------

    def _wait(self, reason: str, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.on_wait is not None:
            self.on_wait(reason, seconds)
        self.sleep(seconds)

    def _heed(self, response: httpx.Response) -> None:
        """Xero says on every answer how many calls the organisation has left this minute and
        today (counting every process and app): trust that over this process's count."""
        remaining = []
        for header in ("X-MinLimit-Remaining", "X-DayLimit-Remaining"):
            value = response.headers.get(header)
            if value is not None and value.strip().lstrip("-").isdigit():
                remaining.append(int(value))
        if remaining:
            self._vendor_remaining = min(remaining)

    def _pace(self) -> None:
        """Wait until one more call fits under every limit, then count it."""
        while True:
            now = self.clock()
            windows = self._windows
            if self._vendor_remaining is not None and self._vendor_remaining > 0:
                # The vendor counts for us: only the per-second pace is ours to keep.
                windows = [w for w in windows if w.span <= timedelta(seconds=1)]
            wait = max((window.wait(now) for window in windows), default=0.0)
            if wait <= 0:
                for window in self._windows:
                    window.add(now)
                return
            self._wait("limit", wait)

    def _backoff(self, failures: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (failures - 1)))
        return self.rng.uniform(0, ceiling)

    # -- the call -----------------------------------------------------------------------------

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """The vendor's 2xx answer to one request (sent again as the module says)."""
        import httpx

        failures = 0
        throttle_waited = 0.0
        refreshed = False
        token = self.tokens.access_token()
        while True:
            self._pace()
            sent_headers = {**self.headers, **(headers or {}),
                            "Authorization": f"Bearer {token}"}
            self.calls += 1
            if self._vendor_remaining is not None:
                # Spent by this call even if no answer comes back to say so (a timeout).
                self._vendor_remaining -= 1
            try:
                response = self.client.request(
                    method, url, params=params, json=json, content=content,
                    headers=sent_headers,
                )
            except httpx.TimeoutException as exc:
                failures += 1
                if failures >= self.max_attempts:
                    raise KeitoError(
                        "network_error",
                        f"{method} {url} timed out {failures} times",
                        hint="check the network and run `keito sync retry`",
                    ) from exc
                self.retried += 1
                self._wait("timeout", self._backoff(failures))
                continue
            except httpx.TransportError as exc:
                failures += 1
                if failures >= self.max_attempts:
                    raise KeitoError(
                        "network_error",
                        f"cannot reach {httpx.URL(url).host}: {exc}",
                        hint="check the network and run `keito sync retry`",
                    ) from exc
                self.retried += 1
                self._wait("network", self._backoff(failures))
                continue

            self._heed(response)
            status = response.status_code
            if status < 400:
                return response
            if status == 429:
                wait = _retry_after(response, self.limits.throttle_wait)
                throttle_waited += wait
                if throttle_waited > self.max_throttle_wait:
                    raise KeitoError(
                        "rate_limit_exceeded",
                        f"the accounting system kept refusing for {throttle_waited:.0f} s "
                        "(rate limited)",
                        hint="try again later: the "
                        f"{response.headers.get('X-Rate-Limit-Problem') or 'vendor'} limit "
                        "resets by itself",
                    )
                self.throttled += 1
                self._wait("throttled", wait)
                continue
            if status == 401 and not refreshed:
                refreshed = True
                token = self.tokens.refreshed(token)
                continue
            if status == 401:
                raise KeitoError(
                    "authentication_error",
                    "the accounting system refused the connection's token",
                    hint="run `keito sync connect` again",
                )
            if status >= 500:
                failures += 1
                if failures >= self.max_attempts:
                    raise KeitoError(
                        "remote_error",
                        f"{method} {url} failed with HTTP {status} {failures} times: "
                        f"{self.describe_error(status, _json(response))}",
                        hint="the accounting system is failing; run `keito sync retry` later",
                    )
                self.retried += 1
                self._wait("server", self._backoff(failures))
                continue
            body = _json(response)
            raise RemoteRefusal(self.describe_error(status, body), status=status, body=body)
