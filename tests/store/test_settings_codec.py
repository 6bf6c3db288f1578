"""ShopSettings and TaxMapping survive a trip through JSON; bad documents name the bad key."""

from __future__ import annotations

import json
import typing
from dataclasses import fields
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import BexioTaxId, BexioUserId, SaleorId
from saleor_bexio_app.store.settings_codec import (
    default_shop_settings,
    shop_settings_from_json,
    shop_settings_to_json,
    tax_mapping_from_json,
    tax_mapping_to_json,
)
from saleor_bexio_app.sync.actions import ActionMatrix, BexioAction, OrderStateRow
from saleor_bexio_app.sync.model import BackSyncChoice, ShopSettings
from saleor_bexio_app.sync.vat import TaxMapping, percent_key

_HINTS = typing.get_type_hints(ShopSettings, localns={"ActionMatrix": ActionMatrix})

matrices = st.builds(
    ActionMatrix,
    st.frozensets(st.tuples(st.sampled_from(OrderStateRow), st.sampled_from(BexioAction))),
)
shop_settings = st.builds(
    ShopSettings,
    order_actions=matrices,
    **{
        field.name: st.from_type(_HINTS[field.name])
        for field in fields(ShopSettings)
        if field.name != "order_actions"
    },
)
tax_ids = st.integers(min_value=1, max_value=2**53).map(BexioTaxId)
rates = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)
tax_mappings = st.builds(
    TaxMapping,
    by_class_id=st.dictionaries(st.text(min_size=1).map(SaleorId), tax_ids, max_size=4),
    by_class_name=st.dictionaries(st.text(min_size=1), tax_ids, max_size=4),
    # Rates equal at two decimals are one mapping entry (the decoder refuses both).
    by_rate=st.dictionaries(rates, tax_ids, max_size=4).filter(
        lambda by_rate: len({percent_key(rate) for rate in by_rate}) == len(by_rate)
    ),
    exempt_tax_id=st.none() | tax_ids,
)


def _through_json(document: dict[str, Any]) -> Any:
    return json.loads(json.dumps(document))


@given(shop_settings)
def test_shop_settings_round_trip_through_json(settings: ShopSettings) -> None:
    assert shop_settings_from_json(_through_json(shop_settings_to_json(settings))) == settings


@given(tax_mappings)
def test_tax_mapping_round_trips_through_json_keeping_decimal_digits(mapping: TaxMapping) -> None:
    decoded = tax_mapping_from_json(_through_json(tax_mapping_to_json(mapping)))

    assert decoded == mapping
    assert [str(rate) for rate in decoded.by_rate] == [str(rate) for rate in mapping.by_rate]


def test_shop_settings_document_is_versioned_with_readable_values() -> None:
    settings = ShopSettings(
        order_actions=ActionMatrix(
            frozenset({(OrderStateRow.PAID_IN_FULL, BexioAction.RECORD_PAYMENT)})
        ),
        bexio_user_id=BexioUserId(7),
        sync_start_date=date(2026, 1, 31),
        on_invoice_paid=BackSyncChoice.CONFIRM,
    )

    document = shop_settings_to_json(settings)

    assert document["version"] == 1
    assert document["bexio_user_id"] == 7
    assert document["sync_start_date"] == "2026-01-31"
    assert document["on_invoice_paid"] == "confirm"
    assert document["order_actions"]["paid_in_full"] == ["record_payment"]
    assert document["order_actions"]["unfulfilled"] == []


def test_tax_mapping_document_keeps_rates_as_strings() -> None:
    mapping = TaxMapping(
        by_rate={Decimal("8.1"): BexioTaxId(3), Decimal("2.60"): BexioTaxId(4)},
        exempt_tax_id=BexioTaxId(9),
    )

    assert tax_mapping_to_json(mapping) == {
        "version": 1,
        "by_class_id": {},
        "by_class_name": {},
        "by_rate": {"8.1": 3, "2.60": 4},
        "exempt_tax_id": 9,
    }


def test_missing_settings_keys_take_a_new_shops_defaults() -> None:
    assert shop_settings_from_json({"version": 1}) == default_shop_settings()


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"version": 1, "colour": "red"}, "'colour'"),
        ({"version": 1, "bexio_user_id": "7"}, "'bexio_user_id'"),
        ({"version": 1, "bexio_user_id": True}, "'bexio_user_id'"),
        ({"version": 1, "automatic_numbering": 1}, "'automatic_numbering'"),
        ({"version": 1, "invoice_title": None}, "'invoice_title'"),
        ({"version": 1, "sync_start_date": "31.01.2026"}, "'sync_start_date'"),
        ({"version": 1, "on_invoice_paid": "shout"}, "'on_invoice_paid'"),
        ({"version": 1, "order_actions": {"paid_in_full": "record_payment"}}, "'order_actions'"),
        ({"version": 1, "order_actions": {"paid": ["record_payment"]}}, "'paid'"),
        ({"version": 1, "order_actions": {"paid_in_full": ["pay"]}}, "'pay'"),
        ({"version": 1, "products": ["title"]}, "'products'"),
        ({"version": 1, "products": {"colour": "red"}}, "'products.colour'"),
        ({"version": 1, "products": {"price": "both"}}, "'products.price'"),
        (
            {"version": 1, "products": {"create_missing_articles": 1}},
            "'products.create_missing_articles'",
        ),
        ({"version": 1, "products": {"stock_warehouse_id": 7}}, "'products.stock_warehouse_id'"),
        ({}, '"version": 1'),
        ({"version": 2}, '"version": 1'),
    ],
)
def test_bad_settings_documents_are_refused_naming_the_key(
    document: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        shop_settings_from_json(document)
    assert named in raised.value.user_message


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"version": 1, "by_tax_class": {}}, "'by_tax_class'"),
        ({"version": 1, "by_rate": {"eight": 3}}, "'eight'"),
        ({"version": 1, "by_rate": {"NaN": 3}}, "'NaN'"),
        ({"version": 1, "by_rate": {"-1": 3}}, "'-1'"),
        ({"version": 1, "by_rate": {"8.1": "3"}}, "'by_rate.8.1'"),
        ({"version": 1, "by_rate": {"8.1": 3, "8.10": 4}}, "'8.10'"),
        ({"version": 1, "by_class_name": ["Reduced"]}, "'by_class_name'"),
        ({"version": 1, "exempt_tax_id": 1.5}, "'exempt_tax_id'"),
        ({"by_rate": {}}, '"version": 1'),
    ],
)
def test_bad_tax_mapping_documents_are_refused_naming_the_key(
    document: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        tax_mapping_from_json(document)
    assert named in raised.value.user_message
