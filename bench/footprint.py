"""Footprint: start-up time and resident memory of `saleor-bexio serve` (embedded worker on).

Start-up: seconds from starting the process to the first 200 on /api/manifest, `--runs`
times, alternating with the baseline (bench/bare.py: uvicorn serving a bare Starlette app)
so both see the same machine load; medians and their ratio. The app's first run creates and
migrates its SQLite database; later runs reuse it, as a restart does (the first run is also
shown on its own).

Memory: resident set size (VmRSS from /proc) of the app and of the baseline, idle after
start-up (the app installed into a Saleor double) and while bench/load.py sends signed
webhooks for `--seconds` (closed loop; RSS sampled every 100 ms, and the kernel's high-water
mark VmHWM). The app's embedded worker takes the jobs as they come; the shop is not connected
to bexio, so each job ends in the error log, which is part of the work measured.

    python -m bench.footprint [--runs 5] [--seconds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.ingest import Options, saleor_double, write_requests
from bench.servers import Server, install, run_load, running, start_app, start_bare
from bench.stats import ratio, table


@dataclass
class Memory:
    """KiB: idle after start-up, the most sampled under load, VmHWM, after the load."""

    idle: int = 0
    loaded_max: int = 0
    high_water: int = 0
    after: int = 0
    requests_per_second: float = 0.0


@dataclass
class Result:
    app_starts: list[float] = field(default_factory=list)
    bare_starts: list[float] = field(default_factory=list)
    app_memory: Memory = field(default_factory=Memory)
    bare_memory: Memory = field(default_factory=Memory)
    seconds: float = 0.0


async def _sample_while(server: Server, task: asyncio.Task[object], into: Memory) -> None:
    while not task.done():
        into.loaded_max = max(into.loaded_max, server.rss_kib())
        await asyncio.sleep(0.1)


async def _memory(
    server: Server, requests: Path, seconds: float, connections: int, settle: float
) -> Memory:
    memory = Memory()
    await asyncio.sleep(settle)  # start-up work (the worker's first polls) settles
    memory.idle = server.rss_kib()
    load = asyncio.create_task(
        run_load(server.url, requests, seconds=seconds, connections=connections)
    )
    await _sample_while(server, load, memory)
    figures = await load
    memory.requests_per_second = float(figures["per_second"])
    memory.high_water = server.peak_rss_kib()
    memory.after = server.rss_kib()
    return memory


async def run(
    runs: int = 5, seconds: float = 5.0, connections: int = 32, settle: float = 2.0
) -> Result:
    """Start-up times (`runs` each) and memory idle (`settle` seconds after start-up) and
    under `seconds` of ingest load."""
    result = Result(seconds=seconds)
    with tempfile.TemporaryDirectory(prefix="bench-footprint-") as tmp:
        workdir = Path(tmp)
        database = f"sqlite+aiosqlite:///{workdir / 'footprint.sqlite3'}"
        for _ in range(runs):
            async with running(start_app("app", database, workdir, embedded_worker=True)) as app:
                result.app_starts.append(app.started_in)
            async with running(start_bare(workdir)) as bare:
                result.bare_starts.append(bare.started_in)
        async with contextlib.AsyncExitStack() as stack:
            double = await stack.enter_async_context(saleor_double())
            installed = double.install_app()
            pool = max(100, int(seconds * 400))
            requests = write_requests(double, installed.id, Options(pool=pool, rate=1), workdir)
            async with running(start_app("app", database, workdir, embedded_worker=True)) as app:
                await install(app, double, installed)
                result.app_memory = await _memory(
                    app, requests.closed, seconds, connections, settle
                )
            async with running(start_bare(workdir)) as bare:
                result.bare_memory = await _memory(
                    bare, requests.closed, seconds, connections, settle
                )
    return result


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def report(result: Result) -> str:
    """The printed figures: start-up medians and memory, each against the baseline."""
    app_median = statistics.median(result.app_starts)
    bare_median = statistics.median(result.bare_starts)
    starts = [
        [
            "saleor-bexio serve",
            f"{app_median:.2f}",
            f"{result.app_starts[0]:.2f}",
            " ".join(f"{s:.2f}" for s in result.app_starts),
            f"{ratio(app_median, bare_median):.1f}",
        ],
        [
            "bare uvicorn + Starlette",
            f"{bare_median:.2f}",
            f"{result.bare_starts[0]:.2f}",
            " ".join(f"{s:.2f}" for s in result.bare_starts),
            "1.0",
        ],
    ]
    app, bare = result.app_memory, result.bare_memory
    memory = [
        [
            "saleor-bexio serve",
            _mib(app.idle),
            _mib(app.loaded_max),
            _mib(app.high_water),
            _mib(app.after),
            f"{app.requests_per_second:.0f}",
        ],
        [
            "bare uvicorn + Starlette",
            _mib(bare.idle),
            _mib(bare.loaded_max),
            _mib(bare.high_water),
            _mib(bare.after),
            f"{bare.requests_per_second:.0f}",
        ],
    ]
    return "\n".join(
        [
            f"start-up to first 200 on /api/manifest, {len(result.app_starts)} runs each (s)",
            table(["server", "median", "first", "all runs", "x bare"], starts),
            "",
            f"resident memory (MiB), idle and under {result.seconds:g} s of webhook load",
            table(["server", "idle", "load max", "VmHWM", "after", "req/s"], memory),
            f"app / bare: idle {ratio(app.idle, bare.idle):.1f}x, "
            f"under load {ratio(app.loaded_max, bare.loaded_max):.1f}x",
        ]
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.footprint", description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=5.0, help="of load for memory")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args(argv)
    print(report(asyncio.run(run(args.runs, args.seconds, args.connections))))


if __name__ == "__main__":
    main()
