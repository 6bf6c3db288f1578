"""What the product sync remembers per shop: per-field fingerprints and article links.

Links are the `links` rows of kind `article` (Saleor variant id → bexio article id); the
fingerprints are `product_prints` rows, one per variant and field, written by upsert so the
push and the pull never overwrite each other's fields.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId, SaleorId
from saleor_bexio_app.store.db import dialect_insert
from saleor_bexio_app.store.tables import LinkRow, ProductPrintRow, utcnow
from saleor_bexio_app.sync.model import LinkKind

Sessions = async_sessionmaker[AsyncSession]
# Field name → fingerprint; the product fields plus `ARTICLE_PRINT`.
Prints = dict[str, str]

# The hash of the linked article's bexio-master values as last handled.
ARTICLE_PRINT = "article"


class SqlProductRepo:
    """Fingerprints and article links of the product sync, for every shop."""

    def __init__(self, sessions: Sessions, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def prints(
        self, shop: InstallationId, variant_ids: Iterable[SaleorId] | None = None
    ) -> dict[SaleorId, Prints]:
        """The stored fingerprints by variant: of `variant_ids`, or of every variant."""
        statement = select(ProductPrintRow).where(ProductPrintRow.installation_id == shop)
        if variant_ids is not None:
            wanted = list(dict.fromkeys(variant_ids))
            if not wanted:
                return {}
            statement = statement.where(ProductPrintRow.variant_id.in_(wanted))
        found: dict[SaleorId, Prints] = defaultdict(dict)
        async with self._sessions() as session:
            for row in await session.scalars(statement):
                found[SaleorId(row.variant_id)][row.field] = row.print
        return dict(found)

    async def save_prints(
        self, shop: InstallationId, variant_id: SaleorId, prints: Mapping[str, str]
    ) -> None:
        """Insert or replace the fingerprints of these fields; other fields stay as they are."""
        if not prints:
            return
        now = self._clock()
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            for name, value in prints.items():
                statement = insert(ProductPrintRow).values(
                    installation_id=shop,
                    variant_id=variant_id,
                    field=name,
                    print=value,
                    updated_at=now,
                )
                await session.execute(
                    statement.on_conflict_do_update(
                        index_elements=[
                            ProductPrintRow.installation_id,
                            ProductPrintRow.variant_id,
                            ProductPrintRow.field,
                        ],
                        set_={
                            "print": statement.excluded.print,
                            "updated_at": statement.excluded.updated_at,
                        },
                    )
                )

    async def forget_variant(self, shop: InstallationId, variant_id: SaleorId) -> None:
        """Drop a variant's fingerprints and article link (the variant is gone or re-linked)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ProductPrintRow).where(
                    ProductPrintRow.installation_id == shop,
                    ProductPrintRow.variant_id == variant_id,
                )
            )
            await session.execute(
                delete(LinkRow).where(
                    LinkRow.installation_id == shop,
                    LinkRow.kind == str(LinkKind.ARTICLE),
                    LinkRow.saleor_id == variant_id,
                )
            )

    async def article_links(self, shop: InstallationId) -> dict[int, list[SaleorId]]:
        """Every article link of the shop: bexio article id → linked variant ids."""
        linked: dict[int, list[SaleorId]] = defaultdict(list)
        async with self._sessions() as session:
            rows = await session.execute(
                select(LinkRow.bexio_id, LinkRow.saleor_id)
                .where(LinkRow.installation_id == shop, LinkRow.kind == str(LinkKind.ARTICLE))
                .order_by(LinkRow.id)
            )
            for bexio_id, saleor_id in rows:
                linked[bexio_id].append(SaleorId(saleor_id))
        return dict(linked)
