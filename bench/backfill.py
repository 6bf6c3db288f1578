"""Backfill at the rate limit: a backfill of many orders against bexio's per-minute limit.

The app runs in this process (bench/shop.py) with its real worker, backfill job, bexio client
and rate limiter; Saleor is the double (with `--orders` orders) and bexio the emulator with a
company-wide limit of `--limit` calls per minute. bexio's minute is time-compressed: the
emulator's clock and the rate limiter's clock and sleeps run `60 / --window` times faster, so a
"minute" lasts `--window` seconds of real time and every figure below is in those minutes.
Both sides see the same compressed time, so the RateLimit headers bexio sends and the waits
the limiter computes stay consistent. The app's own clock (job scheduling, leases) is real.

Printed: the bexio calls carried out per (compressed) minute over the minutes the backfill was
running (the first and the last, partial minutes left out), as a fraction of the limit; the 429
answers (which bexio does not count against the limit); the jobs that failed (parked).
Targets: at least 90 % of the limit, no failed job.

The default is 300 orders (about two minutes); `--orders 2000` is the full-size run.

    python -m bench.backfill [--orders 300] [--limit 150] [--window 6] [--one-bucket]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.shop import in_process_app
from bench.stats import ratio, table
from saleor_bexio_app.bexio.limiter import DEFAULT_GROUPS, RateLimiter
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.backfill import BackfillEntity, backfill_progress, start_backfill
from saleor_bexio_app.store.tables import JobRow
from saleor_bexio_app.web.app import make_worker
from tests.web.conftest import Harness
from tests.web.shop import ready_shop

TARGET = 0.9
SHOP = InstallationId(1)
SINCE = date(2026, 3, 1)
API_PREFIXES = ("/2.0/", "/3.0/", "/4.0/")


class CompressedTime:
    """Wall-clock and monotonic time running `speed` times faster from now on, and a sleep
    that lasts 1/`speed` of what it is asked for."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self._wall = time.time()
        self._mono = time.monotonic()

    def time(self) -> float:
        return self._wall + (time.time() - self._wall) * self.speed

    def monotonic(self) -> float:
        return self._mono + (time.monotonic() - self._mono) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


class CallLog:
    """ASGI middleware in front of the emulator: (compressed time, status) per API call."""

    def __init__(self, app: ASGIApp, clock: CompressedTime) -> None:
        self._app = app
        self._clock = clock
        self.calls: list[tuple[float, int]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIXES):
            await self._app(scope, receive, send)
            return

        async def recording(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.calls.append((self._clock.time(), int(message["status"])))
            await send(message)

        await self._app(scope, receive, recording)


@dataclass
class Result:
    orders: int
    limit: int
    window: float
    per_minute: list[int]
    limited_per_minute: list[int]
    statuses: Counter[int]
    failed_jobs: int
    backfill_status: str
    synced: int
    seconds: float

    @property
    def mean_per_minute(self) -> float:
        return sum(self.per_minute) / len(self.per_minute) if self.per_minute else math.nan

    @property
    def fraction(self) -> float:
        return ratio(self.mean_per_minute, self.limit)


async def _unfinished(harness: Harness) -> tuple[int, int]:
    """(jobs queued or running, jobs parked)."""
    async with harness.services.sessions() as session:
        counts = dict(
            (await session.execute(select(JobRow.state, func.count()).group_by(JobRow.state))).all()
        )
    return counts.get("queued", 0) + counts.get("running", 0), counts.get("parked", 0)


async def run(
    orders: int = 300,
    limit: int = 150,
    window: float = 6.0,
    concurrency: int = 4,
    one_bucket: bool = False,
) -> Result:
    """Backfill `orders` orders against a limit of `limit` calls per `window`-second minute.

    `one_bucket`: the limiter counts all calls in one bucket, as the emulator does, instead of
    its default endpoint groups (searches apart from other calls, as bexio reports them).
    """
    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        env = {"WORKER_CONCURRENCY": str(concurrency)}
        async with in_process_app(Path(tmp), **env) as harness:
            return await _backfill(harness, orders, limit, window, one_bucket)


async def _backfill(
    harness: Harness, orders: int, limit: int, window: float, one_bucket: bool
) -> Result:
    double, _, emulator = await ready_shop(harness)
    for index in range(orders):
        double.add_order(userEmail=f"backfill{index}@example.ch")
    compressed = CompressedTime(60.0 / window)
    emulator.clock = compressed.time
    emulator.rate_limit_per_minute = limit
    services = harness.services
    services.limiter = RateLimiter(
        groups=() if one_bucket else DEFAULT_GROUPS,
        clock=compressed.monotonic,
        sleep=compressed.sleep,
    )
    log = CallLog(emulator.app, compressed)
    harness.network.add_host("bexio.test", log)

    started = time.monotonic()
    await start_backfill(services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock())
    stop = asyncio.Event()
    worker = asyncio.create_task(make_worker(services, with_schedules=False).run(stop))
    try:
        while True:
            await asyncio.sleep(0.5)
            if worker.done():
                worker.result()
                raise RuntimeError("the worker stopped before the backfill was done")
            pending, parked = await _unfinished(harness)
            if pending == 0:
                break
    finally:
        stop.set()
        await worker
    seconds = time.monotonic() - started
    [progress] = await backfill_progress(services.sessions, SHOP)
    return Result(
        orders=orders,
        limit=limit,
        window=window,
        per_minute=_full_minutes(log.calls, rate_limited=False),
        limited_per_minute=_full_minutes(log.calls, rate_limited=True),
        statuses=Counter(status for _, status in log.calls),
        failed_jobs=parked,
        backfill_status=progress.status,
        synced=len(emulator.invoices),
        seconds=seconds,
    )


def _full_minutes(calls: Sequence[tuple[float, int]], *, rate_limited: bool) -> list[int]:
    """Per minute (bexio's fixed windows, the first and the last minute left out): the calls
    bexio carried out, or with `rate_limited` those it answered 429 (which it does not count
    against the limit)."""
    if not calls:
        return []
    every = Counter(int(at // 60) for at, _ in calls)
    first, last = min(every), max(every)
    minutes = Counter(int(at // 60) for at, code in calls if (code == 429) == rate_limited)
    return [minutes.get(minute, 0) for minute in range(first + 1, last)]


def report(result: Result) -> str:
    """The printed figures and the targets."""
    rate_limited = result.statuses.get(429, 0)
    rows = [
        ["orders backfilled (invoices in bexio)", f"{result.synced} of {result.orders}"],
        ["backfill status", result.backfill_status],
        [
            "run time",
            f"{result.seconds:.0f} s = {result.seconds / result.window:.1f} bexio minutes",
        ],
        ["bexio calls (429 answers included)", str(sum(result.statuses.values()))],
        ["full minutes measured", str(len(result.per_minute))],
        [
            "calls carried out per minute, each full minute",
            " ".join(str(n) for n in result.per_minute),
        ],
        [
            "calls carried out per minute, mean",
            f"{result.mean_per_minute:.0f} of {result.limit} = {result.fraction:.0%}",
        ],
        ["429 answers", str(rate_limited)],
        ["429 answers, each full minute", " ".join(str(n) for n in result.limited_per_minute)],
        ["failed (parked) jobs", str(result.failed_jobs)],
    ]
    met = result.fraction >= TARGET and result.failed_jobs == 0
    return "\n".join(
        [
            f"backfill at the rate limit: limit {result.limit} calls/minute, one minute = "
            f"{result.window:g} s real time",
            table(["", ""], rows),
            f"target >= {TARGET:.0%} of the limit with no failed job: {'met' if met else 'MISSED'}",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.backfill", description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--limit", type=int, default=150, help="bexio calls per minute")
    parser.add_argument("--window", type=float, default=6.0, help="real seconds per minute")
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY")
    parser.add_argument(
        "--one-bucket",
        action="store_true",
        help="the limiter counts every call in one bucket, like the emulator",
    )
    args = parser.parse_args(argv)
    result = asyncio.run(
        run(args.orders, args.limit, args.window, args.concurrency, args.one_bucket)
    )
    print(report(result))


if __name__ == "__main__":
    main()
