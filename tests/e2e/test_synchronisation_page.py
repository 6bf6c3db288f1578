"""The Synchronisation page in real headless Chromium: contacts, revenue account, products.

It shares the e2e module's sandbox with the other page tests; every test that saves puts the
shop's settings back afterwards (`restore_settings`). The products it adds are its own (E2E-…).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.async_api import Page, Route, expect

from saleor_bexio_app.sandbox.run import SandboxHandles
from tests.e2e.test_settings_pages import (
    TIMEOUT,
    _open,
    _stored,
    _wait_for_success,
    restore_settings,
)

pytestmark = pytest.mark.asyncio(loop_scope="session")

__all__ = ["restore_settings"]

SLOW = 30_000


@pytest.mark.usefixtures("restore_settings")
async def test_the_page_explains_contacts_and_saves_the_revenue_account(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/general")
    await frame.get_by_test_id("tab-synchronisation").click()
    await expect(frame.get_by_test_id("synchronisation-page")).to_be_visible(timeout=TIMEOUT)
    contacts = frame.get_by_test_id("contacts-explained")
    await expect(contacts).to_contain_text("from the shop to bexio only")
    await expect(contacts).to_contain_text("The e-mail address is the key")
    account = frame.get_by_test_id("field-revenue_account_id")
    await expect(account).to_be_enabled(timeout=TIMEOUT)
    await expect(account).to_have_value("101")
    await expect(account.locator("option:checked")).to_have_text("3200 Handelserlös")
    # only revenue accounts are offered
    options = [text.strip() for text in await account.locator("option").all_inner_texts()]
    assert "3800 Skonti" in options
    assert not any(option.startswith(("4200", "1020")) for option in options)
    # when the merchant picks another revenue account and saves
    await account.select_option(label="3800 Skonti")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    assert (await _stored(sandbox))["revenue_account_id"] == 100
    # then a reload shows it, in German too
    frame = await _open(page, sandbox, "/app/synchronisation")
    await expect(frame.get_by_test_id("field-revenue_account_id")).to_have_value(
        "100", timeout=TIMEOUT
    )
    await expect(frame.get_by_test_id("tab-synchronisation")).to_have_attribute(
        "aria-current", "page"
    )
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(frame.get_by_test_id("contacts-explained")).to_contain_text(
        "Die E-Mail-Adresse ist der Schlüssel"
    )
    await expect(frame.get_by_test_id("revenue-account")).to_contain_text("Ertragskonto")


@pytest.mark.usefixtures("restore_settings")
async def test_the_product_settings_round_trip_and_the_unmatched_are_listed(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given a net EUR channel, a warehouse, shop variants bexio lacks and an article the shop lacks
    double = sandbox.double
    double.add_channel("e2e-webshop-eur", currency="EUR", prices_entered_with_tax=False)
    warehouse = double.add_warehouse("E2E Lager Bern")
    double.add_product("E2E Tee", variants=[{"sku": "E2E-TEE-1", "stocks": {warehouse["id"]: 5}}])
    double.add_product("E2E Gutschein", variants=[{"sku": None}])
    sandbox.emulator.add_article(intern_code="E2E-ONLY-BEXIO", intern_name="Nur in bexio")
    frame = await _open(page, sandbox, "/app/synchronisation")
    products = frame.get_by_test_id("products")
    await expect(products).to_be_visible(timeout=TIMEOUT)
    # the unmatched lists
    await expect(frame.get_by_test_id("matching-unmatchedVariants")).to_contain_text(
        "E2E-TEE-1", timeout=SLOW
    )
    await expect(frame.get_by_test_id("matching-variantsWithoutSku")).to_contain_text(
        "E2E Gutschein"
    )
    bexio_only = frame.get_by_test_id("matching-unmatchedArticles")
    await expect(bexio_only).to_contain_text("E2E-ONLY-BEXIO")
    await expect(bexio_only).to_contain_text("Nur in bexio")
    # when the merchant sets the product fields and saves
    await frame.get_by_test_id("product-mode-title").select_option("shop_master")
    await frame.get_by_test_id("product-mode-price").select_option("bexio_master")
    channel = frame.get_by_test_id("product-price-channel")
    await channel.select_option("e2e-webshop-eur")
    await expect(frame.get_by_test_id("channel-tax-mode")).to_have_text(
        "This channel's prices exclude VAT."
    )
    await frame.get_by_test_id("product-stock-warehouse").select_option(label="E2E Lager Bern")
    await frame.get_by_test_id("product-bexio-price-is-gross").check()
    await frame.get_by_test_id("product-create-missing").check()
    await expect(frame.get_by_test_id("save-before-sync")).to_be_visible()
    await expect(frame.get_by_test_id("product-dry-run")).to_be_disabled()
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    # then the shop's settings have them
    assert (await _stored(sandbox))["products"] == {
        "title": "shop_master",
        "description": "disabled",
        "weight": "disabled",
        "stock": "disabled",
        "price": "bexio_master",
        "price_channel_slug": "e2e-webshop-eur",
        "bexio_price_is_gross": True,
        "stock_warehouse_id": warehouse["id"],
        "create_missing_articles": True,
    }
    # and a reload shows them
    frame = await _open(page, sandbox, "/app/synchronisation")
    await expect(frame.get_by_test_id("product-mode-title")).to_have_value(
        "shop_master", timeout=TIMEOUT
    )
    await expect(frame.get_by_test_id("product-mode-price")).to_have_value("bexio_master")
    await expect(frame.get_by_test_id("product-price-channel")).to_have_value("e2e-webshop-eur")
    await expect(frame.get_by_test_id("product-stock-warehouse")).to_have_value(warehouse["id"])
    await expect(frame.get_by_test_id("product-bexio-price-is-gross")).to_be_checked()
    await expect(frame.get_by_test_id("product-create-missing")).to_be_checked()
    # "Sync all products now" asks first
    await frame.get_by_test_id("product-sync-all").click()
    await expect(frame.get_by_test_id("sync-all-confirmation")).to_be_visible()
    await frame.get_by_role("button", name="Cancel").click()
    await expect(frame.get_by_test_id("sync-all-confirmation")).to_have_count(0)
    # a dry run reports what it would do
    await frame.get_by_test_id("product-dry-run").click()
    progress = frame.get_by_test_id("product-sync-progress")
    await expect(progress).to_have_attribute("data-status", "done", timeout=SLOW)
    report = frame.get_by_test_id("dry-run-report")
    await expect(report).to_be_visible()
    await expect(report.get_by_test_id("report-articles_to_create")).to_be_visible()
    # without creating anything in bexio
    codes = {article["intern_code"] for article in sandbox.emulator.articles.values()}
    assert "E2E-TEE-1" not in codes


async def test_the_product_section_is_left_out_when_the_app_has_no_product_sync(
    page: Page, sandbox: SandboxHandles
) -> None:
    async def handle(route: Route) -> None:
        if "productSyncOptions" in (route.request.post_data or ""):
            error = {"message": "Cannot query field 'productSyncOptions' on type 'Query'."}
            answer: dict[str, Any] = {"data": None, "errors": [error]}
            await route.fulfill(
                status=200, content_type="application/json", body=json.dumps(answer)
            )
        else:
            await route.continue_()

    await page.route("**/graphql", handle)
    frame = await _open(page, sandbox, "/app/synchronisation")
    await expect(frame.get_by_test_id("field-revenue_account_id")).to_be_enabled(timeout=TIMEOUT)
    await expect(frame.get_by_test_id("contacts-explained")).to_be_visible()
    await expect(frame.get_by_test_id("products")).to_have_count(0)
