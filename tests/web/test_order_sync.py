"""Orders end to end: signed webhooks in, the worker runs, the bexio emulator holds the result."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from saleor_bexio_app.ids import BexioTaxId, InstallationId
from saleor_bexio_app.sync.actions import ActionMatrix
from saleor_bexio_app.sync.vat import TaxMapping
from tests.web.conftest import Harness
from tests.web.shop import UN81, UR26
from tests.web.shop import deliver_order_event as _deliver
from tests.web.shop import ready_shop as _shop
from tests.web.shop import run_all as _run_all


async def test_confirmed_order_becomes_one_issued_and_sent_invoice(harness: Harness) -> None:
    # given
    double, app, emulator = await _shop(harness)
    order = double.add_order(userEmail="anna@example.ch")
    # when
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    # then one contact, one invoice with Saleor's total, issued and e-mailed
    [invoice] = emulator.invoices.values()
    assert invoice["api_reference"] == order["id"]
    assert invoice["kb_item_status_id"] == 8
    assert Decimal(invoice["total"]) == Decimal("80.30")
    assert [mail["recipient_email"] for mail in emulator.sent_emails] == ["anna@example.ch"]
    contacts = [c for c in emulator.contacts.values() if c.get("mail") == "anna@example.ch"]
    assert len(contacts) == 1
    assert contacts[0]["street_name"] == "Bahnhofstrasse"
    assert await harness.jobs() == []


async def test_duplicate_and_out_of_order_webhooks_still_make_one_invoice(
    harness: Harness,
) -> None:
    double, app, emulator = await _shop(harness)
    order = double.add_order()
    for event in ("ORDER_UPDATED", "ORDER_CONFIRMED", "ORDER_CREATED", "ORDER_CREATED"):
        await _deliver(harness, double, app, event, order["id"])
    await _run_all(harness)
    for event in ("ORDER_CREATED", "ORDER_UPDATED"):
        await _deliver(harness, double, app, event, order["id"])
    await _run_all(harness)
    assert len(emulator.invoices) == 1
    assert len(emulator.sent_emails) == 1


async def test_invoice_created_but_answer_lost_is_found_again_not_duplicated(
    harness: Harness,
) -> None:
    # given bexio creates the invoice but the connection drops before the app hears back
    double, app, emulator = await _shop(harness)
    order = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    original = emulator.app

    async def drop_invoice_answer(scope: Any, receive: Any, send: Any) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == "/2.0/kb_invoice"
        ):
            emulator.fail_next(1, "reset", processed=True)
        await original(scope, receive, send)

    harness.network.add_host("bexio.test", drop_invoice_answer)
    await harness.run_jobs()
    [job] = await harness.jobs()
    assert job.state == "queued" and job.attempts == 1  # retried later: transient
    # when the retry runs
    harness.network.add_host("bexio.test", original)
    harness.clock.advance(3600)
    await _run_all(harness)
    # then the invoice bexio already had is used: still one invoice, issued once
    assert len(emulator.invoices) == 1
    [invoice] = emulator.invoices.values()
    assert invoice["kb_item_status_id"] == 8


async def test_unmapped_vat_rate_is_one_readable_error_and_no_document(harness: Harness) -> None:
    double, app, emulator = await _shop(harness)
    order = double.add_order(
        lines=[double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    )
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _deliver(harness, double, app, "ORDER_UPDATED", order["id"])
    await _run_all(harness)
    assert emulator.invoices == {}
    errors = await harness.services.error_log.list_errors(InstallationId(1))
    assert len(errors) == 1
    assert "3.8" in errors[0].user_message
    assert errors[0].key == order["id"]
    assert errors[0].bexio_invoice_id is None


async def test_paid_in_bexio_marks_the_saleor_order_paid_once_with_a_note(
    harness: Harness,
) -> None:
    # given an issued invoice
    double, app, emulator = await _shop(harness)
    order = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    [invoice_id] = emulator.invoices
    # when the customer pays and the bank reconciliation books it in bexio
    emulator.record_payment(invoice_id, "80.30")
    assert emulator.invoices[invoice_id]["kb_item_status_id"] == 9
    await harness.run_jobs(with_schedules=True)
    # then Saleor's order is marked as paid, with a note saying what bexio reported
    names = [name for name, _ in double.mutations]
    assert names.count("orderMarkAsPaid") == 1
    assert names.count("orderNoteAdd") == 1
    # and later polls, and Saleor's own "fully paid" webhook, change nothing more
    harness.clock.advance(6 * 60)
    await harness.run_jobs(with_schedules=True)
    await _deliver(harness, double, app, "ORDER_FULLY_PAID", order["id"])
    await _run_all(harness)
    names = [name for name, _ in double.mutations]
    assert names.count("orderMarkAsPaid") == 1
    assert names.count("orderNoteAdd") == 1
    assert len(emulator.payments) == 1


async def test_errors_pile_up_pause_the_shop_and_resume_loses_nothing(harness: Harness) -> None:
    # given a shop that pauses after 2 unresolved errors
    double, app, emulator = await _shop(harness, pause_threshold=2)
    shop = InstallationId(1)
    wine = [double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    bad = [double.add_order(lines=wine) for _ in range(2)]
    for order in bad:
        await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    await _run_all(harness)
    pause = await harness.services.error_log.pause_state(shop)
    assert pause is not None
    # when more orders arrive while paused, they wait
    good = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", good["id"])
    await _run_all(harness)
    assert emulator.invoices == {}
    assert [job.state for job in await harness.jobs()].count("queued") == 1
    # when the merchant maps 3.8 % and retries the errors
    await harness.services.sync_repo.save_tax_mapping(
        shop,
        TaxMapping(
            by_rate={Decimal("8.1"): UN81, Decimal("2.6"): UR26, Decimal("3.8"): BexioTaxId(16)}
        ),
    )
    emulator.set_tax_active(16, True)
    errors = await harness.services.error_log.list_errors(shop)
    assert await harness.services.error_log.retry(shop, [error.id for error in errors]) == 2
    await harness.services.error_log.resume(shop)
    await _run_all(harness)
    # then every order has exactly one invoice and nothing is left waiting
    references = sorted(invoice["api_reference"] for invoice in emulator.invoices.values())
    assert references == sorted([bad[0]["id"], bad[1]["id"], good["id"]])
    assert await harness.jobs() == []
    assert await harness.services.error_log.pause_state(shop) is None


async def test_bexio_order_created_but_answer_lost_is_found_again_not_duplicated(
    harness: Harness,
) -> None:
    # given a shop that creates a bexio order (and the invoice from it) on confirmation
    matrix = ActionMatrix.from_mapping(
        {"unfulfilled": ["create_order", "create_invoice", "issue_invoice", "create_delivery"]}
    )
    double, app, emulator = await _shop(harness, order_actions=matrix)
    order = double.add_order()
    await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
    original = emulator.app

    async def drop_order_answer(scope: Any, receive: Any, send: Any) -> None:
        is_post = scope["type"] == "http" and scope["method"] == "POST"
        if is_post and scope["path"] == "/2.0/kb_order":
            emulator.fail_next(1, "reset", processed=True)
            harness.network.add_host("bexio.test", original)
        await original(scope, receive, send)

    harness.network.add_host("bexio.test", drop_order_answer)
    await harness.run_jobs()
    assert len(emulator.orders) == 1
    # when the retry runs
    harness.clock.advance(3600)
    await _run_all(harness)
    # then the order bexio already had is used: one order, one invoice from it, one delivery
    assert len(emulator.orders) == 1
    [invoice] = emulator.invoices.values()
    assert invoice["api_reference"] == order["id"]
    assert invoice["kb_item_status_id"] == 8
    assert len(emulator.deliveries) == 1
    assert await harness.jobs() == []


async def test_master_data_is_read_once_for_many_orders(harness: Harness) -> None:
    double, app, emulator = await _shop(harness)
    for _ in range(3):
        order = double.add_order()
        await _deliver(harness, double, app, "ORDER_CREATED", order["id"])
        await _run_all(harness)
    assert len(emulator.invoices) == 3
    for path in ("/3.0/taxes", "/3.0/currencies", "/2.0/country", "/2.0/kb_item_setting"):
        assert [p for _, p in emulator.calls if p == path] == [path], path
