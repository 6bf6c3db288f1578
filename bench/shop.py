"""The whole app in this process, wired to the Saleor double and the bexio emulator.

The same wiring as the end-to-end tests (tests/web/conftest.py `Harness`, tests/web/shop.py
`ready_shop`), on a SQLite file of its own, so a benchmark drives exactly what the tests drive.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from saleor_bexio_app.store.db import create_engine
from saleor_bexio_app.store.migrate import upgrade
from tests.web.conftest import Harness, running_harness


@contextlib.asynccontextmanager
async def in_process_app(workdir: Path, **env: str) -> AsyncIterator[Harness]:
    """The app (worker not started) with a fake network for Saleor and bexio; `env` adds
    settings such as WORKER_CONCURRENCY."""
    engine = create_engine(f"sqlite+aiosqlite:///{workdir / 'app.sqlite3'}")
    await upgrade(engine)
    try:
        async with running_harness(engine, **env) as harness:
            yield harness
    finally:
        await engine.dispose()
