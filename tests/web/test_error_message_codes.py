"""End to end: the error log keeps each failure's message code and params for the dashboard."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_bexio_app.errors import AuthError, FailureReason
from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.sync.model import FieldMode
from tests.web import test_product_sync as product_sync
from tests.web.conftest import Harness
from tests.web.shop import deliver_order_event, ready_shop, run_all
from tests.web.test_order_sync_more import _charge, _refund

shop = product_sync.shop


async def _shop_id(harness: Harness) -> InstallationId:
    [installation] = await harness.installations()
    return InstallationId(installation.id)


async def test_an_order_of_a_shop_without_bexio_is_logged_as_not_connected(
    harness: Harness,
) -> None:
    double, app, _ = await ready_shop(harness, connect=False)
    order = double.add_order()

    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])
    await run_all(harness)

    [error] = await harness.services.error_log.list_errors(await _shop_id(harness))
    assert (error.reason, error.message_code, error.message_params) == (
        FailureReason.AUTH,
        "bexio_not_connected",
        {},
    )


async def test_a_revoked_connection_is_logged_and_reported_with_its_code(
    harness: Harness,
) -> None:
    # given a connected shop whose bexio access the merchant revoked, the token expired
    double, app, emulator = await ready_shop(harness)
    emulator.revoke_refresh_tokens()
    harness.clock.advance(3600)
    order = double.add_order()
    # when an order is synced
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])
    await run_all(harness)
    # then the refused refresh is logged with its code
    shop_id = await _shop_id(harness)
    [error] = await harness.services.error_log.list_errors(shop_id)
    assert (error.reason, error.message_code) == (FailureReason.AUTH, "bexio_connection_revoked")
    # and later work on the broken connection says the same
    with pytest.raises(AuthError) as tokens:
        await harness.services.bexio_tokens(shop_id).access_token()
    with pytest.raises(AuthError) as ports:
        await harness.services.shop_ports(shop_id)
    assert tokens.value.code == ports.value.code == "bexio_connection_revoked"
    assert tokens.value.user_message == error.user_message


async def test_a_refund_to_do_by_hand_names_order_amount_and_invoice_in_its_params(
    harness: Harness,
) -> None:
    double, app, emulator = await ready_shop(harness)
    order = double.add_order()
    _charge(double, order["id"])
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])
    await run_all(harness)
    [invoice] = emulator.invoices.values()

    _refund(double, order["id"], "20.00")
    await deliver_order_event(harness, double, app, "ORDER_REFUNDED", order["id"])
    await run_all(harness)

    [item] = await harness.services.error_log.list_errors(await _shop_id(harness))
    assert (item.reason, item.message_code) == (FailureReason.MANUAL, "refund_credit_note")
    assert item.message_params == {
        "order": order["number"],
        "amount": "CHF 20.00",
        "invoice": invoice["document_nr"],
    }


async def test_duplicate_article_numbers_are_logged_with_the_number(
    shop: product_sync.Shop,
) -> None:
    await shop.configure(title=FieldMode.SHOP_MASTER)
    product_id, _ = shop.add_shirt()
    twins: list[dict[str, Any]] = [
        {"intern_code": "TS-1", "intern_name": name, "article_type_id": 1}
        for name in ("One", "Two")
    ]
    shop.bexio.add_articles(twins, unique_codes=False)

    await shop.webhook("PRODUCT_UPDATED", product_id)

    [error] = await shop.open_errors()
    assert (error.message_code, error.message_params) == (
        "duplicate_article_number",
        {"number": "TS-1"},
    )
