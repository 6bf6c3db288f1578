"""VAT: which bexio tax a Saleor line or shipping charge uses, and the VAT tab's comparison.

Resolution order (PROTOCOL.md §f): a tax-exempt order or a 0 % rate uses the configured
tax-free bexio tax; otherwise the tax class id, then the class name, then `bexio_tax_id` in the
class's public metadata, then the rate. The chosen bexio tax must exist, be active, be a sales
tax and have the line's rate. Anything else raises `TaxMappingError`: never a guessed tax.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal, Protocol

from saleor_bexio_app.errors import ConfigError, MessageCode, MessageParams
from saleor_bexio_app.ids import BexioTaxId, SaleorId
from saleor_bexio_app.sync.model import CENT, ZERO

METADATA_KEY = "bexio_tax_id"
_HUNDRED = Decimal(100)


def percent_key(rate: Decimal) -> Decimal:
    """A percentage normalised to two decimals, the key of `TaxMapping.by_rate`."""
    return rate.quantize(CENT)


def rate_percent(fraction: Decimal) -> Decimal:
    """Saleor's line tax rate (a fraction, 0.081) as a two-decimal percentage (8.10)."""
    return percent_key(fraction * _HUNDRED)


def _format_percent(rate: Decimal) -> str:
    text = f"{rate.quantize(CENT):f}".rstrip("0").rstrip(".")
    return f"{text} %"


class TaxedItem(Protocol):
    """Anything with Saleor's tax facts: an order line or the shipping charge."""

    @property
    def tax_rate(self) -> Decimal: ...

    @property
    def tax_class_id(self) -> SaleorId | None: ...

    @property
    def tax_class_name(self) -> str | None: ...

    @property
    def tax_class_metadata(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class BexioTax:
    """A bexio tax (`/3.0/taxes`): `percentage` is bexio's `value`, in percent."""

    id: BexioTaxId
    code: str
    percentage: Decimal
    is_active: bool
    type: str = "sales_tax"
    name: str = ""

    @property
    def label(self) -> str:
        """How the tax is named in messages, e.g. "UN81 (8.1 %)"."""
        return f"{self.code or self.name or self.id} ({_format_percent(self.percentage)})"

    @property
    def is_sales_tax(self) -> bool:
        """Whether documents accept it (input taxes are for purchases only)."""
        return not self.type.startswith("pre_")


@dataclass(frozen=True, slots=True)
class TaxMapping:
    """The shop's VAT mapping; `by_rate` keys are percentages (8.1, not 0.081)."""

    by_class_id: Mapping[SaleorId, BexioTaxId] = field(default_factory=dict)
    by_class_name: Mapping[str, BexioTaxId] = field(default_factory=dict)
    by_rate: Mapping[Decimal, BexioTaxId] = field(default_factory=dict)
    # For tax-exempt orders and 0 % rates (exports, tax-free goods).
    exempt_tax_id: BexioTaxId | None = None

    def for_rate(self, rate: Decimal) -> BexioTaxId | None:
        """The bexio tax mapped to a percentage, compared at two decimals."""
        wanted = percent_key(rate)
        for key, tax_id in self.by_rate.items():
            if percent_key(key) == wanted:
                return tax_id
        return None

    def for_class_name(self, name: str) -> BexioTaxId | None:
        """The bexio tax mapped to a tax class name, ignoring case and outer spaces."""
        wanted = name.strip().casefold()
        for key, tax_id in self.by_class_name.items():
            if key.strip().casefold() == wanted:
                return tax_id
        return None

    def referenced_tax_ids(self) -> frozenset[BexioTaxId]:
        """Every bexio tax id the mapping points at."""
        ids = {*self.by_class_id.values(), *self.by_class_name.values(), *self.by_rate.values()}
        if self.exempt_tax_id is not None:
            ids.add(self.exempt_tax_id)
        return frozenset(ids)


class TaxSource(StrEnum):
    """Which mapping entry chose the bexio tax."""

    EXEMPT = "exempt"
    CLASS_ID = "class_id"
    CLASS_NAME = "class_name"
    CLASS_METADATA = "class_metadata"
    RATE = "rate"


class VatProblemKind(StrEnum):
    """What is wrong with a rate's mapping."""

    UNMAPPED = "unmapped"
    UNKNOWN_TAX = "unknown_tax"
    INACTIVE = "inactive"
    NOT_SALES_TAX = "not_sales_tax"
    RATE_MISMATCH = "rate_mismatch"
    INVALID_METADATA = "invalid_metadata"


class TaxMappingError(ConfigError):
    """A line's VAT cannot be mapped to a usable bexio tax; the message names the rate/class."""

    def __init__(
        self,
        kind: VatProblemKind,
        user_message: str,
        *,
        tax_id: BexioTaxId | None = None,
        code: MessageCode | None = None,
        params: MessageParams | None = None,
    ) -> None:
        super().__init__(user_message, code=code, params=params)
        self.kind = kind
        self.tax_id = tax_id


@dataclass(frozen=True, slots=True)
class TaxResolution:
    """The bexio tax chosen for an item, and which mapping entry chose it."""

    tax: BexioTax
    source: TaxSource


DEFAULT_LABEL = "A line"


@dataclass(frozen=True, slots=True)
class TaxSubject:
    """What a VAT message is about: the shipping charge, or a line named by its text ("" for
    any line). It gives the message's label and the params the dashboard translates it with."""

    item: Literal["line", "shipping"] = "line"
    text: str = ""

    @property
    def label(self) -> str:
        """The subject in English, as messages start: "The line “T-Shirt — M”"."""
        if self.item == "shipping":
            return "The shipping charge"
        return f"The line “{self.text}”" if self.text else DEFAULT_LABEL


def _coded(
    code: MessageCode,
    subject: TaxSubject | None,
    item: TaxedItem,
    rate: Decimal,
    **extra: str,
) -> dict[str, Any]:
    """`code` and `params` for a TaxMappingError; nothing for a subject known only by its label."""
    if subject is None:
        return {}
    params = {
        "item": subject.item,
        "line": subject.text,
        "taxClass": item.tax_class_name or "",
        "rate": _format_percent(rate),
        **extra,
    }
    return {"code": code, "params": params}


def _describe(item: TaxedItem, rate: Decimal, label: str) -> str:
    if item.tax_class_name:
        return f"{label} (tax class “{item.tax_class_name}”, {_format_percent(rate)})"
    return f"{label} ({_format_percent(rate)})"


def _mapped_tax(
    item: TaxedItem, mapping: TaxMapping, rate: Decimal, label: str
) -> tuple[BexioTaxId, TaxSource] | None:
    if item.tax_class_id is not None and item.tax_class_id in mapping.by_class_id:
        return mapping.by_class_id[item.tax_class_id], TaxSource.CLASS_ID
    if item.tax_class_name:
        by_name = mapping.for_class_name(item.tax_class_name)
        if by_name is not None:
            return by_name, TaxSource.CLASS_NAME
    raw = item.tax_class_metadata.get(METADATA_KEY)
    if raw is not None:
        try:
            return BexioTaxId(int(raw.strip())), TaxSource.CLASS_METADATA
        except ValueError:
            raise TaxMappingError(
                VatProblemKind.INVALID_METADATA,
                f"The tax class “{item.tax_class_name or item.tax_class_id}” has "
                f"{METADATA_KEY} “{raw}” in its metadata, which is not a bexio tax id. "
                f"Correct the metadata or map the class in the VAT tab ({label}).",
            ) from None
    by_rate = mapping.for_rate(rate)
    if by_rate is not None:
        return by_rate, TaxSource.RATE
    return None


def resolve_tax_source(
    item: TaxedItem,
    mapping: TaxMapping,
    bexio_taxes: Iterable[BexioTax],
    *,
    tax_exempt: bool = False,
    label: str = DEFAULT_LABEL,
    subject: TaxSubject | None = None,
) -> TaxResolution:
    """The usable bexio tax for an item and where it came from; raises TaxMappingError.

    `subject`, when given, names the item instead of `label` and lets the errors carry a code.
    """
    if subject is None and label == DEFAULT_LABEL:
        subject = TaxSubject()
    if subject is not None:
        label = subject.label
    rate = rate_percent(item.tax_rate)
    what = _describe(item, rate, label)
    found: tuple[BexioTaxId, TaxSource] | None
    if tax_exempt or rate == ZERO:
        if mapping.exempt_tax_id is None:
            reason = "is tax-exempt" if tax_exempt else "is taxed at 0 %"
            raise TaxMappingError(
                VatProblemKind.UNMAPPED,
                f"{what} {reason}, but no bexio tax for tax-free sales is chosen. "
                "Choose one in the VAT tab.",
            )
        found = (mapping.exempt_tax_id, TaxSource.EXEMPT)
        rate = ZERO
    else:
        found = _mapped_tax(item, mapping, rate, label)
        if found is None:
            raise TaxMappingError(
                VatProblemKind.UNMAPPED,
                f"{what}: the VAT rate {_format_percent(rate)} is not mapped to a bexio tax. "
                "Map it in the VAT tab.",
                **_coded(MessageCode.VAT_RATE_UNMAPPED, subject, item, rate),
            )
    tax_id, source = found
    tax = next((tax for tax in bexio_taxes if tax.id == tax_id), None)
    if tax is None:
        raise TaxMappingError(
            VatProblemKind.UNKNOWN_TAX,
            f"{what} is mapped to bexio tax id {tax_id}, which does not exist in bexio. "
            "Choose another tax in the VAT tab.",
            tax_id=tax_id,
        )
    if not tax.is_active:
        raise TaxMappingError(
            VatProblemKind.INACTIVE,
            f"{what} is mapped to bexio tax {tax.label}, which is inactive in bexio. "
            "Activate it in bexio or choose an active tax in the VAT tab.",
            tax_id=tax_id,
            **_coded(MessageCode.VAT_TAX_INACTIVE, subject, item, rate, tax=tax.label),
        )
    if not tax.is_sales_tax:
        raise TaxMappingError(
            VatProblemKind.NOT_SALES_TAX,
            f"{what} is mapped to bexio tax {tax.label}, which is an input tax; invoices "
            "need a sales tax. Choose another tax in the VAT tab.",
            tax_id=tax_id,
        )
    if percent_key(tax.percentage) != rate:
        raise TaxMappingError(
            VatProblemKind.RATE_MISMATCH,
            f"{what} is mapped to bexio tax {tax.label}, but was taxed at "
            f"{_format_percent(rate)} in Saleor. Map it to a bexio tax with that rate.",
            tax_id=tax_id,
            **_coded(MessageCode.VAT_RATE_MISMATCH, subject, item, rate, tax=tax.label),
        )
    return TaxResolution(tax, source)


def resolve_tax(
    item: TaxedItem,
    mapping: TaxMapping,
    bexio_taxes: Iterable[BexioTax],
    *,
    tax_exempt: bool = False,
    label: str = DEFAULT_LABEL,
    subject: TaxSubject | None = None,
) -> BexioTaxId:
    """The bexio tax id for a line or shipping charge; raises TaxMappingError (a ConfigError)."""
    resolution = resolve_tax_source(
        item, mapping, bexio_taxes, tax_exempt=tax_exempt, label=label, subject=subject
    )
    return resolution.tax.id


@dataclass(frozen=True, slots=True)
class ShopTaxRate:
    """A Saleor rate for the VAT tab: `rate` in percent, as TaxClassCountryRate.rate."""

    country_code: str
    rate: Decimal
    # None: the country's default rate (a TaxClassCountryRate without a tax class).
    tax_class_id: SaleorId | None = None
    tax_class_name: str | None = None
    tax_class_metadata: Mapping[str, str] = field(default_factory=dict)

    @property
    def tax_rate(self) -> Decimal:
        """The rate as the fraction order lines carry."""
        return self.rate / _HUNDRED


@dataclass(frozen=True, slots=True)
class VatProblem:
    """One problem on the VAT tab; `shop_rate` is None for a mapping entry nothing uses."""

    kind: VatProblemKind
    message: str
    shop_rate: ShopTaxRate | None = None


@dataclass(frozen=True, slots=True)
class VatRow:
    """A shop rate beside the bexio tax it maps to, or a suggestion and the problem."""

    shop_rate: ShopTaxRate
    bexio_tax: BexioTax | None
    source: TaxSource | None
    suggestion: BexioTax | None = None
    problem: VatProblem | None = None


@dataclass(frozen=True, slots=True)
class VatComparison:
    """The VAT tab: shop rates, bexio's active sales taxes, the mapping, and problems."""

    rows: tuple[VatRow, ...]
    bexio_taxes: tuple[BexioTax, ...]
    mapping: TaxMapping
    problems: tuple[VatProblem, ...]

    @property
    def ok(self) -> bool:
        """Whether every shop rate maps to a usable bexio tax."""
        return not self.problems


def _suggest(rate: Decimal, taxes: Sequence[BexioTax]) -> BexioTax | None:
    matches = [
        tax
        for tax in taxes
        if tax.is_active and tax.type == "sales_tax" and percent_key(tax.percentage) == rate
    ]
    return matches[0] if len(matches) == 1 else None


def compare_vat(
    shop_rates: Iterable[ShopTaxRate], bexio_taxes: Iterable[BexioTax], mapping: TaxMapping
) -> VatComparison:
    """Side-by-side view of shop rates and bexio taxes with every mapping problem."""
    taxes = tuple(bexio_taxes)
    rows: list[VatRow] = []
    problems: list[VatProblem] = []
    reported: set[BexioTaxId] = set()
    for shop_rate in sorted(
        shop_rates,
        key=lambda r: (r.country_code, r.tax_class_name or "", r.tax_class_id or "", r.rate),
    ):
        label = f"{shop_rate.country_code} {shop_rate.tax_class_name or 'default rate'}"
        try:
            resolution = resolve_tax_source(shop_rate, mapping, taxes, label=label)
        except TaxMappingError as exc:
            problem = VatProblem(exc.kind, exc.user_message, shop_rate)
            problems.append(problem)
            if exc.tax_id is not None:
                reported.add(exc.tax_id)
            rows.append(
                VatRow(
                    shop_rate,
                    None,
                    None,
                    suggestion=_suggest(percent_key(shop_rate.rate), taxes),
                    problem=problem,
                )
            )
        else:
            rows.append(VatRow(shop_rate, resolution.tax, resolution.source))
    by_id = {tax.id: tax for tax in taxes}
    for tax_id in sorted(mapping.referenced_tax_ids() - reported):
        tax = by_id.get(tax_id)
        if tax is None:
            problems.append(
                VatProblem(
                    VatProblemKind.UNKNOWN_TAX,
                    f"The VAT mapping uses bexio tax id {tax_id}, which does not exist in bexio.",
                )
            )
        elif not tax.is_active:
            problems.append(
                VatProblem(
                    VatProblemKind.INACTIVE,
                    f"The VAT mapping uses bexio tax {tax.label}, which is inactive in bexio.",
                )
            )
    active_sales = tuple(
        sorted(
            (tax for tax in taxes if tax.is_active and tax.is_sales_tax),
            key=lambda t: (t.percentage, t.code),
        )
    )
    return VatComparison(tuple(rows), active_sales, mapping, tuple(problems))
