"""The product sync: Saleor variants ↔ bexio articles, field by field, as the merchant chose.

- `sync_product` (Saleor's product, variant and stock webhooks; the initial sync; the periodic
  pull): reads the product's variants and their articles (by SKU = `intern_code`), pushes the
  shop-master fields to bexio, then writes the bexio-master fields into Saleor.
- `poll_articles` (periodic, per shop): bexio has no change timestamp or webhook for articles, so
  it reads every article and queues `sync_product` only for products whose article's
  bexio-master values differ from what was last handled (one hash per article).
- `ProductBulk`: the pages of an initial sync (queues `sync_product` per product) and of its dry
  run (plans without writing and adds up what it would change).

The rules live in `sync/products.py`; this module fetches, applies and remembers. Fingerprints
are stored after a successful apply, per field, so a value just written to one side is not
taken for a change of that side (no echo).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import (
    AppError,
    AuthError,
    ConfigError,
    RejectedError,
    StockRefusedError,
)
from saleor_bexio_app.ids import InstallationId, SaleorId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.store.product_repo import ARTICLE_PRINT, Prints, SqlProductRepo
from saleor_bexio_app.store.tables import BackfillRow
from saleor_bexio_app.sync.model import (
    FieldMode,
    Link,
    LinkKind,
    ProductField,
    ProductSettings,
    ShopSettings,
)
from saleor_bexio_app.sync.ports import ArticlePort, ProductShopPort
from saleor_bexio_app.sync.products import (
    Article,
    ArticlePlan,
    BulkCounts,
    FieldFingerprints,
    Matching,
    Variant,
    VariantPlan,
    article_print,
    code_key,
    duplicate_article_error,
    match_variants,
    plan_initial_sync,
    plan_pull,
    plan_push,
    stock_refused_error,
)

log = logging.getLogger(__name__)

Sessions = async_sessionmaker[AsyncSession]

# Products per page of an initial sync (Saleor's maximum; more than 50 SKUs make the article
# lookup one listing of all articles instead of a search per SKU); SKUs per Saleor lookup.
PAGE_SIZE = 100
SKU_BATCH = 100
# How many example changes and unmatched items a dry-run report keeps.
REPORT_EXAMPLES = 25
# Prints of articles no variant matched are kept under this prefix + article id.
UNMATCHED_ARTICLE = "bexio-article:"


@dataclass(frozen=True, slots=True)
class ProductPorts:
    """Saleor's products and bexio's articles of one shop, for one job."""

    shop: ProductShopPort
    articles: ArticlePort


# The shop's ports for its product settings (the price channel decides the VAT country).
ProductPortsFactory = Callable[[InstallationId, ProductSettings], Awaitable[ProductPorts]]


class SettingsSource(Protocol):
    """Where the shop's settings and links come from (the sync repo)."""

    async def shop_settings(self, shop: InstallationId) -> ShopSettings: ...

    async def save_link(self, shop: InstallationId, link: Link) -> None: ...


def syncs_products(settings: ProductSettings) -> bool:
    """Whether any product field is synced at all (else the app never touches products)."""
    return any(settings.mode(f) is not FieldMode.DISABLED for f in ProductField)


def _field_prints(prints: Mapping[str, str]) -> FieldFingerprints:
    return {ProductField(name): value for name, value in prints.items() if name in _FIELD_NAMES}


_FIELD_NAMES = frozenset(f.value for f in ProductField)


def _skus(variants: Iterable[Variant]) -> list[str]:
    """The variants' SKUs (as the matching compares them), each once, in order."""
    return list(dict.fromkeys(code_key(v.sku) for v in variants if code_key(v.sku)))


def _batches(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ProductFlows:
    """The `sync_product` and `poll_articles` job handlers."""

    def __init__(
        self,
        repo: SettingsSource,
        prints: SqlProductRepo,
        ports: ProductPortsFactory,
        sessions: Sessions,
        clock: Callable[[], datetime],
    ) -> None:
        self._repo = repo
        self._prints = prints
        self._ports = ports
        self._sessions = sessions
        self._clock = clock

    async def sync_product(self, job: Job) -> None:
        """Push the shop-master fields of one product's variants, then pull the bexio-master ones.

        A deleted product leaves its bexio articles alone (documents refer to them). Every
        variant is handled even when one fails; the failures are raised together at the end.
        """
        shop = job.installation_id
        settings = (await self._repo.shop_settings(shop)).products
        if not syncs_products(settings):
            return
        ports = await self._ports(shop, settings)
        variants = await ports.shop.product_variants(SaleorId(job.key))
        if not variants:
            return
        await self.sync_variants(shop, ports, settings, variants)

    async def sync_variants(
        self,
        shop: InstallationId,
        ports: ProductPorts,
        settings: ProductSettings,
        variants: Sequence[Variant],
        articles: Sequence[Article] | None = None,
    ) -> None:
        """Sync these variants with their articles (read by SKU unless given: then every
        article with one of their SKUs); RejectedError listing what was refused."""
        skus = _skus(variants)
        if articles is None:
            articles = list(await ports.articles.articles_by_code(skus)) if skus else []
        else:
            wanted = set(skus)
            articles = [a for a in articles if code_key(a.intern_code) in wanted]
        matching = match_variants(variants, articles)
        stored = await self._prints.prints(shop, [v.id for v in variants])
        problems: list[AppError] = []
        for item in matching.matched:
            await self._sync_one(
                shop, ports, settings, item.variant, item.article, stored, problems
            )
        for variant in matching.unmatched_variants:
            await self._sync_one(shop, ports, settings, variant, None, stored, problems)
        problems.extend(duplicate_article_error(code) for code in matching.duplicate_codes)
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise RejectedError(
                " ".join(p.user_message for p in problems),
                detail="; ".join(p.detail for p in problems if p.detail),
            )

    async def _sync_one(
        self,
        shop: InstallationId,
        ports: ProductPorts,
        settings: ProductSettings,
        variant: Variant,
        article: Article | None,
        stored: Mapping[SaleorId, Prints],
        problems: list[AppError],
    ) -> None:
        last = _field_prints(stored.get(variant.id, {}))
        plan = plan_push(variant, article, settings, last)
        try:
            current = await self._apply_push(ports, plan, article)
        except StockRefusedError as refused:
            quantity = plan.draft.stock_nr or 0
            plan = plan.without_stock()
            current = await self._apply_push(ports, plan, article)
            problems.append(stock_refused_error(plan.sku or "", quantity, detail=refused.detail))
        if current is not None:
            await self._repo.save_link(shop, Link(LinkKind.ARTICLE, variant.id, int(current.id)))
        pushed = {f.value: p for f, p in plan.fingerprints.items()}
        await self._prints.save_prints(shop, variant.id, pushed)
        if current is None or not settings.fields(FieldMode.BEXIO_MASTER):
            return
        pull = plan_pull(current, variant, settings, {**last, **plan.fingerprints})
        await self.apply_pull(ports.shop, pull)
        pulled = {f.value: p for f, p in pull.fingerprints.items()}
        pulled[ARTICLE_PRINT] = article_print(current, settings)
        await self._prints.save_prints(shop, variant.id, pulled)

    async def _apply_push(
        self, ports: ProductPorts, plan: ArticlePlan, article: Article | None
    ) -> Article | None:
        if plan.action == "create":
            created = await ports.articles.create_article(plan.draft)
            log.info("created bexio article %s for a variant", created.id)
            return created
        if plan.action == "update" and plan.article_id is not None:
            return await ports.articles.update_article(plan.article_id, plan.draft)
        return article

    @staticmethod
    async def apply_pull(shop: ProductShopPort, plan: VariantPlan) -> None:
        """Write a pull plan's values into Saleor with the mutations each needs."""
        if plan.action != "update" or plan.variant_id is None:
            return
        if plan.product_id is not None and (
            plan.product_name is not None or plan.description is not None
        ):
            await shop.update_product(
                plan.product_id, name=plan.product_name, description=plan.description
            )
        if plan.variant_name is not None or plan.weight is not None:
            await shop.update_variant(plan.variant_id, name=plan.variant_name, weight=plan.weight)
        if plan.channel_price is not None:
            await shop.set_variant_price(
                plan.variant_id, plan.channel_price.channel_slug, plan.channel_price.amount
            )
        if plan.stock is not None:
            await shop.set_variant_stock(
                plan.variant_id, plan.stock.warehouse_id, plan.stock.quantity
            )

    async def poll_articles(self, job: Job) -> None:
        """Read every article and queue `sync_product` for those whose bexio-master values
        changed since they were last handled (or that were never handled)."""
        shop = job.installation_id
        settings = (await self._repo.shop_settings(shop)).products
        if not settings.fields(FieldMode.BEXIO_MASTER):
            return
        try:
            ports = await self._ports(shop, settings)
        except AuthError:
            return  # not connected (or uninstalled): the connection page already says so
        articles = await ports.articles.all_articles()
        links = await self._prints.article_links(shop)
        stored = await self._prints.prints(shop)
        changed: dict[str, Article] = {}
        for article in articles:
            code = code_key(article.intern_code)
            if not code:
                continue
            now_print = article_print(article, settings)
            variant_ids = links.get(int(article.id)) or [
                SaleorId(f"{UNMATCHED_ARTICLE}{article.id}")
            ]
            if all(stored.get(v, {}).get(ARTICLE_PRINT) == now_print for v in variant_ids):
                continue
            changed[code] = article
        if not changed:
            return
        product_ids: list[SaleorId] = []
        found_codes: set[str] = set()
        for batch in _batches(list(changed), SKU_BATCH):
            for variant in await ports.shop.variants_by_sku(batch):
                found_codes.add(code_key(variant.sku))
                product_ids.append(variant.product_id)
        now = self._clock()
        async with self._sessions.begin() as session:
            for product_id in dict.fromkeys(product_ids):
                await queue.enqueue(
                    session,
                    installation_id=shop,
                    kind=JobKind.SYNC_PRODUCT,
                    key=product_id,
                    now=now,
                    payload={"source": "bexio"},
                )
        # Articles without a variant: remember them, so they are looked up again only when they
        # change (a variant created later with that SKU comes through its own webhook).
        for code, article in changed.items():
            if code not in found_codes:
                await self._prints.save_prints(
                    shop,
                    SaleorId(f"{UNMATCHED_ARTICLE}{article.id}"),
                    {ARTICLE_PRINT: article_print(article, settings)},
                )


class ProductBulk:
    """The pages of an initial product sync and of its dry run (run by the backfill job)."""

    def __init__(
        self,
        flows: ProductFlows,
        repo: SettingsSource,
        prints: SqlProductRepo,
        ports: ProductPortsFactory,
        sessions: Sessions,
        clock: Callable[[], datetime],
        *,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._flows = flows
        self._repo = repo
        self._prints = prints
        self._ports = ports
        self._sessions = sessions
        self._clock = clock
        self._page_size = page_size

    async def page(
        self, job: Job, backfill_id: int, cursor: str | None, *, dry_run: bool
    ) -> tuple[int, str | None, bool]:
        """Handle the page after `cursor`: (products on it, its end cursor, whether more follow).

        A real run syncs the page's products (see `_sync_page`); a dry run plans the page and
        adds it to the report.
        """
        shop = job.installation_id
        settings = (await self._repo.shop_settings(shop)).products
        ports = await self._ports(shop, settings)
        variants, next_cursor = await ports.shop.variants_page(cursor, self._page_size)
        product_ids = list(dict.fromkeys(v.product_id for v in variants))
        more = next_cursor is not None
        if dry_run:
            report = await self._dry_run_page(shop, ports, settings, variants)
            if not more:
                report = _merge_unmatched(report, await self._unmatched_articles(ports))
            await self._add_report(backfill_id, report)
            return len(product_ids), next_cursor, more
        if syncs_products(settings):
            await self._sync_page(shop, ports, settings, variants, backfill_id)
        return len(product_ids), next_cursor, more

    async def _sync_page(
        self,
        shop: InstallationId,
        ports: ProductPorts,
        settings: ProductSettings,
        variants: Sequence[Variant],
        backfill_id: int,
    ) -> None:
        """Sync a page product by product. A product that fails (bexio refused it, or a call
        failed for now) gets its own `sync_product` job, which retries with backoff and, if it
        keeps failing, lands in the error log with Retry; the page goes on. So one flaky call
        costs one product's retry, not the page's. A configuration or connection problem stops
        the page (it would fail every product). Nothing doubles on a repeat: articles are found
        again by SKU, and fingerprints skip what is already in step.
        """
        by_product: dict[SaleorId, list[Variant]] = {}
        for variant in variants:
            by_product.setdefault(variant.product_id, []).append(variant)
        skus = _skus(variants)
        articles = list(await ports.articles.articles_by_code(skus)) if skus else []
        refused: list[SaleorId] = []
        for product_id, product_variants in by_product.items():
            try:
                await self._flows.sync_variants(shop, ports, settings, product_variants, articles)
            except ConfigError:
                raise  # parked for the whole sync: it would fail every product
            except AppError:
                refused.append(product_id)
        if not refused:
            return
        now = self._clock()
        async with self._sessions.begin() as session:
            for product_id in refused:
                await queue.enqueue(
                    session,
                    installation_id=shop,
                    kind=JobKind.SYNC_PRODUCT,
                    key=product_id,
                    now=now,
                    payload={"backfill_id": backfill_id},
                )

    async def _dry_run_page(
        self,
        shop: InstallationId,
        ports: ProductPorts,
        settings: ProductSettings,
        variants: Sequence[Variant],
    ) -> dict[str, Any]:
        skus = _skus(variants)
        articles = list(await ports.articles.articles_by_code(skus)) if skus else []
        stored = await self._prints.prints(shop, [v.id for v in variants])
        last_by_sku = {
            code_key(v.sku): _field_prints(stored.get(v.id, {}))
            for v in variants
            if code_key(v.sku)
        }
        plan = plan_initial_sync(variants, articles, settings, last_by_sku)
        return _page_report(plan.counts, plan.matching, plan.pushes, plan.pulls)

    async def _unmatched_articles(self, ports: ProductPorts) -> list[Article]:
        articles = [a for a in await ports.articles.all_articles() if code_key(a.intern_code)]
        codes = list(dict.fromkeys(code_key(a.intern_code) for a in articles))
        found: set[str] = set()
        for batch in _batches(codes, SKU_BATCH):
            found.update(code_key(v.sku) for v in await ports.shop.variants_by_sku(batch))
        return [a for a in articles if code_key(a.intern_code) not in found]

    async def _add_report(self, backfill_id: int, page: Mapping[str, Any]) -> None:
        async with self._sessions.begin() as session:
            row = await session.get(BackfillRow, backfill_id, with_for_update=True)
            if row is None:
                return
            await session.execute(
                update(BackfillRow)
                .where(BackfillRow.id == backfill_id)
                .values(report=merge_reports(row.report or {}, page))
            )


# --- dry-run reports -----------------------------------------------------------------------------

_COUNT_KEYS = (
    "articles_to_create",
    "articles_to_update",
    "variants_to_update",
    "unchanged",
    "not_created",
    "unmatched_articles",
    "variants_without_sku",
    "duplicate_skus",
    "duplicate_codes",
)
_LIST_KEYS = ("changes", "variants_without_sku_items", "unmatched_articles_items", "notes")


def _page_report(
    counts: BulkCounts,
    matching: Matching,
    pushes: Sequence[ArticlePlan],
    pulls: Sequence[VariantPlan],
) -> dict[str, Any]:
    changes: list[dict[str, Any]] = []
    for push in pushes:
        changes.extend(
            {
                "direction": "to_bexio",
                "sku": push.sku,
                "field": c.field.value,
                "old": c.old,
                "new": c.new,
                "action": push.action,
            }
            for c in push.changes
        )
    skus = {item.variant.id: code_key(item.variant.sku) for item in matching.matched}
    for pull in pulls:
        changes.extend(
            {
                "direction": "to_shop",
                "sku": skus.get(pull.variant_id or SaleorId(""), ""),
                "field": c.field.value,
                "old": c.old,
                "new": c.new,
                "action": pull.action,
            }
            for c in pull.changes
        )
    notes = [note for push in pushes for note in push.notes]
    notes += [note for pull in pulls for note in pull.notes]
    return {
        **{key: getattr(counts, key) for key in _COUNT_KEYS},
        "push_fields": {f.value: n for f, n in counts.push_fields.items()},
        "pull_fields": {f.value: n for f, n in counts.pull_fields.items()},
        "changes": changes[:REPORT_EXAMPLES],
        "variants_without_sku_items": [
            {"name": v.title, "saleor_id": v.id} for v in matching.variants_without_sku
        ][:REPORT_EXAMPLES],
        "unmatched_articles_items": [],
        "notes": notes[:REPORT_EXAMPLES],
    }


def _merge_unmatched(report: dict[str, Any], articles: Sequence[Article]) -> dict[str, Any]:
    return {
        **report,
        "unmatched_articles": report.get("unmatched_articles", 0) + len(articles),
        "unmatched_articles_items": [
            {"code": a.intern_code, "name": a.intern_name, "bexio_id": int(a.id)}
            for a in articles[:REPORT_EXAMPLES]
        ],
    }


def merge_reports(total: Mapping[str, Any], page: Mapping[str, Any]) -> dict[str, Any]:
    """Add a page's dry-run report to the running total (counts add, examples are capped)."""
    merged: dict[str, Any] = {}
    for key in _COUNT_KEYS:
        merged[key] = int(total.get(key, 0)) + int(page.get(key, 0))
    for key in ("push_fields", "pull_fields"):
        summed: Counter[str] = Counter(total.get(key, {}))
        summed.update(page.get(key, {}))
        merged[key] = dict(summed)
    for key in _LIST_KEYS:
        merged[key] = [*total.get(key, []), *page.get(key, [])][:REPORT_EXAMPLES]
    return merged
