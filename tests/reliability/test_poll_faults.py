"""The invoice poll when bexio fails some of its calls."""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.web.conftest import BEXIO, Harness
from tests.web.shop import deliver_order_event, ready_shop, run_all


class UnreadableInvoice:
    """bexio answers 503 to every read of one invoice; everything else works."""

    def __init__(self, app: ASGIApp, invoice_id: int) -> None:
        self._app = app
        self._path = f"/2.0/kb_invoice/{invoice_id}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == self._path:
            answer = JSONResponse({"error_code": 503, "message": "Service Unavailable"}, 503)
            await answer(scope, receive, send)
            return
        await self._app(scope, receive, send)


async def test_an_invoice_bexio_cannot_read_right_now_does_not_hold_up_the_poll(
    harness: Harness,
) -> None:
    # given two issued invoices; bexio books payments without changing updated_at, so only the
    # poll's re-check of open invoices can notice one
    double, app, _ = await ready_shop(harness)
    emulator = harness.add_bexio(
        payment_bumps_updated_at=False, clock=lambda: harness.clock().timestamp()
    )
    assert (await harness.connect_bexio(double, app)).status_code == 200
    orders = [double.add_order(), double.add_order()]
    for order in orders:
        await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])
    await run_all(harness)
    # and the poll cursor moved well past both (a later invoice changed), so only the poll's
    # re-check of open invoices reads them
    harness.clock.advance(6 * 60)
    later = double.add_order()
    await deliver_order_event(harness, double, app, "ORDER_CREATED", later["id"])
    await run_all(harness)
    await harness.run_jobs(with_schedules=True)
    by_order = {invoice["api_reference"]: invoice for invoice in emulator.invoices.values()}
    unreadable, paid = (by_order[order["id"]] for order in orders)
    harness.network.add_host(
        BEXIO.removeprefix("http://"), UnreadableInvoice(emulator.app, unreadable["id"])
    )

    # when the other invoice is paid in bexio and the poll runs
    emulator.record_payment(paid["id"], paid["total"])
    harness.clock.advance(6 * 60)
    await harness.run_jobs(with_schedules=True)

    # then the paid one is marked paid in Saleor, and the poll is done (not retrying)
    marked = [args["id"] for name, args in double.mutations if name == "orderMarkAsPaid"]
    assert marked == [orders[1]["id"]]
    assert [(job.kind, job.state) for job in await harness.jobs()] == []
