"""Products: settings, matching, conversions, per-field push/pull plans, echo suppression, bulk."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from saleor_bexio_app.errors import RejectedError
from saleor_bexio_app.ids import BexioArticleId, SaleorId
from saleor_bexio_app.sync.model import Severity, validate_product_settings
from saleor_bexio_app.sync.products import (
    Article,
    ArticleDraft,
    ArticlePlan,
    ChannelPrice,
    ChannelPriceUpdate,
    FieldChange,
    FieldFingerprints,
    FieldMode,
    ProductField,
    ProductSettings,
    StockUpdate,
    Variant,
    VariantPlan,
    Weight,
    WeightUnit,
    convert_price,
    fingerprint,
    from_grams,
    gross_to_net,
    match_variants,
    net_to_gross,
    plan_initial_sync,
    plan_pull,
    plan_push,
    stock_refused_error,
    to_bexio_weight,
    to_grams,
    to_stock,
    to_title,
)
from saleor_bexio_app.sync.richtext import richtext_to_text, text_to_richtext

D = Decimal
WAREHOUSE = SaleorId("V2FyZWhvdXNlOjE=")
CHANNEL = "ch-chf"
RATE = D("0.081")
MODES = list(FieldMode)
FIELDS = list(ProductField)


def make_variant(**overrides: Any) -> Variant:
    values: dict[str, Any] = {
        "id": SaleorId("UHJvZHVjdFZhcmlhbnQ6MQ=="),
        "product_id": SaleorId("UHJvZHVjdDox"),
        "sku": "TEA-1",
        "product_name": "Green tea",
        "variant_name": "",
        "description": json.dumps({"blocks": [{"type": "paragraph", "data": {"text": "Fresh"}}]}),
        "weight": Weight(D("0.25"), WeightUnit.KG),
        "prices": {CHANNEL: ChannelPrice(D("10.00"), gross=True)},
        "stocks": {WAREHOUSE: 7},
        "vat_rate": RATE,
        "variant_count": 1,
    }
    return Variant(**{**values, **overrides})


def make_article(**overrides: Any) -> Article:
    values: dict[str, Any] = {
        "id": BexioArticleId(501),
        "intern_code": "TEA-1",
        "intern_name": "Old tea",
        "intern_description": "Stale",
        "weight": 100,
        "sale_price": D("5.00"),
        "stock_nr": 2,
        "is_stock": True,
    }
    return Article(**{**values, **overrides})


def settings_with(
    modes: Mapping[ProductField, FieldMode] | None = None, **overrides: Any
) -> ProductSettings:
    values: dict[str, Any] = {
        "price_channel_slug": CHANNEL,
        "bexio_price_is_gross": False,
        "stock_warehouse_id": WAREHOUSE,
    }
    values.update({f.value: m for f, m in (modes or {}).items()})
    return ProductSettings(**{**values, **overrides})


def every(mode: FieldMode, **overrides: Any) -> ProductSettings:
    return settings_with(dict.fromkeys(ProductField, mode), **overrides)


# --- Settings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            settings_with({ProductField.TITLE: FieldMode.SHOP_MASTER}),
            [],
        ),
        (
            settings_with({ProductField.PRICE: FieldMode.BEXIO_MASTER}, price_channel_slug=None),
            [("price_channel_slug", Severity.ERROR)],
        ),
        (
            settings_with({ProductField.PRICE: FieldMode.SHOP_MASTER}, price_channel_slug=" "),
            [("price_channel_slug", Severity.ERROR)],
        ),
        (
            settings_with({ProductField.STOCK: FieldMode.BEXIO_MASTER}, stock_warehouse_id=None),
            [("stock_warehouse_id", Severity.ERROR)],
        ),
        (
            settings_with({ProductField.STOCK: FieldMode.SHOP_MASTER}, stock_warehouse_id=None),
            [("stock_warehouse_id", Severity.ERROR), ("stock", Severity.WARNING)],
        ),
        (
            settings_with(
                {ProductField.TITLE: FieldMode.BEXIO_MASTER}, create_missing_articles=True
            ),
            [("create_missing_articles", Severity.WARNING)],
        ),
        (
            ProductSettings(),
            [],
        ),
        (
            ProductSettings(price_channel_slug=None, stock_warehouse_id=None),
            [],
        ),
    ],
)
def test_product_settings_problems_name_the_setting_errors_first(
    settings: ProductSettings, expected: list[tuple[str, Severity]]
) -> None:
    problems = validate_product_settings(settings)

    assert [(p.setting, p.severity) for p in problems] == expected
    assert all(p.message for p in problems)


def test_settings_mode_and_fields_by_mode() -> None:
    settings = settings_with(
        {ProductField.TITLE: FieldMode.SHOP_MASTER, ProductField.PRICE: FieldMode.BEXIO_MASTER}
    )

    assert settings.mode(ProductField.TITLE) is FieldMode.SHOP_MASTER
    assert settings.fields(FieldMode.SHOP_MASTER) == (ProductField.TITLE,)
    assert settings.fields(FieldMode.BEXIO_MASTER) == (ProductField.PRICE,)
    assert len(settings.fields(FieldMode.DISABLED)) == 3


# --- Conversions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "grams", "bexio"),
    [
        (D("250"), WeightUnit.G, D("250"), 250),
        (D("0.25"), WeightUnit.KG, D("250.00"), 250),
        (D("1"), WeightUnit.LB, D("453.59237"), 454),
        (D("1"), WeightUnit.OZ, D("28.349523125"), 28),
        (D("0.0015"), WeightUnit.TONNE, D("1500.0000"), 1500),
        (D("0.5"), WeightUnit.G, D("0.5"), 1),
        (D("0.4"), WeightUnit.G, D("0.4"), 0),
    ],
)
def test_saleor_weight_converts_to_grams_and_bexio_integer_grams(
    value: Decimal, unit: WeightUnit, grams: Decimal, bexio: int
) -> None:
    assert to_grams(value, unit) == grams
    assert to_bexio_weight(Weight(value, unit)) == bexio


@pytest.mark.parametrize(
    ("grams", "unit", "expected"),
    [
        (250, WeightUnit.G, "250"),
        (250, WeightUnit.KG, "0.25"),
        (1000, WeightUnit.KG, "1"),
        (454, WeightUnit.LB, "1.000899"),
        (28, WeightUnit.OZ, "0.987671"),
        (1500, WeightUnit.TONNE, "0.0015"),
        (0, WeightUnit.KG, "0"),
    ],
)
def test_grams_convert_back_to_saleor_units(grams: int, unit: WeightUnit, expected: str) -> None:
    value = from_grams(grams, unit)

    assert str(value) == expected
    assert to_bexio_weight(Weight(value, unit)) == grams


@pytest.mark.parametrize(
    ("gross", "rate", "net"),
    [
        (D("10.00"), RATE, D("9.25")),
        (D("108.10"), RATE, D("100.00")),
        (D("0.05"), RATE, D("0.05")),
        (D("19.90"), D("0.026"), D("19.40")),
        (D("5.00"), D("0"), D("5.00")),
    ],
)
def test_gross_price_converts_to_net_rounded_half_up_to_cents(
    gross: Decimal, rate: Decimal, net: Decimal
) -> None:
    assert gross_to_net(gross, rate) == net


@pytest.mark.parametrize(
    ("net", "rate", "gross"),
    [
        (D("9.25"), RATE, D("10.00")),
        (D("100"), RATE, D("108.10")),
        (D("0.05"), RATE, D("0.05")),
        (D("19.40"), D("0.026"), D("19.90")),
        (D("1.55"), D("0.1"), D("1.71")),
    ],
)
def test_net_price_converts_to_gross_rounded_half_up_to_cents(
    net: Decimal, rate: Decimal, gross: Decimal
) -> None:
    assert net_to_gross(net, rate) == gross


@pytest.mark.parametrize("net", [D("0.01"), D("9.99"), D("123.45"), D("1000.00"), D("7.77")])
def test_net_survives_net_to_gross_to_net(net: Decimal) -> None:
    assert gross_to_net(net_to_gross(net, RATE), RATE) == net


@pytest.mark.parametrize(
    ("amount", "from_gross", "to_gross", "rate", "expected"),
    [
        (D("10"), True, True, None, D("10.00")),
        (D("10.005"), False, False, None, D("10.01")),
        (D("10.00"), True, False, RATE, D("9.25")),
        (D("9.25"), False, True, RATE, D("10.00")),
        (D("10.00"), True, False, None, None),
    ],
)
def test_price_converts_only_when_gross_and_net_differ(
    amount: Decimal, from_gross: bool, to_gross: bool, rate: Decimal | None, expected: Decimal
) -> None:
    assert (
        convert_price(amount, from_gross=from_gross, to_gross=to_gross, vat_rate=rate) == expected
    )


@pytest.mark.parametrize("rate", [D("8.1"), D("1"), D("-0.1")])
def test_vat_rate_in_percent_is_refused(rate: Decimal) -> None:
    with pytest.raises(ValueError, match="fraction"):
        gross_to_net(D("10"), rate)


@pytest.mark.parametrize(("quantity", "stock"), [(5, 5), (0, 0), (-3, 0), (None, 0)])
def test_stock_is_a_non_negative_integer(quantity: int | None, stock: int) -> None:
    assert to_stock(quantity) == stock


@pytest.mark.parametrize(
    ("product", "variant", "count", "title"),
    [
        ("Green tea", "", 1, "Green tea"),
        ("Green tea", "100 g", 1, "Green tea"),
        ("Green tea", "100 g", 2, "Green tea — 100 g"),
        (" Green tea ", " 100 g ", 3, "Green tea — 100 g"),
        ("Green tea", "", 2, "Green tea"),
        ("Green tea", "Green tea", 2, "Green tea"),
    ],
)
def test_title_names_the_variant_only_for_multi_variant_products(
    product: str, variant: str, count: int, title: str
) -> None:
    assert to_title(product, variant, count) == title


@pytest.mark.parametrize(
    ("field", "a", "b", "same"),
    [
        (ProductField.PRICE, D("10"), D("10.00"), True),
        (ProductField.PRICE, D("10.00"), D("10.01"), False),
        (ProductField.WEIGHT, 250, D("250"), True),
        (ProductField.TITLE, " Tea ", "Tea", True),
        (ProductField.DESCRIPTION, "a\n\n\nb", "a\n\nb", True),
        (ProductField.TITLE, "Tea", "tea", False),
    ],
)
def test_fingerprint_compares_canonical_values(
    field: ProductField, a: Any, b: Any, same: bool
) -> None:
    assert (fingerprint(field, a) == fingerprint(field, b)) is same


def test_fingerprint_depends_on_the_field() -> None:
    assert fingerprint(ProductField.WEIGHT, 5) != fingerprint(ProductField.STOCK, 5)


# --- Matching ----------------------------------------------------------------------------------


def test_matching_pairs_by_sku_and_lists_what_it_will_not_guess() -> None:
    # given
    single = make_variant(id=SaleorId("v1"), sku="A")
    padded = make_variant(id=SaleorId("v2"), sku=" B ")
    no_sku = make_variant(id=SaleorId("v3"), sku=None)
    blank_sku = make_variant(id=SaleorId("v4"), sku="  ")
    dup_1 = make_variant(id=SaleorId("v5"), sku="DUP")
    dup_2 = make_variant(id=SaleorId("v6"), sku="DUP")
    lonely = make_variant(id=SaleorId("v7"), sku="NEW")
    lower = make_variant(id=SaleorId("v8"), sku="c")
    two_codes = make_variant(id=SaleorId("v9"), sku="TWICE")
    art_a = make_article(id=BexioArticleId(1), intern_code="A")
    art_b = make_article(id=BexioArticleId(2), intern_code="B")
    art_dup = make_article(id=BexioArticleId(3), intern_code="DUP")
    art_twice_1 = make_article(id=BexioArticleId(4), intern_code="TWICE")
    art_twice_2 = make_article(id=BexioArticleId(5), intern_code="TWICE ")
    art_upper = make_article(id=BexioArticleId(6), intern_code="C")
    art_orphan = make_article(id=BexioArticleId(7), intern_code="OLD")
    art_blank = make_article(id=BexioArticleId(8), intern_code="")

    # when
    matching = match_variants(
        [single, padded, no_sku, blank_sku, dup_1, dup_2, lonely, lower, two_codes],
        [art_a, art_b, art_dup, art_twice_1, art_twice_2, art_upper, art_orphan, art_blank],
    )

    # then
    assert [(m.variant.id, m.article.id) for m in matching.matched] == [("v1", 1), ("v2", 2)]
    assert matching.variants_without_sku == (no_sku, blank_sku)
    assert matching.duplicate_skus == {"DUP": (dup_1, dup_2)}
    assert matching.duplicate_codes == {"TWICE": (art_twice_1, art_twice_2)}
    assert matching.unmatched_variants == (lonely, lower)
    assert matching.unmatched_articles == (art_upper, art_orphan, art_blank)


def test_matching_nothing_is_empty() -> None:
    matching = match_variants([], [])

    assert matching.matched == () and matching.unmatched_articles == ()


# --- Shop → bexio, each field in each mode -------------------------------------------------------

# The variant differs from the article in every field; each row says what a push writes.
PUSHED: dict[ProductField, tuple[str, Any]] = {
    ProductField.TITLE: ("intern_name", "Green tea"),
    ProductField.DESCRIPTION: ("intern_description", "Fresh"),
    ProductField.WEIGHT: ("weight", 250),
    ProductField.STOCK: ("stock_nr", 7),
    ProductField.PRICE: ("sale_price", D("9.25")),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("field", FIELDS)
def test_push_writes_a_field_only_when_the_shop_is_its_master(
    field: ProductField, mode: FieldMode
) -> None:
    settings = settings_with({field: mode})

    plan = plan_push(make_variant(), make_article(), settings, {})

    if mode is FieldMode.SHOP_MASTER:
        name, value = PUSHED[field]
        assert plan.action == "update"
        assert plan.draft == ArticleDraft(**{name: value})
        assert [c.field for c in plan.changes] == [field]
        assert set(plan.fingerprints) == {field}
    else:
        assert plan.action == "skip"
        assert plan.draft == ArticleDraft()
        assert plan.changes == () and plan.fingerprints == {} and plan.notes == ()


# Each row: what a pull asks Saleor to change when bexio is master of the field.
PULLED: dict[ProductField, dict[str, Any]] = {
    ProductField.TITLE: {"product_name": "Old tea"},
    ProductField.DESCRIPTION: {"description": text_to_richtext("Stale")},
    ProductField.WEIGHT: {"weight": Weight(D("0.1"), WeightUnit.KG)},
    ProductField.STOCK: {"stock": StockUpdate(WAREHOUSE, 2)},
    ProductField.PRICE: {"channel_price": ChannelPriceUpdate(CHANNEL, D("5.41"))},
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("field", FIELDS)
def test_pull_writes_a_field_only_when_bexio_is_its_master(
    field: ProductField, mode: FieldMode
) -> None:
    settings = settings_with({field: mode})

    plan = plan_pull(make_article(), make_variant(), settings, {})

    if mode is FieldMode.BEXIO_MASTER:
        assert plan.action == "update"
        expected = VariantPlan(
            "update",
            f"Changed: {field.value}.",
            make_variant().id,
            make_variant().product_id,
            changes=plan.changes,
            fingerprints=plan.fingerprints,
            **PULLED[field],
        )
        assert plan == expected
        assert [c.field for c in plan.changes] == [field]
        assert set(plan.fingerprints) == {field}
    else:
        assert plan.action == "skip"
        assert plan.changes == () and plan.fingerprints == {} and plan.notes == ()


def test_disabled_fields_are_never_read() -> None:
    # A variant and article whose every field is unusable: nothing is read, so nothing is noted.
    variant = make_variant(description="{", weight=None, prices={}, stocks={}, vat_rate=None)
    article = make_article(weight=None, sale_price=None)
    settings = every(FieldMode.DISABLED, price_channel_slug=None, stock_warehouse_id=None)

    push = plan_push(variant, article, settings, {})
    pull = plan_pull(article, variant, settings, {})

    assert (push.action, push.notes, push.fingerprints) == ("skip", (), {})
    assert (pull.action, pull.notes, pull.fingerprints) == ("skip", (), {})


def test_push_changes_field_list_shows_old_and_new_in_bexio_form() -> None:
    plan = plan_push(make_variant(), make_article(), every(FieldMode.SHOP_MASTER), {})

    assert plan.changes == (
        FieldChange(ProductField.TITLE, "Old tea", "Green tea"),
        FieldChange(ProductField.DESCRIPTION, "Stale", "Fresh"),
        FieldChange(ProductField.WEIGHT, "100", "250"),
        FieldChange(ProductField.STOCK, "2", "7"),
        FieldChange(ProductField.PRICE, "5.00", "9.25"),
    )
    assert plan.reason == "Changed: title, description, weight, stock, price."
    assert plan.draft.as_fields() == {
        "intern_name": "Green tea",
        "intern_description": "Fresh",
        "weight": 250,
        "sale_price": "9.25",
        "stock_nr": 7,
    }


def test_push_skips_fields_bexio_already_has_but_records_their_fingerprint() -> None:
    article = make_article(intern_name="Green tea", sale_price=D("9.25"))
    settings = settings_with(
        {ProductField.TITLE: FieldMode.SHOP_MASTER, ProductField.PRICE: FieldMode.SHOP_MASTER}
    )

    plan = plan_push(make_variant(), article, settings, {})

    assert plan.action == "skip"
    assert plan.fingerprints == {
        ProductField.TITLE: fingerprint(ProductField.TITLE, "Green tea"),
        ProductField.PRICE: fingerprint(ProductField.PRICE, D("9.25")),
    }


@pytest.mark.parametrize(
    ("variant", "settings", "note"),
    [
        (
            make_variant(prices={}),
            settings_with({ProductField.PRICE: FieldMode.SHOP_MASTER}),
            "price: not sent, the variant is not available in channel 'ch-chf'.",
        ),
        (
            make_variant(vat_rate=None),
            settings_with({ProductField.PRICE: FieldMode.SHOP_MASTER}),
            "price: not sent, the product has no VAT rate to convert its price between gross "
            "and net.",
        ),
        (
            make_variant(weight=None),
            settings_with({ProductField.WEIGHT: FieldMode.SHOP_MASTER}),
            "weight: not sent, the variant has no weight.",
        ),
        (
            make_variant(stocks={}),
            settings_with({ProductField.STOCK: FieldMode.SHOP_MASTER}),
            "stock: not sent, the variant has no stock in the chosen warehouse.",
        ),
    ],
)
def test_push_notes_a_shop_value_it_cannot_send(
    variant: Variant, settings: ProductSettings, note: str
) -> None:
    plan = plan_push(variant, make_article(), settings, {})

    assert (plan.action, plan.notes) == ("skip", (note,))


def test_price_without_conversion_needs_no_vat_rate() -> None:
    variant = make_variant(vat_rate=None)
    settings = settings_with({ProductField.PRICE: FieldMode.SHOP_MASTER}, bexio_price_is_gross=True)

    plan = plan_push(variant, make_article(), settings, {})

    assert plan.draft == ArticleDraft(sale_price=D("10.00"))


# --- Creating articles ---------------------------------------------------------------------------


def test_missing_article_is_created_with_the_shop_master_fields_when_allowed() -> None:
    settings = every(FieldMode.SHOP_MASTER, create_missing_articles=True)

    plan = plan_push(make_variant(), None, settings, {})

    assert plan.action == "create"
    assert plan.article_id is None
    assert plan.draft == ArticleDraft(
        intern_code="TEA-1",
        intern_name="Green tea",
        intern_description="Fresh",
        weight=250,
        sale_price=D("9.25"),
        stock_nr=7,
        is_stock=True,
        article_type_id=1,
    )
    assert plan.writes_stock
    assert set(plan.fingerprints) == set(ProductField)


def test_created_article_is_named_by_its_sku_when_the_shop_is_not_master_of_the_title() -> None:
    settings = settings_with(
        {ProductField.TITLE: FieldMode.BEXIO_MASTER, ProductField.PRICE: FieldMode.SHOP_MASTER},
        create_missing_articles=True,
    )

    plan = plan_push(make_variant(), None, settings, {})

    assert plan.draft == ArticleDraft(
        intern_code="TEA-1", intern_name="TEA-1", sale_price=D("9.25"), article_type_id=1
    )
    assert not plan.writes_stock
    assert set(plan.fingerprints) == {ProductField.PRICE}


@pytest.mark.parametrize(
    ("variant", "create", "reason"),
    [
        (
            make_variant(),
            False,
            "No bexio article has the number TEA-1 and creating articles is off.",
        ),
        (make_variant(sku=None), True, "The variant has no SKU, so it has no bexio article."),
        (make_variant(sku=" "), True, "The variant has no SKU, so it has no bexio article."),
    ],
)
def test_push_skips_variants_it_may_not_or_cannot_create(
    variant: Variant, create: bool, reason: str
) -> None:
    settings = every(FieldMode.SHOP_MASTER, create_missing_articles=create)

    plan = plan_push(variant, None, settings, {})

    assert (plan.action, plan.reason, plan.draft) == ("skip", reason, ArticleDraft())


# --- Stock -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("is_stock", "quantity", "draft"),
    [
        (True, 7, ArticleDraft(stock_nr=7)),
        (False, 7, ArticleDraft(stock_nr=7, is_stock=True)),
        (True, -4, ArticleDraft(stock_nr=0)),
    ],
)
def test_stock_push_sets_stock_nr_and_turns_stock_keeping_on(
    is_stock: bool, quantity: int, draft: ArticleDraft
) -> None:
    settings = settings_with({ProductField.STOCK: FieldMode.SHOP_MASTER})
    variant = make_variant(stocks={WAREHOUSE: quantity})

    plan = plan_push(variant, make_article(is_stock=is_stock), settings, {})

    assert plan.draft == draft
    assert plan.writes_stock


@pytest.mark.parametrize(
    ("article", "action", "draft"),
    [
        (make_article(), "update", ArticleDraft(intern_name="Green tea")),
        (make_article(intern_name="Green tea"), "skip", ArticleDraft()),
        (
            None,
            "create",
            ArticleDraft(intern_code="TEA-1", intern_name="Green tea", article_type_id=1),
        ),
    ],
)
def test_a_plan_without_its_stock_write_keeps_the_other_fields(
    article: Article | None, action: str, draft: ArticleDraft
) -> None:
    settings = settings_with(
        {ProductField.TITLE: FieldMode.SHOP_MASTER, ProductField.STOCK: FieldMode.SHOP_MASTER},
        create_missing_articles=True,
    )
    plan = plan_push(make_variant(), article, settings, {})

    rest = plan.without_stock()

    assert plan.writes_stock and not rest.writes_stock
    assert (rest.action, rest.draft) == (action, draft)
    assert ProductField.STOCK not in rest.fingerprints
    assert all(c.field is not ProductField.STOCK for c in rest.changes)


def test_a_plan_without_stock_is_left_as_it_is() -> None:
    plan = plan_push(make_variant(), make_article(), every(FieldMode.DISABLED), {})

    assert plan.without_stock() is plan


def test_plans_without_stock_do_not_claim_a_stock_write() -> None:
    settings = settings_with({ProductField.TITLE: FieldMode.SHOP_MASTER})

    assert not plan_push(make_variant(), make_article(), settings, {}).writes_stock


def test_stock_refusal_explains_what_happened_and_what_to_do() -> None:
    error = stock_refused_error("TEA-1", 7, detail="bexio 422: stock_nr")

    assert isinstance(error, RejectedError)
    assert error.detail == "bexio 422: stock_nr"
    message = error.user_message
    assert "TEA-1" in message and "(7)" in message
    assert "only until its first stock booking" in message
    assert "Correct the stock in bexio" in message
    assert "make bexio the master of stock" in message


@pytest.mark.parametrize(("bexio", "saleor"), [(12, 12), (-2, 0)])
def test_stock_pull_sets_the_chosen_warehouse(bexio: int, saleor: int) -> None:
    settings = settings_with({ProductField.STOCK: FieldMode.BEXIO_MASTER})

    plan = plan_pull(make_article(stock_nr=bexio), make_variant(stocks={}), settings, {})

    assert plan.stock == StockUpdate(WAREHOUSE, saleor)


# --- bexio → shop details ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("article", "variant", "settings", "note"),
    [
        (
            make_article(sale_price=None),
            make_variant(),
            settings_with({ProductField.PRICE: FieldMode.BEXIO_MASTER}),
            "price: not taken, the article has no sale price.",
        ),
        (
            make_article(),
            make_variant(prices={}),
            settings_with({ProductField.PRICE: FieldMode.BEXIO_MASTER}),
            "price: not taken, the variant is not available in channel 'ch-chf'.",
        ),
        (
            make_article(),
            make_variant(vat_rate=None),
            settings_with({ProductField.PRICE: FieldMode.BEXIO_MASTER}),
            "price: not taken, the product has no VAT rate to convert between gross and net.",
        ),
        (
            make_article(weight=None),
            make_variant(),
            settings_with({ProductField.WEIGHT: FieldMode.BEXIO_MASTER}),
            "weight: not taken, the article has no weight.",
        ),
        (
            make_article(),
            make_variant(variant_count=2, variant_name="100 g"),
            settings_with({ProductField.DESCRIPTION: FieldMode.BEXIO_MASTER}),
            "description: not taken, the product has several variants whose articles could "
            "disagree.",
        ),
        (
            make_article(intern_name="Black tea — 100 g"),
            make_variant(variant_count=2, variant_name="100 g"),
            settings_with({ProductField.TITLE: FieldMode.BEXIO_MASTER}),
            'title: not taken, a variant title must read "Green tea — <variant name>": the '
            "product name is shared by all variants.",
        ),
    ],
)
def test_pull_notes_a_bexio_value_it_cannot_write(
    article: Article, variant: Variant, settings: ProductSettings, note: str
) -> None:
    plan = plan_pull(article, variant, settings, {})

    assert (plan.action, plan.notes, plan.fingerprints) == ("skip", (note,), {})


def test_pull_of_a_multi_variant_title_renames_the_variant() -> None:
    variant = make_variant(variant_count=2, variant_name="100 g")
    article = make_article(intern_name="Green tea — 250 g")
    settings = settings_with({ProductField.TITLE: FieldMode.BEXIO_MASTER})

    plan = plan_pull(article, variant, settings, {})

    assert (plan.product_name, plan.variant_name) == (None, "250 g")


def test_push_of_a_multi_variant_product_titles_each_article_by_its_variant() -> None:
    settings = settings_with({ProductField.TITLE: FieldMode.SHOP_MASTER})
    small = make_variant(variant_count=2, variant_name="100 g", sku="TEA-100")
    large = make_variant(variant_count=2, variant_name="1 kg", sku="TEA-1000")

    names = [plan_push(v, make_article(), settings, {}).draft.intern_name for v in (small, large)]

    assert names == ["Green tea — 100 g", "Green tea — 1 kg"]


def test_pull_keeps_the_weight_unit_of_the_variant() -> None:
    variant = make_variant(weight=Weight(D("1"), WeightUnit.LB))
    settings = settings_with({ProductField.WEIGHT: FieldMode.BEXIO_MASTER})

    plan = plan_pull(make_article(weight=907), variant, settings, {})

    assert plan.weight == Weight(D("1.999593"), WeightUnit.LB)


@pytest.mark.parametrize(
    ("bexio_gross", "channel_gross", "bexio_price", "saleor_price"),
    [
        (False, True, D("9.25"), D("10.00")),
        (True, False, D("10.00"), D("9.25")),
        (True, True, D("10.00"), D("10.00")),
        (False, False, D("9.25"), D("9.25")),
    ],
)
def test_pull_price_converts_to_how_the_channel_enters_prices(
    bexio_gross: bool, channel_gross: bool, bexio_price: Decimal, saleor_price: Decimal
) -> None:
    variant = make_variant(prices={CHANNEL: ChannelPrice(D("1.00"), gross=channel_gross)})
    settings = settings_with(
        {ProductField.PRICE: FieldMode.BEXIO_MASTER}, bexio_price_is_gross=bexio_gross
    )

    plan = plan_pull(make_article(sale_price=bexio_price), variant, settings, {})

    assert plan.channel_price == ChannelPriceUpdate(CHANNEL, saleor_price)


def test_article_without_a_variant_changes_nothing_in_saleor() -> None:
    plan = plan_pull(make_article(), None, every(FieldMode.BEXIO_MASTER), {})

    assert (plan.action, plan.variant_id) == ("skip", None)


def test_bexio_html_description_is_pulled_as_its_text() -> None:
    article = make_article(intern_description="<p>Fresh</p>")
    settings = settings_with({ProductField.DESCRIPTION: FieldMode.BEXIO_MASTER})

    plan = plan_pull(article, make_variant(), settings, {})

    assert plan.action == "skip"
    assert plan.fingerprints == {
        ProductField.DESCRIPTION: fingerprint(ProductField.DESCRIPTION, "Fresh")
    }


# --- Echo suppression ----------------------------------------------------------------------------


def apply_push(article: Article, plan: ArticlePlan) -> Article:
    """What bexio holds after the plan is applied."""
    draft = plan.draft
    changes: dict[str, Any] = {
        name: getattr(draft, name)
        for name in ("intern_name", "intern_description", "weight", "sale_price", "stock_nr")
        if getattr(draft, name) is not None
    }
    return dataclasses.replace(article, **changes)


def apply_pull(variant: Variant, plan: VariantPlan, settings: ProductSettings) -> Variant:
    """What Saleor holds (and sends back in its webhook) after the plan is applied."""
    changes: dict[str, Any] = {}
    if plan.product_name is not None:
        changes["product_name"] = plan.product_name
    if plan.variant_name is not None:
        changes["variant_name"] = plan.variant_name
    if plan.description is not None:
        changes["description"] = plan.description
    if plan.weight is not None:
        changes["weight"] = plan.weight
    if plan.channel_price is not None:
        old = variant.prices[plan.channel_price.channel_slug]
        changes["prices"] = {
            plan.channel_price.channel_slug: dataclasses.replace(
                old, amount=plan.channel_price.amount
            )
        }
    if plan.stock is not None:
        changes["stocks"] = {plan.stock.warehouse_id: plan.stock.quantity}
    return dataclasses.replace(variant, **changes)


def merged(old: FieldFingerprints, new: FieldFingerprints) -> FieldFingerprints:
    return {**old, **new}


@pytest.mark.parametrize("bexio_gross", [False, True])
@pytest.mark.parametrize("variant_count", [1, 3])
def test_a_shop_change_pushed_to_bexio_does_not_come_back(
    bexio_gross: bool, variant_count: int
) -> None:
    # given: the shop is master of everything and has changed every field
    settings = every(FieldMode.SHOP_MASTER, bexio_price_is_gross=bexio_gross)
    variant = make_variant(
        variant_count=variant_count,
        variant_name="250 g",
        weight=Weight(D("8.82"), WeightUnit.OZ),
        description=text_to_richtext("Fresh & <green>\n\nfrom Japan"),
    )
    first = plan_push(variant, make_article(), settings, {})
    article = apply_push(make_article(), first)
    last = merged({}, first.fingerprints)

    # when: Saleor's webhook for the same variant arrives again, and bexio is read again
    again = plan_push(variant, article, settings, last)
    flipped = every(FieldMode.BEXIO_MASTER, bexio_price_is_gross=bexio_gross)
    back = plan_pull(article, variant, flipped, last)

    # then
    assert first.action == "update" and len(first.changes) == 5
    assert (again.action, again.changes) == ("skip", ())
    assert (back.action, back.changes) == ("skip", ())


@pytest.mark.parametrize("bexio_gross", [False, True])
@pytest.mark.parametrize("unit", list(WeightUnit))
def test_a_bexio_change_pulled_into_the_shop_does_not_go_back(
    bexio_gross: bool, unit: WeightUnit
) -> None:
    # given: bexio is master of everything and has changed every field
    settings = every(FieldMode.BEXIO_MASTER, bexio_price_is_gross=bexio_gross)
    variant = make_variant(weight=Weight(D("1"), unit))
    article = make_article(intern_description="Line one\nline <b>two</b>", weight=1234)
    first = plan_pull(article, variant, settings, {})
    updated = apply_pull(variant, first, settings)
    last = merged({}, first.fingerprints)

    # when: the next periodic read sees the same article, and Saleor's webhook fires
    again = plan_pull(article, updated, settings, last)
    flipped = every(FieldMode.SHOP_MASTER, bexio_price_is_gross=bexio_gross)
    back = plan_push(updated, article, flipped, last)

    # then
    assert first.action == "update" and len(first.changes) == 5
    assert (again.action, again.changes) == ("skip", ())
    assert (back.action, back.changes) == ("skip", ())


def test_an_unchanged_shop_value_is_not_pushed_even_if_bexio_was_edited() -> None:
    settings = settings_with({ProductField.TITLE: FieldMode.SHOP_MASTER})
    last = {ProductField.TITLE: fingerprint(ProductField.TITLE, "Green tea")}

    plan = plan_push(make_variant(), make_article(intern_name="Edited in bexio"), settings, last)

    assert plan.action == "skip"


def test_a_changed_shop_value_is_pushed_over_the_last_fingerprint() -> None:
    settings = settings_with({ProductField.TITLE: FieldMode.SHOP_MASTER})
    last = {ProductField.TITLE: fingerprint(ProductField.TITLE, "Old tea")}

    plan = plan_push(make_variant(), make_article(), settings, last)

    assert plan.draft == ArticleDraft(intern_name="Green tea")
    assert plan.fingerprints == {ProductField.TITLE: fingerprint(ProductField.TITLE, "Green tea")}


def test_an_unchanged_bexio_value_is_not_pulled_even_if_the_shop_was_edited() -> None:
    settings = settings_with({ProductField.PRICE: FieldMode.BEXIO_MASTER})
    last = {ProductField.PRICE: fingerprint(ProductField.PRICE, D("5.00"))}

    plan = plan_pull(make_article(), make_variant(), settings, last)

    assert plan.action == "skip"


# --- Bulk --------------------------------------------------------------------------------------


def test_initial_sync_dry_run_counts_each_outcome() -> None:
    # given
    settings = settings_with(
        {
            ProductField.TITLE: FieldMode.SHOP_MASTER,
            ProductField.PRICE: FieldMode.SHOP_MASTER,
            ProductField.STOCK: FieldMode.BEXIO_MASTER,
        },
        create_missing_articles=True,
    )
    in_step = make_variant(id=SaleorId("v1"), sku="SAME", stocks={WAREHOUSE: 2})
    title_changed = make_variant(id=SaleorId("v2"), sku="T", stocks={WAREHOUSE: 2})
    stock_changed = make_variant(id=SaleorId("v3"), sku="S", stocks={WAREHOUSE: 1})
    echoed = make_variant(id=SaleorId("v4"), sku="E", product_name="Shop name")
    new = make_variant(id=SaleorId("v5"), sku="NEW")
    no_sku = make_variant(id=SaleorId("v6"), sku=None)
    dup = [make_variant(id=SaleorId(f"d{i}"), sku="DUP") for i in range(2)]
    articles = [
        make_article(
            id=BexioArticleId(1), intern_code="SAME", intern_name="Green tea", sale_price=D("9.25")
        ),
        make_article(id=BexioArticleId(2), intern_code="T", sale_price=D("9.25")),
        make_article(
            id=BexioArticleId(3), intern_code="S", intern_name="Green tea", sale_price=D("9.25")
        ),
        make_article(
            id=BexioArticleId(4),
            intern_code="E",
            intern_name="bexio name",
            sale_price=D("1.00"),
            stock_nr=7,
        ),
        make_article(id=BexioArticleId(5), intern_code="ORPHAN"),
        make_article(id=BexioArticleId(6), intern_code="DUP"),
    ]
    last = {
        "E": {
            ProductField.TITLE: fingerprint(ProductField.TITLE, "Shop name"),
            ProductField.PRICE: fingerprint(ProductField.PRICE, D("9.25")),
            ProductField.STOCK: fingerprint(ProductField.STOCK, 7),
        }
    }

    # when
    bulk = plan_initial_sync(
        [in_step, title_changed, stock_changed, echoed, new, no_sku, *dup],
        articles,
        settings,
        last,
    )
    counts = bulk.counts

    # then
    assert (counts.articles_to_create, counts.articles_to_update) == (1, 1)
    assert counts.variants_to_update == 1
    assert counts.unchanged == 2
    assert counts.not_created == 0
    assert (counts.unmatched_articles, counts.variants_without_sku) == (1, 1)
    assert (counts.duplicate_skus, counts.duplicate_codes) == (1, 0)
    assert counts.push_fields == {ProductField.TITLE: 2, ProductField.PRICE: 1}
    assert counts.pull_fields == {ProductField.STOCK: 1}
    assert [p.sku for p in bulk.pushes if p.action != "skip"] == ["T", "NEW"]
    assert [p.variant_id for p in bulk.pulls if p.action == "update"] == ["v3"]


def test_initial_sync_without_creating_counts_variants_left_out() -> None:
    settings = every(FieldMode.SHOP_MASTER)

    counts = plan_initial_sync([make_variant(sku="NEW")], [], settings, {}).counts

    assert (counts.articles_to_create, counts.not_created) == (0, 1)


def test_initial_sync_dry_run_is_empty_for_an_empty_shop() -> None:
    bulk = plan_initial_sync([], [], every(FieldMode.SHOP_MASTER), {})

    assert (bulk.pushes, bulk.pulls) == ((), ())
    assert bulk.counts.push_fields == {} and bulk.counts.unchanged == 0


def test_richtext_to_text_is_what_the_description_push_sends() -> None:
    variant = make_variant(description=text_to_richtext("A\n\nB"))
    settings = settings_with({ProductField.DESCRIPTION: FieldMode.SHOP_MASTER})

    plan = plan_push(variant, make_article(), settings, {})

    assert plan.draft.intern_description == richtext_to_text(variant.description) == "A\n\nB"
