"""bexio calls per order: what the app sends to bexio against what the order's actions need.

A mixed stream of orders (guests and registered customers, new and returning; some only
confirmed, some confirmed then paid, some confirmed, paid and fulfilled) goes through signed
webhooks, the worker and the bexio emulator with the default order actions. Events of
different orders interleave. After each event the worker runs until idle and the emulator's
calls are attributed to that order.

The minimum per event is derived from the actions the event made the app run (the ledger
before and after) and from the shop's state before the event:
- contact, needed by "create invoice": 0 when the customer is already linked (unchanged);
  otherwise 1 search by e-mail, plus 1 create when bexio has no contact with that e-mail;
- create invoice: 1 search by api_reference (the documented guard against a second invoice
  after a crash), 1 article search per distinct SKU (an SKU that is a bexio article makes an
  article position), 1 create;
- issue invoice: 1; send invoice: 1;
- record payment: 1 read of the invoice (the documented skip when bexio has it paid already)
  and 1 create.
Master data (taxes, currencies, countries, languages, document settings) is counted apart:
it must be read once per cache period, not per order. The stream spans `--periods` cache
periods (the cache's clock is moved forward between orders) and each kind of master data must
be read at most once in each.

    python -m bench.bexio_calls [--orders 30] [--periods 2]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import re
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.shop import in_process_app
from bench.stats import ratio, table
from saleor_bexio_app.bexio.adapter import MasterDataCache
from saleor_bexio_app.ids import InstallationId, SaleorId
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.model import LinkKind
from saleor_bexio_app.web.services import MASTER_DATA_TTL_SECONDS
from tests.web.conftest import Harness
from tests.web.shop import deliver_order_event, ready_shop, run_all

TARGET = 1.1
SHOP = InstallationId(1)
MASTER_DATA = {
    "/3.0/taxes": "taxes",
    "/3.0/currencies": "currencies",
    "/2.0/country": "countries",
    "/2.0/language": "languages",
    "/2.0/kb_item_setting": "document settings",
}
STAGES = ("confirmed", "paid", "fulfilled")
CONTACT_SEARCH, CONTACT_CREATE = "POST /2.0/contact/search", "POST /2.0/contact"
INVOICE_SEARCH, INVOICE_CREATE = "POST /2.0/kb_invoice/search", "POST /2.0/kb_invoice"
ARTICLE_SEARCH, INVOICE_READ = "POST /2.0/article/search", "GET /2.0/kb_invoice/{id}"
ISSUE, SEND = "POST /2.0/kb_invoice/{id}/issue", "POST /2.0/kb_invoice/{id}/send"
PAYMENT = "POST /2.0/kb_invoice/{id}/payment"


@dataclass
class OrderTally:
    """One order of the stream: who ordered, how far it went, its calls and its minimum."""

    order_id: str
    customer: str  # "new" or "returning"
    registered: bool
    stage: str
    calls: Counter[str] = field(default_factory=Counter)
    minimum: Counter[str] = field(default_factory=Counter)


@dataclass
class Result:
    orders: list[OrderTally]
    master_reads: Counter[str]
    periods: int

    @property
    def calls(self) -> int:
        return sum(sum(order.calls.values()) for order in self.orders)

    @property
    def minimum(self) -> int:
        return sum(sum(order.minimum.values()) for order in self.orders)


class _ManualMonotonic:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _template(method: str, path: str) -> str:
    return method + " " + re.sub(r"/\d+(?=/|$)", "/{id}", path)


def _plan(count: int) -> list[tuple[str, bool, str]]:
    """(customer, registered, stage) per order: every mix of new/returning, guest/registered
    and the three stages appears, in an order that repeats every 12 orders."""
    kinds = [("new", False), ("new", True), ("returning", False), ("returning", True)]
    return [(*kinds[i % 4], STAGES[(i // 4 + i) % 3]) for i in range(count)]


def _events(count: int) -> list[tuple[int, str]]:
    """(order index, stage) in stream order: order i is confirmed at step i, paid at step i+2
    and fulfilled at step i+4, so the events of neighbouring orders interleave."""
    steps = []
    for index, (_, _, stage) in enumerate(_plan(count)):
        for offset, event in enumerate(STAGES[: STAGES.index(stage) + 1]):
            steps.append((index + 2 * offset, index, event))
    return [(index, event) for _, index, event in sorted(steps)]


async def _place_order(
    double: SaleorDouble, index: int, customer: str, registered: bool, people: dict[str, Any]
) -> dict[str, Any]:
    # A returning customer is the one of the same kind two orders earlier.
    if customer == "returning" and people:
        same_kind = [p for p in people.values() if p["registered"] == registered]
        person = same_kind[-1]
    else:
        email = f"customer{index}@example.ch"
        person = {"email": email, "registered": registered, "user": None}
        if registered:
            person["user"] = double.add_customer(email=email)["id"]
        people[email] = person
    user = {"id": person["user"]} if person["user"] else None
    return double.add_order(userEmail=person["email"], user=user)


def _paid(double: SaleorDouble, order_id: str) -> None:
    stored = double.store.orders[order_id]
    stored.update(
        chargeStatus="FULL",
        isPaid=True,
        paymentStatus="FULLY_CHARGED",
        totalCharged=copy.deepcopy(stored["total"]["gross"]),
    )


def _fulfilled(double: SaleorDouble, order_id: str) -> None:
    stored = double.store.orders[order_id]
    for line in stored["lines"]:
        line["quantityFulfilled"] = line["quantity"]
        line["quantityToFulfill"] = 0
    stored["status"] = "FULFILLED"


async def _minimum(
    harness: Harness,
    order: dict[str, Any],
    before: set[BexioAction],
    contact_known: bool,
    contact_in_bexio: bool,
) -> Counter[str]:
    repo = harness.services.sync_repo
    ran = set(await repo.actions_done(SHOP, SaleorId(order["id"]))) - before
    need: Counter[str] = Counter()
    if BexioAction.CREATE_INVOICE in ran:
        if not contact_known:
            need[CONTACT_SEARCH] += 1
            need[CONTACT_CREATE] += 0 if contact_in_bexio else 1
        need[INVOICE_SEARCH] += 1
        need[ARTICLE_SEARCH] += len({line["productSku"] for line in order["lines"]} - {None, ""})
        need[INVOICE_CREATE] += 1
    need[ISSUE] += BexioAction.ISSUE_INVOICE in ran
    need[SEND] += BexioAction.SEND_INVOICE in ran
    if BexioAction.RECORD_PAYMENT in ran:
        need[INVOICE_READ] += 1
        need[PAYMENT] += 1
    return +need


async def run(orders: int = 30, periods: int = 2) -> Result:
    """Stream `orders` orders over `periods` master-data cache periods; calls and minimum."""
    with tempfile.TemporaryDirectory(prefix="bench-bexio-calls-") as tmp:
        async with in_process_app(Path(tmp)) as harness:
            return await _stream(harness, orders, periods)


async def _stream(harness: Harness, count: int, periods: int) -> Result:
    double, app, emulator = await ready_shop(harness)
    monotonic = _ManualMonotonic()
    harness.services.master_data = MasterDataCache(ttl=MASTER_DATA_TTL_SECONDS, monotonic=monotonic)
    step = MASTER_DATA_TTL_SECONDS * periods / max(count, 1)
    plan = _plan(count)
    people: dict[str, Any] = {}
    tallies: list[OrderTally] = []
    placed: list[dict[str, Any]] = []
    master: Counter[str] = Counter()
    emulator.calls.clear()
    for index, event in _events(count):
        customer, registered, stage = plan[index]
        if event == "confirmed":
            # The cache clock moves with the stream: `periods` cache periods in all.
            monotonic.now = index * step + 0.5
            placed.append(await _place_order(double, index, customer, registered, people))
            tallies.append(OrderTally(placed[-1]["id"], customer, registered, stage))
        order = placed[index]
        order_event = {"confirmed": "ORDER_CREATED", "paid": "ORDER_FULLY_PAID"}.get(
            event, "ORDER_FULFILLED"
        )
        if event == "paid":
            _paid(double, order["id"])
        elif event == "fulfilled":
            _fulfilled(double, order["id"])
        before = set(await harness.services.sync_repo.actions_done(SHOP, SaleorId(order["id"])))
        key = (
            SaleorId(order["user"]["id"])
            if order["user"]
            else SaleorId(f"email:{order['userEmail'].casefold()}")
        )
        contact_known = await harness.services.sync_repo.link(SHOP, LinkKind.CONTACT, key)
        in_bexio = any(c.get("mail") == order["userEmail"] for c in emulator.contacts.values())
        seen = len(emulator.calls)
        await deliver_order_event(harness, double, app, order_event, order["id"])
        await run_all(harness)
        tally = tallies[index]
        for method, path in emulator.calls[seen:]:
            if method == "GET" and path in MASTER_DATA:
                master[MASTER_DATA[path]] += 1
            else:
                tally.calls[_template(method, path)] += 1
        tally.minimum += await _minimum(harness, order, before, contact_known is not None, in_bexio)
    return Result(tallies, master, periods)


def report(result: Result) -> str:
    """The printed figures: per kind of order, per endpoint, master data, the target."""
    groups: dict[tuple[str, str], list[OrderTally]] = {}
    for tally in result.orders:
        who = f"{tally.customer} {'registered' if tally.registered else 'guest'}"
        groups.setdefault((who, tally.stage), []).append(tally)
    rows = []
    for (who, stage), tallies in sorted(groups.items()):
        calls = sum(sum(t.calls.values()) for t in tallies)
        minimum = sum(sum(t.minimum.values()) for t in tallies)
        rows.append(
            [
                who,
                stage,
                len(tallies),
                f"{calls / len(tallies):.1f}",
                f"{minimum / len(tallies):.1f}",
                f"{ratio(calls, minimum):.2f}",
            ]
        )
    by_endpoint_calls: Counter[str] = Counter()
    by_endpoint_minimum: Counter[str] = Counter()
    for tally in result.orders:
        by_endpoint_calls.update(tally.calls)
        by_endpoint_minimum.update(tally.minimum)
    endpoints = sorted(set(by_endpoint_calls) | set(by_endpoint_minimum))
    endpoint_rows = [
        [
            endpoint,
            by_endpoint_calls[endpoint],
            by_endpoint_minimum[endpoint],
            by_endpoint_calls[endpoint] - by_endpoint_minimum[endpoint],
        ]
        for endpoint in endpoints
    ]
    orders = len(result.orders)
    overall = ratio(result.calls, result.minimum)
    master_rows = [
        [name, result.master_reads[name], result.periods] for name in MASTER_DATA.values()
    ]
    master_ok = all(result.master_reads[name] <= result.periods for name in MASTER_DATA.values())
    master_total = sum(result.master_reads.values())
    lines = [
        f"bexio calls per order: {orders} orders, default order actions, "
        f"{result.periods} master-data cache periods",
        table(["customer", "went to", "orders", "calls/order", "minimum/order", "ratio"], rows),
        "",
        table(["endpoint", "calls", "minimum", "extra"], endpoint_rows),
        "",
        table(["master data", "reads", "cache periods"], master_rows),
        "",
        f"all orders: {result.calls} calls for a minimum of {result.minimum}: "
        f"{overall:.2f}x (target <= {TARGET}x: {'met' if overall <= TARGET else 'MISSED'}); "
        f"with master data {ratio(result.calls + master_total, result.minimum):.2f}x",
        f"master data read at most once per cache period: {'yes' if master_ok else 'NO'}",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bexio_calls", description=__doc__)
    parser.add_argument("--orders", type=int, default=30)
    parser.add_argument("--periods", type=int, default=2)
    args = parser.parse_args(argv)
    print(report(asyncio.run(run(args.orders, args.periods))))


if __name__ == "__main__":
    main()
