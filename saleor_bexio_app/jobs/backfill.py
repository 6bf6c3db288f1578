"""Manual sync: "sync this order now" and backfills of orders or customers created since a date.

A backfill is a row in `backfills` plus one queued `backfill` job. Each run of that job lists one
page from Saleor after the stored cursor, enqueues a sync job per object (coalescing makes
repeats harmless), advances the cursor and the progress in the same transaction, and queues
itself again for the next page. So a lease stays short, the bexio limiter throttles the sync
jobs in between, and a crash or restart resumes at the first page not yet recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, NewType, Protocol

from sqlalchemy import exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import InstallationId, JobId, SaleorApiUrl, SaleorId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.saleor.client import IdPage, SaleorClient
from saleor_bexio_app.store.error_log import ErrorLog
from saleor_bexio_app.store.repos import InstallationRepo
from saleor_bexio_app.store.tables import BackfillRow, InstallationRow, JobRow, SyncErrorRow

Sessions = async_sessionmaker[AsyncSession]
SaleorFactory = Callable[[SaleorApiUrl, str], SaleorClient]
BackfillId = NewType("BackfillId", int)

PAGE_SIZE = 50
RUNNING, DONE, FAILED = "running", "done", "failed"


class BackfillEntity(StrEnum):
    """What a backfill lists from Saleor, and the sync job it queues per object.

    `products` is the initial product sync (both directions as configured);
    `products_dry_run` plans it without writing and keeps a report of what it would change.
    """

    ORDERS = "orders"
    CUSTOMERS = "customers"
    PRODUCTS = "products"
    PRODUCTS_DRY_RUN = "products_dry_run"

    @property
    def job_kind(self) -> JobKind:
        if self is BackfillEntity.ORDERS:
            return JobKind.SYNC_ORDER
        if self is BackfillEntity.CUSTOMERS:
            return JobKind.SYNC_CUSTOMER
        return JobKind.SYNC_PRODUCT

    @property
    def is_products(self) -> bool:
        return self in (BackfillEntity.PRODUCTS, BackfillEntity.PRODUCTS_DRY_RUN)


class ProductPages(Protocol):
    """The product sync's pages (see `jobs.product_flows.ProductBulk`)."""

    async def page(
        self, job: Job, backfill_id: int, cursor: str | None, *, dry_run: bool
    ) -> tuple[int, str | None, bool]: ...


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """One backfill as the dashboard shows it; `total` is None until the first page was listed."""

    id: BackfillId
    entity: BackfillEntity
    since: datetime
    status: str
    total: int | None
    done: int
    started_at: datetime
    updated_at: datetime
    # A dry run's findings (counts and examples); None for other backfills.
    report: dict[str, Any] | None = None


class SyncRequestOutcome(StrEnum):
    QUEUED = "queued"
    ALREADY_QUEUED = "already_queued"
    RETRIED = "retried"


@dataclass(frozen=True, slots=True)
class SyncRequestResult:
    """What "sync this order now" did. While the shop is paused the job waits in the queue."""

    outcome: SyncRequestOutcome
    paused: bool = False
    pause_reason: str | None = None


async def sync_order_now(
    sessions: Sessions, installation_id: InstallationId, order_id: SaleorId, *, now: datetime
) -> SyncRequestResult:
    """Queue a manual sync of one order; a parked job or open error for it is retried.

    It never bypasses a pause: the result says when the shop is paused and the job waits.
    """
    async with sessions.begin() as session:
        outcome = await _request_sync(session, installation_id, order_id, now)
        if outcome is SyncRequestOutcome.RETRIED:
            # As the errors page's Retry: one error fewer may lift a threshold pause.
            await ErrorLog(sessions).refresh_pause(session, installation_id, now=now)
        pause = (
            await session.execute(
                select(InstallationRow.sync_paused_at, InstallationRow.pause_reason).where(
                    InstallationRow.id == installation_id
                )
            )
        ).one_or_none()
    paused = pause is not None and pause.sync_paused_at is not None
    return SyncRequestResult(
        outcome, paused=paused, pause_reason=(pause.pause_reason if paused and pause else None)
    )


async def _request_sync(
    session: AsyncSession, installation_id: InstallationId, order_id: SaleorId, now: datetime
) -> SyncRequestOutcome:
    kind = str(JobKind.SYNC_ORDER)
    parked = (
        await session.execute(
            select(JobRow.id).where(
                JobRow.installation_id == installation_id,
                JobRow.kind == kind,
                JobRow.key == order_id,
                JobRow.state == queue.PARKED,
            )
        )
    ).scalar_one_or_none()
    if parked is not None and await queue.requeue_parked(session, JobId(parked), now=now):
        return SyncRequestOutcome.RETRIED
    queued = await queue.enqueue(
        session,
        installation_id=installation_id,
        kind=kind,
        key=order_id,
        now=now,
        payload={"manual": True},
    )
    open_error = SyncErrorRow.installation_id == installation_id, SyncErrorRow.kind == kind
    has_error = await session.scalar(
        select(
            exists().where(*open_error, SyncErrorRow.key == order_id, SyncErrorRow.status == "open")
        )
    )
    if has_error:
        await session.execute(
            update(SyncErrorRow)
            .where(*open_error, SyncErrorRow.key == order_id, SyncErrorRow.status == "open")
            .values(status="retried", last_seen_at=now)
        )
        return SyncRequestOutcome.RETRIED
    return SyncRequestOutcome.QUEUED if queued else SyncRequestOutcome.ALREADY_QUEUED


async def start_backfill(
    sessions: Sessions,
    installation_id: InstallationId,
    entity: BackfillEntity,
    since: date,
    *,
    now: datetime,
) -> BackfillId:
    """Record a backfill of `entity` created on or after `since` (UTC) and queue its first page."""
    async with sessions.begin() as session:
        row = BackfillRow(
            installation_id=installation_id,
            entity=str(entity),
            since=datetime.combine(since, time.min, tzinfo=UTC),
            status=RUNNING,
            total=None,
            done=0,
            cursor=None,
            started_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        backfill_id = BackfillId(row.id)
        await _enqueue_page(session, installation_id, backfill_id, now)
    return backfill_id


async def backfill_progress(
    sessions: Sessions, installation_id: InstallationId
) -> list[BackfillProgress]:
    """The shop's backfills, newest first.

    A running backfill whose page job was parked (Saleor kept failing) shows as failed; the
    error log's Retry continues it from its cursor.
    """
    async with sessions() as session:
        rows = await session.scalars(
            select(BackfillRow)
            .where(BackfillRow.installation_id == installation_id)
            .order_by(BackfillRow.id.desc())
        )
        parked = set(
            await session.scalars(
                select(JobRow.key).where(
                    JobRow.installation_id == installation_id,
                    JobRow.kind == str(JobKind.BACKFILL),
                    JobRow.state == queue.PARKED,
                )
            )
        )
        return [_to_progress(row, parked) for row in rows]


class BackfillFlow:
    """The `backfill` job handler: one page per run."""

    def __init__(
        self,
        sessions: Sessions,
        installations: InstallationRepo,
        saleor: SaleorFactory,
        clock: Callable[[], datetime],
        *,
        products: ProductPages | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._sessions = sessions
        self._installations = installations
        self._saleor = saleor
        self._clock = clock
        self._products = products
        self._page_size = page_size

    async def run(self, job: Job) -> None:
        """List the page after the stored cursor, queue its sync jobs, then the next page."""
        backfill_id = BackfillId(int(job.payload["backfill_id"]))
        async with self._sessions() as session:
            row = await session.get(BackfillRow, backfill_id)
            if row is None or row.status == DONE:
                return
            entity, since, cursor = BackfillEntity(row.entity), row.since, row.cursor
            installation = await self._installations.get(session, job.installation_id)
            token = await self._installations.token(session, job.installation_id)
        if entity.is_products:
            await self._product_page(job, backfill_id, entity, cursor)
            return
        try:
            if installation is None or token is None or not installation.active:
                raise AuthError("The app is not installed in this shop any more.")
            client = self._saleor(installation.saleor_api_url, token)
            page = await self._list(client, entity, since, cursor)
        except AppError as exc:
            if not exc.retryable:
                await self._set_status(backfill_id, FAILED)
            raise
        await self._record(job, backfill_id, entity, page)

    async def _list(
        self, client: SaleorClient, entity: BackfillEntity, since: datetime, cursor: str | None
    ) -> IdPage:
        if entity is BackfillEntity.ORDERS:
            return await client.list_order_ids(since, first=self._page_size, after=cursor)
        return await client.list_customer_ids(since, first=self._page_size, after=cursor)

    async def _record(
        self, job: Job, backfill_id: BackfillId, entity: BackfillEntity, page: IdPage
    ) -> None:
        now = self._clock()
        async with self._sessions.begin() as session:
            for object_id in page.ids:
                await queue.enqueue(
                    session,
                    installation_id=job.installation_id,
                    kind=entity.job_kind,
                    key=object_id,
                    now=now,
                    payload={"backfill_id": backfill_id},
                )
            more = page.has_next and page.end_cursor is not None
            values: dict[str, object] = {
                "done": BackfillRow.done + len(page.ids),
                "total": page.total,
                "status": RUNNING if more else DONE,
                "updated_at": now,
            }
            if page.end_cursor is not None:
                values["cursor"] = page.end_cursor
            await session.execute(
                update(BackfillRow).where(BackfillRow.id == backfill_id).values(**values)
            )
            if more:
                await _enqueue_page(session, job.installation_id, backfill_id, now)

    async def _product_page(
        self, job: Job, backfill_id: BackfillId, entity: BackfillEntity, cursor: str | None
    ) -> None:
        if self._products is None:
            raise AuthError("The product sync is not available in this deployment.")
        try:
            count, end_cursor, more = await self._products.page(
                job, backfill_id, cursor, dry_run=entity is BackfillEntity.PRODUCTS_DRY_RUN
            )
        except AppError as exc:
            if not exc.retryable:
                await self._set_status(backfill_id, FAILED)
            raise
        now = self._clock()
        async with self._sessions.begin() as session:
            values: dict[str, object] = {
                "done": BackfillRow.done + count,
                "status": RUNNING if more else DONE,
                "updated_at": now,
            }
            if not more:
                values["total"] = BackfillRow.done + count
            if end_cursor is not None:
                values["cursor"] = end_cursor
            await session.execute(
                update(BackfillRow).where(BackfillRow.id == backfill_id).values(**values)
            )
            if more:
                await _enqueue_page(session, job.installation_id, backfill_id, now)

    async def _set_status(self, backfill_id: BackfillId, status: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(BackfillRow)
                .where(BackfillRow.id == backfill_id)
                .values(status=status, updated_at=self._clock())
            )


async def _enqueue_page(
    session: AsyncSession, installation_id: InstallationId, backfill_id: BackfillId, now: datetime
) -> None:
    await queue.enqueue(
        session,
        installation_id=installation_id,
        kind=JobKind.BACKFILL,
        key=_job_key(backfill_id),
        now=now,
        payload={"backfill_id": backfill_id},
    )


def _job_key(backfill_id: BackfillId) -> str:
    return f"backfill:{backfill_id}"


def _to_progress(row: BackfillRow, parked: set[str]) -> BackfillProgress:
    stuck = row.status == RUNNING and _job_key(BackfillId(row.id)) in parked
    return BackfillProgress(
        id=BackfillId(row.id),
        entity=BackfillEntity(row.entity),
        since=row.since,
        status=FAILED if stuck else row.status,
        total=row.total,
        done=row.done,
        started_at=row.started_at,
        updated_at=row.updated_at,
        report=row.report,
    )
