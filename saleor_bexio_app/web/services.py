"""What the routes and the embedded worker share: engine, repos, outgoing clients, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.requests import Request

from saleor_bexio_app.bexio.adapter import BexioAdapter, MasterDataCache
from saleor_bexio_app.bexio.articles import BexioArticles
from saleor_bexio_app.bexio.client import AccessTokens, BexioClient
from saleor_bexio_app.bexio.limiter import RateLimiter
from saleor_bexio_app.bexio.oauth import BexioOAuth
from saleor_bexio_app.bexio.tokens import ConnectionTokens, disconnected_error
from saleor_bexio_app.errors import AppError, AuthError
from saleor_bexio_app.ids import InstallationId, SaleorApiUrl
from saleor_bexio_app.jobs.backfill import BackfillFlow
from saleor_bexio_app.jobs.flows import InstallFlows
from saleor_bexio_app.jobs.model import Job, JobKind
from saleor_bexio_app.jobs.product_flows import ProductBulk, ProductFlows, ProductPorts
from saleor_bexio_app.jobs.sync_flows import ShopPorts, SyncFlows
from saleor_bexio_app.jobs.worker import HandlerRegistry
from saleor_bexio_app.saleor.adapter import SaleorAdapter
from saleor_bexio_app.saleor.client import SaleorClient
from saleor_bexio_app.saleor.jwks import Jwks, JwksFetcher, JwksRefresher, make_jwks_fetcher
from saleor_bexio_app.saleor.products import SaleorProducts
from saleor_bexio_app.settings import Settings
from saleor_bexio_app.store.connections import ConnectionRepo, ConnectionStatus
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.error_log import ErrorLog
from saleor_bexio_app.store.product_repo import SqlProductRepo
from saleor_bexio_app.store.repos import Installation, InstallationRepo
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.sync_repo import SqlSyncRepo
from saleor_bexio_app.store.tables import utcnow
from saleor_bexio_app.sync.model import ProductSettings

BEXIO_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
# Taxes, currencies, countries and document settings rarely change; a config error forgets them.
MASTER_DATA_TTL_SECONDS = 600.0


@dataclass
class Deps:
    """Seams for tests and the sandbox: an engine, the transport for calls to Saleor, a clock."""

    engine: AsyncEngine | None = None
    saleor_transport: httpx.AsyncBaseTransport | None = None
    bexio_transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], datetime] = field(default=utcnow)
    start_worker: bool | None = None


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    installations: InstallationRepo
    connections: ConnectionRepo
    sync_repo: SqlSyncRepo
    product_repo: SqlProductRepo
    error_log: ErrorLog
    bexio_http: httpx.AsyncClient
    oauth: BexioOAuth
    limiter: RateLimiter
    master_data: MasterDataCache
    fetch_jwks: JwksFetcher
    jwks: JwksRefresher
    clock: Callable[[], datetime]
    saleor_transport: httpx.AsyncBaseTransport | None
    owns_engine: bool

    async def close(self) -> None:
        await self.bexio_http.aclose()
        if self.owns_engine:
            await self.engine.dispose()

    def bexio_tokens(self, installation_id: InstallationId) -> ConnectionTokens:
        """Access tokens of one shop's bexio connection (shared refresh across processes)."""
        return ConnectionTokens(
            self.sessions, self.connections, self.oauth, installation_id, clock=self.clock
        )

    def bexio(self, tokens: AccessTokens, company_key: str) -> BexioClient:
        """A bexio client for one company; all clients of a company share the process's limiter."""
        return BexioClient(
            self.bexio_http,
            api_url=self.settings.bexio_api_url,
            tokens=tokens,
            limiter=self.limiter,
            company_key=company_key,
        )

    def saleor(self, api_url: SaleorApiUrl, token: str) -> SaleorClient:
        return SaleorClient(api_url, token, transport=self.saleor_transport)

    async def refreshed_jwks(self, installation: Installation, *, since: float) -> Jwks | None:
        """The shop's JWKS fetched after `since` and stored; None if unavailable or unchanged."""
        try:
            fresh = await self.jwks.refresh(installation.saleor_api_url, since=since)
        except AppError:
            return None
        if fresh == installation.jwks:
            return None
        async with self.sessions.begin() as session:
            await self.installations.set_jwks(session, installation.id, fresh, self.clock())
        return fresh

    async def shop_ports(self, installation_id: InstallationId) -> ShopPorts:
        """The Saleor and bexio sides of one shop; AuthError when either cannot be used."""
        saleor, bexio, company = await self._shop_clients(installation_id)
        return ShopPorts(
            saleor=SaleorAdapter(saleor),
            bexio=BexioAdapter(bexio, master_data=self.master_data, company_key=company),
        )

    async def product_ports(
        self, installation_id: InstallationId, settings: ProductSettings
    ) -> ProductPorts:
        """Saleor's products and bexio's articles of one shop; AuthError as `shop_ports`.

        VAT rates for gross/net conversions are those of the price channel's country.
        """
        saleor, bexio, _ = await self._shop_clients(installation_id)
        return ProductPorts(
            shop=SaleorProducts(saleor, vat_channel=settings.price_channel_slug),
            articles=BexioArticles(bexio),
        )

    async def saleor_products(self, installation_id: InstallationId) -> SaleorProducts:
        """Saleor's products of one shop (no bexio connection needed)."""
        async with self.sessions() as session:
            saleor = await self._installed_saleor(session, installation_id)
        return SaleorProducts(saleor)

    async def _installed_saleor(
        self, session: AsyncSession, installation_id: InstallationId
    ) -> SaleorClient:
        installation = await self.installations.get(session, installation_id)
        token = await self.installations.token(session, installation_id)
        if installation is None or token is None or not installation.active:
            raise AuthError("The app is not installed in this shop any more.")
        return self.saleor(installation.saleor_api_url, token)

    async def _shop_clients(
        self, installation_id: InstallationId
    ) -> tuple[SaleorClient, BexioClient, str]:
        async with self.sessions() as session:
            saleor = await self._installed_saleor(session, installation_id)
            connection = await self.connections.get(session, installation_id)
        if connection is None or connection.status != ConnectionStatus.CONNECTED:
            reason = connection.broken_reason if connection is not None else None
            raise disconnected_error(reason)
        company = connection.company_id or f"installation-{installation_id}"
        return saleor, self.bexio(self.bexio_tokens(installation_id), company), company

    async def after_park(self, job: Job) -> None:
        """A job was parked: pause the shop's sync if its unresolved errors piled up."""
        async with self.sessions.begin() as session:
            await self.error_log.refresh_pause(session, job.installation_id, now=self.clock())

    def handlers(self) -> HandlerRegistry:
        """Every job handler this deployment knows, by kind."""
        registry = HandlerRegistry()
        install = InstallFlows(
            self.sessions,
            self.installations,
            self.connections,
            self.oauth,
            self.saleor,
            self.clock,
        )
        registry.register(JobKind.APP_INSTALLED, install.app_installed)
        registry.register(JobKind.APP_UNINSTALLED, install.app_uninstalled)
        sync = SyncFlows(self.sync_repo, self.shop_ports, self.clock)
        registry.register(JobKind.SYNC_ORDER, sync.sync_order)
        registry.register(JobKind.SYNC_CUSTOMER, sync.sync_customer)
        registry.register(JobKind.POLL_INVOICES, sync.poll_invoices)
        products = ProductFlows(
            self.sync_repo, self.product_repo, self.product_ports, self.sessions, self.clock
        )
        registry.register(JobKind.SYNC_PRODUCT, products.sync_product)
        registry.register(JobKind.POLL_ARTICLES, products.poll_articles)
        bulk = ProductBulk(
            products,
            self.sync_repo,
            self.product_repo,
            self.product_ports,
            self.sessions,
            self.clock,
        )
        backfill = BackfillFlow(
            self.sessions, self.installations, self.saleor, self.clock, products=bulk
        )
        registry.register(JobKind.BACKFILL, backfill.run)
        return registry


def services_of(request: Request) -> Services:
    """The services `create_app` attached to the Starlette app serving this request."""
    services: Services = request.app.state.services
    return services


def build_services(settings: Settings, deps: Deps) -> Services:
    engine = deps.engine or create_engine(settings.database_url)
    fetch_jwks = make_jwks_fetcher(deps.saleor_transport)
    box = SecretBox(settings.secret_key)
    sessions = session_factory(engine)
    bexio_http = httpx.AsyncClient(transport=deps.bexio_transport, timeout=BEXIO_TIMEOUT)
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        installations=InstallationRepo(box),
        connections=ConnectionRepo(box),
        sync_repo=SqlSyncRepo(sessions, clock=deps.clock),
        product_repo=SqlProductRepo(sessions, clock=deps.clock),
        error_log=ErrorLog(sessions, clock=deps.clock),
        bexio_http=bexio_http,
        oauth=BexioOAuth(
            bexio_http,
            auth_url=settings.bexio_auth_url,
            client_id=settings.bexio_client_id,
            client_secret=settings.bexio_client_secret,
            redirect_uri=f"{settings.app_url}/bexio/oauth/callback",
        ),
        limiter=RateLimiter(),
        master_data=MasterDataCache(ttl=MASTER_DATA_TTL_SECONDS),
        fetch_jwks=fetch_jwks,
        jwks=JwksRefresher(fetch_jwks, min_interval=settings.jwks_refetch_interval_seconds),
        clock=deps.clock,
        saleor_transport=deps.saleor_transport,
        owns_engine=deps.engine is None,
    )
