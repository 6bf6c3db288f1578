"""Shared fixtures: databases on SQLite and on a private PostgreSQL cluster."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from saleor_bexio_app.store.db import create_engine
from saleor_bexio_app.store.migrate import upgrade
from tests.pg_cluster import PgCluster, start_cluster

TEST_SECRET_KEY = "test-secret-key-0123456789abcdef-0123456789"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """PostgreSQL base URL (no database): TEST_POSTGRES_URL, or a private cluster started here."""
    given = os.environ.get("TEST_POSTGRES_URL")
    if given:
        yield given.rsplit("/", 1)[0]
        return
    cluster: PgCluster = start_cluster()
    try:
        yield cluster.admin_url.rsplit("/", 1)[0]
    finally:
        cluster.stop()


async def _create_database(server: str) -> str:
    name = f"t_{uuid.uuid4().hex[:16]}"
    plain = server.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(f"{plain}/postgres")
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{server}/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}"
    server: str = request.getfixturevalue("pg_server")
    return await _create_database(server)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated engine on each backend."""
    eng = create_engine(db_url)
    await upgrade(eng)
    try:
        yield eng
    finally:
        await eng.dispose()


@pytest.fixture
async def sqlite_engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite engine, for tests whose behaviour does not depend on the database."""
    eng = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'app.sqlite3'}")
    await upgrade(eng)
    try:
        yield eng
    finally:
        await eng.dispose()
