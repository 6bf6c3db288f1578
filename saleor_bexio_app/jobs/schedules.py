"""Periodic jobs that fire once per period per installation, however many workers run.

Each (schedule, installation) has a row holding its next due time. A worker that finds the row
due advances it by compare-and-set and enqueues the job in the same transaction, so exactly one
worker fires each period. Due times sit on period boundaries counted from the Unix epoch, so
every process computes the same ones.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.jobs.queue import enqueue
from saleor_bexio_app.store.db import dialect_insert
from saleor_bexio_app.store.tables import InstallationRow, ScheduleRow

log = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    """Enqueue a job of `kind` for every active installation once per `every`."""

    kind: str
    every: timedelta

    def __post_init__(self) -> None:
        if self.every < _MICROSECOND:
            raise ValueError(f"schedule {self.kind!r} needs a positive period")

    def name_for(self, installation_id: InstallationId) -> str:
        """The schedule row's name for one installation."""
        return f"{self.kind}:{installation_id}"

    @property
    def job_key(self) -> str:
        """The key of the jobs this schedule enqueues (one queued at a time per installation)."""
        return f"schedule:{self.kind}"


def period_start(now: datetime, every: timedelta) -> datetime:
    """The start of the period containing `now`, periods counted from the Unix epoch."""
    elapsed = (now - _EPOCH) // _MICROSECOND
    period = every // _MICROSECOND
    return _EPOCH + (elapsed // period) * period * _MICROSECOND


async def fire_due(
    sessions: async_sessionmaker[AsyncSession], schedules: Sequence[Schedule], now: datetime
) -> int:
    """Enqueue every schedule that is due at `now`; return how many this call fired.

    A schedule seen for the first time is due at once. A worker that was down for several
    periods fires once, not once per missed period.
    """
    if not schedules:
        return 0
    async with sessions() as session:
        active = (
            (
                await session.execute(
                    select(InstallationRow.id).where(InstallationRow.status == "active")
                )
            )
            .scalars()
            .all()
        )
        if not active:
            return 0
        wanted = {
            schedule.name_for(InstallationId(installation_id)): (
                schedule,
                InstallationId(installation_id),
            )
            for schedule in schedules
            for installation_id in active
        }
        known = await _next_runs(session, wanted)
    missing = [name for name in wanted if name not in known]
    if missing:
        async with sessions() as session, session.begin():
            await _create(session, [(name, *wanted[name]) for name in missing], now)
        async with sessions() as session:
            known.update(await _next_runs(session, missing))
    fired = 0
    for name, seen in known.items():
        if seen > now:
            continue
        schedule, installation_id = wanted[name]
        if await _fire(sessions, name, schedule, installation_id, seen=seen, now=now):
            fired += 1
    return fired


async def _next_runs(session: AsyncSession, names: Iterable[str]) -> dict[str, datetime]:
    rows = await session.execute(
        select(ScheduleRow.name, ScheduleRow.next_run_at).where(ScheduleRow.name.in_(list(names)))
    )
    return {row.name: row.next_run_at for row in rows}


async def _create(
    session: AsyncSession,
    rows: Sequence[tuple[str, Schedule, InstallationId]],
    now: datetime,
) -> None:
    insert = dialect_insert(session)
    await session.execute(
        insert(ScheduleRow)
        .values(
            [
                {
                    "name": name,
                    "installation_id": installation_id,
                    "next_run_at": period_start(now, schedule.every),
                    "last_fired_at": None,
                }
                for name, schedule, installation_id in rows
            ]
        )
        .on_conflict_do_nothing(index_elements=[ScheduleRow.name])
    )


async def _fire(
    sessions: async_sessionmaker[AsyncSession],
    name: str,
    schedule: Schedule,
    installation_id: InstallationId,
    *,
    seen: datetime,
    now: datetime,
) -> bool:
    async with sessions() as session, session.begin():
        won = (
            await session.execute(
                update(ScheduleRow)
                .where(ScheduleRow.name == name, ScheduleRow.next_run_at == seen)
                .values(
                    next_run_at=period_start(now, schedule.every) + schedule.every,
                    last_fired_at=now,
                )
                .returning(ScheduleRow.name)
            )
        ).scalar_one_or_none()
        if won is None:
            return False
        await enqueue(
            session,
            installation_id=installation_id,
            kind=schedule.kind,
            key=schedule.job_key,
            now=now,
            payload={"due_at": seen.isoformat()},
        )
    log.debug("schedule %s fired for %s", name, seen.isoformat())
    return True
