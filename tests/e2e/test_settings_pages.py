"""The connection, order-actions and general settings pages in real headless Chromium.

They share the e2e module's sandbox with the other page tests, so every test that saves puts the
sandbox's settings back afterwards (the `restore_settings` fixture), and a test that changes the
bexio emulator's numbering puts it back too (`restore_numbering`).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import FrameLocator, Page, Route, expect

from saleor_bexio_app.ids import BexioBankAccountId
from saleor_bexio_app.sandbox.run import SandboxHandles
from saleor_bexio_app.store.settings_codec import shop_settings_to_json

pytestmark = pytest.mark.asyncio(loop_scope="session")

TIMEOUT = 10_000


async def _open(page: Page, sandbox: SandboxHandles, path: str, **params: str) -> FrameLocator:
    query = "&".join(f"{name}={value}" for name, value in {"path": path, **params}.items())
    await page.goto(f"{sandbox.embed_url}?{query}")
    return page.frame_locator("#app-frame")


async def _stored(sandbox: SandboxHandles) -> dict[str, Any]:
    """The shop's settings as `saleor-bexio settings show` prints them."""
    settings = await sandbox.services.sync_repo.shop_settings(sandbox.installation_id)
    return shop_settings_to_json(settings)


async def _notifications(page: Page) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = await page.evaluate("window.__appActions")
    return [action for action in recorded if action["type"] == "notification"]


async def _wait_for_success(page: Page) -> None:
    """Until the page sent the dashboard a success notification (the save went through)."""
    async with asyncio.timeout(TIMEOUT / 1000):
        while True:
            notifications = await _notifications(page)
            if notifications and notifications[-1]["payload"]["status"] == "success":
                return
            await asyncio.sleep(0.1)


@pytest_asyncio.fixture(loop_scope="session")
async def restore_settings(sandbox: SandboxHandles) -> AsyncIterator[None]:
    before = await sandbox.services.sync_repo.shop_settings(sandbox.installation_id)
    yield
    await sandbox.services.sync_repo.save_shop_settings(sandbox.installation_id, before)


@pytest.fixture
def restore_numbering(sandbox: SandboxHandles) -> Iterator[None]:
    yield
    sandbox.emulator.set_numbering(True)


async def _option_texts(frame: FrameLocator, test_id: str) -> list[str]:
    texts: list[str] = await frame.get_by_test_id(test_id).locator("option").all_inner_texts()
    return [text.strip() for text in texts]


async def test_the_connection_page_shows_the_connected_company(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/connection")
    connection = frame.get_by_test_id("bexio-connection")
    await expect(connection).to_have_attribute("data-status", "connected", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("bexio-company")).to_have_text("Company: Muster AG")
    await expect(frame.get_by_test_id("bexio-user")).to_contain_text("Mustermann")
    # the disconnect button asks first; cancelling keeps the connection
    await frame.get_by_test_id("disconnect").click()
    await expect(frame.get_by_test_id("disconnect-confirmation")).to_be_visible()
    await frame.get_by_role("button", name="Cancel").click()
    await expect(frame.get_by_test_id("disconnect-confirmation")).to_have_count(0)
    # the tab bar marks this page, and German follows the dashboard
    await expect(frame.get_by_test_id("tab-connection")).to_have_attribute("aria-current", "page")
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(frame.get_by_test_id("bexio-company")).to_have_text("Firma: Muster AG")
    await expect(frame.get_by_role("heading", level=1)).to_have_text("bexio-Verbindung")


async def test_the_tabs_lead_from_the_errors_page_to_the_settings_pages(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/errors")
    await expect(frame.get_by_test_id("errors-page")).to_be_visible(timeout=TIMEOUT)
    await frame.get_by_test_id("tab-general").click()
    await expect(frame.get_by_test_id("general-page")).to_be_visible(timeout=TIMEOUT)
    await expect(frame.get_by_test_id("field-bexio_user_id")).to_have_value("1", timeout=TIMEOUT)
    await frame.get_by_test_id("tab-order-actions").click()
    matrix = frame.get_by_test_id("action-matrix")
    await expect(matrix).to_be_visible(timeout=TIMEOUT)
    # in German, the matrix's states and actions too
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(frame.get_by_test_id("tab-order-actions")).to_have_text("Bestellaktionen")
    await expect(matrix).to_contain_text("Rückerstattet", timeout=TIMEOUT)
    await expect(matrix).to_contain_text("Rechnung stornieren")


@pytest.mark.usefixtures("restore_settings")
async def test_the_order_action_matrix_round_trips(page: Page, sandbox: SandboxHandles) -> None:
    frame = await _open(page, sandbox, "/app/order-actions")
    cell = frame.get_by_test_id("cell-refunded-cancel_invoice")
    await expect(cell).not_to_be_checked(timeout=TIMEOUT)
    await expect(frame.get_by_test_id("cell-unfulfilled-create_invoice")).to_be_checked()
    # when the merchant ticks a cell, changes a back-sync choice and saves
    await cell.check()
    await frame.get_by_test_id("on-invoice-paid").select_option("confirm")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    # then the shop's settings have it
    stored = await _stored(sandbox)
    assert stored["order_actions"]["refunded"] == ["cancel_invoice"]
    assert stored["order_actions"]["unfulfilled"] == [
        "create_invoice",
        "issue_invoice",
        "send_invoice",
    ]
    assert stored["on_invoice_paid"] == "confirm"
    # and a reload shows it
    frame = await _open(page, sandbox, "/app/order-actions")
    cell = frame.get_by_test_id("cell-refunded-cancel_invoice")
    await expect(cell).to_be_checked(timeout=TIMEOUT)
    await expect(frame.get_by_test_id("on-invoice-paid")).to_have_value("confirm")


@pytest.mark.usefixtures("restore_settings")
async def test_a_general_setting_is_saved_and_survives_a_reload(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/general")
    title = frame.get_by_test_id("field-invoice_title")
    await expect(title).to_have_value("Order {number}", timeout=TIMEOUT)
    await title.fill("Rechnung {number}")
    await frame.get_by_test_id("field-pause_threshold").fill("7")
    await frame.get_by_test_id("field-sync_start_date").fill("2026-01-31")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    stored = await _stored(sandbox)
    assert stored["invoice_title"] == "Rechnung {number}"
    assert stored["pause_threshold"] == 7
    assert stored["sync_start_date"] == "2026-01-31"
    assert stored["bexio_user_id"] == 1
    frame = await _open(page, sandbox, "/app/general")
    await expect(frame.get_by_test_id("field-invoice_title")).to_have_value(
        "Rechnung {number}", timeout=TIMEOUT
    )
    await expect(frame.get_by_test_id("field-pause_threshold")).to_have_value("7")
    await expect(frame.get_by_test_id("field-sync_start_date")).to_have_value("2026-01-31")


@pytest.mark.usefixtures("restore_settings")
async def test_an_email_text_without_the_network_link_is_refused(
    page: Page, sandbox: SandboxHandles
) -> None:
    before = await _stored(sandbox)
    frame = await _open(page, sandbox, "/app/general")
    body = frame.get_by_test_id("field-email_body")
    await expect(body).to_have_value(re.compile(r"\[Network Link\]"), timeout=TIMEOUT)
    await body.fill("Thank you for your order {number}.")
    await frame.get_by_test_id("field-invoice_title").fill("Changed {number}")
    await frame.get_by_test_id("save").click()
    problem = frame.locator("[data-testid=settings-problem][data-setting=email_body]")
    await expect(problem).to_contain_text("[Network Link]", timeout=TIMEOUT)
    assert await _stored(sandbox) == before
    assert (await _notifications(page))[-1]["payload"]["status"] == "error"


async def test_the_form_fields_follow_the_dark_theme(page: Page, sandbox: SandboxHandles) -> None:
    frame = await _open(page, sandbox, "/app/general", theme="dark")
    field = frame.get_by_test_id("field-invoice_title")
    await expect(field).to_be_visible(timeout=TIMEOUT)
    background = await field.evaluate("element => getComputedStyle(element).backgroundColor")
    colour = await field.evaluate("element => getComputedStyle(element).color")
    assert _luminance(background) < 60 < 200 < _luminance(colour), (background, colour)


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


async def test_the_general_page_offers_bexios_master_data(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/general")
    await expect(frame.get_by_test_id("master-data-state")).to_have_attribute(
        "data-loaded", "true", timeout=TIMEOUT
    )
    user = frame.get_by_test_id("field-bexio_user_id")
    await expect(user).to_have_value("1")
    await expect(user).to_be_enabled()
    assert await _option_texts(frame, "field-bexio_user_id") == [
        "— not chosen —",
        "Mustermann Maxmilian <kmhdqqnlcfoovsjdqy@gonrr.net>",
    ]
    assert await _option_texts(frame, "field-bank_account_id") == [
        "— not chosen —",
        "Musterbank · CH8781223780488303006 · (CHF)",
    ]
    payment_types = await _option_texts(frame, "field-payment_type_id")
    assert payment_types[:5] == [
        "— not chosen —",
        "Vorauszahlung",
        "Barzahlung",
        "EC Karte",
        "Rechnung",
    ]
    assert "Englisch (en)" in await _option_texts(frame, "field-language_id")
    # the revenue account moved to the Synchronisation page, and the ids are no inputs any more
    await expect(frame.get_by_test_id("field-revenue_account_id")).to_have_count(0)
    await expect(frame.locator("input[type=number][name=bexio_user_id]")).to_have_count(0)
    await expect(frame.get_by_test_id("general-page")).not_to_contain_text("follows later")
    # in German
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(
        frame.get_by_test_id("field-payment_type_id").locator("option").first
    ).to_have_text("— nicht gewählt —")
    await expect(frame.get_by_test_id("master-data")).to_contain_text("bexio-Vorgaben")


@pytest.mark.usefixtures("restore_settings")
async def test_a_choice_from_bexios_lists_is_saved_and_survives_a_reload(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, "/app/general")
    payment_type = frame.get_by_test_id("field-payment_type_id")
    await expect(payment_type).to_be_enabled(timeout=TIMEOUT)
    await payment_type.select_option(label="Rechnung")
    await frame.get_by_test_id("field-language_id").select_option(label="Englisch (en)")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    stored = await _stored(sandbox)
    assert (stored["payment_type_id"], stored["language_id"]) == (4, 4)
    assert (stored["bexio_user_id"], stored["bank_account_id"]) == (1, 1)
    frame = await _open(page, sandbox, "/app/general")
    await expect(frame.get_by_test_id("field-payment_type_id")).to_have_value("4", timeout=TIMEOUT)
    await expect(frame.get_by_test_id("field-language_id")).to_have_value("4")


@pytest.mark.usefixtures("restore_settings")
async def test_an_id_bexio_no_longer_has_stays_and_is_marked_unknown(
    page: Page, sandbox: SandboxHandles
) -> None:
    repo = sandbox.services.sync_repo
    settings = await repo.shop_settings(sandbox.installation_id)
    await repo.save_shop_settings(
        sandbox.installation_id, replace(settings, bank_account_id=BexioBankAccountId(99))
    )
    frame = await _open(page, sandbox, "/app/general")
    bank = frame.get_by_test_id("field-bank_account_id")
    await expect(bank).to_have_attribute("data-known", "false", timeout=TIMEOUT)
    await expect(bank).to_have_value("99")
    await expect(bank.locator("option:checked")).to_have_text("unknown (id 99)")
    # saving something else keeps it
    await frame.get_by_test_id("field-invoice_title").fill("Invoice {number}")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    assert (await _stored(sandbox))["bank_account_id"] == 99


async def _answer_master_data_with(page: Page, result: dict[str, Any]) -> None:
    """The app's `bexioMasterData` answers `result`; every other request goes through."""

    async def handle(route: Route) -> None:
        body = route.request.post_data or ""
        if "bexioMasterData" in body:
            await route.fulfill(
                status=200,
                content_type="application/json",
                body=json.dumps({"data": {"bexioMasterData": result}}),
            )
        else:
            await route.continue_()

    await page.route("**/graphql", handle)


async def test_without_bexio_the_dropdowns_keep_the_current_values_and_say_why(
    page: Page, sandbox: SandboxHandles
) -> None:
    await _answer_master_data_with(
        page, {"__typename": "BexioNotConnected", "message": "bexio is not connected yet"}
    )
    frame = await _open(page, sandbox, "/app/general")
    hint = frame.get_by_test_id("master-data-unavailable")
    await expect(hint).to_have_attribute("data-kind", "BexioNotConnected", timeout=TIMEOUT)
    await expect(hint).to_contain_text("bexio is not connected yet")
    user = frame.get_by_test_id("field-bexio_user_id")
    await expect(user).to_have_value("1")
    await expect(user).to_be_disabled()
    await expect(user.locator("option:checked")).to_have_text("id 1")


@pytest.mark.usefixtures("restore_settings", "restore_numbering")
async def test_the_numbering_mismatch_is_shown_beside_bexios_setting(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given bexio expects the document numbers from the app, and the app leaves them to bexio
    sandbox.emulator.set_numbering(False)
    frame = await _open(page, sandbox, "/app/general")
    bexio = frame.get_by_test_id("bexio-numbering")
    await expect(bexio).to_have_attribute("data-automatic", "false", timeout=TIMEOUT)
    await expect(bexio).to_have_text("bexio expects the numbers from the app")
    mismatch = frame.get_by_test_id("numbering-mismatch")
    await expect(mismatch).to_be_visible()
    await expect(mismatch).to_contain_text("no order reaches bexio")
    # in German
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(mismatch).to_contain_text("gelangt keine Bestellung nach bexio")
    await page.evaluate("window.sandbox.setLocale('en')")
    # when the merchant follows bexio's setting, the warning goes and the prefix can be set
    await frame.get_by_test_id("field-automatic_numbering").uncheck()
    await expect(mismatch).to_have_count(0)
    await frame.get_by_test_id("field-document_nr_prefix").fill("WEB-")
    await frame.get_by_test_id("save").click()
    await _wait_for_success(page)
    stored = await _stored(sandbox)
    assert (stored["automatic_numbering"], stored["document_nr_prefix"]) == (False, "WEB-")
    # and once bexio numbers automatically again, "Check again" shows the new mismatch
    sandbox.emulator.set_numbering(True)
    await frame.get_by_test_id("check-numbering").click()
    await expect(bexio).to_have_attribute("data-automatic", "true", timeout=TIMEOUT)
    await expect(mismatch).to_be_visible()
    await expect(mismatch).to_contain_text("bexio gives documents their numbers itself")
