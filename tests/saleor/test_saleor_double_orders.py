"""The double's orders, customers and taxes answer raw GraphQL like Saleor 3.24 would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx
import pytest
from jwt.api_jws import PyJWS

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble

API_URL = "http://saleor.test/graphql/"


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


@pytest.fixture
def app(double: SaleorDouble) -> InstalledApp:
    return double.install_app()


@pytest.fixture
async def http(double: SaleorDouble) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=double.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://saleor.test") as client:
        yield client


async def _graphql(
    http: httpx.AsyncClient, token: str | None, query: str, variables: Mapping[str, Any]
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql/", json={"query": query, "variables": dict(variables)}, headers=headers
    )
    body: dict[str, Any] = response.json()
    return body


def test_default_order_is_a_realistic_swiss_order(double: SaleorDouble) -> None:
    order = double.add_order()

    assert order["channel"]["currencyCode"] == "CHF"
    assert order["channel"]["taxConfiguration"]["pricesEnteredWithTax"] is True
    assert [line["taxRate"] for line in order["lines"]] == [0.081, 0.026]
    assert order["shippingTaxRate"] == 0.081
    assert order["billingAddress"]["streetAddress1"] == "Bahnhofstrasse 12a"
    assert (order["billingAddress"]["postalCode"], order["billingAddress"]["city"]) == (
        "8001",
        "Zürich",
    )
    assert order["total"]["gross"]["amount"] == 80.30
    assert {c["name"] for c in double.store.tax_classes.values()} == {"Standard", "Reduced rate"}
    assert json.dumps({k: v for k, v in order.items() if k != "giftCards"})


async def test_order_query_needs_a_token_with_manage_orders(
    double: SaleorDouble, http: httpx.AsyncClient
) -> None:
    order = double.add_order()
    query = "query($id: ID!) { order(id: $id) { number } }"
    without = double.install_app(permissions=("MANAGE_USERS",))

    anonymous = await _graphql(http, None, query, {"id": order["id"]})
    unprivileged = await _graphql(http, without.token, query, {"id": order["id"]})

    for answer in (anonymous, unprivileged):
        assert answer["data"] == {"order": None}
        [error] = answer["errors"]
        assert error["extensions"]["exception"]["code"] == "PermissionDenied"
        assert error["message"].endswith("MANAGE_ORDERS")


async def test_gift_card_events_honour_the_filter(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    order = double.add_order(gift_cards=[("A1B2", "20.00")])
    query = """
    query($id: ID!, $other: ID!) { order(id: $id) { giftCards {
      mine: events(filter: { type: USED_IN_ORDER, orders: [$id] }) { orderId }
      other: events(filter: { orders: [$other] }) { orderId }
      issued: events(filter: { type: ISSUED }) { orderId }
    } } }
    """

    answer = await _graphql(http, app.token, query, {"id": order["id"], "other": "T3JkZXI6OQ=="})

    assert answer["data"]["order"]["giftCards"] == [
        {"mine": [{"orderId": order["id"]}], "other": [], "issued": []}
    ]


async def test_mutation_permission_denied_is_a_top_level_error(
    double: SaleorDouble, http: httpx.AsyncClient
) -> None:
    order = double.add_order()
    other = double.install_app(permissions=("MANAGE_PRODUCTS",))

    answer = await _graphql(
        http,
        other.token,
        "mutation($id: ID!) { orderCancel(id: $id) { errors { code } } }",
        {"id": order["id"]},
    )

    assert answer["data"] == {"orderCancel": None}
    assert answer["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"
    assert double.mutations == []


async def test_fulfilling_more_than_remains_is_an_error_in_the_payload(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    order = double.add_order()
    line = order["lines"][0]
    warehouse = line["allocations"][0]["warehouse"]["id"]
    query = """
    mutation($id: ID!, $lines: [OrderFulfillLineInput!]!) {
      orderFulfill(order: $id, input: { lines: $lines }) { errors { field code } order { id } }
    }
    """
    lines = [{"orderLineId": line["id"], "stocks": [{"warehouse": warehouse, "quantity": 5}]}]

    answer = await _graphql(http, app.token, query, {"id": order["id"], "lines": lines})

    assert answer["data"]["orderFulfill"] == {
        "errors": [{"field": "orderLineId", "code": "FULFILL_ORDER_LINE"}],
        "order": None,
    }
    assert double.store.orders[order["id"]]["status"] == "UNFULFILLED"


async def test_partial_fulfilment_leaves_the_order_partially_fulfilled(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    order = double.add_order()
    line = order["lines"][0]
    warehouse = line["allocations"][0]["warehouse"]["id"]
    query = """
    mutation($id: ID!, $lines: [OrderFulfillLineInput!]!) {
      orderFulfill(order: $id, input: { lines: $lines }) {
        errors { code } order { status lines { quantityToFulfill } }
      }
    }
    """
    lines = [{"orderLineId": line["id"], "stocks": [{"warehouse": warehouse, "quantity": 1}]}]

    answer = await _graphql(http, app.token, query, {"id": order["id"], "lines": lines})

    assert answer["data"]["orderFulfill"] == {
        "errors": [],
        "order": {
            "status": "PARTIALLY_FULFILLED",
            "lines": [{"quantityToFulfill": 1}, {"quantityToFulfill": 3}],
        },
    }


async def test_note_is_an_order_event_by_the_app(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    order = double.add_order()
    query = """
    mutation($id: ID!) {
      orderNoteAdd(order: $id, input: { message: "Paid in bexio" }) {
        errors { code } event { type message app { id } }
      }
    }
    """

    answer = await _graphql(http, app.token, query, {"id": order["id"]})

    assert answer["data"]["orderNoteAdd"] == {
        "errors": [],
        "event": {"type": "NOTE_ADDED", "message": "Paid in bexio", "app": {"id": app.id}},
    }
    assert double.mutations == [
        ("orderNoteAdd", {"order": order["id"], "input": {"message": "Paid in bexio"}})
    ]


async def test_mutations_move_updated_at_forward(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    order = double.add_order(status="UNCONFIRMED")
    before = order["updatedAt"]

    await _graphql(
        http,
        app.token,
        "mutation($id: ID!) { orderConfirm(id: $id) { errors { code } } }",
        {"id": order["id"]},
    )

    assert double.store.orders[order["id"]]["updatedAt"] > before


async def test_order_webhook_has_the_manifest_payload_shape_and_verifies(
    double: SaleorDouble, app: InstalledApp
) -> None:
    order = double.add_order()

    headers, body = double.order_webhook("ORDER_FULLY_PAID", order["id"], app.id)

    payload = json.loads(body)
    assert payload["__typename"] == "OrderFullyPaid"
    assert payload["version"] == double.version
    assert payload["recipient"] == {"id": app.id}
    assert payload["order"] == {
        "id": order["id"],
        "number": order["number"],
        "status": "UNFULFILLED",
        "updatedAt": order["updatedAt"],
    }
    assert set(payload) == {"__typename", "issuedAt", "version", "recipient", "order"}
    assert headers["Saleor-Event"] == "order_fully_paid"
    key = double.private_key.public_key()
    PyJWS().decode_complete(
        headers["Saleor-Signature"], key=key, algorithms=["RS256"], detached_payload=body
    )


def test_order_webhook_rejects_unknown_events(double: SaleorDouble, app: InstalledApp) -> None:
    order = double.add_order()

    with pytest.raises(ValueError, match="not an async webhook event"):
        double.order_webhook("ORDER_TELEPORTED", order["id"], app.id)
