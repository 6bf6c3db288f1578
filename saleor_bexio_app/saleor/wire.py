"""Pydantic models of the SaleorClient's GraphQL answers, and their conversion to `sync.model`.

Field names are Saleor's (camelCase) so a model reads like the document that fetched it.
GraphQL `Float` arrives as a Python float: amounts go through `Decimal(str(value))`, which keeps
the shortest decimal that round-trips (8.1, not 8.0999...), then are quantized to the currency's
minor unit; tax rates (fractions) to 4 places, as Saleor stores them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict

from saleor_bexio_app.ids import SaleorId
from saleor_bexio_app.sync.model import (
    ZERO,
    Address,
    ChargeStatus,
    Customer,
    GiftCardUse,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatus,
    Shipping,
)
from saleor_bexio_app.sync.vat import ShopTaxRate

RATE_PLACES = Decimal("0.0001")
PERCENT_PLACES = Decimal("0.001")
# ISO 4217 minor units where they are not 2 (currencies a Saleor channel may plausibly use).
_MINOR_UNITS = {
    "BHD": 3,
    "CLP": 0,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "OMR": 3,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
}


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SaleorMoney(_Wire):
    amount: float


class SaleorTaxedMoney(_Wire):
    net: SaleorMoney
    gross: SaleorMoney


class SaleorMetadataItem(_Wire):
    key: str
    value: str


class SaleorNode(_Wire):
    id: str


class SaleorCountry(_Wire):
    code: str


class SaleorAddress(_Wire):
    firstName: str = ""
    lastName: str = ""
    companyName: str = ""
    streetAddress1: str = ""
    streetAddress2: str = ""
    postalCode: str = ""
    city: str = ""
    countryArea: str = ""
    country: SaleorCountry
    phone: str | None = None


class SaleorPricesEntered(_Wire):
    pricesEnteredWithTax: bool


class SaleorChannel(_Wire):
    slug: str
    currencyCode: str
    taxConfiguration: SaleorPricesEntered


class SaleorChannelRef(_Wire):
    slug: str
    currencyCode: str


class SaleorTaxConfigurationPerCountry(_Wire):
    country: SaleorCountry
    chargeTaxes: bool
    taxCalculationStrategy: str | None = None
    displayGrossPrices: bool


class SaleorTaxConfiguration(_Wire):
    """A channel's tax settings, as `TAX_CONFIGURATIONS_QUERY` reads them."""

    id: str
    channel: SaleorChannelRef
    chargeTaxes: bool
    taxCalculationStrategy: str | None = None
    pricesEnteredWithTax: bool
    displayGrossPrices: bool
    countries: list[SaleorTaxConfigurationPerCountry] = []


class SaleorOrderLine(_Wire):
    id: str
    productName: str
    variantName: str
    productSku: str | None = None
    quantity: int
    taxRate: float
    unitPrice: SaleorTaxedMoney
    totalPrice: SaleorTaxedMoney
    undiscountedUnitPrice: SaleorTaxedMoney
    unitDiscount: SaleorMoney
    taxClass: SaleorNode | None = None
    taxClassName: str | None = None
    taxClassMetadata: list[SaleorMetadataItem] = []


class SaleorOrderDiscount(_Wire):
    type: str
    name: str | None = None
    valueType: str
    value: float
    reason: str | None = None
    amount: SaleorMoney


class SaleorGiftCardBalance(_Wire):
    currentBalance: SaleorMoney
    oldCurrentBalance: SaleorMoney | None = None


class SaleorGiftCardEvent(_Wire):
    orderId: str | None = None
    balance: SaleorGiftCardBalance | None = None


class SaleorGiftCard(_Wire):
    id: str
    last4CodeChars: str
    events: list[SaleorGiftCardEvent] = []


class SaleorOrder(_Wire):
    """The answer to `ORDER_QUERY`."""

    id: str
    number: str
    status: OrderStatus
    chargeStatus: ChargeStatus
    created: datetime
    updatedAt: datetime
    userEmail: str | None = None
    user: SaleorNode | None = None
    languageCodeEnum: str | None = None
    taxExemption: bool = False
    voucherCode: str | None = None
    channel: SaleorChannel
    billingAddress: SaleorAddress | None = None
    lines: list[SaleorOrderLine]
    shippingMethodName: str | None = None
    shippingPrice: SaleorTaxedMoney
    undiscountedShippingPrice: SaleorMoney
    shippingTaxRate: float
    shippingTaxClass: SaleorNode | None = None
    shippingTaxClassName: str | None = None
    shippingTaxClassMetadata: list[SaleorMetadataItem] = []
    discounts: list[SaleorOrderDiscount] = []
    giftCards: list[SaleorGiftCard] = []
    total: SaleorTaxedMoney
    totalCharged: SaleorMoney
    totalRefunded: SaleorMoney


class SaleorUser(_Wire):
    """The answer to `CUSTOMER_QUERY`."""

    id: str
    email: str
    firstName: str = ""
    lastName: str = ""
    languageCode: str | None = None
    updatedAt: datetime
    defaultBillingAddress: SaleorAddress | None = None


class SaleorTaxClassCountryRate(_Wire):
    country: SaleorCountry
    rate: float
    taxClass: SaleorNode | None = None


class SaleorTaxClass(_Wire):
    id: str
    name: str
    metadata: list[SaleorMetadataItem] = []
    countries: list[SaleorTaxClassCountryRate] = []


class SaleorTaxCountryConfiguration(_Wire):
    country: SaleorCountry
    taxClassCountryRates: list[SaleorTaxClassCountryRate] = []


class SaleorAllocation(_Wire):
    quantity: int
    warehouse: SaleorNode


class SaleorFulfilmentLine(_Wire):
    id: str
    quantityToFulfill: int
    allocations: list[SaleorAllocation] | None = None


class SaleorFulfilmentOrder(_Wire):
    """The answer to `FULFILMENT_LINES_QUERY`."""

    id: str
    lines: list[SaleorFulfilmentLine]


class SaleorMutationError(_Wire):
    field: str | None = None
    code: str | None = None
    message: str | None = None


def to_decimal(value: float, currency: str) -> Decimal:
    """A GraphQL Float amount as an exact Decimal in the currency's minor unit."""
    return _quantize(Decimal(str(value)), currency)


def _quantize(value: Decimal, currency: str) -> Decimal:
    places = Decimal(1).scaleb(-_MINOR_UNITS.get(currency.upper(), 2))
    return value.quantize(places, rounding=ROUND_HALF_UP)


def to_rate(value: float) -> Decimal:
    """A tax rate fraction (0.081) as a Decimal with Saleor's 4 places."""
    return Decimal(str(value)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def to_percent(value: float) -> Decimal:
    """A TaxClassCountryRate percentage (8.1) as a Decimal with Saleor's 3 places."""
    return Decimal(str(value)).quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP)


def to_address(address: SaleorAddress | None) -> Address | None:
    """A Saleor address as the domain Address."""
    if address is None:
        return None
    return Address(
        first_name=address.firstName,
        last_name=address.lastName,
        company_name=address.companyName,
        street_address_1=address.streetAddress1,
        street_address_2=address.streetAddress2,
        postal_code=address.postalCode,
        city=address.city,
        country_code=address.country.code,
        country_area=address.countryArea,
        phone=address.phone or None,
    )


def _metadata(items: list[SaleorMetadataItem]) -> dict[str, str]:
    return {item.key: item.value for item in items}


def _other_side(share: Decimal, rate: Decimal, entered_gross: bool, currency: str) -> Decimal:
    # Saleor gives the order-level share only in entered prices; the other side follows the rate.
    converted = share / (1 + rate) if entered_gross else share * (1 + rate)
    return _quantize(converted, currency)


def _split(share: Decimal, rate: Decimal, gross: bool, currency: str) -> tuple[Decimal, Decimal]:
    """(net, gross) of an order-level discount share known in entered prices."""
    if share <= ZERO:
        return ZERO, ZERO
    other = _other_side(share, rate, gross, currency)
    return (other, share) if gross else (share, other)


def to_order_line(line: SaleorOrderLine, currency: str, gross: bool) -> OrderLine:
    """An order line; its order-level discount share is derived from the undiscounted price.

    Saleor does not expose the share directly: in entered prices it is
    (undiscountedUnitPrice - unitDiscount) x quantity - totalPrice, since `unitDiscount` holds only
    line-level discounts and `totalPrice` includes both kinds.
    """
    rate = to_rate(line.taxRate)
    undiscounted = line.undiscountedUnitPrice.gross if gross else line.undiscountedUnitPrice.net
    total = line.totalPrice.gross if gross else line.totalPrice.net
    before_order_discounts = (
        to_decimal(undiscounted.amount, currency) - to_decimal(line.unitDiscount.amount, currency)
    ) * line.quantity
    share_net, share_gross = _split(
        before_order_discounts - to_decimal(total.amount, currency), rate, gross, currency
    )
    return OrderLine(
        id=SaleorId(line.id),
        product_name=line.productName,
        variant_name=line.variantName,
        sku=line.productSku or None,
        quantity=line.quantity,
        unit_price_net=to_decimal(line.unitPrice.net.amount, currency),
        unit_price_gross=to_decimal(line.unitPrice.gross.amount, currency),
        total_net=to_decimal(line.totalPrice.net.amount, currency),
        total_gross=to_decimal(line.totalPrice.gross.amount, currency),
        tax_rate=rate,
        tax_class_id=SaleorId(line.taxClass.id) if line.taxClass else None,
        tax_class_name=line.taxClassName,
        tax_class_metadata=_metadata(line.taxClassMetadata),
        order_discount_net=share_net,
        order_discount_gross=share_gross,
    )


def to_shipping(order: SaleorOrder, currency: str, gross: bool) -> Shipping | None:
    """The shipping charge, or None for an order without a shipping method or price."""
    net = to_decimal(order.shippingPrice.net.amount, currency)
    gross_amount = to_decimal(order.shippingPrice.gross.amount, currency)
    undiscounted = to_decimal(order.undiscountedShippingPrice.amount, currency)
    if order.shippingMethodName is None and net == gross_amount == undiscounted == ZERO:
        return None
    rate = to_rate(order.shippingTaxRate)
    share_net, share_gross = _split(
        undiscounted - (gross_amount if gross else net), rate, gross, currency
    )
    return Shipping(
        name=order.shippingMethodName or "",
        net=net,
        gross=gross_amount,
        tax_rate=rate,
        tax_class_id=SaleorId(order.shippingTaxClass.id) if order.shippingTaxClass else None,
        tax_class_name=order.shippingTaxClassName,
        tax_class_metadata=_metadata(order.shippingTaxClassMetadata),
        order_discount_net=share_net,
        order_discount_gross=share_gross,
    )


def to_gift_card_uses(order: SaleorOrder, currency: str) -> tuple[GiftCardUse, ...]:
    """Amounts taken from each gift card by this order (its USED_IN_ORDER balance changes)."""
    uses: list[GiftCardUse] = []
    for card in order.giftCards:
        used = ZERO
        for event in card.events:
            if event.orderId not in (None, order.id) or event.balance is None:
                continue
            old = event.balance.oldCurrentBalance
            if old is None:
                continue
            used += to_decimal(old.amount, currency) - to_decimal(
                event.balance.currentBalance.amount, currency
            )
        if used > ZERO:
            uses.append(GiftCardUse(last_4=card.last4CodeChars, amount=used))
    return tuple(uses)


def to_order(order: SaleorOrder) -> Order:
    """The domain Order of an `ORDER_QUERY` answer."""
    currency = order.channel.currencyCode
    gross = order.channel.taxConfiguration.pricesEnteredWithTax
    discounts = tuple(
        OrderDiscount(
            kind=discount.type,
            name=discount.name or discount.reason or None,
            code=order.voucherCode if discount.type == "VOUCHER" else None,
            amount=to_decimal(discount.amount.amount, currency),
        )
        for discount in order.discounts
    )
    return Order(
        id=SaleorId(order.id),
        number=order.number,
        status=order.status,
        charge_status=order.chargeStatus,
        channel_slug=order.channel.slug,
        currency=currency,
        prices_entered_with_tax=gross,
        lines=tuple(to_order_line(line, currency, gross) for line in order.lines),
        total_net=to_decimal(order.total.net.amount, currency),
        total_gross=to_decimal(order.total.gross.amount, currency),
        created=order.created,
        updated_at=order.updatedAt,
        shipping=to_shipping(order, currency, gross),
        discounts=discounts,
        voucher_code=order.voucherCode or None,
        gift_cards=to_gift_card_uses(order, currency),
        total_charged=to_decimal(order.totalCharged.amount, currency),
        total_refunded=to_decimal(order.totalRefunded.amount, currency),
        user_email=order.userEmail or None,
        customer_id=SaleorId(order.user.id) if order.user else None,
        billing_address=to_address(order.billingAddress),
        language_code=order.languageCodeEnum,
        tax_exemption=order.taxExemption,
    )


def to_customer(user: SaleorUser) -> Customer:
    """The domain Customer of a `CUSTOMER_QUERY` answer; company and phone from its address."""
    address = to_address(user.defaultBillingAddress)
    return Customer(
        email=user.email,
        first_name=user.firstName,
        last_name=user.lastName,
        company_name=address.company_name if address else "",
        billing_address=address,
        phone=address.phone if address else None,
        language_code=user.languageCode,
        id=SaleorId(user.id),
    )


def to_tax_rates(
    classes: list[SaleorTaxClass], countries: list[SaleorTaxCountryConfiguration]
) -> list[ShopTaxRate]:
    """Every tax class rate per country, then each country's default rate (no tax class)."""
    rates = [
        ShopTaxRate(
            country_code=row.country.code,
            rate=to_percent(row.rate),
            tax_class_id=SaleorId(tax_class.id),
            tax_class_name=tax_class.name,
            tax_class_metadata=_metadata(tax_class.metadata),
        )
        for tax_class in classes
        for row in tax_class.countries
    ]
    rates.extend(
        ShopTaxRate(country_code=config.country.code, rate=to_percent(row.rate))
        for config in countries
        for row in config.taxClassCountryRates
        if row.taxClass is None
    )
    return rates
