"""Periodic schedules: aligned periods, one firing per period however many workers look."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.jobs.schedules import Schedule, fire_due, period_start
from saleor_bexio_app.jobs.worker import HandlerRegistry, Worker
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.tables import JobRow, ScheduleRow
from tests.jobs.fakes import FakeClock, add_installation

Sessions = async_sessionmaker[AsyncSession]
POLL = Schedule("poll_bexio", every=timedelta(minutes=15))


async def _jobs(sessions: Sessions) -> list[JobRow]:
    async with sessions() as session:
        return list((await session.execute(select(JobRow).order_by(JobRow.id))).scalars())


async def _drain(sessions: Sessions) -> list[JobRow]:
    """Take every queued job out, as if a worker had run them."""
    jobs = await _jobs(sessions)
    async with sessions.begin() as session:
        for job in jobs:
            await session.delete(job)
    return jobs


@pytest.mark.parametrize(
    ("now", "every", "start"),
    [
        (datetime(2026, 1, 5, 9, 7, 31, tzinfo=UTC), timedelta(minutes=15), "09:00:00"),
        (datetime(2026, 1, 5, 9, 15, tzinfo=UTC), timedelta(minutes=15), "09:15:00"),
        (datetime(2026, 1, 5, 9, 7, 31, 900_000, tzinfo=UTC), timedelta(seconds=2), "09:07:30"),
        (datetime(2026, 1, 5, 9, 7, 31, 900_000, tzinfo=UTC), timedelta(hours=1), "09:00:00"),
    ],
)
def test_periods_start_on_boundaries_every_process_agrees_on(
    now: datetime, every: timedelta, start: str
) -> None:
    assert period_start(now, every).strftime("%H:%M:%S") == start
    assert period_start(now, every).tzinfo is UTC


def test_a_schedule_needs_a_positive_period() -> None:
    with pytest.raises(ValueError, match="poll"):
        Schedule("poll", every=timedelta(0))


async def test_a_schedule_fires_once_per_period_for_each_active_installation(
    sessions: Sessions, clock: FakeClock
) -> None:
    # given: two active shops and one uninstalled one
    active = {await add_installation(sessions), await add_installation(sessions)}
    await add_installation(sessions, status="uninstalled")

    # when: workers look every minute for 45 minutes
    fired = []
    for _ in range(45):
        fired.append(await fire_due(sessions, [POLL], clock()))
        clock.advance(60)
        jobs = await _drain(sessions)
        assert {job.installation_id for job in jobs} <= active

    # then: at first sight, then at 09:15, 09:30 (clock starts at 09:00)
    assert sum(fired) == 3 * 2
    assert [n for n in fired if n] == [2, 2, 2]
    async with sessions() as session:
        rows = (await session.execute(select(ScheduleRow))).scalars().all()
    assert {row.name for row in rows} == {POLL.name_for(shop) for shop in active}
    assert {row.next_run_at for row in rows} == {clock.now.replace(minute=45)}


async def test_the_enqueued_job_names_its_period_and_coalesces_with_an_unrun_one(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    clock.advance(7 * 60)
    await fire_due(sessions, [POLL], clock())
    clock.advance(15 * 60)
    await fire_due(sessions, [POLL], clock())

    [job] = await _jobs(sessions)
    assert (job.kind, job.key, job.installation_id) == (
        "poll_bexio",
        "schedule:poll_bexio",
        installation,
    )
    assert job.payload == {"due_at": "2026-01-05T09:00:00+00:00"}


async def test_a_worker_down_for_many_periods_fires_once_not_once_per_missed_period(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    assert await fire_due(sessions, [POLL], clock()) == 1
    await _drain(sessions)

    clock.advance(6 * 3600 + 60)
    assert await fire_due(sessions, [POLL], clock()) == 1
    assert await fire_due(sessions, [POLL], clock()) == 0

    async with sessions() as session:
        [row] = (await session.execute(select(ScheduleRow))).scalars().all()
    assert row.next_run_at == datetime(2026, 1, 5, 15, 15, tzinfo=UTC)
    assert row.last_fired_at == clock()


async def test_concurrent_firers_on_separate_connections_fire_each_period_once(
    engine: AsyncEngine, sessions: Sessions, clock: FakeClock
) -> None:
    # given: two shops and three workers with their own connections
    shops = {await add_installation(sessions), await add_installation(sessions)}
    url = engine.url.render_as_string(hide_password=False)
    engines = [create_engine(url) for _ in range(3)]
    firers = [session_factory(eng) for eng in engines]
    try:
        # when: all three look at the same instant, for ten periods
        fired_per_period = []
        for _ in range(10):
            counts = await asyncio.gather(*(fire_due(f, [POLL], clock()) for f in firers))
            fired_per_period.append(sum(counts))
            jobs = await _drain(sessions)
            assert sorted(job.installation_id for job in jobs) == sorted(shops)
            clock.advance(15 * 60)
    finally:
        for eng in engines:
            await eng.dispose()

    # then
    assert fired_per_period == [2] * 10


async def test_a_worker_fires_its_schedules_and_runs_the_jobs(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    seen: list[Job] = []

    async def poll(job: Job) -> None:
        seen.append(job)

    registry = HandlerRegistry()
    registry.register(POLL.kind, poll)
    worker = Worker(
        engine,
        registry,
        concurrency=1,
        lease_seconds=30,
        max_attempts=3,
        backoff_base=1,
        backoff_max=10,
        clock=clock,
        rng=random.Random(1),
        schedules=[POLL],
    )

    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    clock.advance(15 * 60)
    assert await worker.run_once() == 1

    assert [job.payload["due_at"] for job in seen] == [
        "2026-01-05T09:00:00+00:00",
        "2026-01-05T09:15:00+00:00",
    ]
    assert all(job.installation_id == installation for job in seen)
