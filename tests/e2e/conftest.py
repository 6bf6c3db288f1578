"""One sandbox and one headless Chromium for the e2e module; a fresh browser context per test.

Chromium is Debian's (`/usr/bin/chromium`, CI installs it), driven by Playwright's Python client;
Playwright's own browser download is never used. Screenshots go to `$E2E_ARTIFACTS` when set.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from saleor_bexio_app.sandbox.run import SandboxHandles, run_sandbox
from saleor_bexio_app.web.static_files import STATIC_DIR

CHROMIUM = Path(os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sandbox() -> AsyncIterator[SandboxHandles]:
    if not (STATIC_DIR / "dashboard" / "index.html").is_file():
        pytest.fail("the dashboard is not built: run `make dashboard` (npm run build) first")
    async with run_sandbox(0) as handles:
        yield handles


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(f"no Chromium at {CHROMIUM}: install the Debian package chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    context: BrowserContext = await browser.new_context(viewport={"width": 1400, "height": 900})
    opened = await context.new_page()
    try:
        yield opened
    finally:
        artifacts = os.environ.get("E2E_ARTIFACTS")
        if artifacts:
            folder = Path(artifacts)
            folder.mkdir(parents=True, exist_ok=True)
            await opened.screenshot(path=str(folder / f"{request.node.name}.png"), full_page=True)
        await context.close()
