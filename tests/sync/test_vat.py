"""VAT: Saleor rates and tax classes to bexio taxes, and the VAT tab's comparison."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import Any

import pytest

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import BexioTaxId, SaleorId
from saleor_bexio_app.sync.model import OrderLine
from saleor_bexio_app.sync.vat import (
    ShopTaxRate,
    TaxMapping,
    TaxMappingError,
    TaxSource,
    VatProblemKind,
    compare_vat,
    rate_percent,
    resolve_tax,
    resolve_tax_source,
)
from tests.builders import (
    U00,
    UN81,
    UO81,
    UR26,
    US38,
    VM81,
    bexio_taxes,
    d,
    make_line,
    make_shipping,
    make_tax_mapping,
)

STANDARD = SaleorId("VGF4Q2xhc3M6MQ==")
REDUCED = SaleorId("VGF4Q2xhc3M6Mg==")


def line(rate: str = "0.081", **overrides: Any) -> OrderLine:
    return make_line(tax_rate=rate, **overrides)


@pytest.mark.parametrize(
    ("item", "mapping", "exempt", "tax", "source"),
    [
        pytest.param(line(), make_tax_mapping(), False, UN81, TaxSource.RATE, id="by-rate"),
        pytest.param(
            line("0.0810"),
            TaxMapping(by_rate={d("8.10"): UN81}),
            False,
            UN81,
            TaxSource.RATE,
            id="rate-keys-compare-at-two-decimals",
        ),
        pytest.param(
            line(),
            make_tax_mapping(by_class_id={STANDARD: UO81}),
            False,
            UO81,
            TaxSource.CLASS_ID,
            id="class-id-beats-rate",
        ),
        pytest.param(
            line(tax_class_id=None),
            make_tax_mapping(by_class_id={STANDARD: VM81}, by_class_name={" standard ": UO81}),
            False,
            UO81,
            TaxSource.CLASS_NAME,
            id="class-name-when-class-was-deleted-ignoring-case",
        ),
        pytest.param(
            line("0.026", tax_class_name="Reduced", tax_class_metadata={"bexio_tax_id": "15"}),
            TaxMapping(by_rate={d("2.6"): UR26}),
            False,
            UR26,
            TaxSource.CLASS_METADATA,
            id="class-metadata",
        ),
        pytest.param(
            line(tax_class_id=REDUCED, tax_class_name="Other"),
            make_tax_mapping(by_class_id={STANDARD: VM81}, by_class_name={"other": UO81}),
            False,
            UO81,
            TaxSource.CLASS_NAME,
            id="class-name-beats-metadata-and-rate",
        ),
        pytest.param(line("0"), make_tax_mapping(), False, U00, TaxSource.EXEMPT, id="zero-rate"),
        pytest.param(
            line(), make_tax_mapping(), True, U00, TaxSource.EXEMPT, id="tax-exempt-order"
        ),
        pytest.param(
            make_shipping(tax_rate="0.026", tax_class_name=None),
            make_tax_mapping(),
            False,
            UR26,
            TaxSource.RATE,
            id="shipping",
        ),
    ],
)
def test_resolve_tax_follows_class_then_metadata_then_rate(
    item: Any, mapping: TaxMapping, exempt: bool, tax: BexioTaxId, source: TaxSource
) -> None:
    resolution = resolve_tax_source(item, mapping, bexio_taxes(), tax_exempt=exempt)

    assert (resolution.tax.id, resolution.source) == (tax, source)
    assert resolve_tax(item, mapping, bexio_taxes(), tax_exempt=exempt) == tax


@pytest.mark.parametrize(
    ("item", "mapping", "kind", "message"),
    [
        pytest.param(
            line("0.038", tax_class_name="Accommodation"),
            make_tax_mapping(),
            VatProblemKind.UNMAPPED,
            "A line (tax class “Accommodation”, 3.8 %): the VAT rate 3.8 % is not mapped to a "
            "bexio tax. Map it in the VAT tab.",
            id="unmapped",
        ),
        pytest.param(
            line("0.038", tax_class_name=None),
            make_tax_mapping(by_rate={d("3.8"): US38}),
            VatProblemKind.INACTIVE,
            "A line (3.8 %) is mapped to bexio tax US38 (3.8 %), which is inactive in bexio. "
            "Activate it in bexio or choose an active tax in the VAT tab.",
            id="inactive",
        ),
        pytest.param(
            line(),
            TaxMapping(by_rate={d("8.1"): BexioTaxId(999)}),
            VatProblemKind.UNKNOWN_TAX,
            "A line (tax class “Standard”, 8.1 %) is mapped to bexio tax id 999, which does not "
            "exist in bexio. Choose another tax in the VAT tab.",
            id="unknown",
        ),
        pytest.param(
            line(),
            TaxMapping(by_rate={d("8.1"): VM81}),
            VatProblemKind.NOT_SALES_TAX,
            "A line (tax class “Standard”, 8.1 %) is mapped to bexio tax VM81 (8.1 %), which is "
            "an input tax; invoices need a sales tax. Choose another tax in the VAT tab.",
            id="input-tax",
        ),
        pytest.param(
            line("0.026"),
            make_tax_mapping(by_class_id={STANDARD: UN81}),
            VatProblemKind.RATE_MISMATCH,
            "A line (tax class “Standard”, 2.6 %) is mapped to bexio tax UN81 (8.1 %), but was "
            "taxed at 2.6 % in Saleor. Map it to a bexio tax with that rate.",
            id="class-mapped-to-another-rate",
        ),
        pytest.param(
            line("0"),
            TaxMapping(by_rate={d("8.1"): UN81}),
            VatProblemKind.UNMAPPED,
            "A line (tax class “Standard”, 0 %) is taxed at 0 %, but no bexio tax for tax-free "
            "sales is chosen. Choose one in the VAT tab.",
            id="zero-rate-without-exempt-tax",
        ),
        pytest.param(
            line(),
            TaxMapping(exempt_tax_id=UN81),
            VatProblemKind.UNMAPPED,
            "",
            id="exempt-tax-is-not-used-for-taxed-lines",
        ),
        pytest.param(
            line("0"),
            make_tax_mapping(exempt_tax_id=UN81),
            VatProblemKind.RATE_MISMATCH,
            "A line (tax class “Standard”, 0 %) is mapped to bexio tax UN81 (8.1 %), but was "
            "taxed at 0 % in Saleor. Map it to a bexio tax with that rate.",
            id="exempt-tax-with-a-rate",
        ),
        pytest.param(
            line(tax_class_metadata={"bexio_tax_id": "UN81"}),
            make_tax_mapping(),
            VatProblemKind.INVALID_METADATA,
            "The tax class “Standard” has bexio_tax_id “UN81” in its metadata, which is not a "
            "bexio tax id. Correct the metadata or map the class in the VAT tab (A line).",
            id="metadata-not-an-id",
        ),
    ],
)
def test_unusable_mapping_is_a_config_error_naming_rate_and_class(
    item: Any, mapping: TaxMapping, kind: VatProblemKind, message: str
) -> None:
    with pytest.raises(TaxMappingError) as caught:
        resolve_tax(item, mapping, bexio_taxes())

    assert isinstance(caught.value, ConfigError)
    assert caught.value.kind == kind
    if message:
        assert caught.value.user_message == message


@pytest.mark.parametrize(
    ("fraction", "percent"),
    [("0.081", "8.10"), ("0.0260", "2.60"), ("0", "0.00"), ("0.07700", "7.70")],
)
def test_line_rate_fraction_becomes_a_two_decimal_percentage(fraction: str, percent: str) -> None:
    assert str(rate_percent(Decimal(fraction))) == percent


def shop_rates() -> list[ShopTaxRate]:
    return [
        ShopTaxRate("CH", d("8.1"), STANDARD, "Standard"),
        ShopTaxRate("CH", d("2.6"), REDUCED, "Reduced"),
        ShopTaxRate("CH", d("3.8"), SaleorId("VGF4Q2xhc3M6Mw=="), "Accommodation"),
        ShopTaxRate("DE", d("0"), STANDARD, "Standard"),
        ShopTaxRate("CH", d("8.1")),
    ]


def test_vat_tab_lists_rates_beside_taxes_with_suggestions_for_unmapped_rates() -> None:
    comparison = compare_vat(shop_rates(), bexio_taxes(), TaxMapping())

    assert [
        (
            row.shop_rate.country_code,
            row.shop_rate.tax_class_name,
            row.problem.kind if row.problem else None,
            row.suggestion.id if row.suggestion else None,
        )
        for row in comparison.rows
    ] == [
        ("CH", None, VatProblemKind.UNMAPPED, UN81),
        ("CH", "Accommodation", VatProblemKind.UNMAPPED, None),
        ("CH", "Reduced", VatProblemKind.UNMAPPED, UR26),
        ("CH", "Standard", VatProblemKind.UNMAPPED, UN81),
        ("DE", "Standard", VatProblemKind.UNMAPPED, None),
    ]
    assert [tax.code for tax in comparison.bexio_taxes] == ["U00", "UR26", "UN81", "UO81"]
    assert not comparison.ok


def test_vat_tab_reports_inactive_mismatched_and_unused_broken_entries() -> None:
    mapping = make_tax_mapping(
        by_class_id={REDUCED: UN81},
        by_rate={d("8.1"): UN81, d("3.8"): US38, d("7.7"): BexioTaxId(99)},
    )

    comparison = compare_vat(shop_rates(), bexio_taxes(), mapping)

    rows = {
        (row.shop_rate.country_code, row.shop_rate.tax_class_name): row for row in comparison.rows
    }
    assert rows["CH", "Standard"].bexio_tax is not None
    assert rows["CH", "Standard"].source == TaxSource.RATE
    assert rows["DE", "Standard"].source == TaxSource.EXEMPT
    assert [(p.kind, p.shop_rate is None) for p in comparison.problems] == [
        (VatProblemKind.INACTIVE, False),
        (VatProblemKind.RATE_MISMATCH, False),
        (VatProblemKind.UNKNOWN_TAX, True),
    ]
    assert comparison.problems[-1].message == (
        "The VAT mapping uses bexio tax id 99, which does not exist in bexio."
    )


def test_complete_mapping_has_no_problems() -> None:
    taxes = [
        dataclasses.replace(tax, is_active=True) if tax.id == US38 else tax for tax in bexio_taxes()
    ]
    mapping = make_tax_mapping(by_rate={d("8.1"): UN81, d("2.6"): UR26, d("3.8"): US38})

    comparison = compare_vat(shop_rates(), taxes, mapping)

    assert comparison.ok
    assert all(row.bexio_tax is not None for row in comparison.rows)
