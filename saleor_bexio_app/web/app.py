"""create_app(settings, deps) -> Starlette; the lifespan migrates and runs the embedded worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette

from saleor_bexio_app.api.endpoint import graphql_routes
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.jobs.schedules import Schedule
from saleor_bexio_app.jobs.worker import Worker
from saleor_bexio_app.settings import Settings
from saleor_bexio_app.store.migrate import upgrade
from saleor_bexio_app.web.connect import connect_routes
from saleor_bexio_app.web.pages import page_routes
from saleor_bexio_app.web.routes import api_routes
from saleor_bexio_app.web.services import Deps, Services, build_services
from saleor_bexio_app.web.static_files import dashboard_routes

log = logging.getLogger(__name__)

# bexio has no webhooks: paid and cancelled invoices are polled (DESIGN §1 "back-sync").
INVOICE_POLL = Schedule(JobKind.POLL_INVOICES, every=timedelta(minutes=5))
# bexio has no change timestamp on articles: the pull reads them all, so less often.
ARTICLE_POLL = Schedule(JobKind.POLL_ARTICLES, every=timedelta(minutes=15))


def make_worker(services: Services, *, with_schedules: bool = True) -> Worker:
    """A worker over the app's engine with every registered handler (and the schedules)."""
    settings = services.settings
    return Worker(
        services.engine,
        services.handlers(),
        concurrency=settings.worker_concurrency,
        lease_seconds=settings.job_lease_seconds,
        max_attempts=settings.job_max_attempts,
        backoff_base=settings.job_backoff_base_seconds,
        backoff_max=settings.job_backoff_max_seconds,
        clock=services.clock,
        schedules=[INVOICE_POLL, ARTICLE_POLL] if with_schedules else [],
        on_parked=services.after_park,
    )


def create_app(settings: Settings, deps: Deps | None = None) -> Starlette:
    """The whole HTTP app. Migrations run at start-up; the worker runs inside unless disabled."""
    deps = deps or Deps()
    services = build_services(settings, deps)
    start_worker = settings.embedded_worker if deps.start_worker is None else deps.start_worker

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await upgrade(services.engine)
        stop = asyncio.Event()
        worker_task = None
        if start_worker:
            worker_task = asyncio.create_task(make_worker(services).run(stop))
            log.info("embedded worker started")
        try:
            yield
        finally:
            stop.set()
            if worker_task is not None:
                await worker_task
            await services.close()

    app = Starlette(
        routes=[
            *api_routes(),
            *graphql_routes(),
            *connect_routes(),
            *page_routes(),
            *dashboard_routes(),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
