"""A running app wired to Saleor doubles over a fake network, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.settings import Settings, load_settings
from saleor_bexio_app.store.tables import InstallationRow, JobRow
from saleor_bexio_app.web.app import create_app, make_worker
from saleor_bexio_app.web.services import Deps, Services
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.browser import click_at_bexio
from tests.fakes.network import FakeNetwork

if TYPE_CHECKING:
    from saleor_bexio_app.sandbox.bexio import BexioEmulator

BEXIO = "http://bexio.test"
SHOP_A = "http://shop-a.test/graphql/"
SHOP_B = "http://shop-b.test/graphql/"


class OffsetClock:
    """The real time plus an offset that tests move forward."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Harness:
    app: Starlette
    client: httpx.AsyncClient
    network: FakeNetwork
    engine: AsyncEngine
    settings: Settings
    clock: OffsetClock

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def add_saleor(self, api_url: str) -> SaleorDouble:
        double = SaleorDouble(api_url)
        self.network.add_host(httpx.URL(api_url).netloc.decode("ascii"), double.app)
        return double

    def add_bexio(self, **options: Any) -> BexioEmulator:
        from saleor_bexio_app.sandbox.bexio import BexioEmulator

        emulator = BexioEmulator(
            client_id=self.settings.bexio_client_id,
            client_secret=self.settings.bexio_client_secret,
            **options,
        )
        self.network.add_host(httpx.URL(BEXIO).netloc.decode("ascii"), emulator.app)
        return emulator

    async def connect_bexio(self, double: SaleorDouble, app: InstalledApp) -> httpx.Response:
        """The merchant clicks "Connect to bexio", then "Allow" at bexio; the callback answer."""
        response = await self.client.post(
            "/api/bexio/connect", headers=self.dashboard_headers(double, app)
        )
        assert response.status_code == 200, response.text
        async with httpx.AsyncClient(transport=self.network, base_url=BEXIO) as browser:
            location = await click_at_bexio(browser, response.json()["url"], "allow")
        target = httpx.URL(location)
        return await self.client.get(f"{target.path}?{target.query.decode()}")

    def dashboard_headers(
        self, double: SaleorDouble, app: InstalledApp, permissions: list[str] | None = None
    ) -> dict[str, str]:
        granted = permissions or ["MANAGE_ORDERS", "MANAGE_USERS", "MANAGE_PRODUCTS", "MANAGE_APPS"]
        token = double.dashboard_token(
            app.id, permissions=granted, user_permissions=granted, now=self.clock()
        )
        return {"Authorization-Bearer": token, "Saleor-Api-Url": double.api_url}

    async def register(
        self, api_url: str, body: Any, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        sent = {"Saleor-Api-Url": api_url, "Saleor-Schema-Version": "3.24", **(headers or {})}
        return await self.client.post("/api/register", json=body, headers=sent)

    async def install(self, double: SaleorDouble) -> InstalledApp:
        installed = double.install_app()
        response = await self.register(double.api_url, {"auth_token": installed.token})
        assert response.status_code == 200, response.text
        return installed

    async def deliver(
        self,
        double: SaleorDouble,
        event: str,
        payload: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        sent_headers, sent_body = double.webhook(event, payload)
        merged = {**sent_headers, **(headers or {})}
        merged = {k: v for k, v in merged.items() if v != ""}
        slug = event.lower().replace("_", "-")
        return await self.client.post(
            f"/api/webhooks/{slug}", content=body if body is not None else sent_body, headers=merged
        )

    async def jobs(self) -> list[JobRow]:
        async with self.services.sessions() as session:
            return list((await session.scalars(select(JobRow).order_by(JobRow.id))).all())

    async def installations(self) -> list[InstallationRow]:
        async with self.services.sessions() as session:
            rows = await session.scalars(select(InstallationRow).order_by(InstallationRow.id))
            return list(rows.all())

    async def run_jobs(self, *, with_schedules: bool = False) -> int:
        """Run every due job once; periodic schedules only when asked."""
        return await make_worker(self.services, with_schedules=with_schedules).run_once()


def order_payload(app: InstalledApp, order_id: str = "T3JkZXI6MQ==") -> dict[str, Any]:
    return {
        "__typename": "OrderCreated",
        "issuedAt": "2026-11-23T19:21:10.379443+00:00",
        "version": "3.24.0-a.0",
        "recipient": {"id": app.id},
        "order": {"id": order_id, "number": "21", "status": "UNFULFILLED"},
    }


@contextlib.asynccontextmanager
async def running_harness(engine: AsyncEngine, **env: str) -> AsyncIterator[Harness]:
    """The app on `engine` (worker not started) behind a fake network for Saleor and bexio;
    `env` adds or overrides settings (e.g. WORKER_CONCURRENCY)."""
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
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://app.test"
        ) as client,
    ):
        yield Harness(app, client, network, engine, settings, clock)


@pytest.fixture
async def harness(engine: AsyncEngine) -> AsyncIterator[Harness]:
    async with running_harness(engine) as running:
        yield running
