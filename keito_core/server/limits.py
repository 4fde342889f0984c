"""Requests per API key, as the reference's Rate Limits page counts them: per minute and per
day, answered with 429 and `Retry-After` beyond either.

The reference's plans allow 60 a minute and 1,000 a day (Free) or 300 and 50,000 (Pro); a
self-hosted workspace has every feature, so the default is Pro's, and `keito serve
--rate-limit PER_MINUTE/PER_DAY` changes it. The counts live in the process: several `keito
serve` processes behind one proxy each count their own (docs/server.md).
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from keito_core.errors import KeitoError


@dataclass(frozen=True)
class RateLimit:
    per_minute: int = 300
    per_day: int = 50_000

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """'300/50000' (per minute / per day), or 'off'."""
        if text.strip().lower() == "off":
            return cls(per_minute=0, per_day=0)
        minute, _, day = text.partition("/")
        try:
            return cls(per_minute=int(minute), per_day=int(day or 0))
        except ValueError:
            raise KeitoError("validation_error", f"a rate limit is PER_MINUTE/PER_DAY, not "
                             f"{text!r}", field="rate_limit", hint="e.g. 300/50000, or off"
                             ) from None


class Limiter:
    """Sliding windows per key; thread-safe (requests run in worker threads)."""

    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._minute: dict[str, deque[datetime]] = {}
        self._day: dict[str, deque[datetime]] = {}

    def admit(self, key: str, now: datetime) -> None:
        """Count one request of `key`, or raise rate_limit_exceeded with the seconds to wait
        in `hint` and on the error (`retry_after`)."""
        with self._lock:
            waits = []
            for store, limit, span in ((self._minute, self.limit.per_minute,
                                        timedelta(minutes=1)),
                                       (self._day, self.limit.per_day, timedelta(days=1))):
                if not limit:
                    continue
                times = store.setdefault(key, deque())
                while times and now - times[0] >= span:
                    times.popleft()
                if len(times) >= limit:
                    waits.append((times[0] + span - now).total_seconds())
            if waits:
                seconds = max(1, math.ceil(max(waits)))
                error = KeitoError("rate_limit_exceeded",
                                   f"too many requests for this API key; retry in {seconds} s",
                                   hint=f"the limit is {self.limit.per_minute} a minute and "
                                        f"{self.limit.per_day} a day per key")
                error.retry_after = seconds  # type: ignore[attr-defined]
                raise error
            for store, limit in ((self._minute, self.limit.per_minute),
                                 (self._day, self.limit.per_day)):
                if limit:
                    store.setdefault(key, deque()).append(now)
