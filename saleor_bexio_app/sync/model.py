"""Domain values the sync plans with: what Saleor says about a shop, and how the shop is set up.

Amounts are `Decimal` in the order's currency, never float. Ids use `ids.py` NewTypes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Literal

from saleor_bexio_app.errors import ConfigError, MessageCode
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioLanguageId,
    BexioPaymentTypeId,
    BexioUserId,
    SaleorId,
)

if TYPE_CHECKING:
    from saleor_bexio_app.sync.actions import ActionMatrix

ZERO = Decimal("0")
CENT = Decimal("0.01")
# bexio's send-by-e-mail call refuses a message without this placeholder (API.md §c).
NETWORK_LINK_PLACEHOLDER = "[Network Link]"


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in one currency (ISO 4217 code)."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money.amount must be a Decimal, got {type(self.amount).__name__}")

    def __str__(self) -> str:
        return f"{self.currency} {self.amount.quantize(CENT)}"


class OrderStatus(StrEnum):
    """Saleor's `OrderStatus`."""

    DRAFT = "DRAFT"
    UNCONFIRMED = "UNCONFIRMED"
    UNFULFILLED = "UNFULFILLED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"
    CANCELED = "CANCELED"
    EXPIRED = "EXPIRED"


class ChargeStatus(StrEnum):
    """Saleor's `OrderChargeStatusEnum`: how much of the order total has been charged."""

    NONE = "NONE"
    PARTIAL = "PARTIAL"
    FULL = "FULL"
    OVERCHARGED = "OVERCHARGED"


@dataclass(frozen=True, slots=True)
class Address:
    """A Saleor address; street and house number are still one line here (see contacts.py)."""

    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    street_address_1: str = ""
    street_address_2: str = ""
    postal_code: str = ""
    city: str = ""
    country_code: str = ""
    country_area: str = ""
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class Customer:
    """A shop customer, or a guest built from an order's e-mail and billing address."""

    email: str
    first_name: str = ""
    last_name: str = ""
    company_name: str = ""
    billing_address: Address | None = None
    phone: str | None = None
    # Saleor's LanguageCodeEnum value, e.g. "DE_CH".
    language_code: str | None = None
    id: SaleorId | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One order line with Saleor's final prices (line and order-level discounts included).

    `order_discount_net/gross` is this line's share of order-level discounts (entire-order
    vouchers, manual order discounts, order promotions) that Saleor already spread into the
    line's prices; it is zero when there is none or it is unknown.
    """

    id: SaleorId
    product_name: str
    variant_name: str
    sku: str | None
    quantity: int
    unit_price_net: Decimal
    unit_price_gross: Decimal
    total_net: Decimal
    total_gross: Decimal
    # A fraction, as Saleor's OrderLine.taxRate: 0.081 for 8.1 %.
    tax_rate: Decimal
    tax_class_id: SaleorId | None = None
    tax_class_name: str | None = None
    tax_class_metadata: Mapping[str, str] = field(default_factory=dict)
    order_discount_net: Decimal = ZERO
    order_discount_gross: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Shipping:
    """The order's shipping charge with its own VAT (Saleor's shippingPrice and shippingTax*)."""

    name: str
    net: Decimal
    gross: Decimal
    tax_rate: Decimal
    tax_class_id: SaleorId | None = None
    tax_class_name: str | None = None
    tax_class_metadata: Mapping[str, str] = field(default_factory=dict)
    order_discount_net: Decimal = ZERO
    order_discount_gross: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class OrderDiscount:
    """An order-level discount as Saleor lists it in `Order.discounts` (named on the invoice)."""

    kind: str
    name: str | None = None
    code: str | None = None
    amount: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class GiftCardUse:
    """Part of the order paid with a gift card: a means of payment, not a discount."""

    last_4: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Order:
    """A Saleor order as re-read by the worker; amounts are in `currency`."""

    id: SaleorId
    number: str
    status: OrderStatus
    charge_status: ChargeStatus
    channel_slug: str
    currency: str
    prices_entered_with_tax: bool
    lines: tuple[OrderLine, ...]
    total_net: Decimal
    total_gross: Decimal
    created: datetime
    updated_at: datetime
    shipping: Shipping | None = None
    discounts: tuple[OrderDiscount, ...] = ()
    voucher_code: str | None = None
    gift_cards: tuple[GiftCardUse, ...] = ()
    # Saleor's totalCharged / totalRefunded: a refund lowers the charged amount.
    total_charged: Decimal = ZERO
    total_refunded: Decimal = ZERO
    user_email: str | None = None
    customer_id: SaleorId | None = None
    billing_address: Address | None = None
    language_code: str | None = None
    tax_exemption: bool = False


class BackSyncChoice(StrEnum):
    """What happens in Saleor when bexio reports an invoice paid or cancelled."""

    NONE = "none"
    ADD_NOTE = "add_note"
    MARK_AS_PAID = "mark_as_paid"
    CONFIRM = "confirm"
    FULFILL = "fulfill"
    CANCEL_ORDER = "cancel_order"


class RefundHandling(StrEnum):
    """What a refund in Saleor does in bexio (bexio has no credit-note API)."""

    CANCEL_UNPAID_INVOICE = "cancel_unpaid_invoice"
    MANUAL = "manual"


class DiscountMode(StrEnum):
    """How order-level discounts appear on bexio documents."""

    POSITION = "position"
    IN_LINES = "in_lines"


class Severity(StrEnum):
    """Whether a settings problem blocks the sync or only deserves a look."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class SettingsProblem:
    """One thing wrong with a shop's settings, named by the setting it concerns."""

    setting: str
    message: str
    severity: Severity = Severity.ERROR


RequiredSetting = Literal["bexio_user", "revenue_account", "payment_account"]
# The general settings a document needs, in merchant words (the dashboard translates the keys).
_REQUIRED_SETTING_NAMES: dict[RequiredSetting, str] = {
    "bexio_user": "bexio user",
    "revenue_account": "bexio revenue account",
    "payment_account": "bexio bank account for payments",
}


def setting_missing_error(setting: RequiredSetting) -> ConfigError:
    """The error for a general setting the sync needs but the merchant has not set."""
    return ConfigError(
        f"Set the {_REQUIRED_SETTING_NAMES[setting]} in the app's general settings.",
        code=MessageCode.SETTING_MISSING,
        params={"setting": setting},
    )


class LinkKind(StrEnum):
    """Which kind of bexio object a link row points at."""

    CONTACT = "contact"
    ARTICLE = "article"
    ORDER = "order"
    INVOICE = "invoice"
    DELIVERY = "delivery"
    PAYMENT = "payment"


@dataclass(frozen=True, slots=True)
class Link:
    """A Saleor object paired with its bexio object and the fingerprint of what was last sent."""

    kind: LinkKind
    saleor_id: SaleorId
    bexio_id: int
    fingerprint: str | None = None


class FieldMode(StrEnum):
    """Which system is master of a product field, if the app syncs it at all."""

    DISABLED = "disabled"
    BEXIO_MASTER = "bexio_master"
    SHOP_MASTER = "shop_master"


class ProductField(StrEnum):
    """A product field the merchant can sync."""

    TITLE = "title"
    DESCRIPTION = "description"
    WEIGHT = "weight"
    STOCK = "stock"
    PRICE = "price"


@dataclass(frozen=True, slots=True)
class ProductSettings:
    """One shop's product-sync settings: a mode per field plus where price and stock live."""

    title: FieldMode = FieldMode.DISABLED
    description: FieldMode = FieldMode.DISABLED
    weight: FieldMode = FieldMode.DISABLED
    stock: FieldMode = FieldMode.DISABLED
    price: FieldMode = FieldMode.DISABLED
    price_channel_slug: str | None = None
    # bexio companies default to net prices (mwst_is_net, API.md "Corrections" 6).
    bexio_price_is_gross: bool = False
    stock_warehouse_id: SaleorId | None = None
    create_missing_articles: bool = False

    def mode(self, product_field: ProductField) -> FieldMode:
        """The mode of one field."""
        mode: FieldMode = getattr(self, product_field.value)
        return mode

    def fields(self, mode: FieldMode) -> tuple[ProductField, ...]:
        """The fields in `mode`, in `ProductField` order."""
        return tuple(f for f in ProductField if self.mode(f) is mode)


def validate_product_settings(settings: ProductSettings) -> list[SettingsProblem]:
    """Every problem with the product settings, errors first; empty means the sync can run."""
    problems: list[SettingsProblem] = []
    if settings.price is not FieldMode.DISABLED and not (settings.price_channel_slug or "").strip():
        problems.append(
            SettingsProblem(
                "price_channel_slug", "Choose the Saleor channel whose price is synced."
            )
        )
    if settings.stock is not FieldMode.DISABLED and settings.stock_warehouse_id is None:
        problems.append(
            SettingsProblem(
                "stock_warehouse_id", "Choose the Saleor warehouse whose stock is synced."
            )
        )
    if settings.stock is FieldMode.SHOP_MASTER:
        problems.append(
            SettingsProblem(
                "stock",
                "bexio accepts a stock number only until the article's first stock booking "
                "(order, delivery); after that the shop's stock can no longer be written.",
                Severity.WARNING,
            )
        )
    if settings.create_missing_articles and settings.title is not FieldMode.SHOP_MASTER:
        problems.append(
            SettingsProblem(
                "create_missing_articles",
                "The title is not synced from the shop, so new bexio articles are named by "
                "their SKU until you rename them in bexio.",
                Severity.WARNING,
            )
        )
    return sorted(problems, key=lambda p: p.severity != Severity.ERROR)


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """One shop's sync settings; the VAT mapping is kept apart (see vat.TaxMapping)."""

    order_actions: ActionMatrix
    bexio_user_id: BexioUserId | None = None
    # Owner of created contacts; the user when unset.
    bexio_owner_id: BexioUserId | None = None
    bank_account_id: BexioBankAccountId | None = None
    # Where Saleor's payments arrive (e.g. a PSP clearing account); bank_account_id if unset.
    payment_bank_account_id: BexioBankAccountId | None = None
    # A clearing account for redeemed gift cards; needed only by orders paid with gift cards.
    gift_card_bank_account_id: BexioBankAccountId | None = None
    payment_type_id: BexioPaymentTypeId | None = None
    language_id: BexioLanguageId | None = None
    revenue_account_id: BexioAccountId | None = None
    invoice_title: str = "Order {number}"
    invoice_header: str = ""
    invoice_footer: str = ""
    email_subject: str = "Your invoice for order {number}"
    email_body: str = "Thank you for your order {number}. Your invoice: " + NETWORK_LINK_PLACEHOLDER
    shipping_text: str = "Shipping"
    discount_text: str = "Discount"
    discount_mode: DiscountMode = DiscountMode.POSITION
    document_nr_prefix: str = ""
    automatic_numbering: bool = True
    sync_start_date: date | None = None
    pause_threshold: int = 10
    on_invoice_paid: BackSyncChoice = BackSyncChoice.MARK_AS_PAID
    on_invoice_cancelled: BackSyncChoice = BackSyncChoice.ADD_NOTE
    refund_handling: RefundHandling = RefundHandling.CANCEL_UNPAID_INVOICE
    products: ProductSettings = ProductSettings()

    @property
    def owner_id(self) -> BexioUserId | None:
        """The owner of created contacts: the configured owner, else the user."""
        return self.bexio_owner_id if self.bexio_owner_id is not None else self.bexio_user_id

    @property
    def payment_account_id(self) -> BexioBankAccountId | None:
        """The bank account Saleor payments are booked to."""
        if self.payment_bank_account_id is not None:
            return self.payment_bank_account_id
        return self.bank_account_id


def validate_settings(settings: ShopSettings) -> list[SettingsProblem]:
    """Every problem with the settings, errors first; an empty list means the sync can run."""
    problems: list[SettingsProblem] = []
    if settings.bexio_user_id is None:
        problems.append(
            SettingsProblem(
                "bexio_user_id", "Choose the bexio user who owns the contacts and documents."
            )
        )
    if settings.revenue_account_id is None:
        problems.append(
            SettingsProblem(
                "revenue_account_id",
                "Choose the bexio revenue account used for every invoice and order line.",
            )
        )
    if settings.pause_threshold < 1:
        problems.append(
            SettingsProblem(
                "pause_threshold", "The pause threshold must be at least 1 unresolved error."
            )
        )
    problems.extend(settings.order_actions.problems())
    problems.extend(
        SettingsProblem(f"products.{p.setting}", p.message, p.severity)
        for p in validate_product_settings(settings.products)
    )
    problems.extend(_action_setting_problems(settings))
    return sorted(problems, key=lambda p: p.severity != Severity.ERROR)


def _action_setting_problems(settings: ShopSettings) -> list[SettingsProblem]:
    # Local name lookups keep model.py free of a runtime import of actions.py (which imports this).
    ticked = {action.value for action in settings.order_actions.ticked_actions()}
    problems: list[SettingsProblem] = []
    if "send_invoice" in ticked:
        if not settings.email_subject.strip():
            problems.append(
                SettingsProblem("email_subject", "Sending invoices needs an e-mail subject.")
            )
        if NETWORK_LINK_PLACEHOLDER not in settings.email_body:
            problems.append(
                SettingsProblem(
                    "email_body",
                    f"The invoice e-mail text must contain {NETWORK_LINK_PLACEHOLDER}: bexio "
                    "replaces it with the link to the invoice and refuses texts without it.",
                )
            )
    if "record_payment" in ticked and settings.payment_account_id is None:
        problems.append(
            SettingsProblem(
                "payment_bank_account_id",
                "Recording payments needs the bexio bank account the payments arrive on.",
            )
        )
    return problems
