"""Load generator: replays pre-signed requests over many keep-alive HTTP/1.1 connections.

Runs as its own process (`python -m bench.load`), so it never shares an event loop or a GIL
with the server it measures, and prints one JSON object with its figures. The client is a
minimal asyncio HTTP/1.1 writer and reader rather than httpx: httpx spends more CPU per
request than a bare Starlette endpoint does, so it would cap the baseline instead of the
server (on two cores the generator and the server share the machine either way).

Two modes:
- closed loop (default): each connection sends its next request as soon as the previous
  answer arrived; the figure is throughput, with latency per request.
- fixed rate (`--rate`): requests are due at a fixed rate whatever the answers do; latency
  counts from the time a request was due, so a server that falls behind shows it (no
  coordinated omission).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bench.stats import percentile


@dataclass
class Recorded:
    """What a run saw: latencies in seconds, statuses, coalesced jobs, transport errors."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    coalesced: int = 0
    transport_errors: int = 0


def encode_requests(host: str, port: int, requests: Sequence[dict[str, Any]]) -> list[bytes]:
    """Raw HTTP/1.1 requests from {"path", "headers", "body"} records (body: text)."""
    encoded = []
    for request in requests:
        body = request["body"].encode()
        lines = [f"POST {request['path']} HTTP/1.1", f"Host: {host}:{port}"]
        lines += [f"{name}: {value}" for name, value in request["headers"].items()]
        lines.append(f"Content-Length: {len(body)}")
        encoded.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    return encoded


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        try:
            self._writer.write(request)
            head = await self._reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length, close = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await self._reader.readexactly(length) if length else b""
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            self.close()
            raise
        if close:
            self.close()
        return status, body

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def _one(connection: _Connection, request: bytes, since: float, seen: Recorded) -> None:
    try:
        status, body = await connection.exchange(request)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        seen.transport_errors += 1
        return
    seen.latencies.append(time.perf_counter() - since)
    seen.statuses[status] += 1
    if b'"coalesced":true' in body:
        seen.coalesced += 1


async def closed_loop(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    seconds: float,
    start: int = 0,
) -> tuple[Recorded, float, int]:
    """Every connection sends back to back for `seconds`, taking requests in turn from
    `start`; returns what it saw, the time it took and where the next request would be."""
    seen = Recorded()
    position = start
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        nonlocal position
        connection = _Connection(host, port)
        try:
            while time.perf_counter() < deadline:
                request = requests[position % len(requests)]
                position += 1
                await _one(connection, request, time.perf_counter(), seen)
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return seen, time.perf_counter() - started, position


async def fixed_rate(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    connections: int,
    seconds: float,
    rate: float,
) -> tuple[Recorded, float]:
    """`rate` requests per second for `seconds`; latency counts from when each was due."""
    seen = Recorded()
    due: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
    count = int(rate * seconds)
    started = time.perf_counter()

    async def scheduler() -> None:
        for index in range(count):
            at = started + index / rate
            delay = at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            due.put_nowait((at, requests[index % len(requests)]))
        for _ in range(connections):
            due.put_nowait(None)

    async def worker() -> None:
        connection = _Connection(host, port)
        try:
            while (item := await due.get()) is not None:
                await _one(connection, item[1], item[0], seen)
        finally:
            connection.close()

    await asyncio.gather(scheduler(), *(worker() for _ in range(connections)))
    return seen, time.perf_counter() - started


def summary(seen: Recorded, elapsed: float) -> dict[str, Any]:
    """The figures a run prints: requests, throughput, p50/p99 in ms, statuses."""
    done = len(seen.latencies)
    return {
        "requests": done,
        "seconds": round(elapsed, 3),
        "per_second": round(done / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(seen.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(seen.latencies, 0.99) * 1000, 2),
        "max_ms": round(max(seen.latencies, default=0.0) * 1000, 2),
        "statuses": {str(status): n for status, n in sorted(seen.statuses.items())},
        "coalesced": seen.coalesced,
        "transport_errors": seen.transport_errors,
    }


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    parts = urlsplit(args.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    records = [json.loads(line) for line in Path(args.requests).read_text().splitlines() if line]
    requests = encode_requests(host, port, records)
    start = 0
    if args.warmup > 0:
        *_, start = await closed_loop(
            host, port, requests, connections=args.connections, seconds=args.warmup
        )
    if args.rate:
        seen, elapsed = await fixed_rate(
            host,
            port,
            requests,
            connections=args.connections,
            seconds=args.seconds,
            rate=args.rate,
        )
    else:
        seen, elapsed, _ = await closed_loop(
            host, port, requests, connections=args.connections, seconds=args.seconds, start=start
        )
    return summary(seen, elapsed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--url", required=True, help="server base URL, e.g. http://127.0.0.1:8000")
    parser.add_argument("--requests", required=True, help="JSON lines: path, headers, body")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.0, help="seconds of unmeasured load")
    parser.add_argument("--rate", type=float, default=0.0, help="fixed requests per second")
    args = parser.parse_args(argv)
    json.dump(asyncio.run(_main(args)), sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
