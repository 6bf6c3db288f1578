"""Two jobs that need the same new customer's bexio contact at the same moment."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from saleor_bexio_app.ids import InstallationId, JobId
from saleor_bexio_app.jobs.model import Job
from tests.web.conftest import BEXIO, Harness
from tests.web.shop import deliver_order_event, ready_shop

SEARCH = "/2.0/contact/search"


class SearchBarrier:
    """Holds each contact search until `parties` of them are in flight (or `wait` passed), so
    two jobs are known to look for the contact before either creates it."""

    def __init__(self, app: ASGIApp, parties: int = 2, wait: float = 5.0) -> None:
        self._app = app
        self._parties = parties
        self._wait = wait
        self._arrived = 0
        self._all_here = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SEARCH and not self._all_here.is_set():
            self._arrived += 1
            if self._arrived >= self._parties:
                self._all_here.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._all_here.wait(), self._wait)
        await self._app(scope, receive, send)


async def _run_queued_jobs_at_once(harness: Harness) -> None:
    """What workers do when each claims one of the queued jobs at the same moment."""
    handlers = harness.services.handlers()
    jobs = [
        Job(JobId(row.id), InstallationId(row.installation_id), row.kind, row.key, row.attempts)
        for row in await harness.jobs()
        if row.state == "queued"
    ]
    assert len(jobs) == 2
    runs = []
    for job in jobs:
        handler = handlers.get(job.kind)
        assert handler is not None
        runs.append(handler(job))
    await asyncio.gather(*runs)


def _contacts_with(emulator: Any, mail: str) -> list[dict[str, Any]]:
    return [c for c in emulator.contacts.values() if c.get("mail") == mail]


async def test_two_orders_of_a_new_guest_synced_at_once_make_one_contact(
    harness: Harness,
) -> None:
    # given: a new guest's two orders, synced by two workers at the same moment
    double, app, emulator = await ready_shop(harness)
    harness.network.add_host(BEXIO.removeprefix("http://"), SearchBarrier(emulator.app))
    first = double.add_order(userEmail="lea@example.ch")
    second = double.add_order(userEmail="lea@example.ch")
    await deliver_order_event(harness, double, app, "ORDER_CREATED", first["id"])
    await deliver_order_event(harness, double, app, "ORDER_CREATED", second["id"])

    # when
    await _run_queued_jobs_at_once(harness)

    # then: both invoices name one and the same contact
    assert len(_contacts_with(emulator, "lea@example.ch")) == 1
    assert len({invoice["contact_id"] for invoice in emulator.invoices.values()}) == 1


async def test_customer_and_order_synced_at_once_make_one_contact(harness: Harness) -> None:
    # given: a registered customer's first order; the customer and the order sync together
    double, app, emulator = await ready_shop(harness)
    harness.network.add_host(BEXIO.removeprefix("http://"), SearchBarrier(emulator.app))
    customer = double.add_customer(email="lea@example.ch", firstName="Lea", lastName="Keller")
    order = double.add_order(userEmail="lea@example.ch", user=customer)
    headers, body = double.webhook(
        "CUSTOMER_CREATED",
        {
            "__typename": "CustomerCreated",
            "issuedAt": "2026-11-23T19:21:10+00:00",
            "version": double.version,
            "recipient": {"id": app.id},
            "user": {"id": customer["id"], "updatedAt": customer["updatedAt"]},
        },
    )
    answer = await harness.client.post(
        "/api/webhooks/customer-created", content=body, headers=headers
    )
    assert answer.status_code == 200, answer.text
    await deliver_order_event(harness, double, app, "ORDER_CREATED", order["id"])

    # when
    await _run_queued_jobs_at_once(harness)

    # then
    assert len(_contacts_with(emulator, "lea@example.ch")) == 1
