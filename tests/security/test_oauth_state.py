"""The OAuth state of "Connect to bexio": single use, bound to its shop and its PKCE verifier.

tests/web/test_bexio_connect.py covers single use, expiry, unknown states and that the state
alone picks the shop; these add what a replay or a mixed-up flow must leave untouched.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from saleor_bexio_app.store.tables import BexioConnectionRow
from tests.fakes.browser import click_at_bexio
from tests.fuzz.observed import db_state
from tests.web.conftest import BEXIO, SHOP_A, SHOP_B, Harness, order_payload


async def _installed(harness: Harness, api_url: str) -> tuple[SaleorDouble, InstalledApp]:
    double = harness.add_saleor(api_url)
    app = await harness.install(double)
    await harness.run_jobs()
    return double, app


async def _allowed_at_bexio(harness: Harness, double: SaleorDouble, app: InstalledApp) -> str:
    """Start "Connect to bexio" and click "Allow"; the callback path and query, not yet sent."""
    response = await harness.client.post(
        "/api/bexio/connect", headers=harness.dashboard_headers(double, app)
    )
    assert response.status_code == 200, response.text
    async with httpx.AsyncClient(transport=harness.network, base_url=BEXIO) as browser:
        location = urlsplit(await click_at_bexio(browser, response.json()["url"], "allow"))
    return f"{location.path}?{location.query}"


def _query(callback: str) -> dict[str, str]:
    return dict(httpx.URL(callback).params)


async def _connected_shops(harness: Harness) -> list[int]:
    async with harness.services.sessions() as session:
        rows = await session.scalars(
            select(BexioConnectionRow.installation_id).where(
                BexioConnectionRow.status == "connected"
            )
        )
        return sorted(rows.all())


async def test_a_replayed_callback_changes_nothing_and_asks_bexio_nothing(
    harness: Harness,
) -> None:
    harness.add_bexio()
    double, app = await _installed(harness, SHOP_A)
    callback = await _allowed_at_bexio(harness, double, app)
    assert (await harness.client.get(callback)).status_code == 200
    before = await db_state(harness.engine)
    calls = len(harness.network.requests)

    replay = await harness.client.get(callback)

    assert replay.status_code == 400
    assert await db_state(harness.engine) == before
    assert harness.network.requests[calls:] == []


async def test_shop_bs_state_with_shop_as_code_connects_neither(harness: Harness) -> None:
    # given both shops have clicked "Allow" at bexio, and their callbacks are still pending
    harness.add_bexio()
    double_a, app_a = await _installed(harness, SHOP_A)
    double_b, app_b = await _installed(harness, SHOP_B)
    callback_a = _query(await _allowed_at_bexio(harness, double_a, app_a))
    callback_b = _query(await _allowed_at_bexio(harness, double_b, app_b))
    # when A's code arrives with B's state (bexio checks the code against B's PKCE verifier)
    mixed = await harness.client.get(
        "/bexio/oauth/callback", params={"code": callback_a["code"], "state": callback_b["state"]}
    )
    # then nothing is connected, and B's state is used up
    assert mixed.status_code == 400, mixed.text
    assert await _connected_shops(harness) == []
    retry_b = await harness.client.get("/bexio/oauth/callback", params=callback_b)
    assert retry_b.status_code == 400
    assert "already used" in retry_b.text


async def test_a_shop_uninstalled_while_at_bexio_is_not_connected(harness: Harness) -> None:
    # given shop A clicked "Allow" at bexio
    harness.add_bexio()
    double, app = await _installed(harness, SHOP_A)
    callback = await _allowed_at_bexio(harness, double, app)
    # when the app is uninstalled before bexio sends the merchant back
    deleted = {**order_payload(app), "__typename": "AppDeleted", "app": {"id": app.id}}
    assert (await harness.deliver(double, "APP_DELETED", deleted)).status_code == 200
    while await harness.run_jobs():
        pass
    response = await harness.client.get(callback)
    # then no bexio tokens are stored for the uninstalled shop
    assert response.status_code == 400, response.text
    async with harness.services.sessions() as session:
        stored = (await session.scalars(select(BexioConnectionRow))).all()
    assert [row for row in stored if row.access_token_encrypted is not None] == []
