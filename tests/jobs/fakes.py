"""Test doubles for the job engine: a settable clock and an installation row builder."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.tables import InstallationRow

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


async def add_installation(
    sessions: async_sessionmaker[AsyncSession], *, status: str = "active", now: datetime = START
) -> InstallationId:
    """Insert an installation row directly and return its id."""
    async with sessions.begin() as session:
        row = InstallationRow(
            saleor_api_url=f"https://{uuid.uuid4().hex[:12]}.example.com/graphql/",
            app_id="QXBwOjE=",
            status=status,
            token_encrypted=None,
            jwks={"keys": []},
            jwks_fetched_at=now,
            saleor_version="3.24",
            shop_name="Test shop",
            installed_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        return InstallationId(row.id)
