"""`saleor-bexio sandbox`: the app, a Saleor double and a bexio emulator in one process.

Three uvicorn servers on loopback ports share one event loop:

- the app (`create_app`, embedded worker) on `port`, with its database in a temporary directory
  unless `database_url` is given;
- the Saleor double (GraphQL at `/graphql/`, JWKS) plus the dashboard stand-in `/sandbox/`
  (sandbox/embed.py) that embeds the app's pages and speaks AppBridge;
- the bexio emulator (OAuth and REST API).

At start the shop is set up the way a merchant would: the app is installed through the real
`/api/register`, bexio is connected through the real OAuth flow (the consent is "clicked"
programmatically), and complete shop settings plus the VAT mapping (8.1 % and 2.6 %) are
saved. Tests use `run_sandbox(port=0)` in-process; `SandboxHandles.place_order` creates an order
in the double and delivers its signed webhook to the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
import tempfile
from collections.abc import AsyncIterator, Generator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioTaxId,
    BexioUserId,
    InstallationId,
    SaleorApiUrl,
)
from saleor_bexio_app.saleor.manifest import APP_PERMISSIONS
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sandbox.embed import embed_routes
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.settings import load_settings
from saleor_bexio_app.sync.actions import default_matrix
from saleor_bexio_app.sync.model import ShopSettings
from saleor_bexio_app.sync.vat import TaxMapping
from saleor_bexio_app.web.app import create_app
from saleor_bexio_app.web.services import Deps, Services

HOST = "127.0.0.1"
CLIENT_ID = "sandbox-client"
CLIENT_SECRET = "sandbox-secret"
# The emulator's seeded company: sales taxes UN81 (8.1 %) and UR26 (2.6 %), revenue account
# 101, bank account 1, user 1 (as tests/web/test_order_sync.py uses them).
UN81, UR26 = BexioTaxId(14), BexioTaxId(15)
CHANGE_PERMISSION = "MANAGE_APPS"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to its caller (several share one loop)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def _server(app: Any, *, lifespan: Literal["on", "off"], log_level: str) -> _Server:
    config = uvicorn.Config(
        app, lifespan=lifespan, log_level=log_level, ws="none", http="h11", access_log=False
    )
    return _Server(config)


def sandbox_settings() -> ShopSettings:
    """Complete shop settings for the emulator's seeded company."""
    return ShopSettings(
        order_actions=default_matrix(),
        bexio_user_id=BexioUserId(1),
        bank_account_id=BexioBankAccountId(1),
        revenue_account_id=BexioAccountId(101),
    )


def sandbox_tax_mapping() -> TaxMapping:
    return TaxMapping(by_rate={Decimal("8.1"): UN81, Decimal("2.6"): UR26})


@dataclass
class SandboxHandles:
    """A running sandbox: URLs, the doubles, the app, and helpers for tests and scripts."""

    app_url: str
    saleor_url: str
    api_url: str
    bexio_url: str
    double: SaleorDouble
    emulator: BexioEmulator
    app: Starlette
    installed: InstalledApp
    installation_id: InstallationId

    @property
    def embed_url(self) -> str:
        """The dashboard stand-in showing the errors page."""
        return f"{self.saleor_url}/sandbox/"

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def dashboard_token(self, *, can_change: bool = True, ttl: int = 300) -> str:
        """A dashboard JWT of a staff user with the app's permissions (and MANAGE_APPS)."""
        user = [*APP_PERMISSIONS, *([CHANGE_PERMISSION] if can_change else [])]
        return self.double.dashboard_token(
            self.installed.id, permissions=list(APP_PERMISSIONS), user_permissions=user, ttl=ttl
        )

    def dashboard_headers(self) -> dict[str, str]:
        return {"Authorization-Bearer": self.dashboard_token(), "Saleor-Api-Url": self.api_url}

    async def deliver(self, event: str, order_id: str) -> None:
        """Deliver a signed order webhook (e.g. ORDER_CREATED) to the app, as Saleor does."""
        headers, body = self.double.order_webhook(event, order_id, self.installed.id)
        slug = event.lower().replace("_", "-")
        async with httpx.AsyncClient(trust_env=False) as client:
            answer = await client.post(
                f"{self.app_url}/api/webhooks/{slug}", content=body, headers=headers
            )
        answer.raise_for_status()

    async def place_order(
        self, *, lines: Sequence[dict[str, Any]] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """Create an order in the Saleor double and deliver its ORDER_CREATED webhook."""
        if lines is not None:
            fields["lines"] = list(lines)
        order = self.double.add_order(**fields)
        await self.deliver("ORDER_CREATED", order["id"])
        return order

    async def place_sample_order(self, *, unmapped_vat: bool = False) -> dict[str, Any]:
        """The default order of the double, or one with a wine line at 3.8 % (not mapped)."""
        if not unmapped_vat:
            return await self.place_order()
        wine = self.double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")
        return await self.place_order(lines=[wine])

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until the embedded worker has no due job left."""
        from sqlalchemy import func, select

        from saleor_bexio_app.store.tables import JobRow

        async with asyncio.timeout(timeout):
            while True:
                async with self.services.sessions() as session:
                    count = await session.scalar(
                        select(func.count())
                        .select_from(JobRow)
                        .where(
                            JobRow.state.in_(("queued", "running")),
                            JobRow.run_at <= self.services.clock(),
                        )
                    )
                if not count:
                    return
                await asyncio.sleep(0.1)


async def _connect_bexio(handles: SandboxHandles) -> None:
    """The merchant clicks "Connect to bexio" and "Allow" at bexio; the callback completes."""
    async with httpx.AsyncClient(trust_env=False, timeout=20.0) as browser:
        answer = await browser.post(
            f"{handles.app_url}/api/bexio/connect", headers=handles.dashboard_headers()
        )
        answer.raise_for_status()
        authorize_url = answer.json()["url"]
        consent = await browser.post(authorize_url, data={"decision": "allow"})
        if consent.status_code not in (302, 303):
            raise RuntimeError(f"bexio consent failed: {consent.status_code} {consent.text}")
        callback = await browser.get(consent.headers["location"])
        callback.raise_for_status()


async def _install(app_url: str, double: SaleorDouble) -> InstalledApp:
    installed = double.install_app()
    async with httpx.AsyncClient(trust_env=False, timeout=20.0) as client:
        answer = await client.post(
            f"{app_url}/api/register",
            json={"auth_token": installed.token},
            headers={"Saleor-Api-Url": double.api_url, "Saleor-Schema-Version": "3.24"},
        )
    if answer.status_code != 200:
        raise RuntimeError(f"install failed: {answer.status_code} {answer.text}")
    return installed


@contextlib.asynccontextmanager
async def run_sandbox(
    port: int = 8000,
    *,
    saleor_port: int = 0,
    bexio_port: int = 0,
    database_url: str | None = None,
    log_level: str = "warning",
) -> AsyncIterator[SandboxHandles]:
    """Start the three servers, install and configure the shop; stop everything on exit."""
    sockets = [_bind(port), _bind(saleor_port), _bind(bexio_port)]
    app_port, double_port, emulator_port = (s.getsockname()[1] for s in sockets)
    app_url = f"http://{HOST}:{app_port}"
    saleor_url = f"http://{HOST}:{double_port}"
    bexio_url = f"http://{HOST}:{emulator_port}"
    api_url = f"{saleor_url}/graphql/"
    with contextlib.ExitStack() as stack:
        for sock in sockets:
            stack.callback(sock.close)
        if database_url is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="saleor-bexio-"))
            database_url = f"sqlite+aiosqlite:///{folder}/sandbox.sqlite3"
        settings = load_settings(
            {
                "SECRET_KEY": secrets.token_urlsafe(48),
                "APP_URL": app_url,
                "ALLOWED_SALEOR_URLS": f"^{re.escape(api_url)}$",
                "DATABASE_URL": database_url,
                "BEXIO_CLIENT_ID": CLIENT_ID,
                "BEXIO_CLIENT_SECRET": CLIENT_SECRET,
                "BEXIO_API_URL": bexio_url,
                "BEXIO_AUTH_URL": f"{bexio_url}/realms/bexio/protocol/openid-connect",
                "LOG_LEVEL": log_level.upper(),
            }
        )
        double = SaleorDouble(api_url, shop_name="Sandbox shop")
        emulator = BexioEmulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        app = create_app(settings, Deps(start_worker=True))
        holder: dict[str, SandboxHandles] = {}

        def app_id() -> str:
            return holder["handles"].installed.id

        def token() -> str:
            return holder["handles"].dashboard_token()

        async def place_order(unmapped_vat: bool) -> str:
            order = await holder["handles"].place_sample_order(unmapped_vat=unmapped_vat)
            return str(order["id"])

        saleor_app = Starlette(
            routes=[
                *embed_routes(
                    app_url=app_url,
                    api_url=api_url,
                    app_id=app_id,
                    token=token,
                    place_order=place_order,
                ),
                Mount("/", app=double.app),
            ]
        )
        servers = [
            _server(app, lifespan="on", log_level=log_level),
            _server(saleor_app, lifespan="off", log_level=log_level),
            _server(emulator.app, lifespan="off", log_level=log_level),
        ]
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(servers, sockets, strict=True)
        ]
        try:
            async with asyncio.timeout(20):
                while not all(server.started for server in servers):
                    for task in tasks:
                        if task.done():
                            task.result()
                            raise RuntimeError("a sandbox server stopped while starting")
                    await asyncio.sleep(0.02)
            installed = await _install(app_url, double)
            services: Services = app.state.services
            async with services.sessions() as session:
                installation = await services.installations.find(session, SaleorApiUrl(api_url))
            if installation is None:
                raise RuntimeError("the app did not store the installation")
            handles = SandboxHandles(
                app_url=app_url,
                saleor_url=saleor_url,
                api_url=api_url,
                bexio_url=bexio_url,
                double=double,
                emulator=emulator,
                app=app,
                installed=installed,
                installation_id=installation.id,
            )
            holder["handles"] = handles
            await _connect_bexio(handles)
            await services.sync_repo.save_shop_settings(installation.id, sandbox_settings())
            await services.sync_repo.save_tax_mapping(installation.id, sandbox_tax_mapping())
            await handles.wait_idle()
            yield handles
        finally:
            for server in servers:
                server.should_exit = True
            await asyncio.gather(*tasks, return_exceptions=True)


def describe(handles: SandboxHandles) -> str:
    """What `saleor-bexio sandbox` prints once everything runs."""
    return "\n".join(
        [
            "saleor-bexio sandbox is running:",
            f"  dashboard (embedded app): {handles.embed_url}",
            f"  app:                      {handles.app_url}/",
            f"  Saleor API (double):      {handles.api_url}",
            f"  bexio (emulator):         {handles.bexio_url}/",
            "Dark theme: add ?theme=dark; German: ?locale=de (or use the buttons). Ctrl-C stops.",
        ]
    )


async def serve_sandbox(port: int, *, database_url: str | None = None) -> None:
    """Run the sandbox until SIGINT/SIGTERM."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with run_sandbox(port, database_url=database_url) as handles:
        print(describe(handles), flush=True)
        await stop.wait()
