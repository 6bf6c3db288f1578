"""bexio's document arithmetic in Decimal: position totals, VAT per rate, currency rounding.

bexio keeps amounts with 6 decimals (GET shows "100.000000"), VAT amounts with 4 ("1.3706"),
tax rates with 2 ("8.10"), and rounds the document total to the currency's `round_factor`
(5 Rappen for CHF), reporting the difference in `total_rounding_difference`. The docs' own
example (17.80 net + 7.7 % = 1.3706 VAT, total 19.15, difference -0.02) is reproduced exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

ZERO = Decimal(0)
HUNDRED = Decimal(100)

MWST_INCLUDING = 0
MWST_EXCLUDING = 1
MWST_EXEMPT = 2


def to_decimal(value: object) -> Decimal | None:
    """A JSON number or decimal string as Decimal; None when it is not a finite number."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def fixed(value: Decimal, places: int) -> str:
    """`value` with exactly `places` decimals, half-up: bexio's GET format."""
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):f}"


def plain(value: Decimal) -> str:
    """`value` without trailing zeros ("100", "12.5"): bexio's create-response format."""
    text = f"{value.quantize(Decimal('0.000001'), rounding=ROUND_HALF_UP):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def position_total(amount: Decimal, unit_price: Decimal, discount_in_percent: Decimal) -> Decimal:
    """Amount times unit price less the line discount, to bexio's 6 decimals."""
    total = amount * unit_price * (HUNDRED - discount_in_percent) / HUNDRED
    return total.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def round_to_factor(value: Decimal, factor: Decimal) -> Decimal:
    """Round half-up to a multiple of `factor` (0.05 for CHF, 0.01 for EUR)."""
    if factor <= 0:
        return value
    steps = (value / factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return steps * factor


@dataclass(frozen=True, slots=True)
class TaxedLine:
    """One priced position: its total (net or gross as entered) and its VAT rate in percent."""

    total: Decimal
    rate: Decimal | None


@dataclass(frozen=True, slots=True)
class Discount:
    """A KbPositionDiscount on the document total: a percentage or a fixed amount."""

    is_percentual: bool
    value: Decimal


@dataclass(frozen=True, slots=True)
class DocumentTotals:
    """The computed read-only totals of a document."""

    gross: Decimal
    net: Decimal
    taxes: dict[Decimal, Decimal] = field(default_factory=dict)
    discount_totals: tuple[Decimal, ...] = ()
    total: Decimal = ZERO
    rounding_difference: Decimal = ZERO

    @property
    def total_taxes(self) -> Decimal:
        """Sum of the VAT amounts of all rates."""
        return sum(self.taxes.values(), ZERO)


def document_totals(
    lines: Iterable[TaxedLine],
    discounts: Iterable[Discount],
    *,
    mwst_type: int,
    mwst_is_net: bool,
    round_factor: Decimal,
) -> DocumentTotals:
    """Totals as bexio computes them for `mwst_type` 0 (with `mwst_is_net`), 1 and 2."""
    lines = list(lines)
    gross = sum((line.total for line in lines), ZERO)
    discount_totals = tuple(
        (gross * d.value / HUNDRED if d.is_percentual else d.value).quantize(
            Decimal("0.000001"), rounding=ROUND_HALF_UP
        )
        for d in discounts
    )
    net = gross - sum(discount_totals, ZERO)
    taxes: dict[Decimal, Decimal] = {}
    # API.md correction 6: documents with mwst_type 1 came back without any VAT; 2 is exempt.
    if mwst_type == MWST_INCLUDING:
        share = net / gross if gross else Decimal(1)
        bases: dict[Decimal, Decimal] = {}
        for line in lines:
            if line.rate:
                bases[line.rate] = bases.get(line.rate, ZERO) + line.total * share
        for rate, base in sorted(bases.items()):
            divisor = HUNDRED if mwst_is_net else HUNDRED + rate
            taxes[rate] = (base * rate / divisor).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            )
    added = mwst_type == MWST_INCLUDING and mwst_is_net
    unrounded = net + sum(taxes.values(), ZERO) if added else net
    total = round_to_factor(unrounded, round_factor)
    difference = (total - unrounded).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return DocumentTotals(
        gross=gross,
        net=net,
        taxes=taxes,
        discount_totals=discount_totals,
        total=total,
        rounding_difference=difference,
    )


def json_number(value: Decimal) -> int | float:
    """A JSON number for bexio's few numeric money fields (total_rounding_difference).

    Only at the JSON edge: a 2-decimal Decimal survives the float round trip unchanged.
    """
    return int(value) if value == value.to_integral_value() else float(value)
