"""Chaos run: many orders through worker processes that get killed, against a failing bexio.

`python -m tests.reliability.chaos --orders 300 --seed 1`

On loopback: the Saleor double, the bexio emulator (failing a share of its API calls with 429
and a short Retry-After, 500/502/503, answers held past the client's timeout and dropped
connections; about half of the failed calls were carried out all the same) and the app's web
endpoint run in this process; `saleor-bexio worker` processes share one PostgreSQL database. The
shop is installed through /api/register and connected through bexio's OAuth flow. Then orders of
registered and guest customers (many of them returning) are placed in the double, and every
webhook is delivered twice with random delays, so deliveries overlap and arrive out of order.
Once the app has issued and e-mailed an order's invoice, the order may be paid in bexio (the
invoice poll must mark it paid in Saleor, once), paid in Saleor (the payment is recorded in bexio,
once) or cancelled in Saleor (the invoice is cancelled, once). Meanwhile a random worker is
SIGKILLed every few seconds and started again. The poll runs every 10 s instead of every five
minutes. docs/reliability.md ("Chaos run") lists the invariants and a run's figures.

When everything has settled, the run counts at the emulator and at the double, not only in the
app's database, prints the counts and exits non-zero if an invariant does not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import enum
import logging
import os
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

import saleor_bexio_app
from saleor_bexio_app.ids import InstallationId, SaleorApiUrl
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.sandbox.bexio import BexioEmulator, Fault
from saleor_bexio_app.sandbox.bexio_documents import (
    INVOICE_CANCELLED,
    INVOICE_PAID,
    INVOICE_PENDING,
)
from saleor_bexio_app.sandbox.run import (
    CLIENT_ID,
    CLIENT_SECRET,
    SandboxHandles,
    _connect_bexio,
    _install,
    sandbox_settings,
    sandbox_tax_mapping,
)
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble, address
from saleor_bexio_app.settings import load_settings
from saleor_bexio_app.store.tables import ActionDoneRow, JobRow, SyncErrorRow
from saleor_bexio_app.sync.actions import BexioAction
from saleor_bexio_app.sync.model import BackSyncChoice
from saleor_bexio_app.web.app import INVOICE_POLL, create_app
from saleor_bexio_app.web.services import Services
from tests.net import free_port, serving

HOST = "127.0.0.1"
# Weights of the injected faults. The client's read timeout is 20 s, so held answers are rare.
FAULT_KINDS: Mapping[Fault, float] = {
    429: 3,
    500: 3,
    502: 1,
    503: 1,
    "timeout": 1,
    "reset": 3,
}
HELD_ANSWER_SECONDS = 25.0
# Shorter than production so a killed worker's jobs come back within seconds, and enough
# attempts that a job does not run out of them at a 20 % fault rate.
WORKER_ENV = {
    "WORKER_CONCURRENCY": "4",
    "JOB_LEASE_SECONDS": "10",
    "JOB_MAX_ATTEMPTS": "40",
    "JOB_BACKOFF_BASE_SECONDS": "0.5",
    "JOB_BACKOFF_MAX_SECONDS": "5",
    "EMBEDDED_WORKER": "false",
    "LOG_LEVEL": "WARNING",
}
POLL_EVERY_SECONDS = 10.0
CATALOGUE = (
    ("T-Shirt", "M", "TS-M", "29.90", "0.081"),
    ("Hoodie", "L", "HD-L", "59.00", "0.081"),
    ("Mug", "white", "MUG-W", "14.95", "0.081"),
    ("Swiss Chocolate", "100 g", "CH-100", "4.50", "0.026"),
    ("Coffee beans", "250 g", "CF-250", "12.80", "0.026"),
)
FIRST_NAMES = ("Anna", "Luca", "Mia", "Noah", "Lea", "Elias", "Sofia", "Jonas", "Emma", "Leon")
LAST_NAMES = ("Muster", "Keller", "Meier", "Frei", "Huber", "Weber", "Brunner", "Baumann")
STREETS = ("Bahnhofstrasse 12a", "Seestrasse 3", "Dorfweg 17", "Langstrasse 101", "Rue du Lac 8")

log = logging.getLogger("chaos")
Json = dict[str, Any]


class Fate(enum.StrEnum):
    """What happens to an order after its invoice was issued and sent."""

    OPEN = "open"
    PAID_IN_BEXIO = "paid in bexio"
    PAID_IN_SALEOR = "paid in Saleor"
    CANCELLED = "cancelled in Saleor"


FATE_WEIGHTS = {
    Fate.OPEN: 0.45,
    Fate.PAID_IN_BEXIO: 0.25,
    Fate.PAID_IN_SALEOR: 0.15,
    Fate.CANCELLED: 0.15,
}
BASE_ACTIONS = frozenset(
    {BexioAction.CREATE_INVOICE, BexioAction.ISSUE_INVOICE, BexioAction.SEND_INVOICE}
)
EXPECTED_ACTIONS = {
    Fate.OPEN: BASE_ACTIONS,
    Fate.PAID_IN_BEXIO: BASE_ACTIONS | {BexioAction.RECORD_PAYMENT},
    Fate.PAID_IN_SALEOR: BASE_ACTIONS | {BexioAction.RECORD_PAYMENT},
    Fate.CANCELLED: BASE_ACTIONS | {BexioAction.CANCEL_INVOICE},
}


@dataclass(frozen=True, slots=True)
class ChaosConfig:
    """The size and the violence of one run."""

    orders: int = 300
    seed: int = 1
    workers: int = 3
    fault_rate: float = 0.2
    kill_every: tuple[float, float] = (4.0, 12.0)
    delivery_spread: float = 3.0
    timeout: float = 1800.0


@dataclass
class PlacedOrder:
    id: str
    email: str
    fate: Fate
    fate_applied: bool = False
    paid_webhook_sent: bool = False


@dataclass
class ChaosReport:
    """The printed counts and the invariants that failed."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, label: str, value: object) -> None:
        self.lines.append(f"  {label:<58} {value}")

    def check(self, ok: bool, what: str) -> None:
        if not ok:
            self.failures.append(what)

    def render(self) -> str:
        verdict = ["all invariants hold"] if not self.failures else ["FAILED:"]
        verdict += [f"  - {failure}" for failure in self.failures]
        return "\n".join([*self.lines, *verdict])


class WorkerPool:
    """`saleor-bexio worker` processes; any of them may be SIGKILLed and started again.

    They run a copy of the package taken when the pool is made, so a worker started again
    late in a run runs the same code as the first ones, even if the checkout changed.
    """

    def __init__(self, env: Mapping[str, str], workdir: Path) -> None:
        code = workdir / "code"
        shutil.copytree(
            Path(saleor_bexio_app.__file__).parent,
            code / "saleor_bexio_app",
            ignore=shutil.ignore_patterns("__pycache__", "static"),
        )
        self._env = {**os.environ, **env, "PYTHONPATH": str(code)}
        self._logs = workdir
        self._started = 0
        self.processes: list[subprocess.Popen[bytes]] = []
        self.kills = 0

    def _command(self) -> list[str]:
        script = Path(sys.executable).parent / "saleor-bexio"
        if script.exists():
            return [str(script), "worker"]
        return [sys.executable, "-m", "saleor_bexio_app", "worker"]

    def _spawn(self) -> subprocess.Popen[bytes]:
        self._started += 1
        with (self._logs / f"worker-{self._started}.log").open("wb") as output:
            return subprocess.Popen(
                self._command(), env=self._env, cwd=self._logs, stdout=output, stderr=output
            )

    def start(self, count: int) -> None:
        self.processes = [self._spawn() for _ in range(count)]

    def kill_one(self, rng: random.Random) -> None:
        index = rng.randrange(len(self.processes))
        process = self.processes[index]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.kills += 1
        self.processes[index] = self._spawn()

    def stop(self) -> list[int]:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes:
            try:
                codes.append(process.wait(timeout=30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait())
        return codes


class Webhooks:
    """Signed deliveries from the double to the app, each sent twice at random moments."""

    def __init__(
        self, handles: SandboxHandles, client: httpx.AsyncClient, rng: random.Random, spread: float
    ) -> None:
        self._handles = handles
        self._client = client
        self._rng = rng
        self._spread = spread
        self._tasks: set[asyncio.Task[None]] = set()
        self.delivered = 0
        self.refused: Counter[int] = Counter()

    def order_event(self, event: str, order_id: str) -> None:
        double, app_id = self._handles.double, self._handles.installed.id
        for _ in range(2):
            # Signed at sending time, as Saleor does for each attempt.
            self._later(event, lambda: double.order_webhook(event, order_id, app_id))

    def customer_event(self, event: str, customer: Mapping[str, Any]) -> None:
        double, app_id = self._handles.double, self._handles.installed.id
        payload = {
            "__typename": "".join(part.capitalize() for part in event.split("_")),
            "issuedAt": datetime.now(UTC).isoformat(),
            "version": double.version,
            "recipient": {"id": app_id},
            "user": {"id": customer["id"], "updatedAt": customer["updatedAt"]},
        }
        for _ in range(2):
            self._later(event, lambda: double.webhook(event, payload))

    def _later(self, event: str, build: Callable[[], tuple[dict[str, str], bytes]]) -> None:
        delay = self._rng.uniform(0, self._spread)
        task = asyncio.create_task(self._send(event, build, delay))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(
        self, event: str, build: Callable[[], tuple[dict[str, str], bytes]], delay: float
    ) -> None:
        await asyncio.sleep(delay)
        slug = event.lower().replace("_", "-")
        url = f"{self._handles.app_url}/api/webhooks/{slug}"
        # Saleor retries a delivery that failed with a 5xx or no answer.
        for attempt in range(10):
            headers, body = build()
            try:
                answer = await self._client.post(url, content=body, headers=headers)
            except httpx.TransportError:
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if answer.status_code == 200:
                self.delivered += 1
                return
            self.refused[answer.status_code] += 1
            if answer.status_code < 500:
                return
            await asyncio.sleep(0.5 * (attempt + 1))

    @property
    def pending(self) -> int:
        return len(self._tasks)


class Shop:
    """The merchant's side: customers, orders and what later happens to them."""

    def __init__(self, double: SaleorDouble, webhooks: Webhooks, rng: random.Random) -> None:
        self.double = double
        self.webhooks = webhooks
        self.rng = rng
        self.orders: list[PlacedOrder] = []
        self.customers: list[dict[str, Any]] = []
        self.guests: list[tuple[str, str, str]] = []
        self._tax_classes = {
            "0.081": double.add_tax_class("Standard", {"CH": "8.1"}),
            "0.026": double.add_tax_class("Reduced rate", {"CH": "2.6"}),
        }

    def add_customers(self, registered: int, guests: int) -> None:
        for n in range(registered):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            billing = address(firstName=first, lastName=last, streetAddress1=self._street())
            customer = self.double.add_customer(
                email=f"{first.lower()}.{last.lower()}.{n}@example.ch",
                firstName=first,
                lastName=last,
                defaultBillingAddress=billing,
                defaultShippingAddress=billing,
            )
            self.customers.append(customer)
            self.webhooks.customer_event("CUSTOMER_CREATED", customer)
        for n in range(guests):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            self.guests.append((f"guest.{n}.{last.lower()}@example.org", first, last))

    def _street(self) -> str:
        return self.rng.choice(STREETS)

    def place_order(self) -> PlacedOrder:
        if self.rng.random() < 0.6:
            customer: dict[str, Any] | None = self.rng.choice(self.customers)
            assert customer is not None
            email, first, last = customer["email"], customer["firstName"], customer["lastName"]
        else:
            customer = None
            email, first, last = self.rng.choice(self.guests)
        lines = []
        for name, variant, sku, price, rate in self.rng.sample(CATALOGUE, self.rng.randint(1, 3)):
            lines.append(
                self.double.order_line(
                    name,
                    variant_name=variant,
                    sku=sku,
                    quantity=self.rng.randint(1, 4),
                    unit_price=price,
                    tax_rate=rate,
                    tax_class=self._tax_classes[rate],
                )
            )
        billing = address(firstName=first, lastName=last, streetAddress1=self._street())
        order = self.double.add_order(
            lines=lines,
            shipping_price=self.rng.choice(["7.00", "9.50", None]),
            userEmail=email,
            user=customer,
            billingAddress=billing,
            shippingAddress=billing,
        )
        [fate] = self.rng.choices(list(FATE_WEIGHTS), list(FATE_WEIGHTS.values()))
        placed = PlacedOrder(order["id"], email, fate)
        self.orders.append(placed)
        self.webhooks.order_event("ORDER_CREATED", order["id"])
        if self.rng.random() < 0.3:
            self.webhooks.order_event("ORDER_UPDATED", order["id"])
        return placed

    def apply_fate(self, placed: PlacedOrder, emulator: BexioEmulator, invoice: Json) -> None:
        order = self.double.store.orders[placed.id]
        if placed.fate == Fate.PAID_IN_BEXIO:
            emulator.record_payment(invoice["id"], invoice["total"])
        elif placed.fate == Fate.PAID_IN_SALEOR:
            order.update(
                chargeStatus="FULL",
                isPaid=True,
                paymentStatus="FULLY_CHARGED",
                totalCharged=copy.deepcopy(order["total"]["gross"]),
                updatedAt=datetime.now(UTC).isoformat(),
            )
            self.webhooks.order_event("ORDER_PAID", placed.id)
            self.webhooks.order_event("ORDER_FULLY_PAID", placed.id)
        elif placed.fate == Fate.CANCELLED:
            order.update(status="CANCELED", updatedAt=datetime.now(UTC).isoformat())
            self.webhooks.order_event("ORDER_CANCELLED", placed.id)
        placed.fate_applied = True

    def saleor_marked_paid(self, placed: PlacedOrder) -> None:
        """Saleor's own webhooks after the app marked the order paid."""
        self.webhooks.order_event("ORDER_FULLY_PAID", placed.id)
        placed.paid_webhook_sent = True


def _invoices_by_order(emulator: BexioEmulator) -> dict[str, list[Json]]:
    found: dict[str, list[Json]] = defaultdict(list)
    for invoice in emulator.invoices.values():
        if invoice.get("api_reference"):
            found[invoice["api_reference"]].append(invoice)
    return found


def _mutations_by_order(double: SaleorDouble) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for name, args in double.mutations:
        order_id = args.get("id") or args.get("order")
        counts[str(order_id)][name] += 1
    return counts


async def _lifecycle(
    shop: Shop, emulator: BexioEmulator, services: Services, done: asyncio.Event
) -> None:
    """Apply each order's fate once the app has issued and sent its invoice; echo Saleor's
    paid webhook after the app marked an order paid."""
    while not done.is_set():
        invoices = _invoices_by_order(emulator)
        sent = await _sent_by_the_app(services)
        marked = _mutations_by_order(shop.double)
        for placed in shop.orders:
            if placed.fate == Fate.OPEN:
                continue
            if not placed.fate_applied:
                ready = [
                    i
                    for i in invoices.get(placed.id, [])
                    if i["kb_item_status_id"] == INVOICE_PENDING and placed.id in sent
                ]
                if ready:
                    shop.apply_fate(placed, emulator, ready[0])
            elif (
                placed.fate == Fate.PAID_IN_BEXIO
                and not placed.paid_webhook_sent
                and marked[placed.id]["orderMarkAsPaid"]
            ):
                shop.saleor_marked_paid(placed)
        await asyncio.sleep(0.5)


async def _sent_by_the_app(services: Services) -> set[str]:
    """Orders whose invoice e-mail the app has recorded as sent."""
    async with services.sessions() as session:
        rows = await session.scalars(
            select(ActionDoneRow.saleor_order_id).where(
                ActionDoneRow.action == str(BexioAction.SEND_INVOICE)
            )
        )
        return set(rows.all())


async def _poll_often(services: Services, shop: InstallationId, stop: asyncio.Event) -> None:
    """Queue the invoice poll every few seconds (it coalesces with a queued one)."""
    while not stop.is_set():
        await _queue_poll(services, shop)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_EVERY_SECONDS)


async def _queue_poll(services: Services, shop: InstallationId) -> None:
    async with services.sessions.begin() as session:
        await queue.enqueue(
            session,
            installation_id=shop,
            kind=JobKind.POLL_INVOICES,
            key=INVOICE_POLL.job_key,
            now=services.clock(),
        )


async def _kill_now_and_then(
    pool: WorkerPool, rng: random.Random, config: ChaosConfig, stop: asyncio.Event
) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.uniform(*config.kill_every))
        if not stop.is_set():
            pool.kill_one(rng)


async def _report_progress(
    shop: Shop, emulator: BexioEmulator, services: Services, pool: WorkerPool, stop: asyncio.Event
) -> None:
    started = time.monotonic()
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 15.0)
        sent = {mail["kb_invoice_id"] for mail in emulator.sent_emails}
        log.info(
            "%3.0f s: %d orders, %d invoices (%d sent), %d fates applied, %d jobs to do, %d kills",
            time.monotonic() - started,
            len(shop.orders),
            len(emulator.invoices),
            len(sent),
            sum(placed.fate_applied for placed in shop.orders),
            await _unfinished_jobs(services),
            pool.kills,
        )


async def _unfinished_jobs(services: Services) -> int:
    async with services.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(JobRow).where(JobRow.state.in_(("queued", "running")))
        )
    return int(count or 0)


async def _settled(shop: Shop, emulator: BexioEmulator, services: Services) -> bool:
    """Whether the emulator and the double show every order's expected end state (an invoice
    e-mail counts once the app recorded it: one whose answer was lost is not sent again)."""
    invoices = _invoices_by_order(emulator)
    sent = await _sent_by_the_app(services)
    marked = _mutations_by_order(shop.double)
    for placed in shop.orders:
        found = invoices.get(placed.id)
        if not found or placed.id not in sent:
            return False
        if placed.fate == Fate.OPEN:
            continue
        if not placed.fate_applied:
            return False
        status = found[0]["kb_item_status_id"]
        if placed.fate in (Fate.PAID_IN_SALEOR, Fate.PAID_IN_BEXIO) and status != INVOICE_PAID:
            return False
        if placed.fate == Fate.CANCELLED and status != INVOICE_CANCELLED:
            return False
        if placed.fate == Fate.PAID_IN_BEXIO and not placed.paid_webhook_sent:
            return False
        if not marked[placed.id]["orderNoteAdd"]:
            return False
    return True


async def _wait_until(condition: Callable[[], Any], deadline: float, every: float = 1.0) -> bool:
    while time.monotonic() < deadline:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return True
        await asyncio.sleep(every)
    return False


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _saleor_vat(order: Json) -> dict[Decimal, Decimal]:
    """VAT per rate (percent) as Saleor computed it: lines and shipping, in cents."""
    vat: dict[Decimal, Decimal] = defaultdict(Decimal)
    for line in order["lines"]:
        total = line["totalPrice"]
        rate = (Decimal(str(line["taxRate"])) * 100).quantize(Decimal("0.1"))
        vat[rate] += _money(total["gross"]["amount"]) - _money(total["net"]["amount"])
    shipping = order["shippingPrice"]
    if order["shippingMethodName"] is not None:
        rate = (Decimal(str(order["shippingTaxRate"])) * 100).quantize(Decimal("0.1"))
        vat[rate] += _money(shipping["gross"]["amount"]) - _money(shipping["net"]["amount"])
    return {rate: amount for rate, amount in vat.items() if amount}


def _bexio_vat(invoice: Json) -> dict[Decimal, Decimal]:
    return {
        _money(tax["percentage"]).quantize(Decimal("0.1")): _money(tax["value"])
        for tax in invoice.get("taxs") or []
    }


async def _check(
    report: ChaosReport,
    shop: Shop,
    emulator: BexioEmulator,
    services: Services,
    installation: InstallationId,
) -> None:
    orders = shop.orders
    by_fate = Counter(placed.fate for placed in orders)
    report.add("orders placed", len(orders))
    for fate in Fate:
        report.add(f"  {fate}", by_fate[fate])
    emails = {placed.email for placed in orders} | {c["email"] for c in shop.customers}
    contacts_per_mail = Counter(c.get("mail") for c in emulator.contacts.values())
    spread = Counter(contacts_per_mail[mail] for mail in emails)
    report.add("customer e-mails (registered + guests used)", len(emails))
    report.add("bexio contacts per e-mail: {count: e-mails}", dict(sorted(spread.items())))
    report.check(set(spread) == {1}, f"contacts per e-mail are not all 1: {dict(spread)}")

    invoices = _invoices_by_order(emulator)
    per_order = Counter(len(invoices.get(placed.id, [])) for placed in orders)
    report.add("bexio invoices per order: {count: orders}", dict(sorted(per_order.items())))
    report.check(set(per_order) == {1}, f"invoices per order are not all 1: {dict(per_order)}")

    wrong_total, wrong_vat = [], []
    for placed in orders:
        found = invoices.get(placed.id, [])
        if len(found) != 1:
            continue
        invoice, order = found[0], shop.double.store.orders[placed.id]
        gross = _money(order["total"]["gross"]["amount"])
        # bexio rounds CHF totals to 5 Rappen.
        if abs(_money(invoice["total"]) - gross) > Decimal("0.025"):
            wrong_total.append(placed.id)
        saleor_vat, bexio_vat = _saleor_vat(order), _bexio_vat(invoice)
        positions = len(order["lines"]) + 1
        tolerance = Decimal("0.005") * positions
        if set(saleor_vat) != set(bexio_vat) or any(
            abs(bexio_vat[rate] - amount) > tolerance for rate, amount in saleor_vat.items()
        ):
            wrong_vat.append(placed.id)
    report.add("invoice totals off the order's total", len(wrong_total))
    report.add("invoice VAT (per rate) off the order's VAT", len(wrong_vat))
    report.check(not wrong_total, f"{len(wrong_total)} invoice totals differ from the order")
    report.check(not wrong_vat, f"{len(wrong_vat)} invoices have other VAT than the order")

    async with services.sessions() as session:
        rows = (
            await session.execute(
                select(ActionDoneRow.saleor_order_id, ActionDoneRow.action).where(
                    ActionDoneRow.installation_id == installation
                )
            )
        ).all()
    ledger: dict[str, set[str]] = defaultdict(set)
    for order_id, action in rows:
        ledger[order_id].add(action)
    ledger_off: Counter[str] = Counter()
    for placed in orders:
        ticked = {str(action) for action in EXPECTED_ACTIONS[placed.fate]}
        if ledger[placed.id] != ticked:
            missing = ",".join(sorted(ticked - ledger[placed.id])) or "-"
            extra = ",".join(sorted(ledger[placed.id] - ticked)) or "-"
            ledger_off[f"{placed.fate}: missing {missing}, extra {extra}"] += 1
    report.add("orders whose ledger differs from the ticked actions", dict(ledger_off))
    report.check(not ledger_off, f"{sum(ledger_off.values())} orders' ledgers differ")

    async with services.sessions() as session:
        manual = (
            await session.execute(
                select(SyncErrorRow.key, SyncErrorRow.message_code).where(
                    SyncErrorRow.installation_id == installation,
                    SyncErrorRow.status == "open",
                    SyncErrorRow.reason == "manual",
                )
            )
        ).all()
    unconfirmed_orders = {key for key, code in manual if code == "send_unconfirmed"}
    report.add(
        "invoice e-mails the merchant is asked to check (answer lost)", len(unconfirmed_orders)
    )
    carried = Counter((method, path) for method, path, _ in emulator.carried_out)
    sends = Counter(mail["kb_invoice_id"] for mail in emulator.sent_emails)
    payments = Counter(payment["kb_invoice_id"] for payment in emulator.payments.values())
    per_action: dict[str, Counter[int]] = defaultdict(Counter)
    for placed in orders:
        found = invoices.get(placed.id, [])
        if len(found) != 1:
            continue
        invoice_id = found[0]["id"]
        paid = placed.fate in (Fate.PAID_IN_BEXIO, Fate.PAID_IN_SALEOR)
        cancelled = placed.fate == Fate.CANCELLED
        # An e-mail whose send answer was lost is never sent again; the merchant is asked to
        # check it instead (below), so 0 counts as expected for those invoices.
        unconfirmed = placed.id in unconfirmed_orders
        at_bexio = {
            "issue": (carried[("POST", f"/2.0/kb_invoice/{invoice_id}/issue")], 1),
            "send": (sends[invoice_id], 0 if unconfirmed and not sends[invoice_id] else 1),
            "payment": (payments[invoice_id], 1 if paid else 0),
            "cancel": (carried[("POST", f"/2.0/kb_invoice/{invoice_id}/cancel")], int(cancelled)),
        }
        for action, (seen, expected) in at_bexio.items():
            per_action[action][seen - expected] += 1
    for action in ("issue", "send", "payment", "cancel"):
        spread_off = dict(sorted(per_action[action].items()))
        report.add(f"{action} at bexio minus expected: {{difference: orders}}", spread_off)
        report.check(set(spread_off) <= {0}, f"{action} at bexio not exactly as ticked")

    settings = sandbox_settings()
    mutations = _mutations_by_order(shop.double)
    paid_off, notes_off = Counter[int](), Counter[int]()
    for placed in orders:
        counts = mutations[placed.id]
        paid_expected = 1 if placed.fate == Fate.PAID_IN_BEXIO else 0
        if placed.fate in (Fate.PAID_IN_BEXIO, Fate.PAID_IN_SALEOR):
            notes_expected = int(settings.on_invoice_paid != BackSyncChoice.NONE)
        elif placed.fate == Fate.CANCELLED:
            notes_expected = int(settings.on_invoice_cancelled != BackSyncChoice.NONE)
        else:
            notes_expected = 0
        paid_off[counts["orderMarkAsPaid"] - paid_expected] += 1
        notes_off[counts["orderNoteAdd"] - notes_expected] += 1
    report.add("Saleor orderMarkAsPaid minus expected: {difference: orders}", dict(paid_off))
    report.add("Saleor order notes minus expected: {difference: orders}", dict(notes_off))
    report.check(set(paid_off) == {0}, "orderMarkAsPaid in Saleor not once per invoice paid")
    report.check(set(notes_off) == {0}, "order notes in Saleor not once per paid/cancelled")

    async with services.sessions() as session:
        jobs = (await session.execute(select(JobRow.state, JobRow.kind, JobRow.reason))).all()
    states = Counter(state for state, _, _ in jobs)
    parked = Counter(f"{kind}: {reason}" for state, kind, reason in jobs if state == "parked")
    report.add("jobs still running (leased)", states["running"])
    report.add("jobs still queued", states["queued"])
    report.add("jobs parked {kind: reason: count}", dict(parked))
    report.check(states["running"] == 0, f"{states['running']} jobs still running")
    report.check(states["queued"] == 0, f"{states['queued']} jobs still queued")
    # The only parked work allowed: the "check this e-mail in bexio" items above.
    unexpected = {k: n for k, n in parked.items() if k != "sync_order: manual"}
    report.check(not unexpected, f"{sum(unexpected.values())} jobs parked: {unexpected}")
    report.check(
        parked["sync_order: manual"] <= len(unconfirmed_orders),
        "manual items other than unconfirmed invoice e-mails",
    )


async def run_chaos(config: ChaosConfig, database_url: str, workdir: Path) -> ChaosReport:
    """One chaos run against an empty PostgreSQL database; returns what it counted."""
    rng = random.Random(config.seed)
    started = time.monotonic()
    deadline = started + config.timeout
    app_port, saleor_port, bexio_port = free_port(), free_port(), free_port()
    app_url = f"http://{HOST}:{app_port}"
    saleor_url = f"http://{HOST}:{saleor_port}"
    bexio_url = f"http://{HOST}:{bexio_port}"
    api_url = f"{saleor_url}/graphql/"
    env = {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url,
        "APP_URL": app_url,
        "ALLOWED_SALEOR_URLS": f"^{re.escape(api_url)}$",
        "BEXIO_CLIENT_ID": CLIENT_ID,
        "BEXIO_CLIENT_SECRET": CLIENT_SECRET,
        "BEXIO_API_URL": bexio_url,
        "BEXIO_AUTH_URL": f"{bexio_url}/realms/bexio/protocol/openid-connect",
        **WORKER_ENV,
    }
    double = SaleorDouble(api_url, shop_name="Chaos shop")
    emulator = BexioEmulator(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, timeout_seconds=HELD_ANSWER_SECONDS
    )
    app = create_app(load_settings(env))
    services: Services = app.state.services
    pool = WorkerPool(env, workdir)
    report = ChaosReport()
    async with (
        app.router.lifespan_context(app),
        serving(double.app, saleor_port),
        serving(emulator.app, bexio_port),
        serving(app, app_port),
        httpx.AsyncClient(trust_env=False, timeout=30.0) as client,
    ):
        # A dropped connection is a fault injected on purpose, not worth a traceback.
        uvicorn_log = logging.getLogger("uvicorn.error")
        level = uvicorn_log.level
        uvicorn_log.setLevel(logging.CRITICAL)
        installed = await _install(app_url, double)
        async with services.sessions() as session:
            row = await services.installations.find(session, SaleorApiUrl(api_url))
        assert row is not None, "the app did not store the installation"
        handles = SandboxHandles(
            app_url, saleor_url, api_url, bexio_url, double, emulator, app, installed, row.id
        )
        await _connect_bexio(handles)
        await services.sync_repo.save_shop_settings(row.id, sandbox_settings())
        await services.sync_repo.save_tax_mapping(row.id, sandbox_tax_mapping())

        # when: workers start, bexio starts failing, orders come in, workers get killed
        pool.start(config.workers)
        emulator.fail_randomly(config.fault_rate, FAULT_KINDS, seed=config.seed)
        webhooks = Webhooks(handles, client, rng, config.delivery_spread)
        shop = Shop(double, webhooks, rng)
        stop_chaos, lifecycle_done = asyncio.Event(), asyncio.Event()
        background = [
            asyncio.create_task(_kill_now_and_then(pool, rng, config, stop_chaos)),
            asyncio.create_task(_poll_often(services, row.id, stop_chaos)),
            asyncio.create_task(_lifecycle(shop, emulator, services, lifecycle_done)),
            asyncio.create_task(_report_progress(shop, emulator, services, pool, stop_chaos)),
        ]
        try:
            shop.add_customers(max(2, config.orders // 4), max(2, config.orders // 6))
            for _ in range(config.orders):
                shop.place_order()
                await asyncio.sleep(rng.uniform(0.0, 0.1))
            settled = await _wait_until(lambda: _settled(shop, emulator, services), deadline)
            log.info("settled: %s after %.0f s", settled, time.monotonic() - started)
        finally:
            stop_chaos.set()
            lifecycle_done.set()
            await asyncio.gather(*background)
        # then: no more kills; bexio keeps failing while the queue drains and the last polls run
        await _wait_until(lambda: webhooks.pending == 0, deadline)
        for _ in range(2):
            await _queue_poll(services, row.id)
            await _wait_until(_drained(services), max(deadline, time.monotonic() + 120), every=0.5)
        exit_codes = pool.stop()
        elapsed = time.monotonic() - started

        report.lines.append(
            f"chaos run: {config.orders} orders, seed {config.seed}, {config.workers} workers, "
            f"{config.fault_rate:.0%} of bexio calls failing, {os.cpu_count()} CPU cores"
        )
        report.add("wall time (s)", round(elapsed))
        report.add("settled before the timeout", settled)
        report.add("webhook deliveries accepted (each sent twice)", webhooks.delivered)
        report.add("webhook deliveries refused {status: count}", dict(webhooks.refused))
        report.add("workers SIGKILLed and restarted", pool.kills)
        report.add("worker exit codes on SIGTERM at the end", exit_codes)
        report.add("bexio API calls", len(emulator.calls))
        report.add("bexio faults injected {kind: count}", dict(emulator.injected))
        report.add("bexio calls carried out", len(emulator.carried_out))
        report.add("bexio contacts", len(emulator.contacts))
        report.add("bexio invoices", len(emulator.invoices))
        report.check(settled, "the expected end state was not reached before the timeout")
        report.check(all(code == 0 for code in exit_codes), f"worker exit codes {exit_codes}")
        await _check(report, shop, emulator, services, row.id)
        uvicorn_log.setLevel(level)
    return report


def _drained(services: Services) -> Callable[[], Any]:
    async def drained() -> bool:
        return await _unfinished_jobs(services) == 0

    return drained


async def create_database(server_url: str) -> str:
    """A new empty database on a PostgreSQL server (`postgresql+asyncpg://user@host:port`)."""
    name = f"chaos_{secrets.token_hex(6)}"
    plain = server_url.replace("postgresql+asyncpg://", "postgresql://")
    connection = await asyncpg.connect(f"{plain}/postgres")
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return f"{server_url}/{name}"


@contextlib.asynccontextmanager
async def postgres_server() -> AsyncIterator[str]:
    """TEST_POSTGRES_URL's server, or a private PostgreSQL cluster for this run."""
    from tests.pg_cluster import start_cluster

    given = os.environ.get("TEST_POSTGRES_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    cluster = start_cluster()
    try:
        yield cluster.admin_url.rsplit("/", 1)[0]
    finally:
        cluster.stop()


async def _main(config: ChaosConfig) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="saleor-bexio-chaos-"))
    try:
        async with postgres_server() as server:
            report = await run_chaos(config, await create_database(server), workdir)
        print(report.render(), flush=True)
        if report.failures:
            print(f"worker logs kept in {workdir}", file=sys.stderr)
            return 1
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    except BaseException:
        print(f"worker logs kept in {workdir}", file=sys.stderr)
        raise


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.reliability.chaos", description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds for the whole run")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    for noisy in ("uvicorn", "uvicorn.error", "httpx", "alembic", "saleor_bexio_app"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    config = ChaosConfig(
        orders=args.orders,
        seed=args.seed,
        workers=args.workers,
        fault_rate=args.fault_rate,
        timeout=args.timeout,
    )
    raise SystemExit(asyncio.run(_main(config)))


if __name__ == "__main__":
    main()
