"""The dashboard API's product sync: channel and warehouse choices, matching, initial sync.

The product settings themselves are part of the settings document (`products`), saved with
`saveSettings` like every other setting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry

from saleor_bexio_app.api.types import Forbidden
from saleor_bexio_app.api.vat_orders import BexioNotConnected, BexioUnavailable
from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.backfill import BackfillEntity, start_backfill
from saleor_bexio_app.jobs.product_flows import PAGE_SIZE, syncs_products
from saleor_bexio_app.sync.products import Article, Variant, code_key, match_variants
from saleor_bexio_app.web.services import Services

# The matching lists at most this many items per list; the counts are always complete.
MAX_LISTED = 200


@strawberry.type
class SaleorChannel:
    slug: str
    name: str
    currency: str
    prices_entered_with_tax: bool


@strawberry.type
class SaleorWarehouse:
    id: str
    name: str


@strawberry.type
class ProductSyncOptions:
    """What the product settings can choose from in the shop."""

    channels: list[SaleorChannel]
    warehouses: list[SaleorWarehouse]


@strawberry.type
class SaleorUnavailable:
    """The shop's Saleor could not be read now; `message` says why."""

    message: str


ProductSyncOptionsResult = Annotated[
    ProductSyncOptions | SaleorUnavailable, strawberry.union("ProductSyncOptionsResult")
]


@strawberry.type
class UnmatchedItem:
    """A variant or article that has no partner: `code` is the SKU or bexio article number."""

    code: str | None
    name: str
    saleor_id: str | None
    bexio_id: int | None


@strawberry.type
class ProductMatching:
    """Variants and bexio articles paired by SKU = article number, and what could not be
    paired (never guessed). `matched` counts the pairs; each list holds at most 200 items."""

    matched: int
    variants_without_sku: list[UnmatchedItem]
    duplicate_skus: list[UnmatchedItem]
    duplicate_codes: list[UnmatchedItem]
    unmatched_variants: list[UnmatchedItem]
    unmatched_articles: list[UnmatchedItem]


ProductMatchingResult = Annotated[
    ProductMatching | BexioNotConnected | BexioUnavailable,
    strawberry.union("ProductMatchingResult"),
]


@strawberry.type
class ProductSyncStarted:
    """The initial sync (or its dry run) was queued; follow it in `backfills`."""

    backfill_id: int
    dry_run: bool


@strawberry.type
class ProductSyncOff:
    """Every product field is disabled, so there is nothing to sync."""

    message: str


StartProductSyncResult = Annotated[
    ProductSyncStarted | ProductSyncOff | BexioNotConnected | Forbidden,
    strawberry.union("StartProductSyncResult"),
]


async def read_product_sync_options(
    services: Services, shop: InstallationId
) -> ProductSyncOptionsResult:
    try:
        products = await services.saleor_products(shop)
        channels = await products.channels()
        warehouses = await products.warehouses()
    except AppError as exc:
        return SaleorUnavailable(message=exc.user_message)
    return ProductSyncOptions(
        channels=[
            SaleorChannel(
                slug=c.slug,
                name=c.name,
                currency=c.currency,
                prices_entered_with_tax=c.prices_entered_with_tax,
            )
            for c in channels
        ],
        warehouses=[SaleorWarehouse(id=w.id, name=w.name) for w in warehouses],
    )


def _variant_item(variant: Variant) -> UnmatchedItem:
    return UnmatchedItem(
        code=code_key(variant.sku) or None,
        name=variant.title,
        saleor_id=variant.id,
        bexio_id=None,
    )


def _article_item(article: Article) -> UnmatchedItem:
    return UnmatchedItem(
        code=code_key(article.intern_code) or None,
        name=article.intern_name,
        saleor_id=None,
        bexio_id=int(article.id),
    )


async def read_product_matching(services: Services, shop: InstallationId) -> ProductMatchingResult:
    """Every variant against every article (reads all of both; meant for the settings page)."""
    settings = await services.sync_repo.shop_settings(shop)
    try:
        ports = await services.product_ports(shop, settings.products)
        variants: list[Variant] = []
        cursor: str | None = None
        while True:
            page, cursor = await ports.shop.variants_page(cursor, PAGE_SIZE)
            variants.extend(page)
            if cursor is None:
                break
        articles = await ports.articles.all_articles()
    except AuthError as exc:
        return BexioNotConnected(message=exc.user_message)
    except AppError as exc:
        return BexioUnavailable(message=exc.user_message)
    matching = match_variants(variants, articles)

    def listed(items: Sequence[UnmatchedItem]) -> list[UnmatchedItem]:
        return list(items[:MAX_LISTED])

    return ProductMatching(
        matched=len(matching.matched),
        variants_without_sku=listed([_variant_item(v) for v in matching.variants_without_sku]),
        duplicate_skus=listed(
            [_variant_item(v) for group in matching.duplicate_skus.values() for v in group]
        ),
        duplicate_codes=listed(
            [_article_item(a) for group in matching.duplicate_codes.values() for a in group]
        ),
        unmatched_variants=listed([_variant_item(v) for v in matching.unmatched_variants]),
        unmatched_articles=listed([_article_item(a) for a in matching.unmatched_articles]),
    )


async def request_product_sync(
    services: Services, shop: InstallationId, *, dry_run: bool
) -> StartProductSyncResult:
    settings = await services.sync_repo.shop_settings(shop)
    if not syncs_products(settings.products):
        return ProductSyncOff(
            message="Every product field is disabled; choose a direction for at least one field."
        )
    try:
        await services.product_ports(shop, settings.products)
    except AuthError as exc:
        return BexioNotConnected(message=exc.user_message)
    now = services.clock()
    entity = BackfillEntity.PRODUCTS_DRY_RUN if dry_run else BackfillEntity.PRODUCTS
    backfill_id = await start_backfill(services.sessions, shop, entity, now.date(), now=now)
    return ProductSyncStarted(backfill_id=backfill_id, dry_run=dry_run)
