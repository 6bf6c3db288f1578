"""Where a webhook's time goes: the webhook route's steps timed one by one, in this process.

The steps are the functions `web/routes.py` `webhook` calls, run one after another on SQLite
and/or PostgreSQL (one request at a time, no concurrency), next to the whole request through
the app and through the bare baseline app (both via `httpx.ASGITransport`, so no network and
no uvicorn). This explains the ingest benchmark's figures; it is not a throughput test.

    python -m bench.ingest_steps [--requests 300] [--databases sqlite,postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from bench.bare import bare_app
from bench.ingest import EVENT, signed_deliveries
from bench.servers import new_postgres_database, postgres_server
from bench.stats import table
from saleor_bexio_app.ids import InstallationId, SaleorApiUrl
from saleor_bexio_app.jobs.model import JobKind
from saleor_bexio_app.jobs.queue import enqueue
from saleor_bexio_app.saleor.events import event_by_slug
from saleor_bexio_app.saleor.signatures import verify_webhook_signature
from saleor_bexio_app.saleor.webhooks import parse_delivery
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.settings import load_settings
from saleor_bexio_app.web.app import create_app
from saleor_bexio_app.web.services import Deps, Services
from tests.conftest import TEST_SECRET_KEY
from tests.fakes.network import FakeNetwork

SHOP = "http://shop-a.test/graphql/"


async def _mean_ms(count: int, step: Callable[[int], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    for index in range(count):
        await step(index)
    return (time.perf_counter() - started) / count * 1000


@contextlib.asynccontextmanager
async def _client(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app.test") as client:
        yield client


async def steps(database_url: str, count: int) -> dict[str, float]:
    """Mean milliseconds per step over `count` distinct signed deliveries."""
    settings = load_settings(
        {
            "SECRET_KEY": TEST_SECRET_KEY,
            "DATABASE_URL": database_url,
            "APP_URL": "http://app.test",
            "ALLOWED_SALEOR_URLS": r"^http://shop-a\.test/graphql/$",
        }
    )
    network = FakeNetwork()
    double = SaleorDouble(SHOP)
    network.add_host("shop-a.test", double.app)
    app = create_app(settings, Deps(saleor_transport=network, start_worker=False))
    services: Services = app.state.services
    event = event_by_slug(EVENT.lower().replace("_", "-"))
    assert event is not None
    async with app.router.lifespan_context(app), _client(app) as client:
        installed = double.install_app()
        response = await client.post(
            "/api/register", json={"auth_token": installed.token}, headers={"Saleor-Api-Url": SHOP}
        )
        assert response.status_code == 200, response.text
        records = [json.loads(line) for line in signed_deliveries(double, installed.id, 1, count)]
        async with services.sessions() as session:
            installation = await services.installations.find(session, SaleorApiUrl(SHOP))
        assert installation is not None
        jwks = installation.jwks
        bodies = [record["body"].encode() for record in records]
        signatures = [record["headers"]["Saleor-Signature"] for record in records]

        async def find(_: int) -> None:
            async with services.sessions() as session:
                await services.installations.find(session, SaleorApiUrl(SHOP))

        async def verify(index: int) -> None:
            verify_webhook_signature(signatures[index], bodies[index], jwks)

        async def parse(index: int) -> None:
            parse_delivery(event, bodies[index])

        async def store(index: int) -> None:
            async with services.sessions.begin() as session:
                await enqueue(
                    session,
                    installation_id=InstallationId(installation.id),
                    kind=JobKind.SYNC_ORDER,
                    key=f"step-{index}",
                    now=services.clock(),
                    payload={"event": EVENT},
                )

        async def whole(index: int) -> None:
            record = records[index]
            sent = await client.post(
                record["path"], content=bodies[index], headers=record["headers"]
            )
            assert sent.status_code == 200, sent.text

        figures = {
            "find installation (1 SELECT, own session)": await _mean_ms(count, find),
            "verify signature (RS256)": await _mean_ms(count, verify),
            "parse delivery (pydantic)": await _mean_ms(count, parse),
            "store job (INSERT .. ON CONFLICT + COMMIT)": await _mean_ms(count, store),
            "whole request through the app": await _mean_ms(count, whole),
        }
    async with _client(bare_app()) as client:

        async def bare(index: int) -> None:
            record = records[index]
            await client.post(record["path"], content=bodies[index], headers=record["headers"])

        figures["whole request through the bare app"] = await _mean_ms(count, bare)
    return figures


async def run(count: int, databases: Sequence[str], postgres_url: str | None) -> dict[str, Any]:
    """Step timings per database."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-steps-") as tmp:
        for database in databases:
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(tmp) / 'steps.sqlite3'}"
                results[database] = await steps(url, count)
            else:
                with postgres_server(postgres_url) as server:
                    results[database] = await steps(await new_postgres_database(server), count)
    return results


def report(results: dict[str, Any]) -> str:
    names = list(next(iter(results.values())))
    rows = [[name, *(f"{results[db][name]:.2f}" for db in results)] for name in names]
    return "mean ms per webhook, one at a time, in-process\n" + table(["step", *results], rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_steps", description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args(argv)
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    print(report(asyncio.run(run(args.requests, databases, args.postgres_url))))


if __name__ == "__main__":
    main()
