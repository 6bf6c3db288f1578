"""`saleor-bexio resync` on a SQLite file database, talking to the Saleor double."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from saleor_bexio_app.cli import main
from saleor_bexio_app.ids import AppId, SaleorApiUrl
from saleor_bexio_app.sandbox.saleor_double import SaleorDouble
from saleor_bexio_app.store.db import create_engine, session_factory
from saleor_bexio_app.store.migrate import upgrade
from saleor_bexio_app.store.repos import InstallationRepo
from saleor_bexio_app.store.secrets import SecretBox
from saleor_bexio_app.store.tables import JobRow
from saleor_bexio_app.web import services
from tests.conftest import TEST_SECRET_KEY

SHOP = "https://shop.example.com/graphql/"


async def _install(database_url: str, token: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with session_factory(engine).begin() as session:
            await InstallationRepo(SecretBox(TEST_SECRET_KEY)).upsert(
                session,
                api_url=SaleorApiUrl(SHOP),
                app_id=AppId("QXBwOjE="),
                token=token,
                jwks={"keys": []},
                now=datetime(2026, 1, 5, tzinfo=UTC),
            )
    finally:
        await engine.dispose()


async def _jobs(database_url: str) -> list[tuple[str, str]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(select(JobRow.kind, JobRow.key).order_by(JobRow.id))
            return [(row.kind, row.key) for row in rows]
    finally:
        await engine.dispose()


@pytest.fixture
def double(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SaleorDouble:
    """The Saleor double as the shop; the CLI's services reach it through an ASGI transport."""
    saleor = SaleorDouble(SHOP)
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("SECRET_KEY", TEST_SECRET_KEY)
    transport = httpx.ASGITransport(app=saleor.app)
    deps = services.Deps
    monkeypatch.setattr(services, "Deps", lambda: deps(saleor_transport=transport))
    asyncio.run(_install(url, saleor.install_app().token))
    return saleor


def _database_url() -> str:
    return os.environ["DATABASE_URL"]


def test_resync_starts_a_backfill_and_prints_its_id(
    double: SaleorDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["resync", "--shop", SHOP, "--entity", "customers", "--since", "2026-01-31"])
    assert capsys.readouterr().out == "backfill 1 started: customers created since 2026-01-31\n"
    assert asyncio.run(_jobs(_database_url())) == [("backfill", "backfill:1")]


def test_resync_wait_runs_the_backfill_to_the_end_printing_progress(
    double: SaleorDouble, capsys: pytest.CaptureFixture[str]
) -> None:
    # given orders, all created before the date asked for
    for _ in range(3):
        double.add_order()
    # when
    main(["resync", "--shop", SHOP, "--entity", "orders", "--since", "2027-01-01", "--wait"])
    # then the listing found nothing to queue and the backfill is done
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "backfill 1 started: orders created since 2027-01-01"
    assert lines[-1] == "backfill 1: done 0/0"
    assert asyncio.run(_jobs(_database_url())) == []


@pytest.mark.parametrize(
    ("shop", "since", "message"),
    [
        ("https://other.example.com/graphql/", "2026-01-31", "no shop installed the app"),
        (SHOP, "31.01.2026", "--since must be a date like 2026-01-31"),
    ],
)
def test_resync_with_an_unknown_shop_or_a_bad_date_exits_2_with_one_line(
    double: SaleorDouble,
    capsys: pytest.CaptureFixture[str],
    shop: str,
    since: str,
    message: str,
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["resync", "--shop", shop, "--entity", "orders", "--since", since])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1
    assert message in error
