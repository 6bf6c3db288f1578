"""The worker: outcome classification, leases and heartbeats, graceful shutdown."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import (
    AppError,
    AuthError,
    ConfigError,
    NotFoundError,
    RejectedError,
    TransientError,
)
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.jobs.worker import INTERNAL_MESSAGE, HandlerRegistry, Worker
from saleor_bexio_app.store.tables import JobRow, SyncErrorRow, utcnow
from tests.jobs.fakes import FakeClock

Sessions = async_sessionmaker[AsyncSession]
KIND = "sync_order"


def _worker(
    engine: AsyncEngine,
    handler: Callable[[Job], Awaitable[None]],
    clock: Callable[[], datetime] = utcnow,
    *,
    concurrency: int = 2,
    lease_seconds: float = 30.0,
    max_attempts: int = 3,
    grace_seconds: float = 0.2,
) -> Worker:
    registry = HandlerRegistry()
    registry.register(KIND, handler)
    return Worker(
        engine,
        registry,
        concurrency=concurrency,
        lease_seconds=lease_seconds,
        max_attempts=max_attempts,
        backoff_base=10.0,
        backoff_max=600.0,
        clock=clock,
        poll_interval=0.02,
        rng=random.Random(7),
        grace_seconds=grace_seconds,
    )


async def _enqueue(
    sessions: Sessions, installation: InstallationId, clock: FakeClock, key: str = "order-1"
) -> None:
    async with sessions.begin() as session:
        await queue.enqueue(session, installation_id=installation, kind=KIND, key=key, now=clock())


async def _jobs(sessions: Sessions) -> list[JobRow]:
    async with sessions() as session:
        return list((await session.execute(select(JobRow).order_by(JobRow.id))).scalars())


async def _errors(sessions: Sessions) -> list[SyncErrorRow]:
    async with sessions() as session:
        return list((await session.execute(select(SyncErrorRow))).scalars())


async def _until(condition: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not await condition():
            await asyncio.sleep(0.02)


def test_registry_refuses_a_second_handler_for_one_kind() -> None:
    async def handler(job: Job) -> None:
        return None

    registry = HandlerRegistry()
    registry.register(KIND, handler)

    with pytest.raises(ValueError, match=KIND):
        registry.register(KIND, handler)
    assert registry.kinds() == {KIND}
    assert registry.get(KIND) is handler
    assert registry.get("other") is None


async def test_a_job_that_succeeds_is_deleted(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    seen: list[Job] = []

    async def handler(job: Job) -> None:
        seen.append(job)

    await _enqueue(sessions, installation, clock)

    assert await _worker(engine, handler, clock).run_once() == 1

    assert [(job.kind, job.key, job.attempts) for job in seen] == [(KIND, "order-1", 1)]
    assert await _jobs(sessions) == []


async def test_a_transient_failure_is_retried_later_with_backoff(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    # given
    calls = 0

    async def handler(job: Job) -> None:
        nonlocal calls
        calls += 1
        raise TransientError("bexio is not reachable right now.", detail="HTTP 503")

    await _enqueue(sessions, installation, clock)
    worker = _worker(engine, handler, clock)

    # when: the first attempt fails; nothing is due until the backoff has passed
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0

    # then
    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.reason) == ("queued", 1, "transient")
    assert row.user_message == "bexio is not reachable right now."
    assert clock() + timedelta(seconds=5) <= row.run_at <= clock() + timedelta(seconds=10)
    clock.now = row.run_at
    assert await worker.run_once() == 1
    [row] = await _jobs(sessions)
    assert row.attempts == 2
    assert clock() + timedelta(seconds=10) <= row.run_at <= clock() + timedelta(seconds=20)
    assert calls == 2
    assert await _errors(sessions) == []


async def test_a_retry_after_hint_postpones_the_retry(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        raise TransientError("bexio asks us to slow down.", retry_after=900)

    await _enqueue(sessions, installation, clock)

    await _worker(engine, handler, clock).run_once()

    [row] = await _jobs(sessions)
    assert row.run_at == clock() + timedelta(seconds=900)


async def test_a_job_still_failing_after_max_attempts_is_parked_as_exceeded(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        raise TransientError("bexio is not reachable right now.", detail="timeout")

    await _enqueue(sessions, installation, clock)
    worker = _worker(engine, handler, clock, max_attempts=3)

    for _ in range(5):
        await worker.run_once()
        clock.advance(3600)

    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.reason) == ("parked", 3, "exceeded")
    [error] = await _errors(sessions)
    assert (error.reason, error.status, error.job_id) == ("exceeded", "open", row.id)
    assert error.user_message == "bexio is not reachable right now."
    assert "3 attempts" in error.detail


@pytest.mark.parametrize(
    "error",
    [
        RejectedError("bexio refused the invoice: the contact is archived.", detail="HTTP 422"),
        ConfigError("VAT rate 8.1% has no bexio tax.", detail="tax_map miss"),
        AuthError("Reconnect bexio.", detail="refresh token revoked"),
        NotFoundError("The order no longer exists.", detail=""),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_a_non_retryable_error_parks_the_job_at_once_with_its_reason(
    engine: AsyncEngine,
    sessions: Sessions,
    installation: InstallationId,
    clock: FakeClock,
    error: AppError,
) -> None:
    async def handler(job: Job) -> None:
        raise error

    await _enqueue(sessions, installation, clock)

    await _worker(engine, handler, clock).run_once()

    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.reason) == ("parked", 1, error.reason)
    assert (row.user_message, row.detail) == (error.user_message, error.detail)
    [logged] = await _errors(sessions)
    assert (logged.reason, logged.user_message, logged.detail) == (
        error.reason,
        error.user_message,
        error.detail,
    )


async def test_an_unexpected_exception_parks_as_internal_and_logs_the_traceback(
    engine: AsyncEngine,
    sessions: Sessions,
    installation: InstallationId,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(job: Job) -> None:
        raise KeyError("anna@example.com")

    await _enqueue(sessions, installation, clock)

    with caplog.at_level(logging.ERROR, logger="saleor_bexio_app.jobs.worker"):
        await _worker(engine, handler, clock).run_once()

    [row] = await _jobs(sessions)
    assert (row.state, row.reason, row.user_message) == ("parked", "internal", INTERNAL_MESSAGE)
    # the detail says what and where, never the message (it may carry customer data)
    assert row.detail == "KeyError in test_worker.py:224 (handler)"
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.exc_info is not None and record.exc_info[0] is KeyError


async def test_jobs_of_unregistered_kinds_wait_for_a_worker_that_knows_them(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async def handler(job: Job) -> None:
        return None

    async with sessions.begin() as session:
        await queue.enqueue(
            session, installation_id=installation, kind="newer_kind", key="k", now=clock()
        )

    assert await _worker(engine, handler, clock).run_once() == 0

    [row] = await _jobs(sessions)
    assert (row.state, row.attempts) == ("queued", 0)


async def test_a_handler_finishing_after_its_job_was_taken_over_leaves_it_to_the_new_owner(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    # given: while the handler runs, its lease expires and another worker claims the job
    async def handler(job: Job) -> None:
        clock.advance(31)
        await queue.reap(sessions, now=clock(), max_attempts=5)
        taken = await queue.claim(
            sessions, kinds={KIND}, worker_id="other", now=clock(), lease_seconds=30
        )
        assert taken is not None
        raise RejectedError("too late")

    await _enqueue(sessions, installation, clock)

    # when
    await _worker(engine, handler, clock, lease_seconds=30.0).run_once()

    # then: the late failure neither parks the job nor logs an error
    [row] = await _jobs(sessions)
    assert (row.state, row.worker_id, row.attempts) == ("running", "other", 2)
    assert await _errors(sessions) == []


async def test_heartbeats_keep_a_long_handler_from_being_reaped(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId
) -> None:
    # given: a real clock, a 1 s lease and a handler that takes 2.5 s (heartbeats every 1/3 s
    # leave room for a slow database on a loaded machine)
    runs: list[int] = []

    async def handler(job: Job) -> None:
        runs.append(job.attempts)
        await asyncio.sleep(2.5)

    async with sessions.begin() as session:
        await queue.enqueue(
            session, installation_id=installation, kind=KIND, key="slow", now=utcnow()
        )
    worker = _worker(engine, handler, lease_seconds=1.0)
    reaped: list[queue.ReapedJob] = []

    async def reaper() -> None:
        while True:
            reaped.extend(await queue.reap(sessions, now=utcnow(), max_attempts=5))
            await asyncio.sleep(0.05)

    # when
    reaping = asyncio.create_task(reaper())
    try:
        assert await worker.run_once() == 1
    finally:
        reaping.cancel()

    # then
    assert (runs, reaped) == ([1], [])
    assert await _jobs(sessions) == []


async def test_a_worker_that_loses_its_lease_stops_the_handler(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    async with sessions.begin() as session:
        await queue.enqueue(session, installation_id=installation, kind=KIND, key="k", now=utcnow())
    worker = _worker(engine, handler, lease_seconds=0.3)

    running = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(started.wait(), 5)
    async with sessions.begin() as session:
        await session.execute(update(JobRow).values(worker_id="thief"))
    await asyncio.wait_for(cancelled.wait(), 5)
    await asyncio.wait_for(running, 5)

    [row] = await _jobs(sessions)
    assert (row.state, row.worker_id) == ("running", "thief")


async def test_stopping_releases_a_running_job_without_using_up_an_attempt(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    # given: a handler that will not finish within the grace period
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.sleep(30)

    await _enqueue(sessions, installation, clock)
    stop = asyncio.Event()
    run = asyncio.create_task(_worker(engine, handler, clock, grace_seconds=0.1).run(stop))
    await asyncio.wait_for(started.wait(), 5)

    # when
    stop.set()
    await asyncio.wait_for(run, 5)

    # then
    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.worker_id) == ("queued", 0, None)
    assert await _errors(sessions) == []


async def test_stopping_lets_a_handler_finish_within_the_grace_period(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await asyncio.sleep(0.2)
        finished.set()

    await _enqueue(sessions, installation, clock)
    stop = asyncio.Event()
    run = asyncio.create_task(_worker(engine, handler, clock, grace_seconds=5.0).run(stop))
    await asyncio.wait_for(started.wait(), 5)

    stop.set()
    await asyncio.wait_for(run, 5)

    assert finished.is_set()
    assert await _jobs(sessions) == []


async def test_run_works_through_the_queue_with_bounded_concurrency(
    engine: AsyncEngine, sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    active, peak, done = 0, 0, 0

    async def handler(job: Job) -> None:
        nonlocal active, peak, done
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.02)
        active -= 1
        done += 1

    for n in range(12):
        await _enqueue(sessions, installation, clock, key=f"order-{n}")
    stop = asyncio.Event()
    run = asyncio.create_task(_worker(engine, handler, clock, concurrency=3).run(stop))
    try:
        await _until(lambda: _empty(sessions))
    finally:
        stop.set()
        await asyncio.wait_for(run, 5)

    assert (done, peak) == (12, 3)


async def _empty(sessions: Sessions) -> bool:
    return await _jobs(sessions) == []
