"""The connection page in real headless Chromium: disconnect, connect through bexio's login and
"Allow", and a connection bexio stopped honouring ("broken") repaired by connecting again.

The module has its own sandbox (its shop's connection changes); the tests run in file order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import FrameLocator, Page, expect

from saleor_bexio_app.sandbox.run import SandboxHandles, run_sandbox

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT = 15_000
COMPANY = "Muster AG"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shop() -> AsyncIterator[SandboxHandles]:
    async with run_sandbox(0) as handles:
        yield handles


async def _open(page: Page, shop: SandboxHandles) -> FrameLocator:
    await page.goto(f"{shop.embed_url}?path=/app/connection")
    return page.frame_locator("#app-frame")


async def _connection(shop: SandboxHandles) -> dict[str, Any]:
    """The shop's connection as the dashboard API reports it."""
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.post(
            f"{shop.app_url}/graphql",
            json={
                "query": "{ bexioConnection { status companyName brokenReason brokenReasonCode } }"
            },
            headers=shop.dashboard_headers(),
        )
    answer.raise_for_status()
    connection: dict[str, Any] = answer.json()["data"]["bexioConnection"]
    return connection


async def _login_at_bexio(page: Page) -> None:
    """The merchant clicks Connect; the dashboard opens bexio's login in a new tab; "Allow"."""
    frame = page.frame_locator("#app-frame")
    await frame.get_by_test_id("connect").click()
    await expect(frame.get_by_test_id("connect-notice")).to_be_visible(timeout=TIMEOUT)
    redirects = [
        action
        for action in await page.evaluate("window.__appActions")
        if action["type"] == "redirect"
    ]
    assert redirects, "the page asked the dashboard for no new tab"
    assert redirects[-1]["payload"]["newContext"] is True
    login = await page.context.new_page()
    await login.goto(redirects[-1]["payload"]["to"])
    await expect(login.locator("h1")).to_have_text(COMPANY, timeout=TIMEOUT)
    await login.get_by_role("button", name="Allow").click()
    await expect(login.locator("body")).to_contain_text("close this tab", timeout=TIMEOUT)
    await login.close()


async def test_the_connected_company_and_user_are_shown(page: Page, shop: SandboxHandles) -> None:
    frame = await _open(page, shop)
    box = frame.get_by_test_id("bexio-connection")
    await expect(box).to_have_attribute("data-status", "connected", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("bexio-company")).to_contain_text(COMPANY)
    await expect(frame.get_by_test_id("bexio-user")).to_contain_text("Mustermann")
    await expect(frame.get_by_test_id("connect")).to_have_count(0)


async def test_disconnect_after_confirmation_leaves_the_shop_not_connected(
    page: Page, shop: SandboxHandles
) -> None:
    frame = await _open(page, shop)
    await expect(frame.get_by_test_id("bexio-connection")).to_have_attribute(
        "data-status", "connected", timeout=TIMEOUT
    )
    revoked_before = len(shop.emulator.oauth.revoked_tokens)
    await frame.get_by_test_id("disconnect").click()
    # nothing happens before the merchant confirms
    await expect(frame.get_by_test_id("disconnect-confirmation")).to_be_visible()
    assert (await _connection(shop))["status"] == "connected"
    await frame.get_by_test_id("confirm-disconnect").click()
    # then the page and the API say "not connected", and bexio revoked the token
    box = frame.get_by_test_id("bexio-connection")
    await expect(box).to_have_attribute("data-status", "disconnected", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("bexio-company")).to_have_count(0)
    await expect(frame.get_by_test_id("connect")).to_have_text("Connect to bexio")
    assert (await _connection(shop))["status"] == "disconnected"
    assert len(shop.emulator.oauth.revoked_tokens) > revoked_before


async def test_connect_through_bexio_login_and_allow_shows_the_company(
    page: Page, shop: SandboxHandles
) -> None:
    frame = await _open(page, shop)
    box = frame.get_by_test_id("bexio-connection")
    await expect(box).to_have_attribute("data-status", "disconnected", timeout=TIMEOUT)
    await _login_at_bexio(page)
    await frame.get_by_test_id("refresh").click()
    await expect(box).to_have_attribute("data-status", "connected", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("bexio-company")).to_contain_text(COMPANY)
    assert (await _connection(shop))["companyName"] == COMPANY


async def test_a_refused_refresh_token_shows_broken_with_its_reason_and_connect_again(
    page: Page, shop: SandboxHandles
) -> None:
    # given bexio refuses the stored refresh token while an order needs bexio
    shop.emulator.revoke_refresh_tokens()
    shop.emulator.expire_access_tokens()
    await shop.place_order()
    await shop.wait_idle()
    connection = await _connection(shop)
    assert connection["status"] == "broken"
    assert connection["brokenReason"]
    assert connection["brokenReasonCode"] == "bexio_connection_revoked"
    # then the connection page shows it broken with the reason and offers to connect again
    frame = await _open(page, shop)
    box = frame.get_by_test_id("bexio-connection")
    await expect(box).to_have_attribute("data-status", "broken", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("broken-reason")).to_have_text(connection["brokenReason"])
    await expect(frame.get_by_test_id("connect")).to_have_text("Connect again")
    # and the errors page says so too
    await page.goto(f"{shop.embed_url}?path=/app/errors")
    errors = page.frame_locator("#app-frame")
    await expect(errors.get_by_test_id("connection-status")).to_have_attribute(
        "data-status", "broken", timeout=TIMEOUT
    )
    await expect(errors.get_by_test_id("connection-status")).to_contain_text(
        connection["brokenReason"]
    )
    # and a German dashboard gives the reason in German on both pages
    await page.goto(f"{shop.embed_url}?path=/app/connection&locale=de")
    german = page.frame_locator("#app-frame")
    await expect(german.get_by_test_id("broken-reason")).to_contain_text(
        "bexio akzeptiert die Verbindung nicht mehr", timeout=TIMEOUT
    )
    await page.goto(f"{shop.embed_url}?path=/app/errors&locale=de")
    await expect(
        page.frame_locator("#app-frame").get_by_test_id("connection-status")
    ).to_contain_text("bexio akzeptiert die Verbindung nicht mehr", timeout=TIMEOUT)
    # when the merchant connects again, the page shows the company again
    frame = await _open(page, shop)
    await expect(box).to_have_attribute("data-status", "broken", timeout=TIMEOUT)
    await _login_at_bexio(page)
    await frame.get_by_test_id("refresh").click()
    await expect(box).to_have_attribute("data-status", "connected", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("bexio-company")).to_contain_text(COMPANY)
    assert (await _connection(shop))["status"] == "connected"
