"""bexio documents for orders: positions and totals for net and gross channels."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from saleor_bexio_app.errors import ConfigError, RejectedError
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioArticleId,
    BexioBankAccountId,
    BexioContactId,
    BexioCurrencyId,
    BexioTaxId,
    SaleorId,
)
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.model import (
    ChargeStatus,
    DiscountMode,
    GiftCardUse,
    Money,
    Order,
    OrderDiscount,
    OrderLine,
    OrderStatus,
    RefundHandling,
)
from saleor_bexio_app.sync.orders import (
    ArticlePosition,
    CustomPosition,
    DiscountPosition,
    InvoiceDraft,
    OrderDraft,
    PaymentDraft,
    Position,
    TextPosition,
    TotalsMismatch,
    check_totals,
    expected_total,
    line_text,
    order_skip_reason,
    plan_invoice,
    plan_order,
    plan_payment,
    plan_refund,
    plan_send_invoice,
    totals_tolerance,
)
from tests.builders import (
    U00,
    UN81,
    UR26,
    bexio_taxes,
    d,
    make_line,
    make_order,
    make_settings,
    make_shipping,
    make_tax_mapping,
)

CHF = BexioCurrencyId(1)
EUR = BexioCurrencyId(2)
CURRENCIES = {"CHF": CHF, "EUR": EUR}
CONTACT = BexioContactId(501)
ACCOUNT = BexioAccountId(3200)
GIFT_CARD_ACCOUNT = BexioBankAccountId(7)


def invoice(order: Order, *, automatic: bool = True, **kwargs: Any) -> InvoiceDraft:
    settings = kwargs.pop("settings", make_settings())
    return plan_invoice(
        order,
        settings,
        kwargs.pop("tax_map", make_tax_mapping()),
        kwargs.pop("currencies", CURRENCIES),
        kwargs.pop("articles", {}),
        contact_id=CONTACT,
        bexio_taxes=bexio_taxes(),
        bexio_automatic_numbering=automatic,
    )


def custom(
    text: str, amount: str, unit_price: str, tax: BexioTaxId = UN81, line: str | None = None
) -> CustomPosition:
    return CustomPosition(
        text,
        d(amount),
        d(unit_price),
        tax,
        ACCOUNT,
        SaleorId(line) if line else None,
    )


def line_id(n: int) -> SaleorId:
    return SaleorId(f"line-{n}")


SHIRT = "T-Shirt — M\nSKU: TS-M"
TEA = "Tea — 100 g\nSKU: TEA-100"


def tea(**kwargs: Any) -> OrderLine:
    defaults: dict[str, Any] = {
        "id": line_id(2),
        "product_name": "Tea",
        "variant_name": "100 g",
        "sku": "TEA-100",
        "tax_rate": "0.026",
        "tax_class_name": "Reduced",
        "tax_class_id": None,
    }
    return make_line(**{**defaults, **kwargs})


def shirt(**kwargs: Any) -> OrderLine:
    return make_line(**{"id": line_id(1), **kwargs})


@pytest.mark.parametrize(
    ("order", "positions", "total"),
    [
        pytest.param(
            make_order([shirt(unit_price="49.90", quantity=2)]),
            [custom(SHIRT, "2", "49.90", line="line-1")],
            "99.80",
            id="gross-one-line",
        ),
        pytest.param(
            make_order(
                [shirt(unit_price="46.16", quantity=2, gross=False)],
                prices_entered_with_tax=False,
            ),
            [custom(SHIRT, "2", "46.16", line="line-1")],
            "99.80",
            id="net-one-line",
        ),
        pytest.param(
            make_order([shirt(unit_price="49.90"), tea(unit_price="12.50", quantity=4)]),
            [custom(SHIRT, "1", "49.90", line="line-1"), custom(TEA, "4", "12.50", UR26, "line-2")],
            "99.90",
            id="two-vat-rates",
        ),
        pytest.param(
            make_order([tea(unit_price="12.50")], shipping=make_shipping(price="7.00")),
            [
                custom(TEA, "1", "12.50", UR26, "line-2"),
                custom("Shipping: Post Economy", "1", "7.00", UN81),
            ],
            "19.50",
            id="gross-shipping-own-vat",
        ),
        pytest.param(
            make_order(
                [tea(unit_price="10.00", gross=False)],
                shipping=make_shipping(price="6.48", gross=False),
                prices_entered_with_tax=False,
            ),
            [
                custom(TEA, "1", "10.00", UR26, "line-2"),
                custom("Shipping: Post Economy", "1", "6.48", UN81),
            ],
            "17.26",
            id="net-shipping-own-vat",
        ),
        pytest.param(
            make_order([shirt()], shipping=make_shipping(price="0.00")),
            [custom(SHIRT, "1", "100.00", line="line-1")],
            "100.00",
            id="free-shipping-has-no-position",
        ),
        pytest.param(
            make_order([shirt(unit_price="3.35", quantity=3, total_gross=d("10.00"))]),
            [custom(SHIRT, "3", "3.333333", line="line-1")],
            "10.00",
            id="unit-price-with-6-decimals-keeps-saleor-line-total",
        ),
        pytest.param(
            make_order([shirt(quantity=0), tea(unit_price="5.00")]),
            [custom(TEA, "1", "5.00", UR26, "line-2")],
            "5.00",
            id="empty-line-skipped",
        ),
    ],
)
def test_invoice_positions_and_total(order: Order, positions: list[Position], total: str) -> None:
    draft = invoice(order)

    assert list(draft.positions) == positions
    assert draft.expected_total == Money(d(total), "CHF")
    assert draft.gift_card_payments == ()


@pytest.mark.parametrize(("prices_entered_with_tax", "mwst_is_net"), [(True, False), (False, True)])
def test_header_follows_settings_and_vat_mode_follows_the_channel(
    prices_entered_with_tax: bool, mwst_is_net: bool
) -> None:
    settings = make_settings(
        invoice_title="Webshop order {number}",
        invoice_header="Thank you for order {number}.",
        invoice_footer="Payable within 30 days.",
    )
    order = make_order(
        [shirt(gross=prices_entered_with_tax)], prices_entered_with_tax=prices_entered_with_tax
    )

    header = invoice(order, settings=settings).header

    assert header.contact_id == CONTACT
    assert (header.mwst_type, header.mwst_is_net) == (0, mwst_is_net)
    assert header.api_reference == order.id
    assert header.document_nr is None
    assert header.currency_id == CHF
    assert (header.user_id, header.bank_account_id, header.payment_type_id) == (1, 2, 3)
    assert header.language_id == 4
    assert header.title == "Webshop order 1001"
    assert (header.header, header.footer) == (
        "Thank you for order 1001.",
        "Payable within 30 days.",
    )
    assert header.is_valid_from == date(2026, 3, 2)


def test_known_sku_becomes_an_article_position() -> None:
    draft = invoice(make_order([shirt(unit_price="20.00")]), articles={"TS-M": BexioArticleId(55)})

    assert draft.positions == (
        ArticlePosition(
            BexioArticleId(55), "T-Shirt — M", d("1"), d("20.00"), UN81, ACCOUNT, line_id(1)
        ),
    )


@pytest.mark.parametrize(
    ("product", "variant", "text"),
    [
        ("T-Shirt", "M", "T-Shirt — M"),
        ("Gift box", "", "Gift box"),
        ("Gift box", "Gift box", "Gift box"),
    ],
)
def test_line_text_is_product_and_variant(product: str, variant: str, text: str) -> None:
    assert line_text(make_line(product_name=product, variant_name=variant)) == text


def _voucher_order(*, gross: bool) -> Order:
    # A 10 % entire-order voucher that Saleor spread into the line prices.
    if gross:
        lines = [
            shirt(unit_price="45.00", order_discount_gross=d("5.00"), order_discount_net=d("4.63")),
            tea(unit_price="9.00", order_discount_gross=d("1.00"), order_discount_net=d("0.97")),
        ]
    else:
        lines = [
            shirt(
                unit_price="45.00",
                gross=False,
                order_discount_net=d("5.00"),
                order_discount_gross=d("5.41"),
            ),
            tea(
                unit_price="9.00",
                gross=False,
                order_discount_net=d("1.00"),
                order_discount_gross=d("1.03"),
            ),
        ]
    return make_order(
        lines,
        prices_entered_with_tax=gross,
        discounts=(OrderDiscount("VOUCHER", name="Spring sale", code="SPRING10"),),
        voucher_code="SPRING10",
    )


@pytest.mark.parametrize("gross", [True, False], ids=["gross", "net"])
def test_order_discount_is_one_discount_position_after_undiscounted_lines(gross: bool) -> None:
    order = _voucher_order(gross=gross)

    draft = invoice(order)

    assert list(draft.positions) == [
        custom(SHIRT, "1", "50.00", line="line-1"),
        custom(TEA, "1", "10.00", UR26, "line-2"),
        DiscountPosition("Discount: SPRING10", d("6.00")),
    ]
    assert draft.expected_total == expected_total(order)


def test_discount_mode_in_lines_keeps_saleor_prices_and_adds_no_position() -> None:
    draft = invoice(
        _voucher_order(gross=True), settings=make_settings(discount_mode=DiscountMode.IN_LINES)
    )

    assert list(draft.positions) == [
        custom(SHIRT, "1", "45.00", line="line-1"),
        custom(TEA, "1", "9.00", UR26, "line-2"),
    ]


def test_shipping_voucher_share_is_added_back_to_shipping_and_discounted() -> None:
    order = make_order(
        [shirt(unit_price="40.00")],
        shipping=make_shipping(
            price="0.00", order_discount_gross=d("7.00"), order_discount_net=d("6.48")
        ),
        discounts=(OrderDiscount("VOUCHER", code="FREESHIP"),),
    )

    assert list(invoice(order).positions)[1:] == [
        custom("Shipping: Post Economy", "1", "7.00", UN81),
        DiscountPosition("Discount: FREESHIP", d("7.00")),
    ]


def test_gift_card_is_a_payment_not_a_discount() -> None:
    order = make_order(
        [shirt(unit_price="80.00")],
        shipping=make_shipping(price="7.00"),
        gift_cards=(GiftCardUse("1234", d("50.00")),),
    )
    settings = make_settings(gift_card_bank_account_id=GIFT_CARD_ACCOUNT)

    draft = invoice(order, settings=settings)

    assert draft.expected_total == Money(d("87.00"), "CHF")
    assert not any(isinstance(p, DiscountPosition) for p in draft.positions)
    assert draft.positions[-1] == TextPosition("Paid with gift card •••• 1234: CHF 50.00")
    assert draft.gift_card_payments == (
        PaymentDraft(
            Money(d("50.00"), "CHF"), date(2026, 3, 2), GIFT_CARD_ACCOUNT, "gift card •••• 1234"
        ),
    )


def test_gift_card_without_a_gift_card_account_is_a_config_error() -> None:
    order = make_order([shirt()], gift_cards=(GiftCardUse("1234", d("50.00")),))

    with pytest.raises(ConfigError, match="account for gift card payments"):
        invoice(order)


@pytest.mark.parametrize(
    ("order", "tax"),
    [
        pytest.param(make_order([shirt()], tax_exemption=True), U00, id="tax-exempt-order"),
        pytest.param(make_order([shirt(tax_rate="0")]), U00, id="export-at-0-percent"),
    ],
)
def test_tax_free_lines_use_the_exempt_tax(order: Order, tax: BexioTaxId) -> None:
    position = invoice(order).positions[0]

    assert isinstance(position, CustomPosition)
    assert position.tax_id == tax


@pytest.mark.parametrize(
    ("order", "kwargs", "error", "message"),
    [
        pytest.param(
            make_order([shirt()], currency="USD"),
            {},
            ConfigError,
            "The currency USD of order 1001 is not set up in bexio",
            id="unknown-currency",
        ),
        pytest.param(
            make_order([shirt(tax_rate="0.038", tax_class_name="Accommodation")]),
            {},
            ConfigError,
            "the VAT rate 3.8 % is not mapped to a bexio tax",
            id="unmapped-rate",
        ),
        pytest.param(
            make_order([shirt()]),
            {"settings": make_settings(revenue_account_id=None)},
            ConfigError,
            "Set the bexio revenue account",
            id="no-revenue-account",
        ),
        pytest.param(
            make_order([shirt()]),
            {"settings": make_settings(bexio_user_id=None)},
            ConfigError,
            "Set the bexio user",
            id="no-user",
        ),
        pytest.param(
            make_order([shirt()]),
            {"automatic": False},
            ConfigError,
            "Automatic assignment of order numbers",
            id="numbering-mismatch",
        ),
        pytest.param(
            make_order([]),
            {},
            RejectedError,
            "Order 1001 has no lines",
            id="no-lines",
        ),
        pytest.param(
            make_order([shirt()], total_gross=d("80.00")),
            {},
            RejectedError,
            r"its lines and shipping \(CHF 100.00\) do not add up to its total \(CHF 80.00\)",
            id="saleor-total-does-not-add-up",
        ),
    ],
)
def test_invoice_is_refused_before_anything_is_created(
    order: Order, kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        invoice(order, **kwargs)


def test_unmapped_rate_error_names_line_class_and_rate() -> None:
    with pytest.raises(ConfigError) as caught:
        invoice(make_order([shirt(tax_rate="0.038", tax_class_name="Accommodation")]))

    assert caught.value.user_message == (
        "The line “T-Shirt — M” (tax class “Accommodation”, 3.8 %): the VAT rate 3.8 % is not "
        "mapped to a bexio tax. Map it in the VAT tab."
    )


def test_manual_numbering_sends_prefixed_saleor_number() -> None:
    settings = make_settings(automatic_numbering=False, document_nr_prefix="WEB-")

    draft = invoice(make_order([shirt()]), settings=settings, automatic=False)

    assert draft.header.document_nr == "WEB-1001"


def test_plan_order_has_the_invoice_positions_without_gift_card_notes() -> None:
    order = make_order(
        [shirt(), tea(unit_price="4.00")],
        shipping=make_shipping(),
        gift_cards=(GiftCardUse("9876", d("10.00")),),
    )
    settings = make_settings(gift_card_bank_account_id=GIFT_CARD_ACCOUNT)
    the_invoice = invoice(order, settings=settings)

    draft = plan_order(
        order,
        settings,
        make_tax_mapping(),
        CURRENCIES,
        {},
        contact_id=CONTACT,
        bexio_taxes=bexio_taxes(),
        bexio_automatic_numbering=True,
    )

    assert isinstance(draft, OrderDraft)
    assert draft.header == the_invoice.header
    assert draft.positions == the_invoice.positions[:-1]
    assert draft.expected_total == the_invoice.expected_total


def _pennies_order(currency: str = "EUR") -> Order:
    # Saleor rounds VAT per line: 3 x (0.10 net + 0.0081 VAT → 0.01) = 0.33 gross, whereas
    # bexio's VAT on the 0.30 total is 0.0243 → 0.02, so bexio shows 0.32.
    lines = [shirt(id=line_id(n), unit_price="0.10", gross=False) for n in range(3)]
    return make_order(lines, currency=currency, prices_entered_with_tax=False)


def test_saleor_rounds_per_line_so_its_total_differs_from_total_rounding() -> None:
    order = _pennies_order()

    assert expected_total(order) == Money(d("0.33"), "EUR")
    assert (d("0.30") * d("1.081")).quantize(d("0.01")) == d("0.32")


@pytest.mark.parametrize(
    ("order", "bexio_total", "mismatch"),
    [
        pytest.param(_pennies_order(), "0.32", None, id="per-line-rounding-within-a-cent"),
        pytest.param(_pennies_order(), "0.33", None, id="exact"),
        pytest.param(_pennies_order(), "0.31", "-0.02", id="two-cents-off-one-rate"),
        pytest.param(_pennies_order("CHF"), "0.35", None, id="chf-5-rappen-rounding"),
        pytest.param(_pennies_order("CHF"), "0.39", "0.06", id="chf-beyond-5-rappen"),
        pytest.param(
            make_order([shirt(unit_price="10.00"), tea(unit_price="10.00")], currency="EUR"),
            "20.02",
            None,
            id="two-rates-two-cents",
        ),
        pytest.param(
            make_order([shirt(unit_price="10.00"), tea(unit_price="10.00")], currency="EUR"),
            "20.03",
            "0.03",
            id="two-rates-three-cents",
        ),
        pytest.param(
            make_order([shirt(unit_price="100.00", gross=False)], prices_entered_with_tax=False),
            "102.60",
            "-5.50",
            id="wrong-vat-rate-in-bexio",
        ),
    ],
)
def test_totals_check_allows_only_rounding_differences(
    order: Order, bexio_total: str, mismatch: str | None
) -> None:
    result = check_totals(d(bexio_total), order)

    if mismatch is None:
        assert result is None
    else:
        assert isinstance(result, TotalsMismatch)
        assert result.difference == d(mismatch)


def test_totals_mismatch_message_names_both_totals_and_the_tolerance() -> None:
    result = check_totals(d("102.60"), make_order([shirt(unit_price="108.10")]))

    assert result is not None
    assert result.message == (
        "The bexio total CHF 102.60 differs from the Saleor order total CHF 108.10 by -5.50 "
        "(more than the rounding tolerance of 0.05). Check the VAT mapping and the document "
        "in bexio."
    )
    assert result.error().user_message == result.message


@pytest.mark.parametrize(
    ("currency", "rates", "tolerance"),
    [
        ("CHF", ["0.081"], "0.05"),
        ("CHF", ["0.081", "0.026", "0.038", "0", "0.1", "0.2"], "0.06"),
        ("EUR", ["0.081"], "0.01"),
        ("EUR", ["0.081", "0.026"], "0.02"),
    ],
)
def test_tolerance_is_chf_rounding_or_a_cent_per_vat_rate(
    currency: str, rates: list[str], tolerance: str
) -> None:
    lines = [shirt(tax_rate=rate) for rate in rates]

    assert totals_tolerance(make_order(lines, currency=currency)) == d(tolerance)


@pytest.mark.parametrize(
    ("overrides", "value"),
    [
        ({"charge_status": ChargeStatus.FULL, "total_charged": d("107.00")}, "107.00"),
        ({"charge_status": ChargeStatus.OVERCHARGED, "total_charged": d("120.00")}, "107.00"),
        (
            {
                "charge_status": ChargeStatus.FULL,
                "total_charged": d("57.00"),
                "gift_cards": (GiftCardUse("1234", d("50.00")),),
            },
            "57.00",
        ),
        ({"charge_status": ChargeStatus.NONE, "total_charged": d("0")}, None),
    ],
)
def test_payment_records_what_saleor_charged_without_gift_cards(
    overrides: dict[str, Any], value: str | None
) -> None:
    order = make_order([shirt()], shipping=make_shipping(), **overrides)
    settings = make_settings(payment_bank_account_id=BexioBankAccountId(8))

    payment = plan_payment(order, settings, date(2026, 3, 5))

    if value is None:
        assert payment is None
    else:
        assert payment == PaymentDraft(
            Money(d(value), "CHF"), date(2026, 3, 5), BexioBankAccountId(8), "Saleor payment"
        )


def test_payment_uses_the_invoice_bank_account_when_no_payment_account_is_set() -> None:
    order = make_order([shirt()], total_charged=d("100.00"))

    payment = plan_payment(order, make_settings(), date(2026, 3, 5))

    assert payment is not None
    assert payment.bank_account_id == 2


def test_send_invoice_fills_number_placeholders() -> None:
    settings = make_settings(
        email_subject="Invoice {document_nr}", email_body="Order {number}: [Network Link]"
    )

    mail = plan_send_invoice(make_order([shirt()]), settings, "RE-00042")

    assert (mail.recipient_email, mail.subject, mail.message) == (
        "anna@example.ch",
        "Invoice RE-00042",
        "Order 1001: [Network Link]",
    )


@pytest.mark.parametrize(
    ("order", "settings", "error"),
    [
        (make_order([shirt()], user_email=None), make_settings(), RejectedError),
        (make_order([shirt()]), make_settings(email_body="No link"), ConfigError),
    ],
)
def test_send_invoice_needs_an_address_and_the_link_placeholder(
    order: Order, settings: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        plan_send_invoice(order, settings)


INVOICED = frozenset({BexioAction.CREATE_INVOICE, BexioAction.ISSUE_INVOICE})


@pytest.mark.parametrize(
    ("charged", "refunded", "done", "paid", "handling", "action"),
    [
        ("100", "0", INVOICED, False, RefundHandling.CANCEL_UNPAID_INVOICE, "none"),
        ("0", "100", frozenset(), False, RefundHandling.CANCEL_UNPAID_INVOICE, "none"),
        ("0", "100", INVOICED, False, RefundHandling.CANCEL_UNPAID_INVOICE, "cancel_invoice"),
        ("0", "100", INVOICED, True, RefundHandling.CANCEL_UNPAID_INVOICE, "manual_credit_note"),
        ("0", "100", INVOICED, False, RefundHandling.MANUAL, "manual_credit_note"),
        ("60", "40", INVOICED, False, RefundHandling.CANCEL_UNPAID_INVOICE, "manual_credit_note"),
        (
            "0",
            "100",
            INVOICED | {BexioAction.CANCEL_INVOICE},
            False,
            RefundHandling.CANCEL_UNPAID_INVOICE,
            "none",
        ),
    ],
)
def test_refund_cancels_an_unpaid_invoice_or_asks_for_a_manual_credit_note(
    charged: str,
    refunded: str,
    done: frozenset[BexioAction],
    paid: bool,
    handling: RefundHandling,
    action: str,
) -> None:
    order = make_order([shirt()], total_charged=d(charged), total_refunded=d(refunded))

    plan = plan_refund(order, make_settings(refund_handling=handling), done=done, invoice_paid=paid)

    assert plan.action == action


def test_manual_credit_note_message_names_order_amount_and_invoice() -> None:
    order = make_order([shirt()], total_charged=d("60"), total_refunded=d("40.00"))

    plan = plan_refund(
        order, make_settings(), done=INVOICED, invoice_paid=True, invoice_nr="RE-00042"
    )

    assert plan.message == (
        "Manual step: order 1001 was refunded CHF 40.00 in Saleor. Create a credit note for "
        "invoice RE-00042 in bexio (bexio has no credit-note API)."
    )
    assert plan.amount == Money(d("40.00"), "CHF")


@pytest.mark.parametrize(
    ("order", "start", "skipped"),
    [
        (make_order([shirt()]), None, False),
        (make_order([shirt()], status=OrderStatus.DRAFT), None, True),
        (make_order([shirt()]), date(2026, 3, 2), False),
        (make_order([shirt()]), date(2026, 3, 3), True),
    ],
)
def test_drafts_and_orders_before_the_sync_start_are_skipped(
    order: Order, start: date | None, skipped: bool
) -> None:
    reason = order_skip_reason(order, make_settings(sync_start_date=start))

    assert (reason is not None) == skipped


def test_money_is_never_float() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "CHF")  # type: ignore[arg-type]
    assert str(Money(Decimal("3"), "CHF")) == "CHF 3.00"


def test_invoice_total_adds_back_gift_cards_saleor_took_off_the_order_total() -> None:
    order = make_order(
        [shirt()], shipping=make_shipping(), gift_cards=(GiftCardUse("1", d("5.00")),)
    )

    assert order.total_gross == d("102.00")
    assert expected_total(order) == Money(d("107.00"), "CHF")
