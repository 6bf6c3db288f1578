"""Several worker processes sharing one database (SQLite file or PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import signal
import subprocess
import sys
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.sql import FromClause

from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.schedules import period_start
from saleor_bexio_app.store.tables import Base, JobRow, ScheduleRow, SyncErrorRow, utcnow
from tests.jobs import worker_process
from tests.jobs.fakes import add_installation
from tests.jobs.worker_process import probe_ready, probe_runs, probe_violations, probes

pytestmark = pytest.mark.slow

SCRIPT = Path(worker_process.__file__)
Sessions = async_sessionmaker[AsyncSession]
Spawn = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start worker processes; whatever happens, none outlives the test."""
    started: list[subprocess.Popen[bytes]] = []

    def start(url: str, mode: str, *options: str) -> subprocess.Popen[bytes]:
        log = tmp_path / f"worker-{len(started)}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, str(SCRIPT), url, mode, *options],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.wait()


@pytest.fixture
async def url(engine: AsyncEngine) -> str:
    async with engine.begin() as connection:
        await connection.run_sync(probes.create_all)
    return engine.url.render_as_string(hide_password=False)


async def _count(sessions: Sessions, table: FromClause | type[Base]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.05)


async def _ready(sessions: Sessions, workers: int) -> None:
    async def all_ready() -> bool:
        return await _count(sessions, probe_ready) == workers

    await _until(all_ready, timeout=30)


def _stop(processes: list[subprocess.Popen[bytes]]) -> list[int]:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    return [process.wait(timeout=15) for process in processes]


async def test_three_worker_processes_never_run_one_key_twice_at_once(
    url: str, sessions: Sessions, spawn: Spawn
) -> None:
    # given: three workers of four slots each, then 300 jobs: 60 kinds on each of 5 keys
    workers = [spawn(url, "serial", "--kinds", "60") for _ in range(3)]
    await _ready(sessions, 3)
    shop = await add_installation(sessions)
    async with sessions.begin() as session:
        for n in range(60):
            for key in range(5):
                await queue.enqueue(
                    session,
                    installation_id=shop,
                    kind=f"k{n:02d}",
                    key=f"order-{key}",
                    now=utcnow(),
                )

    # when
    async def drained() -> bool:
        return await _count(sessions, JobRow) == 0

    await _until(drained, timeout=45)
    assert _stop(workers) == [0, 0, 0]

    # then: every job ran exactly once, never alongside another job on its key
    async with sessions() as session:
        runs = (await session.execute(select(probe_runs))).all()
    assert await _count(sessions, probe_violations) == 0
    assert len(runs) == 300
    assert len({run.job_id for run in runs}) == 300
    by_key: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for run in runs:
        by_key[run.key].append((run.started, run.ended))
    for intervals in by_key.values():
        intervals.sort()
        for (_, previous_end), (next_start, _) in itertools.pairwise(intervals):
            assert next_start >= previous_end
    assert len({run.pid for run in runs}) >= 2
    assert await _count(sessions, SyncErrorRow) == 0


async def test_a_killed_workers_job_is_taken_over_once_its_lease_expires(
    url: str, sessions: Sessions, spawn: Spawn
) -> None:
    # given: a worker with a 1 s lease hangs in a job
    shop = await add_installation(sessions)
    async with sessions.begin() as session:
        await queue.enqueue(
            session, installation_id=shop, kind="block", key="order-1", now=utcnow()
        )
    first = spawn(url, "block", "--lease", "1.0")

    async def hanging() -> bool:
        return await _count(sessions, probe_runs) == 1

    await _until(hanging, timeout=30)
    async with sessions() as session:
        [job] = (await session.execute(select(JobRow))).scalars().all()
    assert job.state == "running"
    assert job.worker_id is not None and f":{first.pid}:" in job.worker_id

    # when: it is killed, and another worker comes along
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    async with sessions() as session:
        lease_until = await session.scalar(select(JobRow.lease_until))
    assert lease_until is not None
    second = spawn(url, "block", "--lease", "1.0")

    async def done() -> bool:
        return await _count(sessions, JobRow) == 0

    await _until(done, timeout=30)
    assert _stop([second]) == [0]

    # then: the second worker ran it to completion, not before the lease ran out
    async with sessions() as session:
        runs = (await session.execute(select(probe_runs).order_by(probe_runs.c.id))).all()
    assert [(run.attempts, run.pid, run.ended is None) for run in runs] == [
        (1, first.pid, True),
        (2, second.pid, False),
    ]
    assert runs[1].started >= lease_until.timestamp()


async def test_three_worker_processes_fire_a_schedule_once_per_period(
    url: str, sessions: Sessions, spawn: Spawn
) -> None:
    # given: one shop, three workers firing a 0.8 s schedule (long enough for a loaded machine)
    period = 0.8
    shop = await add_installation(sessions)
    workers = [spawn(url, "schedule", "--period", str(period)) for _ in range(3)]
    await _ready(sessions, 3)

    # when
    began = utcnow()
    await asyncio.sleep(4.0)
    ended = utcnow()
    assert _stop(workers) == [0, 0, 0]

    # then: each period's job ran once, and (almost) no period was missed
    async with sessions() as session:
        notes = (await session.execute(select(probe_runs.c.note))).scalars().all()
        schedules = (await session.execute(select(ScheduleRow))).scalars().all()
    due = sorted(datetime.fromisoformat(note) for note in notes)
    assert len(due) == len(set(due))
    every = timedelta(seconds=period)
    assert all(moment == period_start(moment, every) for moment in due)
    periods_seen = (period_start(ended, every) - period_start(began, every)) // every
    assert len([moment for moment in due if moment >= began]) >= periods_seen - 2
    assert [row.name for row in schedules] == [f"tick:{shop}"]
