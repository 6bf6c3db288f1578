"""Each benchmark runs end to end at a tiny size, so none of them can rot unnoticed.

These check what the benchmarks count and that the system under test did its work; they
never assert a timing target (the machine may be loaded).
"""

from __future__ import annotations

import pytest

from bench import backfill, bexio_calls, footprint, ingest, ingest_steps


@pytest.mark.slow
async def test_ingest_benchmark_measures_bare_and_app_with_every_webhook_accepted() -> None:
    options = ingest.Options(
        seconds=0.5, warmup=0.0, connections=4, rate=20.0, pool=20, databases=("sqlite",)
    )
    results = await ingest.run(options)
    assert set(results) == {"bare", "sqlite"}
    for figures in results.values():
        for run in (figures["closed"], figures["fixed"]):
            assert run["requests"] > 0
            assert set(run["statuses"]) == {"200"}
            assert run["transport_errors"] == 0
    assert results["bare"]["closed"]["coalesced"] == 0
    assert "sqlite: throughput" in ingest.report(results, options)


async def test_ingest_steps_time_every_step_of_the_webhook_route() -> None:
    results = await ingest_steps.run(5, ["sqlite"], None)
    steps = results["sqlite"]
    assert len(steps) == 6
    assert all(ms > 0 for ms in steps.values())
    assert "whole request through the app" in ingest_steps.report(results)


async def test_bexio_calls_benchmark_never_counts_fewer_calls_than_the_minimum() -> None:
    result = await bexio_calls.run(orders=6, periods=1)
    assert len(result.orders) == 6
    assert result.minimum > 0
    for order in result.orders:
        for endpoint, needed in order.minimum.items():
            assert order.calls[endpoint] >= needed, (order.stage, endpoint)
    # master data: every kind read, and at most once in the one cache period
    assert set(result.master_reads) == set(bexio_calls.MASTER_DATA.values())
    assert all(reads == 1 for reads in result.master_reads.values())
    assert "all orders:" in bexio_calls.report(result)


async def test_backfill_benchmark_syncs_every_order_with_no_failed_job() -> None:
    result = await backfill.run(orders=8, limit=120, window=1.0)
    assert (result.synced, result.backfill_status, result.failed_jobs) == (8, "done", 0)
    assert sum(result.statuses.values()) > 8
    assert "calls carried out per minute" in backfill.report(result)


@pytest.mark.slow
async def test_footprint_benchmark_reads_start_up_times_and_memory_of_both_servers() -> None:
    result = await footprint.run(runs=1, seconds=0.5, connections=4, settle=0.2)
    assert len(result.app_starts) == len(result.bare_starts) == 1
    assert min(result.app_starts + result.bare_starts) > 0
    for memory in (result.app_memory, result.bare_memory):
        assert 0 < memory.idle <= memory.high_water
        assert memory.requests_per_second > 0
    assert "start-up to first 200" in footprint.report(result)
