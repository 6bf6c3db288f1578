"""Builders for sync domain values: sensible Swiss-shop defaults, override what a test is about.

Prices follow Saleor: the entered price is exact, the other side is computed per line and
rounded to cents (`make_line(unit_price="10.00", gross=True)` is 10.00 gross at 8.1 %).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioLanguageId,
    BexioPaymentTypeId,
    BexioTaxId,
    BexioUserId,
    SaleorId,
)
from saleor_bexio_app.sync.actions import default_matrix
from saleor_bexio_app.sync.model import (
    ZERO,
    Address,
    ChargeStatus,
    Customer,
    Order,
    OrderLine,
    OrderStatus,
    Shipping,
    ShopSettings,
)
from saleor_bexio_app.sync.vat import BexioTax, TaxMapping

CENT = Decimal("0.01")
CREATED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

# bexio tax ids as in a Swiss trial company (API.md §d), plus an active 0 % tax for exports.
UN81 = BexioTaxId(14)
UR26 = BexioTaxId(15)
US38 = BexioTaxId(16)
U00 = BexioTaxId(17)
UO81 = BexioTaxId(18)
VM81 = BexioTaxId(20)


def d(value: str | int | Decimal) -> Decimal:
    """A Decimal from a literal (never a float)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def cents(value: Decimal) -> Decimal:
    """Round to cents like Saleor does."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _net_gross(amount: Decimal, rate: Decimal, gross: bool) -> tuple[Decimal, Decimal]:
    if gross:
        return cents(amount / (1 + rate)), amount
    return amount, cents(amount * (1 + rate))


def make_line(
    *,
    unit_price: str | Decimal = "100.00",
    quantity: int = 1,
    tax_rate: str | Decimal = "0.081",
    gross: bool = True,
    **overrides: Any,
) -> OrderLine:
    """An order line priced like Saleor: `unit_price` as entered (gross or net)."""
    rate = d(tax_rate)
    unit = d(unit_price)
    unit_net, unit_gross = _net_gross(unit, rate, gross)
    total_net, total_gross = _net_gross(unit * quantity, rate, gross)
    line = OrderLine(
        id=SaleorId("T3JkZXJMaW5lOjE="),
        product_name="T-Shirt",
        variant_name="M",
        sku="TS-M",
        quantity=quantity,
        unit_price_net=unit_net,
        unit_price_gross=unit_gross,
        total_net=total_net,
        total_gross=total_gross,
        tax_rate=rate,
        tax_class_id=SaleorId("VGF4Q2xhc3M6MQ=="),
        tax_class_name="Standard",
    )
    return dataclasses.replace(line, **overrides)


def make_shipping(
    *,
    price: str | Decimal = "7.00",
    tax_rate: str | Decimal = "0.081",
    gross: bool = True,
    **overrides: Any,
) -> Shipping:
    """A shipping charge priced like Saleor."""
    rate = d(tax_rate)
    net, gross_amount = _net_gross(d(price), rate, gross)
    shipping = Shipping(
        name="Post Economy",
        net=net,
        gross=gross_amount,
        tax_rate=rate,
        tax_class_name="Standard",
    )
    return dataclasses.replace(shipping, **overrides)


def make_address(**overrides: Any) -> Address:
    """A Swiss billing address."""
    address = Address(
        first_name="Anna",
        last_name="Muster",
        street_address_1="Bahnhofstrasse 12a",
        postal_code="8001",
        city="Zürich",
        country_code="CH",
        phone="+41441234567",
    )
    return dataclasses.replace(address, **overrides)


def make_customer(**overrides: Any) -> Customer:
    """A registered customer with a Swiss billing address."""
    customer = Customer(
        email="anna@example.ch",
        first_name="Anna",
        last_name="Muster",
        billing_address=make_address(),
        language_code="DE_CH",
        id=SaleorId("VXNlcjox"),
    )
    return dataclasses.replace(customer, **overrides)


def make_order(lines: Iterable[OrderLine] | None = None, **overrides: Any) -> Order:
    """A confirmed CHF order; totals follow the lines, shipping and gift cards unless given."""
    order_lines = tuple(lines) if lines is not None else (make_line(),)
    order = Order(
        id=SaleorId("T3JkZXI6MQ=="),
        number="1001",
        status=OrderStatus.UNFULFILLED,
        charge_status=ChargeStatus.NONE,
        channel_slug="default-channel",
        currency="CHF",
        prices_entered_with_tax=True,
        lines=order_lines,
        total_net=ZERO,
        total_gross=ZERO,
        created=CREATED,
        updated_at=CREATED,
        user_email="anna@example.ch",
        billing_address=make_address(),
        language_code="DE_CH",
    )
    order = dataclasses.replace(order, **overrides)
    if "total_net" in overrides or "total_gross" in overrides:
        return order
    gift_cards = sum((card.amount for card in order.gift_cards), ZERO)
    net = sum((line.total_net for line in order.lines), ZERO)
    gross = sum((line.total_gross for line in order.lines), ZERO)
    if order.shipping is not None:
        net += order.shipping.net
        gross += order.shipping.gross
    # Saleor's checkout subtracts gift cards from both net and gross of the order total.
    return dataclasses.replace(order, total_net=net - gift_cards, total_gross=gross - gift_cards)


def make_settings(**overrides: Any) -> ShopSettings:
    """Complete general settings with the default order-action matrix."""
    settings = ShopSettings(
        order_actions=default_matrix(),
        bexio_user_id=BexioUserId(1),
        bank_account_id=BexioBankAccountId(2),
        payment_type_id=BexioPaymentTypeId(3),
        language_id=BexioLanguageId(4),
        revenue_account_id=BexioAccountId(3200),
    )
    return dataclasses.replace(settings, **overrides)


def bexio_taxes() -> list[BexioTax]:
    """Sales and input taxes of a Swiss company; 3.8 % is inactive as in a new trial."""
    return [
        BexioTax(UN81, "UN81", d("8.1"), True),
        BexioTax(UR26, "UR26", d("2.6"), True),
        BexioTax(US38, "US38", d("3.8"), False),
        BexioTax(U00, "U00", d("0"), True, type="not_taxable_turnover"),
        BexioTax(UO81, "UO81", d("8.1"), True, type="opted_sales_tax"),
        BexioTax(VM81, "VM81", d("8.1"), True, type="pre_tax_material"),
    ]


def make_tax_mapping(**overrides: Any) -> TaxMapping:
    """Rates 8.1 and 2.6 % mapped, and the 0 % tax for tax-free sales."""
    mapping = TaxMapping(by_rate={d("8.1"): UN81, d("2.6"): UR26}, exempt_tax_id=U00)
    return dataclasses.replace(mapping, **overrides)
