"""A dashboard token of one shop gets nothing of another shop of the same deployment.

Shop A is the sandbox's shop (connected to bexio, with an error log); shop B is a second Saleor
(its own double and signing key) installed into the same app. A token signed by B's Saleor and
sent with A's `Saleor-Api-Url` (and the other way round) is refused, through the embedded page
in Chromium and directly against `/graphql`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import FrameLocator, Page, Response, expect
from starlette.applications import Starlette
from starlette.routing import Mount

from saleor_bexio_app.saleor.manifest import APP_PERMISSIONS
from saleor_bexio_app.sandbox.embed import embed_routes
from saleor_bexio_app.sandbox.run import CHANGE_PERMISSION, SandboxHandles
from saleor_bexio_app.sandbox.saleor_double import InstalledApp, SaleorDouble
from tests.net import free_port, serving

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT = 10_000
COMPANY_A = "Muster AG"
SHOP_QUERY = """{
  shop { saleorApiUrl shopName }
  bexioConnection { status companyName }
  errors(status: null) { id key }
}"""


@dataclass
class ShopB:
    double: SaleorDouble
    installed: InstalledApp
    url: str

    def token(self) -> str:
        user = [*APP_PERMISSIONS, CHANGE_PERMISSION]
        return self.double.dashboard_token(
            self.installed.id, permissions=list(APP_PERMISSIONS), user_permissions=user
        )

    @property
    def embed_url(self) -> str:
        return f"{self.url}/sandbox/"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shop_b(sandbox: SandboxHandles) -> AsyncIterator[ShopB]:
    """A second Saleor, allowed by the operator and installed into shop A's app."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    double = SaleorDouble(f"{url}/graphql/", shop_name="Shop B")
    holder: dict[str, ShopB] = {}

    async def no_orders(unmapped_vat: bool) -> str:
        raise httpx.HTTPError("shop B places no orders")

    routes = embed_routes(
        app_url=sandbox.app_url,
        api_url=double.api_url,
        app_id=lambda: holder["shop"].installed.id,
        # shop B's dashboard hands out shop A's token: the app must not serve it for B
        token=sandbox.dashboard_token,
        place_order=no_orders,
    )
    services = sandbox.services
    allowed = services.settings.allowed_saleor_urls
    services.settings = dataclasses.replace(
        services.settings,
        allowed_saleor_urls=re.compile(f"{allowed.pattern}|^{re.escape(double.api_url)}$"),
    )
    try:
        async with serving(Starlette(routes=[*routes, Mount("/", app=double.app)]), port):
            installed = double.install_app()
            async with httpx.AsyncClient(trust_env=False, timeout=20.0) as client:
                answer = await client.post(
                    f"{sandbox.app_url}/api/register",
                    json={"auth_token": installed.token},
                    headers={"Saleor-Api-Url": double.api_url, "Saleor-Schema-Version": "3.24"},
                )
            assert answer.status_code == 200, answer.text
            holder["shop"] = ShopB(double, installed, url)
            yield holder["shop"]
    finally:
        services.settings = dataclasses.replace(services.settings, allowed_saleor_urls=allowed)


async def _graphql(
    sandbox: SandboxHandles, token: str, api_url: str, query: str = SHOP_QUERY
) -> httpx.Response:
    async with httpx.AsyncClient(trust_env=False) as client:
        return await client.post(
            f"{sandbox.app_url}/graphql",
            json={"query": query},
            headers={"Authorization-Bearer": token, "Saleor-Api-Url": api_url},
        )


async def test_each_shop_token_reads_only_its_own_shop(
    sandbox: SandboxHandles, shop_b: ShopB
) -> None:
    own_a = await _graphql(sandbox, sandbox.dashboard_token(), sandbox.api_url)
    own_b = await _graphql(sandbox, shop_b.token(), shop_b.double.api_url)
    assert own_a.status_code == own_b.status_code == 200
    data_a: dict[str, Any] = own_a.json()["data"]
    data_b: dict[str, Any] = own_b.json()["data"]
    assert data_a["bexioConnection"]["companyName"] == COMPANY_A
    assert data_a["errors"], "shop A's log has entries from the errors page tests"
    assert data_b["shop"]["saleorApiUrl"] == shop_b.double.api_url
    assert data_b["bexioConnection"] == {"status": "disconnected", "companyName": None}
    assert data_b["errors"] == []


async def test_a_token_for_another_shop_is_refused_by_graphql(
    sandbox: SandboxHandles, shop_b: ShopB
) -> None:
    disconnect = "mutation { disconnectBexio { __typename } }"
    attempts = [
        (shop_b.token(), sandbox.api_url, SHOP_QUERY),
        (shop_b.token(), sandbox.api_url, disconnect),
        (sandbox.dashboard_token(), shop_b.double.api_url, SHOP_QUERY),
        (sandbox.dashboard_token(), shop_b.double.api_url, disconnect),
    ]
    for token, api_url, query in attempts:
        answer = await _graphql(sandbox, token, api_url, query)
        assert answer.status_code == 401, (api_url, query, answer.text)
        assert "data" not in answer.json()
        assert COMPANY_A not in answer.text
    # and shop A is still connected
    data = (await _graphql(sandbox, sandbox.dashboard_token(), sandbox.api_url)).json()["data"]
    assert data["bexioConnection"]["status"] == "connected"


async def _refused_page(page: Page, embed_url: str) -> FrameLocator:
    """Open an embedding page; every /graphql answer the app page gets must be a 401."""
    statuses: list[int] = []

    def record(response: Response) -> None:
        if response.url.endswith("/graphql"):
            statuses.append(response.status)

    page.on("response", record)
    await page.goto(embed_url)
    frame = page.frame_locator("#app-frame")
    await expect(frame.get_by_test_id("load-failed")).to_be_visible(timeout=TIMEOUT)
    assert statuses and set(statuses) == {401}
    await expect(frame.get_by_test_id("app-root")).not_to_contain_text(COMPANY_A)
    await expect(frame.get_by_test_id("error-row")).to_have_count(0)
    await expect(frame.get_by_test_id("connection-status")).to_have_count(0)
    return frame


async def test_shop_a_page_with_shop_b_token_shows_nothing_of_shop_a(
    page: Page, sandbox: SandboxHandles, shop_b: ShopB
) -> None:
    token_b = shop_b.token()

    async def hand_out_b(route: Any) -> None:
        await route.fulfill(json={"token": token_b})

    # the dashboard of shop A hands the page a token of shop B
    await page.route("**/sandbox/token", hand_out_b)
    await _refused_page(page, sandbox.embed_url)


async def test_shop_b_page_with_shop_a_token_shows_nothing_of_shop_a(
    page: Page, sandbox: SandboxHandles, shop_b: ShopB
) -> None:
    frame = await _refused_page(page, shop_b.embed_url)
    await expect(frame.get_by_test_id("app-root")).not_to_contain_text("Shop B")
