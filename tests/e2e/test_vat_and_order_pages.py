"""The VAT tab, the order widget and the "Sync to bexio" popup in real headless Chromium.

They share the session's sandbox with the errors page tests (which run before them); each
test sets up what it relies on (the VAT mapping, a tax class, an order of its own).
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.async_api import FrameLocator, Page, expect

from saleor_bexio_app.ids import BexioTaxId
from saleor_bexio_app.sandbox.run import SandboxHandles, sandbox_tax_mapping

pytestmark = pytest.mark.asyncio(loop_scope="session")

US38 = BexioTaxId(16)
TIMEOUT = 10_000


async def _open(page: Page, sandbox: SandboxHandles, **params: str) -> FrameLocator:
    await page.goto(f"{sandbox.embed_url}?{urlencode(params)}")
    return page.frame_locator("#app-frame")


async def _actions(page: Page) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = await page.evaluate("window.__appActions")
    return recorded


async def _screenshot(page: Page, name: str) -> None:
    """A screenshot of an intermediate state, kept with the test artifacts when wanted."""
    artifacts = os.environ.get("E2E_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(artifacts) / f"{name}.png"), full_page=True)


async def test_the_vat_tab_highlights_an_unmapped_rate_and_the_editor_maps_it(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given the sandbox's mapping (8.1 %, 2.6 %) and a tax class at 3.8 % in the shop
    await sandbox.services.sync_repo.save_tax_mapping(
        sandbox.installation_id, sandbox_tax_mapping()
    )
    sandbox.double.add_tax_class("Accommodation", {"CH": "3.8"})
    # (activated in bexio just before: the VAT tab reads bexio's taxes afresh)
    sandbox.emulator.set_tax_active(int(US38), True)
    # when the merchant opens the VAT tab
    frame = await _open(page, sandbox, path="/app/vat")
    row = frame.locator('[data-testid="vat-row"][data-tax-class="Accommodation"]')
    # then 3.8 % is listed as not mapped, highlighted, with the reason
    await expect(row).to_have_attribute("data-status", "problem", timeout=TIMEOUT)
    await expect(row).to_have_attribute("data-rate", "3.8")
    await expect(row.get_by_test_id("vat-mapped")).to_have_text("Not mapped")
    await expect(row.get_by_test_id("vat-problem")).to_contain_text("3.8 %")
    await expect(frame.get_by_test_id("vat-summary")).to_have_attribute("data-ok", "false")
    await _screenshot(page, "vat-tab-unmapped-rate")
    taxes = frame.get_by_test_id("bexio-tax")
    await expect(taxes.filter(has_text="UN81")).to_have_count(1)
    # when it maps 3.8 % to US38 and saves
    await row.get_by_test_id("vat-choice").select_option(str(int(US38)))
    await frame.get_by_test_id("vat-save").click()
    # then the row is fine and the mapping stored
    await expect(frame.get_by_test_id("vat-save-result")).to_have_text(
        "VAT mapping saved.", timeout=TIMEOUT
    )
    await expect(row).to_have_attribute("data-status", "ok", timeout=TIMEOUT)
    await expect(row.get_by_test_id("vat-mapped")).to_contain_text("US38")
    mapping = await sandbox.services.sync_repo.tax_mapping(sandbox.installation_id)
    assert mapping.for_rate(Decimal("3.8")) == US38
    assert mapping.for_rate(Decimal("8.1")) == sandbox_tax_mapping().for_rate(Decimal("8.1"))


async def test_the_vat_tab_speaks_german(page: Page, sandbox: SandboxHandles) -> None:
    frame = await _open(page, sandbox, path="/app/vat", locale="de")
    await expect(frame.get_by_role("heading", level=1)).to_have_text("MWST", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("vat-page")).to_have_attribute("data-language", "de")


async def test_the_order_widget_shows_the_synced_invoice(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given an order that reached bexio as an invoice
    order = await sandbox.place_sample_order()
    await sandbox.wait_idle()
    [invoice] = [
        invoice
        for invoice in sandbox.emulator.invoices.values()
        if invoice["api_reference"] == order["id"]
    ]
    # when the order page shows the app's widget
    frame = await _open(page, sandbox, path="/app/order-widget", orderId=order["id"])
    document = frame.locator('[data-testid="bexio-document"][data-kind="invoice"]')
    # then it shows the invoice's number, status, amount and a link to bexio
    await expect(document.get_by_test_id("document-title")).to_contain_text(
        str(invoice["document_nr"]), timeout=TIMEOUT
    )
    await expect(document.get_by_test_id("document-status")).to_be_visible()
    await expect(document.get_by_test_id("document-total")).not_to_be_empty()
    await expect(document.get_by_test_id("document-link")).to_have_attribute(
        "href", f"https://office.bexio.com/index.php/kb_invoice/show/id/{invoice['id']}"
    )


async def test_the_sync_popup_queues_the_order_and_notifies(
    page: Page, sandbox: SandboxHandles
) -> None:
    order = await sandbox.place_sample_order()
    await sandbox.wait_idle()
    # when the merchant chooses "Sync to bexio" on the order page
    frame = await _open(page, sandbox, path="/app/order-sync", orderId=order["id"])
    # then the popup reports the sync as queued and the dashboard got a notification
    result = frame.get_by_test_id("sync-result")
    await expect(result).to_have_attribute("data-outcome", "queued", timeout=TIMEOUT)
    await expect(result).to_contain_text("queued")
    await page.wait_for_function(
        "window.__appActions.some(action => action.type === 'notification')", timeout=TIMEOUT
    )
    notifications = [a for a in await _actions(page) if a["type"] == "notification"]
    assert notifications[-1]["payload"]["status"] == "success"
    assert notifications[-1]["payload"]["title"] == "Queued for bexio"
    await sandbox.wait_idle()
