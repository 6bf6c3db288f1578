"""Pydantic models of bexio's JSON, with bexio's own field names (shared/bexio/fields.json).

Responses (`Bexio<Thing>`) ignore fields they don't declare; requests (`Bexio<Thing>In`,
`Bexio<Thing>Update`) forbid unknown fields and send only the fields that were set.
Money and quantities are `Decimal`, never float: `loads` parses JSON numbers from their text,
and `dumps` writes a `Decimal` digit for digit.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum, IntEnum, StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self, get_args

from pydantic import (
    AfterValidator,
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    Tag,
    model_validator,
)

from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioArticleId,
    BexioBankAccountId,
    BexioContactId,
    BexioCountryId,
    BexioCurrencyId,
    BexioDeliveryId,
    BexioInvoiceId,
    BexioLanguageId,
    BexioOrderId,
    BexioPaymentId,
    BexioPaymentTypeId,
    BexioPositionId,
    BexioTaxId,
    BexioUnitId,
    BexioUserId,
)

MAX_DECIMAL_PLACES = 6
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
NETWORK_LINK_PLACEHOLDER = "[Network Link]"
_SIX_PLACES = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_EMPTY_DATES = frozenset({"", "0000-00-00", "0000-00-00 00:00:00"})


# --- JSON text <-> Python, without float -------------------------------------------------------


def loads(content: bytes | str) -> Any:
    """Parse bexio JSON; numbers with a fraction become exact `Decimal`s."""
    return json.loads(content, parse_float=Decimal, parse_constant=_reject_constant)


def dumps(value: object) -> bytes:
    """Serialise a request body; a `Decimal` is written as a JSON number, digit for digit."""
    return _encode(value).encode("ascii")


def _reject_constant(name: str) -> Decimal:
    raise ValueError(f"{name} is not a number bexio sends")


def _encode(value: object) -> str:
    if value is None or isinstance(value, bool | str):
        return json.dumps(value)
    if isinstance(value, Enum):
        return _encode(value.value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, Decimal):
        return _number_text(value)
    if isinstance(value, float):
        raise TypeError("floats are never sent to bexio; use Decimal")
    if isinstance(value, datetime):
        return json.dumps(value.strftime(DATETIME_FORMAT))
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    if isinstance(value, BaseModel):
        return _encode(value.model_dump(mode="python", exclude_unset=True, by_alias=True))
    if isinstance(value, Mapping):
        items = (f"{json.dumps(str(key))}:{_encode(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_encode(item) for item in value) + "]"
    raise TypeError(f"cannot send {type(value).__name__} to bexio")


def _number_text(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("bexio numbers must be finite")
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


# --- field types ---------------------------------------------------------------------------------


def _to_decimal(value: object) -> Decimal:
    if isinstance(value, bool | float):
        raise ValueError("must be a decimal string, int or Decimal (never a float)")
    try:
        if isinstance(value, Decimal | int):
            result = Decimal(value)
        elif isinstance(value, str):
            result = Decimal(value.strip())
        else:
            raise ValueError("must be a decimal number")
    except InvalidOperation:
        raise ValueError("must be a decimal number") from None
    if not result.is_finite():
        raise ValueError("must be a finite decimal number")
    return result


def _at_most_six_places(value: Decimal) -> Decimal:
    # bexio accepts at most 6 decimals on prices and quantities (API.md §b "Numbers").
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        quantized = value.quantize(_SIX_PLACES)
        if quantized != value:
            raise ValueError(f"has more than {MAX_DECIMAL_PLACES} decimal places")
        return quantized
    return value


def _decimal_text(value: Decimal) -> str:
    return format(value, "f")


def _blank_to_none(value: object) -> object:
    if isinstance(value, str) and value.strip() in _EMPTY_DATES:
        return None
    return value


def _search_text(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError("a search value is text or a number")
    if isinstance(value, datetime):
        return value.strftime(DATETIME_FORMAT)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, int):
        return str(value)
    return value


WireDecimal = Annotated[
    Decimal, BeforeValidator(_to_decimal), PlainSerializer(_decimal_text, return_type=str)
]
"""A decimal bexio sent, as a string ("100.000000") or a number (0.05)."""

MaybeDecimal = Annotated[WireDecimal | None, BeforeValidator(_blank_to_none)]
MaybeDate = Annotated[date | None, BeforeValidator(_blank_to_none)]
MaybeDateTime = Annotated[datetime | None, BeforeValidator(_blank_to_none)]

DecimalText = Annotated[
    Decimal,
    BeforeValidator(_to_decimal),
    AfterValidator(_at_most_six_places),
    PlainSerializer(_decimal_text, return_type=str),
]
"""A decimal bexio expects as a string ("decimal-string" in fields.json), e.g. unit_price."""

DecimalNumber = Annotated[
    Decimal, BeforeValidator(_to_decimal), AfterValidator(_at_most_six_places)
]
"""A decimal bexio expects as a JSON number (type "number" in fields.json); see `dumps`."""

SearchValue = Annotated[str, BeforeValidator(_search_text), Field(max_length=255)]


# --- enums ---------------------------------------------------------------------------------------


class _OpenIntEnum(IntEnum):
    """An id enum that still parses ids bexio adds later, as pseudo-members UNKNOWN_<id>."""

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, int) and not isinstance(value, bool):
            member = int.__new__(cls, value)
            member._name_ = f"UNKNOWN_{value}"
            member._value_ = value
            return member
        return None


class BexioInvoiceStatus(_OpenIntEnum):
    """`kb_item_status_id` of an invoice (API.md "Corrections" 5)."""

    DRAFT = 7
    PENDING = 8
    PAID = 9
    PARTIAL = 16
    CANCELLED = 19
    UNPAID = 31


class BexioOrderStatus(_OpenIntEnum):
    """`kb_item_status_id` of an order."""

    PENDING = 5
    DONE = 6
    PARTIAL = 15
    CANCELLED = 21


class BexioDeliveryStatus(_OpenIntEnum):
    """`kb_item_status_id` of a delivery."""

    DRAFT = 10
    DONE = 18
    CANCELLED = 20


class BexioMwstType(_OpenIntEnum):
    """`mwst_type` of a document; live, 1 computed no VAT at all (API.md "Corrections" 6)."""

    INCLUDING_TAXES = 0
    EXCLUDING_TAXES = 1
    EXEMPT = 2


class BexioContactType(_OpenIntEnum):
    """`contact_type_id`."""

    COMPANY = 1
    PERSON = 2


class BexioArticleType(_OpenIntEnum):
    """`article_type_id`."""

    PHYSICAL = 1
    SERVICE = 2


class BexioAccountType(_OpenIntEnum):
    """`account_type` of a ledger account."""

    EARNINGS = 1
    EXPENDITURES = 2
    ACTIVE = 3
    PASSIVE = 4
    COMPLETE = 5


class BexioDeliveryAddressType(_OpenIntEnum):
    """`delivery_address_type` of an order."""

    INVOICE_ADDRESS = 0
    CUSTOM = 1


class BexioSearchCriteria(StrEnum):
    """`criteria` of a 2.0 search condition (spec enum v2SearchCriteria)."""

    EQUAL = "="
    NOT_EQUAL = "!="
    GREATER = ">"
    GREATER_EQUAL = ">="
    LESS = "<"
    LESS_EQUAL = "<="
    LIKE = "like"
    NOT_LIKE = "not_like"
    IS_NULL = "is_null"
    NOT_NULL = "not_null"
    IN = "in"
    NOT_IN = "not_in"


PositionType = Literal[
    "KbPositionCustom",
    "KbPositionArticle",
    "KbPositionText",
    "KbPositionSubtotal",
    "KbPositionPagebreak",
    "KbPositionDiscount",
    "KbPositionSubposition",
]


# --- bases ---------------------------------------------------------------------------------------


class _Response(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Sent even when left at their default (e.g. a position's `type`).
    _always_sent: ClassVar[frozenset[str]] = frozenset()

    def model_post_init(self, context: Any, /) -> None:
        self.__pydantic_fields_set__.update(self._always_sent)

    def to_wire(self) -> dict[str, Any]:
        """The request body: only the fields that were set, decimals as bexio wants them."""
        return self.model_dump(mode="python", exclude_unset=True, by_alias=True)


class BexioActionResult(_Response):
    """The answer of an action endpoint (issue, cancel, mark_as_sent, send …)."""

    success: bool


class BexioSearch(_Request):
    """One condition of a 2.0 search body: `{"field": …, "value": …, "criteria": …}`."""

    _always_sent = frozenset({"field", "value", "criteria"})

    field: str = Field(max_length=255)
    value: SearchValue
    criteria: BexioSearchCriteria = BexioSearchCriteria.EQUAL


# --- contacts ------------------------------------------------------------------------------------


class BexioContact(_Response):
    """A contact (`/2.0/contact`)."""

    id: BexioContactId
    nr: str | None = None
    contact_type_id: BexioContactType
    name_1: str
    name_2: str | None = None
    salutation_id: int | None = None
    salutation_form: int | None = None
    title_id: int | None = None
    birthday: MaybeDate = None
    address: str | None = None
    street_name: str | None = None
    house_number: str | None = None
    address_addition: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_id: BexioCountryId | None = None
    mail: str | None = None
    mail_second: str | None = None
    phone_fixed: str | None = None
    phone_fixed_second: str | None = None
    phone_mobile: str | None = None
    fax: str | None = None
    url: str | None = None
    skype_name: str | None = None
    remarks: str | None = None
    language_id: BexioLanguageId | None = None
    is_lead: bool = False
    contact_group_ids: str | None = None
    contact_branch_ids: str | None = None
    user_id: BexioUserId | None = None
    owner_id: BexioUserId | None = None
    updated_at: MaybeDateTime = None


class BexioContactIn(_Request):
    """Body of create and edit contact; bexio requires the type, name and both users on edit too."""

    contact_type_id: BexioContactType
    name_1: str
    user_id: BexioUserId
    owner_id: BexioUserId
    nr: str | None = None
    name_2: str | None = None
    salutation_id: int | None = None
    salutation_form: int | None = None
    title_id: int | None = None
    birthday: date | None = None
    # `address` is no longer accepted on write (API.md "Corrections" 12).
    street_name: str | None = None
    house_number: str | None = None
    address_addition: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_id: BexioCountryId | None = None
    mail: str | None = None
    mail_second: str | None = None
    phone_fixed: str | None = None
    phone_fixed_second: str | None = None
    phone_mobile: str | None = None
    fax: str | None = None
    url: str | None = None
    skype_name: str | None = None
    remarks: str | None = None
    language_id: BexioLanguageId | None = None
    contact_group_ids: str | None = None
    contact_branch_ids: str | None = None

    @model_validator(mode="after")
    def _street_before_number(self) -> Self:
        if (self.house_number or self.address_addition) and not self.street_name:
            raise ValueError("house_number and address_addition need street_name")
        return self


# --- articles ------------------------------------------------------------------------------------


class BexioArticle(_Response):
    """An item/product (`/2.0/article`); `intern_code` is the SKU."""

    id: BexioArticleId
    user_id: BexioUserId | None = None
    article_type_id: BexioArticleType | None = None
    contact_id: BexioContactId | None = None
    deliverer_code: str | None = None
    deliverer_name: str | None = None
    deliverer_description: str | None = None
    intern_code: str
    intern_name: str
    intern_description: str | None = None
    purchase_price: MaybeDecimal = None
    sale_price: MaybeDecimal = None
    purchase_total: MaybeDecimal = None
    sale_total: MaybeDecimal = None
    currency_id: BexioCurrencyId | None = None
    tax_income_id: BexioTaxId | None = None
    tax_id: BexioTaxId | None = None
    tax_expense_id: BexioTaxId | None = None
    unit_id: BexioUnitId | None = None
    is_stock: bool = False
    stock_id: int | None = None
    stock_place_id: int | None = None
    # Create/edit answers send the stock counters as strings, GET as integers (Corrections 9).
    stock_nr: int | None = None
    stock_min_nr: int | None = None
    stock_reserved_nr: int | None = None
    stock_available_nr: int | None = None
    stock_picked_nr: int | None = None
    stock_disposed_nr: int | None = None
    stock_ordered_nr: int | None = None
    width: int | None = None
    height: int | None = None
    weight: int | None = None
    volume: int | None = None
    html_text: str | None = None
    remarks: str | None = None
    delivery_price: MaybeDecimal = None
    article_group_id: int | None = None
    account_id: BexioAccountId | None = None
    expense_account_id: BexioAccountId | None = None


class BexioArticleUpdate(_Request):
    """Body of edit article: only the fields set are sent (`article_type_id` is read-only)."""

    intern_code: str | None = None
    intern_name: str | None = None
    intern_description: str | None = None
    user_id: BexioUserId | None = None
    contact_id: BexioContactId | None = None
    deliverer_code: str | None = None
    deliverer_name: str | None = None
    deliverer_description: str | None = None
    purchase_price: DecimalText | None = None
    sale_price: DecimalText | None = None
    purchase_total: DecimalNumber | None = None
    sale_total: DecimalNumber | None = None
    delivery_price: DecimalNumber | None = None
    currency_id: BexioCurrencyId | None = None
    tax_income_id: BexioTaxId | None = None
    tax_expense_id: BexioTaxId | None = None
    unit_id: BexioUnitId | None = None
    is_stock: bool | None = None
    stock_id: int | None = None
    stock_place_id: int | None = None
    stock_nr: int | None = None
    stock_min_nr: int | None = None
    width: int | None = None
    height: int | None = None
    weight: int | None = None
    volume: int | None = None
    remarks: str | None = None
    article_group_id: int | None = None
    account_id: BexioAccountId | None = None
    expense_account_id: BexioAccountId | None = None


class BexioArticleIn(BexioArticleUpdate):
    """Body of create article; SKU and name are required by the app, not by bexio's spec."""

    intern_code: str
    intern_name: str
    article_type_id: BexioArticleType | None = None


# --- positions -----------------------------------------------------------------------------------


class BexioTaxAmount(_Response):
    """One entry of a document's `taxs` list."""

    percentage: MaybeDecimal = None
    value: MaybeDecimal = None


class _PositionBase(_Response):
    id: BexioPositionId | None = None
    internal_pos: int | None = None
    parent_id: BexioPositionId | None = None
    is_optional: bool = False


class BexioPositionCustom(_PositionBase):
    """A free-text line with quantity and price (also used for shipping)."""

    type: Literal["KbPositionCustom"] = "KbPositionCustom"
    amount: MaybeDecimal = None
    # Server-computed; null in create answers (API.md "Corrections" 7).
    amount_reserved: MaybeDecimal = None
    amount_open: MaybeDecimal = None
    amount_completed: MaybeDecimal = None
    unit_id: BexioUnitId | None = None
    unit_name: str | None = None
    account_id: BexioAccountId | None = None
    tax_id: BexioTaxId | None = None
    tax_value: MaybeDecimal = None
    text: str | None = None
    unit_price: MaybeDecimal = None
    discount_in_percent: MaybeDecimal = None
    position_total: MaybeDecimal = None
    pos: str | None = None


class BexioPositionArticle(BexioPositionCustom):
    """A line for a bexio article (tracks stock on orders and deliveries)."""

    type: Literal["KbPositionArticle"] = "KbPositionArticle"  # type: ignore[assignment]
    article_id: BexioArticleId | None = None


class BexioPositionText(_PositionBase):
    """A text-only line."""

    type: Literal["KbPositionText"] = "KbPositionText"
    text: str | None = None
    show_pos_nr: bool | None = None
    pos: str | None = None


class BexioPositionSubtotal(_PositionBase):
    """A subtotal line."""

    type: Literal["KbPositionSubtotal"] = "KbPositionSubtotal"
    text: str | None = None
    value: MaybeDecimal = None


class BexioPositionDiscount(_PositionBase):
    """A discount on the document total."""

    type: Literal["KbPositionDiscount"] = "KbPositionDiscount"
    text: str | None = None
    is_percentual: bool | None = None
    value: MaybeDecimal = None
    discount_total: MaybeDecimal = None


class BexioPositionPagebreak(_PositionBase):
    """A page break."""

    type: Literal["KbPositionPagebreak"] = "KbPositionPagebreak"


class BexioPositionSubposition(_PositionBase):
    """A group of lines; children point to it with `parent_id`."""

    type: Literal["KbPositionSubposition"] = "KbPositionSubposition"
    text: str | None = None
    pos: str | None = None
    show_pos_nr: bool | None = None
    show_pos_prices: bool | None = None
    total_sum: MaybeDecimal = None


class BexioPositionOther(_PositionBase):
    """A position type this app does not know yet."""

    type: str


_POSITION_TYPES = frozenset(get_args(PositionType))


def _position_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if isinstance(kind, str) and kind in _POSITION_TYPES else "other"


BexioPosition = Annotated[
    Annotated[BexioPositionCustom, Tag("KbPositionCustom")]
    | Annotated[BexioPositionArticle, Tag("KbPositionArticle")]
    | Annotated[BexioPositionText, Tag("KbPositionText")]
    | Annotated[BexioPositionSubtotal, Tag("KbPositionSubtotal")]
    | Annotated[BexioPositionDiscount, Tag("KbPositionDiscount")]
    | Annotated[BexioPositionPagebreak, Tag("KbPositionPagebreak")]
    | Annotated[BexioPositionSubposition, Tag("KbPositionSubposition")]
    | Annotated[BexioPositionOther, Tag("other")],
    Discriminator(_position_tag),
]


class _PositionIn(_Request):
    _always_sent = frozenset({"type"})


class BexioPositionCustomIn(_PositionIn):
    """A free-text line (shipping, fees, products without a bexio article)."""

    type: Literal["KbPositionCustom"] = "KbPositionCustom"
    amount: DecimalText
    unit_price: DecimalText
    text: str | None = None
    unit_id: BexioUnitId | None = None
    account_id: BexioAccountId | None = None
    tax_id: BexioTaxId | None = None
    discount_in_percent: DecimalText | None = None
    is_optional: bool | None = None
    parent_id: BexioPositionId | None = None


class BexioPositionArticleIn(_PositionIn):
    """A line for a bexio article."""

    type: Literal["KbPositionArticle"] = "KbPositionArticle"
    article_id: BexioArticleId
    amount: DecimalText
    unit_price: DecimalText
    text: str | None = None
    unit_id: BexioUnitId | None = None
    account_id: BexioAccountId | None = None
    tax_id: BexioTaxId | None = None
    discount_in_percent: DecimalText | None = None
    is_optional: bool | None = None
    parent_id: BexioPositionId | None = None


class BexioPositionTextIn(_PositionIn):
    """A text-only line."""

    type: Literal["KbPositionText"] = "KbPositionText"
    text: str
    show_pos_nr: bool | None = None
    parent_id: BexioPositionId | None = None


class BexioPositionSubtotalIn(_PositionIn):
    """A subtotal line; bexio rejects it without a text."""

    type: Literal["KbPositionSubtotal"] = "KbPositionSubtotal"
    text: str = Field(min_length=1)


class BexioPositionDiscountIn(_PositionIn):
    """A discount on the document total, as a positive magnitude."""

    type: Literal["KbPositionDiscount"] = "KbPositionDiscount"
    text: str
    is_percentual: bool
    value: DecimalText


class BexioPositionPagebreakIn(_PositionIn):
    """A page break."""

    _always_sent = frozenset({"type", "pagebreak"})

    type: Literal["KbPositionPagebreak"] = "KbPositionPagebreak"
    pagebreak: bool = True


BexioPositionIn = Annotated[
    BexioPositionCustomIn
    | BexioPositionArticleIn
    | BexioPositionTextIn
    | BexioPositionSubtotalIn
    | BexioPositionDiscountIn
    | BexioPositionPagebreakIn,
    Field(discriminator="type"),
]


class BexioPositionRef(_Request):
    """A position of the source document to copy into an invoice or delivery, with a quantity."""

    _always_sent = frozenset({"id", "type"})

    id: BexioPositionId
    type: PositionType
    # The spec types this amount as an integer, unlike every other quantity.
    amount: DecimalNumber | None = None


# --- documents -----------------------------------------------------------------------------------


class _Document(_Response):
    document_nr: str | None = None
    title: str | None = None
    contact_id: BexioContactId | None = None
    contact_sub_id: BexioContactId | None = None
    user_id: BexioUserId | None = None
    project_id: int | None = None
    logopaper_id: int | None = None
    language_id: BexioLanguageId | None = None
    bank_account_id: BexioBankAccountId | None = None
    currency_id: BexioCurrencyId | None = None
    payment_type_id: BexioPaymentTypeId | None = None
    header: str | None = None
    footer: str | None = None
    # Create answers say "100", GET says "100.000000" (API.md "Corrections" 7).
    total_gross: MaybeDecimal = None
    total_net: MaybeDecimal = None
    total_taxes: MaybeDecimal = None
    total: MaybeDecimal = None
    total_rounding_difference: MaybeDecimal = None
    mwst_type: BexioMwstType | None = None
    mwst_is_net: bool | None = None
    show_position_taxes: bool | None = None
    is_valid_from: MaybeDate = None
    contact_address: str | None = None
    api_reference: str | None = None
    viewed_by_client_at: MaybeDateTime = None
    updated_at: MaybeDateTime = None
    template_slug: str | None = None
    taxs: list[BexioTaxAmount] = []
    # List and search answers carry no positions.
    positions: list[BexioPosition] = []
    network_link: str | None = None


class BexioOrder(_Document):
    """An order (`/2.0/kb_order`)."""

    id: BexioOrderId
    kb_item_status_id: BexioOrderStatus
    delivery_address_type: BexioDeliveryAddressType | None = None
    delivery_address: str | None = None
    is_recurring: bool | None = None


class BexioInvoice(_Document):
    """An invoice (`/2.0/kb_invoice`)."""

    id: BexioInvoiceId
    kb_item_status_id: BexioInvoiceStatus
    is_valid_to: MaybeDate = None
    reference: str | None = None
    total_received_payments: MaybeDecimal = None
    total_credit_vouchers: MaybeDecimal = None
    total_remaining_payments: MaybeDecimal = None
    esr_id: int | None = None
    qr_invoice_id: int | None = None


class BexioDelivery(_Document):
    """A delivery (`/2.0/kb_delivery`); only created from an order."""

    id: BexioDeliveryId
    kb_item_status_id: BexioDeliveryStatus
    delivery_address_type: BexioDeliveryAddressType | None = None
    delivery_address: str | None = None


class _DocumentUpdate(_Request):
    title: str | None = None
    contact_id: BexioContactId | None = None
    contact_sub_id: BexioContactId | None = None
    user_id: BexioUserId | None = None
    pr_project_id: int | None = None
    logopaper_id: int | None = None
    language_id: BexioLanguageId | None = None
    bank_account_id: BexioBankAccountId | None = None
    currency_id: BexioCurrencyId | None = None
    payment_type_id: BexioPaymentTypeId | None = None
    header: str | None = None
    footer: str | None = None
    mwst_type: BexioMwstType | None = None
    mwst_is_net: bool | None = None
    show_position_taxes: bool | None = None
    is_valid_from: date | None = None
    contact_address_manual: str | None = None
    api_reference: str | None = None
    template_slug: str | None = None
    # Leave unset when bexio numbers documents automatically (API.md §e).
    document_nr: str | None = None


class BexioInvoiceUpdate(_DocumentUpdate):
    """Body of edit invoice: only the fields set are sent; positions can't be edited here."""

    is_valid_to: date | None = None
    reference: str | None = None


class BexioInvoiceIn(BexioInvoiceUpdate):
    """Body of create invoice, positions included (bexio recommends at most 150)."""

    contact_id: BexioContactId
    user_id: BexioUserId
    positions: list[BexioPositionIn] = []


class BexioOrderIn(_DocumentUpdate):
    """Body of create order, positions included."""

    contact_id: BexioContactId
    user_id: BexioUserId
    delivery_address_type: BexioDeliveryAddressType | None = None
    delivery_address_manual: str | None = None
    positions: list[BexioPositionIn] = []


class BexioInvoiceSendIn(_Request):
    """Body of send invoice by e-mail; the message must contain "[Network Link]" (API.md §c)."""

    recipient_email: str
    subject: str
    message: str
    mark_as_open: bool | None = None
    attach_pdf: bool | None = None

    @model_validator(mode="after")
    def _has_network_link(self) -> Self:
        if NETWORK_LINK_PLACEHOLDER not in self.message:
            raise ValueError(f"message must contain {NETWORK_LINK_PLACEHOLDER}")
        return self


# --- payments ------------------------------------------------------------------------------------


class BexioPayment(_Response):
    """A payment on an invoice."""

    id: BexioPaymentId
    date: MaybeDate = None
    value: WireDecimal
    bank_account_id: BexioBankAccountId | None = None
    # The spec types `title` as integer; live it is text such as "Zahlungseingang".
    title: str | None = None
    payment_service_id: int | None = None
    is_client_account_redemption: bool | None = None
    is_cash_discount: bool | None = None
    kb_invoice_id: BexioInvoiceId | None = None
    kb_credit_voucher_id: int | None = None
    kb_credit_voucher_text: str | None = None
    kb_bill_id: int | None = None


class BexioPaymentIn(_Request):
    """Body of create payment; the invoice must be issued first."""

    value: DecimalText
    date: MaybeDate = None
    bank_account_id: BexioBankAccountId | None = None
    payment_service_id: int | None = None


# --- master data ---------------------------------------------------------------------------------


class BexioTax(_Response):
    """A tax (`/3.0/taxes`); positions accept only active `sales_tax` ones."""

    id: BexioTaxId
    uuid: str | None = None
    name: str
    code: str | None = None
    digit: str | None = None
    type: str
    account_id: BexioAccountId | None = None
    tax_settlement_type: str | None = None
    value: WireDecimal
    net_tax_value: MaybeDecimal = None
    start_year: int | None = None
    start_month: int | None = None
    end_year: int | None = None
    end_month: int | None = None
    is_active: bool
    display_name: str | None = None


class BexioAccount(_Response):
    """A ledger account (`/2.0/accounts`); revenue accounts have `account_type` 1."""

    id: BexioAccountId
    uuid: str | None = None
    account_no: str
    name: str
    account_type: BexioAccountType
    tax_id: BexioTaxId | None = None
    fibu_account_group_id: int | None = None
    is_active: bool
    is_locked: bool = False


class BexioCurrency(_Response):
    """A currency (`/3.0/currencies`); `name` is the ISO code."""

    id: BexioCurrencyId
    name: str
    round_factor: MaybeDecimal = None


class BexioCountry(_Response):
    """A country (`/2.0/country`); `name_short` is bexio's code, not always ISO."""

    id: BexioCountryId
    name: str
    name_short: str | None = None
    # Live answers say iso_3166_alpha2, the spec iso3166_alpha2 (API.md "Corrections" 2).
    iso_3166_alpha2: str | None = Field(
        default=None, validation_alias=AliasChoices("iso_3166_alpha2", "iso3166_alpha2")
    )


class BexioLanguage(_Response):
    """A language (`/2.0/language`)."""

    id: BexioLanguageId
    name: str
    iso_639_1: str | None = None
    decimal_point: str | None = None
    thousands_separator: str | None = None
    date_format_id: int | None = None
    date_format: str | None = None


class BexioUnit(_Response):
    """A unit (`/2.0/unit`), e.g. "Stk"."""

    id: BexioUnitId
    name: str


class BexioPaymentType(_Response):
    """A payment type (`/2.0/payment_type`)."""

    id: BexioPaymentTypeId
    name: str


class BexioBankAccount(_Response):
    """A bank account (`/3.0/banking/accounts`), used on invoices and payments."""

    id: BexioBankAccountId
    uuid: str | None = None
    name: str
    owner: str | None = None
    owner_address: str | None = None
    owner_house_number: str | None = None
    owner_zip: str | None = None
    owner_city: str | None = None
    owner_country_code: str | None = None
    bc_nr: str | None = None
    bank_name: str | None = None
    bank_nr: str | None = None
    bank_account_nr: str | None = None
    iban_nr: str | None = None
    qr_invoice_iban: str | None = None
    currency_id: BexioCurrencyId | None = None
    account_id: BexioAccountId | None = None
    remarks: str | None = None
    is_esr: bool | None = None
    invoice_mode: str | None = None
    type: str | None = None


class BexioUser(_Response):
    """A bexio user (`/3.0/users`); the admin flags come only with admin rights."""

    id: BexioUserId
    salutation_type: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    email: str | None = None
    is_superadmin: bool | None = None
    is_accountant: bool | None = None


class BexioCompanyProfile(_Response):
    """The company's profile (`/2.0/company_profile`); the logo is not read."""

    id: int
    name: str
    address: str | None = None
    address_nr: str | None = None
    postcode: str | None = None
    city: str | None = None
    country_id: BexioCountryId | None = None
    country_name: str | None = None
    legal_form: str | None = None
    mail: str | None = None
    phone_fixed: str | None = None
    phone_mobile: str | None = None
    fax: str | None = None
    url: str | None = None
    mwst_nr: str | None = None
    ust_id_nr: str | None = None
    trade_register_nr: str | None = None
    has_own_logo: bool | None = None


class BexioItemSetting(_Response):
    """Document settings of one document class (`/2.0/kb_item_setting`), incl. numbering."""

    id: int
    text: str | None = None
    kb_item_class: str
    enumeration_format: str | None = None
    use_automatic_enumeration: bool
    use_yearly_enumeration: bool | None = None
    # Not a live counter (API.md "Corrections" 8).
    next_nr: int | None = None
    nr_min_length: int | None = None
    default_time_period_in_days: int | None = None
    default_logopaper_id: int | None = None
    default_language_id: BexioLanguageId | None = None
    default_client_bank_account_new_id: BexioBankAccountId | None = None
    default_currency_id: BexioCurrencyId | None = None
    default_mwst_type: BexioMwstType | None = None
    default_mwst_is_net: bool | None = None
    default_nb_decimals_amount: int | None = None
    default_nb_decimals_price: int | None = None
    default_show_position_taxes: bool | None = None
    default_title: str | None = None
    default_show_esr_on_same_page: bool | None = None
    default_payment_type_id: BexioPaymentTypeId | None = None
    kb_terms_of_payment_template_id: int | None = None
    default_show_total: bool | None = None
