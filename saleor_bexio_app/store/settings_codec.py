"""ShopSettings and TaxMapping to and from versioned JSON documents, losslessly.

The documents are what `shop_settings.settings` and `vat_map.mapping` hold and what the CLI reads
and prints. Every document carries `"version": 1`. Decoding refuses unknown keys and wrongly typed
values with a `ConfigError` naming the key; a key that is missing takes the value a new shop
gets, so a field added later reads from older documents. Decimals are strings (`"8.1"`), dates
ISO `YYYY-MM-DD`, enums their values, the order-action matrix `{state: [action, ...]}`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import fields
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import cache
from typing import Any

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import BexioTaxId, SaleorId
from saleor_bexio_app.sync.actions import ActionMatrix, default_matrix
from saleor_bexio_app.sync.model import ProductSettings, ShopSettings
from saleor_bexio_app.sync.vat import TaxMapping, percent_key

VERSION = 1
_VERSION_KEY = "version"

JsonDict = dict[str, Any]


def default_shop_settings() -> ShopSettings:
    """What a shop that never saved settings gets."""
    return ShopSettings(order_actions=default_matrix())


# ShopSettings


def shop_settings_to_json(settings: ShopSettings) -> JsonDict:
    """Every field of the settings as a JSON-compatible dict."""
    document: JsonDict = {_VERSION_KEY: VERSION}
    for name, hint in _settings_hints().items():
        document[name] = _encode(hint, getattr(settings, name))
    return document


def shop_settings_from_json(document: Mapping[str, Any]) -> ShopSettings:
    """The settings in a document; ConfigError naming the key when something is wrong."""
    _check_version(document, "settings")
    hints = _settings_hints()
    values: dict[str, Any] = {}
    for key, raw in document.items():
        if key == _VERSION_KEY:
            continue
        hint = hints.get(key)
        if hint is None:
            raise ConfigError(f"The settings have an unknown key {key!r}.")
        values[key] = _decode(hint, raw, key)
    values.setdefault("order_actions", default_matrix())
    return ShopSettings(**values)


@cache
def _settings_hints() -> dict[str, Any]:
    # ShopSettings names ActionMatrix only for type checking; resolve it here.
    hints = typing.get_type_hints(ShopSettings, localns={"ActionMatrix": ActionMatrix})
    return {field.name: hints[field.name] for field in fields(ShopSettings)}


def _encode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, ActionMatrix):
        return value.to_mapping()
    if isinstance(value, ProductSettings):
        return {
            name: _encode(hint, getattr(value, name)) for name, hint in _product_hints().items()
        }
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(hint: Any, raw: Any, key: str) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        arms = [arm for arm in typing.get_args(hint) if arm is not type(None)]
        if raw is None:
            return None
        [hint] = arms
    if hasattr(hint, "__supertype__"):  # a NewType id
        hint = hint.__supertype__
    decoder = _DECODERS.get(hint)
    if decoder is not None:
        return decoder(raw, key)
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _decode_enum(hint, raw, key)
    raise TypeError(f"no JSON codec for ShopSettings.{key} ({hint!r})")


def _decode_int(raw: Any, key: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ConfigError(f"The setting {key!r} must be a whole number, got {raw!r}.")
    return raw


def _decode_bool(raw: Any, key: str) -> bool:
    if not isinstance(raw, bool):
        raise ConfigError(f"The setting {key!r} must be true or false, got {raw!r}.")
    return raw


def _decode_str(raw: Any, key: str) -> str:
    if not isinstance(raw, str):
        raise ConfigError(f"The setting {key!r} must be a text, got {raw!r}.")
    return raw


def _decode_date(raw: Any, key: str) -> date:
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise ConfigError(f"The setting {key!r} must be a date like 2026-01-31, got {raw!r}.")


def _decode_matrix(raw: Any, key: str) -> ActionMatrix:
    if not isinstance(raw, Mapping) or not all(
        isinstance(actions, list) and all(isinstance(action, str) for action in actions)
        for actions in raw.values()
    ):
        raise ConfigError(
            f"The setting {key!r} must map order states to lists of actions, got {raw!r}."
        )
    return ActionMatrix.from_mapping(raw)


@cache
def _product_hints() -> dict[str, Any]:
    hints = typing.get_type_hints(ProductSettings)
    return {field.name: hints[field.name] for field in fields(ProductSettings)}


def _decode_products(raw: Any, key: str) -> ProductSettings:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"The setting {key!r} must be an object, got {raw!r}.")
    hints = _product_hints()
    values: dict[str, Any] = {}
    for name, value in raw.items():
        hint = hints.get(name)
        if hint is None:
            raise ConfigError(f"The settings have an unknown key {f'{key}.{name}'!r}.")
        values[name] = _decode(hint, value, f"{key}.{name}")
    return ProductSettings(**values)


def _decode_enum(enum: type[StrEnum], raw: Any, key: str) -> StrEnum:
    try:
        return enum(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ConfigError(f"The setting {key!r} must be one of {allowed}, got {raw!r}.") from None


_DECODERS: dict[Any, Callable[[Any, str], Any]] = {
    int: _decode_int,
    bool: _decode_bool,
    str: _decode_str,
    date: _decode_date,
    ActionMatrix: _decode_matrix,
    ProductSettings: _decode_products,
}


# TaxMapping

_MAPPING_KEYS = ("by_class_id", "by_class_name", "by_rate", "exempt_tax_id")


def tax_mapping_to_json(mapping: TaxMapping) -> JsonDict:
    """The mapping as a JSON-compatible dict; rate keys are decimal strings in percent."""
    return {
        _VERSION_KEY: VERSION,
        "by_class_id": {str(key): int(tax) for key, tax in mapping.by_class_id.items()},
        "by_class_name": {key: int(tax) for key, tax in mapping.by_class_name.items()},
        "by_rate": {str(rate): int(tax) for rate, tax in mapping.by_rate.items()},
        "exempt_tax_id": None if mapping.exempt_tax_id is None else int(mapping.exempt_tax_id),
    }


def tax_mapping_from_json(document: Mapping[str, Any]) -> TaxMapping:
    """The mapping in a document; ConfigError naming the key when something is wrong.

    Two rates that are equal at two decimals (`"8.1"` and `"8.10"`) are refused: the mapping
    could not tell which one a line uses.
    """
    _check_version(document, "VAT mapping")
    for key in document:
        if key != _VERSION_KEY and key not in _MAPPING_KEYS:
            raise ConfigError(f"The VAT mapping has an unknown key {key!r}.")
    by_class_id = {SaleorId(key): tax for key, tax in _tax_ids(document, "by_class_id").items()}
    by_class_name = _tax_ids(document, "by_class_name")
    by_rate: dict[Decimal, BexioTaxId] = {}
    seen: dict[Decimal, str] = {}
    for text, tax in _tax_ids(document, "by_rate").items():
        rate = _decode_rate(text)
        if percent_key(rate) in seen:
            raise ConfigError(
                f"The VAT mapping's 'by_rate' has both {seen[percent_key(rate)]!r} and {text!r}, "
                "which are the same rate."
            )
        seen[percent_key(rate)] = text
        by_rate[rate] = tax
    exempt = document.get("exempt_tax_id")
    return TaxMapping(
        by_class_id=by_class_id,
        by_class_name=by_class_name,
        by_rate=by_rate,
        exempt_tax_id=None if exempt is None else _tax_id(exempt, "exempt_tax_id"),
    )


def _tax_ids(document: Mapping[str, Any], key: str) -> dict[str, BexioTaxId]:
    raw = document.get(key, {})
    if not isinstance(raw, Mapping):
        raise ConfigError(f"The VAT mapping's {key!r} must be an object, got {raw!r}.")
    return {str(name): _tax_id(tax, f"{key}.{name}") for name, tax in raw.items()}


def _tax_id(raw: Any, key: str) -> BexioTaxId:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ConfigError(f"The VAT mapping's {key!r} must be a bexio tax id, got {raw!r}.")
    return BexioTaxId(raw)


def _decode_rate(text: str) -> Decimal:
    try:
        rate = Decimal(text)
    except InvalidOperation:
        rate = Decimal("NaN")
    if not rate.is_finite() or rate < 0:
        raise ConfigError(
            f"The VAT mapping's 'by_rate' key {text!r} must be a percentage like \"8.1\"."
        )
    return rate


def _check_version(document: Mapping[str, Any], what: str) -> None:
    if not isinstance(document, Mapping):
        raise ConfigError(f"The {what} must be a JSON object.")
    version = document.get(_VERSION_KEY)
    if version != VERSION or isinstance(version, bool):
        raise ConfigError(f'The {what} must have "version": {VERSION}, got {version!r}.')
