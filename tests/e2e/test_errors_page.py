"""The errors page embedded like the Saleor dashboard does it, in real headless Chromium.

The tests share one sandbox (one shop) and run in file order: the error log they build up is
part of the story (two failed orders, one dismissed, one retried after the VAT fix).
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.async_api import FrameLocator, Page, Request, expect
from sqlalchemy import select

from saleor_bexio_app.ids import BexioTaxId
from saleor_bexio_app.jobs.backfill import BackfillEntity, start_backfill
from saleor_bexio_app.sandbox.run import UN81, UR26, SandboxHandles
from saleor_bexio_app.store.error_log import evaluate_pause
from saleor_bexio_app.store.tables import SyncErrorRow
from saleor_bexio_app.sync.vat import TaxMapping

pytestmark = pytest.mark.asyncio(loop_scope="session")

US38 = BexioTaxId(16)
TIMEOUT = 10_000


async def _open(page: Page, sandbox: SandboxHandles, **params: str) -> FrameLocator:
    query = "&".join(f"{name}={value}" for name, value in params.items())
    await page.goto(f"{sandbox.embed_url}?{query}")
    return page.frame_locator("#app-frame")


async def _actions(page: Page) -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = await page.evaluate("window.__appActions")
    return recorded


async def _error_statuses(sandbox: SandboxHandles) -> dict[str, list[str]]:
    async with sandbox.services.sessions() as session:
        rows = (await session.scalars(select(SyncErrorRow).order_by(SyncErrorRow.id))).all()
    statuses: dict[str, list[str]] = {}
    for row in rows:
        statuses.setdefault(row.key, []).append(row.status)
    return statuses


async def test_the_sandbox_serves_the_dashboard_page_and_the_app(sandbox: SandboxHandles) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        embed = await client.get(sandbox.embed_url)
        app_page = await client.get(f"{sandbox.app_url}/app/errors")
    assert embed.status_code == 200
    assert 'id="app-frame"' in embed.text
    assert sandbox.app_url in embed.text
    assert app_page.status_code == 200
    assert '<div id="root">' in app_page.text


async def test_handshake_shows_the_bexio_connection_in_english_then_german(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox)
    status = frame.get_by_test_id("connection-status")
    await expect(status).to_have_text(
        "bexio connected: Muster AG (Mustermann Maxmilian)", timeout=TIMEOUT
    )
    assert "notifyReady" in [action["type"] for action in await _actions(page)]
    # the dashboard switches its language
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(status).to_have_text(re.compile(r"^bexio verbunden: Muster AG"), timeout=TIMEOUT)
    await expect(frame.get_by_role("heading")).to_have_text("bexio-Synchronisationsfehler")
    await expect(frame.get_by_test_id("no-errors")).to_contain_text("Keine Synchronisationsfehler")


async def test_the_initial_locale_is_german_when_the_dashboard_is(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, locale="de")
    await expect(frame.get_by_test_id("connection-status")).to_have_text(
        re.compile(r"^bexio verbunden"), timeout=TIMEOUT
    )


async def test_a_failed_sync_is_listed_and_dismiss_and_retry_change_it(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given two orders with a VAT rate (3.8 %) the shop has not mapped to a bexio tax
    wine = [sandbox.double.order_line("Wine", quantity=1, unit_price="20.00", tax_rate="0.038")]
    first = await sandbox.place_order(lines=wine)
    second = await sandbox.place_order(lines=wine)
    await sandbox.wait_idle()
    frame = await _open(page, sandbox)
    rows = frame.get_by_test_id("error-row")
    # then both are listed with the merchant's message
    await expect(rows).to_have_count(2, timeout=TIMEOUT)
    for order in (first, second):
        row = rows.filter(has_text=order["id"])
        await expect(row.get_by_test_id("error-message")).to_contain_text("3.8 %")
        await expect(row.get_by_test_id("error-message")).to_contain_text("VAT tab")
        await expect(row.get_by_test_id("error-status")).to_have_text("Open")
    # when the merchant dismisses the first
    await rows.filter(has_text=first["id"]).get_by_test_id("dismiss").click()
    await expect(rows).to_have_count(1, timeout=TIMEOUT)
    assert (await _error_statuses(sandbox))[first["id"]] == ["dismissed"]
    notifications = [a for a in await _actions(page) if a["type"] == "notification"]
    assert notifications and notifications[-1]["payload"]["status"] == "success"
    # when the cause is fixed (3.8 % mapped, the tax active in bexio) and the second retried
    await sandbox.services.sync_repo.save_tax_mapping(
        sandbox.installation_id,
        TaxMapping(by_rate={Decimal("8.1"): UN81, Decimal("2.6"): UR26, Decimal("3.8"): US38}),
    )
    sandbox.emulator.set_tax_active(int(US38), True)
    await rows.filter(has_text=second["id"]).get_by_test_id("retry").click()
    # then the open list is empty and the order became a bexio invoice
    await expect(frame.get_by_test_id("no-errors")).to_be_visible(timeout=TIMEOUT)
    await sandbox.wait_idle()
    assert (await _error_statuses(sandbox))[second["id"]][0] in ("retried", "resolved")
    references = [invoice["api_reference"] for invoice in sandbox.emulator.invoices.values()]
    assert second["id"] in references
    assert first["id"] not in references
    # and "All" still shows both entries with their new status
    await frame.get_by_test_id("filter-all").click()
    await expect(rows).to_have_count(2, timeout=TIMEOUT)
    dismissed = rows.filter(has_text=first["id"]).get_by_test_id("error-status")
    await expect(dismissed).to_have_text("Dismissed")


async def test_the_paused_banner_shows_and_resume_lifts_the_pause(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given the shop's sync is paused
    async with sandbox.services.sessions.begin() as session:
        await evaluate_pause(
            session,
            sandbox.installation_id,
            threshold=0,
            connection_broken=False,
            now=datetime.now(UTC),
        )
    assert await sandbox.services.error_log.pause_state(sandbox.installation_id) is not None
    frame = await _open(page, sandbox)
    banner = frame.get_by_test_id("pause-banner")
    await expect(banner).to_contain_text("paused", timeout=TIMEOUT)
    await expect(banner).to_contain_text(": 0 unresolved errors.")
    # the reason follows the dashboard's language
    await page.evaluate("window.sandbox.setLocale('de')")
    await expect(banner).to_contain_text("pausiert: 0 ungelöste Fehler.", timeout=TIMEOUT)
    # when the merchant resumes
    await banner.get_by_test_id("resume").click()
    # then the banner goes and the shop's sync runs again
    await expect(banner).to_have_count(0, timeout=TIMEOUT)
    assert await sandbox.services.error_log.pause_state(sandbox.installation_id) is None


async def test_backfill_progress_shows_while_it_waits_and_when_it_is_done(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given a backfill of every order in the shop started while its sync is paused (it waits)
    placed = list(sandbox.double.store.orders.values())
    first_day = min(datetime.fromisoformat(order["created"]) for order in placed).date()
    async with sandbox.services.sessions.begin() as session:
        await evaluate_pause(
            session,
            sandbox.installation_id,
            threshold=0,
            connection_broken=False,
            now=datetime.now(UTC),
        )
    await start_backfill(
        sandbox.services.sessions,
        sandbox.installation_id,
        BackfillEntity.ORDERS,
        first_day,
        now=datetime.now(UTC),
    )
    frame = await _open(page, sandbox)
    progress = frame.get_by_test_id("backfill").first
    await expect(progress).to_have_attribute("data-status", "running", timeout=TIMEOUT)
    await expect(progress.get_by_test_id("backfill-entity")).to_contain_text("Orders")
    await expect(progress.get_by_test_id("backfill-status")).to_have_text("Running")
    await expect(progress.get_by_test_id("backfill-count")).to_have_text("0 queued, counting…")
    # when the merchant resumes, the page follows the backfill to its end without a reload
    await frame.get_by_test_id("resume").click()
    await expect(progress).to_have_attribute("data-status", "done", timeout=TIMEOUT)
    await expect(progress.get_by_test_id("backfill-status")).to_have_text("Done")
    count = progress.get_by_test_id("backfill-count")
    await expect(count).to_have_text(f"{len(placed)} of {len(placed)}")
    fill = progress.get_by_test_id("backfill-bar-fill")
    await expect(fill).to_have_attribute("style", re.compile(r"width: 100%"))
    await sandbox.wait_idle()


async def test_bulk_retry_and_dismiss_of_failed_syncs_with_confirmation(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given three orders with a VAT rate (3.7 %) that no bexio tax has: three open errors
    line = [sandbox.double.order_line("Tea", quantity=2, unit_price="9.50", tax_rate="0.037")]
    orders = [await sandbox.place_order(lines=line) for _ in range(3)]
    await sandbox.wait_idle()
    frame = await _open(page, sandbox)
    rows = frame.get_by_test_id("error-row")
    await expect(rows).to_have_count(3, timeout=TIMEOUT)
    # the filters narrow the list on the server: no customer errors, three settings errors
    await frame.get_by_test_id("filter-kind").select_option("sync_customer")
    await expect(frame.get_by_test_id("no-errors")).to_be_visible(timeout=TIMEOUT)
    await frame.get_by_test_id("filter-kind").select_option("")
    await frame.get_by_test_id("filter-reason").select_option("config")
    await expect(rows).to_have_count(3, timeout=TIMEOUT)
    # when the merchant ticks two of them and retries them together, after confirming
    first, second, third = orders
    for order in (first, second):
        await rows.filter(has_text=order["id"]).get_by_test_id("select-error").check()
    await expect(frame.get_by_test_id("selected-count")).to_have_text("2 selected")
    await frame.get_by_test_id("retry-selected").click()
    confirmation = frame.get_by_test_id("bulk-confirmation")
    await expect(confirmation).to_contain_text("Retry 2 entries?")
    await confirmation.get_by_test_id("bulk-confirm").click()
    await expect(confirmation).to_have_count(0, timeout=TIMEOUT)
    notifications = [a for a in await _actions(page) if a["type"] == "notification"]
    assert notifications[-1]["payload"]["title"] == "2 entries queued again."
    # then both ran again (and failed again: new open entries), the third was left alone
    await sandbox.wait_idle()
    statuses = await _error_statuses(sandbox)
    assert statuses[first["id"]] == ["retried", "open"]
    assert statuses[second["id"]] == ["retried", "open"]
    assert statuses[third["id"]] == ["open"]
    await expect(rows).to_have_count(3, timeout=TIMEOUT)
    # when the merchant selects all and dismisses them
    await frame.get_by_test_id("select-all").check()
    await expect(frame.get_by_test_id("selected-count")).to_have_text("3 selected")
    await frame.get_by_test_id("dismiss-selected").click()
    await expect(confirmation).to_contain_text("Dismiss 3 entries?")
    await confirmation.get_by_test_id("bulk-confirm").click()
    # then the open list is empty, nothing reached bexio, and the log keeps them as dismissed
    await expect(frame.get_by_test_id("no-errors")).to_be_visible(timeout=TIMEOUT)
    notifications = [a for a in await _actions(page) if a["type"] == "notification"]
    assert notifications[-1]["payload"]["title"] == "3 entries dismissed."
    statuses = await _error_statuses(sandbox)
    assert [statuses[order["id"]][-1] for order in orders] == ["dismissed"] * 3
    references = {invoice["api_reference"] for invoice in sandbox.emulator.invoices.values()}
    assert not references & {order["id"] for order in orders}
    await frame.get_by_test_id("filter-dismissed").click()
    await expect(rows.filter(has_text=third["id"])).to_have_count(1, timeout=TIMEOUT)


def _luminance(css_colour: str) -> float:
    red, green, blue = (int(part) for part in re.findall(r"\d+", css_colour)[:3])
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


async def test_the_page_follows_the_dashboard_theme(page: Page, sandbox: SandboxHandles) -> None:
    frame = await _open(page, sandbox)
    root = frame.get_by_test_id("app-root")
    await expect(frame.get_by_test_id("connection-status")).to_be_visible(timeout=TIMEOUT)
    await expect(root).to_have_attribute("data-theme", "defaultLight")
    light = await root.evaluate("element => getComputedStyle(element).backgroundColor")
    # when the dashboard switches to dark
    await page.evaluate("window.sandbox.setTheme('dark')")
    await expect(root).to_have_attribute("data-theme", "defaultDark", timeout=TIMEOUT)
    dark = await root.evaluate("element => getComputedStyle(element).backgroundColor")
    assert _luminance(light) > 200 > 60 > _luminance(dark), (light, dark)


async def test_the_theme_in_the_iframe_url_is_used_from_the_start(
    page: Page, sandbox: SandboxHandles
) -> None:
    frame = await _open(page, sandbox, theme="dark")
    await expect(frame.get_by_test_id("app-root")).to_have_attribute(
        "data-theme", "defaultDark", timeout=TIMEOUT
    )


async def test_the_sample_order_button_makes_a_bexio_invoice(
    page: Page, sandbox: SandboxHandles
) -> None:
    before = len(sandbox.emulator.invoices)
    await _open(page, sandbox)
    await page.get_by_role("button", name="Place an order", exact=True).click()
    await expect(page.locator("#sandbox-status")).to_contain_text("placed", timeout=TIMEOUT)
    await sandbox.wait_idle()
    assert len(sandbox.emulator.invoices) == before + 1


async def test_a_refreshed_token_is_used_for_the_next_requests(
    page: Page, sandbox: SandboxHandles
) -> None:
    sent: list[str] = []

    def record(request: Request) -> None:
        if request.url.endswith("/graphql"):
            sent.append(request.headers.get("authorization-bearer", ""))

    page.on("request", record)
    frame = await _open(page, sandbox)
    await expect(frame.get_by_test_id("connection-status")).to_be_visible(timeout=TIMEOUT)
    first = sent[-1]
    # when the dashboard sends a new token
    await page.evaluate("window.sandbox.refreshToken()")
    # then the page's next refresh carries it and still works
    async with asyncio.timeout(TIMEOUT / 1000):
        while not sent or sent[-1] == first:
            await asyncio.sleep(0.1)
    assert sent[-1].count(".") == 2
    await expect(frame.get_by_test_id("connection-status")).to_contain_text("bexio connected")


async def test_a_failed_sync_shows_its_message_in_german_on_a_german_dashboard(
    page: Page, sandbox: SandboxHandles
) -> None:
    # given an order with a VAT rate (3.6 %) the shop has not mapped to a bexio tax
    juice = [sandbox.double.order_line("Juice", quantity=1, unit_price="4.50", tax_rate="0.036")]
    order = await sandbox.place_order(lines=juice)
    await sandbox.wait_idle()
    # when the merchant opens the errors page on a German dashboard
    frame = await _open(page, sandbox, locale="de")
    row = frame.get_by_test_id("error-row").filter(has_text=order["id"])
    message = row.get_by_test_id("error-message")
    # then the backend's coded message is shown in German, with the line and the rate
    await expect(message).to_have_attribute("data-code", "vat_rate_unmapped", timeout=TIMEOUT)
    await expect(message).to_have_text(
        re.compile(
            r"^Die Position „Juice.*“ .*Der MWST-Satz 3\.6 % ist keiner bexio-Steuer "
            r"zugeordnet\. Ordnen Sie ihn im Tab MWST zu\.$"
        )
    )
    # and in English as the backend wrote it when the dashboard switches back
    await page.evaluate("window.sandbox.setLocale('en')")
    async with sandbox.services.sessions() as session:
        stored = await session.scalar(
            select(SyncErrorRow.user_message).where(SyncErrorRow.key == order["id"])
        )
    assert stored is not None and "the VAT rate 3.6 % is not mapped" in stored
    await expect(message).to_have_text(stored, timeout=TIMEOUT)
    # the entry leaves the log as the merchant found it: dismissed
    await row.get_by_test_id("dismiss").click()
    await expect(row).to_have_count(0, timeout=TIMEOUT)
