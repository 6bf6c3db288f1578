"""The README's screenshots: the main pages of a shop with some history, in real Chromium.

Every run renders each page and checks its main content; the screenshots go to `$E2E_ARTIFACTS`
when set, and with `UPDATE_SCREENSHOTS=1` also to `docs/screenshots/<page>.png` (pages 1280 px
wide, the order widget as narrow as the order page's side column):

    UPDATE_SCREENSHOTS=1 python -m pytest -q tests/e2e/test_screenshots.py
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, expect

from saleor_bexio_app.sandbox.run import SandboxHandles, run_sandbox
from saleor_bexio_app.store.tables import BackfillRow

pytestmark = pytest.mark.asyncio(loop_scope="session")

DOCS = Path(__file__).parents[2] / "docs" / "screenshots"
WIDTH = 1280
TIMEOUT = 15_000


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def shop() -> AsyncIterator[tuple[SandboxHandles, str]]:
    """A shop with one invoiced order, two orders at an unmapped rate and a running backfill."""
    async with run_sandbox(0) as handles:
        handles.double.add_tax_class("Accommodation", {"CH": "3.8"})
        invoiced = await handles.place_order()
        for _ in range(2):
            await handles.place_sample_order(unmapped_vat=True)
        await handles.wait_idle()
        now = datetime.now(UTC)
        async with handles.services.sessions.begin() as session:
            session.add(
                BackfillRow(
                    installation_id=handles.installation_id,
                    entity="orders",
                    since=now - timedelta(days=90),
                    status="running",
                    total=120,
                    done=45,
                    cursor=None,
                    started_at=now,
                    updated_at=now,
                )
            )
        yield handles, str(invoiced["id"])


async def _shoot(
    browser: Browser, url: str, height: int, ready: str, name: str, *, width: int = WIDTH
) -> None:
    context = await browser.new_context(viewport={"width": width, "height": height})
    try:
        page = await context.new_page()
        await page.goto(url)
        frame = page.frame_locator("#app-frame")
        await expect(frame.locator(ready).first).to_be_visible(timeout=TIMEOUT)
        # fonts and the last poll settle before the picture is taken
        await page.wait_for_timeout(500)
        shot: Locator = page.locator("#app-frame")
        targets = []
        if os.environ.get("E2E_ARTIFACTS"):
            targets.append(Path(os.environ["E2E_ARTIFACTS"]) / f"screenshot-{name}.png")
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            targets.append(DOCS / f"{name}.png")
        picture = await shot.screenshot()
        assert picture.startswith(b"\x89PNG")
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(picture)
    finally:
        await context.close()


@pytest.mark.parametrize(
    ("name", "path", "ready", "height"),
    [
        ("errors", "/app/errors", '[data-testid="error-row"] >> nth=1', 640),
        ("connection", "/app/connection", '[data-status="connected"]', 420),
        ("order-actions", "/app/order-actions", '[data-testid="action-matrix"]', 900),
        ("general", "/app/general", '[data-testid="general-page"] select, input', 900),
        ("vat", "/app/vat", '[data-tax-class="Accommodation"][data-status="problem"]', 760),
        (
            "synchronisation",
            "/app/synchronisation",
            '[data-testid="field-revenue_account_id"]:enabled',
            1080,
        ),
    ],
)
async def test_main_page_screenshot(
    browser: Browser,
    shop: tuple[SandboxHandles, str],
    name: str,
    path: str,
    ready: str,
    height: int,
) -> None:
    handles, _ = shop
    await _shoot(browser, f"{handles.embed_url}?{urlencode({'path': path})}", height, ready, name)


async def test_order_widget_screenshot(browser: Browser, shop: tuple[SandboxHandles, str]) -> None:
    handles, order_id = shop
    query = urlencode({"path": "/app/order-widget", "orderId": order_id})
    ready = '[data-testid="document-status"]'
    # the widget sits in the order page's narrow side column
    await _shoot(browser, f"{handles.embed_url}?{query}", 160, ready, "order-widget", width=480)
