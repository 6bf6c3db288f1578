"""Keeps each company's bexio calls under bexio's per-minute limits, per endpoint group.

bexio counts calls per company and minute in separate buckets (API.md "Corrections" 1 and
recorded/README.md "Observations"): about 1000/min for most calls, 400/min for `/2.0/article`,
250/min for the 2.0 searches and PDFs. Every answer carries `RateLimit-Limit`, `-Remaining` and
`-Reset` (seconds to the end of bexio's fixed one-minute window) for the bucket it was counted in.

Per (company, group) a call may start only while fewer than `per_minute` calls are in flight or
finished within the last `window` seconds; counting from the answer, not the request, keeps this
true whatever the latency. The limiter also obeys what bexio reports: when the remaining budget
(minus calls still in flight) is used up, calls wait until bexio's window resets. Other apps of
the same company and other worker processes spend the same budget; the headers are how this
process learns about them, so while it knows nothing (at start, after each reset) only `probes`
calls per group go out at once.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

logger = logging.getLogger(__name__)

DEFAULT_GROUP = "default"
DEFAULT_PER_MINUTE = 1000


@dataclass(frozen=True, slots=True)
class EndpointGroup:
    """A bexio rate-limit bucket: the calls whose path fully matches `pattern` (and method)."""

    name: str
    per_minute: int
    pattern: str
    methods: frozenset[str] = frozenset()

    def matches(self, method: str, path: str) -> bool:
        """Whether a call of `method` to `path` (e.g. "/2.0/contact/search") counts here."""
        if self.methods and method.upper() not in self.methods:
            return False
        return re.fullmatch(self.pattern, path) is not None


# From the recorded headers: contact/article/kb_invoice searches answer `ratelimit-limit: 250`,
# /2.0/article list/show/create/edit/delete 400, country and accounts searches 1000.
# Whether searches and PDFs share one bucket is not known; sharing is the cautious guess.
DEFAULT_GROUPS: tuple[EndpointGroup, ...] = (
    EndpointGroup(
        "search_pdf",
        250,
        r"/2\.0/(contact|article|kb_offer|kb_order|kb_delivery|kb_invoice)/search",
        frozenset({"POST"}),
    ),
    EndpointGroup(
        "search_pdf", 250, r"/2\.0/kb_(offer|order|invoice|delivery)/\d+/pdf", frozenset({"GET"})
    ),
    EndpointGroup("article", 400, r"/2\.0/article(/\d+)?"),
)


@dataclass(slots=True)
class _Bucket:
    limit: int
    # Completion times of recent calls: bexio counted each somewhere between send and answer.
    finished: deque[float] = field(default_factory=deque)
    in_flight: int = 0
    blocked_until: float = -math.inf
    server_remaining: int = 0
    server_reset_at: float = -math.inf
    waiters: list[asyncio.Future[None]] = field(default_factory=list)

    def wait(self, now: float, window: float, probes: int) -> float | None:
        """Seconds until one more call may start; None: wait for a call in flight to end."""
        while self.finished and self.finished[0] <= now - window:
            self.finished.popleft()
        informed = now < self.server_reset_at
        if self.in_flight >= (self.limit if informed else min(probes, self.limit)):
            return None
        waits = [0.0, self.blocked_until - now]
        excess = self.in_flight + len(self.finished) - self.limit
        if excess >= 0:
            waits.append(self.finished[excess] + window - now)
        if now < self.server_reset_at and self.server_remaining <= 0:
            waits.append(self.server_reset_at - now)
        return max(waits)

    def start(self, now: float) -> None:
        self.in_flight += 1
        if now < self.server_reset_at:
            self.server_remaining -= 1

    def finish(self, now: float) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.finished.append(now)
        waiters, self.waiters = self.waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)


class RateLimiter:
    """Per-company, per-endpoint-group limiter; share one per process between all BexioClients.

    Contract: every `acquire` is followed by exactly one `release` (with the answer's headers,
    or None when no answer came).
    """

    def __init__(
        self,
        *,
        groups: Sequence[EndpointGroup] = DEFAULT_GROUPS,
        default_per_minute: int = DEFAULT_PER_MINUTE,
        window: float = 60.0,
        reset_margin: float = 1.0,
        probes: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if default_per_minute < 1 or any(group.per_minute < 1 for group in groups):
            raise ValueError("rate limits must be at least 1 per minute")
        if probes < 1:
            raise ValueError("at least one call must be allowed to learn bexio's budget")
        self._groups = tuple(groups)
        self._limits = {DEFAULT_GROUP: default_per_minute}
        for group in self._groups:
            self._limits[group.name] = min(
                group.per_minute, self._limits.get(group.name, group.per_minute)
            )
        self._window = window
        # bexio's reset is whole seconds; waiting a little longer avoids landing just before it.
        self._reset_margin = reset_margin
        # Until an answer tells bexio's remaining budget (other apps spend it too), only this
        # many calls per group go out at once.
        self._probes = probes
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def group_for(self, method: str, path: str) -> str:
        """The bucket a call of `method` to `path` counts in."""
        for group in self._groups:
            if group.matches(method, path):
                return group.name
        return DEFAULT_GROUP

    def limit(self, key: str, group: str) -> int:
        """The calls per window currently allowed for (company, group)."""
        return self._bucket(key, group).limit

    async def acquire(self, key: str, group: str) -> None:
        """Wait until company `key` may make one more call in `group`, then count it."""
        bucket = self._bucket(key, group)
        while True:
            now = self._clock()
            # No await between the check and the start: concurrent callers can't overbook.
            wait = bucket.wait(now, self._window, self._probes)
            if wait is None:
                waiter = asyncio.get_running_loop().create_future()
                bucket.waiters.append(waiter)
                await waiter
                continue
            if wait <= 0:
                bucket.start(now)
                return
            if wait > 1:
                logger.debug("bexio rate limit: %s calls of %s wait %.1fs", group, key, wait)
            await self._sleep(wait)

    def release(self, key: str, group: str, headers: Mapping[str, str] | None) -> None:
        """End a call; learn bexio's limit, remaining budget and reset from its headers."""
        bucket = self._bucket(key, group)
        now = self._clock()
        bucket.finish(now)
        if headers is None:
            return
        lower = {name.lower(): value for name, value in headers.items()}
        limit = _int(lower, "ratelimit-limit", "x-ratelimit-limit-minute")
        remaining = _int(lower, "ratelimit-remaining", "x-ratelimit-remaining-minute")
        reset = _number(lower, "ratelimit-reset")
        if limit is not None and 0 < limit < bucket.limit:
            bucket.limit = limit
        if remaining is not None and reset is not None:
            bucket.server_remaining = remaining - bucket.in_flight
            bucket.server_reset_at = now + reset + self._reset_margin

    def back_off(self, key: str, group: str, seconds: float) -> None:
        """Hold all calls of (company, group) for `seconds` (bexio answered 429)."""
        bucket = self._bucket(key, group)
        bucket.blocked_until = max(bucket.blocked_until, self._clock() + max(0.0, seconds))

    def _bucket(self, key: str, group: str) -> _Bucket:
        bucket = self._buckets.get((key, group))
        if bucket is None:
            limit = self._limits.get(group, self._limits[DEFAULT_GROUP])
            bucket = self._buckets[(key, group)] = _Bucket(limit=limit)
        return bucket


def _number(headers: Mapping[str, str], *names: str) -> float | None:
    for name in names:
        value = headers.get(name)
        if value is not None:
            try:
                number = float(value.strip())
            except ValueError:
                return None
            return number if math.isfinite(number) and number >= 0 else None
    return None


def _int(headers: Mapping[str, str], *names: str) -> int | None:
    number = _number(headers, *names)
    return None if number is None else int(number)


_shared: RateLimiter | None = None


def shared_rate_limiter() -> RateLimiter:
    """The process-wide limiter with bexio's default groups."""
    global _shared
    if _shared is None:
        _shared = RateLimiter()
    return _shared
