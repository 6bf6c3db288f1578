"""The error log behind the dashboard's errors page, and pausing a shop's sync.

The worker writes `sync_errors` rows when it parks a job (jobs/queue.py); a later success of the
same job marks its row resolved. Here the merchant lists them, retries them (the parked job runs
again) or dismisses them (the parked job is deleted: the merchant accepted the failure).

A shop's sync is *paused* while `installations.sync_paused_at` is set: its jobs keep queuing but
are not claimed (jobs/queue.py `claim`), except install/uninstall work. `evaluate_pause` pauses
when open errors reach the shop's threshold or the bexio connection is broken, and lifts a pause
once neither holds; `resume` lifts it at the merchant's request. Call `evaluate_pause` (or
`ErrorLog.refresh_pause`) after an error is recorded; Retry and Dismiss call it themselves. A
shop resumed while still over the threshold pauses again at its next recorded error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.errors import FailureReason
from saleor_bexio_app.ids import InstallationId, JobId
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.store.connections import ConnectionStatus
from saleor_bexio_app.store.settings_codec import default_shop_settings, shop_settings_from_json
from saleor_bexio_app.store.tables import (
    BexioConnectionRow,
    InstallationRow,
    JobRow,
    LinkRow,
    ShopSettingsRow,
    SyncErrorRow,
    utcnow,
)
from saleor_bexio_app.sync.model import LinkKind

Sessions = async_sessionmaker[AsyncSession]

OPEN, RETRIED, DISMISSED, RESOLVED = "open", "retried", "dismissed", "resolved"
CONNECTION_BROKEN = "bexio connection broken"
PAUSE_CONNECTION_BROKEN, PAUSE_UNRESOLVED_ERRORS, PAUSE_OTHER = (
    "connection_broken",
    "unresolved_errors",
    "other",
)
# `evaluate_pause` writes "<count> unresolved errors" as the reason of a threshold pause.
_ERRORS_REASON = re.compile(r"(\d+) unresolved errors")
DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class ErrorEntry:
    """One failing sync target (job kind + Saleor object id) as the errors page shows it."""

    id: int
    kind: str
    key: str
    reason: str
    user_message: str
    detail: str
    occurrences: int
    first_seen_at: datetime
    last_seen_at: datetime
    status: str
    job_id: JobId | None
    # The bexio invoice already made for the order, if any (so the page can link to it).
    bexio_invoice_id: int | None = None
    # errors.py `MessageCode` and its params, for the dashboard to translate `user_message`.
    message_code: str | None = None
    message_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PauseState:
    """Since when and why a shop's sync is paused."""

    paused_at: datetime
    reason: str

    @property
    def code(self) -> str:
        """The reason as a code the dashboard translates: `connection_broken`,
        `unresolved_errors` (with `open_errors`) or `other` (show `reason` as it is)."""
        if self.reason == CONNECTION_BROKEN:
            return PAUSE_CONNECTION_BROKEN
        return PAUSE_UNRESOLVED_ERRORS if self.open_errors is not None else PAUSE_OTHER

    @property
    def open_errors(self) -> int | None:
        """How many unresolved errors paused the shop (as counted when it paused)."""
        match = _ERRORS_REASON.fullmatch(self.reason)
        return int(match.group(1)) if match else None


def _to_entry(row: SyncErrorRow, bexio_invoice_id: int | None = None) -> ErrorEntry:
    return ErrorEntry(
        id=row.id,
        kind=row.kind,
        key=row.key,
        reason=row.reason,
        user_message=row.user_message,
        detail=row.detail,
        occurrences=row.occurrences,
        first_seen_at=row.first_seen_at,
        last_seen_at=row.last_seen_at,
        status=row.status,
        job_id=None if row.job_id is None else JobId(row.job_id),
        bexio_invoice_id=bexio_invoice_id,
        message_code=row.message_code,
        message_params=dict(row.message_params or {}),
    )


async def count_open_errors(session: AsyncSession, shop: InstallationId) -> int:
    """Unresolved errors of the shop, in the caller's transaction.

    Manual action items (e.g. "create a credit note in bexio") are work for the merchant, not
    failures of the sync: they never pause the shop.
    """
    count = await session.scalar(
        select(func.count())
        .select_from(SyncErrorRow)
        .where(
            SyncErrorRow.installation_id == shop,
            SyncErrorRow.status == OPEN,
            SyncErrorRow.reason != FailureReason.MANUAL,
        )
    )
    return int(count or 0)


async def evaluate_pause(
    session: AsyncSession,
    shop: InstallationId,
    *,
    threshold: int,
    connection_broken: bool,
    now: datetime,
) -> PauseState | None:
    """Pause or un-pause the shop from its open errors and connection, in the caller's transaction.

    Paused when the bexio connection is broken (that reason wins) or open errors reach
    `threshold`; otherwise any pause is lifted. A pause keeps its start time while its reason
    text is brought up to date. Returns the pause now in force, or None.
    """
    if connection_broken:
        reason: str | None = CONNECTION_BROKEN
    else:
        count = await count_open_errors(session, shop)
        reason = f"{count} unresolved errors" if count >= threshold else None
    if reason is None:
        await _set_pause(session, shop, None, None)
        return None
    current = await _pause_of(session, shop)
    paused_at = now if current is None else current.paused_at
    await _set_pause(session, shop, paused_at, reason)
    return PauseState(paused_at, reason)


async def _pause_of(session: AsyncSession, shop: InstallationId) -> PauseState | None:
    row = (
        await session.execute(
            select(InstallationRow.sync_paused_at, InstallationRow.pause_reason).where(
                InstallationRow.id == shop
            )
        )
    ).one_or_none()
    if row is None or row.sync_paused_at is None:
        return None
    return PauseState(row.sync_paused_at, row.pause_reason or "")


async def _set_pause(
    session: AsyncSession, shop: InstallationId, paused_at: datetime | None, reason: str | None
) -> None:
    await session.execute(
        update(InstallationRow)
        .where(InstallationRow.id == shop)
        .values(sync_paused_at=paused_at, pause_reason=reason)
    )


class ErrorLog:
    """The errors page's service: list, retry, dismiss, count, and the shop's pause."""

    def __init__(self, sessions: Sessions, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def list_errors(
        self,
        shop: InstallationId,
        *,
        status: str | None = OPEN,
        kind: str | None = None,
        reason: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        offset: int = 0,
    ) -> list[ErrorEntry]:
        """The shop's errors, most recently seen first; `status=None` lists every status."""
        invoice = and_(
            LinkRow.installation_id == SyncErrorRow.installation_id,
            LinkRow.kind == LinkKind.INVOICE.value,
            LinkRow.saleor_id == SyncErrorRow.key,
        )
        query = (
            select(SyncErrorRow, LinkRow.bexio_id)
            .outerjoin(LinkRow, invoice)
            .where(SyncErrorRow.installation_id == shop)
        )
        if status is not None:
            query = query.where(SyncErrorRow.status == status)
        if kind is not None:
            query = query.where(SyncErrorRow.kind == kind)
        if reason is not None:
            query = query.where(SyncErrorRow.reason == reason)
        query = (
            query.order_by(SyncErrorRow.last_seen_at.desc(), SyncErrorRow.id.desc())
            .limit(limit)
            .offset(offset)
        )
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [_to_entry(row, bexio_id) for row, bexio_id in rows]

    async def open_error_count(self, shop: InstallationId) -> int:
        """How many of the shop's errors are unresolved."""
        async with self._sessions() as session:
            return await count_open_errors(session, shop)

    async def retry(self, shop: InstallationId, error_ids: Iterable[int]) -> int:
        """Run the failed work again: requeue each open error's parked job; returns how many.

        An error whose parked job is gone (superseded) gets a fresh job of the same kind and
        key. Other shops' error ids and errors no longer open are ignored.
        """
        now = self._clock()
        retried = 0
        async with self._sessions.begin() as session:
            for row in await self._open_rows(session, shop, error_ids):
                requeued = row.job_id is not None and await queue.requeue_parked(
                    session, JobId(row.job_id), now=now
                )
                if not requeued:
                    await queue.enqueue(
                        session, installation_id=shop, kind=row.kind, key=row.key, now=now
                    )
                await session.execute(
                    update(SyncErrorRow)
                    .where(SyncErrorRow.id == row.id, SyncErrorRow.status == OPEN)
                    .values(status=RETRIED, last_seen_at=now)
                )
                retried += 1
            if retried:
                await self.refresh_pause(session, shop, now=now)
        return retried

    async def dismiss(self, shop: InstallationId, error_ids: Iterable[int]) -> int:
        """Accept failures: mark each open error dismissed and delete its parked job."""
        now = self._clock()
        dismissed = 0
        async with self._sessions.begin() as session:
            for row in await self._open_rows(session, shop, error_ids):
                await session.execute(
                    delete(JobRow).where(
                        JobRow.installation_id == shop,
                        JobRow.kind == row.kind,
                        JobRow.key == row.key,
                        JobRow.state == queue.PARKED,
                    )
                )
                await session.execute(
                    update(SyncErrorRow)
                    .where(SyncErrorRow.id == row.id)
                    .values(status=DISMISSED, last_seen_at=now)
                )
                dismissed += 1
            if dismissed:
                await self.refresh_pause(session, shop, now=now)
        return dismissed

    async def pause_state(self, shop: InstallationId) -> PauseState | None:
        """The shop's pause, or None while its sync runs."""
        async with self._sessions() as session:
            return await _pause_of(session, shop)

    async def resume(self, shop: InstallationId) -> bool:
        """Lift the shop's pause (queued jobs then run); False if it was not paused.

        Nothing is requeued: parked jobs stay in the error log for Retry.
        """
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(InstallationRow)
                .where(InstallationRow.id == shop, InstallationRow.sync_paused_at.is_not(None))
                .values(sync_paused_at=None, pause_reason=None)
                .returning(InstallationRow.id)
            )
            return result.scalar_one_or_none() is not None

    async def refresh_pause(
        self, session: AsyncSession, shop: InstallationId, *, now: datetime
    ) -> PauseState | None:
        """`evaluate_pause` with the shop's own threshold and bexio connection status."""
        document = await session.scalar(
            select(ShopSettingsRow.settings).where(ShopSettingsRow.installation_id == shop)
        )
        settings = (
            default_shop_settings() if document is None else shop_settings_from_json(document)
        )
        status = await session.scalar(
            select(BexioConnectionRow.status).where(BexioConnectionRow.installation_id == shop)
        )
        return await evaluate_pause(
            session,
            shop,
            threshold=settings.pause_threshold,
            connection_broken=status == ConnectionStatus.BROKEN,
            now=now,
        )

    async def _open_rows(
        self, session: AsyncSession, shop: InstallationId, error_ids: Iterable[int]
    ) -> list[SyncErrorRow]:
        ids = sorted(set(error_ids))
        if not ids:
            return []
        mine: ColumnElement[bool] = and_(
            SyncErrorRow.installation_id == shop,
            SyncErrorRow.id.in_(ids),
            SyncErrorRow.status == OPEN,
        )
        return list(
            await session.scalars(select(SyncErrorRow).where(mine).order_by(SyncErrorRow.id))
        )
