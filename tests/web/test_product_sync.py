"""Products end to end: signed Saleor webhooks and the periodic pull against the bexio emulator.

Each field in each mode, `disabled` leaving both sides alone, no echo in either direction,
multi-variant products, bexio refusing a stock write, creating missing articles.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.store.error_log import OPEN
from saleor_bexio_app.sync.model import FieldMode, ProductField, ProductSettings
from saleor_bexio_app.sync.richtext import richtext_to_text
from tests.web.conftest import Harness
from tests.web.shop import deliver_product_event, ready_shop, run_all

CHANNEL = "default-channel"
DESCRIPTION = {
    "time": 1,
    "blocks": [{"id": "a", "type": "paragraph", "data": {"text": "Organic <b>cotton</b>."}}],
    "version": "2.25.0",
}


class Shop:
    """A connected shop with one warehouse, a net-price channel and a product fixture."""

    def __init__(
        self, harness: Harness, double: SaleorDouble, app: InstalledApp, bexio: BexioEmulator
    ) -> None:
        self.harness, self.double, self.app, self.bexio = harness, double, app, bexio
        self.warehouse = double.add_warehouse("Zürich")["id"]
        double.add_channel(CHANNEL, prices_entered_with_tax=False)
        self.tax_class = double.add_tax_class("Standard", {"CH": "8.1"})

    async def shop_id(self) -> InstallationId:
        [installation] = await self.harness.installations()
        return InstallationId(installation.id)

    async def configure(self, **modes: Any) -> ProductSettings:
        settings = ProductSettings(
            price_channel_slug=CHANNEL, stock_warehouse_id=self.warehouse, **modes
        )
        repo = self.harness.services.sync_repo
        shop = await self.shop_id()
        current = await repo.shop_settings(shop)
        await repo.save_shop_settings(shop, replace(current, products=settings))
        return settings

    def add_shirt(self, **variant: Any) -> tuple[str, str]:
        spec = {
            "sku": "TS-1",
            "weight": (Decimal("250"), "G"),
            "prices": {CHANNEL: Decimal("20.00")},
            "stocks": {self.warehouse: 7},
            **variant,
        }
        seeded = self.double.add_product(
            "T-Shirt", description=DESCRIPTION, variants=[spec], tax_class=self.tax_class
        )
        return seeded.id, seeded.variant_ids[0]

    def add_article(self, **fields: Any) -> int:
        body = {
            "intern_code": "TS-1",
            "intern_name": "Old name",
            "intern_description": "Old text",
            "weight": 100,
            "sale_price": "10.00",
            "article_type_id": 1,
            **fields,
        }
        return int(self.bexio.add_article(**body)["id"])

    async def webhook(self, event: str, product_id: str) -> None:
        await deliver_product_event(self.harness, self.double, self.app, event, product_id)
        await run_all(self.harness)

    async def pull(self) -> None:
        """The periodic bexio → shop job, run now."""
        shop = await self.shop_id()
        async with self.harness.services.sessions.begin() as session:
            await queue.enqueue(
                session,
                installation_id=shop,
                kind=JobKind.POLL_ARTICLES,
                key="test-pull",
                now=self.harness.clock(),
            )
        await run_all(self.harness)

    def article_writes(self) -> list[tuple[str, str]]:
        return [
            (method, path)
            for method, path in self.bexio.calls
            if method == "POST" and path.startswith("/2.0/article") and "search" not in path
        ]

    def product_mutations(self) -> list[str]:
        return [name for name, _ in self.double.mutations if name.startswith("product")]

    def variant(self, variant_id: str) -> dict[str, Any]:
        return self.double.store.variants[variant_id]

    def product(self, product_id: str) -> dict[str, Any]:
        return self.double.store.products[product_id]

    async def open_errors(self) -> list[Any]:
        return await self.harness.services.error_log.list_errors(await self.shop_id(), status=OPEN)


@pytest.fixture
async def shop(harness: Harness) -> Shop:
    double, app, bexio = await ready_shop(harness)
    return Shop(harness, double, app, bexio)


# --- shop is master ------------------------------------------------------------------------------


SHOP_VALUES = {
    # field: (article key, the value bexio must show after the push)
    ProductField.TITLE: ("intern_name", "T-Shirt"),
    ProductField.DESCRIPTION: ("intern_description", "Organic cotton."),
    ProductField.WEIGHT: ("weight", 250),
    ProductField.STOCK: ("stock_nr", 7),
    ProductField.PRICE: ("sale_price", "20.00"),
}


def _article_value(article: dict[str, Any], key: str) -> Any:
    value = article[key]
    if key in ("weight", "stock_nr"):
        return int(Decimal(str(value)))
    if key == "sale_price":
        return f"{Decimal(str(value)):.2f}"
    return value


@pytest.mark.parametrize("product_field", list(ProductField))
async def test_a_shop_master_field_is_pushed_to_the_article_and_nothing_else(
    shop: Shop, product_field: ProductField
) -> None:
    await shop.configure(**{product_field.value: FieldMode.SHOP_MASTER})
    product_id, _ = shop.add_shirt()
    article_id = shop.add_article()
    before = dict(shop.bexio.articles[article_id])

    await shop.webhook("PRODUCT_UPDATED", product_id)

    after = shop.bexio.articles[article_id]
    key, expected = SHOP_VALUES[product_field]
    assert _article_value(after, key) == expected
    for other, (other_key, _) in SHOP_VALUES.items():
        if other is not product_field:
            assert _article_value(after, other_key) == _article_value(before, other_key)
    assert shop.product_mutations() == []
    assert await shop.open_errors() == []


async def test_a_gross_bexio_price_is_pushed_gross(shop: Shop) -> None:
    await shop.configure(price=FieldMode.SHOP_MASTER, bexio_price_is_gross=True)
    product_id, _ = shop.add_shirt()
    article_id = shop.add_article()

    await shop.webhook("PRODUCT_UPDATED", product_id)

    # 20.00 net in the channel, 8.1 % VAT → 21.62 gross in bexio.
    assert _article_value(shop.bexio.articles[article_id], "sale_price") == "21.62"


# --- bexio is master -----------------------------------------------------------------------------


def _shop_value(shop: Shop, product_id: str, variant_id: str, product_field: ProductField) -> Any:
    variant, product = shop.variant(variant_id), shop.product(product_id)
    if product_field is ProductField.TITLE:
        return product["name"]
    if product_field is ProductField.DESCRIPTION:
        return richtext_to_text(product["description"])
    if product_field is ProductField.WEIGHT:
        return variant["weight"]
    if product_field is ProductField.STOCK:
        return variant["stocks"].get(shop.warehouse)
    return variant["prices"].get(CHANNEL)


@pytest.mark.parametrize("product_field", list(ProductField))
async def test_a_bexio_master_field_is_pulled_into_saleor_and_nothing_else(
    shop: Shop, product_field: ProductField
) -> None:
    await shop.configure(**{product_field.value: FieldMode.BEXIO_MASTER})
    product_id, variant_id = shop.add_shirt()
    shop.add_article(
        intern_name="Bio T-Shirt",
        intern_description="Soft.\n\nWashable.",
        weight=300,
        sale_price="24.50",
        stock_nr=11,
    )
    before = {f: _shop_value(shop, product_id, variant_id, f) for f in ProductField}
    calls_before = len(shop.article_writes())

    await shop.pull()

    after = {f: _shop_value(shop, product_id, variant_id, f) for f in ProductField}
    expected = {
        ProductField.TITLE: "Bio T-Shirt",
        ProductField.DESCRIPTION: "Soft.\n\nWashable.",
        ProductField.STOCK: 11,
        ProductField.PRICE: Decimal("24.50"),
    }
    if product_field is ProductField.WEIGHT:
        assert _grams(after[ProductField.WEIGHT]) == Decimal(300)
    else:
        assert after[product_field] == expected[product_field]
    for other in ProductField:
        if other is not product_field:
            assert after[other] == before[other], other
    assert len(shop.article_writes()) == calls_before
    assert await shop.open_errors() == []


def _grams(weight: Any) -> Decimal:
    factors = {"G": Decimal(1), "KG": Decimal(1000)}
    if isinstance(weight, dict):
        return Decimal(str(weight["value"])) * factors[weight["unit"]]
    value, unit = weight
    return Decimal(str(value)) * factors[unit]


async def test_a_bexio_gross_price_is_written_net_into_a_net_channel(shop: Shop) -> None:
    await shop.configure(price=FieldMode.BEXIO_MASTER, bexio_price_is_gross=True)
    _, variant_id = shop.add_shirt()
    shop.add_article(sale_price="21.62")

    await shop.pull()

    assert shop.variant(variant_id)["prices"][CHANNEL] == Decimal("20.00")


# --- disabled ------------------------------------------------------------------------------------


async def test_disabled_fields_leave_both_sides_untouched_and_unread(shop: Shop) -> None:
    await shop.configure()
    product_id, _ = shop.add_shirt()
    article_id = shop.add_article()
    article_before = dict(shop.bexio.articles[article_id])
    calls_before = len(shop.bexio.calls)
    executions_before = shop.double.executions

    await shop.webhook("PRODUCT_UPDATED", product_id)
    await shop.webhook("PRODUCT_VARIANT_STOCK_UPDATED", product_id)
    await shop.pull()

    assert shop.bexio.articles[article_id] == article_before
    assert len(shop.bexio.calls) == calls_before
    assert shop.double.executions == executions_before
    assert shop.product_mutations() == []


# --- no echo -------------------------------------------------------------------------------------


async def test_a_pushed_value_does_not_come_back_from_bexio(shop: Shop) -> None:
    await shop.configure(price=FieldMode.SHOP_MASTER, title=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    shop.add_article()
    await shop.webhook("PRODUCT_UPDATED", product_id)
    writes = len(shop.article_writes())
    assert writes == 1

    # The same webhook again (Saleor retries, or another field changed): nothing to write.
    await shop.webhook("PRODUCT_UPDATED", product_id)
    # The merchant hands the price to bexio: what the shop pushed is not pulled back.
    await shop.configure(price=FieldMode.BEXIO_MASTER, title=FieldMode.SHOP_MASTER)
    await shop.pull()

    assert len(shop.article_writes()) == writes
    assert shop.product_mutations() == []


async def test_a_pulled_value_does_not_bounce_back_to_bexio(shop: Shop) -> None:
    await shop.configure(price=FieldMode.BEXIO_MASTER, stock=FieldMode.BEXIO_MASTER)
    product_id, variant_id = shop.add_shirt()
    shop.add_article(sale_price="24.50", stock_nr=11)
    await shop.pull()
    assert shop.variant(variant_id)["prices"][CHANNEL] == Decimal("24.50")
    mutations = len(shop.product_mutations())
    assert mutations == 2

    # Saleor reports the app's own writes as product and stock changes.
    await shop.webhook("PRODUCT_VARIANT_UPDATED", product_id)
    await shop.webhook("PRODUCT_VARIANT_STOCK_UPDATED", product_id)
    # Switched around, the pulled value is not pushed back either.
    await shop.configure(price=FieldMode.SHOP_MASTER, stock=FieldMode.BEXIO_MASTER)
    await shop.webhook("PRODUCT_UPDATED", product_id)
    await shop.pull()

    assert shop.article_writes() == []
    assert len(shop.product_mutations()) == mutations


async def test_an_unchanged_article_is_not_looked_up_in_saleor_again(shop: Shop) -> None:
    await shop.configure(price=FieldMode.BEXIO_MASTER)
    shop.add_shirt()
    article_id = shop.add_article(sale_price="24.50")
    await shop.pull()
    executions = shop.double.executions

    await shop.pull()
    assert shop.double.executions == executions

    shop.bexio.articles[article_id]["sale_price"] = "26.00"
    await shop.pull()
    assert shop.double.executions > executions
    [variant_id] = shop.product(next(iter(shop.double.store.products)))["variants"]
    assert shop.variant(variant_id)["prices"][CHANNEL] == Decimal("26.00")


# --- variants, creation, refusals -----------------------------------------------------------------


async def test_each_variant_of_a_multi_variant_product_is_its_own_article(shop: Shop) -> None:
    await shop.configure(
        title=FieldMode.SHOP_MASTER, price=FieldMode.SHOP_MASTER, create_missing_articles=True
    )
    seeded = shop.double.add_product(
        "Hoodie",
        variants=[
            {"sku": "HD-S", "name": "S", "prices": {CHANNEL: Decimal("50.00")}},
            {"sku": "HD-M", "name": "M", "prices": {CHANNEL: Decimal("55.00")}},
            {"name": "No SKU", "prices": {CHANNEL: Decimal("60.00")}},
        ],
        tax_class=shop.tax_class,
    )

    await shop.webhook("PRODUCT_CREATED", seeded.id)
    await shop.webhook("PRODUCT_VARIANT_CREATED", seeded.id)

    articles = {a["intern_code"]: a for a in shop.bexio.articles.values()}
    assert set(articles) == {"HD-S", "HD-M"}
    assert articles["HD-S"]["intern_name"] == "Hoodie — S"
    assert articles["HD-M"]["intern_name"] == "Hoodie — M"
    assert _article_value(articles["HD-M"], "sale_price") == "55.00"
    assert len([w for w in shop.article_writes() if w[1] == "/2.0/article"]) == 2


async def test_missing_articles_are_created_only_when_allowed(shop: Shop) -> None:
    await shop.configure(title=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    await shop.webhook("PRODUCT_UPDATED", product_id)
    assert shop.bexio.articles == {}

    await shop.configure(title=FieldMode.SHOP_MASTER, create_missing_articles=True)
    await shop.webhook("PRODUCT_UPDATED", product_id)
    [article] = shop.bexio.articles.values()
    assert (article["intern_code"], article["intern_name"]) == ("TS-1", "T-Shirt")


async def test_bexio_refusing_the_stock_leaves_a_readable_error_and_the_rest_synced(
    shop: Shop,
) -> None:
    await shop.configure(stock=FieldMode.SHOP_MASTER, price=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    article_id = shop.add_article(stock_nr=3)
    shop.bexio.book_stock(article_id)

    await shop.webhook("PRODUCT_VARIANT_STOCK_UPDATED", product_id)

    article = shop.bexio.articles[article_id]
    assert _article_value(article, "stock_nr") == 3
    assert _article_value(article, "sale_price") == "20.00"
    [error] = await shop.open_errors()
    assert error.kind == "sync_product"
    assert "TS-1" in error.user_message
    assert "first stock booking" in error.user_message
    assert "bexio the master of stock" in error.user_message

    # The merchant follows the advice: bexio becomes master of stock; Retry clears the error.
    await shop.configure(stock=FieldMode.BEXIO_MASTER, price=FieldMode.SHOP_MASTER)
    assert await shop.harness.services.error_log.retry(await shop.shop_id(), [error.id]) == 1
    await run_all(shop.harness)
    assert await shop.open_errors() == []


async def test_duplicate_article_numbers_in_bexio_are_reported_not_guessed(shop: Shop) -> None:
    await shop.configure(title=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    shop.bexio.add_articles(
        [
            {"intern_code": "TS-1", "intern_name": "One", "article_type_id": 1},
            {"intern_code": "TS-1", "intern_name": "Two", "article_type_id": 1},
        ],
        unique_codes=False,
    )

    await shop.webhook("PRODUCT_UPDATED", product_id)

    assert sorted(a["intern_name"] for a in shop.bexio.articles.values()) == ["One", "Two"]
    [error] = await shop.open_errors()
    assert "TS-1" in error.user_message and "Several bexio articles" in error.user_message


async def test_a_deleted_product_leaves_its_article_alone(shop: Shop) -> None:
    await shop.configure(title=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    article_id = shop.add_article()
    await shop.webhook("PRODUCT_UPDATED", product_id)
    headers, body = shop.double.product_webhook("PRODUCT_DELETED", product_id, shop.app.id)
    shop.double.delete_product(product_id)

    response = await shop.harness.client.post(
        "/api/webhooks/product-deleted", content=body, headers=headers
    )
    assert response.status_code == 200
    await run_all(shop.harness)

    assert article_id in shop.bexio.articles
    assert await shop.open_errors() == []
