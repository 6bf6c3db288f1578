"""Order and customer sync: re-read from Saleor, plan (pure), apply in bexio, record each step.

Idempotency: every bexio action is recorded in the ledger right after it succeeded, so a retry
resumes at the first action not recorded. The one window left (bexio created the invoice, the
process died before the ledger write) is closed by searching bexio for the invoice's
`api_reference` (the Saleor order id) before creating it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

from saleor_bexio_app.errors import (
    AppError,
    AuthError,
    ConfigError,
    FailureReason,
    ManualActionError,
    RejectedError,
    TransientError,
)
from saleor_bexio_app.ids import (
    BexioArticleId,
    BexioContactId,
    BexioCurrencyId,
    BexioInvoiceId,
    BexioOrderId,
    InstallationId,
    SaleorId,
)
from saleor_bexio_app.jobs.model import Job
from saleor_bexio_app.sync.actions import BexioAction, plan_order_actions
from saleor_bexio_app.sync.backsync import BackSyncPlan, plan_back_sync
from saleor_bexio_app.sync.contacts import BexioContactSnapshot, customer_from_order, plan_contact
from saleor_bexio_app.sync.model import (
    CENT,
    ZERO,
    BackSyncChoice,
    Customer,
    Link,
    LinkKind,
    Order,
    ShopSettings,
)
from saleor_bexio_app.sync.orders import (
    InvoiceDraft,
    check_totals,
    order_skip_reason,
    plan_gift_card_payments,
    plan_invoice,
    plan_order,
    plan_payment,
    plan_refund,
    plan_send_invoice,
    send_unconfirmed_error,
)
from saleor_bexio_app.sync.ports import (
    BackSyncLedger,
    BexioInvoiceState,
    BexioInvoiceStatus,
    BexioPort,
    SaleorPort,
    SyncRepo,
)
from saleor_bexio_app.sync.vat import BexioTax, TaxMapping

log = logging.getLogger(__name__)

INVOICE_CURSOR = "bexio_invoices_updated_at"
# bexio's updated_at has one-second resolution and no time zone: re-read a little overlap.
CURSOR_OVERLAP = timedelta(minutes=2)
FIRST_POLL_LOOKBACK = timedelta(days=1)
OPEN_INVOICE = (BexioInvoiceStatus.PENDING, BexioInvoiceStatus.PARTIAL, BexioInvoiceStatus.UNPAID)
# bexio may book a payment without bumping the invoice's updated_at: each poll also re-reads
# this many open invoices, least recently checked first.
RECHECK_OPEN_INVOICES = 50


@dataclass(frozen=True, slots=True)
class ShopPorts:
    """The Saleor and bexio sides of one shop, for one job."""

    saleor: SaleorPort
    bexio: BexioPort


PortsFactory = Callable[[InstallationId], Awaitable[ShopPorts]]


class FlowRepo(SyncRepo, BackSyncLedger, Protocol):
    """Everything the sync flows store: settings, links, ledgers, cursors."""

    async def open_invoice_links(self, shop: InstallationId, limit: int) -> Sequence[Link]:
        """Links of issued invoices not yet seen paid or cancelled, least recently checked first."""
        ...

    async def mark_checked(self, shop: InstallationId, link: Link) -> None:
        """Remember that the linked bexio object was just re-read."""
        ...

    async def has_open_error(self, shop: InstallationId, kind: str, key: str, reason: str) -> bool:
        """Whether the error log holds an unresolved entry for this job target and reason."""
        ...

    async def forget_event(self, shop: InstallationId, order_id: SaleorId, event: str) -> None:
        """Drop a recorded event (a mark whose call certainly did not happen)."""
        ...

    async def claim(self, shop: InstallationId, name: str, *, ttl: timedelta) -> bool:
        """Take an exclusive claim if it is free or stale; whether it is now ours."""
        ...

    async def release(self, shop: InstallationId, name: str) -> None:
        """Give a claim back."""
        ...


# Marks recorded (as back-sync events) right before a call that must not happen twice; a mark
# without its action in the ledger means an earlier attempt may have made the call.
SEND_STARTED = "send_started"
SEND_UNCONFIRMED = "send_unconfirmed"
NOTE_STARTED = ":note"
# Creating a new customer's contact: one job at a time per e-mail address.
CONTACT_CLAIM_TTL = timedelta(minutes=2)
CONTACT_CLAIM_WAIT_SECONDS = 30.0
CONTACT_CLAIM_POLL_SECONDS = 0.05


def _surely_not_carried_out(exc: AppError) -> bool:
    """Whether bexio certainly did not carry out a failed call: it refused it, rate-limited it,
    or the request never reached it. Anything else may have happened with the answer lost."""
    if isinstance(exc, TransientError):
        return exc.not_carried_out
    return True


def contact_link_key(customer: Customer, customer_id: SaleorId | None) -> SaleorId:
    """Registered customers link by Saleor user id (a changed e-mail updates the same contact);
    guests by e-mail."""
    if customer_id:
        return customer_id
    return SaleorId(f"email:{customer.email.strip().casefold()}")


@dataclass
class _OrderRun:
    """What one sync of one order reads lazily and shares between its actions."""

    shop: InstallationId
    order: Order
    settings: ShopSettings
    ports: ShopPorts
    done: set[BexioAction]
    contact_id: BexioContactId | None = None
    taxes: Sequence[BexioTax] | None = None
    tax_map: TaxMapping | None = None
    currencies: Mapping[str, BexioCurrencyId] | None = None
    articles: Mapping[str, BexioArticleId] = field(default_factory=dict)
    automatic: dict[str, bool] = field(default_factory=dict)
    # The invoice as this run last saw it (from creating, reading or issuing it); forgotten
    # after anything that changes it in ways the run cannot know (payments, cancelling).
    invoice: BexioInvoiceState | None = None
    # The number of an invoice whose e-mail an earlier attempt may have sent (answer lost).
    unconfirmed_send: str | None = None


class SyncFlows:
    """Handlers for `sync_customer` and `sync_order` jobs."""

    def __init__(self, repo: FlowRepo, ports: PortsFactory, clock: Callable[[], datetime]) -> None:
        self._repo = repo
        self._ports = ports
        self._clock = clock

    async def sync_customer(self, job: Job) -> None:
        """Create or update the customer's bexio contact (shop → bexio only)."""
        ports = await self._ports(job.installation_id)
        customer = await ports.saleor.get_customer(SaleorId(job.key))
        if customer is None:
            return
        settings = await self._repo.shop_settings(job.installation_id)
        await self._ensure_contact(
            job.installation_id, ports.bexio, settings, customer, customer.id
        )

    async def sync_order(self, job: Job) -> None:
        """Run the order's ticked bexio actions for its current state, each exactly once."""
        ports = await self._ports(job.installation_id)
        try:
            await self._sync_order(job, ports)
        except ConfigError:
            # The merchant fixes configuration in bexio (e.g. activates a tax): read it afresh.
            ports.bexio.forget_master_data()
            raise

    async def _sync_order(self, job: Job, ports: ShopPorts) -> None:
        shop = job.installation_id
        order = await ports.saleor.get_order(SaleorId(job.key))
        if order is None:
            return
        settings = await self._repo.shop_settings(shop)
        skip = order_skip_reason(order, settings)
        if skip:
            log.info("order %s of shop %s skipped: %s", order.id, shop, skip)
            return
        done = set(await self._repo.actions_done(shop, order.id))
        plan = plan_order_actions(order, settings.order_actions, frozenset(done))
        error = plan.error()
        if error is not None:
            raise error
        run = _OrderRun(shop, order, settings, ports, done)
        for action in plan.actions:
            bexio_id = await self._apply(run, action, plan.invoice_from_order)
            await self._repo.record_action(shop, order.id, action, bexio_id)
            run.done.add(action)
        if (
            BexioAction.CREATE_INVOICE in plan.actions
            and BexioAction.ISSUE_INVOICE not in plan.actions
        ):
            # Issuing checks the totals first; a draft left for later is checked right away.
            self._check_totals(run, await self._invoice(run))
        await self._refund(run, job)
        await self._unconfirmed_send(run, job)

    async def poll_invoices(self, job: Job) -> None:
        """bexio has no webhooks: read invoices changed since the cursor and act on paid or
        cancelled ones (each event once); the cursor only moves forward, capped at the run start."""
        shop = job.installation_id
        started = self._clock()
        try:
            ports = await self._ports(shop)
        except AuthError:
            return  # not connected (or uninstalled): the connection page already says so
        settings = await self._repo.shop_settings(shop)
        cursor = await self._repo.cursor(shop, INVOICE_CURSOR)
        since = datetime.fromisoformat(cursor) if cursor else started - FIRST_POLL_LOOKBACK
        newest = since
        seen: set[int] = set()
        for invoice in await ports.bexio.list_invoices_changed_since(since - CURSOR_OVERLAP):
            await self._back_sync(shop, ports, settings, invoice)
            seen.add(invoice.id)
            if invoice.updated_at is not None and invoice.updated_at > newest:
                newest = invoice.updated_at
        await self._repo.advance_cursor(shop, INVOICE_CURSOR, min(newest, started))
        for link in await self._repo.open_invoice_links(shop, RECHECK_OPEN_INVOICES):
            if link.bexio_id not in seen:
                try:
                    state = await ports.bexio.get_invoice(BexioInvoiceId(link.bexio_id))
                except TransientError as exc:
                    # Left unchecked, it comes first at the next poll; failing the whole poll
                    # here would redo every read, and at a high error rate never get through.
                    log.info("invoice %s of shop %s not re-checked: %s", link.bexio_id, shop, exc)
                    continue
                if state is not None:
                    await self._back_sync(shop, ports, settings, state)
            await self._repo.mark_checked(shop, link)

    async def _back_sync(
        self,
        shop: InstallationId,
        ports: ShopPorts,
        settings: ShopSettings,
        invoice: BexioInvoiceState,
    ) -> None:
        links = await self._repo.links_by_bexio_id(shop, LinkKind.INVOICE, invoice.id)
        if not links:
            return  # not an invoice this app created
        order_id = links[0].saleor_id
        order = await ports.saleor.get_order(order_id)
        if order is None:
            return
        done = await self._repo.events_done(shop, order_id)
        plan = plan_back_sync(invoice, order, settings, done)
        if plan is None:
            return
        await self._transition(ports.saleor, order_id, plan)
        # The note at most once: marked right before it is added (a lost answer, or a crash
        # before the event is recorded, must not add it again on the next poll).
        note_mark = f"{plan.event}{NOTE_STARTED}"
        if plan.choice != BackSyncChoice.NONE and note_mark not in done:
            await self._repo.record_event(shop, order_id, note_mark)
            await ports.saleor.add_order_note(order_id, plan.note)
        await self._repo.record_event(shop, order_id, plan.event)

    async def _transition(self, saleor: SaleorPort, order_id: SaleorId, plan: BackSyncPlan) -> None:
        if plan.choice == BackSyncChoice.NONE:
            return
        if plan.choice == BackSyncChoice.MARK_AS_PAID:
            await saleor.mark_order_as_paid(order_id, plan.reference)
        elif plan.choice == BackSyncChoice.CONFIRM:
            await saleor.confirm_order(order_id)
        elif plan.choice == BackSyncChoice.FULFILL:
            await saleor.fulfill_order(order_id)
        elif plan.choice == BackSyncChoice.CANCEL_ORDER:
            await saleor.cancel_order(order_id)

    async def _apply(self, run: _OrderRun, action: BexioAction, from_order: bool) -> int | None:
        if action == BexioAction.CREATE_ORDER:
            return await self._create_order(run)
        if action == BexioAction.CREATE_INVOICE:
            return await self._create_invoice(run, from_order)
        invoice = await self._invoice(run)
        bexio = run.ports.bexio
        if action == BexioAction.ISSUE_INVOICE:
            if invoice.status == BexioInvoiceStatus.DRAFT:
                self._check_totals(run, invoice)
                await bexio.issue_invoice(invoice.id)
                # Issuing moves a draft to pending and changes nothing else the run uses.
                invoice = run.invoice = replace(invoice, status=BexioInvoiceStatus.PENDING)
            await self._book_gift_cards(run, invoice)
            return invoice.id
        if action == BexioAction.SEND_INVOICE:
            return await self._send_invoice(run, invoice)
        if action == BexioAction.RECORD_PAYMENT:
            if invoice.status == BexioInvoiceStatus.PAID:
                return invoice.id  # paid already (in bexio, or by an earlier unrecorded run)
            payment = plan_payment(run.order, run.settings, self._clock().date())
            if payment is None:
                return None
            run.invoice = None
            return await bexio.create_payment(invoice.id, payment)
        if action == BexioAction.CREATE_DELIVERY:
            order_link = await self._repo.link(run.shop, LinkKind.ORDER, run.order.id)
            if order_link is None:
                raise ConfigError("A bexio delivery needs the bexio order, which was not created.")
            return await bexio.create_delivery(BexioOrderId(order_link.bexio_id))
        if action == BexioAction.CANCEL_INVOICE:
            run.invoice = None
            return await self._cancel_invoice(run, invoice)
        raise ConfigError(f"Unknown bexio action {action}.")

    async def _send_invoice(self, run: _OrderRun, invoice: BexioInvoiceState) -> int:
        """E-mail the invoice at most once. bexio has no "sent" flag to check, so a mark is
        recorded right before the call; an attempt that finds the mark (an earlier one may have
        sent it, with the answer lost) does not send again but asks the merchant to check."""
        marks = await self._repo.events_done(run.shop, run.order.id)
        if SEND_STARTED in marks:
            run.unconfirmed_send = invoice.document_nr
            return invoice.id
        mail = plan_send_invoice(run.order, run.settings, invoice.document_nr)
        await self._repo.record_event(run.shop, run.order.id, SEND_STARTED)
        try:
            await run.ports.bexio.send_invoice(invoice.id, mail)
        except AppError as exc:
            if _surely_not_carried_out(exc):
                await self._repo.forget_event(run.shop, run.order.id, SEND_STARTED)
            raise
        return invoice.id

    async def _unconfirmed_send(self, run: _OrderRun, job: Job) -> None:
        """The manual item for an invoice e-mail that may not have gone out: raised when found,
        and by later syncs of the order while it is open (see `_manual_item`)."""
        invoice_nr = run.unconfirmed_send
        if invoice_nr is None:
            marks = await self._repo.events_done(run.shop, run.order.id)
            recorded = sorted(m for m in marks if m.startswith(f"{SEND_UNCONFIRMED}:"))
            if not recorded:
                return
            invoice_nr = recorded[0].split(":", 1)[1]
        await self._manual_item(
            run,
            job,
            f"{SEND_UNCONFIRMED}:{invoice_nr}",
            send_unconfirmed_error(invoice_nr, run.order.number),
        )

    async def _manual_item(
        self, run: _OrderRun, job: Job, event: str, error: ManualActionError
    ) -> None:
        """Raise a manual item once per `event`, then again on each run only while its
        error-log entry is open, so a later success does not resolve it; the merchant's
        Dismiss or Retry ends it."""
        if event not in await self._repo.events_done(run.shop, run.order.id):
            await self._repo.record_event(run.shop, run.order.id, event)
        elif not await self._repo.has_open_error(run.shop, job.kind, job.key, FailureReason.MANUAL):
            return
        raise error

    async def _create_order(self, run: _OrderRun) -> int:
        existing = await self._repo.link(run.shop, LinkKind.ORDER, run.order.id)
        if existing is not None:
            return existing.bexio_id
        contact_id = await self._contact(run)
        found = await run.ports.bexio.find_order_by_api_reference(
            run.order.id, contact_id=contact_id
        )
        if found is not None:
            log.info("order %s: bexio order %s found by api_reference", run.order.id, found)
            await self._repo.save_link(run.shop, Link(LinkKind.ORDER, run.order.id, found))
            return found
        draft = plan_order(
            run.order,
            run.settings,
            await self._tax_map(run),
            await self._currencies(run),
            await self._articles(run),
            contact_id=contact_id,
            bexio_taxes=await self._taxes(run),
            bexio_automatic_numbering=await self._automatic(run, "KbOrder"),
        )
        order_id = await run.ports.bexio.create_order(draft)
        await self._repo.save_link(run.shop, Link(LinkKind.ORDER, run.order.id, order_id))
        return order_id

    async def _create_invoice(self, run: _OrderRun, from_order: bool) -> int:
        linked = await self._repo.link(run.shop, LinkKind.INVOICE, run.order.id)
        if linked is not None:
            return linked.bexio_id
        bexio = run.ports.bexio
        found = await bexio.search_invoice_by_api_reference(run.order.id)
        if found is None:
            draft = await self._invoice_draft(run)
            order_link = await self._repo.link(run.shop, LinkKind.ORDER, run.order.id)
            if from_order and order_link is not None:
                found = await bexio.create_invoice_from_order(
                    BexioOrderId(order_link.bexio_id), draft
                )
            else:
                found = await bexio.create_invoice(draft)
        else:
            log.info("order %s: bexio invoice %s found by api_reference", run.order.id, found.id)
        await self._repo.save_link(run.shop, Link(LinkKind.INVOICE, run.order.id, found.id))
        run.invoice = found
        return found.id

    async def _invoice_draft(self, run: _OrderRun) -> InvoiceDraft:
        contact_id = await self._contact(run)
        return plan_invoice(
            run.order,
            run.settings,
            await self._tax_map(run),
            await self._currencies(run),
            await self._articles(run),
            contact_id=contact_id,
            bexio_taxes=await self._taxes(run),
            bexio_automatic_numbering=await self._automatic(run, "KbInvoice"),
        )

    async def _invoice(self, run: _OrderRun) -> BexioInvoiceState:
        if run.invoice is not None:
            return run.invoice
        linked = await self._repo.link(run.shop, LinkKind.INVOICE, run.order.id)
        if linked is None:
            raise ConfigError(
                f"Order {run.order.number} has no bexio invoice yet; tick “Create invoice” for "
                "an earlier order state."
            )
        invoice = await run.ports.bexio.get_invoice(BexioInvoiceId(linked.bexio_id))
        if invoice is None:
            raise RejectedError(
                f"The bexio invoice of order {run.order.number} was deleted in bexio."
            )
        run.invoice = invoice
        return invoice

    async def _book_gift_cards(self, run: _OrderRun, invoice: BexioInvoiceState) -> None:
        """Record each gift card as a payment on the issued invoice, once (ledgered per card).

        bexio payments carry no reference to search for. So before booking a card that the
        ledger does not know, the invoice's payments are compared with what the ledger accounts
        for: a payment with the card's amount and account that nothing in the ledger explains is
        the one an earlier run booked before it crashed, and is recorded instead of booked again.
        """
        payments = plan_gift_card_payments(run.order, run.settings)
        if not payments or invoice.status not in OPEN_INVOICE:
            return
        booked = await self._repo.events_done(run.shop, run.order.id)
        missing = [(event, payment) for event, payment in payments if event not in booked]
        if not missing:
            return
        unexplained = Counter(
            (state.value, state.bank_account_id)
            for state in await run.ports.bexio.list_payments(invoice.id)
        )
        for event, payment in payments:
            if event in booked:
                unexplained[(payment.value.amount, int(payment.bank_account_id))] -= 1
        for event, payment in missing:
            key = (payment.value.amount, int(payment.bank_account_id))
            if unexplained[key] > 0:
                unexplained[key] -= 1
            else:
                run.invoice = None
                await run.ports.bexio.create_payment(invoice.id, payment)
            await self._repo.record_event(run.shop, run.order.id, event)

    async def _refund(self, run: _OrderRun, job: Job) -> None:
        """A refund in Saleor: cancel the unpaid invoice, or one manual item per refunded total.

        The manual item is ledgered when first raised; later runs raise it again only while
        its error-log entry is still open (so a later success does not resolve it), and never
        after the merchant dismissed or retried it.
        """
        order = run.order
        if order.total_refunded <= ZERO or BexioAction.CREATE_INVOICE not in run.done:
            return
        invoice: BexioInvoiceState | None = None
        if BexioAction.CANCEL_INVOICE not in run.done:
            invoice = await self._invoice(run)
        plan = plan_refund(
            order,
            run.settings,
            done=frozenset(run.done),
            invoice_paid=invoice is not None and invoice.status == BexioInvoiceStatus.PAID,
            invoice_nr=invoice.document_nr if invoice is not None else None,
        )
        if plan.action == "cancel_invoice" and invoice is not None:
            bexio_id = await self._cancel_invoice(run, invoice)
            await self._repo.record_action(run.shop, order.id, BexioAction.CANCEL_INVOICE, bexio_id)
            run.done.add(BexioAction.CANCEL_INVOICE)
        elif plan.action == "manual_credit_note":
            event = f"refund_manual:{order.total_refunded.quantize(CENT)}"
            await self._manual_item(run, job, event, plan.error())

    def _check_totals(self, run: _OrderRun, invoice: BexioInvoiceState) -> None:
        mismatch = check_totals(invoice.total, run.order)
        if mismatch is not None:
            raise mismatch.error()

    async def _cancel_invoice(self, run: _OrderRun, invoice: BexioInvoiceState) -> int:
        bexio = run.ports.bexio
        if invoice.status == BexioInvoiceStatus.DRAFT:
            await bexio.delete_invoice(invoice.id)
        elif invoice.status in OPEN_INVOICE:
            await bexio.cancel_invoice(invoice.id)
        elif invoice.status == BexioInvoiceStatus.PAID:
            raise RejectedError(
                f"Order {run.order.number} was cancelled, but its bexio invoice "
                f"{invoice.document_nr} is already paid. Create a credit note in bexio."
            )
        return invoice.id

    async def _contact(self, run: _OrderRun) -> BexioContactId:
        if run.contact_id is None:
            customer = customer_from_order(run.order)
            run.contact_id = await self._ensure_contact(
                run.shop, run.ports.bexio, run.settings, customer, run.order.customer_id
            )
        return run.contact_id

    async def _ensure_contact(
        self,
        shop: InstallationId,
        bexio: BexioPort,
        settings: ShopSettings,
        customer: Customer,
        customer_id: SaleorId | None,
    ) -> BexioContactId:
        key = contact_link_key(customer, customer_id)
        link = await self._repo.link(shop, LinkKind.CONTACT, key)
        if link is not None:
            return await self._write_contact(shop, bexio, settings, customer, key, link)
        # A new customer: jobs of the same e-mail (two orders of a guest, a customer and their
        # first order) create the contact one at a time, so the second finds the first's.
        claim = f"contact:{customer.email.strip().casefold()}"
        await self._take_claim(shop, claim)
        try:
            link = await self._repo.link(shop, LinkKind.CONTACT, key)
            return await self._write_contact(shop, bexio, settings, customer, key, link)
        finally:
            await self._repo.release(shop, claim)

    async def _take_claim(self, shop: InstallationId, claim: str) -> None:
        waited = 0.0
        while not await self._repo.claim(shop, claim, ttl=CONTACT_CLAIM_TTL):
            if waited >= CONTACT_CLAIM_WAIT_SECONDS:
                raise TransientError(
                    "Another sync is creating this customer's bexio contact; trying again.",
                    retry_after=5,
                )
            await asyncio.sleep(CONTACT_CLAIM_POLL_SECONDS)
            waited += CONTACT_CLAIM_POLL_SECONDS

    async def _write_contact(
        self,
        shop: InstallationId,
        bexio: BexioPort,
        settings: ShopSettings,
        customer: Customer,
        key: SaleorId,
        link: Link | None,
    ) -> BexioContactId:
        existing = (
            BexioContactSnapshot(BexioContactId(link.bexio_id), None, link.fingerprint)
            if link is not None
            else await bexio.find_contact_by_mail(customer.email.strip())
        )
        plan = plan_contact(
            customer,
            existing,
            settings=settings,
            countries=await bexio.list_countries(),
            languages=await bexio.list_languages(),
        )
        if plan.action == "create":
            contact_id = await bexio.create_contact(plan.draft)
        else:
            assert plan.contact_id is not None
            contact_id = plan.contact_id
            if plan.action == "update":
                await bexio.update_contact(contact_id, plan.draft)
        if link is None or plan.action != "skip":
            await self._repo.save_link(
                shop, Link(LinkKind.CONTACT, key, contact_id, plan.fingerprint)
            )
        return contact_id

    async def _taxes(self, run: _OrderRun) -> Sequence[BexioTax]:
        if run.taxes is None:
            run.taxes = await run.ports.bexio.list_taxes()
        return run.taxes

    async def _tax_map(self, run: _OrderRun) -> TaxMapping:
        if run.tax_map is None:
            run.tax_map = await self._repo.tax_mapping(run.shop)
        return run.tax_map

    async def _currencies(self, run: _OrderRun) -> Mapping[str, BexioCurrencyId]:
        if run.currencies is None:
            run.currencies = await run.ports.bexio.list_currencies()
        return run.currencies

    async def _articles(self, run: _OrderRun) -> Mapping[str, BexioArticleId]:
        skus = sorted({line.sku for line in run.order.lines if line.sku})
        if skus and not run.articles:
            run.articles = await run.ports.bexio.find_articles_by_sku(skus)
        return run.articles

    async def _automatic(self, run: _OrderRun, document_class: str) -> bool:
        if document_class not in run.automatic:
            run.automatic[document_class] = await run.ports.bexio.uses_automatic_numbering(
                document_class
            )
        return run.automatic[document_class]
