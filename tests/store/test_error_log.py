"""The error log and the pause, on SQLite and PostgreSQL: list, retry, dismiss, per shop."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import FailureReason
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioUserId,
    InstallationId,
)
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.store.error_log import (
    CONNECTION_BROKEN,
    ErrorLog,
    PauseState,
    evaluate_pause,
)
from saleor_bexio_app.store.sync_repo import SqlSyncRepo
from saleor_bexio_app.store.tables import BexioConnectionRow, JobRow
from saleor_bexio_app.sync.actions import default_matrix
from saleor_bexio_app.sync.model import ShopSettings
from tests.jobs.fakes import FakeClock

Sessions = async_sessionmaker[AsyncSession]
WORKER = "worker-1"


@pytest.fixture
def log(sessions: Sessions, clock: FakeClock) -> ErrorLog:
    return ErrorLog(sessions, clock=clock)


async def _fail(
    sessions: Sessions,
    clock: FakeClock,
    shop: InstallationId,
    key: str,
    kind: str = "sync_order",
    message: str = "VAT rate 8.1 % is not mapped.",
    reason: FailureReason = FailureReason.CONFIG,
) -> None:
    """Queue a job for `key`, claim it and park it, as the worker does on a config error."""
    async with sessions.begin() as session:
        await queue.enqueue(session, installation_id=shop, kind=kind, key=key, now=clock())
    while True:
        job = await queue.claim(
            sessions, kinds={kind}, worker_id=WORKER, now=clock(), lease_seconds=30
        )
        assert job is not None
        if job.key == key:
            break
        await queue.release(sessions, job, worker_id=WORKER, now=clock())
    assert await queue.park(
        sessions,
        job,
        worker_id=WORKER,
        now=clock(),
        reason=reason,
        user_message=message,
        detail="tax 8.10",
    )
    clock.advance(1)


async def _jobs(sessions: Sessions, shop: InstallationId) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(
            select(JobRow.key, JobRow.state)
            .where(JobRow.installation_id == shop)
            .order_by(JobRow.key)
        )
        return [(row.key, row.state) for row in rows]


async def _pause(
    sessions: Sessions,
    shop: InstallationId,
    clock: FakeClock,
    *,
    threshold: int,
    connection_broken: bool,
) -> None:
    async with sessions.begin() as session:
        await evaluate_pause(
            session, shop, threshold=threshold, connection_broken=connection_broken, now=clock()
        )


async def test_a_parked_job_is_listed_with_what_the_merchant_needs(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    await _fail(sessions, clock, shop, "order-2", message="Currency XYZ unknown in bexio.")

    entries = await log.list_errors(shop)

    assert [(e.key, e.user_message) for e in entries] == [
        ("order-2", "Currency XYZ unknown in bexio."),
        ("order-1", "VAT rate 8.1 % is not mapped."),
    ]
    first = entries[1]
    assert (first.kind, first.reason, first.detail, first.occurrences, first.status) == (
        "sync_order",
        "config",
        "tax 8.10",
        1,
        "open",
    )
    assert first.job_id is not None
    assert first.first_seen_at == first.last_seen_at
    assert await log.open_error_count(shop) == 2


async def test_list_errors_filters_by_kind_and_pages(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    for n in range(3):
        await _fail(sessions, clock, shop, f"order-{n}")
    await _fail(sessions, clock, shop, "customer-1", kind="sync_customer")

    assert [e.key for e in await log.list_errors(shop, kind="sync_customer")] == ["customer-1"]
    assert [e.key for e in await log.list_errors(shop, limit=2, offset=1)] == [
        "order-2",
        "order-1",
    ]
    assert await log.list_errors(shop, status="dismissed") == []


async def test_retry_requeues_the_parked_job_and_marks_the_error_retried(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    [entry] = await log.list_errors(shop)

    assert await log.retry(shop, [entry.id]) == 1

    assert await _jobs(sessions, shop) == [("order-1", "queued")]
    assert await log.list_errors(shop) == []
    [retried] = await log.list_errors(shop, status="retried")
    assert retried.id == entry.id
    assert await log.retry(shop, [entry.id]) == 0


async def test_retry_queues_a_fresh_job_when_the_parked_one_is_gone(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    [entry] = await log.list_errors(shop)
    async with sessions.begin() as session:
        await session.execute(delete(JobRow))

    assert await log.retry(shop, [entry.id]) == 1

    assert ("order-1", "queued") in await _jobs(sessions, shop)


async def test_dismiss_deletes_the_parked_job_and_keeps_the_entry_as_dismissed(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    await _fail(sessions, clock, shop, "order-2")
    entry = next(e for e in await log.list_errors(shop) if e.key == "order-1")

    assert await log.dismiss(shop, [entry.id]) == 1

    assert await _jobs(sessions, shop) == [("order-2", "parked")]
    assert [e.key for e in await log.list_errors(shop, status="dismissed")] == ["order-1"]
    assert await log.open_error_count(shop) == 1


async def test_one_shop_cannot_see_retry_or_dismiss_anothers_errors(
    sessions: Sessions,
    log: ErrorLog,
    clock: FakeClock,
    shop: InstallationId,
    other_shop: InstallationId,
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    [entry] = await log.list_errors(shop)

    assert await log.list_errors(other_shop) == []
    assert await log.open_error_count(other_shop) == 0
    assert await log.retry(other_shop, [entry.id]) == 0
    assert await log.dismiss(other_shop, [entry.id]) == 0

    assert await _jobs(sessions, shop) == [("order-1", "parked")]
    assert [e.status for e in await log.list_errors(shop)] == ["open"]


# pause


async def test_the_shop_pauses_at_the_threshold_and_unpauses_below_it(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    await _fail(sessions, clock, shop, "order-2")
    await _pause(sessions, shop, clock, threshold=3, connection_broken=False)
    assert await log.pause_state(shop) is None

    paused_at = clock()
    await _pause(sessions, shop, clock, threshold=2, connection_broken=False)
    assert await log.pause_state(shop) == PauseState(paused_at, "2 unresolved errors")

    clock.advance(60)
    await _pause(sessions, shop, clock, threshold=1, connection_broken=False)
    assert await log.pause_state(shop) == PauseState(paused_at, "2 unresolved errors")

    await _pause(sessions, shop, clock, threshold=5, connection_broken=False)
    assert await log.pause_state(shop) is None


async def test_manual_action_items_never_pause_the_shop(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    for key in ("order-1", "order-2", "order-3"):
        await _fail(
            sessions,
            clock,
            shop,
            key,
            message="Create a credit note in bexio.",
            reason=FailureReason.MANUAL,
        )
    await _pause(sessions, shop, clock, threshold=2, connection_broken=False)
    assert await log.pause_state(shop) is None
    assert len(await log.list_errors(shop)) == 3


async def test_a_broken_connection_pauses_whatever_the_error_count(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _pause(sessions, shop, clock, threshold=10, connection_broken=True)
    state = await log.pause_state(shop)
    assert state is not None
    assert state.reason == CONNECTION_BROKEN

    await _pause(sessions, shop, clock, threshold=10, connection_broken=False)
    assert await log.pause_state(shop) is None


async def test_resume_lifts_the_pause_without_requeueing_parked_jobs(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    await _fail(sessions, clock, shop, "order-1")
    await _pause(sessions, shop, clock, threshold=1, connection_broken=False)

    assert await log.resume(shop) is True

    assert await log.pause_state(shop) is None
    assert await _jobs(sessions, shop) == [("order-1", "parked")]
    assert await log.resume(shop) is False


async def test_retry_and_dismiss_lift_a_pause_using_the_shops_threshold(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    settings = ShopSettings(
        order_actions=default_matrix(),
        bexio_user_id=BexioUserId(1),
        revenue_account_id=BexioAccountId(3200),
        bank_account_id=BexioBankAccountId(1),
    )
    await SqlSyncRepo(sessions).save_shop_settings(shop, replace(settings, pause_threshold=2))
    await _fail(sessions, clock, shop, "order-1")
    await _fail(sessions, clock, shop, "order-2")
    await _fail(sessions, clock, shop, "order-3")
    async with sessions.begin() as session:
        assert await log.refresh_pause(session, shop, now=clock()) is not None
    first, second, _third = await log.list_errors(shop)

    await log.dismiss(shop, [first.id])
    assert await log.pause_state(shop) is not None  # still 2 open
    await log.retry(shop, [second.id])
    assert await log.pause_state(shop) is None


async def test_refresh_pause_reads_a_broken_bexio_connection(
    sessions: Sessions, log: ErrorLog, clock: FakeClock, shop: InstallationId
) -> None:
    async with sessions.begin() as session:
        session.add(
            BexioConnectionRow(
                installation_id=shop,
                status="broken",
                token_version=1,
                broken_reason="refresh token revoked",
                updated_at=clock(),
            )
        )
    async with sessions.begin() as session:
        state = await log.refresh_pause(session, shop, now=clock())

    assert state == PauseState(clock(), CONNECTION_BROKEN)


async def test_pausing_one_shop_leaves_another_running(
    sessions: Sessions,
    log: ErrorLog,
    clock: FakeClock,
    shop: InstallationId,
    other_shop: InstallationId,
) -> None:
    await _pause(sessions, shop, clock, threshold=1, connection_broken=True)
    assert await log.resume(other_shop) is False

    assert await log.pause_state(other_shop) is None
    assert await log.pause_state(shop) is not None
