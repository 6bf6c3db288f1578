"""The worker: claim due jobs, run their handlers under a lease, and settle each outcome.

Outcomes follow STYLE.md §4: a retryable AppError backs off and retries until max attempts,
then parks as `exceeded`; any other AppError parks at once with its own reason; anything else
parks as `internal` with the traceback logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import secrets
import socket
import traceback
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from saleor_bexio_app.errors import AppError, FailureReason, TransientError
from saleor_bexio_app.jobs import queue
from saleor_bexio_app.jobs.model import Handler, Job
from saleor_bexio_app.jobs.schedules import Schedule, fire_due
from saleor_bexio_app.store.tables import utcnow

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Something went wrong on our side. We logged it; please retry later."
_MAX_DETAIL = 500


class HandlerRegistry:
    """Job handlers by kind; the worker only claims kinds registered here."""

    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}

    def register(self, kind: str, handler: Handler) -> None:
        """Make `handler` run jobs of `kind`; a kind has one handler."""
        kind = str(kind)
        if kind in self._handlers:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def get(self, kind: str) -> Handler | None:
        """The handler for `kind`, if any."""
        return self._handlers.get(str(kind))

    def kinds(self) -> frozenset[str]:
        """Every registered kind."""
        return frozenset(self._handlers)

    def __contains__(self, kind: object) -> bool:
        return kind in self._handlers


def default_worker_id() -> str:
    """host:pid:random, unique per worker instance."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


class Worker:
    """Runs jobs from the database until told to stop; any number may share one database."""

    def __init__(
        self,
        engine: AsyncEngine,
        registry: HandlerRegistry,
        *,
        concurrency: int,
        lease_seconds: float,
        max_attempts: int,
        backoff_base: float,
        backoff_max: float,
        clock: Callable[[], datetime] = utcnow,
        worker_id: str | None = None,
        poll_interval: float = 0.5,
        rng: random.Random | None = None,
        schedules: Sequence[Schedule] | None = None,
        grace_seconds: float = 10.0,
        on_parked: Callable[[Job], Awaitable[None]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._registry = registry
        self._concurrency = concurrency
        self._lease_seconds = lease_seconds
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._clock = clock
        self.worker_id = worker_id or default_worker_id()
        self._poll_interval = poll_interval
        self._rng = rng or random.Random()
        self._schedules = tuple(schedules or ())
        self._grace_seconds = grace_seconds
        self._on_parked = on_parked
        self._wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set, then let running handlers finish within the grace period.

        Handlers still running after the grace period are cancelled and their jobs released
        back to the queue without counting the attempt.
        """
        running: set[asyncio.Task[None]] = set()
        stop_watch = asyncio.create_task(stop.wait())
        stop_watch.add_done_callback(lambda _: self._wake.set())
        log.info("worker %s started (kinds: %s)", self.worker_id, sorted(self._registry.kinds()))
        try:
            while not stop.is_set():
                self._wake.clear()
                try:
                    await self._housekeeping()
                    await self._fill(running)
                except (SQLAlchemyError, OSError):
                    log.exception("worker %s could not reach the database", self.worker_id)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._wake.wait()
            if running:
                await asyncio.wait(running, timeout=self._grace_seconds)
        finally:
            stop_watch.cancel()
            leftovers = set(running)
            for task in leftovers:
                task.cancel()
            if leftovers:
                await asyncio.wait(leftovers)
            log.info("worker %s stopped", self.worker_id)

    async def run_once(self) -> int:
        """Run every job that is due now, one after another; return how many ran."""
        await self._housekeeping()
        count = 0
        while (job := await self._claim()) is not None:
            await self._execute(job)
            count += 1
        return count

    async def _housekeeping(self) -> None:
        now = self._clock()
        await queue.reap(self._sessions, now=now, max_attempts=self._max_attempts)
        if self._schedules:
            await fire_due(self._sessions, self._schedules, now)

    async def _fill(self, running: set[asyncio.Task[None]]) -> None:
        while len(running) < self._concurrency:
            job = await self._claim()
            if job is None:
                return
            task = asyncio.create_task(self._execute(job), name=f"job-{job.id}-{job.kind}")
            running.add(task)
            task.add_done_callback(running.discard)
            task.add_done_callback(self._on_done)

    def _on_done(self, task: asyncio.Task[None]) -> None:
        self._wake.set()
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("%s crashed", task.get_name(), exc_info=error)

    async def _claim(self) -> Job | None:
        return await queue.claim(
            self._sessions,
            kinds=self._registry.kinds(),
            worker_id=self.worker_id,
            now=self._clock(),
            lease_seconds=self._lease_seconds,
        )

    async def _execute(self, job: Job) -> None:
        handler = self._registry.get(job.kind)
        if handler is None:  # only registered kinds are claimed
            raise RuntimeError(f"no handler for claimed job kind {job.kind!r}")
        work = asyncio.create_task(_call(handler, job), name=f"handler-{job.id}-{job.kind}")
        try:
            while not work.done():
                await asyncio.wait({work}, timeout=self._lease_seconds / 3)
                if not work.done() and not await self._heartbeat(job):
                    # Another worker may already run this key: stop rather than overlap it.
                    log.warning("job %s (%s): lease lost; stopping its handler", job.id, job.kind)
                    work.cancel()
                    await asyncio.wait({work})
                    return
        except asyncio.CancelledError:
            work.cancel()
            await asyncio.wait({work})
            await self._release(job)
            raise
        await self._settle(job, work)

    async def _heartbeat(self, job: Job) -> bool:
        try:
            return await queue.heartbeat(
                self._sessions,
                job,
                worker_id=self.worker_id,
                now=self._clock(),
                lease_seconds=self._lease_seconds,
            )
        except SQLAlchemyError:
            log.warning("job %s: heartbeat failed; will try again", job.id, exc_info=True)
            return True

    async def _release(self, job: Job) -> None:
        try:
            await queue.release(self._sessions, job, worker_id=self.worker_id, now=self._clock())
        except SQLAlchemyError:
            log.exception("job %s could not be released; its lease will expire", job.id)

    async def _settle(self, job: Job, work: asyncio.Task[None]) -> None:
        if work.cancelled():
            await self._release(job)
            return
        try:
            settled = await self._record_outcome(job, work.exception())
        except SQLAlchemyError:
            log.exception("job %s: outcome not recorded; it will run again", job.id)
            return
        if not settled:
            log.warning("job %s (%s): lease lost before it finished", job.id, job.kind)

    async def _park(self, job: Job, **outcome: Any) -> bool:
        parked = await queue.park(self._sessions, job, **outcome)
        if parked and self._on_parked is not None:
            try:
                await self._on_parked(job)
            except SQLAlchemyError:
                log.exception("job %s: after-park hook failed", job.id)
        return parked

    async def _record_outcome(self, job: Job, error: BaseException | None) -> bool:
        now = self._clock()
        me = self.worker_id
        if error is None:
            return await queue.finish(self._sessions, job, worker_id=me, now=now)
        if isinstance(error, AppError) and error.retryable:
            if job.attempts >= self._max_attempts:
                log.warning("job %s (%s) parked after %d attempts", job.id, job.kind, job.attempts)
                return await self._park(
                    job,
                    worker_id=me,
                    now=now,
                    reason=FailureReason.EXCEEDED,
                    user_message=error.user_message,
                    detail=_clip(f"gave up after {job.attempts} attempts: {error}"),
                    message_code=error.code,
                    message_params=error.params,
                )
            retry_after = error.retry_after if isinstance(error, TransientError) else None
            delay = queue.backoff_delay(
                job.attempts, self._backoff_base, self._backoff_max, self._rng, retry_after
            )
            log.info("job %s (%s) retries in %.1fs: %s", job.id, job.kind, delay, error.reason)
            return await queue.retry(
                self._sessions,
                job,
                worker_id=me,
                now=now,
                delay_seconds=delay,
                reason=error.reason,
                user_message=error.user_message,
                detail=_clip(error.detail),
            )
        if isinstance(error, AppError):
            log.warning("job %s (%s) parked: %s %s", job.id, job.kind, error.reason, error.detail)
            return await self._park(
                job,
                worker_id=me,
                now=now,
                reason=error.reason,
                user_message=error.user_message,
                detail=_clip(error.detail),
                message_code=error.code,
                message_params=error.params,
            )
        log.error("job %s (%s) failed unexpectedly", job.id, job.kind, exc_info=error)
        return await self._park(
            job,
            worker_id=me,
            now=now,
            reason=FailureReason.INTERNAL,
            user_message=INTERNAL_MESSAGE,
            detail=_where(error),
        )


async def _call(handler: Handler, job: Job) -> None:
    await handler(job)


def _where(error: BaseException) -> str:
    """The exception type and where it was raised; its message may hold customer data."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return type(error).__name__
    last = frames[-1]
    return f"{type(error).__name__} in {Path(last.filename).name}:{last.lineno} ({last.name})"


def _clip(detail: str) -> str:
    return detail if len(detail) <= _MAX_DETAIL else detail[: _MAX_DETAIL - 1] + "…"
