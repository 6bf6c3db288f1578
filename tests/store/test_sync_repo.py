"""SqlSyncRepo on SQLite and PostgreSQL: settings, VAT map, links, ledger, cursors, per shop."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from alembic import command
from sqlalchemy import delete, func, inspect, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioTaxId,
    BexioUserId,
    InstallationId,
    SaleorId,
)
from saleor_bexio_app.store.migrate import alembic_config, upgrade
from saleor_bexio_app.store.sync_repo import SqlSyncRepo, cursor_value
from saleor_bexio_app.store.tables import (
    ActionDoneRow,
    BackSyncEventRow,
    InstallationRow,
    LinkRow,
    ScheduleRow,
    ShopSettingsRow,
    SyncCursorRow,
    VatMapRow,
)
from saleor_bexio_app.sync.actions import ActionMatrix, BexioAction, OrderStateRow, default_matrix
from saleor_bexio_app.sync.model import Link, LinkKind, Severity, ShopSettings
from saleor_bexio_app.sync.ports import BackSyncLedger, SyncRepo
from saleor_bexio_app.sync.vat import TaxMapping
from tests.jobs.fakes import START, FakeClock

Sessions = async_sessionmaker[AsyncSession]
ORDER = SaleorId("T3JkZXI6MQ==")
VALID = ShopSettings(
    order_actions=default_matrix(),
    bexio_user_id=BexioUserId(1),
    revenue_account_id=BexioAccountId(3200),
    bank_account_id=BexioBankAccountId(1),
)


@pytest.fixture
def repo(sessions: Sessions, clock: FakeClock) -> SqlSyncRepo:
    return SqlSyncRepo(sessions, clock=clock)


def test_sql_sync_repo_satisfies_the_sync_port(sessions: Sessions) -> None:
    _check: SyncRepo = SqlSyncRepo(sessions)
    _ledger: BackSyncLedger = SqlSyncRepo(sessions)
    assert _check is not None and _ledger is not None


# settings


async def test_a_new_shop_gets_the_default_settings_and_an_empty_vat_map(
    repo: SqlSyncRepo, shop: InstallationId
) -> None:
    assert await repo.shop_settings(shop) == ShopSettings(order_actions=default_matrix())
    assert await repo.tax_mapping(shop) == TaxMapping()


async def test_saved_settings_are_read_back_and_replaced_by_a_second_save(
    repo: SqlSyncRepo, shop: InstallationId
) -> None:
    await repo.save_shop_settings(shop, VALID)
    changed = replace(VALID, invoice_title="Bestellung {number}", pause_threshold=3)
    await repo.save_shop_settings(shop, changed)

    assert await repo.shop_settings(shop) == changed


async def test_invalid_settings_are_refused_listing_every_problem_and_nothing_is_saved(
    repo: SqlSyncRepo, sessions: Sessions, shop: InstallationId
) -> None:
    invalid = replace(VALID, bexio_user_id=None, revenue_account_id=None)

    with pytest.raises(ConfigError) as raised:
        await repo.save_shop_settings(shop, invalid)

    assert "bexio_user_id" in raised.value.user_message
    assert "revenue_account_id" in raised.value.user_message
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(ShopSettingsRow)) == 0


async def test_settings_with_only_warnings_are_saved_and_the_warnings_returned(
    repo: SqlSyncRepo, shop: InstallationId
) -> None:
    risky = replace(
        VALID,
        order_actions=ActionMatrix(
            default_matrix().cells | {(OrderStateRow.PARTIALLY_PAID, BexioAction.RECORD_PAYMENT)}
        ),
    )

    warnings = await repo.save_shop_settings(shop, risky)

    assert [w.severity for w in warnings] == [Severity.WARNING]
    assert await repo.shop_settings(shop) == risky


async def test_vat_mapping_is_saved_losslessly(repo: SqlSyncRepo, shop: InstallationId) -> None:
    mapping = TaxMapping(
        by_class_id={SaleorId("VGF4Q2xhc3M6MQ=="): BexioTaxId(16)},
        by_class_name={"Reduced": BexioTaxId(17)},
        by_rate={Decimal("8.10"): BexioTaxId(16), Decimal("2.6"): BexioTaxId(17)},
        exempt_tax_id=BexioTaxId(5),
    )
    await repo.save_tax_mapping(shop, TaxMapping(exempt_tax_id=BexioTaxId(1)))
    await repo.save_tax_mapping(shop, mapping)

    loaded = await repo.tax_mapping(shop)
    assert loaded == mapping
    assert [str(rate) for rate in loaded.by_rate] == ["8.10", "2.6"]


async def test_an_ambiguous_vat_mapping_is_refused_and_not_saved(
    repo: SqlSyncRepo, sessions: Sessions, shop: InstallationId
) -> None:
    ambiguous = TaxMapping(by_rate={Decimal("8.1"): BexioTaxId(1), Decimal("8.104"): BexioTaxId(2)})

    with pytest.raises(ConfigError):
        await repo.save_tax_mapping(shop, ambiguous)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(VatMapRow)) == 0


# links


async def test_save_link_inserts_then_replaces_bexio_id_and_fingerprint(
    repo: SqlSyncRepo, shop: InstallationId
) -> None:
    customer = SaleorId("VXNlcjox")
    await repo.save_link(shop, Link(LinkKind.CONTACT, customer, 10, "fp-1"))
    await repo.save_link(shop, Link(LinkKind.CONTACT, customer, 11, "fp-2"))

    assert await repo.link(shop, LinkKind.CONTACT, customer) == Link(
        LinkKind.CONTACT, customer, 11, "fp-2"
    )
    assert await repo.link(shop, LinkKind.INVOICE, customer) is None


async def test_links_by_bexio_id_finds_every_saleor_object_of_that_kind(
    repo: SqlSyncRepo, shop: InstallationId
) -> None:
    await repo.save_link(shop, Link(LinkKind.CONTACT, SaleorId("a"), 10))
    await repo.save_link(shop, Link(LinkKind.CONTACT, SaleorId("b"), 10))
    await repo.save_link(shop, Link(LinkKind.INVOICE, SaleorId("c"), 10))

    found = await repo.links_by_bexio_id(shop, LinkKind.CONTACT, 10)

    assert [link.saleor_id for link in found] == ["a", "b"]
    assert await repo.links_by_bexio_id(shop, LinkKind.CONTACT, 99) == []


# ledger


async def test_recording_an_action_twice_keeps_the_first_record(
    repo: SqlSyncRepo, sessions: Sessions, clock: FakeClock, shop: InstallationId
) -> None:
    await repo.record_action(shop, ORDER, BexioAction.CREATE_INVOICE, 501)
    clock.advance(60)
    await repo.record_action(shop, ORDER, BexioAction.CREATE_INVOICE, 502)
    await repo.record_action(shop, ORDER, BexioAction.ISSUE_INVOICE, None)

    assert await repo.actions_done(shop, ORDER) == {
        BexioAction.CREATE_INVOICE,
        BexioAction.ISSUE_INVOICE,
    }
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(ActionDoneRow.bexio_id).where(
                    ActionDoneRow.action == BexioAction.CREATE_INVOICE
                )
            )
        ).all()
    assert ids == [501]


async def test_a_back_sync_event_is_recorded_once_per_order(
    repo: SqlSyncRepo, shop: InstallationId, other_shop: InstallationId
) -> None:
    await repo.record_event(shop, ORDER, "invoice_paid")
    await repo.record_event(shop, ORDER, "invoice_paid")
    await repo.record_event(shop, ORDER, "invoice_cancelled")

    assert await repo.events_done(shop, ORDER) == {"invoice_paid", "invoice_cancelled"}
    assert await repo.events_done(shop, SaleorId("T3JkZXI6Mg==")) == frozenset()
    assert await repo.events_done(other_shop, ORDER) == frozenset()


# cursors


async def test_a_cursor_only_moves_forward(repo: SqlSyncRepo, shop: InstallationId) -> None:
    assert await repo.cursor(shop, "bexio_invoices") is None

    assert await repo.advance_cursor(shop, "bexio_invoices", "2026-01-05T10:00:00+01:00")
    assert not await repo.advance_cursor(shop, "bexio_invoices", "2026-01-05T08:59:59Z")
    assert not await repo.advance_cursor(shop, "bexio_invoices", "2026-01-05T09:00:00+00:00")

    assert await repo.cursor(shop, "bexio_invoices") == "2026-01-05T09:00:00.000000+00:00"

    later = datetime(2026, 1, 5, 9, 0, 0, 1, tzinfo=UTC)
    assert await repo.advance_cursor(shop, "bexio_invoices", later)
    assert await repo.cursor(shop, "bexio_invoices") == "2026-01-05T09:00:00.000001+00:00"


def test_cursor_values_sort_as_text_in_time_order() -> None:
    start = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    moments = [start + timedelta(microseconds=n * 999_999) for n in range(20)]
    values = [cursor_value(moment) for moment in moments]
    assert sorted(values) == values
    with pytest.raises(ValueError, match="time zone"):
        cursor_value("2026-01-05T09:00:00")
    with pytest.raises(ValueError):
        cursor_value("yesterday")


# per shop


async def test_one_shops_state_is_invisible_to_another(
    repo: SqlSyncRepo, shop: InstallationId, other_shop: InstallationId
) -> None:
    await repo.save_shop_settings(shop, VALID)
    await repo.save_tax_mapping(shop, TaxMapping(exempt_tax_id=BexioTaxId(1)))
    await repo.save_link(shop, Link(LinkKind.CONTACT, SaleorId("a"), 10))
    await repo.record_action(shop, ORDER, BexioAction.CREATE_INVOICE, 1)
    await repo.advance_cursor(shop, "bexio_invoices", "2026-01-05T09:00:00Z")

    assert await repo.shop_settings(other_shop) == ShopSettings(order_actions=default_matrix())
    assert await repo.tax_mapping(other_shop) == TaxMapping()
    assert await repo.link(other_shop, LinkKind.CONTACT, SaleorId("a")) is None
    assert await repo.links_by_bexio_id(other_shop, LinkKind.CONTACT, 10) == []
    assert await repo.actions_done(other_shop, ORDER) == frozenset()
    assert await repo.cursor(other_shop, "bexio_invoices") is None


async def test_deleting_a_shop_deletes_its_sync_state(
    repo: SqlSyncRepo, sessions: Sessions, shop: InstallationId
) -> None:
    await repo.save_shop_settings(shop, VALID)
    await repo.save_tax_mapping(shop, TaxMapping())
    await repo.save_link(shop, Link(LinkKind.CONTACT, SaleorId("a"), 10))
    await repo.record_action(shop, ORDER, BexioAction.CREATE_INVOICE, 1)
    await repo.advance_cursor(shop, "bexio_invoices", "2026-01-05T09:00:00Z")
    await repo.record_event(shop, ORDER, "invoice_paid")

    async with sessions.begin() as session:
        await session.execute(delete(InstallationRow).where(InstallationRow.id == shop))

    async with sessions() as session:
        for table in (
            ShopSettingsRow,
            VatMapRow,
            LinkRow,
            ActionDoneRow,
            BackSyncEventRow,
            SyncCursorRow,
        ):
            assert await session.scalar(select(func.count()).select_from(table)) == 0


# migration


async def test_downgrading_the_sync_state_migration_keeps_every_shops_other_rows(
    engine: AsyncEngine, sessions: Sessions, shop: InstallationId
) -> None:
    """Dropping the pause columns must not rebuild `installations` (that would cascade)."""
    async with sessions.begin() as session:
        session.add(ScheduleRow(name="poll", installation_id=shop, next_run_at=START))
    config = alembic_config(engine.url.render_as_string(hide_password=False))

    def _downgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")

    async with engine.begin() as connection:
        await connection.run_sync(_downgrade)
    async with engine.connect() as connection:
        schedules = await connection.scalar(text("SELECT count(*) FROM schedules"))
        columns = await connection.run_sync(
            lambda c: {column["name"] for column in inspect(c).get_columns("installations")}
        )
    assert schedules == 1
    assert "sync_paused_at" not in columns

    await upgrade(engine)
