"""bexio documents for a Saleor order: positions, header, payments, totals check, refunds.

Decisions (see docs/order-actions.md):
- Amounts are sent as the channel enters them: gross when `pricesEnteredWithTax`, else net
  (`mwst_type` 0, `mwst_is_net` = not prices_entered_with_tax; API.md "Corrections" 6).
- A line's unit price is its Saleor total divided by its quantity (up to 6 decimals, bexio's
  maximum), so bexio's position total equals Saleor's per-line-rounded total.
- Order-level discounts become one KbPositionDiscount (a fixed amount in the document's mode);
  the lines show their prices before that discount. bexio deducts it from the document total and
  splits it over the VAT rates in proportion; any cent difference falls under the tolerance.
- Gift cards are a means of payment: the invoice keeps its full total and each gift card is
  recorded as a payment on the gift-card clearing account (plus a text line for the customer).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, TypeVar

from saleor_bexio_app.errors import ConfigError, ManualActionError, MessageCode, RejectedError
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioArticleId,
    BexioBankAccountId,
    BexioContactId,
    BexioCurrencyId,
    BexioLanguageId,
    BexioPaymentTypeId,
    BexioTaxId,
    BexioUserId,
    SaleorId,
)
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.model import (
    CENT,
    NETWORK_LINK_PLACEHOLDER,
    ZERO,
    DiscountMode,
    Money,
    Order,
    OrderLine,
    OrderStatus,
    RefundHandling,
    RequiredSetting,
    ShopSettings,
    setting_missing_error,
)
from saleor_bexio_app.sync.numbering import plan_document_nr
from saleor_bexio_app.sync.vat import BexioTax, TaxMapping, TaxSubject, resolve_tax

_T = TypeVar("_T")

MICRO = Decimal("0.000001")
# bexio rounds CHF document totals to 5 Rappen (`total_rounding_difference`).
CHF_TOLERANCE = Decimal("0.05")
PER_RATE_TOLERANCE = Decimal("0.01")
# mwst_type 1 computed no VAT at all on live documents (API.md "Corrections" 6).
MWST_TYPE = 0


@dataclass(frozen=True, slots=True)
class ArticlePosition:
    """KbPositionArticle: a line whose SKU is a bexio article's `intern_code`."""

    article_id: BexioArticleId
    text: str
    amount: Decimal
    unit_price: Decimal
    tax_id: BexioTaxId
    account_id: BexioAccountId
    line_id: SaleorId


@dataclass(frozen=True, slots=True)
class CustomPosition:
    """KbPositionCustom: a line without a bexio article, or the shipping charge."""

    text: str
    amount: Decimal
    unit_price: Decimal
    tax_id: BexioTaxId
    account_id: BexioAccountId
    line_id: SaleorId | None = None


@dataclass(frozen=True, slots=True)
class DiscountPosition:
    """KbPositionDiscount: a fixed deduction from the document total, as a positive amount."""

    text: str
    value: Decimal
    is_percentual: bool = False


@dataclass(frozen=True, slots=True)
class TextPosition:
    """KbPositionText: a line of text without an amount."""

    text: str


Position = ArticlePosition | CustomPosition | DiscountPosition | TextPosition


@dataclass(frozen=True, slots=True)
class DocumentHeader:
    """The header fields shared by bexio orders and invoices."""

    contact_id: BexioContactId
    user_id: BexioUserId
    currency_id: BexioCurrencyId
    mwst_is_net: bool
    api_reference: str
    title: str
    is_valid_from: date
    document_nr: str | None = None
    language_id: BexioLanguageId | None = None
    bank_account_id: BexioBankAccountId | None = None
    payment_type_id: BexioPaymentTypeId | None = None
    header: str = ""
    footer: str = ""
    mwst_type: int = MWST_TYPE


@dataclass(frozen=True, slots=True)
class PaymentDraft:
    """A payment to record on an issued bexio invoice."""

    value: Money
    date: date
    bank_account_id: BexioBankAccountId
    note: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """A bexio invoice to create; `gift_card_payments` are recorded right after it is issued."""

    header: DocumentHeader
    positions: tuple[Position, ...]
    expected_total: Money
    gift_card_payments: tuple[PaymentDraft, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderDraft:
    """A bexio order (kb_order) to create, with the same positions as the invoice."""

    header: DocumentHeader
    positions: tuple[Position, ...]
    expected_total: Money


@dataclass(frozen=True, slots=True)
class SendDraft:
    """The e-mail bexio sends with the invoice link."""

    recipient_email: str
    subject: str
    message: str


@dataclass(frozen=True, slots=True)
class TotalsMismatch:
    """bexio's document total differs from Saleor's by more than the rounding tolerance."""

    expected: Money
    actual: Money
    tolerance: Decimal

    @property
    def difference(self) -> Decimal:
        """bexio's total minus Saleor's."""
        return self.actual.amount - self.expected.amount

    @property
    def message(self) -> str:
        """What the merchant reads in the error log."""
        return (
            f"The bexio total {self.actual} differs from the Saleor order total "
            f"{self.expected} by {self.difference.quantize(CENT)} (more than the rounding "
            f"tolerance of {self.tolerance}). Check the VAT mapping and the document in bexio."
        )

    def error(self) -> ConfigError:
        """The error the flow logs: the document exists, the setup (usually VAT) must change."""
        return ConfigError(self.message)


@dataclass(frozen=True, slots=True)
class RefundPlan:
    """What a refund in Saleor means for bexio: nothing, cancel the invoice, or manual work."""

    action: Literal["none", "cancel_invoice", "manual_credit_note"]
    message: str = ""
    amount: Money | None = None
    # For "manual_credit_note": what the dashboard fills into its translated message.
    message_params: Mapping[str, str] = field(default_factory=dict)

    def error(self) -> ManualActionError:
        """The error-log item of a "manual_credit_note" plan: the merchant's work to do."""
        return ManualActionError(
            self.message, code=MessageCode.REFUND_CREDIT_NOTE, params=self.message_params
        )


def send_unconfirmed_error(invoice_nr: str, order_number: str) -> ManualActionError:
    """The merchant's item when an invoice e-mail may or may not have gone out (the answer to
    the send call was lost); the app never sends it a second time."""
    return ManualActionError(
        f"The connection to bexio broke while it was e-mailing invoice {invoice_nr} of order "
        f"{order_number}, so it may or may not have gone out. The app does not send it again, "
        "to be sure the customer does not get it twice: check the invoice's history in bexio "
        "and send it from there if it is missing.",
        code=MessageCode.SEND_UNCONFIRMED,
        params={"invoice": invoice_nr, "order": order_number},
    )


def _fill(template: str, order: Order, document_nr: str | None = None) -> str:
    text = template.replace("{number}", order.number)
    return text.replace("{document_nr}", document_nr or order.number)


def order_skip_reason(order: Order, settings: ShopSettings) -> str | None:
    """Why the order is not synced at all (draft, or older than the sync start), else None."""
    if order.status == OrderStatus.DRAFT:
        return "Draft orders are not synced to bexio."
    if settings.sync_start_date is not None and order.created.date() < settings.sync_start_date:
        return (
            f"The order was created before the sync start date "
            f"{settings.sync_start_date.isoformat()}."
        )
    return None


def line_text(line: OrderLine) -> str:
    """The position text: product and variant joined by a dash, or the product alone."""
    variant = line.variant_name.strip()
    if not variant or variant == line.product_name.strip():
        return line.product_name
    return f"{line.product_name} — {variant}"


def _unit_price(total: Decimal, quantity: int, label: str) -> Decimal:
    count = Decimal(quantity)
    unit = (total / count).quantize(CENT)
    if unit * count == total:
        return unit
    unit = (total / count).quantize(MICRO)
    if (unit * count).quantize(CENT) != total:
        raise RejectedError(
            f"{label}: a total of {total} for {quantity} pieces cannot be written as a bexio "
            "unit price (at most 6 decimals). Split the line into smaller quantities."
        )
    return unit


def _vat_rate_count(order: Order) -> int:
    rates = {line.tax_rate for line in order.lines}
    if order.shipping is not None:
        rates.add(order.shipping.tax_rate)
    return max(len(rates), 1)


def totals_tolerance(order: Order) -> Decimal:
    """Allowed |bexio - Saleor|: the larger of CHF 0.05 (for CHF) and 0.01 per VAT rate."""
    per_rate = PER_RATE_TOLERANCE * _vat_rate_count(order)
    if order.currency.upper() == "CHF":
        return max(CHF_TOLERANCE, per_rate)
    return per_rate


def gift_card_total(order: Order) -> Decimal:
    """What the customer paid with gift cards."""
    return sum((card.amount for card in order.gift_cards), ZERO)


def expected_total(order: Order) -> Money:
    """The invoice total: Saleor's line totals plus shipping, gross (gift cards are payments)."""
    amount = sum((line.total_gross for line in order.lines), ZERO)
    if order.shipping is not None:
        amount += order.shipping.gross
    return Money(amount, order.currency)


def check_totals(bexio_total: Decimal, order: Order) -> TotalsMismatch | None:
    """A mismatch when bexio's total is off Saleor's by more than `totals_tolerance`."""
    expected = expected_total(order)
    tolerance = totals_tolerance(order)
    if abs(bexio_total - expected.amount) <= tolerance:
        return None
    return TotalsMismatch(expected, Money(bexio_total, order.currency), tolerance)


def _check_saleor_total(order: Order) -> None:
    # Saleor's total is lines + shipping, minus gift cards in checkout orders: if neither reading
    # adds up, the invoice would be wrong, so stop before creating it.
    invoiced = expected_total(order).amount
    tolerance = totals_tolerance(order)
    candidates = (invoiced, invoiced - gift_card_total(order))
    if all(abs(order.total_gross - amount) > tolerance for amount in candidates):
        raise RejectedError(
            f"Order {order.number}: its lines and shipping ({Money(invoiced, order.currency)}) "
            f"do not add up to its total ({Money(order.total_gross, order.currency)}), so no "
            "bexio document was made. Check the order's discounts in Saleor."
        )


def _require_setting(value: _T | None, setting: RequiredSetting) -> _T:
    if value is None:
        raise setting_missing_error(setting)
    return value


def _plan_positions(
    order: Order,
    settings: ShopSettings,
    tax_map: TaxMapping,
    bexio_taxes: Sequence[BexioTax],
    articles_by_sku: Mapping[str, BexioArticleId],
) -> tuple[Position, ...]:
    account = _require_setting(settings.revenue_account_id, "revenue_account")
    net = not order.prices_entered_with_tax
    with_discount_position = settings.discount_mode == DiscountMode.POSITION
    positions: list[Position] = []
    discount = ZERO

    for line in order.lines:
        if line.quantity <= 0:
            continue
        text = line_text(line)
        subject = TaxSubject("line", text)
        label = subject.label
        share = ZERO
        if with_discount_position:
            share = line.order_discount_net if net else line.order_discount_gross
        discount += share
        total = (line.total_net if net else line.total_gross) + share
        unit_price = _unit_price(total, line.quantity, label)
        tax_id = resolve_tax(
            line,
            tax_map,
            bexio_taxes,
            tax_exempt=order.tax_exemption,
            subject=subject,
        )
        article = articles_by_sku.get(line.sku) if line.sku else None
        if article is not None:
            positions.append(
                ArticlePosition(
                    article, text, Decimal(line.quantity), unit_price, tax_id, account, line.id
                )
            )
        else:
            if line.sku:
                text = f"{text}\nSKU: {line.sku}"
            positions.append(
                CustomPosition(text, Decimal(line.quantity), unit_price, tax_id, account, line.id)
            )

    shipping = order.shipping
    if shipping is not None:
        share = ZERO
        if with_discount_position:
            share = shipping.order_discount_net if net else shipping.order_discount_gross
        price = (shipping.net if net else shipping.gross) + share
        if price != ZERO:
            discount += share
            text = settings.shipping_text
            if shipping.name:
                text = f"{text}: {shipping.name}"
            tax_id = resolve_tax(
                shipping,
                tax_map,
                bexio_taxes,
                tax_exempt=order.tax_exemption,
                subject=TaxSubject("shipping"),
            )
            positions.append(CustomPosition(text, Decimal(1), price, tax_id, account))

    if not positions:
        raise RejectedError(f"Order {order.number} has no lines to put on a bexio document.")
    if discount > ZERO:
        names = [name for d in order.discounts if (name := d.code or d.name)]
        if not names and order.voucher_code:
            names = [order.voucher_code]
        text = settings.discount_text
        if names:
            text = f"{text}: {', '.join(dict.fromkeys(names))}"
        positions.append(DiscountPosition(text, discount))
    return tuple(positions)


def _header(
    order: Order,
    settings: ShopSettings,
    currencies: Mapping[str, BexioCurrencyId],
    contact_id: BexioContactId,
    document_nr: str | None,
) -> DocumentHeader:
    currency_id = currencies.get(order.currency.upper())
    if currency_id is None:
        raise ConfigError(
            f"The currency {order.currency} of order {order.number} is not set up in bexio. "
            "Add it in bexio (Settings → Currencies)."
        )
    return DocumentHeader(
        contact_id=contact_id,
        user_id=_require_setting(settings.bexio_user_id, "bexio_user"),
        currency_id=currency_id,
        mwst_is_net=not order.prices_entered_with_tax,
        api_reference=order.id,
        title=_fill(settings.invoice_title, order, document_nr),
        is_valid_from=order.created.date(),
        document_nr=document_nr,
        language_id=settings.language_id,
        bank_account_id=settings.bank_account_id,
        payment_type_id=settings.payment_type_id,
        header=_fill(settings.invoice_header, order, document_nr),
        footer=_fill(settings.invoice_footer, order, document_nr),
    )


def _gift_card_payments(order: Order, settings: ShopSettings) -> tuple[PaymentDraft, ...]:
    cards = [card for card in order.gift_cards if card.amount > ZERO]
    if not cards:
        return ()
    account = settings.gift_card_bank_account_id
    if account is None:
        raise ConfigError(
            f"Order {order.number} was paid partly with a gift card. Choose the bexio account "
            "for gift card payments in the app's general settings."
        )
    return tuple(
        PaymentDraft(
            Money(card.amount, order.currency),
            order.created.date(),
            account,
            note=f"gift card •••• {card.last_4}",
        )
        for card in cards
    )


def plan_gift_card_payments(
    order: Order, settings: ShopSettings
) -> tuple[tuple[str, PaymentDraft], ...]:
    """Each gift-card payment of the order with its ledger event (`gift_card_payment:<last4>`).

    The event is what makes booking it idempotent; a second card with the same last four
    characters gets a numbered event.
    """
    cards = [card for card in order.gift_cards if card.amount > ZERO]
    events: list[str] = []
    for card in cards:
        event = f"gift_card_payment:{card.last_4}"
        if event in events:
            event = f"{event}:{sum(e.startswith(event) for e in events) + 1}"
        events.append(event)
    return tuple(zip(events, _gift_card_payments(order, settings), strict=True))


def plan_invoice(
    order: Order,
    settings: ShopSettings,
    tax_map: TaxMapping,
    currencies: Mapping[str, BexioCurrencyId],
    articles_by_sku: Mapping[str, BexioArticleId],
    *,
    contact_id: BexioContactId,
    bexio_taxes: Sequence[BexioTax],
    bexio_automatic_numbering: bool,
) -> InvoiceDraft:
    """The bexio invoice for an order; raises ConfigError or RejectedError before creating it."""
    document_nr = plan_document_nr(order, settings, bexio_automatic_numbering)
    header = _header(order, settings, currencies, contact_id, document_nr)
    positions = _plan_positions(order, settings, tax_map, bexio_taxes, articles_by_sku)
    payments = _gift_card_payments(order, settings)
    _check_saleor_total(order)
    notes = tuple(
        TextPosition(f"Paid with {payment.note}: {payment.value}") for payment in payments
    )
    return InvoiceDraft(header, positions + notes, expected_total(order), payments)


def plan_order(
    order: Order,
    settings: ShopSettings,
    tax_map: TaxMapping,
    currencies: Mapping[str, BexioCurrencyId],
    articles_by_sku: Mapping[str, BexioArticleId],
    *,
    contact_id: BexioContactId,
    bexio_taxes: Sequence[BexioTax],
    bexio_automatic_numbering: bool,
) -> OrderDraft:
    """The bexio order (kb_order) for a Saleor order, with the invoice's positions."""
    document_nr = plan_document_nr(order, settings, bexio_automatic_numbering)
    header = _header(order, settings, currencies, contact_id, document_nr)
    positions = _plan_positions(order, settings, tax_map, bexio_taxes, articles_by_sku)
    _check_saleor_total(order)
    return OrderDraft(header, positions, expected_total(order))


def plan_payment(order: Order, settings: ShopSettings, paid_on: date) -> PaymentDraft | None:
    """The Saleor payment to record on the invoice (gift cards excluded); None if none charged."""
    payable = expected_total(order).amount - gift_card_total(order)
    value = min(order.total_charged, payable)
    if value <= ZERO:
        return None
    account = _require_setting(settings.payment_account_id, "payment_account")
    return PaymentDraft(Money(value, order.currency), paid_on, account, note="Saleor payment")


def plan_send_invoice(
    order: Order, settings: ShopSettings, document_nr: str | None = None
) -> SendDraft:
    """The e-mail that sends the invoice link to the order's e-mail address."""
    recipient = (order.user_email or "").strip()
    if not recipient:
        raise RejectedError(
            f"Order {order.number} has no e-mail address, so bexio cannot send the invoice."
        )
    if NETWORK_LINK_PLACEHOLDER not in settings.email_body:
        raise ConfigError(
            f"The invoice e-mail text must contain {NETWORK_LINK_PLACEHOLDER} (bexio puts the "
            "invoice link there). Edit it in the app's general settings."
        )
    return SendDraft(
        recipient,
        _fill(settings.email_subject, order, document_nr),
        _fill(settings.email_body, order, document_nr),
    )


def plan_refund(
    order: Order,
    settings: ShopSettings,
    *,
    done: frozenset[BexioAction],
    invoice_paid: bool,
    invoice_nr: str | None = None,
) -> RefundPlan:
    """Cancel an unpaid invoice on a full refund (if chosen); else a manual credit-note item."""
    if order.total_refunded <= ZERO or BexioAction.CREATE_INVOICE not in done:
        return RefundPlan("none")
    if BexioAction.CANCEL_INVOICE in done:
        return RefundPlan("none", "The bexio invoice is already cancelled.")
    refunded = Money(order.total_refunded, order.currency)
    full = order.total_charged <= ZERO
    if (
        full
        and not invoice_paid
        and settings.refund_handling == RefundHandling.CANCEL_UNPAID_INVOICE
    ):
        return RefundPlan("cancel_invoice", "The order was fully refunded.", refunded)
    invoice = f"invoice {invoice_nr}" if invoice_nr else "the invoice"
    return RefundPlan(
        "manual_credit_note",
        f"Manual step: order {order.number} was refunded {refunded} in Saleor. Create a credit "
        f"note for {invoice} in bexio (bexio has no credit-note API).",
        refunded,
        {"order": order.number, "amount": str(refunded), "invoice": invoice_nr or ""},
    )
