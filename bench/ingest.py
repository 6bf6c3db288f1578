"""Webhook ingest: signed Saleor webhooks per second and latency through the real endpoint.

`saleor-bexio serve` (embedded worker off: only the route's own work, verify + store one job)
on SQLite and on PostgreSQL, against a bare Starlette endpoint that only answers 200 (the
baseline), all three in this run on this machine. Each server gets a closed-loop run (throughput,
p50/p99) and a fixed-rate run (p99 at `--rate` requests per second). Every request is a distinct
ORDER_CREATED delivery signed by the Saleor double with its RS256 key; the closed loop cycles
through its pool, so once the pool is used up later deliveries coalesce with the queued job
(counted in the output). The load generator is its own process (bench/load.py).

    python -m bench.ingest [--seconds 5] [--rate 200] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import tempfile
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.servers import (
    Server,
    install,
    new_postgres_database,
    postgres_server,
    run_load,
    running,
    start_app,
    start_bare,
)
from bench.stats import ratio, table
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble, global_id
from tests.net import free_port, serving

THROUGHPUT_TARGET = 0.5  # of the bare endpoint's
P99_TARGET_MS = 50.0
EVENT = "ORDER_CREATED"


@dataclass(frozen=True)
class Options:
    seconds: float = 5.0
    warmup: float = 1.0
    connections: int = 32
    rate: float = 200.0
    pool: int = 1500
    databases: tuple[str, ...] = ("sqlite", "postgres")
    postgres_url: str | None = None


@dataclass(frozen=True)
class Requests:
    """Pre-signed deliveries as JSON-lines files: one pool for the closed loop, one for the
    fixed-rate run (distinct orders, so it never coalesces with the closed loop's jobs)."""

    closed: Path
    fixed: Path


def signed_deliveries(double: SaleorDouble, app_id: str, first: int, count: int) -> list[str]:
    """JSON lines of `count` signed ORDER_CREATED deliveries for orders first, first+1, ..."""
    now = datetime.now(UTC).isoformat()
    slug = EVENT.lower().replace("_", "-")
    lines = []
    for number in range(first, first + count):
        payload = {
            "__typename": "OrderCreated",
            "issuedAt": now,
            "version": double.version,
            "recipient": {"id": app_id},
            "order": {
                "id": global_id("Order", number),
                "number": str(number),
                "status": "UNFULFILLED",
                "updatedAt": now,
            },
        }
        headers, body = double.webhook(EVENT, payload)
        record = {"path": f"/api/webhooks/{slug}", "headers": headers, "body": body.decode()}
        lines.append(json.dumps(record))
    return lines


def write_requests(double: SaleorDouble, app_id: str, options: Options, into: Path) -> Requests:
    """Sign enough deliveries for the closed loop's pool and the whole fixed-rate run."""
    fixed_count = max(1, math.ceil(options.rate * options.seconds))
    requests = Requests(into / "closed.jsonl", into / "fixed.jsonl")
    closed = signed_deliveries(double, app_id, 1, options.pool)
    requests.closed.write_text("\n".join(closed) + "\n")
    fixed = signed_deliveries(double, app_id, options.pool + 1, fixed_count)
    requests.fixed.write_text("\n".join(fixed) + "\n")
    return requests


@contextlib.asynccontextmanager
async def saleor_double() -> AsyncIterator[SaleorDouble]:
    """A Saleor double on a loopback port, served from this process's event loop."""
    port = free_port()
    double = SaleorDouble(f"http://127.0.0.1:{port}/graphql/")
    async with serving(double.app, port):
        yield double


async def measure(server: Server, requests: Requests, options: Options) -> dict[str, Any]:
    """A closed-loop and a fixed-rate run against one server."""
    closed = await run_load(
        server.url,
        requests.closed,
        seconds=options.seconds,
        connections=options.connections,
        warmup=options.warmup,
    )
    fixed = await run_load(
        server.url,
        requests.fixed,
        seconds=options.seconds,
        connections=options.connections,
        rate=options.rate,
    )
    return {"closed": closed, "fixed": fixed}


async def _database_urls(
    options: Options, workdir: Path, stack: contextlib.AsyncExitStack
) -> dict[str, str]:
    urls = {}
    for database in options.databases:
        if database == "sqlite":
            urls[database] = f"sqlite+aiosqlite:///{workdir / 'ingest.sqlite3'}"
        elif database == "postgres":
            server = stack.enter_context(postgres_server(options.postgres_url))
            urls[database] = await new_postgres_database(server)
        else:
            raise ValueError(f"unknown database {database!r}: use sqlite or postgres")
    return urls


async def run(options: Options) -> dict[str, dict[str, Any]]:
    """Figures per server: "bare", then "sqlite" and/or "postgres"."""
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        async with contextlib.AsyncExitStack() as stack:
            double = await stack.enter_async_context(saleor_double())
            urls = await _database_urls(options, workdir, stack)
            # Saleor creates the app (and its id) before it calls /api/register. Each server
            # has its own database, so the same app can be registered with each of them and
            # the same signed deliveries replayed against all three.
            installed = double.install_app()
            requests = write_requests(double, installed.id, options, workdir)
            async with running(start_bare(workdir)) as bare:
                results["bare"] = await measure(bare, requests, options)
            for database, url in urls.items():
                async with running(start_app(database, url, workdir, embedded_worker=False)) as app:
                    await install(app, double, installed)
                    results[database] = await measure(app, requests, options)
    return results


def report(results: dict[str, dict[str, Any]], options: Options) -> str:
    """The printed figures: one row per server, ratios against bare, the targets."""
    bare = results["bare"]["closed"]["per_second"]
    rows = []
    for name, figures in results.items():
        closed, fixed = figures["closed"], figures["fixed"]
        not_ok = sum(n for status, n in closed["statuses"].items() if status != "200")
        not_ok += sum(n for status, n in fixed["statuses"].items() if status != "200")
        rows.append(
            [
                name,
                f"{closed['per_second']:.0f}",
                f"{ratio(closed['per_second'], bare):.2f}",
                f"{closed['p50_ms']:.1f}",
                f"{closed['p99_ms']:.1f}",
                f"{fixed['per_second']:.0f}",
                f"{fixed['p50_ms']:.1f}",
                f"{fixed['p99_ms']:.1f}",
                str(closed["coalesced"]),
                str(not_ok + closed["transport_errors"] + fixed["transport_errors"]),
            ]
        )
    header = [
        "server",
        "req/s",
        "x bare",
        "p50 ms",
        "p99 ms",
        f"@{options.rate:.0f}/s req/s",
        "p50 ms",
        "p99 ms",
        "coalesced",
        "errors",
    ]
    lines = [
        f"webhook ingest: closed loop {options.connections} connections {options.seconds:g} s "
        f"(+{options.warmup:g} s warm-up), then fixed rate {options.rate:g}/s for "
        f"{options.seconds:g} s",
        table(header, rows),
    ]
    for name, figures in results.items():
        if name == "bare":
            continue
        share = ratio(figures["closed"]["per_second"], bare)
        p99 = figures["fixed"]["p99_ms"]
        lines.append(
            f"{name}: throughput {share:.0%} of bare (target >= {THROUGHPUT_TARGET:.0%}: "
            f"{_verdict(share >= THROUGHPUT_TARGET)}); p99 at {options.rate:g}/s {p99:.1f} ms "
            f"(target < {P99_TARGET_MS:g} ms: {_verdict(p99 < P99_TARGET_MS)})"
        )
    return "\n".join(lines)


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    defaults = Options()
    parser.add_argument("--seconds", type=float, default=defaults.seconds)
    parser.add_argument("--warmup", type=float, default=defaults.warmup)
    parser.add_argument("--connections", type=int, default=defaults.connections)
    parser.add_argument("--rate", type=float, default=defaults.rate)
    parser.add_argument("--pool", type=int, default=defaults.pool, help="distinct deliveries")
    parser.add_argument("--databases", default=",".join(defaults.databases))
    parser.add_argument(
        "--postgres-url",
        default=None,
        help="an existing server, e.g. postgresql+asyncpg://postgres@127.0.0.1:5432 "
        "(default: a private cluster started here)",
    )
    args = parser.parse_args(argv)
    return Options(
        seconds=args.seconds,
        warmup=args.warmup,
        connections=args.connections,
        rate=args.rate,
        pool=args.pool,
        databases=tuple(d.strip() for d in args.databases.split(",") if d.strip()),
        postgres_url=args.postgres_url,
    )


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(argv)
    print(report(asyncio.run(run(options)), options))


if __name__ == "__main__":
    main()
