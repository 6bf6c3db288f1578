"""Backfills and "sync this order now" end to end: Saleor double, worker, bexio emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from saleor_bexio_app.ids import (
    BexioTaxId,
    InstallationId,
    SaleorId,
)
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.backfill import (
    BackfillEntity,
    BackfillFlow,
    SyncRequestOutcome,
    backfill_progress,
    start_backfill,
    sync_order_now,
)
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.store.tables import InstallationRow
from saleor_bexio_app.sync.vat import TaxMapping
from tests.web.conftest import Harness
from tests.web.shop import UN81, UR26
from tests.web.shop import ready_shop as _shop
from tests.web.shop import run_all as _run_all

SHOP = InstallationId(1)
SINCE = date(2026, 3, 1)
LISTING = "OrdersCreatedSince"


def _flow(harness: Harness) -> BackfillFlow:
    """A fresh backfill handler, as a restarted process would build it."""
    services = harness.services
    return BackfillFlow(services.sessions, services.installations, services.saleor, services.clock)


async def _backfill_page(harness: Harness, flow: BackfillFlow, *, crash: bool = False) -> bool:
    """Claim and run the next backfill job; with `crash` the worker dies before settling it."""
    sessions, now = harness.services.sessions, harness.clock()
    job = await queue.claim(
        sessions, kinds=[JobKind.BACKFILL], worker_id="w1", now=now, lease_seconds=60
    )
    if job is None:
        return False
    await flow.run(job)
    if not crash:
        assert await queue.finish(sessions, job, worker_id="w1", now=now)
    return True


def _listings(double: SaleorDouble) -> list[Any]:
    return [
        (call.variables or {}).get("after")
        for call in double.graphql_requests
        if call.query and LISTING in call.query
    ]


async def test_backfill_of_120_orders_queues_one_sync_each_over_three_pages(
    harness: Harness,
) -> None:
    # given 120 orders since the date and one before it
    double, _, _ = await _shop(harness, connect=False)
    double.add_order(created=datetime(2026, 2, 27, tzinfo=UTC).isoformat())
    orders = [double.add_order()["id"] for _ in range(120)]
    # when
    backfill_id = await start_backfill(
        harness.services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock()
    )
    flow = _flow(harness)
    pages = 0
    while await _backfill_page(harness, flow):
        pages += 1
    # then
    assert pages == 3
    jobs = await harness.jobs()
    assert sorted(job.key for job in jobs) == sorted(orders)
    assert {job.kind for job in jobs} == {"sync_order"}
    [progress] = await backfill_progress(harness.services.sessions, SHOP)
    assert (progress.id, progress.status, progress.done, progress.total) == (
        backfill_id,
        "done",
        120,
        120,
    )


async def test_backfill_resumes_after_a_crash_without_listing_pages_again(
    harness: Harness,
) -> None:
    # given a backfill whose worker died while settling its second page
    double, _, _ = await _shop(harness, connect=False)
    for _ in range(120):
        double.add_order()
    await start_backfill(
        harness.services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock()
    )
    assert await _backfill_page(harness, _flow(harness))
    assert await _backfill_page(harness, _flow(harness), crash=True)
    [progress] = await backfill_progress(harness.services.sessions, SHOP)
    assert (progress.status, progress.done) == ("running", 100)
    # when the lease expires, the reaper re-queues the job and a restarted process goes on
    harness.clock.advance(120)
    await queue.reap(harness.services.sessions, now=harness.clock(), max_attempts=5)
    restarted = _flow(harness)
    while await _backfill_page(harness, restarted):
        pass
    # then each page was listed exactly once
    listed = _listings(double)
    assert len(listed) == 3
    assert len(set(listed)) == 3
    [progress] = await backfill_progress(harness.services.sessions, SHOP)
    assert (progress.status, progress.done, progress.total) == ("done", 120, 120)
    assert len([job for job in await harness.jobs() if job.kind == "sync_order"]) == 120


async def test_backfilled_orders_become_one_invoice_each_even_when_backfilled_twice(
    harness: Harness,
) -> None:
    # given five orders that never reached bexio
    double, _, emulator = await _shop(harness)
    orders = {double.add_order()["id"] for _ in range(5)}
    # when the merchant backfills, then backfills again
    for _ in range(2):
        await start_backfill(
            harness.services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock()
        )
        await _run_all(harness)
    # then
    assert {invoice["api_reference"] for invoice in emulator.invoices.values()} == orders
    assert len(emulator.invoices) == 5
    progress = await backfill_progress(harness.services.sessions, SHOP)
    assert [(p.status, p.done, p.total) for p in progress] == [("done", 5, 5)] * 2
    assert await harness.jobs() == []


async def test_sync_this_order_now_retries_a_parked_order_once_its_cause_is_fixed(
    harness: Harness,
) -> None:
    # given an order parked for an unmapped VAT rate
    double, _, emulator = await _shop(harness)
    wine = [double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    order = SaleorId(double.add_order(lines=wine)["id"])
    services = harness.services
    assert (
        await sync_order_now(services.sessions, SHOP, order, now=harness.clock())
    ).outcome is SyncRequestOutcome.QUEUED
    await _run_all(harness)
    assert [job.state for job in await harness.jobs()] == ["parked"]
    # when the merchant maps the rate and clicks "Sync to bexio"
    await services.sync_repo.save_tax_mapping(
        SHOP,
        TaxMapping(
            by_rate={Decimal("8.1"): UN81, Decimal("2.6"): UR26, Decimal("3.8"): BexioTaxId(16)}
        ),
    )
    emulator.set_tax_active(16, True)
    result = await sync_order_now(services.sessions, SHOP, order, now=harness.clock())
    await _run_all(harness)
    # then
    assert (result.outcome, result.paused) == (SyncRequestOutcome.RETRIED, False)
    [invoice] = emulator.invoices.values()
    assert invoice["api_reference"] == order
    assert await harness.jobs() == []
    assert await services.error_log.open_error_count(SHOP) == 0


async def test_backfill_waits_while_the_shop_is_paused(harness: Harness) -> None:
    double, _, emulator = await _shop(harness)
    double.add_order()
    async with harness.services.sessions.begin() as session:
        await session.execute(
            update(InstallationRow).values(sync_paused_at=harness.clock(), pause_reason="test")
        )
    await start_backfill(
        harness.services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock()
    )
    await _run_all(harness)
    assert emulator.invoices == {}
    [progress] = await backfill_progress(harness.services.sessions, SHOP)
    assert (progress.status, progress.done) == ("running", 0)


async def test_backfill_that_saleor_refuses_fails_visibly_in_progress_and_error_log(
    harness: Harness,
) -> None:
    # given a shop whose Saleor no longer accepts the app's token
    double, app, _ = await _shop(harness, connect=False)
    double.add_order()
    double.uninstall_app(app.id)
    # when
    await start_backfill(
        harness.services.sessions, SHOP, BackfillEntity.ORDERS, SINCE, now=harness.clock()
    )
    await _run_all(harness)
    # then
    [progress] = await backfill_progress(harness.services.sessions, SHOP)
    assert (progress.status, progress.done) == ("failed", 0)
    [error] = await harness.services.error_log.list_errors(SHOP)
    assert error.kind == "backfill"
