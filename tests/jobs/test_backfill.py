"""Listing for backfills (SaleorClient on the Saleor double) and "sync this order now"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId, JobId, SaleorApiUrl, SaleorId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.backfill import (
    BackfillEntity,
    SyncRequestOutcome,
    backfill_progress,
    start_backfill,
    sync_order_now,
)
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.store.tables import InstallationRow, JobRow, SyncErrorRow
from tests.jobs.fakes import FakeClock

API_URL = "http://saleor.test/graphql/"
DAY = datetime(2026, 5, 1, tzinfo=UTC)
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


def _client(double: SaleorDouble) -> SaleorClient:
    token = double.install_app().token
    return SaleorClient(SaleorApiUrl(API_URL), token, transport=httpx.ASGITransport(app=double.app))


async def test_order_listing_filters_by_creation_and_pages_oldest_first(
    double: SaleorDouble,
) -> None:
    # given two old orders and five since the day, added newest first
    for days in (10, 9):
        double.add_order(created=(DAY - timedelta(days=days)).isoformat())
    recent = [
        double.add_order(created=(DAY + timedelta(hours=hours)).isoformat())["id"]
        for hours in (5, 4, 3, 2, 0)
    ]
    client = _client(double)
    # when
    first = await client.list_order_ids(DAY, first=2)
    second = await client.list_order_ids(DAY, first=2, after=first.end_cursor)
    last = await client.list_order_ids(DAY, first=2, after=second.end_cursor)
    # then
    assert [*first.ids, *second.ids, *last.ids] == list(reversed(recent))
    assert (first.total, first.has_next, last.has_next) == (5, True, False)


async def test_customer_listing_filters_by_date_joined(double: SaleorDouble) -> None:
    double.add_customer(email="old@example.ch", dateJoined=(DAY - timedelta(days=1)).isoformat())
    new = double.add_customer(email="new@example.ch", dateJoined=DAY.isoformat())
    page = await _client(double).list_customer_ids(DAY, first=50)
    assert page.ids == [new["id"]]
    assert (page.total, page.has_next) == (1, False)


async def test_start_backfill_queues_its_first_page_and_shows_no_total_yet(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    backfill_id = await start_backfill(
        sessions, installation, BackfillEntity.CUSTOMERS, date(2026, 1, 31), now=clock()
    )
    [progress] = await backfill_progress(sessions, installation)
    assert (progress.id, progress.status, progress.done, progress.total) == (
        backfill_id,
        "running",
        0,
        None,
    )
    assert progress.since == datetime(2026, 1, 31, tzinfo=UTC)
    [job] = await _jobs(sessions)
    assert (job.kind, job.key, job.payload) == (
        "backfill",
        f"backfill:{backfill_id}",
        {"backfill_id": backfill_id},
    )


async def test_sync_order_now_queues_once_then_reports_already_queued(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    order = SaleorId("T3JkZXI6MQ==")
    first = await sync_order_now(sessions, installation, order, now=clock())
    second = await sync_order_now(sessions, installation, order, now=clock())
    assert (first.outcome, second.outcome) == (
        SyncRequestOutcome.QUEUED,
        SyncRequestOutcome.ALREADY_QUEUED,
    )
    [job] = await _jobs(sessions)
    assert (job.kind, job.key, job.payload) == ("sync_order", order, {"manual": True})
    assert not first.paused


async def test_sync_order_now_retries_a_parked_order_and_its_open_error(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    # given a parked sync of the order with its error-log entry
    order = SaleorId("T3JkZXI6Mg==")
    async with sessions.begin() as session:
        await queue.enqueue(
            session, installation_id=installation, kind=JobKind.SYNC_ORDER, key=order, now=clock()
        )
    job = await queue.claim(
        sessions, kinds=[JobKind.SYNC_ORDER], worker_id="w", now=clock(), lease_seconds=60
    )
    assert job is not None
    assert await queue.park(
        sessions, job, worker_id="w", now=clock(), reason="config", user_message="VAT missing"
    )
    # when
    result = await sync_order_now(sessions, installation, order, now=clock())
    # then
    assert result.outcome is SyncRequestOutcome.RETRIED
    [row] = await _jobs(sessions)
    assert (JobId(row.id), row.state, row.attempts) == (job.id, "queued", 0)
    async with sessions() as session:
        statuses = (await session.scalars(select(SyncErrorRow.status))).all()
    assert statuses == ["retried"]


async def test_sync_order_now_says_when_the_shop_is_paused_and_still_queues(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    async with sessions.begin() as session:
        await session.execute(
            update(InstallationRow)
            .where(InstallationRow.id == installation)
            .values(sync_paused_at=clock(), pause_reason="bexio connection broken")
        )
    result = await sync_order_now(sessions, installation, SaleorId("T3JkZXI6Mw=="), now=clock())
    assert result.outcome is SyncRequestOutcome.QUEUED
    assert (result.paused, result.pause_reason) == (True, "bexio connection broken")
    claimed = await queue.claim(
        sessions, kinds=[JobKind.SYNC_ORDER], worker_id="w", now=clock(), lease_seconds=60
    )
    assert claimed is None


async def _jobs(sessions: Sessions) -> list[JobRow]:
    async with sessions() as session:
        return list((await session.scalars(select(JobRow).order_by(JobRow.id))).all())


async def test_backfill_whose_page_job_was_parked_shows_as_failed(
    sessions: Sessions, clock: FakeClock, installation: InstallationId
) -> None:
    await start_backfill(sessions, installation, BackfillEntity.ORDERS, DAY.date(), now=clock())
    job = await queue.claim(
        sessions, kinds=[JobKind.BACKFILL], worker_id="w", now=clock(), lease_seconds=60
    )
    assert job is not None
    assert await queue.park(
        sessions, job, worker_id="w", now=clock(), reason="exceeded", user_message="Saleor down"
    )
    [progress] = await backfill_progress(sessions, installation)
    assert progress.status == "failed"
