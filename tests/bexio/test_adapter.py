"""BexioAdapter with the real BexioClient against the BexioEmulator (over httpx.ASGITransport)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from saleor_bexio_app.bexio.adapter import BexioAdapter, from_bexio_time, to_bexio_time
from saleor_bexio_app.bexio.client import BexioClient
from saleor_bexio_app.errors import AppError, RejectedError
from saleor_bexio_app.ids import (
    BexioAccountId,
    BexioBankAccountId,
    BexioContactId,
    BexioInvoiceId,
    BexioLanguageId,
    BexioPaymentTypeId,
    BexioTaxId,
    SaleorId,
)
from saleor_bexio_app.sandbox.bexio import BexioEmulator
from saleor_bexio_app.sync.contacts import ContactType, plan_contact
from saleor_bexio_app.sync.model import Money, Order, OrderDiscount, ShopSettings
from saleor_bexio_app.sync.orders import (
    ArticlePosition,
    CustomPosition,
    DiscountPosition,
    InvoiceDraft,
    OrderDraft,
    PaymentDraft,
    SendDraft,
    check_totals,
    plan_invoice,
    plan_order,
    plan_payment,
    plan_send_invoice,
)
from saleor_bexio_app.sync.ports import BexioInvoiceStatus, BexioPort
from tests.builders import (
    d,
    make_address,
    make_customer,
    make_line,
    make_order,
    make_settings,
    make_shipping,
    make_tax_mapping,
)

API = "http://bexio.test"
START = 1_781_787_300.0  # 2026-06-18 12:55 UTC, 14:55 in Zurich (summer time)
REVENUE_3200 = BexioAccountId(101)


class FakeClock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class EmulatorTokens:
    """AccessTokens from the emulator: one token, a fresh one after a 401."""

    def __init__(self, emulator: BexioEmulator) -> None:
        self._emulator = emulator
        self._token = emulator.access_token()

    async def access_token(self) -> str:
        return self._token

    async def refreshed_after(self, rejected: str) -> str:
        self._token = self._emulator.access_token()
        return self._token


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> BexioEmulator:
    return BexioEmulator(clock=clock)


@pytest.fixture
async def adapter(emulator: BexioEmulator) -> AsyncIterator[BexioAdapter]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator.app)) as http:
        yield BexioAdapter(BexioClient(http, api_url=API, tokens=EmulatorTokens(emulator)))


def shop_settings(**overrides: Any) -> ShopSettings:
    """General settings that point at the emulated company's master data."""
    fields: dict[str, Any] = {
        "bank_account_id": BexioBankAccountId(1),
        "payment_type_id": BexioPaymentTypeId(4),
        "language_id": BexioLanguageId(1),
        "revenue_account_id": REVENUE_3200,
        "invoice_header": "Thank you for order {number}.",
        "invoice_footer": "Payable within 30 days.",
        **overrides,
    }
    return make_settings(**fields)


def voucher_order(*, gross: bool, **overrides: Any) -> Order:
    """8.1 % shirts and 2.6 % tea, 8.1 % shipping, and a 10 % voucher spread into the lines."""
    if gross:
        shirt = make_line(
            unit_price="45.00",
            quantity=2,
            order_discount_gross=d("10.00"),
            order_discount_net=d("9.25"),
        )
        tea_share = {"order_discount_gross": d("3.00"), "order_discount_net": d("2.92")}
    else:
        shirt = make_line(
            unit_price="45.00",
            quantity=2,
            gross=False,
            order_discount_net=d("10.00"),
            order_discount_gross=d("10.81"),
        )
        tea_share = {"order_discount_net": d("3.00"), "order_discount_gross": d("3.08")}
    tea = make_line(
        id=SaleorId("T3JkZXJMaW5lOjI="),
        product_name="Tea",
        variant_name="",
        sku="TEA-100",
        unit_price="9.00",
        quantity=3,
        tax_rate="0.026",
        tax_class_name="Reduced",
        gross=gross,
        **tea_share,
    )
    return make_order(
        [shirt, tea],
        prices_entered_with_tax=gross,
        shipping=make_shipping(price="7.00", gross=gross),
        discounts=(OrderDiscount("VOUCHER", name="Spring sale", code="SPRING10"),),
        voucher_code="SPRING10",
        **overrides,
    )


async def new_contact(adapter: BexioAdapter, settings: ShopSettings) -> BexioContactId:
    plan = plan_contact(
        make_customer(),
        None,
        settings=settings,
        countries=await adapter.list_countries(),
        languages=await adapter.list_languages(),
    )
    return await adapter.create_contact(plan.draft)


async def invoice_draft(
    adapter: BexioAdapter, order: Order, settings: ShopSettings
) -> InvoiceDraft:
    """The invoice the sync would plan for `order`, with bexio's real master data."""
    contact_id = await new_contact(adapter, settings)
    skus = [line.sku for line in order.lines if line.sku]
    return plan_invoice(
        order,
        settings,
        make_tax_mapping(),
        await adapter.list_currencies(),
        await adapter.find_articles_by_sku(skus),
        contact_id=contact_id,
        bexio_taxes=await adapter.list_taxes(),
        bexio_automatic_numbering=await adapter.uses_automatic_numbering("KbInvoice"),
    )


async def order_draft(adapter: BexioAdapter, order: Order, settings: ShopSettings) -> OrderDraft:
    return plan_order(
        order,
        settings,
        make_tax_mapping(),
        await adapter.list_currencies(),
        {},
        contact_id=await new_contact(adapter, settings),
        bexio_taxes=await adapter.list_taxes(),
        bexio_automatic_numbering=await adapter.uses_automatic_numbering("KbOrder"),
    )


def test_adapter_satisfies_the_bexio_port(adapter: BexioAdapter) -> None:
    # mypy checks the structural match on this assignment.
    port: BexioPort = adapter
    assert port is adapter


# --- contacts ------------------------------------------------------------------------------------


async def test_contact_is_created_found_by_mail_and_updated(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    # given
    settings = shop_settings()
    countries = await adapter.list_countries()
    languages = await adapter.list_languages()
    created = plan_contact(
        make_customer(), None, settings=settings, countries=countries, languages=languages
    )
    contact_id = await adapter.create_contact(created.draft)

    # when
    found = await adapter.find_contact_by_mail("Anna@Example.ch")

    # then
    assert found is not None
    assert found.id == contact_id
    assert found.mail == "anna@example.ch"
    stored = emulator.contacts[contact_id]
    assert (stored["street_name"], stored["house_number"]) == ("Bahnhofstrasse", "12a")
    assert (stored["name_1"], stored["name_2"]) == ("Muster", "Anna")
    assert (stored["country_id"], stored["language_id"]) == (countries["CH"], languages["de"])
    # Read back, the contact has the fingerprint the planner gave it: nothing to update.
    again = plan_contact(
        make_customer(), found, settings=settings, countries=countries, languages=languages
    )
    assert found.fingerprint == created.fingerprint
    assert again.action == "skip"

    # when the customer moves to a company address in Germany
    moved = make_customer(
        billing_address=make_address(
            company_name="Muster GmbH",
            street_address_1="Hauptstr. 5",
            postal_code="10115",
            city="Berlin",
            country_code="DE",
            phone=None,
        ),
        company_name="Muster GmbH",
    )
    update = plan_contact(moved, found, settings=settings, countries=countries, languages=languages)
    assert update.action == "update"
    await adapter.update_contact(contact_id, update.draft)

    # then
    stored = emulator.contacts[contact_id]
    assert stored["contact_type_id"] == ContactType.COMPANY
    assert (stored["name_1"], stored["name_2"]) == ("Muster GmbH", "Anna Muster")
    assert (stored["street_name"], stored["house_number"]) == ("Hauptstr.", "5")
    assert (stored["postcode"], stored["city"]) == ("10115", "Berlin")
    assert stored["country_id"] == countries["DE"]
    assert stored["phone_fixed"] in (None, "")
    refound = await adapter.find_contact_by_mail("anna@example.ch")
    assert refound is not None
    assert refound.fingerprint == update.fingerprint


async def test_several_contacts_with_one_mail_give_the_lowest_id(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    first = emulator.add_contact(name_1="Muster", mail="twin@example.ch")
    emulator.add_contact(name_1="Muster 2", mail="twin@example.ch")
    emulator.add_contact(name_1="Other", mail="other@example.ch")

    found = await adapter.find_contact_by_mail("twin@example.ch")

    assert found is not None
    assert found.id == first["id"]
    assert await adapter.find_contact_by_mail("nobody@example.ch") is None


# --- invoices ------------------------------------------------------------------------------------


@pytest.mark.parametrize("gross", [True, False], ids=["gross", "net"])
async def test_invoice_with_two_rates_shipping_and_discount_matches_the_order_total(
    adapter: BexioAdapter, emulator: BexioEmulator, gross: bool
) -> None:
    # given
    emulator.add_article(intern_code="TS-M", intern_name="T-Shirt")
    order = voucher_order(gross=gross)
    draft = await invoice_draft(adapter, order, shop_settings())
    kinds = [type(position) for position in draft.positions]
    assert kinds == [ArticlePosition, CustomPosition, CustomPosition, DiscountPosition]

    # when
    state = await adapter.create_invoice(draft)

    # then
    assert state.status == BexioInvoiceStatus.DRAFT
    assert state.api_reference == order.id
    assert check_totals(state.total, order) is None
    stored = emulator.invoices[state.id]
    assert Decimal(stored["total"]) == state.total
    assert (stored["mwst_type"], stored["mwst_is_net"]) == (0, not gross)
    assert stored["header"] == "Thank you for order 1001."
    assert [p["type"] for p in stored["positions"]] == [
        "KbPositionArticle",
        "KbPositionCustom",
        "KbPositionCustom",
        "KbPositionDiscount",
    ]
    tea = stored["positions"][1]
    assert (tea["tax_id"], tea["account_id"]) == (15, REVENUE_3200)
    assert (Decimal(tea["amount"]), Decimal(tea["unit_price"])) == (d("3"), d("10"))
    assert Decimal(stored["positions"][3]["value"]) == d("13")


async def test_invoice_is_issued_paid_and_found_by_api_reference(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    # given
    order = voucher_order(gross=True, total_charged=d("124.00"))
    settings = shop_settings()
    draft = await invoice_draft(adapter, order, settings)
    invoice = await adapter.create_invoice(draft)

    # when
    await adapter.issue_invoice(invoice.id)
    issued = await adapter.get_invoice(invoice.id)
    await adapter.send_invoice(invoice.id, plan_send_invoice(order, settings))
    payment = plan_payment(order, settings, order.created.date())
    assert payment is not None
    payment_id = await adapter.create_payment(invoice.id, payment)

    # then
    assert issued is not None
    assert issued.status == BexioInvoiceStatus.PENDING
    paid = await adapter.get_invoice(invoice.id)
    assert paid is not None
    assert paid.status == BexioInvoiceStatus.PAID
    assert Decimal(emulator.payments[payment_id]["value"]) == d("124")
    assert emulator.sent_emails[0]["recipient_email"] == "anna@example.ch"
    assert await adapter.search_invoice_by_api_reference(order.id) == paid
    assert await adapter.search_invoice_by_api_reference("T3JkZXI6OTk=") is None


async def test_search_prefers_a_live_invoice_over_a_cancelled_one(
    adapter: BexioAdapter,
) -> None:
    # given: a crash left two invoices for one order; the first was cancelled in bexio
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    cancelled = await adapter.create_invoice(draft)
    live = await adapter.create_invoice(draft)
    await adapter.issue_invoice(cancelled.id)

    # when
    await adapter.cancel_invoice(cancelled.id)

    # then
    state = await adapter.get_invoice(cancelled.id)
    assert state is not None
    assert state.status == BexioInvoiceStatus.CANCELLED
    found = await adapter.search_invoice_by_api_reference(draft.header.api_reference)
    assert found is not None
    assert found.id == live.id


async def test_search_by_api_reference_is_case_sensitive(adapter: BexioAdapter) -> None:
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    await adapter.create_invoice(draft)

    assert await adapter.search_invoice_by_api_reference(draft.header.api_reference.lower()) is None


async def test_missing_invoice_is_none_and_a_draft_can_be_deleted(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    assert await adapter.get_invoice(BexioInvoiceId(999)) is None
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    created = await adapter.create_invoice(draft)
    await adapter.delete_invoice(created.id)
    assert created.id not in emulator.invoices
    assert await adapter.get_invoice(created.id) is None


async def test_changed_since_lists_the_paid_invoice_with_utc_time(
    adapter: BexioAdapter, emulator: BexioEmulator, clock: FakeClock
) -> None:
    # given: two invoices, one paid an hour later
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    untouched = await adapter.create_invoice(draft)
    paid = await adapter.create_invoice(draft)
    await adapter.issue_invoice(paid.id)
    clock.now += 3600
    since = datetime.fromtimestamp(clock.now, UTC)
    emulator.record_payment(paid.id, "124.00")

    # when
    changed = await adapter.list_invoices_changed_since(since)

    # then
    assert [state.id for state in changed] == [paid.id]
    assert changed[0].status == BexioInvoiceStatus.PAID
    assert changed[0].updated_at == since
    assert changed[0].updated_at.tzinfo is UTC
    assert untouched.updated_at is not None
    assert untouched.updated_at < since


def test_bexio_time_is_zurich_wall_time() -> None:
    summer = datetime(2026, 6, 18, 14, 55)
    winter = datetime(2026, 1, 5, 9, 0)

    assert from_bexio_time(summer) == datetime(2026, 6, 18, 12, 55, tzinfo=UTC)
    assert from_bexio_time(winter) == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert to_bexio_time(datetime(2026, 6, 18, 12, 55, 7, 500, tzinfo=UTC)) == datetime(
        2026, 6, 18, 14, 55, 7
    )


async def test_changed_since_in_the_repeated_autumn_hour_starts_an_hour_early(
    adapter: BexioAdapter, clock: FakeClock
) -> None:
    # 2026-10-25 00:30 UTC is 02:30 CEST; bexio stamps 02:10 CET (01:10 UTC) look earlier.
    clock.now = datetime(2026, 10, 25, 1, 10, tzinfo=UTC).timestamp()
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    invoice = await adapter.create_invoice(draft)

    changed = await adapter.list_invoices_changed_since(datetime(2026, 10, 25, 0, 30, tzinfo=UTC))

    assert [state.id for state in changed] == [invoice.id]


# --- orders, deliveries, numbering ---------------------------------------------------------------


async def test_order_becomes_invoice_with_the_draft_header_and_a_delivery(
    adapter: BexioAdapter, emulator: BexioEmulator, clock: FakeClock
) -> None:
    # given
    order = voucher_order(gross=True)
    settings = shop_settings()
    order_id = await adapter.create_order(await order_draft(adapter, order, settings))
    draft = await invoice_draft(adapter, order, settings)

    # when
    invoice = await adapter.create_invoice_from_order(order_id, draft)
    delivery_id = await adapter.create_delivery(order_id)

    # then
    assert invoice.status == BexioInvoiceStatus.DRAFT
    assert invoice.api_reference == order.id
    assert check_totals(invoice.total, order) is None
    stored = emulator.invoices[invoice.id]
    assert stored["header"] == "Thank you for order 1001."
    assert stored["footer"] == "Payable within 30 days."
    assert stored["is_valid_from"] == order.created.date().isoformat()
    assert emulator.orders[order_id]["kb_item_status_id"] == 6  # done: fully invoiced
    assert emulator.deliveries[delivery_id]["kb_item_status_id"] == 18  # issued


async def test_automatic_numbering_sends_no_document_nr(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    assert await adapter.uses_automatic_numbering("KbInvoice") is True

    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    state = await adapter.create_invoice(draft)

    assert draft.header.document_nr is None
    assert state.document_nr == emulator.invoices[state.id]["document_nr"]
    assert state.document_nr.startswith("RE-")


async def test_manual_numbering_sends_the_shop_number(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    emulator.set_numbering(False)
    settings = shop_settings(automatic_numbering=False, document_nr_prefix="WEB-")
    assert await adapter.uses_automatic_numbering("KbInvoice") is False

    draft = await invoice_draft(adapter, voucher_order(gross=True), settings)
    state = await adapter.create_invoice(draft)

    assert state.document_nr == "WEB-1001"
    assert emulator.invoices[state.id]["document_nr"] == "WEB-1001"


async def test_invoice_from_order_in_manual_numbering_carries_the_shop_number(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    emulator.set_numbering(False)
    settings = shop_settings(automatic_numbering=False)
    order = voucher_order(gross=True)
    order_id = await adapter.create_order(await order_draft(adapter, order, settings))
    draft = await invoice_draft(adapter, order, settings)
    assert draft.header.document_nr is not None

    created = await adapter.create_invoice_from_order(order_id, draft)

    assert created.document_nr == draft.header.document_nr
    assert emulator.invoices[created.id]["document_nr"] == draft.header.document_nr


# --- master data ---------------------------------------------------------------------------------


async def test_master_data_is_keyed_by_iso_code(adapter: BexioAdapter) -> None:
    currencies = await adapter.list_currencies()
    countries = await adapter.list_countries()
    languages = await adapter.list_languages()
    taxes = await adapter.list_taxes()

    assert (currencies["CHF"], currencies["EUR"]) == (1, 2)
    assert (countries["CH"], countries["DE"], countries["AT"]) == (1, 2, 3)
    assert (languages["de"], languages["fr"], languages["en"]) == (1, 2, 4)
    un81 = next(tax for tax in taxes if tax.id == BexioTaxId(14))
    assert (un81.code, un81.percentage, un81.is_active, un81.type) == (
        "UN81",
        d("8.1"),
        True,
        "sales_tax",
    )
    assert un81.is_sales_tax
    assert not next(tax for tax in taxes if tax.code == "US38").is_active
    assert not next(tax for tax in taxes if tax.code == "VM81").is_sales_tax


async def test_master_data_is_fetched_once_per_adapter(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    for _ in range(3):
        await adapter.list_taxes()
        await adapter.list_currencies()
        await adapter.list_countries()
        await adapter.list_languages()
        await adapter.uses_automatic_numbering("KbInvoice")
        await adapter.uses_automatic_numbering("KbOrder")

    paths = [path for _, path in emulator.calls]
    for path in ("/3.0/taxes", "/3.0/currencies", "/2.0/country", "/2.0/language"):
        assert paths.count(path) == 1, path
    assert paths.count("/2.0/kb_item_setting") == 1


async def test_unknown_document_class_is_an_error(adapter: BexioAdapter) -> None:
    with pytest.raises(AppError):
        await adapter.uses_automatic_numbering("KbNothing")


async def test_articles_are_found_by_exact_sku_one_search_each(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    shirt = emulator.add_article(intern_code="TS-M", intern_name="T-Shirt")
    emulator.add_article(intern_code="ts-m-old", intern_name="Old shirt")
    emulator.add_article(intern_code="TEA", intern_name="Tea")

    found = await adapter.find_articles_by_sku(["TS-M", "ts-m", "TS-M", "", "NOPE"])

    assert found == {"TS-M": shirt["id"]}
    searches = [path for _, path in emulator.calls if path == "/2.0/article/search"]
    assert len(searches) == 3


async def test_partial_payment_is_sent_digit_for_digit(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    draft = await invoice_draft(adapter, voucher_order(gross=True), shop_settings())
    invoice = await adapter.create_invoice(draft)
    await adapter.issue_invoice(invoice.id)
    payment = plan_payment(
        voucher_order(gross=True, total_charged=d("0.05")), shop_settings(), date(2026, 6, 18)
    )
    assert payment is not None

    payment_id = await adapter.create_payment(invoice.id, payment)

    assert emulator.payments[payment_id]["value"] == "0.050000"
    state = await adapter.get_invoice(invoice.id)
    assert state is not None
    assert state.status == BexioInvoiceStatus.PARTIAL
    assert payment.value == Money(d("0.05"), "CHF")


async def test_a_draft_bexio_cannot_take_is_rejected_before_any_call(
    adapter: BexioAdapter, emulator: BexioEmulator
) -> None:
    payment = PaymentDraft(Money(d("0.0000001"), "CHF"), date(2026, 6, 18), BexioBankAccountId(1))
    mail = SendDraft("anna@example.ch", "Invoice", "No link here")

    with pytest.raises(RejectedError):
        await adapter.create_payment(BexioInvoiceId(1), payment)
    with pytest.raises(RejectedError) as raised:
        await adapter.send_invoice(BexioInvoiceId(1), mail)

    assert "anna" not in raised.value.detail
    assert emulator.calls == []
