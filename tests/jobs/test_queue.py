"""The job queue on SQLite and PostgreSQL: coalescing, claiming, settling, reaping."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import FailureReason
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.tables import JobRow, SyncErrorRow
from tests.jobs.fakes import FakeClock, add_installation

Sessions = async_sessionmaker[AsyncSession]
ME, OTHER = "worker-me", "worker-other"
LEASE = 30.0


async def _enqueue(
    sessions: Sessions,
    installation: InstallationId,
    clock: FakeClock,
    kind: str = "sync_order",
    key: str = "order-1",
    **kwargs: Any,
) -> bool:
    async with sessions.begin() as session:
        return await queue.enqueue(
            session, installation_id=installation, kind=kind, key=key, now=clock(), **kwargs
        )


async def _claim(
    sessions: Sessions,
    clock: FakeClock,
    kinds: frozenset[str] = frozenset({"sync_order"}),
    worker_id: str = ME,
) -> Job | None:
    return await queue.claim(
        sessions, kinds=kinds, worker_id=worker_id, now=clock(), lease_seconds=LEASE
    )


async def _jobs(sessions: Sessions) -> list[JobRow]:
    async with sessions() as session:
        return list((await session.execute(select(JobRow).order_by(JobRow.id))).scalars())


async def _errors(sessions: Sessions) -> list[SyncErrorRow]:
    async with sessions() as session:
        return list(
            (await session.execute(select(SyncErrorRow).order_by(SyncErrorRow.id))).scalars()
        )


# enqueue


async def test_enqueue_coalesces_an_identical_job_while_the_first_is_queued(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    assert await _enqueue(sessions, installation, clock, payload={"n": 1}) is True
    assert await _enqueue(sessions, installation, clock, payload={"n": 2}) is False

    [job] = await _jobs(sessions)
    assert (job.kind, job.key, job.state, job.payload) == (
        "sync_order",
        "order-1",
        "queued",
        {"n": 1},
    )


async def test_enqueue_queues_a_follow_up_while_the_same_job_is_running(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock)
    assert await _claim(sessions, clock) is not None

    assert await _enqueue(sessions, installation, clock) is True

    assert sorted(job.state for job in await _jobs(sessions)) == ["queued", "running"]


async def test_enqueue_keeps_other_kinds_and_shops_on_the_same_key_apart(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    other_shop = await add_installation(sessions)

    assert await _enqueue(sessions, installation, clock, kind="sync_order") is True
    assert await _enqueue(sessions, installation, clock, kind="sync_customer") is True
    assert await _enqueue(sessions, other_shop, clock, kind="sync_order") is True

    assert len(await _jobs(sessions)) == 3


async def test_enqueue_joins_the_callers_transaction_without_committing(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    async with sessions() as session:
        await queue.enqueue(
            session, installation_id=installation, kind="sync_order", key="o", now=clock()
        )
        await session.rollback()

    assert await _jobs(sessions) == []


# claim


async def test_claim_takes_due_jobs_oldest_first_and_leases_them(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    later = clock() + timedelta(minutes=5)
    await _enqueue(sessions, installation, clock, key="future", run_at=later)
    await _enqueue(
        sessions, installation, clock, key="second", run_at=clock() - timedelta(seconds=1)
    )
    await _enqueue(
        sessions, installation, clock, key="first", run_at=clock() - timedelta(seconds=2)
    )

    first = await _claim(sessions, clock)
    second = await _claim(sessions, clock)
    assert await _claim(sessions, clock) is None

    assert first is not None and second is not None
    assert (first.key, first.attempts, first.installation_id) == ("first", 1, installation)
    assert second.key == "second"
    rows = {row.key: row for row in await _jobs(sessions)}
    assert rows["first"].state == "running"
    assert rows["first"].worker_id == ME
    assert rows["first"].lease_until == clock() + timedelta(seconds=LEASE)
    assert rows["future"].state == "queued"


async def test_claim_never_starts_a_second_job_on_a_key_that_is_running(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    kinds = frozenset({"sync_order", "sync_customer"})
    await _enqueue(sessions, installation, clock, kind="sync_order", key="shared")
    await _enqueue(sessions, installation, clock, kind="sync_customer", key="shared")
    await _enqueue(sessions, installation, clock, kind="sync_order", key="free")

    first = await _claim(sessions, clock, kinds)
    second = await _claim(sessions, clock, kinds)
    assert await _claim(sessions, clock, kinds) is None

    assert first is not None and second is not None
    assert (first.key, second.key) == ("shared", "free")


async def test_claim_leaves_jobs_of_kinds_without_a_handler_queued(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock, kind="from_the_future")

    assert await _claim(sessions, clock, frozenset({"sync_order"})) is None
    assert await _claim(sessions, clock, frozenset()) is None

    [job] = await _jobs(sessions)
    assert job.state == "queued"


async def test_racing_claims_on_separate_connections_run_one_job_per_key(
    engine: AsyncEngine, installation: InstallationId, clock: FakeClock
) -> None:
    # given: ten kinds queued on one key, and ten workers with their own connections
    kinds = frozenset(f"kind_{n}" for n in range(10))
    sessions = session_factory(engine)
    for kind in kinds:
        await _enqueue(sessions, installation, clock, kind=kind, key="shared")
    engines = [create_engine(engine.url.render_as_string(hide_password=False)) for _ in range(10)]
    try:
        # when
        claimed = await asyncio.gather(
            *(
                _claim(session_factory(eng), clock, kinds, worker_id=f"w{n}")
                for n, eng in enumerate(engines)
            )
        )
    finally:
        for eng in engines:
            await eng.dispose()

    # then
    assert len([job for job in claimed if job is not None]) == 1
    states = [job.state for job in await _jobs(sessions)]
    assert states.count("running") == 1
    assert states.count("queued") == 9


# settle


async def test_finish_deletes_the_job_and_resolves_earlier_failures_of_it(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    # given: an earlier run of the same job was parked
    await _enqueue(sessions, installation, clock)
    failed = await _claim(sessions, clock)
    assert failed is not None
    await queue.park(
        sessions, failed, worker_id=ME, now=clock(), reason="rejected", user_message="No."
    )
    await _enqueue(sessions, installation, clock)
    job = await _claim(sessions, clock)
    assert job is not None

    # when
    assert await queue.finish(sessions, job, worker_id=ME, now=clock()) is True

    # then
    assert await _jobs(sessions) == []
    [error] = await _errors(sessions)
    assert error.status == "resolved"


async def test_retry_requeues_later_and_absorbs_a_duplicate_queued_meanwhile(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock, payload={"v": "old"})
    job = await _claim(sessions, clock)
    assert job is not None
    await _enqueue(sessions, installation, clock, payload={"v": "new"})

    retried = await queue.retry(
        sessions,
        job,
        worker_id=ME,
        now=clock(),
        delay_seconds=90,
        reason=FailureReason.TRANSIENT,
        user_message="bexio is not reachable.",
    )

    assert retried is True
    [row] = await _jobs(sessions)
    assert (row.id, row.state, row.attempts) == (job.id, "queued", 1)
    assert row.payload == {"v": "new"}
    assert row.run_at == clock() + timedelta(seconds=90)
    assert (row.worker_id, row.lease_until) == (None, None)
    assert (row.reason, row.user_message) == ("transient", "bexio is not reachable.")


async def test_release_requeues_without_using_up_an_attempt(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock)
    job = await _claim(sessions, clock)
    assert job is not None

    assert await queue.release(sessions, job, worker_id=ME, now=clock()) is True

    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.run_at) == ("queued", 0, clock())


async def test_park_logs_one_open_error_per_target_and_counts_repeats(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    for message in ("VAT 8.1% is not mapped.", "VAT 2.6% is not mapped."):
        await _enqueue(sessions, installation, clock)
        job = await _claim(sessions, clock)
        assert job is not None
        clock.advance(60)
        parked = await queue.park(
            sessions,
            job,
            worker_id=ME,
            now=clock(),
            reason="config",
            user_message=message,
            detail="tax_map miss",
        )
        assert parked is True

    [row] = await _jobs(sessions)
    assert (row.state, row.reason, row.user_message) == (
        "parked",
        "config",
        "VAT 2.6% is not mapped.",
    )
    [error] = await _errors(sessions)
    assert (error.status, error.occurrences, error.job_id) == ("open", 2, row.id)
    assert (error.kind, error.key, error.reason) == ("sync_order", "order-1", "config")
    assert (error.user_message, error.detail) == ("VAT 2.6% is not mapped.", "tax_map miss")
    assert error.first_seen_at == error.last_seen_at - timedelta(seconds=60)


async def test_park_stores_the_message_code_and_params_of_the_latest_occurrence(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    occurrences: list[tuple[str | None, dict[str, Any] | None]] = [
        ("stock_refused", {"sku": "TS-M", "quantity": 3}),
        ("bexio_unavailable", {"status": 502}),
        (None, None),
    ]
    stored = []
    for code, params in occurrences:
        await _enqueue(sessions, installation, clock)
        job = await _claim(sessions, clock)
        assert job is not None
        await queue.park(
            sessions,
            job,
            worker_id=ME,
            now=clock(),
            reason="rejected",
            user_message="bexio refused it.",
            message_code=code,
            message_params=params,
        )
        [error] = await _errors(sessions)
        stored.append((error.occurrences, error.message_code, error.message_params))

    assert stored == [
        (1, "stock_refused", {"sku": "TS-M", "quantity": 3}),
        (2, "bexio_unavailable", {"status": 502}),
        (3, None, None),
    ]


async def test_requeue_parked_gives_fresh_attempts_and_marks_the_error_retried(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock)
    job = await _claim(sessions, clock)
    assert job is not None
    await queue.park(sessions, job, worker_id=ME, now=clock(), reason="auth", user_message="x")
    await _enqueue(sessions, installation, clock, payload={"v": "newer"})
    clock.advance(10)

    async with sessions.begin() as session:
        assert await queue.requeue_parked(session, job.id, now=clock()) is True
    async with sessions.begin() as session:
        assert await queue.requeue_parked(session, job.id, now=clock()) is False

    [row] = await _jobs(sessions)
    assert (row.id, row.state, row.attempts, row.run_at) == (job.id, "queued", 0, clock())
    assert row.payload == {"v": "newer"}
    [error] = await _errors(sessions)
    assert error.status == "retried"


async def test_heartbeat_extends_only_a_lease_the_worker_still_holds(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock)
    job = await _claim(sessions, clock)
    assert job is not None
    clock.advance(20)

    assert await queue.heartbeat(sessions, job, worker_id=ME, now=clock(), lease_seconds=LEASE)
    assert not await queue.heartbeat(
        sessions, job, worker_id=OTHER, now=clock(), lease_seconds=LEASE
    )

    [row] = await _jobs(sessions)
    assert row.lease_until == clock() + timedelta(seconds=LEASE)


async def test_a_worker_that_lost_its_job_cannot_settle_it(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    # given: our lease expired, the reaper re-queued the job and we claimed it again
    await _enqueue(sessions, installation, clock)
    stale = await _claim(sessions, clock)
    assert stale is not None
    clock.advance(LEASE + 1)
    await queue.reap(sessions, now=clock(), max_attempts=5)
    current = await _claim(sessions, clock)
    assert current is not None and current.attempts == 2

    # when: the first run ends late, however it ends
    outcomes = [
        await queue.finish(sessions, stale, worker_id=ME, now=clock()),
        await queue.park(sessions, stale, worker_id=ME, now=clock(), reason="x", user_message="x"),
        await queue.retry(
            sessions,
            stale,
            worker_id=ME,
            now=clock(),
            delay_seconds=1,
            reason="t",
            user_message="t",
        ),
        await queue.release(sessions, stale, worker_id=ME, now=clock()),
        await queue.heartbeat(sessions, stale, worker_id=ME, now=clock(), lease_seconds=LEASE),
    ]

    # then
    assert outcomes == [False] * 5
    [row] = await _jobs(sessions)
    assert (row.state, row.attempts, row.worker_id) == ("running", 2, ME)
    assert await _errors(sessions) == []


# reap


async def test_reaper_requeues_expired_leases_and_leaves_live_ones(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock, key="dead")
    dead = await _claim(sessions, clock)
    clock.advance(LEASE / 2)
    await _enqueue(sessions, installation, clock, key="alive")
    alive = await _claim(sessions, clock)
    assert dead is not None and alive is not None
    clock.advance(LEASE / 2 + 1)

    reaped = await queue.reap(sessions, now=clock(), max_attempts=5)

    assert [(job.id, job.parked) for job in reaped] == [(dead.id, False)]
    rows = {row.key: row for row in await _jobs(sessions)}
    assert (rows["dead"].state, rows["dead"].attempts, rows["dead"].run_at) == (
        "queued",
        1,
        clock(),
    )
    assert rows["alive"].state == "running"


async def test_reaper_parks_a_job_that_used_up_its_attempts(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock)
    for _ in range(2):
        assert await _claim(sessions, clock) is not None
        clock.advance(LEASE + 1)
        await queue.reap(sessions, now=clock(), max_attempts=2)

    [row] = await _jobs(sessions)
    assert (row.state, row.reason, row.attempts) == ("parked", "exceeded", 2)
    [error] = await _errors(sessions)
    assert (error.reason, error.status) == ("exceeded", "open")
    assert (error.user_message, error.message_code) == (queue.HALTED_MESSAGE, "sync_halted")


async def test_reaper_absorbs_a_duplicate_queued_while_the_job_was_stuck(
    sessions: Sessions, installation: InstallationId, clock: FakeClock
) -> None:
    await _enqueue(sessions, installation, clock, payload={"v": 1})
    job = await _claim(sessions, clock)
    assert job is not None
    await _enqueue(sessions, installation, clock, payload={"v": 2})
    clock.advance(LEASE + 1)

    await queue.reap(sessions, now=clock(), max_attempts=5)

    [row] = await _jobs(sessions)
    assert (row.id, row.state, row.payload) == (job.id, "queued", {"v": 2})
