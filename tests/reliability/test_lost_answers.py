"""bexio or Saleor carried out a call, but its answer never reached the app."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.web.conftest import BEXIO, SHOP_A, Harness
from tests.web.shop import deliver_order_event, ready_shop, run_all


class LoseAnswerOnce:
    """Carries out the first request that `matches` (method, path, body), then drops the
    connection instead of answering; every other request passes through."""

    def __init__(self, app: ASGIApp, matches: Callable[[str, str, bytes], bool]) -> None:
        self._app = app
        self._matches = matches
        self.lost = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.lost:
            await self._app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return {"type": "http.disconnect"}
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        if not self._matches(scope["method"], scope["path"], body):
            await self._app(scope, replay, send)
            return

        async def swallow(message: Message) -> None:
            return None

        await self._app(scope, replay, swallow)
        self.lost += 1
        raise httpx.RemoteProtocolError("Server disconnected without sending a complete response.")


async def _retry_until_idle(harness: Harness) -> None:
    """Run jobs, moving the clock past any backoff, until nothing is left to do."""
    for _ in range(10):
        await run_all(harness)
        if not [job for job in await harness.jobs() if job.state == "queued"]:
            return
        harness.clock.advance(3600)


async def test_an_invoice_whose_send_answer_was_lost_is_e_mailed_once(harness: Harness) -> None:
    # given: bexio sends the invoice e-mail, but the answer to the send call is lost
    double, app, emulator = await ready_shop(harness)
    lose = LoseAnswerOnce(
        emulator.app, lambda method, path, _: method == "POST" and path.endswith("/send")
    )
    harness.network.add_host(httpx.URL(BEXIO).host, lose)
    order = double.add_order()
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])

    # when the sync is retried until done
    await _retry_until_idle(harness)

    # then the customer got the invoice once
    assert lose.lost == 1
    assert [mail["kb_invoice_id"] for mail in emulator.sent_emails] == list(emulator.invoices)


async def test_a_paid_invoice_whose_note_answer_was_lost_adds_one_note(harness: Harness) -> None:
    # given: an issued invoice paid in bexio; Saleor adds the app's note, but its answer is lost
    double, app, emulator = await ready_shop(harness)
    order = double.add_order()
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])
    await run_all(harness)
    [invoice] = emulator.invoices.values()
    emulator.record_payment(invoice["id"], invoice["total"])
    lose = LoseAnswerOnce(double.app, lambda _, __, body: b"orderNoteAdd" in body)
    harness.network.add_host(httpx.URL(SHOP_A).host, lose)

    # when the poll runs, and runs again after its retry is due
    await harness.run_jobs(with_schedules=True)
    await _retry_until_idle(harness)

    # then the order was marked paid once, with one note
    names = [name for name, _ in double.mutations]
    assert lose.lost == 1
    assert (names.count("orderMarkAsPaid"), names.count("orderNoteAdd")) == (1, 1)


async def test_the_merchant_is_asked_to_check_an_e_mail_that_may_not_have_gone_out(
    harness: Harness,
) -> None:
    # given: the answer to the send call is lost
    double, app, emulator = await ready_shop(harness)
    lose = LoseAnswerOnce(
        emulator.app, lambda method, path, _: method == "POST" and path.endswith("/send")
    )
    harness.network.add_host(httpx.URL(BEXIO).host, lose)
    order = double.add_order()
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])

    # when the sync is retried until done
    await _retry_until_idle(harness)

    # then one "check it in bexio" item (never pausing the shop) names the invoice and order
    [installation] = await harness.installations()
    [entry] = await harness.services.error_log.list_errors(installation.id, status="open")
    [invoice] = emulator.invoices.values()
    assert (entry.reason, entry.message_code) == ("manual", "send_unconfirmed")
    assert entry.message_params == {"invoice": invoice["document_nr"], "order": order["number"]}
    assert await harness.services.error_log.pause_state(installation.id) is None

    # and a later sync of the order (another webhook) keeps the item open and sends no more
    await deliver_order_event(harness, double, app, "ORDER_UPDATED", order["id"])
    await _retry_until_idle(harness)
    [still] = await harness.services.error_log.list_errors(installation.id, status="open")
    assert (still.id, still.message_code) == (entry.id, "send_unconfirmed")
    assert len(emulator.sent_emails) == 1  # bexio did send it; the answer was lost


class RefuseConnectionOnce:
    """The first send call never reaches bexio (the connection is refused)."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self.refused = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/send") and not self.refused:
            self.refused += 1
            raise httpx.ConnectError("connection refused")
        await self._app(scope, receive, send)


async def test_a_send_that_never_reached_bexio_is_sent_on_the_retry(harness: Harness) -> None:
    double, app, emulator = await ready_shop(harness)
    refuse = RefuseConnectionOnce(emulator.app)
    harness.network.add_host(httpx.URL(BEXIO).host, refuse)
    order = double.add_order()
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])

    await _retry_until_idle(harness)

    assert refuse.refused == 1
    assert [mail["kb_invoice_id"] for mail in emulator.sent_emails] == list(emulator.invoices)
    [installation] = await harness.installations()
    assert await harness.services.error_log.list_errors(installation.id, status="open") == []
