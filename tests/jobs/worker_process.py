"""A worker process for the multi-process tests: `python worker_process.py DB_URL MODE [options]`.

Handlers report what they did in probe tables, so the test can check the engine's promises
from outside the processes:
- `serial`: kinds k00..kNN; a handler claims its key in `probe_busy` (primary key) on entry and
  frees it on exit, so a second handler on the same key at the same time is a violation;
- `block`: the first attempt of a `block` job hangs (the test kills the process), later ones finish;
- `schedule`: fires a `tick` schedule with a short period and records each run's due time.
SIGTERM stops the worker gracefully.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import time
from datetime import timedelta

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.jobs.schedules import Schedule
from saleor_bexio_app.jobs.worker import HandlerRegistry, Worker
from saleor_bexio_app.store.db import create_engine

probes = MetaData()
probe_ready = Table("probe_ready", probes, Column("pid", Integer, primary_key=True))
probe_busy = Table(
    "probe_busy",
    probes,
    Column("installation_id", Integer, primary_key=True),
    Column("key", String(100), primary_key=True),
)
probe_runs = Table(
    "probe_runs",
    probes,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("key", String(100), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started", Float, nullable=False),
    Column("ended", Float),
    Column("note", String(100)),
)
probe_violations = Table(
    "probe_violations",
    probes,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("job_id", Integer, nullable=False),
    Column("key", String(100), nullable=False),
)

TICK = "tick"


class Probe:
    """Writes what a handler saw, each in its own short transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def ready(self) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(insert(probe_ready).values(pid=os.getpid()))

    async def enter(self, job: Job) -> bool:
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    insert(probe_busy).values(installation_id=job.installation_id, key=job.key)
                )
        except IntegrityError:
            async with self.engine.begin() as connection:
                await connection.execute(
                    insert(probe_violations).values(job_id=job.id, key=job.key)
                )
            return False
        return True

    async def leave(self, job: Job) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(probe_busy).where(
                    probe_busy.c.installation_id == job.installation_id,
                    probe_busy.c.key == job.key,
                )
            )

    async def run(self, job: Job, started: float, ended: float | None, note: str = "") -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                insert(probe_runs).values(
                    job_id=job.id,
                    kind=job.kind,
                    key=job.key,
                    attempts=job.attempts,
                    pid=os.getpid(),
                    started=started,
                    ended=ended,
                    note=note,
                )
            )


def _registry(mode: str, probe: Probe, kinds: int) -> HandlerRegistry:
    registry = HandlerRegistry()

    async def serial(job: Job) -> None:
        started = time.time()
        owned = await probe.enter(job)
        await asyncio.sleep(random.uniform(0.001, 0.01))
        ended = time.time()
        await probe.run(job, started, ended)
        if owned:
            await probe.leave(job)

    async def block(job: Job) -> None:
        if job.attempts == 1:
            await probe.run(job, time.time(), None)
            await asyncio.sleep(3600)
        await probe.run(job, time.time(), time.time())

    async def tick(job: Job) -> None:
        await probe.run(job, time.time(), time.time(), note=str(job.payload["due_at"]))

    if mode == "serial":
        for n in range(kinds):
            registry.register(f"k{n:02d}", serial)
    elif mode == "block":
        registry.register("block", block)
    else:
        registry.register(TICK, tick)
    return registry


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("mode", choices=["serial", "block", "schedule"])
    parser.add_argument("--kinds", type=int, default=60)
    parser.add_argument("--lease", type=float, default=30.0)
    parser.add_argument("--period", type=float, default=0.5)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()

    engine = create_engine(args.url)
    probe = Probe(engine)
    schedules = [Schedule(TICK, timedelta(seconds=args.period))] if args.mode == "schedule" else []
    worker = Worker(
        engine,
        _registry(args.mode, probe, args.kinds),
        concurrency=args.concurrency,
        lease_seconds=args.lease,
        max_attempts=5,
        backoff_base=0.1,
        backoff_max=1.0,
        poll_interval=0.05,
        schedules=schedules,
        grace_seconds=5.0,
    )
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        await probe.ready()
        await worker.run(stop)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
