"""End to end, continued: gift cards, refunds, invoices paid or cancelled in bexio, VAT tab."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from saleor_bexio_app.errors import FailureReason
from saleor_bexio_app.ids import BexioBankAccountId, InstallationId
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.sync.model import BackSyncChoice
from saleor_bexio_app.sync.vat import VatProblemKind
from saleor_bexio_app.web.vat import vat_overview
from tests.web.conftest import Harness
from tests.web.shop import deliver_order_event as _deliver
from tests.web.shop import ready_shop as _shop
from tests.web.shop import run_all as _run_all

SHOP = InstallationId(1)
GIFT_CARDS = BexioBankAccountId(2)
PAID, PARTIAL, PENDING, CANCELLED = 9, 16, 8, 19


def _add_gift_card_account(emulator: BexioEmulator) -> None:
    accounts: dict[int, Any] = emulator.company.bank_accounts
    accounts[GIFT_CARDS] = {**accounts[1], "id": GIFT_CARDS, "name": "Gift cards"}


def _charge(double: SaleorDouble, order_id: str, amount: str | None = None) -> None:
    """Saleor charged the order (all of its total unless `amount`)."""
    stored = double.store.orders[order_id]
    total = stored["total"]["gross"]
    charged = copy.deepcopy(total) if amount is None else {**total, "amount": float(amount)}
    full = amount is None
    stored.update(
        chargeStatus="FULL" if full else "PARTIAL",
        isPaid=full,
        paymentStatus="FULLY_CHARGED" if full else "PARTIALLY_CHARGED",
        totalCharged=charged,
    )


def _refund(double: SaleorDouble, order_id: str, amount: str) -> None:
    """Saleor refunded `amount`; the charged total goes down by as much."""
    stored = double.store.orders[order_id]
    currency = stored["total"]["gross"]["currency"]
    charged = Decimal(str(stored["totalCharged"]["amount"])) - Decimal(amount)
    stored.update(
        totalRefunded={"amount": float(amount), "currency": currency},
        totalCharged={"amount": float(max(charged, Decimal(0))), "currency": currency},
    )
    if charged <= 0:
        stored.update(chargeStatus="NONE", isPaid=False, paymentStatus="FULLY_REFUNDED")


def _mutations(double: SaleorDouble, name: str) -> int:
    return [mutation for mutation, _ in double.mutations].count(name)


async def test_gift_card_is_one_payment_and_saleors_charge_pays_the_rest(
    harness: Harness,
) -> None:
    # given an order of 80.30 paid 20.00 with a gift card
    double, app, emulator = await _shop(harness, gift_card_bank_account_id=GIFT_CARDS)
    _add_gift_card_account(emulator)
    order = double.add_order(gift_cards=[("A1B2", "20.00")])
    # when its webhooks arrive twice
    for _ in range(2):
        await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
        await _run_all(harness)
    # then the invoice keeps the full total and the gift card is one payment on it
    [(invoice_id, invoice)] = emulator.invoices.items()
    assert Decimal(invoice["total"]) == Decimal("80.30")
    [card] = emulator.payments.values()
    assert (Decimal(card["value"]), card["bank_account_id"]) == (Decimal("20.00"), GIFT_CARDS)
    assert invoice["kb_item_status_id"] == PARTIAL
    # when Saleor charges the rest, and says so twice
    _charge(double, order["id"])
    for _ in range(2):
        await _deliver(harness, double, app, "ORDER_FULLY_PAID", order["id"])
        await _run_all(harness)
    await harness.run_jobs(with_schedules=True)
    # then the invoice is paid by exactly two payments
    payments = sorted(Decimal(p["value"]) for p in emulator.payments.values())
    assert payments == [Decimal("20.00"), Decimal("60.30")]
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == PAID
    assert _mutations(double, "orderMarkAsPaid") == 0
    assert await harness.services.error_log.list_errors(SHOP) == []


async def test_gift_card_payment_that_failed_is_booked_once_on_retry(harness: Harness) -> None:
    # given bexio answers 503 to the first gift-card payment, after the invoice was issued
    double, app, emulator = await _shop(harness, gift_card_bank_account_id=GIFT_CARDS)
    _add_gift_card_account(emulator)
    order = double.add_order(gift_cards=[("A1B2", "20.00")])
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    original = emulator.app

    async def fail_payment(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/payment"):
            emulator.fail_next(1, 503)
            harness.network.add_host("bexio.test", original)
        await original(scope, receive, send)

    harness.network.add_host("bexio.test", fail_payment)
    await harness.run_jobs()
    [job] = await harness.jobs()
    assert job.state == "queued"
    assert emulator.payments == {}
    # when the retry runs
    harness.clock.advance(3600)
    await _run_all(harness)
    # then the issued invoice is not issued again and the gift card is booked once
    [invoice] = emulator.invoices.values()
    assert invoice["kb_item_status_id"] == PARTIAL
    [card] = emulator.payments.values()
    assert Decimal(card["value"]) == Decimal("20.00")
    assert await harness.jobs() == []


async def test_gift_card_payment_booked_but_answer_lost_is_not_booked_twice(
    harness: Harness,
) -> None:
    # given bexio books the gift-card payment, then the connection drops before the answer
    double, app, emulator = await _shop(harness, gift_card_bank_account_id=GIFT_CARDS)
    _add_gift_card_account(emulator)
    order = double.add_order(gift_cards=[("A1B2", "20.00")])
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    original = emulator.app

    async def drop_payment_answer(scope: Any, receive: Any, send: Any) -> None:
        is_post = scope["type"] == "http" and scope["method"] == "POST"
        if is_post and scope["path"].endswith("/payment"):
            emulator.fail_next(1, "reset", processed=True)
            harness.network.add_host("bexio.test", original)
        await original(scope, receive, send)

    harness.network.add_host("bexio.test", drop_payment_answer)
    await harness.run_jobs()
    assert len(emulator.payments) == 1
    [job] = await harness.jobs()
    assert job.state == "queued"
    # when the retry runs
    harness.clock.advance(3600)
    await _run_all(harness)
    # then the payment bexio already has is recognised: still one gift-card payment
    [card] = emulator.payments.values()
    assert Decimal(card["value"]) == Decimal("20.00")
    assert await harness.jobs() == []


async def test_full_refund_of_an_unpaid_invoice_cancels_it_once(harness: Harness) -> None:
    # given an issued, unpaid invoice
    double, app, emulator = await _shop(harness)
    order = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    [invoice_id] = emulator.invoices
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == PENDING
    # when Saleor charges and refunds it all before the payment reached bexio
    _charge(double, order["id"])
    _refund(double, order["id"], "80.30")
    for event in ("ORDER_REFUNDED", "ORDER_FULLY_REFUNDED"):
        await _deliver(harness, double, app, event, order["id"])
        await _run_all(harness)
    # then the invoice is cancelled, no payment booked, and nothing failed
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == CANCELLED
    assert emulator.payments == {}
    cancels = [call for call in emulator.calls if call[1].endswith("/cancel")]
    assert len(cancels) == 1
    assert await harness.services.error_log.list_errors(SHOP, status=None) == []


async def test_refund_of_a_paid_invoice_is_one_manual_item_until_dismissed(
    harness: Harness,
) -> None:
    # given an order paid in Saleor whose payment was recorded on the bexio invoice
    double, app, emulator = await _shop(harness)
    order = double.add_order()
    _charge(double, order["id"])
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    [(invoice_id, invoice)] = emulator.invoices.items()
    assert invoice["kb_item_status_id"] == PAID
    # when 20.00 is refunded in Saleor and the webhooks come, and come again
    _refund(double, order["id"], "20.00")
    for event in ("ORDER_REFUNDED", "ORDER_UPDATED"):
        await _deliver(harness, double, app, event, order["id"])
        await _run_all(harness)
    # then there is one manual item with the amounts, still open, and the invoice is untouched
    log = harness.services.error_log
    [item] = await log.list_errors(SHOP)
    assert item.reason == FailureReason.MANUAL
    assert item.bexio_invoice_id == invoice_id  # the entry names the bexio document
    assert "CHF 20.00" in item.user_message or "20.00 CHF" in item.user_message
    assert "credit note" in item.user_message and invoice["document_nr"] in item.user_message
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == PAID
    # when the merchant dismisses it, later webhooks do not raise it again
    assert await log.dismiss(SHOP, [item.id]) == 1
    await _deliver(harness, double, app, "ORDER_REFUNDED", order["id"])
    await _run_all(harness)
    assert await log.list_errors(SHOP) == []
    # but a further refund is a new item
    _refund(double, order["id"], "30.00")
    await _deliver(harness, double, app, "ORDER_REFUNDED", order["id"])
    await _run_all(harness)
    [again] = await log.list_errors(SHOP)
    assert "30.00" in again.user_message


async def test_payment_booked_without_touching_updated_at_is_still_noticed(
    harness: Harness,
) -> None:
    # given bexio books payments without changing the invoice's updated_at
    double, app, _ = await _shop(harness)
    emulator = harness.add_bexio(
        payment_bumps_updated_at=False, clock=lambda: harness.clock().timestamp()
    )
    assert (await harness.connect_bexio(double, app)).status_code == 200
    first = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", first["id"])
    await _run_all(harness)
    [invoice_id] = emulator.invoices
    # and the poll cursor moved well past that invoice (another one changed later)
    harness.clock.advance(6 * 60)
    second = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", second["id"])
    await _run_all(harness)
    await harness.run_jobs(with_schedules=True)
    # when the first invoice is paid in bexio
    emulator.record_payment(invoice_id, "80.30")
    harness.clock.advance(6 * 60)
    await harness.run_jobs(with_schedules=True)
    # then the re-check of open invoices finds it: marked as paid once, with a note
    assert _mutations(double, "orderMarkAsPaid") == 1
    assert _mutations(double, "orderNoteAdd") == 1
    harness.clock.advance(6 * 60)
    await harness.run_jobs(with_schedules=True)
    assert _mutations(double, "orderMarkAsPaid") == 1
    assert _mutations(double, "orderNoteAdd") == 1


async def test_invoice_cancelled_in_bexio_cancels_the_order_once_with_a_note(
    harness: Harness,
) -> None:
    # given an issued invoice and the choice "cancel order" for cancelled invoices
    double, app, emulator = await _shop(harness, on_invoice_cancelled=BackSyncChoice.CANCEL_ORDER)
    order = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    [invoice_id] = emulator.invoices
    # when the user cancels the invoice in bexio
    emulator.cancel_invoice(invoice_id)
    await harness.run_jobs(with_schedules=True)
    # then the Saleor order is cancelled, with a note saying why
    assert double.store.orders[order["id"]]["status"] == "CANCELED"
    assert _mutations(double, "orderCancel") == 1
    notes = [args for name, args in double.mutations if name == "orderNoteAdd"]
    assert len(notes) == 1
    assert "cancelled" in str(notes[0])
    # and Saleor's own "cancelled" webhook and later polls change nothing more
    await _deliver(harness, double, app, "ORDER_CANCELLED", order["id"])
    await _run_all(harness)
    harness.clock.advance(6 * 60)
    await harness.run_jobs(with_schedules=True)
    assert _mutations(double, "orderCancel") == 1
    assert _mutations(double, "orderNoteAdd") == 1
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == CANCELLED
    assert await harness.services.error_log.list_errors(SHOP, status=None) == []


async def test_vat_overview_reports_unmapped_and_inactive_rates(harness: Harness) -> None:
    # given 8.1 % and 2.6 % mapped, 2.6 %'s bexio tax deactivated, and 3.8 % not mapped
    double, _, emulator = await _shop(harness)
    double.add_tax_class("Standard", {"CH": "8.1"})
    double.add_tax_class("Reduced rate", {"CH": "2.6"})
    double.add_tax_class("Lodging", {"CH": "3.8"})
    emulator.set_tax_active(15, False)
    # when the VAT tab asks
    comparison = await vat_overview(harness.services, SHOP)
    # then both problems are reported, each naming its rate, and 8.1 % maps to UN81
    problems = {
        (problem.shop_rate.tax_class_name, problem.kind): problem.message
        for problem in comparison.problems
        if problem.shop_rate is not None
    }
    assert set(problems) == {
        ("Reduced rate", VatProblemKind.INACTIVE),
        ("Lodging", VatProblemKind.UNMAPPED),
    }
    assert "3.8 %" in problems["Lodging", VatProblemKind.UNMAPPED]
    assert "inactive" in problems["Reduced rate", VatProblemKind.INACTIVE]
    [standard] = [row for row in comparison.rows if row.shop_rate.tax_class_name == "Standard"]
    assert standard.bexio_tax is not None and standard.bexio_tax.code == "UN81"
    assert not comparison.ok
    assert all(tax.is_active for tax in comparison.bexio_taxes)
