"""The double's products, channels and warehouses answer raw GraphQL like Saleor 3.24 would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from decimal import Decimal
from typing import Any

import httpx
import pytest
from jwt.api_jws import PyJWS

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble

API_URL = "http://saleor.test/graphql/"
PAGE = """
query($after: String) {
  products(first: 100, after: $after, sortBy: { field: CREATED_AT, direction: ASC }) {
    totalCount
    edges { node { id variants { sku } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


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
    http: httpx.AsyncClient, token: str, query: str, variables: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    response = await http.post(
        "/graphql/",
        json={"query": query, "variables": dict(variables or {})},
        headers={"Authorization": f"Bearer {token}"},
    )
    body: dict[str, Any] = response.json()
    return body


async def _walk(http: httpx.AsyncClient, token: str) -> list[str]:
    ids: list[str] = []
    after = None
    while True:
        body = await _graphql(http, token, PAGE, {"after": after})
        connection = body["data"]["products"]
        ids += [edge["node"]["id"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            return ids
        after = connection["pageInfo"]["endCursor"]


async def test_two_thousand_products_seed_and_page_through_once(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    warehouse = double.add_warehouse()["id"]
    seeded = [
        double.add_product(
            f"Product {i}",
            variants=[
                dict(sku=f"P-{i}", prices={"default-channel": "9.90"}, stocks={warehouse: i})
            ],
        )
        for i in range(2000)
    ]

    ids = await _walk(http, app.token)

    assert ids == [p.id for p in seeded]
    assert ids[0] == "UHJvZHVjdDox"


async def test_paging_skips_nothing_when_earlier_products_are_deleted(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    seeded = [double.add_product(f"Product {i}") for i in range(150)]
    first = await _graphql(http, app.token, PAGE)
    cursor = first["data"]["products"]["pageInfo"]["endCursor"]
    for product in seeded[:10]:
        double.delete_product(product.id)
    late = double.add_product("Late")

    rest = await _graphql(http, app.token, PAGE, {"after": cursor})

    ids = [edge["node"]["id"] for edge in rest["data"]["products"]["edges"]]
    assert ids == [p.id for p in seeded[100:]] + [late.id]


async def test_product_reads_like_saleor(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    zurich = double.add_warehouse("Zürich")
    double.add_channel("b2b", prices_entered_with_tax=False, default_country="DE")
    seeded = double.add_product(
        "Shirt",
        description={"blocks": [{"type": "paragraph", "data": {"text": "Hi"}}]},
        variants=[
            dict(
                sku="SH",
                weight=(Decimal("1234.5"), "G"),
                prices={"b2b": Decimal("10")},
                stocks={zurich["id"]: 2},
            )
        ],
    )
    query = """
    query($id: ID!) {
      product(id: $id) {
        description
        variants {
          weight { unit value }
          channelListings { channel { slug defaultCountry { code } } price { amount currency } }
          stocks { warehouse { id name } quantity }
        }
      }
      channels { slug taxConfiguration { pricesEnteredWithTax } }
    }
    """

    body = await _graphql(http, app.token, query, {"id": seeded.id})

    product = body["data"]["product"]
    # JSONString: the document as a string, not an object.
    assert json.loads(product["description"])["blocks"][0]["data"]["text"] == "Hi"
    [variant] = product["variants"]
    assert variant["weight"] == {"unit": "KG", "value": 1.234}
    assert variant["channelListings"] == [
        {
            "channel": {"slug": "b2b", "defaultCountry": {"code": "DE"}},
            "price": {"amount": 10.0, "currency": "CHF"},
        }
    ]
    assert variant["stocks"] == [
        {"warehouse": {"id": zurich["id"], "name": "Zürich"}, "quantity": 2}
    ]
    assert body["data"]["channels"] == [
        {"slug": "b2b", "taxConfiguration": {"pricesEnteredWithTax": False}}
    ]


async def test_stock_quantities_need_a_product_or_order_permission(
    double: SaleorDouble, http: httpx.AsyncClient
) -> None:
    zurich = double.add_warehouse()
    seeded = double.add_product("Shirt", variants=[dict(stocks={zurich["id"]: 1})])
    users_only = double.install_app(permissions=("MANAGE_USERS",))

    body = await _graphql(
        http,
        users_only.token,
        "query($id: ID!) { product(id: $id) { variants { stocks { quantity } } } }",
        {"id": seeded.id},
    )

    assert body["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        ({"unit": "g", "value": 500}, (Decimal("500"), "G")),
        ({"unit": "tonne", "value": 0.5}, (Decimal("0.5"), "TONNE")),
        (2, (Decimal("2"), "KG")),
    ],
)
async def test_weight_input_takes_saleor_units_or_the_default_unit(
    double: SaleorDouble,
    app: InstalledApp,
    http: httpx.AsyncClient,
    weight: object,
    expected: tuple[Decimal, str],
) -> None:
    seeded = double.add_product("Tea")
    mutation = """
    mutation($id: ID!, $input: ProductVariantInput!) {
      productVariantUpdate(id: $id, input: $input) { errors { field code } }
    }
    """

    body = await _graphql(
        http, app.token, mutation, {"id": seeded.variant_ids[0], "input": {"weight": weight}}
    )

    assert body["data"]["productVariantUpdate"]["errors"] == []
    assert double.store.variants[seeded.variant_ids[0]]["weight"] == expected


@pytest.mark.parametrize(
    ("weight", "error"),
    [
        ({"unit": "KG", "value": 1}, "Unsupported value"),
        ({"unit": "stone", "value": 1}, "Unsupported value"),
        ({"unit": "kg", "value": -1}, "INVALID"),
    ],
)
async def test_bad_weights_are_refused_and_change_nothing(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient, weight: object, error: str
) -> None:
    seeded = double.add_product("Tea", variants=[dict(weight=(Decimal("1"), "G"))])
    mutation = """
    mutation($id: ID!, $input: ProductVariantInput!) {
      productVariantUpdate(id: $id, input: $input) { errors { field code } }
    }
    """

    body = await _graphql(
        http, app.token, mutation, {"id": seeded.variant_ids[0], "input": {"weight": weight}}
    )

    assert error in json.dumps(body)
    assert double.store.variants[seeded.variant_ids[0]]["weight"] == (Decimal("1"), "G")
    assert double.mutations == []


async def test_description_must_be_a_json_string(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    seeded = double.add_product("Shirt")
    mutation = """
    mutation($id: ID!, $input: ProductInput!) {
      productUpdate(id: $id, input: $input) { errors { code } product { description } }
    }
    """

    as_object = await _graphql(
        http, app.token, mutation, {"id": seeded.id, "input": {"description": {"blocks": []}}}
    )
    as_string = await _graphql(
        http, app.token, mutation, {"id": seeded.id, "input": {"description": '{"blocks": []}'}}
    )

    assert "JSONString" in as_object["errors"][0]["message"]
    assert as_string["data"]["productUpdate"]["product"] == {"description": '{"blocks": []}'}
    assert [name for name, _ in double.mutations] == ["productUpdate"]


async def test_stocks_update_refuses_duplicate_and_unknown_warehouses(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    zurich = double.add_warehouse()["id"]
    seeded = double.add_product("Shirt", variants=[dict(stocks={zurich: 1})])
    mutation = """
    mutation($id: ID!, $stocks: [StockInput!]!) {
      productVariantStocksUpdate(variantId: $id, stocks: $stocks) { errors { field code index } }
    }
    """
    duplicate = [{"warehouse": zurich, "quantity": 2}, {"warehouse": zurich, "quantity": 3}]
    unknown = [{"warehouse": "V2FyZWhvdXNlOjk5", "quantity": 2}]

    first = await _graphql(
        http, app.token, mutation, {"id": seeded.variant_ids[0], "stocks": duplicate}
    )
    second = await _graphql(
        http, app.token, mutation, {"id": seeded.variant_ids[0], "stocks": unknown}
    )

    assert first["data"]["productVariantStocksUpdate"]["errors"] == [
        {"field": "warehouse", "code": "DUPLICATED_INPUT_ITEM", "index": 1}
    ]
    assert second["data"]["productVariantStocksUpdate"]["errors"] == [
        {"field": "warehouse", "code": "NOT_FOUND", "index": 0}
    ]
    assert double.store.variants[seeded.variant_ids[0]]["stocks"] == {zurich: 1}
    assert double.mutations == []


async def test_successful_product_mutations_bump_updated_at_and_are_recorded(
    double: SaleorDouble, app: InstalledApp, http: httpx.AsyncClient
) -> None:
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])
    before = double.store.products[seeded.id]["updatedAt"]
    mutation = """
    mutation($id: ID!, $input: [ProductVariantChannelListingAddInput!]!) {
      productVariantChannelListingUpdate(id: $id, input: $input) {
        errors { code } variant { channelListings { price { amount } } }
      }
    }
    """
    channel = double.store.channels["default-channel"]["id"]

    body = await _graphql(
        http,
        app.token,
        mutation,
        {"id": seeded.variant_ids[0], "input": [{"channelId": channel, "price": "12.5"}]},
    )

    listings = body["data"]["productVariantChannelListingUpdate"]["variant"]["channelListings"]
    assert listings == [{"price": {"amount": 12.5}}]
    assert double.store.products[seeded.id]["updatedAt"] > before
    assert double.mutations == [
        (
            "productVariantChannelListingUpdate",
            {"id": seeded.variant_ids[0], "input": [{"channelId": channel, "price": "12.5"}]},
        )
    ]


def test_seeding_refuses_unknown_variant_fields_and_warehouses(double: SaleorDouble) -> None:
    with pytest.raises(TypeError, match="colour"):
        double.add_product("Shirt", variants=[dict(sku="SH", colour="red")])
    with pytest.raises(KeyError, match="add_warehouse"):
        double.add_product("Shirt", variants=[dict(stocks={"V2FyZWhvdXNlOjk=": 1})])


# webhooks


@pytest.mark.parametrize("event", ["PRODUCT_CREATED", "PRODUCT_UPDATED", "PRODUCT_DELETED"])
async def test_product_webhooks_carry_the_manifest_payload_and_verify(
    double: SaleorDouble, app: InstalledApp, event: str
) -> None:
    seeded = double.add_product("Shirt")
    updated_at = double.store.products[seeded.id]["updatedAt"]
    if event == "PRODUCT_DELETED":
        double.delete_product(seeded.id)

    headers, body = double.product_webhook(event, seeded.id, app.id)

    payload = json.loads(body)
    assert set(payload) == {"__typename", "issuedAt", "version", "recipient", "product"}
    assert payload["__typename"] == "".join(p.capitalize() for p in event.split("_"))
    assert payload["recipient"] == {"id": app.id}
    assert payload["product"] == {"id": seeded.id, "updatedAt": updated_at}
    assert headers["Saleor-Event"] == event.lower()
    key = double.private_key.public_key()
    PyJWS().decode_complete(
        headers["Saleor-Signature"], key=key, algorithms=["RS256"], detached_payload=body
    )


async def test_variant_webhooks_name_the_variant_its_product_and_the_warehouse(
    double: SaleorDouble, app: InstalledApp
) -> None:
    zurich, bern = double.add_warehouse("Zürich")["id"], double.add_warehouse("Bern")["id"]
    seeded = double.add_product(
        "Shirt",
        variants=[dict(sku="SH-M", stocks={zurich: 1}), dict(sku="SH-L", stocks={bern: 1})],
    )

    _, updated = double.product_webhook("PRODUCT_VARIANT_UPDATED", seeded.id, app.id)
    _, stock = double.product_webhook(
        "PRODUCT_VARIANT_STOCK_UPDATED", seeded.id, app.id, variant_id=seeded.variant_ids[1]
    )

    assert json.loads(updated)["productVariant"] == {
        "id": seeded.variant_ids[0],
        "sku": "SH-M",
        "product": {"id": seeded.id},
    }
    stock_payload = json.loads(stock)
    assert stock_payload["__typename"] == "ProductVariantStockUpdated"
    assert stock_payload["productVariant"]["sku"] == "SH-L"
    assert stock_payload["warehouse"] == {"id": bern}


def test_product_webhook_refuses_events_that_are_not_product_events(
    double: SaleorDouble, app: InstalledApp
) -> None:
    seeded = double.add_product("Shirt")

    with pytest.raises(ValueError, match="not a product event"):
        double.product_webhook("ORDER_CREATED", seeded.id, app.id)
