"""Gift-card payments and the ledger events that make booking them idempotent."""

from __future__ import annotations

import pytest

from saleor_bexio_app.errors import ConfigError
from saleor_bexio_app.ids import BexioBankAccountId
from saleor_bexio_app.sync.model import GiftCardUse, Money
from saleor_bexio_app.sync.orders import plan_gift_card_payments
from tests.builders import d, make_order, make_settings

ACCOUNT = BexioBankAccountId(7)


@pytest.mark.parametrize(
    ("cards", "expected"),
    [
        ((), []),
        ((GiftCardUse("A1B2", d("0")),), []),
        ((GiftCardUse("A1B2", d("20.00")),), [("gift_card_payment:A1B2", d("20.00"))]),
        (
            (GiftCardUse("A1B2", d("20.00")), GiftCardUse("C3D4", d("5.00"))),
            [("gift_card_payment:A1B2", d("20.00")), ("gift_card_payment:C3D4", d("5.00"))],
        ),
        (
            (GiftCardUse("A1B2", d("20.00")), GiftCardUse("A1B2", d("5.00"))),
            [("gift_card_payment:A1B2", d("20.00")), ("gift_card_payment:A1B2:2", d("5.00"))],
        ),
    ],
)
def test_each_gift_card_is_one_payment_with_its_own_ledger_event(
    cards: tuple[GiftCardUse, ...], expected: list[tuple[str, object]]
) -> None:
    order = make_order(gift_cards=cards)
    planned = plan_gift_card_payments(order, make_settings(gift_card_bank_account_id=ACCOUNT))
    assert [(event, payment.value.amount) for event, payment in planned] == expected
    assert all(payment.bank_account_id == ACCOUNT for _, payment in planned)
    assert all(payment.value == Money(payment.value.amount, "CHF") for _, payment in planned)


def test_gift_card_payments_need_the_gift_card_account() -> None:
    order = make_order(gift_cards=(GiftCardUse("A1B2", d("20.00")),))
    with pytest.raises(ConfigError, match="gift card"):
        plan_gift_card_payments(order, make_settings())
