"""bexio → Saleor: a paid or cancelled invoice becomes the chosen transition, once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from saleor_bexio_app.ids import BexioInvoiceId
from saleor_bexio_app.sync.backsync import BackSyncEvent, plan_back_sync
from saleor_bexio_app.sync.model import BackSyncChoice, OrderStatus
from saleor_bexio_app.sync.ports import BexioInvoiceState, BexioInvoiceStatus
from tests.builders import make_order, make_settings


def _invoice(status: BexioInvoiceStatus) -> BexioInvoiceState:
    return BexioInvoiceState(BexioInvoiceId(7), "RE-00007", status, Decimal("108.10"))


@pytest.mark.parametrize(
    ("status", "order_status", "charged", "on_paid", "on_cancelled", "expected"),
    [
        # paid in bexio, unpaid in Saleor: mark as paid
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.UNFULFILLED,
            "0",
            "mark_as_paid",
            "none",
            ("bexio_invoice_paid", "mark_as_paid"),
        ),
        # already paid in Saleor: only a note
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.UNFULFILLED,
            "108.10",
            "mark_as_paid",
            "none",
            ("bexio_invoice_paid", "add_note"),
        ),
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.UNFULFILLED,
            "0",
            "fulfill",
            "none",
            ("bexio_invoice_paid", "fulfill"),
        ),
        # fulfil an order that is already fulfilled: a note
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.FULFILLED,
            "0",
            "fulfill",
            "none",
            ("bexio_invoice_paid", "add_note"),
        ),
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.UNCONFIRMED,
            "0",
            "confirm",
            "none",
            ("bexio_invoice_paid", "confirm"),
        ),
        # "none": recorded so the invoice is not looked at again, nothing happens in Saleor
        (
            BexioInvoiceStatus.PAID,
            OrderStatus.UNFULFILLED,
            "0",
            "none",
            "cancel_order",
            ("bexio_invoice_paid", "none"),
        ),
        (
            BexioInvoiceStatus.CANCELLED,
            OrderStatus.UNFULFILLED,
            "0",
            "none",
            "cancel_order",
            ("bexio_invoice_cancelled", "cancel_order"),
        ),
        (
            BexioInvoiceStatus.CANCELLED,
            OrderStatus.CANCELED,
            "0",
            "none",
            "cancel_order",
            ("bexio_invoice_cancelled", "add_note"),
        ),
        (
            BexioInvoiceStatus.CANCELLED,
            OrderStatus.UNFULFILLED,
            "0",
            "none",
            "add_note",
            ("bexio_invoice_cancelled", "add_note"),
        ),
        (
            BexioInvoiceStatus.PENDING,
            OrderStatus.UNFULFILLED,
            "0",
            "mark_as_paid",
            "add_note",
            None,
        ),
        (
            BexioInvoiceStatus.PARTIAL,
            OrderStatus.UNFULFILLED,
            "0",
            "mark_as_paid",
            "add_note",
            None,
        ),
    ],
)
def test_invoice_state_and_choice_give_the_transition(
    status: BexioInvoiceStatus,
    order_status: OrderStatus,
    charged: str,
    on_paid: str,
    on_cancelled: str,
    expected: tuple[str, str] | None,
) -> None:
    order = make_order(status=order_status, total_charged=Decimal(charged))
    settings = make_settings(
        on_invoice_paid=BackSyncChoice(on_paid), on_invoice_cancelled=BackSyncChoice(on_cancelled)
    )
    plan = plan_back_sync(_invoice(status), order, settings, frozenset())
    assert (None if plan is None else (plan.event.value, plan.choice.value)) == expected
    if plan is not None:
        assert "RE-00007" in plan.note


def test_an_event_already_acted_on_is_not_repeated() -> None:
    order = make_order(total_charged=Decimal("0"))
    settings = make_settings(on_invoice_paid=BackSyncChoice.MARK_AS_PAID)
    done = frozenset({BackSyncEvent.INVOICE_PAID.value})
    assert plan_back_sync(_invoice(BexioInvoiceStatus.PAID), order, settings, done) is None
