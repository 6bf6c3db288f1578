"""Fixtures for the store tests: sessions, a fake clock and two installed shops."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from saleor_bexio_app.ids import InstallationId
from saleor_bexio_app.store.db import session_factory
from tests.jobs.fakes import FakeClock, add_installation


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return session_factory(engine)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def shop(sessions: async_sessionmaker[AsyncSession]) -> InstallationId:
    return await add_installation(sessions)


@pytest.fixture
async def other_shop(sessions: async_sessionmaker[AsyncSession]) -> InstallationId:
    return await add_installation(sessions)
