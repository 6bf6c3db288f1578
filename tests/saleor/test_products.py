"""SaleorProducts reads variants and writes product fields through the real client and the double.

Every call goes through gql's schema validation, the double's validation and execution, so these
tests also prove the documents fit Saleor 3.24's schema and the double's answers.
"""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from gql import GraphQLRequest
from graphql import validate

from saleor_bexio_app.errors import AuthError, NotFoundError, RejectedError, TransientError
from saleor_bexio_app.ids import SaleorApiUrl, SaleorId
from saleor_bexio_app.saleor import products as products_module
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.saleor.products import SaleorProducts
from saleor_bexio_app.saleor.schema import saleor_schema
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.sync.ports import ProductShopPort, ShopChannel, ShopWarehouse
from saleor_bexio_app.sync.products import ChannelPrice, Weight, WeightUnit
from saleor_bexio_app.sync.richtext import richtext_to_text

API_URL = "http://saleor.test/graphql/"
SOURCE = Path(products_module.__file__)
EDITOR_JS = {"time": 1, "blocks": [{"type": "paragraph", "data": {"text": "Bio cotton"}}]}


def _products(double: SaleorDouble, token: str, **options: Any) -> SaleorProducts:
    transport = httpx.ASGITransport(app=double.app)
    return SaleorProducts(
        SaleorClient(SaleorApiUrl(API_URL), token, transport=transport), **options
    )


@pytest.fixture
def double() -> SaleorDouble:
    return SaleorDouble(API_URL)


@pytest.fixture
def shop(double: SaleorDouble) -> SaleorProducts:
    return _products(double, double.install_app().token)


def _documents() -> dict[str, GraphQLRequest]:
    return {
        name: value
        for name, value in vars(products_module).items()
        if isinstance(value, GraphQLRequest)
    }


def _mutation_names(double: SaleorDouble) -> list[str]:
    return [name for name, _ in double.mutations]


# documents


def test_every_gql_document_in_the_module_is_collected() -> None:
    tree = ast.parse(SOURCE.read_text(encoding="utf-8"))
    calls = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "gql"
    ]
    assert len(calls) == len(_documents()) == 9


@pytest.mark.parametrize("name", sorted(_documents()))
def test_every_document_is_valid_against_the_real_schema(name: str) -> None:
    assert validate(saleor_schema(), _documents()[name].document) == []


def test_saleor_products_satisfies_the_port(shop: SaleorProducts) -> None:
    port: ProductShopPort = shop
    names = {"product_variants", "variants_page", "variants_by_sku", "update_product"}
    names |= {"update_variant", "set_variant_price", "set_variant_stock", "channels", "warehouses"}
    assert all(callable(getattr(port, name)) for name in names)


# reads


async def test_multi_variant_product_reads_every_field(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    zurich, bern = double.add_warehouse("Zürich"), double.add_warehouse("Bern")
    standard = double.add_tax_class("Standard", {"CH": "8.1", "DE": "19"})
    double.add_channel("default-channel")
    double.add_channel("b2b", prices_entered_with_tax=False)
    seeded = double.add_product(
        "Shirt",
        description=EDITOR_JS,
        tax_class=standard,
        variants=[
            dict(
                sku="SH-M",
                name="M",
                weight=(Decimal("250"), "G"),
                prices={"default-channel": Decimal("29.90"), "b2b": Decimal("27.66")},
                stocks={zurich["id"]: 5, bern["id"]: -2},
            ),
            dict(sku="SH-L", name="L", prices={"default-channel": Decimal("31.00")}),
        ],
    )

    variants = await shop.product_variants(SaleorId(seeded.id))

    assert variants is not None
    medium, large = variants
    assert (medium.id, medium.product_id) == (seeded.variant_ids[0], seeded.id)
    assert (medium.sku, medium.product_name, medium.variant_name) == ("SH-M", "Shirt", "M")
    assert (medium.variant_count, large.variant_count) == (2, 2)
    assert medium.title == "Shirt — M"
    assert richtext_to_text(medium.description) == "Bio cotton"
    # Saleor answers weights in the shop's default unit (KG here).
    assert medium.weight == Weight(Decimal("0.25"), WeightUnit.KG)
    assert medium.prices == {
        "default-channel": ChannelPrice(Decimal("29.90"), gross=True, currency="CHF"),
        "b2b": ChannelPrice(Decimal("27.66"), gross=False, currency="CHF"),
    }
    assert medium.stocks == {zurich["id"]: 5, bern["id"]: -2}
    assert medium.vat_rate == Decimal("0.081")
    assert (large.sku, large.variant_name, large.stocks) == ("SH-L", "L", {})
    assert large.prices["default-channel"].amount == Decimal("31.00")


async def test_variant_without_weight_takes_the_product_weight(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product(
        "Mug",
        weight=(Decimal("1.5"), "LB"),
        variants=[dict(sku="MUG-1"), dict(sku="MUG-2", weight=(Decimal("2"), "KG"))],
    )
    weightless = double.add_product("Voucher", variants=[dict(sku="V-1")])

    mug = await shop.product_variants(SaleorId(seeded.id))
    voucher = await shop.product_variants(SaleorId(weightless.id))

    assert mug is not None and voucher is not None
    # 1.5 lb = 680.388555 g, answered as 0.68 kg (three decimals, like Saleor).
    assert [v.weight for v in mug] == [
        Weight(Decimal("0.68"), WeightUnit.KG),
        Weight(Decimal("2.0"), WeightUnit.KG),
    ]
    assert voucher[0].weight is None


async def test_weight_keeps_the_unit_saleor_answers_in(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    double.default_weight_unit = "OZ"
    seeded = double.add_product("Tea", variants=[dict(sku="TEA", weight=(Decimal("100"), "G"))])

    [tea] = await shop.product_variants(SaleorId(seeded.id)) or []

    assert tea.weight == Weight(Decimal("3.527"), WeightUnit.OZ)


@pytest.mark.parametrize(
    ("unit", "value"),
    [
        (WeightUnit.G, Decimal("1000")),
        (WeightUnit.KG, Decimal("1")),
        (WeightUnit.LB, Decimal("2.205")),
        (WeightUnit.OZ, Decimal("35.274")),
        (WeightUnit.TONNE, Decimal("0.001")),
    ],
)
async def test_every_saleor_weight_unit_maps_to_weight_unit(
    double: SaleorDouble, shop: SaleorProducts, unit: WeightUnit, value: Decimal
) -> None:
    double.default_weight_unit = unit.value
    seeded = double.add_product("Box", variants=[dict(weight=(Decimal("1"), "KG"))])

    [box] = await shop.product_variants(SaleorId(seeded.id)) or []

    assert box.weight == Weight(value, unit)


async def test_missing_or_deleted_product_reads_as_none(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Gone")
    double.delete_product(seeded.id)

    assert await shop.product_variants(SaleorId(seeded.id)) is None
    assert await shop.product_variants(SaleorId("UHJvZHVjdDo5OTk=")) is None


async def test_vat_rate_falls_back_to_product_type_class_then_country_default(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    double.add_channel("default-channel")
    double.set_default_tax_rate("CH", "8.1")
    reduced = double.add_tax_class("Reduced", {"CH": "2.6"})
    german_only = double.add_tax_class("German books", {"DE": "7"})
    by_type = double.add_product("Bread", product_type_tax_class=reduced)
    own_wins = double.add_product("Book", tax_class=german_only, product_type_tax_class=reduced)
    without = double.add_product("Chair")

    rates = [
        (await shop.product_variants(SaleorId(p.id)) or [])[0].vat_rate
        for p in (by_type, own_wins, without)
    ]

    # The product's own class has no CH rate, so Saleor charges the country default, not the
    # product type's class.
    assert rates == [Decimal("0.026"), Decimal("0.081"), Decimal("0.081")]


async def test_vat_rate_is_unknown_without_any_rate_for_the_country(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    double.add_channel("default-channel")
    seeded = double.add_product("Chair", tax_class=double.add_tax_class("Std", {"DE": "19"}))

    [chair] = await shop.product_variants(SaleorId(seeded.id)) or []

    assert chair.vat_rate is None


async def test_vat_country_comes_from_the_chosen_channel_when_channels_differ(
    double: SaleorDouble,
) -> None:
    token = double.install_app().token
    double.add_channel("ch", default_country="CH")
    double.add_channel("de", currency="EUR", default_country="DE")
    standard = double.add_tax_class("Standard", {"CH": "8.1", "DE": "19"})
    seeded = double.add_product("Shirt", tax_class=standard)

    unchosen = await _products(double, token).product_variants(SaleorId(seeded.id))
    german = await _products(double, token, vat_channel="de").product_variants(SaleorId(seeded.id))

    assert unchosen is not None and german is not None
    assert unchosen[0].vat_rate is None
    assert german[0].vat_rate == Decimal("0.19")


async def test_channels_and_warehouses_are_listed(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    gross = double.add_channel("default-channel")
    net = double.add_channel("b2b", currency="EUR", prices_entered_with_tax=False)
    warehouses = [double.add_warehouse(f"Lager {i:03}") for i in range(120)]

    channels = await shop.channels()
    listed = await shop.warehouses()

    assert channels == [
        ShopChannel(SaleorId(gross["id"]), "default-channel", "Default channel", "CHF", True),
        ShopChannel(SaleorId(net["id"]), "b2b", "B2b", "EUR", False),
    ]
    # More than one page of warehouses.
    assert listed == [ShopWarehouse(SaleorId(w["id"]), w["name"]) for w in warehouses]


async def test_paging_returns_every_variant_exactly_once(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = [double.add_product(f"Product {i}", variants=[dict(sku=f"P-{i}")]) for i in range(249)]
    seeded.append(double.add_product("Duo", variants=[dict(sku="DUO-A"), dict(sku="DUO-B")]))

    seen: list[str] = []
    pages, after = 0, None
    while True:
        variants, after = await shop.variants_page(after, 100)
        seen += [v.id for v in variants]
        pages += 1
        if pages == 1:
            # The sync renames products while it walks; the order must not move.
            await shop.update_product(SaleorId(seeded[150].id), name="AAA renamed")
        if after is None:
            break

    assert pages == 3
    assert sorted(seen) == sorted(v for p in seeded for v in p.variant_ids)
    assert len(seen) == len(set(seen)) == 251


async def test_a_page_larger_than_saleor_allows_is_capped(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    for i in range(101):
        double.add_product(f"Product {i}", variants=[dict(sku=f"P-{i}")])

    first, after = await shop.variants_page(None, 500)
    rest, end = await shop.variants_page(after, 500)

    assert (len(first), len(rest), end) == (100, 1, None)


async def test_variants_by_sku_reads_in_batches_and_leaves_out_missing(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    for i in range(230):
        double.add_product(f"Product {i}", variants=[dict(sku=f"P-{i}")])
    duo = double.add_product("Duo", variants=[dict(sku="DUO-A", name="A"), dict(sku="DUO-B")])
    wanted = [f"P-{i}" for i in range(230)] + ["DUO-A", "MISSING", "P-3"]
    before = len(double.graphql_requests)

    variants = await shop.variants_by_sku(wanted)

    assert sorted(v.sku or "" for v in variants) == sorted({*wanted} - {"MISSING"})
    [duo_a] = [v for v in variants if v.sku == "DUO-A"]
    assert (duo_a.id, duo_a.product_name, duo_a.variant_count) == (duo.variant_ids[0], "Duo", 2)
    sku_queries = [
        call for call in double.graphql_requests[before:] if "VariantsBySku" in (call.query or "")
    ]
    assert [len(call.variables["skus"]) for call in sku_queries if call.variables] == [
        100,
        100,
        32,  # 230 + DUO-A + MISSING, each asked once
    ]


async def test_no_skus_means_no_request(double: SaleorDouble, shop: SaleorProducts) -> None:
    assert await shop.variants_by_sku(["", ""]) == []
    assert double.graphql_requests == []


# writes


async def test_update_product_changes_name_and_description(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt", description=EDITOR_JS)
    text = {"blocks": [{"type": "paragraph", "data": {"text": "Organic <b>cotton</b>"}}]}

    await shop.update_product(SaleorId(seeded.id), name="Shirt Pro", description=json.dumps(text))

    stored = double.store.products[seeded.id]
    assert (stored["name"], stored["description"]) == ("Shirt Pro", text)
    assert _mutation_names(double) == ["productUpdate"]
    [variant] = await shop.product_variants(SaleorId(seeded.id)) or []
    assert richtext_to_text(variant.description) == "Organic cotton"


async def test_updates_without_fields_send_nothing(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt")

    await shop.update_product(SaleorId(seeded.id))
    await shop.update_variant(SaleorId(seeded.variant_ids[0]))

    assert double.graphql_requests == [] and double.mutations == []


async def test_update_variant_changes_name_and_weight_in_its_unit(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Tea", variants=[dict(sku="TEA", name="Small")])
    variant_id = SaleorId(seeded.variant_ids[0])

    await shop.update_variant(
        variant_id, name="Large", weight=Weight(Decimal("2.5"), WeightUnit.LB)
    )

    stored = double.store.variants[variant_id]
    assert (stored["name"], stored["weight"]) == ("Large", (Decimal("2.5"), "LB"))
    [tea] = await shop.product_variants(SaleorId(seeded.id)) or []
    assert tea.weight == Weight(Decimal("1.134"), WeightUnit.KG)
    assert _mutation_names(double) == ["productVariantUpdate"]


async def test_set_variant_price_writes_the_channel_price(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    double.add_channel("b2b", prices_entered_with_tax=False)
    seeded = double.add_product(
        "Shirt",
        variants=[dict(sku="SH", prices={"default-channel": Decimal("29.90")})],
        channels=["b2b"],
    )
    variant_id = SaleorId(seeded.variant_ids[0])

    await shop.set_variant_price(variant_id, "b2b", Decimal("27.66"))
    await shop.set_variant_price(variant_id, "default-channel", Decimal("31.00"))

    [shirt] = await shop.product_variants(SaleorId(seeded.id)) or []
    assert shirt.prices == {
        "default-channel": ChannelPrice(Decimal("31.00"), gross=True),
        "b2b": ChannelPrice(Decimal("27.66"), gross=False),
    }
    assert _mutation_names(double) == ["productVariantChannelListingUpdate"] * 2
    # The channel ids were read once.
    assert sum("ChannelsForSync" in (c.query or "") for c in double.graphql_requests) == 1


async def test_set_variant_price_in_an_unknown_channel_is_not_found(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])

    with pytest.raises(NotFoundError) as raised:
        await shop.set_variant_price(SaleorId(seeded.variant_ids[0]), "nowhere", Decimal("1.00"))

    assert "nowhere" in raised.value.user_message
    assert double.mutations == []


async def test_set_variant_price_finds_a_channel_created_after_the_first_read(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])
    await shop.channels()
    double.add_channel("new")
    double.store.products[seeded.id]["channels"].append("new")

    await shop.set_variant_price(SaleorId(seeded.variant_ids[0]), "new", Decimal("5.00"))

    assert double.store.variants[seeded.variant_ids[0]]["prices"]["new"] == Decimal("5.00")


async def test_price_in_a_channel_the_product_is_not_in_is_rejected_readably(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    double.add_channel("outlet")
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])

    with pytest.raises(RejectedError) as raised:
        await shop.set_variant_price(SaleorId(seeded.variant_ids[0]), "outlet", Decimal("5.00"))

    assert not isinstance(raised.value, NotFoundError)
    assert "outlet" in raised.value.user_message
    assert "PRODUCT_NOT_ASSIGNED_TO_CHANNEL" in raised.value.user_message
    assert "outlet" not in double.store.variants[seeded.variant_ids[0]]["prices"]
    assert double.mutations == []


async def test_set_variant_stock_updates_and_creates_stock_rows(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    zurich, bern = double.add_warehouse("Zürich"), double.add_warehouse("Bern")
    seeded = double.add_product("Shirt", variants=[dict(sku="SH", stocks={zurich["id"]: 3})])
    variant_id = SaleorId(seeded.variant_ids[0])

    await shop.set_variant_stock(variant_id, SaleorId(zurich["id"]), 10)
    await shop.set_variant_stock(variant_id, SaleorId(bern["id"]), 4)

    [shirt] = await shop.product_variants(SaleorId(seeded.id)) or []
    assert shirt.stocks == {zurich["id"]: 10, bern["id"]: 4}
    assert _mutation_names(double) == ["productVariantStocksUpdate"] * 2


@pytest.mark.parametrize("target", ["product", "variant", "price", "stock", "warehouse"])
async def test_a_missing_object_is_not_found(
    double: SaleorDouble, shop: SaleorProducts, target: str
) -> None:
    warehouse = SaleorId(double.add_warehouse()["id"])
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])
    gone = double.add_product("Gone")
    double.delete_product(gone.id)
    gone_variant = SaleorId(gone.variant_ids[0])
    live_variant = SaleorId(seeded.variant_ids[0])

    with pytest.raises(NotFoundError) as raised:
        if target == "product":
            await shop.update_product(SaleorId(gone.id), name="x")
        elif target == "variant":
            await shop.update_variant(gone_variant, name="x")
        elif target == "price":
            await shop.set_variant_price(gone_variant, "default-channel", Decimal("1.00"))
        elif target == "stock":
            await shop.set_variant_stock(gone_variant, warehouse, 1)
        else:
            await shop.set_variant_stock(live_variant, SaleorId("V2FyZWhvdXNlOjk5"), 1)

    assert "NOT_FOUND" in raised.value.detail
    assert double.mutations == []


async def test_saleor_refusal_is_a_readable_rejected_error(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt")

    with pytest.raises(RejectedError) as raised:
        await shop.update_product(SaleorId(seeded.id), name="  ")

    assert raised.value.user_message == (
        "Saleor refused to update the product: name: This field cannot be blank. (REQUIRED)"
    )
    assert raised.value.detail == "productUpdate name:REQUIRED"
    assert double.store.products[seeded.id]["name"] == "Shirt"


async def test_a_price_with_too_many_decimals_is_rejected(
    double: SaleorDouble, shop: SaleorProducts
) -> None:
    seeded = double.add_product("Shirt", variants=[dict(prices={"default-channel": 1})])

    with pytest.raises(RejectedError) as raised:
        await shop.set_variant_price(
            SaleorId(seeded.variant_ids[0]), "default-channel", Decimal("1.005")
        )

    assert "more than 2 decimal places" in raised.value.user_message
    assert double.store.variants[seeded.variant_ids[0]]["prices"]["default-channel"] == 1


async def test_stocks_without_product_permission_are_an_auth_error(double: SaleorDouble) -> None:
    zurich = double.add_warehouse()
    seeded = double.add_product("Shirt", variants=[dict(stocks={zurich["id"]: 1})])
    orders_only = double.install_app(permissions=("MANAGE_USERS",))

    with pytest.raises(AuthError):
        await _products(double, orders_only.token).product_variants(SaleorId(seeded.id))


async def test_transport_failures_map_like_the_client() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(503, text="down"))
    shop = SaleorProducts(SaleorClient(SaleorApiUrl(API_URL), "token", transport=transport))

    with pytest.raises(TransientError):
        await shop.variants_page(None, 10)
