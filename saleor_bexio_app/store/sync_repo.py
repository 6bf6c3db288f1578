"""Per-shop sync state in the app's database: settings, VAT map, links, ledgers, cursors.

`SqlSyncRepo` satisfies `sync.ports.SyncRepo` and `sync.ports.BackSyncLedger` structurally.
Every method runs in its own short transaction; rows of one shop are never read or written
through another shop's id.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import InstallationId, SaleorId
from saleor_bexio_app.store.db import dialect_insert
from saleor_bexio_app.store.settings_codec import (
    default_shop_settings,
    shop_settings_from_json,
    shop_settings_to_json,
    tax_mapping_from_json,
    tax_mapping_to_json,
)
from saleor_bexio_app.store.tables import (
    ActionDoneRow,
    BackSyncEventRow,
    ClaimRow,
    LinkRow,
    ShopSettingsRow,
    SyncCursorRow,
    SyncErrorRow,
    VatMapRow,
    utcnow,
)
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.backsync import BackSyncEvent
from saleor_bexio_app.sync.model import (
    Link,
    LinkKind,
    SettingsProblem,
    Severity,
    ShopSettings,
    validate_settings,
)
from saleor_bexio_app.sync.vat import TaxMapping

Sessions = async_sessionmaker[AsyncSession]


def cursor_value(value: str | datetime) -> str:
    """A cursor value in the one form that sorts as text in time order.

    Cursors are ISO 8601 datetimes with a time zone, stored as UTC with microseconds
    (`2026-01-05T09:00:00.000000+00:00`): fixed width, so comparing the strings (as the
    database does) compares the instants. ValueError for anything else.
    """
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        raise ValueError(f"cursor {value!r} has no time zone")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class SqlSyncRepo:
    """Settings, VAT mapping, links, the order-action ledger and cursors of every shop."""

    def __init__(self, sessions: Sessions, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    # settings

    async def shop_settings(self, shop: InstallationId) -> ShopSettings:
        """The shop's saved settings, or the defaults for a shop that never saved any."""
        async with self._sessions() as session:
            document = await session.scalar(
                select(ShopSettingsRow.settings).where(ShopSettingsRow.installation_id == shop)
            )
        return default_shop_settings() if document is None else shop_settings_from_json(document)

    async def save_shop_settings(
        self, shop: InstallationId, settings: ShopSettings
    ) -> list[SettingsProblem]:
        """Validate and save; ConfigError listing every error (nothing saved), else the warnings."""
        problems = validate_settings(settings)
        errors = [problem for problem in problems if problem.severity == Severity.ERROR]
        if errors:
            raise ConfigError(
                "The settings were not saved: "
                + " ".join(f"{problem.setting}: {problem.message}" for problem in errors)
            )
        async with self._sessions.begin() as session:
            await self._put(
                session, ShopSettingsRow, "settings", shop, shop_settings_to_json(settings)
            )
        return problems

    async def tax_mapping(self, shop: InstallationId) -> TaxMapping:
        """The shop's VAT mapping (empty for a shop that never saved one)."""
        async with self._sessions() as session:
            document = await session.scalar(
                select(VatMapRow.mapping).where(VatMapRow.installation_id == shop)
            )
        return TaxMapping() if document is None else tax_mapping_from_json(document)

    async def save_tax_mapping(self, shop: InstallationId, mapping: TaxMapping) -> None:
        """Save the mapping; ConfigError (nothing saved) if it could not be read back as is."""
        document = tax_mapping_to_json(mapping)
        tax_mapping_from_json(document)
        async with self._sessions.begin() as session:
            await self._put(session, VatMapRow, "mapping", shop, document)

    async def _put(
        self,
        session: AsyncSession,
        table: type[ShopSettingsRow] | type[VatMapRow],
        column: str,
        shop: InstallationId,
        document: dict[str, Any],
    ) -> None:
        insert = dialect_insert(session)
        statement = insert(table).values(
            {"installation_id": shop, column: document, "updated_at": self._clock()}
        )
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.installation_id],
                set_={
                    column: statement.excluded[column],
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )

    # links

    async def link(self, shop: InstallationId, kind: LinkKind, saleor_id: SaleorId) -> Link | None:
        """The bexio object linked to a Saleor object, or None."""
        async with self._sessions() as session:
            row = await session.scalar(
                select(LinkRow).where(
                    LinkRow.installation_id == shop,
                    LinkRow.kind == str(kind),
                    LinkRow.saleor_id == saleor_id,
                )
            )
        return None if row is None else _to_link(row)

    async def links_by_bexio_id(
        self, shop: InstallationId, kind: LinkKind, bexio_id: int
    ) -> list[Link]:
        """Every Saleor object of `kind` linked to this bexio object, oldest link first."""
        async with self._sessions() as session:
            rows = await session.scalars(
                select(LinkRow)
                .where(
                    LinkRow.installation_id == shop,
                    LinkRow.kind == str(kind),
                    LinkRow.bexio_id == bexio_id,
                )
                .order_by(LinkRow.id)
            )
            return [_to_link(row) for row in rows]

    async def open_invoice_links(self, shop: InstallationId, limit: int) -> list[Link]:
        """Up to `limit` links of issued invoices still open, least recently checked first.

        Open: the app issued the invoice, did not cancel it, and bexio has not been seen to
        report it paid or cancelled. "Checked" is the link's `updated_at` (see `mark_checked`).
        """
        invoice_orders = select(ActionDoneRow.saleor_order_id).where(
            ActionDoneRow.installation_id == shop
        )
        issued = invoice_orders.where(ActionDoneRow.action == str(BexioAction.ISSUE_INVOICE))
        cancelled = invoice_orders.where(ActionDoneRow.action == str(BexioAction.CANCEL_INVOICE))
        reported = select(BackSyncEventRow.saleor_order_id).where(
            BackSyncEventRow.installation_id == shop,
            BackSyncEventRow.event.in_([str(event) for event in BackSyncEvent]),
        )
        async with self._sessions() as session:
            rows = await session.scalars(
                select(LinkRow)
                .where(
                    LinkRow.installation_id == shop,
                    LinkRow.kind == str(LinkKind.INVOICE),
                    LinkRow.saleor_id.in_(issued),
                    LinkRow.saleor_id.not_in(cancelled),
                    LinkRow.saleor_id.not_in(reported),
                )
                .order_by(LinkRow.updated_at, LinkRow.id)
                .limit(limit)
            )
            return [_to_link(row) for row in rows]

    async def mark_checked(self, shop: InstallationId, link: Link) -> None:
        """Remember that the linked bexio object was just re-read (moves it to the back)."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(LinkRow)
                .where(
                    LinkRow.installation_id == shop,
                    LinkRow.kind == str(link.kind),
                    LinkRow.saleor_id == link.saleor_id,
                )
                .values(updated_at=self._clock())
            )

    async def save_link(self, shop: InstallationId, link: Link) -> None:
        """Insert or replace the link of (kind, Saleor id) with its bexio id and fingerprint."""
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            statement = insert(LinkRow).values(
                installation_id=shop,
                kind=str(link.kind),
                saleor_id=link.saleor_id,
                bexio_id=link.bexio_id,
                fingerprint=link.fingerprint,
                updated_at=self._clock(),
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[LinkRow.installation_id, LinkRow.kind, LinkRow.saleor_id],
                    set_={
                        "bexio_id": statement.excluded.bexio_id,
                        "fingerprint": statement.excluded.fingerprint,
                        "updated_at": statement.excluded.updated_at,
                    },
                )
            )

    # the order-action ledger

    async def actions_done(
        self, shop: InstallationId, order_id: SaleorId
    ) -> frozenset[BexioAction]:
        """The actions already done in bexio for the order."""
        async with self._sessions() as session:
            names = await session.scalars(
                select(ActionDoneRow.action).where(
                    ActionDoneRow.installation_id == shop,
                    ActionDoneRow.saleor_order_id == order_id,
                )
            )
            return frozenset(BexioAction(name) for name in names)

    async def record_action(
        self, shop: InstallationId, order_id: SaleorId, action: BexioAction, bexio_id: int | None
    ) -> None:
        """Add an action to the ledger; recording it again keeps the first record."""
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            await session.execute(
                insert(ActionDoneRow)
                .values(
                    installation_id=shop,
                    saleor_order_id=order_id,
                    action=str(action),
                    bexio_id=bexio_id,
                    done_at=self._clock(),
                )
                .on_conflict_do_nothing(
                    index_elements=[
                        ActionDoneRow.installation_id,
                        ActionDoneRow.saleor_order_id,
                        ActionDoneRow.action,
                    ]
                )
            )

    # the back-sync ledger

    async def events_done(self, shop: InstallationId, order_id: SaleorId) -> frozenset[str]:
        """Back-sync events (e.g. invoice paid in bexio) the app already acted on for the order."""
        async with self._sessions() as session:
            events = await session.scalars(
                select(BackSyncEventRow.event).where(
                    BackSyncEventRow.installation_id == shop,
                    BackSyncEventRow.saleor_order_id == order_id,
                )
            )
            return frozenset(events)

    async def record_event(self, shop: InstallationId, order_id: SaleorId, event: str) -> None:
        """Remember that the app acted on an event; recording it again keeps the first record."""
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            await session.execute(
                insert(BackSyncEventRow)
                .values(
                    installation_id=shop,
                    saleor_order_id=order_id,
                    event=str(event),
                    done_at=self._clock(),
                )
                .on_conflict_do_nothing(
                    index_elements=[
                        BackSyncEventRow.installation_id,
                        BackSyncEventRow.saleor_order_id,
                        BackSyncEventRow.event,
                    ]
                )
            )

    async def forget_event(self, shop: InstallationId, order_id: SaleorId, event: str) -> None:
        """Drop a recorded event (a mark whose call certainly did not happen)."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(BackSyncEventRow).where(
                    BackSyncEventRow.installation_id == shop,
                    BackSyncEventRow.saleor_order_id == order_id,
                    BackSyncEventRow.event == str(event),
                )
            )

    # claims

    async def claim(self, shop: InstallationId, name: str, *, ttl: timedelta) -> bool:
        """Take the claim `name` if it is free or older than `ttl`; whether it is now ours."""
        now = self._clock()
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            taken = await session.execute(
                insert(ClaimRow)
                .values(installation_id=shop, name=name, claimed_at=now)
                .on_conflict_do_nothing(index_elements=[ClaimRow.installation_id, ClaimRow.name])
                .returning(ClaimRow.name)
            )
            if taken.first() is not None:
                return True
            stale = await session.execute(
                update(ClaimRow)
                .where(
                    ClaimRow.installation_id == shop,
                    ClaimRow.name == name,
                    ClaimRow.claimed_at < now - ttl,
                )
                .values(claimed_at=now)
            )
            return bool(stale.rowcount)  # type: ignore[attr-defined]

    async def release(self, shop: InstallationId, name: str) -> None:
        """Give a claim back."""
        async with self._sessions.begin() as session:
            await session.execute(
                delete(ClaimRow).where(ClaimRow.installation_id == shop, ClaimRow.name == name)
            )

    async def has_open_error(self, shop: InstallationId, kind: str, key: str, reason: str) -> bool:
        """Whether the error log holds an unresolved entry for this job target and reason."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(SyncErrorRow.id).where(
                    SyncErrorRow.installation_id == shop,
                    SyncErrorRow.kind == kind,
                    SyncErrorRow.key == key,
                    SyncErrorRow.reason == reason,
                    SyncErrorRow.status == "open",
                )
            )
            return found is not None

    # cursors

    async def cursor(self, shop: InstallationId, name: str) -> str | None:
        """The cursor's value (see `cursor_value` for its form), or None before the first run."""
        async with self._sessions() as session:
            value: str | None = await session.scalar(
                select(SyncCursorRow.value).where(
                    SyncCursorRow.installation_id == shop, SyncCursorRow.name == name
                )
            )
            return value

    async def advance_cursor(self, shop: InstallationId, name: str, value: str | datetime) -> bool:
        """Move the cursor forward to `value`; an older value leaves it as it is.

        `value` is an ISO 8601 datetime with a time zone (or an aware datetime). Returns whether
        the cursor moved. One statement, so concurrent writers can only move it forward.
        """
        stored = cursor_value(value)
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)
            statement = insert(SyncCursorRow).values(
                installation_id=shop, name=name, value=stored, updated_at=self._clock()
            )
            result = await session.execute(
                statement.on_conflict_do_update(
                    index_elements=[SyncCursorRow.installation_id, SyncCursorRow.name],
                    set_={
                        "value": statement.excluded.value,
                        "updated_at": statement.excluded.updated_at,
                    },
                    where=SyncCursorRow.value < statement.excluded.value,
                ).returning(SyncCursorRow.value)
            )
            return result.scalar_one_or_none() is not None


def _to_link(row: LinkRow) -> Link:
    return Link(
        kind=LinkKind(row.kind),
        saleor_id=SaleorId(row.saleor_id),
        bexio_id=row.bexio_id,
        fingerprint=row.fingerprint,
    )
