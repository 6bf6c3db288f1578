"""The initial product sync and its dry run: through the dashboard API, throttled, resumable.

The 2,000-product run compresses time: the bexio emulator's minute and the app's limiter share
one fake clock whose `sleep` moves time forward, so the run takes seconds while bexio's
per-minute limits hold exactly as they would over the real minutes.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.limiter import RateLimiter
from saleor_bexio_app.jobs.backfill import backfill_progress
from saleor_bexio_app.sync.model import FieldMode
from tests.api.test_graphql import READ_ONLY, _gql
from tests.web.conftest import BEXIO, Harness
from tests.web.shop import ready_shop, run_all
from tests.web.test_product_sync import CHANNEL, Shop

START = """mutation($dryRun: Boolean!) {
  startProductSync(dryRun: $dryRun) {
    __typename
    ... on ProductSyncStarted { backfillId dryRun }
    ... on ProductSyncOff { message }
    ... on BexioNotConnected { message }
    ... on Forbidden { permission }
  }
}"""
BACKFILLS = "{ backfills { id entity status total done report } }"
OPTIONS = """{
  productSyncOptions {
    __typename
    ... on ProductSyncOptions {
      channels { slug name currency pricesEnteredWithTax }
      warehouses { id name }
    }
    ... on SaleorUnavailable { message }
  }
}"""
MATCHING = """{
  productMatching {
    __typename
    ... on ProductMatching {
      matched
      variantsWithoutSku { code name saleorId bexioId }
      duplicateSkus { code }
      duplicateCodes { code bexioId }
      unmatchedVariants { code name }
      unmatchedArticles { code name bexioId }
    }
    ... on BexioNotConnected { message }
    ... on BexioUnavailable { message }
  }
}"""


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    double, app, bexio = await ready_shop(harness)
    return Shop(harness, double, app, bexio)


async def _api(shop: Shop, query: str, variables: dict[str, Any] | None = None, **kw: Any) -> Any:
    return await _gql(shop.harness, shop.double, shop.app, query, variables, **kw)


def _seed(shop: Shop, count: int, *, articles: int = 0) -> None:
    for n in range(count):
        shop.double.add_product(
            f"Product {n}",
            variants=[
                {
                    "sku": f"SKU-{n:05d}",
                    "prices": {CHANNEL: Decimal("10.00") + n % 7},
                    "stocks": {shop.warehouse: n % 5},
                }
            ],
            tax_class=shop.tax_class,
        )
    shop.bexio.add_articles(
        {
            "intern_code": f"SKU-{n:05d}",
            "intern_name": f"Article {n}",
            "article_type_id": 1,
            "sale_price": "1.00",
        }
        for n in range(articles)
    )


async def test_the_api_offers_channels_and_warehouses_and_lists_unmatched_items(
    shop: Shop,
) -> None:
    _seed(shop, 3, articles=2)
    shop.double.add_product("Gift wrap", variants=[{"name": "Plain"}])
    shop.bexio.add_article(intern_code="ONLY-IN-BEXIO", intern_name="Old stock", article_type_id=1)

    options = (await _api(shop, OPTIONS, permissions=READ_ONLY))["productSyncOptions"]
    matching = (await _api(shop, MATCHING, permissions=READ_ONLY))["productMatching"]

    assert options["__typename"] == "ProductSyncOptions"
    assert {
        "slug": CHANNEL,
        "name": "Default channel",
        "currency": "CHF",
        "pricesEnteredWithTax": False,
    } in options["channels"]
    assert options["warehouses"] == [{"id": shop.warehouse, "name": "Zürich"}]
    assert matching["__typename"] == "ProductMatching"
    assert matching["matched"] == 2
    assert [v["code"] for v in matching["unmatchedVariants"]] == ["SKU-00002"]
    assert [v["name"] for v in matching["variantsWithoutSku"]] == ["Gift wrap"]
    assert [a["code"] for a in matching["unmatchedArticles"]] == ["ONLY-IN-BEXIO"]


async def test_starting_a_sync_needs_manage_apps_and_a_synced_field(shop: Shop) -> None:
    refused = await _api(shop, START, {"dryRun": True}, permissions=READ_ONLY)
    assert refused["startProductSync"] == {"__typename": "Forbidden", "permission": "MANAGE_APPS"}
    off = (await _api(shop, START, {"dryRun": True}))["startProductSync"]
    assert off["__typename"] == "ProductSyncOff"
    assert await backfill_progress(shop.harness.services.sessions, await shop.shop_id()) == []


async def test_a_dry_run_reports_what_the_sync_would_change_and_writes_nothing(
    shop: Shop,
) -> None:
    await shop.configure(
        title=FieldMode.SHOP_MASTER, price=FieldMode.BEXIO_MASTER, create_missing_articles=True
    )
    _seed(shop, 120, articles=100)
    shop.bexio.add_article(intern_code="ONLY-IN-BEXIO", intern_name="Old stock", article_type_id=1)
    articles_before = {k: dict(v) for k, v in shop.bexio.articles.items()}

    started = (await _api(shop, START, {"dryRun": True}))["startProductSync"]
    assert started["__typename"] == "ProductSyncStarted" and started["dryRun"] is True
    await run_all(shop.harness)

    [backfill] = (await _api(shop, BACKFILLS, permissions=READ_ONLY))["backfills"]
    assert (backfill["entity"], backfill["status"]) == ("products_dry_run", "done")
    assert backfill["done"] == backfill["total"] == 120
    report = backfill["report"]
    assert report["articles_to_create"] == 20
    assert report["articles_to_update"] == 100  # each title differs
    assert report["variants_to_update"] == 100  # each price differs
    assert report["unmatched_articles"] == 1
    assert report["push_fields"] == {"title": 120}
    assert report["pull_fields"] == {"price": 100}
    assert report["unmatched_articles_items"][0]["code"] == "ONLY-IN-BEXIO"
    assert len(report["changes"]) == 25
    assert shop.bexio.articles == articles_before
    assert shop.product_mutations() == []


class CompressedTime:
    """A clock shared by the emulator and the limiter; sleeping moves it forward at once."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0)


class StatusCounter:
    """Counts the emulator's answers by status, per emulated minute."""

    def __init__(self, app: Any, clock: CompressedTime) -> None:
        self.app, self.clock = app, clock
        self.statuses: Counter[int] = Counter()
        self.per_minute: Counter[int] = Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        async def counting_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
                if scope["path"].startswith("/2.0/"):
                    self.per_minute[int(self.clock.now // 60)] += 1
            await send(message)

        await self.app(scope, receive, counting_send)


async def test_two_thousand_products_sync_under_bexios_rate_limit(harness: Harness) -> None:
    clock = CompressedTime()
    # bexio's real budget for articles (400/min) and searches (250/min), per emulated minute.
    double, app, bexio = await ready_shop(harness, bexio_options={"clock": clock.time})
    counter = StatusCounter(bexio.app, clock)
    harness.network.add_host(httpx.URL(BEXIO).netloc.decode("ascii"), counter)
    harness.services.limiter = RateLimiter(clock=clock.time, sleep=clock.sleep)
    shop = Shop(harness, double, app, bexio)
    await shop.configure(
        title=FieldMode.SHOP_MASTER, price=FieldMode.SHOP_MASTER, create_missing_articles=True
    )
    _seed(shop, 2000, articles=500)
    started_at = clock.now

    started = (await _api(shop, START, {"dryRun": False}))["startProductSync"]
    assert started["__typename"] == "ProductSyncStarted"
    await run_all(harness)

    [progress] = await backfill_progress(harness.services.sessions, await shop.shop_id())
    assert (progress.status, progress.done, progress.total) == ("done", 2000, 2000)
    codes = Counter(a["intern_code"] for a in bexio.articles.values())
    assert len(codes) == 2000 and set(codes.values()) == {1}
    assert counter.statuses[429] == 0
    assert await shop.open_errors() == []
    # No emulated minute saw more article calls than bexio allows (400 edits + 250 searches).
    assert max(counter.per_minute.values()) <= 650
    minutes = (clock.now - started_at) / 60
    calls = sum(counter.per_minute.values())
    print(f"\n2,000 products: {calls} bexio calls in {minutes:.1f} emulated minutes, 0 x 429")


async def test_flaky_bexio_neither_stops_the_sync_nor_doubles_an_article(harness: Harness) -> None:
    double, app, bexio = await ready_shop(harness)
    shop = Shop(harness, double, app, bexio)
    await shop.configure(
        title=FieldMode.SHOP_MASTER, price=FieldMode.SHOP_MASTER, create_missing_articles=True
    )
    _seed(shop, 300, articles=50)
    # One call in five fails; half of the failed writes were carried out before the answer got lost.
    bexio.fail_randomly(0.2, {500: 1, 503: 1, "reset": 1}, processed_share=0.5, seed=5)

    started = (await _api(shop, START, {"dryRun": False}))["startProductSync"]
    assert started["__typename"] == "ProductSyncStarted"
    for _ in range(40):
        await run_all(harness)
        if all(job.state in ("done", "parked") for job in await harness.jobs()):
            break
        harness.clock.advance(3600)  # past every retry's backoff
    bexio.fail_randomly(0, {})

    assert sum(bexio.injected.values()) > 20
    codes = Counter(a["intern_code"] for a in bexio.articles.values())
    assert len(codes) == 300 and set(codes.values()) == {1}
    assert {a["intern_name"] for a in bexio.articles.values()} == {
        f"Product {n}" for n in range(300)
    }
    [progress] = await backfill_progress(harness.services.sessions, await shop.shop_id())
    assert (progress.status, progress.done) == ("done", 300)
    assert [job for job in await harness.jobs() if job.state != "done"] == []
