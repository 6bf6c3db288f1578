"""SaleorClient's order, customer and tax operations against the Saleor double.

Every call goes through real GraphQL validation and execution (httpx.ASGITransport), so these
tests also prove the documents fit Saleor 3.24's schema and the double's answers.
"""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from graphql import validate

from saleor_bexio_app.errors import AppError, AuthError, RejectedError
from saleor_bexio_app.ids import SaleorApiUrl, SaleorId
from saleor_bexio_app.saleor import client as client_module
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.saleor.schema import saleor_schema
from saleor_bexio_app.saleor.wire import to_decimal, to_rate
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble, address
from saleor_bexio_app.sync.model import (
    ZERO,
    Address,
    ChargeStatus,
    GiftCardUse,
    OrderDiscount,
    OrderStatus,
)
from saleor_bexio_app.sync.vat import ShopTaxRate

API_URL = "http://saleor.test/graphql/"
CLIENT_SOURCE = Path(client_module.__file__)


def _client(double: SaleorDouble, token: str) -> SaleorClient:
    return SaleorClient(SaleorApiUrl(API_URL), token, transport=httpx.ASGITransport(app=double.app))


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


@pytest.fixture
def client(double: SaleorDouble) -> SaleorClient:
    return _client(double, double.install_app().token)


def _documents() -> dict[str, GraphQLRequest]:
    return {
        name: value
        for name, value in vars(client_module).items()
        if isinstance(value, GraphQLRequest)
    }


def test_every_gql_document_in_the_client_is_collected() -> None:
    tree = ast.parse(CLIENT_SOURCE.read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "gql"
    ]
    assert len(calls) == len(_documents()) >= 12


@pytest.mark.parametrize("name", sorted(_documents()))
def test_every_document_is_valid_against_the_real_schema(name: str) -> None:
    assert validate(saleor_schema(), _documents()[name].document) == []


# orders


async def test_default_order_reads_with_exact_decimals_gross_net_and_rates(
    double: SaleorDouble, client: SaleorClient
) -> None:
    # given
    seeded = double.add_order()
    # when
    order = await client.get_order(SaleorId(seeded["id"]))
    # then
    assert order is not None
    assert (order.id, order.number, order.currency) == (seeded["id"], "1001", "CHF")
    assert order.status is OrderStatus.UNFULFILLED
    assert order.charge_status is ChargeStatus.NONE
    assert order.channel_slug == "default-channel"
    assert order.prices_entered_with_tax is True
    shirt, chocolate = order.lines
    assert (shirt.product_name, shirt.variant_name, shirt.sku, shirt.quantity) == (
        "T-Shirt",
        "M",
        "TS-M",
        2,
    )
    assert (shirt.unit_price_gross, shirt.unit_price_net) == (Decimal("29.90"), Decimal("27.66"))
    assert (shirt.total_gross, shirt.total_net) == (Decimal("59.80"), Decimal("55.32"))
    assert shirt.tax_rate == Decimal("0.081")
    assert str(shirt.tax_rate) == "0.0810"
    assert shirt.tax_class_name == "Standard"
    assert shirt.tax_class_id is not None
    assert (chocolate.total_gross, chocolate.total_net) == (Decimal("13.50"), Decimal("13.16"))
    assert chocolate.tax_rate == Decimal("0.026")
    assert (shirt.order_discount_gross, shirt.order_discount_net) == (ZERO, ZERO)
    assert order.shipping is not None
    assert (order.shipping.name, order.shipping.gross, order.shipping.net) == (
        "Post Economy",
        Decimal("7.00"),
        Decimal("6.48"),
    )
    assert order.shipping.tax_rate == Decimal("0.081")
    assert (order.total_gross, order.total_net) == (Decimal("80.30"), Decimal("74.96"))
    assert all(isinstance(value, Decimal) for value in (order.total_gross, order.total_charged))
    assert order.billing_address == Address(
        first_name="Anna",
        last_name="Muster",
        street_address_1="Bahnhofstrasse 12a",
        postal_code="8001",
        city="Zürich",
        country_code="CH",
        phone="+41441234567",
    )
    assert (order.user_email, order.language_code, order.tax_exemption) == (
        "anna@example.ch",
        "DE_CH",
        False,
    )
    assert order.customer_id is None
    assert order.created.isoformat() == "2026-03-02T09:30:00+00:00"


async def test_net_channel_keeps_entered_net_prices_exact(
    double: SaleorDouble, client: SaleorClient
) -> None:
    line = double.order_line(
        quantity=3, unit_price="10.05", prices_entered_with_tax=False, tax_rate="0.081"
    )
    seeded = double.add_order(lines=[line], prices_entered_with_tax=False, shipping_price=None)

    order = await client.get_order(SaleorId(seeded["id"]))

    assert order is not None
    assert order.prices_entered_with_tax is False
    [read] = order.lines
    assert (read.total_net, read.total_gross) == (Decimal("30.15"), Decimal("32.59"))
    assert (read.unit_price_net, read.unit_price_gross) == (Decimal("10.05"), Decimal("10.86"))
    assert order.shipping is None
    assert (order.total_net, order.total_gross) == (Decimal("30.15"), Decimal("32.59"))


async def test_order_level_discount_is_listed_and_spread_into_line_shares(
    double: SaleorDouble, client: SaleorClient
) -> None:
    # given: a 10 % entire-order voucher (5.98 on the shirts) and a 1.00 line-level discount
    shirts = double.order_line(quantity=2, order_discount="5.98")
    mugs = double.order_line(
        "Mug", variant_name="", sku=None, unit_price="12.00", unit_discount="1.00"
    )
    voucher = {
        "type": "VOUCHER",
        "name": "Spring",
        "valueType": "PERCENTAGE",
        "value": 10.0,
        "reason": None,
        "amount": {"amount": 5.98, "currency": "CHF"},
    }
    seeded = double.add_order(lines=[shirts, mugs], discounts=[voucher], voucherCode="SPRING10")

    # when
    order = await client.get_order(SaleorId(seeded["id"]))

    # then
    assert order is not None
    shirt_line, mug_line = order.lines
    assert shirt_line.total_gross == Decimal("53.82")
    assert (shirt_line.order_discount_gross, shirt_line.order_discount_net) == (
        Decimal("5.98"),
        Decimal("5.53"),
    )
    assert mug_line.total_gross == Decimal("11.00")
    assert (mug_line.order_discount_gross, mug_line.order_discount_net) == (ZERO, ZERO)
    assert mug_line.sku is None
    assert order.discounts == (
        OrderDiscount(kind="VOUCHER", name="Spring", code="SPRING10", amount=Decimal("5.98")),
    )
    assert order.voucher_code == "SPRING10"


async def test_shipping_voucher_is_the_shippings_order_discount_share(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order(shipping_price="7.00", shipping_discount="7.00")

    order = await client.get_order(SaleorId(seeded["id"]))

    assert order is not None and order.shipping is not None
    assert (order.shipping.gross, order.shipping.net) == (Decimal("0.00"), Decimal("0.00"))
    assert (order.shipping.order_discount_gross, order.shipping.order_discount_net) == (
        Decimal("7.00"),
        Decimal("6.48"),
    )


async def test_gift_cards_are_read_from_their_used_in_order_events(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order(gift_cards=[("A1B2", "20.00"), ("Z9Y8", "0.30")])

    order = await client.get_order(SaleorId(seeded["id"]))

    assert order is not None
    assert order.gift_cards == (
        GiftCardUse(last_4="A1B2", amount=Decimal("20.00")),
        GiftCardUse(last_4="Z9Y8", amount=Decimal("0.30")),
    )
    assert order.total_gross == Decimal("60.00")


async def test_registered_customers_order_carries_the_customer_id(
    double: SaleorDouble, client: SaleorClient
) -> None:
    customer = double.add_customer()
    seeded = double.add_order(user={"id": customer["id"]}, taxExemption=True)

    order = await client.get_order(SaleorId(seeded["id"]))

    assert order is not None
    assert order.customer_id == customer["id"]
    assert order.tax_exemption is True


async def test_missing_order_is_none(client: SaleorClient) -> None:
    assert await client.get_order(SaleorId("T3JkZXI6OTk5")) is None


async def test_order_read_needs_manage_orders(double: SaleorDouble) -> None:
    seeded = double.add_order()
    token = double.install_app(permissions=("MANAGE_USERS", "MANAGE_PRODUCTS")).token

    with pytest.raises(AuthError):
        await _client(double, token).get_order(SaleorId(seeded["id"]))


# customers


async def test_customer_reads_name_language_and_company_from_billing_address(
    double: SaleorDouble, client: SaleorClient
) -> None:
    customer = double.add_customer(
        email="info@muster.ch",
        languageCode="FR_CH",
        defaultBillingAddress=address(companyName="Muster AG", phone=""),
    )

    read = await client.get_customer(SaleorId(customer["id"]))

    assert read is not None
    assert (read.id, read.email, read.first_name, read.last_name) == (
        customer["id"],
        "info@muster.ch",
        "Anna",
        "Muster",
    )
    assert read.language_code == "FR_CH"
    assert read.company_name == "Muster AG"
    assert read.phone is None
    assert read.billing_address is not None
    assert read.billing_address.street_address_1 == "Bahnhofstrasse 12a"


async def test_customer_without_billing_address_and_missing_customer(
    double: SaleorDouble, client: SaleorClient
) -> None:
    customer = double.add_customer(defaultBillingAddress=None)

    read = await client.get_customer(SaleorId(customer["id"]))

    assert read is not None
    assert (read.billing_address, read.company_name, read.phone) == (None, "", None)
    assert await client.get_customer(SaleorId("VXNlcjo5OTk=")) is None


async def test_customer_read_needs_a_user_permission(double: SaleorDouble) -> None:
    customer = double.add_customer()
    token = double.install_app(permissions=("MANAGE_PRODUCTS",)).token

    with pytest.raises(AuthError):
        await _client(double, token).get_customer(SaleorId(customer["id"]))


# taxes


async def test_tax_rates_list_class_rates_then_country_defaults(
    double: SaleorDouble, client: SaleorClient
) -> None:
    standard = double.add_tax_class(
        "Standard", {"CH": "8.1", "DE": "19"}, metadata={"bexio_tax_id": "14"}
    )
    double.set_default_tax_rate("CH", "8.1")

    rates = await client.list_tax_rates()

    assert rates == [
        ShopTaxRate(
            "CH", Decimal("8.1"), SaleorId(standard["id"]), "Standard", {"bexio_tax_id": "14"}
        ),
        ShopTaxRate(
            "DE", Decimal("19"), SaleorId(standard["id"]), "Standard", {"bexio_tax_id": "14"}
        ),
        ShopTaxRate("CH", Decimal("8.1")),
    ]
    assert rates[0].tax_rate == Decimal("0.081")


async def test_tax_classes_are_read_across_pages(
    double: SaleorDouble, client: SaleorClient
) -> None:
    for index in range(101):
        double.add_tax_class(f"Class {index:03}", {"CH": "8.1"})

    classes = await client.list_tax_classes()

    assert [c.name for c in classes] == [f"Class {index:03}" for index in range(101)]
    tax_class_queries = [c for c in double.graphql_requests if "taxClasses" in (c.query or "")]
    assert len(tax_class_queries) == 2


async def test_tax_configurations_tell_gross_and_net_channels_apart(
    double: SaleorDouble, client: SaleorClient
) -> None:
    double.add_order()
    double.add_order(currency="EUR", prices_entered_with_tax=False)

    configurations = await client.list_tax_configurations()

    assert [
        (c.channel.slug, c.channel.currencyCode, c.pricesEnteredWithTax, c.taxCalculationStrategy)
        for c in configurations
    ] == [
        ("channel-eur-net", "EUR", False, "FLAT_RATES"),
        ("default-channel", "CHF", True, "FLAT_RATES"),
    ]


async def test_tax_reads_need_an_authenticated_app(double: SaleorDouble) -> None:
    anonymous = _client(double, "not-an-app-token-0000000000000")

    with pytest.raises(AuthError):
        await anonymous.list_tax_rates()
    with pytest.raises(AuthError):
        await anonymous.list_tax_configurations()


async def test_tax_reads_need_no_other_permission(double: SaleorDouble) -> None:
    double.add_tax_class("Standard", {"CH": "8.1"})
    client = _client(double, double.install_app(permissions=()).token)

    assert [rate.rate for rate in await client.list_tax_rates()] == [Decimal("8.1")]


# mutations


async def test_mark_as_paid_sets_full_charge_with_the_reference(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order()

    await client.order_mark_as_paid(SaleorId(seeded["id"]), "RE-00042")

    stored = double.store.orders[seeded["id"]]
    assert (stored["chargeStatus"], stored["isPaid"]) == ("FULL", True)
    assert double.mutations == [
        ("orderMarkAsPaid", {"id": seeded["id"], "transactionReference": "RE-00042"})
    ]
    order = await client.get_order(SaleorId(seeded["id"]))
    assert order is not None
    assert order.charge_status is ChargeStatus.FULL
    assert order.total_charged == Decimal("80.30")


async def test_mutation_errors_become_a_readable_rejection(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order(chargeStatus="FULL")

    with pytest.raises(RejectedError) as caught:
        await client.order_mark_as_paid(SaleorId(seeded["id"]), "RE-00042")

    assert caught.value.user_message == (
        "Saleor refused to mark the order as paid: Orders with payments can not be manually "
        "marked as paid. (PAYMENT_ERROR)"
    )
    assert "payment:PAYMENT_ERROR" in caught.value.detail
    assert double.mutations == []


@pytest.mark.parametrize(("status", "rejected"), [("UNCONFIRMED", False), ("UNFULFILLED", True)])
async def test_confirm_moves_only_unconfirmed_orders(
    double: SaleorDouble, client: SaleorClient, status: str, rejected: bool
) -> None:
    seeded = double.add_order(status=status)

    if rejected:
        with pytest.raises(RejectedError) as caught:
            await client.order_confirm(SaleorId(seeded["id"]))
        assert "non-unconfirmed" in caught.value.user_message
    else:
        await client.order_confirm(SaleorId(seeded["id"]))

    assert double.store.orders[seeded["id"]]["status"] == "UNFULFILLED"
    assert len(double.mutations) == (0 if rejected else 1)


async def test_fulfil_takes_each_line_from_its_allocated_warehouses(
    double: SaleorDouble, client: SaleorClient
) -> None:
    # given: the shirts are split over two warehouses
    zurich = double.add_warehouse("Zürich")
    bern = double.add_warehouse("Bern")
    shirts = double.order_line(quantity=3, warehouse_id=zurich["id"])
    shirts["allocations"] = [
        {"id": "QWxsb2NhdGlvbjo5", "quantity": 1, "warehouse": {"id": zurich["id"]}},
        {"id": "QWxsb2NhdGlvbjoxMA==", "quantity": 2, "warehouse": {"id": bern["id"]}},
    ]
    mugs = double.order_line("Mug", quantity=1, warehouse_id=bern["id"])
    seeded = double.add_order(lines=[shirts, mugs])

    # when
    assert await client.order_fulfill(SaleorId(seeded["id"])) is True

    # then
    [(name, arguments)] = double.mutations
    assert name == "orderFulfill"
    assert arguments["input"]["lines"] == [
        {
            "orderLineId": shirts["id"],
            "stocks": [
                {"warehouse": zurich["id"], "quantity": 1},
                {"warehouse": bern["id"], "quantity": 2},
            ],
        },
        {"orderLineId": mugs["id"], "stocks": [{"warehouse": bern["id"], "quantity": 1}]},
    ]
    assert arguments["input"]["notifyCustomer"] is False
    assert double.store.orders[seeded["id"]]["status"] == "FULFILLED"


async def test_fulfilled_order_has_nothing_left_and_sends_no_mutation(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order()
    await client.order_fulfill(SaleorId(seeded["id"]))

    assert await client.order_fulfill(SaleorId(seeded["id"])) is False
    assert [name for name, _ in double.mutations] == ["orderFulfill"]


async def test_fulfilling_an_unallocated_line_is_rejected_without_a_mutation(
    double: SaleorDouble, client: SaleorClient
) -> None:
    line = double.order_line()
    line["allocations"] = []
    seeded = double.add_order(lines=[line])

    with pytest.raises(RejectedError) as caught:
        await client.order_fulfill(SaleorId(seeded["id"]))
    assert "not allocated to any warehouse" in caught.value.user_message
    assert double.mutations == []


async def test_fulfilling_a_missing_order_is_rejected(client: SaleorClient) -> None:
    with pytest.raises(RejectedError):
        await client.order_fulfill(SaleorId("T3JkZXI6OTk5"))


async def test_cancel_and_note(double: SaleorDouble, client: SaleorClient) -> None:
    seeded = double.add_order()
    order_id = SaleorId(seeded["id"])

    await client.order_cancel(order_id)
    await client.order_note_add(order_id, "bexio: invoice RE-00042 was cancelled.")

    stored = double.store.orders[seeded["id"]]
    assert stored["status"] == "CANCELED"
    notes = [event for event in stored["events"] if event["type"] == "NOTE_ADDED"]
    assert [note["message"] for note in notes] == ["bexio: invoice RE-00042 was cancelled."]
    assert [name for name, _ in double.mutations] == ["orderCancel", "orderNoteAdd"]


async def test_cancelling_a_fulfilled_order_is_rejected(
    double: SaleorDouble, client: SaleorClient
) -> None:
    seeded = double.add_order()
    await client.order_fulfill(SaleorId(seeded["id"]))

    with pytest.raises(RejectedError, match="CANNOT_CANCEL_ORDER"):
        await client.order_cancel(SaleorId(seeded["id"]))


async def test_empty_note_is_rejected(double: SaleorDouble, client: SaleorClient) -> None:
    seeded = double.add_order()

    with pytest.raises(RejectedError, match="REQUIRED"):
        await client.order_note_add(SaleorId(seeded["id"]), "  ")


async def test_mutation_on_a_missing_order_is_rejected(client: SaleorClient) -> None:
    with pytest.raises(RejectedError, match="NOT_FOUND"):
        await client.order_cancel(SaleorId("T3JkZXI6OTk5"))


@pytest.mark.parametrize(
    "call",
    [
        lambda c, i: c.order_mark_as_paid(i, "RE-1"),
        lambda c, i: c.order_confirm(i),
        lambda c, i: c.order_fulfill(i),
        lambda c, i: c.order_cancel(i),
        lambda c, i: c.order_note_add(i, "note"),
    ],
    ids=["mark_as_paid", "confirm", "fulfill", "cancel", "note"],
)
async def test_order_mutations_need_manage_orders(double: SaleorDouble, call: Any) -> None:
    seeded = double.add_order(status="UNCONFIRMED")
    client = _client(double, double.install_app(permissions=("MANAGE_USERS",)).token)

    with pytest.raises(AuthError):
        await call(client, SaleorId(seeded["id"]))
    assert double.mutations == []
    assert double.store.orders[seeded["id"]]["status"] == "UNCONFIRMED"


# wire conversion


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        (80.3, "CHF", "80.30"),
        (0.1 + 0.2, "CHF", "0.30"),
        (2.675, "CHF", "2.68"),
        (1e-05, "CHF", "0.00"),
        (1234.0, "JPY", "1234"),
        (1.2345, "KWD", "1.235"),
    ],
)
def test_float_amounts_become_exact_decimals_in_the_currencys_unit(
    value: float, currency: str, expected: str
) -> None:
    assert str(to_decimal(value, currency)) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.081, "0.0810"), (0.026, "0.0260"), (0, "0.0000")]
)
def test_tax_rate_fractions_keep_four_places(value: float, expected: str) -> None:
    assert str(to_rate(value)) == expected


async def test_unreadable_order_names_fields_but_not_their_values() -> None:
    body = {"data": {"order": {"id": "T3JkZXI6MQ==", "userEmail": "anna@example.ch"}}}
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
    client = SaleorClient(SaleorApiUrl(API_URL), "token", transport=transport)

    with pytest.raises(AppError) as caught:
        await client.get_order(SaleorId("T3JkZXI6MQ=="))

    assert type(caught.value) is AppError
    assert "number" in caught.value.detail
    assert "anna@example.ch" not in caught.value.detail + caught.value.user_message
