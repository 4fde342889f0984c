"""What stands between a request and Xero's books: rate limits, injected faults, idempotency."""

from __future__ import annotations

import hashlib
import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

MINUTE_LIMIT = 60
DAY_LIMIT = 5000
CONCURRENT_LIMIT = 5
FAULT_KINDS = ("500", "503", "429", "timeout", "commit_then_timeout")
#: The mix the issue's fault test uses.
RANDOM_KINDS = ("500", "429", "timeout", "commit_then_timeout")
#: How long Xero remembers an Idempotency-Key (an assumption: Xero says only "a while").
IDEMPOTENCY_TTL = timedelta(hours=24)


@dataclass
class RateLimits:
    """Xero's per-tenant limits: 60 a minute and 5,000 a day (rolling), 5 at once."""

    calls: dict[str, deque[datetime]] = field(default_factory=dict)
    in_flight: dict[str, int] = field(default_factory=dict)

    def admit(self, tenant_id: str, now: datetime) -> tuple[str, int] | None:
        """None and the call counted, or the (problem, Retry-After seconds) that stops it."""
        if self.in_flight.get(tenant_id, 0) >= CONCURRENT_LIMIT:
            return "concurrent", 1
        calls = self.calls.setdefault(tenant_id, deque())
        while calls and calls[0] <= now - timedelta(days=1):
            calls.popleft()
        if len(calls) >= DAY_LIMIT:
            return "day", _seconds_until(calls[0] + timedelta(days=1), now)
        recent = self._within_minute(calls, now)
        if len(recent) >= MINUTE_LIMIT:
            return "minute", _seconds_until(recent[-1] + timedelta(minutes=1), now)
        calls.append(now)
        self.in_flight[tenant_id] = self.in_flight.get(tenant_id, 0) + 1
        return None

    def done(self, tenant_id: str) -> None:
        self.in_flight[tenant_id] -= 1

    def remaining(self, tenant_id: str, now: datetime) -> dict[str, str]:
        """The headers Xero adds to every answer."""
        calls = self.calls.get(tenant_id, deque())
        return {"X-MinLimit-Remaining": str(MINUTE_LIMIT - len(self._within_minute(calls, now))),
                "X-DayLimit-Remaining": str(DAY_LIMIT - len(calls))}

    @staticmethod
    def _within_minute(calls: deque[datetime], now: datetime) -> list[datetime]:
        """The calls of the last minute, newest first."""
        recent = []
        for moment in reversed(calls):
            if moment <= now - timedelta(minutes=1):
                break
            recent.append(moment)
        return recent


def _seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def too_many(problem: str, retry_after: int) -> httpx.Response:
    return httpx.Response(429, text="Rate limit exceeded", headers={
        "Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem})


@dataclass
class Fault:
    kind: str
    times: int
    method: str | None = None
    path_contains: str | None = None
    retry_after: int = 5
    include_oauth: bool = False

    def matches(self, method: str, path: str, *, oauth: bool) -> bool:
        return (self.times > 0 and (self.include_oauth or not oauth)
                and (self.method is None or self.method.upper() == method)
                and (self.path_contains is None or self.path_contains in path))


@dataclass
class Faults:
    """Faults queued with `fail_next` and the random ones of `fail_randomly`."""

    queued: list[Fault] = field(default_factory=list)
    rate: float = 0.0
    kinds: Sequence[str] = RANDOM_KINDS
    include_oauth: bool = False
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    #: (kind, method, path) of every fault injected, for tests to read.
    injected: list[tuple[str, str, str]] = field(default_factory=list)

    def pick(self, method: str, path: str, *, oauth: bool) -> Fault | None:
        """The fault this request suffers, if any (and count it)."""
        for fault in self.queued:
            if fault.matches(method, path, oauth=oauth):
                fault.times -= 1
                self.queued = [f for f in self.queued if f.times > 0]
                self.injected.append((fault.kind, method, path))
                return fault
        if self.rate and (self.include_oauth or not oauth) and self.rng.random() < self.rate:
            kind = self.rng.choice(list(self.kinds))
            self.injected.append((kind, method, path))
            return Fault(kind, 0)
        return None


def fault_response(fault: Fault, request: httpx.Request) -> httpx.Response:
    """The answer of a fault that strikes before the server acts (or raises a timeout)."""
    if fault.kind == "timeout":
        raise httpx.ReadTimeout("injected timeout before the server acted", request=request)
    if fault.kind == "429":
        return too_many("minute", fault.retry_after)
    if fault.kind == "503":
        return httpx.Response(503, text="Service Unavailable",
                              headers={"Retry-After": str(fault.retry_after)})
    return httpx.Response(500, json={"ErrorNumber": 500, "Type": "UnknownErrorException",
                                     "Message": "An error occurred in Xero. (injected)"})


@dataclass
class Recorded:
    fingerprint: str
    at: datetime
    status: int
    headers: list[tuple[str, str]]
    content: bytes

    def replay(self) -> httpx.Response:
        return httpx.Response(self.status, headers=self.headers, content=self.content)


@dataclass
class IdempotencyKeys:
    """Answers by (tenant, Idempotency-Key): a repeat gets the first answer again."""

    answers: dict[tuple[str, str], Recorded] = field(default_factory=dict)

    @staticmethod
    def fingerprint(request: httpx.Request) -> str:
        digest = hashlib.sha256(request.content).hexdigest()
        return f"{request.method} {request.url.path}?{request.url.query.decode()} {digest}"

    def lookup(self, scope: str, key: str, now: datetime) -> Recorded | None:
        found = self.answers.get((scope, key))
        if found is not None and now - found.at > IDEMPOTENCY_TTL:
            del self.answers[(scope, key)]
            return None
        return found

    def record(self, scope: str, key: str, request: httpx.Request, response: httpx.Response,
               now: datetime) -> None:
        self.answers[(scope, key)] = Recorded(
            self.fingerprint(request), now, response.status_code,
            list(response.headers.multi_items()), response.content)
