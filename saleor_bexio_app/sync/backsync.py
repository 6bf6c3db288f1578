"""bexio → Saleor: what a paid or cancelled bexio invoice means for the Saleor order (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from saleor_bexio_app.sync.model import BackSyncChoice, Order, OrderStatus, ShopSettings
from saleor_bexio_app.sync.ports import BexioInvoiceState, BexioInvoiceStatus


class BackSyncEvent(StrEnum):
    """What bexio reported; recorded in the order's ledger so it is acted on once."""

    INVOICE_PAID = "bexio_invoice_paid"
    INVOICE_CANCELLED = "bexio_invoice_cancelled"


@dataclass(frozen=True, slots=True)
class BackSyncPlan:
    """The Saleor transition to perform (or none) and the note to add to the order."""

    event: BackSyncEvent
    choice: BackSyncChoice
    note: str
    reference: str


# The order statuses a transition may start from; anything else becomes a note only.
_ALLOWED_FROM: dict[BackSyncChoice, set[OrderStatus]] = {
    BackSyncChoice.CONFIRM: {OrderStatus.UNCONFIRMED},
    BackSyncChoice.FULFILL: {OrderStatus.UNFULFILLED, OrderStatus.PARTIALLY_FULFILLED},
    BackSyncChoice.CANCEL_ORDER: {
        OrderStatus.UNCONFIRMED,
        OrderStatus.UNFULFILLED,
        OrderStatus.PARTIALLY_FULFILLED,
    },
}


def plan_back_sync(
    invoice: BexioInvoiceState,
    order: Order,
    settings: ShopSettings,
    done: frozenset[str],
) -> BackSyncPlan | None:
    """The transition for an invoice that became paid or cancelled in bexio, once per event.

    A transition the order's status no longer allows (e.g. fulfil an order that is already
    fulfilled) becomes a note only, so bexio never fights the shop. With the choice "none" the
    event is still recorded (so it is not looked at again), and nothing happens in Saleor.
    """
    if invoice.status == BexioInvoiceStatus.PAID:
        event, choice, what = BackSyncEvent.INVOICE_PAID, settings.on_invoice_paid, "paid"
    elif invoice.status == BexioInvoiceStatus.CANCELLED:
        event, choice = BackSyncEvent.INVOICE_CANCELLED, settings.on_invoice_cancelled
        what = "cancelled"
    else:
        return None
    if event in done:
        return None
    allowed = _ALLOWED_FROM.get(choice)
    paid = order.total_charged >= order.total_gross
    already_paid = choice == BackSyncChoice.MARK_AS_PAID and paid
    not_allowed = allowed is not None and order.status not in allowed
    if already_paid or not_allowed:
        choice = BackSyncChoice.ADD_NOTE
    note = f"bexio: invoice {invoice.document_nr} was {what} in bexio."
    reference = f"bexio invoice {invoice.document_nr}"
    return BackSyncPlan(event=event, choice=choice, note=note, reference=reference)
