"""SaleorAdapter satisfies SaleorPort and changes the shop's state once per call."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest

from saleor_bexio_app.ids import SaleorApiUrl, SaleorId
from saleor_bexio_app.saleor.adapter import SaleorAdapter
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.sync.model import ChargeStatus, OrderStatus
from saleor_bexio_app.sync.ports import SaleorPort
from saleor_bexio_app.sync.vat import ShopTaxRate

API_URL = "http://saleor.test/graphql/"


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


@pytest.fixture
def port(double: SaleorDouble) -> SaleorPort:
    token = double.install_app().token
    client = SaleorClient(
        SaleorApiUrl(API_URL), token, transport=httpx.ASGITransport(app=double.app)
    )
    adapter: SaleorPort = SaleorAdapter(client)
    return adapter


async def test_reads_order_customer_and_tax_rates(double: SaleorDouble, port: SaleorPort) -> None:
    customer = double.add_customer()
    seeded = double.add_order(user={"id": customer["id"]})
    double.set_default_tax_rate("CH", "8.1")

    order = await port.get_order(SaleorId(seeded["id"]))
    read_customer = await port.get_customer(SaleorId(customer["id"]))
    rates = await port.list_tax_rates()

    assert order is not None and order.total_gross == Decimal("80.30")
    assert read_customer is not None and read_customer.email == "anna@example.ch"
    assert ShopTaxRate("CH", Decimal("8.1")) in rates
    assert {rate.tax_class_name for rate in rates} == {"Standard", "Reduced rate", None}


async def test_mark_as_paid_uses_the_invoice_number_as_reference(
    double: SaleorDouble, port: SaleorPort
) -> None:
    seeded = double.add_order()

    await port.mark_order_as_paid(SaleorId(seeded["id"]), "RE-00042")

    order = await port.get_order(SaleorId(seeded["id"]))
    assert order is not None and order.charge_status is ChargeStatus.FULL
    assert double.mutations == [
        ("orderMarkAsPaid", {"id": seeded["id"], "transactionReference": "RE-00042"})
    ]


async def test_confirm_then_fulfil_then_nothing_left_to_fulfil(
    double: SaleorDouble, port: SaleorPort
) -> None:
    seeded = double.add_order(status="UNCONFIRMED")
    order_id = SaleorId(seeded["id"])

    await port.confirm_order(order_id)
    await port.fulfill_order(order_id)
    await port.fulfill_order(order_id)

    order = await port.get_order(order_id)
    assert order is not None and order.status is OrderStatus.FULFILLED
    assert [name for name, _ in double.mutations] == ["orderConfirm", "orderFulfill"]


async def test_cancel_and_add_note_each_recorded_once(
    double: SaleorDouble, port: SaleorPort
) -> None:
    seeded = double.add_order()
    order_id = SaleorId(seeded["id"])

    await port.cancel_order(order_id)
    await port.add_order_note(order_id, "bexio reported invoice RE-00042 as cancelled.")

    stored = double.store.orders[seeded["id"]]
    assert stored["status"] == "CANCELED"
    assert [(e["type"], e.get("message")) for e in stored["events"]][-1] == (
        "NOTE_ADDED",
        "bexio reported invoice RE-00042 as cancelled.",
    )
    assert double.mutations == [
        ("orderCancel", {"id": seeded["id"]}),
        (
            "orderNoteAdd",
            {
                "order": seeded["id"],
                "input": {"message": "bexio reported invoice RE-00042 as cancelled."},
            },
        ),
    ]


async def test_missing_order_and_customer_are_none(port: SaleorPort) -> None:
    assert await port.get_order(SaleorId("T3JkZXI6OTk5")) is None
    assert await port.get_customer(SaleorId("VXNlcjo5OTk=")) is None
