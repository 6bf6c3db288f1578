"""Product and variant webhooks from the double reach the app as one sync_product job each."""

from __future__ import annotations

import pytest

from saleor_bexio_app.jobs.model import JobKind
from tests.web.conftest import SHOP_A, Harness
from tests.web.shop import deliver_product_event


@pytest.mark.parametrize(
    "event",
    [
        "PRODUCT_CREATED",
        "PRODUCT_UPDATED",
        "PRODUCT_DELETED",
        "PRODUCT_VARIANT_UPDATED",
        "PRODUCT_VARIANT_STOCK_UPDATED",
    ],
)
async def test_product_event_enqueues_a_sync_of_its_product(harness: Harness, event: str) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    warehouse = double.add_warehouse()["id"]
    seeded = double.add_product("Shirt", variants=[dict(sku="SH", stocks={warehouse: 3})])
    if event == "PRODUCT_DELETED":
        double.delete_product(seeded.id)

    await deliver_product_event(harness, double, app, event, seeded.id)

    [job] = await harness.jobs()
    assert (job.kind, job.key, job.state) == (JobKind.SYNC_PRODUCT, seeded.id, "queued")
    assert job.payload["event"] == event


async def test_events_of_one_product_coalesce_into_one_job(harness: Harness) -> None:
    double = harness.add_saleor(SHOP_A)
    app = await harness.install(double)
    await harness.run_jobs()
    warehouse = double.add_warehouse()["id"]
    seeded = double.add_product(
        "Shirt", variants=[dict(sku="SH-M", stocks={warehouse: 1}), dict(sku="SH-L")]
    )
    other = double.add_product("Mug")

    await deliver_product_event(harness, double, app, "PRODUCT_UPDATED", seeded.id)
    await deliver_product_event(
        harness, double, app, "PRODUCT_VARIANT_UPDATED", seeded.id, variant_id=seeded.variant_ids[1]
    )
    await deliver_product_event(harness, double, app, "PRODUCT_VARIANT_STOCK_UPDATED", seeded.id)
    await deliver_product_event(harness, double, app, "PRODUCT_UPDATED", other.id)

    assert sorted(job.key for job in await harness.jobs()) == sorted([seeded.id, other.id])
