"""SyncHttp: what one call survives, by an injected clock, against hand-written answers."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from keito_core.errors import KeitoError
from keito_core.sync.http import Limits, RemoteRefusal, SyncHttp

URL = "https://api.example.test/things"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        self.waits: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += timedelta(seconds=seconds)


class Tokens:
    def __init__(self) -> None:
        self.token = "t1"
        self.refreshes = 0

    def access_token(self) -> str:
        return self.token

    def refreshed(self, rejected: str) -> str:
        self.refreshes += 1
        self.token = f"t{self.refreshes + 1}"
        return self.token


def make(answers: list[Callable[[httpx.Request], httpx.Response] | httpx.Response],
         *, limits: Limits = Limits(), clock: Clock | None = None, **options) -> tuple[
             SyncHttp, Clock, list[httpx.Request], Tokens]:
    clock = clock or Clock()
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0)
        return answer(request) if callable(answer) else answer

    tokens = Tokens()
    http = SyncHttp(client=httpx.Client(transport=httpx.MockTransport(handler)), tokens=tokens,
                    limits=limits, clock=clock, sleep=clock.sleep,
                    describe_error=lambda status, body: f"HTTP {status}: {body}",
                    rng=random.Random(3), **options)
    return http, clock, seen, tokens


def timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("slow", request=request)


def test_429_waits_as_long_as_asked_and_is_not_a_failure() -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "17"})
    http, clock, seen, _ = make([throttled] * 7 + [httpx.Response(200, json={"ok": 1})],
                                max_attempts=2)
    assert http.request("GET", URL).json() == {"ok": 1}
    assert clock.waits == [17.0] * 7 and len(seen) == 8 and http.throttled == 7


def test_429_without_retry_after_waits_the_vendors_default() -> None:
    http, clock, _, _ = make([httpx.Response(429), httpx.Response(200)],
                             limits=Limits(throttle_wait=60.0))
    http.request("GET", URL)
    assert clock.waits == [60.0]


def test_endless_throttling_gives_up_as_rate_limited() -> None:
    http, _, _, _ = make([httpx.Response(429, headers={"Retry-After": "600"})] * 10,
                         max_throttle_wait=1800)
    with pytest.raises(KeitoError) as refused:
        http.request("GET", URL)
    assert refused.value.code == "rate_limit_exceeded"


def test_5xx_and_timeouts_back_off_with_jitter_then_give_up() -> None:
    http, clock, seen, _ = make([httpx.Response(500), timeout, httpx.Response(503), timeout,
                                 httpx.Response(502), httpx.Response(500)],
                                max_attempts=6, backoff_base=1.0, backoff_cap=8.0)
    with pytest.raises(KeitoError) as failed:
        http.request("POST", URL, json={"a": 1})
    assert failed.value.code == "remote_error" and "HTTP 500" in failed.value.message
    assert len(seen) == 6 and len(clock.waits) == 5
    for n, wait in enumerate(clock.waits, start=1):
        assert 0 <= wait <= min(8.0, 2 ** (n - 1))
    assert len(set(clock.waits)) == 5  # jittered, not a fixed ladder


def test_a_retry_repeats_the_same_request_and_key() -> None:
    http, _, seen, _ = make([timeout, httpx.Response(201, json={"id": "x"})])
    http.request("PUT", URL, json={"n": 1}, headers={"Idempotency-Key": "k1"})
    assert [r.headers["Idempotency-Key"] for r in seen] == ["k1", "k1"]
    assert seen[0].content == seen[1].content


def test_timeouts_only_end_as_a_network_error() -> None:
    http, _, _, _ = make([timeout] * 3, max_attempts=3)
    with pytest.raises(KeitoError) as failed:
        http.request("GET", URL)
    assert failed.value.code == "network_error"


def test_401_refreshes_once_then_is_an_authentication_error() -> None:
    http, _, seen, tokens = make([httpx.Response(401), httpx.Response(200)])
    http.request("GET", URL)
    assert [r.headers["Authorization"] for r in seen] == ["Bearer t1", "Bearer t2"]
    http, _, _, tokens = make([httpx.Response(401), httpx.Response(401)])
    with pytest.raises(KeitoError) as refused:
        http.request("GET", URL)
    assert refused.value.code == "authentication_error" and tokens.refreshes == 1


def test_a_refusal_is_parsed_and_never_retried() -> None:
    http, _, seen, _ = make([httpx.Response(400, json={"Message": "bad"})])
    with pytest.raises(RemoteRefusal) as refused:
        http.request("PUT", URL, json={})
    assert refused.value.status == 400 and refused.value.body == {"Message": "bad"}
    assert refused.value.message == "HTTP 400: {'Message': 'bad'}" and len(seen) == 1


def test_the_pace_keeps_under_the_minute_and_second_limits() -> None:
    clock = Clock()
    sent: list[datetime] = []

    def ok(request: httpx.Request) -> httpx.Response:
        sent.append(clock.now)
        return httpx.Response(200)

    http, _, _, _ = make([ok] * 45, limits=Limits(per_second=10, per_minute=20), clock=clock)
    for _ in range(45):
        http.request("GET", URL)
    for i, moment in enumerate(sent):
        assert sum(1 for t in sent[i:] if t - moment < timedelta(seconds=1)) <= 10
        assert sum(1 for t in sent[i:] if t - moment < timedelta(minutes=1)) <= 20
    assert sent[-1] - sent[0] >= timedelta(minutes=2)  # 45 calls at 20 a minute


def test_the_vendors_remaining_count_decides_the_pace() -> None:
    left = [httpx.Response(200, headers={"X-MinLimit-Remaining": str(n),
                                         "X-DayLimit-Remaining": "4000"})
            for n in (3, 2, 1, 0)]
    http, clock, _, _ = make([*left, httpx.Response(200)], limits=Limits(per_minute=2))
    for _ in range(4):
        http.request("GET", URL)
    assert clock.waits == []  # the vendor said calls were left: no local minute wait
    http.request("GET", URL)  # it said none is left: the local count decides
    assert sum(clock.waits) > 0
