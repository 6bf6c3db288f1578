"""RateLimiter: bursts slow down under bexio's per-minute, per-group limits instead of 429s."""

from __future__ import annotations

import asyncio
import json
import math
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine

import httpx
import pytest

from saleor_bexio_app.bexio.client import BexioClient
from saleor_bexio_app.bexio.limiter import (
    DEFAULT_GROUP,
    EndpointGroup,
    RateLimiter,
    shared_rate_limiter,
)
from saleor_bexio_app.bexio.wire import BexioSearch
from tests.bexio.test_client import API, FakeTokens

WINDOW = 60.0


class FakeClock:
    """Simulated time: `sleep` moves the clock forward instead of waiting.

    Concurrent sleepers each move it to their own wake-up time, never backwards.
    """

    def __init__(self, now: float = 1000.5) -> None:
        self.now = now
        self.start = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        wake = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, wake)

    @property
    def elapsed(self) -> float:
        return self.now - self.start


class MinuteLimitedBexio:
    """A mock bexio that counts calls per group in fixed wall-clock minutes, like bexio does.

    Past the limit it answers 429; every answer carries RateLimit-* headers. `others` are calls
    another app of the same company makes in the first window.
    """

    def __init__(
        self, clock: FakeClock, limits: dict[str, int], *, others: int = 0, first_window: int = 0
    ) -> None:
        self.clock = clock
        self.limits = limits
        self.classify = RateLimiter()
        self.counts: Counter[tuple[str, int]] = Counter()
        self.served: Counter[str] = Counter()
        self.rejected = 0
        if others:
            self.counts[(DEFAULT_GROUP, first_window)] = others
            self.counts[("search_pdf", first_window)] = others

    def __call__(self, request: httpx.Request) -> httpx.Response:
        group = self.classify.group_for(request.method, request.url.path)
        limit = self.limits[group]
        window = math.floor(self.clock.now / WINDOW)
        reset = math.ceil((window + 1) * WINDOW - self.clock.now)
        used = self.counts[(group, window)]
        headers = {"RateLimit-Limit": str(limit), "RateLimit-Reset": str(reset)}
        if used >= limit:
            self.rejected += 1
            headers |= {"RateLimit-Remaining": "0", "Retry-After": str(reset)}
            body = {"error_code": 429, "message": "Too Many Requests"}
            return httpx.Response(429, headers=headers, content=json.dumps(body).encode())
        self.counts[(group, window)] = used + 1
        self.served[group] += 1
        headers["RateLimit-Remaining"] = str(limit - used - 1)
        return httpx.Response(200, headers=headers, content=b"[]")


@pytest.fixture
async def http_clients() -> AsyncIterator[list[httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []
    yield opened
    for http in opened:
        await http.aclose()


def _overlapping(
    server: MinuteLimitedBexio,
) -> Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]:
    """The server, but each call stays in flight while others run (as over a real network)."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return server(request)

    return handler


def _client(
    opened: list[httpx.AsyncClient],
    server: MinuteLimitedBexio,
    limiter: RateLimiter,
    company_key: str = "shop-1",
    *,
    overlapping: bool = False,
) -> BexioClient:
    transport = httpx.MockTransport(_overlapping(server) if overlapping else server)
    http = httpx.AsyncClient(transport=transport)
    opened.append(http)
    return BexioClient(
        http,
        api_url=API,
        tokens=FakeTokens("token-1"),
        limiter=limiter,
        company_key=company_key,
        sleep=server.clock.sleep,
    )


SEARCH = [BexioSearch(field="name_1", value="Muster")]


async def test_a_burst_of_1000_searches_waits_out_the_limit_with_no_429(
    http_clients: list[httpx.AsyncClient],
) -> None:
    # given bexio's search limit of 250 calls a minute
    clock = FakeClock()
    server = MinuteLimitedBexio(clock, {"search_pdf": 250, "article": 400, DEFAULT_GROUP: 1000})
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = _client(http_clients, server, limiter)

    # when 1,000 searches start at once
    results = await asyncio.gather(*(client.search_contacts(SEARCH) for _ in range(1000)))

    # then all succeed, bexio never had to refuse one, and it took 4 windows of 250
    assert len(results) == 1000
    assert server.rejected == 0
    assert server.served["search_pdf"] == 1000
    assert max(server.counts.values()) <= 250
    assert 3 * WINDOW <= clock.elapsed <= 4 * WINDOW


async def test_a_burst_of_overlapping_calls_gets_no_429_either(
    http_clients: list[httpx.AsyncClient],
) -> None:
    # given calls that are still in flight while others start; simulated time can jump past
    # them (like a very slow network), so only the lower bound on the duration is tight
    clock = FakeClock()
    server = MinuteLimitedBexio(clock, {"search_pdf": 250, "article": 400, DEFAULT_GROUP: 1000})
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = _client(http_clients, server, limiter, overlapping=True)

    results = await asyncio.gather(*(client.search_contacts(SEARCH) for _ in range(1000)))

    assert len(results) == 1000
    assert server.rejected == 0
    assert max(server.counts.values()) <= 250
    assert clock.elapsed >= 3 * WINDOW


async def test_a_burst_in_one_group_does_not_slow_another(
    http_clients: list[httpx.AsyncClient],
) -> None:
    clock = FakeClock()
    server = MinuteLimitedBexio(clock, {"search_pdf": 250, "article": 400, DEFAULT_GROUP: 1000})
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = _client(http_clients, server, limiter)
    await asyncio.gather(*(client.search_contacts(SEARCH) for _ in range(250)))

    await asyncio.gather(*(client.list_units() for _ in range(500)))

    assert clock.elapsed == 0
    assert server.rejected == 0


@pytest.mark.parametrize("overlapping", [False, True], ids=["sequential", "concurrent"])
async def test_calls_of_another_app_seen_in_the_headers_slow_this_one_down(
    http_clients: list[httpx.AsyncClient], overlapping: bool
) -> None:
    # given another app of the company already spent 200 of the 250 searches of this minute
    clock = FakeClock()
    window = math.floor(clock.now / WINDOW)
    limits = {"search_pdf": 250, "article": 400, DEFAULT_GROUP: 1000}
    server = MinuteLimitedBexio(clock, limits, others=200, first_window=window)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = _client(http_clients, server, limiter, overlapping=overlapping)

    # when this app searches 300 times at once
    await asyncio.gather(*(client.search_contacts(SEARCH) for _ in range(300)))

    # then it waited for bexio's window to reset instead of collecting 429s
    assert server.rejected == 0
    assert server.served["search_pdf"] == 300
    assert clock.now >= (window + 1) * WINDOW


async def test_a_lower_limit_announced_by_bexio_is_adopted(
    http_clients: list[httpx.AsyncClient],
) -> None:
    clock = FakeClock()
    server = MinuteLimitedBexio(clock, {"search_pdf": 250, "article": 400, DEFAULT_GROUP: 100})
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    client = _client(http_clients, server, limiter)

    await asyncio.gather(*(client.list_units() for _ in range(300)))

    assert limiter.limit("shop-1", DEFAULT_GROUP) == 100
    assert server.rejected == 0
    assert 2 * WINDOW <= clock.elapsed <= 3 * WINDOW


async def test_companies_have_separate_budgets(http_clients: list[httpx.AsyncClient]) -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, groups=(), default_per_minute=10)

    for key in ("shop-1", "shop-2"):
        for _ in range(10):
            await limiter.acquire(key, DEFAULT_GROUP)
            limiter.release(key, DEFAULT_GROUP, None)

    assert clock.elapsed == 0


# --- the limiter on its own ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("POST", "/2.0/contact/search", "search_pdf"),
        ("POST", "/2.0/kb_invoice/search", "search_pdf"),
        ("POST", "/2.0/article/search", "search_pdf"),
        ("GET", "/2.0/kb_invoice/5/pdf", "search_pdf"),
        ("GET", "/2.0/article", "article"),
        ("POST", "/2.0/article/12", "article"),
        ("POST", "/2.0/country/search", DEFAULT_GROUP),
        ("POST", "/2.0/accounts/search", DEFAULT_GROUP),
        ("GET", "/2.0/contact/1", DEFAULT_GROUP),
        ("GET", "/3.0/taxes", DEFAULT_GROUP),
    ],
)
def test_calls_are_counted_in_the_group_bexios_headers_show(
    method: str, path: str, group: str
) -> None:
    assert RateLimiter().group_for(method, path) == group


async def test_the_window_holds_at_most_the_configured_calls() -> None:
    clock = FakeClock(0.0)
    groups = (EndpointGroup("slow", 3, r"/slow"),)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, groups=groups)
    times = []

    for _ in range(7):
        await limiter.acquire("shop-1", "slow")
        limiter.release("shop-1", "slow", None)
        times.append(clock.now)

    assert times == [0, 0, 0, 60, 60, 60, 120]


async def test_remaining_zero_waits_until_bexios_reset_plus_margin() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, reset_margin=1.0)
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    limiter.release(
        "shop-1",
        DEFAULT_GROUP,
        {"ratelimit-limit": "1000", "ratelimit-remaining": "0", "ratelimit-reset": "20"},
    )
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    assert clock.now == 21.0


async def test_without_bexios_headers_one_call_per_group_is_in_flight() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    second = asyncio.create_task(limiter.acquire("shop-1", DEFAULT_GROUP))
    await asyncio.sleep(0)
    assert not second.done()
    limiter.release("shop-1", DEFAULT_GROUP, None)
    await second

    assert clock.now == 0.0


async def test_calls_in_flight_count_against_the_remaining_budget() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep, probes=2)
    await limiter.acquire("shop-1", DEFAULT_GROUP)
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    limiter.release(
        "shop-1",
        DEFAULT_GROUP,
        {"RateLimit-Limit": "1000", "RateLimit-Remaining": "1", "RateLimit-Reset": "30"},
    )
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    assert clock.now == 31.0


async def test_back_off_holds_the_group() -> None:
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)

    limiter.back_off("shop-1", "search_pdf", 7)
    await limiter.acquire("shop-1", "search_pdf")
    await limiter.acquire("shop-1", DEFAULT_GROUP)

    assert clock.now == 7.0


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        RateLimiter(default_per_minute=0)
    with pytest.raises(ValueError):
        RateLimiter(probes=0)


def test_one_limiter_is_shared_by_the_process() -> None:
    assert shared_rate_limiter() is shared_rate_limiter()
