"""The VAT tab, the order widget, the "Sync to bexio" action and backfill progress.

Reading needs what every request needs (MANAGE_ORDERS, checked in api/context.py).
`syncOrderNow` needs no more than that: it changes no setting or connection, it only queues the
same order sync a webhook would queue (a staff user who may edit the order triggers that anyway),
and it never bypasses a pause.

Assumption (not in bexio's API documentation): a bexio document opens in the web app at
`https://office.bexio.com/index.php/<kb_invoice|kb_order|kb_delivery>/show/id/<id>`.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import BexioInvoiceId, InstallationId, SaleorId
from saleor_bexio_app.jobs.backfill import (
    BackfillProgress,
    SyncRequestOutcome,
    SyncRequestResult,
    backfill_progress,
    sync_order_now,
)
from saleor_bexio_app.store.settings_codec import tax_mapping_to_json
from saleor_bexio_app.sync.actions import ACTION_ORDER
from saleor_bexio_app.sync.model import LinkKind
from saleor_bexio_app.sync.ports import BexioInvoiceStatus
from saleor_bexio_app.sync.vat import BexioTax, ShopTaxRate, VatComparison, VatProblem, VatRow
from saleor_bexio_app.web.services import Services
from saleor_bexio_app.web.vat import vat_overview

BEXIO_WEB_URL = "https://office.bexio.com/index.php"
_DOCUMENT_PATHS = {
    LinkKind.ORDER: "kb_order",
    LinkKind.INVOICE: "kb_invoice",
    LinkKind.DELIVERY: "kb_delivery",
}
MAX_ORDER_ID_LENGTH = 300


def bexio_document_url(kind: LinkKind, bexio_id: int) -> str:
    """Where the merchant opens a bexio document (see the module's assumption)."""
    return f"{BEXIO_WEB_URL}/{_DOCUMENT_PATHS[kind]}/show/id/{bexio_id}"


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}"


# VAT


@strawberry.type
class ShopRate:
    """A Saleor tax rate: a tax class's rate in a country, or the country's default rate."""

    country_code: str
    rate: str = strawberry.field(description="Percent as a decimal string, e.g. 8.1")
    tax_class_id: str | None
    tax_class_name: str | None

    @classmethod
    def of(cls, rate: ShopTaxRate) -> ShopRate:
        return cls(
            country_code=rate.country_code,
            rate=_percent(rate.rate),
            tax_class_id=rate.tax_class_id,
            tax_class_name=rate.tax_class_name,
        )


@strawberry.type
class BexioSalesTax:
    """A bexio tax; `percentage` is a decimal string in percent."""

    id: int
    code: str
    name: str
    label: str
    percentage: str
    is_active: bool
    type: str

    @classmethod
    def of(cls, tax: BexioTax) -> BexioSalesTax:
        return cls(
            id=int(tax.id),
            code=tax.code,
            name=tax.name,
            label=tax.label,
            percentage=_percent(tax.percentage),
            is_active=tax.is_active,
            type=tax.type,
        )


@strawberry.type
class VatIssue:
    """What is wrong with a rate's mapping; `kind`: unmapped, unknown_tax, inactive,
    not_sales_tax, rate_mismatch or invalid_metadata. `shopRate` is null for a mapping entry
    no shop rate uses."""

    kind: str
    message: str
    shop_rate: ShopRate | None

    @classmethod
    def of(cls, problem: VatProblem) -> VatIssue:
        return cls(
            kind=str(problem.kind),
            message=problem.message,
            shop_rate=None if problem.shop_rate is None else ShopRate.of(problem.shop_rate),
        )


@strawberry.type
class VatRowView:
    """A shop rate beside the bexio tax it maps to (`source`: which mapping entry chose it),
    or, when it has a problem, a suggested bexio tax with the same rate."""

    shop_rate: ShopRate
    bexio_tax: BexioSalesTax | None
    source: str | None
    suggestion: BexioSalesTax | None
    problem: VatIssue | None

    @classmethod
    def of(cls, row: VatRow) -> VatRowView:
        return cls(
            shop_rate=ShopRate.of(row.shop_rate),
            bexio_tax=None if row.bexio_tax is None else BexioSalesTax.of(row.bexio_tax),
            source=None if row.source is None else str(row.source),
            suggestion=None if row.suggestion is None else BexioSalesTax.of(row.suggestion),
            problem=None if row.problem is None else VatIssue.of(row.problem),
        )


@strawberry.type
class VatOverview:
    """The VAT tab: every shop rate with its mapping, bexio's active sales taxes, the stored
    mapping document (as `vatMapping.json`) and every problem; `ok` when there is none."""

    rows: list[VatRowView]
    bexio_taxes: list[BexioSalesTax]
    mapping: JSON
    problems: list[VatIssue]
    ok: bool

    @classmethod
    def of(cls, comparison: VatComparison) -> VatOverview:
        return cls(
            rows=[VatRowView.of(row) for row in comparison.rows],
            bexio_taxes=[BexioSalesTax.of(tax) for tax in comparison.bexio_taxes],
            mapping=JSON(tax_mapping_to_json(comparison.mapping)),
            problems=[VatIssue.of(problem) for problem in comparison.problems],
            ok=comparison.ok,
        )


@strawberry.type
class BexioNotConnected:
    """bexio (or the shop's Saleor) cannot be used now; `message` says why."""

    message: str


@strawberry.type
class BexioUnavailable:
    """bexio or Saleor failed to answer (e.g. a timeout); try again later."""

    message: str


VatOverviewResult = Annotated[
    VatOverview | BexioNotConnected | BexioUnavailable, strawberry.union("VatOverviewResult")
]


async def read_vat_overview(services: Services, shop: InstallationId) -> VatOverviewResult:
    try:
        comparison = await vat_overview(services, shop)
    except AuthError as exc:
        return BexioNotConnected(message=exc.user_message)
    except AppError as exc:
        return BexioUnavailable(message=exc.user_message)
    return VatOverview.of(comparison)


# the order widget


@strawberry.type
class BexioDocument:
    """A bexio document made for the order. `kind`: order, invoice or delivery. `number`,
    `status` and `total` are read live for invoices (status: draft, pending, paid, partial,
    cancelled, unpaid, or deleted when bexio no longer has it); null when unknown."""

    kind: str
    bexio_id: int
    number: str | None
    status: str | None
    total: str | None
    url: str


@strawberry.type
class OrderDocuments:
    """The order's bexio documents and the bexio actions already done for it (ledger names,
    e.g. create_invoice); `liveError` says why invoice details could not be read now."""

    order_id: str
    documents: list[BexioDocument]
    actions_done: list[str]
    live_error: str | None
    live_error_code: str | None = strawberry.field(
        default=None, description="Names `liveError` for translation, like SyncError.messageCode"
    )
    live_error_params: JSON = strawberry.field(
        default_factory=dict, description="The values the translated `liveError` shows"
    )


async def read_order_documents(
    services: Services, shop: InstallationId, order_id: SaleorId
) -> OrderDocuments:
    repo = services.sync_repo
    links = [
        link
        for kind in (LinkKind.ORDER, LinkKind.INVOICE, LinkKind.DELIVERY)
        if (link := await repo.link(shop, kind, order_id)) is not None
    ]
    done = await repo.actions_done(shop, order_id)
    documents: list[BexioDocument] = []
    live_error: AppError | None = None
    for link in links:
        document = BexioDocument(
            kind=str(link.kind),
            bexio_id=link.bexio_id,
            number=None,
            status=None,
            total=None,
            url=bexio_document_url(link.kind, link.bexio_id),
        )
        if link.kind is LinkKind.INVOICE:
            try:
                ports = await services.shop_ports(shop)
                state = await ports.bexio.get_invoice(BexioInvoiceId(link.bexio_id))
            except AppError as exc:
                live_error = exc
            else:
                if state is None:
                    document.status = "deleted"
                else:
                    document.number = state.document_nr or None
                    document.status = BexioInvoiceStatus(state.status).name.lower()
                    document.total = f"{state.total:f}"
        documents.append(document)
    order = [str(action) for action in ACTION_ORDER if action in done]
    if live_error is None:
        return OrderDocuments(
            order_id=order_id, documents=documents, actions_done=order, live_error=None
        )
    return OrderDocuments(
        order_id=order_id,
        documents=documents,
        actions_done=order,
        live_error=live_error.user_message,
        live_error_code=live_error.code,
        live_error_params=JSON(live_error.params),
    )


# "Sync to bexio"


@strawberry.enum
class SyncOutcome(Enum):
    """QUEUED: a sync job was queued; ALREADY_QUEUED: one was waiting already; RETRIED: a
    failed sync (parked job or open error) was queued again."""

    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    RETRIED = "retried"


@strawberry.type
class OrderSyncRequested:
    """What "Sync to bexio" did; while `paused`, the job waits until the sync is resumed."""

    order_id: str
    outcome: SyncOutcome
    paused: bool
    pause_reason: str | None

    @classmethod
    def of(cls, order_id: str, result: SyncRequestResult) -> OrderSyncRequested:
        outcome = {
            SyncRequestOutcome.QUEUED: SyncOutcome.QUEUED,
            SyncRequestOutcome.ALREADY_QUEUED: SyncOutcome.ALREADY_QUEUED,
            SyncRequestOutcome.RETRIED: SyncOutcome.RETRIED,
        }[result.outcome]
        return cls(
            order_id=order_id,
            outcome=outcome,
            paused=result.paused,
            pause_reason=result.pause_reason,
        )


@strawberry.type
class InvalidOrderId:
    """The order id is empty or too long; nothing was queued."""

    message: str


SyncOrderNowResult = Annotated[
    OrderSyncRequested | InvalidOrderId, strawberry.union("SyncOrderNowResult")
]


def valid_order_id(order_id: str) -> SaleorId | None:
    cleaned = order_id.strip()
    if not cleaned or len(cleaned) > MAX_ORDER_ID_LENGTH:
        return None
    return SaleorId(cleaned)


async def request_order_sync(
    services: Services, shop: InstallationId, order_id: str
) -> SyncOrderNowResult:
    valid = valid_order_id(order_id)
    if valid is None:
        return InvalidOrderId(message="The order id is missing or invalid.")
    result = await sync_order_now(services.sessions, shop, valid, now=services.clock())
    return OrderSyncRequested.of(valid, result)


# backfills


@strawberry.type
class Backfill:
    """A backfill of orders or customers created since `since`, or the initial product sync
    (`products`) or its dry run (`products_dry_run`); `status`: running, done or failed;
    `total` is null until known; `report` holds a dry run's counts and examples."""

    id: int
    entity: str
    since: datetime
    status: str
    total: int | None
    done: int
    started_at: datetime
    updated_at: datetime
    report: JSON | None

    @classmethod
    def of(cls, progress: BackfillProgress) -> Backfill:
        return cls(
            id=int(progress.id),
            entity=str(progress.entity),
            since=progress.since,
            status=progress.status,
            total=progress.total,
            done=progress.done,
            started_at=progress.started_at,
            updated_at=progress.updated_at,
            report=None if progress.report is None else JSON(progress.report),
        )


async def read_backfills(services: Services, shop: InstallationId) -> list[Backfill]:
    return [Backfill.of(progress) for progress in await backfill_progress(services.sessions, shop)]
