"""The whole app in this process, wired to the Saleor double and the bexio emulator.

The same wiring as the end-to-end tests (tests/web/conftest.py `Harness`, tests/web/shop.py
`ready_shop`), on a SQLite file of its own, so a benchmark drives exactly what the tests drive.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import httpx

from saleor_bexio_app.settings import load_settings
from saleor_bexio_app.store.db import create_engine
from saleor_bexio_app.store.migrate import upgrade
from saleor_bexio_app.web.app import create_app
from saleor_bexio_app.web.services import Deps
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.network import FakeNetwork
from tests.web.conftest import BEXIO, Harness, OffsetClock


@contextlib.asynccontextmanager
async def in_process_app(workdir: Path, **env: str) -> AsyncIterator[Harness]:
    """The app (worker not started) with a fake network for Saleor and bexio; `env` adds
    settings such as WORKER_CONCURRENCY."""
    engine = create_engine(f"sqlite+aiosqlite:///{workdir / 'app.sqlite3'}")
    await upgrade(engine)
    settings = load_settings(
        {
            "SECRET_KEY": TEST_SECRET_KEY,
            "APP_URL": "http://app.test",
            "ALLOWED_SALEOR_URLS": r"^http://shop-[a-z]\.test/graphql/$",
            "BEXIO_CLIENT_ID": "sandbox-client",
            "BEXIO_CLIENT_SECRET": "sandbox-secret",
            "BEXIO_API_URL": BEXIO,
            "BEXIO_AUTH_URL": f"{BEXIO}/realms/bexio/protocol/openid-connect",
            **env,
        }
    )
    network = FakeNetwork()
    clock = OffsetClock()
    deps = Deps(
        engine=engine,
        saleor_transport=network,
        bexio_transport=network,
        clock=clock,
        start_worker=False,
    )
    app = create_app(settings, deps)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://app.test"
            ) as client,
        ):
            yield Harness(app, client, network, engine, settings, clock)
    finally:
        await engine.dispose()
