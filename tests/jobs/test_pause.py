"""A paused shop's jobs keep queuing but are not claimed (except install/uninstall), on both DBs."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.store.error_log import ErrorLog, evaluate_pause
from saleor_bexio_app.store.tables import InstallationRow, JobRow
from tests.jobs.fakes import FakeClock, add_installation

Sessions = async_sessionmaker[AsyncSession]
ALL_KINDS = frozenset(str(kind) for kind in JobKind)


async def _enqueue(
    sessions: Sessions, shop: InstallationId, clock: FakeClock, kind: str, key: str
) -> bool:
    async with sessions.begin() as session:
        return await queue.enqueue(session, installation_id=shop, kind=kind, key=key, now=clock())


async def _claim(sessions: Sessions, clock: FakeClock) -> Job | None:
    return await queue.claim(
        sessions, kinds=ALL_KINDS, worker_id="worker-1", now=clock(), lease_seconds=30
    )


async def _pause(sessions: Sessions, shop: InstallationId, clock: FakeClock) -> None:
    async with sessions.begin() as session:
        state = await evaluate_pause(
            session, shop, threshold=10, connection_broken=True, now=clock()
        )
    assert state is not None


async def test_jobs_of_a_paused_shop_queue_but_are_not_claimed_until_resumed(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    # given
    await _pause(sessions, installation, clock)

    # when
    assert await _enqueue(sessions, installation, clock, JobKind.SYNC_ORDER, "order-1")
    assert await _enqueue(sessions, installation, clock, JobKind.SYNC_CUSTOMER, "user-1")
    clock.advance(5)

    # then
    assert await _claim(sessions, clock) is None
    async with sessions() as session:
        states = (await session.scalars(select(JobRow.state).order_by(JobRow.id))).all()
    assert states == ["queued", "queued"]

    assert await ErrorLog(sessions, clock=clock).resume(installation)
    first, second = await _claim(sessions, clock), await _claim(sessions, clock)
    assert first is not None and second is not None
    assert {first.key, second.key} == {"order-1", "user-1"}


async def test_install_and_uninstall_jobs_run_while_the_shop_is_paused(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    await _enqueue(sessions, installation, clock, JobKind.SYNC_ORDER, "order-1")
    await _enqueue(sessions, installation, clock, JobKind.APP_UNINSTALLED, "app")
    await _enqueue(sessions, installation, clock, JobKind.APP_INSTALLED, "install")
    await _pause(sessions, installation, clock)

    claimed = [await _claim(sessions, clock) for _ in range(3)]

    assert [job.kind if job else None for job in claimed] == [
        JobKind.APP_UNINSTALLED,
        JobKind.APP_INSTALLED,
        None,
    ]


async def test_pausing_one_shop_does_not_hold_back_another(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    other = await add_installation(sessions)
    await _enqueue(sessions, installation, clock, JobKind.SYNC_ORDER, "order-1")
    await _enqueue(sessions, other, clock, JobKind.SYNC_ORDER, "order-1")
    await _pause(sessions, installation, clock)

    job = await _claim(sessions, clock)

    assert job is not None
    assert job.installation_id == other
    assert await _claim(sessions, clock) is None


async def test_a_job_that_was_running_when_the_shop_paused_settles_normally(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    await _enqueue(sessions, installation, clock, JobKind.SYNC_ORDER, "order-1")
    job = await _claim(sessions, clock)
    assert job is not None
    async with sessions.begin() as session:
        await session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == installation)
            .values(sync_paused_at=clock(), pause_reason="10 unresolved errors")
        )

    assert await queue.finish(sessions, job, worker_id="worker-1", now=clock())
    async with sessions() as session:
        assert (await session.scalars(select(JobRow))).all() == []
