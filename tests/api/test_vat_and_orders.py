"""The dashboard API of the VAT tab, the order widget, "Sync to bexio" and backfill progress."""

from __future__ import annotations

from datetime import date
from typing import Any

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.backfill import BackfillEntity, start_backfill
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.api.test_graphql import READ_ONLY, _gql, _installed, _park_unmapped_vat_order
from tests.web import conftest as web_conftest
from tests.web.conftest import SHOP_A, SHOP_B, Harness
from tests.web.shop import ready_shop as _shop

harness = web_conftest.harness

VAT_QUERY = """{
  vatOverview {
    __typename
    ... on VatOverview {
      ok
      mapping
      rows {
        shopRate { countryCode rate taxClassName }
        bexioTax { id code percentage }
        source
        suggestion { id }
        problem { kind message }
      }
      bexioTaxes { id code percentage isActive type label }
      problems { kind message shopRate { rate taxClassName } }
    }
    ... on BexioNotConnected { message }
  }
}"""
DOCUMENTS_QUERY = """query($id: String!) {
  orderDocuments(orderId: $id) {
    orderId actionsDone liveError
    documents { kind bexioId number status total url }
  }
}"""
SYNC_NOW = """mutation($id: String!) {
  syncOrderNow(orderId: $id) {
    __typename
    ... on OrderSyncRequested { orderId outcome paused pauseReason }
    ... on InvalidOrderId { message }
  }
}"""


async def _synced_order(harness: Harness, double: SaleorDouble, app: InstalledApp) -> str:
    order = double.add_order()
    headers, body = double.order_webhook("ORDER_CREATED", order["id"], app.id)
    response = await harness.client.post(
        "/api/webhooks/order-created", content=body, headers=headers
    )
    assert response.status_code == 200, response.text
    while await harness.run_jobs():
        pass
    order_id: str = order["id"]
    return order_id


async def _shop_id(harness: Harness) -> InstallationId:
    [installation] = [i for i in await harness.installations() if i.saleor_api_url == SHOP_A]
    return InstallationId(installation.id)


async def test_vat_overview_highlights_the_unmapped_rate(harness: Harness) -> None:
    # given tax classes at 8.1 % (mapped) and 3.8 % (not mapped)
    double, app, _ = await _shop(harness)
    double.add_tax_class("Standard", {"CH": "8.1"})
    double.add_tax_class("Accommodation", {"CH": "3.8"})
    # when a staff user with MANAGE_ORDERS opens the VAT tab
    data = (await _gql(harness, double, app, VAT_QUERY, permissions=READ_ONLY))["vatOverview"]
    # then both rates are listed, 8.1 % beside UN81 and 3.8 % with its problem
    assert data["__typename"] == "VatOverview"
    assert data["ok"] is False
    rows = {row["shopRate"]["taxClassName"]: row for row in data["rows"]}
    assert rows["Standard"]["bexioTax"] == {"id": 14, "code": "UN81", "percentage": "8.1"}
    assert rows["Standard"]["source"] == "rate" and rows["Standard"]["problem"] is None
    accommodation = rows["Accommodation"]
    assert accommodation["shopRate"] == {
        "countryCode": "CH",
        "rate": "3.8",
        "taxClassName": "Accommodation",
    }
    assert accommodation["bexioTax"] is None
    assert accommodation["problem"]["kind"] == "unmapped"
    assert "3.8 %" in accommodation["problem"]["message"]
    assert [p["shopRate"]["rate"] for p in data["problems"]] == ["3.8"]
    codes = {tax["code"] for tax in data["bexioTaxes"]}
    assert {"UN81", "UR26"} <= codes
    assert all(tax["isActive"] for tax in data["bexioTaxes"])
    assert data["mapping"]["by_rate"] == {"8.1": 14, "2.6": 15}


async def test_vat_overview_without_bexio_is_a_typed_result(harness: Harness) -> None:
    double, app = await _installed(harness, SHOP_A)
    data = await _gql(harness, double, app, VAT_QUERY)
    assert data["vatOverview"]["__typename"] == "BexioNotConnected"
    assert data["vatOverview"]["message"]


async def test_order_documents_show_the_invoice_with_number_status_and_link(
    harness: Harness,
) -> None:
    double, app, _ = await _shop(harness)
    order_id = await _synced_order(harness, double, app)
    data = await _gql(
        harness, double, app, DOCUMENTS_QUERY, {"id": order_id}, permissions=READ_ONLY
    )
    documents = data["orderDocuments"]
    assert documents["orderId"] == order_id
    assert documents["liveError"] is None
    [invoice] = [doc for doc in documents["documents"] if doc["kind"] == "invoice"]
    assert invoice["number"]
    assert invoice["status"] in ("draft", "pending", "unpaid")
    assert invoice["total"]
    assert invoice["url"] == (
        f"https://office.bexio.com/index.php/kb_invoice/show/id/{invoice['bexioId']}"
    )
    assert "create_invoice" in documents["actionsDone"]


async def test_an_order_without_documents_and_another_shops_order_show_nothing(
    harness: Harness,
) -> None:
    double_a, app_a, _ = await _shop(harness)
    order_id = await _synced_order(harness, double_a, app_a)
    double_b, app_b = await _installed(harness, SHOP_B)
    other = await _gql(harness, double_b, app_b, DOCUMENTS_QUERY, {"id": order_id})
    unknown = await _gql(harness, double_a, app_a, DOCUMENTS_QUERY, {"id": "T3JkZXI6OTk5"})
    for data in (other, unknown):
        assert data["orderDocuments"]["documents"] == []
        assert data["orderDocuments"]["actionsDone"] == []


async def test_sync_order_now_queues_then_reports_already_queued(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    order_id = await _synced_order(harness, double, app)
    first = await _gql(harness, double, app, SYNC_NOW, {"id": order_id}, permissions=READ_ONLY)
    second = await _gql(harness, double, app, SYNC_NOW, {"id": order_id}, permissions=READ_ONLY)
    assert first["syncOrderNow"] == {
        "__typename": "OrderSyncRequested",
        "orderId": order_id,
        "outcome": "QUEUED",
        "paused": False,
        "pauseReason": None,
    }
    assert second["syncOrderNow"]["outcome"] == "ALREADY_QUEUED"
    assert [job.key for job in await harness.jobs() if job.state == "queued"] == [order_id]


async def test_sync_order_now_retries_a_failed_order_and_reports_the_pause(
    harness: Harness,
) -> None:
    double, app, _ = await _shop(harness, pause_threshold=1)
    order_id = await _park_unmapped_vat_order(harness, double, app)
    data = await _gql(harness, double, app, SYNC_NOW, {"id": order_id})
    result: dict[str, Any] = data["syncOrderNow"]
    assert result["outcome"] == "RETRIED"
    # the retried error no longer counts, so the threshold pause is lifted
    assert result["paused"] is False
    errors = await _gql(harness, double, app, "{ errors { id } }")
    assert errors["errors"] == []


async def test_sync_order_now_refuses_an_empty_order_id(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    data = await _gql(harness, double, app, SYNC_NOW, {"id": "  "})
    assert data["syncOrderNow"]["__typename"] == "InvalidOrderId"
    assert await harness.jobs() == []


async def test_backfills_list_their_progress(harness: Harness) -> None:
    double, app, _ = await _shop(harness)
    shop = await _shop_id(harness)
    await start_backfill(
        harness.services.sessions,
        shop,
        BackfillEntity.ORDERS,
        date(2026, 1, 1),
        now=harness.services.clock(),
    )
    data = await _gql(
        harness,
        double,
        app,
        "{ backfills { id entity since status total done startedAt } }",
        permissions=READ_ONLY,
    )
    [backfill] = data["backfills"]
    assert backfill["entity"] == "orders"
    assert backfill["status"] == "running"
    assert backfill["total"] is None and backfill["done"] == 0
    assert backfill["since"].startswith("2026-01-01")


async def test_vat_overview_reads_bexio_taxes_afresh(harness: Harness) -> None:
    # given the VAT tab was opened while US38 (3.8 %) was inactive in bexio
    double, app, emulator = await _shop(harness)
    query = "{ vatOverview { ... on VatOverview { bexioTaxes { code } } } }"
    before = await _gql(harness, double, app, query)
    # when the merchant activates it in bexio and opens the tab again
    emulator.set_tax_active(16, True)
    after = await _gql(harness, double, app, query)
    # then it is offered at once (not after the master data cache expired)
    assert "US38" not in {tax["code"] for tax in before["vatOverview"]["bexioTaxes"]}
    assert "US38" in {tax["code"] for tax in after["vatOverview"]["bexioTaxes"]}
