"""Logs of a whole run, at DEBUG, hold no token, no e-mail address and no customer address line."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from saleor_bexio_app.cli import QUIET_LOGGERS, _configure_logging
from saleor_bexio_app.settings import load_settings
from saleor_bexio_app.store.tables import OAuthStateRow
from tests.conftest import TEST_SECRET_KEY
from tests.security.world import CUSTOMER_EMAIL, CUSTOMER_STREET, two_shops
from tests.web.conftest import Harness, order_payload
from tests.web.shop import run_all

BASE_ENV = {"SECRET_KEY": TEST_SECRET_KEY, "DATABASE_URL": "sqlite+aiosqlite:///unused.sqlite3"}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Requests the test itself sends (its client to the app, its browser at bexio's login page).
TEST_SIDE = re.compile(r"^HTTP Request: \w+ (http://app\.test/|http://bexio\.test/realms/)")


def _text(record: logging.LogRecord) -> str:
    parts = [record.getMessage()]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append(logging.Formatter().formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Logging as the app configures it for LOG_LEVEL=DEBUG, every record captured."""
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    _configure_logging(dataclasses.replace(load_settings(BASE_ENV), log_level="DEBUG"))
    caplog.set_level(logging.DEBUG)
    try:
        yield caplog
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _sent(harness: Harness, name: str) -> list[str]:
    """Values of `name` the browser and the app sent to bexio (URL parameters and forms)."""
    values = []
    for request in harness.network.requests:
        if request.url.host != "bexio.test":
            continue
        values += request.url.params.get_list(name)
        if request.headers.get("content-type") == "application/x-www-form-urlencoded":
            values += parse_qs(request.content.decode()).get(name, [])
    return [value for value in values if value]


async def test_a_full_run_logs_no_secret_and_no_customer_data(
    harness: Harness, debug_logging: pytest.LogCaptureFixture
) -> None:
    caplog = debug_logging
    # install, connect, sync orders (one fails on an unmapped VAT rate)
    world = await two_shops(harness)
    headers = harness.dashboard_headers(world.a, world.app_a)
    dashboard_token = headers["Authorization-Bearer"]
    await harness.client.post("/graphql", json={"query": "{ errors { id } }"}, headers=headers)
    async with harness.services.sessions() as session:
        tokens = await harness.services.connections.tokens(session, world.shop_b)
        states = (await session.scalars(select(OAuthStateRow.state_hash))).all()
    assert tokens is not None
    # disconnect and uninstall
    await harness.client.post(
        "/api/bexio/disconnect", headers=harness.dashboard_headers(world.b, world.app_b)
    )
    deleted = {**order_payload(world.app_a), "__typename": "AppDeleted"}
    deleted["app"] = {"id": world.app_a.id}
    assert (await harness.deliver(world.a, "APP_DELETED", deleted)).status_code == 200
    await run_all(harness)

    states = [*states, *_sent(harness, "state")]
    codes = _sent(harness, "code")
    assert states and codes
    records = [r for r in caplog.records if not TEST_SIDE.match(r.getMessage())]
    logged = "\n".join(_text(record) for record in records)
    for step in ("installed on", "connected to bexio", "parked", "uninstalled"):
        assert step in logged, f"the run logged no {step!r}"
    secrets = {
        "Saleor app token": world.app_a.token,
        "Saleor app token B": world.app_b.token,
        "bexio access token": tokens.access_token,
        "bexio refresh token": tokens.refresh_token,
        "dashboard token": dashboard_token,
        "SECRET_KEY": TEST_SECRET_KEY,
        "bexio client secret": harness.settings.bexio_client_secret,
        "customer street": CUSTOMER_STREET,
        "default customer street": "Bahnhofstrasse 12a",
        **{f"OAuth state {n}": state for n, state in enumerate(states)},
        **{f"OAuth code {n}": code for n, code in enumerate(codes)},
    }
    for name, secret in secrets.items():
        assert secret not in logged, f"{name} is in the logs"
    assert CUSTOMER_EMAIL not in logged
    assert EMAIL.findall(logged) == []
