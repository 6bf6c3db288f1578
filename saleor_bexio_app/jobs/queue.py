"""The durable job queue: enqueue, claim, heartbeat and settle jobs stored in the app's database.

Every statement takes its time from the caller (`now`), never from SQL, so a fake clock drives
tests and all workers agree. Worker-side operations take a session factory and own their
transactions; `enqueue` and `requeue_parked` join the caller's transaction and never commit.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, delete, exists, null, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from saleor_bexio_app.errors import FailureReason, MessageCode
from saleor_bexio_app.ids import InstallationId, JobId
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.store.db import dialect_insert, is_postgres
from saleor_bexio_app.store.tables import InstallationRow, JobRow, SyncErrorRow

log = logging.getLogger(__name__)

QUEUED, RUNNING, PARKED = "queued", "running", "parked"
HALTED_MESSAGE = "The sync stopped responding too many times and was halted."
# Losing a race to a unique index is normal under load; give up on the operation after this many.
_INTEGRITY_RETRIES = 5
_MAX_EXPONENT = 62
# Claimed even while the shop's sync is paused: installing and uninstalling must not wait.
ALWAYS_RUN_KINDS: frozenset[str] = frozenset({JobKind.APP_INSTALLED, JobKind.APP_UNINSTALLED})

Sessions = async_sessionmaker[AsyncSession]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ReapedJob:
    """A job whose lease expired, and what the reaper did with it."""

    id: JobId
    kind: str
    key: str
    parked: bool


def backoff_delay(
    attempts: int,
    base: float,
    cap: float,
    rng: random.Random,
    retry_after: float | None = None,
) -> float:
    """Seconds to wait before attempt `attempts + 1`.

    The ceiling is base·2^(attempts-1), capped at `cap`; the delay is drawn uniformly from
    [ceiling/2, ceiling] so retries of many jobs spread out without ever retrying too early.
    A `retry_after` hint from the remote side is a lower bound and may exceed `cap`.
    """
    exponent = min(max(attempts, 1) - 1, _MAX_EXPONENT)
    ceiling = min(cap, base * 2.0**exponent)
    delay = ceiling / 2 + rng.uniform(0.0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


async def enqueue(
    session: AsyncSession,
    *,
    installation_id: InstallationId,
    kind: str,
    key: str,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
    run_at: datetime | None = None,
) -> bool:
    """Queue a job in the caller's transaction (no commit).

    Returns False when an identical (installation, kind, key) job is already queued: the two
    are coalesced and the queued job keeps its payload and run_at.
    """
    insert = dialect_insert(session)
    statement = (
        insert(JobRow)
        .values(
            installation_id=installation_id,
            kind=str(kind),
            key=key,
            state=QUEUED,
            payload=dict(payload or {}),
            attempts=0,
            run_at=run_at or now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[JobRow.installation_id, JobRow.kind, JobRow.key],
            index_where=text("state = 'queued'"),
        )
        .returning(JobRow.id)
    )
    inserted = (await session.execute(statement)).scalar_one_or_none()
    return inserted is not None


async def claim(
    sessions: Sessions,
    *,
    kinds: Collection[str],
    worker_id: str,
    now: datetime,
    lease_seconds: float,
) -> Job | None:
    """Take the oldest due job of one of `kinds` whose key has no running job, or None.

    Jobs of other kinds stay queued until a worker that knows them comes along, and so do the
    jobs of a shop whose sync is paused (`installations.sync_paused_at`), except
    `ALWAYS_RUN_KINDS`.
    """
    if not kinds:
        return None

    async def attempt(session: AsyncSession) -> Job | None:
        candidate = aliased(JobRow, name="j")
        running = aliased(JobRow, name="r")
        busy = exists().where(
            running.installation_id == candidate.installation_id,
            running.key == candidate.key,
            running.state == RUNNING,
        )
        paused = exists().where(
            InstallationRow.id == candidate.installation_id,
            InstallationRow.sync_paused_at.is_not(None),
        )
        pick = (
            select(candidate.id)
            .where(
                candidate.state == QUEUED,
                candidate.run_at <= now,
                candidate.kind.in_(sorted(str(kind) for kind in kinds)),
                ~busy,
                or_(candidate.kind.in_(sorted(ALWAYS_RUN_KINDS)), ~paused),
            )
            .order_by(candidate.run_at, candidate.id)
            .limit(1)
        )
        if is_postgres(session):
            pick = pick.with_for_update(skip_locked=True, of=candidate)
        # On SQLite this UPDATE opens the transaction, so it waits for the write lock (busy
        # timeout) instead of failing on a stale read snapshot.
        statement = (
            update(JobRow)
            .where(JobRow.id == pick.scalar_subquery())
            .values(
                state=RUNNING,
                worker_id=worker_id,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=JobRow.attempts + 1,
                updated_at=now,
            )
            .returning(
                JobRow.id,
                JobRow.installation_id,
                JobRow.kind,
                JobRow.key,
                JobRow.attempts,
                JobRow.payload,
                JobRow.run_at,
            )
        )
        row = (await session.execute(statement)).one_or_none()
        if row is None:
            return None
        return Job(
            id=JobId(row.id),
            installation_id=InstallationId(row.installation_id),
            kind=row.kind,
            key=row.key,
            attempts=row.attempts,
            payload=row.payload or {},
            run_at=row.run_at,
        )

    return await _in_transaction(sessions, attempt, default=None)


async def heartbeat(
    sessions: Sessions, job: Job, *, worker_id: str, now: datetime, lease_seconds: float
) -> bool:
    """Extend the job's lease; False if the job is no longer ours."""

    async def attempt(session: AsyncSession) -> bool:
        result = await session.execute(
            update(JobRow)
            .where(_owned(job, worker_id))
            .values(lease_until=now + timedelta(seconds=lease_seconds), updated_at=now)
            .returning(JobRow.id)
        )
        return result.scalar_one_or_none() is not None

    return await _in_transaction(sessions, attempt, default=False)


async def finish(sessions: Sessions, job: Job, *, worker_id: str, now: datetime) -> bool:
    """Delete a job that succeeded; False if the job is no longer ours.

    A success supersedes earlier failures of the same (kind, key): their parked jobs are
    dropped and their open error-log row is marked resolved.
    """

    async def attempt(session: AsyncSession) -> bool:
        result = await session.execute(
            delete(JobRow).where(_owned(job, worker_id)).returning(JobRow.id)
        )
        if result.scalar_one_or_none() is None:
            return False
        await session.execute(delete(JobRow).where(_same_target(job), JobRow.state == PARKED))
        await session.execute(
            update(SyncErrorRow)
            .where(_same_error(job), SyncErrorRow.status == "open")
            .values(status="resolved", last_seen_at=now)
        )
        return True

    return await _in_transaction(sessions, attempt, default=False)


async def retry(
    sessions: Sessions,
    job: Job,
    *,
    worker_id: str,
    now: datetime,
    delay_seconds: float,
    reason: str,
    user_message: str,
    detail: str = "",
) -> bool:
    """Put a failed job back in the queue to run after `delay_seconds`; False if not ours.

    The last error is kept on the row so the dashboard can say why the job is waiting.
    """

    async def attempt(session: AsyncSession) -> bool:
        return await _requeue(
            session,
            job,
            _owned(job, worker_id),
            run_at=now + timedelta(seconds=delay_seconds),
            now=now,
            reason=reason,
            user_message=user_message,
            detail=detail,
        )

    return await _in_transaction(sessions, attempt, default=False)


async def release(sessions: Sessions, job: Job, *, worker_id: str, now: datetime) -> bool:
    """Hand a job back on shutdown without counting the attempt; False if not ours."""

    async def attempt(session: AsyncSession) -> bool:
        return await _requeue(
            session, job, _owned(job, worker_id), run_at=now, now=now, uncount_attempt=True
        )

    return await _in_transaction(sessions, attempt, default=False)


async def park(
    sessions: Sessions,
    job: Job,
    *,
    worker_id: str,
    now: datetime,
    reason: str,
    user_message: str,
    detail: str = "",
    message_code: str | None = None,
    message_params: Mapping[str, str | int] | None = None,
) -> bool:
    """Stop retrying a job and record it in the error log; False if not ours.

    `message_code` and `message_params` (errors.py `MessageCode`) let the dashboard translate
    `user_message`; like the message, they are the latest occurrence's.
    """

    async def attempt(session: AsyncSession) -> bool:
        return await _park(
            session,
            job,
            _owned(job, worker_id),
            now=now,
            reason=reason,
            user_message=user_message,
            detail=detail,
            message_code=message_code,
            message_params=message_params,
        )

    return await _in_transaction(sessions, attempt, default=False)


async def reap(sessions: Sessions, *, now: datetime, max_attempts: int) -> list[ReapedJob]:
    """Re-queue running jobs whose lease expired (their worker died); park those out of attempts."""
    async with sessions() as session:
        rows = (
            await session.execute(
                select(
                    JobRow.id,
                    JobRow.installation_id,
                    JobRow.kind,
                    JobRow.key,
                    JobRow.attempts,
                    JobRow.worker_id,
                ).where(JobRow.state == RUNNING, JobRow.lease_until < now)
            )
        ).all()
    reaped: list[ReapedJob] = []
    for row in rows:
        job = Job(
            id=JobId(row.id),
            installation_id=InstallationId(row.installation_id),
            kind=row.kind,
            key=row.key,
            attempts=row.attempts,
        )
        give_up = row.attempts >= max_attempts
        if await _reap_one(sessions, job, row.worker_id, now=now, give_up=give_up):
            log.warning(
                "job %s (%s) lost its worker; %s",
                job.id,
                job.kind,
                "parked" if give_up else "re-queued",
            )
            reaped.append(ReapedJob(job.id, job.kind, job.key, parked=give_up))
    return reaped


async def _reap_one(
    sessions: Sessions, job: Job, worker_id: str | None, *, now: datetime, give_up: bool
) -> bool:
    expired = and_(
        JobRow.id == job.id,
        JobRow.state == RUNNING,
        JobRow.lease_until < now,
        JobRow.worker_id == worker_id,
        JobRow.attempts == job.attempts,
    )

    async def attempt(session: AsyncSession) -> bool:
        if give_up:
            return await _park(
                session,
                job,
                expired,
                now=now,
                reason=FailureReason.EXCEEDED,
                user_message=HALTED_MESSAGE,
                detail=f"lease expired on attempt {job.attempts}",
                message_code=MessageCode.SYNC_HALTED,
            )
        return await _requeue(session, job, expired, run_at=now, now=now)

    return await _in_transaction(sessions, attempt, default=False)


async def requeue_parked(session: AsyncSession, job_id: JobId, *, now: datetime) -> bool:
    """Give a parked job fresh attempts (the dashboard's Retry) in the caller's transaction.

    Returns False if the job is not parked. Its open error-log row is marked as retried.
    """
    target = await _lock(session, and_(JobRow.id == job_id, JobRow.state == PARKED), now)
    if target is None:
        return False
    await _absorb_twin_and_queue(session, target, run_at=now, now=now, attempts=0)
    await session.execute(
        update(SyncErrorRow)
        .where(_same_error(target), SyncErrorRow.status == "open")
        .values(status="retried", last_seen_at=now)
    )
    return True


async def _requeue(
    session: AsyncSession,
    job: Job,
    guard: ColumnElement[bool],
    *,
    run_at: datetime,
    now: datetime,
    uncount_attempt: bool = False,
    reason: str | None = None,
    user_message: str | None = None,
    detail: str | None = None,
) -> bool:
    if await _lock(session, guard, now) is None:
        return False
    extra: dict[str, Any] = {}
    if uncount_attempt:
        extra["attempts"] = JobRow.attempts - 1
    if reason is not None:
        extra.update(reason=reason, user_message=user_message, detail=detail)
    await _absorb_twin_and_queue(session, job, run_at=run_at, now=now, **extra)
    return True


async def _lock(session: AsyncSession, guard: ColumnElement[bool], now: datetime) -> Job | None:
    # A no-op write that checks ownership and locks the row before anything else changes; on
    # SQLite it also opens the transaction with a write, so the busy timeout applies.
    row = (
        await session.execute(
            update(JobRow)
            .where(guard)
            .values(updated_at=now)
            .returning(JobRow.id, JobRow.installation_id, JobRow.kind, JobRow.key, JobRow.attempts)
        )
    ).one_or_none()
    if row is None:
        return None
    return Job(
        id=JobId(row.id),
        installation_id=InstallationId(row.installation_id),
        kind=row.kind,
        key=row.key,
        attempts=row.attempts,
    )


async def _absorb_twin_and_queue(
    session: AsyncSession, job: Job, *, run_at: datetime, now: datetime, **values: Any
) -> None:
    # A queued twin (same installation, kind, key) may have arrived meanwhile: absorb it, keeping
    # its newer payload, rather than trip uq_jobs_queued.
    twin = (
        await session.execute(
            delete(JobRow)
            .where(_same_target(job), JobRow.state == QUEUED)
            .returning(JobRow.payload)
        )
    ).one_or_none()
    if twin is not None:
        values["payload"] = twin.payload
    await session.execute(
        update(JobRow)
        .where(JobRow.id == job.id)
        .values(
            state=QUEUED, run_at=run_at, lease_until=None, worker_id=None, updated_at=now, **values
        )
    )


async def _park(
    session: AsyncSession,
    job: Job,
    guard: ColumnElement[bool],
    *,
    now: datetime,
    reason: str,
    user_message: str,
    detail: str,
    message_code: str | None = None,
    message_params: Mapping[str, str | int] | None = None,
) -> bool:
    result = await session.execute(
        update(JobRow)
        .where(guard)
        .values(
            state=PARKED,
            lease_until=None,
            reason=str(reason),
            user_message=user_message,
            detail=detail,
            updated_at=now,
        )
        .returning(JobRow.id)
    )
    if result.scalar_one_or_none() is None:
        return False
    # One parked job per target is enough for the Retry button; older ones are superseded.
    await session.execute(
        delete(JobRow).where(_same_target(job), JobRow.state == PARKED, JobRow.id != job.id)
    )
    insert = dialect_insert(session)
    upsert = insert(SyncErrorRow).values(
        installation_id=job.installation_id,
        job_id=job.id,
        kind=job.kind,
        key=job.key,
        reason=str(reason),
        user_message=user_message,
        message_code=None if message_code is None else str(message_code),
        message_params=null() if message_code is None else dict(message_params or {}),
        detail=detail,
        occurrences=1,
        status="open",
        first_seen_at=now,
        last_seen_at=now,
    )
    await session.execute(
        upsert.on_conflict_do_update(
            index_elements=[SyncErrorRow.installation_id, SyncErrorRow.kind, SyncErrorRow.key],
            index_where=text("status = 'open'"),
            set_={
                "occurrences": SyncErrorRow.occurrences + 1,
                "job_id": upsert.excluded.job_id,
                "reason": upsert.excluded.reason,
                "user_message": upsert.excluded.user_message,
                "message_code": upsert.excluded.message_code,
                "message_params": upsert.excluded.message_params,
                "detail": upsert.excluded.detail,
                "last_seen_at": upsert.excluded.last_seen_at,
            },
        )
    )
    return True


async def _in_transaction(
    sessions: Sessions, operation: Callable[[AsyncSession], Awaitable[_T]], *, default: _T
) -> _T:
    for _ in range(_INTEGRITY_RETRIES):
        try:
            async with sessions() as session, session.begin():
                return await operation(session)
        except IntegrityError:
            # Another worker won a race on uq_jobs_running / uq_jobs_queued; look again.
            log.debug("job update lost a race; retrying", exc_info=True)
    return default


def _owned(job: Job, worker_id: str) -> ColumnElement[bool]:
    # attempts tells this claim apart from a later re-claim of the same job by the same worker.
    return and_(
        JobRow.id == job.id,
        JobRow.state == RUNNING,
        JobRow.worker_id == worker_id,
        JobRow.attempts == job.attempts,
    )


def _same_target(job: Job) -> ColumnElement[bool]:
    return and_(
        JobRow.installation_id == job.installation_id,
        JobRow.kind == job.kind,
        JobRow.key == job.key,
    )


def _same_error(job: Job) -> ColumnElement[bool]:
    return and_(
        SyncErrorRow.installation_id == job.installation_id,
        SyncErrorRow.kind == job.kind,
        SyncErrorRow.key == job.key,
    )
